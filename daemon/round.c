#include "round.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodies.h"
#include "config.h"
#include "deadline.h"
#include "message.h"
#include "round_view.h"
#include "status.h"
#include "send.h"
#include "store.h"
#include "survey.h"
#include "template.h"

struct round_row {
	int64_t id;
	char *slug, *kind, *title, *regime, *closes_on, *ref_prefix;
	char *template_path, *template_text, *state;
	int64_t launched_at;
	char *questions;  /* surveys: {{survey.questions}}; NULL for FOI */
	size_t nquestions;
};

/* Everything a template may ask for about one request. */
struct round_render {
	const struct config *cfg;
	const struct round_row *r;
	const struct body *b;
	const char *reference;
	char due[11];
	char today[11];
	/* Follow-ups only: */
	const struct round_followup *fu;
	char original_date[11];
	const char *original_subject;
};

static void round_row_clear(struct round_row *r)
{
	free(r->slug);
	free(r->kind);
	free(r->title);
	free(r->regime);
	free(r->closes_on);
	free(r->ref_prefix);
	free(r->template_path);
	free(r->template_text);
	free(r->state);
	free(r->questions);
	memset(r, 0, sizeof *r);
}

static int round_row_cb(const struct store_row *row, void *arg)
{
	struct round_row *r = arg;
	r->id = store_row_int(row, 0);
	store_row_texts(row, 1, (char **const[]){ &r->slug, &r->kind, &r->title,
		&r->regime, &r->closes_on, &r->ref_prefix, &r->template_path,
		&r->template_text, &r->state, NULL });
	r->launched_at = store_row_int(row, 10);
	return STORE_STOP;
}

static int round_load(struct store *st, const char *slug, struct round_row *r,
                      char **errp)
{
	memset(r, 0, sizeof *r);
	int rc = store_query(st, errp, round_row_cb, r,
	                     "SELECT id, slug, kind, title, regime, closes_on,"
	                     " ref_prefix, template_path, template, state,"
	                     " coalesce(launched_at, 0) FROM rounds WHERE slug = ?",
	                     "s", slug);
	if (rc < 0)
		return rc;
	if (!r->id)
		return err_set(errp, FOID_ENOTFOUND, "no round \"%s\" (see foictl status)",
		               slug);
	if (strcmp(r->kind, "survey") == 0) {
		struct survey_questions qs;
		rc = survey_questions_load(st, r->id, &qs, errp);
		if (rc == FOID_OK) {
			r->questions = survey_questions_text(&qs, "", NULL);
			r->nquestions = qs.n;
		}
		survey_questions_free(&qs);
	}
	return rc;
}

int round_id(struct store *st, const char *slug, int64_t *id, char **errp)
{
	int rc = store_query_int(st, errp, id, "SELECT id FROM rounds WHERE slug = ?",
	                         "s", slug);
	if (rc == FOID_ENOTFOUND)
		return err_set(errp, rc, "no round \"%s\" (see foictl status)", slug);
	return rc;
}

/* The entry for name in a NULL-name-terminated list (NULL: none), or NULL. */
static const struct round_extra *round_extra_find(const struct round_extra *e,
                                                  const char *name)
{
	for (; e && e->name; e++)
		if (strcmp(name, e->name) == 0)
			return e;
	return NULL;
}

static const char *round_lookup(void *arg, const char *name)
{
	struct round_render *x = arg;
	const struct body *b = x->b;
	const struct round_extra fields[] = {
		{ "body.name", b->name }, { "body.short_name", b->short_name },
		{ "body.email", b->email }, { "body.kind", b->kind },
		{ "body.region", b->region }, { "request.reference", x->reference },
		{ "request.due_date", x->due }, { "request.sent_date", x->today },
		{ "round.title", x->r->title }, { "round.slug", x->r->slug },
		{ "round.closes", x->r->closes_on }, { "survey.questions", x->r->questions },
		{ "sender.name", x->cfg->team_name }, { "sender.address", x->cfg->team_address },
		{ NULL, NULL },
	};
	const struct round_extra followup[] = {
		{ "original.date", x->original_date },
		{ "original.subject", x->original_subject }, { NULL, NULL },
	};
	const struct round_extra *e = round_extra_find(fields, name);
	if (!e && x->fu)
		e = round_extra_find(followup, name);
	/* Any other body.KEY is one of the body's own attributes. */
	if (!e && util_starts_with(name, "body."))
		return bodies_attr(b, name + 5);
	if (!e && x->fu)
		e = round_extra_find(x->fu->extra, name);
	return e ? e->value : NULL;
}

