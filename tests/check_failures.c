/* Failures a person must act on (an untrusted certificate, a wrong host
 * name, a refused password, a missing mailbox, a refused sender) are
 * errors with what to change, a non-zero foid --once, and a line in
 * foictl status and the digest; network trouble stays a warning. */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "deadline.h"
#include "health.h"
#include "round.h"
#include "sandbox.h"
#include "smtppeer.h"
#include "testenv.h"
#include "util.h"

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

/* A foid whose IMAP server is host:port over implicit TLS, trusting the
 * test CA, with password pw; SMTP at smtp_port (0: a closed port). */
static struct testenv *tls_env(const char *host, int port, const char *pw,
                               int smtp_port)
{
	struct testenv_opts o = { 0 };
	o.imap_host = host;
	o.imap_port = port;
	o.imap_security = "tls";
	o.password = pw;
	o.smtp_port = smtp_port;
	o.team = "fail@foid.test";
	char *extra = xasprintf("ca_file = \"%s\";", sb->ca);
	o.imap_extra = extra;
	struct testenv *te = testenv_new(&o);
	free(extra);
	return te;
}

static int once(struct testenv *te, char **err)
{
	char *out = NULL;
	int rc = testenv_run(te, "foid", &out, err, "--once", NULL);
	free(out);
	return rc;
}

/* The log line of event, which must be there. */
static char *log_line(const char *log, const char *event)
{
	const char *p = strstr(log, event);
	ck_assert_msg(p, "no %s in: %s", event, log);
	while (p > log && p[-1] != '\n')
		p--;
	return xstrndup(p, strcspn(p, "\n"));
}

/* foictl status --json's entry for server, which must be there. */
static json_t *status_server(struct testenv *te, const char *round, const char *server)
{
	char *out = NULL, *err = NULL;
	int rc = round ? testenv_run(te, "foictl", &out, &err, "status", round, "--json", NULL)
	               : testenv_run(te, "foictl", &out, &err, "status", "--json", NULL);
	ck_assert_msg(rc == 0, "foictl status exited %d: %s", rc, err);
	json_error_t jerr;
	json_t *doc = json_loads(out, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", jerr.text, out);
	json_t *servers = json_object_get(doc, "servers");
	ck_assert_msg(json_is_array(servers), "%s", out);
	json_t *found = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(servers, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "server")), server) == 0)
			found = json_incref(v);
	}
	ck_assert_msg(found, "no %s in %s", server, out);
	json_decref(doc);
	free(out);
	free(err);
	return found;
}

/* The recorded failure's since-time is shown, as an ISO time (UTC here). */
static void assert_since_shown(struct testenv *te, json_t *s, const char *key,
                               int64_t t0, int64_t t1)
{
	char *sql = xasprintf("SELECT since FROM server_health WHERE server = '%s'", key);
	int64_t since = testenv_int(te, sql);
	free(sql);
	ck_assert_int_ge(since, t0);
	ck_assert_int_le(since, t1);
	char *iso = util_iso8601(since, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(s, "since")), iso);
	free(iso);
}

/* A permanent IMAP failure: an error line naming the fix, --once exits
 * with code, and foictl status --json shows it since the first run. */
static void assert_imap_permanent(struct testenv *te, int code, const char *reason,
                                  const char *fix)
{
	char *err = NULL;
	int64_t t0 = util_now();
	ck_assert_int_eq(once(te, &err), code);
	int64_t t1 = util_now();
	char *line = log_line(err, "event=imap.down");
	ck_assert_msg(strstr(line, "level=error "), "%s", line);
	ck_assert_msg(strstr(line, reason), "%s", line);
	ck_assert_msg(strstr(line, "fix=") && strstr(line, fix), "%s", line);
	ck_assert_msg(strstr(line, "retry_in="), "%s", line);
	free(line);
	free(err);
	json_t *s = status_server(te, NULL, "imap");
	ck_assert(json_is_true(json_object_get(s, "permanent")));
	ck_assert_msg(strstr(json_string_value(json_object_get(s, "error")), reason), "%s",
	              json_string_value(json_object_get(s, "error")));
	ck_assert_msg(strstr(json_string_value(json_object_get(s, "fix")), fix), "%s",
	              json_string_value(json_object_get(s, "fix")));
	assert_since_shown(te, s, "imap", t0, t1);
	json_decref(s);
	/* Failing again keeps the time it started. */
	int64_t since = testenv_int(te, "SELECT since FROM server_health WHERE server = 'imap'");
	ck_assert_int_eq(once(te, NULL), code);
	ck_assert_int_eq(testenv_int(te, "SELECT since FROM server_health WHERE server = 'imap'"),
	                 since);
	ck_assert_int_ge(testenv_int(te, "SELECT last FROM server_health WHERE server = 'imap'"),
	                 t1);
}

