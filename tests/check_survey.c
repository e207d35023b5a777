/* Survey rounds: reading answers as people write them (survey_parse.h);
 * the questions rendered into the invitation; a reply's status from its
 * coding; and a round lived through the real sandbox under libfaketime
 * across its closing date, with replies in every style.
 *
 * The round: sent Monday 2016-07-04, closes Friday 07-29; the courtesy
 * reminder is due from 07-22 (5 working days before), the overdue one
 * from 08-02 (1 working day after; 08-01 is a Scottish bank holiday). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "remind.h"
#include "round.h"
#include "round_view.h"
#include "sandbox.h"
#include "status.h"
#include "store.h"
#include "survey.h"
#include "survey_parse.h"
#include "testenv.h"
#include "util.h"

#define W1 "Does the council publish its waste collection calendar online?"
#define W2 "How many working days' notice does the council give residents of a" \
	" change to their collection day?"
#define W3 "Does the council offer an assisted collection service for residents" \
	" who cannot move their bins?"

static const struct survey_q qs3[3] = {
	{ "choice", "yes|no|unclear", NULL, W1 },
	{ "number", NULL, NULL, W2 },
	{ "choice", "yes|no|unclear", NULL, W3 },
};

/* The three answers read from text, as "value[comment]@confidence | ...". */
static char *parsed(const char *text)
{
	struct survey_answer a[3];
	memset(a, 0, sizeof a);
	survey_parse(qs3, 3, text, a);
	struct buf b = BUF_INIT;
	for (int i = 0; i < 3; i++)
		buf_addf(&b, "%s%s[%s]@%d", i ? " | " : "", a[i].value ? a[i].value : "-",
		         a[i].comment ? a[i].comment : "", a[i].confidence);
	survey_answers_clear(a, 3);
	return buf_detach(&b);
}

static void expect(const char *text, const char *want)
{
	char *got = parsed(text);
	ck_assert_msg(strcmp(got, want) == 0, "read %s\nwant %s\nfrom:\n%s", got, want, text);
	free(got);
}

START_TEST(test_parse_clean_lines)
{
	expect("1: yes\n2: 14\n3: no\n", "yes[]@95 | 14[]@95 | no[]@95");
	expect("1: yes / 2: 14 / 3: no\n", "yes[]@95 | 14[]@95 | no[]@95");
}
END_TEST

START_TEST(test_parse_numbering_variants)
{
	expect("Q1 Yes\nQuestion 2 - 10\n(3) No\n", "yes[]@95 | 10[]@95 | no[]@95");
	expect("1) YES\nQ.2: 10\n3. no\n", "yes[]@95 | 10[]@95 | no[]@95");
}
END_TEST

START_TEST(test_parse_units_and_number_words)
{
	expect("1. yes\n2. 14 working days, more at Christmas\n3. no\n",
	       "yes[]@95 | 14[more at Christmas]@95 | no[]@95");
	expect("1: y\n2: fourteen\n3: n\n", "yes[]@95 | 14[]@95 | no[]@95");
	expect("2: twenty-one days\n", "-[]@0 | 21[]@95 | -[]@0");
	expect("2: 1,500\n", "-[]@0 | 1500[]@95 | -[]@0");
	/* 2.5 is a number, not question 2: read as prose, unsure. */
	expect("2.5 days\n", "-[]@0 | 2.5[]@40 | -[]@0");
}
END_TEST

START_TEST(test_parse_choice_with_comment)
{
	expect("1: Yes (see our website)\n2: 5\n3: No - not at present.\n",
	       "yes[see our website]@95 | 5[]@95 | no[not at present]@95");
	/* A choice inside an answer is read less surely; two are not read. */
	expect("1: The calendar is online, yes\n3: it depends, yes or no\n",
	       "yes[The calendar is online, yes]@60 | -[]@0 | -[]@0");
}
END_TEST

START_TEST(test_parse_under_quoted_questions)
{
	expect("On 4 Jul 2016, Jane Researcher wrote:\n"
	       "> 1. " W1 "\n>    (yes/no/unclear)\nYes\n\n"
	       "> 2. How many working days' notice does the council give residents of a\n"
	       ">    change to their collection day?\n>    (a number of days)\n\nSeven\n"
	       "> 3. Does the council offer an assisted collection service for residents\n"
	       ">    who cannot move their bins?\nNo\n",
	       "yes[]@95 | 7[]@95 | no[]@95");
}
END_TEST

