/* foictl read and attachments: what the bodies sent, as a person reads it,
 * and their files saved where a person wants them.  The message numbers are
 * the ones show and inbox print; attachment numbers are their own, listed
 * by `attachments`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "blob.h"
#include "config.h"
#include "ctl.h"
#include "extract.h"
#include "store.h"
#include "util.h"

struct ctl_read {
	FILE *out;
	int found;
	int64_t request_id;
};

static int ctl_read_head_cb(const struct store_row *row, void *arg)
{
	struct ctl_read *x = arg;
	x->found = 1;
	const char *labels[] = { "From", "Date", "Subject", "Our reference",
	                         "Their reference", "Kind" };
	for (int i = 0; i < 6; i++)
		if (store_row_text(row, i))
			fprintf(x->out, "%s: %s\n", labels[i], store_row_text(row, i));
	fputc('\n', x->out);
	const char *text = store_row_text(row, 6);
	if (text) {
		fputs(text, x->out);
		if (*text && text[strlen(text) - 1] != '\n')
			fputc('\n', x->out);
	}
	return 0;
}

static int ctl_read_att_cb(const struct store_row *row, void *arg)
{
	struct ctl_read *x = arg;
	if (!x->found++)
		fputs("\nattachments:\n", x->out);
	fprintf(x->out, "  [%lld] %s (%s, %lld bytes)\n", (long long)store_row_int(row, 0),
	        store_row_text(row, 1), store_row_text_or(row, 2, "application/octet-stream"),
	        (long long)store_row_int(row, 3));
	return 0;
}

/* Writes len bytes to fd in full; FOID_EIO with errno's text otherwise. */
static int ctl_write_all(int fd, const char *p, size_t len, const char *what, char **errp)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_set(errp, FOID_EIO, "%s: %s", what, strerror(errno));
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int ctl_read_raw(struct ctl *c, struct store *st, int64_t id, char **errp)
{
	char *path = NULL, *raw = NULL;
	size_t len = 0;
	int rc = store_query_text(st, errp, &path,
	                          "SELECT raw_path FROM messages WHERE id = ?", "I", id);
	if (rc == FOID_OK && !path)
		rc = err_set(errp, FOID_ENOTFOUND, "message %lld has no stored original",
		             (long long)id);
	if (rc == FOID_OK)
		rc = blob_get(ctl_config(c)->storage_dir, path, &raw, &len, errp);
	if (rc == FOID_OK) {
		fflush(c->out);
		rc = ctl_write_all(fileno(c->out), raw, len, "standard output", errp);
	}
	free(raw);
	free(path);
	return rc;
}

int ctl_read(struct ctl *c, int argc, char **argv)
{
	int raw = 0;
	const struct ctl_opt opts[] = { { "--raw", NULL, &raw }, { NULL, NULL, NULL } };
	int ex = ctl_args_parse(c, "read", opts, 1, 1, argc, argv, NULL);
	if (ex != CTL_ARGS_RUN)
		return ex;
	char *end = NULL;
	long long id = strtoll(argv[1], &end, 10);
	if (*end || id <= 0)
		return ctl_usage_error("read", "MESSAGE is a number");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	char *err = NULL;
	struct ctl_read x = { c->out, 0, 0 };
	int rc;
	if (raw) {
		rc = ctl_read_raw(c, st, id, &err);
	} else {
		rc = store_query(st, &err, ctl_read_head_cb, &x,
		                 "SELECT m.from_addr, m.date_hdr, m.subject, q.reference,"
		                 " q.their_reference, m.kind, m.body_text FROM messages m"
		                 " LEFT JOIN requests q ON q.id = m.request_id"
		                 " WHERE m.id = ? AND m.direction = 'in'", "I", (int64_t)id);
		if (rc == FOID_OK && !x.found)
			rc = err_set(&err, FOID_ENOTFOUND, "no received message %lld"
			             " (see foictl inbox or show for the numbers)", id);
		x.found = 0;
		if (rc == FOID_OK)
			rc = store_query(st, &err, ctl_read_att_cb, &x,
			                 "SELECT id, filename, content_type, size FROM attachments"
			                 " WHERE message_row = ? ORDER BY id", "I", (int64_t)id);
	}
	if (rc)
		rc = ctl_fail("read", rc, err);
	free(err);
	return rc;
}

/* ---- attachments ---------------------------------------------------------- */

struct ctl_att {
	int64_t id;
	char *name, *type, *path;
	int64_t size, message;
	char *date;
};

struct ctl_atts {
	struct ctl_att *v;
	size_t n;
};

