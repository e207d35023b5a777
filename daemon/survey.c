#include "survey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "deadline.h"
#include "json.h"
#include "log.h"
#include "round_view.h"
#include "store.h"
#include "survey_parse.h"

static int survey_question_cb(const struct store_row *row, void *arg)
{
	struct survey_questions *qs = arg;
	qs->v = xrealloc(qs->v, (qs->n + 1) * sizeof *qs->v);
	struct survey_question *q = &qs->v[qs->n++];
	q->position = (int)store_row_int(row, 0);
	store_row_texts(row, 1, (char **const[]){ &q->key, &q->type, &q->choices,
		&q->synonyms, &q->wording, &q->unit, NULL });
	return 0;
}

int survey_questions_load(struct store *st, int64_t round_id,
                          struct survey_questions *qs, char **errp)
{
	memset(qs, 0, sizeof *qs);
	return store_query(st, errp, survey_question_cb, qs,
	                   "SELECT position, key, type, choices, synonyms, wording, unit"
	                   " FROM questions WHERE round_id = ? ORDER BY position",
	                   "I", round_id);
}

void survey_questions_free(struct survey_questions *qs)
{
	for (size_t i = 0; qs && i < qs->n; i++) {
		struct survey_question *q = &qs->v[i];
		free(q->key);
		free(q->type);
		free(q->choices);
		free(q->synonyms);
		free(q->wording);
		free(q->unit);
	}
	if (qs) {
		free(qs->v);
		memset(qs, 0, sizeof *qs);
	}
}

/* Appends text wrapped at 72 columns, the first line after first, the
 * rest after indent, each line starting with prefix. */
static void survey_wrap(struct buf *b, const char *prefix, const char *first,
                        const char *indent, const char *text)
{
	size_t col = strlen(prefix) + strlen(first);
	buf_addf(b, "%s%s", prefix, first);
	int at_start = 1;
	for (const char *p = text; *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		if (!at_start && col + 1 + n > 72) {
			buf_addf(b, "\n%s%s", prefix, indent);
			col = strlen(prefix) + strlen(indent);
			at_start = 1;
		}
		if (!at_start) {
			buf_addc(b, ' ');
			col++;
		}
		buf_add(b, p, n);
		col += n;
		p += n;
		at_start = 0;
	}
	buf_addc(b, '\n');
}

char *survey_questions_text(const struct survey_questions *qs, const char *prefix,
                            const int *only)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < qs->n; i++) {
		const struct survey_question *q = &qs->v[i];
		if (only && !only[i])
			continue;
		if (b.len)
			buf_addf(&b, "%s\n", prefix[0] == '>' ? ">" : "");
		char num[16];
		snprintf(num, sizeof num, "%d. ", q->position);
		survey_wrap(&b, prefix, num, "   ", q->wording ? q->wording : q->key);
		buf_addf(&b, "%s   (", prefix);
		if (strcmp(q->type, "choice") == 0)
			for (const char *c = q->choices; *c; c++)
				buf_addc(&b, *c == '|' ? '/' : *c);
		else if (strcmp(q->type, "number") == 0)
			buf_addf(&b, "a number%s%s", q->unit ? " of " : "", q->unit ? q->unit : "");
		else
			buf_adds(&b, "in your own words");
		buf_adds(&b, ")\n");
	}
	return buf_detach(&b);
}

/* The survey_q views of qs, borrowing its strings. */
static struct survey_q *survey_parse_view(const struct survey_questions *qs)
{
	struct survey_q *v = xcalloc(qs->n ? qs->n : 1, sizeof *v);
	for (size_t i = 0; i < qs->n; i++)
		v[i] = (struct survey_q){ qs->v[i].type, qs->v[i].choices, qs->v[i].synonyms,
		                          qs->v[i].wording };
	return v;
}

/* Collects one text column, NULL as "". */
static int survey_strv_cb(const struct store_row *row, void *arg)
{
	strv_push(arg, store_row_text_or(row, 0, ""));
	return 0;
}

