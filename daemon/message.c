#include "message.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* RFC 5322 recommends 78; 998 is the hard limit. */
#define LINE_SOFT 78
#define LINE_HARD 998
/* "=?utf-8?B?" + "?=" around at most 56 base64 characters makes 68, within
 * RFC 2047's 75 and short enough that "Subject: " plus one word fits 78. */
#define EW_MAX_RAW 42

/* Fills p with random bytes; if the kernel cannot, falls back to values that
 * are still unique within this process (time, pid, counter). */
static void rand_bytes(unsigned char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == n)
		return;
	static unsigned long counter;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long mix[4] = { (unsigned long)ts.tv_sec, (unsigned long)ts.tv_nsec,
	                         (unsigned long)getpid(), ++counter };
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(mix[i % 4] >> (8 * (i / 4 % sizeof(long))));
}

static void rand_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[64];
	if (nbytes > sizeof r)
		nbytes = sizeof r;
	rand_bytes(r, nbytes);
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

int message_header_value_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_atext(int c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static int domain_ok(const char *d)
{
	size_t n = strlen(d);
	if (n == 0 || n > 253)
		return 0;
	size_t label = 0;
	for (size_t i = 0; i <= n; i++) {
		char c = d[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || d[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!is_alnum(c) && (c != '-' || label == 0))
			return 0;
		label++;
	}
	return 1;
}

int message_addr_ok(const char *addr)
{
	if (!addr)
		return 0;
	const char *at = strrchr(addr, '@');
	if (!at || at == addr || at - addr > 64)
		return 0;
	for (const char *p = addr; p < at; p++) {
		if (*p == '.') {
			if (p == addr || p + 1 == at || p[1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)*p)) {
			return 0;
		}
	}
	return domain_ok(at + 1);
}

/* Length of the UTF-8 sequence that starts with byte c (1 for bytes that
 * cannot start one; the input has been validated anyway). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xF0)
		return 4;
	if (c >= 0xE0)
		return 3;
	if (c >= 0xC0)
		return 2;
	return 1;
}

/* Encoded words for s[0..n), split only between UTF-8 sequences. */
static void encode_words(struct buf *out, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n) {
			size_t k = utf8_len((unsigned char)s[j]);
			if (j + k - i > EW_MAX_RAW)
				break;
			j += k;
		}
		if (j > n)
			j = n;
		if (i > 0)
			buf_addc(out, ' ');
		buf_adds(out, "=?utf-8?B?");
		util_base64(out, s + i, j - i, 0, 0);
		buf_adds(out, "?=");
		i = j;
	}
}

/* Words that cannot go into a header as they are: non-ASCII, things a
 * reader would take for an encoded word, or too long to fold. */
static int word_needs_encoding(const char *w, size_t n)
{
	if (n > LINE_SOFT - 3)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)w[i] >= 0x80)
			return 1;
		if (w[i] == '=' && i + 1 < n && w[i + 1] == '?')
			return 1;
	}
	return 0;
}

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

