#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fixture.h"
#include "store.h"
#include "store_schema.h"

static struct store *open_tmp(struct fixture *fx)
{
	char *path = fixture_path(fx, "foid.db");
	struct store *st = NULL;
	char *err = NULL;
	ck_assert_msg(store_open(&st, path, &err) == 0, "%s", err);
	free(path);
	return st;
}

START_TEST(test_open_migrates_to_latest)
{
	struct fixture *fx = fixture_new();
	struct store *st = open_tmp(fx);
	int v = 0;
	ck_assert_int_eq(store_schema_version(st, &v, NULL), 0);
	ck_assert_int_eq(v, STORE_SCHEMA_VERSION);
	int64_t fk = 0;
	ck_assert_int_eq(store_query_int(st, NULL, &fk, "PRAGMA foreign_keys", NULL), 0);
	ck_assert_int_eq(fk, 1);
	char *mode = NULL;
	ck_assert_int_eq(store_query_text(st, NULL, &mode, "PRAGMA journal_mode", NULL), 0);
	ck_assert_str_eq(mode, "wal");
	free(mode);
	store_close(st);
	fixture_free(fx);
}
END_TEST

START_TEST(test_reopen_keeps_data)
{
	struct fixture *fx = fixture_new();
	struct store *st = open_tmp(fx);
	ck_assert_int_eq(store_exec(st, NULL, "INSERT INTO meta VALUES (?, ?)", "ss",
	                            "k", "v"), 0);
	store_close(st);
	st = open_tmp(fx);
	char *v = NULL;
	ck_assert_int_eq(store_query_text(st, NULL, &v,
	                                  "SELECT value FROM meta WHERE key = ?", "s", "k"), 0);
	ck_assert_str_eq(v, "v");
	free(v);
	store_close(st);
	fixture_free(fx);
}
END_TEST

/* Writes are durable (synchronous FULL) except between store_lazy(1) and
 * store_lazy(0); a lazy commit is still a commit. */
START_TEST(test_lazy_commit_then_durable_again)
{
	struct fixture *fx = fixture_new();
	struct store *st = open_tmp(fx);
	int64_t sync = 0;
	ck_assert_int_eq(store_query_int(st, NULL, &sync, "PRAGMA synchronous", NULL), 0);
	ck_assert_int_eq(sync, 2);
	ck_assert_int_eq(store_lazy(st, 1, NULL), 0);
	ck_assert_int_eq(store_query_int(st, NULL, &sync, "PRAGMA synchronous", NULL), 0);
	ck_assert_int_eq(sync, 1);
	ck_assert_int_eq(store_begin(st, NULL), 0);
	ck_assert_int_eq(store_exec(st, NULL, "INSERT INTO meta VALUES (?, ?)", "ss",
	                            "lazy", "yes"), 0);
	char *err = NULL;
	ck_assert_int_ne(store_lazy(st, 0, &err), 0); /* not inside a transaction */
	ck_assert_int_eq(store_commit(st, NULL), 0);
	ck_assert_int_eq(store_lazy(st, 0, NULL), 0);
	ck_assert_int_eq(store_query_int(st, NULL, &sync, "PRAGMA synchronous", NULL), 0);
	ck_assert_int_eq(sync, 2);
	store_close(st);
	st = open_tmp(fx);
	char *v = NULL;
	ck_assert_int_eq(store_query_text(st, NULL, &v,
	                                  "SELECT value FROM meta WHERE key = ?", "s", "lazy"), 0);
	ck_assert_str_eq(v, "yes");
	free(v);
	free(err);
	store_close(st);
	fixture_free(fx);
}
END_TEST

START_TEST(test_rollback_discards)
{
	struct fixture *fx = fixture_new();
	struct store *st = open_tmp(fx);
	ck_assert_int_eq(store_begin(st, NULL), 0);
	ck_assert_int_eq(store_exec(st, NULL, "INSERT INTO meta VALUES ('a', 'b')", NULL), 0);
	store_rollback(st);
	int64_t n = -1;
	ck_assert_int_eq(store_query_int(st, NULL, &n, "SELECT count(*) FROM meta", NULL), 0);
	ck_assert_int_eq(n, 0);
	store_close(st);
	fixture_free(fx);
}
END_TEST

static int count_then(const struct store_row *row, void *arg)
{
	int *v = arg;
	(void)row;
	v[0]++;
	return v[1];
}

