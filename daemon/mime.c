/* Received mail to struct mime_message.  libetpan builds the part tree;
 * this module guards it against hostile nesting, decodes every part and
 * charset to UTF-8 and sorts parts into body text, attachments and bounce
 * material. */
#include "mime.h"

#include <ctype.h>
#include <libetpan/libetpan.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "markup.h"
#include "tnef.h"

struct mime_ctx {
	struct mime_limits lim;
	int nparts; /* parts seen so far, embedded messages included */
};

struct mime_param {
	const char *name;
	const char *value;
};

static struct mime_message *mime_parse_at(struct mime_ctx *cx, const char *raw,
                                          size_t len, int depth);

/* ---- small helpers ---- */

static void mime_set_status(struct mime_message *m, enum mime_status st, const char *fmt, ...)
	FOID_PRINTF(3, 4);
static void mime_set_status(struct mime_message *m, enum mime_status st, const char *fmt, ...)
{
	/* The most serious problem wins; at equal severity, the first. */
	if (st <= m->status && m->problem)
		return;
	va_list ap;
	va_start(ap, fmt);
	free(m->problem);
	m->problem = xvasprintf(fmt, ap);
	va_end(ap);
	if (st > m->status)
		m->status = st;
}

static const char *mime_memcasemem(const char *h, size_t hlen, const char *n)
{
	size_t nlen = strlen(n);
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (tolower((unsigned char)h[i]) == n[0] && strncasecmp(h + i, n, nlen) == 0)
			return h + i;
	return NULL;
}

static size_t mime_line_end(const char *p, size_t len, size_t i)
{
	const char *nl = memchr(p + i, '\n', len - i);
	return nl ? (size_t)(nl - p) : len;
}

/* ---- RFC 2047 ---- */

static int mime_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int mime_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes base64 ('b') or RFC 2047 Q text, appending raw bytes to b. */
static void mime_word_decode(struct buf *b, char enc, const char *s, size_t n)
{
	if (enc == 'b') {
		unsigned acc = 0;
		int bits = 0;
		for (size_t i = 0; i < n; i++) {
			int v = mime_b64_value((unsigned char)s[i]);
			if (v < 0)
				continue; /* padding and junk */
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				buf_addc(b, (char)((acc >> bits) & 0xFF));
			}
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (s[i] == '_') {
			buf_addc(b, ' ');
		} else if (s[i] == '=' && i + 2 < n && (h = mime_hex((unsigned char)s[i + 1])) >= 0 &&
		           (l = mime_hex((unsigned char)s[i + 2])) >= 0) {
			buf_addc(b, (char)(h * 16 + l));
			i += 2;
		} else {
			buf_addc(b, s[i]);
		}
	}
}

/* Parses an encoded word at s: sets the charset span, encoding and text
 * span and returns its length, or 0 when s does not start one. */
