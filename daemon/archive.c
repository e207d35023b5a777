/* Archives and shared export texts; see archive.h. */
#include "archive.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "mime.h"
#include "store.h"
#include "zipdoc.h"

char *archive_redact(const char *s)
{
	struct buf b = BUF_INIT;
	const char *p = s;
	while (*p) {
		/* A word with an @ inside: an address. */
		const char *w = p;
		while (*w && !isspace((unsigned char)*w))
			w++;
		const char *at = memchr(p, '@', (size_t)(w - p));
		if (at && at > p && at + 1 < w && memchr(at, '.', (size_t)(w - at))) {
			buf_adds(&b, "[email]");
			p = w;
			continue;
		}
		/* A run of digits, spaces and +()- holding 9 or more digits. */
		if (isdigit((unsigned char)*p) || *p == '+' || *p == '(') {
			const char *q = p;
			int digits = 0;
			while (*q && (isdigit((unsigned char)*q) || strchr(" +()-", *q))) {
				digits += isdigit((unsigned char)*q) != 0;
				q++;
			}
			if (digits >= 9) {
				buf_adds(&b, "[phone]");
				if (q > p && q[-1] == ' ')
					buf_addc(&b, ' ');
				p = q;
				continue;
			}
		}
		buf_addc(&b, *p++);
	}
	return buf_detach(&b);
}

void archive_csv_field(struct buf *b, const char *s, int last)
{
	if (!s)
		s = "";
	if (strpbrk(s, ",\"\r\n") || (*s && (isspace((unsigned char)*s) ||
	                                     isspace((unsigned char)s[strlen(s) - 1])))) {
		buf_addc(b, '"');
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				buf_addc(b, '"');
			buf_addc(b, *p);
		}
		buf_addc(b, '"');
	} else {
		buf_adds(b, s);
	}
	buf_adds(b, last ? "\r\n" : ",");
}

/* Rows of a query as text cells, ncols a row (NULL cells as ""). */
struct archive_rows {
	struct strv cells;
	int ncols;
};

static int archive_rows_cb(const struct store_row *row, void *arg)
{
	struct archive_rows *r = arg;
	for (int i = 0; i < r->ncols; i++)
		strv_push(&r->cells, store_row_text(row, i) ? store_row_text(row, i) : "");
	return 0;
}

static size_t archive_nrows(const struct archive_rows *r)
{
	return r->cells.n / (size_t)r->ncols;
}

static const char *archive_cell(const struct archive_rows *r, size_t row, int col)
{
	return r->cells.v[row * (size_t)r->ncols + (size_t)col];
}

/* ---- the substantive reply ---------------------------------------------- */

/* s with CRLF made LF, in place: a spreadsheet cell shows \r as a mark. */
static char *archive_lf(char *s)
{
	char *w = s;
	for (const char *p = s; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*w++ = *p;
	*w = '\0';
	return s;
}

/* One text of a reply: a message's own (name NULL) or an attachment's. */
static int archive_text_cb(const struct store_row *row, void *arg)
{
	const char *name = store_row_text(row, 0), *text = store_row_text(row, 1);
	char *t = util_trim(archive_lf(xstrdup(text ? text : "")));
	if (name)
		strv_push_owned(arg, xasprintf("[attachment %s]\n%s", name, t));
	else if (*t)
		strv_push(arg, t);
	free(t);
	return 0;
}

int archive_reply_text(struct store *st, int64_t request_id, int redact, char **out,
                       char **errp)
{
	*out = NULL;
	struct archive_rows msgs = { STRV_INIT, 1 };
	struct strv parts = STRV_INIT;
	int rc = store_query(st, errp, archive_rows_cb, &msgs,
	                     "SELECT id FROM messages WHERE request_id = ? AND direction = 'in'"
	                     " AND kind IN ('response', 'refusal')"
	                     " ORDER BY coalesce(internaldate, created_at), id", "I", request_id);
	for (size_t i = 0; rc == FOID_OK && i < archive_nrows(&msgs); i++) {
		int64_t id = strtoll(archive_cell(&msgs, i, 0), NULL, 10);
		rc = store_message_parts(st, id, archive_text_cb, &parts, errp);
	}
	if (rc == FOID_OK) {
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < parts.n; i++)
			buf_addf(&b, "%s%s", i ? "\n\n" : "", parts.v[i]);
		char *text = buf_detach(&b);
		*out = redact ? archive_redact(text) : xstrdup(text);
		free(text);
	}
	strv_free(&parts);
	strv_free(&msgs.cells);
	return rc;
}

/* ---- writing an archive --------------------------------------------------- */

