/* DOCX, XLSX, ODT and ODS text; see zipdoc.h. */
#include "zipdoc.h"

#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "markup.h"

struct zipdoc {
	zip_t *z;
	zip_source_t *src;
};

static int zipdoc_open(struct zipdoc *d, const void *data, size_t len, char **errp)
{
	zip_error_t ze;
	zip_error_init(&ze);
	d->z = NULL;
	d->src = zip_source_buffer_create(data, len, 0, &ze);
	if (d->src)
		d->z = zip_open_from_source(d->src, ZIP_RDONLY, &ze);
	if (!d->z) {
		int rc = err_set(errp, FOID_EINVAL, "not a readable zip: %s", zip_error_strerror(&ze));
		zip_source_free(d->src);
		d->src = NULL;
		zip_error_fini(&ze);
		return rc;
	}
	zip_error_fini(&ze);
	if (zip_get_num_entries(d->z, 0) > ZIPDOC_MAX_ENTRIES) {
		zip_discard(d->z);
		d->z = NULL;
		return err_set(errp, FOID_EINVAL, "zip with more than %d entries", ZIPDOC_MAX_ENTRIES);
	}
	return 0;
}

static void zipdoc_close(struct zipdoc *d)
{
	if (d->z)
		zip_discard(d->z); /* frees the source too */
	d->z = NULL;
}

/* Entry name unpacked into *out (NUL-terminated), at most ZIPDOC_MAX_PART
 * bytes whatever its header claims.  FOID_ENOTFOUND when absent. */
static int zipdoc_read(struct zipdoc *d, const char *name, struct buf *out, char **errp)
{
	zip_int64_t idx = zip_name_locate(d->z, name, 0);
	if (idx < 0)
		return FOID_ENOTFOUND;
	zip_file_t *f = zip_fopen_index(d->z, (zip_uint64_t)idx, 0);
	if (!f)
		return err_set(errp, FOID_EINVAL, "%s: %s", name, zip_strerror(d->z));
	char chunk[16384];
	zip_int64_t n;
	int rc = 0;
	buf_reset(out);
	while ((n = zip_fread(f, chunk, sizeof chunk)) > 0) {
		if (out->len + (size_t)n > ZIPDOC_MAX_PART) {
			rc = err_set(errp, FOID_EINVAL, "%s unpacks to more than %u MiB", name,
			             ZIPDOC_MAX_PART >> 20);
			break;
		}
		buf_add(out, chunk, (size_t)n);
	}
	if (rc == 0 && n < 0)
		rc = err_set(errp, FOID_EINVAL, "%s: %s", name, zip_file_strerror(f));
	zip_fclose(f);
	if (rc == 0)
		buf_addc(out, '\0'), out->len--;
	return rc;
}

enum zipdoc_type zipdoc_detect(const void *data, size_t len)
{
	struct zipdoc d;
	if (zipdoc_open(&d, data, len, NULL) < 0)
		return ZIPDOC_NONE;
	enum zipdoc_type t = ZIPDOC_NONE;
	struct buf mt = BUF_INIT;
	if (zip_name_locate(d.z, "word/document.xml", 0) >= 0)
		t = ZIPDOC_DOCX;
	else if (zip_name_locate(d.z, "xl/workbook.xml", 0) >= 0)
		t = ZIPDOC_XLSX;
	else if (zipdoc_read(&d, "mimetype", &mt, NULL) == 0 && mt.data) {
		if (strcmp(mt.data, "application/vnd.oasis.opendocument.text") == 0)
			t = ZIPDOC_ODT;
		else if (strcmp(mt.data, "application/vnd.oasis.opendocument.spreadsheet") == 0)
			t = ZIPDOC_ODS;
	}
	buf_free(&mt);
	zipdoc_close(&d);
	return t;
}

const char *zipdoc_type_name(enum zipdoc_type t)
{
	static const char *const names[] = { "zip", "docx", "xlsx", "odt", "ods" };
	return names[t];
}

