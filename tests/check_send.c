/* The sender against the real sandbox: every request delivered exactly
 * once, with proof, even when foid is killed at any point. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "round.h"
#include "sandbox.h"
#include "send.h"
#include "smtppeer.h"
#include "testenv.h"
#include "util.h"

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

static struct testenv *env(const char *team)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = team;
	return testenv_new(&o);
}

static void create_and_launch(struct testenv *te, const char *slug, const char *bodies)
{
	struct round_new rn = { 0 };
	rn.slug = slug;
	rn.kind = "foi";
	rn.template_path = "foi-request.txt";
	rn.bodies = bodies;
	rn.title = "Test";
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n = 0;
	ck_assert_msg(round_create(te->st, te->cfg, &rn, &out, &err) == 0, "%s", err);
	ck_assert_msg(round_launch(te->st, te->cfg, slug, &n, &out, &err) == 0, "%s", err);
	buf_free(&out);
}

static int foid_once(struct testenv *te, const char *crash_at, int after)
{
	char n[16];
	snprintf(n, sizeof n, "%d", after);
	if (crash_at) {
		setenv("FOID_CRASH_AT", crash_at, 1);
		setenv("FOID_CRASH_AFTER", n, 1);
	}
	char *out = NULL, *err = NULL;
	int rc = testenv_run(te, "foid", &out, &err, "--once", NULL);
	unsetenv("FOID_CRASH_AT");
	unsetenv("FOID_CRASH_AFTER");
	if (!crash_at)
		ck_assert_msg(rc == 0, "foid --once exited %d: %s", rc, err);
	free(out);
	free(err);
	return rc;
}

/* The references and addresses of a round's requests in a given state. */
struct req { char *ref, *email, *delivery; };
static int req_cb(const struct store_row *row, void *arg)
{
	struct req **v = ((void **)arg)[0];
	size_t *n = ((void **)arg)[1];
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[*n].ref = xstrdup(store_row_text(row, 0));
	(*v)[*n].email = xstrdup(store_row_text(row, 1));
	(*v)[*n].delivery = xstrdup(store_row_text(row, 2));
	(*n)++;
	return 0;
}

static size_t requests(struct testenv *te, struct req **v)
{
	size_t n = 0;
	void *arg[2] = { v, &n };
	*v = NULL;
	ck_assert_int_eq(store_query(te->st, NULL, req_cb, arg,
		"SELECT q.reference, b.email, q.delivery FROM requests q"
		" JOIN bodies b ON b.id = q.body_id ORDER BY q.seq", NULL), 0);
	return n;
}

static void requests_free(struct req *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].ref);
		free(v[i].email);
		free(v[i].delivery);
	}
	free(v);
}