char *message_encode_header_value(const char *utf8)
{
	/* Encode one span from the first word that needs it to the last one,
	 * keeping the plain words around it readable. */
	size_t n = strlen(utf8);
	size_t first = n, last = 0;
	for (size_t i = 0; i < n;) {
		if (is_wsp(utf8[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !is_wsp(utf8[j]))
			j++;
		if (word_needs_encoding(utf8 + i, j - i)) {
			if (first == n)
				first = i;
			last = j;
		}
		i = j;
	}
	if (first == n)
		return xstrdup(utf8);
	struct buf b = BUF_INIT;
	buf_add(&b, utf8, first);
	encode_words(&b, utf8 + first, last - first);
	buf_adds(&b, utf8 + last);
	return buf_detach(&b);
}

/* A display name as an RFC 5322 phrase: atoms, a quoted string or encoded
 * words. */
static void add_phrase(struct buf *out, const char *name)
{
	size_t n = strlen(name);
	int plain = 1;
	for (size_t i = 0; i < n; i++)
		if (!is_atext((unsigned char)name[i]) && name[i] != ' ')
			plain = 0;
	if (n > 60 || word_needs_encoding(name, n) || strstr(name, "=?")) {
		encode_words(out, name, n);
	} else if (plain && name[0] != ' ' && name[n - 1] != ' ') {
		buf_adds(out, name);
	} else {
		buf_addc(out, '"');
		for (size_t i = 0; i < n; i++) {
			if (name[i] == '"' || name[i] == '\\')
				buf_addc(out, '\\');
			buf_addc(out, name[i]);
		}
		buf_addc(out, '"');
	}
}

static void add_mailbox(struct buf *out, const char *name, const char *addr)
{
	if (name && *name) {
		add_phrase(out, name);
		buf_addf(out, " <%s>", addr);
	} else {
		buf_adds(out, addr);
	}
}

/* Writes "Name: value" folded before white space so lines stay within 78
 * where the value allows; fails if a line would pass 998. */
static int add_header(struct buf *out, const char *name, const char *value,
                      char **errp)
{
	struct buf line = BUF_INIT;
	int rc = FOID_OK;
	size_t col = strlen(name) + 2;
	size_t start = col;
	buf_addf(&line, "%s: ", name);
	const char *p = value;
	while (*p) {
		const char *q = p;
		while (is_wsp(*q))
			q++;
		while (*q && !is_wsp(*q))
			q++;
		size_t seg = (size_t)(q - p);
		int has_text = !is_wsp(q[-1]);
		if (col + seg > LINE_SOFT && col > start && is_wsp(*p) && has_text) {
			buf_adds(&line, "\r\n");
			col = 0;
		}
		buf_add(&line, p, seg);
		col += seg;
		if (col > LINE_HARD) {
			rc = err_set(errp, FOID_EINVAL, "%s: header line longer than %d octets",
			             name, LINE_HARD);
			goto out;
		}
		p = q;
	}
	buf_adds(&line, "\r\n");
	buf_add(out, line.data, line.len);
out:
	buf_free(&line);
	return rc;
}

static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

char *message_format_date(int64_t t, const char *tz)
{
	/* util_iso8601 owns the time-zone switching; take its fields apart. */
	char *iso = util_iso8601(t, tz);
	int y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, oh = 0, om = 0;
	char sign = '+';
	sscanf(iso, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s);
	const char *z = iso + strcspn(iso + 10, "Z+-") + 10;
	if (*z == '+' || *z == '-') {
		sign = *z;
		sscanf(z + 1, "%d:%d", &oh, &om);
	}
	free(iso);
	int64_t off = (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
	int64_t local = t + off;
	int64_t days = local / 86400 - (local % 86400 < 0);
	int wd = (int)(((days + 4) % 7 + 7) % 7);
	if (mo < 1 || mo > 12)
		mo = 1;
	return xasprintf("%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d", wdays[wd], d,
	                 months[mo - 1], y, h, mi, s, sign, oh, om);
}

char *message_new_id(const char *domain)
{
	char hex[33];
	rand_hex(hex, 16);
	if (!domain || !domain_ok(domain))
		domain = "localhost";
	return xasprintf("foid.%lld.%s@%s", (long long)util_now(), hex, domain);
}

/* A msg-id without its angle brackets: printable ASCII, no specials, one
 * '@' with something on both sides.  Returns the bare id in a new string. */
static char *msgid_bare(const char *id)
{
	size_t n = strlen(id);
	if (n >= 2 && id[0] == '<' && id[n - 1] == '>') {
		id++;
		n -= 2;
	}
	const char *at = memchr(id, '@', n);
	if (n == 0 || n > 250 || !at || at == id || at == id + n - 1)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (c <= 32 || c >= 127 || strchr("<>()[]\\,;:\"", c))
			return NULL;
	}
	return xstrndup(id, n);
}

static int check_text(const char *field, const char *v, char **errp)
{
	if (!message_header_value_ok(v))
		return err_set(errp, FOID_EINVAL,
		               "%s: line break or control character not allowed in a header",
		               field);
	if (!util_utf8_valid(v, strlen(v)))
		return err_set(errp, FOID_EINVAL, "%s: not valid UTF-8", field);
	return FOID_OK;
}

static int check_addr(const char *field, const char *v, char **errp)
{
	if (!message_header_value_ok(v))
		return err_set(errp, FOID_EINVAL,
		               "%s: line break or control character not allowed in an address",
		               field);
	if (!message_addr_ok(v))
		return err_set(errp, FOID_EINVAL, "%s: \"%s\" is not a valid address", field, v);
	return FOID_OK;
}

static int check_spec(const struct message_spec *m, char **errp)
{
	int rc;
	if (!m->from_addr || !m->to_addr || !m->subject || !m->body || !m->message_id)
		return err_set(errp, FOID_EINVAL,
		               "message needs from_addr, to_addr, subject, body and message_id");
	const char *texts[][2] = {
		{ "from_name", m->from_name }, { "to_name", m->to_name },
		{ "subject", m->subject }, { "extra_header_value", m->extra_header_value },
		{ "message_id", m->message_id }, { "in_reply_to", m->in_reply_to },
		{ "date_tz", m->date_tz },
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (texts[i][1] && (rc = check_text(texts[i][0], texts[i][1], errp)) < 0)
			return rc;
	const char *addrs[][2] = {
		{ "from_addr", m->from_addr }, { "to_addr", m->to_addr },
		{ "reply_to", m->reply_to }, { "bcc", m->bcc },
	};
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
		if (addrs[i][1] && (rc = check_addr(addrs[i][0], addrs[i][1], errp)) < 0)
			return rc;
	for (size_t i = 0; m->cc && i < m->cc->n; i++)
		if ((rc = check_addr("cc", m->cc->v[i], errp)) < 0)
			return rc;
	if (m->extra_header_name) {
		const char *h = m->extra_header_name;
		if (!util_strcasestarts(h, "X-") || !h[2] || !m->extra_header_value)
			return err_set(errp, FOID_EINVAL,
			               "extra_header_name: must start with \"X-\" and have a value");
		for (const char *p = h; *p; p++)
			if (*p <= 32 || *p >= 127 || *p == ':')
				return err_set(errp, FOID_EINVAL,
				               "extra_header_name: invalid character in header name");
	}
	if (!util_utf8_valid(m->body, strlen(m->body)))
		return err_set(errp, FOID_EINVAL, "body: not valid UTF-8");
	return FOID_OK;
}

static int add_id_header(struct buf *out, const char *name, const char *field,
                         const char *const *ids, size_t n, char **errp)
{
	struct buf v = BUF_INIT;
	int rc = FOID_OK;
	for (size_t i = 0; i < n; i++) {
		char *bare = msgid_bare(ids[i]);
		if (!bare) {
			rc = err_set(errp, FOID_EINVAL, "%s: not a valid message id", field);
			goto out;
		}
		buf_addf(&v, "%s<%s>", i ? " " : "", bare);
		free(bare);
	}
	rc = add_header(out, name, v.data ? v.data : "", errp);
out:
	buf_free(&v);
	return rc;
}

static int add_text_header(struct buf *out, const char *name, const char *value,
                           char **errp)
{
	char *enc = message_encode_header_value(value);
	int rc = add_header(out, name, enc, errp);
	free(enc);
	return rc;
}

static int add_headers(struct buf *out, const struct message_spec *m, char **errp)
{
	struct buf v = BUF_INIT;
	int rc;
	char *date = message_format_date(m->date, m->date_tz);
	rc = add_header(out, "Date", date, errp);
	free(date);
	if (rc < 0)
		goto out;
	add_mailbox(&v, m->from_name, m->from_addr);
	if ((rc = add_header(out, "From", v.data, errp)) < 0)
		goto out;
	buf_reset(&v);
	add_mailbox(&v, m->to_name, m->to_addr);
	if ((rc = add_header(out, "To", v.data, errp)) < 0)
		goto out;
	if (m->cc && m->cc->n > 0) {
		buf_reset(&v);
		for (size_t i = 0; i < m->cc->n; i++)
			buf_addf(&v, "%s%s", i ? ", " : "", m->cc->v[i]);
		if ((rc = add_header(out, "Cc", v.data, errp)) < 0)
			goto out;
	}
	if (m->reply_to && (rc = add_header(out, "Reply-To", m->reply_to, errp)) < 0)
		goto out;
	if ((rc = add_text_header(out, "Subject", m->subject, errp)) < 0)
		goto out;
	if ((rc = add_id_header(out, "Message-ID", "message_id", &m->message_id, 1,
	                        errp)) < 0)
		goto out;
	if (m->in_reply_to && (rc = add_id_header(out, "In-Reply-To", "in_reply_to",
	                                          &m->in_reply_to, 1, errp)) < 0)
		goto out;
	if (m->references && m->references->n > 0 &&
	    (rc = add_id_header(out, "References", "references",
	                        (const char *const *)m->references->v,
	                        m->references->n, errp)) < 0)
		goto out;
	if (m->auto_submitted &&
	    (rc = add_header(out, "Auto-Submitted", "auto-generated", errp)) < 0)
		goto out;
	if (m->extra_header_name &&
	    (rc = add_text_header(out, m->extra_header_name, m->extra_header_value,
	                          errp)) < 0)
		goto out;
	rc = add_header(out, "MIME-Version", "1.0", errp);
out:
	buf_free(&v);
	return rc;
}

/* One line of quoted-printable (without its line break) plus CRLF: soft
 * breaks keep every encoded line within 76 characters. */
static void qp_line(struct buf *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = s[i];
		int last = i + 1 == n;
		char tok[3];
		size_t tl = 1;
		tok[0] = (char)c;
		if (!((c >= 33 && c <= 126 && c != '=') || (!last && (c == ' ' || c == '\t')))) {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			tl = 3;
		}
		if (col + tl > (last ? 76u : 75u)) {
			buf_adds(out, "=\r\n");
			col = 0;
		}
		buf_add(out, tok, tl);
		col += tl;
	}
	buf_adds(out, "\r\n");
}

/* The text part: body with any line ending turned into CRLF, as 7bit when
 * it is short-lined printable ASCII, else quoted-printable.  Appends the
 * part's content headers to hdr and its encoded content to content. */
static void text_part(const char *body, struct buf *hdr, struct buf *content)
{
	struct strv lines = STRV_INIT;
	int plain = 1;
	const char *p = body;
	while (*p) {
		size_t n = strcspn(p, "\r\n");
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];
			if (c >= 0x7f || (c < 0x20 && c != '\t'))
				plain = 0;
		}
		if (n > LINE_SOFT)
			plain = 0;
		strv_push_owned(&lines, xstrndup(p, n));
		p += n;
		if (p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			p++;
	}
	for (size_t i = 0; i < lines.n; i++) {
		if (plain) {
			buf_adds(content, lines.v[i]);
			buf_adds(content, "\r\n");
		} else {
			qp_line(content, (const unsigned char *)lines.v[i], strlen(lines.v[i]));
		}
	}
	buf_addf(hdr, "Content-Type: text/plain; charset=utf-8\r\n"
	              "Content-Transfer-Encoding: %s\r\n",
	         plain ? "7bit" : "quoted-printable");
	strv_free(&lines);
}

static const char *mime_type_of(const char *name)
{
	static const char *const types[][2] = {
		{ "pdf", "application/pdf" },
		{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
		{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
		{ "csv", "text/csv" },
		{ "txt", "text/plain" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "zip", "application/zip" },
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(dot + 1, types[i][0]) == 0)
			return types[i][1];
	return "application/octet-stream";
}

/* Content-Disposition for a file name: quoted when ASCII, otherwise RFC 2231
 * filename* with an RFC 2047 filename= for older readers. */
static void add_disposition(struct buf *out, const char *name)
{
	int ascii = 1;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p >= 0x80)
			ascii = 0;
	buf_adds(out, "Content-Disposition: attachment;\r\n");
	if (!ascii) {
		buf_adds(out, " filename*=utf-8''");
		for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
			if (is_alnum(*p) || strchr("!#$&+-.^_`|~", *p))
				buf_addc(out, (char)*p);
			else
				buf_addf(out, "%%%02X", *p);
		}
		buf_adds(out, ";\r\n filename=\"");
		encode_words(out, name, strlen(name));
		buf_adds(out, "\"\r\n");
		return;
	}
	buf_adds(out, " filename=\"");
	for (const char *p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(out, '\\');
		buf_addc(out, *p);
	}
	buf_adds(out, "\"\r\n");
}

static int add_attachment(struct buf *out, const char *boundary, const char *path,
                          char **errp)
{
	char *data = NULL;
	size_t len = 0;
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	if (!*name || !message_header_value_ok(name) || !util_utf8_valid(name, strlen(name)))
		return err_set(errp, FOID_EINVAL,
		               "attachment %s: file name unusable in a header", path);
	int rc = util_read_file(path, &data, &len, errp);
	if (rc < 0)
		return err_prefix(errp, rc, "attachment");
	buf_addf(out, "\r\n--%s\r\nContent-Type: %s\r\n", boundary, mime_type_of(name));
	add_disposition(out, name);
	buf_adds(out, "Content-Transfer-Encoding: base64\r\n\r\n");
	util_base64(out, data, len, 76, 0);
	free(data);
	return FOID_OK;
}

int message_build(const struct message_spec *m, char **raw, size_t *len, char **errp)
{
	struct buf out = BUF_INIT, hdr = BUF_INIT, text = BUF_INIT;
	int rc = check_spec(m, errp);
	if (rc < 0)
		goto out;
	if ((rc = add_headers(&out, m, errp)) < 0)
		goto out;
	text_part(m->body, &hdr, &text);
	if (!m->attach_paths || m->attach_paths->n == 0) {
		buf_add(&out, hdr.data, hdr.len);
		buf_adds(&out, "\r\n");
		buf_add(&out, text.data, text.len);
	} else {
		/* "=_" never occurs in quoted-printable or base64, and the check
		 * below rules out a 7bit body that happens to hold the boundary. */
		char boundary[48];
		do {
			memcpy(boundary, "=_foid_", 7);
			rand_hex(boundary + 7, 16);
		} while (text.data && strstr(text.data, boundary));
		buf_addf(&out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
		               "This is a multi-part message in MIME format.\r\n"
		               "\r\n--%s\r\n", boundary, boundary);
		buf_add(&out, hdr.data, hdr.len);
		buf_adds(&out, "\r\n");
		buf_add(&out, text.data, text.len);
		for (size_t i = 0; i < m->attach_paths->n; i++)
			if ((rc = add_attachment(&out, boundary, m->attach_paths->v[i], errp)) < 0)
				goto out;
		buf_addf(&out, "\r\n--%s--\r\n", boundary);
	}
	*len = out.len;
	*raw = buf_detach(&out);
out:
	buf_free(&out);
	buf_free(&hdr);
	buf_free(&text);
	return rc;
}

void message_recipients(const struct message_spec *m, struct strv *out)
{
	strv_push(out, m->to_addr);
	for (size_t i = 0; m->cc && i < m->cc->n; i++)
		strv_push(out, m->cc->v[i]);
	if (m->bcc)
		strv_push(out, m->bcc);
}
