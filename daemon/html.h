/* HTML mail bodies to readable plain text (wraps libxml2's HTML parser). */
#ifndef FOID_HTML_H
#define FOID_HTML_H

#include <stddef.h>

/* Converts len bytes of UTF-8 HTML to a new plain-text UTF-8 string owned by
 * the caller.  Block elements, <br>, list items and table rows start new
 * lines; script, style and head content is dropped; entities are decoded;
 * runs of white space collapse.  Never fails: unparsable input gives "". */
char *html_to_text(const char *html, size_t len);

#endif
