/* foictl inbox, assign, mark and show: what a person looks at and
 * corrects about received mail. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "ctl.h"
#include "match.h"
#include "reply.h"
#include "store.h"
#include "survey.h"
#include "util.h"

/* One line of text for an excerpt: white space folded, cut at n bytes on a
 * UTF-8 boundary. */
static char *ctl_excerpt(const char *text, size_t n)
{
	struct buf b = BUF_INIT;
	int space = 0;
	for (const char *p = text ? text : ""; *p && b.len < n; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ') {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_addc(&b, ' ');
		space = 0;
		buf_addc(&b, (char)c);
	}
	while (b.len > 0 && ((unsigned char)b.data[b.len - 1] & 0xC0) == 0x80)
		b.len--;
	if (b.len > 0 && ((unsigned char)b.data[b.len - 1] & 0xC0) == 0xC0)
		b.len--;
	if (b.data)
		b.data[b.len] = '\0';
	return buf_detach(&b);
}

struct ctl_inbox {
	struct ctl *c;
	struct store *st;
	int n;
};

/* Where unmatched mail may belong: the body whose domain the sender
 * shares, else the assign line to fill in. */
static void ctl_inbox_suggest(struct ctl_inbox *x, const struct store_row *row)
{
	FILE *out = x->c->out;
	const char *from = store_row_text(row, 2);
	const char *at = from ? strrchr(from, '@') : NULL;
	char *sugg = NULL;
	if (at && store_query_text(x->st, NULL, &sugg,
	                           "SELECT r.slug || ' ' || b.short_name FROM requests q"
	                           " JOIN bodies b ON b.id = q.body_id"
	                           " JOIN rounds r ON r.id = q.round_id"
	                           " WHERE lower(substr(b.email, instr(b.email, '@') + 1))"
	                           " = lower(?) ORDER BY q.id DESC LIMIT 1",
	                           "s", at + 1) == FOID_OK && sugg)
		fprintf(out, "    suggested: foictl assign %lld %s\n",
		        (long long)store_row_int(row, 0), sugg);
	else if (!store_row_int(row, 6))
		fprintf(out, "    assign with: foictl assign %lld ROUND SHORT_NAME\n",
		        (long long)store_row_int(row, 0));
	free(sugg);
}

static int ctl_inbox_row(const struct store_row *row, void *arg)
{
	struct ctl_inbox *x = arg;
	FILE *out = x->c->out;
	long long id = (long long)store_row_int(row, 0);
	const char *subject = store_row_text(row, 3);
	const char *kind = store_row_text(row, 5), *rule = store_row_text(row, 11);
	char *excerpt = ctl_excerpt(store_row_text(row, 4), 70);
	char *when = util_iso8601(store_row_int(row, 1), NULL);
	fprintf(out, "#%lld  %s  from %s\n", id, when,
	        store_row_text_or(row, 2, "(unknown)"));
	fprintf(out, "    subject: %s\n", subject ? subject : "");
	fprintf(out, "    kind: %s", kind ? kind : "unclassified");
	if (store_row_text(row, 7))
		fprintf(out, " (%lld%% sure%s%s)", (long long)store_row_int(row, 7),
		        rule ? ": " : "", rule ? rule : "");
	fprintf(out, "%s\n", store_row_int(row, 6) ? "" : " (no match)");
	fprintf(out, "    %s\n", excerpt);
	if (store_row_int(row, 6) && kind) {
		/* Matched, but its kind is a guess (review): a person reads and
		 * marks it. */
		fprintf(out, "    request: %s %s %s\n", store_row_text(row, 8),
		        store_row_text(row, 9), store_row_text(row, 10));
		fprintf(out, "    settle with: foictl mark %lld KIND\n", id);
	} else {
		ctl_inbox_suggest(x, row);
	}
	free(when);
	free(excerpt);
	x->n++;
	return 0;
}

int ctl_inbox(struct ctl *c, int argc, char **argv)
{
	struct store *st = NULL;
	int ex = ctl_args_open(c, "inbox", NULL, 0, 0, argc, argv, NULL, &st);
	if (ex != CTL_ARGS_RUN)
		return ex;
	struct ctl_inbox x = { c, st, 0 };
	char *err = NULL;
	int rc = store_query(st, &err, ctl_inbox_row, &x,
	                     "SELECT m.id, coalesce(m.internaldate, m.created_at),"
	                     " m.from_addr, m.subject, m.body_text, m.kind,"
	                     " coalesce(m.request_id, 0), m.kind_confidence, r.slug,"
	                     " b.short_name, q.reference, m.kind_rule"
	                     " FROM messages m LEFT JOIN requests q ON q.id = m.request_id"
	                     " LEFT JOIN rounds r ON r.id = q.round_id"
	                     " LEFT JOIN bodies b ON b.id = q.body_id"
	                     " WHERE " CTL_INBOX_SQL " ORDER BY m.id", "i",
	                     c->cfg->review_below);
	/* Survey replies foid could not read surely wait for a person too. */
	struct buf survey = BUF_INIT;
	int nsurvey = 0;
	if (rc == FOID_OK)
		rc = survey_waiting(st, "", &survey, &nsurvey, &err);
	if (rc == FOID_OK && nsurvey)
		fputs(survey.data, c->out);
	buf_free(&survey);
	x.n += nsurvey;
	return ctl_done(c, "inbox", rc, err, "%d message%s waiting for a person\n", x.n,
	                x.n == 1 ? "" : "s");
}