START_TEST(test_untrusted_certificate_is_error)
{
	struct testenv *te = tls_env(sb->imaps_selfsigned_host, sb->imaps_selfsigned_port,
	                             sb->password, 0);
	assert_imap_permanent(te, EX_CONFIG, "not trusted", "imap.ca_file");
	testenv_free(te);
}
END_TEST

START_TEST(test_wrong_host_name_is_error)
{
	struct testenv *te = tls_env(sb->imaps_wronghost_host, sb->imaps_wronghost_port,
	                             sb->password, 0);
	assert_imap_permanent(te, EX_CONFIG, "host name mismatch", "imap.host");
	testenv_free(te);
}
END_TEST

START_TEST(test_wrong_password_is_error)
{
	struct testenv *te = tls_env(sb->host, sb->imaps_port, "Wr0ng-Pa55word", 0);
	assert_imap_permanent(te, EX_NOPERM, "LOGIN", "imap.username");
	testenv_free(te);
}
END_TEST

/* A closed port is network trouble: a warning with a retry, no error, and
 * still EX_TEMPFAIL, since nothing was fetched. */
START_TEST(test_unreachable_server_is_warning)
{
	int port;
	close(peer_listen_loopback(&port));
	struct testenv_opts o = { 0 };
	o.imap_port = port;
	struct testenv *te = testenv_new(&o);
	char *err = NULL;
	int64_t t0 = util_now();
	ck_assert_int_eq(once(te, &err), EX_TEMPFAIL);
	int64_t t1 = util_now();
	char *line = log_line(err, "event=imap.down");
	ck_assert_msg(strstr(line, "level=warn "), "%s", line);
	ck_assert_msg(strstr(line, "cannot connect"), "%s", line);
	ck_assert_msg(strstr(line, "retry_in=1"), "%s", line);
	ck_assert_msg(!strstr(line, "fix="), "%s", line);
	ck_assert_msg(!strstr(err, "level=error"), "%s", err);
	free(line);
	free(err);
	json_t *s = status_server(te, NULL, "imap");
	ck_assert(json_is_false(json_object_get(s, "permanent")));
	ck_assert(json_is_null(json_object_get(s, "fix")));
	assert_since_shown(te, s, "imap", t0, t1);
	json_decref(s);
	testenv_free(te);
}
END_TEST

