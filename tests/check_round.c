#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "round.h"
#include "send.h"
#include "testenv.h"
#include "util.h"

static struct testenv *env_with_bodies(const char *csv)
{
	struct testenv *te = testenv_new(NULL);
	testenv_bodies(te, csv);
	return te;
}

static int create(struct testenv *te, const char *slug, const char *template,
                  const char *bodies, char **err)
{
	struct round_new rn = { 0 };
	rn.slug = slug;
	rn.kind = "foi";
	rn.template_path = template;
	rn.bodies = bodies;
	rn.title = "Test round";
	struct buf out = BUF_INIT;
	int rc = round_create(te->st, te->cfg, &rn, &out, err);
	buf_free(&out);
	return rc;
}

START_TEST(test_create_gives_stable_references)
{
	struct testenv *te = env_with_bodies(NULL);
	char *err = NULL;
	ck_assert_msg(create(te, "stp16", "foi-request.txt", NULL, &err) == 0, "%s", err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests"), 155);
	ck_assert_int_eq(testenv_int(te, "SELECT count(DISTINCT reference) FROM requests"), 155);
	ck_assert_int_eq(testenv_int(te,
		"SELECT count(*) FROM requests q JOIN bodies b ON b.id = q.body_id"
		" WHERE b.short_name = 'buckinghamshire' AND reference = 'FOI-STP16-018'"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests WHERE delivery = 'draft'"), 155);
	testenv_free(te);
}
END_TEST

START_TEST(test_launch_twice_queues_once)
{
	struct testenv *te = env_with_bodies(NULL);
	char *err = NULL;
	ck_assert_msg(create(te, "stp16", "foi-request.txt", NULL, &err) == 0, "%s", err);
	struct buf out = BUF_INIT;
	int n = -1;
	ck_assert_msg(round_launch(te->st, te->cfg, "stp16", &n, &out, &err) == 0, "%s", err);
	ck_assert_int_eq(n, 155);
	ck_assert_msg(round_launch(te->st, te->cfg, "stp16", &n, &out, &err) == 0, "%s", err);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'out'"), 155);
	ck_assert_int_eq(testenv_int(te, "SELECT count(DISTINCT message_id) FROM messages"), 155);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests WHERE delivery = 'queued'"), 155);
	ck_assert_int_eq(testenv_int(te, "SELECT state = 'launched' FROM rounds"), 1);
	buf_free(&out);
	testenv_free(te);
}
END_TEST

START_TEST(test_add_to_launched_round_queues_only_new)
{
	struct testenv *te = env_with_bodies(
		"name,short_name,email\nAlpha Council,alpha,foi@alpha.test\n"
		"Beta Council,beta,foi@beta.test\n");
	char *list = fixture_write(te->fx, "one.txt", "# just alpha\nalpha\n");
	char *err = NULL;
	ck_assert_msg(create(te, "r1", "foi-request.txt", list, &err) == 0, "%s", err);
	struct buf out = BUF_INIT;
	int n = 0;
	ck_assert_int_eq(round_launch(te->st, te->cfg, "r1", &n, &out, &err), 0);
	ck_assert_int_eq(round_add(te->st, te->cfg, "r1", "all", &out, &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages"), 2);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests WHERE reference = 'FOI-R1-002'"), 1);
	/* Adding again changes nothing. */
	ck_assert_int_eq(round_add(te->st, te->cfg, "r1", "all", &out, &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages"), 2);
	ck_assert_ptr_nonnull(strstr(out.data, "already"));
	buf_free(&out);
	free(list);
	testenv_free(te);
}
END_TEST

START_TEST(test_unresolved_placeholder_names_body)
{
	struct testenv *te = env_with_bodies(
		"name,short_name,email,population\nAlpha Council,alpha,foi@alpha.test,100\n"
		"Beta Council,beta,foi@beta.test,\n");
	char *tpl = fixture_write(te->fx, "t.txt",
		"Subject: Request {{request.reference}}\n\n"
		"Dear {{body.name}}, population {{body.population}}, {{body.mayor}}\n");
	char *err = NULL;
	ck_assert_int_eq(create(te, "r1", tpl, NULL, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "alpha (FOI-R1-001): "), "%s", err);
	ck_assert_msg(strstr(err, "t.txt:3: unresolved placeholder {{body.mayor}}"), "%s", err);
	ck_assert_msg(strstr(err, "beta (FOI-R1-002): "), "%s", err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM rounds"), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests"), 0);
	free(err);
	free(tpl);
	testenv_free(te);
}
END_TEST

START_TEST(test_header_injection_from_csv_refused)
{
	struct testenv *te = env_with_bodies(
		"name,short_name,email,topic\nAlpha Council,alpha,foi@alpha.test,"
		"\"roads\r\nBcc: victim@evil.test\"\n");
	char *tpl = fixture_write(te->fx, "t.txt",
		"Subject: {{body.topic}} {{request.reference}}\n\nHello\n");
	char *err = NULL;
	ck_assert_int_eq(create(te, "r1", tpl, NULL, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "alpha (FOI-R1-001)"), "%s", err);
	ck_assert_msg(strstr(err, "body.topic"), "%s", err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages"), 0);
	free(err);
	free(tpl);
	testenv_free(te);
}
END_TEST

START_TEST(test_preview_is_exact_and_writes_nothing)
{
	struct testenv *te = env_with_bodies(NULL);
	char *err = NULL;
	ck_assert_int_eq(create(te, "stp16", "foi-request.txt", NULL, &err), 0);
	struct buf out = BUF_INIT;
	ck_assert_msg(round_preview(te->st, te->cfg, "stp16", "cumbria", &out, &err) == 0,
	              "%s", err);
	ck_assert_ptr_nonnull(strstr(out.data, "To: Cumbria County Council <foi@cumbria.council.test>\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "Subject: Freedom of Information request FOI-STP16-030"));
	ck_assert_ptr_nonnull(strstr(out.data, "Dear Cumbria County Council,"));
	ck_assert_ptr_nonnull(strstr(out.data, "Message-ID: <foid."));
	buf_reset(&out);
	ck_assert_int_eq(round_preview(te->st, te->cfg, "stp16", NULL, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "155 of 155 requests render cleanly"));
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages"), 0);
	ck_assert_int_eq(round_preview(te->st, te->cfg, "stp16", "atlantis", &out, &err),
	                 FOID_ENOTFOUND);
	free(err);
	buf_free(&out);
	testenv_free(te);
}
END_TEST

START_TEST(test_plus_addressing_reply_to)
{
	struct testenv_opts o = { 0 };
	o.team_extra = "plus_addressing = true;";
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, "name,short_name,email\nAlpha Council,alpha,foi@alpha.test\n");
	char *err = NULL;
	ck_assert_int_eq(create(te, "r1", "foi-request.txt", NULL, &err), 0);
	struct buf out = BUF_INIT;
	ck_assert_int_eq(round_preview(te->st, te->cfg, "r1", "alpha", &out, &err), 0);
	ck_assert_msg(strstr(out.data, "Reply-To: research+FOI-R1-001@uni.test\n"), "%s", out.data);
	int n;
	ck_assert_int_eq(round_launch(te->st, te->cfg, "r1", &n, &out, &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests"
	                                 " WHERE reply_address = 'research+FOI-R1-001@uni.test'"), 1);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

/* The follow-up goes through the same queueing as the request: its Cc
 * header is stored with it (it was dropped). */
START_TEST(test_followup_carries_cc)
{
	struct testenv *te = env_with_bodies("name,short_name,email,cc\n"
	                                     "Alpha Council,alpha,foi@alpha.test,clerk@alpha.test\n");
	char *req = fixture_write(te->fx, "req.txt", "Subject: FOI {{request.reference}}\n"
	                          "Cc: {{body.cc}}\n\nDear {{body.name}},\nPlease.\n");
	char *fu = fixture_write(te->fx, "chase.txt", "Subject: Re: FOI {{request.reference}}\n"
	                         "Cc: {{body.cc}}\n\nStill waiting.\n");
	char *err = NULL;
	ck_assert_msg(create(te, "r1", req, NULL, &err) == 0, "%s", err);
	struct buf out = BUF_INIT;
	int n;
	ck_assert_msg(round_launch(te->st, te->cfg, "r1", &n, &out, &err) == 0, "%s", err);
	struct round_followup f = { 0 };
	f.template_name = fu;
	f.purpose = "reminder:overdue";
	f.actor = "test";
	f.due = "2026-12-31";
	/* As if sent: the chaser names the day it was. */
	ck_assert_int_eq(store_exec(te->st, &err, "UPDATE requests SET sent_at = ?", "I",
	                            util_now()), 0);
	int64_t row = 0;
	ck_assert_msg(round_queue_followup(te->st, te->cfg, 1, &f, &row, &err) == 0, "%s", err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'out'"
	                                 " AND cc_addrs = 'clerk@alpha.test'"), 2);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'out'"
	                                 " AND purpose = 'reminder:overdue'"
	                                 " AND envelope_to LIKE '%clerk@alpha.test%'"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM events WHERE type = 'message.queued'"
	                                 " AND message_row = (SELECT max(id) FROM messages)"), 1);
	buf_free(&out);
	free(req);
	free(fu);
	free(err);
	testenv_free(te);
}
END_TEST

/* Every change of send_state goes through the table: one that is not in
 * it changes nothing, one that is changes the request's delivery and logs
 * one event. */
START_TEST(test_send_state_transitions)
{
	struct testenv *te = env_with_bodies("name,short_name,email\nAlpha Council,alpha,foi@alpha.test\n");
	char *err = NULL;
	ck_assert_int_eq(create(te, "r1", "foi-request.txt", NULL, &err), 0);
	struct buf out = BUF_INIT;
	int n;
	ck_assert_msg(round_launch(te->st, te->cfg, "r1", &n, &out, &err) == 0, "%s", err);
	int64_t msg = testenv_int(te, "SELECT id FROM messages");
	int64_t events = testenv_int(te, "SELECT count(*) FROM events");
	struct send_change c = { .detail = "250 ok", .now = util_now() };
	ck_assert_int_eq(store_begin(te->st, &err), 0);
	ck_assert_int_eq(send_enter_state(te->st, msg, SEND_SENT, &c, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "queued -> sent"), "%s", err);
	ck_assert_int_eq(send_enter_state(te->st, msg + 1, SEND_SENDING, &c, &err),
	                 FOID_ENOTFOUND);
	c.detail = NULL;
	c.attempts = 1;
	ck_assert_msg(send_enter_state(te->st, msg, SEND_SENDING, &c, &err) == 0, "%s", err);
	ck_assert_int_eq(send_enter_state(te->st, msg, SEND_SENDING, &c, &err), FOID_EINVAL);
	ck_assert_int_eq(store_commit(te->st, &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE send_state = 'sending'"
	                                 " AND attempts = 1"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests WHERE delivery = 'sending'"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM events"), events + 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM events WHERE type = 'request.sending'"), 1);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct testenv *te = env_with_bodies(NULL);
	char *err = NULL;
	ck_assert_int_eq(create(te, "Bad Slug", "foi-request.txt", NULL, &err), FOID_EINVAL);
	ck_assert_int_eq(create(te, "ok", "no-such-template.txt", NULL, &err), FOID_ENOTFOUND);
	ck_assert_int_eq(create(te, "ok", "foi-request.txt", "tag:nothing-has-this", &err),
	                 FOID_EINVAL);
	ck_assert_msg(strstr(err, "no bodies selected"), "%s", err);
	ck_assert_int_eq(create(te, "ok", "foi-request.txt", NULL, &err), 0);
	ck_assert_int_eq(create(te, "ok", "foi-request.txt", NULL, &err), FOID_EEXIST);
	struct round_new rn = { .slug = "s1", .kind = "survey",
	                        .template_path = "survey-invitation.txt" };
	struct buf out = BUF_INIT;
	ck_assert_int_eq(round_create(te->st, te->cfg, &rn, &out, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "--closes"), "%s", err);
	rn.closes = "2016-02-30";
	ck_assert_int_eq(round_create(te->st, te->cfg, &rn, &out, &err), FOID_EINVAL);
	rn.closes = "2016-09-30";
	ck_assert_msg(round_create(te->st, te->cfg, &rn, &out, &err) == 0, "%s", err);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_pause_and_resume)
{
	struct testenv *te = env_with_bodies(NULL);
	char *err = NULL;
	ck_assert_int_eq(create(te, "stp16", "foi-request.txt", NULL, &err), 0);
	ck_assert_int_eq(round_set_paused(te->st, "stp16", 1, &err), FOID_EINVAL);
	struct buf out = BUF_INIT;
	int n;
	ck_assert_int_eq(round_launch(te->st, te->cfg, "stp16", &n, &out, &err), 0);
	ck_assert_int_eq(round_set_paused(te->st, "stp16", 1, &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT state = 'paused' FROM rounds"), 1);
	ck_assert_int_eq(round_set_paused(te->st, "stp16", 0, &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT state = 'launched' FROM rounds"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM events WHERE type LIKE 'round.%'"), 4);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_foictl_round_commands)
{
	struct testenv *te = env_with_bodies(NULL);
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "create", "stp16",
	                             "--kind", "foi", "--template", "foi-request.txt", NULL), 0);
	ck_assert_msg(strstr(out, "155 requests, FOI-STP16-001 to FOI-STP16-155"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "launch", "stp16", NULL), 0);
	ck_assert_msg(strstr(out, "queued 155"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "launch", "nope", NULL), 66);
	ck_assert_msg(strstr(err, "no round \"nope\""), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "frobnicate", NULL), 64);
	free(out);
	free(err);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("round");
	TCase *tc = tcase_create("round");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create_gives_stable_references);
	tcase_add_test(tc, test_launch_twice_queues_once);
	tcase_add_test(tc, test_add_to_launched_round_queues_only_new);
	tcase_add_test(tc, test_unresolved_placeholder_names_body);
	tcase_add_test(tc, test_header_injection_from_csv_refused);
	tcase_add_test(tc, test_preview_is_exact_and_writes_nothing);
	tcase_add_test(tc, test_plus_addressing_reply_to);
	tcase_add_test(tc, test_followup_carries_cc);
	tcase_add_test(tc, test_send_state_transitions);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_pause_and_resume);
	tcase_add_test(tc, test_foictl_round_commands);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
