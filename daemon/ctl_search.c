/* foictl search: what the bodies wrote, found by its words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "json.h"
#include "search.h"
#include "store.h"
#include "util.h"

struct ctl_search {
	FILE *out;
	struct jws *json; /* NULL for lines */
	int colour;
	size_t hits;
};

static int ctl_search_hit(const struct store_row *row, void *arg)
{
	struct ctl_search *x = arg;
	const char *slug = store_row_text(row, 0), *body = store_row_text(row, 1);
	const char *file = store_row_text(row, 4), *snippet = store_row_text(row, 6);
	char date[11] = "";
	if (!store_row_isnull(row, 3)) {
		char *iso = util_iso8601(store_row_int(row, 3), NULL);
		snprintf(date, sizeof date, "%.10s", iso);
		free(iso);
	}
	x->hits++;
	if (x->json) {
		struct jws *w = x->json;
		jws_begin_object(w);
		jws_kstr(w, "round", slug);
		jws_kstr(w, "body", body);
		jws_kint(w, "message", store_row_int(row, 2));
		jws_kstr(w, "date", date);
		jws_kstr(w, "file", file);
		jws_key(w, "page");
		if (store_row_isnull(row, 5))
			jws_null(w);
		else
			jws_int(w, store_row_int(row, 5));
		jws_kstr(w, "kind", store_row_text(row, 7));
		jws_kstr(w, "snippet", snippet);
		jws_end_object(w);
		return 0;
	}
	fprintf(x->out, "%s %s #%lld %s %s", slug ? slug : "-", body ? body : "-",
	        (long long)store_row_int(row, 2), *date ? date : "-", file ? file : "(text)");
	if (!store_row_isnull(row, 5))
		fprintf(x->out, " p.%lld", (long long)store_row_int(row, 5));
	fputs(": ", x->out);
	/* The snippet's own markers are control bytes nobody writes. */
	for (const char *p = snippet ? snippet : ""; *p; p++) {
		if (*p == '\x01')
			fputs(x->colour ? "\033[1m" : "[", x->out);
		else if (*p == '\x02')
			fputs(x->colour ? "\033[0m" : "]", x->out);
		else if (*p == '\n' || *p == '\r' || *p == '\t')
			fputc(' ', x->out);
		else
			fputc(*p, x->out);
	}
	fputc('\n', x->out);
	return 0;
}

int ctl_search(struct ctl *c, int argc, char **argv)
{
	const char *round = NULL, *body = NULL, *kind = NULL, *limit_s = NULL;
	int json = 0;
	const struct ctl_opt opts[] = { { "--round", &round, NULL }, { "--body", &body, NULL },
		{ "--kind", &kind, NULL }, { "--limit", &limit_s, NULL }, { "--json", NULL, &json },
		{ NULL, NULL, NULL } };
	int ex = ctl_args_parse(c, "search", opts, 1, 1, argc, argv, NULL);
	if (ex != CTL_ARGS_RUN)
		return ex;
	const char *query = argv[1];
	long limit = 50;
	if (limit_s) {
		char *end;
		limit = strtol(limit_s, &end, 10);
		if (*end || limit <= 0 || end == limit_s)
			return ctl_usage_error("search", "--limit needs a number above 0");
	}
	char *fts = NULL, *err = NULL;
	int rc = search_fts_query(query, &fts, &err);
	if (rc)
		return ctl_fail("search", rc, err);
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK) {
		free(fts);
		return ex;
	}
	struct ctl_search x = { c->out, json ? jws_new() : NULL, ctl_colour(c->out), 0 };
	if (x.json)
		jws_begin_array(x.json);
	/* NULL filters match everything: one statement serves every call.
	 * ORDER BY rank alone lets FTS5 hand rows over best first, so that the
	 * joins and snippet() run only until LIMIT rows are out: a second sort
	 * key made SQLite compute them for every match before sorting (110 ms
	 * of CPU, not 30, for a word in 25 000 texts).  Equal ranks come in
	 * FTS5's order.  One body's texts are known by their rowids (see
	 * migration v10), so the filter reads no FTS5 row; the '+' keeps
	 * SQLite from probing FTS5 once a rowid, which would make bm25 count
	 * the whole index again at every probe (1 ms each). */
	rc = store_query(st, &err, ctl_search_hit, &x,
	                 "SELECT r.slug, b.short_name, m.id,"
	                 " coalesce(m.internaldate, m.created_at), a.filename, s.page,"
	                 " snippet(search_text, -1, char(1), char(2), '...', 16), m.kind"
	                 " FROM search_text s JOIN messages m ON m.id = s.message"
	                 " LEFT JOIN attachments a ON a.id = s.attachment"
	                 " LEFT JOIN requests q ON q.id = m.request_id"
	                 " LEFT JOIN rounds r ON r.id = q.round_id"
	                 " LEFT JOIN bodies b ON b.id = q.body_id"
	                 " WHERE search_text MATCH ?1 AND m.kind IS NOT 'own'"
	                 " AND (?2 IS NULL OR r.slug = ?2) AND (?3 IS NULL OR +s.rowid IN ("
	                 "  SELECT m.id FROM messages m JOIN requests q ON q.id = m.request_id"
	                 "  JOIN bodies b ON b.id = q.body_id WHERE b.short_name = ?3"
	                 "  UNION ALL SELECT " STORE_PAGE_ROWID_SQL("p.attachment_id", "p.page")
	                 "  FROM attachment_pages p JOIN attachments a ON a.id = p.attachment_id"
	                 "  JOIN messages m ON m.id = a.message_row"
	                 "  JOIN requests q ON q.id = m.request_id"
	                 "  JOIN bodies b ON b.id = q.body_id WHERE b.short_name = ?3))"
	                 " AND (?4 IS NULL OR m.kind = ?4)"
	                 " ORDER BY rank LIMIT ?5",
	                 "ssssI", fts, round, body, kind, (int64_t)limit);
	if (x.json) {
		jws_end_array(x.json);
		char *text = jws_finish(x.json);
		if (rc == FOID_OK)
			fprintf(c->out, "%s\n", text);
		free(text);
	} else if (rc == FOID_OK && x.hits == 0) {
		fprintf(stderr, "foictl search: no match for %s\n", query);
	}
	free(fts);
	if (rc)
		rc = ctl_fail("search", rc, err);
	free(err);
	return rc;
}
