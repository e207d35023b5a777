#include "json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* struct jw is never defined: a struct jw * is a json_t * in disguise. */
#define J(v) ((json_t *)(v))
#define W(v) ((struct jw *)(v))

static json_t *jw_checked(json_t *j)
{
	if (!j) {
		fputs("foid: out of memory\n", stderr);
		abort();
	}
	return j;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t jw_utf8_seq(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 :
	           (c & 0xF8) == 0xF0 ? 4 : 0;
	if (k == 0 || k > n || !util_utf8_valid(s, k))
		return 0;
	return k;
}

static json_t *jw_string(const char *s)
{
	if (!s)
		return jw_checked(json_null());
	size_t n = strlen(s);
	if (util_utf8_valid(s, n))
		return jw_checked(json_stringn(s, n));
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n;) {
		size_t k = jw_utf8_seq(s + i, n - i);
		if (k) {
			buf_add(&b, s + i, k);
			i += k;
		} else {
			buf_adds(&b, "\xEF\xBF\xBD");
			i++;
		}
	}
	json_t *j = jw_checked(json_stringn(b.data, b.len));
	buf_free(&b);
	return j;
}

struct jw *jw_object(void)
{
	return W(jw_checked(json_object()));
}

struct jw *jw_array(void)
{
	return W(jw_checked(json_array()));
}

void jw_free(struct jw *v)
{
	if (v)
		json_decref(J(v));
}

void jw_set(struct jw *obj, const char *key, struct jw *child)
{
	if (json_object_set_new(J(obj), key, J(child)) < 0) {
		fputs("foid: jw_set: not an object or bad key\n", stderr);
		abort();
	}
}

void jw_set_str(struct jw *obj, const char *key, const char *val)
{
	jw_set(obj, key, W(jw_string(val)));
}

void jw_set_int(struct jw *obj, const char *key, int64_t val)
{
	jw_set(obj, key, W(jw_checked(json_integer((json_int_t)val))));
}

void jw_set_bool(struct jw *obj, const char *key, int val)
{
	jw_set(obj, key, W(jw_checked(json_boolean(val))));
}

void jw_set_null(struct jw *obj, const char *key)
{
	jw_set(obj, key, W(jw_checked(json_null())));
}

void jw_push(struct jw *arr, struct jw *child)
{
	if (json_array_append_new(J(arr), J(child)) < 0) {
		fputs("foid: jw_push: not an array\n", stderr);
		abort();
	}
}

void jw_push_str(struct jw *arr, const char *val)
{
	jw_push(arr, W(jw_string(val)));
}

void jw_push_int(struct jw *arr, int64_t val)
{
	jw_push(arr, W(jw_checked(json_integer((json_int_t)val))));
}

void jw_push_bool(struct jw *arr, int val)
{
	jw_push(arr, W(jw_checked(json_boolean(val))));
}

void jw_push_null(struct jw *arr)
{
	jw_push(arr, W(jw_checked(json_null())));
}

static size_t jw_flags(int flags)
{
	size_t f = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
	if (flags & JW_INDENT)
		f |= JSON_INDENT(2);
	else
		f |= JSON_COMPACT;
	if (flags & JW_ASCII)
		f |= JSON_ENSURE_ASCII;
	return f;
}

char *jw_dump(const struct jw *v, int flags)
{
	char *s = json_dumps(J(v), jw_flags(flags));
	if (!s) {
		fputs("foid: out of memory\n", stderr);
		abort();
	}
	return s; /* jansson allocates with malloc: free() releases it */
}

int jw_dump_file(const struct jw *v, FILE *f, int flags, char **errp)
{
	/* One write: jansson's FILE output writes token by token. */
	char *s = json_dumps(J(v), jw_flags(flags));
	int rc = FOID_OK;
	if (!s || fputs(s, f) == EOF || fputc('\n', f) == EOF)
		rc = err_set(errp, FOID_EIO, "cannot write JSON output");
	free(s);
	return rc;
}

int jw_parse(struct jw **out, const char *text, size_t len, char **errp)
{
	json_error_t e;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	*out = NULL;
	if (!j)
		return err_set(errp, FOID_EINVAL, "%d:%d: %s", e.line, e.column, e.text);
	*out = W(j);
	return FOID_OK;
}

enum jw_type jw_typeof(const struct jw *v)
{
	if (!v)
		return JW_NULL;
	switch (json_typeof(J(v))) {
	case JSON_OBJECT: return JW_OBJECT;
	case JSON_ARRAY: return JW_ARRAY;
	case JSON_STRING: return JW_STRING;
	case JSON_INTEGER: return JW_INT;
	case JSON_REAL: return JW_REAL;
	case JSON_TRUE:
	case JSON_FALSE: return JW_BOOL;
	case JSON_NULL: break;
	}
	return JW_NULL;
}

struct jw *jw_get(const struct jw *obj, const char *key)
{
	return W(json_object_get(J(obj), key));
}

