/* foictl question and code: declare a round's questions, record answers. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "code.h"
#include "ctl.h"
#include "round.h"
#include "store.h"
#include "util.h"

int ctl_question(struct ctl *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: foictl question ROUND KEY --choices yes|no|unclear\n"
		"       foictl question ROUND KEY --number | --text\n"
		"Declares a question of the round; answers must fit it.  In survey\n"
		"replies, answer N (\"N: value\") goes to the N-th question declared.\n";
	const char *type = NULL, *choices = NULL;
	const char *pos[2] = { NULL, NULL };
	int npos = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--choices") == 0 && i + 1 < argc) {
			type = "choice";
			choices = argv[++i];
		} else if (strcmp(argv[i], "--number") == 0) {
			type = "number";
		} else if (strcmp(argv[i], "--text") == 0) {
			type = "text";
		} else if (argv[i][0] != '-' && npos < 2) {
			pos[npos++] = argv[i];
		} else {
			bad = 1;
		}
	}
	if (bad || npos != 2 || !type) {
		return ctl_usage(c, usage, argc, argv);
	}
	struct store *st = ctl_store(c);
	if (!st)
		return EX_CONFIG;
	char *err = NULL;
	int64_t rid = 0;
	int rc = round_id(st, pos[0], &rid, &err);
	if (rc == FOID_OK)
		rc = code_declare(st, rid, pos[1], type, choices, &err);
	if (rc == FOID_OK)
		fprintf(c->out, "round %s: question %s (%s%s%s)\n", pos[0], pos[1], type,
		        choices ? ": " : "", choices ? choices : "");
	else
		rc = ctl_fail("question", rc, err);
	free(err);
	return rc;
}

int ctl_code(struct ctl *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: foictl code ROUND SHORT_NAME KEY=VALUE... [--confirm]\n"
		"Records coded answers for a body (e.g. involved=yes); --confirm\n"
		"accepts the answers foid read from a survey reply.\n";
	int confirm = 0, npos = 0;
	const char *pos[2] = { NULL, NULL };
	struct strv pairs = STRV_INIT;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--confirm") == 0)
			confirm = 1;
		else if (argv[i][0] != '-' && npos < 2)
			pos[npos++] = argv[i];
		else if (argv[i][0] != '-' && strchr(argv[i], '='))
			strv_push(&pairs, argv[i]);
		else
			confirm = -1;
	}
	if (confirm < 0 || npos != 2 || (!pairs.n && !confirm)) {
		strv_free(&pairs);
		return ctl_usage(c, usage, argc, argv);
	}
	struct store *st = ctl_store(c);
	if (!st) {
		strv_free(&pairs);
		return EX_CONFIG;
	}
	char *err = NULL;
	int64_t req = 0;
	int rc = ctl_request_id(st, pos[0], pos[1], &req, &err);
	if (rc == FOID_OK)
		rc = store_begin(st, &err);
	for (size_t i = 0; rc == FOID_OK && i < pairs.n; i++) {
		char *eq = strchr(pairs.v[i], '=');
		*eq = '\0';
		rc = code_set(st, req, pairs.v[i], eq + 1, 0, 0, "foictl", &err);
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
