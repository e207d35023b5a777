/* Statutory deadlines: dates, working days, bank holidays, regimes and the
 * time zone a request's day 0 and a reply's arrival are judged in.
 *
 * Counting rule (FOIA s.10, FOISA s.10, 5 U.S.C. 552(a)(6)): the day the
 * request was sent, in the regime's zone, is day 0 even when it is not a
 * working day; day 1 is the first working day after it; the due date is
 * working day N.  A reply is on time if it arrived on or before the end of
 * the due date in that zone.
 *
 * Holidays come from data files (data/holidays/ *.csv, columns
 * date,region,name); each region is a calendar and "uk" is the union of
 * england-and-wales, scotland and northern-ireland.  A year without a row
 * for a region is "no data": counting into it fails rather than silently
 * skipping no holidays.
 *
 * The time zone helpers given a zone make it the process's TZ
 * (util_tz_use) and leave it so: restoring the old TZ after every call
 * would re-read a zoneinfo file per conversion, and nothing in foid reads
 * local time except through a helper that names its zone.  Given NULL
 * (UTC) they leave TZ alone.  Call them from one thread only. */
#ifndef FOID_DEADLINE_H
#define FOID_DEADLINE_H

#include <stdint.h>

#include "util.h"

struct deadline_date {
	int y, m, d;
};

/* Strict "YYYY-MM-DD" (rejects 2016-02-30, "2016-2-3", trailing text). */
int deadline_date_parse(const char *s, struct deadline_date *out, char **errp);
/* Writes "YYYY-MM-DD" into out (11 bytes incl. NUL); returns out. */
char *deadline_date_format(struct deadline_date d, char out[11]);
int deadline_date_valid(struct deadline_date d);
/* Days since 1970-01-01 and back; comparisons go through these. */
int64_t deadline_date_to_days(struct deadline_date d);
struct deadline_date deadline_date_from_days(int64_t days);
struct deadline_date deadline_date_add_days(struct deadline_date d, int n);
/* <0, 0, >0 like strcmp. */
int deadline_date_cmp(struct deadline_date a, struct deadline_date b);
/* 0 = Sunday ... 6 = Saturday. */
int deadline_date_weekday(struct deadline_date d);

/* ---- holiday data ---- */

struct holidays;

/* Loads every *.csv in dir.  On success *out is owned by the caller
 * (holidays_free).  Errors: FOID_ENOTFOUND (no such directory, or no *.csv
 * in it), FOID_EIO, FOID_EINVAL with "FILE:LINE: message". */
int holidays_load(const char *dir, struct holidays **out, char **errp);
void holidays_free(struct holidays *h); /* NULL is fine */
/* holidays_load of data_dir/holidays: the one place that path is made. */
int holidays_load_data(const char *data_dir, struct holidays **out,
                       char **errp);

/* Name of the holiday on d in calendar, or NULL (not a holiday, or unknown
 * calendar).  For "uk" the name carries the region(s) unless all three
 * share it: "Summer bank holiday (scotland)".  Owned by h.  NULL also
 * when the data do not cover d's year (see holidays_lookup). */
const char *holidays_name(const struct holidays *h, const char *calendar,
                          struct deadline_date d);

/* Like holidays_name, with errors: *name is NULL on a working day or a
 * weekend without holiday; FOID_ENOTFOUND for an unknown calendar,
 * FOID_EINVAL when the data lack d's year for a region of the calendar. */
int holidays_lookup(const struct holidays *h, const char *calendar,
                    struct deadline_date d, const char **name, char **errp);

/* ---- working days ---- */

/* 1 if d is a working day in calendar, 0 if not; FOID_ENOTFOUND for an
 * unknown calendar, FOID_EINVAL when the data do not cover d's year.
 * Calendar "none" has weekends only. */
int deadline_is_working_day(const struct holidays *h, const char *calendar,
                            struct deadline_date d, char **errp);
/* The n-th working day after from (n > 0), before it (n < 0), or from
 * itself (n = 0).  from itself need not be a working day or covered. */
int deadline_add_working_days(const struct holidays *h, const char *calendar,
                              struct deadline_date from, int n,
                              struct deadline_date *out, char **errp);
/* Working days after from up to and including to; negative (the count
 * from to to from) when to is before from. */
int deadline_working_days_between(const struct holidays *h,
                                  const char *calendar,
                                  struct deadline_date from,
                                  struct deadline_date to, int *out,
                                  char **errp);

/* ---- regimes ---- */

enum deadline_kind {
	DEADLINE_WORKING,  /* N working days after day 0 */
	DEADLINE_CALENDAR, /* N calendar days, then on to the next working day */
};

struct deadline_regime {
	char name[32];         /* as parsed: "uk-foia", "working:15:scotland" */
	enum deadline_kind kind;
	int days;              /* N */
	char calendar[32];     /* "uk", "scotland", "us-federal", "none", ... */
	int extension;         /* working days an extension adds; 0: none allowed */
	char tz[64];           /* zone of day 0 and of "on time"; callers may override */
	int very_overdue;      /* working days after the due date */
};

/* "uk-foia", "uk-eir", "uk-foisa", "us-foia", "working:N[:CALENDAR]" or
 * "calendar:N[:CALENDAR]" (N 1..3650, CALENDAR default uk).  Zone:
 * America/New_York for us-foia and the us-federal calendar, otherwise
 * Europe/London.  very_overdue is 20.  FOID_EINVAL on bad input. */
int deadline_regime_parse(const char *s, struct deadline_regime *out,
                          char **errp);
/* The extra working days --extend grants, or FOID_EINVAL if r has none. */
int deadline_extension(const struct deadline_regime *r, int *extra,
                       char **errp);

/* The due date for a request with day 0 = day0, plus extra_working_days
 * (an extension).  explain (NULL or a buffer to append to) gets one line
 * per calendar day from day0 to the due date:
 *   "2016-07-05 Tue  day 1"
 *   "2016-07-09 Sat  skipped: weekend"
 *   "2016-08-01 Mon  skipped: Summer bank holiday (scotland)"
 * Errors: FOID_ENOTFOUND (unknown calendar), FOID_EINVAL (no holiday data
 * for a year the count reaches: the message names the year). */
int deadline_due(const struct holidays *h, const struct deadline_regime *r,
                 struct deadline_date day0, int extra_working_days,
                 struct deadline_date *due, struct buf *explain, char **errp);

/* ---- time zones ----
 * tz is a zoneinfo name that passed deadline_tz_check (the C library
 * falls back to UTC for unknown names without saying so), or NULL for UTC. */

/* 0 if tz names an installed zoneinfo zone, else FOID_EINVAL. */
int deadline_tz_check(const char *tz, char **errp);
/* The local calendar date of a UTC instant in tz (NULL: UTC). */
struct deadline_date deadline_local_date(int64_t utc_seconds, const char *tz);
/* The first second (UTC) after date d ends in tz. */
int64_t deadline_end_of_day(struct deadline_date d, const char *tz);
/* 1 if a reply at reply_utc is on or before the end of due in tz. */
int deadline_on_time(int64_t reply_utc, struct deadline_date due,
                     const char *tz);

#endif