static size_t mime_word_parse(const char *s, const char **cs, size_t *cslen, char *enc,
                              const char **txt, size_t *txtlen)
{
	if (s[0] != '=' || s[1] != '?')
		return 0;
	const char *p = s + 2;
	const char *q = strchr(p, '?');
	if (!q || q == p || (q[1] != 'b' && q[1] != 'B' && q[1] != 'q' && q[1] != 'Q') || q[2] != '?')
		return 0;
	for (const char *c = p; c < q; c++)
		if (isspace((unsigned char)*c))
			return 0;
	const char *t = q + 3;
	const char *e = strstr(t, "?=");
	if (!e)
		return 0;
	for (const char *c = t; c < e; c++)
		if (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n')
			return 0;
	*cs = p;
	*cslen = (size_t)(q - p);
	/* RFC 2231 allows a language after '*': "utf-8*en". */
	const char *star = memchr(p, '*', *cslen);
	if (star)
		*cslen = (size_t)(star - p);
	*enc = (char)tolower((unsigned char)q[1]);
	*txt = t;
	*txtlen = (size_t)(e - t);
	return (size_t)(e + 2 - s);
}

static void mime_flush_words(struct buf *out, struct buf *pend, char **pendcs)
{
	if (pend->len > 0) {
		char *u = charset_to_utf8(*pendcs, pend->data, pend->len, NULL);
		buf_adds(out, u);
		free(u);
	}
	buf_reset(pend);
	free(*pendcs);
	*pendcs = NULL;
}

char *mime_decode_words(const char *s)
{
	if (!s)
		return NULL;
	struct buf out = BUF_INIT, pend = BUF_INIT, plain = BUF_INIT;
	char *pendcs = NULL;
	buf_add(&out, "", 0);
	const char *p = s;
	while (*p) {
		const char *cs, *txt;
		size_t cslen, txtlen;
		char enc;
		size_t n = mime_word_parse(p, &cs, &cslen, &enc, &txt, &txtlen);
		if (n == 0) {
			buf_addc(&plain, *p++);
			continue;
		}
		/* Only white space between two encoded words is dropped. */
		int only_ws = 1;
		for (size_t i = 0; i < plain.len; i++)
			if (!isspace((unsigned char)plain.data[i]))
				only_ws = 0;
		int adjacent = pendcs != NULL && only_ws;
		/* Words of one charset are joined before conversion: senders split
		 * multi-byte characters across words. */
		if (!adjacent || strlen(pendcs) != cslen || strncasecmp(pendcs, cs, cslen) != 0)
			mime_flush_words(&out, &pend, &pendcs);
		if (!adjacent && plain.len > 0) {
			char *u = charset_repair_utf8(plain.data, plain.len, NULL);
			buf_adds(&out, u);
			free(u);
		}
		buf_reset(&plain);
		if (!pendcs)
			pendcs = xstrndup(cs, cslen);
		mime_word_decode(&pend, enc, txt, txtlen);
		p += n;
	}
	mime_flush_words(&out, &pend, &pendcs);
	if (plain.len > 0) {
		char *u = charset_repair_utf8(plain.data, plain.len, NULL);
		buf_adds(&out, u);
		free(u);
	}
	buf_free(&pend);
	buf_free(&plain);
	return buf_detach(&out);
}

/* ---- safe file names ---- */

char *mime_safe_filename(const char *name, const char *fallback)
{
	const size_t max = 200;
	char *u = charset_repair_utf8(name ? name : "", name ? strlen(name) : 0, NULL);
	struct buf b = BUF_INIT;
	buf_add(&b, "", 0);
	for (const unsigned char *p = (const unsigned char *)u; *p; p++) {
		unsigned char c = *p;
		if (c == '/' || c == '\\' || c < 0x20 || c == 0x7F)
			c = '_';
		/* C1 controls (U+0080..U+009F) are control bytes too. */
		if (c == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
			buf_addc(&b, '_');
			p++;
			continue;
		}
		buf_addc(&b, (char)c);
	}
	free(u);
	char *s = b.data;
	size_t start = 0;
	while (s[start] == '.' || s[start] == ' ' || s[start] == '_')
		start++;
	memmove(s, s + start, b.len - start + 1);
	b.len -= start;
	while (b.len > 0 && (s[b.len - 1] == ' ' || s[b.len - 1] == '.'))
		s[--b.len] = '\0';
	/* ".." can no longer occur whole; dotted runs inside are harmless but
	 * confuse readers, so they shrink to one dot. */
	for (char *d; (d = strstr(s, "..")) != NULL;) {
		memmove(d, d + 1, strlen(d + 1) + 1);
		b.len--;
	}
	if (b.len > max) {
		const char *dot = strrchr(s, '.');
		size_t extlen = dot ? strlen(dot) : 0;
		if (extlen > 16)
			extlen = 0;
		size_t keep = max - extlen;
		while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
			keep--;
		if (extlen)
			memmove(s + keep, s + b.len - extlen, extlen);
		b.len = keep + extlen;
		s[b.len] = '\0';
	}
	if (b.len == 0) {
		buf_free(&b);
		const char *fb = fallback && *fallback ? fallback : "attachment";
		return strcmp(fb, "attachment") == 0 ? xstrdup(fb) : mime_safe_filename(fb, NULL);
	}
	return buf_detach(&b);
}

/* ---- headers ---- */

static void mime_headers_free(struct mime_header *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

/* Splits the header block at raw, values unfolded but not yet decoded;
 * returns the offset of the body. */
static size_t mime_split_headers(const char *raw, size_t len, struct mime_header **out,
                                 size_t *nout)
{
	struct mime_header *h = NULL;
	size_t n = 0, cap = 0, i = 0;
	struct buf v = BUF_INIT;
	while (i < len) {
		size_t e = mime_line_end(raw, len, i);
		size_t le = e;
		if (le > i && raw[le - 1] == '\r')
			le--;
		size_t next = e < len ? e + 1 : len;
		if (le == i) { /* empty line: end of headers */
			i = next;
			break;
		}
		if ((raw[i] == ' ' || raw[i] == '\t') && n > 0) {
			buf_add(&v, raw + i, le - i);
			free(h[n - 1].value);
			h[n - 1].value = xstrdup(v.data);
			i = next;
			continue;
		}
		const char *colon = memchr(raw + i, ':', le - i);
		size_t nl = colon ? (size_t)(colon - (raw + i)) : 0;
		while (nl > 0 && (raw[i + nl - 1] == ' ' || raw[i + nl - 1] == '\t'))
			nl--;
		int ok = colon && nl > 0;
		for (size_t k = 0; ok && k < nl; k++)
			if ((unsigned char)raw[i + k] <= 32 || (unsigned char)raw[i + k] >= 127)
				ok = 0;
		if (!ok) {
			/* Junk inside the header block is skipped, but text that
			 * starts right away with no header at all is body. */
			if (n == 0 && !util_starts_with(raw + i, "From "))
				break;
			i = next;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			h = xrealloc(h, cap * sizeof *h);
		}
		h[n].name = xstrndup(raw + i, nl);
		buf_reset(&v);
		buf_add(&v, colon + 1, (size_t)(raw + le - (colon + 1)));
		h[n].value = xstrdup(v.data);
		n++;
		i = next;
	}
	buf_free(&v);
	for (size_t k = 0; k < n; k++)
		util_trim(h[k].value);
	*out = h;
	*nout = n;
	return i;
}

static const char *mime_headers_find(const struct mime_header *h, size_t n,
                                     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

/* Message ids in order, without <>; a bare id without brackets counts. */
static void mime_ids(const char *v, struct strv *ids)
{
	if (!v)
		return;
	const char *p = v;
	int found = 0;
	while ((p = strchr(p, '<')) != NULL) {
		const char *e = strchr(p, '>');
		if (!e)
			break;
		if (e > p + 1) {
			char *id = xstrndup(p + 1, (size_t)(e - p - 1));
			strv_push_owned(ids, charset_repair_utf8(util_trim(id), strlen(id), NULL));
			free(id);
			found = 1;
		}
		p = e + 1;
	}
	if (!found) {
		char *id = xstrdup(v);
		util_trim(id);
		if (*id && !strpbrk(id, " \t"))
			strv_push_owned(ids, charset_repair_utf8(id, strlen(id), NULL));
		free(id);
	}
}

static char *mime_first_id(const char *v)
{
	struct strv ids = STRV_INIT;
	mime_ids(v, &ids);
	char *id = ids.n ? xstrdup(ids.v[0]) : NULL;
	strv_free(&ids);
	return id;
}

static void mime_push_addr(struct strv *sv, const char *a)
{
	char *s = charset_repair_utf8(a, strlen(a), NULL);
	strv_push_owned(sv, util_lower(util_trim(s)));
}

/* When libetpan rejects an address list, anything shaped like an address. */
static void mime_addrs_fallback(const char *v, struct strv *sv, char **display)
{
	const char *p = v;
	while (*p) {
		size_t n = strcspn(p, " \t,;<>\"()[]");
		if (n > 1 && memchr(p, '@', n)) {
			char *a = xstrndup(p, n);
			mime_push_addr(sv, a);
			free(a);
		}
		p += n;
		if (*p)
			p++;
	}
	if (display && sv->n > 0) {
		const char *lt = strchr(v, '<');
		if (lt && lt > v) {
			char *d = xstrndup(v, (size_t)(lt - v));
			util_trim(d);
			size_t dl = strlen(d);
			if (dl >= 2 && d[0] == '"' && d[dl - 1] == '"') {
				memmove(d, d + 1, dl - 2);
				d[dl - 2] = '\0';
			}
			*display = *d ? mime_decode_words(d) : NULL;
			free(d);
		}
	}
}

/* libetpan accepts some broken forms ("a" b@c>) as odd addr-specs. */
static int mime_addr_plausible(const char *a)
{
	return *a && !strpbrk(a, "\"<>()[],; \t\r\n");
}

static int mime_mailbox(struct mailimf_mailbox *mb, struct strv *sv, char **display)
{
	if (!mb || !mb->mb_addr_spec || !mime_addr_plausible(mb->mb_addr_spec))
		return -1;
	mime_push_addr(sv, mb->mb_addr_spec);
	if (display && !*display && mb->mb_display_name && *mb->mb_display_name)
		*display = mime_decode_words(mb->mb_display_name);
	return 0;
}

static void mime_addrs(const char *v, struct strv *sv, char **display)
{
	if (!v || !*v)
		return;
	size_t idx = 0;
	struct mailimf_address_list *al = NULL;
	struct strv got = STRV_INIT;
	char *disp = NULL;
	int ok = mailimf_address_list_parse(v, strlen(v), &idx, &al) == MAILIMF_NO_ERROR;
	for (clistiter *it = ok ? clist_begin(al->ad_list) : NULL; it && ok; it = clist_next(it)) {
		struct mailimf_address *a = clist_content(it);
		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			ok = mime_mailbox(a->ad_data.ad_mailbox, &got, display ? &disp : NULL) == 0;
		} else if (a->ad_data.ad_group && a->ad_data.ad_group->grp_mb_list) {
			clist *l = a->ad_data.ad_group->grp_mb_list->mb_list;
			for (clistiter *j = clist_begin(l); j && ok; j = clist_next(j))
				ok = mime_mailbox(clist_content(j), &got, display ? &disp : NULL) == 0;
		}
	}
	if (al)
		mailimf_address_list_free(al);
	if (ok) {
		for (size_t i = 0; i < got.n; i++)
			strv_push(sv, got.v[i]);
		if (display)
			*display = disp;
		disp = NULL;
	} else {
		mime_addrs_fallback(v, sv, display);
	}
	free(disp);
	strv_free(&got);
}

/* Fills the header-derived fields of m; returns the body offset. */
static size_t mime_envelope(struct mime_message *m, const char *raw, size_t len)
{
	struct mime_header *h;
	size_t n;
	size_t body = mime_split_headers(raw, len, &h, &n);
	m->headers = xcalloc(n ? n : 1, sizeof *m->headers);
	m->nheaders = n;
	for (size_t i = 0; i < n; i++) {
		m->headers[i].name = charset_repair_utf8(h[i].name, strlen(h[i].name), NULL);
		m->headers[i].value = mime_decode_words(h[i].value);
	}
	m->message_id = mime_first_id(mime_headers_find(h, n, "Message-ID"));
	m->in_reply_to = mime_first_id(mime_headers_find(h, n, "In-Reply-To"));
	mime_ids(mime_headers_find(h, n, "References"), &m->references);
	struct strv from = STRV_INIT;
	mime_addrs(mime_headers_find(h, n, "From"), &from, &m->from_display);
	if (from.n)
		m->from = xstrdup(from.v[0]);
	strv_free(&from);
	mime_addrs(mime_headers_find(h, n, "To"), &m->to, NULL);
	mime_addrs(mime_headers_find(h, n, "Cc"), &m->cc, NULL);
	m->subject = xstrdup(mime_header_get(m, "Subject"));
	m->date = xstrdup(mime_header_get(m, "Date"));
	mime_headers_free(h, n);
	return body;
}

const char *mime_header_get(const struct mime_message *m, const char *name)
{
	if (!m || !name)
		return NULL;
	return mime_headers_find(m->headers, m->nheaders, name);
}

/* ---- pre-scan: bound nesting and part count before libetpan recurses ---- */

struct mime_bnd {
	const char *s; /* points into the message */
	size_t n;
	int stacked;   /* open at the current line */
	int closed;    /* its close delimiter was seen */
};

/* Boundaries declared in a message, sorted for lookup. */
struct mime_scan {
	struct mime_bnd *b;
	size_t nb;
};

static int mime_bnd_cmp(const void *a, const void *b)
{
	const struct mime_bnd *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->s, y->s, n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

static struct mime_bnd *mime_bnd_find(struct mime_bnd *v, size_t n, const char *s, size_t len)
{
	struct mime_bnd key = { s, len, 0, 0 };
	if (n == 0)
		return NULL;
	return bsearch(&key, v, n, sizeof *v, mime_bnd_cmp);
}

/* libetpan's parser recurses once per nesting level and copes badly with
 * many levels, so the nesting is estimated first, linearly and from above:
 * open boundaries at once plus embedded messages. */
static int mime_prescan(struct mime_message *m, const struct mime_limits *lim,
                        const char *raw, size_t len, struct mime_scan *scan)
{
	struct mime_bnd *b = NULL;
	size_t nb = 0, cap = 0;
	size_t *stack = NULL;
	size_t depth = 0, maxdepth = 0, nopen = 0, nmsg = 0;
	int rc = 0;
	for (const char *p = raw; (p = mime_memcasemem(p, len - (size_t)(p - raw), "boundary")) != NULL;) {
		const char *e = raw + len;
		p += 8;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= e || *p != '=')
			continue;
		p++;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		const char *s = p;
		if (p < e && *p == '"') {
			s = ++p;
			while (p < e && *p != '"' && *p != '\n' && *p != '\r')
				p++;
		} else {
			while (p < e && *p != ';' && !isspace((unsigned char)*p))
				p++;
		}
		if (p == s || p - s > 200)
			continue;
		if (nb == cap) {
			cap = cap ? cap * 2 : 16;
			b = xrealloc(b, cap * sizeof *b);
		}
		b[nb++] = (struct mime_bnd){ s, (size_t)(p - s), 0, 0 };
	}
	if (nb) {
		qsort(b, nb, sizeof *b, mime_bnd_cmp);
		size_t u = 1;
		for (size_t i = 1; i < nb; i++)
			if (mime_bnd_cmp(&b[i], &b[u - 1]) != 0)
				b[u++] = b[i];
		nb = u;
	}
	stack = xcalloc(nb + 1, sizeof *stack);
	for (size_t i = 0; i < len;) {
		size_t e = mime_line_end(raw, len, i);
		size_t le = e;
		while (le > i && isspace((unsigned char)raw[le - 1]))
			le--;
		const char *l = raw + i;
		size_t ll = le - i;
		if (nb && ll > 2 && l[0] == '-' && l[1] == '-') {
			struct mime_bnd *f = NULL;
			if (ll > 4 && l[ll - 1] == '-' && l[ll - 2] == '-' &&
			    (f = mime_bnd_find(b, nb, l + 2, ll - 4)) != NULL) {
				f->closed = 1;
				while (f->stacked && depth > 0) {
					struct mime_bnd *top = &b[stack[--depth]];
					top->stacked = 0;
					if (top == f)
						break;
				}
			} else if ((f = mime_bnd_find(b, nb, l + 2, ll - 2)) != NULL) {
				nopen++;
				if (!f->stacked) {
					f->stacked = 1;
					stack[depth++] = (size_t)(f - b);
					if (depth > maxdepth)
						maxdepth = depth;
				}
			}
		} else if (ll > 13 && strncasecmp(l, "content-type", 12) == 0) {
			const char *v = l + 12;
			const char *ve = raw + len;
			while (v < ve && (isspace((unsigned char)*v) || *v == ':'))
				v++;
			if ((size_t)(ve - v) > 16 && (strncasecmp(v, "message/rfc822", 14) == 0 ||
			                              strncasecmp(v, "multipart/digest", 16) == 0))
				nmsg++;
		}
		i = e < len ? e + 1 : len;
	}
	if (nopen + nmsg > (size_t)lim->max_parts) {
		mime_set_status(m, MIME_LIMIT, "more than %d parts", lim->max_parts);
		rc = -1;
	} else if (maxdepth + nmsg > (size_t)lim->max_depth) {
		mime_set_status(m, MIME_LIMIT, "nesting deeper than %d levels", lim->max_depth);
		rc = -1;
	}
	free(stack);
	scan->b = b;
	scan->nb = nb;
	return rc;
}

/* ---- part content ---- */

struct mime_part {
	struct mailmime *mm;
	char *type;        /* lower-case "type/subtype" */
	const char *charset;
	char *filename;    /* decoded, or NULL */
	int disp_attach;   /* Content-Disposition: attachment */
	int disp_inline;
	int encoding;      /* MAILMIME_MECHANISM_* */
	const char *enc_token;
};

static char *mime_type_string(const struct mailmime_content *ct)
{
	const char *t = "text";
	if (!ct || !ct->ct_type)
		return xstrdup("text/plain");
	if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		static const char *const names[] = { "text", "text", "image", "audio", "video",
			                             "application", NULL };
		const struct mailmime_discrete_type *d = ct->ct_type->tp_data.tp_discrete_type;
		t = d->dt_type == MAILMIME_DISCRETE_TYPE_EXTENSION ? d->dt_extension
		    : (d->dt_type >= 0 && d->dt_type < 6)          ? names[d->dt_type]
		                                                   : "text";
	} else if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE) {
		const struct mailmime_composite_type *c = ct->ct_type->tp_data.tp_composite_type;
		t = c->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE     ? "message"
		    : c->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART ? "multipart"
		                                                      : c->ct_token;
	}
	char *s = xasprintf("%s/%s", t ? t : "application", ct->ct_subtype ? ct->ct_subtype : "octet-stream");
	char *u = charset_repair_utf8(s, strlen(s), NULL);
	free(s);
	return util_lower(u);
}

