/* Full-text search over what the bodies sent (SQLite FTS5: the search_text
 * table of the schema, filled by triggers as mail is filed).  This module
 * turns what a person types into an FTS5 query: every word is quoted, so
 * FOI-STP16-042, O'Neil or a leading NOT are plain words, while "double
 * quoted phrases", AND, OR and NOT between two terms, and a trailing * for
 * a prefix keep their meaning.  Pure. */
#ifndef FOID_SEARCH_H
#define FOID_SEARCH_H

/* *out is a new FTS5 MATCH expression.  FOID_EINVAL with *errp when the
 * query holds no word. */
int search_fts_query(const char *typed, char **out, char **errp);

#endif
