/* Statuses and the clock.  Dates are uk-foia, request sent Monday 4 July
 * 2016 (day 0) at 10:00 BST; counted by hand:
 *   from 07-04: 07-12 (NI) and 08-01 (Scotland) are skipped -> due 08-03
 *   from 07-11: the same two skipped -> due 08-10
 *   20 more after 08-03: 08-29 (England) skipped -> 09-01
 *   5 more after 08-03 -> 08-10 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "round.h"
#include "round_view.h"
#include "status.h"
#include "testenv.h"
#include "util.h"

#define SENT 1467622800 /* 2016-07-04T09:00:00Z */
#define DAY 86400

static struct holidays *holidays(const char *dir)
{
	struct holidays *h = NULL;
	char *err = NULL;
	ck_assert_msg(holidays_load(dir, &h, &err) == 0, "%s", err);
	return h;
}

static struct holidays *real_holidays(void)
{
	char *dir = xasprintf("%s/data/holidays", fixture_srcdir());
	struct holidays *h = holidays(dir);
	free(dir);
	return h;
}

/* One body, one launched round, the request sent at SENT; extra (may be
 * NULL) is added to the config. */
static struct testenv *setup_with(const char *extra)
{
	struct testenv_opts o = { .extra = extra };
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, "name,short_name,email\nKent County Council,kent,foi@kent.test\n");
	struct round_new rn = { .slug = "r", .kind = "foi", .template_path = "foi-request.txt",
	                        .title = "T" };
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n;
	ck_assert_msg(round_create(te->st, te->cfg, &rn, &out, &err) == 0, "%s", err);
	ck_assert_int_eq(round_launch(te->st, te->cfg, "r", &n, &out, &err), 0);
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE requests SET delivery = 'sent',"
	                            " sent_at = ?, due_date = '2016-08-03'", "I", (int64_t)SENT), 0);
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE messages SET send_state = 'sent',"
	                            " sent_at = ?", "I", (int64_t)SENT), 0);
	buf_free(&out);
	return te;
}

static struct testenv *setup(void)
{
	return setup_with(NULL);
}

static void reply(struct testenv *te, const char *kind, int64_t at)
{
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO messages (direction, request_id,"
	                            " kind, internaldate, created_at) VALUES ('in',"
	                            " (SELECT id FROM requests), ?, ?, ?)", "sII", kind, at, at), 0);
}

/* A received message as ingestion stores it: confidence a percent,
 * person 1 when foictl mark set its kind.  Returns its id. */
static int64_t reply_as(struct testenv *te, const char *kind, int confidence, int person,
                        int64_t at)
{
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO messages (direction, request_id,"
	                            " kind, kind_confidence, kind_override, internaldate,"
	                            " created_at) VALUES ('in', (SELECT id FROM requests),"
	                            " ?, ?, ?, ?, ?)", "siiII", kind, confidence, person,
	                            at, at), 0);
	int64_t id = 0;
	ck_assert_int_eq(store_query_int(te->st, NULL, &id, "SELECT max(id) FROM messages",
	                                 NULL), 0);
	return id;
}

static void settle(struct testenv *te, int64_t id, const char *kind)
{
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE messages SET kind = ?,"
	                            " kind_override = 1 WHERE id = ?", "sI", kind, id), 0);
}

static void ours(struct testenv *te, const char *purpose, int64_t at)
{
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO messages (direction, request_id,"
	                            " purpose, send_state, sent_at, created_at) VALUES ('out',"
	                            " (SELECT id FROM requests), ?, 'sent', ?, ?)", "sII",
	                            purpose, at, at), 0);
}

static int copy_cb(const struct status *s, void *arg)
{
	struct status *out = arg;
	*out = *s;
	out->reminders.v = NULL;
	out->reminders.n = s->reminders.n;
	return 0;
}

static struct status at(struct testenv *te, const struct holidays *h, int64_t now)
{
	struct status s;
	memset(&s, 0, sizeof s);
	char *err = NULL;
	struct round_view *v = NULL;
	ck_assert_msg(round_view_load(te->st, te->cfg, h, "r", 0, &v, &err) == 0, "%s", err);
	ck_assert_msg(status_view(te->st, v, now, copy_cb, &s, &err) == 0, "%s", err);
	s.row = NULL; /* freed with the view */
	round_view_free(v);
	return s;
}

