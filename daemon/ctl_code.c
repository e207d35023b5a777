/* foictl question and code: declare a round's questions, record answers. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "code.h"
#include "ctl.h"
#include "round.h"
#include "store.h"
#include "util.h"

static int ctl_question_row(const struct store_row *row, void *arg)
{
	struct ctl *c = arg;
	const char *type = store_row_text(row, 2), *choices = store_row_text(row, 3);
	const char *syn = store_row_text(row, 4), *unit = store_row_text(row, 6);
	fprintf(c->out, "%lld. %s (%s%s%s%s%s)%s%s\n", (long long)store_row_int(row, 0),
	        store_row_text(row, 1), type, choices ? ": " : unit ? ", " : "",
	        choices ? choices : unit ? unit : "", syn ? "; synonyms " : "",
	        syn ? syn : "", store_row_text(row, 5) ? "\n   " : "",
	        store_row_text_or(row, 5, ""));
	return 0;
}

int ctl_question(struct ctl *c, int argc, char **argv)
{
	const char *type = NULL, *choices = NULL, *wording = NULL, *unit = NULL;
	int number = 0, text = 0, nargs = 0;
	const struct ctl_opt opts[] = {
		{ "--choices", &choices, NULL }, { "--number", NULL, &number },
		{ "--text", NULL, &text }, { "--wording", &wording, NULL },
		{ "--unit", &unit, NULL }, { NULL, NULL, NULL },
	};
	int ex = ctl_args_parse(c, "question", opts, 1, 2, argc, argv, &nargs);
	if (ex != CTL_ARGS_RUN)
		return ex;
	if (nargs == 2 && (choices != NULL) + number + text != 1)
		return ctl_usage_error("question", "give one of --choices, --number and --text");
	if (nargs == 1 && (choices || number || text || wording || unit))
		return ctl_usage_error("question", "give the question's KEY");
	type = choices ? "choice" : number ? "number" : "text";
	const char *pos[2] = { argv[1], nargs == 2 ? argv[2] : NULL };
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK)
		return ex;
	char *err = NULL;
	int64_t rid = 0;
	int rc = round_id(st, pos[0], &rid, &err);
	if (rc == FOID_OK && !pos[1]) {
		rc = store_query(st, &err, ctl_question_row, c,
		                 "SELECT position, key, type, choices, synonyms, wording, unit"
		                 " FROM questions WHERE round_id = ? ORDER BY position", "I", rid);
		return ctl_done(c, "question", rc, err, "%s", "");
	}
	struct code_question q = { pos[1], type, choices, wording, unit };
	if (rc == FOID_OK)
		rc = code_declare(st, rid, &q, &err);
	return ctl_done(c, "question", rc, err,
	                "round %s: question %s (%s%s%s)\n", pos[0], pos[1], type,
	                choices ? ": " : "", choices ? choices : "");
}

int ctl_code(struct ctl *c, int argc, char **argv)
{
	int confirm = 0, nargs = 0;
	const char *comment = NULL;
	const struct ctl_opt opts[] = { { "--confirm", NULL, &confirm },
	                                { "--comment", &comment, NULL },
	                                { NULL, NULL, NULL } };
	int ex = ctl_args_parse(c, "code", opts, 2, -1, argc, argv, &nargs);
	if (ex != CTL_ARGS_RUN)
		return ex;
	const char *pos[2] = { argv[1], argv[2] };
	for (int i = 3; i <= nargs; i++)
		if (!strchr(argv[i], '='))
			return ctl_usage_error("code", "answers are KEY=VALUE");
	if (nargs == 2 && !confirm)
		return ctl_usage_error("code", "give KEY=VALUE answers or --confirm");
	/* The answer the comment is about: the KEY=VALUE with its KEY. */
	const char *note = comment ? strchr(comment, '=') : NULL;
	int noted = 0;
	for (int i = 3; note && i <= nargs && !noted; i++)
		if (strncmp(argv[i], comment, (size_t)(note - comment) + 1) == 0)
			noted = i;
	if (comment && !noted)
		return ctl_usage_error("code",
		                       "--comment is KEY=TEXT for a KEY answered in the same call");
	struct strv pairs = STRV_INIT;
	for (int i = 3; i <= nargs; i++)
		strv_push(&pairs, argv[i]);
	struct store *st = NULL;
	if ((ex = ctl_open(c, &st)) != EX_OK) {
		strv_free(&pairs);
		return ex;
	}
	char *err = NULL;
	int64_t req = 0;
	int rc = ctl_request_begin(st, pos, &req, &err);
	for (size_t i = 0; rc == FOID_OK && i < pairs.n; i++) {
		char *eq = strchr(pairs.v[i], '=');
		*eq = '\0';
		struct code_answer a = { pairs.v[i], eq + 1,
		                         (int)i + 3 == noted ? note + 1 : NULL, 0, 0, 0, "foictl" };
		rc = code_set(st, req, &a, &err);
	}
	if (rc == FOID_OK && confirm)
		rc = code_confirm(st, req, "foictl", &err);
	if (rc == FOID_OK)
		rc = store_commit(st, &err);
	else if (rc != FOID_ENOTFOUND)
		store_rollback(st);
	if (rc == FOID_OK)
		fprintf(c->out, "%s %s: %zu answer%s recorded%s\n", pos[0], pos[1], pairs.n,
		        pairs.n == 1 ? "" : "s", confirm ? ", machine answers confirmed" : "");
	else
		rc = ctl_fail("code", rc, err);
	strv_free(&pairs);
	free(err);
	return rc;
}
