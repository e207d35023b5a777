#include "match.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "store.h"

void match_result_clear(struct match_result *res)
{
	free(res->evidence);
	memset(res, 0, sizeof *res);
}

FOID_PRINTF(4, 5)
static void match_set(struct match_result *res, int64_t request_id,
                      const char *rule, const char *fmt, ...)
{
	res->request_id = request_id;
	res->rule = rule;
	free(res->evidence);
	va_list ap;
	va_start(ap, fmt);
	res->evidence = xvasprintf(fmt, ap);
	va_end(ap);
}

/* The store and the first failure of a matching: a query that fails must
 * fail the match (the ingest pass then retries it), not read as "no such
 * request" and file the message unmatched. */
struct match_q {
	struct store *st;
	char **errp;
	int rc;
};

/* 1 when rc is a row; 0 for none; a failure is kept in q. */
static int match_ok(struct match_q *q, int rc)
{
	if (rc < 0 && rc != FOID_ENOTFOUND && q->rc == FOID_OK)
		q->rc = rc;
	return rc == FOID_OK;
}

/* Where a query may report its failure: only the first one is kept. */
static char **match_errp(struct match_q *q)
{
	return q->rc ? NULL : q->errp;
}

static int match_isref(int c)
{
	return isalnum((unsigned char)c) || c == '-';
}