START_TEST(test_awaiting_overdue_very_overdue)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	struct status s = at(te, h, SENT + 10 * DAY);
	ck_assert_str_eq(status_name(s.status), "awaiting");
	ck_assert_str_eq(s.day0, "2016-07-04");
	ck_assert_str_eq(s.due, "2016-08-03");
	ck_assert_int_eq(s.overdue, 0);
	ck_assert_int_eq(s.on_time, -1);
	/* 2016-08-03T22:59:59Z is still 3 August in London. */
	ck_assert_int_eq(at(te, h, 1470265199).overdue, 0);
	ck_assert_int_eq(at(te, h, 1470265200).overdue, 1);
	s = at(te, h, 1470265200);
	ck_assert_int_eq(s.very_overdue, 0);
	/* 20 working days after 08-03 is 09-01 (08-29 skipped). */
	ck_assert_int_eq(at(te, h, 1472770800).very_overdue, 1); /* 2016-09-01T23:00Z */
	ck_assert_int_eq(at(te, h, 1472770799).very_overdue, 0);
	reply(te, "auto_reply", SENT + DAY);
	ck_assert_str_eq(status_name(at(te, h, SENT + 2 * DAY).status), "awaiting");
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_acknowledged_then_responded_on_time)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	reply(te, "acknowledgement", SENT + DAY);
	ck_assert_str_eq(status_name(at(te, h, SENT + 2 * DAY).status), "acknowledged");
	reply(te, "response", 1470263400); /* 2016-08-03T22:30Z = 23:30 BST */
	struct status s = at(te, h, SENT + 60 * DAY);
	ck_assert_str_eq(status_name(s.status), "responded");
	ck_assert_int_eq(s.on_time, 1);
	ck_assert_int_eq(s.overdue, 0);
	ck_assert_int_eq(s.working_days_taken, 20);
	ck_assert_int_eq(s.messages, 2);
	ck_assert_int_eq(s.first_response_at, 1470263400);
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_reply_at_2330_utc_in_bst_is_next_day_late)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	reply(te, "refusal", 1470267000); /* 2016-08-03T23:30Z = 08-04 00:30 BST */
	struct status s = at(te, h, SENT + 60 * DAY);
	ck_assert_str_eq(status_name(s.status), "refused");
	ck_assert_int_eq(s.on_time, 0);
	ck_assert_int_eq(s.working_days_taken, 21);
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_clarification_stops_and_restarts_clock)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	reply(te, "clarification", SENT + 5 * DAY);
	struct status s = at(te, h, SENT + 90 * DAY);
	ck_assert_str_eq(status_name(s.status), "clarification");
	ck_assert_int_eq(s.clock_stopped, 1);
	ck_assert_int_eq(s.overdue, 0);
	ours(te, "clarification", SENT + 7 * DAY); /* Monday 2016-07-11 */
	s = at(te, h, SENT + 8 * DAY);
	/* The body has written: never plain awaiting again. */
	ck_assert_str_eq(status_name(s.status), "acknowledged");
	ck_assert_str_eq(s.day0, "2016-07-11");
	ck_assert_str_eq(s.due, "2016-08-10");
	ck_assert_int_eq(at(te, h, SENT + 33 * DAY).overdue, 0); /* 08-06 */
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_extension_only_when_on_time)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	reply(te, "extension", SENT + 28 * DAY); /* 08-01 */
	struct status s = at(te, h, SENT + 35 * DAY);
	ck_assert_str_eq(status_name(s.status), "extended");
	ck_assert_str_eq(s.due, "2016-09-01");
	ck_assert_int_eq(s.overdue, 0);
	testenv_free(te);
	te = setup();
	reply(te, "extension", SENT + 32 * DAY); /* 08-05: after the due date */
	s = at(te, h, SENT + 35 * DAY);
	ck_assert_str_eq(s.due, "2016-08-03");
	ck_assert_int_eq(s.overdue, 1);
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_person_extends_and_withdraws)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO extensions (request_id, at, days,"
	                            " reason, actor) VALUES (?, ?, 5, 'agreed by phone', 'foictl')",
	                            "II", testenv_int(te, "SELECT id FROM requests"),
	                            (int64_t)SENT + DAY / 2), 0);
	struct status s = at(te, h, SENT + DAY);
	ck_assert_str_eq(status_name(s.status), "extended");
	ck_assert_str_eq(s.due, "2016-08-10");
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE requests SET withdrawn_at = ?", "I",
	                            (int64_t)SENT + 2 * DAY), 0);
	ck_assert_str_eq(status_name(at(te, h, SENT + 3 * DAY).status), "withdrawn");
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_delivery_states)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	static const char *const map[][2] = { { "queued", "queued" }, { "draft", "queued" },
		{ "unconfirmed", "unconfirmed" }, { "failed", "failed" }, { "bounced", "bounced" } };
	for (size_t i = 0; i < 5; i++) {
		ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE requests SET delivery = ?", "s",
		                            map[i][0]), 0);
		struct status s = at(te, h, SENT + 40 * DAY);
		ck_assert_str_eq(status_name(s.status), map[i][1]);
		if (i == 4)
			ck_assert_int_eq(s.overdue, 0);
	}
	/* A reply after a bounce (it got there another way) wins. */
	reply(te, "response", SENT + 3 * DAY);
	ck_assert_str_eq(status_name(at(te, h, SENT + 4 * DAY).status), "responded");
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_new_holiday_moves_due_date_with_event)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	int n = 0;
	char *err = NULL;
	ck_assert_int_eq(status_refresh(te->st, te->cfg, h, SENT + DAY, &n, &err), 0);
	ck_assert_int_eq(n, 0);
	/* The data gain a one-off holiday on Wednesday 20 July 2016. */
	char *dir = fixture_path(te->fx, "holidays");
	char *src = xasprintf("%s/data/holidays/uk-bank-holidays.csv", fixture_srcdir());
	char *text = NULL;
	ck_assert_int_eq(util_read_file(src, &text, NULL, NULL), 0);
	char *more = xasprintf("%s2016-07-20,england-and-wales,Test holiday\n", text);
	char *dst = xasprintf("%s/uk.csv", dir);
	ck_assert_int_eq(util_mkdirs(dir, 0700, NULL), 0);
	ck_assert_int_eq(util_write_file_atomic(dst, more, strlen(more), 0600, NULL), 0);
	struct holidays *h2 = holidays(dir);
	ck_assert_int_eq(status_refresh(te->st, te->cfg, h2, SENT + DAY, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(testenv_int(te, "SELECT due_date = '2016-08-04' FROM requests"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM events WHERE type ="
	                                 " 'request.due_changed' AND detail = '2016-08-03 -> 2016-08-04'"), 1);
	holidays_free(h2);
	free(dst);
	free(more);
	free(text);
	free(src);
	free(dir);
	holidays_free(h);
	testenv_free(te);
}
END_TEST

/* foictl show and the status table give times in deadlines.timezone. */
START_TEST(test_times_shown_in_the_configured_zone)
{
	struct testenv *te = setup_with("deadlines = { timezone = \"America/New_York\"; };");
	reply(te, "acknowledgement", SENT + DAY - 7 * 3600); /* 02:00Z on 5 July */
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "show", "r", "kent", NULL), 0);
	ck_assert_msg(strstr(out, "2016-07-04T05:00:00-04:00") &&
	              strstr(out, "2016-07-04T22:00:00-04:00"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "status", "r", NULL), 0);
	ck_assert_msg(strstr(out, "2016-07-04 ack"), "%s", out);
	free(out);
	free(err);
	testenv_free(te);
}
END_TEST

