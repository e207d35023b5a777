/* Where a request stands, derived each time from its messages and events
 * (never stored as such), so a person's corrections, a late clarification
 * or new holiday data always flow through:
 *   queued, unconfirmed, failed, bounced, awaiting (sent; nothing but
 *   auto-replies yet), acknowledged, clarification (waiting for us),
 *   extended, review (a reply a person must read: foid could not tell
 *   its kind, or could not read a survey's answers surely), partial (a
 *   survey reply with answers missing), responded, refused, withdrawn.
 *   A survey reply's status follows its coding (survey_status).
 * The clock: day 0 is the day the request was sent, in the round's zone
 * (the rule is in round_view.h); a clarification request stops it; our
 * answer (foictl clarify) restarts the count from zero on the day it is
 * sent; an extension reply received on or before the due date adds the
 * regime's extension (once); foictl extend adds what a person decides.
 * Every change is in the event log.
 *
 * Review: a received message from the body whose kind is a guess (other,
 * or a confidence below classify.review_below percent) and that no person
 * has settled with foictl mark is "waiting for a person".  It counts for
 * nothing else (a doubtful response is no first response, a doubtful
 * clarification stops no clock) and, while the request is open, puts it
 * in review, which no chaser goes to.  Auto-replies and bounces never do.
 * The ordering, as a person reading the thread would have it:
 *   - a clear response or refusal, before or after it, answers the request
 *     (responded / refused stand); the message is still listed (foictl
 *     inbox, the digest) until a person settles it, as it may say more;
 *   - a bounced send stays bounced, and our clarification owed stays
 *     clarification (its own action comes first); otherwise review
 *     outranks awaiting, acknowledged and extended, whatever came later;
 *   - once settled, the message counts as the kind a person gave it;
 *     marked other (read, and really nothing), it holds nothing more.
 * Once the body has written anything that is not an auto-reply or a
 * bounce, the request is never plain awaiting again: at least
 * acknowledged (also after our answer to its clarification request). */
#ifndef FOID_STATUS_H
#define FOID_STATUS_H

#include <stdint.h>

#include "deadline.h"
#include "util.h"

struct config;
struct holidays;
struct store;

/* The statuses, in the order foictl status lists their totals.  Their
 * names, sort ranks and colours are in one table in status.c: a new
 * status is a line here and a row there. */
enum status_code {
	STATUS_QUEUED,
	STATUS_UNCONFIRMED,
	STATUS_FAILED,
	STATUS_BOUNCED,
	STATUS_AWAITING,
	STATUS_ACKNOWLEDGED,
	STATUS_CLARIFICATION,
	STATUS_EXTENDED,
	STATUS_REVIEW,
	STATUS_PARTIAL,
	STATUS_RESPONDED,
	STATUS_REFUSED,
	STATUS_WITHDRAWN,
	STATUS_COUNT
};

/* The status's name ("awaiting"), a static string; "?" out of range. */
const char *status_name(enum status_code c);
/* The code named by name, or FOID_EINVAL for a name that is none. */
int status_parse(const char *name, enum status_code *out);

/* The SQL condition on messages m (one integer parameter:
 * classify.review_below) that a received message is waiting for a
 * person: the review rule above, in the one place it is written. */
#define STATUS_SQL_UNSETTLED \
	"(NOT m.kind_override AND m.kind IS NOT NULL" \
	" AND m.kind NOT IN ('own', 'auto_reply', 'bounce')" \
	" AND (m.kind = 'other' OR coalesce(m.kind_confidence, 100) < ?))"

/* Sent, not answered, the clock running or extended: what reminders chase
 * and the digest lists as due soon.  Never review. */
int status_is_waiting(enum status_code c);
/* A person must act before the request can move on: our clarification,
 * a send foid could not confirm, a failed or bounced send, a reply in
 * review. */
int status_needs_person(enum status_code c);
/* Answered for good: a response or a refusal. */
int status_is_answered(enum status_code c);

struct status;
/* Sort key for foictl status: those that need a person first, in the
 * table's order, then the overdue, then the rest. */
int status_rank(const struct status *s);
/* The ANSI colour a table shows s in ("" for none): red for a send that
 * needs a person or an overdue request, yellow for a clarification, green
 * when answered. */
const char *status_colour(const struct status *s);

struct round_view;
struct round_view_row;

struct status {
	int64_t request_id;
	const struct round_view_row *row; /* the request and its body, in the view */
	enum status_code status;
	char day0[11];              /* current day 0, "" before sending */
	char due[11];               /* current due date, "" when none */
	int clock_stopped;          /* waiting for our clarification */
	int64_t sent_at;            /* 0: not sent */
	int64_t first_response_at;  /* first response or refusal; 0: none */
	const char *first_response_kind; /* "response", "refusal" or NULL */
	int on_time;                /* -1 null, 0 late, 1 on time */
	int overdue, very_overdue;
	int working_days_taken;     /* -1 null */
	int extension_days;         /* working days added to the count */
	int messages;               /* received, our own copies aside */
	struct strv reminders;      /* reminder steps sent */
	int review_messages;        /* received, waiting for a person (whatever
	                               the status: an answered request's too) */
	int64_t review_message;     /* the latest of them; 0: none */
	int64_t last_event_at;      /* last message in or out */
	char last_event[40];        /* its kind or purpose */
};

/* Called once per request of the round, in reference order; s is valid
 * only during the call.  A non-zero return stops the walk. */
typedef int (*status_fn)(const struct status *s, void *arg);

/* Computes every request of the round v at time now, in v's order. */
int status_view(struct store *st, const struct round_view *v, int64_t now,
                status_fn fn, void *arg, char **errp);

/* The due date of a request whose clock started on day0, plus ext working
 * days: the closing date when the round has one (closes, YYYY-MM-DD),
 * else the regime's count.  The one place a due date is decided. */
int status_due_date(const struct holidays *h, const struct deadline_regime *reg,
                    const char *closes, struct deadline_date day0, int ext,
                    struct deadline_date *due, char **errp);

/* Brings requests.due_date up to date for every request of every launched
 * round, logging each change (request.due_changed) with the reason.
 * *nchanged counts them. */
int status_refresh(struct store *st, const struct config *cfg,
                   const struct holidays *h, int64_t now, int *nchanged,
                   char **errp);

#endif
