/* foictl inbox, assign, mark and show: what a person looks at and
 * corrects about received mail. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

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

static int ctl_inbox_row(const struct store_row *row, void *arg)
{
	struct ctl_inbox *x = arg;
	FILE *out = x->c->out;
	const char *subject = store_row_text(row, 3);
	char *excerpt = ctl_excerpt(store_row_text(row, 4), 70);
	char *when = util_iso8601(store_row_int(row, 1), NULL);
	fprintf(out, "#%lld  %s  from %s\n", (long long)store_row_int(row, 0), when,
	        store_row_text(row, 2) ? store_row_text(row, 2) : "(unknown)");
	fprintf(out, "    subject: %s\n", subject ? subject : "");
	fprintf(out, "    kind: %s%s\n", store_row_text(row, 5) ? store_row_text(row, 5)
	                                                        : "unclassified",
	        store_row_int(row, 6) ? "" : " (no match)");
	fprintf(out, "    %s\n", excerpt);
	/* A suggestion: the body whose domain the sender shares. */
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
	free(when);
	free(excerpt);
	x->n++;
	return 0;
}

int ctl_inbox(struct ctl *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: foictl inbox\nLists received mail that matched no"
		" request, or that has no kind,\nand survey replies foid could not"
		" read surely.\n";
	int nargs = 0;
	int ex = ctl_args_parse(c, "inbox", usage, NULL, 0, 0, argc, argv, &nargs);
	if (ex != CTL_ARGS_RUN)
		return ex;
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	struct ctl_inbox x = { c, st, 0 };
	char *err = NULL;
	int rc = store_query(st, &err, ctl_inbox_row, &x,
	                     "SELECT id, coalesce(internaldate, created_at), from_addr,"
	                     " subject, body_text, kind, coalesce(request_id, 0)"
	                     " FROM messages WHERE direction = 'in'"
	                     " AND (kind IS NULL OR (request_id IS NULL AND kind != 'own'))"
	                     " ORDER BY id", NULL);
	/* Survey replies foid could not read surely wait for a person too. */
	struct buf survey = BUF_INIT;
	int nsurvey = 0;
	if (rc == FOID_OK)
		rc = survey_waiting(st, "", &survey, &nsurvey, &err);
	if (rc == FOID_OK && nsurvey)
		fputs(survey.data, c->out);
	buf_free(&survey);
	x.n += nsurvey;
	if (rc == FOID_OK)
		fprintf(c->out, "%d message%s waiting for a person\n", x.n,
		        x.n == 1 ? "" : "s");
	else
		rc = ctl_fail("inbox", rc, err);
	free(err);
	return rc;
}

int ctl_assign(struct ctl *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: foictl assign MESSAGE ROUND SHORT_NAME\n"
		"Assigns a received message (its number in foictl inbox) to"
		" a request;\nlater mail from the same sender goes there"
		" too.\n";
	int nargs = 0;
	int ex = ctl_args_parse(c, "assign", usage, NULL, 3, 3, argc, argv, &nargs);
	if (ex != CTL_ARGS_RUN)
		return ex;
	char *end = NULL;
	long long row = strtoll(argv[1][0] == '#' ? argv[1] + 1 : argv[1], &end, 10);
	if (!end || *end || row <= 0)
		return ctl_usage_error("assign", usage,
		                       "MESSAGE is a number from foictl inbox");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	int64_t req = 0;
	char *err = NULL;
	int rc = ctl_request_id(st, argv[2], argv[3], &req, &err);
	if (rc == FOID_OK)
		rc = reply_assign(st, row, req, "foictl", &err);
	if (rc == FOID_OK)
		fprintf(c->out, "message #%lld assigned to %s %s\n", row, argv[2], argv[3]);
	else
		rc = ctl_fail("assign", rc, err);
	free(err);
	return rc;
}

int ctl_mark(struct ctl *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: foictl mark ROUND SHORT_NAME KIND [--message ID]\n"
		"KIND: acknowledgement, clarification, extension, refusal, response,\n"
		"auto_reply, bounce or other.  Without --message, the latest message\n"
		"received for that request.  foid never undoes it.\n";
	const char *msg = NULL;
	int nargs = 0;
	const struct ctl_opt opts[] = { { "--message", &msg, NULL }, { NULL, NULL, NULL } };
	int ex = ctl_args_parse(c, "mark", usage, opts, 3, 3, argc, argv, &nargs);
	if (ex != CTL_ARGS_RUN)
		return ex;
	const char *pos[3] = { argv[1], argv[2], argv[3] };
	if (!reply_kind_valid(pos[2]))
		return ctl_usage_error("mark", usage, "unknown KIND");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	int64_t req = 0, row = 0;
	char *err = NULL;
	int rc = ctl_request_id(st, pos[0], pos[1], &req, &err);
	if (rc == FOID_OK && msg) {
		row = strtoll(msg[0] == '#' ? msg + 1 : msg, NULL, 10);
		int64_t owner = 0;
		rc = store_query_int(st, &err, &owner,
		                     "SELECT coalesce(request_id, 0) FROM messages"
		                     " WHERE id = ? AND direction = 'in'", "I", row);
		if (rc == FOID_OK && owner != req)
			rc = err_set(&err, FOID_EINVAL, "message #%lld is not matched to %s %s"
			             " (foictl assign it first)", (long long)row, pos[0], pos[1]);
		else if (rc == FOID_ENOTFOUND)
			err_set(&err, rc, "no received message #%s", msg);
	} else if (rc == FOID_OK) {
		rc = store_query_int(st, &err, &row,
		                     "SELECT id FROM messages WHERE request_id = ?"
		                     " AND direction = 'in' AND kind IS NOT 'own'"
		                     " ORDER BY coalesce(internaldate, created_at) DESC, id DESC"
		                     " LIMIT 1", "I", req);
		if (rc == FOID_ENOTFOUND)
			err_set(&err, rc, "nothing received yet for %s %s", pos[0], pos[1]);
	}
	if (rc == FOID_OK)
		rc = reply_mark(st, row, pos[2], "foictl", &err);
	if (rc == FOID_OK)
		fprintf(c->out, "message #%lld of %s %s marked %s\n", (long long)row,
		        pos[0], pos[1], pos[2]);
	else
		rc = ctl_fail("mark", rc, err);
	free(err);
	return rc;
}
