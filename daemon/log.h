/* Levelled key=value logging to stderr (journald reads the <N> prefix).
 * Never pass secrets to these functions. */
#ifndef FOID_LOG_H
#define FOID_LOG_H

#include "util.h"

enum log_level { LOG_LVL_ERROR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void log_init(const char *prog, enum log_level level);
void log_set_level(enum log_level level);
/* Parse "error", "warn", "info", "debug".  Returns 0 or FOID_EINVAL. */
int log_parse_level(const char *s, enum log_level *out);

/* fmt is a sequence of key=value fields, for example
 *   log_msg(LOG_LVL_INFO, "event=smtp.sent request=%s reply=%s", ref, log_q(line));
 * Values that may hold spaces or quotes go through log_q(). */
void log_msg(enum log_level level, const char *fmt, ...) FOID_PRINTF(2, 3);
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Quote a value for a key=value field ("..." with \" \\ \n escaped, control
 * bytes dropped) when it needs it.  Returns one of a few rotating static
 * buffers, valid until eight more calls; long values are cut. */
const char *log_q(const char *s);

#endif
