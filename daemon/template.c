#include "template.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "message.h"

/* A piece of Subject, Cc or body: literal text or a placeholder name. */
struct seg {
	char *text;
	int is_ph;
	int line; /* where a placeholder starts */
};

struct field {
	struct seg *v;
	size_t n;
	int line; /* first line */
};

struct template {
	char *name;
	struct field subject;
	struct field *cc; /* one per Cc header */
	size_t ncc;
	struct field body;
	struct strv attach;
	struct strv placeholders;
};

static void field_push(struct field *f, char *text, int is_ph, int line)
{
	f->v = xrealloc(f->v, (f->n + 1) * sizeof *f->v);
	f->v[f->n++] = (struct seg){ text, is_ph, line };
}

static void field_free(struct field *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].text);
	free(f->v);
}

static int name_ok(const char *s)
{
	return util_word_ok(s, 0, UTIL_LOWER_DIGITS UTIL_UPPER "_.-");
}

static void note_placeholder(struct template *t, const char *name)
{
	for (size_t i = 0; i < t->placeholders.n; i++)
		if (strcmp(t->placeholders.v[i], name) == 0)
			return;
	strv_push(&t->placeholders, name);
}

/* Splits s (which starts on line `line`) into literal and placeholder
 * segments. */
static int parse_field(struct template *t, const char *s, int line, struct field *f,
                       char **errp)
{
	f->line = line;
	for (;;) {
		const char *open = strstr(s, "{{");
		size_t lit = open ? (size_t)(open - s) : strlen(s);
		if (lit > 0)
			field_push(f, xstrndup(s, lit), 0, line);
		for (size_t i = 0; i < lit; i++)
			line += s[i] == '\n';
		if (!open)
			return FOID_OK;
		const char *close = strstr(open + 2, "}}");
		const char *nl = strchr(open + 2, '\n');
		if (!close || (nl && nl < close))
			return err_set(errp, FOID_EINVAL, "%s:%d: unterminated placeholder \"{{\"",
			               t->name, line);
		char *name = util_trim(xstrndup(open + 2, (size_t)(close - open - 2)));
		if (!name_ok(name)) {
			err_set(errp, FOID_EINVAL, "%s:%d: invalid placeholder name {{%s}}",
			        t->name, line, name);
			free(name);
			return FOID_EINVAL;
		}
		note_placeholder(t, name);
		field_push(f, name, 1, line);
		s = close + 2;
	}
}

/* Checks that an Attach file exists and can be read now, so a round does
 * not fail half-way through. */
static int check_attach(const struct template *t, int line, const char *path,
                        char **errp)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(errp, FOID_EINVAL, "%s:%d: Attach file \"%s\": %s", t->name,
		               line, path, strerror(errno));
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	if (!ok)
		return err_set(errp, FOID_EINVAL, "%s:%d: Attach file \"%s\" is not a regular file",
		               t->name, line, path);
	return FOID_OK;
}

static int parse_header(struct template *t, char *line, int lineno,
                        const char *basedir, char **errp)
{
	char *colon = strchr(line, ':');
	if (!colon)
		return err_set(errp, FOID_EINVAL,
		               "%s:%d: expected \"Name: value\" or a blank line before the body",
		               t->name, lineno);
	*colon = '\0';
	char *name = util_trim(line);
	char *value = util_trim(colon + 1);
	if (strcasecmp(name, "Subject") == 0) {
		if (t->subject.line)
			return err_set(errp, FOID_EINVAL, "%s:%d: second Subject header",
			               t->name, lineno);
		if (!*value)
			return err_set(errp, FOID_EINVAL, "%s:%d: empty Subject", t->name, lineno);
		return parse_field(t, value, lineno, &t->subject, errp);
	}
	if (strcasecmp(name, "Cc") == 0) {
		t->cc = xrealloc(t->cc, (t->ncc + 1) * sizeof *t->cc);
		t->cc[t->ncc] = (struct field){ NULL, 0, 0 };
		return parse_field(t, value, lineno, &t->cc[t->ncc++], errp);
	}
	if (strcasecmp(name, "Attach") == 0) {
		if (!*value || strstr(value, "{{"))
			return err_set(errp, FOID_EINVAL,
			               "%s:%d: Attach needs a file name (no placeholders)",
			               t->name, lineno);
		char *path = value[0] == '/' || !basedir ? xstrdup(value)
		                                         : xasprintf("%s/%s", basedir, value);
		strv_push_owned(&t->attach, path);
		return check_attach(t, lineno, path, errp);
	}
	return err_set(errp, FOID_EINVAL, "%s:%d: unknown header \"%s\"", t->name, lineno,
	               name);
}

/* Text with CRLF turned into LF and a leading byte-order mark dropped. */
static char *normalise(const char *text)
{
	if (util_starts_with(text, "\xEF\xBB\xBF"))
		text += 3;
	char *s = xstrdup(text), *w = s;
	for (const char *r = text; *r; r++)
		if (!(r[0] == '\r' && r[1] == '\n'))
			*w++ = *r;
	*w = '\0';
	return s;
}