START_TEST(test_parse_under_copied_questions)
{
	expect("1. " W1 " Yes\n"
	       "2. How many working days' notice does the council give residents of a\n"
	       "   change to their collection day? (a number)\n5\n",
	       "yes[]@95 | 5[]@95 | -[]@0");
}
END_TEST

START_TEST(test_parse_prose_is_unsure)
{
	expect("Dear Jane,\n\nYes, we publish the calendar online. We give residents ten"
	       " working days' notice of any change. We do not offer assisted collections.\n\n"
	       "Kind regards,\nSam\n",
	       "yes[we publish the calendar online]@40 | 10[We give residents ten working days'"
	       " notice of any change]@40 | no[offer assisted collections]@40");
	/* Bare answers one a line, in order, are prose too. */
	expect("Yes\n14\nNo\n", "yes[]@40 | 14[]@40 | no[]@40");
	/* An acknowledgement answers nothing. */
	expect("Thank you for your email. We will respond shortly.\n", "-[]@0 | -[]@0 | -[]@0");
}
END_TEST

/* Our own example lines in a forwarded original are not their answers, and
 * the quoted examples of a top-posted reply neither. */
START_TEST(test_parse_stops_at_our_original)
{
	expect("1: no\n\n-----Original Message-----\n1: yes\n2: 14\n3: no\n",
	       "no[]@95 | -[]@0 | -[]@0");
	expect("3: yes\n\nOn Mon, Jane wrote:\n> 1: yes\n> 2: 14\n> 3: no\n",
	       "-[]@0 | -[]@0 | yes[]@95");
	expect("1: yes\n-- \n2: 14\n", "yes[]@95 | -[]@0 | -[]@0");
}
END_TEST

START_TEST(test_parse_declared_synonyms)
{
	const struct survey_q q[1] = { { "choice", "weekly|fortnightly", "weekly=every week,"
	                                 " each week|fortnightly=every two weeks", NULL } };
	struct survey_answer a[1];
	memset(a, 0, sizeof a);
	survey_parse(q, 1, "1: Every two weeks (weekly in summer)\n", a);
	ck_assert_str_eq(a[0].value, "fortnightly");
	ck_assert_str_eq(a[0].comment, "weekly in summer");
	survey_answers_clear(a, 1);
	survey_parse(q, 1, "Q1 each week\n", a);
	ck_assert_str_eq(a[0].value, "weekly");
	survey_answers_clear(a, 1);
}
END_TEST

/* --- the store: one definition of the questions --- */

static struct testenv *survey_env(int thanks)
{
	struct testenv *te = testenv_new(NULL);
	testenv_bodies(te, "name,short_name,email\nKent County Council,kent,foi@kent.test\n"
	                   "York Council,york,foi@york.test\n");
	struct round_new rn = { .slug = "s", .kind = "survey", .title = "Bins",
	                        .template_path = "survey-invitation.txt", .closes = "2016-07-29",
	                        .thanks = thanks };
	struct buf out = BUF_INIT;
	char *err = NULL;
	ck_assert_msg(round_create(te->st, te->cfg, &rn, &out, &err) == 0, "%s", err);
	buf_free(&out);
	return te;
}

static void declare3(struct testenv *te)
{
	int64_t rid = testenv_int(te, "SELECT id FROM rounds");
	const struct code_question q[3] = {
		{ "online", "choice", "yes|no|unclear", W1, NULL },
		{ "notice", "number", NULL, W2, "days" },
		{ "assisted", "choice", "yes|no|unclear", W3, NULL },
	};
	char *err = NULL;
	for (int i = 0; i < 3; i++)
		ck_assert_msg(code_declare(te->st, rid, &q[i], &err) == 0, "%s", err);
}