/* A callback's stop is not an error code: store_query returns 0 after
 * STORE_STOP and the callback's own negative code after one. */
START_TEST(test_query_stop_is_not_returned)
{
	struct fixture *fx = fixture_new();
	struct store *st = open_tmp(fx);
	char *err = NULL;
	ck_assert_int_eq(store_exec(st, &err, "INSERT INTO meta VALUES ('a', '1'), ('b', '2')",
	                            NULL), 0);
	int v[2] = { 0, STORE_STOP };
	ck_assert_int_eq(store_query(st, &err, count_then, v, "SELECT * FROM meta", NULL), 0);
	ck_assert_int_eq(v[0], 1);
	v[0] = 0;
	v[1] = FOID_EIO;
	ck_assert_int_eq(store_query(st, &err, count_then, v, "SELECT * FROM meta", NULL),
	                 FOID_EIO);
	ck_assert_int_eq(v[0], 1);
	v[0] = 0;
	v[1] = 7;
	ck_assert_int_eq(store_query(st, &err, count_then, v, "SELECT * FROM meta", NULL),
	                 FOID_EINVAL);
	free(err);
	store_close(st);
	fixture_free(fx);
}
END_TEST

START_TEST(test_events_append_only)
{
	struct fixture *fx = fixture_new();
	struct store *st = open_tmp(fx);
	char *err = NULL;
	ck_assert_int_eq(store_event(st, &err, 0, 0, 0, "test", "me", "why"), 0);
	ck_assert_int_lt(store_exec(st, &err, "UPDATE events SET detail = 'x'", NULL), 0);
	ck_assert_ptr_nonnull(strstr(err, "append-only"));
	ck_assert_int_lt(store_exec(st, &err, "DELETE FROM events", NULL), 0);
	free(err);
	store_close(st);
	fixture_free(fx);
}
END_TEST

/* A database made by the first release upgrades in place, keeping its rows. */
/* A database as a release at schema version v left it: the first v
 * migrations applied, nothing newer, then sql run on it. */
static void old_database(struct fixture *fx, int v, const char *sql)
{
	char *path = fixture_path(fx, "foid.db");
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *err = NULL;
	for (int i = 0; i < v; i++)
		ck_assert_msg(sqlite3_exec(db, store_migrations[i], NULL, NULL, &err) == SQLITE_OK,
		              "migration %d: %s", i + 1, err);
	char *pragma = sqlite3_mprintf("PRAGMA user_version = %d", v);
	ck_assert_int_eq(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(pragma);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK, "%s", err);
	sqlite3_close(db);
	free(path);
}

static int64_t count(struct store *st, const char *sql)
{
	int64_t n = -1;
	char *err = NULL;
	ck_assert_msg(store_query_int(st, &err, &n, sql, NULL) == 0, "%s: %s", sql, err);
	return n;
}

static void assert_latest(struct store *st)
{
	int v = 0;
	ck_assert_int_eq(store_schema_version(st, &v, NULL), 0);
	ck_assert_int_eq(v, store_migration_count);
}

START_TEST(test_version_1_upgrades_in_place)
{
	struct fixture *fx = fixture_new();
	old_database(fx, 1, "INSERT INTO messages (id, direction, created_at) VALUES (1, 'in', 0);"
	                    "INSERT INTO message_locations VALUES ('INBOX', 7, 1, 1);"
	                    "INSERT INTO meta VALUES ('kept', 'yes');");
	struct store *st = open_tmp(fx);
	assert_latest(st);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM answers"), 0);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM meta WHERE key = 'kept' AND value = 'yes'"), 1);
	/* v1 flagged mail as it filed it: nothing is owed after the upgrade. */
	ck_assert_int_eq(count(st, "SELECT count(*) FROM message_locations WHERE flagged = 1"), 1);
	store_close(st);
	fixture_free(fx);
}
END_TEST

START_TEST(test_version_2_upgrades_in_place)
{
	struct fixture *fx = fixture_new();
	old_database(fx, 2, "INSERT INTO messages (id, direction, kind, created_at)"
	                    " VALUES (1, 'in', 'refusal', 0)");
	struct store *st = open_tmp(fx);
	assert_latest(st);
	/* Mail classified before keeps its kind, with no confidence. */
	ck_assert_int_eq(count(st, "SELECT count(*) FROM messages WHERE kind = 'refusal'"
	                           " AND kind_confidence IS NULL"), 1);
	store_close(st);
	fixture_free(fx);
}
END_TEST

