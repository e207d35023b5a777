/* Text of zip-packaged office documents, in process: DOCX and XLSX (Office
 * Open XML), ODT and ODS (OpenDocument), and the writing of zip archives
 * (foictl export --format archive): the one module that wraps libzip.  The
 * XML is read by markup.c.  Built for hostile input: a bounded number of entries, each
 * unpacked to a bounded size (a zip bomb stops at the bound), XML with a
 * DTD refused, output bounded. */
#ifndef FOID_ZIPDOC_H
#define FOID_ZIPDOC_H

#include <stddef.h>

#include "util.h"

#define ZIPDOC_MAX_ENTRIES 2000
#define ZIPDOC_MAX_PART (32u << 20)  /* bytes one XML part may unpack to */
#define ZIPDOC_MAX_TEXT (8u << 20)   /* bytes of text kept */

enum zipdoc_type { ZIPDOC_NONE, ZIPDOC_DOCX, ZIPDOC_XLSX, ZIPDOC_ODT, ZIPDOC_ODS };

/* Which document a zip holds, from its entries (not its name); ZIPDOC_NONE
 * for another zip or one that cannot be opened. */
enum zipdoc_type zipdoc_detect(const void *data, size_t len);
const char *zipdoc_type_name(enum zipdoc_type t); /* "docx", ... */

/* The text, as pages: one for a text document, one per sheet for a
 * spreadsheet (strings pushed onto pages, which the caller frees).
 * FOID_EINVAL with *errp for a damaged or hostile file; pages may then hold
 * what was read before the problem. */
int zipdoc_text(const void *data, size_t len, struct strv *pages, char **errp);

/* A zip being written.  libzip writes it to a temporary file beside path
 * and renames it over path only at zipdoc_writer_close: a failed export
 * leaves no half archive, and an existing one stays until the new one is
 * whole. */
struct zipdoc_writer;
/* FOID_EEXIST when path exists and overwrite is 0; FOID_EIO when it cannot
 * be written.  *out is the caller's (zipdoc_writer_close or _free). */
int zipdoc_writer_open(const char *path, int overwrite, struct zipdoc_writer **out,
                       char **errp);
/* Adds len bytes (copied) as entry name ("dir/file", UTF-8). */
int zipdoc_writer_add(struct zipdoc_writer *w, const char *name, const void *data,
                      size_t len, char **errp);
/* Adds the file at path as entry name; the file is read at close, so large
 * files are not held in memory.  It must stay until then. */
int zipdoc_writer_add_file(struct zipdoc_writer *w, const char *name, const char *path,
                           char **errp);
/* Writes the archive and frees w; FOID_EIO when writing failed. */
int zipdoc_writer_close(struct zipdoc_writer *w, char **errp);
/* Discards an unfinished archive (path is left as it was); NULL is fine. */
void zipdoc_writer_free(struct zipdoc_writer *w);

#endif
