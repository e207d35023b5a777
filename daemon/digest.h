/* The team's digest: once a day at team.digest_time on working days (UK
 * calendar, the config's zone or Europe/London), to team.digest_address,
 * only when there is something to say: replies received since the last
 * digest by kind, requests due in the next 3 working days, requests that
 * became overdue, clarification requests waiting for the team, unmatched
 * mail and unconfirmed sends.  Plain text, a line per item with the
 * command that acts on it.  It goes out as foid's own mail, so when it
 * comes back into the watched mailbox it is recognised, not taken for a
 * reply. */
#ifndef FOID_DIGEST_H
#define FOID_DIGEST_H

#include <stdint.h>

#include "util.h"

struct config;
struct holidays;
struct store;

/* Queues today's digest if it is time and there is something to say.
 * *queued is 1 when one was queued.  text, if not NULL, receives the body
 * (also when nothing is queued because it is not time: then empty). */
int digest_pass(struct store *st, const struct config *cfg,
                const struct holidays *h, int64_t now, int *queued,
                struct buf *text, char **errp);

#endif
