/* Dates, working days, regimes, due dates and time zones. */
#include "deadline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- dates ---- */

static int days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dim[m - 1];
}

int deadline_date_valid(struct deadline_date d)
{
	return d.y >= 1 && d.y <= 9999 && d.m >= 1 && d.m <= 12 && d.d >= 1 &&
	       d.d <= days_in_month(d.y, d.m);
}

int deadline_date_parse(const char *s, struct deadline_date *out, char **errp)
{
	static const char shape[] = "dddd-dd-dd";
	for (size_t i = 0; i < sizeof shape; i++) {
		int ok = shape[i] == 'd' ? s[i] >= '0' && s[i] <= '9' : s[i] == shape[i];
		if (!ok)
			return err_set(errp, FOID_EINVAL, "bad date \"%s\" (expected YYYY-MM-DD)", s);
	}
	struct deadline_date d = {
		atoi(s), (s[5] - '0') * 10 + (s[6] - '0'), (s[8] - '0') * 10 + (s[9] - '0')
	};
	if (!deadline_date_valid(d))
		return err_set(errp, FOID_EINVAL, "bad date \"%s\" (no such day)", s);
	*out = d;
	return FOID_OK;
}

char *deadline_date_format(struct deadline_date d, char out[11])
{
	/* Unsigned and bounded so that the compiler can see it fits. */
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)d.y % 10000u, (unsigned)d.m % 100u,
	         (unsigned)d.d % 100u);
	return out;
}

int64_t deadline_date_to_days(struct deadline_date d)
{
	struct tm tm = { .tm_year = d.y - 1900, .tm_mon = d.m - 1, .tm_mday = d.d,
	                 .tm_hour = 12 };
	return (int64_t)timegm(&tm) / 86400;
}

struct deadline_date deadline_date_from_days(int64_t days)
{
	time_t t = (time_t)(days * 86400 + 43200);
	struct tm tm;
	gmtime_r(&t, &tm);
	return (struct deadline_date){ tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday };
}

struct deadline_date deadline_date_add_days(struct deadline_date d, int n)
{
	return deadline_date_from_days(deadline_date_to_days(d) + n);
}

int deadline_date_cmp(struct deadline_date a, struct deadline_date b)
{
	int64_t x = deadline_date_to_days(a), y = deadline_date_to_days(b);
	return x < y ? -1 : x > y;
}

