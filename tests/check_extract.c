/* Attachment text from real files: documents made by LibreOffice (the .doc,
 * .rtf and .xls of tests/documents), by groff (a two-page PDF) and by
 * tests/make-documents.py (DOCX, XLSX, ODT, ODS and the hostile files),
 * read by the real converters, and through the sandbox by foid itself. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "extract.h"
#include "sandbox.h"
#include "testenv.h"
#include "zipdoc.h"

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

/* The generated documents, made once for the suite. */
static struct fixture *docs;
static void docs_up(void)
{
	docs = fixture_new();
	char *dir = fixture_path(docs, ".");
	char *script = xasprintf("%s/tests/make-documents.py", fixture_srcdir());
	char *argv[] = { "/usr/bin/python3", script, dir, NULL };
	char *out = NULL, *err = NULL;
	ck_assert_msg(fixture_exec(docs, argv, NULL, &out, &err) == 0, "%s", err);
	free(out);
	free(err);
	free(script);
	free(dir);
}
static void docs_down(void) { fixture_free(docs); }

static char *doc_path(const char *name)
{
	if (strchr(name, '/'))
		return xasprintf("%s/tests/documents/%s", fixture_srcdir(), strchr(name, '/') + 1);
	return fixture_path(docs, name);
}

/* Extracts a document with small bounds, so that a hostile one ends soon. */
static void extract(const char *name, const char *declared, struct extract_result *res)
{
	char *path = doc_path(name), *data = NULL;
	size_t len = 0;
	ck_assert_msg(util_read_file(path, &data, &len, NULL) == 0, "%s", path);
	struct extract_opts o = { { 256u << 20, 2, 10000, 1u << 20, 0 }, 0 };
	memset(res, 0, sizeof *res);
	const char *slash = strrchr(name, '/');
	extract_file(path, data, len, declared, slash ? slash + 1 : name, &o, res);
	free(data);
	free(path);
}

static void assert_text(const char *name, const char *type, size_t pages, size_t page,
                        const char *want)
{
	struct extract_result res;
	extract(name, NULL, &res);
	ck_assert_msg(!strcmp(res.type, type), "%s: type %s", name, res.type);
	ck_assert_msg(!res.warning, "%s: %s", name, res.warning);
	ck_assert_msg(res.pages.n == pages, "%s: %zu pages", name, res.pages.n);
	ck_assert_msg(strstr(res.pages.v[page], want), "%s page %zu: %s", name, page + 1,
	              res.pages.v[page]);
	extract_result_clear(&res);
}

START_TEST(test_pdf_two_pages)
{
	assert_text("two-pages.pdf", "pdf", 2, 0, "Page one: the cost limit was not reached.");
	assert_text("two-pages.pdf", "pdf", 2, 1, "Page two: 114 of 155 answered.");
}
END_TEST

START_TEST(test_docx_paragraphs)
{
	assert_text("answer.docx", "docx", 1, 0, "Question 1: yes, the council took part.\n"
	            "Question 2: it spent 12,450 pounds on advice.\n");
}
END_TEST

START_TEST(test_xlsx_one_page_a_sheet)
{
	assert_text("figures.xlsx", "xlsx", 2, 0, "council\ton time\nBolton\tyes\nWigan\tno\n");
	assert_text("figures.xlsx", "xlsx", 2, 1, "year\tcomplaints\n2016\t42\n");
}
END_TEST

START_TEST(test_odt_and_ods)
{
	assert_text("answer.odt", "odt", 1, 0, "Response\nWe hold no minutes of the leadership talks.\n");
	assert_text("figures.ods", "ods", 1, 0, "Rochdale\tlate\t\n");
}
END_TEST

START_TEST(test_word97_rtf_excel97_by_their_converters)
{
	assert_text("documents/response.doc", "doc", 1, 0, "42 complaints about the leadership");
	assert_text("documents/response.rtf", "rtf", 1, 0, "42 complaints about the leadership");
	assert_text("documents/councils.xls", "xls", 1, 0, "\"Rochdale\",\"no\",\"no\"");
}
END_TEST

/* A page of pixels only: no text unless OCR is on, and then each page's
 * own, with its number. */
