/* Which of a set of regexes can match a text, found in one pass over it.
 * Each pattern (regex.h syntax: caseless) is read for the strings its
 * matches must contain (per top-level branch, every literal run and
 * every group it cannot do without, a group by one of its branches);
 * the text is scanned once for all of them (Aho-Corasick).  A pattern
 * none of whose branches has all it needs cannot match, and its search is
 * spared; one that may match still needs its search, as does a pattern
 * foid cannot read strings from.  So a
 * caller that searches only where prefilter_scan says "may" gets the same
 * answers as one that searches everywhere. */
#ifndef FOID_PREFILTER_H
#define FOID_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

struct prefilter;

/* A new, empty set (prefilter_free). */
struct prefilter *prefilter_new(void);
void prefilter_free(struct prefilter *pf); /* NULL is fine */

/* Adds pattern as the next number (0, 1, ...), in group (0 to 31: a scan
 * can be asked about some groups only).  Returns 1 when it has strings to
 * look for, 0 when it must always be searched. */
int prefilter_add(struct prefilter *pf, const char *pattern, unsigned group);
/* Builds the scanner over the patterns added: call after the last
 * prefilter_add and before the first prefilter_scan. */
void prefilter_ready(struct prefilter *pf);

/* How many patterns were added. */
size_t prefilter_count(const struct prefilter *pf);

/* PREFILTER_ALL: every group. */
#define PREFILTER_ALL 0xffffffffu

/* Sets may[i] (prefilter_count bytes) to 1 for each pattern i that can
 * match s, 0 for each that cannot, deciding only patterns of the groups
 * whose bits are set in groups (1u << group): the others get 1, as
 * patterns that may match, at no cost.  s is NUL-terminated.  Reads pf
 * only: threads may share a set that is ready. */
void prefilter_scan(const struct prefilter *pf, const char *s, uint32_t groups,
                    unsigned char *may);

#endif
