/* foictl deadline: the due date of a request, optionally day by day. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "deadline.h"

int ctl_deadline(struct ctl *c, int argc, char **argv)
{
	const char *regime = NULL, *from = NULL;
	int explain = 0, extend = 0, ex = EX_OK;
	char *err = NULL;
	struct holidays *h = NULL;
	struct buf lines = BUF_INIT;
	struct deadline_regime r;
	struct deadline_date day0, due;
	int extra = 0, rc;

	const struct ctl_opt opts[] = {
		{ "--regime", &regime, NULL }, { "--from", &from, NULL },
		{ "--explain", NULL, &explain }, { "--extend", NULL, &extend },
		{ NULL, NULL, NULL },
	};
	ex = ctl_args_parse(c, "deadline", opts, 0, 0, argc, argv, NULL);
	if (ex != CTL_ARGS_RUN)
		return ex;
	ex = EX_OK;
	if (!regime || !from)
		return ctl_usage_error("deadline", "--regime and --from are required");
	if ((ex = ctl_open_data(c)) != EX_OK)
		return ex;
	if (deadline_regime_parse(regime, &r, &err) < 0 ||
	    (extend && deadline_extension(&r, &extra, &err) < 0)) {
		ex = EX_USAGE;
		goto out;
	}
	if (deadline_date_parse(from, &day0, &err) < 0) {
		ex = EX_DATAERR;
		goto out;
	}
	if ((rc = holidays_load_data(ctl_data_dir(c), &h, &err)) < 0) {
		ex = ctl_exit_code(rc);
		goto out;
	}
	rc = deadline_due(h, &r, day0, extra, &due, explain ? &lines : NULL, &err);
	if (rc < 0) {
		ex = rc == FOID_ENOTFOUND ? EX_USAGE : ctl_exit_code(rc);
		goto out;
	}
	char ds[11], fs[11];
	deadline_date_format(due, ds);
	if (explain) {
		fputs(lines.data, c->out);
		fprintf(c->out, "due %s: %d %s days", ds, r.days,
		        r.kind == DEADLINE_WORKING ? "working" : "calendar");
		if (extend)
			fprintf(c->out, " + %d working days' extension", extra);
		fprintf(c->out, " after %s (%s, calendar %s)\n",
		        deadline_date_format(day0, fs), r.name, r.calendar);
	} else {
		fprintf(c->out, "%s\n", ds);
	}
out:
	if (err)
		fprintf(stderr, "foictl deadline: %s\n", err);
	free(err);
	buf_free(&lines);
	holidays_free(h);
	return ex;
}
