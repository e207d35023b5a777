#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "fixture.h"
#include "markup.h"
#include "mime.h"
#include "util.h"

static struct mime_message *parse_str(const char *raw, const struct mime_limits *lim)
{
	struct mime_message *m = NULL;
	char *err = NULL;
	ck_assert_int_eq(mime_parse(raw, strlen(raw), lim, &m, &err), 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(m->body_text);
	return m;
}

static struct mime_message *parse_file(const char *rel)
{
	char *path = xasprintf("%s/tests/corpus/%s", fixture_srcdir(), rel);
	char *raw = NULL;
	size_t len = 0;
	char *err = NULL;
	ck_assert_msg(util_read_file(path, &raw, &len, &err) == 0, "%s", err);
	struct mime_message *m = NULL;
	ck_assert_int_eq(mime_parse(raw, len, NULL, &m, &err), 0);
	ck_assert_ptr_nonnull(m);
	free(raw);
	free(path);
	return m;
}

static int utf8_ok(const char *s)
{
	return !s || util_utf8_valid(s, strlen(s));
}

static void check_sane(const struct mime_message *m, const char *name)
{
	ck_assert_msg(m->body_text != NULL, "%s: no body text", name);
	ck_assert_msg(m->nheaders > 0 || m->status != MIME_OK, "%s: empty result", name);
	ck_assert_msg(m->status == MIME_OK || m->problem, "%s: status without reason", name);
	ck_assert_msg(utf8_ok(m->subject) && utf8_ok(m->body_text) && utf8_ok(m->from_display) &&
	              utf8_ok(m->delivery_status) && utf8_ok(m->problem),
	              "%s: invalid UTF-8", name);
	for (size_t i = 0; i < m->nheaders; i++)
		ck_assert_msg(utf8_ok(m->headers[i].value), "%s: header %s", name, m->headers[i].name);
	for (size_t i = 0; i < m->nattachments; i++)
		ck_assert_msg(utf8_ok(m->attachments[i].filename), "%s: file name", name);
	for (size_t i = 0; i < m->nembedded; i++)
		check_sane(m->embedded[i], name);
}

static const struct mime_attachment *find_att(const struct mime_message *m, const char *name)
{
	for (size_t i = 0; i < m->nattachments; i++)
		if (m->attachments[i].filename && strcmp(m->attachments[i].filename, name) == 0)
			return &m->attachments[i];
	return NULL;
}

START_TEST(test_corpus_every_file)
{
	static const char *const dirs[] = { "mime", "replies", "bounces", "autoreplies" };
	int n = 0;
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char *path = xasprintf("%s/tests/corpus/%s", fixture_srcdir(), dirs[d]);
		DIR *dir = opendir(path);
		ck_assert_ptr_nonnull(dir);
		struct dirent *e;
		while ((e = readdir(dir)) != NULL) {
			size_t l = strlen(e->d_name);
			if (l < 4 || strcmp(e->d_name + l - 4, ".eml") != 0)
				continue;
			char *rel = xasprintf("%s/%s", dirs[d], e->d_name);
			struct mime_message *m = parse_file(rel);
			check_sane(m, rel);
			mime_message_free(m);
			free(rel);
			n++;
		}
		closedir(dir);
		free(path);
	}
	ck_assert_int_ge(n, 100);
}
END_TEST

