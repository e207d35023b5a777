/* A round lived through with the clock moved forward (libfaketime), against
 * the real sandbox: statuses, on-time flags and due dates after
 * clarification and extension; chasers that reach exactly the overdue
 * bodies, once per step, threaded; the team's digests.
 * Sent Monday 2016-07-04 (uk-foia): due 08-03; overdue chaser from 08-04,
 * final from 09-01.  Beta's clock restarts on Friday 07-08: due 08-09,
 * overdue chaser from 08-10.  Gamma's extension (07-29) moves its due date
 * to 09-01.  A reply in review holds every chaser until a person marks it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "testenv.h"
#include "util.h"

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

static struct testenv *te;

static void reply(const char *from, const char *ref, const char *date, const char *text)
{
	char *raw = xasprintf("From: %s\r\nTo: research@uni.test\r\nSubject: Re: %s\r\n"
	                      "Message-ID: <%s.%s>\r\n\r\n%s\r\n", from, ref, ref, from, text);
	char *err = NULL;
	ck_assert_msg(sandbox_append(sb, "research@uni.test", "INBOX", raw, strlen(raw), date,
	                             &err) == 0, "%s", err);
	free(raw);
}

static int count(const char *user)
{
	char *err = NULL;
	int n = sandbox_count(sb, user, "INBOX", &err);
	free(err);
	return n;
}

static const char bodies[] =
	"name,short_name,email\n"
	"Alpha Council,alpha,foi@alpha.test\nBeta Council,beta,foi@beta.test\n"
	"Gamma Council,gamma,foi@gamma.test\nDelta Council,delta,foi@delta.test\n"
	"Epsilon Council,epsilon,foi@epsilon.test\nEta Council,eta,foi@eta.test\n";

START_TEST(test_round_through_the_weeks)
{
	te = testenv_clock(sb);
	char *csv = fixture_write(te->fx, "bodies.csv", bodies);
	testenv_at(te, "2016-07-04 08:00:00", NULL, "foictl", "bodies", "import", csv, NULL);
	testenv_at(te, "2016-07-04 08:05:00", NULL, "foictl", "round", "create", "r", "--kind", "foi",
	           "--template", "foi-request.txt", "--title", "Bins", NULL);
	testenv_at(te, "2016-07-04 08:10:00", NULL, "foictl", "round", "launch", "r", NULL);
	testenv_at(te, "2016-07-04 09:00:00", NULL, "foid", "--once", NULL);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests WHERE delivery = 'sent'"
	                                 " AND due_date = '2016-08-03'"), 6);
	/* References by short name: alpha 001, beta 002, delta 003,
	 * epsilon 004, eta 005, gamma 006. */
	reply("foi@alpha.test", "FOI-R-001", "05-Jul-2016 10:00:00 +0100",
	      "We acknowledge receipt of your request and will respond within 20 working days.");
	reply("foi@beta.test", "FOI-R-002", "06-Jul-2016 10:00:00 +0100",
	      "Before we can proceed, could you please clarify which years you mean?");
	reply("foi@eta.test", "FOI-R-005", "05-Jul-2016 10:00:00 +0100",
	      "Auto-Submitted: yes\r\n\r\nI am out of the office until Monday.");
	testenv_at(te, "2016-07-07 09:00:00", NULL, "foid", "--once", NULL);
	char *answer = fixture_write(te->fx, "answer.txt", "The years 2013/14 to 2015/16.\n");
	testenv_at(te, "2016-07-08 09:00:00", NULL, "foictl", "clarify", "r", "beta", "--file",
	           answer, NULL);
	testenv_at(te, "2016-07-08 09:05:00", NULL, "foid", "--once", NULL);
	reply("foi@alpha.test", "FOI-R-001", "20-Jul-2016 10:00:00 +0100",
	      "Please find our response below. The council received 42 complaints.");
	reply("foi@gamma.test", "FOI-R-006", "29-Jul-2016 10:00:00 +0100",
	      "We need to extend the time for response to consider the public interest test.");
	reply("foi@epsilon.test", "FOI-R-004", "05-Aug-2016 08:30:00 +0100",
	      "Please find our response below. The council does not hold the information.");
	/* Friday 5 August, 10:00 BST. */
	testenv_at(te, "2016-08-05 09:00:00", NULL, "foid", "--once", NULL);
	testenv_at(te, "2016-08-05 09:30:00", NULL, "foid", "--once", NULL);
	char *err = NULL;
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@delta.test", "INBOX", 2, 30, &err), 0);
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@eta.test", "INBOX", 2, 30, &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE purpose ="
	                                 " 'reminder:overdue'"), 2);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages m JOIN requests q"
	                                 " ON q.id = m.request_id WHERE m.purpose ="
	                                 " 'reminder:overdue' AND q.reference IN"
	                                 " ('FOI-R-003', 'FOI-R-005')"), 2);
	/* Wednesday 31 August: only beta's overdue chaser is due (its count
	 * ended 08-09); finals come tomorrow.  A dry run queues nothing. */
	char *dry = NULL;
	testenv_at(te, "2016-08-31 09:00:00", &dry, "foictl", "remind", "r", "--dry-run", NULL);
	ck_assert_msg(strstr(dry, "r beta") && strstr(dry, "overdue") &&
	              strstr(dry, "1 reminder due now (nothing queued)"), "%s", dry);
	free(dry);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE purpose LIKE"
	                                 " 'reminder:%'"), 2);
	/* Thursday 1 September: finals for delta and eta; beta's own overdue
	 * chaser (its restarted count ended 08-09). */
	testenv_at(te, "2016-09-01 09:00:00", NULL, "foid", "--once", NULL);
	testenv_at(te, "2016-09-01 10:00:00", NULL, "foid", "--once", NULL);
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@delta.test", "INBOX", 3, 30, &err), 0);
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@eta.test", "INBOX", 3, 30, &err), 0);
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@beta.test", "INBOX", 3, 30, &err), 0);
	/* Exactly: request + overdue + final; request + answer + overdue;
	 * alpha, gamma and epsilon only the request. */
	ck_assert_int_eq(count("foi@delta.test"), 3);
	ck_assert_int_eq(count("foi@eta.test"), 3);
	ck_assert_int_eq(count("foi@beta.test"), 3);
	ck_assert_int_eq(count("foi@alpha.test"), 1);
	ck_assert_int_eq(count("foi@gamma.test"), 1);
	ck_assert_int_eq(count("foi@epsilon.test"), 1);
	/* Chasers are threaded to the request and keep its reference. */
	size_t len = 0;
	char *raw = sandbox_fetch(sb, "foi@delta.test", "INBOX", 3, &len, &err);
	char *mid = NULL;
	ck_assert_int_eq(store_query_text(te->st, NULL, &mid, "SELECT message_id FROM messages"
	                                  " WHERE purpose = 'request' AND request_id = (SELECT id"
	                                  " FROM requests WHERE reference = 'FOI-R-003')", NULL), 0);
	char *irt = xasprintf("In-Reply-To: <%s>", mid);
	ck_assert_msg(raw && strstr(raw, irt), "%s", raw);
	ck_assert_msg(strstr(raw, "FOI-R-003") && strstr(raw, "internal review"), "%s", raw);
	ck_assert_msg(strstr(raw, "2016-07-04"), "%s", raw);
	free(raw);
	free(irt);
	free(mid);
	/* The status on Friday 2 September. */
	char *json = NULL;
	testenv_at(te, "2016-09-02 09:00:00", &json, "foictl", "status", "r", "--json", NULL);
	struct { const char *ref, *want; } checks[] = {
		{ "FOI-R-001", "\"status\": \"responded\"" },
		{ "FOI-R-004", "\"status\": \"responded\"" },
		{ "FOI-R-006", "\"due_date\": \"2016-09-01\"" },
		{ "FOI-R-002", "\"due_date\": \"2016-08-09\"" },
		{ "FOI-R-003", "\"very_overdue\": true" },
	};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		char *start = strstr(json, checks[i].ref);
		ck_assert_ptr_nonnull(start);
		char *end = strstr(start, "\"messages\"");
		ck_assert_ptr_nonnull(end);
		char *hit = strstr(start, checks[i].want);
		ck_assert_msg(hit && hit < end, "%s lacks %s in %s", checks[i].ref, checks[i].want, json);
	}
	ck_assert_msg(strstr(json, "\"on_time\": 1") && strstr(json, "\"late\": 1"), "%s", json);
	ck_assert_msg(strstr(json, "\"reminders_sent\": [\n        \"overdue\",\n        \"final\"\n      ]"),
	              "%s", json);
	free(json);
	/* The team's digests went out on working days, came back, and were
	 * recognised as foid's own mail. */
	int digests = (int)testenv_int(te, "SELECT count(*) FROM messages WHERE purpose = 'digest'"
	                                  " AND send_state = 'sent'");
	ck_assert_int_ge(digests, 3);
	ck_assert_int_eq(sandbox_wait_count(sb, "digest@uni.test", "INBOX", digests, 30, &err), 0);
	char *d = NULL;
	ck_assert_int_eq(store_query_text(te->st, NULL, &d, "SELECT raw_path FROM messages"
	                                  " WHERE purpose = 'digest' AND subject LIKE"
	                                  " 'foid digest 2016-08-05%'", NULL), 0);
	char *path = xasprintf("%s/%s", te->cfg->storage_dir, d), *text = NULL;
	ck_assert_int_eq(util_read_file(path, &text, NULL, NULL), 0);
	ck_assert_msg(strstr(text, "Became overdue:") && strstr(text, "foictl show r delta"), "%s", text);
	ck_assert_msg(strstr(text, "Replies since the last digest"), "%s", text);
	free(text);
	free(path);
	free(d);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'in'"
	                                 " AND request_id IS NULL AND kind IS NOT 'own'"), 0);
	free(answer);
	free(csv);
	free(err);
	testenv_free(te);
}
END_TEST

