/* Attachment text; see extract.h. */
#include "extract.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blob.h"
#include "log.h"
#include "markup.h"
#include "store.h"
#include "survey.h"
#include "zipdoc.h"

static int extract_has(const void *data, size_t len, size_t within, const char *what,
                       size_t wlen)
{
	return memmem(data, len < within ? len : within, what, wlen) != NULL;
}

/* An OLE2 compound file names its streams in UTF-16LE. */
static int extract_ole_stream(const void *data, size_t len, const char *name)
{
	char w[64];
	size_t n = strlen(name);
	for (size_t i = 0; i < n && 2 * i + 1 < sizeof w; i++) {
		w[2 * i] = name[i];
		w[2 * i + 1] = '\0';
	}
	return memmem(data, len, w, 2 * n) != NULL;
}

static int extract_html(const char *p, size_t len)
{
	size_t n = len < 2048 ? len : 2048;
	static const char *const marks[] = { "<html", "<!doctype html", "<body", "<head" };
	for (size_t i = 0; i < n; i++)
		for (size_t m = 0; m < 4; m++)
			if (n - i >= strlen(marks[m]) && strncasecmp(p + i, marks[m], strlen(marks[m])) == 0)
				return 1;
	return 0;
}

const char *extract_detect(const void *data, size_t len)
{
	const unsigned char *p = data;
	if (extract_has(data, len, 1024, "%PDF-", 5))
		return "pdf";
	if (len >= 4 && !memcmp(p, "PK\x03\x04", 4)) {
		enum zipdoc_type t = zipdoc_detect(data, len);
		return t == ZIPDOC_NONE ? "unknown" : zipdoc_type_name(t);
	}
	if (len >= 8 && !memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8)) {
		if (extract_ole_stream(data, len, "WordDocument"))
			return "doc";
		if (extract_ole_stream(data, len, "Workbook") || extract_ole_stream(data, len, "Book"))
			return "xls";
		return "unknown";
	}
	if (len >= 5 && !memcmp(p, "{\\rtf", 5))
		return "rtf";
	if ((len >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) || (len >= 3 && !memcmp(p, "\xff\xd8\xff", 3)) ||
	    (len >= 4 && (!memcmp(p, "II*\0", 4) || !memcmp(p, "MM\0*", 4))) ||
	    (len >= 4 && !memcmp(p, "GIF8", 4)))
		return "image";
	if (memchr(data, '\0', len) || !util_utf8_valid(data, len))
		return "unknown";
	return extract_html(data, len) ? "html" : "text";
}

/* The type a name or a declared Content-Type claims, or NULL. */
static const char *extract_claimed(const char *declared, const char *filename)
{
	static const char *const ext[][2] = {
		{ ".pdf", "pdf" }, { ".docx", "docx" }, { ".xlsx", "xlsx" }, { ".odt", "odt" },
		{ ".ods", "ods" }, { ".doc", "doc" }, { ".xls", "xls" }, { ".rtf", "rtf" },
		{ ".htm", "html" }, { ".html", "html" },
	};
	static const char *const mime[][2] = {
		{ "application/pdf", "pdf" }, { "application/msword", "doc" },
		{ "application/vnd.ms-excel", "xls" }, { "application/rtf", "rtf" },
		{ "text/rtf", "rtf" },
		{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx" },
		{ "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx" },
		{ "application/vnd.oasis.opendocument.text", "odt" },
		{ "application/vnd.oasis.opendocument.spreadsheet", "ods" },
	};
	size_t fl = filename ? strlen(filename) : 0;
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		size_t el = strlen(ext[i][0]);
		if (fl > el && strcasecmp(filename + fl - el, ext[i][0]) == 0)
			return ext[i][1];
	}
	for (size_t i = 0; declared && i < sizeof mime / sizeof mime[0]; i++)
		if (strcasecmp(declared, mime[i][0]) == 0)
			return mime[i][1];
	return NULL;
}