START_TEST(test_survey_needs_questions_to_launch)
{
	struct testenv *te = survey_env(0);
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n = 0;
	ck_assert_int_eq(round_launch(te->st, te->cfg, "s", &n, &out, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "no questions") && strstr(err, "foictl question s"), "%s", err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages"), 0);
	free(err);
	err = NULL;
	declare3(te);
	ck_assert_msg(round_launch(te->st, te->cfg, "s", &n, &out, &err) == 0, "%s", err);
	ck_assert_int_eq(n, 2);
	buf_free(&out);
	testenv_free(te);
}
END_TEST

START_TEST(test_invitation_renders_the_questions)
{
	struct testenv *te = survey_env(0);
	declare3(te);
	struct buf out = BUF_INIT;
	char *err = NULL;
	ck_assert_msg(round_preview(te->st, te->cfg, "s", "kent", &out, &err) == 0, "%s", err);
	ck_assert_msg(strstr(out.data,
	                     "1. Does the council publish its waste collection calendar online?\n"
	                     "   (yes/no/unclear)\n\n"
	                     "2. How many working days' notice does the council give residents of a\n"
	                     "   change to their collection day?\n"
	                     "   (a number of days)\n\n3. Does the council offer"), "%s", out.data);
	ck_assert_ptr_null(strstr(out.data, "{{"));
	/* foictl question lists the one definition. */
	char *o = NULL, *e = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &o, &e, "question", "s", NULL), 0);
	ck_assert_msg(strstr(o, "2. notice (number, days)\n   How many"), "%s", o);
	free(o);
	free(e);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

static int64_t req_of(struct testenv *te, const char *short_name)
{
	char *sql = xasprintf("SELECT q.id FROM requests q JOIN bodies b ON b.id = q.body_id"
	                      " WHERE b.short_name = '%s'", short_name);
	int64_t id = testenv_int(te, sql);
	free(sql);
	return id;
}

/* A reply as foid files it, then read. */
static void filed_reply(struct testenv *te, int64_t row, const char *who, const char *text)
{
	char *err = NULL;
	ck_assert_msg(store_exec(te->st, &err, "INSERT INTO messages (id, direction, request_id,"
	                         " kind, message_id, body_text, internaldate, created_at)"
	                         " VALUES (?, 'in', ?, 'response', ?, ?, 1467795600, 0)", "IIss",
	                         row, req_of(te, who), who, text) == 0, "%s", err);
	ck_assert_msg(survey_code_message(te->st, row, NULL, &err) == 0, "%s", err);
}

static int status_cb(const struct status *s, void *arg)
{
	struct strv *out = arg;
	strv_push_owned(out, xasprintf("%s=%s", s->row->short_name, status_name(s->status)));
	return 0;
}

static struct holidays *holidays(struct testenv *te)
{
	struct holidays *h = NULL;
	char *err = NULL;
	ck_assert_msg(holidays_load_data(te->cfg->data_dir, &h, &err) == 0, "%s", err);
	return h;
}

static char *statuses(struct testenv *te)
{
	struct round_view *v = NULL;
	char *err = NULL;
	struct holidays *h = holidays(te);
	ck_assert_msg(round_view_load(te->st, te->cfg, h, "s", 0, &v, &err) == 0, "%s", err);
	struct strv all = STRV_INIT;
	ck_assert_msg(status_view(te->st, v, 1467795600 + 86400, status_cb, &all, &err) == 0,
	              "%s", err);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < all.n; i++)
		buf_addf(&b, "%s%s", i ? " " : "", all.v[i]);
	strv_free(&all);
	round_view_free(v);
	holidays_free(h);
	return buf_detach(&b);
}

static struct testenv *launched(int thanks)
{
	struct testenv *te = survey_env(thanks);
	declare3(te);
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n = 0;
	ck_assert_msg(round_launch(te->st, te->cfg, "s", &n, &out, &err) == 0, "%s", err);
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE requests SET delivery = 'sent',"
	                            " sent_at = 1467622800", NULL), 0);
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE messages SET send_state = 'sent',"
	                            " sent_at = 1467622800", NULL), 0);
	buf_free(&out);
	return te;
}

