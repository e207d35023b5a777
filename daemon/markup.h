/* Markup to text, wrapping libxml2: HTML mail bodies (its HTML parser) and
 * the XML parts of office documents (its streaming reader). */
#ifndef FOID_MARKUP_H
#define FOID_MARKUP_H

#include <stddef.h>

/* Converts len bytes of UTF-8 HTML to a new plain-text UTF-8 string owned by
 * the caller.  Block elements, <br>, list items and table rows start new
 * lines; script, style and head content is dropped; entities are decoded;
 * runs of white space collapse.  Never fails: unparsable input gives "". */
char *markup_html_text(const char *html, size_t len);

/* One step of an XML walk.  Names are local (namespace prefixes dropped):
 * "t" for w:t, "p" for text:p. */
enum markup_event { MARKUP_START, MARKUP_END, MARKUP_TEXT };
struct markup_xml;      /* the walk in progress: for markup_xml_attr */
typedef int (*markup_xml_fn)(enum markup_event ev, const char *name,
                             const char *text, const struct markup_xml *x, void *arg);

/* Walks len bytes of XML, calling fn for each element's start and end and
 * each run of text (START and END for an empty element too).  fn returns
 * non-zero to stop, which markup_xml_walk then returns.  A document with a
 * DOCTYPE or an entity declaration is refused unread (FOID_EINVAL): office
 * XML never has one, and entity expansion is how XML bombs work.  Never
 * fetches anything from the network.  FOID_EINVAL with *errp for XML that
 * is not well-formed. */
int markup_xml_walk(const char *xml, size_t len, markup_xml_fn fn, void *arg,
                    char **errp);
/* The value of the current START element's attribute by local name, or
 * NULL.  Valid until fn returns. */
const char *markup_xml_attr(const struct markup_xml *x, const char *name);

#endif
