#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "deadline.h"
#include "store.h"

/* A request as the three round queries load it. */
struct status_req {
	int64_t id;
	char *delivery;
	int64_t sent_at, withdrawn_at;
	char *due_cached;
};

/* One thing that happened to a request, in time order. */
struct status_ev {
	int64_t request_id;
	int64_t at;
	char *what;     /* in: kind; out: purpose; "extend" for a person's */
	int in;
	int days;       /* extend: working days */
};

struct status_load {
	struct status_req *reqs;
	size_t nreqs;
	struct status_ev *evs;
	size_t nevs;
};

static int status_req_cb(const struct store_row *row, void *arg)
{
	struct status_load *l = arg;
	l->reqs = xrealloc(l->reqs, (l->nreqs + 1) * sizeof *l->reqs);
	struct status_req *r = &l->reqs[l->nreqs++];
	r->id = store_row_int(row, 0);
	r->delivery = xstrdup(store_row_text(row, 1));
	r->sent_at = store_row_int(row, 2);
	r->withdrawn_at = store_row_int(row, 3);
	r->due_cached = xstrdup(store_row_text(row, 4));
	return 0;
}

static int status_ev_cb(const struct store_row *row, void *arg)
{
	struct status_load *l = arg;
	l->evs = xrealloc(l->evs, (l->nevs + 1) * sizeof *l->evs);
	struct status_ev *e = &l->evs[l->nevs++];
	e->request_id = store_row_int(row, 0);
	e->at = store_row_int(row, 1);
	e->what = xstrdup(store_row_text(row, 2) ? store_row_text(row, 2) : "");
	e->in = (int)store_row_int(row, 3);
	e->days = (int)store_row_int(row, 4);
	return 0;
}

static void status_load_free(struct status_load *l)
{
	for (size_t i = 0; i < l->nreqs; i++) {
		free(l->reqs[i].delivery);
		free(l->reqs[i].due_cached);
	}
	for (size_t i = 0; i < l->nevs; i++)
		free(l->evs[i].what);
	free(l->reqs);
	free(l->evs);
}

static int status_load(struct store *st, int64_t round_id, struct status_load *l,
                       char **errp)
{
	int rc = store_query(st, errp, status_req_cb, l,
	                     "SELECT id, delivery, coalesce(sent_at, 0),"
	                     " coalesce(withdrawn_at, 0), due_date FROM requests"
	                     " WHERE round_id = ? ORDER BY seq", "I", round_id);
	if (rc == FOID_OK)
		rc = store_query(st, errp, status_ev_cb, l,
		                 "SELECT m.request_id, coalesce(m.internaldate, m.sent_at),"
		                 " CASE m.direction WHEN 'in' THEN m.kind ELSE m.purpose END,"
		                 " m.direction = 'in', 0 FROM messages m"
		                 " JOIN requests q ON q.id = m.request_id"
		                 " WHERE q.round_id = ? AND (m.direction = 'in'"
		                 " OR (m.send_state = 'sent' AND m.purpose != 'request'))"
		                 " UNION ALL"
		                 " SELECT e.request_id, e.at, 'extend', 0, e.days"
		                 " FROM extensions e JOIN requests q ON q.id = e.request_id"
		                 " WHERE q.round_id = ?"
		                 " ORDER BY 1, 2", "II", round_id, round_id);
	return rc;
}

/* Results of the date arithmetic, shared by the requests of a round (most
 * were sent the same day): kind 0 due dates, 1 working days between two
 * dates, 2 very-overdue dates. */
#define STATUS_MEMO 512
struct status_memo {
	int64_t a, b, v;
};