int round_due_from(const struct config *cfg, const struct holidays *h,
                   const char *regime, const char *closes, int64_t t,
                   char day0[11], char due[11], char **errp)
{
	struct deadline_regime reg;
	int rc = round_view_regime(cfg, regime, &reg, errp);
	if (rc)
		return rc;
	struct deadline_date d0 = deadline_local_date(t, reg.tz), d;
	deadline_date_format(d0, day0);
	rc = status_due_date(h, &reg, closes, d0, 0, &d, errp);
	if (rc == FOID_OK)
		deadline_date_format(d, due);
	return rc;
}

static int round_load_holidays(const struct config *cfg, struct holidays **h,
                               char **errp)
{
	return holidays_load_data(cfg->data_dir, h, errp);
}

/* A template name without a '/' that is not a file here is looked up in
 * templates_dir. */
static char *round_template_path(const struct config *cfg, const char *name)
{
	FILE *f = fopen(name, "r");
	if (f) {
		fclose(f);
		return xstrdup(name);
	}
	if (strchr(name, '/'))
		return xstrdup(name);
	return xasprintf("%s/%s", cfg->templates_dir, name);
}

static int round_template(const struct round_row *r, struct template **t,
                          char **errp)
{
	char *dir = xstrdup(r->template_path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int rc = template_parse(r->template_path, r->template_text,
	                        slash ? dir : NULL, t, errp);
	free(dir);
	return rc;
}

static const char *round_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : addr;
}

/* Everything needed to send one request; owned strings. */
struct round_msg {
	char *raw;
	size_t len;
	char *message_id;
	char *reply_address;
	struct strv rcpts;
	struct template_rendered *tr;
};

static void round_msg_clear(struct round_msg *m)
{
	free(m->raw);
	free(m->message_id);
	free(m->reply_address);
	strv_free(&m->rcpts);
	template_rendered_free(m->tr);
	memset(m, 0, sizeof *m);
}

/* Renders and builds the request for one body.  Problems go to *errp,
 * prefixed with the body so a person can find them. */
static int round_build(const struct config *cfg, const struct holidays *h,
                       const struct round_row *r, const struct template *t,
                       const struct body *b, const char *reference,
                       int64_t now, const struct round_followup *fu,
                       int64_t original_sent, const char *original_subject,
                       struct round_msg *m, char **errp)
{
	struct round_render x = { cfg, r, b, reference, "", "", fu, "", original_subject };
	char *err = NULL;
	int rc = round_due_from(cfg, h, r->regime, r->closes_on, now, x.today,
	                        x.due, &err);
	if (rc == FOID_OK && fu) {
		char unused[11];
		rc = round_due_from(cfg, h, r->regime, r->closes_on, original_sent,
		                    x.original_date, unused, &err);
		if (fu->due)
			snprintf(x.due, sizeof x.due, "%s", fu->due);
	}
	if (rc == FOID_OK)
		rc = template_render(t, round_lookup, &x, &m->tr, &err);
	if (rc)
		goto out;
	struct deadline_regime reg;
	rc = round_view_regime(cfg, r->regime, &reg, &err);
	if (rc)
		goto out;
	m->message_id = message_new_id(round_domain(cfg->team_address));
	const char *reply_to = cfg->reply_to;
	if (cfg->plus_addressing) {
		const char *at = strrchr(cfg->team_address, '@');
		m->reply_address = xasprintf("%.*s+%s%s",
		                             (int)(at - cfg->team_address),
		                             cfg->team_address, reference, at);
		reply_to = m->reply_address;
	}
	struct message_spec spec = { 0 };
	spec.from_name = cfg->team_name;
	spec.from_addr = cfg->team_address;
	spec.reply_to = reply_to;
	spec.to_name = b->name;
	spec.to_addr = b->email;
	spec.cc = &m->tr->cc;
	spec.bcc = cfg->bcc_self ? cfg->team_address : NULL;
	spec.subject = m->tr->subject;
	spec.body = m->tr->body;
	spec.message_id = m->message_id;
	spec.attach_paths = &m->tr->attach_paths;
	spec.in_reply_to = fu ? fu->in_reply_to : NULL;
	spec.references = fu ? fu->references : NULL;
	spec.date = now;
	spec.date_tz = reg.tz;
	spec.extra_header_name = "X-Foid-Reference";
	spec.extra_header_value = reference;
	rc = message_build(&spec, &m->raw, &m->len, &err);
	if (rc == FOID_OK)
		message_recipients(&spec, &m->rcpts);
out:
	if (rc) {
		/* Indent continuation lines so each problem reads under its body. */
		struct buf e = BUF_INIT;
		buf_addf(&e, "%s (%s): ", b->short_name, reference);
		for (const char *p = err ? err : "error"; *p; p++) {
			buf_addc(&e, *p);
			if (*p == '\n' && p[1])
				buf_addf(&e, "%s (%s): ", b->short_name, reference);
		}
		free(err);
		free(*errp);
		*errp = buf_detach(&e);
	}
	return rc;
}

