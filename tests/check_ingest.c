/* Ingestion through the real path: mail in Dovecot, foid fetches, parses
 * and stores it. */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sandbox.h"
#include "smtppeer.h"
#include "testenv.h"
#include "util.h"

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

/* Options for team's foid against the sandbox. */
static struct testenv_opts opts(const char *team)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = team;
	return o;
}

static struct testenv *env(const char *team, const char *extra)
{
	struct testenv_opts o = opts(team);
	o.extra = extra;
	return testenv_new(&o);
}

/* foid.log (of a service run) holds what. */
static void assert_logged(struct testenv *te, const char *what)
{
	char *log = fixture_path(te->fx, "foid.log"), *text = NULL;
	ck_assert_int_eq(util_read_file(log, &text, NULL, NULL), 0);
	ck_assert_msg(strstr(text, what), "no %s in: %s", what, text);
	free(text);
	free(log);
}

static void once(struct testenv *te)
{
	char *out = NULL, *err = NULL;
	int rc = testenv_run(te, "foid", &out, &err, "--once", NULL);
	ck_assert_msg(rc == 0, "foid --once exited %d: %.2000s", rc, err);
	free(out);
	free(err);
}

static void append(const char *user, const char *raw, const char *date)
{
	char *err = NULL;
	ck_assert_msg(sandbox_append(sb, user, "INBOX", raw, strlen(raw), date, &err) == 0,
	              "%s", err);
}

static const char reply_with_attachment[] =
	"From: FOI Officer <foi@cumbria.council.test>\r\n"
	"To: research@uni.test\r\n"
	"Subject: =?utf-8?q?RE=3A_Freedom_of_Information_request_FOI-STP16-030_=E2=80=93?=\r\n"
	" =?utf-8?q?_response?=\r\n"
	"Message-ID: <reply-1@cumbria.council.test>\r\n"
	"In-Reply-To: <foid.1.abc@uni.test>\r\n"
	"Date: Mon, 1 Aug 2016 09:00:00 +0100\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"Please find attached our response. Cost: =A3450.\r\n"
	"--b1\r\n"
	"Content-Type: text/csv; name=\"../../../etc/passwd\"\r\n"
	"Content-Disposition: attachment; filename=\"../../../etc/passwd\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"eWVhcixjb21wbGFpbnRzCjIwMTUsNDIK\r\n"
	"--b1--\r\n";

START_TEST(test_stores_internaldate_parts_attachments_once)
{
	struct testenv *te = env("in1@uni.test", NULL);
	append("in1@uni.test", reply_with_attachment, "01-Aug-2016 23:30:00 +0000");
	once(te);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'in'"), 1);
	/* 2016-08-01T23:30:00Z: the server's arrival time, not the Date header. */
	ck_assert_int_eq(testenv_int(te, "SELECT internaldate FROM messages"), 1470094200);
	ck_assert_int_eq(testenv_int(te,
		"SELECT subject = 'RE: Freedom of Information request FOI-STP16-030 – response'"
		" AND from_addr = 'foi@cumbria.council.test'"
		" AND message_id = 'reply-1@cumbria.council.test'"
		" AND in_reply_to = 'foid.1.abc@uni.test'"
		" AND instr(body_text, 'Cost: £450.') > 0 AND parse_status = 'ok'"
		" AND length(raw_sha256) = 64 FROM messages"), 1);
	ck_assert_int_eq(testenv_int(te,
		"SELECT count(*) FROM attachments WHERE size = 24 AND content_type = 'text/csv'"
		" AND instr(filename, '/') = 0 AND instr(filename, '..') = 0"
		" AND path LIKE 'att/%'"), 1);
	/* The attachment's bytes are where the row says, inside storage_dir. */
	char *path = NULL;
	ck_assert_int_eq(store_query_text(te->st, NULL, &path,
	                                  "SELECT path FROM attachments", NULL), 0);
	char *full = xasprintf("%s/%s", te->cfg->storage_dir, path);
	char *data = NULL;
	size_t len = 0;
	ck_assert_int_eq(util_read_file(full, &data, &len, NULL), 0);
	ck_assert_int_eq(len, 24);
	ck_assert_int_eq(memcmp(data, "year,complaints\n2015,42\n", 24), 0);
	/* The raw message is kept byte for byte. */
	char *raw_path = NULL, *raw = NULL;
	ck_assert_int_eq(store_query_text(te->st, NULL, &raw_path,
	                                  "SELECT raw_path FROM messages", NULL), 0);
	char *raw_full = xasprintf("%s/%s", te->cfg->storage_dir, raw_path);
	ck_assert_int_eq(util_read_file(raw_full, &raw, &len, NULL), 0);
	ck_assert_int_eq(len, strlen(reply_with_attachment));
	ck_assert_int_eq(memcmp(raw, reply_with_attachment, len), 0);
	/* Flagged processed on the server; a second pass stores nothing. */
	char *err = NULL;
	char *flags = sandbox_imap(sb, "in1@uni.test", "INBOX", "FETCH 1 FLAGS", &err);
	ck_assert_msg(flags && strstr(flags, "$FoidSeen"), "%s", flags ? flags : err);
	once(te);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM attachments"), 1);
	free(flags);
	free(err);
	free(raw);
	free(raw_full);
	free(raw_path);
	free(data);
	free(full);
	free(path);
	testenv_free(te);
}
END_TEST