START_TEST(test_corpus_ks_c_5601)
{
	struct mime_message *m = parse_file("mime/mailgem_ks_c_5601-1987.eml");
	ck_assert_str_eq(m->body_text, "스티해");
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_iso8859)
{
	struct mime_message *m = parse_file("replies/iso8859_2_raw_email.eml");
	ck_assert_str_eq(m->subject,
	                 "RE: Freedom of Information request - Sasia e pulave të importuara gjatë vitit 2010");
	ck_assert_ptr_nonnull(strstr(m->body_text, "Faleminderit per kerkesen tënde."));
	mime_message_free(m);
	m = parse_file("replies/iso8859_1_with_extended_character_set.eml");
	ck_assert_str_eq(m->body_text, "Information Governance\xC2\xA0Unit");
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_utf7_bounce)
{
	struct mime_message *m = parse_file("bounces/alaveteli_utf-7-conversion.eml");
	ck_assert_str_eq(m->report_type, "delivery-status");
	ck_assert_ptr_nonnull(strstr(m->body_text, "Delivery to the following recipients failed."));
	ck_assert_ptr_nonnull(strstr(m->delivery_status, "Status: 5.1.1"));
	ck_assert_uint_eq(m->nembedded, 1);
	ck_assert_str_eq(m->embedded[0]->subject, "Freedom of Information request");
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_multipart_report)
{
	struct mime_message *m = parse_file("bounces/alaveteli_track-response-multipart-report.eml");
	ck_assert_str_eq(m->content_type, "multipart/report");
	ck_assert_str_eq(m->report_type, "delivery-status");
	ck_assert_ptr_nonnull(strstr(m->delivery_status, "Final-Recipient: rfc822;FailedUser@example.com"));
	ck_assert_ptr_nonnull(strstr(m->delivery_status, "Status: 5.2.2"));
	ck_assert_uint_eq(m->nembedded, 1);
	ck_assert_str_eq(m->embedded[0]->message_id, "E1R12OL-0003K9-UE@wildfire.ukcod.org.uk");
	ck_assert_str_eq(m->embedded[0]->from, "team@whatdotheyknow.com");
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_tnef_unpacked)
{
	struct mime_message *m = parse_file("replies/incoming-request-tnef-attachments.eml");
	const struct mime_attachment *a = find_att(m, "FOI 09-02976i.doc");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->from_tnef, 1);
	ck_assert_uint_eq(a->size, 82944);
	ck_assert_mem_eq(a->data, "\xD0\xCF\x11\xE0", 4); /* an OLE2 .doc */
	a = find_att(m, "FOI 09-02976iii.doc");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->size, 65024);
	for (size_t i = 0; i < m->nattachments; i++)
		ck_assert_str_ne(m->attachments[i].content_type, "application/ms-tnef");
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_tnef_without_files_kept)
{
	struct mime_message *m = parse_file("replies/incoming-request-tnef-only.eml");
	const struct mime_attachment *a = find_att(m, "winmail.dat");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->from_tnef, 0);
	ck_assert_uint_eq(a->size, 14143);
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_bad_uuencoding)
{
	struct mime_message *m = parse_file("replies/incoming-request-bad-uuencoding-2.eml");
	const struct mime_attachment *a = find_att(m, "ResponseT5741 15.doc");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->from_uuencode, 1);
	ck_assert_uint_gt(a->size, 100000);
	ck_assert_ptr_nonnull(strstr(m->body_text, "A reply is attached."));
	ck_assert_ptr_null(strstr(m->body_text, "begin 666"));
	mime_message_free(m);
	m = parse_file("mime/mimetools_uu-junk.eml");
	a = find_att(m, "zeegee.gif");
	ck_assert_ptr_nonnull(a);
	ck_assert_mem_eq(a->data, "GIF8", 4);
	ck_assert_ptr_nonnull(find_att(m, "up.gif"));
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_rfc822_attachment)
{
	struct mime_message *m = parse_file("replies/rfc822-attachment.eml");
	ck_assert_str_eq(m->from, "foi.officer@example.com");
	ck_assert_str_eq(m->from_display, "An FOI Officer");
	ck_assert_uint_eq(m->nembedded, 1);
	ck_assert_str_eq(m->embedded[0]->subject, "Freedom of Information request");
	ck_assert_str_eq(m->embedded[0]->message_id,
	                 "0F3951EA9DCFB246827E1F6513F6C79D098AC8C5@exch2serv.ad.example.com");
	ck_assert_int_eq(m->body_from_html, 0);
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_filenames)
{
	struct mime_message *m = parse_file("replies/non-utf8-filename.eml");
	ck_assert_ptr_nonnull(find_att(m, "RV %A312000 or more.xls"));
	ck_assert_ptr_nonnull(find_att(m, "other.xls"));
	mime_message_free(m);
	m = parse_file("mime/mimetools_attachment-filename-encoding-Latin1.eml");
	ck_assert_ptr_nonnull(find_att(m, "attachment.äöü"));
	mime_message_free(m);
	m = parse_file("mime/mimetools_multi-2evil.eml");
	/* Decoded as sent; mime_safe_filename is for storage. */
	ck_assert_ptr_nonnull(find_att(m, "/evil/because:ofpath3d-compress.gif"));
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_missing_final_boundary)
{
	struct mime_message *m = parse_file("mime/flanker_missing-final-boundary.eml");
	ck_assert_int_eq(m->status, MIME_PARTIAL);
	ck_assert_ptr_nonnull(strstr(m->problem, "missing final boundary"));
	ck_assert_str_eq(m->body_text, "Some body");
	ck_assert_uint_eq(m->to.n, 2);
	ck_assert_str_eq(m->to.v[1], "hithere@example.com");
	mime_message_free(m);
	m = parse_file("replies/multipart-no-final-boundary.eml");
	ck_assert_int_eq(m->status, MIME_PARTIAL);
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_line_ends)
{
	struct mime_message *m = parse_file("bounces/sisimai_mac_lhost-exim-01.eml");
	ck_assert_str_eq(m->subject, "Mail delivery failed: returning message to sender");
	ck_assert_str_eq(m->from, "mailer-daemon@e1.example.org");
	mime_message_free(m);
	m = parse_file("replies/dos-linebreaks.eml");
	ck_assert_str_eq(m->from, "email@example.com"); /* from a broken From: */
	ck_assert_ptr_nonnull(strstr(m->body_text, "I have forwarded it\r\nto the relevant"));
	mime_message_free(m);
}
END_TEST

