/* A round as every reader sees it: its head (slug, kind, regime, zone,
 * holidays) and its requests joined with their bodies, loaded by one
 * function so the rules below are decided in one place.
 *
 * The zone rule: a round's dates (day 0, due dates, "on time", the times
 * foictl prints) are in deadlines.timezone when the config sets it, else
 * in the regime's own zone (America/New_York for us-foia and the
 * us-federal calendar, Europe/London for the rest; see
 * deadline_regime_parse). */
#ifndef FOID_ROUND_VIEW_H
#define FOID_ROUND_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"

struct config;
struct store;

/* One request of the round with the body it went to.  Strings are owned
 * by the view; those the database may leave empty are NULL. */
struct round_view_row {
	int64_t request_id;
	char *reference, *their_reference;
	char *delivery;             /* requests.delivery */
	int64_t sent_at, withdrawn_at;   /* 0: not */
	char *due_date;             /* requests.due_date as last stored, or NULL */
	char *short_name, *name, *email, *body_kind, *region;
};

struct round_view {
	int64_t id;
	char *slug, *kind, *state, *title, *closes_on; /* closes_on NULL: none */
	int64_t launched_at;        /* 0: not launched */
	struct deadline_regime regime;  /* round_view_regime applied: tz is the zone */
	const struct holidays *holidays;  /* borrowed from the caller */
	int review_below;               /* classify.review_below: status.h */
	struct round_view_row *rows;    /* in the round's order (seq) */
	size_t nrows;
};

/* Parses regime and applies the config to it: the zone rule above and
 * deadlines.very_overdue_days.  FOID_EINVAL for a regime that does not
 * parse. */
int round_view_regime(const struct config *cfg, const char *regime,
                      struct deadline_regime *out, char **errp);

/* Loads the round named slug, or with slug NULL the round with this id.
 * h must outlive the view.  On success *out is the caller's
 * (round_view_free).  FOID_ENOTFOUND when there is no such round. */
int round_view_load(struct store *st, const struct config *cfg,
                    const struct holidays *h, const char *slug, int64_t id,
                    struct round_view **out, char **errp);
void round_view_free(struct round_view *v); /* NULL is fine */

#endif
