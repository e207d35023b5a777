#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "deadline.h"
#include "round_view.h"
#include "store.h"
#include "survey.h"

/* The one place a status is spelled.  rank: order among those that need
 * a person (-1: none needed); flags: STATUS_F_*. */
#define STATUS_F_WAITING  1
#define STATUS_F_PERSON   2
#define STATUS_F_ANSWERED 4
static const struct {
	const char *name;
	int rank;
	int flags;
	const char *colour;
} status_table[] = {
	[STATUS_QUEUED]        = { "queued",        -1, 0, "" },
	[STATUS_UNCONFIRMED]   = { "unconfirmed",    1, STATUS_F_PERSON, "\033[31m" },
	[STATUS_FAILED]        = { "failed",         2, STATUS_F_PERSON, "\033[31m" },
	[STATUS_BOUNCED]       = { "bounced",        3, STATUS_F_PERSON, "\033[31m" },
	[STATUS_AWAITING]      = { "awaiting",      -1, STATUS_F_WAITING, "" },
	[STATUS_ACKNOWLEDGED]  = { "acknowledged",  -1, STATUS_F_WAITING, "" },
	[STATUS_CLARIFICATION] = { "clarification",  0, STATUS_F_PERSON, "\033[33m" },
	[STATUS_EXTENDED]      = { "extended",      -1, STATUS_F_WAITING, "" },
	[STATUS_REVIEW]        = { "review",         4, STATUS_F_PERSON, "\033[33m" },
	[STATUS_PARTIAL]       = { "partial",       -1, 0, "\033[33m" },
	[STATUS_RESPONDED]     = { "responded",     -1, STATUS_F_ANSWERED, "\033[32m" },
	[STATUS_REFUSED]       = { "refused",       -1, STATUS_F_ANSWERED, "\033[32m" },
	[STATUS_WITHDRAWN]     = { "withdrawn",     -1, 0, "" },
};
_Static_assert(sizeof status_table / sizeof status_table[0] == STATUS_COUNT,
               "a status without its row in status_table");

/* Out-of-range codes read as no flags, so a predicate is never true of them. */
static int status_flags(enum status_code c)
{
	return (unsigned)c < STATUS_COUNT ? status_table[c].flags : 0;
}

const char *status_name(enum status_code c)
{
	return (unsigned)c < STATUS_COUNT ? status_table[c].name : "?";
}

int status_parse(const char *name, enum status_code *out)
{
	for (int c = 0; name && c < STATUS_COUNT; c++)
		if (strcmp(name, status_table[c].name) == 0) {
			*out = (enum status_code)c;
			return FOID_OK;
		}
	return FOID_EINVAL;
}

int status_is_waiting(enum status_code c)
{
	return (status_flags(c) & STATUS_F_WAITING) != 0;
}

int status_needs_person(enum status_code c)
{
	return (status_flags(c) & STATUS_F_PERSON) != 0;
}

int status_is_answered(enum status_code c)
{
	return (status_flags(c) & STATUS_F_ANSWERED) != 0;
}

int status_rank(const struct status *s)
{
	if (status_needs_person(s->status))
		return status_table[s->status].rank;
	return s->overdue ? 5 : 6;
}

const char *status_colour(const struct status *s)
{
	if (s->overdue)
		return "\033[31m";
	return (unsigned)s->status < STATUS_COUNT ? status_table[s->status].colour : "";
}

/* One thing that happened to a request, in time order. */
struct status_ev {
	int64_t request_id;
	int64_t at;
	char *what;     /* in: kind; out: purpose; "extend" for a person's */
	int in;
	int days;       /* extend: working days */
	int64_t message_id; /* 0: an extension */
	int unsettled;  /* in: STATUS_SQL_UNSETTLED held */
};

struct status_load {
	struct status_ev *evs;
	size_t nevs;
};

static int status_ev_cb(const struct store_row *row, void *arg)
{
	struct status_load *l = arg;
	l->evs = xrealloc(l->evs, (l->nevs + 1) * sizeof *l->evs);
	struct status_ev *e = &l->evs[l->nevs++];
	e->request_id = store_row_int(row, 0);
	e->at = store_row_int(row, 1);
	e->what = xstrdup(store_row_text_or(row, 2, ""));
	e->in = (int)store_row_int(row, 3);
	e->days = (int)store_row_int(row, 4);
	e->message_id = store_row_int(row, 5);
	e->unsettled = (int)store_row_int(row, 6);
	return 0;
}

static void status_load_free(struct status_load *l)
{
	for (size_t i = 0; i < l->nevs; i++)
		free(l->evs[i].what);
	free(l->evs);
}

