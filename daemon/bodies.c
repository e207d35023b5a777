#include "bodies.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvin.h"
#include "json.h"
#include "store.h"

#define BODIES_SHORT_MAX 64
#define BODIES_ACTOR "foictl"

void bodies_body_free(struct body *b)
{
	if (!b)
		return;
	free(b->short_name);
	free(b->name);
	free(b->email);
	free(b->kind);
	free(b->region);
	strv_free(&b->tags);
	strv_free(&b->attr_keys);
	strv_free(&b->attr_values);
	free(b);
}

const char *bodies_attr(const struct body *b, const char *key)
{
	for (size_t i = 0; i < b->attr_keys.n; i++)
		if (strcmp(b->attr_keys.v[i], key) == 0)
			return b->attr_values.v[i];
	return NULL;
}

struct jw *bodies_body_json(const struct body *b)
{
	struct jw *o = jw_object();
	jw_set_int(o, "id", b->id);
	jw_set_str(o, "short_name", b->short_name);
	jw_set_str(o, "name", b->name);
	jw_set_str(o, "email", b->email);
	jw_set_str(o, "kind", b->kind);
	jw_set_str(o, "region", b->region);
	struct jw *tags = jw_array();
	for (size_t i = 0; i < b->tags.n; i++)
		jw_push_str(tags, b->tags.v[i]);
	jw_set(o, "tags", tags);
	struct jw *attrs = jw_object();
	for (size_t i = 0; i < b->attr_keys.n; i++)
		jw_set_str(attrs, b->attr_keys.v[i], b->attr_values.v[i]);
	jw_set(o, "attrs", attrs);
	jw_set_int(o, "created_at", b->created_at);
	jw_set_int(o, "updated_at", b->updated_at);
	return o;
}

/* Splits a ';'-separated tag list into trimmed, non-empty tags, dropping
 * repeats (ignoring case). */
static void bodies_split_tags(const char *s, struct strv *out)
{
	char *copy = xstrdup(s ? s : "");
	char *save = NULL;
	for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		util_trim(t);
		if (!*t)
			continue;
		size_t i;
		for (i = 0; i < out->n && strcasecmp(out->v[i], t) != 0; i++)
			;
		if (i == out->n)
			strv_push(out, t);
	}
	free(copy);
}

static char *bodies_join_tags(const struct strv *tags)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < tags->n; i++) {
		if (i)
			buf_addc(&b, ';');
		buf_adds(&b, tags->v[i]);
	}
	return buf_detach(&b);
}

/* ---- Reading bodies from the store ---- */

#define BODIES_COLS "id, short_name, name, email, kind, region, tags, created_at, updated_at"

static int bodies_row(const struct store_row *row, void *arg)
{
	struct bodies_list *l = arg;
	struct body *b = xcalloc(1, sizeof *b);
	b->id = store_row_int(row, 0);
	store_row_texts(row, 1, (char **const[]){ &b->short_name, &b->name, &b->email,
		&b->kind, &b->region, NULL });
	bodies_split_tags(store_row_text(row, 6), &b->tags);
	b->created_at = store_row_int(row, 7);
	b->updated_at = store_row_int(row, 8);
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = b;
	return 0;
}

static int bodies_cmp_id(const void *a, const void *b)
{
	int64_t x = (*(struct body *const *)a)->id, y = (*(struct body *const *)b)->id;
	return (x > y) - (x < y);
}

static int bodies_cmp_short(const void *a, const void *b)
{
	return strcmp((*(struct body *const *)a)->short_name,
	              (*(struct body *const *)b)->short_name);
}

/* Attaches an attribute row to its body; l is sorted by id. */
static int bodies_attr_row(const struct store_row *row, void *arg)
{
	struct bodies_list *l = arg;
	struct body key = { .id = store_row_int(row, 0) };
	struct body *kp = &key;
	struct body **hit = bsearch(&kp, l->v, l->n, sizeof *l->v, bodies_cmp_id);
	if (hit) {
		strv_push(&(*hit)->attr_keys, store_row_text(row, 1));
		strv_push(&(*hit)->attr_values, store_row_text(row, 2));
	}
	return 0;
}