static char *match_reference(struct match_q *q, const char *text,
                             int64_t *request_id)
{
	*request_id = 0;
	if (!text)
		return NULL;
	for (const char *p = text; *p;) {
		if (!match_isref(*p)) {
			p++;
			continue;
		}
		const char *start = p;
		while (match_isref(*p))
			p++;
		/* A run such as "RE-FOI-STP16-030": try it and each suffix that
		 * starts after a hyphen, if it ends in -NNN. */
		size_t n = (size_t)(p - start);
		size_t digits = 0;
		while (digits < n && isdigit((unsigned char)start[n - 1 - digits]))
			digits++;
		if (digits < 3 || digits == n || start[n - 1 - digits] != '-')
			continue;
		for (const char *s = start; s < p; s++) {
			if (s != start && s[-1] != '-')
				continue;
			char *cand = xstrndup(s, (size_t)(p - s));
			for (char *c = cand; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			int64_t id = 0;
			if (match_ok(q, store_query_int(q->st, match_errp(q), &id,
			                    "SELECT id FROM requests WHERE reference = ?",
			                    "s", cand))) {
				*request_id = id;
				return cand;
			}
			free(cand);
		}
	}
	return NULL;
}

int match_find_reference(struct store *st, const char *text,
                         int64_t *request_id, char **ref, char **errp)
{
	struct match_q q = { st, errp, FOID_OK };
	*ref = match_reference(&q, text, request_id);
	if (q.rc) {
		free(*ref);
		*ref = NULL;
		*request_id = 0;
	}
	return q.rc;
}

/* The request of a message foid sent, by Message-ID (0 if none). */
static int64_t match_sent(struct match_q *q, const char *mid, int *found)
{
	int64_t id = 0;
	*found = 0;
	if (!mid || !*mid)
		return 0;
	if (match_ok(q, store_query_int(q->st, match_errp(q), &id,
	                    "SELECT coalesce(request_id, 0) FROM messages"
	                    " WHERE direction = 'out' AND message_id = ?",
	                    "s", mid)))
		*found = 1;
	return id;
}

/* The one request still open among those the query selects, or 0 when
 * there is none or more than one.  "Open" is deliberately wider than
 * status_is_waiting: a body writing about a request stopped for our
 * clarification, or about one whose send foid could not confirm, is
 * writing about that request, and its mail must still find it (for the
 * unconfirmed, it is the proof the send arrived).  Only a final answer,
 * a withdrawal, or a send that failed or bounced closes it. */
#define MATCH_OPEN \
	" q.delivery IN ('sent', 'unconfirmed') AND q.withdrawn_at IS NULL" \
	" AND NOT EXISTS (SELECT 1 FROM messages r WHERE r.request_id = q.id" \
	" AND r.direction = 'in' AND r.kind IN ('response', 'refusal'))"

static int match_unique_cb(const struct store_row *row, void *arg)
{
	int64_t *v = arg;
	v[0] = store_row_int(row, 0);
	v[1] = store_row_int(row, 1);
	return 0;
}

/* The request id when sql (selecting count(*), min(q.id)) finds exactly
 * one, else 0. */
static int64_t match_unique(struct match_q *q, const char *sql, const char *arg)
{
	int64_t v[2] = { 0, 0 };
	if (!match_ok(q, store_query(q->st, match_errp(q), match_unique_cb, v, sql, "s",
	                             arg)))
		return 0;
	return v[0] == 1 ? v[1] : 0;
}

static int64_t match_open_for_address(struct match_q *q, const char *addr,
                                      int which)
{
	const char *at = strrchr(addr, '@');
	switch (which) {
	case 0:
		return match_unique(q, "SELECT count(*), min(q.id) FROM requests q"
		                    " JOIN sender_hints h ON h.body_id = q.body_id"
		                    " WHERE h.address = ? AND" MATCH_OPEN, addr);
	case 1:
		return match_unique(q, "SELECT count(*), min(q.id) FROM requests q"
		                    " JOIN bodies b ON b.id = q.body_id"
		                    " WHERE b.email = ? COLLATE NOCASE AND" MATCH_OPEN, addr);
	default:
		/* The domain must belong to exactly one body. */
		if (!at || match_unique(q, "SELECT count(*), min(id) FROM bodies"
		                        " WHERE lower(substr(email, instr(email, '@') + 1))"
		                        " = lower(?)", at + 1) == 0)
			return 0;
		return match_unique(q, "SELECT count(*), min(q.id) FROM requests q"
		                    " JOIN bodies b ON b.id = q.body_id"
		                    " WHERE lower(substr(b.email, instr(b.email, '@') + 1))"
		                    " = lower(?) AND" MATCH_OPEN, at + 1);
	}
}

/* A body's own reference occurs in text as a whole token. */
static int match_token_in(const char *text, const char *tok)
{
	size_t n = strlen(tok);
	if (!text || n < 4)
		return 0;
	for (const char *p = strcasestr(text, tok); p; p = strcasestr(p + 1, tok)) {
		int before = p == text || !isalnum((unsigned char)p[-1]);
		int after = !isalnum((unsigned char)p[n]);
		if (before && after)
			return 1;
	}
	return 0;
}

struct match_theirs {
	const struct mime_message *m;
	int64_t request_id;
	char *ref;
	int hits;
};

static int match_theirs_cb(const struct store_row *row, void *arg)
{
	struct match_theirs *t = arg;
	const char *ref = store_row_text(row, 1);
	if (match_token_in(t->m->subject, ref) || match_token_in(t->m->body_text, ref)) {
		if (t->hits++ == 0) {
			t->request_id = store_row_int(row, 0);
			t->ref = xstrdup(ref);
		}
	}
	return 0;
}

static int match_addresses(struct match_q *q, const struct mime_message *m,
                           struct match_result *res)
{
	struct strv addrs = STRV_INIT;
	for (size_t i = 0; i < m->to.n; i++)
		strv_push(&addrs, m->to.v[i]);
	for (size_t i = 0; i < m->cc.n; i++)
		strv_push(&addrs, m->cc.v[i]);
	for (size_t i = 0; i < m->nheaders; i++) {
		const char *name = m->headers[i].name;
		if (strcasecmp(name, "Delivered-To") == 0 ||
		    strcasecmp(name, "X-Original-To") == 0) {
			char *v = util_trim(xstrdup(m->headers[i].value));
			size_t n = strlen(v);
			if (n > 2 && v[0] == '<' && v[n - 1] == '>') {
				memmove(v, v + 1, n - 2);
				v[n - 2] = '\0';
			}
			strv_push_owned(&addrs, v);
		}
	}
	int found = 0;
	for (size_t i = 0; i < addrs.n && !found; i++) {
		int64_t id = 0;
		if (strchr(addrs.v[i], '+') &&
		    match_ok(q, store_query_int(q->st, match_errp(q), &id,
		                    "SELECT id FROM requests WHERE reply_address = ?"
		                    " COLLATE NOCASE", "s", addrs.v[i]))) {
			match_set(res, id, "plus-address", "sent to %s", addrs.v[i]);
			found = 1;
		}
	}
	strv_free(&addrs);
	return found;
}

static int match_bounce(struct match_q *q, const struct match_bounce *b,
                        struct match_result *res)
{
	int found = 0;
	int64_t id = match_sent(q, b->original_message_id, &found);
	if (found && id) {
		match_set(res, id, "bounce-original-id", "returned message <%s>",
		          b->original_message_id);
		return 1;
	}
	char *ref = match_reference(q, b->original_subject, &id);
	if (ref) {
		match_set(res, id, "bounce-original-subject",
		          "returned message's subject names %s", ref);
		free(ref);
		return 1;
	}
	for (size_t i = 0; b->failed_recipients && i < b->failed_recipients->n; i++) {
		const char *addr = b->failed_recipients->v[i];
		id = match_unique(q, "SELECT count(*), min(q.id) FROM requests q"
		                  " JOIN bodies b ON b.id = q.body_id"
		                  " WHERE b.email = ? COLLATE NOCASE"
		                  " AND q.delivery IN ('sent', 'unconfirmed', 'bounced')", addr);
		if (id) {
			match_set(res, id, "bounce-recipient", "failed recipient %s", addr);
			return 1;
		}
	}
	return 0;
}

/* A reference can be quoted by anyone: when the sender is not of the
 * body's domain, the evidence says so, for a person to check. */
static void match_note_sender(struct match_q *q, const struct mime_message *m,
                              struct match_result *res)
{
	const char *at = m->from ? strrchr(m->from, '@') : NULL;
	char *email = NULL;
	if (!at || !match_ok(q, store_query_text(q->st, match_errp(q), &email,
	                                         "SELECT b.email FROM requests q JOIN"
	                                         " bodies b ON b.id = q.body_id"
	                                         " WHERE q.id = ?", "I",
	                                         res->request_id)) || !email)
		return;
	const char *bat = strrchr(email, '@');
	if (bat && strcasecmp(at, bat) != 0) {
		char *ev = xasprintf("%s; sender %s is not of the body's domain %s",
		                     res->evidence, m->from, bat + 1);
		free(res->evidence);
		res->evidence = ev;
	}
	free(email);
}

static void match_by_content(struct match_q *q, const struct mime_message *m,
                             const struct match_bounce *bounce,
                             struct match_result *res);

int match_message(struct store *st, const struct mime_message *m,
                  const struct match_bounce *bounce, struct match_result *res,
                  char **errp)
{
	struct match_q q = { st, errp, FOID_OK };
	memset(res, 0, sizeof *res);
	match_by_content(&q, m, bounce, res);
	if (q.rc == FOID_OK && res->rule && !res->own && !bounce &&
	    (!strcmp(res->rule, "subject-reference") || !strcmp(res->rule, "body-reference") ||
	     !strcmp(res->rule, "their-reference") || !strcmp(res->rule, "plus-address")))
		match_note_sender(&q, m, res);
	/* Whatever decided after a failed query may not be the first rule. */
	if (q.rc)
		match_result_clear(res);
	return q.rc;
}

static void match_by_content(struct match_q *q, const struct mime_message *m,
                             const struct match_bounce *bounce,
                             struct match_result *res)
{
	int found = 0;
	int64_t id = match_sent(q, m->message_id, &found);
	if (found) {
		res->own = 1;
		match_set(res, id, "own-copy", "our own message <%s>", m->message_id);
		return;
	}
	if (bounce && match_bounce(q, bounce, res))
		return;
	id = match_sent(q, m->in_reply_to, &found);
	if (found && id) {
		match_set(res, id, "in-reply-to", "In-Reply-To: <%s>", m->in_reply_to);
		return;
	}
	for (size_t i = m->references.n; i-- > 0;) {
		id = match_sent(q, m->references.v[i], &found);
		if (found && id) {
			match_set(res, id, "references", "References: <%s>",
			          m->references.v[i]);
			return;
		}
	}
	if (match_addresses(q, m, res))
		return;
	char *ref = match_reference(q, m->subject, &id);
	if (ref) {
		match_set(res, id, "subject-reference", "subject names %s", ref);
		free(ref);
		return;
	}
	ref = match_reference(q, m->body_text, &id);
	if (ref) {
		match_set(res, id, "body-reference", "text names %s", ref);
		free(ref);
		return;
	}
	struct match_theirs t = { m, 0, NULL, 0 };
	if (!match_ok(q, store_query(q->st, match_errp(q), match_theirs_cb, &t,
	                             "SELECT id, their_reference FROM requests"
	                             " WHERE their_reference IS NOT NULL", NULL))) {
		free(t.ref);
		return;
	}
	if (t.hits == 1) {
		match_set(res, t.request_id, "their-reference",
		          "quotes their reference %s", t.ref);
		free(t.ref);
		return;
	}
	free(t.ref);
	if (!m->from || !*m->from)
		return;
	static const char *const rules[] = { "sender-hint", "sender-address",
		"sender-domain" };
	for (int i = 0; i < 3; i++) {
		id = match_open_for_address(q, m->from, i);
		if (id) {
			match_set(res, id, rules[i], "from %s", m->from);
			return;
		}
	}
}
