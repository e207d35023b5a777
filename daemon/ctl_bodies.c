/* foictl bodies: import, list and show the registry of public bodies. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "bodies.h"
#include "ctl.h"
#include "json.h"
#include "util.h"

#define CTL_BODIES_WIDTH 79

static void ctl_bodies_names(FILE *out, const char *verb, const struct strv *names)
{
	for (size_t i = 0; i < names->n; i++)
		fprintf(out, "  %s %s\n", verb, names->v[i]);
}

/* The bodies commands name no subcommand in their errors: "foictl: err".
 * Returns the exit status for rc. */
static int ctl_bodies_fail(int rc, const char *err)
{
	fprintf(stderr, "foictl: %s\n", err);
	return ctl_exit_code(rc);
}

static int ctl_bodies_import(struct ctl *c, int argc, char **argv)
{
	int dry_run = 0;
	const struct ctl_opt opts[] = { { "--dry-run", NULL, &dry_run }, { NULL, NULL, NULL } };
	struct store *st = NULL;
	int ex = ctl_args_open(c, "bodies import", opts, 1, 1, argc, argv, NULL, &st);
	if (ex != CTL_ARGS_RUN)
		return ex;
	ex = EX_OK;
	struct bodies_report rep = BODIES_REPORT_INIT;
	char *err = NULL;
	int rc = bodies_import(st, argv[1], dry_run, &rep, &err);
	for (size_t i = 0; i < rep.errors.n; i++)
		fprintf(stderr, "%s\n", rep.errors.v[i]);
	if (rc < 0) {
		ex = ctl_bodies_fail(rc, err);
		goto out;
	}
	if (dry_run) {
		fprintf(c->out, "dry run: would add %zu, update %zu, leave %zu unchanged\n",
		        rep.added, rep.updated, rep.unchanged);
		ctl_bodies_names(c->out, "add", &rep.added_names);
		ctl_bodies_names(c->out, "update", &rep.updated_names);
	} else {
		fprintf(c->out, "added %zu, updated %zu, unchanged %zu\n", rep.added,
		        rep.updated, rep.unchanged);
		ctl_bodies_names(c->out, "updated", &rep.updated_names);
	}
out:
	free(err);
	bodies_report_free(&rep);
	return ex;
}

/* Display width: code points, which is close enough for names. */
static size_t ctl_bodies_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

/* Prints s in a cell of width w, cut with "..." when longer. */
static void ctl_bodies_cell(FILE *out, const char *s, size_t w, int last)
{
	size_t sw = ctl_bodies_width(s);
	if (sw > w) {
		size_t keep = w > 3 ? w - 3 : 0, n = 0;
		const char *p = s;
		for (; *p; p++) {
			if (((unsigned char)*p & 0xC0) != 0x80 && n++ == keep)
				break;
		}
		fprintf(out, "%.*s...", (int)(p - s), s);
		sw = w;
	} else {
		fputs(s, out);
	}
	if (!last)
		fprintf(out, "%*s", (int)(w - sw + 2), "");
}

static const char *ctl_bodies_col(const struct body *b, int col)
{
	return col == 0 ? b->short_name : col == 1 ? b->name : b->email;
}

/* Short name, name and email, each as wide as its widest value; while that
 * is too wide for the terminal the widest column gives way, one at a time. */
static void ctl_bodies_table(FILE *out, const struct bodies_list *l)
{
	static const char *const heads[3] = { "SHORT_NAME", "NAME", "EMAIL" };
	size_t w[3];
	for (int k = 0; k < 3; k++) {
		w[k] = strlen(heads[k]);
		for (size_t i = 0; i < l->n; i++) {
			size_t cw = ctl_bodies_width(ctl_bodies_col(l->v[i], k));
			if (cw > w[k])
				w[k] = cw;
		}
	}
	while (w[0] + w[1] + w[2] + 4 > CTL_BODIES_WIDTH) {
		int big = w[1] >= w[0] && w[1] >= w[2] ? 1 : w[2] >= w[0] ? 2 : 0;
		w[big]--;
	}
	for (int k = 0; k < 3; k++)
		ctl_bodies_cell(out, heads[k], w[k], k == 2);
	fputc('\n', out);
	for (size_t i = 0; i < l->n; i++) {
		for (int k = 0; k < 3; k++)
			ctl_bodies_cell(out, ctl_bodies_col(l->v[i], k), w[k], k == 2);
		fputc('\n', out);
	}
}

