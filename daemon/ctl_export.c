/* foictl export: one row per body with every timing field, the first
 * response's kind, their reference, the text of the substantive reply and
 * per coded question three columns: the answer, its comment and who coded
 * it (machine, until a person confirms, or person); CSV (RFC 4180) or
 * JSON; or the round's mail as an archive (archive.c). */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "archive.h"
#include "config.h"
#include "ctl.h"
#include "deadline.h"
#include "json.h"
#include "round_view.h"
#include "status.h"
#include "store.h"
#include "util.h"

static const char *const ctl_export_fixed[] = { "short_name", "name", "email",
	"kind", "region", "reference", "status", "sent_at", "due_date",
	"first_response_at", "first_response_kind", "on_time", "overdue",
	"very_overdue", "working_days_taken", "their_reference", "reminders_sent",
	"messages", "answers_unconfirmed", "reply_text", NULL };
/* The JSON type of each fixed column: s text (empty is null), S text
 * always, b boolean, i integer (empty is null).  Answers are text. */
static const char ctl_export_types[] = "sSsssssssssbbbisiiis";

struct ctl_export {
	struct store *st;
	const char *tz;
	int redact;
	struct strv keys;       /* question keys, in order */
	struct strv cols;       /* the columns after the fixed ones */
	struct strv *rows;      /* one strv of cells per body */
	size_t nrows;
	char **errp;
};

static int ctl_export_key_cb(const struct store_row *row, void *arg)
{
	strv_push(arg, store_row_text(row, 0));
	return 0;
}

/* One request's answers: machine-coded ones not yet confirmed counted. */
struct ctl_export_req {
	int64_t unconfirmed;
	struct strv answers; /* key, value, comment, coded by; key, ... */
};

static int ctl_export_answer_cb(const struct store_row *row, void *arg)
{
	struct ctl_export_req *q = arg;
	strv_push(&q->answers, store_row_text(row, 0));
	strv_push(&q->answers, store_row_text(row, 1));
	strv_push(&q->answers, store_row_text_or(row, 3, ""));
	strv_push(&q->answers, store_row_int(row, 2) ? "machine" : "person");
	q->unconfirmed += store_row_int(row, 2);
	return 0;
}

static void ctl_export_cell(struct strv *c, const char *s)
{
	strv_push(c, s ? s : "");
}

static char *ctl_export_time(int64_t t, const char *tz)
{
	return t ? util_iso8601(t, tz) : xstrdup("");
}

static int ctl_export_row(const struct status *s, void *arg)
{
	struct ctl_export *x = arg;
	x->rows = xrealloc(x->rows, (x->nrows + 1) * sizeof *x->rows);
	struct strv *c = &x->rows[x->nrows++];
	memset(c, 0, sizeof *c);
	struct ctl_export_req q = { 0, STRV_INIT };
	store_query(x->st, NULL, ctl_export_answer_cb, &q,
	            "SELECT key, value, machine = 1, comment FROM answers WHERE request_id = ?", "I",
	            s->request_id);
	const struct round_view_row *b = s->row;
	ctl_export_cell(c, b->short_name);
	ctl_export_cell(c, b->name);
	ctl_export_cell(c, b->email);
	ctl_export_cell(c, b->body_kind);
	ctl_export_cell(c, b->region);
	ctl_export_cell(c, b->reference);
	strv_push(c, status_name(s->status));
	strv_push_owned(c, ctl_export_time(s->sent_at, x->tz));
	strv_push(c, s->due);
	strv_push_owned(c, ctl_export_time(s->first_response_at, x->tz));
	strv_push(c, s->first_response_kind ? s->first_response_kind : "");
	strv_push(c, s->on_time < 0 ? "" : s->on_time ? "true" : "false");
	strv_push(c, s->overdue ? "true" : "false");
	strv_push(c, s->very_overdue ? "true" : "false");
	strv_push_owned(c, s->working_days_taken < 0 ? xstrdup("")
	                : xasprintf("%d", s->working_days_taken));
	ctl_export_cell(c, b->their_reference);
	struct buf rem = BUF_INIT;
	for (size_t i = 0; i < s->reminders.n; i++)
		buf_addf(&rem, "%s%s", i ? ";" : "", s->reminders.v[i]);
	strv_push_owned(c, buf_detach(&rem));
	strv_push_owned(c, xasprintf("%d", s->messages));
	strv_push_owned(c, xasprintf("%lld", (long long)q.unconfirmed));
	char *text = NULL;
	int rc = archive_reply_text(x->st, s->request_id, x->redact, &text, x->errp);
	strv_push_owned(c, text ? text : xstrdup(""));
	for (size_t k = 0; k < x->keys.n; k++) {
		const char *const *v = NULL;
		for (size_t a = 0; a + 3 < q.answers.n && !v; a += 4)
			if (strcmp(q.answers.v[a], x->keys.v[k]) == 0)
				v = (const char *const *)&q.answers.v[a + 1];
		for (int i = 0; i < 3; i++)
			strv_push_owned(c, !v ? xstrdup("") : x->redact && i < 2 ? archive_redact(v[i])
			                                     : xstrdup(v[i]));
	}
	strv_free(&q.answers);
	return rc;
}