START_TEST(test_scanned_pdf_read_by_ocr_only_when_asked)
{
	char *path = doc_path("scanned.pdf"), *data = NULL;
	size_t len = 0;
	ck_assert_int_eq(util_read_file(path, &data, &len, NULL), 0);
	struct extract_opts o = EXTRACT_OPTS_DEFAULT;
	struct extract_result res = { 0 };
	extract_file(path, data, len, "application/pdf", "scan.pdf", &o, &res);
	ck_assert_int_eq(res.pages.n, 2);
	ck_assert_msg(strspn(res.pages.v[0], " \n\f") == strlen(res.pages.v[0]), "%s",
	              res.pages.v[0]);
	extract_result_clear(&res);
	o.ocr = 1;
	extract_file(path, data, len, "application/pdf", "scan.pdf", &o, &res);
	ck_assert_msg(!res.warning, "%s", res.warning);
	ck_assert_int_eq(res.pages.n, 2);
	ck_assert_msg(strstr(res.pages.v[0], "the council holds no minutes of the meeting"), "%s",
	              res.pages.v[0]);
	ck_assert_msg(strstr(res.pages.v[1], "the budget was not discussed"), "%s", res.pages.v[1]);
	extract_result_clear(&res);
	/* A page image past the output bound: a warning, the page empty. */
	o.limits.output = 4096;
	extract_file(path, data, len, "application/pdf", "scan.pdf", &o, &res);
	ck_assert_msg(res.warning && strstr(res.warning, "OCR of page 1: pdftoppm") &&
	              strstr(res.warning, "OCR of page 2: "), "%s", res.warning);
	ck_assert_int_eq(res.pages.n, 2);
	ck_assert_msg(strspn(res.pages.v[1], " \n\f") == strlen(res.pages.v[1]), "%s",
	              res.pages.v[1]);
	extract_result_clear(&res);
	free(data);
	free(path);
}
END_TEST

static void assert_hostile(const char *name, const char *declared, const char *why)
{
	struct extract_result res;
	extract(name, declared, &res);
	ck_assert_msg(res.pages.n == 0, "%s gave text: %s", name, res.pages.n ? res.pages.v[0] : "");
	ck_assert_msg(res.warning && strstr(res.warning, why), "%s: %s", name,
	              res.warning ? res.warning : "no warning");
	extract_result_clear(&res);
}

START_TEST(test_hostile_files_give_a_warning_and_no_text)
{
	assert_hostile("bomb.docx", NULL, "unpacks to more than 32 MiB");
	assert_hostile("entities.docx", NULL, "DOCTYPE or entity declaration");
	assert_hostile("truncated.docx", NULL, "not a document foid reads");
	assert_hostile("report.pdf", "application/pdf", "its name or type says pdf, its bytes say unknown");
	assert_hostile("spin.pdf", NULL, "pdftotext");
	assert_hostile("forms.pdf", NULL, "pdftotext");
}
END_TEST

START_TEST(test_type_from_bytes_not_name)
{
	/* A DOCX sent as "application/pdf" named x.pdf is read as what it is,
	 * with the lie noted. */
	struct extract_result res;
	char *path = doc_path("answer.docx"), *data = NULL;
	size_t len = 0;
	ck_assert_int_eq(util_read_file(path, &data, &len, NULL), 0);
	struct extract_opts o = EXTRACT_OPTS_DEFAULT;
	memset(&res, 0, sizeof res);
	extract_file(path, data, len, "application/pdf", "x.pdf", &o, &res);
	ck_assert_str_eq(res.type, "docx");
	ck_assert_int_eq(res.pages.n, 1);
	ck_assert_msg(res.warning && strstr(res.warning, "says pdf, its bytes say docx"), "%s",
	              res.warning);
	extract_result_clear(&res);
	free(data);
	free(path);
	ck_assert_str_eq(extract_detect("%PDF-1.4", 8), "pdf");
	ck_assert_str_eq(extract_detect("{\\rtf1 x}", 9), "rtf");
	ck_assert_str_eq(extract_detect("<!DOCTYPE html><p>x", 19), "html");
	ck_assert_str_eq(extract_detect("plain words", 11), "text");
	ck_assert_str_eq(extract_detect("\x89PNG\r\n\x1a\n", 8), "image");
	ck_assert_str_eq(extract_detect("a\0b", 3), "unknown");
}
END_TEST