static const char *mime_param(const struct mime_param *ps, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(ps[i].name, name) == 0)
			return ps[i].value;
	return NULL;
}

static void mime_pct_decode(struct buf *b, const char *s)
{
	for (; *s; s++) {
		int h, l;
		if (*s == '%' && (h = mime_hex((unsigned char)s[1])) >= 0 &&
		    (l = mime_hex((unsigned char)s[2])) >= 0) {
			buf_addc(b, (char)(h * 16 + l));
			s += 2;
		} else {
			buf_addc(b, *s);
		}
	}
}

/* The value of parameter want, following RFC 2231 (name*, name*0*,
 * name*1, ...) before RFC 2047 words inside a plain value. */
static char *mime_param_value(const struct mime_param *ps, size_t n, const char *want)
{
	size_t wl = strlen(want);
	const char *seg[64] = { 0 };
	int segenc[64] = { 0 };
	const char *ext = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *nm = ps[i].name;
		if (strncasecmp(nm, want, wl) != 0 || nm[wl] != '*')
			continue;
		const char *r = nm + wl + 1;
		if (*r == '\0') {
			ext = ps[i].value;
		} else if (isdigit((unsigned char)*r)) {
			char *end;
			long k = strtol(r, &end, 10);
			if (k >= 0 && k < 64 && (*end == '\0' || (end[0] == '*' && end[1] == '\0'))) {
				seg[k] = ps[i].value;
				segenc[k] = *end == '*';
			}
		}
	}
	struct buf b = BUF_INIT;
	char *cs = NULL;
	char *out = NULL;
	if (ext || seg[0]) {
		const char *first = ext ? ext : seg[0];
		int enc = ext ? 1 : segenc[0];
		const char *q1 = enc ? strchr(first, '\'') : NULL;
		const char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
		if (q2) {
			cs = xstrndup(first, (size_t)(q1 - first));
			first = q2 + 1;
		}
		buf_add(&b, "", 0);
		if (enc)
			mime_pct_decode(&b, first);
		else
			buf_adds(&b, first);
		for (int k = 1; !ext && k < 64 && seg[k]; k++) {
			if (segenc[k])
				mime_pct_decode(&b, seg[k]);
			else
				buf_adds(&b, seg[k]);
		}
		out = charset_to_utf8(cs, b.data, b.len, NULL);
	} else {
		const char *v = mime_param(ps, n, want);
		out = v ? mime_decode_words(v) : NULL;
	}
	buf_free(&b);
	free(cs);
	return out;
}

