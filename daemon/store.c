#include "store.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_schema.h"

#define STORE_BUSY_MS 10000
#define STORE_CACHE_SLOTS 256

struct stmt_slot {
	char *sql;
	sqlite3_stmt *stmt;
	struct stmt_slot *next;
};

struct store {
	sqlite3 *db;
	char *path;
	int in_tx;
	int queued;   /* the schema has search_queue (set once migrated) */
	struct stmt_slot *cache[STORE_CACHE_SLOTS];
};

struct store_row {
	sqlite3_stmt *stmt;
};

static int store_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return FOID_ETEMP;
	case SQLITE_CONSTRAINT:
		return FOID_EEXIST;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return FOID_EIO;
	default:
		return FOID_EIO;
	}
}

static int store_fail(struct store *st, char **errp, int rc, const char *what)
{
	return err_set(errp, store_code(rc), "%s: %s: %s", st->path, what,
	               sqlite3_errmsg(st->db));
}

static unsigned store_hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % STORE_CACHE_SLOTS;
}

static int store_prepare(struct store *st, const char *sql,
                         sqlite3_stmt **out, char **errp)
{
	unsigned h = store_hash(sql);
	for (struct stmt_slot *s = st->cache[h]; s; s = s->next) {
		if (strcmp(s->sql, sql) == 0) {
			sqlite3_reset(s->stmt);
			sqlite3_clear_bindings(s->stmt);
			*out = s->stmt;
			return FOID_OK;
		}
	}
	sqlite3_stmt *stmt;
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                            &stmt, NULL);
	if (rc != SQLITE_OK)
		return err_set(errp, FOID_EIO, "%s: prepare: %s (in: %.80s)",
		               st->path, sqlite3_errmsg(st->db), sql);
	struct stmt_slot *s = xmalloc(sizeof *s);
	s->sql = xstrdup(sql);
	s->stmt = stmt;
	s->next = st->cache[h];
	st->cache[h] = s;
	*out = stmt;
	return FOID_OK;
}

static int store_bind(struct store *st, sqlite3_stmt *stmt, const char *types,
                      va_list ap, char **errp)
{
	int rc = SQLITE_OK;
	for (int i = 0; types && types[i]; i++) {
		int idx = i + 1;
		switch (types[i]) {
		case 'i':
			rc = sqlite3_bind_int(stmt, idx, va_arg(ap, int));
			break;
		case 'I':
			rc = sqlite3_bind_int64(stmt, idx, va_arg(ap, int64_t));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(stmt, idx, s, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(stmt, idx);
			break;
		}
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			rc = p ? sqlite3_bind_blob64(stmt, idx, p, n, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(stmt, idx);
			break;
		}
		case 'n':
			rc = sqlite3_bind_null(stmt, idx);
			break;
		default:
			return err_set(errp, FOID_EINVAL, "store: bad bind type '%c'",
			               types[i]);
		}
		if (rc != SQLITE_OK)
			return store_fail(st, errp, rc, "bind");
	}
	return FOID_OK;
}

static int store_run(struct store *st, char **errp, store_row_fn cb, void *arg,
                     const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *stmt = NULL;
	int rc = store_prepare(st, sql, &stmt, errp);
	if (rc)
		return rc;
	rc = store_bind(st, stmt, types, ap, errp);
	if (rc)
		goto out;
	struct store_row row = { stmt };
	for (;;) {
		int s = sqlite3_step(stmt);
		if (s == SQLITE_DONE)
			break;
		if (s != SQLITE_ROW) {
			rc = store_fail(st, errp, s, "step");
			goto out;
		}
		if (cb) {
			int r = cb(&row, arg);
			if (r == STORE_STOP)
				break;
			if (r) {
				rc = r < 0 ? r : err_set(errp, FOID_EINVAL, "a row callback"
				                         " returned %d, not 0 or STORE_STOP", r);
				goto out;
			}
		}
	}
out:
	sqlite3_reset(stmt);
	return rc;
}

static int store_index_alone(struct store *st, char **errp);

int store_exec(struct store *st, char **errp, const char *sql,
               const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = store_run(st, errp, NULL, NULL, sql, types, ap);
	va_end(ap);
	/* A statement outside a transaction commits by itself: what it queued
	 * for search is indexed now. */
	if (rc == FOID_OK && !st->in_tx)
		rc = store_index_alone(st, errp);
	return rc;
}

int store_query(struct store *st, char **errp, store_row_fn cb, void *arg,
                const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int rc = store_run(st, errp, cb, arg, sql, types, ap);
	va_end(ap);
	return rc;
}

/* The first row's first column, as an integer or (text set) a copy of
 * its text. */
struct store_first {
	int found, text;
	int64_t i;
	char *s;
};

static int store_first_cb(const struct store_row *row, void *arg)
{
	struct store_first *f = arg;
	f->found = 1;
	if (f->text)
		f->s = xstrdup(store_row_text(row, 0));
	else
		f->i = store_row_int(row, 0);
	return STORE_STOP;
}