START_TEST(test_reply_status_from_its_coding)
{
	struct testenv *te = launched(0);
	char *s = statuses(te);
	ck_assert_str_eq(s, "kent=awaiting york=awaiting");
	free(s);
	filed_reply(te, 100, "kent", "1: yes\n3: no\n");
	filed_reply(te, 101, "york", "Thank you, we will reply soon.");
	s = statuses(te);
	ck_assert_str_eq(s, "kent=partial york=review");
	free(s);
	/* Their second mail fills the gap; a person codes the unreadable one. */
	filed_reply(te, 102, "kent", "2: ten days\n");
	char *o = NULL, *e = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &o, &e, "code", "s", "york", "online=no",
	                             "notice=5", "assisted=unclear", NULL), 0);
	free(o);
	free(e);
	s = statuses(te);
	ck_assert_str_eq(s, "kent=responded york=responded");
	free(s);
	testenv_free(te);
}
END_TEST

START_TEST(test_prose_waits_for_a_person)
{
	struct testenv *te = launched(0);
	filed_reply(te, 100, "kent", "Yes, we publish the calendar online. We give residents"
	            " ten working days' notice. We do not offer assisted collections.");
	char *s = statuses(te);
	ck_assert_str_eq(s, "kent=review york=awaiting");
	free(s);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM answers WHERE machine = 1"
	                                 " AND confidence = 40"), 3);
	char *o = NULL, *e = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &o, &e, "inbox", NULL), 0);
	ck_assert_msg(strstr(o, "#100  survey s kent: 3 of 3 answers read, 3 unsure") &&
	              strstr(o, "1 message waiting for a person"), "%s", o);
	free(o);
	free(e);
	/* A person's answer wins over the machine's and stays; confirming
	 * settles the rest. */
	ck_assert_int_eq(testenv_run(te, "foictl", &o, &e, "code", "s", "kent", "notice=7",
	                             "--confirm", NULL), 0);
	free(o);
	free(e);
	filed_reply(te, 101, "kent", "2: 30\n");
	ck_assert_int_eq(testenv_int(te, "SELECT value = '7' AND machine = 0 FROM answers"
	                                 " WHERE key = 'notice'"), 1);
	s = statuses(te);
	ck_assert_str_eq(s, "kent=responded york=awaiting");
	free(s);
	testenv_free(te);
}
END_TEST

/* A completed form returned as an attachment is read like the body. */
START_TEST(test_attachment_form_is_read)
{
	struct testenv *te = launched(0);
	filed_reply(te, 100, "kent", "Please find our answers attached.");
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO attachments (id, message_row, part,"
	                            " filename, size, sha256, path) VALUES (1, 100, '2', 'form.docx',"
	                            " 1, 'x', 'x')", NULL), 0);
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO attachment_pages VALUES (1, 0,"
	                            " 'Q1 Yes\n\nQ2 12 days\n\nQ3 No')", NULL), 0);
	char *err = NULL;
	ck_assert_msg(survey_code_message(te->st, 100, NULL, &err) == 0, "%s", err);
	char *s = statuses(te);
	ck_assert_str_eq(s, "kent=responded york=awaiting");
	free(s);
	ck_assert_int_eq(testenv_int(te, "SELECT value FROM answers WHERE key = 'notice'"), 12);
	/* Read again (another attachment extracted), nothing is coded twice. */
	int n = -1;
	ck_assert_msg(survey_code_message(te->st, 100, &n, &err) == 0, "%s", err);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM events WHERE type = 'answer.coded'"),
	                 3);
	testenv_free(te);
}
END_TEST

/* Thanks only when the round asks for them, and only to a complete reply. */
START_TEST(test_thanks_only_when_asked)
{
	for (int thanks = 0; thanks < 2; thanks++) {
		struct testenv *te = launched(thanks);
		filed_reply(te, 100, "kent", "1: yes\n2: 3\n3: no\n");
		struct holidays *h = holidays(te);
		struct buf report = BUF_INIT;
		char *err = NULL;
		int n = 0;
		ck_assert_msg(remind_pass(te->st, te->cfg, h, "s", 1467795600 + 86400, 1, &report,
		                          &n, &err) == 0, "%s", err);
		ck_assert_int_eq(n, thanks);
		ck_assert_msg(!thanks || (strstr(report.data, "s kent") &&
		              strstr(report.data, "thanks")), "%s", report.data);
		buf_free(&report);
		holidays_free(h);
		testenv_free(te);
	}
}
END_TEST

