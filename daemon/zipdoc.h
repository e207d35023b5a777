/* Text of zip-packaged office documents, in process: DOCX and XLSX (Office
 * Open XML), ODT and ODS (OpenDocument).  Wraps libzip; the XML is read by
 * markup.c.  Built for hostile input: a bounded number of entries, each
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

#endif
