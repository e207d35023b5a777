/* iconv wrapper: any labelled charset to valid UTF-8, never failing. */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* windows-1252 0x80..0x9F; the five holes map to their latin-1 C1 code. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static void charset_put_cp(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_add(b, u, n);
}

static void charset_put_cp1252(struct buf *b, unsigned char c)
{
	if (c >= 0x80 && c < 0xA0)
		charset_put_cp(b, cp1252_high[c - 0x80]);
	else
		charset_put_cp(b, c);
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0. */
static size_t charset_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t k;
	uint32_t cp, min;
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0) {
		k = 2;
		cp = c & 0x1F;
		min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		k = 3;
		cp = c & 0x0F;
		min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		k = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return k;
}

static void charset_repair_into(struct buf *b, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
	while (i < len) {
		size_t start = i;
		size_t k;
		/* Copy runs of valid text in one go: large bodies stay linear. */
		while (i < len && s[i] != 0 && (k = charset_utf8_seq(s + i, len - i)) > 0)
			i += k;
		if (i > start)
			buf_add(b, s + start, i - start);
		if (i < len) {
			if (s[i] != 0)
				charset_put_cp1252(b, s[i]);
			i++;
		}
	}
}

char *charset_repair_utf8(const char *in, size_t len, size_t *outlen)
{
	struct buf b = BUF_INIT;
	buf_add(&b, "", 0);
	charset_repair_into(&b, in, len);
	if (outlen)
		*outlen = b.len;
	return buf_detach(&b);
}

/* Labels mail software uses that iconv does not know, or knows as a
 * narrower set than the senders meant. */
static const char *charset_alias(const char *cs)
{
	static const struct {
		const char *label, *iconv;
	} map[] = {
		{ "ks_c_5601-1987", "CP949" }, { "ks_c_5601", "CP949" },
		{ "euc-kr", "CP949" },         { "unicode-1-1-utf-7", "UTF-7" },
		{ "x-unicode-1-1-utf-7", "UTF-7" },
		{ "iso-8859-1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" },
		{ "latin1", "WINDOWS-1252" },     { "us-ascii", "WINDOWS-1252" },
		{ "ascii", "WINDOWS-1252" },      { "gb2312", "GB18030" },
		{ "gbk", "GB18030" },             { "x-gbk", "GB18030" },
		{ "shift_jis", "CP932" },         { "x-sjis", "CP932" },
		{ "utf8", "UTF-8" },              { "x-user-defined", "WINDOWS-1252" },
		{ "iso-8859-8-i", "ISO-8859-8" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(cs, map[i].label) == 0)
			return map[i].iconv;
	return cs;
}

/* iconv with each undecodable byte replaced by U+FFFD.  Returns -1 when
 * the charset is unknown to iconv. */
static int charset_iconv(const char *cs, const char *in, size_t len, struct buf *b)
{
	iconv_t cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return -1;
	char out[8192];
	char *ip = (char *)in;
	size_t il = len;
	while (il > 0) {
		char *op = out;
		size_t ol = sizeof out;
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		buf_add(b, out, (size_t)(op - out));
		if (r == (size_t)-1 && errno != E2BIG) {
			/* EILSEQ or a truncated sequence at the end: skip a byte. */
			buf_adds(b, "\xEF\xBF\xBD");
			ip++;
			il--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	char *op = out;
	size_t ol = sizeof out;
	iconv(cd, NULL, NULL, &op, &ol);
	buf_add(b, out, (size_t)(op - out));
	iconv_close(cd);
	return 0;
}

char *charset_to_utf8(const char *charset, const char *in, size_t len, size_t *outlen)
{
	struct buf b = BUF_INIT;
	struct buf conv = BUF_INIT;
	char *cs = xstrdup(charset ? charset : "");
	util_trim(cs);
	size_t n = strlen(cs);
	if (n >= 2 && cs[0] == '"' && cs[n - 1] == '"') {
		memmove(cs, cs + 1, n - 2);
		cs[n - 2] = '\0';
	}
	const char *target = charset_alias(cs);
	int utf8 = strcasecmp(target, "UTF-8") == 0;
	/* Unlabelled and ascii- or latin1-labelled text is often UTF-8 in fact. */
	if (!utf8 && (cs[0] == '\0' || strcasecmp(target, "WINDOWS-1252") == 0) &&
	    util_utf8_valid(in, len))
		utf8 = 1;
	buf_add(&b, "", 0);
	if (!utf8 && cs[0] != '\0' && charset_iconv(target, in, len, &conv) == 0)
		/* iconv output may still carry NULs copied from the input. */
		charset_repair_into(&b, conv.data ? conv.data : "", conv.len);
	else
		/* Unknown charsets are usually an 8-bit Western one: cp1252. */
		charset_repair_into(&b, in, len);
	buf_free(&conv);
	free(cs);
	if (outlen)
		*outlen = b.len;
	return buf_detach(&b);
}