/* --- the round through the sandbox, under libfaketime --- */

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

static struct testenv *te;

static void reply(const char *who, const char *ref, const char *date, const char *text)
{
	char *raw = xasprintf("From: survey@%s.test\r\nTo: research@uni.test\r\n"
	                      "Subject: Re: Survey %s: Bins\r\nMessage-ID: <%s@%s.test>\r\n"
	                      "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
	                      who, ref, ref, who, text);
	char *err = NULL;
	ck_assert_msg(sandbox_append(sb, "research@uni.test", "INBOX", raw, strlen(raw), date,
	                             &err) == 0, "%s", err);
	free(raw);
}

static char *addr(const char *who)
{
	return xasprintf("survey@%s.test", who);
}

/* The purposes of the mails a body received, in order, read from its
 * mailbox: the subject and what each asks for. */
static char *received(const char *who)
{
	char *user = addr(who), *err = NULL;
	int n = sandbox_count(sb, user, "INBOX", &err);
	struct buf b = BUF_INIT;
	for (int i = 1; i <= n; i++) {
		char *raw = sandbox_fetch(sb, user, "INBOX", i, NULL, &err);
		ck_assert_msg(raw, "%s", err);
		const char *what = strstr(raw, "We are carrying out a short survey") ? "invitation"
		                   : strstr(raw, "courtesy reminder") ? "courtesy"
		                   : strstr(raw, "The survey closed on") ? "overdue"
		                   : strstr(raw, "could not find an answer") ? "followup"
		                   : strstr(raw, "Thank you for answering") ? "thanks" : "?";
		buf_addf(&b, "%s%s", i > 1 ? " " : "", what);
		free(raw);
	}
	buf_addc(&b, '\0');
	free(user);
	free(err);
	return buf_detach(&b);
}

static const char bodies[] =
	"name,short_name,email\n"
	"Alpha Council,alpha,survey@alpha.test\nBeta Council,beta,survey@beta.test\n"
	"Delta Council,delta,survey@delta.test\nEpsilon Council,epsilon,survey@epsilon.test\n"
	"Eta Council,eta,survey@eta.test\nGamma Council,gamma,survey@gamma.test\n"
	"Theta Council,theta,survey@theta.test\nZeta Council,zeta,survey@zeta.test\n";

/* Each body's status and coded answers in foictl export's JSON. */
static void expect_body(const char *json, const char *who, const char *status,
                        const char *answers)
{
	char *key = xasprintf("\"short_name\": \"%s\"", who);
	const char *start = strstr(json, key);
	ck_assert_msg(start, "%s not in %s", who, json);
	const char *end = strstr(start + 1, "\"short_name\"");
	char *part = end ? xstrndup(start, (size_t)(end - start)) : xstrdup(start);
	char *want = xasprintf("\"status\": \"%s\"", status);
	ck_assert_msg(strstr(part, want), "%s: want %s in %s", who, want, part);
	char *copy = xstrdup(answers), *save = NULL;
	for (char *a = strtok_r(copy, ";", &save); a; a = strtok_r(NULL, ";", &save))
		ck_assert_msg(strstr(part, a), "%s: want %s in %s", who, a, part);
	free(copy);
	free(want);
	free(part);
	free(key);
}