static int ctl_att_cb(const struct store_row *row, void *arg)
{
	struct ctl_atts *a = arg;
	a->v = xrealloc(a->v, (a->n + 1) * sizeof *a->v);
	struct ctl_att *t = &a->v[a->n++];
	t->id = store_row_int(row, 0);
	t->name = xstrdup(store_row_text(row, 1));
	t->type = xstrdup(store_row_text_or(row, 2, "application/octet-stream"));
	t->size = store_row_int(row, 3);
	t->path = xstrdup(store_row_text(row, 4));
	t->message = store_row_int(row, 5);
	t->date = xstrdup(store_row_text_or(row, 6, ""));
	return 0;
}

static void ctl_atts_free(struct ctl_atts *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].type);
		free(a->v[i].path);
		free(a->v[i].date);
	}
	free(a->v);
}

#define CTL_ATT_SELECT                                                          \
	"SELECT a.id, a.filename, a.content_type, a.size, a.path, m.id,"         \
	" m.date_hdr FROM attachments a JOIN messages m ON m.id = a.message_row"

static int ctl_atts_of(struct store *st, const char *slug, const char *body,
                       struct ctl_atts *a, char **errp)
{
	int64_t req = 0;
	int rc = ctl_request_id(st, slug, body, &req, errp);
	if (rc == FOID_OK)
		rc = store_query(st, errp, ctl_att_cb, a, CTL_ATT_SELECT
		                 " WHERE m.request_id = ? AND m.direction = 'in'"
		                 " ORDER BY coalesce(m.internaldate, m.created_at), m.id, a.id",
		                 "I", req);
	return rc;
}

/* A file name that stays in its directory: the last path element, no
 * control characters, no leading dot; "attachment" when nothing is left. */
static char *ctl_safe_name(const char *name, int64_t id)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	struct buf b = BUF_INIT;
	for (const unsigned char *p = (const unsigned char *)base; *p; p++)
		if (*p >= 0x20 && *p != 0x7f && *p != '\\' && !(b.len == 0 && *p == '.'))
			buf_addc(&b, (char)*p);
	if (!b.len)
		buf_addf(&b, "attachment-%lld", (long long)id);
	return buf_detach(&b);
}

static int ctl_att_save_one(struct ctl *c, int dirfd, const char *dir,
                            const struct ctl_att *t, const char *name, int overwrite,
                            char **errp)
{
	char *data = NULL;
	size_t len = 0;
	int fd = -1;
	int rc = blob_get(ctl_config(c)->storage_dir, t->path, &data, &len, errp);
	if (rc == FOID_OK) {
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
		            (overwrite ? O_TRUNC : O_EXCL), 0644);
		if (fd < 0 && errno == EEXIST)
			rc = err_set(errp, FOID_EEXIST, "%s/%s exists (--overwrite replaces it)",
			             dir, name);
		else if (fd < 0)
			rc = err_set(errp, FOID_EIO, "%s/%s: %s", dir, name, strerror(errno));
	}
	if (rc == FOID_OK)
		rc = ctl_write_all(fd, data, len, name, errp);
	if (fd >= 0 && close(fd) < 0 && rc == FOID_OK)
		rc = err_set(errp, FOID_EIO, "%s/%s: %s", dir, name, strerror(errno));
	if (rc == FOID_OK)
		fprintf(c->out, "%s/%s\n", dir, name);
	free(data);
	return rc;
}

static int ctl_att_wanted(const struct ctl_att *t, int argc, char **argv)
{
	if (argc == 0)
		return 1;
	for (int i = 0; i < argc; i++)
		if (strtoll(argv[i], NULL, 10) == t->id)
			return 1;
	return 0;
}