START_TEST(test_corpus_alternative_prefers_plain)
{
	struct mime_message *m = parse_file("mime/mailgem_raw_email_with_illegal_boundary.eml");
	ck_assert_str_eq(m->content_type, "multipart/alternative");
	ck_assert_int_eq(m->body_from_html, 0);
	ck_assert_ptr_nonnull(strstr(m->body_text, "This is an outlook test"));
	mime_message_free(m);
}
END_TEST

START_TEST(test_rfc2047_words)
{
	char *s = mime_decode_words("=?ISO-8859-1?Q?Andr=E9_Pirard?= <a@b>");
	ck_assert_str_eq(s, "André Pirard <a@b>");
	free(s);
	s = mime_decode_words("=?UTF-8?B?SGVsbG8gV8O2cmxk?=");
	ck_assert_str_eq(s, "Hello Wörld");
	free(s);
	/* Adjacent words join, even when a character is split between them. */
	s = mime_decode_words("=?utf-8?B?w6k=?= =?utf-8?B?w6k=?=\r\n =?UTF-8?Q?_x?=");
	ck_assert_str_eq(s, "éé x");
	free(s);
	s = mime_decode_words("=?utf-8?B?4oI=?=\t=?utf-8?B?rA==?=");
	ck_assert_str_eq(s, "€");
	free(s);
	s = mime_decode_words("Re: =?koi8-r?B?8NLJ18XU?= and =?windows-1252?Q?=93q=94?= end");
	ck_assert_str_eq(s, "Re: Привет and “q” end");
	free(s);
	s = mime_decode_words("=?x-no-such-charset?Q?caf=E9?= =?utf-8?Q?broken");
	ck_assert_str_eq(s, "café =?utf-8?Q?broken");
	free(s);
	ck_assert_ptr_null(mime_decode_words(NULL));
}
END_TEST

START_TEST(test_raw_8bit_headers)
{
	struct mime_message *m = parse_str("Subject: caf\xE9 \x93ok\x94\nFrom: J\xFCrgen <J@X.Example>\n"
	                                   "To: a@b.c\n\nbody\n", NULL);
	ck_assert_str_eq(m->subject, "café “ok”");
	ck_assert_str_eq(m->from, "j@x.example");
	ck_assert_str_eq(m->from_display, "Jürgen");
	mime_message_free(m);
	m = parse_str("Subject: d\xC3\xA9j\xC3\xA0 vu\n\nx\n", NULL);
	ck_assert_str_eq(m->subject, "déjà vu");
	ck_assert_str_eq(mime_header_get(m, "SUBJECT"), "déjà vu");
	ck_assert_ptr_null(mime_header_get(m, "X-None"));
	mime_message_free(m);
}
END_TEST