int deadline_date_weekday(struct deadline_date d)
{
	/* 1970-01-01 was a Thursday. */
	int64_t w = (deadline_date_to_days(d) + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

static int is_weekend(struct deadline_date d)
{
	int w = deadline_date_weekday(d);
	return w == 0 || w == 6;
}

/* ---- working days ---- */

/* 1 working, 0 not; *why (if not NULL) says why not. */
static int working(const struct holidays *h, const char *calendar,
                   struct deadline_date d, const char **why, char **errp)
{
	const char *name = NULL;
	int rc = holidays_lookup(h, calendar, d, &name, errp);
	if (rc < 0)
		return rc;
	if (why)
		*why = is_weekend(d) ? "weekend" : name;
	return !is_weekend(d) && !name;
}

int deadline_is_working_day(const struct holidays *h, const char *calendar,
                            struct deadline_date d, char **errp)
{
	return working(h, calendar, d, NULL, errp);
}

int deadline_add_working_days(const struct holidays *h, const char *calendar,
                              struct deadline_date from, int n,
                              struct deadline_date *out, char **errp)
{
	int step = n < 0 ? -1 : 1;
	struct deadline_date d = from;
	for (int left = abs(n); left > 0;) {
		d = deadline_date_add_days(d, step);
		int w = working(h, calendar, d, NULL, errp);
		if (w < 0)
			return w;
		left -= w;
	}
	*out = d;
	return FOID_OK;
}

int deadline_working_days_between(const struct holidays *h,
                                  const char *calendar,
                                  struct deadline_date from,
                                  struct deadline_date to, int *out,
                                  char **errp)
{
	int sign = 1;
	if (deadline_date_cmp(to, from) < 0) {
		struct deadline_date t = from;
		from = to;
		to = t;
		sign = -1;
	}
	int n = 0;
	for (struct deadline_date d = deadline_date_add_days(from, 1);
	     deadline_date_cmp(d, to) <= 0; d = deadline_date_add_days(d, 1)) {
		int w = working(h, calendar, d, NULL, errp);
		if (w < 0)
			return w;
		n += w;
	}
	*out = sign * n;
	return FOID_OK;
}

/* ---- regimes ---- */

struct named_regime {
	const char *name;
	const char *calendar;
	int extension;
};

/* Every named regime is 20 working days. */
static const struct named_regime named_regimes[] = {
	{ "uk-foia", "uk", 20 },          /* FOIA s.10; PIT extension, s.10(3) */
	{ "uk-eir", "uk", 20 },           /* EIR reg.5(2), reg.7: 40 in all */
	{ "uk-foisa", "scotland", 0 },    /* FOISA s.10: no extension */
	{ "us-foia", "us-federal", 10 },  /* 5 U.S.C. 552(a)(6)(B) */
};

static void regime_fill(struct deadline_regime *r, const char *name,
                        enum deadline_kind kind, int days, const char *calendar,
                        int extension)
{
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", name);
	r->kind = kind;
	r->days = days;
	snprintf(r->calendar, sizeof r->calendar, "%s", calendar);
	r->extension = extension;
	snprintf(r->tz, sizeof r->tz, "%s",
	         strcmp(calendar, "us-federal") == 0 ? "America/New_York" : "Europe/London");
	r->very_overdue = 20;
}

int deadline_regime_parse(const char *s, struct deadline_regime *out,
                          char **errp)
{
	for (size_t i = 0; i < sizeof named_regimes / sizeof named_regimes[0]; i++) {
		if (strcmp(s, named_regimes[i].name) == 0) {
			regime_fill(out, s, DEADLINE_WORKING, 20, named_regimes[i].calendar,
			            named_regimes[i].extension);
			return FOID_OK;
		}
	}
	enum deadline_kind kind;
	const char *p;
	if (util_starts_with(s, "working:")) {
		kind = DEADLINE_WORKING;
		p = s + 8;
	} else if (util_starts_with(s, "calendar:")) {
		kind = DEADLINE_CALENDAR;
		p = s + 9;
	} else {
		return err_set(errp, FOID_EINVAL,
		               "unknown regime \"%s\" (expected uk-foia, uk-eir, uk-foisa, us-foia, "
		               "working:N[:CALENDAR] or calendar:N[:CALENDAR])", s);
	}
	int n = 0;
	size_t digits = 0;
	for (; p[digits] >= '0' && p[digits] <= '9' && digits < 5; digits++)
		n = n * 10 + (p[digits] - '0');
	p += digits;
	if (digits == 0 || n < 1 || n > 3650 || (*p && *p != ':'))
		return err_set(errp, FOID_EINVAL,
		               "regime \"%s\": N must be a number of days from 1 to 3650", s);
	const char *cal = *p == ':' ? p + 1 : "uk";
	size_t len = strlen(cal);
	if (len == 0 || len >= sizeof out->calendar || strlen(s) >= sizeof out->name ||
	    strspn(cal, "abcdefghijklmnopqrstuvwxyz0123456789-") != len)
		return err_set(errp, FOID_EINVAL,
		               "regime \"%s\": bad calendar \"%s\" (uk, england-and-wales, scotland, "
		               "northern-ireland, us-federal, none, or a region of the holiday data)",
		               s, cal);
	regime_fill(out, s, kind, n, cal, 0);
	return FOID_OK;
}

int deadline_extension(const struct deadline_regime *r, int *extra, char **errp)
{
	if (r->extension <= 0)
		return err_set(errp, FOID_EINVAL, "regime %s allows no extension", r->name);
	*extra = r->extension;
	return FOID_OK;
}

static void explain_line(struct buf *explain, struct deadline_date d,
                         const char *fmt, ...) FOID_PRINTF(3, 4);

static void explain_line(struct buf *explain, struct deadline_date d,
                         const char *fmt, ...)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	if (!explain)
		return;
	char ds[11];
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	buf_addf(explain, "%s %s  %s\n", deadline_date_format(d, ds),
	         wd[deadline_date_weekday(d)], text);
	free(text);
}

int deadline_due(const struct holidays *h, const struct deadline_regime *r,
                 struct deadline_date day0, int extra_working_days,
                 struct deadline_date *due, struct buf *explain, char **errp)
{
	struct deadline_date d = day0;
	const char *why = NULL;
	int w = 1, count = 0;
	explain_line(explain, d, "day 0");
	if (r->kind == DEADLINE_CALENDAR) {
		/* Calendar days first; then on to a working day if day N is not. */
		for (count = 1; count <= r->days; count++) {
			d = deadline_date_add_days(d, 1);
			if (count < r->days) {
				explain_line(explain, d, "day %d", count);
				continue;
			}
			if ((w = working(h, r->calendar, d, &why, errp)) < 0)
				return w;
			if (w)
				explain_line(explain, d, "day %d", count);
			else
				explain_line(explain, d, "day %d, not a working day (%s)", count, why);
		}
		while (!w) {
			d = deadline_date_add_days(d, 1);
			if ((w = working(h, r->calendar, d, &why, errp)) < 0)
				return w;
			if (w)
				explain_line(explain, d, "due: next working day");
			else
				explain_line(explain, d, "skipped: %s", why);
		}
		count = 0;
	}
	int target = (r->kind == DEADLINE_WORKING ? r->days : 0) + extra_working_days;
	while (count < target) {
		d = deadline_date_add_days(d, 1);
		if ((w = working(h, r->calendar, d, &why, errp)) < 0)
			return w;
		if (!w) {
			explain_line(explain, d, "skipped: %s", why);
			continue;
		}
		count++;
		if (r->kind == DEADLINE_WORKING)
			explain_line(explain, d, "day %d", count);
		else
			explain_line(explain, d, "extension day %d", count);
	}
	*due = d;
	return FOID_OK;
}

/* ---- time zones ---- */

int deadline_tz_check(const char *tz, char **errp)
{
	int rc = FOID_EINVAL;
	char *path = NULL;
	FILE *f = NULL;
	size_t len = strlen(tz);
	if (len == 0 || tz[0] == '/' || strstr(tz, "..") ||
	    strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != len)
		goto out;
	const char *dir = getenv("TZDIR") ? getenv("TZDIR") : "/usr/share/zoneinfo";
	path = xasprintf("%s/%s", dir, tz);
	f = fopen(path, "rb");
	char magic[4];
	if (f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0)
		rc = FOID_OK;
out:
	if (f)
		fclose(f);
	free(path);
	if (rc < 0)
		err_set(errp, rc, "unknown time zone \"%s\" (expected a zoneinfo name like Europe/London)",
		        tz);
	return rc;
}

struct deadline_date deadline_local_date(int64_t utc_seconds, const char *tz)
{
	time_t t = (time_t)utc_seconds;
	struct tm tm;
	if (!tz) {
		gmtime_r(&t, &tm);
	} else {
		util_tz_use(tz);
		localtime_r(&t, &tm);
	}
	return (struct deadline_date){ tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday };
}

int64_t deadline_end_of_day(struct deadline_date d, const char *tz)
{
	struct deadline_date next = deadline_date_add_days(d, 1);
	if (!tz)
		return deadline_date_to_days(next) * 86400;
	struct tm tm = { .tm_year = next.y - 1900, .tm_mon = next.m - 1,
	                 .tm_mday = next.d, .tm_isdst = -1 };
	util_tz_use(tz);
	time_t t = mktime(&tm);
	return (int64_t)t;
}

int deadline_on_time(int64_t reply_utc, struct deadline_date due, const char *tz)
{
	return reply_utc < deadline_end_of_day(due, tz);
}
