/* foictl report: one self-contained HTML file (no network needed to view
 * it): headline figures, coded answers tallied, a chart of cumulative
 * responses against working days since sending with the statutory
 * deadline marked (inline SVG), a breakdown by kind and region, and the
 * per-body table; for a survey, its response rate and results per
 * question (survey.h) first.  Figures carry data-figure attributes so tests and
 * scripts can check them against foictl status --json. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "ctl.h"
#include "deadline.h"
#include "round_view.h"
#include "status.h"
#include "store.h"
#include "survey.h"
#include "util.h"

struct report_row {
	const char *name, *kind, *region, *reference; /* the view's */
	enum status_code status;
	char due[11];
	int on_time, overdue, days;
	int answered;   /* responded or refused */
};

struct report {
	struct report_row *v;
	size_t n;
};

static void report_esc(struct buf *b, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		switch (*p) {
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '&': buf_adds(b, "&amp;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		default: buf_addc(b, *p);
		}
	}
}

static int report_row_cb(const struct status *s, void *arg)
{
	struct report *rp = arg;
	rp->v = xrealloc(rp->v, (rp->n + 1) * sizeof *rp->v);
	struct report_row *r = &rp->v[rp->n++];
	memset(r, 0, sizeof *r);
	r->name = s->row->name;
	r->kind = s->row->body_kind ? s->row->body_kind : "-";
	r->region = s->row->region ? s->row->region : "-";
	r->reference = s->row->reference;
	r->status = s->status;
	memcpy(r->due, s->due, sizeof r->due);
	r->on_time = s->on_time;
	r->overdue = s->overdue;
	r->days = s->working_days_taken;
	r->answered = s->first_response_at != 0;
	return 0;
}

static void report_figure(struct buf *b, const char *key, const char *label, size_t n)
{
	buf_addf(b, "<div class=\"fig\"><span data-figure=\"%s\">%zu</span>%s</div>\n",
	         key, n, label);
}

/* Cumulative share of bodies that answered, by working days since sending. */
static void report_chart(struct buf *b, const struct report *rp, int deadline)
{
	int maxd = deadline * 3;
	for (size_t i = 0; i < rp->n; i++)
		if (rp->v[i].answered && rp->v[i].days > maxd)
			maxd = rp->v[i].days;
	const int W = 720, H = 300, L = 50, T = 20, R = 20, B = 40;
	double pw = W - L - R, ph = H - T - B;
	size_t total = rp->n ? rp->n : 1;
	buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
	         " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Cumulative responses"
	         " by working days since sending\">\n", W, H, W, H);
	buf_addf(b, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"#f7f7f7\"/>\n",
	         L, T, pw, ph);
	for (int pct = 0; pct <= 100; pct += 25) {
		double y = T + ph - ph * pct / 100.0;
		buf_addf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		         "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%d%%</text>\n",
		         L, y, L + pw, y, L - 6, y + 4, pct);
	}
	for (int d = 0; d <= maxd; d += 10) {
		double x = L + pw * d / maxd;
		buf_addf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%d</text>\n",
		         x, H - B + 16, d);
	}
	buf_addf(b, "<text x=\"%.0f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">working days"
	         " since the request was sent</text>\n", L + pw / 2, H - 6);
	double dx = L + pw * deadline / maxd;
	buf_addf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#c0392b\""
	         " stroke-dasharray=\"6 4\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"%d\""
	         " font-size=\"12\" fill=\"#c0392b\">statutory deadline (%d)</text>\n",
	         dx, T, dx, T + ph, dx + 4, T + 14, deadline);
	buf_adds(b, "<polyline fill=\"none\" stroke=\"#2c6fbb\" stroke-width=\"2.5\" points=\"");
	size_t cum = 0;
	for (int d = 0; d <= maxd; d++) {
		for (size_t i = 0; i < rp->n; i++)
			cum += rp->v[i].answered && rp->v[i].days == d;
		double x = L + pw * d / maxd, y = T + ph - ph * (double)cum / (double)total;
		buf_addf(b, "%.1f,%.1f ", x, y);
	}
	buf_adds(b, "\"/>\n</svg>\n");
}

struct report_tally {
	struct buf *b;
	const char *key;
};