static struct mime_param *mime_params(const struct mailmime *mm, size_t *np,
                                      const struct mailmime_disposition **dsp)
{
	struct mime_param *ps = NULL;
	size_t n = 0;
	*dsp = NULL;
	if (mm->mm_content_type && mm->mm_content_type->ct_parameters) {
		clist *l = mm->mm_content_type->ct_parameters;
		ps = xcalloc((size_t)clist_count(l) + 1, sizeof *ps);
		for (clistiter *it = clist_begin(l); it; it = clist_next(it)) {
			struct mailmime_parameter *p = clist_content(it);
			if (p->pa_name && p->pa_value)
				ps[n++] = (struct mime_param){ p->pa_name, p->pa_value };
		}
	}
	if (mm->mm_mime_fields) {
		for (clistiter *it = clist_begin(mm->mm_mime_fields->fld_list); it; it = clist_next(it)) {
			struct mailmime_field *f = clist_content(it);
			if (f->fld_type == MAILMIME_FIELD_DISPOSITION && f->fld_data.fld_disposition)
				*dsp = f->fld_data.fld_disposition;
		}
	}
	if (*dsp && (*dsp)->dsp_parms) {
		ps = xrealloc(ps, (n + (size_t)clist_count((*dsp)->dsp_parms) + 1) * sizeof *ps);
		for (clistiter *it = clist_begin((*dsp)->dsp_parms); it; it = clist_next(it)) {
			struct mailmime_disposition_parm *p = clist_content(it);
			/* Disposition names go first so that they win over name=. */
			if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME && p->pa_data.pa_filename)
				ps[n++] = (struct mime_param){ "disposition-filename", p->pa_data.pa_filename };
			else if (p->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER &&
			         p->pa_data.pa_parameter->pa_name && p->pa_data.pa_parameter->pa_value)
				ps[n++] = (struct mime_param){ p->pa_data.pa_parameter->pa_name,
					                       p->pa_data.pa_parameter->pa_value };
		}
	}
	*np = n;
	return ps;
}

