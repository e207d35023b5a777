/* foictl export: the archive (directory and zip) of a round whose reply
 * came through the sandbox with a real PDF, and the reply_text column of
 * the CSV and JSON exports. */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sandbox.h"
#include "testenv.h"

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

static const char head[] =
	"From: FOI Officer <foi@cumbria.council.test>\r\n"
	"To: %s\r\n"
	"Subject: RE: Freedom of Information request - response\r\n"
	"Message-ID: <export-1@cumbria.council.test>\r\n"
	"Date: Mon, 1 Aug 2016 09:00:00 +0100\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"Please find attached our response to your request.\r\n"
	"Ask Jo Bloggs on 01228 606060 or jo.bloggs@cumbria.council.test.\r\n"
	"--b1\r\n"
	"Content-Type: text/csv\r\n"
	"Content-Disposition: attachment; filename=\"../../../etc/passwd\"\r\n"
	"\r\n"
	"year,complaints\r\n2015,42\r\n"
	"--b1\r\n"
	"Content-Type: text/csv\r\n"
	"Content-Disposition: attachment; filename=\"etc_passwd\"\r\n"
	"\r\n"
	"year,refusals\r\n2015,7\r\n"
	"--b1\r\n"
	"Content-Type: application/pdf\r\n"
	"Content-Disposition: attachment; filename=\"two-pages.pdf\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n";

static void run_ok(struct testenv *te, const char *prog, ...)
{
	char *argv[16] = { 0 }, *out = NULL, *err = NULL;
	va_list ap;
	va_start(ap, prog);
	int n = 0;
	while ((argv[n] = va_arg(ap, char *)) && n < 15)
		n++;
	va_end(ap);
	argv[n] = NULL;
	int rc = testenv_run(te, prog, &out, &err, argv[0], argv[1], argv[2], argv[3], argv[4],
	                     argv[5], argv[6], argv[7], NULL);
	ck_assert_msg(rc == 0, "%s %s: %d\n%s%s", prog, argv[0], rc, out, err);
	free(out);
	free(err);
}

/* A round to Cumbria and Kent, sent; Cumbria's reply (two CSVs whose
 * names become one, and a two-page PDF made by groff) filed. */
static struct testenv *filed(const char *team, char **raw_out)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = team;
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, "name,short_name,email\nCumbria County Council,cumbria,"
	                   "foi@cumbria.council.test\nKent County Council,kent,foi@kent.test\n");
	run_ok(te, "foictl", "round", "create", "r", "--kind", "foi", "--template",
	       "foi-request.txt", NULL);
	run_ok(te, "foictl", "round", "launch", "r", NULL);
	run_ok(te, "foid", "--once", NULL);
	struct fixture *fx = fixture_new();
	char *dir = fixture_path(fx, ".");
	char *script = xasprintf("%s/tests/make-documents.py", fixture_srcdir());
	char *argv[] = { "/usr/bin/python3", script, dir, NULL };
	char *out = NULL, *err = NULL, *pdf = NULL;
	ck_assert_msg(fixture_exec(fx, argv, NULL, &out, &err) == 0, "%s", err);
	char *path = fixture_path(fx, "two-pages.pdf");
	size_t len = 0;
	ck_assert_int_eq(util_read_file(path, &pdf, &len, NULL), 0);
	struct buf m = BUF_INIT;
	buf_addf(&m, head, team);
	testenv_base64(&m, pdf, len);
	buf_adds(&m, "--b1--\r\n");
	ck_assert_msg(sandbox_append(sb, team, "INBOX", m.data, m.len, NULL, &err) == 0, "%s", err);
	run_ok(te, "foid", "--once", NULL);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE kind = 'response'"), 1);
	*raw_out = buf_detach(&m);
	free(pdf);
	free(path);
	free(out);
	free(err);
	free(script);
	free(dir);
	fixture_free(fx);
	return te;
}

static char *slurp(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *data = NULL;
	ck_assert_msg(util_read_file(path, &data, NULL, NULL) == 0, "%s", path);
	free(path);
	return data;
}

/* sh -c cmd run in dir succeeds. */
static int in_dir(const char *dir, const char *cmd)
{
	char *full = xasprintf("cd '%s' && %s", dir, cmd);
	int rc = system(full);
	free(full);
	return rc;
}

/* Every file of the archive is in index.csv and SHA256SUMS, and only
 * those: the checker runs from the test. */
static const char check_index[] =
	"python3 -c 'import csv, os\n"
	"rows = list(csv.DictReader(open(\"index.csv\", newline=\"\")))\n"
	"files = sorted(os.path.join(d, f)[2:] for d, _, fs in os.walk(\".\") for f in fs)\n"
	"assert sorted([r[\"file\"] for r in rows] + [\"SHA256SUMS\", \"index.csv\"]) == files,"
	" (rows, files)\n"
	"sums = sorted(l.split(\"  \", 1)[1].strip() for l in open(\"SHA256SUMS\"))\n"
	"assert sums + [\"SHA256SUMS\"] == files or sorted(sums + [\"SHA256SUMS\"]) == files, sums\n"
	"for r in rows: assert os.path.getsize(r[\"file\"]) == int(r[\"bytes\"]), r\n'";