static int report_tally_cb(const struct store_row *row, void *arg)
{
	struct report_tally *t = arg;
	buf_addf(t->b, "<tr><td>");
	report_esc(t->b, t->key);
	buf_adds(t->b, "</td><td>");
	report_esc(t->b, store_row_text(row, 0));
	buf_addf(t->b, "</td><td data-answer=\"%s=", t->key);
	report_esc(t->b, store_row_text(row, 0));
	buf_addf(t->b, "\">%lld</td></tr>\n", (long long)store_row_int(row, 1));
	return 0;
}

static int report_key_cb(const struct store_row *row, void *arg)
{
	strv_push(arg, store_row_text(row, 0));
	return 0;
}

static void report_breakdown(struct buf *b, const struct report *rp, int by_region)
{
	struct strv seen = STRV_INIT;
	buf_addf(b, "<table><tr><th>%s</th><th>asked</th><th>answered</th><th>on time</th>"
	         "</tr>\n", by_region ? "region" : "kind of body");
	for (size_t i = 0; i < rp->n; i++) {
		const char *g = by_region ? rp->v[i].region : rp->v[i].kind;
		int dup = 0;
		for (size_t k = 0; k < seen.n; k++)
			dup |= strcmp(seen.v[k], g) == 0;
		if (dup)
			continue;
		strv_push(&seen, g);
		size_t asked = 0, answered = 0, ontime = 0;
		for (size_t k = 0; k < rp->n; k++) {
			if (strcmp(by_region ? rp->v[k].region : rp->v[k].kind, g) != 0)
				continue;
			asked++;
			answered += (size_t)rp->v[k].answered;
			ontime += rp->v[k].on_time == 1;
		}
		buf_adds(b, "<tr><td>");
		report_esc(b, g);
		buf_addf(b, "</td><td>%zu</td><td>%zu</td><td>%zu</td></tr>\n", asked, answered,
		         ontime);
	}
	buf_adds(b, "</table>\n");
	strv_free(&seen);
}