static int check_utf8(const char *name, const char *s, char **errp)
{
	int line = 1;
	while (*s) {
		size_t n = strcspn(s, "\n");
		if (!util_utf8_valid(s, n))
			return err_set(errp, FOID_EINVAL, "%s:%d: not valid UTF-8", name, line);
		s += n + (s[n] == '\n');
		line++;
	}
	return FOID_OK;
}

int template_parse(const char *name, const char *text, const char *basedir,
                   struct template **out, char **errp)
{
	struct template *t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	char *s = normalise(text);
	int rc = check_utf8(name, s, errp);
	if (rc < 0)
		goto out;
	struct util_lines lines;
	util_lines_init(&lines, s);
	for (;;) {
		/* A header line, and the blank line after the last, end in "\n". */
		if (!lines.next || !strchr(lines.next, '\n')) {
			rc = err_set(errp, FOID_EINVAL,
			             "%s:%d: missing blank line between the headers and the body",
			             name, lines.lineno + 1);
			goto out;
		}
		char *line = util_lines_next(&lines);
		if (*util_trim(line) == '\0')
			break;
		if ((rc = parse_header(t, line, lines.lineno, basedir, errp)) < 0)
			goto out;
	}
	char *p = lines.next ? lines.next : s + strlen(s);
	int lineno = lines.lineno + 1;
	if (!t->subject.line) {
		rc = err_set(errp, FOID_EINVAL, "%s: missing Subject header", name);
		goto out;
	}
	rc = parse_field(t, p, lineno, &t->body, errp);
out:
	free(s);
	if (rc < 0) {
		template_free(t);
		t = NULL;
	}
	*out = t;
	return rc;
}

int template_load(const char *path, struct template **out, char **errp)
{
	char *text = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = util_read_file(path, &text, &len, errp);
	if (rc < 0)
		return rc;
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path + (slash == path))) : NULL;
	if (strlen(text) != len)
		rc = err_set(errp, FOID_EINVAL, "%s: contains NUL bytes, not UTF-8 text", path);
	else
		rc = template_parse(path, text, dir, out, errp);
	free(dir);
	free(text);
	return rc;
}

void template_free(struct template *t)
{
	if (!t)
		return;
	field_free(&t->subject);
	for (size_t i = 0; i < t->ncc; i++)
		field_free(&t->cc[i]);
	free(t->cc);
	field_free(&t->body);
	strv_free(&t->attach);
	strv_free(&t->placeholders);
	free(t->name);
	free(t);
}

const struct strv *template_placeholders(const struct template *t)
{
	return &t->placeholders;
}

/* Renders one field into out; problems are appended to errs, one per line.
 * header names the header for fields that must not get line breaks. */
static void render_field(const struct template *t, const struct field *f,
                         template_lookup_fn lookup, void *arg, const char *header,
                         struct buf *out, struct buf *errs)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct seg *sg = &f->v[i];
		if (!sg->is_ph) {
			buf_adds(out, sg->text);
			continue;
		}
		const char *v = lookup(arg, sg->text);
		if (!v)
			buf_addf(errs, "%s:%d: unresolved placeholder {{%s}}\n", t->name,
			         sg->line, sg->text);
		else if (header && strpbrk(v, "\r\n"))
			buf_addf(errs, "%s:%d: value of {{%s}} contains a line break, "
			               "not allowed in %s\n", t->name, sg->line, sg->text, header);
		else
			buf_adds(out, v);
	}
}

static void split_cc(const struct template *t, int line, char *list, struct strv *cc,
                     struct buf *errs)
{
	for (char *save = NULL, *a = strtok_r(list, ",", &save); a;
	     a = strtok_r(NULL, ",", &save)) {
		util_trim(a);
		if (!*a)
			continue;
		if (message_addr_ok(a))
			strv_push(cc, a);
		else
			buf_addf(errs, "%s:%d: Cc address \"%s\" is not valid\n", t->name, line, a);
	}
}

int template_render(const struct template *t, template_lookup_fn lookup, void *arg,
                    struct template_rendered **out, char **errp)
{
	struct template_rendered *r = xcalloc(1, sizeof *r);
	struct buf errs = BUF_INIT, b = BUF_INIT;
	int rc = FOID_OK;
	render_field(t, &t->subject, lookup, arg, "Subject", &b, &errs);
	r->subject = buf_detach(&b);
	for (size_t i = 0; i < t->ncc; i++) {
		render_field(t, &t->cc[i], lookup, arg, "Cc", &b, &errs);
		char *list = buf_detach(&b);
		split_cc(t, t->cc[i].line, list, &r->cc, &errs);
		free(list);
	}
	render_field(t, &t->body, lookup, arg, NULL, &b, &errs);
	r->body = buf_detach(&b);
	for (size_t i = 0; i < t->attach.n; i++)
		strv_push(&r->attach_paths, t->attach.v[i]);
	if (errs.len > 0) {
		errs.data[--errs.len] = '\0';
		rc = err_set(errp, FOID_EINVAL, "%s", errs.data);
		template_rendered_free(r);
		r = NULL;
	}
	buf_free(&errs);
	*out = r;
	return rc;
}

void template_rendered_free(struct template_rendered *r)
{
	if (!r)
		return;
	free(r->subject);
	strv_free(&r->cc);
	free(r->body);
	strv_free(&r->attach_paths);
	free(r);
}
