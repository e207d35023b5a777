/* The HTML report: its figures agree with foictl status --json, and it
 * renders in a real browser (headless Chromium) to a picture. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "round.h"
#include "testenv.h"
#include "util.h"

#define SENT 1467622800 /* Monday 2016-07-04 09:00Z; due 2016-08-03 */
#define DAY 86400

static void reply(struct testenv *te, const char *short_name, const char *kind, int64_t at)
{
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO messages (direction, request_id,"
	                            " kind, internaldate, created_at) SELECT 'in', q.id, ?, ?, ?"
	                            " FROM requests q JOIN bodies b ON b.id = q.body_id"
	                            " WHERE b.short_name = ?", "sIIs", kind, at, at, short_name), 0);
}

/* The integer after `"key": ` in a JSON text. */
static long json_int(const char *json, const char *key)
{
	char *pat = xasprintf("\"%s\": ", key);
	const char *p = strstr(json, pat);
	ck_assert_msg(p, "%s not in %s", key, json);
	long v = strtol(p + strlen(pat), NULL, 10);
	free(pat);
	return v;
}

static long html_figure(const char *html, const char *key)
{
	char *pat = xasprintf("data-figure=\"%s\">", key);
	const char *p = strstr(html, pat);
	ck_assert_msg(p, "%s not in report", key);
	long v = strtol(p + strlen(pat), NULL, 10);
	free(pat);
	return v;
}

START_TEST(test_report_figures_agree_and_render)
{
	struct testenv *te = testenv_new(NULL);
	testenv_bodies(te, "name,short_name,email,kind,region\n"
	               "A <Council>,a,a@a.test,county,north\nB Council,b,b@b.test,county,south\n"
	               "C Council,c,c@c.test,unitary,north\nD Council,d,d@d.test,unitary,south\n");
	struct round_new rn = { .slug = "r", .kind = "foi", .template_path = "foi-request.txt",
	                        .title = "Bins & \"bags\"" };
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n;
	ck_assert_msg(round_create(te->st, te->cfg, &rn, &out, &err) == 0, "%s", err);
	ck_assert_int_eq(round_launch(te->st, te->cfg, "r", &n, &out, &err), 0);
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE requests SET delivery = 'sent',"
	                            " sent_at = ?", "I", (int64_t)SENT), 0);
	reply(te, "a", "response", SENT + 10 * DAY);
	reply(te, "b", "response", SENT + 40 * DAY);
	reply(te, "c", "refusal", SENT + 5 * DAY);
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO questions (round_id, key,"
	                            " type, choices, position) VALUES"
	                            " ((SELECT id FROM rounds), 'involved', 'choice', 'yes|no', 1)",
	                            NULL), 0);
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO answers (request_id, key,"
	                            " value, machine, message_row, at, actor) SELECT id,"
	                            " 'involved', 'yes', 0, NULL, 0, 'me' FROM requests", NULL), 0);
	char *json = NULL, *e = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &json, &e, "status", "r", "--json", NULL), 0);
	free(e);
	char *html_path = fixture_path(te->fx, "report.html");
	char *o = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &o, &e, "report", "r", "--html", html_path, NULL), 0);
	free(o);
	free(e);
	char *html = NULL;
	ck_assert_int_eq(util_read_file(html_path, &html, NULL, NULL), 0);
	ck_assert_int_eq(html_figure(html, "bodies"), json_int(json, "bodies"));
	ck_assert_int_eq(html_figure(html, "on_time"), json_int(json, "on_time"));
	ck_assert_int_eq(html_figure(html, "late"), json_int(json, "late"));
	ck_assert_int_eq(html_figure(html, "refused"), json_int(json, "refused"));
	ck_assert_int_eq(html_figure(html, "answered"),
	                 json_int(json, "responded") + json_int(json, "refused"));
	ck_assert_int_eq(html_figure(html, "on_time"), 2);
	ck_assert_int_eq(html_figure(html, "late"), 1);
	ck_assert_int_eq(html_figure(html, "outstanding"), 1);
	ck_assert_ptr_nonnull(strstr(html, "data-answer=\"involved=yes\">4<"));
	ck_assert_ptr_nonnull(strstr(html, "A &lt;Council&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "Bins &amp; &quot;bags&quot;"));
	ck_assert_ptr_nonnull(strstr(html, "<svg"));
	/* Nothing to fetch: the only URL is the SVG namespace name. */
	ck_assert_ptr_null(strstr(html, "https://"));
	for (const char *u = strstr(html, "http://"); u; u = strstr(u + 1, "http://"))
		ck_assert(util_starts_with(u, "http://www.w3.org/2000/svg\""));
	ck_assert_ptr_null(strstr(html, "src="));
	/* Rendered by a real browser. */
	char *png = fixture_path(te->fx, "report.png");
	char *prof = fixture_path(te->fx, "chromium");
	char *cmd = xasprintf("timeout 120 chromium --headless --no-sandbox --disable-gpu"
	                      " --disable-background-networking --disable-component-update"
	                      " --disable-sync --no-first-run --user-data-dir=%s"
	                      " --screenshot=%s --window-size=1000,1400 file://%s"
	                      " >/dev/null 2>&1", prof, png, html_path);
	ck_assert_int_eq(system(cmd), 0);
	char *img = NULL;
	size_t len = 0;
	ck_assert_int_eq(util_read_file(png, &img, &len, NULL), 0);
	ck_assert_int_gt(len, 10000);
	ck_assert_int_eq(memcmp(img, "\x89PNG\r\n\x1a\n", 8), 0);
	/* The width in the PNG header is the window's. */
	ck_assert_int_eq(((unsigned char)img[18] << 8) | (unsigned char)img[19], 1000);
	free(img);
	free(cmd);
	free(prof);
	free(png);
	free(html);
	free(html_path);
	free(json);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_report_figures_agree_and_render);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
