/* Rounds: one request (FOI or survey) sent to many bodies.
 *
 * A round is created as a draft with one request per selected body, each
 * with a stable reference PREFIX-NNN.  Every body is rendered at create
 * time, so a placeholder that does not resolve is reported then, naming the
 * body, never half-rendered at send time.  Launching renders each draft
 * request into its exact outgoing message (stored raw, with its
 * Message-ID) and queues it, in one transaction: launching twice queues
 * nothing twice, and a body added to a launched round is queued alone.
 * foid's sender (send.c) does the sending. */
#ifndef FOID_ROUND_H
#define FOID_ROUND_H

#include <stdint.h>

#include "util.h"

struct config;
struct store;

struct round_new {
	const char *slug;          /* [a-z0-9-], at most 32 */
	const char *kind;          /* "foi" or "survey" */
	const char *template_path; /* a file, or a name under templates_dir */
	const char *regime;        /* NULL: uk-foia (foi); surveys need closes or a regime */
	const char *bodies;        /* "all" (NULL), "tag:TAG", or a file of short names */
	const char *closes;        /* YYYY-MM-DD, surveys */
	const char *title;         /* NULL: the slug */
	const char *ref_prefix;    /* NULL: FOI-SLUG / SRV-SLUG, upper case */
	int thanks;                /* surveys: thank a body that answered everything */
};

/* What a person reads: every line of *out is for them; on FOID_EINVAL it
 * lists every problem found (each body and placeholder). */
int round_create(struct store *st, const struct config *cfg,
                 const struct round_new *rn, struct buf *out, char **errp);

/* The exact message for one body (short_name), or with short_name NULL a
 * summary line per body and every rendering problem.  Writes nothing. */
int round_preview(struct store *st, const struct config *cfg,
                  const char *slug, const char *short_name, struct buf *out,
                  char **errp);

/* Queues every draft request of the round.  *nqueued says how many.  A
 * survey with no questions is refused (FOID_EINVAL). */
int round_launch(struct store *st, const struct config *cfg, const char *slug,
                 int *nqueued, struct buf *out, char **errp);

/* Adds bodies (same selection syntax as round_new.bodies) not yet in the
 * round; when the round is launched they are queued at once. */
int round_add(struct store *st, const struct config *cfg, const char *slug,
              const char *bodies, struct buf *out, char **errp);

/* "paused" stops foid sending the round's queued mail; "launched" resumes. */
int round_set_paused(struct store *st, const char *slug, int paused,
                     char **errp);

/* A name/value for a follow-up's own placeholders ({{clarification.text}}). */
struct round_extra {
	const char *name, *value;
};

/* A threaded follow-up to a request: a reminder, a chaser or our answer to
 * a clarification request. */
struct round_followup {
	const char *template_name;   /* a file, or a name under templates_dir */
	const char *purpose;         /* "clarification", "reminder:overdue", ... */
	const char *in_reply_to;     /* NULL: our original request */
	const struct strv *references; /* filled in by round_queue_followup */
	const char *due;             /* {{request.due_date}}; NULL: computed */
	const struct round_extra *extra; /* NULL-name-terminated, or NULL */
	const char *actor;           /* for the event log */
};

/* Renders and queues a follow-up of request_id (In-Reply-To and References
 * name our original request and, if given, fu->in_reply_to; the subject is
 * the template's).  {{original.date}} is the day the request was sent,
 * {{original.subject}} the subject it went with: the shipped chasers'
 * subject is "Re: {{original.subject}}", so the body's mail system files
 * them in the thread it already has (a title given or not).
 * *row is the new message.  Runs its own transaction. */
int round_queue_followup(struct store *st, const struct config *cfg,
                         int64_t request_id, const struct round_followup *fu,
                         int64_t *row, char **errp);

struct holidays;
/* The local date (day 0) of time t and the due date counted from it for a
 * round of this regime (closes, when set, is the due date), in YYYY-MM-DD. */
int round_due_from(const struct config *cfg, const struct holidays *h,
                   const char *regime, const char *closes, int64_t t,
                   char day0[11], char due[11], char **errp);

/* The round's id, or FOID_ENOTFOUND with a message naming the slug. */
int round_id(struct store *st, const char *slug, int64_t *id, char **errp);

#endif
