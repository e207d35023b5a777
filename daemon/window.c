#include "window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"

static const char *const window_days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };

static int window_day(const char *s, size_t n)
{
	if (n != 3)
		return -1;
	for (int i = 0; i < 7; i++)
		if (strncasecmp(s, window_days[i], 3) == 0)
			return i;
	return -1;
}

static int window_hhmm(const char *s, int *out)
{
	int h, m;
	char tail;
	if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || strlen(s) != 5 ||
	    h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0))
		return -1;
	*out = h * 60 + m;
	return 0;
}

int window_parse(const char *spec, struct window *out, char **errp)
{
	char *copy = xstrdup(spec);
	int rc = FOID_EINVAL;
	char *sp = strchr(copy, ' ');
	memset(out, 0, sizeof *out);
	if (!sp)
		goto bad;
	*sp = '\0';
	char *times = sp + 1;
	while (*times == ' ')
		times++;
	/* Days: "Mon-Fri" or "Mon,Wed,Fri" or a mix. */
	for (char *tok = copy; tok && *tok;) {
		char *comma = strchr(tok, ',');
		if (comma)
			*comma = '\0';
		char *dash = strchr(tok, '-');
		int a = window_day(tok, dash ? (size_t)(dash - tok) : strlen(tok));
		int b = dash ? window_day(dash + 1, strlen(dash + 1)) : a;
		if (a < 0 || b < 0)
			goto bad;
		for (int d = a;; d = (d + 1) % 7) {
			out->days |= 1u << d;
			if (d == b)
				break;
		}
		tok = comma ? comma + 1 : NULL;
	}
	char *dash = strchr(times, '-');
	if (!dash)
		goto bad;
	*dash = '\0';
	if (window_hhmm(times, &out->start_min) < 0 ||
	    window_hhmm(dash + 1, &out->end_min) < 0 ||
	    out->end_min <= out->start_min)
		goto bad;
	rc = FOID_OK;
bad:
	if (rc)
		err_set(errp, rc, "\"%s\": write days and hours such as "
		        "\"Mon-Fri 09:00-17:00\"", spec);
	free(copy);
	return rc;
}

static int window_inside(const struct window *w, const struct tm *tm)
{
	int min = tm->tm_hour * 60 + tm->tm_min;
	return (w->days & (1u << tm->tm_wday)) && min >= w->start_min &&
	       min < w->end_min;
}

int window_open(const struct window *w, const char *tz, int64_t t,
                int64_t *next_open)
{
	util_tz_use(tz);
	struct tm tm;
	time_t tt = (time_t)t;
	localtime_r(&tt, &tm);
	int open = window_inside(w, &tm);
	if (!open) {
		/* Minute by minute from the next whole minute: a week is only
		 * 10 080 steps, and zone changes need no special care. */
		*next_open = t + 7 * 86400;
		for (int64_t u = t - tm.tm_sec + 60; u < t + 7 * 86400 + 3600; u += 60) {
			tt = (time_t)u;
			localtime_r(&tt, &tm);
			if (window_inside(w, &tm)) {
				*next_open = u;
				break;
			}
		}
	}
	return open;
}