static int bodies_load_attrs(struct store *st, struct bodies_list *l, char **errp)
{
	qsort(l->v, l->n, sizeof *l->v, bodies_cmp_id);
	if (l->n == 1)
		return store_query(st, errp, bodies_attr_row, l,
		                   "SELECT body_id, key, value FROM body_attrs"
		                   " WHERE body_id = ? ORDER BY rowid", "I", l->v[0]->id);
	return store_query(st, errp, bodies_attr_row, l,
	                   "SELECT body_id, key, value FROM body_attrs"
	                   " ORDER BY body_id, rowid", NULL);
}

void bodies_list_free(struct bodies_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		bodies_body_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int bodies_has_tag(const struct body *b, const char *tag)
{
	for (size_t i = 0; i < b->tags.n; i++)
		if (strcasecmp(b->tags.v[i], tag) == 0)
			return 1;
	return 0;
}

int bodies_list(struct store *st, const char *tag, struct bodies_list *out,
                char **errp)
{
	struct bodies_list l = BODIES_LIST_INIT;
	int rc = store_query(st, errp, bodies_row, &l,
	                     "SELECT " BODIES_COLS " FROM bodies ORDER BY id", NULL);
	if (rc == 0)
		rc = bodies_load_attrs(st, &l, errp);
	if (rc < 0)
		goto out;
	if (tag) {
		size_t kept = 0;
		for (size_t i = 0; i < l.n; i++) {
			if (bodies_has_tag(l.v[i], tag))
				l.v[kept++] = l.v[i];
			else
				bodies_body_free(l.v[i]);
		}
		l.n = kept;
	}
	qsort(l.v, l.n, sizeof *l.v, bodies_cmp_short);
	*out = l;
	l.v = NULL;
	l.n = 0;
out:
	bodies_list_free(&l);
	return rc;
}

/* The first body of l (the rest freed) as *out, or FOID_ENOTFOUND. */
static int bodies_take_one(struct store *st, struct bodies_list *l,
                           struct body **out, const char *what, char **errp)
{
	int rc = FOID_OK;
	*out = NULL;
	if (l->n == 0) {
		rc = err_set(errp, FOID_ENOTFOUND, "no such body: %s", what);
		goto out;
	}
	qsort(l->v, l->n, sizeof *l->v, bodies_cmp_id);
	for (size_t i = 1; i < l->n; i++)
		bodies_body_free(l->v[i]);
	l->n = 1;
	rc = bodies_load_attrs(st, l, errp);
	if (rc < 0)
		goto out;
	*out = l->v[0];
	l->n = 0;
out:
	bodies_list_free(l);
	return rc;
}

int bodies_find_by_short_name(struct store *st, const char *short_name,
                              struct body **out, char **errp)
{
	struct bodies_list l = BODIES_LIST_INIT;
	int rc = store_query(st, errp, bodies_row, &l,
	                     "SELECT " BODIES_COLS " FROM bodies WHERE short_name = ?",
	                     "s", short_name);
	if (rc < 0) {
		bodies_list_free(&l);
		*out = NULL;
		return rc;
	}
	return bodies_take_one(st, &l, out, short_name, errp);
}

int bodies_find_by_email(struct store *st, const char *email,
                         struct body **out, char **errp)
{
	struct bodies_list l = BODIES_LIST_INIT;
	int rc = store_query(st, errp, bodies_row, &l,
	                     "SELECT " BODIES_COLS " FROM bodies"
	                     " WHERE email = ? COLLATE NOCASE", "s", email);
	if (rc < 0) {
		bodies_list_free(&l);
		*out = NULL;
		return rc;
	}
	return bodies_take_one(st, &l, out, email, errp);
}

/* ---- Validation helpers ---- */

static int bodies_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int bodies_domain_valid(const char *d)
{
	size_t len = strlen(d), labels = 0;
	if (len == 0 || len > 253)
		return 0;
	const char *p = d;
	for (;;) {
		size_t n = strcspn(p, ".");
		if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
			return 0;
		for (size_t i = 0; i < n; i++)
			if (!bodies_is_alnum(p[i]) && p[i] != '-')
				return 0;
		labels++;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	return labels >= 2;
}

int bodies_email_valid(const char *email)
{
	const char *at = strchr(email, '@');
	if (!at || strchr(at + 1, '@'))
		return 0;
	size_t local = (size_t)(at - email);
	if (local == 0 || local > 64 || email[0] == '.' || at[-1] == '.')
		return 0;
	for (const char *p = email; p < at; p++) {
		if (*p == '.' && p[1] == '.')
			return 0;
		if (!bodies_is_alnum(*p) && !strchr(".!#$%&'*+/=?^_`{|}~-", *p))
			return 0;
	}
	return bodies_domain_valid(at + 1);
}

int bodies_short_name_valid(const char *s)
{
	return util_word_ok(s, BODIES_SHORT_MAX, UTIL_LOWER_DIGITS "-");
}

/* ASCII base letters for U+00C0..U+00FF; '-' where there is none. */
static const char bodies_latin1[] =
	"AAAAAAACEEEEIIII" "DNOOOOO-OUUUUY-s" "aaaaaaaceeeeiiii" "dnooooo-ouuuuy-y";

static int bodies_generic_word(const struct strv *w, size_t i)
{
	static const char *const words[] = {
		"council", "city", "county", "borough", "metropolitan", "district", "royal",
	};
	const char *s = w->v[i];
	for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
		if (strcmp(s, words[k]) == 0)
			return 1;
	const char *next = i + 1 < w->n ? w->v[i + 1] : "";
	const char *prev = i > 0 ? w->v[i - 1] : "";
	return (strcmp(s, "london") == 0 && strcmp(next, "borough") == 0) ||
	       (strcmp(s, "combined") == 0 && strcmp(next, "authority") == 0) ||
	       (strcmp(s, "authority") == 0 && strcmp(prev, "combined") == 0);
}

static int bodies_connector(const char *w)
{
	return strcmp(w, "of") == 0 || strcmp(w, "the") == 0;
}

/* Joins words with '-' up to the length limit, skipping those marked in
 * drop (when not NULL). */
static char *bodies_join_words(const struct strv *w, const int *drop)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < w->n; i++) {
		if (drop && drop[i])
			continue;
		size_t need = strlen(w->v[i]) + (b.len ? 1 : 0);
		if (b.len + need > BODIES_SHORT_MAX)
			break;
		if (b.len)
			buf_addc(&b, '-');
		buf_adds(&b, w->v[i]);
	}
	if (b.len)
		return buf_detach(&b);
	buf_free(&b);
	return NULL;
}