/* ---- the XML walks ---------------------------------------------------------- */

struct zipdoc_walk {
	struct buf text;
	int in_text;          /* inside an element whose text is content */
	/* XLSX */
	struct strv *shared;  /* shared strings, by index */
	int cell_shared;      /* the current cell's value is a shared-string index */
	int cols;             /* cells so far in the row */
	struct buf cell;
};

static void zipdoc_add(struct zipdoc_walk *w, const char *s)
{
	if (w->text.len < ZIPDOC_MAX_TEXT)
		buf_adds(&w->text, s);
}

/* An element that stands for white space in the text. */
struct zipdoc_space {
	enum markup_event ev;
	const char *name;
	const char *text;
};

static const struct zipdoc_space zipdoc_docx_spaces[] = { { MARKUP_START, "tab", "\t" },
	{ MARKUP_START, "br", "\n" }, { MARKUP_START, "cr", "\n" }, { MARKUP_END, "p", "\n" },
	{ MARKUP_END, NULL, NULL } };
static const struct zipdoc_space zipdoc_odf_spaces[] = { { MARKUP_START, "s", " " },
	{ MARKUP_START, "tab", "\t" }, { MARKUP_START, "line-break", "\n" },
	{ MARKUP_END, "table-cell", "\t" }, { MARKUP_END, NULL, NULL } };

/* Adds the white space that ev of element name stands for in spaces (a
 * list ending with a NULL name), if any. */
static void zipdoc_space(struct zipdoc_walk *w, const struct zipdoc_space *spaces,
                         enum markup_event ev, const char *name)
{
	for (; spaces->name; spaces++)
		if (spaces->ev == ev && !strcmp(spaces->name, name)) {
			zipdoc_add(w, spaces->text);
			return;
		}
}

/* Takes the event if it is text, kept inside an element named a or b, or
 * the start or end of such an element; returns whether it took it. */
static int zipdoc_content(struct zipdoc_walk *w, enum markup_event ev, const char *name,
                          const char *text, const char *a, const char *b)
{
	if (ev == MARKUP_TEXT) {
		if (w->in_text)
			zipdoc_add(w, text);
		return 1;
	}
	if (strcmp(name, a) && (!b || strcmp(name, b)))
		return 0;
	w->in_text = ev == MARKUP_START;
	return 1;
}

/* Word: w:t holds text, w:tab and w:br are white space, w:p ends a line. */
static int zipdoc_docx_cb(enum markup_event ev, const char *name, const char *text,
                          const struct markup_xml *x, void *arg)
{
	(void)x;
	if (!zipdoc_content(arg, ev, name, text, "t", NULL))
		zipdoc_space(arg, zipdoc_docx_spaces, ev, name);
	return 0;
}

/* OpenDocument: all text inside office:text or office:spreadsheet is
 * content; text:p and text:h end lines, text:s and text:tab are spaces,
 * a table cell ends with a tab and a table row with a newline. */
static int zipdoc_odf_cb(enum markup_event ev, const char *name, const char *text,
                         const struct markup_xml *x, void *arg)
{
	struct zipdoc_walk *w = arg;
	(void)x;
	if (zipdoc_content(w, ev, name, text, "text", "spreadsheet") || !w->in_text)
		return 0;
	if (ev == MARKUP_END && (!strcmp(name, "p") || !strcmp(name, "h"))) {
		zipdoc_add(w, w->cols ? "" : "\n");
	} else if (ev == MARKUP_START && !strcmp(name, "table-cell")) {
		w->cols++;
	} else if (ev == MARKUP_END && !strcmp(name, "table-row")) {
		w->cols = 0;
		zipdoc_add(w, "\n");
	} else {
		zipdoc_space(w, zipdoc_odf_spaces, ev, name);
	}
	return 0;
}

