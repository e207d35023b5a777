/* The deadline engine.  Every expected due date below was counted by hand
 * on a calendar against data/holidays and cross-checked with a separate
 * count; the comments show the count where it is not obvious. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "ctl.h"
#include "deadline.h"
#include "fixture.h"

static struct holidays *load_real(void)
{
	char *dir = xasprintf("%s/data/holidays", fixture_srcdir());
	struct holidays *h = NULL;
	char *err = NULL;
	ck_assert_msg(holidays_load(dir, &h, &err) == 0, "%s", err);
	free(dir);
	return h;
}

static struct deadline_date D(const char *s)
{
	struct deadline_date d;
	ck_assert_int_eq(deadline_date_parse(s, &d, NULL), 0);
	return d;
}

static const char *fmt(struct deadline_date d)
{
	static char s[4][11];
	static int i;
	i = (i + 1) % 4;
	return deadline_date_format(d, s[i]);
}

static struct deadline_regime regime(const char *s)
{
	struct deadline_regime r;
	char *err = NULL;
	ck_assert_msg(deadline_regime_parse(s, &r, &err) == 0, "%s", err);
	return r;
}

/* The due date as a string, extra working days added. */
static const char *due_ext(const char *reg, const char *day0, int extra)
{
	struct holidays *h = load_real();
	struct deadline_regime r = regime(reg);
	struct deadline_date due;
	char *err = NULL;
	ck_assert_msg(deadline_due(h, &r, D(day0), extra, &due, NULL, &err) == 0, "%s", err);
	holidays_free(h);
	return fmt(due);
}

static const char *due(const char *reg, const char *day0)
{
	return due_ext(reg, day0, 0);
}

/* ---- dates ---- */

START_TEST(test_date_parse_strict)
{
	struct deadline_date d;
	char *err = NULL;
	ck_assert_int_eq(deadline_date_parse("2016-02-29", &d, &err), 0);
	ck_assert_int_eq(d.y, 2016);
	ck_assert_int_eq(d.m, 2);
	ck_assert_int_eq(d.d, 29);
	ck_assert_int_eq(deadline_date_parse("2016-02-30", &d, &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "2016-02-30"));
	ck_assert_int_eq(deadline_date_parse("2015-02-29", &d, NULL), FOID_EINVAL);
	ck_assert_int_eq(deadline_date_parse("2016-13-01", &d, NULL), FOID_EINVAL);
	ck_assert_int_eq(deadline_date_parse("2016-7-4", &d, NULL), FOID_EINVAL);
	ck_assert_int_eq(deadline_date_parse("2016-07-04x", &d, NULL), FOID_EINVAL);
	ck_assert_int_eq(deadline_date_parse("2016-07-0", &d, NULL), FOID_EINVAL);
	ck_assert_int_eq(deadline_date_parse("", &d, NULL), FOID_EINVAL);
	free(err);
}
END_TEST

START_TEST(test_date_arithmetic)
{
	ck_assert_str_eq(fmt(deadline_date_add_days(D("2016-02-28"), 1)), "2016-02-29");
	ck_assert_str_eq(fmt(deadline_date_add_days(D("2016-12-31"), 1)), "2017-01-01");
	ck_assert_str_eq(fmt(deadline_date_add_days(D("2016-03-01"), -1)), "2016-02-29");
	ck_assert_int_eq(deadline_date_to_days(D("1970-01-02")), 1);
	ck_assert_str_eq(fmt(deadline_date_from_days(17000)), "2016-07-18");
	ck_assert_int_eq(deadline_date_weekday(D("2016-07-04")), 1); /* Monday */
	ck_assert_int_eq(deadline_date_weekday(D("2016-07-03")), 0); /* Sunday */
	ck_assert_int_lt(deadline_date_cmp(D("2016-07-03"), D("2016-07-04")), 0);
	ck_assert_int_eq(deadline_date_cmp(D("2016-07-04"), D("2016-07-04")), 0);
}
END_TEST

/* ---- loader ---- */