/* With two mailboxes, foid idles on the first and looks at the other with
 * STATUS when nothing is new there; mail that arrives there is still
 * filed on the next pass (here woken by mail to the first). */
START_TEST(test_second_mailbox_quiet_then_new)
{
	struct testenv_opts o = opts("in9@uni.test");
	o.imap_extra = "mailboxes = [ \"INBOX\", \"Replies\" ];";
	struct testenv *te = testenv_new(&o);
	char *err = NULL;
	const char *msgs[] = {
		"Subject: one\r\nMessage-ID: <one@x.test>\r\n\r\n.\r\n",
		"Subject: wake\r\nMessage-ID: <wake@x.test>\r\n\r\n.\r\n",
		"Subject: two\r\nMessage-ID: <two@x.test>\r\n\r\n.\r\n",
		"Subject: wake 2\r\nMessage-ID: <wake2@x.test>\r\n\r\n.\r\n",
	};
	const char *box[] = { "Replies", "INBOX", "Replies", "INBOX" };
	ck_assert_msg(sandbox_append(sb, "in9@uni.test", box[0], msgs[0], strlen(msgs[0]), NULL,
	                             &err) == 0, "%s", err);
	int pid = testenv_start_foid(te);
	ck_assert_int_eq(testenv_wait_int(te, "SELECT count(*) FROM messages", 1, 30), 1);
	for (int i = 1; i < 4; i++) {
		ck_assert_msg(sandbox_append(sb, "in9@uni.test", box[i], msgs[i], strlen(msgs[i]),
		                             NULL, &err) == 0, "%s", err);
		if (i != 2)
			ck_assert_int_eq(testenv_wait_int(te, "SELECT count(*) FROM messages", i + 1,
			                                  30), i + 1);
	}
	ck_assert_int_eq(fixture_stop(pid, SIGTERM), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM message_locations"
	                                 " WHERE mailbox = 'Replies' AND flagged = 1"), 2);
	assert_logged(te, "event=ingest.quiet mailbox=Replies");
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_uidvalidity_change_duplicates_nothing)
{
	struct testenv *te = env("in2@uni.test", NULL);
	append("in2@uni.test", "Subject: one\r\nMessage-ID: <one@x.test>\r\n\r\nbody 1\r\n", NULL);
	append("in2@uni.test", "Subject: two\r\nMessage-ID: <two@x.test>\r\n\r\nbody 2\r\n", NULL);
	once(te);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages"), 2);
	int64_t old = testenv_int(te, "SELECT uidvalidity FROM mailbox_state");
	char *cmd = xasprintf("doveadm -c %s mailbox update -u in2@uni.test --uid-validity %lld INBOX",
	                      sb->dovecot_conf, (long long)old + 1000);
	ck_assert_int_eq(system(cmd), 0);
	append("in2@uni.test", "Subject: three\r\nMessage-ID: <three@x.test>\r\n\r\nbody 3\r\n", NULL);
	once(te);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages"), 3);
	ck_assert_int_eq(testenv_int(te, "SELECT uidvalidity FROM mailbox_state"), old + 1000);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM events WHERE type = 'mailbox.resync'"), 1);
	/* Both old and new locations are remembered. */
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM message_locations"), 5);
	free(cmd);
	testenv_free(te);
}
END_TEST