/* xl/sharedStrings.xml: each si's t runs make one string. */
static int zipdoc_shared_cb(enum markup_event ev, const char *name, const char *text,
                            const struct markup_xml *x, void *arg)
{
	struct zipdoc_walk *w = arg;
	(void)x;
	if (ev == MARKUP_TEXT) {
		if (w->in_text && w->cell.len < ZIPDOC_MAX_TEXT)
			buf_adds(&w->cell, text);
	} else if (!strcmp(name, "t")) {
		w->in_text = ev == MARKUP_START;
	} else if (!strcmp(name, "si") && ev == MARKUP_START) {
		buf_reset(&w->cell);
	} else if (!strcmp(name, "si") && ev == MARKUP_END) {
		strv_push(w->shared, w->cell.data ? w->cell.data : "");
	}
	return 0;
}

/* A worksheet: rows of cells, each a value (v), a shared-string index
 * (t="s") or inline text (is/t). */
static int zipdoc_sheet_cb(enum markup_event ev, const char *name, const char *text,
                           const struct markup_xml *x, void *arg)
{
	struct zipdoc_walk *w = arg;
	if (ev == MARKUP_TEXT) {
		if (w->in_text && w->cell.len < ZIPDOC_MAX_TEXT)
			buf_adds(&w->cell, text);
	} else if (!strcmp(name, "c") && ev == MARKUP_START) {
		const char *t = markup_xml_attr(x, "t");
		w->cell_shared = t && !strcmp(t, "s");
		buf_reset(&w->cell);
	} else if (!strcmp(name, "v") || !strcmp(name, "t")) {
		w->in_text = ev == MARKUP_START;
	} else if (!strcmp(name, "c") && ev == MARKUP_END) {
		const char *v = w->cell.data ? w->cell.data : "";
		if (w->cell_shared) {
			char *end;
			unsigned long i = strtoul(v, &end, 10);
			v = *v && !*end && i < w->shared->n ? w->shared->v[i] : "";
		}
		if (w->cols++)
			zipdoc_add(w, "\t");
		zipdoc_add(w, v);
	} else if (!strcmp(name, "row") && ev == MARKUP_END) {
		w->cols = 0;
		zipdoc_add(w, "\n");
	}
	return 0;
}

/* Walks one part into w->text and pushes it as a page. */
static int zipdoc_part(struct zipdoc *d, const char *part, markup_xml_fn fn,
                       struct zipdoc_walk *w, struct buf *xml, struct strv *pages,
                       char **errp)
{
	int rc = zipdoc_read(d, part, xml, errp);
	if (rc == FOID_ENOTFOUND)
		return err_set(errp, FOID_EINVAL, "no %s in the package", part);
	if (rc == 0)
		rc = markup_xml_walk(xml->data ? xml->data : "", xml->len, fn, w, errp);
	if (rc == FOID_EINVAL && errp && *errp && !strstr(*errp, part))
		err_prefix(errp, rc, "%s", part);
	if (pages && w->text.len)
		strv_push(pages, w->text.data);
	buf_reset(&w->text);
	w->in_text = w->cols = 0;
	return rc;
}

static int zipdoc_xlsx(struct zipdoc *d, struct zipdoc_walk *w, struct buf *xml,
                       struct strv *pages, char **errp)
{
	struct strv shared = STRV_INIT;
	w->shared = &shared;
	int rc = zipdoc_read(d, "xl/sharedStrings.xml", xml, errp);
	if (rc == FOID_ENOTFOUND)
		rc = 0; /* a workbook of numbers has none */
	else if (rc == 0)
		rc = markup_xml_walk(xml->data ? xml->data : "", xml->len, zipdoc_shared_cb, w,
		                     errp);
	/* Sheets are numbered from 1 as Excel writes them; the first gap ends
	 * the book. */
	for (int i = 1; rc == 0 && i <= ZIPDOC_MAX_ENTRIES; i++) {
		char part[48];
		snprintf(part, sizeof part, "xl/worksheets/sheet%d.xml", i);
		if (zip_name_locate(d->z, part, 0) < 0)
			break;
		rc = zipdoc_part(d, part, zipdoc_sheet_cb, w, xml, pages, errp);
	}
	strv_free(&shared);
	w->shared = NULL;
	return rc;
}