START_TEST(test_rfc2231_continuations)
{
	struct mime_message *m = parse_str(
		"From: a@b\nSubject: t\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"X\"\n\n"
		"--X\nContent-Type: text/plain\n\nhi\n"
		"--X\nContent-Type: application/pdf\nContent-Disposition: attachment;\n"
		" filename*0*=utf-8''R%C3%A9ponse%20;\n filename*1=\"to your \";\n filename*2*=%E2%82%AC.pdf\n"
		"Content-Transfer-Encoding: base64\n\nJVBE\n Ri0x\t\n!*!*\nLjQ=\n"
		"--X\nContent-Type: application/octet-stream; name=\"=?utf-8?Q?na=C3=AFve.txt?=\"\n\nabc\n"
		"--X\nContent-Type: text/plain; name*=iso-8859-1'en'%E9t%E9.txt\n"
		"Content-Disposition: attachment\n\nsummer\n--X--\n", NULL);
	ck_assert_int_eq(m->status, MIME_OK);
	ck_assert_str_eq(m->body_text, "hi");
	ck_assert_uint_eq(m->nattachments, 3);
	ck_assert_str_eq(m->attachments[0].filename, "Réponse to your €.pdf");
	ck_assert_str_eq(m->attachments[0].part, "2");
	ck_assert_uint_eq(m->attachments[0].size, 8);
	ck_assert_mem_eq(m->attachments[0].data, "%PDF-1.4", 8);
	ck_assert_str_eq(m->attachments[1].filename, "naïve.txt");
	ck_assert_str_eq(m->attachments[2].filename, "été.txt");
	ck_assert_str_eq(m->attachments[2].content_type, "text/plain");
	mime_message_free(m);
}
END_TEST

START_TEST(test_html_only_mail)
{
	struct mime_message *m = parse_str(
		"From: a@b\nSubject: html\nContent-Type: text/html; charset=windows-1252\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"<html><head><title>T</title><style>p{color:red}</style></head><body>"
		"<p>Dear&nbsp;Sir,</p><p>Caf=E9 &amp; tea<br>line two</p>"
		"<script>alert(1)</script><ul><li>one</li><li>two</li></ul>"
		"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
		"<div>  spaced   out  </div></body></html>\n", NULL);
	ck_assert_int_eq(m->body_from_html, 1);
	ck_assert_str_eq(m->body_text,
	                 "Dear Sir,\n\nCafé & tea\nline two\n\n- one\n- two\n\na\tb\nc\td\n\nspaced out");
	mime_message_free(m);
	char *t = markup_html_text("", 0);
	ck_assert_str_eq(t, "");
	free(t);
}
END_TEST

START_TEST(test_safe_filename)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "../../etc/passwd", "etc_passwd" },
		{ "x/../y..z", "x_._y.z" },
		{ "/abs/path", "abs_path" },
		{ "a\\b", "a_b" },
		{ "..", "attachment" },
		{ "", "attachment" },
		{ ".hidden", "hidden" },
		{ "a\x01\x1f\x7f" "b.txt", "a___b.txt" },
		{ "caf\xE9.txt", "café.txt" },
		{ "ok name.pdf", "ok name.pdf" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = mime_safe_filename(cases[i].in, NULL);
		ck_assert_msg(strcmp(s, cases[i].want) == 0, "%s -> %s", cases[i].in, s);
		free(s);
	}
	char *s = mime_safe_filename(NULL, "fallback.bin");
	ck_assert_str_eq(s, "fallback.bin");
	free(s);
	/* A NUL ends a C string: what follows cannot reach the name. */
	s = mime_safe_filename("a\0/../../x", NULL);
	ck_assert_str_eq(s, "a");
	free(s);
	char *lng = xmalloc(10001 * 3 + 5);
	size_t n = 0;
	for (int i = 0; i < 10000; i++) {
		memcpy(lng + n, "\xE2\x82\xAC", 3); /* € */
		n += 3;
	}
	memcpy(lng + n, ".pdf", 5);
	s = mime_safe_filename(lng, NULL);
	ck_assert_uint_le(strlen(s), 200);
	ck_assert_int_eq(util_utf8_valid(s, strlen(s)), 1);
	ck_assert_str_eq(s + strlen(s) - 4, ".pdf");
	ck_assert_ptr_null(strstr(s, ".."));
	free(s);
	free(lng);
}
END_TEST