START_TEST(test_version_3_upgrades_in_place)
{
	struct fixture *fx = fixture_new();
	old_database(fx, 3, "INSERT INTO messages (id, direction, subject, body_text, created_at)"
	                    " VALUES (1, 'in', 'Re: FOI', 'the cost limit applies', 0),"
	                    " (2, 'out', 'FOI', 'our cost limit', 0)");
	struct store *st = open_tmp(fx);
	assert_latest(st);
	/* Mail filed before search existed is found; ours is not indexed. */
	ck_assert_int_eq(count(st, "SELECT count(*) FROM search_text"
	                           " WHERE search_text MATCH '\"cost limit\"'"), 1);
	ck_assert_int_eq(count(st, "SELECT message FROM search_text"
	                           " WHERE search_text MATCH 'cost'"), 1);
	store_close(st);
	fixture_free(fx);
}
END_TEST


START_TEST(test_version_5_upgrades_in_place)
{
	struct fixture *fx = fixture_new();
	old_database(fx, 5, "INSERT INTO meta VALUES ('kept', 'yes')");
	struct store *st = open_tmp(fx);
	assert_latest(st);
	char *err = NULL;
	ck_assert_msg(store_exec(st, &err, "INSERT INTO server_health (server, since, last,"
	                         " error, permanent) VALUES ('imap', 1, 2, 'x', 1)", NULL) == 0,
	              "%s", err);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM meta WHERE key = 'kept'"), 1);
	store_close(st);
	fixture_free(fx);
}
END_TEST

/* Version 2 kept a person's extension only as the event's text: the
 * upgrade reads the days out of it once, into the extensions table. */
START_TEST(test_version_6_extensions_upgrade_in_place)
{
	struct fixture *fx = fixture_new();
	old_database(fx, 6,
		"INSERT INTO bodies VALUES (1, 'b', 'B', 'b@b.test', NULL, NULL, '', 0, 0);"
		"INSERT INTO rounds (id, slug, kind, title, regime, ref_prefix, template_path,"
		" template, created_at) VALUES (1, 'r', 'foi', 'T', 'uk-foia', 'R', 't', 't', 0);"
		"INSERT INTO requests (id, round_id, body_id, seq, reference, created_at)"
		" VALUES (1, 1, 1, 1, 'R-001', 0);"
		"INSERT INTO events (at, request_id, type, actor, detail) VALUES"
		" (0, 1, 'request.extended', 'alice', 'days=12; agreed; by phone'),"
		" (0, 1, 'request.withdrawn', 'foictl', 'days=3; not an extension');");
	struct store *st = open_tmp(fx);
	assert_latest(st);
	/* Days granted before live in the table now, read out of the text once. */
	ck_assert_int_eq(count(st, "SELECT count(*) FROM extensions"), 1);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM extensions WHERE request_id = 1"
	                           " AND days = 12 AND actor = 'alice' AND reason = 'agreed; by phone'"), 1);
	store_close(st);
	fixture_free(fx);
}
END_TEST

/* Version 7 named a messages row "message_id" beside the RFC text of the
 * same name; the rows keep their links under message_row, and the search
 * trigger that joins attachments to messages still fires. */
START_TEST(test_version_7_message_rows_renamed)
{
	struct fixture *fx = fixture_new();
	old_database(fx, 7,
		"INSERT INTO messages (id, direction, message_id, created_at)"
		" VALUES (5, 'in', 'a@b.test', 0);"
		"INSERT INTO message_locations (mailbox, uidvalidity, uid, message_id)"
		" VALUES ('INBOX', 7, 1, 5);"
		"INSERT INTO attachments (id, message_id, part, filename, size, sha256, path)"
		" VALUES (9, 5, '2', 'a.pdf', 1, 'x', 'p');"
		"INSERT INTO events (at, message_id, type, actor) VALUES (0, 5, 't', 'a');");
	struct store *st = open_tmp(fx);
	assert_latest(st);
	ck_assert_int_eq(count(st, "SELECT message_row FROM message_locations"), 5);
	ck_assert_int_eq(count(st, "SELECT message_row FROM attachments"), 5);
	ck_assert_int_eq(count(st, "SELECT message_row FROM events"), 5);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM messages WHERE message_id = 'a@b.test'"), 1);
	char *err = NULL;
	ck_assert_msg(store_exec(st, &err, "INSERT INTO attachment_pages VALUES (9, 1, 'zebra')",
	                         NULL) == 0, "%s", err);
	ck_assert_int_eq(count(st, "SELECT message FROM search_text WHERE search_text MATCH 'zebra'"),
	                 5);
	store_close(st);
	fixture_free(fx);
}
END_TEST

