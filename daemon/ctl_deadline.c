/* foictl deadline: the due date of a request, optionally day by day. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "deadline.h"

static const char usage[] =
	"usage: foictl deadline --regime R --from YYYY-MM-DD [--explain] [--extend]\n"
	"  R: uk-foia, uk-eir, uk-foisa, us-foia, working:N[:CALENDAR], calendar:N[:CALENDAR]\n";

/* "--opt VALUE" or "--opt=VALUE": 1 and *val set, 0 if argv[*i] is
 * another option, -1 if the value is missing.  Advances *i past it. */
static int opt_value(int argc, char **argv, int *i, const char *opt,
                     const char **val)
{
	size_t n = strlen(opt);
	if (strncmp(argv[*i], opt, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int exit_code(int rc)
{
	if (rc == FOID_EINVAL)
		return EX_DATAERR;
	if (rc == FOID_ENOTFOUND)
		return EX_NOINPUT;
	return EX_IOERR;
}

int ctl_deadline(struct ctl *c, int argc, char **argv)
{
	const char *regime = NULL, *from = NULL;
	int explain = 0, extend = 0, ex = EX_OK;
	char *err = NULL, *dir = NULL;
	struct holidays *h = NULL;
	struct buf lines = BUF_INIT;
	struct deadline_regime r;
	struct deadline_date day0, due;
	int extra = 0, rc;

	for (int i = 1; i < argc; i++) {
		int m;
		if ((m = opt_value(argc, argv, &i, "--regime", &regime)) == 0)
			m = opt_value(argc, argv, &i, "--from", &from);
		if (m < 0) {
			fprintf(stderr, "foictl deadline: %s needs a value\n%s", argv[i], usage);
			return EX_USAGE;
		}
		if (m > 0)
			continue;
		if (strcmp(argv[i], "--explain") == 0)
			explain = 1;
		else if (strcmp(argv[i], "--extend") == 0)
			extend = 1;
		else {
			fprintf(stderr, "foictl deadline: unexpected argument \"%s\"\n%s", argv[i], usage);
			return EX_USAGE;
		}
	}
	if (!regime || !from) {
		fprintf(stderr, "foictl deadline: --regime and --from are required\n%s", usage);
		return EX_USAGE;
	}
	if (deadline_regime_parse(regime, &r, &err) < 0 ||
	    (extend && deadline_extension(&r, &extra, &err) < 0)) {
		ex = EX_USAGE;
		goto out;
	}
	if (deadline_date_parse(from, &day0, &err) < 0) {
		ex = EX_DATAERR;
		goto out;
	}
	dir = xasprintf("%s/holidays", ctl_data_dir(c));
	if ((rc = holidays_load(dir, &h, &err)) < 0) {
		ex = exit_code(rc);
		goto out;
	}
	rc = deadline_due(h, &r, day0, extra, &due, explain ? &lines : NULL, &err);
	if (rc < 0) {
		ex = rc == FOID_ENOTFOUND ? EX_USAGE : exit_code(rc);
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
	free(dir);
	buf_free(&lines);
	holidays_free(h);
	return ex;
}
