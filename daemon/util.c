#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(void)
{
	fputs("foid: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void util_wipe(char *secret)
{
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(secret);
}

int err_set(char **errp, int code, const char *fmt, ...)
{
	if (!errp)
		return code;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(*errp);
	*errp = msg;
	return code;
}

void err_list_add(struct buf *errs, const char *problem)
{
	buf_addf(errs, "%s%s", errs->len ? "\n" : "", problem);
}

int err_list_take(struct buf *errs, int rc, char **errp)
{
	if (rc == FOID_OK && errs->len) {
		rc = FOID_EINVAL;
		if (errp) {
			free(*errp);
			*errp = buf_detach(errs);
		}
	}
	buf_free(errs);
	return rc;
}

int err_prefix(char **errp, int code, const char *fmt, ...)
{
	if (!errp)
		return code;
	va_list ap;
	va_start(ap, fmt);
	char *pre = xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = *errp ? xasprintf("%s: %s", pre, *errp) : pre;
	if (*errp) {
		free(pre);
		free(*errp);
	}
	*errp = msg;
	return code;
}

static void buf_grow(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_adds(b, s);
	free(s);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *buf_detach(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void strv_push_owned(struct strv *sv, char *s)
{
	if (sv->n + 1 >= sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xrealloc(sv->v, sv->cap * sizeof *sv->v);
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strv_push(struct strv *sv, const char *s)
{
	strv_push_owned(sv, xstrdup(s));
}

void strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

int util_read_file(const char *path, char **out, size_t *len, char **errp)
{
	int rc = FOID_OK;
	struct buf b = BUF_INIT;
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_set(errp, errno == ENOENT ? FOID_ENOTFOUND : FOID_EIO,
		               "%s: %s", path, strerror(errno));
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f)) {
		rc = err_set(errp, FOID_EIO, "%s: read error", path);
		goto out;
	}
	if (len)
		*len = b.len;
	*out = buf_detach(&b);
out:
	fclose(f);
	buf_free(&b);
	return rc;
}

static int util_write_file(const char *path, const void *data, size_t len,
                           int mode, int sync, char **errp)
{
	int rc = FOID_EIO;
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		err_set(errp, FOID_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err_set(errp, FOID_EIO, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		p += w;
		left -= (size_t)w;
	}
	if (sync && fsync(fd) < 0) {
		err_set(errp, FOID_EIO, "%s: fsync: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		err_set(errp, FOID_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		err_set(errp, FOID_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = FOID_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc != FOID_OK)
		unlink(tmp);
	free(tmp);
	return rc;
}

int util_write_file_atomic(const char *path, const void *data, size_t len,
                           int mode, char **errp)
{
	return util_write_file(path, data, len, mode, 1, errp);
}

int util_write_file_atomic_nosync(const char *path, const void *data,
                                  size_t len, int mode, char **errp)
{
	return util_write_file(path, data, len, mode, 0, errp);
}

int util_sync_dir(const char *dir, int whole_fs, char **errp)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(errp, FOID_EIO, "%s: %s", dir, strerror(errno));
	int bad = whole_fs ? syncfs(fd) < 0 : fsync(fd) < 0;
	int rc = bad ? err_set(errp, FOID_EIO, "%s: %s: %s", dir, whole_fs ? "syncfs" : "fsync",
	                       strerror(errno)) : FOID_OK;
	close(fd);
	return rc;
}

int util_mkdirs(const char *path, int mode, char **errp)
{
	char *p = xstrdup(path);
	int rc = FOID_OK;
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			rc = err_set(errp, FOID_EIO, "%s: %s", p, strerror(errno));
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
out:
	free(p);
	return rc;
}

char *util_lower(char *s)
{
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

char *util_trim(char *s)
{
	char *start = s;
	while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
		start++;
	size_t n = strlen(start);
	while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t' ||
	                 start[n - 1] == '\r' || start[n - 1] == '\n'))
		n--;
	memmove(s, start, n);
	s[n] = '\0';
	return s;
}

int util_word_ok(const char *s, size_t max, const char *chars)
{
	size_t n = strlen(s);
	return n > 0 && (max == 0 || n <= max) && strspn(s, chars) == n;
}

int util_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int util_strcasestarts(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int util_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1;
			min = 0x80;
			c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2;
			min = 0x800;
			c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3;
			min = 0x10000;
			c &= 0x07;
		} else {
			return 0;
		}
		if (i + k >= n)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + j] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		i += k + 1;
	}
	return 1;
}

void util_base64(struct buf *out, const void *data, size_t n, size_t wrap, int url)
{
	const char *abc = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	                      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t col = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = {
			abc[(v >> 18) & 63], abc[(v >> 12) & 63],
			i + 1 < n ? abc[(v >> 6) & 63] : '=',
			i + 2 < n ? abc[v & 63] : '=',
		};
		/* base64url drops the padding. */
		size_t k = url ? (i + 2 < n ? 4 : i + 1 < n ? 3 : 2) : 4;
		buf_add(out, q, k);
		col += 4;
		if (wrap && col >= wrap && i + 3 < n) {
			buf_adds(out, "\r\n");
			col = 0;
		}
	}
	if (wrap && n > 0)
		buf_adds(out, "\r\n");
}

void util_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char dig[32];
	static const char hex[] = "0123456789abcdef";
	gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, dig);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[dig[i] >> 4];
		out[2 * i + 1] = hex[dig[i] & 15];
	}
	out[64] = '\0';
}

