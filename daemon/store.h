/* The SQLite store: the only module that talks to sqlite3.
 *
 * Other modules write their own SQL and go through store_exec/store_query,
 * whose bind arguments are described by a type string, one letter each:
 *   'i' int, 'I' int64_t, 's' const char * (NULL binds NULL),
 *   'b' const void *, size_t (a blob), 'n' nothing (binds NULL).
 * Statements are prepared once per distinct SQL text and kept for the life
 * of the store, so pass string literals.
 *
 * Writes that belong together go between store_begin (BEGIN IMMEDIATE)
 * and store_commit; store_rollback undoes them.  Nesting is not allowed. */
#ifndef FOID_STORE_H
#define FOID_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct store;
struct store_row;

/* Latest schema version; store_open migrates older databases to it. */
#define STORE_SCHEMA_VERSION 11

/* The search_text rowid of page p of attachment a, as SQL over two column
 * expressions (since schema v10): a message's own text has the message's
 * id, so a page's is negative and never meets one. */
#define STORE_PAGE_ROWID_SQL(a, p) "-(" a " * 4294967296 + " p ")"

/* Opens (creating if needed) the database at path, sets WAL, foreign keys
 * and the busy timeout, and migrates the schema.  *out is owned by the
 * caller and released with store_close. */
int store_open(struct store **out, const char *path, char **errp);
void store_close(struct store *st); /* NULL is fine */
const char *store_path(const struct store *st);

int store_begin(struct store *st, char **errp);
/* Indexes for search the received mail and attachment pages the
 * transaction filed (one statement for all of them), then commits. */
int store_commit(struct store *st, char **errp);
/* With lazy on, commits do not wait for the disk (PRAGMA synchronous =
 * NORMAL): they survive a crash of the process, and the next durable
 * commit makes them safe from power loss too.  For writes whose loss on
 * power failure the caller can recover from; call outside a transaction. */
int store_lazy(struct store *st, int lazy, char **errp);
void store_rollback(struct store *st);
/* Ends the transaction store_begin started: commits when rc is FOID_OK
 * and returns the commit's result, else rolls back and returns rc. */
int store_finish(struct store *st, int rc, char **errp);

/* Run a statement that returns no rows (or whose rows are ignored).
 * Outside a transaction, what it filed is indexed for search at once. */
int store_exec(struct store *st, char **errp, const char *sql,
               const char *types, ...);

/* Run a query; cb is called for each row and returns 0 to go on,
 * STORE_STOP to stop early (store_query then returns 0), or a negative
 * FOID_E* code to stop with that code.  cb may be NULL. */
#define STORE_STOP 1
typedef int (*store_row_fn)(const struct store_row *row, void *arg);
int store_query(struct store *st, char **errp, store_row_fn cb, void *arg,
                const char *sql, const char *types, ...);

/* The texts of message row `message` as foid read them, one cb (as
 * store_query's) per part, in order: its body (columns: NULL, body text),
 * then each attachment (its filename, its pages' text in page order
 * joined by newlines; NULL where none was read). */
int store_message_parts(struct store *st, int64_t message, store_row_fn cb, void *arg,
                        char **errp);
/* First column of the first row as an integer or a new string.
 * FOID_ENOTFOUND when there is no row; a NULL text gives *out = NULL. */
int store_query_int(struct store *st, char **errp, int64_t *out,
                    const char *sql, const char *types, ...);
int store_query_text(struct store *st, char **errp, char **out,
                     const char *sql, const char *types, ...);

int64_t store_last_id(const struct store *st);
int store_changes(const struct store *st);

/* Row accessors; columns count from 0.  Text is valid only inside cb. */
int store_row_count(const struct store_row *row);
int store_row_isnull(const struct store_row *row, int col);
int64_t store_row_int(const struct store_row *row, int col);
const char *store_row_text(const struct store_row *row, int col); /* NULL if NULL */
/* Column col's text, or def where it is NULL. */
const char *store_row_text_or(const struct store_row *row, int col, const char *def);
/* Copies of the text of columns first, first + 1, ... (NULL for NULL) into
 * *to[0], *to[1], ... up to a NULL entry: a struct's strings read in the
 * order the SELECT names them.  The caller owns the copies. */
void store_row_texts(const struct store_row *row, int first, char **const *to);
const void *store_row_blob(const struct store_row *row, int col, size_t *len);
const char *store_row_name(const struct store_row *row, int col);

/* Append one line to the event log (inside the caller's transaction when
 * there is one).  round_id/request_id/message_row may be 0 for none. */
int store_event(struct store *st, char **errp, int64_t round_id,
                int64_t request_id, int64_t message_row, const char *type,
                const char *actor, const char *detail);

/* PRAGMA integrity_check: 0 when "ok". */
int store_integrity_check(struct store *st, char **errp);
int store_schema_version(struct store *st, int *out, char **errp);

#endif
