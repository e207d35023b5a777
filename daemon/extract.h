/* The text of what the bodies attached, kept per attachment and page so
 * that search finds it and a person can quote it.  The type comes from a
 * file's bytes, never its name; DOCX, XLSX, ODT and ODS are read in process
 * (zipdoc.c), HTML by markup.c, and PDF, Word 97, RTF and Excel 97 by the
 * Debian converters as bounded subprocesses (convert.c); with OCR on, a
 * PDF page without text is rendered by pdftoppm and read by tesseract.  A file that
 * cannot be read costs a warning and no text: the mail is filed all the
 * same. */
#ifndef FOID_EXTRACT_H
#define FOID_EXTRACT_H

#include <stddef.h>

#include "convert.h"
#include "util.h"

struct store;

struct extract_opts {
	struct convert_limits limits; /* for each converter run (OCR: each page's two) */
	int ocr;                      /* PDF pages without text: pdftoppm + tesseract */
};
#define EXTRACT_OPTS_DEFAULT { CONVERT_LIMITS_DEFAULT, 0 }
/* OCR reads at most this many pages of one PDF: a 500-page scan would
 * otherwise hold up the filing of mail for an hour. */
#define EXTRACT_OCR_MAX_PAGES 50

struct extract_result {
	const char *type;  /* from the bytes: "pdf", "docx", "doc", "rtf", "xls",
	                      "xlsx", "odt", "ods", "html", "text", "image",
	                      "unknown" (static) */
	struct strv pages; /* text per page (PDF) or sheet; one for the rest */
	char *warning;     /* why there is no text, or a lie in the name; NULL */
};

/* What document len bytes are (one of the type names above). */
const char *extract_detect(const void *data, size_t len);

/* Extracts the file at path (data, len: its bytes).  declared_type and
 * filename (either may be NULL) are only compared with what the bytes say.
 * res must be zeroed; extract_result_clear frees it.  Never fails: a file
 * without text has no pages and a warning. */
void extract_file(const char *path, const void *data, size_t len,
                  const char *declared_type, const char *filename,
                  const struct extract_opts *o, struct extract_result *res);
void extract_result_clear(struct extract_result *res);

/* Extracts every attachment not tried yet (text_status NULL), storing its
 * pages (attachment_pages, and so search) and its status, one transaction
 * per batch of attachments.  *done counts them.  Returns 0 or the store's
 * error: a file's own trouble is only its status and a warning. */
int extract_pending(struct store *st, const char *storage_dir,
                    const struct extract_opts *o, size_t *done, char **errp);

#endif
