/* Where a request stands, derived each time from its messages and events
 * (never stored as such), so a person's corrections, a late clarification
 * or new holiday data always flow through:
 *   queued, unconfirmed, failed, bounced, awaiting (sent; nothing but
 *   auto-replies yet), acknowledged, clarification (waiting for us),
 *   extended, responded, refused, withdrawn.
 * The clock: day 0 is the day the request was sent, in the regime's zone;
 * a clarification request stops it; our answer (foictl clarify) restarts
 * the count from zero on the day it is sent; an extension reply received
 * on or before the due date adds the regime's extension (once); foictl
 * extend adds what a person decides.  Every change is in the event log. */
#ifndef FOID_STATUS_H
#define FOID_STATUS_H

#include <stdint.h>

#include "util.h"

struct config;
struct holidays;
struct store;

struct status {
	int64_t request_id;
	const char *status;         /* one of the names above */
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
	int64_t last_event_at;      /* last message in or out */
	char last_event[40];        /* its kind or purpose */
};

/* Called once per request of the round, in reference order; s is valid
 * only during the call.  A non-zero return stops the walk. */
typedef int (*status_fn)(const struct status *s, void *arg);

/* Computes every request of round_id at time now.  h: holiday data. */
int status_round(struct store *st, const struct config *cfg,
                 const struct holidays *h, int64_t round_id, int64_t now,
                 status_fn fn, void *arg, char **errp);

/* Brings requests.due_date up to date for every request of every launched
 * round, logging each change (request.due_changed) with the reason.
 * *nchanged counts them. */
int status_refresh(struct store *st, const struct config *cfg,
                   const struct holidays *h, int64_t now, int *nchanged,
                   char **errp);

#endif