/* Text split at form feeds (pdftotext's and xls2csv's page breaks). */
static void extract_pages(const char *text, struct strv *pages)
{
	for (const char *p = text; p && *p; ) {
		const char *ff = strchr(p, '\f');
		size_t n = ff ? (size_t)(ff - p) : strlen(p);
		strv_push_owned(pages, xstrndup(p, n));
		p = ff ? ff + 1 : NULL;
	}
}

static int extract_blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return !*s;
}

/* data in a new file of the temporary directory (tesseract reads its
 * standard input, which convert_run makes of a file). */
static int extract_tmp(const char *data, size_t len, char **path, char **errp)
{
	const char *dir = getenv("TMPDIR");
	*path = xasprintf("%s/foid-ocr-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(*path);
	if (fd < 0) {
		int rc = err_set(errp, FOID_EIO, "%s: %s", *path, strerror(errno));
		free(*path);
		*path = NULL;
		return rc;
	}
	int rc = 0;
	for (size_t done = 0; rc == 0 && done < len; ) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0 && errno != EINTR)
			rc = err_set(errp, FOID_EIO, "%s: %s", *path, strerror(errno));
		else if (w > 0)
			done += (size_t)w;
	}
	if (close(fd) < 0 && rc == 0)
		rc = err_set(errp, FOID_EIO, "%s: %s", *path, strerror(errno));
	return rc;
}

/* One page (from 1) of the PDF at path read by OCR into *text. */
static int extract_ocr_page(const char *path, size_t page, const struct extract_opts *o,
                            char **text, char **errp)
{
	char num[24];
	snprintf(num, sizeof num, "%zu", page);
	/* 300 dpi grey: what tesseract reads best; "-" is standard input. */
	const char *render[] = { "pdftoppm", "-r", "300", "-gray", "-png", "-f", num, "-l", num,
	                         "-", NULL };
	/* One thread: the CPU limit then bounds the page's wall time too, and
	 * OCR leaves the other core to the daemon. */
	const char *ocr[] = { "env", "OMP_THREAD_LIMIT=1", "tesseract", "-", "-", "-l", "eng",
	                      NULL };
	char *png = NULL, *tmp = NULL;
	size_t len = 0;
	*text = NULL;
	int rc = convert_run((char *const *)render, path, &o->limits, &png, &len, errp);
	if (rc == 0)
		rc = extract_tmp(png, len, &tmp, errp);
	if (rc == 0)
		rc = convert_run((char *const *)ocr, tmp, &o->limits, text, NULL, errp);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(png);
	return rc;
}

/* Pages without text read again by OCR; a page OCR cannot read stays
 * empty and adds to *warning. */
static void extract_ocr(const char *path, const struct extract_opts *o, struct strv *pages,
                        char **warning)
{
	for (size_t p = 0; p < pages->n && p < EXTRACT_OCR_MAX_PAGES; p++) {
		if (!extract_blank(pages->v[p]))
			continue;
		char *text = NULL, *err = NULL;
		if (extract_ocr_page(path, p + 1, o, &text, &err) == 0) {
			free(pages->v[p]);
			pages->v[p] = text;
			text = NULL;
		} else {
			char *w = *warning ? xasprintf("%s; OCR of page %zu: %s", *warning, p + 1, err)
			                   : xasprintf("OCR of page %zu: %s", p + 1, err);
			free(*warning);
			*warning = w;
		}
		free(text);
		free(err);
	}
}