static int survey_part_cb(const struct store_row *row, void *arg)
{
	strv_push(arg, store_row_text_or(row, 1, ""));
	return 0;
}

/* The request and survey round of a message; zeros when it is none. */
struct survey_of {
	int64_t request, round;
};

static int survey_of_cb(const struct store_row *row, void *arg)
{
	struct survey_of *o = arg;
	o->request = store_row_int(row, 0);
	o->round = store_row_int(row, 1);
	return STORE_STOP;
}

int survey_code_message(struct store *st, int64_t row, int *ncoded, char **errp)
{
	struct survey_of of = { 0, 0 };
	if (ncoded)
		*ncoded = 0;
	int rc = store_query(st, errp, survey_of_cb, &of,
	                     "SELECT q.id, r.id FROM messages m"
	                     " JOIN requests q ON q.id = m.request_id"
	                     " JOIN rounds r ON r.id = q.round_id"
	                     " WHERE m.id = ? AND m.direction = 'in' AND m.kind = 'response'"
	                     " AND r.kind = 'survey'", "I", row);
	if (rc || !of.round)
		return rc;
	int64_t req = of.request, round = of.round;
	struct survey_questions qs;
	struct strv texts = STRV_INIT;
	rc = survey_questions_load(st, round, &qs, errp);
	/* The body first: a form attachment fills only what it left. */
	if (rc == FOID_OK)
		rc = store_message_parts(st, row, survey_part_cb, &texts, errp);
	struct survey_q *view = survey_parse_view(&qs);
	struct survey_answer *ans = xcalloc(qs.n ? qs.n : 1, sizeof *ans);
	for (size_t t = 0; rc == FOID_OK && t < texts.n; t++)
		survey_parse(view, qs.n, texts.v[t], ans);
	for (size_t i = 0; rc == FOID_OK && i < qs.n; i++) {
		if (!ans[i].value)
			continue;
		struct code_answer a = { qs.v[i].key, ans[i].value, ans[i].comment, 1,
		                         ans[i].confidence, row, "foid" };
		char *e = NULL;
		int r = code_set(st, req, &a, &e);
		if (r == FOID_OK && ncoded)
			(*ncoded)++;
		else if (r == FOID_EINVAL)
			log_warn("event=survey.unfit message=%lld key=%s error=%s",
			         (long long)row, qs.v[i].key, log_q(e));
		else if (r)
			rc = err_set(errp, r, "%s", e ? e : "coding an answer");
		free(e);
	}
	survey_answers_clear(ans, qs.n);
	free(ans);
	free(view);
	strv_free(&texts);
	survey_questions_free(&qs);
	return rc;
}

struct survey_states {
	struct survey_state *v;
	size_t n;
};

static int survey_state_cb(const struct store_row *row, void *arg)
{
	struct survey_states *s = arg;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	s->v[s->n++] = (struct survey_state){ store_row_int(row, 0), (int)store_row_int(row, 1),
	                                      (int)store_row_int(row, 2),
	                                      (int)store_row_int(row, 3),
	                                      store_row_int(row, 4) };
	return 0;
}

int survey_states_load(struct store *st, int64_t round_id,
                       struct survey_state **out, size_t *n, char **errp)
{
	struct survey_states s = { NULL, 0 };
	int rc = store_query(st, errp, survey_state_cb, &s,
	                     "SELECT q.id, (SELECT count(*) FROM questions"
	                     " WHERE round_id = q.round_id),"
	                     " (SELECT count(*) FROM answers a WHERE a.request_id = q.id),"
	                     " (SELECT count(*) FROM answers a WHERE a.request_id = q.id"
	                     " AND a.machine = 1 AND a.confidence < ?),"
	                     " (SELECT coalesce(max(m.id), 0) FROM messages m"
	                     " WHERE m.request_id = q.id AND m.direction = 'in'"
	                     " AND m.kind = 'response')"
	                     " FROM requests q WHERE q.round_id = ? ORDER BY q.id",
	                     "iI", SURVEY_SURE, round_id);
	if (rc) {
		free(s.v);
		s.v = NULL;
		s.n = 0;
	}
	*out = s.v;
	*n = s.n;
	return rc;
}