START_TEST(test_converter_bounds_hold)
{
	struct fixture *fx = fixture_new();
	char *in = fixture_write(fx, "in", "x");
	char *out = NULL, *err = NULL;
	struct convert_limits wall = { 64u << 20, 30, 300, 1024, 0 };
	char *spin[] = { "sh", "-c", "while :; do :; done", NULL };
	ck_assert_int_eq(convert_run(spin, in, &wall, &out, NULL, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "ran too long"), "%s", err);
	free(out);
	free(err);
	err = NULL;
	char *flood[] = { "sh", "-c", "yes", NULL };
	ck_assert_int_eq(convert_run(flood, in, &wall, &out, NULL, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "wrote too much"), "%s", err);
	free(out);
	free(err);
	err = NULL;
	struct convert_limits cpu = { 64u << 20, 1, 20000, 1024, 0 };
	ck_assert_int_eq(convert_run(spin, in, &cpu, &out, NULL, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "CPU limit"), "%s", err);
	free(out);
	free(err);
	err = NULL;
	char *file[] = { "sh", "-c", "echo x > written", NULL };
	ck_assert_int_eq(convert_run(file, in, &cpu, &out, NULL, &err), FOID_EINVAL);
	free(out);
	free(err);
	err = NULL;
	char *cat[] = { "cat", NULL };
	ck_assert_int_eq(convert_run(cat, in, &cpu, &out, NULL, &err), 0);
	ck_assert_str_eq(out, "x");
	free(out);
	char *none[] = { "no-such-converter-here", NULL };
	ck_assert_int_eq(convert_run(none, in, &cpu, &out, NULL, &err), FOID_ENOTFOUND);
	free(out);
	free(err);
	err = NULL;
	free(in);
	fixture_free(fx);
}
END_TEST

/* With ocr = true in the config, foid reads a scan as it files it, and
 * search finds its words on their page. */