/* raw has exactly this Subject header line. */
static int has_subject(const char *raw, const char *subject)
{
	char *line = xasprintf("Subject: %s\r\n", subject);
	size_t n = strlen(line);
	int ok = 0;
	for (const char *p = raw; p && *p && !ok; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		ok = strncmp(p, line, n) == 0;
	free(line);
	return ok;
}

static char *fetch(const char *user, int seq)
{
	char *err = NULL;
	char *raw = sandbox_fetch(sb, user, "INBOX", seq, NULL, &err);
	ck_assert_msg(raw, "%s", err);
	free(err);
	return raw;
}

/* Alpha writes something foid cannot count as any answer (it will not
 * treat the request as one: kind other); beta stays silent.  Beta gets
 * both chasers, under the subject its request went with (the round has
 * no --title and its own template); alpha gets nothing while its reply
 * waits for a person, is listed by inbox, status, the digest and the
 * report, and gets its overdue chaser once a person has marked it. */
START_TEST(test_review_holds_every_chaser_until_marked)
{
	te = testenv_clock(sb);
	char *csv = fixture_write(te->fx, "bodies.csv", "name,short_name,email\n"
	                          "Alpha Council,alpha,foi@alpha.test\n"
	                          "Beta Council,beta,foi@beta.test\n");
	char *tpl = fixture_write(te->fx, "bins.txt",
	                          "Subject: Missed bin collections, our reference"
	                          " {{request.reference}}\n\nDear {{body.name}},\n\n"
	                          "Please tell me how many bin collections were missed in"
	                          " 2015.\n\nYours faithfully,\n\n{{sender.name}}\n");
	testenv_at(te, "2016-07-04 08:00:00", NULL, "foictl", "bodies", "import", csv, NULL);
	testenv_at(te, "2016-07-04 08:05:00", NULL, "foictl", "round", "create", "r", "--kind", "foi",
	           "--template", tpl, NULL);
	testenv_at(te, "2016-07-04 08:10:00", NULL, "foictl", "round", "launch", "r", NULL);
	testenv_at(te, "2016-07-04 09:00:00", NULL, "foid", "--once", NULL);
	reply("foi@alpha.test", "Missed bin collections, our reference FOI-R-001",
	      "05-Jul-2016 10:00:00 +0100",
	      "Your email is not being treated as a request under the Freedom of"
	      " Information Act; it has been passed to our waste team to deal with as"
	      " business as usual.");
	testenv_at(te, "2016-07-07 09:00:00", NULL, "foid", "--once", NULL);
	int64_t id = testenv_int(te, "SELECT id FROM messages WHERE direction = 'in'"
	                             " AND kind = 'other' AND request_id = (SELECT id FROM"
	                             " requests WHERE reference = 'FOI-R-001')");
	ck_assert_int_gt(id, 0);
	char *out = NULL, *want = NULL;
	testenv_at(te, "2016-07-07 09:10:00", &out, "foictl", "inbox", NULL);
	want = xasprintf("#%lld ", (long long)id);
	ck_assert_msg(strstr(out, want) && strstr(out, "kind: other (100% sure") &&
	              strstr(out, "request: r alpha FOI-R-001") &&
	              strstr(out, "1 message waiting for a person"), "%s", out);
	free(want);
	want = xasprintf("settle with: foictl mark %lld KIND", (long long)id);
	ck_assert_msg(strstr(out, want), "%s", out);
	free(want);
	free(out);
	/* Friday 5 August: both overdue; only beta is chased. */
	testenv_at(te, "2016-08-05 09:00:00", NULL, "foid", "--once", NULL);
	testenv_at(te, "2016-08-05 09:30:00", NULL, "foid", "--once", NULL);
	char *err = NULL;
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@beta.test", "INBOX", 2, 30, &err), 0);
	ck_assert_int_eq(count("foi@alpha.test"), 1);
	char *raw = fetch("foi@beta.test", 2);
	ck_assert_msg(has_subject(raw, "Re: Missed bin collections, our reference FOI-R-002"),
	              "%s", raw);
	free(raw);
	testenv_at(te, "2016-08-05 10:00:00", &out, "foictl", "status", "r", "--json", NULL);
	char *alpha = strstr(out, "FOI-R-001");
	ck_assert_ptr_nonnull(alpha);
	want = xasprintf("\"review_message\": %lld", (long long)id);
	ck_assert_msg(strstr(alpha, "\"status\": \"review\"") && strstr(alpha, want) &&
	              strstr(out, "\"review\": 1"), "%s", out);
	free(want);
	free(out);
	testenv_at(te, "2016-08-05 10:00:00", &out, "foictl", "status", "r", NULL);
	ck_assert_msg(strstr(out, "1 in review") && strstr(out, "need a person: foictl inbox"),
	              "%s", out);
	free(out);
	char *html = fixture_path(te->fx, "report.html"), *text = NULL;
	testenv_at(te, "2016-08-05 10:00:00", NULL, "foictl", "report", "r", "--html", html, NULL);
	ck_assert_int_eq(util_read_file(html, &text, NULL, NULL), 0);
	ck_assert_msg(strstr(text, "data-figure=\"review\">1<") &&
	              strstr(text, "data-figure=\"outstanding\">1<") &&
	              strstr(text, "data-figure=\"answered\">0<"), "%s", text);
	free(text);
	char *d = NULL;
	ck_assert_int_eq(store_query_text(te->st, NULL, &d, "SELECT raw_path FROM messages"
	                                  " WHERE purpose = 'digest' AND subject LIKE"
	                                  " 'foid digest 2016-08-05%'", NULL), 0);
	char *path = xasprintf("%s/%s", te->cfg->storage_dir, d);
	ck_assert_int_eq(util_read_file(path, &text, NULL, NULL), 0);
	want = xasprintf("  alpha FOI-R-001: message #%lld (review): foictl mark %lld KIND",
	                 (long long)id, (long long)id);
	ck_assert_msg(strstr(text, "Replies waiting for a person") && strstr(text, want),
	              "%s", text);
	free(want);
	free(text);
	free(path);
	free(d);
	/* Thursday 1 September: beta's final, under the same subject; alpha
	 * still nothing. */
	testenv_at(te, "2016-09-01 09:00:00", NULL, "foid", "--once", NULL);
	testenv_at(te, "2016-09-01 09:30:00", NULL, "foid", "--once", NULL);
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@beta.test", "INBOX", 3, 30, &err), 0);
	ck_assert_int_eq(count("foi@alpha.test"), 1);
	raw = fetch("foi@beta.test", 3);
	ck_assert_msg(has_subject(raw, "Re: Missed bin collections, our reference FOI-R-002") &&
	              strstr(raw, "internal review"), "%s", raw);
	free(raw);
	/* A person reads it: really nothing.  That settles it, and alpha's
	 * overdue chaser (due since 08-04) goes. */
	char *ids = xasprintf("%lld", (long long)id);
	testenv_at(te, "2016-09-01 10:00:00", &out, "foictl", "mark", ids, "other", NULL);
	ck_assert_msg(strstr(out, "of r alpha marked other"), "%s", out);
	free(out);
	testenv_at(te, "2016-09-01 10:05:00", &out, "foictl", "inbox", NULL);
	ck_assert_msg(strstr(out, "0 messages waiting for a person"), "%s", out);
	free(out);
	testenv_at(te, "2016-09-01 10:30:00", NULL, "foid", "--once", NULL);
	testenv_at(te, "2016-09-01 11:00:00", NULL, "foid", "--once", NULL);
	ck_assert_int_eq(sandbox_wait_count(sb, "foi@alpha.test", "INBOX", 2, 30, &err), 0);
	ck_assert_int_eq(count("foi@alpha.test"), 2);
	raw = fetch("foi@alpha.test", 2);
	ck_assert_msg(has_subject(raw, "Re: Missed bin collections, our reference FOI-R-001") &&
	              !strstr(raw, "internal review"), "%s", raw);
	free(raw);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages m JOIN requests q"
	                                 " ON q.id = m.request_id WHERE q.reference ="
	                                 " 'FOI-R-001' AND m.purpose = 'reminder:overdue'"), 1);
	free(ids);
	free(html);
	free(tpl);
	free(csv);
	free(err);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_round_through_the_weeks);
	suite_add_tcase(s, tc);
	/* Its own sandbox: the team's mailbox starts empty. */
	tc = tcase_create("review");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_review_holds_every_chaser_until_marked);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