struct archive_out {
	const struct archive_opts *o;
	const char *root;
	int dirfd;                 /* a directory archive, else -1 */
	struct zipdoc_writer *zip; /* a zip archive */
	struct buf sums;           /* SHA256SUMS */
	struct buf index;          /* index.csv */
	size_t files;
};

static int archive_write_fd(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Writes rel ("body/file" or "file") under the directory archive. */
static int archive_put_dir(struct archive_out *a, const char *rel, const void *data,
                           size_t len, char **errp)
{
	const char *slash = strchr(rel, '/');
	if (slash) {
		char *sub = xstrndup(rel, (size_t)(slash - rel));
		int r = mkdirat(a->dirfd, sub, 0755);
		int e = errno;
		free(sub);
		if (r < 0 && e != EEXIST)
			return err_set(errp, FOID_EIO, "%s/%s: %s", a->root, rel, strerror(e));
	}
	int fd = openat(a->dirfd, rel, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	                (a->o->overwrite ? O_TRUNC : O_EXCL), 0644);
	if (fd < 0)
		return err_set(errp, errno == EEXIST ? FOID_EEXIST : FOID_EIO, "%s/%s: %s",
		               a->root, rel, strerror(errno));
	int bad = archive_write_fd(fd, data, len) < 0;
	int e = errno;
	if (close(fd) < 0 && !bad) {
		bad = 1;
		e = errno;
	}
	return bad ? err_set(errp, FOID_EIO, "%s/%s: %s", a->root, rel, strerror(e)) : 0;
}

/* One file of the archive: written, and its sum kept.  from_blob: the
 * stored file data came from, which a zip reads again at the end instead
 * of holding it in memory. */
static int archive_put(struct archive_out *a, const char *rel, const void *data, size_t len,
                       const char *from_blob, char **errp)
{
	char sha[65];
	util_sha256_hex(data, len, sha);
	/* Two spaces: sha256sum's text mode line, which -c reads. */
	buf_addf(&a->sums, "%s  %s\n", sha, rel);
	a->files++;
	if (a->dirfd >= 0)
		return archive_put_dir(a, rel, data, len, errp);
	if (!from_blob)
		return zipdoc_writer_add(a->zip, rel, data, len, errp);
	char *full = xasprintf("%s/%s", a->o->storage_dir, from_blob);
	int rc = zipdoc_writer_add_file(a->zip, rel, full, errp);
	free(full);
	return rc;
}

/* A new string: name, or name with -2, -3 ... before its extension, not
 * yet in used (ignoring case, for file systems that do), and added to it. */
static char *archive_unique(struct strv *used, const char *name)
{
	char *cand = xstrdup(name);
	const char *dot = strrchr(name, '.');
	size_t stem = dot && dot != name ? (size_t)(dot - name) : strlen(name);
	for (int n = 2;; n++) {
		size_t i = 0;
		while (i < used->n && strcasecmp(used->v[i], cand) != 0)
			i++;
		if (i == used->n)
			break;
		free(cand);
		cand = xasprintf("%.*s-%d%s", (int)stem, name, n, name + stem);
	}
	strv_push(used, cand);
	return cand;
}

static void archive_index_row(struct archive_out *a, const char *const cells[10])
{
	for (int i = 0; i < 10; i++)
		archive_csv_field(&a->index, cells[i], i == 9);
}

/* The message columns of archive_message, in this order. */
#define ARCHIVE_MSG_SELECT                                                      \
	"SELECT m.id, m.direction, coalesce(m.kind, m.purpose, ''), m.from_addr,"  \
	" m.to_addrs, m.date_hdr, m.subject, m.body_text, m.raw_path,"            \
	" CASE m.direction WHEN 'in' THEN coalesce(m.internaldate, m.created_at)"  \
	" ELSE coalesce(m.sent_at, m.created_at) END AS t FROM messages m"
enum { AM_ID, AM_DIR, AM_KIND, AM_FROM, AM_TO, AM_DATE, AM_SUBJECT, AM_TEXT, AM_RAW, AM_T,
       AM_NCOLS };

struct archive_body {
	const char *folder, *reference, *their_reference;
	struct strv used; /* file names taken in the folder */
};

/* "folder/stem.ext", unique in the folder. */
static char *archive_path(struct archive_body *b, const char *stem, const char *ext)
{
	char *name = xasprintf("%s%s", stem, ext);
	char *unique = archive_unique(&b->used, name);
	char *rel = xasprintf("%s/%s", b->folder, unique);
	free(unique);
	free(name);
	return rel;
}

static int archive_message(struct archive_out *a, struct store *st, struct archive_body *b,
                           const struct archive_rows *msgs, size_t i, char **errp)
{
	const char *id = archive_cell(msgs, i, AM_ID), *dir = archive_cell(msgs, i, AM_DIR);
	const char *kind = archive_cell(msgs, i, AM_KIND), *raw_path = archive_cell(msgs, i, AM_RAW);
	char *when = util_iso8601(strtoll(archive_cell(msgs, i, AM_T), NULL, 10), a->o->tz);
	char *stem = xasprintf("%03zu-%.10s-%s", i + 1, when, dir);
	char *raw = NULL;
	size_t raw_len = 0;
	struct mime_message *m = NULL;
	struct archive_rows atts = { STRV_INIT, 5 };
	struct buf txt = BUF_INIT;
	char *rel = NULL;
	int rc = FOID_OK;
	if (*raw_path)
		rc = blob_get(a->o->storage_dir, raw_path, &raw, &raw_len, errp);
	/* What foid sent is stored only as the mail it sent: decoded here. */
	if (rc == FOID_OK && raw && strcmp(dir, "out") == 0)
		rc = mime_parse(raw, raw_len, NULL, &m, errp);
	if (rc == FOID_OK)
		rc = store_query(st, errp, archive_rows_cb, &atts,
		                 "SELECT id, filename, coalesce(content_type,"
		                 " 'application/octet-stream'), size, path FROM attachments"
		                 " WHERE message_row = ? ORDER BY id", "I",
		                 (int64_t)strtoll(id, NULL, 10));
	if (rc == FOID_OK) {
		const char *labels[] = { "From", "To", "Date", "Subject", "Our reference",
		                         "Their reference", strcmp(dir, "in") ? "Purpose" : "Kind" };
		const char *vals[] = {
			m && m->from ? m->from : archive_cell(msgs, i, AM_FROM),
			archive_cell(msgs, i, AM_TO),
			m && m->date ? m->date : archive_cell(msgs, i, AM_DATE),
			m && m->subject ? m->subject : archive_cell(msgs, i, AM_SUBJECT),
			b->reference, b->their_reference, kind };
		for (int k = 0; k < 7; k++)
			if (vals[k] && *vals[k])
				buf_addf(&txt, "%s: %s\n", labels[k], vals[k]);
		buf_addc(&txt, '\n');
		const char *text = m ? m->body_text : archive_cell(msgs, i, AM_TEXT);
		buf_adds(&txt, text);
		if (*text && text[strlen(text) - 1] != '\n')
			buf_addc(&txt, '\n');
	}
	/* Attachment names first, so the text can say where each one is. */
	struct strv names = STRV_INIT;
	for (size_t k = 0; rc == FOID_OK && k < archive_nrows(&atts); k++) {
		char *safe = mime_safe_filename(archive_cell(&atts, k, 1), "attachment");
		char *want = xasprintf("%03zu-%s", i + 1, safe);
		strv_push_owned(&names, archive_unique(&b->used, want));
		free(want);
		free(safe);
		if (k == 0)
			buf_adds(&txt, "\nattachments:\n");
		buf_addf(&txt, "  [%s] %s (%s, %s bytes): %s\n", archive_cell(&atts, k, 0),
		         archive_cell(&atts, k, 1), archive_cell(&atts, k, 2),
		         archive_cell(&atts, k, 3), names.v[k]);
	}
	if (rc == FOID_OK) {
		rel = archive_path(b, stem, ".txt");
		char *text = a->o->redact ? archive_redact(txt.data ? txt.data : "")
		                          : xstrdup(txt.data ? txt.data : "");
		rc = archive_put(a, rel, text, strlen(text), NULL, errp);
		char *bytes = xasprintf("%zu", strlen(text));
		const char *row[10] = { rel, b->folder, id, when, dir, kind, "text", "",
		                        "text/plain", bytes };
		archive_index_row(a, row);
		free(bytes);
		free(text);
	}
	/* The original cannot be redacted: a redacted archive leaves it out. */
	if (rc == FOID_OK && raw && !a->o->redact) {
		free(rel);
		rel = archive_path(b, stem, ".eml");
		rc = archive_put(a, rel, raw, raw_len, raw_path, errp);
		char *bytes = xasprintf("%zu", raw_len);
		const char *row[10] = { rel, b->folder, id, when, dir, kind, "original", "",
		                        "message/rfc822", bytes };
		archive_index_row(a, row);
		free(bytes);
	}
	for (size_t k = 0; rc == FOID_OK && k < archive_nrows(&atts); k++) {
		char *data = NULL;
		size_t len = 0;
		const char *path = archive_cell(&atts, k, 4);
		free(rel);
		rel = xasprintf("%s/%s", b->folder, names.v[k]);
		rc = blob_get(a->o->storage_dir, path, &data, &len, errp);
		if (rc == FOID_OK)
			rc = archive_put(a, rel, data, len, path, errp);
		const char *row[10] = { rel, b->folder, id, when, dir, kind, "attachment",
		                        archive_cell(&atts, k, 1), archive_cell(&atts, k, 2),
		                        archive_cell(&atts, k, 3) };
		if (rc == FOID_OK)
			archive_index_row(a, row);
		free(data);
	}
	strv_free(&names);
	free(rel);
	buf_free(&txt);
	strv_free(&atts.cells);
	mime_message_free(m);
	free(raw);
	free(stem);
	free(when);
	return rc;
}

/* FOID_EEXIST unless dir is missing (then made) or empty, or overwrite. */
static int archive_open_dir(struct archive_out *a, char **errp)
{
	const char *dir = a->root;
	DIR *d = opendir(dir);
	if (!d && errno == ENOENT) {
		int rc = util_mkdirs(dir, 0755, errp);
		if (rc < 0)
			return rc;
		d = opendir(dir);
	}
	if (!d)
		return err_set(errp, errno == ENOTDIR ? FOID_EEXIST : FOID_EIO, "%s: %s", dir,
		               strerror(errno));
	int empty = 1;
	struct dirent *e;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	if (!empty && !a->o->overwrite)
		return err_set(errp, FOID_EEXIST, "%s is not empty (--overwrite writes into it)", dir);
	a->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->dirfd < 0)
		return err_set(errp, FOID_EIO, "%s: %s", dir, strerror(errno));
	return 0;
}