START_TEST(test_many_parts_limited)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "From: a@b\nSubject: many\nMIME-Version: 1.0\n"
	             "Content-Type: multipart/mixed; boundary=XX\n\n");
	for (int i = 0; i < 10000; i++)
		buf_addf(&b, "--XX\nContent-Type: text/plain\n\npart %d\n", i);
	buf_adds(&b, "--XX--\n");
	struct mime_limits lim = { 0, 0, 1000, 0 };
	struct mime_message *m = parse_str(b.data, &lim);
	ck_assert_int_eq(m->status, MIME_LIMIT);
	ck_assert_str_eq(m->problem, "more than 1000 parts");
	ck_assert_str_eq(m->subject, "many");
	mime_message_free(m);
	/* Under the limit the same shape parses whole. */
	lim.max_parts = 20000;
	m = parse_str(b.data, &lim);
	ck_assert_int_eq(m->status, MIME_OK);
	ck_assert_ptr_nonnull(strstr(m->body_text, "part 9999"));
	mime_message_free(m);
	buf_free(&b);
}
END_TEST

START_TEST(test_deep_nesting_limited)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "From: a@b\nSubject: deep\nMIME-Version: 1.0\n");
	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	buf_adds(&b, "Content-Type: text/plain\n\nhello\n");
	for (int i = 999; i >= 0; i--)
		buf_addf(&b, "--b%d--\n", i);
	struct mime_message *m = parse_str(b.data, NULL);
	ck_assert_int_eq(m->status, MIME_LIMIT);
	ck_assert_ptr_nonnull(strstr(m->problem, "nesting deeper than"));
	ck_assert_str_eq(m->subject, "deep");
	mime_message_free(m);
	buf_free(&b);
	/* message/rfc822 inside message/rfc822: no boundaries to count. */
	buf_adds(&b, "Subject: msgs\n");
	for (int i = 0; i < 100000; i++)
		buf_adds(&b, "Content-Type: message/rfc822\n\n");
	buf_adds(&b, "hi\n");
	m = parse_str(b.data, NULL);
	ck_assert_int_eq(m->status, MIME_LIMIT);
	mime_message_free(m);
	buf_free(&b);
	/* Moderate nesting within the limit is walked to the bottom. */
	buf_adds(&b, "Subject: ok\n");
	for (int i = 0; i < 10; i++)
		buf_addf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	buf_adds(&b, "Content-Type: text/plain\n\nbottom\n");
	for (int i = 9; i >= 0; i--)
		buf_addf(&b, "--b%d--\n", i);
	m = parse_str(b.data, NULL);
	ck_assert_int_eq(m->status, MIME_OK);
	ck_assert_str_eq(m->body_text, "bottom");
	mime_message_free(m);
	buf_free(&b);
}
END_TEST

/* A 50 MB message: a 20 MB attachment (base64) and text, under the
 * default limits; parsed whole, the attachment's bytes intact. */