static int ctl_bodies_list(struct ctl *c, int argc, char **argv)
{
	int json = 0;
	const char *tag = NULL;
	const struct ctl_opt opts[] = {
		{ "--json", NULL, &json }, { "--tag", &tag, NULL }, { NULL, NULL, NULL },
	};
	struct store *st = NULL;
	int ex = ctl_args_open(c, "bodies list", opts, 0, 0, argc, argv, NULL, &st);
	if (ex != CTL_ARGS_RUN)
		return ex;
	ex = EX_OK;
	struct bodies_list l = BODIES_LIST_INIT;
	char *err = NULL;
	int rc = bodies_list(st, tag, &l, &err);
	if (rc < 0) {
		ex = ctl_bodies_fail(rc, err);
		goto out;
	}
	if (json) {
		struct jw *arr = jw_array();
		for (size_t i = 0; i < l.n; i++)
			jw_push(arr, bodies_body_json(l.v[i]));
		if (jw_dump_file(arr, c->out, JW_INDENT, &err) < 0)
			ex = ctl_bodies_fail(FOID_EIO, err);
		jw_free(arr);
	} else if (l.n == 0) {
		fputs("no bodies\n", c->out);
	} else {
		ctl_bodies_table(c->out, &l);
	}
out:
	free(err);
	bodies_list_free(&l);
	return ex;
}

static void ctl_bodies_field(FILE *out, const char *key, const char *val)
{
	fprintf(out, "%-12s %s\n", key, val ? val : "-");
}

static int ctl_bodies_show(struct ctl *c, int argc, char **argv)
{
	int json = 0;
	const struct ctl_opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	struct store *st = NULL;
	int ex = ctl_args_open(c, "bodies show", opts, 1, 1, argc, argv, NULL, &st);
	if (ex != CTL_ARGS_RUN)
		return ex;
	ex = EX_OK;
	struct body *b = NULL;
	char *err = NULL;
	int rc = bodies_find_by_short_name(st, argv[1], &b, &err);
	if (rc < 0) {
		ex = ctl_bodies_fail(rc, err);
		goto out;
	}
	if (json) {
		struct jw *o = bodies_body_json(b);
		if (jw_dump_file(o, c->out, JW_INDENT, &err) < 0)
			ex = ctl_bodies_fail(FOID_EIO, err);
		jw_free(o);
		goto out;
	}
	char *tags = NULL, *created = util_iso8601(b->created_at, NULL);
	char *updated = util_iso8601(b->updated_at, NULL);
	struct buf tb = BUF_INIT;
	for (size_t i = 0; i < b->tags.n; i++)
		buf_addf(&tb, "%s%s", i ? "; " : "", b->tags.v[i]);
	tags = buf_detach(&tb);
	ctl_bodies_field(c->out, "short_name", b->short_name);
	ctl_bodies_field(c->out, "name", b->name);
	ctl_bodies_field(c->out, "email", b->email);
	ctl_bodies_field(c->out, "kind", b->kind);
	ctl_bodies_field(c->out, "region", b->region);
	ctl_bodies_field(c->out, "tags", *tags ? tags : NULL);
	ctl_bodies_field(c->out, "created", created);
	ctl_bodies_field(c->out, "updated", updated);
	for (size_t i = 0; i < b->attr_keys.n; i++) {
		char *k = xasprintf("body.%s", b->attr_keys.v[i]);
		ctl_bodies_field(c->out, k, b->attr_values.v[i]);
		free(k);
	}
	free(tags);
	free(created);
	free(updated);
out:
	free(err);
	bodies_body_free(b);
	return ex;
}

int ctl_bodies(struct ctl *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(ctl_usage("bodies"), argc < 2 ? stderr : c->out);
		return argc < 2 ? EX_USAGE : 0;
	}
	if (strcmp(argv[1], "import") == 0)
		return ctl_bodies_import(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return ctl_bodies_list(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return ctl_bodies_show(c, argc - 1, argv + 1);
	fprintf(stderr, "foictl bodies: unknown command '%s'\n%s", argv[1], ctl_usage("bodies"));
	return EX_USAGE;
}