/* Every code has a distinct name that parses back to it; other names and
 * out-of-range codes are refused. */
START_TEST(test_status_names_round_trip)
{
	for (int c = 0; c < STATUS_COUNT; c++) {
		enum status_code back = STATUS_COUNT;
		const char *name = status_name((enum status_code)c);
		ck_assert_str_ne(name, "?");
		ck_assert_int_eq(status_parse(name, &back), 0);
		ck_assert_int_eq(back, c);
		for (int k = 0; k < c; k++)
			ck_assert_str_ne(name, status_name((enum status_code)k));
	}
	enum status_code x = STATUS_QUEUED;
	ck_assert_int_lt(status_parse("overdue", &x), 0);
	ck_assert_int_lt(status_parse("Awaiting", &x), 0);
	ck_assert_int_lt(status_parse(NULL, &x), 0);
	ck_assert_int_eq(x, STATUS_QUEUED);
	ck_assert_str_eq(status_name(STATUS_COUNT), "?");
}
END_TEST

/* The sets each predicate stands for, written out by name. */
static int in_set(const char *name, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(name, *set) == 0)
			return 1;
	return 0;
}

START_TEST(test_status_predicates)
{
	static const char *const waiting[] = { "awaiting", "acknowledged", "extended", NULL };
	static const char *const person[] = { "clarification", "unconfirmed", "failed",
		"bounced", "review", NULL };
	static const char *const answered[] = { "responded", "refused", NULL };
	for (int c = 0; c < STATUS_COUNT; c++) {
		const char *name = status_name((enum status_code)c);
		ck_assert_msg(status_is_waiting((enum status_code)c) == in_set(name, waiting),
		              "waiting %s", name);
		ck_assert_msg(status_needs_person((enum status_code)c) == in_set(name, person),
		              "needs a person %s", name);
		ck_assert_msg(status_is_answered((enum status_code)c) == in_set(name, answered),
		              "answered %s", name);
	}
	ck_assert(!status_is_waiting(STATUS_COUNT));
	ck_assert(!status_needs_person(STATUS_COUNT));
	ck_assert(!status_is_answered(STATUS_COUNT));
}
END_TEST