int64_t util_now(void)
{
	return (int64_t)time(NULL);
}

void util_tz_use(const char *tz)
{
	static char *active;
	const char *want = tz ? tz : "UTC";
	const char *env = getenv("TZ");
	if (active && env && strcmp(active, want) == 0 && strcmp(env, want) == 0)
		return;
	setenv("TZ", want, 1);
	tzset();
	free(active);
	active = xstrdup(want);
}

char *util_iso8601(int64_t t, const char *tz)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];
	if (!tz) {
		gmtime_r(&tt, &tm);
		strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return xstrdup(buf);
	}
	util_tz_use(tz);
	localtime_r(&tt, &tm);
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof buf - n, "%c%02ld:%02ld", sign, off / 3600,
	         (off % 3600) / 60);
	return xstrdup(buf);
}

int util_lock_file(const char *path, int *fd, char **errp)
{
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0)
		return err_set(errp, FOID_EIO, "%s: %s", path, strerror(errno));
	if (flock(f, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(f);
		if (e == EWOULDBLOCK)
			return err_set(errp, FOID_EEXIST, "%s: another foid is running "
			               "on this database", path);
		return err_set(errp, FOID_EIO, "%s: %s", path, strerror(e));
	}
	*fd = f;
	return FOID_OK;
}

void util_crash_point(const char *name)
{
	static long passes = -1;
	const char *at = getenv("FOID_CRASH_AT");
	if (!at || strcmp(at, name) != 0)
		return;
	if (passes < 0) {
		const char *n = getenv("FOID_CRASH_AFTER");
		passes = n ? atol(n) : 1;
	}
	if (--passes <= 0)
		raise(SIGKILL);
}

void util_lines_init(struct util_lines *l, char *text)
{
	l->next = text && *text ? text : NULL;
	l->lineno = 0;
}

char *util_lines_next(struct util_lines *l)
{
	char *line = l->next;
	if (!line)
		return NULL;
	char *nl = strchr(line, '\n');
	l->next = nl && nl[1] ? nl + 1 : NULL;
	if (nl)
		*nl = '\0';
	size_t len = nl ? (size_t)(nl - line) : strlen(line);
	if (len && line[len - 1] == '\r')
		line[len - 1] = '\0';
	l->lineno++;
	return line;
}