/* Questions and answers of version 8 keep their rows: answers read then
 * count as sure, questions have no wording, rounds do not thank. */
START_TEST(test_version_8_survey_upgrade_in_place)
{
	struct fixture *fx = fixture_new();
	old_database(fx, 8,
		"INSERT INTO bodies VALUES (1, 'b', 'B', 'b@b.test', NULL, NULL, '', 0, 0);"
		"INSERT INTO rounds (id, slug, kind, title, regime, ref_prefix, template_path,"
		" template, created_at) VALUES (1, 's', 'survey', 'T', 'working:20', 'S', 't',"
		" 't', 0);"
		"INSERT INTO requests (id, round_id, body_id, seq, reference, created_at)"
		" VALUES (1, 1, 1, 1, 'S-001', 0);"
		"INSERT INTO questions VALUES (1, 'online', 'choice', 'yes|no', 1);"
		"INSERT INTO answers (request_id, key, value, machine, at, actor)"
		" VALUES (1, 'online', 'yes', 1, 0, 'foid');");
	struct store *st = open_tmp(fx);
	assert_latest(st);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM questions WHERE key = 'online'"
	                           " AND wording IS NULL AND synonyms IS NULL"), 1);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM answers WHERE value = 'yes'"
	                           " AND machine = 1 AND confidence IS NULL AND comment IS NULL"), 1);
	ck_assert_int_eq(count(st, "SELECT thanks FROM rounds WHERE slug = 's'"), 0);
	store_close(st);
	fixture_free(fx);
}
END_TEST

/* v10 numbers each indexed text by whose it is: a message's text by its
 * id, an attachment's page by the attachment and page.  Texts filed
 * before are all found again under the new numbers, and a page that goes
 * takes only its own text with it. */
START_TEST(test_version_9_search_rows_renumbered)
{
	struct fixture *fx = fixture_new();
	old_database(fx, 9, "INSERT INTO messages (id, direction, subject, body_text, created_at)"
	                    " VALUES (5, 'in', 'Re: FOI', 'the cost limit applies', 0);"
	                    "INSERT INTO attachments (id, message_row, part, filename, size, sha256,"
	                    " path) VALUES (3, 5, '2', 'r.pdf', 1, '', 'x');"
	                    "INSERT INTO attachment_pages VALUES (3, 1, 'zebra on page one'),"
	                    " (3, 2, 'zebra and cost on page two');");
	struct store *st = open_tmp(fx);
	assert_latest(st);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM search_text"), 3);
	ck_assert_int_eq(count(st, "SELECT rowid FROM search_text WHERE search_text MATCH 'limit'"), 5);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM search_text WHERE search_text MATCH 'zebra'"
	                           " AND rowid IN (-(3 * 4294967296 + 1), -(3 * 4294967296 + 2))"), 2);
	ck_assert_int_eq(store_exec(st, NULL, "DELETE FROM attachment_pages WHERE page = 1", NULL), 0);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM search_text WHERE search_text MATCH 'zebra'"), 1);
	ck_assert_int_eq(count(st, "SELECT page FROM search_text WHERE search_text MATCH 'cost'"
	                           " AND attachment = 3"), 2);
	/* Mail filed after the upgrade is numbered the same way. */
	ck_assert_int_eq(store_exec(st, NULL, "INSERT INTO messages (id, direction, subject, body_text,"
	                                      " created_at) VALUES (9, 'in', 'x', 'okapi', 0)", NULL), 0);
	ck_assert_int_eq(count(st, "SELECT rowid FROM search_text WHERE search_text MATCH 'okapi'"), 9);
	store_close(st);
	fixture_free(fx);
}
END_TEST

/* Version 10 indexed each message as it was inserted: those rows stay
 * searchable, once each; mail filed after the upgrade is indexed when its
 * transaction commits, and mail written outside a transaction when the
 * store is next opened. */
