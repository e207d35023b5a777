/* foictl read and attachments, against mail filed through the sandbox. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sandbox.h"
#include "testenv.h"

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

static const char reply[] =
	"From: FOI Officer <foi@cumbria.council.test>\r\n"
	"To: %s\r\n"
	"Subject: RE: Freedom of Information request - response\r\n"
	"Message-ID: <read-1@cumbria.council.test>\r\n"
	"Date: Mon, 1 Aug 2016 09:00:00 +0100\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: text/html; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"<html><body><p>Please find attached our response.</p><p>Cost: =A3450.</p>"
	"</body></html>\r\n"
	"--b1\r\n"
	"Content-Type: text/csv\r\n"
	"Content-Disposition: attachment; filename=\"../../../etc/passwd\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"eWVhcixjb21wbGFpbnRzCjIwMTUsNDIK\r\n"
	"--b1\r\n"
	"Content-Type: application/pdf\r\n"
	"Content-Disposition: attachment; filename=\"etc_passwd\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"JVBERi0xLjQK\r\n"
	"--b1--\r\n";

/* A round to Cumbria, sent, and its reply filed: the reply's number. */
static struct testenv *filed(const char *team, char **raw_out, char **num)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = team;
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, "name,short_name,email\nCumbria County Council,cumbria,"
	                   "foi@cumbria.council.test\n");
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "create", "r",
	                             "--kind", "foi", "--template", "foi-request.txt", NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "launch", "r", NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foid", &out, &err, "--once", NULL), 0);
	free(out);
	free(err);
	char *raw = xasprintf(reply, team);
	ck_assert_msg(sandbox_append(sb, team, "INBOX", raw, strlen(raw), NULL, &err) == 0,
	              "%s", err);
	ck_assert_int_eq(testenv_run(te, "foid", &out, &err, "--once", NULL), 0);
	free(out);
	free(err);
	*num = xasprintf("%lld", (long long)testenv_int(te,
		"SELECT m.id FROM messages m JOIN requests q ON q.id = m.request_id"
		" WHERE m.message_id = 'read-1@cumbria.council.test'"));
	*raw_out = raw;
	return te;
}

START_TEST(test_read_prints_headers_references_and_decoded_text)
{
	char *raw = NULL, *num = NULL, *out = NULL, *err = NULL;
	struct testenv *te = filed("read1@uni.test", &raw, &num);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "read", num, NULL), 0);
	ck_assert_msg(strstr(out, "From: foi@cumbria.council.test\n"), "%s", out);
	ck_assert_msg(strstr(out, "Subject: RE: Freedom of Information request - response\n"),
	              "%s", out);
	ck_assert_msg(strstr(out, "Our reference: FOI-R-001\n"), "%s", out);
	ck_assert_msg(strstr(out, "Date: Mon, 1 Aug 2016 09:00:00 +0100\n"), "%s", out);
	/* HTML made text, the charset decoded. */
	ck_assert_msg(strstr(out, "Please find attached our response.") &&
	              strstr(out, "Cost: \xc2\xa3" "450.") && !strstr(out, "<p>"), "%s", out);
	ck_assert_msg(strstr(out, "] etc_passwd (text/csv, 24 bytes)"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "read", "99999", NULL), 66);
	ck_assert_msg(strstr(err, "no received message 99999"), "%s", err);
	free(out);
	free(err);
	free(raw);
	free(num);
	testenv_free(te);
}
END_TEST

START_TEST(test_read_raw_is_the_original_bytes)
{
	char *raw = NULL, *num = NULL, *out = NULL, *err = NULL;
	struct testenv *te = filed("read2@uni.test", &raw, &num);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "read", num, "--raw", NULL), 0);
	ck_assert_str_eq(out, raw);
	free(out);
	free(err);
	free(raw);
	free(num);
	testenv_free(te);
}
END_TEST