/* Marks generic words, then "of"/"the" next to a dropped word, so that
 * "Council of the Isles of Scilly" keeps "isles-of-scilly". */
static char *bodies_join_specific(const struct strv *w)
{
	int *drop = xcalloc(w->n, sizeof *drop);
	for (size_t i = 0; i < w->n; i++)
		drop[i] = bodies_generic_word(w, i);
	for (size_t i = 0; i < w->n; i++)
		if (bodies_connector(w->v[i]) && i > 0 && drop[i - 1])
			drop[i] = 1;
	for (size_t i = w->n; i-- > 0;)
		if (bodies_connector(w->v[i]) && i + 1 < w->n && drop[i + 1])
			drop[i] = 1;
	char *r = bodies_join_words(w, drop);
	free(drop);
	return r;
}

char *bodies_derive_short_name(const char *name)
{
	struct strv words = STRV_INIT;
	struct buf w = BUF_INIT;
	const unsigned char *s = (const unsigned char *)name;
	for (size_t i = 0;; i++) {
		char c = '\0';
		int more = s[i] != '\0';
		if (s[i] >= 0x80 && s[i] != 0xC3) {
			/* other non-ASCII: a separator; skip its continuation bytes */
			while ((s[i + 1] & 0xC0) == 0x80)
				i++;
		} else if (s[i] == 0xC3 && (s[i + 1] & 0xC0) == 0x80) {
			c = bodies_latin1[s[i + 1] & 0x3F];
			i++;
			if (c == '-')
				c = '\0';
		} else if (bodies_is_alnum((char)s[i])) {
			c = (char)s[i];
		}
		if (c) {
			buf_addc(&w, c);
			continue;
		}
		if (w.len)
			strv_push_owned(&words, util_lower(buf_detach(&w)));
		if (s[i] == '&')
			strv_push(&words, "and");
		if (!more)
			break;
	}
	char *r = bodies_join_specific(&words);
	if (!r)
		r = bodies_join_words(&words, NULL);
	strv_free(&words);
	buf_free(&w);
	return r;
}