START_TEST(test_load_real_data)
{
	struct holidays *h = load_real();
	ck_assert_str_eq(holidays_name(h, "scotland", D("2016-08-01")), "Summer bank holiday");
	ck_assert_str_eq(holidays_name(h, "uk", D("2016-08-01")),
	                 "Summer bank holiday (scotland)");
	ck_assert_str_eq(holidays_name(h, "uk", D("2016-08-29")),
	                 "Summer bank holiday (england-and-wales, northern-ireland)");
	ck_assert_str_eq(holidays_name(h, "uk", D("2016-12-26")), "Boxing Day");
	/* Same day, different names per region. */
	ck_assert_str_eq(holidays_name(h, "uk", D("2017-01-02")),
	                 "New Year's Day (substitute day) (england-and-wales, northern-ireland); "
	                 "2nd January (scotland)");
	/* The quoted name in the generated US file. */
	ck_assert_str_eq(holidays_name(h, "us-federal", D("2016-01-18")),
	                 "Birthday of Martin Luther King, Jr.");
	ck_assert_ptr_null(holidays_name(h, "england-and-wales", D("2016-08-01")));
	ck_assert_ptr_null(holidays_name(h, "none", D("2016-12-26")));
	ck_assert_ptr_null(holidays_name(h, "mars", D("2016-12-26")));
	holidays_free(h);
}
END_TEST

START_TEST(test_load_us_observed)
{
	struct holidays *h = load_real();
	/* Saturday holidays on the Friday, Sunday ones on the Monday. */
	ck_assert_str_eq(holidays_name(h, "us-federal", D("2015-07-03")),
	                 "Independence Day (observed)");
	ck_assert_str_eq(holidays_name(h, "us-federal", D("2016-12-26")),
	                 "Christmas Day (observed)");
	ck_assert_str_eq(holidays_name(h, "us-federal", D("2021-12-31")),
	                 "New Year's Day (observed)");
	ck_assert_str_eq(holidays_name(h, "us-federal", D("2023-11-10")),
	                 "Veterans Day (observed)");
	/* Juneteenth only from 2021 (Saturday that year); no inauguration day. */
	ck_assert_str_eq(holidays_name(h, "us-federal", D("2021-06-18")),
	                 "Juneteenth National Independence Day (observed)");
	ck_assert_ptr_null(holidays_name(h, "us-federal", D("2020-06-19")));
	ck_assert_ptr_null(holidays_name(h, "us-federal", D("2021-01-20")));
	holidays_free(h);
}
END_TEST

/* Loads a directory holding one file with the given text; returns the rc. */
static int load_text(const char *text, char **err)
{
	struct fixture *fx = fixture_new();
	free(fixture_write(fx, "x.csv", text));
	struct holidays *h = NULL;
	int rc = holidays_load(fx->dir, &h, err);
	if (rc == 0)
		ck_assert_ptr_nonnull(h);
	holidays_free(h);
	fixture_free(fx);
	return rc;
}

START_TEST(test_load_bad_date_file_line)
{
	char *err = NULL;
	ck_assert_int_eq(load_text("date,region,name\r\n2016-01-01,scotland,A\r\n"
	                           "2016-02-30,scotland,B\r\n", &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/x.csv:3: bad date \"2016-02-30\""));
	free(err);
}
END_TEST