/* store_run for the first row: FOID_ENOTFOUND when there is none. */
static int store_first_run(struct store *st, char **errp, struct store_first *f,
                           const char *sql, const char *types, va_list ap)
{
	int rc = store_run(st, errp, store_first_cb, f, sql, types, ap);
	return rc == FOID_OK && !f->found ? FOID_ENOTFOUND : rc;
}

int store_query_int(struct store *st, char **errp, int64_t *out,
                    const char *sql, const char *types, ...)
{
	struct store_first f = { 0, 0, 0, NULL };
	va_list ap;
	va_start(ap, types);
	int rc = store_first_run(st, errp, &f, sql, types, ap);
	va_end(ap);
	if (rc == FOID_OK)
		*out = f.i;
	return rc;
}

int store_query_text(struct store *st, char **errp, char **out,
                     const char *sql, const char *types, ...)
{
	struct store_first f = { 0, 1, 0, NULL };
	va_list ap;
	va_start(ap, types);
	int rc = store_first_run(st, errp, &f, sql, types, ap);
	va_end(ap);
	if (rc == FOID_OK)
		*out = f.s;
	else
		free(f.s);
	return rc;
}

int store_row_count(const struct store_row *row)
{
	return sqlite3_column_count(row->stmt);
}

int store_row_isnull(const struct store_row *row, int col)
{
	return sqlite3_column_type(row->stmt, col) == SQLITE_NULL;
}

int64_t store_row_int(const struct store_row *row, int col)
{
	return sqlite3_column_int64(row->stmt, col);
}

const char *store_row_text(const struct store_row *row, int col)
{
	return (const char *)sqlite3_column_text(row->stmt, col);
}

const char *store_row_text_or(const struct store_row *row, int col, const char *def)
{
	const char *s = store_row_text(row, col);
	return s ? s : def;
}

void store_row_texts(const struct store_row *row, int first, char **const *to)
{
	for (int col = first; *to; to++, col++)
		**to = xstrdup(store_row_text(row, col));
}

const void *store_row_blob(const struct store_row *row, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(row->stmt, col);
	*len = (size_t)sqlite3_column_bytes(row->stmt, col);
	return p;
}

const char *store_row_name(const struct store_row *row, int col)
{
	return sqlite3_column_name(row->stmt, col);
}

int64_t store_last_id(const struct store *st)
{
	return sqlite3_last_insert_rowid(st->db);
}

int store_changes(const struct store *st)
{
	return sqlite3_changes(st->db);
}

static int store_exec_plain(struct store *st, const char *sql, char **errp)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		err_set(errp, store_code(rc), "%s: %s", st->path,
		        msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return store_code(rc);
	}
	return FOID_OK;
}

int store_message_parts(struct store *st, int64_t message, store_row_fn cb, void *arg,
                        char **errp)
{
	return store_query(st, errp, cb, arg, "SELECT NULL, body_text, 0 FROM messages WHERE"
	                   " id = ?1 UNION ALL SELECT a.filename, (SELECT group_concat(text,"
	                   " char(10)) FROM (SELECT text FROM attachment_pages WHERE"
	                   " attachment_id = a.id ORDER BY page)), a.id FROM attachments a"
	                   " WHERE a.message_row = ?1 ORDER BY 3", "I", message);
}

/* Whether anything waits in search_queue. */
static int store_queue_waiting(struct store *st, int64_t *any, char **errp)
{
	*any = 0;
	return st->queued ? store_query_int(st, errp, any, "SELECT EXISTS (SELECT 1 FROM"
	                                    " search_queue)", NULL) : FOID_OK;
}

int store_begin(struct store *st, char **errp)
{
	if (st->in_tx)
		return err_set(errp, FOID_EINVAL, "store: nested transaction");
	int rc = store_exec_plain(st, "BEGIN IMMEDIATE", errp);
	if (rc == FOID_OK)
		st->in_tx = 1;
	return rc;
}

/* Moves the rows queued for search (schema v11) into search_text, in the
 * order they were filed: a message's subject and body, an attachment
 * page's text under its message. */
static int store_index_queue(struct store *st, char **errp)
{
	int64_t any = 0;
	int rc = store_queue_waiting(st, &any, errp);
	if (rc == FOID_OK && any)
		rc = store_exec(st, errp, "INSERT INTO search_text (rowid, subject, text, message,"
		                " attachment, page) SELECT r, subject, text, message, attachment, page"
		                " FROM (SELECT q.id AS k, m.id AS r, m.subject AS subject,"
		                " coalesce(m.body_text, '') AS text, m.id AS message,"
		                " NULL AS attachment, NULL AS page"
		                " FROM search_queue q JOIN messages m ON m.id = q.message"
		                " UNION ALL SELECT q.id, "
		                STORE_PAGE_ROWID_SQL("p.attachment_id", "p.page") ", NULL,"
		                " p.text, a.message_row, p.attachment_id,"
		                " nullif(p.page, 0) FROM search_queue q JOIN attachment_pages p"
		                " ON p.attachment_id = q.attachment AND p.page = q.page"
		                " JOIN attachments a ON a.id = p.attachment_id) ORDER BY k", NULL);
	if (rc == FOID_OK && any)
		rc = store_exec(st, errp, "DELETE FROM search_queue", NULL);
	return rc;
}