/* ---- Import ---- */

enum { COL_NAME, COL_EMAIL, COL_SHORT, COL_KIND, COL_REGION, COL_TAGS, COL_STD };

static const char *const bodies_std_cols[COL_STD] = {
	"name", "email", "short_name", "kind", "region", "tags",
};

struct bodies_row {
	size_t line;
	int derived;       /* short_name came from the name */
	struct body *b;
	int64_t old_id;    /* 0: new body */
	char *changed;     /* changed fields; "" when unchanged */
};

struct bodies_imp {
	const char *path;
	struct bodies_report *rep;
	int col[COL_STD];  /* field index, or -1 when the column is absent */
	size_t ncols;
	struct strv attr_names;
	size_t *attr_col;
	struct bodies_row *rows;
	size_t nrows;
	struct strv scratch; /* quoted values for messages */
};

static void bodies_error(struct bodies_imp *im, size_t line, const char *fmt, ...)
	FOID_PRINTF(3, 4);

static void bodies_error(struct bodies_imp *im, size_t line, const char *fmt, ...)
{
	im->rep->nerrors++;
	if (im->rep->errors.n >= BODIES_MAX_ERRORS)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	strv_push_owned(&im->rep->errors, xasprintf("%s:%zu: %s", im->path, line, msg));
	free(msg);
}

/* s in single quotes for a message, control bytes as \xNN, long values cut.
 * The string lives as long as im. */
static const char *bodies_q(struct bodies_imp *im, const char *s)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, '\'');
	size_t n = strlen(s);
	for (size_t i = 0; i < n && i < 80; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			buf_addf(&b, "\\x%02x", c);
		else
			buf_addc(&b, (char)c);
	}
	buf_adds(&b, n > 80 ? "...'" : "'");
	strv_push_owned(&im->scratch, buf_detach(&b));
	return im->scratch.v[im->scratch.n - 1];
}

/* A trimmed copy of a one-line field, or NULL after reporting why not. */
static char *bodies_one_line(struct bodies_imp *im, size_t line,
                             const char *col, const char *raw)
{
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			bodies_error(im, line, "%s contains a line break", col);
			return NULL;
		}
		if (*p < 0x20 || *p == 0x7f) {
			bodies_error(im, line, "%s contains a control character", col);
			return NULL;
		}
	}
	return util_trim(xstrdup(raw));
}