static int round_slug_ok(const char *s)
{
	return s[0] != '-' && util_word_ok(s, 32, UTIL_LOWER_DIGITS "-");
}

static char *round_default_prefix(const char *kind, const char *slug)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, strcmp(kind, "survey") == 0 ? "SRV-" : "FOI-");
	size_t n = 0;
	for (const char *p = slug; *p && n < 12; p++) {
		if (*p == '-')
			continue;
		buf_addc(&b, (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p));
		n++;
	}
	return buf_detach(&b);
}

static int round_prefix_ok(const char *s)
{
	return util_word_ok(s, 24, UTIL_UPPER "0123456789-");
}

static char *round_reference(const char *prefix, int64_t seq)
{
	return xasprintf("%s-%03lld", prefix, (long long)seq);
}

/* Bodies chosen by "all", "tag:TAG" or a file of short names (one per
 * line; blank lines and #comments ignored). */
static int round_select(struct store *st, const char *sel,
                        struct bodies_list *out, char **errp)
{
	if (!sel || strcmp(sel, "all") == 0)
		return bodies_list(st, NULL, out, errp);
	if (util_starts_with(sel, "tag:"))
		return bodies_list(st, sel + 4, out, errp);
	char *text = NULL;
	int rc = util_read_file(sel, &text, NULL, errp);
	if (rc)
		return err_prefix(errp, rc, "--bodies");
	struct buf errs = BUF_INIT;
	struct util_lines lines;
	util_lines_init(&lines, text);
	for (char *line; (line = util_lines_next(&lines));) {
		util_trim(line);
		if (!*line || *line == '#')
			continue;
		struct body *b = NULL;
		char *e = NULL;
		int r = bodies_find_by_short_name(st, line, &b, &e);
		if (r == FOID_ENOTFOUND) {
			char *p = xasprintf("%s:%d: no body \"%s\" (see foictl bodies list)",
			                    sel, lines.lineno, line);
			err_list_add(&errs, p);
			free(p);
		} else if (r) {
			free(e);
			rc = r;
			break;
		} else {
			out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
			out->v[out->n++] = b;
		}
		free(e);
	}
	free(text);
	return err_list_take(&errs, rc, errp);
}

static int round_has_request(struct store *st, int64_t round_id,
                             int64_t body_id)
{
	int64_t one;
	return store_query_int(st, NULL, &one,
	                       "SELECT 1 FROM requests WHERE round_id = ? AND body_id = ?",
	                       "II", round_id, body_id) == FOID_OK;
}

/* Checks that every body renders: FOID_EINVAL naming every problem. */
static int round_check_all(const struct config *cfg, const struct holidays *h,
                           const struct round_row *r, const struct template *t,
                           const struct bodies_list *bl, int64_t first_seq,
                           int64_t now, char **errp)
{
	struct buf errs = BUF_INIT;
	for (size_t i = 0; i < bl->n; i++) {
		char *ref = round_reference(r->ref_prefix, first_seq + (int64_t)i);
		struct round_msg m = { 0 };
		char *e = NULL;
		if (round_build(cfg, h, r, t, bl->v[i], ref, now, NULL, 0, NULL, &m, &e) < 0)
			err_list_add(&errs, e);
		free(e);
		round_msg_clear(&m);
		free(ref);
	}
	return err_list_take(&errs, FOID_OK, errp);
}

