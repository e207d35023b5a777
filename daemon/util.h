/* Small helpers shared by every module: fatal-on-OOM allocation, growable
 * buffers, error codes and error text returned through out-parameters. */
#ifndef FOID_UTIL_H
#define FOID_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Return codes. 0 is success; every failure is negative.  TEMP failures
 * (network, SMTP 4xx, a busy database) are worth retrying; the others are not. */
enum {
	FOID_OK = 0,
	FOID_ETEMP = -1,     /* temporary: retry later */
	FOID_EPERM = -2,     /* permanent: the other side refused (SMTP 5xx) */
	FOID_EINVAL = -3,    /* bad input: parse error, validation failure */
	FOID_ENOTFOUND = -4, /* no such row, file or message */
	FOID_EIO = -5,       /* local I/O or database failure */
	FOID_EEXIST = -6,    /* already there */
};

#define FOID_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Allocation never fails: out of memory exits the process. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);            /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) FOID_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) FOID_PRINTF(1, 0);
/* Frees a secret (a password, a token) after overwriting it.  NULL is fine. */
void util_wipe(char *secret);

/* Set *errp (if errp is not NULL) to a new formatted string, freeing any
 * previous one.  Returns code, so that `return err_set(errp, FOID_EINVAL, ...)`
 * reads naturally.  The caller owns *errp and frees it. */
int err_set(char **errp, int code, const char *fmt, ...) FOID_PRINTF(3, 4);
/* Prefix an existing error text: "prefix: old". */
int err_prefix(char **errp, int code, const char *fmt, ...) FOID_PRINTF(3, 4);

/* Growable byte buffer; data is always NUL-terminated when non-NULL. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
#define BUF_INIT { NULL, 0, 0 }

/* Problems gathered so that a person sees all of them at once, one a line
 * in a buf: err_list_add appends one; err_list_take, when rc is FOID_OK
 * and the list holds any, moves the list to *errp (freeing what was
 * there) and returns FOID_EINVAL, else returns rc.  The list is emptied
 * either way. */
void err_list_add(struct buf *errs, const char *problem);
int err_list_take(struct buf *errs, int rc, char **errp);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) FOID_PRINTF(2, 3);
void buf_reset(struct buf *b);
/* Hand the contents to the caller (never NULL: "" when empty). */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);

/* Dynamic array of owned strings. */
struct strv {
	char **v;
	size_t n;
	size_t cap;
};
#define STRV_INIT { NULL, 0, 0 }
void strv_push(struct strv *sv, const char *s); /* copies s */
void strv_push_owned(struct strv *sv, char *s); /* takes s */
void strv_free(struct strv *sv);

/* Read a whole file.  Returns 0, FOID_ENOTFOUND or FOID_EIO. *out is
 * NUL-terminated; *len (if not NULL) excludes the NUL. */
int util_read_file(const char *path, char **out, size_t *len, char **errp);
/* Write atomically: temp file in the same directory, fsync, rename. */
int util_write_file_atomic(const char *path, const void *data, size_t len,
                           int mode, char **errp);
/* The same without the fsync: for callers that make many files durable at
 * once (util_sync_dir) before anything depends on them. */
int util_write_file_atomic_nosync(const char *path, const void *data,
                                  size_t len, int mode, char **errp);
/* Makes dir's entries durable (fsync), or with whole_fs everything written
 * to the file system holding dir (syncfs). */
int util_sync_dir(const char *dir, int whole_fs, char **errp);
/* mkdir -p with the given mode for directories it creates. */
int util_mkdirs(const char *path, int mode, char **errp);

/* Takes an exclusive lock on path (created if needed) for the life of the
 * process; *fd keeps it.  FOID_EEXIST when another process holds it. */
int util_lock_file(const char *path, int *fd, char **errp);

/* Fault injection for the crash tests: when $FOID_CRASH_AT names this
 * point, the process kills itself (SIGKILL) on its $FOID_CRASH_AFTER-th
 * pass here (default 1).  Does nothing otherwise. */
void util_crash_point(const char *name);

/* The lines of a text, split in place: every reader of a line-based file
 * uses it, so that a line's number counts blank lines too. */
struct util_lines {
	char *next;  /* the rest of the text; NULL at the end */
	int lineno;  /* the number (from 1) of the line last returned */
};
/* text stays owned by the caller and is cut into lines as they are read. */
void util_lines_init(struct util_lines *l, char *text);
/* The next line without its "\n" or "\r\n", or NULL after the last. */
char *util_lines_next(struct util_lines *l);

/* Lower-case ASCII in place; returns s. */
char *util_lower(char *s);
/* Trim ASCII white space at both ends, in place; returns s. */
char *util_trim(char *s);
int util_starts_with(const char *s, const char *prefix);
/* Character sets to build util_word_ok's chars from. */
#define UTIL_LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"
#define UTIL_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
/* 1 when s has 1 to max bytes (max 0: any number), each one of chars: a
 * name, key or slug checked against what it may be made of. */
int util_word_ok(const char *s, size_t max, const char *chars);
int util_strcasestarts(const char *s, const char *prefix);
/* True if s is valid UTF-8 (n bytes). */
int util_utf8_valid(const char *s, size_t n);
/* Hex SHA-256 of data (65 bytes incl. NUL). */
void util_sha256_hex(const void *data, size_t len, char out[65]);
/* Appends the base64 of n bytes at p to out.  wrap > 0 breaks lines with
 * CRLF every wrap characters (MIME); url = 1 gives base64url without
 * padding (RFC 4648 section 5: PKCE, state values). */
void util_base64(struct buf *out, const void *p, size_t n, size_t wrap, int url);
/* Current time in seconds since the epoch; honours libfaketime. */
int64_t util_now(void);
/* Makes tz ("Europe/London"; NULL: UTC) the process's zone for
 * localtime_r and mktime.  The zone stays in force afterwards: nothing in
 * foid reads local time except through this, and switching only when the
 * zone changes spares a re-read of the zoneinfo file per conversion.
 * Single-threaded use only: TZ is process-wide. */
void util_tz_use(const char *tz);
/* ISO 8601 with offset in the local zone of tz ("Europe/London"), or UTC
 * ("...Z") when tz is NULL.  Returns a new string. */
char *util_iso8601(int64_t t, const char *tz);

#endif