START_TEST(test_attachments_list_save_keep_and_overwrite)
{
	char *raw = NULL, *num = NULL, *out = NULL, *err = NULL;
	struct testenv *te = filed("read3@uni.test", &raw, &num);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "attachments", "r", "cumbria",
	                             NULL), 0);
	ck_assert_msg(strstr(out, "text/csv") && strstr(out, "application/pdf") &&
	              strstr(out, "#") && strstr(out, num), "%s", out);
	free(out);
	free(err);
	char *dir = fixture_path(te->fx, "saved");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "attachments", "save", "r",
	                             "cumbria", "--dir", dir, NULL), 0);
	/* The traversal name stays inside; the second "passwd" gets its number. */
	char *first = xasprintf("%s/etc_passwd", dir);
	ck_assert_msg(strstr(out, first), "%s", out);
	int64_t second_id = testenv_int(te, "SELECT max(id) FROM attachments");
	char *second = xasprintf("%s/%lld-etc_passwd", dir, (long long)second_id);
	ck_assert_msg(strstr(out, second), "%s", out);
	char *data = NULL;
	size_t len = 0;
	ck_assert_int_eq(util_read_file(first, &data, &len, NULL), 0);
	ck_assert_int_eq(len, 24);
	ck_assert_int_eq(memcmp(data, "year,complaints\n2015,42\n", 24), 0);
	free(data);
	ck_assert_int_eq(util_read_file(second, &data, &len, NULL), 0);
	ck_assert_int_eq(memcmp(data, "%PDF-1.4\n", 9), 0);
	free(data);
	free(out);
	free(err);
	/* An existing file is kept without --overwrite. */
	ck_assert_int_eq(util_write_file_atomic(first, "mine", 4, 0600, NULL), 0);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "attachments", "save", "r",
	                             "cumbria", "--dir", dir, NULL), 73);
	ck_assert_msg(strstr(err, "exists (--overwrite replaces it)"), "%s", err);
	ck_assert_int_eq(util_read_file(first, &data, &len, NULL), 0);
	ck_assert_int_eq(len, 4);
	free(data);
	free(out);
	free(err);
	char *dirarg = xasprintf("--dir=%s", dir);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "attachments", "save", "r",
	                             "cumbria", dirarg, "--overwrite", NULL), 0);
	ck_assert_int_eq(util_read_file(first, &data, &len, NULL), 0);
	ck_assert_int_eq(len, 24);
	free(data);
	free(out);
	free(err);
	free(dirarg);
	free(first);
	free(second);
	free(dir);
	free(raw);
	free(num);
	testenv_free(te);
}
END_TEST

START_TEST(test_attachments_cat_writes_one)
{
	char *raw = NULL, *num = NULL, *out = NULL, *err = NULL;
	struct testenv *te = filed("read4@uni.test", &raw, &num);
	char *id = xasprintf("%lld", (long long)testenv_int(te,
		"SELECT id FROM attachments WHERE content_type = 'text/csv'"));
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "attachments", "cat", id, NULL), 0);
	ck_assert_str_eq(out, "year,complaints\n2015,42\n");
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "attachments", "cat", "99999",
	                             NULL), 66);
	free(out);
	free(err);
	free(id);
	free(raw);
	free(num);
	testenv_free(te);
}
END_TEST

/* What foid filed through the sandbox is found by search, with its round,
 * body and message number. */
START_TEST(test_search_finds_filed_reply)
{
	char *raw = NULL, *num = NULL, *out = NULL, *err = NULL;
	struct testenv *te = filed("read5@uni.test", &raw, &num);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "cost", "--round", "r",
	                             NULL), 0);
	/* Our own request's copy (it says "cost limit") is not a reply. */
	char *want = xasprintf("r cumbria #%s ", num);
	ck_assert_msg(util_starts_with(out, want) && strstr(out, " (text): Please find attached") &&
	              strstr(out, "[Cost]: \xc2\xa3" "450.\n") && !strchr(strchr(out, '\n') + 1, '\n'),
	              "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "cost", "--body", "kent",
	                             NULL), 0);
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
	/* Narrowed to its body, the reply's text and its attachments' are
	 * found just as without the filter. */
	char *all = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &all, &err, "search", "complaints", NULL), 0);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "complaints", "--body",
	                             "cumbria", NULL), 0);
	ck_assert_msg(strstr(out, "year,[complaints] 2015") && strstr(out, want), "%s", out);
	ck_assert_str_eq(out, all);
	free(all);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "cost", "--body",
	                             "cumbria", NULL), 0);
	ck_assert_msg(util_starts_with(out, want), "%s", out);
	free(out);
	free(err);
	free(want);
	free(raw);
	free(num);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("read");
	TCase *tc = tcase_create("read");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_read_prints_headers_references_and_decoded_text);
	tcase_add_test(tc, test_read_raw_is_the_original_bytes);
	tcase_add_test(tc, test_attachments_list_save_keep_and_overwrite);
	tcase_add_test(tc, test_attachments_cat_writes_one);
	tcase_add_test(tc, test_search_finds_filed_reply);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