/* argv[1..nargs] are ROUND BODY [NUMBER...]. */
static int ctl_att_save(struct ctl *c, struct store *st, const char *dir, int overwrite,
                        int nargs, char **argv, char **errp)
{
	int rc = FOID_OK;
	for (int i = 3; i <= nargs && rc == FOID_OK; i++)
		if (strspn(argv[i], "0123456789") != strlen(argv[i]) || !*argv[i])
			rc = err_set(errp, FOID_EINVAL, "not an attachment number: %s", argv[i]);
	struct ctl_atts a = { 0 };
	int dirfd = -1;
	if (rc == FOID_OK)
		rc = ctl_atts_of(st, argv[1], argv[2], &a, errp);
	if (rc == FOID_OK && (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = err_set(errp, FOID_EIO, "%s: %s", dir, strerror(errno));
	struct strv used = STRV_INIT;
	for (size_t i = 0; rc == FOID_OK && i < a.n; i++) {
		if (!ctl_att_wanted(&a.v[i], nargs - 2, argv + 3))
			continue;
		char *name = ctl_safe_name(a.v[i].name, a.v[i].id);
		/* Two files of one name in one save: the later gets its number. */
		for (size_t j = 0; j < used.n; j++) {
			if (strcmp(used.v[j], name) == 0) {
				char *n2 = xasprintf("%lld-%s", (long long)a.v[i].id, name);
				free(name);
				name = n2;
				break;
			}
		}
		rc = ctl_att_save_one(c, dirfd, dir, &a.v[i], name, overwrite, errp);
		strv_push_owned(&used, name);
	}
	if (dirfd >= 0)
		close(dirfd);
	strv_free(&used);
	ctl_atts_free(&a);
	return rc;
}

static int ctl_att_cat(struct ctl *c, struct store *st, const char *num, char **errp)
{
	struct ctl_atts a = { 0 };
	char *data = NULL;
	size_t len = 0;
	int rc = store_query(st, errp, ctl_att_cb, &a, CTL_ATT_SELECT " WHERE a.id = ?", "I",
	                     (int64_t)strtoll(num, NULL, 10));
	if (rc == FOID_OK && a.n == 0)
		rc = err_set(errp, FOID_ENOTFOUND, "no attachment %s (foictl attachments"
		             " ROUND BODY lists them)", num);
	if (rc == FOID_OK && !util_starts_with(a.v[0].type, "text/") && isatty(fileno(c->out)))
		rc = err_set(errp, FOID_EINVAL, "attachment %s is %s: not written to a terminal"
		             " (redirect it, or use attachments save)", num, a.v[0].type);
	if (rc == FOID_OK)
		rc = blob_get(ctl_config(c)->storage_dir, a.v[0].path, &data, &len, errp);
	if (rc == FOID_OK) {
		fflush(c->out);
		rc = ctl_write_all(fileno(c->out), data, len, "standard output", errp);
	}
	free(data);
	ctl_atts_free(&a);
	return rc;
}

int ctl_attachments(struct ctl *c, int argc, char **argv)
{
	const char *dir = ".";
	int overwrite = 0, nargs = 0;
	const struct ctl_opt opts[] = { { "--dir", &dir, NULL }, { "--overwrite", NULL, &overwrite },
		{ NULL, NULL, NULL } };
	int ex = ctl_args_parse(c, "attachments", opts, 1, -1, argc, argv, &nargs);
	if (ex != CTL_ARGS_RUN)
		return ex;
	int save = !strcmp(argv[1], "save"), cat = !strcmp(argv[1], "cat");
	if ((save && nargs < 3) || (cat && nargs != 2) || (!save && !cat && nargs != 2))
		return ctl_usage_error("attachments", "wrong number of arguments");
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	char *err = NULL;
	int rc;
	if (save) {
		rc = ctl_att_save(c, st, dir, overwrite, nargs - 1, argv + 1, &err);
	} else if (cat) {
		rc = ctl_att_cat(c, st, argv[2], &err);
	} else {
		struct ctl_atts a = { 0 };
		rc = ctl_atts_of(st, argv[1], argv[2], &a, &err);
		if (rc == FOID_OK && a.n == 0)
			fprintf(c->out, "%s in %s sent no attachments\n", argv[2], argv[1]);
		else if (rc == FOID_OK)
			fprintf(c->out, "%-5s %-40s %-28s %10s %s\n", "#", "name", "type", "bytes",
			        "message");
		for (size_t i = 0; rc == FOID_OK && i < a.n; i++)
			fprintf(c->out, "%-5lld %-40s %-28s %10lld #%lld %s\n",
			        (long long)a.v[i].id, a.v[i].name, a.v[i].type,
			        (long long)a.v[i].size, (long long)a.v[i].message, a.v[i].date);
		ctl_atts_free(&a);
	}
	if (rc)
		rc = ctl_fail("attachments", rc, err);
	free(err);
	return rc;
}

/* ---- extract ---------------------------------------------------------------- */

int ctl_extract(struct ctl *c, int argc, char **argv)
{
	int again = 0;
	const struct ctl_opt opts[] = { { "--again", NULL, &again }, { NULL, NULL, NULL } };
	struct store *st = NULL;
	int ex = ctl_args_open(c, "extract", opts, 0, 0, argc, argv, NULL, &st);
	if (ex != CTL_ARGS_RUN)
		return ex;
	char *err = NULL;
	int rc = FOID_OK;
	if (again) {
		rc = store_begin(st, &err);
		if (rc == FOID_OK)
			rc = store_exec(st, &err, "DELETE FROM attachment_pages", NULL);
		if (rc == FOID_OK)
			rc = store_exec(st, &err, "UPDATE attachments SET text_status = NULL,"
			                " detected_type = NULL", NULL);
		rc = store_finish(st, rc, &err);
	}
	struct extract_opts o = EXTRACT_OPTS_DEFAULT;
	o.ocr = ctl_config(c)->ocr;
	size_t done = 0;
	if (rc == FOID_OK)
		rc = extract_pending(st, ctl_config(c)->storage_dir, &o, &done, &err);
	if (rc == FOID_OK)
		fprintf(c->out, "%zu attachment%s read\n", done, done == 1 ? "" : "s");
	if (rc)
		rc = ctl_fail("extract", rc, err);
	free(err);
	return rc;
}