size_t jw_len(const struct jw *v)
{
	if (json_is_array(J(v)))
		return json_array_size(J(v));
	return json_object_size(J(v));
}

struct jw *jw_at(const struct jw *arr, size_t i)
{
	return W(json_array_get(J(arr), i));
}

const char *jw_key_at(const struct jw *obj, size_t i)
{
	void *it = json_object_iter(J(obj));
	for (; it && i > 0; i--)
		it = json_object_iter_next(J(obj), it);
	return it ? json_object_iter_key(it) : NULL;
}

const char *jw_str(const struct jw *v)
{
	return json_string_value(J(v));
}

int64_t jw_int(const struct jw *v)
{
	return (int64_t)json_integer_value(J(v));
}

int jw_bool(const struct jw *v)
{
	return json_is_true(J(v));
}

/* Nesting: for each open container, whether it has a value yet. */
#define JWS_DEPTH 64
struct jws {
	struct buf b;
	int depth;
	int has[JWS_DEPTH];
	int after_key;
};

struct jws *jws_new(void)
{
	return xcalloc(1, sizeof(struct jws));
}

static void jws_indent(struct jws *w, int depth)
{
	static const char spaces[] = "\n                                                  ";
	int n = depth * 2;
	if (n > (int)sizeof spaces - 2)
		n = (int)sizeof spaces - 2;
	buf_add(&w->b, spaces, (size_t)n + 1);
}

/* What goes before a value: a comma and new line inside a container. */
static void jws_pre(struct jws *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth > 0) {
		if (w->has[w->depth - 1])
			buf_addc(&w->b, ',');
		w->has[w->depth - 1] = 1;
		jws_indent(w, w->depth);
	}
}

static void jws_open(struct jws *w, char c)
{
	jws_pre(w);
	buf_addc(&w->b, c);
	if (w->depth < JWS_DEPTH)
		w->has[w->depth] = 0;
	w->depth++;
}

static void jws_close(struct jws *w, char c)
{
	w->depth--;
	if (w->depth < JWS_DEPTH && w->has[w->depth])
		jws_indent(w, w->depth);
	buf_addc(&w->b, c);
}

void jws_begin_object(struct jws *w) { jws_open(w, '{'); }
void jws_end_object(struct jws *w) { jws_close(w, '}'); }
void jws_begin_array(struct jws *w) { jws_open(w, '['); }
void jws_end_array(struct jws *w) { jws_close(w, ']'); }

static void jws_quoted(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	if (!util_utf8_valid(s, n)) {
		/* The tree's own escaping of a repaired copy. */
		json_t *j = jw_string(s);
		char *t = json_dumps(j, JSON_ENCODE_ANY);
		buf_adds(b, t ? t : "\"\"");
		free(t);
		json_decref(j);
		return;
	}
	buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		/* A run that needs no escape goes in one piece. */
		const unsigned char *q = p;
		while (*q >= 0x20 && *q != '"' && *q != '\\')
			q++;
		if (q > p) {
			buf_add(b, p, (size_t)(q - p));
			p = q - 1;
			continue;
		}
		switch (*p) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		case '\b': buf_adds(b, "\\b"); break;
		case '\f': buf_adds(b, "\\f"); break;
		default:
			if (*p < 0x20)
				buf_addf(b, "\\u%04X", *p);
			else
				buf_addc(b, (char)*p);
		}
	}
	buf_addc(b, '"');
}

void jws_key(struct jws *w, const char *key)
{
	jws_pre(w);
	jws_quoted(&w->b, key);
	buf_adds(&w->b, ": ");
	w->after_key = 1;
}

void jws_str(struct jws *w, const char *s)
{
	if (!s) {
		jws_null(w);
		return;
	}
	jws_pre(w);
	jws_quoted(&w->b, s);
}

void jws_int(struct jws *w, int64_t v)
{
	jws_pre(w);
	buf_addf(&w->b, "%lld", (long long)v);
}

void jws_num(struct jws *w, double v)
{
	jws_pre(w);
	/* JSON has no NaN or infinity. */
	if (v != v || v > 1e308 || v < -1e308)
		buf_adds(&w->b, "null");
	else
		buf_addf(&w->b, "%.15g", v);
}

void jws_bool(struct jws *w, int v)
{
	jws_pre(w);
	buf_adds(&w->b, v ? "true" : "false");
}

void jws_null(struct jws *w)
{
	jws_pre(w);
	buf_adds(&w->b, "null");
}

void jws_kstr(struct jws *w, const char *key, const char *s)
{
	jws_key(w, key);
	jws_str(w, s);
}

void jws_kint(struct jws *w, const char *key, int64_t v)
{
	jws_key(w, key);
	jws_int(w, v);
}

char *jws_finish(struct jws *w)
{
	char *s = buf_detach(&w->b);
	free(w);
	return s;
}