/* foictl status's order: clarification, unconfirmed, failed, bounced, review, then
 * the overdue, then the rest; colours follow the same grouping. */
START_TEST(test_status_rank_and_colour)
{
	struct status s;
	memset(&s, 0, sizeof s);
	static const enum status_code first[] = { STATUS_CLARIFICATION, STATUS_UNCONFIRMED,
		STATUS_FAILED, STATUS_BOUNCED, STATUS_REVIEW };
	for (int i = 0; i < 5; i++) {
		s.status = first[i];
		ck_assert_int_eq(status_rank(&s), i);
	}
	s.status = STATUS_AWAITING;
	ck_assert_int_eq(status_rank(&s), 6);
	ck_assert_str_eq(status_colour(&s), "");
	s.overdue = 1;
	ck_assert_int_eq(status_rank(&s), 5);
	ck_assert_str_eq(status_colour(&s), "\033[31m");
	s.overdue = 0;
	s.status = STATUS_CLARIFICATION;
	ck_assert_str_eq(status_colour(&s), "\033[33m");
	s.status = STATUS_REFUSED;
	ck_assert_str_eq(status_colour(&s), "\033[32m");
	s.status = STATUS_BOUNCED;
	ck_assert_str_eq(status_colour(&s), "\033[31m");
}
END_TEST


START_TEST(test_other_reply_holds_request_for_review)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	int64_t id = reply_as(te, "other", 0, 0, SENT + DAY);
	struct status s = at(te, h, SENT + 40 * DAY);
	ck_assert_str_eq(status_name(s.status), "review");
	ck_assert(!status_is_waiting(s.status));
	ck_assert_int_eq(s.review_messages, 1);
	ck_assert_int_eq(s.review_message, id);
	ck_assert_int_eq(s.first_response_at, 0);
	ck_assert_int_eq(s.messages, 1);
	/* A person read it and it is really nothing: settled, but the body
	 * has written, so not plain awaiting. */
	settle(te, id, "other");
	s = at(te, h, SENT + 40 * DAY);
	ck_assert_str_eq(status_name(s.status), "acknowledged");
	ck_assert(status_is_waiting(s.status));
	ck_assert_int_eq(s.review_messages, 0);
	ck_assert_int_eq(s.review_message, 0);
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_low_confidence_reply_is_review_until_marked)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	int64_t id = reply_as(te, "response", 59, 0, SENT + 3 * DAY);
	struct status s = at(te, h, SENT + 10 * DAY);
	ck_assert_str_eq(status_name(s.status), "review");
	ck_assert_int_eq(s.first_response_at, 0); /* a guess is no answer */
	ck_assert_int_eq(s.on_time, -1);
	settle(te, id, "response");
	s = at(te, h, SENT + 10 * DAY);
	ck_assert_str_eq(status_name(s.status), "responded");
	ck_assert_int_eq(s.first_response_at, SENT + 3 * DAY);
	ck_assert_int_eq(s.on_time, 1);
	testenv_free(te);
	/* At the threshold (default 60) the kind stands. */
	te = setup();
	reply_as(te, "response", 60, 0, SENT + 3 * DAY);
	ck_assert_str_eq(status_name(at(te, h, SENT + 10 * DAY).status), "responded");
	testenv_free(te);
	/* A doubtful clarification stops no clock. */
	te = setup();
	reply_as(te, "clarification", 30, 0, SENT + 3 * DAY);
	s = at(te, h, SENT + 40 * DAY);
	ck_assert_str_eq(status_name(s.status), "review");
	ck_assert_int_eq(s.clock_stopped, 0);
	ck_assert_int_eq(s.overdue, 1);
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_review_threshold_from_config)
{
	struct testenv *te = setup_with("classify = { review_below = 0; };\n");
	struct holidays *h = real_holidays();
	reply_as(te, "response", 10, 0, SENT + 3 * DAY);
	ck_assert_str_eq(status_name(at(te, h, SENT + 10 * DAY).status), "responded");
	testenv_free(te);
	te = setup_with("classify = { review_below = 0; };\n");
	reply_as(te, "other", 100, 0, SENT + 3 * DAY);
	ck_assert_str_eq(status_name(at(te, h, SENT + 10 * DAY).status), "review");
	testenv_free(te);
	te = setup_with("classify = { review_below = 90; };\n");
	reply_as(te, "acknowledgement", 80, 0, SENT + 3 * DAY);
	ck_assert_str_eq(status_name(at(te, h, SENT + 10 * DAY).status), "review");
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_auto_reply_and_bounce_never_review)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	reply_as(te, "auto_reply", 0, 0, SENT + DAY);
	reply_as(te, "bounce", 0, 0, SENT + DAY);
	reply_as(te, "own", 0, 0, SENT + DAY);
	struct status s = at(te, h, SENT + 2 * DAY);
	ck_assert_str_eq(status_name(s.status), "awaiting");
	ck_assert_int_eq(s.review_messages, 0);
	holidays_free(h);
	testenv_free(te);
}
END_TEST