/* Waits until foid's log holds n lines with what. */
static char *log_wait_n(struct testenv *te, const char *what, int n)
{
	char *log = fixture_path(te->fx, "foid.log");
	char *text = NULL;
	int seen = 0;
	for (int i = 0; i < 1000 && seen < n; i++) {
		free(text);
		text = NULL;
		seen = 0;
		if (util_read_file(log, &text, NULL, NULL) == 0)
			for (const char *p = text; (p = strstr(p, what)); p++)
				seen++;
		if (seen < n)
			nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	free(log);
	ck_assert_msg(seen >= n, "%d of %d %s in: %s", seen, n, what, text ? text : "");
	return text;
}

/* The service does not give up on a permanent failure: it tries again,
 * waiting longer each time, and works once the server does. */
START_TEST(test_service_retries_with_backoff)
{
	struct testenv *te = tls_env(sb->imaps_selfsigned_host, sb->imaps_selfsigned_port,
	                             sb->password, 0);
	int pid = testenv_start_foid(te);
	char *text = log_wait_n(te, "level=error event=imap.down", 2);
	ck_assert_msg(strstr(text, "retry_in=1\n") && strstr(text, "retry_in=2\n"), "%s", text);
	free(text);
	ck_assert_int_eq(fixture_stop(pid, SIGTERM), 0);
	testenv_free(te);
}
END_TEST

START_TEST(test_missing_mailbox_is_error)
{
	struct testenv_opts o = { 0 };
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = "nobox@foid.test";
	o.imap_extra = "mailboxes = [\"INBOX\", \"Nowhere\"];";
	struct testenv *te = testenv_new(&o);
	char *err = NULL;
	int rc = once(te, &err);
	ck_assert_msg(rc == EX_CONFIG, "foid --once exited %d: %s", rc, err);
	char *line = log_line(err, "event=ingest.failed");
	ck_assert_msg(strstr(line, "level=error ") && strstr(line, "mailbox=Nowhere"), "%s", line);
	ck_assert_msg(strstr(line, "fix=") && strstr(line, "imap.mailboxes"), "%s", line);
	free(line);
	free(err);
	json_t *s = status_server(te, NULL, "imap:Nowhere");
	ck_assert(json_is_true(json_object_get(s, "permanent")));
	json_decref(s);
	/* The server itself works: nothing recorded against it. */
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM server_health WHERE server = 'imap'"),
	                 0);
	testenv_free(te);
}
END_TEST

/* An SMTP server that refuses our sender (5xx to MAIL FROM) refuses every
 * message: the server's fault, shown; the message waits, not failed. */
START_TEST(test_refused_sender_is_error)
{
	struct peer p = { .mail_always = "553 5.7.1 <fail@foid.test>: Sender address rejected" };
	peer_start(&p);
	struct testenv_opts o = { 0 };
	o.smtp_port = p.port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = "sender@foid.test";
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, "name,short_name,email\nA,a,foi@a.sender.test\n");
	struct round_new rn = { .slug = "s", .kind = "foi", .template_path = "foi-request.txt",
	                        .title = "T" };
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n;
	ck_assert_int_eq(round_create(te->st, te->cfg, &rn, &out, &err), 0);
	ck_assert_int_eq(round_launch(te->st, te->cfg, "s", &n, &out, &err), 0);
	char *log = NULL;
	ck_assert_int_eq(once(te, &log), EX_NOPERM);
	char *line = log_line(log, "event=send.server");
	ck_assert_msg(strstr(line, "level=error ") && strstr(line, "553 5.7.1"), "%s", line);
	ck_assert_msg(strstr(line, "fix=") && strstr(line, "team.address"), "%s", line);
	ck_assert_msg(strstr(line, "retry_in="), "%s", line);
	free(line);
	free(log);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE send_state = 'queued'"
	                                 " AND attempts = 0"), 1);
	json_t *s = status_server(te, "s", "smtp");
	ck_assert(json_is_true(json_object_get(s, "permanent")));
	ck_assert_msg(strstr(json_string_value(json_object_get(s, "error")), "MAIL FROM refused"),
	              "%s", json_string_value(json_object_get(s, "error")));
	json_decref(s);
	/* The table says it too, before the requests. */
	char *table = NULL, *e2 = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &table, &e2, "status", "s", NULL), 0);
	ck_assert_msg(strstr(table, "SMTP failing since ") && strstr(table, "fix: "), "%s", table);
	free(table);
	free(e2);
	peer_stop(&p, NULL);
	ck_assert_int_eq(p.rcpts, 0);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