START_TEST(test_version_10_search_indexed_at_commit)
{
	struct fixture *fx = fixture_new();
	old_database(fx, 10, "INSERT INTO messages (id, direction, subject, body_text, created_at)"
	                    " VALUES (1, 'in', 'Re: FOI', 'the cost limit applies', 0)");
	struct store *st = open_tmp(fx);
	assert_latest(st);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM search_text WHERE search_text MATCH 'cost'"),
	                 1);
	char *err = NULL;
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_msg(store_exec(st, &err, "INSERT INTO messages (id, direction, subject, body_text,"
	                         " created_at) VALUES (2, 'in', 'Zebra', 'giraffe', 0),"
	                         " (3, 'out', 'zebra', 'ours', 0)", NULL) == 0, "%s", err);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(count(st, "SELECT message FROM search_text WHERE search_text MATCH 'zebra'"),
	                 2);
	ck_assert_int_eq(count(st, "SELECT message FROM search_text WHERE search_text MATCH"
	                           " 'giraffe'"), 2);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM search_queue"), 0);
	/* An attachment's pages are indexed under its message. */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_msg(store_exec(st, &err, "INSERT INTO attachments (id, message_row, part, filename,"
	                         " size, sha256, path) VALUES (9, 2, '2', 'a.pdf', 1, 'x', 'p')", NULL)
	              == 0, "%s", err);
	ck_assert_msg(store_exec(st, &err, "INSERT INTO attachment_pages VALUES (9, 3, 'tapir')",
	                         NULL) == 0, "%s", err);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(count(st, "SELECT message FROM search_text WHERE search_text MATCH 'tapir'"
	                           " AND attachment = 9 AND page = 3"), 2);
	/* A row written outside a transaction is indexed as it commits, and
	 * one another program left queued when the store is next opened. */
	ck_assert_msg(store_exec(st, &err, "INSERT INTO messages (id, direction, body_text,"
	                         " created_at) VALUES (4, 'in', 'okapi', 0)", NULL) == 0, "%s", err);
	ck_assert_int_eq(count(st, "SELECT message FROM search_text WHERE search_text MATCH 'okapi'"),
	                 4);
	store_close(st);
	char *path = fixture_path(fx, "foid.db");
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "INSERT INTO messages (id, direction, body_text, created_at)"
	                              " VALUES (5, 'in', 'quokka', 0)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(path);
	st = open_tmp(fx);
	ck_assert_int_eq(count(st, "SELECT message FROM search_text WHERE search_text MATCH 'quokka'"),
	                 5);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM search_text"), 5);
	ck_assert_msg(store_exec(st, &err, "DELETE FROM messages WHERE id = 2", NULL) == 0, "%s", err);
	ck_assert_int_eq(count(st, "SELECT count(*) FROM search_text WHERE search_text MATCH"
	                           " 'zebra'"), 0);
	store_close(st);
	fixture_free(fx);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
	struct fixture *fx = fixture_new();
	struct store *st = open_tmp(fx);
	ck_assert_int_eq(store_exec(st, NULL, "PRAGMA user_version = 999", NULL), 0);
	store_close(st);
	char *path = fixture_path(fx, "foid.db");
	char *err = NULL;
	st = NULL;
	ck_assert_int_lt(store_open(&st, path, &err), 0);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err, "newer"));
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_missing_row_is_notfound)
{
	struct fixture *fx = fixture_new();
	struct store *st = open_tmp(fx);
	int64_t v;
	ck_assert_int_eq(store_query_int(st, NULL, &v, "SELECT 1 FROM meta", NULL),
	                 FOID_ENOTFOUND);
	ck_assert_int_eq(store_integrity_check(st, NULL), 0);
	store_close(st);
	fixture_free(fx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_add_test(tc, test_open_migrates_to_latest);
	tcase_add_test(tc, test_reopen_keeps_data);
	tcase_add_test(tc, test_lazy_commit_then_durable_again);
	tcase_add_test(tc, test_rollback_discards);
	tcase_add_test(tc, test_query_stop_is_not_returned);
	tcase_add_test(tc, test_events_append_only);
	tcase_add_test(tc, test_version_1_upgrades_in_place);
	tcase_add_test(tc, test_version_2_upgrades_in_place);
	tcase_add_test(tc, test_version_3_upgrades_in_place);
	tcase_add_test(tc, test_version_5_upgrades_in_place);
	tcase_add_test(tc, test_version_6_extensions_upgrade_in_place);
	tcase_add_test(tc, test_version_7_message_rows_renamed);
	tcase_add_test(tc, test_version_8_survey_upgrade_in_place);
	tcase_add_test(tc, test_version_9_search_rows_renumbered);
	tcase_add_test(tc, test_version_10_search_indexed_at_commit);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_missing_row_is_notfound);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
