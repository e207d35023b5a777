/* foictl round: create, preview, launch, add bodies, pause and resume. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "round.h"
#include "store.h"
#include "util.h"

/* Waits while foid sends the round's requests, showing progress; gives up
 * after ten minutes without any. */
static int ctl_round_wait(struct ctl *c, struct store *st, const char *slug)
{
	int64_t rid = 0, total = 0, left = 0, last_left = -1;
	char *err = NULL;
	int rc = round_id(st, slug, &rid, &err);
	if (rc == FOID_OK)
		rc = store_query_int(st, &err, &total, "SELECT count(*) FROM messages m"
		                     " JOIN requests q ON q.id = m.request_id WHERE q.round_id = ?"
		                     " AND m.purpose = 'request'", "I", rid);
	int64_t stalled = 0;
	while (rc == FOID_OK) {
		rc = store_query_int(st, &err, &left, "SELECT count(*) FROM messages m"
		                     " JOIN requests q ON q.id = m.request_id WHERE q.round_id = ?"
		                     " AND m.purpose = 'request' AND m.send_state IN"
		                     " ('queued', 'sending')", "I", rid);
		if (rc)
			break;
		if (left != last_left) {
			ctl_progress(c->out, "sent", (size_t)(total - left), (size_t)total);
			last_left = left;
			stalled = 0;
		}
		if (left == 0)
			break;
		if (++stalled > 3000) {
			rc = err_set(&err, FOID_ETEMP, "no progress for ten minutes: is foid "
			             "running?");
			break;
		}
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (rc)
		rc = ctl_fail("round launch", rc, err);
	free(err);
	return rc;
}

static int ctl_round_create(struct ctl *c, int argc, char **argv)
{
	struct round_new rn = { 0 };
	const struct ctl_opt opts[] = {
		{ "--kind", &rn.kind, NULL }, { "--template", &rn.template_path, NULL },
		{ "--regime", &rn.regime, NULL }, { "--bodies", &rn.bodies, NULL },
		{ "--closes", &rn.closes, NULL }, { "--title", &rn.title, NULL },
		{ "--ref-prefix", &rn.ref_prefix, NULL }, { "--thanks", NULL, &rn.thanks },
		{ NULL, NULL, NULL },
	};
	int ex = ctl_args_parse(c, "round create", opts, 1, 1, argc, argv, NULL);
	if (ex != CTL_ARGS_RUN)
		return ex;
	if (!rn.kind || !rn.template_path)
		return ctl_usage_error("round create", "--kind and --template are required");
	rn.slug = argv[1];
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	struct buf out = BUF_INIT;
	char *err = NULL;
	int rc = round_create(st, c->cfg, &rn, &out, &err);
	fputs(out.data ? out.data : "", c->out);
	buf_free(&out);
	if (rc)
		rc = ctl_fail("round create", rc, err);
	free(err);
	return rc;
}

/* Commands of the form: round VERB SLUG [ARG] [--bodies SEL]. */
static int ctl_round_simple(struct ctl *c, int argc, char **argv)
{
	const char *verb = argv[0];
	const char *bodies = NULL;
	int wait = 0, nargs = 0;
	const struct ctl_opt add_opts[] = { { "--bodies", &bodies, NULL }, { NULL, NULL, NULL } };
	const struct ctl_opt launch_opts[] = { { "--wait", NULL, &wait }, { NULL, NULL, NULL } };
	const struct ctl_opt *opts = strcmp(verb, "add") == 0      ? add_opts
	                             : strcmp(verb, "launch") == 0 ? launch_opts
	                                                           : NULL;
	char what[32];
	snprintf(what, sizeof what, "round %s", verb);
	int ex = ctl_args_parse(c, what, opts, 1,
	                        strcmp(verb, "preview") == 0 ? 2 : 1, argc, argv, &nargs);
	if (ex != CTL_ARGS_RUN)
		return ex;
	if (strcmp(verb, "add") == 0 && !bodies)
		return ctl_usage_error(what, "--bodies is required");
	const char *slug = argv[1];
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	struct buf out = BUF_INIT;
	char *err = NULL;
	int rc;
	int n = 0;
	if (strcmp(verb, "preview") == 0) {
		rc = round_preview(st, c->cfg, slug, nargs == 2 ? argv[2] : NULL,
		                   &out, &err);
	} else if (strcmp(verb, "launch") == 0) {
		rc = round_launch(st, c->cfg, slug, &n, &out, &err);
	} else if (strcmp(verb, "add") == 0) {
		rc = round_add(st, c->cfg, slug, bodies, &out, &err);
	} else {
		int paused = strcmp(verb, "pause") == 0;
		rc = round_set_paused(st, slug, paused, &err);
		if (rc == FOID_OK)
			buf_addf(&out, "round %s: %s\n", slug,
			         paused ? "paused: foid sends nothing more of it"
			                : "resumed");
	}
	fputs(out.data ? out.data : "", c->out);
	buf_free(&out);
	if (rc)
		rc = ctl_fail(what, rc, err);
	else if (wait)
		rc = ctl_round_wait(c, st, slug);
	free(err);
	return rc;
}

int ctl_round(struct ctl *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(ctl_usage("round"), argc < 2 ? stderr : c->out);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	static const char *const verbs[] = { "preview", "launch", "add", "pause",
		"resume", NULL };
	int known = strcmp(argv[1], "create") == 0;
	for (const char *const *v = verbs; *v; v++)
		known |= strcmp(argv[1], *v) == 0;
	if (!known) {
		fprintf(stderr, "foictl round: unknown subcommand %s\n%s", argv[1],
		        ctl_usage("round"));
		return EX_USAGE;
	}
	if (strcmp(argv[1], "create") == 0)
		return ctl_round_create(c, argc - 1, argv + 1);
	return ctl_round_simple(c, argc - 1, argv + 1);
}