/* MESSAGE as foictl inbox prints it, "#12" or "12": its row, or 0 when it
 * is not a number above 0. */
static int64_t ctl_inbox_message(const char *s)
{
	char *end = NULL;
	long long row = strtoll(s[0] == '#' ? s + 1 : s, &end, 10);
	return end && !*end && row > 0 ? row : 0;
}

int ctl_assign(struct ctl *c, int argc, char **argv)
{
	int ex = ctl_args_parse(c, "assign", NULL, 3, 3, argc, argv, NULL);
	if (ex != CTL_ARGS_RUN)
		return ex;
	int64_t row = ctl_inbox_message(argv[1]);
	if (!row)
		return ctl_usage_error("assign", "MESSAGE is a number from foictl inbox");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	int64_t req = 0;
	char *err = NULL;
	int rc = ctl_request_id(st, argv[2], argv[3], &req, &err);
	if (rc == FOID_OK)
		rc = reply_assign(st, row, req, "foictl", &err);
	return ctl_done(c, "assign", rc, err,
	                "message #%lld assigned to %s %s\n", (long long)row, argv[2], argv[3]);
}

/* The message foictl mark ROUND SHORT_NAME means: msg (checked to be
 * that request's), else the latest received for it. */
static int ctl_mark_find(struct store *st, const char *slug, const char *short_name,
                         const char *msg, int64_t *row, char **errp)
{
	int64_t req = 0;
	int rc = ctl_request_id(st, slug, short_name, &req, errp);
	if (rc == FOID_OK && msg) {
		*row = strtoll(msg[0] == '#' ? msg + 1 : msg, NULL, 10);
		int64_t owner = 0;
		rc = store_query_int(st, errp, &owner,
		                     "SELECT coalesce(request_id, 0) FROM messages"
		                     " WHERE id = ? AND direction = 'in'", "I", *row);
		if (rc == FOID_OK && owner != req)
			rc = err_set(errp, FOID_EINVAL, "message #%lld is not matched to %s %s"
			             " (foictl assign it first)", (long long)*row, slug,
			             short_name);
		else if (rc == FOID_ENOTFOUND)
			err_set(errp, rc, "no received message #%s", msg);
	} else if (rc == FOID_OK) {
		rc = store_query_int(st, errp, row,
		                     "SELECT id FROM messages WHERE request_id = ?"
		                     " AND direction = 'in' AND kind IS NOT 'own'"
		                     " ORDER BY coalesce(internaldate, created_at) DESC, id DESC"
		                     " LIMIT 1", "I", req);
		if (rc == FOID_ENOTFOUND)
			err_set(errp, rc, "nothing received yet for %s %s", slug, short_name);
	}
	return rc;
}

int ctl_mark(struct ctl *c, int argc, char **argv)
{
	const char *msg = NULL;
	int nargs = 0;
	const struct ctl_opt opts[] = { { "--message", &msg, NULL }, { NULL, NULL, NULL } };
	int ex = ctl_args_parse(c, "mark", opts, 2, 3, argc, argv, &nargs);
	if (ex != CTL_ARGS_RUN)
		return ex;
	const char *kind = argv[nargs];
	int64_t row = 0;
	if (nargs == 2) {
		row = ctl_inbox_message(argv[1]);
		if (!row || msg)
			return ctl_usage_error("mark", "MESSAGE is a number from foictl inbox");
	}
	if (!reply_kind_valid(kind))
		return ctl_usage_error("mark", "unknown KIND");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	char *err = NULL, *of = NULL;
	int rc = FOID_OK;
	if (nargs == 3)
		rc = ctl_mark_find(st, argv[1], argv[2], msg, &row, &err);
	if (rc == FOID_OK)
		rc = reply_mark(st, row, kind, "foictl", &err);
	if (rc == FOID_OK) {
		store_query_text(st, NULL, &of,
		                 "SELECT ' of ' || r.slug || ' ' || b.short_name"
		                 " FROM messages m JOIN requests q ON q.id = m.request_id"
		                 " JOIN rounds r ON r.id = q.round_id"
		                 " JOIN bodies b ON b.id = q.body_id WHERE m.id = ?", "I", row);
		fprintf(c->out, "message #%lld%s marked %s\n", (long long)row, of ? of : "",
		        kind);
	} else {
		rc = ctl_fail("mark", rc, err);
	}
	free(of);
	free(err);
	return rc;
}