int store_commit(struct store *st, char **errp)
{
	int rc = store_index_queue(st, errp);
	if (rc == FOID_OK)
		rc = store_exec_plain(st, "COMMIT", errp);
	if (rc == FOID_OK)
		st->in_tx = 0;
	else
		store_rollback(st);
	return rc;
}

/* Indexes what is queued for search in a transaction of its own. */
static int store_index_alone(struct store *st, char **errp)
{
	int64_t queued = 0;
	int rc = store_queue_waiting(st, &queued, errp);
	if (rc == FOID_OK && queued)
		rc = store_begin(st, errp);
	if (rc == FOID_OK && queued)
		rc = store_commit(st, errp);
	return rc;
}

int store_lazy(struct store *st, int lazy, char **errp)
{
	return store_exec_plain(st, lazy ? "PRAGMA synchronous = NORMAL"
	                                 : "PRAGMA synchronous = FULL", errp);
}

void store_rollback(struct store *st)
{
	if (!st->in_tx)
		return;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = 0;
}

int store_finish(struct store *st, int rc, char **errp)
{
	if (rc == FOID_OK)
		return store_commit(st, errp);
	store_rollback(st);
	return rc;
}

int store_schema_version(struct store *st, int *out, char **errp)
{
	int64_t v;
	int rc = store_query_int(st, errp, &v, "PRAGMA user_version", NULL);
	if (rc)
		return rc;
	*out = (int)v;
	return FOID_OK;
}

static int store_migrate(struct store *st, char **errp)
{
	int version;
	int rc = store_schema_version(st, &version, errp);
	if (rc)
		return rc;
	if (version > store_migration_count)
		return err_set(errp, FOID_EINVAL,
		               "%s: schema version %d is newer than this foid (%d); "
		               "upgrade foid", st->path, version, store_migration_count);
	while (version < store_migration_count) {
		rc = store_begin(st, errp);
		if (rc)
			return rc;
		rc = store_exec_plain(st, store_migrations[version], errp);
		if (rc == FOID_OK) {
			char pragma[64];
			snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d",
			         version + 1);
			rc = store_exec_plain(st, pragma, errp);
		}
		if (rc) {
			store_rollback(st);
			return err_prefix(errp, rc, "migration to schema %d", version + 1);
		}
		rc = store_commit(st, errp);
		if (rc)
			return rc;
		version++;
	}
	return FOID_OK;
}

int store_open(struct store **out, const char *path, char **errp)
{
	struct store *st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	int rc = sqlite3_open_v2(path, &st->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = err_set(errp, FOID_EIO, "%s: cannot open database: %s", path,
		             st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(st->db, 1);
	rc = store_exec_plain(st,
	                      "PRAGMA journal_mode = WAL;"
	                      "PRAGMA synchronous = FULL;"
	                      "PRAGMA foreign_keys = ON;", errp);
	if (rc)
		goto fail;
	rc = store_migrate(st, errp);
	if (rc)
		goto fail;
	/* What another connection wrote outside a transaction may still be
	 * queued (sqlite3 itself, or a foid that died between the statement
	 * and its indexing). */
	st->queued = 1;
	rc = store_index_alone(st, errp);
	if (rc)
		goto fail;
	*out = st;
	return FOID_OK;
fail:
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < STORE_CACHE_SLOTS; i++) {
		struct stmt_slot *s = st->cache[i];
		while (s) {
			struct stmt_slot *next = s->next;
			sqlite3_finalize(s->stmt);
			free(s->sql);
			free(s);
			s = next;
		}
	}
	if (st->in_tx)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

const char *store_path(const struct store *st)
{
	return st->path;
}

int store_event(struct store *st, char **errp, int64_t round_id,
                int64_t request_id, int64_t message_row, const char *type,
                const char *actor, const char *detail)
{
	return store_exec(st, errp,
	                  "INSERT INTO events (at, round_id, request_id, message_row,"
	                  " type, actor, detail) VALUES (?, nullif(?, 0),"
	                  " nullif(?, 0), nullif(?, 0), ?, ?, ?)",
	                  "IIIIsss", util_now(), round_id, request_id, message_row,
	                  type, actor ? actor : "foid", detail);
}

int store_integrity_check(struct store *st, char **errp)
{
	char *res = NULL;
	int rc = store_query_text(st, errp, &res, "PRAGMA integrity_check", NULL);
	if (rc)
		return rc;
	if (!res || strcmp(res, "ok") != 0)
		rc = err_set(errp, FOID_EIO, "%s: integrity check: %s", st->path,
		             res ? res : "(null)");
	free(res);
	return rc;
}