static int status_load(struct store *st, int64_t round_id, int review_below,
                       struct status_load *l, char **errp)
{
	return store_query(st, errp, status_ev_cb, l,
		                 "SELECT m.request_id, coalesce(m.internaldate, m.sent_at),"
		                 " CASE m.direction WHEN 'in' THEN m.kind ELSE m.purpose END,"
		                 " m.direction = 'in', 0, m.id,"
		                 " m.direction = 'in' AND " STATUS_SQL_UNSETTLED
		                 " FROM messages m"
		                 " JOIN requests q ON q.id = m.request_id"
		                 " WHERE q.round_id = ? AND (m.direction = 'in'"
		                 " OR (m.send_state = 'sent' AND m.purpose != 'request'))"
		                 " UNION ALL"
		                 " SELECT e.request_id, e.at, 'extend', 0, e.days, 0, 0"
		                 " FROM extensions e JOIN requests q ON q.id = e.request_id"
		                 " WHERE q.round_id = ?"
		                 " ORDER BY 1, 2", "iII", review_below, round_id, round_id);
}

/* Written by the body itself: not a machine's (auto-reply, bounce) and not
 * our own copy. */
static int status_ev_from_body(const struct status_ev *e)
{
	return e->in && *e->what && strcmp(e->what, "own") &&
	       strcmp(e->what, "auto_reply") && strcmp(e->what, "bounce");
}

/* Results of the date arithmetic, shared by the requests of a round (most
 * were sent the same day): kind 0 due dates, 1 working days between two
 * dates, 2 very-overdue dates. */
#define STATUS_MEMO 512
struct status_memo {
	int64_t a, b, v;
};

struct status_round_info {
	const struct deadline_regime *reg;
	const char *closes;
	struct survey_state *survey;  /* survey rounds: per request, in id order */
	size_t nsurvey;
	struct status_memo memo[3][STATUS_MEMO];
	int nmemo[3];
};

static int status_memo_get(const struct status_round_info *ri, int kind, int64_t a,
                           int64_t b, int64_t *v)
{
	for (int i = 0; i < ri->nmemo[kind]; i++) {
		const struct status_memo *m = &ri->memo[kind][i];
		if (m->a == a && m->b == b) {
			*v = m->v;
			return 1;
		}
	}
	return 0;
}

static void status_memo_put(struct status_round_info *ri, int kind, int64_t a,
                            int64_t b, int64_t v)
{
	if (ri->nmemo[kind] < STATUS_MEMO)
		ri->memo[kind][ri->nmemo[kind]++] = (struct status_memo){ a, b, v };
}

int status_due_date(const struct holidays *h, const struct deadline_regime *reg,
                    const char *closes, struct deadline_date day0, int ext,
                    struct deadline_date *due, char **errp)
{
	if (closes)
		return deadline_date_parse(closes, due, errp);
	return deadline_due(h, reg, day0, ext, due, NULL, errp);
}

static int status_due(const struct holidays *h, struct status_round_info *ri,
                      struct deadline_date day0, int ext, struct deadline_date *due,
                      char **errp)
{
	if (ri->closes)
		return status_due_date(h, ri->reg, ri->closes, day0, ext, due, errp);
	int64_t key = deadline_date_to_days(day0), v;
	if (status_memo_get(ri, 0, key, ext, &v)) {
		*due = deadline_date_from_days(v);
		return FOID_OK;
	}
	int rc = status_due_date(h, ri->reg, NULL, day0, ext, due, errp);
	if (rc == FOID_OK)
		status_memo_put(ri, 0, key, ext, deadline_date_to_days(*due));
	return rc;
}

static int status_between(const struct holidays *h, struct status_round_info *ri,
                          struct deadline_date from, struct deadline_date to, int *out,
                          char **errp)
{
	int64_t a = deadline_date_to_days(from), b = deadline_date_to_days(to), v;
	if (status_memo_get(ri, 1, a, b, &v)) {
		*out = (int)v;
		return FOID_OK;
	}
	int rc = deadline_working_days_between(h, ri->reg->calendar, from, to, out, errp);
	if (rc == FOID_OK)
		status_memo_put(ri, 1, a, b, *out);
	return rc;
}

static int status_very(const struct holidays *h, struct status_round_info *ri,
                       struct deadline_date due, struct deadline_date *out)
{
	int64_t a = deadline_date_to_days(due), v;
	if (status_memo_get(ri, 2, a, 0, &v)) {
		*out = deadline_date_from_days(v);
		return FOID_OK;
	}
	int rc = deadline_add_working_days(h, ri->reg->calendar, due, ri->reg->very_overdue,
	                                   out, NULL);
	if (rc == FOID_OK)
		status_memo_put(ri, 2, a, 0, deadline_date_to_days(*out));
	return rc;
}