START_TEST(test_155_round_delivered_once_with_proof)
{
	struct testenv *te = env("research@uni.test");
	testenv_bodies(te, NULL);
	create_and_launch(te, "stp16", NULL);
	foid_once(te, NULL, 0);
	ck_assert_int_eq(testenv_int(te,
		"SELECT count(*) FROM requests WHERE delivery = 'sent'"
		" AND delivery_detail LIKE '250 %' AND due_date IS NOT NULL"), 155);
	struct req *v;
	size_t n = requests(te, &v);
	ck_assert_int_eq(n, 155);
	char *err = NULL;
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(sandbox_wait_count(sb, v[i].email, "INBOX", 1, 30, &err) == 0,
		              "%s: %s", v[i].email, err);
		ck_assert_int_eq(sandbox_count(sb, v[i].email, "INBOX", &err), 1);
		size_t len = 0;
		char *raw = sandbox_fetch(sb, v[i].email, "INBOX", 1, &len, &err);
		ck_assert_msg(raw, "%s", err);
		char *subject = xasprintf("Subject: Freedom of Information request %s:", v[i].ref);
		ck_assert_msg(strstr(raw, subject), "%s lacks %s", v[i].email, subject);
		char *greeting = xasprintf("X-Foid-Reference: %s\r\n", v[i].ref);
		ck_assert_ptr_nonnull(strstr(raw, greeting));
		free(greeting);
		free(subject);
		free(raw);
	}
	/* Nothing more goes out on another pass. */
	foid_once(te, NULL, 0);
	ck_assert_int_eq(testenv_int(te, "SELECT sum(attempts) FROM messages WHERE direction = 'out'"), 155);
	requests_free(v, n);
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_paused_round_sends_nothing)
{
	struct testenv *te = env("paused@uni.test");
	testenv_bodies(te, "name,short_name,email\nPaused Council,paused,foi@paused.test\n");
	create_and_launch(te, "p1", NULL);
	char *err = NULL;
	ck_assert_int_eq(round_set_paused(te->st, "p1", 1, &err), 0);
	foid_once(te, NULL, 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE send_state = 'queued'"), 1);
	ck_assert_int_eq(round_set_paused(te->st, "p1", 0, &err), 0);
	foid_once(te, NULL, 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE send_state = 'sent'"), 1);
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@paused.test", "INBOX", 1, 30, &err), 0);
	free(err);
	testenv_free(te);
}
END_TEST

/* Kill points: after the message is marked sending (not yet handed over),
 * after the server accepted it (not yet recorded), and after received mail
 * is committed (not yet flagged).  Each run resumes where the last one
 * died, so the positions add up to less than the 155 requests. */
static const struct { const char *at; int after; } kills[] = {
	{ "send.marked", 1 }, { "send.accepted", 1 }, { "send.marked", 2 },
	{ "send.accepted", 3 }, { "send.marked", 5 }, { "send.accepted", 8 },
	{ "send.marked", 13 }, { "send.accepted", 21 }, { "send.marked", 30 },
	{ "send.accepted", 34 }, { "send.marked", 20 },
	/* Last: a pass sends everything due before it files mail. */
	{ "ingest.committed", 1 },
};
#define NKILLS ((int)(sizeof kills / sizeof kills[0]))

START_TEST(test_sigkill_never_duplicates_or_loses)
{
	struct testenv *te = env("crash@uni.test");
	testenv_bodies(te, NULL);
	create_and_launch(te, "crash", NULL);
	int killed = 0, marked_kills = 0;
	for (size_t k = 0; k < sizeof kills / sizeof kills[0]; k++) {
		int rc = foid_once(te, kills[k].at, kills[k].after);
		if (rc == 128 + 9) {
			killed++;
			if (strcmp(kills[k].at, "send.marked") == 0)
				marked_kills++;
		} else {
			ck_assert_msg(rc == 0, "foid exited %d", rc);
		}
	}
	ck_assert_int_eq(killed, NKILLS);
	foid_once(te, NULL, 0);
	ck_assert_int_eq(testenv_int(te,
		"SELECT count(*) FROM messages WHERE send_state IN ('queued', 'sending')"), 0);
	/* Our Bcc copies come back to the team; once they are all in, a pass
	 * settles every send whose outcome the kills left unknown. */
	int64_t handed = testenv_int(te, "SELECT count(*) FROM messages WHERE attempts > 0"
	                                 " AND send_state IN ('sent', 'unconfirmed')") - marked_kills;
	char *err = NULL;
	ck_assert_msg(sandbox_wait_count(sb, "crash@uni.test", "INBOX", (int)handed, 60, &err) == 0,
	              "%s", err);
	foid_once(te, NULL, 0);
	struct req *v;
	size_t n = requests(te, &v);
	int sent = 0, unconfirmed = 0;
	for (size_t i = 0; i < n; i++) {
		int copies = sandbox_count(sb, v[i].email, "INBOX", &err);
		if (strcmp(v[i].delivery, "sent") == 0) {
			sent++;
			ck_assert_int_eq(sandbox_wait_count(sb, v[i].email, "INBOX", 1, 30, &err), 0);
			ck_assert_msg(sandbox_count(sb, v[i].email, "INBOX", &err) == 1,
			              "%s has %d copies", v[i].email, copies);
		} else {
			ck_assert_str_eq(v[i].delivery, "unconfirmed");
			ck_assert_msg(copies == 0, "%s unconfirmed but delivered", v[i].email);
			unconfirmed++;
		}
	}
	/* Each kill before hand-over leaves one request unconfirmed (never
	 * resent by itself); each kill after it is settled by the copy. */
	ck_assert_int_eq(unconfirmed, marked_kills);
	ck_assert_int_eq(sent + unconfirmed, 155);
	ck_assert_int_eq(testenv_int(te,
		"SELECT count(*) FROM messages WHERE smtp_reply LIKE 'our copy arrived%'"
		" OR smtp_reply LIKE 'copy found in%'"), killed - marked_kills - 1);
	/* A person sees them, and settles one by sending it again. */
	char *out = NULL, *serr = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &serr, "status", "crash", NULL), 0);
	char *want = xasprintf("%d unconfirmed", marked_kills);
	ck_assert_msg(strstr(out, want), "%s", out);
	ck_assert_msg(strstr(out, "foictl confirm crash SHORT_NAME --sent | --resend"), "%s", out);
	free(want);
	free(out);
	free(serr);
	size_t u = 0;
	while (strcmp(v[u].delivery, "unconfirmed") != 0)
		u++;
	char *short_name = NULL;
	char *q = xasprintf("SELECT b.short_name FROM requests r JOIN bodies b"
	                    " ON b.id = r.body_id WHERE r.reference = '%s'", v[u].ref);
	ck_assert_int_eq(store_query_text(te->st, NULL, &short_name, q, NULL), 0);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &serr, "confirm", "crash",
	                             short_name, "--resend", NULL), 0);
	free(out);
	free(serr);
	foid_once(te, NULL, 0);
	ck_assert_int_eq(sandbox_wait_count(sb, v[u].email, "INBOX", 1, 30, &err), 0);
	ck_assert_int_eq(sandbox_count(sb, v[u].email, "INBOX", &err), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests WHERE delivery = 'unconfirmed'"),
	                 marked_kills - 1);
	free(q);
	free(short_name);
	requests_free(v, n);
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_550_marks_request_failed_with_text)
{
	struct testenv *te = env("reject@uni.test");
	testenv_bodies(te, "name,short_name,email\nGood Council,good,foi@good.test\n"
	                   "Bad Council,bad,reject550@bad.test\n");
	create_and_launch(te, "r550", NULL);
	foid_once(te, NULL, 0);
	ck_assert_int_eq(testenv_int(te,
		"SELECT count(*) FROM requests q JOIN bodies b ON b.id = q.body_id"
		" WHERE b.short_name = 'bad' AND q.delivery = 'failed'"
		" AND q.delivery_detail LIKE '55%'"), 1);
	ck_assert_int_eq(testenv_int(te,
		"SELECT count(*) FROM requests WHERE delivery = 'sent'"), 1);
	ck_assert_int_eq(testenv_int(te,
		"SELECT count(*) FROM events WHERE type = 'request.failed'"), 1);
	testenv_free(te);
}
END_TEST

