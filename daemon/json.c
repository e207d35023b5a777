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
	if (json_dumpf(J(v), f, jw_flags(flags)) < 0 || fputc('\n', f) == EOF)
		return err_set(errp, FOID_EIO, "cannot write JSON output");
	return FOID_OK;
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