START_TEST(test_archive_directory_files_index_and_sums)
{
	char *raw = NULL, *out = NULL, *err = NULL;
	struct testenv *te = filed("exp1@uni.test", &raw);
	char *dir = fixture_path(te->fx, "archive");
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--format",
	                             "archive", "--output", dir, NULL), 0);
	/* Kent: the request and its .eml; Cumbria: request, reply, 3 files. */
	char *want = xasprintf("%s: 10 files and SHA256SUMS\n", dir);
	char *index = slurp(dir, "index.csv");
	ck_assert_msg(!strcmp(out, want), "%s%s", out, index);
	free(want);
	free(out);
	free(err);
	ck_assert_int_eq(in_dir(dir, "sha256sum --quiet -c SHA256SUMS"), 0);
	ck_assert_int_eq(in_dir(dir, check_index), 0);
	/* Names from the index: the reply is the second message, dated. */
	ck_assert_msg(util_starts_with(index, "file,body,message,date,direction,kind,content,"
	                               "name,content_type,bytes\r\n"), "%s", index);
	ck_assert_msg(strstr(index, "kent/001-") && strstr(index, "-out.txt,kent,") &&
	              strstr(index, ",out,request,text,"), "%s", index);
	const char *in = strstr(index, "cumbria/002-");
	ck_assert_msg(in && strstr(index, "-in.txt,cumbria,") && strstr(index, ",in,response,text,") &&
	              strstr(index, "cumbria/002-etc_passwd,cumbria,") &&
	              strstr(index, "cumbria/002-etc_passwd-2,cumbria,") &&
	              strstr(index, ",attachment,two-pages.pdf,application/pdf,"), "%s", index);
	char *stem = xstrndup(in, strcspn(in, "."));
	ck_assert_int_eq(strlen(stem), strlen("cumbria/002-2016-08-01-in"));
	char *name = xasprintf("%s.txt", stem);
	char *txt = slurp(dir, name);
	ck_assert_msg(strstr(txt, "From: foi@cumbria.council.test\n") &&
	              strstr(txt, "Subject: RE: Freedom of Information request - response\n") &&
	              strstr(txt, "Our reference: FOI-R-001\n") && strstr(txt, "Kind: response\n") &&
	              strstr(txt, "\n\nPlease find attached our response") &&
	              strstr(txt, "01228 606060") && strstr(txt, "two-pages.pdf (application/pdf, ") &&
	              strstr(txt, "): 002-two-pages.pdf\n"), "%s", txt);
	free(txt);
	free(name);
	name = xasprintf("%s.eml", stem);
	txt = slurp(dir, name);
	ck_assert_str_eq(txt, raw);
	free(txt);
	/* The two "etc_passwd" files, each its own. */
	txt = slurp(dir, "cumbria/002-etc_passwd");
	ck_assert_str_eq(txt, "year,complaints\r\n2015,42");
	free(txt);
	txt = slurp(dir, "cumbria/002-etc_passwd-2");
	ck_assert_str_eq(txt, "year,refusals\r\n2015,7");
	free(txt);
	/* What we sent, decoded from the mail foid sent. */
	const char *sent = strstr(index, "cumbria/001-");
	ck_assert_ptr_nonnull(sent);
	free(name);
	name = xstrndup(sent, strcspn(sent, ","));
	txt = slurp(dir, name);
	ck_assert_msg(strstr(txt, "Purpose: request\n") && strstr(txt, "To: foi@cumbria.council.test") &&
	              strstr(txt, "Our reference: FOI-R-001\n") && strstr(txt, "FOI-R-001"), "%s", txt);
	free(txt);
	free(name);
	free(stem);
	free(index);
	free(dir);
	free(raw);
	testenv_free(te);
}
END_TEST

START_TEST(test_archive_refuses_a_non_empty_directory_without_overwrite)
{
	char *raw = NULL, *out = NULL, *err = NULL;
	struct testenv *te = filed("exp2@uni.test", &raw);
	char *dir = fixture_path(te->fx, "busy");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	char *mine = xasprintf("%s/notes.txt", dir);
	ck_assert_int_eq(util_write_file_atomic(mine, "mine", 4, 0600, NULL), 0);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--format",
	                             "archive", "--output", dir, NULL), 73);
	ck_assert_msg(strstr(err, "is not empty (--overwrite writes into it)"), "%s", err);
	free(out);
	free(err);
	struct stat s;
	char *index = fixture_path(te->fx, "busy/index.csv");
	ck_assert_int_ne(stat(index, &s), 0);
	free(index);
	run_ok(te, "foictl", "export", "r", "--format", "archive", "--output", dir, "--overwrite",
	       NULL);
	char *kept = slurp(dir, "notes.txt");
	ck_assert_str_eq(kept, "mine");
	free(kept);
	ck_assert_int_eq(in_dir(dir, "sha256sum --quiet -c SHA256SUMS"), 0);
	/* Again over itself: the same files replaced. */
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--format",
	                             "archive", "--output", dir, "--overwrite", NULL), 0);
	ck_assert_int_eq(in_dir(dir, "sha256sum --quiet -c SHA256SUMS"), 0);
	free(out);
	free(err);
	free(mine);
	free(dir);
	free(raw);
	testenv_free(te);
}
END_TEST

