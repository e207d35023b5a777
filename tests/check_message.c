#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fixture.h"
#include "message.h"

/* Small decoders written for these tests, so the checks do not trust the
 * encoder's own code. */

static int b64_val(char c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;
	return p ? (int)(p - a) : -1;
}

/* Decodes base64, skipping CR and LF; fails the test on anything else. */
static void b64_decode(const char *s, size_t n, struct buf *out)
{
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '=')
			continue;
		int v = b64_val(s[i]);
		ck_assert_msg(v >= 0, "bad base64 character %d", s[i]);
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)((acc >> bits) & 0xFF));
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void qp_decode(const char *s, struct buf *out)
{
	while (*s) {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (s[0] == '=') {
			int h = hexval(s[1]), l = hexval(s[2]);
			ck_assert_msg(h >= 0 && l >= 0, "bad QP escape near %.10s", s);
			buf_addc(out, (char)(h * 16 + l));
			s += 3;
		} else {
			buf_addc(out, *s++);
		}
	}
}

/* Unfolded value of the first header called name, or NULL. */
static char *header(const char *raw, const char *name)
{
	size_t nl = strlen(name);
	const char *end = strstr(raw, "\r\n\r\n");
	for (const char *p = raw; p && p < end; p = strstr(p, "\r\n") + 2) {
		if (strncasecmp(p, name, nl) != 0 || p[nl] != ':')
			continue;
		struct buf b = BUF_INIT;
		const char *v = p + nl + 1;
		while (*v == ' ')
			v++;
		for (;;) {
			const char *e = strstr(v, "\r\n");
			buf_add(&b, v, (size_t)(e - v));
			if (e[2] != ' ' && e[2] != '\t')
				break;
			v = e + 2;
		}
		return buf_detach(&b);
	}
	return NULL;
}

/* Decodes RFC 2047 B-encoded words in an unfolded value; white space
 * between adjacent encoded words is dropped.  Checks each word's length and
 * that each decodes to whole UTF-8 characters. */
static char *decode_2047(const char *v)
{
	struct buf out = BUF_INIT;
	struct buf ws = BUF_INIT;
	int prev_ew = 0;
	while (*v) {
		if (*v == ' ') {
			buf_addc(&ws, *v++);
			continue;
		}
		size_t n = strcspn(v, " ");
		if (strncasecmp(v, "=?utf-8?B?", 10) == 0 && n > 12 &&
		    strncmp(v + n - 2, "?=", 2) == 0) {
			ck_assert_uint_le(n, 75);
			if (!prev_ew)
				buf_add(&out, ws.data, ws.len);
			struct buf w = BUF_INIT;
			b64_decode(v + 10, n - 12, &w);
			ck_assert_msg(util_utf8_valid(w.data, w.len), "split UTF-8 in %.*s",
			              (int)n, v);
			buf_add(&out, w.data, w.len);
			buf_free(&w);
			prev_ew = 1;
		} else {
			buf_add(&out, ws.data, ws.len);
			buf_add(&out, v, n);
			prev_ew = 0;
		}
		buf_reset(&ws);
		v += n;
	}
	buf_add(&out, ws.data, ws.len);
	buf_free(&ws);
	return buf_detach(&out);
}

/* Every line ends in CRLF, holds no lone CR or LF and is at most 998
 * octets; returns the longest header line. */
