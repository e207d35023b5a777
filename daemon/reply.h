/* What a received message means for its request: matching (match.h) and
 * classification (classify.h) recorded with their evidence, and their
 * consequences: a bounce marks the request bounced with the diagnostic, an
 * acknowledgement's own case reference is remembered for later matching,
 * and every step lands in the event log.  A person's assignment or kind
 * (kind_override) is never undone by later processing. */
#ifndef FOID_REPLY_H
#define FOID_REPLY_H

#include <stdint.h>

struct classify_rules;
struct mime_message;
struct store;

/* Matches and classifies the stored received message `row` (parsed as m),
 * inside the caller's transaction. */
int reply_process(struct store *st, const struct classify_rules *rules,
                  int64_t row, const struct mime_message *m, char **errp);

/* A person assigns message `row` to a request: recorded with the sender
 * remembered for the body's later mail, consequences applied.  Runs its own
 * transaction. */
int reply_assign(struct store *st, int64_t row, int64_t request_id,
                 const char *actor, char **errp);

/* A person sets the kind of message `row`; never undone by foid. */
int reply_mark(struct store *st, int64_t row, const char *kind,
               const char *actor, char **errp);

/* 1 when kind is one a person may give. */
int reply_kind_valid(const char *kind);

#endif