enum status_code survey_status(const struct survey_state *s)
{
	if (s->answered == 0 || s->unsure > 0)
		return STATUS_REVIEW;
	return s->answered < s->questions ? STATUS_PARTIAL : STATUS_RESPONDED;
}

int survey_missing_text(struct store *st, int64_t request_id, char **out,
                        int *nmissing, char **errp)
{
	*out = NULL;
	*nmissing = 0;
	int64_t round = 0;
	struct survey_questions qs = { NULL, 0 };
	struct strv have = STRV_INIT;
	int rc = store_query_int(st, errp, &round,
	                         "SELECT round_id FROM requests WHERE id = ?", "I", request_id);
	if (rc == FOID_OK)
		rc = survey_questions_load(st, round, &qs, errp);
	if (rc == FOID_OK)
		rc = store_query(st, errp, survey_strv_cb, &have,
		                 "SELECT key FROM answers WHERE request_id = ?", "I", request_id);
	if (rc == FOID_OK) {
		int *only = xcalloc(qs.n ? qs.n : 1, sizeof *only);
		for (size_t i = 0; i < qs.n; i++) {
			only[i] = 1;
			for (size_t k = 0; k < have.n; k++)
				if (strcmp(have.v[k], qs.v[i].key) == 0)
					only[i] = 0;
			*nmissing += only[i];
		}
		*out = survey_questions_text(&qs, "> ", only);
		free(only);
	}
	strv_free(&have);
	survey_questions_free(&qs);
	return rc;
}

/* The results: first the response rate. */
struct survey_rate {
	int64_t closes_end;   /* 0: no closing date */
	int sent, by_close, after, responded, partial, review;
};

static int survey_rate_cb(const struct store_row *row, void *arg)
{
	struct survey_rate *r = arg;
	int64_t first = store_row_int(row, 0);
	r->sent++;
	if (first && (!r->closes_end || first < r->closes_end))
		r->by_close++;
	else if (first)
		r->after++;
	return 0;
}

static int survey_pct(int n, int of)
{
	return of ? (int)((100.0 * n) / of + 0.5) : 0;
}

static int survey_double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct survey_values {
	struct strv v;
	int unconfirmed;
};

static int survey_value_cb(const struct store_row *row, void *arg)
{
	struct survey_values *x = arg;
	strv_push(&x->v, store_row_text(row, 0));
	x->unconfirmed += store_row_int(row, 1) != 0;
	return 0;
}

static size_t survey_choice_count(const struct survey_values *x, const char *choice)
{
	size_t n = 0;
	for (size_t i = 0; i < x->v.n; i++)
		n += strcmp(x->v.v[i], choice) == 0;
	return n;
}