START_TEST(test_survey_round_across_the_closing_date)
{
	te = testenv_clock(sb);
	char *csv = fixture_write(te->fx, "bodies.csv", bodies);
	testenv_at(te, "2016-07-04 08:00:00", NULL, "foictl", "bodies", "import", csv, NULL);
	testenv_at(te, "2016-07-04 08:05:00", NULL, "foictl", "round", "create", "s", "--kind", "survey",
	           "--template", "survey-invitation.txt", "--title", "Bins", "--closes", "2016-07-29",
	           NULL);
	testenv_at(te, "2016-07-04 08:06:00", NULL, "foictl", "question", "s", "online", "--choices",
	           "yes|no|unclear", "--wording", W1, NULL);
	testenv_at(te, "2016-07-04 08:06:00", NULL, "foictl", "question", "s", "notice", "--number",
	           "--unit", "days", "--wording", W2, NULL);
	testenv_at(te, "2016-07-04 08:06:00", NULL, "foictl", "question", "s", "assisted", "--choices",
	           "yes|no|unclear", "--wording", W3, NULL);
	testenv_at(te, "2016-07-04 08:10:00", NULL, "foictl", "round", "launch", "s", NULL);
	testenv_at(te, "2016-07-04 09:00:00", NULL, "foid", "--once", NULL);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests WHERE delivery = 'sent'"
	                                 " AND due_date = '2016-07-29'"), 8);
	/* References by short name: alpha 001, beta 002, delta 003, epsilon
	 * 004, eta 005, gamma 006, theta 007, zeta 008.  Eta stays silent. */
	reply("alpha", "SRV-S-001", "05-Jul-2016 10:00:00 +0100", "1: yes\r\n2: 14\r\n3: no");
	reply("beta", "SRV-S-002", "05-Jul-2016 11:00:00 +0100",
	      "Hello,\r\n\r\nQ1 Yes\r\nQuestion 2 - 10\r\n3) No\r\n\r\nRegards, Beta");
	reply("gamma", "SRV-S-006", "06-Jul-2016 10:00:00 +0100",
	      "1. yes\r\n2. 14 working days\r\n3. yes");
	reply("delta", "SRV-S-003", "06-Jul-2016 11:00:00 +0100",
	      "1: Yes (see our website)\r\n2: fourteen\r\n3: No, not at present");
	reply("epsilon", "SRV-S-004", "07-Jul-2016 10:00:00 +0100",
	      "Dear Jane,\r\n\r\nYes, we publish the calendar online. We give residents ten"
	      " working days' notice of any change. We do not offer assisted collections.\r\n"
	      "\r\nKind regards,\r\nSam");
	reply("zeta", "SRV-S-008", "07-Jul-2016 11:00:00 +0100",
	      "1: no\r\n3: yes\r\n\r\nOn 4 Jul 2016, Jane Researcher wrote:\r\n> 1: yes\r\n"
	      "> 2: 14\r\n> 3: no");
	reply("theta", "SRV-S-007", "08-Jul-2016 10:00:00 +0100",
	      "On 4 Jul 2016, Jane Researcher wrote:\r\n> 1. " W1 "\r\n>    (yes/no/unclear)\r\n"
	      "Yes\r\n\r\n> 2. How many working days' notice does the council give residents\r\n"
	      ">    of a change to their collection day?\r\n>    (a number of days)\r\n\r\n7\r\n"
	      "\r\n> 3. Does the council offer an assisted collection service for\r\n"
	      ">    residents who cannot move their bins?\r\n>    (yes/no/unclear)\r\nNo");
	/* Wednesday 13 July: read; zeta's follow-up goes out. */
	testenv_at(te, "2016-07-13 09:00:00", NULL, "foid", "--once", NULL);
	testenv_at(te, "2016-07-13 09:30:00", NULL, "foid", "--once", NULL);
	char *err = NULL;
	ck_assert_int_eq(sandbox_wait_count(sb, "survey@zeta.test", "INBOX", 2, 30, &err), 0);
	char *inbox = NULL;
	testenv_at(te, "2016-07-13 10:00:00", &inbox, "foictl", "inbox", NULL);
	ck_assert_msg(strstr(inbox, "survey s epsilon: 3 of 3 answers read, 3 unsure") &&
	              strstr(inbox, "1 message waiting for a person"), "%s", inbox);
	free(inbox);
	testenv_at(te, "2016-07-13 10:00:00", &inbox, "foictl", "status", "s", NULL);
	ck_assert_msg(strstr(inbox, "1 received message need a person: foictl inbox") &&
	              strstr(inbox, "replies: 5 responded, 1 partial, 1 to review"), "%s", inbox);
	free(inbox);
	char *json = NULL;
	testenv_at(te, "2016-07-13 10:00:00", &json, "foictl", "export", "s", "--format", "json", NULL);
	expect_body(json, "alpha", "responded", "\"online\": \"yes\";\"notice\": \"14\";"
	            "\"assisted\": \"no\";\"online_coded_by\": \"machine\"");
	expect_body(json, "beta", "responded", "\"online\": \"yes\";\"notice\": \"10\";"
	            "\"assisted\": \"no\"");
	expect_body(json, "gamma", "responded", "\"notice\": \"14\";\"assisted\": \"yes\"");
	expect_body(json, "delta", "responded", "\"online\": \"yes\";"
	            "\"online_comment\": \"see our website\";\"notice\": \"14\";"
	            "\"assisted\": \"no\";\"assisted_comment\": \"not at present\"");
	expect_body(json, "epsilon", "review", "\"online\": \"yes\";\"notice\": \"10\";"
	            "\"assisted\": \"no\";\"answers_unconfirmed\": 3");
	expect_body(json, "zeta", "partial", "\"online\": \"no\";\"notice\": null;"
	            "\"assisted\": \"yes\"");
	expect_body(json, "theta", "responded", "\"online\": \"yes\";\"notice\": \"7\";"
	            "\"assisted\": \"no\"");
	expect_body(json, "eta", "awaiting", "\"online\": null");
	free(json);
	/* The day's digest lists the reply waiting for a person. */
	char *d = NULL;
	ck_assert_int_eq(store_query_text(te->st, NULL, &d, "SELECT raw_path FROM messages"
	                                  " WHERE purpose = 'digest' AND subject LIKE"
	                                  " 'foid digest 2016-07-13%'", NULL), 0);
	char *path = xasprintf("%s/%s", te->cfg->storage_dir, d), *text = NULL;
	ck_assert_int_eq(util_read_file(path, &text, NULL, NULL), 0);
	ck_assert_msg(strstr(text, "Survey replies waiting for you:") &&
	              strstr(text, "survey s epsilon"), "%s", text);
	free(text);
	free(path);
	free(d);
	/* Zeta's follow-up: threaded under its reply, asking question 2 alone. */
	char *raw = sandbox_fetch(sb, "survey@zeta.test", "INBOX", 2, NULL, &err);
	ck_assert_msg(raw && strstr(raw, "In-Reply-To: <SRV-S-008@zeta.test>"), "%s", raw);
	ck_assert_msg(strstr(raw, "> 2. How many working days' notice") &&
	              !strstr(raw, "> 1. ") && !strstr(raw, "> 3. "), "%s", raw);
	free(raw);
	/* A person confirms what foid read from epsilon's prose. */
	testenv_at(te, "2016-07-14 09:00:00", NULL, "foictl", "code", "s", "epsilon", "--confirm", NULL);
	/* Friday 22 July: the courtesy reminder, to the silent body alone. */
	testenv_at(te, "2016-07-22 09:00:00", NULL, "foid", "--once", NULL);
	testenv_at(te, "2016-07-22 09:30:00", NULL, "foid", "--once", NULL);
	ck_assert_int_eq(sandbox_wait_count(sb, "survey@eta.test", "INBOX", 2, 30, &err), 0);
	/* Tuesday 2 August, after the closing date (Monday is a Scottish bank
	 * holiday, so not a UK working day): the overdue reminder. */
	testenv_at(te, "2016-08-02 09:00:00", NULL, "foid", "--once", NULL);
	testenv_at(te, "2016-08-02 09:30:00", NULL, "foid", "--once", NULL);
	ck_assert_int_eq(sandbox_wait_count(sb, "survey@eta.test", "INBOX", 3, 30, &err), 0);
	/* Exactly the mails each body received. */
	const char *const want[][2] = {
		{ "alpha", "invitation" }, { "beta", "invitation" }, { "delta", "invitation" },
		{ "epsilon", "invitation" }, { "gamma", "invitation" }, { "theta", "invitation" },
		{ "zeta", "invitation followup" }, { "eta", "invitation courtesy overdue" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		char *got = received(want[i][0]);
		ck_assert_msg(strcmp(got, want[i][1]) == 0, "%s received %s, want %s", want[i][0],
		              got, want[i][1]);
		free(got);
	}
	/* The invitation asked the declared questions. */
	raw = sandbox_fetch(sb, "survey@eta.test", "INBOX", 1, NULL, &err);
	ck_assert_msg(raw && strstr(raw, "2. How many working days' notice") &&
	              strstr(raw, "(a number of days)"), "%s", raw);
	free(raw);
	/* The results on Wednesday 3 August. */
	char *status = NULL;
	testenv_at(te, "2016-08-03 09:00:00", &status, "foictl", "status", "s", NULL);
	ck_assert_msg(strstr(status, "response rate: 7 of 8 (88%) by the closing date 2016-07-29\n"
	                             "replies: 6 responded, 1 partial, 0 to review\n"
	                             "1. online: yes 6, no 1, unclear 0 (7 answered, 6"
	                             " machine-read, unconfirmed)\n"
	                             "2. notice: median 12 days, range 7-14 (6 answered, 5"
	                             " machine-read, unconfirmed)\n"
	                             "3. assisted: yes 2, no 5, unclear 0 (7 answered, 6"
	                             " machine-read, unconfirmed)\n"),
	              "%s", status);
	free(status);
	/* foictl status --json carries the same results. */
	testenv_at(te, "2016-08-03 09:00:00", &status, "foictl", "status", "s", "--json", NULL);
	/* Compared without the layout's white space (none of these values
	 * has any). */
	size_t k = 0;
	for (size_t i = 0; status[i]; i++)
		if (status[i] != ' ' && status[i] != '\n')
			status[k++] = status[i];
	status[k] = '\0';
	ck_assert_msg(strstr(status, "\"survey\":{\"closes_on\":\"2016-07-29\",\"open\":false,"
	                             "\"sent\":8,\"replied_by_close\":7,\"replied_later\":0,"
	                             "\"responded\":6,\"partial\":1,\"review\":0,\"questions\":["
	                             "{\"position\":1,\"key\":\"online\",\"type\":\"choice\","
	                             "\"unit\":null,\"answered\":7,\"unconfirmed\":6,"
	                             "\"choices\":{\"yes\":6,\"no\":1,\"unclear\":0}},") &&
	              strstr(status, "\"key\":\"notice\",\"type\":\"number\",\"unit\":\"days\","
	                             "\"answered\":6,\"unconfirmed\":5,\"median\":12,\"min\":7,"
	                             "\"max\":14}"), "%.2000s",
	              strstr(status, "\"survey\"") ? strstr(status, "\"survey\"") : status);
	free(status);
	/* The report shows the same results. */
	char *html = fixture_path(te->fx, "report.html"), *page = NULL;
	testenv_at(te, "2016-08-03 09:00:00", NULL, "foictl", "report", "s", "--html", html, NULL);
	ck_assert_int_eq(util_read_file(html, &page, NULL, NULL), 0);
	ck_assert_msg(strstr(page, "<h2>Survey results</h2>") &&
	              strstr(page, "response rate: 7 of 8 (88%) by the closing date 2016-07-29") &&
	              strstr(page, "2. notice: median 12 days, range 7-14"), "%s", page);
	free(page);
	free(html);
	free(csv);
	free(err);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("survey");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_clean_lines);
	tcase_add_test(tc, test_parse_numbering_variants);
	tcase_add_test(tc, test_parse_units_and_number_words);
	tcase_add_test(tc, test_parse_choice_with_comment);
	tcase_add_test(tc, test_parse_under_quoted_questions);
	tcase_add_test(tc, test_parse_under_copied_questions);
	tcase_add_test(tc, test_parse_prose_is_unsure);
	tcase_add_test(tc, test_parse_stops_at_our_original);
	tcase_add_test(tc, test_parse_declared_synonyms);
	suite_add_tcase(s, tc);
	TCase *st = tcase_create("store");
	tcase_set_timeout(st, 30);
	tcase_add_test(st, test_survey_needs_questions_to_launch);
	tcase_add_test(st, test_invitation_renders_the_questions);
	tcase_add_test(st, test_reply_status_from_its_coding);
	tcase_add_test(st, test_prose_waits_for_a_person);
	tcase_add_test(st, test_attachment_form_is_read);
	tcase_add_test(st, test_thanks_only_when_asked);
	suite_add_tcase(s, st);
	TCase *round = tcase_create("round");
	tcase_set_timeout(round, 180);
	tcase_add_unchecked_fixture(round, sb_up, sb_down);
	tcase_add_test(round, test_survey_round_across_the_closing_date);
	suite_add_tcase(s, round);
	return fixture_run(s);
}