START_TEST(test_filed_scan_read_by_ocr_with_the_setting)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = "ocr@uni.test";
	o.extra = "ocr = true;\n";
	struct testenv *te = testenv_new(&o);
	ck_assert_int_eq(te->cfg->ocr, 1);
	char *path = doc_path("scanned.pdf"), *data = NULL, *out = NULL, *err = NULL;
	size_t len = 0;
	ck_assert_int_eq(util_read_file(path, &data, &len, NULL), 0);
	struct buf m = BUF_INIT;
	buf_adds(&m, "From: foi@wigan.test\r\nTo: ocr@uni.test\r\nSubject: Scan\r\n"
	             "Message-ID: <scan@wigan.test>\r\nMIME-Version: 1.0\r\n"
	             "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
	             "Content-Type: text/plain\r\n\r\nOur scanned reply.\r\n--b\r\n"
	             "Content-Type: application/pdf\r\nContent-Disposition: attachment;"
	             " filename=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	testenv_base64(&m, data, len);
	buf_adds(&m, "--b--\r\n");
	ck_assert_msg(sandbox_append(sb, "ocr@uni.test", "INBOX", m.data, m.len, NULL, &err) == 0,
	              "%s", err);
	ck_assert_int_eq(testenv_run(te, "foid", &out, &err, "--once", NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM attachments WHERE text_status = 'ok'"), 1);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "budget", NULL), 0);
	ck_assert_msg(strstr(out, "scan.pdf p.2: ") && strstr(out, "the [budget] was not discussed"),
	              "%s", out);
	free(out);
	free(err);
	buf_free(&m);
	free(data);
	free(path);
	testenv_free(te);
}
END_TEST

/* One mail with every document and the hostile ones, filed by foid through
 * the sandbox: each text per page, found by search; the hostile ones cost a
 * warning, the mail and the next one are filed. */
START_TEST(test_filed_mail_text_pages_and_search)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = "extract@uni.test";
	struct testenv *te = testenv_new(&o);
	static const char *const files[][2] = {
		{ "two-pages.pdf", "application/pdf" }, { "answer.docx", "application/octet-stream" },
		{ "figures.xlsx", "application/vnd.ms-excel" }, { "answer.odt", "application/octet-stream" },
		{ "documents/response.doc", "application/msword" },
		{ "documents/councils.xls", "application/vnd.ms-excel" },
		{ "documents/response.rtf", "application/rtf" },
		{ "bomb.docx", "application/octet-stream" }, { "entities.docx", "application/octet-stream" },
		{ "truncated.docx", "application/octet-stream" }, { "report.pdf", "application/pdf" },
	};
	struct buf m = BUF_INIT;
	buf_adds(&m, "From: foi@bolton.test\r\nTo: extract@uni.test\r\nSubject: Response\r\n"
	             "Message-ID: <docs@bolton.test>\r\nMIME-Version: 1.0\r\n"
	             "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
	             "Content-Type: text/plain\r\n\r\nPlease find attached.\r\n");
	size_t n = sizeof files / sizeof files[0];
	for (size_t i = 0; i < n; i++) {
		char *path = doc_path(files[i][0]), *data = NULL;
		size_t len = 0;
		ck_assert_int_eq(util_read_file(path, &data, &len, NULL), 0);
		const char *base = strrchr(files[i][0], '/') ? strrchr(files[i][0], '/') + 1 : files[i][0];
		buf_addf(&m, "--b\r\nContent-Type: %s\r\nContent-Disposition: attachment;"
		         " filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", files[i][1], base);
		testenv_base64(&m, data, len);
		free(data);
		free(path);
	}
	buf_adds(&m, "--b--\r\n");
	char *err = NULL;
	ck_assert_msg(sandbox_append(sb, "extract@uni.test", "INBOX", m.data, m.len, NULL, &err) == 0,
	              "%s", err);
	const char *next = "From: foi@bolton.test\r\nTo: extract@uni.test\r\nSubject: And\r\n"
	                   "Message-ID: <next@bolton.test>\r\n\r\nOne more.\r\n";
	ck_assert_int_eq(sandbox_append(sb, "extract@uni.test", "INBOX", next, strlen(next), NULL,
	                                &err), 0);
	char *out = NULL;
	ck_assert_int_eq(testenv_run(te, "foid", &out, &err, "--once", NULL), 0);
	ck_assert_msg(strstr(err, "event=extract.warning") && strstr(err, "name=bomb.docx"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'in'"), 2);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM attachments"), (int64_t)n);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM attachments WHERE text_status = 'ok'"), 7);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM attachments WHERE text_status LIKE"
	                                 " 'no text: %'"), 4);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM attachment_pages p JOIN attachments a"
	                                 " ON a.id = p.attachment_id WHERE a.filename = 'two-pages.pdf'"
	                                 " AND p.page = 2 AND instr(p.text, '114 of 155') > 0"), 1);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "\"114 of 155\"", NULL), 0);
	ck_assert_msg(strstr(out, "two-pages.pdf p.2: ") && strstr(out, "Page two: [114 of 155] answered."), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "leadership", NULL), 0);
	ck_assert_msg(strstr(out, "response.doc") && strstr(out, "response.rtf"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "Rochdale", NULL), 0);
	ck_assert_msg(strstr(out, "councils.xls"), "%s", out);
	free(out);
	free(err);
	/* Nothing left to read; --again reads it all afresh, the same. */
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "extract", NULL), 0);
	ck_assert_str_eq(out, "0 attachments read\n");
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "extract", "--again", NULL), 0);
	ck_assert_str_eq(out, "11 attachments read\n");
	free(out);
	free(err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM search_text WHERE search_text MATCH"
	                                 " '\"114 of 155\"'"), 1);
	buf_free(&m);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("extract");
	TCase *tc = tcase_create("files");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, docs_up, docs_down);
	tcase_add_test(tc, test_pdf_two_pages);
	tcase_add_test(tc, test_docx_paragraphs);
	tcase_add_test(tc, test_xlsx_one_page_a_sheet);
	tcase_add_test(tc, test_odt_and_ods);
	tcase_add_test(tc, test_word97_rtf_excel97_by_their_converters);
	tcase_add_test(tc, test_hostile_files_give_a_warning_and_no_text);
	tcase_add_test(tc, test_type_from_bytes_not_name);
	tcase_add_test(tc, test_converter_bounds_hold);
	tcase_add_test(tc, test_scanned_pdf_read_by_ocr_only_when_asked);
	suite_add_tcase(s, tc);
	TCase *filed = tcase_create("filed");
	tcase_set_timeout(filed, 180);
	tcase_add_unchecked_fixture(filed, docs_up, docs_down);
	tcase_add_unchecked_fixture(filed, sb_up, sb_down);
	tcase_add_test(filed, test_filed_mail_text_pages_and_search);
	tcase_add_test(filed, test_filed_scan_read_by_ocr_with_the_setting);
	suite_add_tcase(s, filed);
	return fixture_run(s);
}
