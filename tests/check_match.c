#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "mime.h"
#include "round.h"
#include "testenv.h"
#include "util.h"

/* Three councils, one round, every request sent; Kent shares its domain
 * with nobody, the two Yorkshire bodies share theirs. */
static const char bodies[] =
	"name,short_name,email\n"
	"Kent County Council,kent,foi@kent.gov.test\n"
	"Leeds City Council,leeds,foi@yorks.gov.test\n"
	"York Council,york,info@yorks.gov.test\n";

static struct testenv *setup(int plus)
{
	struct testenv_opts o = { 0 };
	o.team_extra = plus ? "plus_addressing = true;" : NULL;
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, bodies);
	struct round_new rn = { .slug = "stp16", .kind = "foi",
	                        .template_path = "foi-request.txt", .title = "T" };
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n;
	ck_assert_msg(round_create(te->st, te->cfg, &rn, &out, &err) == 0, "%s", err);
	ck_assert_int_eq(round_launch(te->st, te->cfg, "stp16", &n, &out, &err), 0);
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE messages SET send_state = 'sent'", NULL), 0);
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE requests SET delivery = 'sent'", NULL), 0);
	buf_free(&out);
	return te;
}

static char *mid_of(struct testenv *te, const char *short_name)
{
	char *mid = NULL;
	ck_assert_int_eq(store_query_text(te->st, NULL, &mid,
		"SELECT m.message_id FROM messages m JOIN requests q ON q.id = m.request_id"
		" JOIN bodies b ON b.id = q.body_id WHERE b.short_name = ?", "s", short_name), 0);
	return mid;
}

static int64_t req_of(struct testenv *te, const char *short_name)
{
	int64_t id = 0;
	ck_assert_int_eq(store_query_int(te->st, NULL, &id,
		"SELECT q.id FROM requests q JOIN bodies b ON b.id = q.body_id"
		" WHERE b.short_name = ?", "s", short_name), 0);
	return id;
}

/* Matches raw and returns the rule; *req gets the request. */
static const char *run(struct testenv *te, const char *raw, int64_t *req)
{
	struct mime_message *m = NULL;
	ck_assert_int_eq(mime_parse(raw, strlen(raw), NULL, &m, NULL), 0);
	struct match_result res;
	ck_assert_int_eq(match_message(te->st, m, NULL, &res, NULL), 0);
	*req = res.request_id;
	const char *rule = res.rule;
	ck_assert(!rule || res.evidence);
	match_result_clear(&res);
	mime_message_free(m);
	return rule ? rule : "none";
}

START_TEST(test_in_reply_to_and_references)
{
	struct testenv *te = setup(0);
	char *mid = mid_of(te, "kent");
	char *raw = xasprintf("From: someone@elsewhere.test\r\nSubject: thanks\r\n"
	                      "In-Reply-To: <%s>\r\n\r\nok\r\n", mid);
	int64_t req;
	ck_assert_str_eq(run(te, raw, &req), "in-reply-to");
	ck_assert_int_eq(req, req_of(te, "kent"));
	free(raw);
	raw = xasprintf("From: someone@elsewhere.test\r\nSubject: thanks\r\n"
	                "References: <a@b.test> <%s> <c@d.test>\r\n\r\nok\r\n", mid);
	ck_assert_str_eq(run(te, raw, &req), "references");
	ck_assert_int_eq(req, req_of(te, "kent"));
	free(raw);
	free(mid);
	testenv_free(te);
}
END_TEST

START_TEST(test_own_copy_is_recognised)
{
	struct testenv *te = setup(0);
	char *mid = mid_of(te, "leeds");
	char *raw = xasprintf("From: research@uni.test\r\nSubject: x\r\nMessage-ID: <%s>\r\n\r\n.\r\n", mid);
	int64_t req;
	ck_assert_str_eq(run(te, raw, &req), "own-copy");
	ck_assert_int_eq(req, req_of(te, "leeds"));
	free(raw);
	free(mid);
	testenv_free(te);
}
END_TEST

START_TEST(test_plus_address)
{
	struct testenv *te = setup(1);
	int64_t req;
	ck_assert_str_eq(run(te, "From: x@elsewhere.test\r\nTo: Research <research+FOI-STP16-002@uni.test>\r\n"
	                         "Subject: hello\r\n\r\nnothing here\r\n", &req), "plus-address");
	ck_assert_int_eq(req, req_of(te, "leeds"));
	ck_assert_str_eq(run(te, "From: x@elsewhere.test\r\nTo: team@uni.test\r\n"
	                         "Delivered-To: research+foi-stp16-003@uni.test\r\n"
	                         "Subject: hello\r\n\r\nnothing\r\n", &req), "plus-address");
	ck_assert_int_eq(req, req_of(te, "york"));
	testenv_free(te);
}
END_TEST