static char *report_html(struct store *st, int64_t rid, const char *slug,
                         const char *title, const struct report *rp, int deadline,
                         const char *survey)
{
	struct buf b = BUF_INIT;
	size_t answered = 0, ontime = 0, late = 0, refused = 0, review = 0, outstanding = 0;
	for (size_t i = 0; i < rp->n; i++) {
		answered += (size_t)rp->v[i].answered;
		ontime += rp->v[i].on_time == 1;
		late += rp->v[i].on_time == 0;
		refused += rp->v[i].status == STATUS_REFUSED;
		/* The body wrote, but what it said waits for a person: neither
		 * an answer nor silence. */
		review += rp->v[i].status == STATUS_REVIEW;
		outstanding += !rp->v[i].answered && rp->v[i].status != STATUS_WITHDRAWN &&
		               rp->v[i].status != STATUS_REVIEW;
	}
	buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
	report_esc(&b, title);
	buf_adds(&b, "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:60em;"
	         "color:#222}h1{font-size:1.6em}.figs{display:flex;flex-wrap:wrap;gap:1em}"
	         ".fig{background:#eef3f9;padding:.6em 1em;border-radius:6px}"
	         ".fig span{display:block;font-size:2em;font-weight:bold}"
	         "table{border-collapse:collapse;margin:1em 0}td,th{border-bottom:1px solid #ddd;"
	         "padding:.25em .6em;text-align:left}.late{color:#c0392b}</style>\n"
	         "</head><body>\n<h1>");
	report_esc(&b, title);
	buf_adds(&b, "</h1>\n<p>Round <code>");
	report_esc(&b, slug);
	buf_addf(&b, "</code>: of %zu bodies asked, %zu answered (%zu on time, %zu late); "
	         "%zu refused; %zu replied in words foid could not tell, waiting for a "
	         "person; %zu still outstanding.</p>\n<div class=\"figs\">\n",
	         rp->n, answered, ontime, late, refused, review, outstanding);
	report_figure(&b, "bodies", "bodies asked", rp->n);
	report_figure(&b, "answered", "answered", answered);
	report_figure(&b, "on_time", "on time", ontime);
	report_figure(&b, "late", "late", late);
	/* The key is the status, as in foictl status --json's totals. */
	report_figure(&b, status_name(STATUS_REFUSED), status_name(STATUS_REFUSED), refused);
	report_figure(&b, status_name(STATUS_REVIEW), "waiting for a person", review);
	report_figure(&b, "outstanding", "outstanding", outstanding);
	buf_adds(&b, "</div>\n");
	/* A survey's response rate against its closing date and its results
	 * per question, as foictl status prints them. */
	if (survey) {
		buf_adds(&b, "<h2>Survey results</h2>\n<pre data-figure=\"survey\">");
		report_esc(&b, survey);
		buf_adds(&b, "</pre>\n");
	}
	buf_adds(&b, "<h2>Responses over time</h2>\n");
	report_chart(&b, rp, deadline);
	struct strv keys = STRV_INIT;
	store_query(st, NULL, report_key_cb, &keys, "SELECT key FROM questions WHERE"
	            " round_id = ? ORDER BY position", "I", rid);
	int64_t coded = 0;
	store_query_int(st, NULL, &coded, "SELECT count(*) FROM answers a JOIN requests q"
	                " ON q.id = a.request_id WHERE q.round_id = ?", "I", rid);
	if (keys.n && !coded) {
		buf_adds(&b, "<h2>Coded answers</h2>\n<p>No answers coded yet "
		         "(foictl code).</p>\n");
	} else if (keys.n) {
		buf_adds(&b, "<h2>Coded answers</h2>\n<table><tr><th>question</th><th>answer</th>"
		         "<th>bodies</th></tr>\n");
		for (size_t k = 0; k < keys.n; k++) {
			struct report_tally t = { &b, keys.v[k] };
			store_query(st, NULL, report_tally_cb, &t,
			            "SELECT a.value, count(*) FROM answers a JOIN requests q"
			            " ON q.id = a.request_id WHERE q.round_id = ? AND a.key = ?"
			            " GROUP BY a.value ORDER BY count(*) DESC", "Is", rid, keys.v[k]);
		}
		buf_adds(&b, "</table>\n");
	}
	strv_free(&keys);
	buf_adds(&b, "<h2>By kind of body</h2>\n");
	report_breakdown(&b, rp, 0);
	buf_adds(&b, "<h2>By region</h2>\n");
	report_breakdown(&b, rp, 1);
	buf_adds(&b, "<h2>Every body</h2>\n<table><tr><th>body</th><th>reference</th>"
	         "<th>status</th><th>due</th><th>working days</th></tr>\n");
	for (size_t i = 0; i < rp->n; i++) {
		const struct report_row *r = &rp->v[i];
		buf_addf(&b, "<tr%s><td>", r->on_time == 0 || r->overdue ? " class=\"late\"" : "");
		report_esc(&b, r->name);
		buf_adds(&b, "</td><td>");
		report_esc(&b, r->reference);
		buf_addf(&b, "</td><td>%s</td><td>%s</td><td>", status_name(r->status),
		         r->due[0] ? r->due : "-");
		if (r->days >= 0)
			buf_addf(&b, "%d", r->days);
		buf_adds(&b, "</td></tr>\n");
	}
	buf_adds(&b, "</table>\n</body></html>\n");
	return buf_detach(&b);
}

int ctl_report(struct ctl *c, int argc, char **argv)
{
	const char *slug = NULL, *file = NULL;
	const struct ctl_opt opts[] = { { "--html", &file, NULL }, { NULL, NULL, NULL } };
	int ex = ctl_args_parse(c, "report", opts, 1, 1, argc, argv, NULL);
	if (ex != CTL_ARGS_RUN)
		return ex;
	slug = argv[1];
	if (!file)
		return ctl_usage_error("report", "--html FILE is required");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	struct report rp = { NULL, 0 };
	struct holidays *h = NULL;
	struct round_view *v = NULL;
	char *err = NULL, *html = NULL;
	int rc = holidays_load_data(ctl_data_dir(c), &h, &err);
	if (rc == FOID_OK)
		rc = round_view_load(st, c->cfg, h, slug, 0, &v, &err);
	if (rc == FOID_OK)
		rc = status_view(st, v, util_now(), report_row_cb, &rp, &err);
	struct buf survey = BUF_INIT;
	if (rc == FOID_OK && strcmp(v->kind, "survey") == 0)
		rc = survey_results(st, v, util_now(), &survey, NULL, &err);
	if (rc == FOID_OK) {
		html = report_html(st, v->id, slug, v->title, &rp, v->regime.days,
		                   survey.len ? survey.data : NULL);
		rc = util_write_file_atomic(file, html, strlen(html), 0644, &err);
	}
	if (rc == FOID_OK)
		fprintf(c->out, "report written to %s\n", file);
	else
		rc = ctl_fail("report", rc, err);
	buf_free(&survey);
	free(rp.v);
	round_view_free(v);
	holidays_free(h);
	free(html);
	free(err);
	return rc;
}
