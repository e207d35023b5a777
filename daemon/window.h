/* Sending windows such as "Mon-Fri 09:00-17:00": days of the week (a range
 * or a comma list of Mon..Sun) and a local time range, in a time zone. */
#ifndef FOID_WINDOW_H
#define FOID_WINDOW_H

#include <stdint.h>

struct window {
	unsigned days;      /* bit 0 = Sunday ... bit 6 = Saturday */
	int start_min;      /* minutes after local midnight */
	int end_min;        /* exclusive; greater than start_min */
};

/* Parses spec; FOID_EINVAL with a message saying what is wrong. */
int window_parse(const char *spec, struct window *out, char **errp);

/* 1 when t is inside the window in zone tz, else 0 with *next_open set to
 * the next moment it opens (at most a week away). */
int window_open(const struct window *w, const char *tz, int64_t t,
                int64_t *next_open);

#endif