START_TEST(test_sent_copy_appended_once)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = "copies@uni.test";
	o.imap_extra = "sent_mailbox = \"Sent\";";
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, "name,short_name,email\nA,a,foi@a.copies.test\n"
	                   "B,b,foi@b.copies.test\n");
	create_and_launch(te, "copies", NULL);
	foid_once(te, NULL, 0);
	foid_once(te, NULL, 0);
	char *err = NULL;
	ck_assert_int_eq(sandbox_count(sb, "copies@uni.test", "Sent", &err), 2);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE copied_at IS NOT NULL"), 2);
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_launch_wait_shows_progress)
{
	struct testenv *te = env("wait@uni.test");
	testenv_bodies(te, "name,short_name,email\nA,a,foi@a.wait.test\nB,b,foi@b.wait.test\n"
	                   "C,c,foi@c.wait.test\n");
	struct round_new rn = { .slug = "w", .kind = "foi", .template_path = "foi-request.txt",
	                        .title = "T" };
	struct buf out = BUF_INIT;
	char *err = NULL;
	ck_assert_int_eq(round_create(te->st, te->cfg, &rn, &out, &err), 0);
	int pid = testenv_start_foid(te);
	char *o = NULL, *e = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &o, &e, "round", "launch", "w", "--wait", NULL), 0);
	ck_assert_msg(strstr(o, "queued 3 requests") && strstr(o, "sent: 3 of 3\n"), "%s", o);
	ck_assert_ptr_null(strchr(o, '\r'));
	ck_assert_int_eq(fixture_stop(pid, SIGTERM), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE send_state = 'sent'"), 3);
	free(o);
	free(e);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

/* Sender passes against the scripted peer, with the clock given. */
static struct testenv *peer_env(struct peer *p, const char *smtp_extra,
                                const char *csv)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = p->port;
	o.smtp_extra = smtp_extra;
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, csv);
	create_and_launch(te, "peer", NULL);
	return te;
}