struct status_round_info {
	struct deadline_regime reg;
	char *closes;
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

static int status_round_cb(const struct store_row *row, void *arg)
{
	struct status_round_info *ri = arg;
	if (deadline_regime_parse(store_row_text(row, 0), &ri->reg, NULL) < 0)
		deadline_regime_parse("uk-foia", &ri->reg, NULL);
	ri->closes = xstrdup(store_row_text(row, 1));
	return 0;
}

/* Due date from day0 plus ext working days; a survey's closing date wins. */
static int status_due(const struct holidays *h, struct status_round_info *ri,
                      struct deadline_date day0, int ext, struct deadline_date *due,
                      char **errp)
{
	if (ri->closes)
		return deadline_date_parse(ri->closes, due, errp);
	int64_t key = deadline_date_to_days(day0), v;
	if (status_memo_get(ri, 0, key, ext, &v)) {
		*due = deadline_date_from_days(v);
		return FOID_OK;
	}
	int rc = deadline_due(h, &ri->reg, day0, ext, due, NULL, errp);
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
	int rc = deadline_working_days_between(h, ri->reg.calendar, from, to, out, errp);
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
	int rc = deadline_add_working_days(h, ri->reg.calendar, due, ri->reg.very_overdue,
	                                   out, NULL);
	if (rc == FOID_OK)
		status_memo_put(ri, 2, a, 0, deadline_date_to_days(*out));
	return rc;
}

static int status_one(const struct holidays *h, struct status_round_info *ri,
                      const struct status_req *r, const struct status_ev *evs,
                      size_t nevs, int64_t now, struct status *s, char **errp)
{
	const char *tz = ri->reg.tz;
	s->request_id = r->id;
	s->on_time = -1;
	s->working_days_taken = -1;
	s->sent_at = r->sent_at;
	const char *d = r->delivery;
	if (r->withdrawn_at) {
		s->status = "withdrawn";
	} else if (!strcmp(d, "draft") || !strcmp(d, "queued") || !strcmp(d, "sending")) {
		s->status = "queued";
	} else if (!strcmp(d, "unconfirmed") || !strcmp(d, "failed")) {
		s->status = !strcmp(d, "failed") ? "failed" : "unconfirmed";
	}
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
	if (s->status || !r->sent_at)
		return FOID_OK;
	struct deadline_date day0 = deadline_local_date(r->sent_at, tz), due;
	int ext = 0, extended = 0, stopped = 0, rc;
	const char *state = "awaiting", *final = NULL;
	struct deadline_date due_at_response = { 0, 0, 0 };
	rc = status_due(h, ri, day0, ext, &due, errp);
	for (size_t i = 0; rc == FOID_OK && i < nevs; i++) {
		const struct status_ev *e = &evs[i];
		const char *w = e->what;
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
			state = "clarification";
		} else if (e->in && !strcmp(w, "acknowledgement") && !strcmp(state, "awaiting")) {
			state = "acknowledged";
		} else if (e->in && !strcmp(w, "extension") && !stopped && !extended &&
		           ri->reg.extension > 0 && deadline_on_time(e->at, due, tz)) {
			extended = 1;
			ext += ri->reg.extension;
			state = "extended";
			rc = status_due(h, ri, day0, ext, &due, errp);
		} else if (!e->in && !strcmp(w, "clarification") && stopped) {
			/* Our answer restarts the count from zero on the day it went. */
			stopped = 0;
			day0 = deadline_local_date(e->at, tz);
			ext = 0;
			extended = 0;
			state = "awaiting";
			rc = status_due(h, ri, day0, ext, &due, errp);
		} else if (!strcmp(w, "extend")) {
			ext += e->days;
			state = "extended";
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
		s->status = !strcmp(final, "response") ? "responded" : "refused";
	else if (!strcmp(d, "bounced"))
		s->status = "bounced";
	else
		s->status = state;
	struct deadline_date today = deadline_local_date(now, tz);
	if (s->first_response_at) {
		s->on_time = deadline_on_time(s->first_response_at, due_at_response, tz);
		rc = status_between(h, ri, day0, deadline_local_date(s->first_response_at, tz),
		                    &s->working_days_taken, errp);
	} else if (strcmp(s->status, "bounced") != 0) {
		rc = status_between(h, ri, day0, today, &s->working_days_taken, errp);
		s->overdue = !stopped && now >= deadline_end_of_day(due, tz);
		struct deadline_date very;
		if (s->overdue && status_very(h, ri, due, &very) == FOID_OK)
			s->very_overdue = now >= deadline_end_of_day(very, tz);
	}
	return rc;
}

int status_round(struct store *st, const struct config *cfg,
                 const struct holidays *h, int64_t round_id, int64_t now,
                 status_fn fn, void *arg, char **errp)
{
	struct status_round_info *ri = xcalloc(1, sizeof *ri);
	struct status_load l = { 0 };
	int rc = store_query(st, errp, status_round_cb, ri,
	                     "SELECT regime, closes_on FROM rounds WHERE id = ?",
	                     "I", round_id);
	if (rc == FOID_OK && !ri->reg.name[0])
		rc = err_set(errp, FOID_ENOTFOUND, "no round %lld", (long long)round_id);
	if (rc == FOID_OK && cfg->very_overdue_days)
		ri->reg.very_overdue = cfg->very_overdue_days;
	if (rc == FOID_OK && cfg->timezone)
		snprintf(ri->reg.tz, sizeof ri->reg.tz, "%s", cfg->timezone);
	if (rc == FOID_OK)
		rc = status_load(st, round_id, &l, errp);
	/* Both lists are in request order (ids follow seq within a round). */
	size_t e = 0;
	for (size_t i = 0; rc == FOID_OK && i < l.nreqs; i++) {
		while (e < l.nevs && l.evs[e].request_id < l.reqs[i].id)
			e++;
		size_t first = e;
		while (e < l.nevs && l.evs[e].request_id == l.reqs[i].id)
			e++;
		struct status s;
		memset(&s, 0, sizeof s);
		rc = status_one(h, ri, &l.reqs[i], l.evs + first, e - first, now, &s, errp);
		if (rc == FOID_OK)
			rc = fn(&s, arg);
		strv_free(&s.reminders);
	}
	status_load_free(&l);
	free(ri->closes);
	free(ri);
	return rc;
}

struct status_refresh_arg {
	struct store *st;
	const struct status_load *l;
	size_t next;    /* status_round visits requests in the load's order */
	int changed;
};

static int status_refresh_cb(const struct status *s, void *arg)
{
	struct status_refresh_arg *a = arg;
	const char *old = NULL;
	while (a->next < a->l->nreqs && a->l->reqs[a->next].id != s->request_id)
		a->next++;
	if (a->next < a->l->nreqs)
		old = a->l->reqs[a->next].due_cached;
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
		int64_t rid = strtoll(ids.v[k], NULL, 10);
		struct status_load l = { 0 };
		struct status_refresh_arg a = { st, &l, 0, 0 };
		rc = status_load(st, rid, &l, errp);
		if (rc == FOID_OK)
			rc = store_begin(st, errp);
		if (rc == FOID_OK) {
			rc = status_round(st, cfg, h, rid, now, status_refresh_cb, &a, errp);
			if (rc == FOID_OK)
				rc = store_commit(st, errp);
			else
				store_rollback(st);
		}
		*nchanged += a.changed;
		status_load_free(&l);
	}
	strv_free(&ids);
	return rc;
}