static int extract_run(const char *path, const char *type, const struct extract_opts *o,
                       struct strv *pages, char **errp)
{
	static const struct { const char *type; const char *argv[8]; } tools[] = {
		{ "pdf", { "pdftotext", "-enc", "UTF-8", "-eol", "unix", "-", "-", NULL } },
		{ "doc", { "antiword", "-w", "0", "-m", "UTF-8.txt", "/dev/stdin", NULL } },
		{ "rtf", { "catdoc", "-w", "-d", "utf-8", "/dev/stdin", NULL } },
		{ "xls", { "xls2csv", "-d", "utf-8", "/dev/stdin", NULL } },
	};
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
		if (strcmp(tools[i].type, type) != 0)
			continue;
		char *out = NULL;
		int rc = convert_run((char *const *)tools[i].argv, path, &o->limits, &out, NULL, errp);
		if (rc == 0)
			extract_pages(out, pages);
		free(out);
		return rc;
	}
	return err_set(errp, FOID_EINVAL, "no converter for %s", type);
}

void extract_file(const char *path, const void *data, size_t len,
                  const char *declared_type, const char *filename,
                  const struct extract_opts *o, struct extract_result *res)
{
	res->type = extract_detect(data, len);
	const char *claimed = extract_claimed(declared_type, filename);
	char *err = NULL;
	if (claimed && strcmp(claimed, res->type) != 0 &&
	    !(strcmp(claimed, "html") == 0 && strcmp(res->type, "text") == 0)) {
		res->warning = xasprintf("its name or type says %s, its bytes say %s", claimed,
		                         res->type);
	}
	int rc = 0;
	if (!strcmp(res->type, "docx") || !strcmp(res->type, "xlsx") ||
	    !strcmp(res->type, "odt") || !strcmp(res->type, "ods")) {
		rc = zipdoc_text(data, len, &res->pages, &err);
	} else if (!strcmp(res->type, "html")) {
		strv_push_owned(&res->pages, markup_html_text(data, len));
	} else if (!strcmp(res->type, "text")) {
		strv_push_owned(&res->pages, xstrndup(data, len));
	} else if (!strcmp(res->type, "image")) {
		rc = err_set(&err, FOID_EINVAL, "an image: foid does not read text in images yet");
	} else if (!strcmp(res->type, "unknown")) {
		rc = err_set(&err, FOID_EINVAL, "not a document foid reads");
	} else {
		rc = extract_run(path, res->type, o, &res->pages, &err);
		if (rc == 0 && o->ocr && !strcmp(res->type, "pdf"))
			extract_ocr(path, o, &res->pages, &res->warning);
	}
	if (rc < 0) {
		/* Half a hostile document is not its text. */
		strv_free(&res->pages);
		char *w = res->warning ? xasprintf("%s; %s", res->warning, err) : xstrdup(err);
		free(res->warning);
		res->warning = w;
	}
	free(err);
}

void extract_result_clear(struct extract_result *res)
{
	strv_free(&res->pages);
	free(res->warning);
	memset(res, 0, sizeof *res);
}

/* ---- the store ------------------------------------------------------------- */

/* Attachments whose text one transaction stores. */
#define EXTRACT_BATCH 50

struct extract_todo {
	int64_t *id;
	char **path, **type, **name;
	size_t n;
};

static int extract_todo_cb(const struct store_row *row, void *arg)
{
	struct extract_todo *t = arg;
	t->id = xrealloc(t->id, (t->n + 1) * sizeof *t->id);
	t->path = xrealloc(t->path, (t->n + 1) * sizeof *t->path);
	t->type = xrealloc(t->type, (t->n + 1) * sizeof *t->type);
	t->name = xrealloc(t->name, (t->n + 1) * sizeof *t->name);
	t->id[t->n] = store_row_int(row, 0);
	store_row_texts(row, 1, (char **const[]){ &t->path[t->n], &t->type[t->n],
		&t->name[t->n], NULL });
	t->n++;
	return 0;
}