static void mime_part_init(struct mime_part *p, struct mailmime *mm)
{
	memset(p, 0, sizeof *p);
	p->mm = mm;
	p->type = mime_type_string(mm->mm_content_type);
	p->encoding = MAILMIME_MECHANISM_8BIT;
	size_t np;
	const struct mailmime_disposition *dsp;
	struct mime_param *ps = mime_params(mm, &np, &dsp);
	p->charset = mime_param(ps, np, "charset");
	/* filename= parsed by libetpan is renamed so RFC 2231 pieces of it
	 * (filename*0*) are still found under "filename". */
	char *fn = mime_param_value(ps, np, "disposition-filename");
	if (!fn)
		fn = mime_param_value(ps, np, "filename");
	if (!fn)
		fn = mime_param_value(ps, np, "name");
	p->filename = fn && *fn ? fn : NULL;
	if (fn && !*fn)
		free(fn);
	if (dsp && dsp->dsp_type) {
		p->disp_attach = dsp->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
		p->disp_inline = dsp->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_INLINE;
	}
	if (mm->mm_mime_fields) {
		for (clistiter *it = clist_begin(mm->mm_mime_fields->fld_list); it; it = clist_next(it)) {
			struct mailmime_field *f = clist_content(it);
			if (f->fld_type == MAILMIME_FIELD_TRANSFER_ENCODING && f->fld_data.fld_encoding) {
				p->encoding = f->fld_data.fld_encoding->enc_type;
				p->enc_token = f->fld_data.fld_encoding->enc_token;
			}
		}
	}
	free(ps);
}

static void mime_part_clear(struct mime_part *p)
{
	free(p->type);
	free(p->filename);
}

static int mime_is_uuencoding(const struct mime_part *p)
{
	return p->encoding == MAILMIME_MECHANISM_TOKEN && p->enc_token &&
	       (strcasecmp(p->enc_token, "x-uuencode") == 0 || strcasecmp(p->enc_token, "uuencode") == 0 ||
	        strcasecmp(p->enc_token, "x-uue") == 0);
}

/* Decoded body of a single part: a new buffer, NUL-terminated. */
static char *mime_part_decode(const struct mime_part *p, size_t *outlen)
{
	const struct mailmime_data *d = p->mm->mm_body;
	if (!d || d->dt_type != MAILMIME_DATA_TEXT || !d->dt_data.dt_text.dt_data) {
		*outlen = 0;
		return xstrdup("");
	}
	const char *s = d->dt_data.dt_text.dt_data;
	size_t n = d->dt_data.dt_text.dt_length;
	if (p->encoding == MAILMIME_MECHANISM_BASE64) {
		/* Our decoder skips line noise that libetpan's turns into bytes. */
		struct buf b = BUF_INIT;
		buf_add(&b, "", 0);
		mime_word_decode(&b, 'b', s, n);
		*outlen = b.len;
		return buf_detach(&b);
	}
	if (p->encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		size_t idx = 0, rl = 0;
		char *r = NULL;
		if (mailmime_part_parse(s, n, &idx, p->encoding, &r, &rl) == MAILIMF_NO_ERROR && r) {
			char *out = xmalloc(rl + 1);
			memcpy(out, r, rl);
			out[rl] = '\0';
			mailmime_decoded_part_free(r);
			*outlen = rl;
			return out;
		}
	}
	*outlen = n;
	return xstrndup(s, n);
}

/* ---- uuencode ---- */

static int mime_uu_begin(const char *l, size_t n, char **name)
{
	if (n < 10 || strncmp(l, "begin ", 6) != 0)
		return 0;
	size_t i = 6;
	while (i < n && l[i] >= '0' && l[i] <= '7')
		i++;
	if (i == 6 || i > 10 || i >= n || l[i] != ' ')
		return 0;
	i++;
	*name = charset_repair_utf8(l + i, n - i, NULL);
	util_trim(*name);
	return 1;
}