static int round_insert_requests(struct store *st, const struct round_row *r,
                                 const struct bodies_list *bl, int64_t first_seq,
                                 int64_t now, char **errp)
{
	for (size_t i = 0; i < bl->n; i++) {
		char *ref = round_reference(r->ref_prefix, first_seq + (int64_t)i);
		/* delivery starts as the column's default, 'draft'; only send.c
		 * moves it on. */
		int rc = store_exec(st, errp,
		                    "INSERT INTO requests (round_id, body_id, seq, reference,"
		                    " created_at) VALUES (?, ?, ?, ?, ?)",
		                    "IIIsI", r->id, bl->v[i]->id, first_seq + (int64_t)i,
		                    ref, now);
		if (rc == FOID_OK)
			rc = store_event(st, errp, r->id, store_last_id(st), 0,
			                 "request.created", "foictl", ref);
		free(ref);
		if (rc)
			return rc;
	}
	return FOID_OK;
}

int round_create(struct store *st, const struct config *cfg,
                 const struct round_new *rn, struct buf *out, char **errp)
{
	struct round_row r = { 0 };
	struct template *t = NULL;
	struct holidays *h = NULL;
	struct bodies_list bl = BODIES_LIST_INIT;
	int rc;

	if (!round_slug_ok(rn->slug)) {
		rc = err_set(errp, FOID_EINVAL, "slug \"%s\": use 1-32 of a-z, 0-9 "
		             "and '-'", rn->slug);
		goto out;
	}
	if (strcmp(rn->kind, "foi") && strcmp(rn->kind, "survey")) {
		rc = err_set(errp, FOID_EINVAL, "--kind must be foi or survey");
		goto out;
	}
	r.slug = xstrdup(rn->slug);
	r.kind = xstrdup(rn->kind);
	/* A new survey has no questions yet: foictl question declares them. */
	if (strcmp(rn->kind, "survey") == 0)
		r.questions = xstrdup("");
	r.title = xstrdup(rn->title ? rn->title : rn->slug);
	if (rn->closes) {
		struct deadline_date d;
		rc = deadline_date_parse(rn->closes, &d, errp);
		if (rc) {
			err_prefix(errp, rc, "--closes");
			goto out;
		}
		r.closes_on = xstrdup(rn->closes);
	}
	if (rn->regime)
		r.regime = xstrdup(rn->regime);
	else if (strcmp(rn->kind, "foi") == 0)
		r.regime = xstrdup("uk-foia");
	else if (r.closes_on)
		r.regime = xstrdup("working:20");
	if (!r.regime) {
		rc = err_set(errp, FOID_EINVAL, "a survey needs --closes YYYY-MM-DD "
		             "or --regime");
		goto out;
	}
	struct deadline_regime reg;
	rc = round_view_regime(cfg, r.regime, &reg, errp);
	if (rc)
		goto out;
	r.ref_prefix = rn->ref_prefix ? xstrdup(rn->ref_prefix)
	                              : round_default_prefix(rn->kind, rn->slug);
	if (!round_prefix_ok(r.ref_prefix)) {
		rc = err_set(errp, FOID_EINVAL, "reference prefix \"%s\": use 1-24 of "
		             "A-Z, 0-9 and '-'", r.ref_prefix);
		goto out;
	}
	r.template_path = round_template_path(cfg, rn->template_path);
	rc = util_read_file(r.template_path, &r.template_text, NULL, errp);
	if (rc == FOID_OK)
		rc = round_template(&r, &t, errp);
	if (rc)
		goto out;
	rc = round_load_holidays(cfg, &h, errp);
	if (rc)
		goto out;
	rc = round_select(st, rn->bodies, &bl, errp);
	if (rc)
		goto out;
	if (bl.n == 0) {
		rc = err_set(errp, FOID_EINVAL, "no bodies selected by \"%s\"",
		             rn->bodies ? rn->bodies : "all");
		goto out;
	}
	int64_t now = util_now();
	rc = round_check_all(cfg, h, &r, t, &bl, 1, now, errp);
	if (rc == FOID_OK)
		rc = store_begin(st, errp);
	if (rc)
		goto out;
	rc = store_exec(st, errp,
	                "INSERT INTO rounds (slug, kind, title, regime, closes_on,"
	                " ref_prefix, template_path, template, created_at, thanks)"
	                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                "ssssssssIi", r.slug, r.kind, r.title, r.regime, r.closes_on,
	                r.ref_prefix, r.template_path, r.template_text, now,
	                rn->thanks != 0);
	if (rc == FOID_EEXIST) {
		rc = err_set(errp, FOID_EEXIST, "a round \"%s\" or the reference prefix "
		             "%s exists already (give --ref-prefix)", r.slug, r.ref_prefix);
	}
	if (rc == FOID_OK) {
		r.id = store_last_id(st);
		rc = round_insert_requests(st, &r, &bl, 1, now, errp);
	}
	if (rc == FOID_OK)
		rc = store_event(st, errp, r.id, 0, 0, "round.created", "foictl",
		                 r.template_path);
	rc = store_finish(st, rc, errp);
	if (rc == FOID_OK) {
		char *last = round_reference(r.ref_prefix, (int64_t)bl.n);
		buf_addf(out, "created round %s (%s, regime %s): %zu requests, "
		         "%s-001 to %s\n", r.slug, r.kind, r.regime, bl.n,
		         r.ref_prefix, last);
		free(last);
	}
out:
	bodies_list_free(&bl);
	holidays_free(h);
	template_free(t);
	round_row_clear(&r);
	return rc;
}