START_TEST(test_archive_zip_holds_the_same_files)
{
	char *raw = NULL, *out = NULL, *err = NULL;
	struct testenv *te = filed("exp3@uni.test", &raw);
	char *dir = fixture_path(te->fx, "plain");
	char *zip = fixture_path(te->fx, "round.zip");
	char *unz = fixture_path(te->fx, "unzipped");
	run_ok(te, "foictl", "export", "r", "--format", "archive", "--output", dir, NULL);
	run_ok(te, "foictl", "export", "r", "--format", "archive", "--output", zip, NULL);
	/* Listed by Python's zipfile; unpacked, the same bytes as the folder. */
	char *cmd = xasprintf("python3 -m zipfile -l '%s' | grep 'cumbria/002-etc_passwd-2' >/dev/null"
	                      " && python3 -m zipfile -e '%s' '%s' && diff -r '%s' '%s'",
	                      zip, zip, unz, dir, unz);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	ck_assert_int_eq(in_dir(unz, "sha256sum --quiet -c SHA256SUMS"), 0);
	/* An existing zip is kept without --overwrite. */
	struct stat before, after;
	ck_assert_int_eq(stat(zip, &before), 0);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--format",
	                             "archive", "--output", zip, NULL), 73);
	ck_assert_msg(strstr(err, "exists (--overwrite replaces it)"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(stat(zip, &after), 0);
	ck_assert_int_eq(before.st_ino, after.st_ino);
	run_ok(te, "foictl", "export", "r", "--format", "archive", "--output", zip, "--overwrite",
	       NULL);
	free(unz);
	free(zip);
	free(dir);
	free(raw);
	testenv_free(te);
}
END_TEST

START_TEST(test_archive_redact_text_and_no_originals)
{
	char *raw = NULL;
	struct testenv *te = filed("exp4@uni.test", &raw);
	char *dir = fixture_path(te->fx, "red");
	run_ok(te, "foictl", "export", "r", "--format", "archive", "--output", dir, "--redact",
	       NULL);
	ck_assert_int_eq(in_dir(dir, "sha256sum --quiet -c SHA256SUMS"), 0);
	ck_assert_int_eq(in_dir(dir, check_index), 0);
	char *index = slurp(dir, "index.csv");
	ck_assert_msg(!strstr(index, ".eml") && strstr(index, "002-two-pages.pdf"), "%s", index);
	const char *in = strstr(index, "cumbria/002-");
	char *name = xstrndup(in, strcspn(in, ","));
	char *txt = slurp(dir, name);
	ck_assert_msg(strstr(txt, "From: [email]\n") && strstr(txt, "on [phone] or [email]") &&
	              !strstr(txt, "606060") && !strstr(txt, "jo.bloggs"), "%s", txt);
	free(txt);
	free(name);
	free(index);
	free(dir);
	free(raw);
	testenv_free(te);
}
END_TEST

START_TEST(test_export_reply_text_column)
{
	char *raw = NULL, *out = NULL, *err = NULL;
	struct testenv *te = filed("exp5@uni.test", &raw);
	char *csv = fixture_path(te->fx, "export.csv");
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--output", csv,
	                             NULL), 0);
	free(out);
	free(err);
	/* The reply's text, then each attachment's, the PDF's two pages. */
	char *cmd = xasprintf(
		"python3 -c 'import csv, sys\n"
		"r = {x[\"short_name\"]: x for x in csv.DictReader(open(sys.argv[1], newline=\"\"))}\n"
		"t = r[\"cumbria\"][\"reply_text\"]\n"
		"assert t.startswith(\"Please find attached our response\"), t\n"
		"assert \"[attachment etc_passwd]\\nyear,complaints\" in t, t\n"
		"assert \"[attachment two-pages.pdf]\\n\" in t and \"cost limit was not reached\" in t"
		" and t.index(\"cost limit\") < t.index(\"114 of 155\"), t\n"
		"assert r[\"kent\"][\"reply_text\"] == \"\", r[\"kent\"]' %s", csv);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--format", "json",
	                             "--redact", NULL), 0);
	ck_assert_msg(strstr(out, "\"reply_text\": \"Please find attached our response to your"
	                     " request.\\nAsk Jo Bloggs on [phone] or [email]") &&
	              strstr(out, "\"reply_text\": null") && !strstr(out, "606060"), "%s", out);
	free(out);
	free(err);
	free(csv);
	free(raw);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("export");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_archive_directory_files_index_and_sums);
	tcase_add_test(tc, test_archive_refuses_a_non_empty_directory_without_overwrite);
	tcase_add_test(tc, test_archive_zip_holds_the_same_files);
	tcase_add_test(tc, test_archive_redact_text_and_no_originals);
	tcase_add_test(tc, test_export_reply_text_column);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