static void mime_uu_line(struct buf *b, const char *l, size_t n)
{
	size_t want = (size_t)((l[0] - ' ') & 0x3F);
	size_t got = 0;
	for (size_t i = 1; got < want && i < n; i += 4) {
		unsigned v[4] = { 0, 0, 0, 0 };
		for (size_t k = 0; k < 4; k++)
			v[k] = i + k < n ? (unsigned)((l[i + k] - ' ') & 0x3F) : 0;
		unsigned char o[3] = { (unsigned char)(v[0] << 2 | v[1] >> 4),
			               (unsigned char)(v[1] << 4 | v[2] >> 2),
			               (unsigned char)(v[2] << 6 | v[3]) };
		size_t k = want - got < 3 ? want - got : 3;
		buf_add(b, o, k);
		got += k;
	}
}

static void mime_add_attachment(struct mime_ctx *cx, struct mime_message *m, const char *part,
                                const char *filename, const char *type, char *data, size_t size,
                                int tnef, int uu)
{
	if (size > cx->lim.max_attachment_size) {
		mime_set_status(m, MIME_LIMIT, "attachment %s larger than %zu bytes", part,
		                cx->lim.max_attachment_size);
		free(data);
		return;
	}
	m->attachments = xrealloc(m->attachments, (m->nattachments + 1) * sizeof *m->attachments);
	struct mime_attachment *a = &m->attachments[m->nattachments++];
	a->part = xstrdup(part);
	a->filename = filename ? charset_repair_utf8(filename, strlen(filename), NULL) : NULL;
	a->content_type = xstrdup(type);
	a->data = (unsigned char *)data;
	a->size = size;
	a->from_tnef = tnef;
	a->from_uuencode = uu;
}

/* Moves "begin 644 name" ... "end" blocks out of text into attachments;
 * returns the remaining text.  A block without "end" runs to the end. */
static char *mime_uu_extract(struct mime_ctx *cx, struct mime_message *m, const char *part,
                             const char *text, size_t len)
{
	struct buf rest = BUF_INIT, data = BUF_INIT;
	buf_add(&rest, "", 0);
	char *name = NULL;
	for (size_t i = 0; i < len;) {
		size_t e = mime_line_end(text, len, i);
		size_t next = e < len ? e + 1 : len;
		size_t le = e;
		if (le > i && text[le - 1] == '\r')
			le--;
		if (!name && mime_uu_begin(text + i, le - i, &name)) {
			buf_reset(&data);
			buf_add(&data, "", 0);
		} else if (name && le - i == 3 && strncmp(text + i, "end", 3) == 0) {
			size_t n = data.len;
			mime_add_attachment(cx, m, part, name, "application/octet-stream",
			                    buf_detach(&data), n, 0, 1);
			free(name);
			name = NULL;
		} else if (name) {
			if (le > i)
				mime_uu_line(&data, text + i, le - i);
		} else {
			buf_add(&rest, text + i, next - i);
		}
		i = next;
	}
	if (name) {
		size_t n = data.len;
		mime_add_attachment(cx, m, part, name, "application/octet-stream", buf_detach(&data), n, 0, 1);
		free(name);
	}
	buf_free(&data);
	return buf_detach(&rest);
}

/* ---- the part tree ---- */

static void mime_add_text(struct buf *body, const char *text)
{
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	if (n == 0)
		return;
	if (body->len > 0)
		buf_adds(body, "\n\n");
	buf_add(body, text, n);
}

static int mime_is_body_type(const char *type)
{
	return strcmp(type, "text/plain") == 0 || strcmp(type, "text/html") == 0 ||
	       strcmp(type, "text/enriched") == 0 || strcmp(type, "text/richtext") == 0;
}

static int mime_has_type(const struct mailmime *mm, const char *want, int depth)
{
	if (depth > 64)
		return 0;
	if (mm->mm_type == MAILMIME_MULTIPLE) {
		for (clistiter *it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it))
			if (mime_has_type(clist_content(it), want, depth + 1))
				return 1;
		return 0;
	}
	if (mm->mm_type != MAILMIME_SINGLE)
		return 0;
	char *t = mime_type_string(mm->mm_content_type);
	int r = strcmp(t, want) == 0;
	free(t);
	return r;
}

struct mime_walk {
	struct mime_ctx *cx;
	struct mime_message *m;
	struct buf body;
	const struct mime_scan *scan;
};

static void mime_walk(struct mime_walk *w, struct mailmime *mm, const char *part, int depth);

static void mime_walk_tnef(struct mime_walk *w, const struct mime_part *p, const char *part,
                           char *data, size_t n)
{
	struct tnef_file *files = NULL;
	size_t nf = 0;
	if (tnef_unpack((const unsigned char *)data, n, &files, &nf, NULL) < 0 || nf == 0) {
		mime_add_attachment(w->cx, w->m, part, p->filename, p->type, data, n, 0, 0);
		return;
	}
	for (size_t i = 0; i < nf; i++) {
		mime_add_attachment(w->cx, w->m, part, files[i].filename,
		                    files[i].content_type ? files[i].content_type : "application/octet-stream",
		                    (char *)files[i].data, files[i].size, 1, 0);
		files[i].data = NULL;
	}
	tnef_files_free(files, nf);
	free(data);
}

