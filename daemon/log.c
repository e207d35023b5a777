#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "foid";
static enum log_level log_level = LOG_LVL_INFO;
static int log_journal = -1;

void log_init(const char *prog, enum log_level level)
{
	log_prog = prog;
	log_level = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

/* The names of the levels, for the config and for each line; the first of
 * a level is the one written. */
static const struct {
	const char *name;
	enum log_level level;
} log_levels[] = {
	{ "error", LOG_LVL_ERROR }, { "warn", LOG_LVL_WARN },
	{ "warning", LOG_LVL_WARN }, { "info", LOG_LVL_INFO },
	{ "debug", LOG_LVL_DEBUG },
};

#define LOG_NLEVELS (sizeof log_levels / sizeof log_levels[0])

int log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < LOG_NLEVELS; i++) {
		if (strcmp(s, log_levels[i].name) == 0) {
			*out = log_levels[i].level;
			return FOID_OK;
		}
	}
	return FOID_EINVAL;
}

static const char *log_level_name(enum log_level l)
{
	for (size_t i = 0; i < LOG_NLEVELS; i++)
		if (log_levels[i].level == l)
			return log_levels[i].name;
	return "debug";
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	if (log_journal < 0)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	struct buf b = BUF_INIT;
	if (log_journal) {
		buf_addf(&b, "<%d>", (int)level);
	} else {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		buf_addf(&b, "%s %s[%ld]: ", ts, log_prog, (long)getpid());
	}
	buf_addf(&b, "level=%s ", log_level_name(level));
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	buf_adds(&b, msg);
	buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, stderr);
	fflush(stderr);
	free(msg);
	buf_free(&b);
}

const char *log_q(const char *s)
{
	static char bufs[8][512];
	static unsigned next;
	char *out = bufs[next++ % 8];
	size_t cap = sizeof bufs[0];
	if (!s)
		s = "";
	int needs = *s == '\0';
	for (const char *p = s; *p && !needs; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    (unsigned char)*p < 0x20)
			needs = 1;
	size_t o = 0;
	if (needs)
		out[o++] = '"';
	for (const char *p = s; *p && o + 4 < cap; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c >= 0x20 && c != 0x7f) {
			out[o++] = (char)c;
		}
	}
	if (needs)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}
