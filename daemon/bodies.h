/* The registry of public bodies that requests go to.
 *
 * Bodies are imported from CSV (RFC 4180, header row, UTF-8, optional BOM).
 * Column names are trimmed and case-insensitive:
 *   name, email      required, one line each; email a plain addr-spec
 *   short_name       optional; [a-z0-9-], at most 64 characters.  When the
 *                    column is missing or the cell empty it is derived from
 *                    name (bodies_derive_short_name)
 *   kind, region     optional, one line each
 *   tags             optional, separated by ';' (spaces around each trimmed)
 *   anything else    kept as an attribute of the body (table body_attrs),
 *                    available to templates as {{body.COLUMN}}; the column
 *                    name must be [a-z0-9_-] after lower-casing
 *
 * An import is all or nothing: every problem is reported as FILE:LINE
 * (LINE is where the record starts; the header is line 1), and if there is
 * any, nothing is written.  Bodies are matched by short_name: new ones are
 * added, changed ones updated (their attributes replaced by the row's),
 * identical ones left untouched (updated_at kept).  Bodies that exist but
 * are absent from the file are left alone: an import never deletes.  An
 * email may not belong to two bodies, in the file or in the database.
 * Each add and update is logged in the events table with actor "foictl". */
#ifndef FOID_BODIES_H
#define FOID_BODIES_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct store;
struct jw;

struct body {
	int64_t id;
	char *short_name, *name, *email;
	char *kind, *region;          /* NULL when not given */
	struct strv tags;
	struct strv attr_keys, attr_values; /* parallel, in CSV column order */
	int64_t created_at, updated_at;
};

/* Frees b and everything it holds; NULL is fine. */
void bodies_body_free(struct body *b);
/* The attribute's value, or NULL; borrowed from b. */
const char *bodies_attr(const struct body *b, const char *key);
/* A new JSON object with every field: tags an array, attrs an object,
 * kind/region null when unset, times as integers. */
struct jw *bodies_body_json(const struct body *b);

/* Lookups: 0 with a new *out (bodies_body_free), FOID_ENOTFOUND, or
 * FOID_EIO.  The email match ignores case. */
int bodies_find_by_short_name(struct store *st, const char *short_name,
                              struct body **out, char **errp);
int bodies_find_by_email(struct store *st, const char *email,
                         struct body **out, char **errp);

struct bodies_list {
	struct body **v;
	size_t n;
};
#define BODIES_LIST_INIT { NULL, 0 }
/* All bodies ordered by short_name; only those tagged tag (ignoring case)
 * when tag is not NULL.  0 or FOID_EIO. */
int bodies_list(struct store *st, const char *tag, struct bodies_list *out,
                char **errp);
void bodies_list_free(struct bodies_list *l);

/* At most this many errors are kept in a report; nerrors counts them all. */
#define BODIES_MAX_ERRORS 50

struct bodies_report {
	size_t added, updated, unchanged;
	struct strv added_names, updated_names; /* short names, in file order */
	struct strv errors;  /* "FILE:LINE: message" */
	size_t nerrors;
};
#define BODIES_REPORT_INIT { 0, 0, 0, STRV_INIT, STRV_INIT, STRV_INIT, 0 }

/* Validates the CSV file at path and, unless dry_run, applies it in one
 * transaction.  *rep (initialised by the caller, freed with
 * bodies_report_free) says what changed, or would change.  Returns 0,
 * FOID_EINVAL (the file is invalid: see rep->errors; nothing written),
 * FOID_ENOTFOUND / FOID_EIO (file unreadable), FOID_ETEMP (database busy)
 * or FOID_EIO (database failure), with *errp set for all but FOID_EINVAL,
 * where it is a one-line summary. */
int bodies_import(struct store *st, const char *path, int dry_run,
                  struct bodies_report *rep, char **errp);
void bodies_report_free(struct bodies_report *rep);

/* A plain addr-spec: one '@', a dot-atom local part of at most 64
 * characters (ASCII letters, digits and !#$%&'*+/=?^_`{|}~-, dots not
 * leading, trailing or doubled) and a domain of at least two labels of
 * letters, digits and inner hyphens.  No quoted local parts, no literals. */
int bodies_email_valid(const char *email);
/* [a-z0-9-]+ and at most 64 characters. */
int bodies_short_name_valid(const char *s);

/* The short name derived from a body's name, or NULL when nothing usable
 * is left.  The rule: '&' reads as "and"; accented Latin letters lose
 * their accents; every other character that is not an ASCII letter or
 * digit separates words; words are lower-cased; the generic words
 * "council", "city", "county", "borough", "metropolitan", "district",
 * "royal", the pairs "combined authority" and "london borough", and any
 * "of" or "the" next to a dropped word are dropped (unless that leaves
 * nothing: then all words are kept); the words are joined with '-' and cut
 * at a word boundary to 64 characters.  Examples:
 *   "Brighton & Hove City Council"      brighton-and-hove
 *   "London Borough of Camden"          camden
 *   "Council of the Isles of Scilly"    isles-of-scilly
 *   "Isle of Wight Council"             isle-of-wight
 * The rule runs only where short_name is empty; clashes between derived
 * names are reported, never renumbered, so a name never shifts between
 * imports. */
char *bodies_derive_short_name(const char *name);

#endif