int archive_write(struct store *st, int64_t round_id, const char *output,
                  const struct archive_opts *o, size_t *files, char **errp)
{
	*files = 0;
	struct archive_out a = { o, output, -1, NULL, BUF_INIT, BUF_INIT, 0 };
	size_t n = strlen(output);
	int zip = n > 4 && strcasecmp(output + n - 4, ".zip") == 0;
	int rc = zip ? zipdoc_writer_open(output, o->overwrite, &a.zip, errp)
	             : archive_open_dir(&a, errp);
	struct archive_rows reqs = { STRV_INIT, 4 };
	if (rc == FOID_OK)
		rc = store_query(st, errp, archive_rows_cb, &reqs,
		                 "SELECT q.id, b.short_name, q.reference, q.their_reference"
		                 " FROM requests q JOIN bodies b ON b.id = q.body_id"
		                 " WHERE q.round_id = ? ORDER BY b.short_name", "I", round_id);
	const char *head[10] = { "file", "body", "message", "date", "direction", "kind",
	                         "content", "name", "content_type", "bytes" };
	archive_index_row(&a, head);
	for (size_t r = 0; rc == FOID_OK && r < archive_nrows(&reqs); r++) {
		/* Short names are [a-z0-9-]: safe as a folder name as they are. */
		struct archive_body b = { archive_cell(&reqs, r, 1), archive_cell(&reqs, r, 2),
		                          archive_cell(&reqs, r, 3), STRV_INIT };
		struct archive_rows msgs = { STRV_INIT, AM_NCOLS };
		/* Our own mail seen again in the mailbox is the sent message twice. */
		rc = store_query(st, errp, archive_rows_cb, &msgs, ARCHIVE_MSG_SELECT
		                 " WHERE m.request_id = ? AND m.kind IS NOT 'own' ORDER BY t, m.id", "I",
		                 (int64_t)strtoll(archive_cell(&reqs, r, 0), NULL, 10));
		for (size_t i = 0; rc == FOID_OK && i < archive_nrows(&msgs); i++)
			rc = archive_message(&a, st, &b, &msgs, i, errp);
		strv_free(&msgs.cells);
		strv_free(&b.used);
	}
	if (rc == FOID_OK)
		rc = archive_put(&a, "index.csv", a.index.data, a.index.len, NULL, errp);
	if (rc == FOID_OK) {
		rc = a.dirfd >= 0
			? archive_put_dir(&a, "SHA256SUMS", a.sums.data, a.sums.len, errp)
			: zipdoc_writer_add(a.zip, "SHA256SUMS", a.sums.data, a.sums.len, errp);
	}
	if (rc == FOID_OK && a.zip) {
		rc = zipdoc_writer_close(a.zip, errp);
		a.zip = NULL;
	}
	if (rc == FOID_OK)
		*files = a.files;
	zipdoc_writer_free(a.zip);
	if (a.dirfd >= 0)
		close(a.dirfd);
	strv_free(&reqs.cells);
	buf_free(&a.sums);
	buf_free(&a.index);
	return rc;
}
