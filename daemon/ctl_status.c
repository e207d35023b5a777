/* foictl status: where every request of a round stands; foictl confirm:
 * a person settles a send whose outcome is unknown. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "deadline.h"
#include "health.h"
#include "json.h"
#include "status.h"
#include "ctl.h"
#include "round.h"
#include "round_view.h"
#include "send.h"
#include "store.h"
#include "survey.h"
#include "util.h"

struct ctl_status_row {
	struct status s;    /* s.row: the request and its body, in the view */
	struct strv reminders;
	int rank; /* status_rank, for sorting */
};

struct ctl_status_all {
	struct ctl_status_row *v;
	size_t n;
	int count[STATUS_COUNT]; /* requests per status */
};

static int ctl_status_collect(const struct status *s, void *arg)
{
	struct ctl_status_all *a = arg;
	a->v = xrealloc(a->v, (a->n + 1) * sizeof *a->v);
	struct ctl_status_row *r = &a->v[a->n++];
	memset(r, 0, sizeof *r);
	r->s = *s;
	r->s.reminders.v = NULL;
	r->s.reminders.n = 0;
	for (size_t i = 0; i < s->reminders.n; i++)
		strv_push(&r->reminders, s->reminders.v[i]);
	return 0;
}

static void ctl_status_free(struct ctl_status_all *a)
{
	for (size_t i = 0; i < a->n; i++)
		strv_free(&a->v[i].reminders);
	free(a->v);
}

static int ctl_status_cmp(const void *x, const void *y)
{
	const struct ctl_status_row *a = x, *b = y;
	if (a->rank != b->rank)
		return a->rank - b->rank;
	return strcmp(a->s.row->reference, b->s.row->reference);
}

static void ctl_status_iso(struct jws *w, const char *key, int64_t t, const char *tz)
{
	jws_key(w, key);
	if (!t) {
		jws_null(w);
		return;
	}
	char *s = util_iso8601(t, tz);
	jws_str(w, s);
	free(s);
}

static int ctl_status_json(FILE *out, struct store *st, const struct round_view *h,
                           const struct ctl_status_all *a, char **errp)
{
	int rc = FOID_OK;
	const char *tz = h->regime.tz;
	struct jws *w = jws_new();
	jws_begin_object(w);
	/* Servers foid cannot use: why nothing moves. */
	jws_key(w, "servers");
	health_json(st, tz, w, NULL);
	jws_key(w, "round");
	jws_begin_object(w);
	jws_kstr(w, "slug", h->slug);
	jws_kstr(w, "kind", h->kind);
	jws_kstr(w, "regime", h->regime.name);
	ctl_status_iso(w, "launched_at", h->launched_at, tz);
	jws_end_object(w);
	jws_key(w, "totals");
	jws_begin_object(w);
	int on_time = 0, late = 0, overdue = 0, very = 0;
	for (int k = 0; k < STATUS_COUNT; k++)
		jws_kint(w, status_name((enum status_code)k), a->count[k]);
	for (size_t i = 0; i < a->n; i++) {
		on_time += a->v[i].s.on_time == 1;
		late += a->v[i].s.on_time == 0;
		overdue += a->v[i].s.overdue;
		very += a->v[i].s.very_overdue;
	}
	jws_kint(w, "on_time", on_time);
	jws_kint(w, "late", late);
	jws_kint(w, "overdue", overdue);
	jws_kint(w, "very_overdue", very);
	jws_kint(w, "bodies", (int64_t)a->n);
	jws_end_object(w);
	jws_key(w, "requests");
	jws_begin_array(w);
	for (size_t i = 0; i < a->n; i++) {
		const struct ctl_status_row *r = &a->v[i];
		jws_begin_object(w);
		jws_kstr(w, "short_name", r->s.row->short_name);
		jws_kstr(w, "name", r->s.row->name);
		jws_kstr(w, "email", r->s.row->email);
		jws_kstr(w, "reference", r->s.row->reference);
		jws_kstr(w, "status", status_name(r->s.status));
		ctl_status_iso(w, "sent_at", r->s.sent_at, tz);
		jws_kstr(w, "due_date", r->s.due[0] ? r->s.due : NULL);
		ctl_status_iso(w, "first_response_at", r->s.first_response_at, tz);
		jws_key(w, "on_time");
		if (r->s.on_time < 0)
			jws_null(w);
		else
			jws_bool(w, r->s.on_time);
		jws_key(w, "overdue");
		jws_bool(w, r->s.overdue);
		jws_key(w, "very_overdue");
		jws_bool(w, r->s.very_overdue);
		jws_key(w, "working_days_taken");
		if (r->s.working_days_taken < 0)
			jws_null(w);
		else
			jws_int(w, r->s.working_days_taken);
		jws_kstr(w, "their_reference", r->s.row->their_reference);
		jws_key(w, "reminders_sent");
		jws_begin_array(w);
		for (size_t k = 0; k < r->reminders.n; k++)
			jws_str(w, r->reminders.v[k]);
		jws_end_array(w);
		jws_kint(w, "messages", r->s.messages);
		/* Received messages waiting for a person (foictl mark settles
		 * each); an answered request may still have one. */
		jws_kint(w, "review_messages", r->s.review_messages);
		jws_key(w, "review_message");
		if (r->s.review_message)
			jws_int(w, r->s.review_message);
		else
			jws_null(w);
		jws_end_object(w);
	}
	jws_end_array(w);
	/* A survey's response rate and tallies, as the table prints them. */
	if (strcmp(h->kind, "survey") == 0) {
		jws_key(w, "survey");
		rc = survey_results(st, h, util_now(), NULL, w, errp);
	}
	jws_end_object(w);
	char *text = jws_finish(w);
	if (rc == FOID_OK) {
		fputs(text, out);
		fputc('\n', out);
	}
	free(text);
	return rc;
}