/* A failure keeps the time it began; only another reason is news. */
START_TEST(test_health_keeps_first_failure)
{
	struct testenv *te = testenv_new(NULL);
	char *err = NULL;
	int is_new = -1;
	ck_assert_int_eq(health_fail(te->st, "imap:X", HEALTH_MAILBOX, "NO (0.001 secs)", "f",
	                             100, &is_new, &err), 0);
	ck_assert_int_eq(is_new, 1);
	/* Servers put timings in their text: the same failure all the same. */
	ck_assert_int_eq(health_fail(te->st, "imap:X", HEALTH_MAILBOX, "NO (0.002 secs)", "f",
	                             200, &is_new, &err), 0);
	ck_assert_int_eq(is_new, 0);
	ck_assert_int_eq(testenv_int(te, "SELECT since FROM server_health"), 100);
	ck_assert_int_eq(testenv_int(te, "SELECT last FROM server_health"), 200);
	ck_assert_int_eq(health_fail(te->st, "imap:X", HEALTH_TEMP, "timed out", NULL,
	                             300, &is_new, &err), 0);
	ck_assert_int_eq(is_new, 1);
	ck_assert_int_eq(testenv_int(te, "SELECT permanent FROM server_health"), 0);
	ck_assert_int_eq(health_ok(te->st, "imap:X", &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM server_health"), 0);
	free(err);
	testenv_free(te);
}
END_TEST

/* A mailbox taken out of the config takes its failure with it. */
START_TEST(test_removed_mailbox_forgotten)
{
	struct testenv *te = testenv_new(NULL);
	char *err = NULL;
	ck_assert_int_eq(health_fail(te->st, "imap", HEALTH_TEMP, "x", NULL, 1, NULL, &err), 0);
	ck_assert_int_eq(health_fail(te->st, "imap:Kept", HEALTH_MAILBOX, "x", "f", 1, NULL,
	                             &err), 0);
	ck_assert_int_eq(health_fail(te->st, "imap:Gone", HEALTH_MAILBOX, "x", "f", 1, NULL,
	                             &err), 0);
	char *const boxes[] = { "INBOX", "Kept", NULL };
	ck_assert_int_eq(health_keep_mailboxes(te->st, boxes, &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM server_health WHERE server"
	                                 " IN ('imap', 'imap:Kept')"), 2);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM server_health"), 2);
	free(err);
	testenv_free(te);
}
END_TEST

/* The digest tells the team what foid cannot use, with the fix. */
START_TEST(test_digest_shows_failing_server)
{
	struct testenv_opts o = { 0 };
	o.team_extra = "digest_address = \"digest@uni.test\"; digest_time = \"08:00\";";
	struct testenv *te = testenv_new(&o);
	char *err = NULL;
	char *fix = health_fix("imap", HEALTH_TLS_TRUST);
	ck_assert_int_eq(health_fail(te->st, "imap", HEALTH_TLS_TRUST,
	                             "IMAP x:993: TLS: certificate of x not trusted: signer not found",
	                             fix, 1467619200, NULL, &err), 0);
	struct holidays *h = NULL;
	char *dir = xasprintf("%s/data/holidays", fixture_srcdir());
	ck_assert_msg(holidays_load(dir, &h, &err) == 0, "%s", err);
	struct buf text = BUF_INIT;
	int queued = 0;
	/* Monday 4 July 2016, 12:00 UTC: a working day, after digest_time. */
	ck_assert_msg(digest_pass(te->st, te->cfg, h, 1467633600, &queued, &text, &err) == 0,
	              "%s", err);
	ck_assert_int_eq(queued, 1);
	ck_assert_msg(text.data && strstr(text.data, "Servers foid cannot use:"), "%s", text.data);
	ck_assert_msg(strstr(text.data, "IMAP failing since 2016-07-04T"), "%s", text.data);
	ck_assert_msg(strstr(text.data, "not trusted"), "%s", text.data);
	ck_assert_msg(strstr(text.data, fix), "%s", text.data);
	/* Once the server works again its failure is forgotten. */
	ck_assert_int_eq(health_ok(te->st, "imap", &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM server_health"), 0);
	buf_free(&text);
	holidays_free(h);
	free(dir);
	free(fix);
	free(err);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("failures");
	TCase *unit = tcase_create("unit");
	tcase_add_test(unit, test_health_keeps_first_failure);
	tcase_add_test(unit, test_removed_mailbox_forgotten);
	tcase_add_test(unit, test_digest_shows_failing_server);
	suite_add_tcase(s, unit);
	TCase *tc = tcase_create("failures");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_untrusted_certificate_is_error);
	tcase_add_test(tc, test_wrong_host_name_is_error);
	tcase_add_test(tc, test_wrong_password_is_error);
	tcase_add_test(tc, test_unreachable_server_is_warning);
	tcase_add_test(tc, test_service_retries_with_backoff);
	tcase_add_test(tc, test_missing_mailbox_is_error);
	tcase_add_test(tc, test_refused_sender_is_error);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