/* survey_state by request id (survey_states_load gives them in id order). */
static int status_survey_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct survey_state *)a)->request_id;
	int64_t y = ((const struct survey_state *)b)->request_id;
	return (x > y) - (x < y);
}

static int status_one(const struct holidays *h, struct status_round_info *ri,
                      const struct round_view_row *r, const struct status_ev *evs,
                      size_t nevs, int64_t now, struct status *s, char **errp)
{
	const char *tz = ri->reg->tz;
	s->request_id = r->request_id;
	s->row = r;
	s->status = STATUS_QUEUED;
	s->on_time = -1;
	s->working_days_taken = -1;
	s->sent_at = r->sent_at;
	const char *d = r->delivery;
	/* Settled before any reply counts: withdrawn, or not (known to be) sent. */
	int settled = 1;
	if (r->withdrawn_at)
		s->status = STATUS_WITHDRAWN;
	else if (!strcmp(d, "draft") || !strcmp(d, "queued") || !strcmp(d, "sending"))
		s->status = STATUS_QUEUED;
	else if (!strcmp(d, "unconfirmed"))
		s->status = STATUS_UNCONFIRMED;
	else if (!strcmp(d, "failed"))
		s->status = STATUS_FAILED;
	else
		settled = 0;
	for (size_t i = 0; i < nevs; i++) {
		if (evs[i].in && strcmp(evs[i].what, "own") && strcmp(evs[i].what, ""))
			s->messages++;
		if (!evs[i].in && util_starts_with(evs[i].what, "reminder:"))
			strv_push(&s->reminders, evs[i].what + 9);
		if (strcmp(evs[i].what, "own") != 0 && evs[i].at >= s->last_event_at) {
			s->last_event_at = evs[i].at;
			snprintf(s->last_event, sizeof s->last_event, "%s", evs[i].what);
		}
	}
	if (settled || !r->sent_at)
		return FOID_OK;
	struct deadline_date day0 = deadline_local_date(r->sent_at, tz), due;
	int ext = 0, extended = 0, stopped = 0, rc;
	enum status_code state = STATUS_AWAITING;
	const char *final = NULL;
	struct deadline_date due_at_response = { 0, 0, 0 };
	rc = status_due(h, ri, day0, ext, &due, errp);
	for (size_t i = 0; rc == FOID_OK && i < nevs; i++) {
		const struct status_ev *e = &evs[i];
		const char *w = e->what;
		if (e->unsettled) {
			/* Its kind is a guess: it counts for nothing until a person
			 * reads it, but it holds the request for them. */
			s->review_message = e->message_id;
			s->review_messages++;
			continue;
		}
		if (status_ev_from_body(e) && state == STATUS_AWAITING)
			state = STATUS_ACKNOWLEDGED;
		if (e->in && (!strcmp(w, "response") || !strcmp(w, "refusal"))) {
			if (!s->first_response_at) {
				s->first_response_at = e->at;
				s->first_response_kind = !strcmp(w, "response") ? "response"
				                                                 : "refusal";
				due_at_response = due;
			}
			final = w;
		} else if (e->in && !strcmp(w, "clarification") && !final) {
			stopped = 1;
			state = STATUS_CLARIFICATION;
		} else if (e->in && !strcmp(w, "acknowledgement") && state == STATUS_AWAITING) {
			state = STATUS_ACKNOWLEDGED;
		} else if (e->in && !strcmp(w, "extension") && !stopped && !extended &&
		           ri->reg->extension > 0 && deadline_on_time(e->at, due, tz)) {
			extended = 1;
			ext += ri->reg->extension;
			state = STATUS_EXTENDED;
			rc = status_due(h, ri, day0, ext, &due, errp);
		} else if (!e->in && !strcmp(w, "clarification") && stopped) {
			/* Our answer restarts the count from zero on the day it went. */
			stopped = 0;
			day0 = deadline_local_date(e->at, tz);
			ext = 0;
			extended = 0;
			/* The body has written (its clarification request): never
			 * plain awaiting again. */
			state = STATUS_ACKNOWLEDGED;
			rc = status_due(h, ri, day0, ext, &due, errp);
		} else if (!strcmp(w, "extend")) {
			ext += e->days;
			state = STATUS_EXTENDED;
			rc = status_due(h, ri, day0, ext, &due, errp);
		}
	}
	if (rc)
		return rc;
	deadline_date_format(day0, s->day0);
	deadline_date_format(due, s->due);
	s->clock_stopped = stopped;
	s->extension_days = ext;
	if (final)
		s->status = !strcmp(final, "response") ? STATUS_RESPONDED : STATUS_REFUSED;
	else if (!strcmp(d, "bounced"))
		s->status = STATUS_BOUNCED;
	else if (s->review_messages && state != STATUS_CLARIFICATION)
		s->status = STATUS_REVIEW;
	else
		s->status = state;
	/* A survey's reply is as complete as what was read from it. */
	const struct survey_state key = { .request_id = r->request_id }, *sv = NULL;
	if (final && !strcmp(final, "response") && ri->nsurvey)
		sv = bsearch(&key, ri->survey, ri->nsurvey, sizeof *ri->survey, status_survey_cmp);
	if (sv)
		s->status = survey_status(sv);
	struct deadline_date today = deadline_local_date(now, tz);
	if (s->first_response_at) {
		s->on_time = deadline_on_time(s->first_response_at, due_at_response, tz);
		rc = status_between(h, ri, day0, deadline_local_date(s->first_response_at, tz),
		                    &s->working_days_taken, errp);
	} else if (s->status != STATUS_BOUNCED) {
		rc = status_between(h, ri, day0, today, &s->working_days_taken, errp);
		s->overdue = !stopped && now >= deadline_end_of_day(due, tz);
		struct deadline_date very;
		if (s->overdue && status_very(h, ri, due, &very) == FOID_OK)
			s->very_overdue = now >= deadline_end_of_day(very, tz);
	}
	return rc;
}