/* Whatever the order, a clear answer answers; the doubtful message is
 * still counted for a person. */
START_TEST(test_review_ordering_with_answers)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	reply_as(te, "other", 0, 0, SENT + DAY);
	reply_as(te, "response", 100, 0, SENT + 5 * DAY);
	struct status s = at(te, h, SENT + 10 * DAY);
	ck_assert_str_eq(status_name(s.status), "responded");
	ck_assert_int_eq(s.first_response_at, SENT + 5 * DAY);
	ck_assert_int_eq(s.review_messages, 1);
	testenv_free(te);
	te = setup();
	reply_as(te, "refusal", 100, 0, SENT + DAY);
	int64_t later = reply_as(te, "other", 0, 0, SENT + 5 * DAY);
	s = at(te, h, SENT + 10 * DAY);
	ck_assert_str_eq(status_name(s.status), "refused");
	ck_assert_int_eq(s.review_message, later);
	testenv_free(te);
	/* Review outranks what only says the body is still working on it. */
	te = setup();
	reply_as(te, "other", 0, 0, SENT + DAY);
	reply_as(te, "acknowledgement", 100, 0, SENT + 2 * DAY);
	reply_as(te, "extension", 100, 0, SENT + 3 * DAY);
	ck_assert_str_eq(status_name(at(te, h, SENT + 10 * DAY).status), "review");
	testenv_free(te);
	/* Our clarification owed comes first; the message still counts. */
	te = setup();
	reply_as(te, "clarification", 100, 0, SENT + DAY);
	reply_as(te, "other", 0, 0, SENT + 2 * DAY);
	s = at(te, h, SENT + 10 * DAY);
	ck_assert_str_eq(status_name(s.status), "clarification");
	ck_assert_int_eq(s.review_messages, 1);
	holidays_free(h);
	testenv_free(te);
}
END_TEST

START_TEST(test_body_mail_never_leaves_plain_awaiting)
{
	struct testenv *te = setup();
	struct holidays *h = real_holidays();
	/* An extension after the due date adds nothing, but the body wrote. */
	reply_as(te, "extension", 100, 0, SENT + 32 * DAY);
	ck_assert_str_eq(status_name(at(te, h, SENT + 35 * DAY).status), "acknowledged");
	holidays_free(h);
	testenv_free(te);
}
END_TEST

int main(void)
{
Suite *s = suite_create("status");
	TCase *tc = tcase_create("status");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_awaiting_overdue_very_overdue);
	tcase_add_test(tc, test_acknowledged_then_responded_on_time);
	tcase_add_test(tc, test_reply_at_2330_utc_in_bst_is_next_day_late);
	tcase_add_test(tc, test_clarification_stops_and_restarts_clock);
	tcase_add_test(tc, test_extension_only_when_on_time);
	tcase_add_test(tc, test_person_extends_and_withdraws);
	tcase_add_test(tc, test_delivery_states);
	tcase_add_test(tc, test_new_holiday_moves_due_date_with_event);
	tcase_add_test(tc, test_times_shown_in_the_configured_zone);
	tcase_add_test(tc, test_status_names_round_trip);
	tcase_add_test(tc, test_status_predicates);
	tcase_add_test(tc, test_status_rank_and_colour);
	tcase_add_test(tc, test_other_reply_holds_request_for_review);
	tcase_add_test(tc, test_low_confidence_reply_is_review_until_marked);
	tcase_add_test(tc, test_review_threshold_from_config);
	tcase_add_test(tc, test_auto_reply_and_bounce_never_review);
	tcase_add_test(tc, test_review_ordering_with_answers);
	tcase_add_test(tc, test_body_mail_never_leaves_plain_awaiting);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