static int pass(struct testenv *te, int64_t now, int64_t *next_at)
{
	struct send *s = NULL;
	char *err = NULL;
	ck_assert_msg(send_new(te->st, te->cfg, &s, &err) == 0, "%s", err);
	int n = 0;
	int rc = send_pass(s, now, &n, next_at, &err);
	ck_assert_msg(rc == 0, "%s", err);
	send_free(s);
	free(err);
	return n;
}

static const char one_body[] = "name,short_name,email\nOne Council,one,foi@one.test\n";

START_TEST(test_451_is_retried_then_sent)
{
	struct peer p = { 0 };
	p.rcpt_first = "451 4.7.1 Greylisted, try again later";
	peer_start(&p);
	struct testenv *te = peer_env(&p, "rate_per_minute = 100;", one_body);
	int64_t now = util_now(), next = 0;
	ck_assert_int_eq(pass(te, now, &next), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT send_state = 'queued' AND attempts = 1"
	                                 " AND last_error LIKE '%451%' FROM messages"), 1);
	ck_assert_int_gt(next, now);
	/* Not due yet: nothing is tried. */
	ck_assert_int_eq(pass(te, now + 1, &next), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT attempts FROM messages"), 1);
	ck_assert_int_eq(pass(te, next, &next), 1);
	/* The 250 was committed lazily; writes are durable again after it. */
	ck_assert_int_eq(testenv_int(te, "PRAGMA synchronous"), 2);
	ck_assert_int_eq(testenv_int(te, "SELECT send_state = 'sent' AND attempts = 2"
	                                 " AND smtp_reply LIKE '250 2.0.0 QID%' FROM messages"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT delivery = 'sent' FROM requests"), 1);
	testenv_free(te);
	peer_stop(&p, NULL);
}
END_TEST

START_TEST(test_temporary_failures_give_up_after_age)
{
	struct peer p = { 0 };
	p.rcpt_always = "451 4.3.0 Mailbox temporarily unavailable";
	peer_start(&p);
	struct testenv *te = peer_env(&p, "give_up_after = \"1h\";", one_body);
	int64_t now = util_now(), next = 0;
	ck_assert_int_eq(pass(te, now, &next), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT send_state = 'queued' FROM messages"), 1);
	ck_assert_int_eq(pass(te, now + 3601, &next), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT send_state = 'failed' AND last_error LIKE"
	                                 " 'gave up after 2 attempts%' FROM messages"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT delivery = 'failed' FROM requests"), 1);
	testenv_free(te);
	peer_stop(&p, NULL);
}
END_TEST

START_TEST(test_rate_limit_per_domain)
{
	struct peer p = { 0 };
	peer_start(&p);
	struct testenv *te = peer_env(&p, "rate_per_minute = 100; rate_per_domain = 2;",
		"name,short_name,email\nA,a,a@shared.test\nB,b,b@shared.test\n"
		"C,c,c@shared.test\nD,d,d@other.test\n");
	struct send *s = NULL;
	char *err = NULL;
	ck_assert_int_eq(send_new(te->st, te->cfg, &s, &err), 0);
	int64_t now = util_now(), next = 0;
	int n = 0;
	ck_assert_int_eq(send_pass(s, now, &n, &next, &err), 0);
	/* Two to shared.test, one to other.test; the third waits a minute. */
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(next, now + 60);
	ck_assert_int_eq(send_pass(s, now + 30, &n, &next, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(send_pass(s, now + 60, &n, &next, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(p.accepted, 4);
	send_free(s);
	testenv_free(te);
	peer_stop(&p, NULL);
}
END_TEST

/* The per-day recipient budget counts every recipient, the Bcc copy to
 * the team too, across send handles (restarts), and frees up a day after
 * the first send. */
START_TEST(test_daily_recipient_budget_counts_bcc)
{
	struct peer p = { 0 };
	peer_start(&p);
	struct testenv *te = peer_env(&p, "rate_per_minute = 100; recipients_per_day = 5;",
		"name,short_name,email\nA,a,a@a.test\nB,b,b@b.test\nC,c,c@c.test\n");
	int64_t now = util_now(), next = 0;
	/* Two recipients each (the body and the Bcc): two fit in five. */
	ck_assert_int_eq(pass(te, now, &next), 2);
	ck_assert_int_eq(next, now + 86400);
	/* A new handle, as after a restart, knows the day's count. */
	ck_assert_int_eq(pass(te, now + 3600, &next), 0);
	ck_assert_int_eq(pass(te, now + 86401, &next), 1);
	ck_assert_int_eq(p.accepted, 3);
	testenv_free(te);
	peer_stop(&p, NULL);
}
END_TEST

START_TEST(test_send_window_waits_for_opening)
{
	struct peer p = { 0 };
	peer_start(&p);
	struct testenv *te = peer_env(&p, "rate_per_minute = 100; window = \"Mon-Fri 09:00-17:00\";",
	                              one_body);
	/* Saturday 2027-01-09 12:00 GMT; the window opens on Monday 2027-01-11
	 * at 09:00 GMT. */
	int64_t sat = 1799496000, next = 0;
	ck_assert_int_eq(pass(te, sat, &next), 0);
	ck_assert_int_eq(next, 1799658000);
	ck_assert_int_eq(pass(te, next, &next), 1);
	testenv_free(te);
	peer_stop(&p, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("send");
	TCase *tc = tcase_create("deliver");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_155_round_delivered_once_with_proof);
	tcase_add_test(tc, test_paused_round_sends_nothing);
	tcase_add_test(tc, test_550_marks_request_failed_with_text);
	tcase_add_test(tc, test_sent_copy_appended_once);
	tcase_add_test(tc, test_launch_wait_shows_progress);
	suite_add_tcase(s, tc);
	TCase *crash = tcase_create("crash");
	tcase_set_timeout(crash, 300);
	tcase_add_unchecked_fixture(crash, sb_up, sb_down);
	tcase_add_test(crash, test_sigkill_never_duplicates_or_loses);
	suite_add_tcase(s, crash);
	TCase *peer = tcase_create("peer");
	tcase_set_timeout(peer, 60);
	tcase_add_test(peer, test_451_is_retried_then_sent);
	tcase_add_test(peer, test_temporary_failures_give_up_after_age);
	tcase_add_test(peer, test_rate_limit_per_domain);
	tcase_add_test(peer, test_daily_recipient_budget_counts_bcc);
	tcase_add_test(peer, test_send_window_waits_for_opening);
	suite_add_tcase(s, peer);
	return fixture_run(s);
}