static size_t check_lines(const char *raw, size_t len)
{
	size_t longest_header = 0;
	const char *body = strstr(raw, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_uint_eq(strlen(raw), len);
	ck_assert_msg(len >= 2 && raw[len - 2] == '\r' && raw[len - 1] == '\n',
	              "message does not end with CRLF");
	for (const char *p = raw; *p;) {
		const char *e = strstr(p, "\r\n");
		ck_assert_ptr_nonnull(e);
		size_t n = (size_t)(e - p);
		ck_assert_uint_le(n, 998);
		ck_assert_msg(!memchr(p, '\r', n) && !memchr(p, '\n', n), "bare CR or LF");
		if (p < body && n > longest_header)
			longest_header = n;
		p = e + 2;
	}
	return longest_header;
}

static void base_spec(struct message_spec *m)
{
	*m = (struct message_spec){
		.from_name = "Research Team", .from_addr = "team@team.example",
		.to_name = "Barsetshire County Council", .to_addr = "foi@barset.example",
		.subject = "Freedom of Information request FOI-1: bins",
		.body = "Dear Sir or Madam,\n\nPlease send me the data.\n",
		.message_id = "foid.1.abc@team.example", .date = 1457000000,
	};
}

static char *build_ok(const struct message_spec *m, size_t *len)
{
	char *raw = NULL, *err = NULL;
	size_t n = 0;
	ck_assert_msg(message_build(m, &raw, &n, &err) == 0, "%s", err);
	check_lines(raw, n);
	if (len)
		*len = n;
	return raw;
}

static char *build_err(const struct message_spec *m)
{
	char *raw = NULL, *err = NULL;
	size_t n = 0;
	ck_assert_int_eq(message_build(m, &raw, &n, &err), FOID_EINVAL);
	ck_assert_ptr_null(raw);
	ck_assert_ptr_nonnull(err);
	return err;
}

static void assert_header(const char *raw, const char *name, const char *want)
{
	char *v = header(raw, name);
	ck_assert_msg(v != NULL, "no %s header", name);
	ck_assert_str_eq(v, want);
	free(v);
}

START_TEST(test_ascii_is_7bit)
{
	struct message_spec m;
	base_spec(&m);
	m.reply_to = "replies@team.example";
	char *raw = build_ok(&m, NULL);
	assert_header(raw, "Content-Transfer-Encoding", "7bit");
	assert_header(raw, "Content-Type", "text/plain; charset=utf-8");
	assert_header(raw, "MIME-Version", "1.0");
	assert_header(raw, "From", "Research Team <team@team.example>");
	assert_header(raw, "To", "Barsetshire County Council <foi@barset.example>");
	assert_header(raw, "Reply-To", "replies@team.example");
	assert_header(raw, "Subject", "Freedom of Information request FOI-1: bins");
	assert_header(raw, "Message-ID", "<foid.1.abc@team.example>");
	ck_assert_ptr_null(header(raw, "Auto-Submitted"));
	ck_assert_ptr_null(header(raw, "Cc"));
	ck_assert_str_eq(strstr(raw, "\r\n\r\n") + 4,
	                 "Dear Sir or Madam,\r\n\r\nPlease send me the data.\r\n");
	free(raw);
}
END_TEST

START_TEST(test_bcc_not_a_header_but_a_recipient)
{
	struct message_spec m;
	base_spec(&m);
	struct strv cc = STRV_INIT;
	strv_push(&cc, "a@x.example");
	strv_push(&cc, "b@y.example");
	m.cc = &cc;
	m.bcc = "archive@team.example";
	char *raw = build_ok(&m, NULL);
	ck_assert_ptr_null(header(raw, "Bcc"));
	ck_assert_ptr_null(strstr(raw, "archive@"));
	assert_header(raw, "Cc", "a@x.example, b@y.example");
	struct strv rcpt = STRV_INIT;
	message_recipients(&m, &rcpt);
	ck_assert_uint_eq(rcpt.n, 4);
	ck_assert_str_eq(rcpt.v[0], "foi@barset.example");
	ck_assert_str_eq(rcpt.v[2], "b@y.example");
	ck_assert_str_eq(rcpt.v[3], "archive@team.example");
	strv_free(&rcpt);
	strv_free(&cc);
	free(raw);
}
END_TEST

START_TEST(test_non_ascii_subject_encoded)
{
	struct message_spec m;
	base_spec(&m);
	/* Two- three- and four-byte characters, long enough for many words. */
	const char *subj = "Re: Freedom of Information — Ynys Môn / Cyngor Gwynedd "
	                   "café 日本語のテキスト 😀😀😀😀😀😀😀😀😀😀😀 ÀÉÎÕÜ àéîõü "
	                   "ŁĄŻŹĆ łążźć end";
	m.subject = subj;
	char *raw = build_ok(&m, NULL);
	char *v = header(raw, "Subject");
	ck_assert_ptr_nonnull(strstr(v, "=?utf-8?B?"));
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		ck_assert_uint_lt(*p, 0x80);
	ck_assert(util_starts_with(v, "Re: Freedom of Information =?utf-8?B?"));
	char *dec = decode_2047(v);
	ck_assert_str_eq(dec, subj);
	free(dec);
	free(v);
	free(raw);
}
END_TEST

START_TEST(test_header_lines_folded)
{
	struct message_spec m;
	base_spec(&m);
	struct buf s = BUF_INIT;
	for (int i = 0; i < 40; i++)
		buf_adds(&s, "word ");
	buf_adds(&s, "ünïcödé ");
	for (int i = 0; i < 40; i++)
		buf_adds(&s, "more ");
	m.subject = s.data;
	char *raw = NULL, *err = NULL;
	size_t len = 0;
	ck_assert_msg(message_build(&m, &raw, &len, &err) == 0, "%s", err);
	ck_assert_uint_le(check_lines(raw, len), 78);
	char *v = header(raw, "Subject");
	char *dec = decode_2047(v);
	ck_assert_str_eq(dec, s.data);
	free(dec);
	free(v);
	free(raw);
	buf_free(&s);
}
END_TEST

START_TEST(test_encode_header_value)
{
	char *v = message_encode_header_value("plain ASCII subject");
	ck_assert_str_eq(v, "plain ASCII subject");
	free(v);
	/* Text that looks like an encoded word must not be read as one. */
	v = message_encode_header_value("a =?utf-8?B?ZXZpbA==?= b");
	ck_assert_str_ne(v, "a =?utf-8?B?ZXZpbA==?= b");
	char *dec = decode_2047(v);
	ck_assert_str_eq(dec, "a =?utf-8?B?ZXZpbA==?= b");
	free(dec);
	free(v);
}
END_TEST

START_TEST(test_display_names)
{
	struct message_spec m;
	base_spec(&m);
	m.from_name = "Smith, \"Jo\" \\ team";
	m.to_name = "Cyngor Sir Ynys Môn";
	char *raw = build_ok(&m, NULL);
	assert_header(raw, "From", "\"Smith, \\\"Jo\\\" \\\\ team\" <team@team.example>");
	char *to = header(raw, "To");
	ck_assert(util_starts_with(to, "=?utf-8?B?"));
	char *dec = decode_2047(to);
	ck_assert_str_eq(dec, "Cyngor Sir Ynys Môn <foi@barset.example>");
	free(dec);
	free(to);
	free(raw);
}
END_TEST

START_TEST(test_quoted_printable)
{
	struct message_spec m;
	base_spec(&m);
	struct buf body = BUF_INIT;
	buf_adds(&body, "Café = coffee, trailing space \n");
	for (int i = 0; i < 30; i++)
		buf_adds(&body, "é=x ");
	buf_adds(&body, "\nA plain line ending in a tab\t\n");
	for (int i = 0; i < 200; i++)
		buf_addc(&body, 'a');
	buf_adds(&body, "\n.\nFrom here\n");
	m.body = body.data;
	char *raw = build_ok(&m, NULL);
	assert_header(raw, "Content-Transfer-Encoding", "quoted-printable");
	const char *enc = strstr(raw, "\r\n\r\n") + 4;
	for (const char *p = enc; *p; p = strstr(p, "\r\n") + 2) {
		size_t n = (size_t)(strstr(p, "\r\n") - p);
		ck_assert_uint_le(n, 76);
		ck_assert_msg(n == 0 || (p[n - 1] != ' ' && p[n - 1] != '\t'),
		              "trailing white space in QP line");
	}
	struct buf dec = BUF_INIT;
	qp_decode(enc, &dec);
	struct buf want = BUF_INIT;
	for (const char *p = body.data; *p; p++)
		buf_adds(&want, *p == '\n' ? "\r\n" : (char[]){ *p, 0 });
	ck_assert_str_eq(dec.data, want.data);
	buf_free(&want);
	buf_free(&dec);
	buf_free(&body);
	free(raw);
}
END_TEST

START_TEST(test_line_endings_normalised)
{
	struct message_spec m;
	base_spec(&m);
	m.body = "one\ntwo\rthree\r\nfour";
	char *raw = build_ok(&m, NULL);
	ck_assert_str_eq(strstr(raw, "\r\n\r\n") + 4, "one\r\ntwo\r\nthree\r\nfour\r\n");
	free(raw);
}
END_TEST

START_TEST(test_injection_rejected)
{
	const char *evil = "x\r\nBcc: evil@x.example";
	struct {
		const char *field;
		size_t off;
	} cases[] = {
		{ "subject", offsetof(struct message_spec, subject) },
		{ "from_name", offsetof(struct message_spec, from_name) },
		{ "to_name", offsetof(struct message_spec, to_name) },
		{ "to_addr", offsetof(struct message_spec, to_addr) },
		{ "from_addr", offsetof(struct message_spec, from_addr) },
		{ "reply_to", offsetof(struct message_spec, reply_to) },
		{ "bcc", offsetof(struct message_spec, bcc) },
		{ "extra_header_value", offsetof(struct message_spec, extra_header_value) },
		{ "message_id", offsetof(struct message_spec, message_id) },
		{ "in_reply_to", offsetof(struct message_spec, in_reply_to) },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct message_spec m;
		base_spec(&m);
		m.extra_header_name = "X-Foid-Reference";
		m.extra_header_value = "FOI-1";
		*(const char **)((char *)&m + cases[i].off) = evil;
		char *err = build_err(&m);
		ck_assert_msg(util_starts_with(err, cases[i].field), "%s: %s",
		              cases[i].field, err);
		free(err);
	}
	/* A bare LF is refused too. */
	struct message_spec m;
	base_spec(&m);
	m.subject = "x\nBcc: evil@x.example";
	char *err = build_err(&m);
	ck_assert(util_starts_with(err, "subject:"));
	free(err);
}
END_TEST

START_TEST(test_injection_in_lists_and_names_rejected)
{
	struct message_spec m;
	base_spec(&m);
	struct strv cc = STRV_INIT;
	strv_push(&cc, "ok@x.example");
	strv_push(&cc, "a@x.example\r\nBcc: evil@x.example");
	m.cc = &cc;
	char *err = build_err(&m);
	ck_assert(util_starts_with(err, "cc:"));
	free(err);
	base_spec(&m);
	struct strv refs = STRV_INIT;
	strv_push(&refs, "<a@b.example>\r\nBcc: evil@x.example");
	m.references = &refs;
	err = build_err(&m);
	ck_assert(util_starts_with(err, "references:"));
	free(err);
	base_spec(&m);
	m.extra_header_name = "Bcc";
	m.extra_header_value = "evil@x.example";
	err = build_err(&m);
	ck_assert(util_starts_with(err, "extra_header_name:"));
	free(err);
	m.extra_header_name = "X-A\r\nBcc";
	err = build_err(&m);
	ck_assert(util_starts_with(err, "extra_header_name:"));
	free(err);
	strv_free(&cc);
	strv_free(&refs);
}
END_TEST

START_TEST(test_addr_ok)
{
	ck_assert(message_addr_ok("foi@barset.gov.uk"));
	ck_assert(message_addr_ok("team+FOI-1@x-y.example"));
	ck_assert(message_addr_ok("o'brien.j@x.example"));
	ck_assert(!message_addr_ok("no-at-sign"));
	ck_assert(!message_addr_ok("@x.example"));
	ck_assert(!message_addr_ok("a@"));
	ck_assert(!message_addr_ok("a..b@x.example"));
	ck_assert(!message_addr_ok(".a@x.example"));
	ck_assert(!message_addr_ok("a b@x.example"));
	ck_assert(!message_addr_ok("a@x..example"));
	ck_assert(!message_addr_ok("a@-x.example"));
	ck_assert(!message_addr_ok("a@x-.example"));
	ck_assert(!message_addr_ok("a@x.example>"));
	ck_assert(!message_addr_ok("Name <a@x.example>"));
	ck_assert(!message_addr_ok("\"a\"@x.example"));
	ck_assert(!message_addr_ok("é@x.example"));
	ck_assert(!message_addr_ok(NULL));
}
END_TEST

START_TEST(test_header_value_ok)
{
	ck_assert(message_header_value_ok("fine\tvalue"));
	ck_assert(!message_header_value_ok("a\rb"));
	ck_assert(!message_header_value_ok("a\nb"));
	ck_assert(!message_header_value_ok("a\x1b" "b"));
}
END_TEST

START_TEST(test_threading_and_extra_headers)
{
	struct message_spec m;
	base_spec(&m);
	struct strv refs = STRV_INIT;
	for (int i = 0; i < 8; i++)
		strv_push_owned(&refs, xasprintf("foid.1457000000.%032d@team.example", i));
	m.references = &refs;
	m.in_reply_to = "<reply.1@council.example>";
	m.extra_header_name = "X-Foid-Reference";
	m.extra_header_value = "FOI-STP16-042";
	m.auto_submitted = 1;
	size_t len;
	char *raw = build_ok(&m, &len);
	ck_assert_uint_le(check_lines(raw, len), 78);
	assert_header(raw, "In-Reply-To", "<reply.1@council.example>");
	char *v = header(raw, "References");
	ck_assert(util_starts_with(v, "<foid.1457000000.00000000000000000000000000000000@"));
	ck_assert_ptr_nonnull(strstr(v, "team.example> <foid."));
	free(v);
	assert_header(raw, "X-Foid-Reference", "FOI-STP16-042");
	assert_header(raw, "Auto-Submitted", "auto-generated");
	free(raw);
	strv_free(&refs);
}
END_TEST

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_message_ids_unique)
{
	enum { N = 10000 };
	char **ids = xcalloc(N, sizeof *ids);
	for (int i = 0; i < N; i++) {
		ids[i] = message_new_id("team.example");
		ck_assert(util_starts_with(ids[i], "foid."));
		ck_assert_ptr_nonnull(strstr(ids[i], "@team.example"));
		ck_assert_ptr_null(strpbrk(ids[i], "<> \r\n"));
	}
	qsort(ids, N, sizeof *ids, cmp_str);
	for (int i = 1; i < N; i++)
		ck_assert_str_ne(ids[i - 1], ids[i]);
	for (int i = 0; i < N; i++)
		free(ids[i]);
	free(ids);
	char *bad = message_new_id("bad domain\r\n");
	ck_assert(util_starts_with(strchr(bad, '@'), "@localhost"));
	free(bad);
}
END_TEST

