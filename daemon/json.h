/* Building, printing and reading JSON: the only module that includes
 * jansson.h.
 *
 * A struct jw is one JSON value (object, array, string, ...).  Values made
 * by jw_object/jw_array/jw_parse are owned by the caller and released with
 * jw_free; a value handed to jw_set/jw_push becomes owned by its parent.
 * Pointers returned by the readers (jw_get, jw_at, jw_str) borrow from
 * their parent and stay valid while it lives.
 *
 * Objects keep their keys in insertion order, so output is stable.  Strings
 * must be UTF-8; invalid sequences are replaced by U+FFFD rather than
 * failing.  A NULL string argument stores JSON null. */
#ifndef FOID_JSON_H
#define FOID_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jw;

enum jw_type {
	JW_NULL,
	JW_BOOL,
	JW_INT,
	JW_REAL,
	JW_STRING,
	JW_ARRAY,
	JW_OBJECT,
};

/* Dump flags. */
enum {
	JW_COMPACT = 0,    /* one line, no spaces */
	JW_INDENT = 1,     /* two-space indentation, one member per line */
	JW_ASCII = 2,      /* escape every non-ASCII character as \uXXXX */
};

struct jw *jw_object(void);
struct jw *jw_array(void);
void jw_free(struct jw *v); /* NULL is fine */

/* Object members; setting an existing key replaces its value in place. */
void jw_set_str(struct jw *obj, const char *key, const char *val);
void jw_set_int(struct jw *obj, const char *key, int64_t val);
void jw_set_bool(struct jw *obj, const char *key, int val);
void jw_set_null(struct jw *obj, const char *key);
void jw_set(struct jw *obj, const char *key, struct jw *child); /* takes child */

/* Array elements, appended. */
void jw_push_str(struct jw *arr, const char *val);
void jw_push_int(struct jw *arr, int64_t val);
void jw_push_bool(struct jw *arr, int val);
void jw_push_null(struct jw *arr);
void jw_push(struct jw *arr, struct jw *child); /* takes child */

/* A new NUL-terminated string (no trailing newline). */
char *jw_dump(const struct jw *v, int flags);
/* Writes the text and a final newline.  0 or FOID_EIO. */
int jw_dump_file(const struct jw *v, FILE *f, int flags, char **errp);

/* Parses text (len bytes).  0 or FOID_EINVAL with "line:col: why". */
int jw_parse(struct jw **out, const char *text, size_t len, char **errp);

/* Readers.  Wrong types give NULL / 0 rather than failing. */
enum jw_type jw_typeof(const struct jw *v);                 /* NULL gives JW_NULL */
struct jw *jw_get(const struct jw *obj, const char *key); /* NULL if absent */
size_t jw_len(const struct jw *v);                          /* array or object */
struct jw *jw_at(const struct jw *arr, size_t i);           /* NULL past the end */
/* The i-th key of an object in order, or NULL past the end. */
const char *jw_key_at(const struct jw *obj, size_t i);
const char *jw_str(const struct jw *v);
int64_t jw_int(const struct jw *v);
int jw_bool(const struct jw *v);

/* Streaming output for large documents (foictl status --json over ten
 * thousand bodies): no tree is built.  The text is what jw_dump with
 * JW_INDENT gives for the same values.  Keys and strings are escaped;
 * invalid UTF-8 becomes U+FFFD as in the tree.  Call jws_key before each
 * value inside an object.  jws_finish hands the text to the caller. */
struct jws;
struct jws *jws_new(void);
void jws_begin_object(struct jws *w);
void jws_end_object(struct jws *w);
void jws_begin_array(struct jws *w);
void jws_end_array(struct jws *w);
void jws_key(struct jws *w, const char *key);
void jws_str(struct jws *w, const char *s); /* NULL writes null */
void jws_int(struct jws *w, int64_t v);
void jws_num(struct jws *w, double v); /* NaN and infinities write null */
void jws_bool(struct jws *w, int v);
void jws_null(struct jws *w);
/* A key and its value in one call. */
void jws_kstr(struct jws *w, const char *key, const char *s);
void jws_kint(struct jws *w, const char *key, int64_t v);
char *jws_finish(struct jws *w); /* frees w; the caller frees the text */

#endif