static void ctl_status_table(FILE *out, const struct round_view *h,
                             const struct ctl_status_all *a, int64_t unmatched)
{
	const char *tz = h->regime.tz;
	int colour = ctl_colour(out);
	fprintf(out, "round %s (%s, %s): %zu bodies\n", h->slug, h->kind, h->regime.name,
	        a->n);
	for (int k = 0; k < STATUS_COUNT; k++)
		if (a->count[k])
			fprintf(out, "  %-13s %4d\n", status_name((enum status_code)k),
			        a->count[k]);
	int overdue = 0, on_time = 0, late = 0;
	for (size_t i = 0; i < a->n; i++) {
		overdue += a->v[i].s.overdue;
		on_time += a->v[i].s.on_time == 1;
		late += a->v[i].s.on_time == 0;
	}
	fprintf(out, "  answered on time %d, late %d; overdue now %d\n", on_time, late,
	        overdue);
	if (unmatched)
		fprintf(out, "%lld received message%s need a person: foictl inbox\n",
		        (long long)unmatched, unmatched == 1 ? "" : "s");
	int unconfirmed = 0;
	for (size_t i = 0; i < a->n; i++)
		unconfirmed += a->v[i].s.status == STATUS_UNCONFIRMED;
	if (unconfirmed)
		fprintf(out, "%d unconfirmed: foid could not tell whether the server took "
		        "them.\n  Settle each with: foictl confirm %s SHORT_NAME --sent | "
		        "--resend\n", unconfirmed, h->slug);
	int review = a->count[STATUS_REVIEW];
	if (review)
		fprintf(out, "%d in review: a reply foid could not tell holds every chaser"
		        " until a person marks it.\n  Read each with foictl inbox; settle it"
		        " with: foictl mark MESSAGE KIND\n", review);
	fprintf(out, "%-22s %-13s %-10s %-6s %s\n", "body", "status", "due", "days",
	        "last");
	for (size_t i = 0; i < a->n; i++) {
		const struct ctl_status_row *r = &a->v[i];
		char days[16] = "-";
		if (r->s.overdue)
			snprintf(days, sizeof days, "late");
		else if (r->s.working_days_taken >= 0)
			snprintf(days, sizeof days, "%d", r->s.working_days_taken);
		char last[24] = "";
		if (r->s.last_event_at) {
			char *iso = util_iso8601(r->s.last_event_at, tz);
			snprintf(last, sizeof last, "%.10s %.12s", iso, r->s.last_event);
			free(iso);
		}
		const char *on = colour ? status_colour(&r->s) : "";
		fprintf(out, "%-22.22s %s%-13s%s %-10s %-6s %s\n", r->s.row->short_name, on,
		        status_name(r->s.status), *on ? "\033[0m" : "", r->s.due[0] ? r->s.due : "-", days,
		        last);
	}
}

/* Servers foid cannot use, first: nothing else moves until they work. */
static void ctl_status_health(FILE *out, struct store *st, const char *tz)
{
	struct buf b = BUF_INIT;
	if (health_text(st, tz, "", &b, NULL) == FOID_OK && b.len)
		fputs(b.data, out);
	buf_free(&b);
}

static int ctl_status_round(struct ctl *c, struct store *st, const char *slug,
                            int json)
{
	char *err = NULL;
	struct holidays *h = NULL;
	struct round_view *v = NULL;
	struct ctl_status_all a = { 0 };
	int rc = holidays_load_data(ctl_data_dir(c), &h, &err);
	if (rc == FOID_OK)
		rc = round_view_load(st, c->cfg, h, slug, 0, &v, &err);
	if (rc == FOID_OK)
		rc = status_view(st, v, util_now(), ctl_status_collect, &a, &err);
	if (rc)
		goto out;
	for (size_t i = 0; i < a.n; i++) {
		struct ctl_status_row *r = &a.v[i];
		r->rank = status_rank(&r->s);
		a.count[r->s.status]++;
	}
	qsort(a.v, a.n, sizeof *a.v, ctl_status_cmp);
	if (json) {
		rc = ctl_status_json(c->out, st, v, &a, &err);
	} else {
		int64_t unmatched = 0;
		store_query_int(st, NULL, &unmatched,
		                "SELECT count(*) FROM messages m WHERE " CTL_INBOX_SQL, "i",
		                c->cfg->review_below);
		/* Survey replies to confirm are in foictl inbox too. */
		int nsurvey = 0;
		if (survey_waiting(st, "", NULL, &nsurvey, NULL) == FOID_OK)
			unmatched += nsurvey;
		ctl_status_health(c->out, st, v->regime.tz);
		ctl_status_table(c->out, v, &a, unmatched);
		if (strcmp(v->kind, "survey") == 0) {
			struct buf res = BUF_INIT;
			rc = survey_results(st, v, util_now(), &res, NULL, &err);
			if (rc == FOID_OK)
				fputs(res.data ? res.data : "", c->out);
			buf_free(&res);
		}
	}
out:
	if (rc)
		rc = ctl_fail("status", rc, err);
	ctl_status_free(&a);
	round_view_free(v);
	holidays_free(h);
	free(err);
	return rc;
}