static void bodies_header(struct bodies_imp *im, const struct csvin_record *rec)
{
	size_t line = rec->line;
	im->ncols = rec->fields.n;
	im->attr_col = xcalloc(im->ncols, sizeof *im->attr_col);
	for (int k = 0; k < COL_STD; k++)
		im->col[k] = -1;
	struct strv seen = STRV_INIT;
	for (size_t i = 0; i < rec->fields.n; i++) {
		const char *raw = rec->fields.v[i];
		char *h = util_lower(util_trim(xstrdup(raw)));
		strv_push_owned(&seen, h);
		if (!util_utf8_valid(raw, strlen(raw))) {
			bodies_error(im, line, "column %zu: name is not valid UTF-8", i + 1);
			continue;
		}
		if (!*h) {
			bodies_error(im, line, "column %zu has no name", i + 1);
			continue;
		}
		size_t j;
		for (j = 0; j < i && strcmp(seen.v[j], h) != 0; j++)
			;
		if (j < i) {
			bodies_error(im, line, "duplicate column %s (columns %zu and %zu)",
			             bodies_q(im, h), j + 1, i + 1);
			continue;
		}
		int k;
		for (k = 0; k < COL_STD && strcmp(bodies_std_cols[k], h) != 0; k++)
			;
		if (k < COL_STD) {
			im->col[k] = (int)i;
		} else if (strspn(h, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(h)) {
			bodies_error(im, line, "column %s: attribute names may only use "
			             "a-z, 0-9, '_' and '-'", bodies_q(im, h));
		} else {
			im->attr_col[im->attr_names.n] = i;
			strv_push(&im->attr_names, h);
		}
	}
	for (int k = COL_NAME; k <= COL_EMAIL; k++)
		if (im->col[k] < 0)
			bodies_error(im, line, "missing required column '%s'", bodies_std_cols[k]);
	strv_free(&seen);
}

/* The field of standard column k, or "" when the column is absent. */
static const char *bodies_field(const struct bodies_imp *im,
                                const struct csvin_record *rec, int k)
{
	return im->col[k] < 0 ? "" : rec->fields.v[im->col[k]];
}

static void bodies_check_dups(struct bodies_imp *im, const struct bodies_row *r)
{
	for (size_t i = 0; i < im->nrows; i++) {
		const struct bodies_row *o = &im->rows[i];
		if (strcasecmp(o->b->short_name, r->b->short_name) == 0) {
			if (r->derived)
				bodies_error(im, r->line, "short name %s derived from the name "
				             "is already used on line %zu; fill in short_name",
				             bodies_q(im, r->b->short_name), o->line);
			else
				bodies_error(im, r->line, "duplicate short_name %s (also on line %zu)",
				             bodies_q(im, r->b->short_name), o->line);
		}
		if (strcasecmp(o->b->email, r->b->email) == 0)
			bodies_error(im, r->line, "duplicate email %s (also on line %zu)",
			             bodies_q(im, r->b->email), o->line);
	}
}

static void bodies_check_row(struct bodies_imp *im, const struct csvin_record *rec)
{
	size_t line = rec->line;
	size_t before = im->rep->nerrors;
	if (rec->fields.n != im->ncols) {
		bodies_error(im, line, "expected %zu fields, found %zu", im->ncols,
		             rec->fields.n);
		return;
	}
	for (size_t i = 0; i < rec->fields.n; i++) {
		const char *f = rec->fields.v[i];
		if (!util_utf8_valid(f, strlen(f)))
			bodies_error(im, line, "field %zu is not valid UTF-8", i + 1);
	}
	if (im->rep->nerrors > before)
		return;

	struct bodies_row r = { .line = line, .b = xcalloc(1, sizeof *r.b) };
	struct body *b = r.b;
	b->name = bodies_one_line(im, line, "name", bodies_field(im, rec, COL_NAME));
	if (b->name && !*b->name)
		bodies_error(im, line, "empty name");
	b->email = bodies_one_line(im, line, "email", bodies_field(im, rec, COL_EMAIL));
	if (b->email && !*b->email)
		bodies_error(im, line, "empty email");
	else if (b->email && !bodies_email_valid(b->email))
		bodies_error(im, line, "invalid email address %s", bodies_q(im, b->email));
	b->short_name = bodies_one_line(im, line, "short_name",
	                                bodies_field(im, rec, COL_SHORT));
	if (b->short_name && *b->short_name && !bodies_short_name_valid(b->short_name)) {
		bodies_error(im, line, "short_name %s may only use a-z, 0-9 and '-' "
		             "(at most %d characters)", bodies_q(im, b->short_name),
		             BODIES_SHORT_MAX);
	} else if (b->short_name && !*b->short_name && b->name && *b->name) {
		free(b->short_name);
		b->short_name = bodies_derive_short_name(b->name);
		r.derived = 1;
		if (!b->short_name)
			bodies_error(im, line, "cannot derive a short name from %s; "
			             "fill in short_name", bodies_q(im, b->name));
	}
	b->kind = bodies_one_line(im, line, "kind", bodies_field(im, rec, COL_KIND));
	b->region = bodies_one_line(im, line, "region", bodies_field(im, rec, COL_REGION));
	char *tags = bodies_one_line(im, line, "tags", bodies_field(im, rec, COL_TAGS));
	bodies_split_tags(tags, &b->tags);
	free(tags);
	for (size_t i = 0; i < im->attr_names.n; i++) {
		strv_push(&b->attr_keys, im->attr_names.v[i]);
		strv_push(&b->attr_values, rec->fields.v[im->attr_col[i]]);
	}
	if (im->rep->nerrors > before) {
		bodies_body_free(b);
		return;
	}
	if (b->kind && !*b->kind) {
		free(b->kind);
		b->kind = NULL;
	}
	if (b->region && !*b->region) {
		free(b->region);
		b->region = NULL;
	}
	bodies_check_dups(im, &r);
	im->rows = xrealloc(im->rows, (im->nrows + 1) * sizeof *im->rows);
	im->rows[im->nrows++] = r;
}

static int bodies_row_in_file(const struct bodies_imp *im, const char *short_name)
{
	for (size_t i = 0; i < im->nrows; i++)
		if (strcmp(im->rows[i].b->short_name, short_name) == 0)
			return 1;
	return 0;
}

/* An email may not move onto a body while another, not in the file, keeps
 * it: replies from that address could not be told apart. */
static int bodies_check_db_emails(struct store *st, struct bodies_imp *im, char **errp)
{
	for (size_t i = 0; i < im->nrows; i++) {
		struct bodies_row *r = &im->rows[i];
		struct body *other = NULL;
		int rc = bodies_find_by_email(st, r->b->email, &other, errp);
		if (rc == FOID_ENOTFOUND)
			continue;
		if (rc < 0)
			return rc;
		if (strcmp(other->short_name, r->b->short_name) != 0 &&
		    !bodies_row_in_file(im, other->short_name))
			bodies_error(im, r->line, "email %s already belongs to body %s, "
			             "which is not in this file", bodies_q(im, r->b->email),
			             bodies_q(im, other->short_name));
		bodies_body_free(other);
	}
	return FOID_OK;
}

static int bodies_str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int bodies_attrs_eq(const struct body *a, const struct body *b)
{
	if (a->attr_keys.n != b->attr_keys.n)
		return 0;
	for (size_t i = 0; i < a->attr_keys.n; i++)
		if (!bodies_str_eq(a->attr_values.v[i], bodies_attr(b, a->attr_keys.v[i])))
			return 0;
	return 1;
}

/* Comma-separated names of the fields that differ; "" when none do. */
static char *bodies_diff(const struct body *old, const struct body *new)
{
	struct buf b = BUF_INIT;
	char *ot = bodies_join_tags(&old->tags), *nt = bodies_join_tags(&new->tags);
	const char *names[] = { "name", "email", "kind", "region", "tags", "attrs" };
	int differs[] = {
		!bodies_str_eq(old->name, new->name),
		!bodies_str_eq(old->email, new->email),
		!bodies_str_eq(old->kind, new->kind),
		!bodies_str_eq(old->region, new->region),
		strcmp(ot, nt) != 0,
		!bodies_attrs_eq(old, new),
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!differs[i])
			continue;
		if (b.len)
			buf_addc(&b, ',');
		buf_adds(&b, names[i]);
	}
	free(ot);
	free(nt);
	return buf_detach(&b);
}