static void mime_walk_single(struct mime_walk *w, struct mailmime *mm, const char *part, int depth)
{
	struct mime_part p;
	mime_part_init(&p, mm);
	size_t n;
	char *data = mime_part_decode(&p, &n);
	if (mime_is_uuencoding(&p)) {
		char *rest = mime_uu_extract(w->cx, w->m, part, data, n);
		if (p.filename && w->m->nattachments > 0 && w->m->attachments[w->m->nattachments - 1].from_uuencode) {
			struct mime_attachment *a = &w->m->attachments[w->m->nattachments - 1];
			free(a->filename);
			a->filename = xstrdup(p.filename);
		}
		free(data);
		data = rest;
		n = strlen(rest);
	}
	int is_report = strcmp(p.type, "message/delivery-status") == 0 ||
	                strcmp(p.type, "message/global-delivery-status") == 0 ||
	                strcmp(p.type, "message/disposition-notification") == 0 ||
	                strcmp(p.type, "message/feedback-report") == 0;
	int is_headers = strcmp(p.type, "text/rfc822-headers") == 0 ||
	                 strcmp(p.type, "message/rfc822-headers") == 0 ||
	                 strcmp(p.type, "message/global-headers") == 0;
	int is_tnef = strcmp(p.type, "application/ms-tnef") == 0 ||
	              strcmp(p.type, "application/vnd.ms-tnef") == 0 ||
	              (p.filename && strcasecmp(p.filename, "winmail.dat") == 0);
	int is_body = mime_is_body_type(p.type) && !p.disp_attach && (!p.filename || p.disp_inline);
	if (is_report || is_headers) {
		char *u = charset_to_utf8(p.charset, data, n, NULL);
		struct buf ds = BUF_INIT;
		buf_adds(&ds, w->m->delivery_status ? w->m->delivery_status : "");
		buf_adds(&ds, u);
		free(w->m->delivery_status);
		w->m->delivery_status = buf_detach(&ds);
		free(u);
		if (is_headers) {
			struct mime_message *e = mime_parse_at(w->cx, data, n, depth + 1);
			w->m->embedded = xrealloc(w->m->embedded, (w->m->nembedded + 1) * sizeof *w->m->embedded);
			w->m->embedded[w->m->nembedded++] = e;
		}
		free(data);
	} else if (is_tnef) {
		mime_walk_tnef(w, &p, part, data, n);
	} else if (is_body) {
		char *u = charset_to_utf8(p.charset, data, n, NULL);
		free(data);
		if (strcmp(p.type, "text/html") == 0) {
			char *t = markup_html_text(u, strlen(u));
			mime_add_text(&w->body, t);
			w->m->body_from_html |= *t != '\0';
			free(t);
		} else {
			char *rest = mime_uu_extract(w->cx, w->m, part, u, strlen(u));
			mime_add_text(&w->body, rest);
			free(rest);
		}
		free(u);
	} else {
		mime_add_attachment(w->cx, w->m, part, p.filename, p.type, data, n, 0, 0);
	}
	mime_part_clear(&p);
}

static void mime_walk_message(struct mime_walk *w, struct mailmime *mm, const char *part, int depth)
{
	struct mime_part p;
	mime_part_init(&p, mm);
	size_t n;
	/* Some senders base64 a message/rfc822 part against RFC 2046. */
	char *data = mime_part_decode(&p, &n);
	struct mime_message *e = mime_parse_at(w->cx, data, n, depth + 1);
	if (e->status == MIME_LIMIT)
		mime_set_status(w->m, MIME_LIMIT, "%s", e->problem);
	w->m->embedded = xrealloc(w->m->embedded, (w->m->nembedded + 1) * sizeof *w->m->embedded);
	w->m->embedded[w->m->nembedded++] = e;
	/* The original stays available as a file too (forwarded mail). */
	mime_add_attachment(w->cx, w->m, part, p.filename, "message/rfc822", data, n, 0, 0);
	mime_part_clear(&p);
}

static char *mime_child_part(const char *part, int i)
{
	return *part ? xasprintf("%s.%d", part, i) : xasprintf("%d", i);
}

static void mime_walk_multi(struct mime_walk *w, struct mailmime *mm, const char *part, int depth)
{
	char *type = mime_type_string(mm->mm_content_type);
	const char *bnd = mm->mm_content_type ? mailmime_content_param_get(mm->mm_content_type, "boundary") : NULL;
	if (bnd) {
		const struct mime_bnd *f = mime_bnd_find(w->scan->b, w->scan->nb, bnd, strlen(bnd));
		if (f && !f->closed)
			mime_set_status(w->m, MIME_PARTIAL, "missing final boundary in part %s", *part ? part : "0");
	}
	clist *l = mm->mm_data.mm_multipart.mm_mp_list;
	struct mailmime *pick = NULL;
	if (clist_count(l) == 0) {
		/* No delimiter found: the body is all there is to read. */
		mime_set_status(w->m, MIME_PARTIAL, "no parts in multipart %s", *part ? part : "0");
		if (mm->mm_body && mm->mm_body->dt_type == MAILMIME_DATA_TEXT) {
			char *t = charset_to_utf8(NULL, mm->mm_body->dt_data.dt_text.dt_data,
			                          mm->mm_body->dt_data.dt_text.dt_length, NULL);
			mime_add_text(&w->body, t);
			free(t);
		}
	}
	if (strcmp(type, "multipart/alternative") == 0) {
		for (clistiter *it = clist_begin(l); it && !pick; it = clist_next(it))
			if (mime_has_type(clist_content(it), "text/plain", 0))
				pick = clist_content(it);
		for (clistiter *it = clist_begin(l); it && !pick; it = clist_next(it))
			if (mime_has_type(clist_content(it), "text/html", 0))
				pick = clist_content(it);
	}
	int i = 0;
	for (clistiter *it = clist_begin(l); it; it = clist_next(it)) {
		i++;
		if (pick && clist_content(it) != pick)
			continue;
		char *child = mime_child_part(part, i);
		mime_walk(w, clist_content(it), child, depth + 1);
		free(child);
		if (w->m->status == MIME_LIMIT)
			break;
	}
	free(type);
}

static void mime_walk(struct mime_walk *w, struct mailmime *mm, const char *part, int depth)
{
	if (++w->cx->nparts > w->cx->lim.max_parts) {
		mime_set_status(w->m, MIME_LIMIT, "more than %d parts", w->cx->lim.max_parts);
		return;
	}
	if (depth > w->cx->lim.max_depth) {
		mime_set_status(w->m, MIME_LIMIT, "nesting deeper than %d levels", w->cx->lim.max_depth);
		return;
	}
	if (mm->mm_type == MAILMIME_MULTIPLE)
		mime_walk_multi(w, mm, part, depth);
	else if (mm->mm_type == MAILMIME_MESSAGE)
		mime_walk_message(w, mm, *part ? part : "1", depth);
	else
		mime_walk_single(w, mm, *part ? part : "1", depth);
}