START_TEST(test_subject_reference_any_case_and_prefix)
{
	struct testenv *te = setup(0);
	int64_t req;
	ck_assert_str_eq(run(te, "From: x@elsewhere.test\r\n"
	                         "Subject: [EXTERNAL] RE: AW: Fwd: foi-stp16-001: your request\r\n\r\nhi\r\n",
	                         &req), "subject-reference");
	ck_assert_int_eq(req, req_of(te, "kent"));
	ck_assert_str_eq(run(te, "From: x@elsewhere.test\r\n"
	                         "Subject: =?utf-8?q?R=C3=A9f=C3=A9rence_FOI-STP16-003?=\r\n\r\nhi\r\n",
	                         &req), "subject-reference");
	ck_assert_int_eq(req, req_of(te, "york"));
	testenv_free(te);
}
END_TEST

/* Anyone can quote a reference: it still matches, and the evidence says
 * the sender is not of the body's domain. */
START_TEST(test_reference_from_another_domain_is_flagged)
{
	struct testenv *te = setup(0);
	struct mime_message *m = NULL;
	const char raw[] = "From: someone@evil.test\r\nSubject: Re: FOI-STP16-001\r\n\r\nhi\r\n";
	ck_assert_int_eq(mime_parse(raw, strlen(raw), NULL, &m, NULL), 0);
	struct match_result res;
	ck_assert_int_eq(match_message(te->st, m, NULL, &res, NULL), 0);
	ck_assert_str_eq(res.rule, "subject-reference");
	ck_assert_int_eq(res.request_id, req_of(te, "kent"));
	ck_assert_msg(strstr(res.evidence, "sender someone@evil.test is not of the body's domain"
	                                   " kent.gov.test"), "%s", res.evidence);
	match_result_clear(&res);
	mime_message_free(m);
	const char ok[] = "From: clerk@kent.gov.test\r\nSubject: Re: FOI-STP16-001\r\n\r\nhi\r\n";
	ck_assert_int_eq(mime_parse(ok, strlen(ok), NULL, &m, NULL), 0);
	ck_assert_int_eq(match_message(te->st, m, NULL, &res, NULL), 0);
	ck_assert_ptr_null(strstr(res.evidence, "not of the body's domain"));
	match_result_clear(&res);
	mime_message_free(m);
	testenv_free(te);
}
END_TEST

START_TEST(test_body_reference_including_html)
{
	struct testenv *te = setup(0);
	int64_t req;
	ck_assert_str_eq(run(te, "From: x@elsewhere.test\r\nSubject: Your request\r\n\r\n"
	                         "Answer below.\r\n> Our reference for this request is\r\n"
	                         "> FOI-STP16-002.\r\n", &req), "body-reference");
	ck_assert_int_eq(req, req_of(te, "leeds"));
	ck_assert_str_eq(run(te, "From: x@elsewhere.test\r\nSubject: Your request\r\n"
	                         "Content-Type: text/html\r\n\r\n<p>Re <b>FOI-STP16-003</b></p>\r\n",
	                         &req), "body-reference");
	ck_assert_int_eq(req, req_of(te, "york"));
	/* A reference of no round is not ours. */
	ck_assert_str_eq(run(te, "From: x@elsewhere.test\r\nSubject: FOI-OTHER-001\r\n\r\nhi\r\n",
	                     &req), "none");
	testenv_free(te);
}
END_TEST

START_TEST(test_their_reference)
{
	struct testenv *te = setup(0);
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE requests SET their_reference ="
	                            " 'FOI/2016/1234' WHERE id = ?", "I", req_of(te, "leeds")), 0);
	int64_t req;
	ck_assert_str_eq(run(te, "From: x@elsewhere.test\r\nSubject: Response to FOI/2016/1234\r\n\r\n"
	                         "Please find attached.\r\n", &req), "their-reference");
	ck_assert_int_eq(req, req_of(te, "leeds"));
	/* Part of a longer number is not it. */
	ck_assert_str_eq(run(te, "From: x@elsewhere.test\r\nSubject: FOI/2016/12345\r\n\r\nhi\r\n",
	                     &req), "none");
	testenv_free(te);
}
END_TEST