/* A request of a round with its body. */
struct round_req {
	int64_t id;
	int64_t seq;
	char *reference;
	char *delivery;
	struct body *b;
};

struct round_reqs {
	struct round_req *v;
	size_t n;
};

static void round_reqs_free(struct round_reqs *rq)
{
	for (size_t i = 0; i < rq->n; i++) {
		free(rq->v[i].reference);
		free(rq->v[i].delivery);
		bodies_body_free(rq->v[i].b);
	}
	free(rq->v);
	rq->v = NULL;
	rq->n = 0;
}

struct round_reqs_arg {
	struct round_reqs *rq;
	struct strv short_names;
};

static int round_reqs_cb(const struct store_row *row, void *arg)
{
	struct round_reqs_arg *a = arg;
	struct round_reqs *rq = a->rq;
	rq->v = xrealloc(rq->v, (rq->n + 1) * sizeof *rq->v);
	struct round_req *q = &rq->v[rq->n++];
	q->id = store_row_int(row, 0);
	q->seq = store_row_int(row, 1);
	q->reference = xstrdup(store_row_text(row, 2));
	q->delivery = xstrdup(store_row_text(row, 3));
	q->b = NULL;
	strv_push(&a->short_names, store_row_text(row, 4));
	return 0;
}

/* The round's requests in reference order, each with its body; only those
 * still in draft when drafts_only is set, only one body's when short_name
 * is not NULL. */
static int round_requests(struct store *st, int64_t round_id, int drafts_only,
                          const char *short_name, struct round_reqs *rq,
                          char **errp)
{
	struct round_reqs_arg a = { rq, STRV_INIT };
	int rc = store_query(st, errp, round_reqs_cb, &a,
	                     "SELECT q.id, q.seq, q.reference, q.delivery, b.short_name"
	                     " FROM requests q JOIN bodies b ON b.id = q.body_id"
	                     " WHERE q.round_id = ? AND (? = 0 OR q.delivery = 'draft')"
	                     " AND (? IS NULL OR b.short_name = ?) ORDER BY q.seq",
	                     "Iiss", round_id, drafts_only, short_name, short_name);
	for (size_t i = 0; rc == FOID_OK && i < rq->n; i++)
		rc = bodies_find_by_short_name(st, a.short_names.v[i], &rq->v[i].b, errp);
	strv_free(&a.short_names);
	if (rc)
		round_reqs_free(rq);
	return rc;
}

/* Turns every draft request into a queued message.  Runs inside the
 * caller's transaction; on error nothing of it should be committed. */