/* The median and range of a number's answers; 0 when it has none. */
static int survey_number_stats(const struct survey_values *x, double *median, double *lo,
                               double *hi)
{
	size_t n = x->v.n;
	if (!n)
		return 0;
	double *d = xcalloc(n, sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = strtod(x->v.v[i], NULL);
	qsort(d, n, sizeof *d, survey_double_cmp);
	*median = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
	*lo = d[0];
	*hi = d[n - 1];
	free(d);
	return 1;
}

/* One question's tally as a line: a choice's counts, a number's median
 * and range, a text's count of answers. */
static void survey_tally_text(struct buf *out, const struct survey_question *q,
                              const struct survey_values *x)
{
	double median, lo, hi;
	buf_addf(out, "%d. %s: ", q->position, q->key);
	if (strcmp(q->type, "choice") == 0) {
		char *copy = xstrdup(q->choices), *save = NULL;
		const char *sep = "";
		for (char *c = strtok_r(copy, "|", &save); c; c = strtok_r(NULL, "|", &save)) {
			buf_addf(out, "%s%s %zu", sep, c, survey_choice_count(x, c));
			sep = ", ";
		}
		free(copy);
	} else if (strcmp(q->type, "number") == 0 && survey_number_stats(x, &median, &lo, &hi)) {
		buf_addf(out, "median %g%s%s, range %g-%g", median, q->unit ? " " : "",
		         q->unit ? q->unit : "", lo, hi);
	} else if (strcmp(q->type, "number") == 0) {
		buf_adds(out, "no answers");
	} else {
		buf_addf(out, "%zu answer%s in words", x->v.n, x->v.n == 1 ? "" : "s");
	}
	buf_addf(out, " (%zu answered", x->v.n);
	if (x->unconfirmed)
		buf_addf(out, ", %d machine-read, unconfirmed", x->unconfirmed);
	buf_adds(out, ")\n");
}

/* The same as one JSON object; a number without answers has no median. */
static void survey_tally_json(struct jws *w, const struct survey_question *q,
                              const struct survey_values *x)
{
	double median, lo, hi;
	jws_begin_object(w);
	jws_kint(w, "position", q->position);
	jws_kstr(w, "key", q->key);
	jws_kstr(w, "type", q->type);
	jws_kstr(w, "unit", q->unit);
	jws_kint(w, "answered", (int64_t)x->v.n);
	jws_kint(w, "unconfirmed", x->unconfirmed);
	if (strcmp(q->type, "choice") == 0) {
		char *copy = xstrdup(q->choices), *save = NULL;
		jws_key(w, "choices");
		jws_begin_object(w);
		for (char *c = strtok_r(copy, "|", &save); c; c = strtok_r(NULL, "|", &save))
			jws_kint(w, c, (int64_t)survey_choice_count(x, c));
		jws_end_object(w);
		free(copy);
	} else if (strcmp(q->type, "number") == 0 && survey_number_stats(x, &median, &lo, &hi)) {
		jws_key(w, "median");
		jws_num(w, median);
		jws_key(w, "min");
		jws_num(w, lo);
		jws_key(w, "max");
		jws_num(w, hi);
	}
	jws_end_object(w);
}

static void survey_rate_text(struct buf *out, const struct survey_rate *r,
                             const struct round_view *v, int64_t now)
{
	if (r->closes_end)
		buf_addf(out, "response rate: %d of %d (%d%%) by the closing date %s%s",
		         r->by_close, r->sent, survey_pct(r->by_close, r->sent), v->closes_on,
		         now < r->closes_end ? " (still open)" : "");
	else
		buf_addf(out, "response rate: %d of %d (%d%%)", r->by_close, r->sent,
		         survey_pct(r->by_close, r->sent));
	if (r->after)
		buf_addf(out, ", %d of %d (%d%%) with later replies", r->by_close + r->after,
		         r->sent, survey_pct(r->by_close + r->after, r->sent));
	buf_addf(out, "\nreplies: %d responded, %d partial, %d to review\n", r->responded,
	         r->partial, r->review);
}

/* Opens the results object and its "questions" array. */
static void survey_rate_json(struct jws *w, const struct survey_rate *r,
                             const struct round_view *v, int64_t now)
{
	jws_begin_object(w);
	jws_kstr(w, "closes_on", v->closes_on);
	jws_key(w, "open");
	jws_bool(w, r->closes_end && now < r->closes_end);
	jws_kint(w, "sent", r->sent);
	jws_kint(w, "replied_by_close", r->by_close);
	jws_kint(w, "replied_later", r->after);
	jws_kint(w, "responded", r->responded);
	jws_kint(w, "partial", r->partial);
	jws_kint(w, "review", r->review);
	jws_key(w, "questions");
	jws_begin_array(w);
}

int survey_results(struct store *st, const struct round_view *v, int64_t now,
                   struct buf *out, struct jws *w, char **errp)
{
	struct survey_rate r = { 0 };
	struct deadline_date close;
	if (v->closes_on && deadline_date_parse(v->closes_on, &close, NULL) == FOID_OK)
		r.closes_end = deadline_end_of_day(close, v->regime.tz);
	int rc = store_query(st, errp, survey_rate_cb, &r,
	                     "SELECT (SELECT min(coalesce(m.internaldate, m.created_at))"
	                     " FROM messages m WHERE m.request_id = q.id AND"
	                     " m.direction = 'in' AND m.kind = 'response')"
	                     " FROM requests q WHERE q.round_id = ? AND q.sent_at IS NOT NULL"
	                     " AND q.withdrawn_at IS NULL", "I", v->id);
	struct survey_state *states = NULL;
	size_t nstates = 0;
	if (rc == FOID_OK)
		rc = survey_states_load(st, v->id, &states, &nstates, errp);
	for (size_t i = 0; rc == FOID_OK && i < nstates; i++) {
		if (!states[i].reply)
			continue;
		enum status_code c = survey_status(&states[i]);
		r.responded += c == STATUS_RESPONDED;
		r.partial += c == STATUS_PARTIAL;
		r.review += c == STATUS_REVIEW;
	}
	free(states);
	if (rc)
		return rc;
	if (w)
		survey_rate_json(w, &r, v, now);
	else
		survey_rate_text(out, &r, v, now);
	struct survey_questions qs;
	rc = survey_questions_load(st, v->id, &qs, errp);
	for (size_t i = 0; rc == FOID_OK && i < qs.n; i++) {
		struct survey_values x = { STRV_INIT, 0 };
		rc = store_query(st, errp, survey_value_cb, &x,
		                 "SELECT a.value, a.machine FROM answers a JOIN requests q"
		                 " ON q.id = a.request_id WHERE q.round_id = ? AND a.key = ?"
		                 " AND q.withdrawn_at IS NULL", "Is", v->id, qs.v[i].key);
		if (rc == FOID_OK && w)
			survey_tally_json(w, &qs.v[i], &x);
		else if (rc == FOID_OK)
			survey_tally_text(out, &qs.v[i], &x);
		strv_free(&x.v);
	}
	survey_questions_free(&qs);
	if (w) {
		jws_end_array(w);
		jws_end_object(w);
	}
	return rc;
}

struct survey_who {
	char *slug, *short_name;
};

static int survey_who_cb(const struct store_row *row, void *arg)
{
	struct survey_who *w = arg;
	w->slug = xstrdup(store_row_text(row, 0));
	w->short_name = xstrdup(store_row_text(row, 1));
	return STORE_STOP;
}

int survey_waiting(struct store *st, const char *indent, struct buf *out, int *n,
                   char **errp)
{
	struct strv rounds = STRV_INIT;
	*n = 0;
	int rc = store_query(st, errp, survey_strv_cb, &rounds,
	                     "SELECT id FROM rounds WHERE kind = 'survey' AND state != 'draft'"
	                     " ORDER BY id", NULL);
	for (size_t k = 0; rc == FOID_OK && k < rounds.n; k++) {
		struct survey_state *s = NULL;
		size_t ns = 0;
		rc = survey_states_load(st, strtoll(rounds.v[k], NULL, 10), &s, &ns, errp);
		for (size_t i = 0; rc == FOID_OK && i < ns; i++) {
			if (!s[i].reply || survey_status(&s[i]) != STATUS_REVIEW)
				continue;
			if (!out) {
				(*n)++;
				continue;
			}
			struct survey_who w = { NULL, NULL };
			rc = store_query(st, errp, survey_who_cb, &w,
			                 "SELECT r.slug, b.short_name FROM requests q"
			                 " JOIN rounds r ON r.id = q.round_id"
			                 " JOIN bodies b ON b.id = q.body_id WHERE q.id = ?",
			                 "I", s[i].request_id);
			if (rc == FOID_OK && w.slug) {
				buf_addf(out, "%s#%lld  survey %s %s: %d of %d answers read, %d unsure\n"
				         "%s    read it: foictl read %lld; then foictl code %s %s"
				         " KEY=VALUE... or --confirm\n", indent, (long long)s[i].reply,
				         w.slug, w.short_name, s[i].answered, s[i].questions,
				         s[i].unsure, indent, (long long)s[i].reply, w.slug,
				         w.short_name);
				(*n)++;
			}
			free(w.slug);
			free(w.short_name);
		}
		free(s);
	}
	strv_free(&rounds);
	return rc;
}
