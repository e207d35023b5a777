/* Regular expressions: the only module that talks to PCRE2.  Patterns are
 * compiled for UTF-8 text (invalid sequences in a subject never match,
 * they do not fail), caseless with Unicode case folding, '$' at the very
 * end only, as POSIX ERE without REG_NEWLINE has it; and JIT-compiled
 * when the machine allows. */
#ifndef FOID_REGEX_H
#define FOID_REGEX_H

#include <stddef.h>

struct regex;

/* One match: byte offsets into the subject, -1 for a group that took no
 * part. */
struct regex_span {
	long start;
	long end;
};

/* Compiles pattern.  *out is new (regex_free); on error FOID_EINVAL with
 * *errp "bad regex at offset N: why". */
int regex_compile(const char *pattern, struct regex **out, char **errp);
void regex_free(struct regex *re); /* NULL is fine */

/* Its number of (groups). */
size_t regex_groups(const struct regex *re);

/* Searches s from byte offset start (not a line start when start > 0, so
 * '^' matches there only when it is 0).  Returns 1 with m[0] the match
 * and m[1..nm-1] its groups, 0 for no match, or FOID_EIO when memory or
 * PCRE2's resource limits stopped the search.  m may be NULL when nm is 0.
 * Thread-safe: the match data is per call. */
int regex_search(const struct regex *re, const char *s, size_t start,
                 struct regex_span *m, size_t nm);

#endif