static int round_queue_drafts(struct store *st, const struct config *cfg,
                              const struct holidays *h, const struct round_row *r,
                              const struct template *t, int *nqueued,
                              char **errp)
{
	struct round_reqs rq = { NULL, 0 };
	struct buf errs = BUF_INIT;
	int64_t now = util_now();
	int rc = round_requests(st, r->id, 1, NULL, &rq, errp);
	if (rc)
		return rc;
	*nqueued = 0;
	for (size_t i = 0; i < rq.n && rc == FOID_OK; i++) {
		struct round_req *q = &rq.v[i];
		struct round_msg m = { 0 };
		char *e = NULL;
		if (round_build(cfg, h, r, t, q->b, q->reference, now, NULL, 0, NULL, &m,
		                &e) < 0) {
			err_list_add(&errs, e);
			free(e);
			round_msg_clear(&m);
			continue;
		}
		struct send_item it = {
			.request_id = q->id, .round_id = r->id, .purpose = "request",
			.message_id = m.message_id, .from_addr = cfg->team_address,
			.to_addrs = q->b->email, .cc = &m.tr->cc, .subject = m.tr->subject,
			.raw = m.raw, .len = m.len, .envelope_from = cfg->team_address,
			.rcpts = (const char *const *)m.rcpts.v, .nrcpts = m.rcpts.n,
			.reply_address = m.reply_address, .actor = "foictl", .now = now,
		};
		rc = send_queue(st, cfg, &it, NULL, errp);
		if (rc == FOID_OK)
			(*nqueued)++;
		round_msg_clear(&m);
	}
	round_reqs_free(&rq);
	return err_list_take(&errs, rc, errp);
}

/* Loads what queueing needs, then queues every draft of the round in one
 * transaction (marking the round launched). */
static int round_queue(struct store *st, const struct config *cfg,
                       struct round_row *r, int *nqueued, char **errp)
{
	struct template *t = NULL;
	struct holidays *h = NULL;
	int rc = round_template(r, &t, errp);
	if (rc == FOID_OK)
		rc = round_load_holidays(cfg, &h, errp);
	if (rc == FOID_OK)
		rc = store_begin(st, errp);
	if (rc)
		goto out;
	rc = round_queue_drafts(st, cfg, h, r, t, nqueued, errp);
	if (rc == FOID_OK && strcmp(r->state, "draft") == 0) {
		rc = store_exec(st, errp,
		                "UPDATE rounds SET state = 'launched', launched_at = ?"
		                " WHERE id = ?", "II", util_now(), r->id);
		if (rc == FOID_OK)
			rc = store_event(st, errp, r->id, 0, 0, "round.launched", "foictl",
			                 NULL);
	}
	rc = store_finish(st, rc, errp);
out:
	holidays_free(h);
	template_free(t);
	return rc;
}

int round_launch(struct store *st, const struct config *cfg, const char *slug,
                 int *nqueued, struct buf *out, char **errp)
{
	struct round_row r;
	*nqueued = 0;
	int rc = round_load(st, slug, &r, errp);
	if (rc == FOID_OK && strcmp(r.kind, "survey") == 0 && !r.nquestions)
		rc = err_set(errp, FOID_EINVAL, "survey %s has no questions: declare them"
		             " with foictl question %s KEY ...", slug, slug);
	if (rc == FOID_OK)
		rc = round_queue(st, cfg, &r, nqueued, errp);
	if (rc == FOID_OK)
		buf_addf(out, "round %s: queued %d request%s%s\n", slug, *nqueued,
		         *nqueued == 1 ? "" : "s",
		         *nqueued ? "" : " (every request was queued already)");
	round_row_clear(&r);
	return rc;
}