START_TEST(test_date_format)
{
	char *d = message_format_date(0, NULL);
	ck_assert_str_eq(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	free(d);
	d = message_format_date(1466000000, "Europe/London"); /* 2016-06-15 14:13:20Z */
	ck_assert_str_eq(d, "Wed, 15 Jun 2016 15:13:20 +0100");
	free(d);
	d = message_format_date(1457000000, "America/New_York"); /* 2016-03-03 10:13:20Z */
	ck_assert_str_eq(d, "Thu, 03 Mar 2016 05:13:20 -0500");
	free(d);
	d = message_format_date(1466000000, "Asia/Kolkata");
	ck_assert_str_eq(d, "Wed, 15 Jun 2016 19:43:20 +0530");
	free(d);
	d = message_format_date(-86400, NULL);
	ck_assert_str_eq(d, "Wed, 31 Dec 1969 00:00:00 +0000");
	free(d);
	struct message_spec m;
	base_spec(&m);
	m.date_tz = "Europe/London";
	char *raw = build_ok(&m, NULL);
	assert_header(raw, "Date", "Thu, 03 Mar 2016 10:13:20 +0000");
	free(raw);
}
END_TEST

/* The body of the MIME part whose Content-Disposition header contains
 * needle, base64-decoded, and its header block. */
static void find_part(const char *raw, const char *boundary, const char *needle,
                      struct buf *hdrs, struct buf *data)
{
	char *delim = xasprintf("\r\n--%s\r\n", boundary);
	for (const char *p = strstr(raw, delim); p; p = strstr(p + 1, delim)) {
		const char *h = p + strlen(delim);
		const char *body = strstr(h, "\r\n\r\n") + 4;
		if (!memmem(h, (size_t)(body - h), needle, strlen(needle)))
			continue;
		const char *end = strstr(body, "\r\n--");
		buf_add(hdrs, h, (size_t)(body - h));
		for (const char *l = body; l < end; l = strstr(l, "\r\n") + 2)
			ck_assert_uint_le((size_t)(strstr(l, "\r\n") - l), 76);
		b64_decode(body, (size_t)(end - body), data);
		free(delim);
		return;
	}
	ck_abort_msg("no part with %s", needle);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

START_TEST(test_attachments_multipart)
{
	struct fixture *fx = fixture_new();
	unsigned char bin[1000];
	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	char *pdf = fixture_path(fx, "Questions \"v2\".PDF");
	write_bytes(pdf, bin, sizeof bin);
	char *xlsx = fixture_path(fx, "Données été.xlsx");
	write_bytes(xlsx, "PK\3\4", 4);
	char *other = fixture_path(fx, "notes.weird");
	write_bytes(other, "", 0);
	struct strv att = STRV_INIT;
	strv_push(&att, pdf);
	strv_push(&att, xlsx);
	strv_push(&att, other);
	struct message_spec m;
	base_spec(&m);
	m.attach_paths = &att;
	m.body = "See attached — merci.\n";
	char *raw = build_ok(&m, NULL);
	char *ct = header(raw, "Content-Type");
	ck_assert(util_starts_with(ct, "multipart/mixed; boundary=\""));
	char *boundary = xstrdup(ct + strlen("multipart/mixed; boundary=\""));
	*strchr(boundary, '"') = '\0';
	ck_assert_uint_ge(strlen(boundary), 30);
	/* The boundary appears only as delimiters. */
	size_t count = 0;
	for (const char *p = strstr(raw, boundary); p; p = strstr(p + 1, boundary))
		count++;
	ck_assert_uint_eq(count, 1 + 4 + 1);
	char *close = xasprintf("\r\n--%s--\r\n", boundary);
	ck_assert_str_eq(raw + strlen(raw) - strlen(close), close);

	/* The text part comes first. */
	char *first = xasprintf("\r\n--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                        "Content-Transfer-Encoding: quoted-printable\r\n", boundary);
	ck_assert_ptr_nonnull(strstr(raw, first));

	struct buf h = BUF_INIT, d = BUF_INIT;
	find_part(raw, boundary, "Questions", &h, &d);
	ck_assert_uint_eq(d.len, sizeof bin);
	ck_assert_mem_eq(d.data, bin, sizeof bin);
	ck_assert_ptr_nonnull(strstr(h.data, "Content-Type: application/pdf\r\n"));
	ck_assert_ptr_nonnull(strstr(h.data, "filename=\"Questions \\\"v2\\\".PDF\""));
	ck_assert_ptr_nonnull(strstr(h.data, "Content-Transfer-Encoding: base64\r\n"));
	buf_reset(&h);
	buf_reset(&d);

	find_part(raw, boundary, "filename*=", &h, &d);
	ck_assert_uint_eq(d.len, 4);
	ck_assert_mem_eq(d.data, "PK\3\4", 4);
	ck_assert_ptr_nonnull(strstr(h.data, "spreadsheetml.sheet\r\n"));
	ck_assert_ptr_nonnull(strstr(h.data, " filename*=utf-8''Donn%C3%A9es%20%C3%A9t%C3%A9.xlsx;\r\n"));
	const char *fb = strstr(h.data, " filename=\"");
	ck_assert_ptr_nonnull(fb);
	char *fbv = xstrndup(fb + 11, strcspn(fb + 11, "\""));
	char *fbdec = decode_2047(fbv);
	ck_assert_str_eq(fbdec, "Données été.xlsx");
	free(fbdec);
	free(fbv);
	buf_reset(&h);
	buf_reset(&d);

	find_part(raw, boundary, "notes.weird", &h, &d);
	ck_assert_uint_eq(d.len, 0);
	ck_assert_ptr_nonnull(strstr(h.data, "Content-Type: application/octet-stream\r\n"));

	buf_free(&h);
	buf_free(&d);
	free(first);
	free(close);
	free(boundary);
	free(ct);
	free(raw);
	strv_free(&att);
	free(pdf);
	free(xlsx);
	free(other);
	fixture_free(fx);
}
END_TEST

START_TEST(test_attachment_missing)
{
	struct message_spec m;
	base_spec(&m);
	struct strv att = STRV_INIT;
	strv_push(&att, "/nonexistent/file.pdf");
	m.attach_paths = &att;
	char *raw = NULL, *err = NULL;
	size_t len;
	ck_assert_int_eq(message_build(&m, &raw, &len, &err), FOID_ENOTFOUND);
	ck_assert_ptr_null(raw);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/file.pdf"));
	free(err);
	strv_free(&att);
}
END_TEST

START_TEST(test_long_input_lines_limited)
{
	struct message_spec m;
	base_spec(&m);
	struct buf s = BUF_INIT, body = BUF_INIT;
	for (int i = 0; i < 3000; i++)
		buf_addc(&s, 'x');
	for (int i = 0; i < 5000; i++)
		buf_adds(&body, "y");
	m.subject = s.data;
	m.from_name = s.data;
	m.body = body.data;
	size_t len;
	char *raw = build_ok(&m, &len);
	ck_assert_uint_le(check_lines(raw, len), 78);
	char *v = header(raw, "Subject");
	char *dec = decode_2047(v);
	ck_assert_str_eq(dec, s.data);
	free(dec);
	free(v);
	free(raw);
	buf_free(&s);
	buf_free(&body);
}
END_TEST

START_TEST(test_missing_required_field)
{
	struct message_spec m;
	base_spec(&m);
	m.to_addr = NULL;
	char *err = build_err(&m);
	ck_assert_ptr_nonnull(strstr(err, "to_addr"));
	free(err);
	base_spec(&m);
	m.body = "bad \xff byte";
	err = build_err(&m);
	ck_assert_str_eq(err, "body: not valid UTF-8");
	free(err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("message");
	TCase *tc = tcase_create("message");
	tcase_add_test(tc, test_ascii_is_7bit);
	tcase_add_test(tc, test_bcc_not_a_header_but_a_recipient);
	tcase_add_test(tc, test_non_ascii_subject_encoded);
	tcase_add_test(tc, test_header_lines_folded);
	tcase_add_test(tc, test_encode_header_value);
	tcase_add_test(tc, test_display_names);
	tcase_add_test(tc, test_quoted_printable);
	tcase_add_test(tc, test_line_endings_normalised);
	tcase_add_test(tc, test_injection_rejected);
	tcase_add_test(tc, test_injection_in_lists_and_names_rejected);
	tcase_add_test(tc, test_addr_ok);
	tcase_add_test(tc, test_header_value_ok);
	tcase_add_test(tc, test_threading_and_extra_headers);
	tcase_add_test(tc, test_message_ids_unique);
	tcase_add_test(tc, test_date_format);
	tcase_add_test(tc, test_attachments_multipart);
	tcase_add_test(tc, test_attachment_missing);
	tcase_add_test(tc, test_long_input_lines_limited);
	tcase_add_test(tc, test_missing_required_field);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