START_TEST(test_fifty_megabyte_message)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "From: a@b.test\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
	         "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
	         "Content-Type: text/plain\r\n\r\n");
	while (b.len < 20u * 1024 * 1024)
		buf_adds(&b, "The council holds the following information about bins.\r\n");
	buf_adds(&b, "--zz\r\nContent-Type: application/octet-stream; name=data.bin\r\n"
	         "Content-Transfer-Encoding: base64\r\n\r\n");
	/* "AAAA" is three zero bytes: 20 MiB of them in 76-character lines. */
	size_t zeros = 0;
	while (zeros < 20u * 1024 * 1024) {
		for (int i = 0; i < 19; i++)
			buf_adds(&b, "AAAA");
		buf_adds(&b, "\r\n");
		zeros += 57;
	}
	buf_adds(&b, "--zz--\r\n");
	ck_assert_int_gt(b.len, 45u * 1024 * 1024);
	struct mime_message *m = NULL;
	ck_assert_int_eq(mime_parse(b.data, b.len, NULL, &m, NULL), 0);
	ck_assert_int_eq(m->status, MIME_OK);
	ck_assert_int_eq(m->nattachments, 1);
	ck_assert_uint_eq(m->attachments[0].size, zeros);
	ck_assert_int_eq(m->attachments[0].data[zeros - 1], 0);
	ck_assert_ptr_nonnull(strstr(m->body_text, "following information about bins."));
	mime_message_free(m);
	buf_free(&b);
}
END_TEST

START_TEST(test_message_over_limit)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "From: Big <big@example.org>\nSubject: big\n\n");
	for (int i = 0; i < 2000; i++)
		buf_adds(&b, "0123456789012345678901234567890123456789\n");
	struct mime_limits lim = { 10000, 0, 0, 0 };
	struct mime_message *m = parse_str(b.data, &lim);
	ck_assert_int_eq(m->status, MIME_LIMIT);
	ck_assert_ptr_nonnull(strstr(m->problem, "larger than 10000"));
	ck_assert_str_eq(m->from, "big@example.org");
	ck_assert_str_eq(m->body_text, "");
	mime_message_free(m);
	buf_free(&b);
	lim = (struct mime_limits){ 0, 4, 0, 0 };
	m = parse_str("Subject: a\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\n\ntext\n"
	              "--Q\nContent-Type: image/png; name=x.png\n\n0123456789\n--Q--\n", &lim);
	ck_assert_int_eq(m->status, MIME_LIMIT);
	ck_assert_ptr_nonnull(strstr(m->problem, "attachment 2 larger than 4 bytes"));
	ck_assert_uint_eq(m->nattachments, 0);
	ck_assert_str_eq(m->body_text, "text");
	mime_message_free(m);
}
END_TEST

START_TEST(test_charsets_never_fail)
{
	struct mime_message *m = parse_str("Subject: x\nContent-Type: text/plain; charset=x-klingon\n\n"
	                                   "na\xEFve \x80 5\n", NULL);
	ck_assert_str_eq(m->body_text, "naïve € 5");
	mime_message_free(m);
	m = parse_str("Subject: x\nContent-Type: text/plain; charset=utf-8\n\nok \xC3\x28 \xF0\x9F\x98\x80 \xED\xA0\x80\n",
	              NULL);
	ck_assert_int_eq(util_utf8_valid(m->body_text, strlen(m->body_text)), 1);
	ck_assert_ptr_nonnull(strstr(m->body_text, "\xF0\x9F\x98\x80"));
	mime_message_free(m);
	m = parse_str("Subject: x\nContent-Type: text/plain\n\ncaf\xC3\xA9\n", NULL);
	ck_assert_str_eq(m->body_text, "café");
	mime_message_free(m);
	size_t n;
	char *s = charset_to_utf8("UTF-7", "Hi Mom -+Jjo--!", 15, &n);
	ck_assert_str_eq(s, "Hi Mom -☺-!");
	ck_assert_uint_eq(n, strlen(s));
	free(s);
	s = charset_to_utf8("\"ks_c_5601-1987\"", "\xbd\xba", 2, NULL);
	ck_assert_str_eq(s, "스");
	free(s);
	s = charset_to_utf8("shift_jis", "a\x82", 2, NULL); /* truncated */
	ck_assert_int_eq(util_utf8_valid(s, strlen(s)), 1);
	free(s);
}
END_TEST

