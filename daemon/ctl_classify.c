/* foictl classify: how foid would classify mail files, and why; with
 * --features, what the model sees (scripts/train-model.py reads that). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "classify.h"
#include "ctl.h"
#include "mime.h"
#include "util.h"

static int ctl_classify_file(const struct classify_rules *r, const char *path,
                             int features, FILE *out)
{
	char *raw = NULL, *err = NULL;
	size_t len = 0;
	struct mime_message *m = NULL;
	int rc = util_read_file(path, &raw, &len, &err);
	if (rc == 0)
		rc = mime_parse(raw, len, NULL, &m, &err);
	if (rc < 0) {
		fprintf(stderr, "foictl classify: %s\n", err);
		goto out;
	}
	if (features) {
		struct strv fv = STRV_INIT;
		classify_features(r, m, &fv);
		fprintf(out, "%s\t", path);
		for (size_t i = 0; i < fv.n; i++)
			fprintf(out, "%s%s", i ? " " : "", fv.v[i]);
		fputc('\n', out);
		strv_free(&fv);
	} else {
		struct classify_result res = CLASSIFY_RESULT_INIT;
		classify_message(r, m, NULL, &res);
		fprintf(out, "%s\t%s\t%.2f\t%s\t%s\n", path, res.kind, res.confidence,
		        res.rule, res.evidence);
		classify_result_clear(&res);
	}
out:
	mime_message_free(m);
	free(raw);
	free(err);
	return rc;
}

int ctl_classify(struct ctl *c, int argc, char **argv)
{
	int features = 0, status = EX_OK, nargs = 0;
	const char *rules_path = NULL;
	const struct ctl_opt opts[] = { { "--features", NULL, &features },
		{ "--rules", &rules_path, NULL }, { NULL, NULL, NULL } };
	int ex = ctl_args_parse(c, "classify", opts, 1, -1, argc, argv, &nargs);
	if (ex != CTL_ARGS_RUN)
		return ex;
	if (!rules_path && (ex = ctl_open_data(c)) != EX_OK)
		return ex;
	char *path = rules_path ? xstrdup(rules_path)
	                        : xasprintf("%s/classify.rules", ctl_data_dir(c));
	struct classify_rules *r = NULL;
	char *err = NULL;
	int rc = classify_load(path, &r, &err);
	if (rc < 0) {
		status = ctl_fail("classify", rc, err);
		goto out;
	}
	for (int i = 1; i <= nargs; i++)
		if (ctl_classify_file(r, argv[i], features, c->out) < 0)
			status = EX_DATAERR;
out:
	classify_rules_free(r);
	free(path);
	free(err);
	return status;
}