static void ctl_export_json(FILE *out, const struct ctl_export *x)
{
	struct jw *arr = jw_array();
	size_t nfixed = 0;
	while (ctl_export_fixed[nfixed])
		nfixed++;
	for (size_t r = 0; r < x->nrows; r++) {
		struct jw *o = jw_object();
		const struct strv *c = &x->rows[r];
		for (size_t i = 0; i < c->n; i++) {
			const char *key = i < nfixed ? ctl_export_fixed[i] : x->cols.v[i - nfixed];
			char type = i < nfixed ? ctl_export_types[i] : 's';
			const char *v = c->v[i];
			if (!*v && type != 'S')
				jw_set_null(o, key);
			else if (type == 'b')
				jw_set_bool(o, key, !strcmp(v, "true"));
			else if (type == 'i')
				jw_set_int(o, key, strtoll(v, NULL, 10));
			else
				jw_set_str(o, key, v);
		}
		jw_push(arr, o);
	}
	jw_dump_file(arr, out, JW_INDENT, NULL);
	jw_free(arr);
}

static void ctl_export_csv(FILE *out, const struct ctl_export *x)
{
	struct buf b = BUF_INIT;
	struct strv head = STRV_INIT;
	for (const char *const *k = ctl_export_fixed; *k; k++)
		strv_push(&head, *k);
	for (size_t k = 0; k < x->cols.n; k++)
		strv_push(&head, x->cols.v[k]);
	for (size_t i = 0; i < head.n; i++)
		archive_csv_field(&b, head.v[i], i + 1 == head.n);
	strv_free(&head);
	for (size_t r = 0; r < x->nrows; r++)
		for (size_t i = 0; i < x->rows[r].n; i++)
			archive_csv_field(&b, x->rows[r].v[i], i + 1 == x->rows[r].n);
	fwrite(b.data ? b.data : "", 1, b.len, out);
	buf_free(&b);
}

int ctl_export(struct ctl *c, int argc, char **argv)
{
	const char *slug = NULL, *format = "csv", *output = NULL;
	int redact = 0, overwrite = 0;
	const struct ctl_opt opts[] = {
		{ "--format", &format, NULL }, { "--output", &output, NULL },
		{ "--redact", NULL, &redact }, { "--overwrite", NULL, &overwrite },
		{ NULL, NULL, NULL },
	};
	int ex = ctl_args_parse(c, "export", opts, 1, 1, argc, argv, NULL);
	if (ex != CTL_ARGS_RUN)
		return ex;
	slug = argv[1];
	int archive = strcmp(format, "archive") == 0;
	if (strcmp(format, "csv") && strcmp(format, "json") && !archive)
		return ctl_usage_error("export", "--format is csv, json or archive");
	if (archive && !output)
		return ctl_usage_error("export", "--format archive needs --output DIR");
	if (overwrite && !archive)
		return ctl_usage_error("export", "--overwrite is for --format archive");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	struct ctl_export x = { st, NULL, redact, STRV_INIT, STRV_INIT, NULL, 0, NULL };
	struct holidays *h = NULL;
	struct round_view *v = NULL;
	char *err = NULL;
	x.errp = &err;
	FILE *out = c->out;
	int rc = holidays_load_data(ctl_data_dir(c), &h, &err);
	if (rc == FOID_OK)
		rc = round_view_load(st, c->cfg, h, slug, 0, &v, &err);
	if (rc == FOID_OK && archive) {
		struct archive_opts o = { ctl_config(c)->storage_dir, v->regime.tz, redact,
		                          overwrite };
		size_t files = 0;
		rc = archive_write(st, v->id, output, &o, &files, &err);
		if (rc == FOID_OK)
			fprintf(c->out, "%s: %zu files and SHA256SUMS\n", output, files);
		goto done;
	}
	if (rc == FOID_OK) {
		x.tz = v->regime.tz;
		rc = store_query(st, &err, ctl_export_key_cb, &x.keys,
		                 "SELECT key FROM questions WHERE round_id = ? ORDER BY position",
		                 "I", v->id);
	}
	for (size_t k = 0; rc == FOID_OK && k < x.keys.n; k++) {
		strv_push(&x.cols, x.keys.v[k]);
		strv_push_owned(&x.cols, xasprintf("%s_comment", x.keys.v[k]));
		strv_push_owned(&x.cols, xasprintf("%s_coded_by", x.keys.v[k]));
	}
	if (rc == FOID_OK)
		rc = status_view(st, v, util_now(), ctl_export_row, &x, &err);
	if (rc == FOID_OK && output && !(out = fopen(output, "w")))
		rc = err_set(&err, FOID_EIO, "%s: cannot write", output);
	if (rc == FOID_OK && strcmp(format, "csv") == 0)
		ctl_export_csv(out, &x);
	else if (rc == FOID_OK)
		ctl_export_json(out, &x);
	if (out && out != c->out && fclose(out) != 0 && rc == FOID_OK)
		rc = err_set(&err, FOID_EIO, "%s: write failed", output);
done:
	if (rc)
		rc = ctl_fail("export", rc, err);
	for (size_t r = 0; r < x.nrows; r++)
		strv_free(&x.rows[r]);
	free(x.rows);
	strv_free(&x.keys);
	strv_free(&x.cols);
	round_view_free(v);
	holidays_free(h);
	free(err);
	return rc;
}