START_TEST(test_over_limit_is_stored_raw_with_reason)
{
	struct testenv *te = env("in3@uni.test", "limits = { max_message_size = 2048; };");
	struct buf big = BUF_INIT;
	buf_adds(&big, "Subject: big\r\nMessage-ID: <big@x.test>\r\n\r\n");
	for (int i = 0; i < 100; i++)
		buf_adds(&big, "0123456789012345678901234567890123456789\r\n");
	append("in3@uni.test", big.data, NULL);
	once(te);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE parse_status = 'limit'"
	                                 " AND parse_error IS NOT NULL AND raw_size > 2048"), 1);
	buf_free(&big);
	testenv_free(te);
}
END_TEST

START_TEST(test_idle_service_stores_delivered_mail)
{
	struct testenv *te = env("in4@uni.test", NULL);
	int pid = testenv_start_foid(te);
	/* foid has selected INBOX and entered IDLE once its state row exists
	 * and it has logged the wait; deliver through OpenSMTPD then. */
	append("in4@uni.test", "Subject: warm-up\r\nMessage-ID: <w@x.test>\r\n\r\nhi\r\n", NULL);
	ck_assert_int_eq(testenv_wait_int(te, "SELECT count(*) FROM messages", 1, 30), 1);
	char *err = NULL;
	ck_assert_msg(sandbox_send(sb, SANDBOX_SMTP_PLAIN, "foi@kent.council.test", "in4@uni.test",
	                           "Subject: Re: FOI-STP16-064\r\nMessage-ID: <k@kent.test>\r\n\r\n"
	                           "Acknowledged.\r\n", &err) == 0, "%s", err);
	ck_assert_int_eq(testenv_wait_int(te, "SELECT count(*) FROM messages", 2, 30), 2);
	ck_assert_int_eq(fixture_stop(pid, SIGTERM), 0);
	assert_logged(te, "event=imap.idle.wake");
	assert_logged(te, "event=stop");
	free(err);
	testenv_free(te);
}
END_TEST

static void reply_during_send(void *arg)
{
	(void)arg;
	append("in8@uni.test", "Subject: Re: your request\r\nMessage-ID: <busy@x.test>\r\n\r\n"
	       "Received, thank you.\r\n", NULL);
}

/* A reply that lands while foid sends (after its look at the mailbox, before
 * it idles) is told of by the server's answer to the next command, not by
 * IDLE: foid must take it then rather than wait for its next tick. */
START_TEST(test_mail_during_send_is_not_left_for_the_next_tick)
{
	struct peer p = { 0 };
	p.on_data = reply_during_send;
	peer_start(&p);
	struct testenv_opts o = opts("in8@uni.test");
	o.smtp_port = p.port;
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, "name,short_name,email\nOne Council,one,foi@one.test\n");
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "create", "busy",
	                             "--kind", "foi", "--template", "foi-request.txt", NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "launch", "busy", NULL), 0);
	int pid = testenv_start_foid(te);
	ck_assert_int_eq(testenv_wait_int(te, "SELECT count(*) FROM messages WHERE"
	                                  " message_id = 'busy@x.test'", 1, 30), 1);
	ck_assert_int_eq(fixture_stop(pid, SIGTERM), 0);
	ck_assert_int_eq(p.accepted, 1);
	assert_logged(te, "event=imap.news");
	free(out);
	free(err);
	testenv_free(te);
	peer_stop(&p, NULL);
}
END_TEST