int round_add(struct store *st, const struct config *cfg, const char *slug,
              const char *bodies, struct buf *out, char **errp)
{
	struct round_row r;
	struct template *t = NULL;
	struct holidays *h = NULL;
	struct bodies_list bl = BODIES_LIST_INIT, fresh = BODIES_LIST_INIT;
	int rc = round_load(st, slug, &r, errp);
	if (rc == FOID_OK)
		rc = round_select(st, bodies, &bl, errp);
	if (rc == FOID_OK)
		rc = round_template(&r, &t, errp);
	if (rc == FOID_OK)
		rc = round_load_holidays(cfg, &h, errp);
	if (rc)
		goto out;
	for (size_t i = 0; i < bl.n; i++) {
		if (round_has_request(st, r.id, bl.v[i]->id)) {
			bodies_body_free(bl.v[i]);
			continue;
		}
		fresh.v = xrealloc(fresh.v, (fresh.n + 1) * sizeof *fresh.v);
		fresh.v[fresh.n++] = bl.v[i];
	}
	bl.n = 0;
	if (fresh.n == 0) {
		buf_addf(out, "round %s: every selected body is in the round already\n",
		         slug);
		goto out;
	}
	int64_t seq = 0;
	rc = store_query_int(st, errp, &seq,
	                     "SELECT coalesce(max(seq), 0) FROM requests WHERE round_id = ?",
	                     "I", r.id);
	if (rc)
		goto out;
	int64_t now = util_now();
	rc = round_check_all(cfg, h, &r, t, &fresh, seq + 1, now, errp);
	if (rc == FOID_OK)
		rc = store_begin(st, errp);
	if (rc)
		goto out;
	rc = round_insert_requests(st, &r, &fresh, seq + 1, now, errp);
	rc = store_finish(st, rc, errp);
	if (rc)
		goto out;
	buf_addf(out, "round %s: added %zu bod%s\n", slug, fresh.n,
	         fresh.n == 1 ? "y" : "ies");
	if (strcmp(r.state, "draft") != 0) {
		int n = 0;
		rc = round_queue(st, cfg, &r, &n, errp);
		if (rc == FOID_OK)
			buf_addf(out, "round %s: queued %d request%s\n", slug, n,
			         n == 1 ? "" : "s");
	}
out:
	bodies_list_free(&bl);
	bodies_list_free(&fresh);
	holidays_free(h);
	template_free(t);
	round_row_clear(&r);
	return rc;
}

int round_set_paused(struct store *st, const char *slug, int paused,
                     char **errp)
{
	struct round_row r;
	int rc = round_load(st, slug, &r, errp);
	if (rc)
		goto out;
	if (strcmp(r.state, "draft") == 0) {
		rc = err_set(errp, FOID_EINVAL, "round %s is not launched yet", slug);
		goto out;
	}
	rc = store_begin(st, errp);
	if (rc)
		goto out;
	rc = store_exec(st, errp, "UPDATE rounds SET state = ? WHERE id = ?", "sI",
	                paused ? "paused" : "launched", r.id);
	if (rc == FOID_OK)
		rc = store_event(st, errp, r.id, 0, 0,
		                 paused ? "round.paused" : "round.resumed", "foictl", NULL);
	rc = store_finish(st, rc, errp);
out:
	round_row_clear(&r);
	return rc;
}

int round_preview(struct store *st, const struct config *cfg,
                  const char *slug, const char *short_name, struct buf *out,
                  char **errp)
{
	struct round_row r;
	struct template *t = NULL;
	struct holidays *h = NULL;
	struct round_reqs rq = { NULL, 0 };
	struct buf errs = BUF_INIT;
	int rc = round_load(st, slug, &r, errp);
	if (rc == FOID_OK)
		rc = round_template(&r, &t, errp);
	if (rc == FOID_OK)
		rc = round_load_holidays(cfg, &h, errp);
	if (rc == FOID_OK)
		rc = round_requests(st, r.id, 0, short_name, &rq, errp);
	if (rc)
		goto out;
	if (short_name && rq.n == 0) {
		rc = err_set(errp, FOID_ENOTFOUND, "round %s has no request to \"%s\"",
		             slug, short_name);
		goto out;
	}
	int64_t now = util_now();
	size_t ok = 0;
	for (size_t i = 0; i < rq.n; i++) {
		struct round_msg m = { 0 };
		char *e = NULL;
		if (round_build(cfg, h, &r, t, rq.v[i].b, rq.v[i].reference, now, NULL, 0,
		                NULL, &m, &e) < 0) {
			err_list_add(&errs, e);
		} else if (short_name) {
			buf_addf(out, "Envelope-To: %s\n", m.rcpts.v[0]);
			for (size_t k = 1; k < m.rcpts.n; k++)
				buf_addf(out, "Envelope-To: %s\n", m.rcpts.v[k]);
			/* Shown with LF line ends; sent with CRLF. */
			for (size_t k = 0; k < m.len; k++)
				if (!(m.raw[k] == '\r' && k + 1 < m.len && m.raw[k + 1] == '\n'))
					buf_addc(out, m.raw[k]);
			ok++;
		} else {
			buf_addf(out, "%-24s %-16s %-9s %s\n", rq.v[i].b->short_name,
			         rq.v[i].reference, rq.v[i].delivery, m.tr->subject);
			ok++;
		}
		free(e);
		round_msg_clear(&m);
	}
	if (!short_name)
		buf_addf(out, "%zu of %zu requests render%s\n", ok, rq.n,
		         errs.len ? "; problems:" : " cleanly");
	rc = err_list_take(&errs, rc, errp);
out:
	buf_free(&errs);
	round_reqs_free(&rq);
	holidays_free(h);
	template_free(t);
	round_row_clear(&r);
	return rc;
}

