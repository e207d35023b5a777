/* Reminders and chasers: the steps of config's reminders.foi or
 * reminders.survey (e.g. overdue: 1 working day after the due date; final:
 * 20 after; courtesy: 5 before a survey closes), queued as threaded
 * follow-ups.  Only requests still waiting for a response or refusal get
 * them (status_is_waiting: awaiting, acknowledged or extended; never
 * bounced, failed, withdrawn, responded, refused, waiting for our
 * clarification, or in review: a reply there waits for a person); each
 * step at most once per request; at least reminders.min_gap_days working
 * days between two mails to one body.  In a survey, a body that replied
 * gets no step: a partial reply gets one follow-up, threaded under it,
 * quoting the questions left unanswered; a complete one thanks, when the
 * round asks for them (survey.h).  The sender's rate limits and window
 * apply as to any mail. */
#ifndef FOID_REMIND_H
#define FOID_REMIND_H

#include <stdint.h>

#include "util.h"

struct config;
struct holidays;
struct store;

/* Queues (or with dry_run only lists) what is due at now, in every
 * launched round; one line per reminder in *report. */
int remind_pass(struct store *st, const struct config *cfg,
                const struct holidays *h, const char *round_slug /* NULL: all */,
                int64_t now, int dry_run, struct buf *report, int *nqueued,
                char **errp);

#endif