static int ctl_status_list(const struct store_row *row, void *arg)
{
	FILE *out = arg;
	fprintf(out, "%-16s %-7s %-9s %5lld requests, %lld sent, %lld unconfirmed\n",
	        store_row_text(row, 0), store_row_text(row, 1), store_row_text(row, 2),
	        (long long)store_row_int(row, 3), (long long)store_row_int(row, 4),
	        (long long)store_row_int(row, 5));
	return 0;
}

/* foictl status --json without a round: the servers' health alone. */
static int ctl_status_servers_json(struct ctl *c, struct store *st)
{
	struct jws *w = jws_new();
	char *err = NULL;
	jws_begin_object(w);
	jws_key(w, "servers");
	int rc = health_json(st, c->cfg->timezone, w, &err);
	jws_end_object(w);
	char *text = jws_finish(w);
	rc = ctl_done(c, "status", rc, err, "%s\n", text);
	free(text);
	return rc;
}

int ctl_status(struct ctl *c, int argc, char **argv)
{
	int json = 0, nargs = 0;
	const struct ctl_opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	struct store *st = NULL;
	int ex = ctl_args_open(c, "status", opts, 0, 1, argc, argv, &nargs, &st);
	if (ex != CTL_ARGS_RUN)
		return ex;
	const char *slug = nargs ? argv[1] : NULL;
	if (slug)
		return ctl_status_round(c, st, slug, json);
	if (json)
		return ctl_status_servers_json(c, st);
	ctl_status_health(c->out, st, c->cfg->timezone);
	char *err = NULL;
	int rc = store_query(st, &err, ctl_status_list, c->out,
	                     "SELECT r.slug, r.kind, r.state, count(q.id),"
	                     " count(q.id) FILTER (WHERE q.delivery = 'sent'),"
	                     " count(q.id) FILTER (WHERE q.delivery = 'unconfirmed')"
	                     " FROM rounds r LEFT JOIN requests q ON q.round_id = r.id"
	                     " GROUP BY r.id ORDER BY r.created_at", NULL);
	if (rc)
		rc = ctl_fail("status", rc, err);
	free(err);
	return rc;
}

int ctl_confirm(struct ctl *c, int argc, char **argv)
{
	const char *note = NULL;
	int sent = 0, resend = 0;
	const struct ctl_opt opts[] = {
		{ "--sent", NULL, &sent }, { "--resend", NULL, &resend },
		{ "--note", &note, NULL }, { NULL, NULL, NULL },
	};
	int ex = ctl_args_parse(c, "confirm", opts, 2, 2, argc, argv, NULL);
	if (ex != CTL_ARGS_RUN)
		return ex;
	if (sent == resend)
		return ctl_usage_error("confirm", "give one of --sent and --resend");
	const char *pos[2] = { argv[1], argv[2] };
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	char *err = NULL, *mid = NULL;
	int rc = store_query_text(st, &err, &mid,
	                          "SELECT m.message_id FROM messages m"
	                          " JOIN requests q ON q.id = m.request_id"
	                          " JOIN rounds r ON r.id = q.round_id"
	                          " JOIN bodies b ON b.id = q.body_id"
	                          " WHERE r.slug = ? AND b.short_name = ?"
	                          " AND m.purpose = 'request' AND m.direction = 'out'",
	                          "ss", pos[0], pos[1]);
	if (rc == FOID_ENOTFOUND)
		err_set(&err, rc, "round %s has no queued request to %s", pos[0], pos[1]);
	if (rc == FOID_OK && sent) {
		char *proof = xasprintf("confirmed by a person%s%s", note ? ": " : "",
		                        note ? note : "");
		rc = send_confirm(st, c->cfg, mid, proof, "foictl", &err);
		free(proof);
	} else if (rc == FOID_OK) {
		rc = send_resend(st, mid, "foictl", &err);
	}
	if (rc == FOID_OK)
		fprintf(c->out, "%s %s: %s\n", pos[0], pos[1],
		        sent ? "marked sent" : "queued again; foid will send it");
	else
		rc = ctl_fail("confirm", rc, err);
	free(mid);
	free(err);
	return rc;
}