START_TEST(test_unparsable_still_gives_message)
{
	struct mime_message *m = parse_str("", NULL);
	ck_assert_ptr_nonnull(m->body_text);
	mime_message_free(m);
	m = parse_str("no headers at all\njust text\n", NULL);
	ck_assert_ptr_nonnull(strstr(m->body_text, "just text"));
	mime_message_free(m);
	m = parse_str("Subject: junk\nContent-Type: multipart/mixed; boundary=\"A\"\n\n"
	              "--A\nContent-Type: text/plain\nbroken header line without end", NULL);
	ck_assert_str_eq(m->subject, "junk");
	ck_assert_int_ne(m->status, MIME_OK);
	mime_message_free(m);
	char *err = NULL;
	ck_assert_int_eq(mime_parse(NULL, 0, NULL, &m, &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(err);
	free(err);
	mime_message_free(NULL);
}
END_TEST

START_TEST(test_envelope_fields)
{
	struct mime_message *m = parse_str(
		"From: \"Doe, Jane\" <Jane.Doe@Council.Example>\nTo: a@x.test, Group: b@y.test, c@z.test;\n"
		"Cc: =?utf-8?Q?J=C3=B6rg?= <jorg@x.test>\nMessage-ID: <abc@host>\n"
		"In-Reply-To: <req-1@foid.test>\nReferences: <r0@a> <r1@b>\n\t<req-1@foid.test>\n"
		"Date: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: =?utf-8?Q?Re=3A_FOI?=\n\nbody\n", NULL);
	ck_assert_str_eq(m->from, "jane.doe@council.example");
	ck_assert_str_eq(m->from_display, "Doe, Jane");
	ck_assert_uint_eq(m->to.n, 3);
	ck_assert_str_eq(m->to.v[2], "c@z.test");
	ck_assert_uint_eq(m->cc.n, 1);
	ck_assert_str_eq(m->message_id, "abc@host");
	ck_assert_str_eq(m->in_reply_to, "req-1@foid.test");
	ck_assert_uint_eq(m->references.n, 3);
	ck_assert_str_eq(m->references.v[2], "req-1@foid.test");
	ck_assert_str_eq(m->subject, "Re: FOI");
	ck_assert_str_eq(m->date, "Mon, 1 Jan 2024 10:00:00 +0000");
	ck_assert_str_eq(m->content_type, "text/plain");
	ck_assert_uint_eq(m->nheaders, 8);
	ck_assert_str_eq(m->headers[6].value, "Mon, 1 Jan 2024 10:00:00 +0000");
	mime_message_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corpus_every_file);
	tcase_add_test(tc, test_corpus_ks_c_5601);
	tcase_add_test(tc, test_corpus_iso8859);
	tcase_add_test(tc, test_corpus_utf7_bounce);
	tcase_add_test(tc, test_corpus_multipart_report);
	tcase_add_test(tc, test_corpus_tnef_unpacked);
	tcase_add_test(tc, test_corpus_tnef_without_files_kept);
	tcase_add_test(tc, test_corpus_bad_uuencoding);
	tcase_add_test(tc, test_corpus_rfc822_attachment);
	tcase_add_test(tc, test_corpus_filenames);
	tcase_add_test(tc, test_corpus_missing_final_boundary);
	tcase_add_test(tc, test_corpus_line_ends);
	tcase_add_test(tc, test_corpus_alternative_prefers_plain);
	tcase_add_test(tc, test_rfc2047_words);
	tcase_add_test(tc, test_raw_8bit_headers);
	tcase_add_test(tc, test_rfc2231_continuations);
	tcase_add_test(tc, test_html_only_mail);
	tcase_add_test(tc, test_safe_filename);
	tcase_add_test(tc, test_many_parts_limited);
	tcase_add_test(tc, test_deep_nesting_limited);
	tcase_add_test(tc, test_fifty_megabyte_message);
	tcase_add_test(tc, test_message_over_limit);
	tcase_add_test(tc, test_charsets_never_fail);
	tcase_add_test(tc, test_unparsable_still_gives_message);
	tcase_add_test(tc, test_envelope_fields);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