int zipdoc_text(const void *data, size_t len, struct strv *pages, char **errp)
{
	enum zipdoc_type t = zipdoc_detect(data, len);
	if (t == ZIPDOC_NONE)
		return err_set(errp, FOID_EINVAL, "not a DOCX, XLSX, ODT or ODS package");
	struct zipdoc d;
	int rc = zipdoc_open(&d, data, len, errp);
	if (rc < 0)
		return rc;
	struct zipdoc_walk w = { BUF_INIT, 0, NULL, 0, 0, BUF_INIT };
	struct buf xml = BUF_INIT;
	if (t == ZIPDOC_DOCX)
		rc = zipdoc_part(&d, "word/document.xml", zipdoc_docx_cb, &w, &xml, pages, errp);
	else if (t == ZIPDOC_XLSX)
		rc = zipdoc_xlsx(&d, &w, &xml, pages, errp);
	else
		rc = zipdoc_part(&d, "content.xml", zipdoc_odf_cb, &w, &xml, pages, errp);
	buf_free(&xml);
	buf_free(&w.text);
	buf_free(&w.cell);
	zipdoc_close(&d);
	return rc;
}

/* ---- writing -------------------------------------------------------------- */

struct zipdoc_writer {
	zip_t *z;
	char *path;
};

int zipdoc_writer_open(const char *path, int overwrite, struct zipdoc_writer **out,
                       char **errp)
{
	*out = NULL;
	int ze = 0;
	zip_t *z = zip_open(path, ZIP_CREATE | (overwrite ? ZIP_TRUNCATE : ZIP_EXCL), &ze);
	if (!z) {
		zip_error_t e;
		zip_error_init_with_code(&e, ze);
		int rc = ze == ZIP_ER_EXISTS
			? err_set(errp, FOID_EEXIST, "%s exists (--overwrite replaces it)", path)
			: err_set(errp, FOID_EIO, "%s: %s", path, zip_error_strerror(&e));
		zip_error_fini(&e);
		return rc;
	}
	struct zipdoc_writer *w = xcalloc(1, sizeof *w);
	w->z = z;
	w->path = xstrdup(path);
	*out = w;
	return 0;
}

static int zipdoc_writer_source(struct zipdoc_writer *w, const char *name, zip_source_t *src,
                                char **errp)
{
	if (!src)
		return err_set(errp, FOID_EIO, "%s: %s: %s", w->path, name, zip_strerror(w->z));
	if (zip_file_add(w->z, name, src, ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(src);
		return err_set(errp, FOID_EIO, "%s: %s: %s", w->path, name, zip_strerror(w->z));
	}
	return 0;
}

int zipdoc_writer_add(struct zipdoc_writer *w, const char *name, const void *data,
                      size_t len, char **errp)
{
	void *copy = xmalloc(len ? len : 1);
	memcpy(copy, data, len);
	zip_source_t *src = zip_source_buffer(w->z, copy, len, 1);
	if (!src)
		free(copy);
	return zipdoc_writer_source(w, name, src, errp);
}

int zipdoc_writer_add_file(struct zipdoc_writer *w, const char *name, const char *path,
                           char **errp)
{
	return zipdoc_writer_source(w, name, zip_source_file(w->z, path, 0, -1),
	                            errp);
}

int zipdoc_writer_close(struct zipdoc_writer *w, char **errp)
{
	int rc = 0;
	if (zip_close(w->z) < 0) {
		rc = err_set(errp, FOID_EIO, "%s: %s", w->path, zip_strerror(w->z));
		zip_discard(w->z);
	}
	free(w->path);
	free(w);
	return rc;
}

void zipdoc_writer_free(struct zipdoc_writer *w)
{
	if (!w)
		return;
	zip_discard(w->z);
	free(w->path);
	free(w);
}