/* Stores one attachment's text and status, in the caller's transaction. */
static int extract_store(struct store *st, int64_t id, const struct extract_result *res,
                         char **errp)
{
	int rc = 0;
	size_t chars = 0;
	for (size_t p = 0; rc == 0 && p < res->pages.n; p++) {
		chars += strlen(res->pages.v[p]);
		/* Page numbers only where the document has pages. */
		int64_t page = res->pages.n > 1 || !strcmp(res->type, "pdf") ? (int64_t)p + 1 : 0;
		rc = store_exec(st, errp, "INSERT OR REPLACE INTO attachment_pages"
		                " (attachment_id, page, text) VALUES (?, ?, ?)", "IIs", id, page,
		                res->pages.v[p]);
	}
	char *status = res->pages.n && chars ? xstrdup("ok")
	               : res->warning ? xasprintf("no text: %s", res->warning)
	                              : xstrdup("no text");
	if (rc == 0)
		rc = store_exec(st, errp, "UPDATE attachments SET text_status = ?, detected_type = ?"
		                " WHERE id = ?", "ssI", status, res->type, id);
	/* A survey form returned as an attachment answers what the body left. */
	int64_t msg = 0;
	if (rc == 0 && chars)
		rc = store_query_int(st, errp, &msg, "SELECT message_row FROM attachments"
		                     " WHERE id = ?", "I", id);
	if (rc == 0 && msg)
		rc = survey_code_message(st, msg, NULL, errp);
	free(status);
	return rc;
}

int extract_pending(struct store *st, const char *storage_dir,
                    const struct extract_opts *o, size_t *done, char **errp)
{
	struct extract_todo t = { 0 };
	*done = 0;
	int rc = store_query(st, errp, extract_todo_cb, &t,
	                     "SELECT id, path, content_type, filename FROM attachments"
	                     " WHERE text_status IS NULL ORDER BY id", NULL);
	/* The texts commit a batch at a time (one search segment, one commit
	 * for EXTRACT_BATCH attachments), the converters run outside the
	 * transaction, and the commits do not wait for the disk: should
	 * power fail first, the attachments' text_status is NULL again and
	 * the next pass extracts them again; the next durable commit makes
	 * them safe. */
	int lazy = rc == 0 && t.n > 0;
	if (lazy)
		rc = store_lazy(st, 1, errp);
	for (size_t i = 0; rc == 0 && i < t.n; i += EXTRACT_BATCH) {
		size_t k = t.n - i < EXTRACT_BATCH ? t.n - i : EXTRACT_BATCH;
		struct extract_result *res = xcalloc(k, sizeof *res);
		for (size_t j = 0; j < k; j++) {
			char *data = NULL, *err = NULL;
			size_t len = 0;
			char *full = xasprintf("%s/%s", storage_dir, t.path[i + j]);
			if (blob_get(storage_dir, t.path[i + j], &data, &len, &err) < 0) {
				res[j].type = "unknown";
				res[j].warning = xasprintf("stored file unreadable: %s", err);
			} else {
				extract_file(full, data, len, t.type[i + j], t.name[i + j], o, &res[j]);
			}
			if (res[j].warning)
				log_warn("event=extract.warning attachment=%lld name=%s type=%s problem=%s",
				         (long long)t.id[i + j], log_q(t.name[i + j]), res[j].type,
				         log_q(res[j].warning));
			free(full);
			free(data);
			free(err);
		}
		rc = store_begin(st, errp);
		for (size_t j = 0; rc == 0 && j < k; j++)
			rc = extract_store(st, t.id[i + j], &res[j], errp);
		rc = store_finish(st, rc, errp);
		if (rc == 0)
			*done += k;
		for (size_t j = 0; j < k; j++)
			extract_result_clear(&res[j]);
		free(res);
	}
	if (lazy) {
		int back = store_lazy(st, 0, rc ? NULL : errp);
		rc = rc ? rc : back;
	}
	for (size_t i = 0; i < t.n; i++) {
		free(t.path[i]);
		free(t.type[i]);
		free(t.name[i]);
	}
	free(t.id);
	free(t.path);
	free(t.type);
	free(t.name);
	return rc;
}