START_TEST(test_sender_address_and_domain_only_when_unique)
{
	struct testenv *te = setup(0);
	int64_t req;
	ck_assert_str_eq(run(te, "From: FOI Team <FOI@kent.gov.test>\r\nSubject: Your request\r\n\r\n"
	                         "Answer.\r\n", &req), "sender-address");
	ck_assert_int_eq(req, req_of(te, "kent"));
	ck_assert_str_eq(run(te, "From: officer@kent.gov.test\r\nSubject: Your request\r\n\r\nx\r\n",
	                     &req), "sender-domain");
	ck_assert_int_eq(req, req_of(te, "kent"));
	/* yorks.gov.test is shared by two bodies: no guess. */
	ck_assert_str_eq(run(te, "From: officer@yorks.gov.test\r\nSubject: Your request\r\n\r\nx\r\n",
	                     &req), "none");
	ck_assert_str_eq(run(te, "From: foi@yorks.gov.test\r\nSubject: Your request\r\n\r\nx\r\n",
	                     &req), "sender-address");
	ck_assert_int_eq(req, req_of(te, "leeds"));
	/* Once Kent has responded, its mail no longer matches by sender. */
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO messages (direction, request_id, kind,"
	                            " created_at) VALUES ('in', ?, 'response', 0)", "I",
	                            req_of(te, "kent")), 0);
	ck_assert_str_eq(run(te, "From: foi@kent.gov.test\r\nSubject: More\r\n\r\nx\r\n", &req), "none");
	testenv_free(te);
}
END_TEST

START_TEST(test_sender_hint)
{
	struct testenv *te = setup(0);
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO sender_hints VALUES (?, ?, 0)", "sI",
	                            "clerk@mail.example.test",
	                            testenv_int(te, "SELECT id FROM bodies WHERE short_name = 'york'")), 0);
	int64_t req;
	ck_assert_str_eq(run(te, "From: Clerk <clerk@mail.example.test>\r\nSubject: hi\r\n\r\nx\r\n",
	                     &req), "sender-hint");
	ck_assert_int_eq(req, req_of(te, "york"));
	testenv_free(te);
}
END_TEST

/* A failing query fails the match: it is not "no such request", which
 * would let a later rule decide (here the sender's address) or file the
 * message unmatched, instead of the ingest pass retrying it. */
START_TEST(test_store_failure_is_an_error_not_no_match)
{
	struct testenv *te = setup(0);
	ck_assert_int_eq(store_exec(te->st, NULL, "DROP TABLE sender_hints", NULL), 0);
	const char raw[] = "From: <foi@kent.gov.test>\r\nSubject: hi\r\n\r\nx\r\n";
	struct mime_message *m = NULL;
	ck_assert_int_eq(mime_parse(raw, strlen(raw), NULL, &m, NULL), 0);
	struct match_result res;
	char *err = NULL;
	ck_assert_int_lt(match_message(te->st, m, NULL, &res, &err), 0);
	ck_assert_ptr_null(res.rule);
	ck_assert_int_eq(res.request_id, 0);
	ck_assert_msg(err && strstr(err, "sender_hints"), "%s", err);
	free(err);
	mime_message_free(m);
	testenv_free(te);
}
END_TEST

START_TEST(test_bounce_rules)
{
	struct testenv *te = setup(0);
	struct mime_message *m = NULL;
	const char raw[] = "From: MAILER-DAEMON@mx.test\r\nSubject: Undeliverable\r\n\r\nfailed\r\n";
	ck_assert_int_eq(mime_parse(raw, strlen(raw), NULL, &m, NULL), 0);
	char *mid = mid_of(te, "york");
	struct match_bounce b = { mid, NULL, NULL };
	struct match_result res;
	ck_assert_int_eq(match_message(te->st, m, &b, &res, NULL), 0);
	ck_assert_str_eq(res.rule, "bounce-original-id");
	ck_assert_int_eq(res.request_id, req_of(te, "york"));
	match_result_clear(&res);
	struct match_bounce b2 = { NULL, "Freedom of Information request FOI-STP16-001: T", NULL };
	ck_assert_int_eq(match_message(te->st, m, &b2, &res, NULL), 0);
	ck_assert_str_eq(res.rule, "bounce-original-subject");
	ck_assert_int_eq(res.request_id, req_of(te, "kent"));
	match_result_clear(&res);
	struct strv rcpts = STRV_INIT;
	strv_push(&rcpts, "INFO@yorks.gov.test");
	struct match_bounce b3 = { NULL, NULL, &rcpts };
	ck_assert_int_eq(match_message(te->st, m, &b3, &res, NULL), 0);
	ck_assert_str_eq(res.rule, "bounce-recipient");
	ck_assert_int_eq(res.request_id, req_of(te, "york"));
	match_result_clear(&res);
	strv_free(&rcpts);
	free(mid);
	mime_message_free(m);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("match");
	TCase *tc = tcase_create("match");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_in_reply_to_and_references);
	tcase_add_test(tc, test_own_copy_is_recognised);
	tcase_add_test(tc, test_plus_address);
	tcase_add_test(tc, test_subject_reference_any_case_and_prefix);
	tcase_add_test(tc, test_reference_from_another_domain_is_flagged);
	tcase_add_test(tc, test_body_reference_including_html);
	tcase_add_test(tc, test_their_reference);
	tcase_add_test(tc, test_sender_address_and_domain_only_when_unique);
	tcase_add_test(tc, test_sender_hint);
	tcase_add_test(tc, test_bounce_rules);
	tcase_add_test(tc, test_store_failure_is_an_error_not_no_match);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