/* ---- messages ---- */

static void mime_skip_envelope(const char **raw, size_t *len)
{
	if (*len >= 3 && memcmp(*raw, "\xEF\xBB\xBF", 3) == 0) {
		*raw += 3;
		*len -= 3;
	}
	/* Lines of blanks before the headers hide them from libetpan. */
	for (;;) {
		size_t i = 0;
		while (i < *len && ((*raw)[i] == ' ' || (*raw)[i] == '\t'))
			i++;
		if (i == 0 || i >= *len || ((*raw)[i] != '\n' && (*raw)[i] != '\r'))
			break;
		size_t e = mime_line_end(*raw, *len, i);
		e = e < *len ? e + 1 : *len;
		*raw += e;
		*len -= e;
	}
	/* An mbox "From " line makes libetpan take the headers for body. */
	if (*len >= 5 && memcmp(*raw, "From ", 5) == 0) {
		size_t e = mime_line_end(*raw, *len, 0);
		e = e < *len ? e + 1 : *len;
		*raw += e;
		*len -= e;
	}
}

static struct mime_message *mime_parse_at(struct mime_ctx *cx, const char *raw, size_t len, int depth)
{
	struct mime_message *m = xcalloc(1, sizeof *m);
	struct mime_walk w = { cx, m, BUF_INIT, NULL };
	struct mime_scan scan = { NULL, 0 };
	struct mailmime *mm = NULL;
	mime_skip_envelope(&raw, &len);
	size_t body = mime_envelope(m, raw, len);
	size_t idx = 0;
	int r;
	if (depth > cx->lim.max_depth) {
		mime_set_status(m, MIME_LIMIT, "nesting deeper than %d levels", cx->lim.max_depth);
		goto out;
	}
	if (mime_prescan(m, &cx->lim, raw, len, &scan) < 0)
		goto out;
	r = mailmime_parse(raw, len, &idx, &mm);
	if (r != MAILIMF_NO_ERROR || !mm || mm->mm_type != MAILMIME_MESSAGE || !mm->mm_data.mm_message.mm_msg_mime) {
		mime_set_status(m, MIME_FAILED, "no MIME structure (libetpan error %d)", r);
		char *t = charset_to_utf8(NULL, raw + body, len - body, NULL);
		mime_add_text(&w.body, t);
		free(t);
		goto out;
	}
	struct mailmime *top = mm->mm_data.mm_message.mm_msg_mime;
	m->content_type = mime_type_string(top->mm_content_type);
	if (top->mm_content_type) {
		const char *rt = mailmime_content_param_get(top->mm_content_type, "report-type");
		if (rt)
			m->report_type = util_lower(charset_repair_utf8(rt, strlen(rt), NULL));
	}
	w.scan = &scan;
	mime_walk(&w, top, "", depth);
out:
	if (mm)
		mailmime_free(mm);
	free(scan.b);
	m->body_text = charset_repair_utf8(w.body.data ? w.body.data : "", w.body.len, NULL);
	buf_free(&w.body);
	return m;
}

int mime_parse(const char *raw, size_t len, const struct mime_limits *lim,
               struct mime_message **out, char **errp)
{
	if (!out)
		return err_set(errp, FOID_EINVAL, "mime_parse: no place for the result");
	*out = NULL;
	if (!raw)
		return err_set(errp, FOID_EINVAL, "mime_parse: no message");
	struct mime_ctx cx = { { MIME_DEFAULT_MAX_MESSAGE, MIME_DEFAULT_MAX_ATTACHMENT,
		                 MIME_DEFAULT_MAX_PARTS, MIME_DEFAULT_MAX_DEPTH }, 0 };
	if (lim) {
		if (lim->max_message_size)
			cx.lim.max_message_size = lim->max_message_size;
		if (lim->max_attachment_size)
			cx.lim.max_attachment_size = lim->max_attachment_size;
		if (lim->max_parts > 0)
			cx.lim.max_parts = lim->max_parts;
		if (lim->max_depth > 0)
			cx.lim.max_depth = lim->max_depth;
	}
	if (len > cx.lim.max_message_size) {
		/* Headers only: they are near the top and say who wrote. */
		struct mime_message *m = xcalloc(1, sizeof *m);
		const char *h = raw;
		size_t hl = len < 1024 * 1024 ? len : 1024 * 1024;
		mime_skip_envelope(&h, &hl);
		mime_envelope(m, h, hl);
		m->body_text = xstrdup("");
		mime_set_status(m, MIME_LIMIT, "message of %zu bytes larger than %zu", len,
		                cx.lim.max_message_size);
		*out = m;
		return 0;
	}
	/* Old Mac mail ends lines with a bare CR, which libetpan does not. */
	char *lf = NULL;
	if (len > 0 && !memchr(raw, '\n', len) && memchr(raw, '\r', len)) {
		lf = xmalloc(len);
		for (size_t i = 0; i < len; i++)
			lf[i] = raw[i] == '\r' ? '\n' : raw[i];
		raw = lf;
	}
	*out = mime_parse_at(&cx, raw, len, 0);
	free(lf);
	return 0;
}

void mime_message_free(struct mime_message *m)
{
	if (!m)
		return;
	mime_headers_free(m->headers, m->nheaders);
	free(m->message_id);
	free(m->in_reply_to);
	strv_free(&m->references);
	free(m->from);
	free(m->from_display);
	strv_free(&m->to);
	strv_free(&m->cc);
	free(m->subject);
	free(m->date);
	free(m->body_text);
	for (size_t i = 0; i < m->nattachments; i++) {
		free(m->attachments[i].part);
		free(m->attachments[i].filename);
		free(m->attachments[i].content_type);
		free(m->attachments[i].data);
	}
	free(m->attachments);
	free(m->content_type);
	free(m->report_type);
	free(m->delivery_status);
	for (size_t i = 0; i < m->nembedded; i++)
		mime_message_free(m->embedded[i]);
	free(m->embedded);
	free(m->problem);
	free(m);
}