struct round_orig {
	int64_t round_id;
	char *slug, *short_name, *reference, *message_id, *subject;
	int64_t sent_at;
};

static int round_orig_cb(const struct store_row *row, void *arg)
{
	struct round_orig *o = arg;
	o->round_id = store_row_int(row, 0);
	store_row_texts(row, 1, (char **const[]){ &o->slug, &o->short_name,
		&o->reference, &o->message_id, NULL });
	o->sent_at = store_row_int(row, 5);
	o->subject = xstrdup(store_row_text_or(row, 6, ""));
	return 0;
}

int round_queue_followup(struct store *st, const struct config *cfg,
                         int64_t request_id, const struct round_followup *fu,
                         int64_t *row, char **errp)
{
	struct round_orig o = { 0 };
	struct round_row r = { 0 };
	struct body *b = NULL;
	struct template *t = NULL;
	struct holidays *h = NULL;
	struct round_msg m = { 0 };
	struct strv refs = STRV_INIT;
	char *tpath = NULL;
	int rc = store_query(st, errp, round_orig_cb, &o,
	                     "SELECT r.id, r.slug, b.short_name, q.reference,"
	                     " m.message_id, coalesce(q.sent_at, 0), m.subject"
	                     " FROM requests q"
	                     " JOIN rounds r ON r.id = q.round_id"
	                     " JOIN bodies b ON b.id = q.body_id"
	                     " JOIN messages m ON m.request_id = q.id"
	                     " AND m.direction = 'out' AND m.purpose = 'request'"
	                     " WHERE q.id = ?", "I", request_id);
	if (rc == FOID_OK && !o.slug)
		rc = err_set(errp, FOID_ENOTFOUND, "request %lld was never queued",
		             (long long)request_id);
	if (rc == FOID_OK)
		rc = round_load(st, o.slug, &r, errp);
	if (rc == FOID_OK)
		rc = bodies_find_by_short_name(st, o.short_name, &b, errp);
	if (rc == FOID_OK) {
		tpath = round_template_path(cfg, fu->template_name);
		rc = template_load(tpath, &t, errp);
	}
	if (rc == FOID_OK)
		rc = round_load_holidays(cfg, &h, errp);
	if (rc)
		goto out;
	strv_push(&refs, o.message_id);
	if (fu->in_reply_to && strcmp(fu->in_reply_to, o.message_id) != 0)
		strv_push(&refs, fu->in_reply_to);
	struct round_followup f = *fu;
	f.references = &refs;
	if (!f.in_reply_to)
		f.in_reply_to = o.message_id;
	int64_t now = util_now();
	rc = round_build(cfg, h, &r, t, b, o.reference, now, &f, o.sent_at, o.subject, &m,
	                 errp);
	if (rc)
		goto out;
	struct send_item it = {
		.request_id = request_id, .round_id = r.id, .purpose = fu->purpose,
		.message_id = m.message_id, .in_reply_to = f.in_reply_to,
		.from_addr = cfg->team_address, .to_addrs = b->email, .cc = &m.tr->cc,
		.subject = m.tr->subject, .raw = m.raw, .len = m.len,
		.envelope_from = cfg->team_address,
		.rcpts = (const char *const *)m.rcpts.v, .nrcpts = m.rcpts.n,
		.actor = fu->actor, .now = now,
	};
	rc = store_begin(st, errp);
	if (rc == FOID_OK)
		rc = send_queue(st, cfg, &it, row, errp);
	rc = store_finish(st, rc, errp);
out:
	free(o.slug);
	free(o.short_name);
	free(o.reference);
	free(o.message_id);
	free(o.subject);
	round_row_clear(&r);
	bodies_body_free(b);
	template_free(t);
	holidays_free(h);
	round_msg_clear(&m);
	strv_free(&refs);
	free(tpath);
	return rc;
}