static int bodies_plan(struct store *st, struct bodies_imp *im, char **errp)
{
	struct bodies_report *rep = im->rep;
	for (size_t i = 0; i < im->nrows; i++) {
		struct bodies_row *r = &im->rows[i];
		struct body *old = NULL;
		char *err = NULL;
		int rc = bodies_find_by_short_name(st, r->b->short_name, &old, &err);
		if (rc < 0 && rc != FOID_ENOTFOUND)
			err_set(errp, rc, "%s", err);
		free(err);
		if (rc == FOID_ENOTFOUND) {
			r->changed = xstrdup("");
			rep->added++;
			strv_push(&rep->added_names, r->b->short_name);
			continue;
		}
		if (rc < 0)
			return rc;
		r->old_id = old->id;
		r->changed = bodies_diff(old, r->b);
		bodies_body_free(old);
		if (*r->changed) {
			rep->updated++;
			strv_push(&rep->updated_names, r->b->short_name);
		} else {
			rep->unchanged++;
		}
	}
	return FOID_OK;
}

static int bodies_write_row(struct store *st, const struct bodies_row *r,
                            int64_t now, char **errp)
{
	const struct body *b = r->b;
	char *tags = bodies_join_tags(&b->tags);
	char *detail = NULL;
	int64_t id = r->old_id;
	int rc;
	if (!id) {
		rc = store_exec(st, errp, "INSERT INTO bodies (short_name, name, email,"
		                " kind, region, tags, created_at, updated_at)"
		                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "ssssssII",
		                b->short_name, b->name, b->email, b->kind, b->region,
		                tags, now, now);
		id = store_last_id(st);
		detail = xasprintf("short_name=%s", b->short_name);
	} else {
		rc = store_exec(st, errp, "UPDATE bodies SET name = ?, email = ?, kind = ?,"
		                " region = ?, tags = ?, updated_at = ? WHERE id = ?",
		                "sssssII", b->name, b->email, b->kind, b->region, tags,
		                now, id);
		if (rc == 0)
			rc = store_exec(st, errp, "DELETE FROM body_attrs WHERE body_id = ?",
			                "I", id);
		detail = xasprintf("short_name=%s changed=%s", b->short_name, r->changed);
	}
	for (size_t i = 0; rc == 0 && i < b->attr_keys.n; i++)
		rc = store_exec(st, errp, "INSERT INTO body_attrs (body_id, key, value)"
		                " VALUES (?, ?, ?)", "Iss", id, b->attr_keys.v[i],
		                b->attr_values.v[i]);
	if (rc == 0)
		rc = store_event(st, errp, 0, 0, 0, r->old_id ? "body.updated" : "body.added",
		                 BODIES_ACTOR, detail);
	free(tags);
	free(detail);
	return rc;
}