START_TEST(test_load_missing_column_file_line)
{
	char *err = NULL;
	ck_assert_int_eq(load_text("date,region,name\n\n2016-01-01,scotland\n", &err),
	                 FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/x.csv:3: expected 3 columns"));
	free(err);
}
END_TEST

START_TEST(test_load_bad_header_region_quote_dup)
{
	char *err = NULL;
	ck_assert_int_eq(load_text("day,region,name\n", &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/x.csv:1: header"));
	ck_assert_int_eq(load_text("date,region,name\n2016-01-01,Scotland,A\n", &err),
	                 FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/x.csv:2: bad region \"Scotland\""));
	ck_assert_int_eq(load_text("date,region,name\n2016-01-01,uk,A\n", &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/x.csv:2: bad region"));
	ck_assert_int_eq(load_text("date,region,name\n2016-01-01,a,\"A\n", &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/x.csv:2: unbalanced quote"));
	ck_assert_int_eq(load_text("date,region,name\n2016-01-01,a,\n", &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/x.csv:2: empty holiday name"));
	ck_assert_int_eq(load_text("date,region,name\n2016-01-01,a,A\n2016-01-01,a,B\n", &err),
	                 FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/x.csv:3: second holiday for a on 2016-01-01"));
	ck_assert_int_eq(load_text("", &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/x.csv:1: empty file"));
	ck_assert_int_eq(load_text("date,region,name\n2016-01-01,a,\"A, \"\"B\"\"\"\n", &err), 0);
	free(err);
}
END_TEST

/* data_dir/holidays, the one place that path is made. */
START_TEST(test_load_data_dir)
{
	char *data = xasprintf("%s/data", fixture_srcdir());
	struct holidays *h = NULL;
	char *err = NULL;
	ck_assert_msg(holidays_load_data(data, &h, &err) == 0, "%s", err);
	ck_assert_str_eq(holidays_name(h, "scotland", D("2016-08-01")), "Summer bank holiday");
	holidays_free(h);
	h = NULL;
	ck_assert_int_eq(holidays_load_data(fixture_srcdir(), &h, &err), FOID_ENOTFOUND);
	ck_assert_ptr_null(h);
	char *want = xasprintf("%s/holidays", fixture_srcdir());
	ck_assert_msg(strstr(err, want), "%s", err);
	free(want);
	free(err);
	free(data);
}
END_TEST

START_TEST(test_load_dir_errors)
{
	struct fixture *fx = fixture_new();
	struct holidays *h = NULL;
	char *err = NULL;
	ck_assert_int_eq(holidays_load(fx->dir, &h, &err), FOID_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err, "no *.csv"));
	char *missing = fixture_path(fx, "nope");
	ck_assert_int_eq(holidays_load(missing, &h, &err), FOID_ENOTFOUND);
	ck_assert_ptr_null(h);
	free(missing);
	free(err);
	fixture_free(fx);
}
END_TEST

START_TEST(test_load_every_csv_region_is_calendar)
{
	struct fixture *fx = fixture_new();
	free(fixture_write(fx, "a.csv", "date,region,name\n2016-07-05,atlantis,Founding Day\n"));
	free(fixture_write(fx, "b.csv", "date,region,name\n2016-07-06,lemuria,Sinking Day\n"));
	free(fixture_write(fx, "notes.txt", "not,a,csv\n"));
	struct holidays *h = NULL;
	char *err = NULL;
	ck_assert_msg(holidays_load(fx->dir, &h, &err) == 0, "%s", err);
	ck_assert_str_eq(holidays_name(h, "atlantis", D("2016-07-05")), "Founding Day");
	ck_assert_str_eq(holidays_name(h, "lemuria", D("2016-07-06")), "Sinking Day");
	ck_assert_int_eq(deadline_is_working_day(h, "atlantis", D("2016-07-05"), &err), 0);
	ck_assert_int_eq(deadline_is_working_day(h, "atlantis", D("2016-07-06"), &err), 1);
	/* uk needs its three regions. */
	ck_assert_int_eq(deadline_is_working_day(h, "uk", D("2016-07-06"), &err), FOID_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err, "england-and-wales"));
	free(err);
	holidays_free(h);
	fixture_free(fx);
}
END_TEST

/* ---- working days ---- */

START_TEST(test_is_working_day)
{
	struct holidays *h = load_real();
	char *err = NULL;
	ck_assert_int_eq(deadline_is_working_day(h, "uk", D("2016-08-01"), &err), 0);
	ck_assert_int_eq(deadline_is_working_day(h, "england-and-wales", D("2016-08-01"), &err), 1);
	ck_assert_int_eq(deadline_is_working_day(h, "uk", D("2016-07-09"), &err), 0); /* Sat */
	ck_assert_int_eq(deadline_is_working_day(h, "none", D("2016-12-26"), &err), 1);
	ck_assert_int_eq(deadline_is_working_day(h, "none", D("2016-12-25"), &err), 0); /* Sun */
	/* 2020's early May holiday moved to VE day: 4 May was a working day. */
	ck_assert_int_eq(deadline_is_working_day(h, "uk", D("2020-05-04"), &err), 1);
	ck_assert_int_eq(deadline_is_working_day(h, "uk", D("2020-05-08"), &err), 0);
	ck_assert_int_eq(deadline_is_working_day(h, "mars", D("2016-08-01"), &err), FOID_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err, "unknown calendar \"mars\""));
	free(err);
	holidays_free(h);
}
END_TEST

START_TEST(test_add_working_days_both_ways)
{
	struct holidays *h = load_real();
	struct deadline_date d;
	ck_assert_int_eq(deadline_add_working_days(h, "uk", D("2016-07-04"), 20, &d, NULL), 0);
	ck_assert_str_eq(fmt(d), "2016-08-03");
	ck_assert_int_eq(deadline_add_working_days(h, "uk", D("2016-08-03"), -20, &d, NULL), 0);
	ck_assert_str_eq(fmt(d), "2016-07-04");
	/* Back from Tuesday 2 Aug over the Scottish holiday and a weekend. */
	ck_assert_int_eq(deadline_add_working_days(h, "uk", D("2016-08-02"), -1, &d, NULL), 0);
	ck_assert_str_eq(fmt(d), "2016-07-29");
	ck_assert_int_eq(deadline_add_working_days(h, "uk", D("2016-07-09"), 0, &d, NULL), 0);
	ck_assert_str_eq(fmt(d), "2016-07-09");
	holidays_free(h);
}
END_TEST

START_TEST(test_working_days_between)
{
	struct holidays *h = load_real();
	int n = 0;
	ck_assert_int_eq(deadline_working_days_between(h, "uk", D("2016-07-04"), D("2016-08-03"),
	                                               &n, NULL), 0);
	ck_assert_int_eq(n, 20);
	ck_assert_int_eq(deadline_working_days_between(h, "scotland", D("2016-07-04"),
	                                               D("2016-08-03"), &n, NULL), 0);
	ck_assert_int_eq(n, 21);
	ck_assert_int_eq(deadline_working_days_between(h, "uk", D("2016-08-03"), D("2016-07-04"),
	                                               &n, NULL), 0);
	ck_assert_int_eq(n, -20);
	ck_assert_int_eq(deadline_working_days_between(h, "uk", D("2016-07-08"), D("2016-07-10"),
	                                               &n, NULL), 0);
	ck_assert_int_eq(n, 0);
	holidays_free(h);
}
END_TEST

/* ---- regimes ---- */

START_TEST(test_regime_parse)
{
	struct deadline_regime r = regime("uk-foia");
	ck_assert_int_eq(r.kind, DEADLINE_WORKING);
	ck_assert_int_eq(r.days, 20);
	ck_assert_str_eq(r.calendar, "uk");
	ck_assert_int_eq(r.extension, 20);
	ck_assert_str_eq(r.tz, "Europe/London");
	ck_assert_int_eq(r.very_overdue, 20);
	r = regime("uk-eir");
	ck_assert_str_eq(r.calendar, "uk");
	ck_assert_int_eq(r.extension, 20);
	r = regime("uk-foisa");
	ck_assert_str_eq(r.calendar, "scotland");
	ck_assert_int_eq(r.extension, 0);
	r = regime("us-foia");
	ck_assert_str_eq(r.calendar, "us-federal");
	ck_assert_int_eq(r.extension, 10);
	ck_assert_str_eq(r.tz, "America/New_York");
	r = regime("working:15:northern-ireland");
	ck_assert_int_eq(r.days, 15);
	ck_assert_str_eq(r.calendar, "northern-ireland");
	r = regime("calendar:30");
	ck_assert_int_eq(r.kind, DEADLINE_CALENDAR);
	ck_assert_int_eq(r.days, 30);
	ck_assert_str_eq(r.calendar, "uk");
	ck_assert_str_eq(r.name, "calendar:30");
}
END_TEST

START_TEST(test_regime_parse_errors)
{
	struct deadline_regime r;
	char *err = NULL;
	ck_assert_int_eq(deadline_regime_parse("uk-fooia", &r, &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown regime \"uk-fooia\""));
	ck_assert_int_eq(deadline_regime_parse("working:", &r, &err), FOID_EINVAL);
	ck_assert_int_eq(deadline_regime_parse("working:0", &r, &err), FOID_EINVAL);
	ck_assert_int_eq(deadline_regime_parse("working:99999", &r, &err), FOID_EINVAL);
	ck_assert_int_eq(deadline_regime_parse("working:20x", &r, &err), FOID_EINVAL);
	ck_assert_int_eq(deadline_regime_parse("working:20:", &r, &err), FOID_EINVAL);
	ck_assert_int_eq(deadline_regime_parse("calendar:5:Scot land", &r, &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "bad calendar"));
	free(err);
}
END_TEST

/* ---- due dates ---- */

START_TEST(test_due_issue_examples)
{
	/* 12 July (NI) and 1 Aug (Scotland) both skipped under the union. */
	ck_assert_str_eq(due("uk-foia", "2016-07-04"), "2016-08-03");
	ck_assert_str_eq(due("uk-eir", "2016-07-04"), "2016-08-03");
	ck_assert_str_eq(due("uk-foisa", "2016-07-04"), "2016-08-02");
	ck_assert_str_eq(due("working:20:england-and-wales", "2016-07-04"), "2016-08-01");
	ck_assert_str_eq(due("working:20:northern-ireland", "2016-07-04"), "2016-08-02");
	/* Day 0 in 2014, before the data: not looked at.  1 and 2 Jan skipped. */
	ck_assert_str_eq(due("uk-foia", "2014-12-31"), "2015-01-30");
}
END_TEST

START_TEST(test_due_christmas_new_year)
{
	/* 26, 27 Dec 2016 and 2 Jan 2017 everywhere, 3 Jan in Scotland only. */
	ck_assert_str_eq(due("uk-foia", "2016-12-19"), "2017-01-20");
	ck_assert_str_eq(due("working:20:england-and-wales", "2016-12-19"), "2017-01-19");
}
END_TEST

START_TEST(test_due_easter_st_patrick)
{
	/* St Patrick's (NI) 17 Mar, Good Friday 25 Mar, Easter Monday 28 Mar
	 * (not Scotland). */
	ck_assert_str_eq(due("uk-foia", "2016-03-14"), "2016-04-14");
	ck_assert_str_eq(due("uk-foisa", "2016-03-14"), "2016-04-12");
}
END_TEST

START_TEST(test_due_one_off_holidays)
{
	/* VE day moved the May holiday to Fri 8 May 2020; 25 May spring. */
	ck_assert_str_eq(due("uk-foia", "2020-05-01"), "2020-06-02");
	/* Platinum Jubilee: 30 May 2022 working, 2-3 June not. */
	ck_assert_str_eq(due("uk-foia", "2022-05-27"), "2022-06-28");
	/* State funeral, Mon 19 Sep 2022. */
	ck_assert_str_eq(due("uk-foia", "2022-09-16"), "2022-10-17");
	/* 1 May, coronation 8 May, spring 29 May 2023. */
	ck_assert_str_eq(due("uk-foia", "2023-04-28"), "2023-05-31");
}
END_TEST

START_TEST(test_due_day0_not_working)
{
	/* Saturday: day 1 is Monday 4 July, a day earlier than from Monday. */
	ck_assert_str_eq(due("uk-foia", "2016-07-02"), "2016-08-02");
	/* Bank holiday (E&W summer): day 0 stays that day. */
	ck_assert_str_eq(due("uk-foia", "2016-08-29"), "2016-09-26");
}
END_TEST

START_TEST(test_due_extension)
{
	struct deadline_regime r = regime("uk-foia");
	int extra = 0;
	char *err = NULL;
	ck_assert_int_eq(deadline_extension(&r, &extra, &err), 0);
	ck_assert_int_eq(extra, 20);
	/* 29 Aug 2016 (E&W, NI) skipped in the second twenty. */
	ck_assert_str_eq(due_ext("uk-foia", "2016-07-04", extra), "2016-09-01");
	r = regime("us-foia");
	ck_assert_int_eq(deadline_extension(&r, &extra, &err), 0);
	ck_assert_int_eq(extra, 10);
	ck_assert_str_eq(due_ext("us-foia", "2016-07-04", extra), "2016-08-15");
	r = regime("uk-foisa");
	ck_assert_int_eq(deadline_extension(&r, &extra, &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "uk-foisa allows no extension"));
	free(err);
}
END_TEST

START_TEST(test_due_us_foia)
{
	/* Day 0 on Independence Day; Aug has no federal holiday. */
	ck_assert_str_eq(due("us-foia", "2016-07-04"), "2016-08-01");
	/* Veterans Day 11 Nov and Thanksgiving 24 Nov 2016. */
	ck_assert_str_eq(due("us-foia", "2016-11-04"), "2016-12-06");
	ck_assert_str_eq(due_ext("us-foia", "2016-11-04", 10), "2016-12-20");
	/* Juneteenth observed Fri 18 Jun, Independence Day Mon 5 Jul 2021. */
	ck_assert_str_eq(due("us-foia", "2021-06-14"), "2021-07-14");
}
END_TEST

START_TEST(test_due_calendar_days)
{
	ck_assert_str_eq(due("calendar:30", "2016-07-04"), "2016-08-03");
	/* Sat 9 July: on to Monday. */
	ck_assert_str_eq(due("calendar:5", "2016-07-04"), "2016-07-11");
	/* Sat 30 July, Sun, then the Scottish holiday on Monday 1 Aug. */
	ck_assert_str_eq(due("calendar:26", "2016-07-04"), "2016-08-02");
	ck_assert_str_eq(due("calendar:26:england-and-wales", "2016-07-04"), "2016-08-01");
	ck_assert_str_eq(due("calendar:26:none", "2016-07-04"), "2016-08-01");
}
END_TEST

START_TEST(test_due_explain)
{
	struct holidays *h = load_real();
	struct deadline_regime r = regime("uk-foisa");
	struct deadline_date d;
	struct buf b = BUF_INIT;
	ck_assert_int_eq(deadline_due(h, &r, D("2016-07-04"), 0, &d, &b, NULL), 0);
	ck_assert_ptr_eq(strstr(b.data, "2016-07-04 Mon  day 0\n"), b.data);
	ck_assert_ptr_nonnull(strstr(b.data, "\n2016-07-05 Tue  day 1\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\n2016-07-09 Sat  skipped: weekend\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\n2016-07-12 Tue  day 6\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\n2016-08-01 Mon  skipped: Summer bank holiday\n"));
	ck_assert_str_eq(b.data + b.len - strlen("2016-08-02 Tue  day 20\n"),
	                 "2016-08-02 Tue  day 20\n");
	int lines = 0;
	for (const char *p = b.data; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 30); /* 4 July to 2 August */
	buf_reset(&b);
	r = regime("uk-foia");
	ck_assert_int_eq(deadline_due(h, &r, D("2016-07-04"), 0, &d, &b, NULL), 0);
	ck_assert_ptr_nonnull(strstr(b.data,
	                             "\n2016-08-01 Mon  skipped: Summer bank holiday (scotland)\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	                             "\n2016-07-12 Tue  skipped: Battle of the Boyne (Orangemen's Day)"
	                             " (northern-ireland)\n"));
	buf_reset(&b);
	r = regime("calendar:5");
	ck_assert_int_eq(deadline_due(h, &r, D("2016-07-04"), 0, &d, &b, NULL), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\n2016-07-09 Sat  day 5, not a working day (weekend)\n"
	                                     "2016-07-10 Sun  skipped: weekend\n"
	                                     "2016-07-11 Mon  due: next working day\n"));
	buf_free(&b);
	holidays_free(h);
}
END_TEST

START_TEST(test_due_past_end_of_data)
{
	struct holidays *h = load_real();
	struct deadline_regime r = regime("uk-foia");
	struct deadline_date d = D("2000-01-01");
	char *err = NULL;
	ck_assert_int_eq(deadline_due(h, &r, D("2030-12-20"), 0, &d, NULL, &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no holiday data for 2031"));
	ck_assert_str_eq(fmt(d), "2000-01-01");
	/* The US data also end in 2030. */
	r = regime("us-foia");
	ck_assert_int_eq(deadline_due(h, &r, D("2030-12-20"), 0, &d, NULL, &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no holiday data for 2031"));
	ck_assert_int_eq(deadline_is_working_day(h, "scotland", D("2014-06-02"), &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "2014"));
	/* No holidays at all: any year will do. */
	r = regime("working:5:none");
	ck_assert_int_eq(deadline_due(h, &r, D("2040-01-02"), 0, &d, NULL, &err), 0);
	ck_assert_str_eq(fmt(d), "2040-01-09");
	free(err);
	holidays_free(h);
}
END_TEST

START_TEST(test_due_unknown_calendar)
{
	struct holidays *h = load_real();
	struct deadline_regime r = regime("working:20:mars");
	struct deadline_date d;
	char *err = NULL;
	ck_assert_int_eq(deadline_due(h, &r, D("2016-07-04"), 0, &d, NULL, &err), FOID_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err, "unknown calendar \"mars\""));
	ck_assert_ptr_nonnull(strstr(err, "us-federal"));
	free(err);
	holidays_free(h);
}
END_TEST

/* ---- time zones ---- */

START_TEST(test_tz_reply_late_after_london_midnight)
{
	/* 2016-08-03T23:30Z is 00:30 BST on 4 August. */
	ck_assert_int_eq(deadline_on_time(1470267000, D("2016-08-03"), "Europe/London"), 0);
	ck_assert_str_eq(fmt(deadline_local_date(1470267000, "Europe/London")), "2016-08-04");
	ck_assert_str_eq(fmt(deadline_local_date(1470267000, NULL)), "2016-08-03");
}
END_TEST

START_TEST(test_tz_reply_on_time_last_second)
{
	/* 22:59:59Z is 23:59:59 BST; 23:00:00Z is already the next day. */
	ck_assert_int_eq(deadline_on_time(1470265199, D("2016-08-03"), "Europe/London"), 1);
	ck_assert_int_eq(deadline_on_time(1470265200, D("2016-08-03"), "Europe/London"), 0);
	ck_assert_int_eq(deadline_end_of_day(D("2016-08-03"), "Europe/London"), 1470265200);
	/* New York, EDT: 03:30Z on the 4th is 23:30 on the 3rd. */
	ck_assert_int_eq(deadline_on_time(1470281400, D("2016-08-03"), "America/New_York"), 1);
	ck_assert_int_eq(deadline_on_time(1470283200, D("2016-08-03"), "America/New_York"), 0);
}
END_TEST

START_TEST(test_tz_request_day0_sunday_night)
{
	/* Sunday 2016-07-03T23:30Z is Monday 00:30 in London. */
	struct deadline_date d0 = deadline_local_date(1467588600, "Europe/London");
	ck_assert_str_eq(fmt(d0), "2016-07-04");
	ck_assert_str_eq(due_ext("uk-foia", fmt(d0), 0), "2016-08-03");
	/* In winter (GMT) 23:30Z stays on the same day. */
	ck_assert_str_eq(fmt(deadline_local_date(1480980600, "Europe/London")), "2016-12-05");
}
END_TEST

START_TEST(test_tz_dst_change_days)
{
	/* 27 March 2016 lasted 23 hours in London, 30 October 25. */
	ck_assert_int_eq(deadline_end_of_day(D("2016-03-26"), "Europe/London"), 1459036800);
	ck_assert_int_eq(deadline_end_of_day(D("2016-03-27"), "Europe/London"), 1459119600);
	ck_assert_int_eq(deadline_end_of_day(D("2016-10-29"), "Europe/London"), 1477785600 - 3600);
	ck_assert_int_eq(deadline_end_of_day(D("2016-10-30"), "Europe/London"), 1477785600 + 86400);
	ck_assert_int_eq(deadline_end_of_day(D("2016-10-30"), NULL), 1477785600 + 86400);
}
END_TEST

/* Switching zones back and forth (and someone else changing TZ) never
 * leaves a conversion in the wrong zone. */
START_TEST(test_tz_switching_back_and_forth)
{
	for (int i = 0; i < 3; i++) {
		ck_assert_str_eq(fmt(deadline_local_date(1470267000, "Europe/London")), "2016-08-04");
		ck_assert_str_eq(fmt(deadline_local_date(1470267000, "America/New_York")), "2016-08-03");
		ck_assert_str_eq(fmt(deadline_local_date(1470267000, NULL)), "2016-08-03");
		setenv("TZ", "Asia/Tokyo", 1);
		ck_assert_int_eq(deadline_end_of_day(D("2016-08-03"), "Europe/London"), 1470265200);
	}
}
END_TEST

/* The contract in deadline.h: a helper given a zone leaves TZ set to it,
 * one given NULL leaves TZ as it found it, and local time read afterwards
 * is in the zone the helper last used. */
START_TEST(test_tz_helpers_leave_tz_as_documented)
{
	setenv("TZ", "Asia/Tokyo", 1);
	ck_assert_str_eq(fmt(deadline_local_date(1470267000, NULL)), "2016-08-03");
	ck_assert_int_eq(deadline_end_of_day(D("2016-08-03"), NULL), 1470268800);
	ck_assert_str_eq(getenv("TZ"), "Asia/Tokyo");
	ck_assert_str_eq(fmt(deadline_local_date(1470267000, "America/New_York")), "2016-08-03");
	ck_assert_str_eq(getenv("TZ"), "America/New_York");
	ck_assert_int_eq(deadline_end_of_day(D("2016-08-03"), "Europe/London"), 1470265200);
	ck_assert_str_eq(getenv("TZ"), "Europe/London");
	time_t t = 1470267000; /* 00:30 BST on 4 August */
	struct tm tm;
	localtime_r(&t, &tm);
	ck_assert_int_eq(tm.tm_mday, 4);
	ck_assert_int_eq(tm.tm_hour, 0);
	ck_assert_int_eq(deadline_on_time(1470265199, D("2016-08-03"), "America/New_York"), 1);
	ck_assert_str_eq(getenv("TZ"), "America/New_York");
}
END_TEST

START_TEST(test_tz_check)
{
	char *err = NULL;
	ck_assert_int_eq(deadline_tz_check("Europe/London", &err), 0);
	ck_assert_int_eq(deadline_tz_check("America/New_York", &err), 0);
	ck_assert_int_eq(deadline_tz_check("Europe/Lundun", &err), FOID_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "Europe/Lundun"));
	ck_assert_int_eq(deadline_tz_check("../../etc/passwd", &err), FOID_EINVAL);
	ck_assert_int_eq(deadline_tz_check("", &err), FOID_EINVAL);
	free(err);
}
END_TEST

/* ---- foictl deadline ---- */

/* Runs the command; its output goes to *out (caller frees). */
static int run_ctl(char **out, int argc, ...)
{
	char *argv[16];
	va_list ap;
	va_start(ap, argc);
	argv[0] = "deadline";
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	char *dir = xasprintf("%s/data", fixture_srcdir());
	struct ctl c = { .out = tmpfile(), .data_dir = dir };
	ck_assert_ptr_nonnull(c.out);
	int rc = ctl_deadline(&c, argc, argv);
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	rewind(c.out);
	while ((n = fread(chunk, 1, sizeof chunk, c.out)) > 0)
		buf_add(&b, chunk, n);
	fclose(c.out);
	free(dir);
	*out = buf_detach(&b);
	return rc;
}

START_TEST(test_ctl_due_date)
{
	char *out;
	ck_assert_int_eq(run_ctl(&out, 5, "--regime", "uk-foia", "--from", "2016-07-04"), EX_OK);
	ck_assert_str_eq(out, "2016-08-03\n");
	free(out);
	ck_assert_int_eq(run_ctl(&out, 5, "--regime=uk-foisa", "--from", "2016-07-04", "--extend"),
	                 EX_USAGE);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(run_ctl(&out, 4, "--regime=uk-foia", "--from=2016-07-04", "--extend"),
	                 EX_OK);
	ck_assert_str_eq(out, "2016-09-01\n");
	free(out);
}
END_TEST

START_TEST(test_ctl_explain)
{
	char *out;
	ck_assert_int_eq(run_ctl(&out, 6, "--regime", "uk-foia", "--from", "2016-07-04",
	                         "--explain"), EX_OK);
	ck_assert_ptr_eq(strstr(out, "2016-07-04 Mon  day 0\n2016-07-05 Tue  day 1\n"), out);
	ck_assert_ptr_nonnull(strstr(out, "\n2016-08-03 Wed  day 20\n"
	                                  "due 2016-08-03: 20 working days after 2016-07-04"
	                                  " (uk-foia, calendar uk)\n"));
	free(out);
}
END_TEST

START_TEST(test_ctl_bad_arguments)
{
	char *out;
	ck_assert_int_eq(run_ctl(&out, 5, "--regime", "uk-foia", "--from", "2016-02-30"),
	                 EX_DATAERR);
	free(out);
	ck_assert_int_eq(run_ctl(&out, 5, "--regime", "nope", "--from", "2016-07-04"), EX_USAGE);
	free(out);
	ck_assert_int_eq(run_ctl(&out, 3, "--regime", "uk-foia"), EX_USAGE);
	free(out);
	ck_assert_int_eq(run_ctl(&out, 4, "--regime", "uk-foia", "--from"), EX_USAGE);
	free(out);
	ck_assert_int_eq(run_ctl(&out, 4, "--from", "2016-07-04", "--bogus"), EX_USAGE);
	free(out);
	ck_assert_int_eq(run_ctl(&out, 5, "--regime", "uk-foia", "--from", "2030-12-20"),
	                 EX_DATAERR);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

static Suite *deadline_suite(void)
{
	Suite *s = suite_create("deadline");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_date_parse_strict);
	tcase_add_test(tc, test_date_arithmetic);
	tcase_add_test(tc, test_load_real_data);
	tcase_add_test(tc, test_load_us_observed);
	tcase_add_test(tc, test_load_bad_date_file_line);
	tcase_add_test(tc, test_load_missing_column_file_line);
	tcase_add_test(tc, test_load_bad_header_region_quote_dup);
	tcase_add_test(tc, test_load_data_dir);
	tcase_add_test(tc, test_load_dir_errors);
	tcase_add_test(tc, test_load_every_csv_region_is_calendar);
	tcase_add_test(tc, test_is_working_day);
	tcase_add_test(tc, test_add_working_days_both_ways);
	tcase_add_test(tc, test_working_days_between);
	tcase_add_test(tc, test_regime_parse);
	tcase_add_test(tc, test_regime_parse_errors);
	tcase_add_test(tc, test_due_issue_examples);
	tcase_add_test(tc, test_due_christmas_new_year);
	tcase_add_test(tc, test_due_easter_st_patrick);
	tcase_add_test(tc, test_due_one_off_holidays);
	tcase_add_test(tc, test_due_day0_not_working);
	tcase_add_test(tc, test_due_extension);
	tcase_add_test(tc, test_due_us_foia);
	tcase_add_test(tc, test_due_calendar_days);
	tcase_add_test(tc, test_due_explain);
	tcase_add_test(tc, test_due_past_end_of_data);
	tcase_add_test(tc, test_due_unknown_calendar);
	tcase_add_test(tc, test_tz_reply_late_after_london_midnight);
	tcase_add_test(tc, test_tz_reply_on_time_last_second);
	tcase_add_test(tc, test_tz_request_day0_sunday_night);
	tcase_add_test(tc, test_tz_dst_change_days);
	tcase_add_test(tc, test_tz_switching_back_and_forth);
	tcase_add_test(tc, test_tz_helpers_leave_tz_as_documented);
	tcase_add_test(tc, test_tz_check);
	tcase_add_test(tc, test_ctl_due_date);
	tcase_add_test(tc, test_ctl_explain);
	tcase_add_test(tc, test_ctl_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fixture_run(deadline_suite());
}