int status_view(struct store *st, const struct round_view *v, int64_t now,
                status_fn fn, void *arg, char **errp)
{
	struct status_round_info *ri = xcalloc(1, sizeof *ri);
	struct status_load l = { 0 };
	ri->reg = &v->regime;
	ri->closes = v->closes_on;
	int rc = status_load(st, v->id, v->review_below, &l, errp);
	if (rc == FOID_OK && strcmp(v->kind, "survey") == 0)
		rc = survey_states_load(st, v->id, &ri->survey, &ri->nsurvey, errp);
	/* Both lists are in request order (ids follow seq within a round). */
	size_t e = 0;
	for (size_t i = 0; rc == FOID_OK && i < v->nrows; i++) {
		const struct round_view_row *r = &v->rows[i];
		while (e < l.nevs && l.evs[e].request_id < r->request_id)
			e++;
		size_t first = e;
		while (e < l.nevs && l.evs[e].request_id == r->request_id)
			e++;
		struct status s;
		memset(&s, 0, sizeof s);
		rc = status_one(v->holidays, ri, r, l.evs + first, e - first, now, &s, errp);
		if (rc == FOID_OK)
			rc = fn(&s, arg);
		strv_free(&s.reminders);
	}
	status_load_free(&l);
	free(ri->survey);
	free(ri);
	return rc;
}

struct status_refresh_arg {
	struct store *st;
	int changed;
};

static int status_refresh_cb(const struct status *s, void *arg)
{
	struct status_refresh_arg *a = arg;
	const char *old = s->row->due_date;
	if (!s->due[0] || (old && strcmp(old, s->due) == 0))
		return 0;
	int rc = store_exec(a->st, NULL, "UPDATE requests SET due_date = ?,"
	                    " clock_start = ?, extension_days = ? WHERE id = ?",
	                    "ssiI", s->due, s->day0, s->extension_days, s->request_id);
	if (rc == FOID_OK && old) {
		char *why = xasprintf("%s -> %s", old, s->due);
		rc = store_event(a->st, NULL, 0, s->request_id, 0, "request.due_changed",
		                 "foid", why);
		free(why);
		a->changed++;
	}
	return rc;
}

static int status_id_cb(const struct store_row *row, void *arg)
{
	struct strv *ids = arg;
	strv_push(ids, store_row_text(row, 0));
	return 0;
}

int status_refresh(struct store *st, const struct config *cfg,
                   const struct holidays *h, int64_t now, int *nchanged,
                   char **errp)
{
	struct strv ids = STRV_INIT;
	*nchanged = 0;
	int rc = store_query(st, errp, status_id_cb, &ids,
	                     "SELECT id FROM rounds WHERE state != 'draft' ORDER BY id",
	                     NULL);
	for (size_t k = 0; rc == FOID_OK && k < ids.n; k++) {
		struct round_view *v = NULL;
		struct status_refresh_arg a = { st, 0 };
		rc = round_view_load(st, cfg, h, NULL, strtoll(ids.v[k], NULL, 10), &v, errp);
		if (rc == FOID_OK)
			rc = store_begin(st, errp);
		if (rc == FOID_OK) {
			rc = status_view(st, v, now, status_refresh_cb, &a, errp);
			rc = store_finish(st, rc, errp);
		}
		*nchanged += a.changed;
		round_view_free(v);
	}
	strv_free(&ids);
	return rc;
}