static int bodies_apply(struct store *st, struct bodies_imp *im, char **errp)
{
	int64_t now = util_now();
	int rc = store_begin(st, errp);
	if (rc < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < im->nrows; i++)
		if (!im->rows[i].old_id || *im->rows[i].changed)
			rc = bodies_write_row(st, &im->rows[i], now, errp);
	if (rc == 0)
		rc = store_commit(st, errp);
	if (rc < 0)
		store_rollback(st);
	return rc;
}

static void bodies_imp_free(struct bodies_imp *im)
{
	for (size_t i = 0; i < im->nrows; i++) {
		bodies_body_free(im->rows[i].b);
		free(im->rows[i].changed);
	}
	free(im->rows);
	free(im->attr_col);
	strv_free(&im->attr_names);
	strv_free(&im->scratch);
}

int bodies_import(struct store *st, const char *path, int dry_run,
                  struct bodies_report *rep, char **errp)
{
	struct bodies_imp im = { .path = path, .rep = rep };
	struct csvin_record rec = CSVIN_RECORD_INIT;
	struct csvin *in = NULL;
	char *why = NULL;
	int rc = csvin_open(&in, path, errp);
	if (rc < 0)
		goto out;
	int got = csvin_next(in, &rec, &why);
	if (got == 0)
		bodies_error(&im, 1, "empty file: expected a header row");
	else if (got < 0)
		bodies_error(&im, rec.line, "%s", why);
	else
		bodies_header(&im, &rec);
	/* Rows are not worth checking against a header that is wrong. */
	int header_ok = got > 0 && rep->nerrors == 0;
	while (header_ok && (got = csvin_next(in, &rec, &why)) != 0) {
		if (got < 0)
			bodies_error(&im, rec.line, "%s", why);
		else
			bodies_check_row(&im, &rec);
	}
	if (rep->nerrors == 0)
		rc = bodies_check_db_emails(st, &im, errp);
	if (rc == 0 && rep->nerrors == 0)
		rc = bodies_plan(st, &im, errp);
	if (rc < 0)
		goto out;
	if (rep->nerrors > 0) {
		if (rep->nerrors > rep->errors.n)
			strv_push_owned(&rep->errors, xasprintf("...and %zu more",
			                rep->nerrors - rep->errors.n));
		rc = err_set(errp, FOID_EINVAL, "%s: %zu error%s; nothing imported", path,
		             rep->nerrors, rep->nerrors == 1 ? "" : "s");
		goto out;
	}
	if (!dry_run)
		rc = bodies_apply(st, &im, errp);
out:
	free(why);
	csvin_record_clear(&rec);
	csvin_free(in);
	bodies_imp_free(&im);
	return rc;
}

void bodies_report_free(struct bodies_report *rep)
{
	strv_free(&rep->added_names);
	strv_free(&rep->updated_names);
	strv_free(&rep->errors);
}