START_TEST(test_dovecot_restart_reconnects_and_catches_up)
{
	struct testenv *te = env("in5@uni.test", NULL);
	int pid = testenv_start_foid(te);
	append("in5@uni.test", "Subject: before\r\nMessage-ID: <b@x.test>\r\n\r\n.\r\n", NULL);
	ck_assert_int_eq(testenv_wait_int(te, "SELECT count(*) FROM messages", 1, 30), 1);
	char *cmd = xasprintf("bash %s/scripts/sandbox.sh dovecot-down %s", fixture_srcdir(),
	                      sb->dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	cmd = xasprintf("bash %s/scripts/sandbox.sh dovecot-up %s", fixture_srcdir(), sb->dir);
	ck_assert_int_eq(system(cmd), 0);
	/* Dovecot answers again once an append succeeds. */
	char *err = NULL;
	int tries = 0;
	const char during[] = "Subject: while away\r\nMessage-ID: <a@x.test>\r\n\r\n.\r\n";
	while (sandbox_append(sb, "in5@uni.test", "INBOX", during, strlen(during), NULL, &err) != 0
	       && tries++ < 100) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	ck_assert_int_eq(testenv_wait_int(te, "SELECT count(*) FROM messages", 2, 60), 2);
	ck_assert_int_eq(fixture_stop(pid, SIGTERM), 0);
	/* The server's BYE is met by a reconnect at once (said at info); a
	 * reconnect that finds it still down is a warning. */
	char *log = fixture_path(te->fx, "foid.log"), *text = NULL;
	ck_assert_int_eq(util_read_file(log, &text, NULL, NULL), 0);
	ck_assert_msg(strstr(text, "event=imap.reconnect reason=bye") ||
	              strstr(text, "event=imap.down"), "no reconnect in: %s", text);
	free(text);
	free(log);
	free(err);
	free(cmd);
	testenv_free(te);
}
END_TEST

/* Every corpus message through APPEND and foid: none lost, none crashes. */
START_TEST(test_corpus_through_the_real_path)
{
	struct testenv *te = env("corpus@uni.test", NULL);
	static const char *const dirs[] = { "bounces", "autoreplies", "mime", "replies" };
	int n = 0;
	for (size_t d = 0; d < 4; d++) {
		char *dir = xasprintf("%s/tests/corpus/%s", fixture_srcdir(), dirs[d]);
		DIR *dp = opendir(dir);
		ck_assert_ptr_nonnull(dp);
		struct dirent *e;
		while ((e = readdir(dp))) {
			size_t l = strlen(e->d_name);
			if (l < 5 || strcmp(e->d_name + l - 4, ".eml") != 0)
				continue;
			char *p = xasprintf("%s/%s", dir, e->d_name), *raw = NULL;
			size_t len = 0;
			char *err = NULL;
			ck_assert_int_eq(util_read_file(p, &raw, &len, NULL), 0);
			ck_assert_msg(sandbox_append(sb, "corpus@uni.test", "INBOX", raw, len, NULL,
			                             &err) == 0, "%s: %s", p, err);
			n++;
			free(raw);
			free(p);
		}
		closedir(dp);
		free(dir);
	}
	ck_assert_int_gt(n, 100);
	once(te);
	/* Each appended message has a location; identical copies share a row. */
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM message_locations"), n);
	ck_assert_int_eq(testenv_int(te, "SELECT last_uid FROM mailbox_state"), n);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE body_text IS NULL"
	                                 " AND parse_status != 'failed'"), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM attachments"
	                                 " WHERE instr(filename, '/') > 0"), 0);
	/* A sample decoded on the way: charsets, a Mac-line-ended bounce. */
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE subject ="
		" 'RE: Freedom of Information request - Sasia e pulave të importuara gjatë vitit 2010'"
		" AND instr(body_text, 'Faleminderit per kerkesen tënde.') > 0"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE body_text = '스티해'"), 1);
	ck_assert_int_ge(testenv_int(te, "SELECT count(*) FROM messages WHERE subject ="
		" 'Mail delivery failed: returning message to sender'"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages"
		" WHERE body_text = 'Information Governance' || char(160) || 'Unit'"), 1);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_stores_internaldate_parts_attachments_once);
	tcase_add_test(tc, test_uidvalidity_change_duplicates_nothing);
	tcase_add_test(tc, test_second_mailbox_quiet_then_new);
	tcase_add_test(tc, test_over_limit_is_stored_raw_with_reason);
	tcase_add_test(tc, test_idle_service_stores_delivered_mail);
	tcase_add_test(tc, test_mail_during_send_is_not_left_for_the_next_tick);
	tcase_add_test(tc, test_corpus_through_the_real_path);
	suite_add_tcase(s, tc);
	TCase *restart = tcase_create("restart");
	tcase_set_timeout(restart, 180);
	tcase_add_unchecked_fixture(restart, sb_up, sb_down);
	tcase_add_test(restart, test_dovecot_restart_reconnects_and_catches_up);
	suite_add_tcase(s, restart);
	return fixture_run(s);
}
