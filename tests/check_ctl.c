/* foictl's one argument parser, its exit codes as foictl(1) documents them,
 * --help without a config, foictl init, and true line numbers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "round.h"
#include "testenv.h"
#include "util.h"

/* Every command with every option, options in the --opt=VALUE form; the
 * space form is derived.  "deadline" reads no store. */
static const char *const ctl_rows[] = {
	"bodies import --dry-run x.csv",
	"bodies list --json --tag=t",
	"bodies show --json kent",
	"round create r --kind=foi --template=t.txt --regime=uk-foia --bodies=all"
	" --closes=2030-01-01 --title=T --ref-prefix=P",
	"round preview r kent",
	"round launch r --wait",
	"round add r --bodies=tag:x",
	"round pause r",
	"round resume r",
	"status r --json",
	"confirm r kent --sent --note=n",
	"confirm r kent --resend",
	"inbox",
	"assign 3 r kent",
	"mark r kent response --message=3",
	"show r kent",
	"clarify r kent --file=f.txt --template=t.txt",
	"extend r kent --days=3 --reason=why",
	"withdraw r kent --reason=why",
	"remind r --dry-run",
	"question r k --choices=yes|no",
	"question r k --number",
	"question r k --text",
	"code r kent k=v --confirm",
	"export r --format=json --redact --output=o.json",
	"report r --html=o.html",
	NULL,
};

/* Splits row into argv (a NULL-terminated strv); space_form turns every
 * "--opt=VALUE" into "--opt" "VALUE". */
static void ctl_split(const char *row, int space_form, struct strv *sv)
{
	char *copy = xstrdup(row), *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		if (space_form && t[0] == '-' && eq) {
			strv_push_owned(sv, xstrndup(t, (size_t)(eq - t)));
			strv_push(sv, eq + 1);
		} else {
			strv_push(sv, t);
		}
	}
	free(copy);
	strv_push_owned(sv, NULL);
	sv->n--;
}

static int ctl_dispatch(struct ctl *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct ctl *, int, char **);
	} cmds[] = {
		{ "bodies", ctl_bodies }, { "deadline", ctl_deadline }, { "round", ctl_round },
		{ "status", ctl_status }, { "confirm", ctl_confirm }, { "inbox", ctl_inbox },
		{ "assign", ctl_assign }, { "mark", ctl_mark }, { "show", ctl_show },
		{ "clarify", ctl_clarify }, { "extend", ctl_extend },
		{ "withdraw", ctl_withdraw }, { "remind", ctl_remind },
		{ "question", ctl_question }, { "code", ctl_code }, { "export", ctl_export },
		{ "report", ctl_report }, { "init", ctl_init },
	};
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			return cmds[i].run(c, argc, argv);
	ck_abort_msg("no command %s", argv[0]);
	return -1;
}

/* Runs a row in process against a config that does not exist: an accepted
 * command line gets as far as loading it (EX_CONFIG). */
static int ctl_run_row(const char *row, int space_form, const char *config,
                       char **errout)
{
	struct strv sv = STRV_INIT;
	ctl_split(row, space_form, &sv);
	struct ctl c = { 0 };
	c.config_path = config;
	c.out = tmpfile();
	FILE *olderr = stderr;
	char *errbuf = NULL;
	size_t errlen = 0;
	stderr = open_memstream(&errbuf, &errlen);
	/* The parser moves operands within argv: hand it a copy of the array. */
	char **argv = xcalloc(sv.n + 1, sizeof *argv);
	memcpy(argv, sv.v, sv.n * sizeof *argv);
	int rc = ctl_dispatch(&c, (int)sv.n, argv);
	free(argv);
	fclose(stderr);
	stderr = olderr;
	ctl_release(&c);
	fclose(c.out);
	strv_free(&sv);
	if (errout)
		*errout = errbuf;
	else
		free(errbuf);
	return rc;
}

START_TEST(test_every_option_both_forms)
{
	for (int form = 0; form < 2; form++) {
		for (const char *const *row = ctl_rows; *row; row++) {
			char *err = NULL;
			int rc = ctl_run_row(*row, form, "/nonexistent/foid.conf", &err);
			ck_assert_msg(rc == EX_CONFIG, "%s (%s form): %d: %s", *row,
			              form ? "space" : "=", rc, err);
			free(err);
		}
	}
	/* deadline reads no config when given its data. */
	struct ctl c = { 0 };
	char *data = xasprintf("%s/data", fixture_srcdir());
	c.data_dir = data;
	c.out = tmpfile();
	char *argv[] = { "deadline", "--regime=uk-foia", "--from", "2016-07-01",
	                 "--explain", NULL };
	ck_assert_int_eq(ctl_deadline(&c, 5, argv), EX_OK);
	fclose(c.out);
	free(data);
}
END_TEST

START_TEST(test_usage_errors_name_the_option)
{
	static const struct {
		const char *row, *says;
	} bad[] = {
		{ "export r --format", "needs a value: --format" },
		{ "export r --bogus", "unknown option --bogus" },
		{ "status r --json=1", "takes no value: --json" },
		{ "round create r --kind=foi --nope=1", "unknown option --nope=1" },
		{ "show r", "too few arguments" },
		{ "show r kent extra", "unexpected argument: extra" },
		{ "bodies list --dry-run", "unknown option --dry-run" },
		{ "extend r kent --days=0 --reason=x", "--days takes 1 to 365" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *err = NULL;
		int rc = ctl_run_row(bad[i].row, 0, "/nonexistent/foid.conf", &err);
		ck_assert_msg(rc == EX_USAGE, "%s: %d", bad[i].row, rc);
		ck_assert_msg(strstr(err, bad[i].says), "%s: %s", bad[i].row, err);
		free(err);
	}
	/* After "--", a dash begins an operand. */
	char *err = NULL;
	ck_assert_int_eq(ctl_run_row("show r -- -kent", 0, "/nonexistent/foid.conf", &err),
	                 EX_CONFIG);
	free(err);
}
END_TEST

/* Runs a built program with args split from row; returns its exit status. */
static int ctl_exec(struct fixture *fx, const char *prog, const char *config,
                    const char *row, const char *input, char **out, char **err)
{
	struct strv sv = STRV_INIT;
	strv_push_owned(&sv, fixture_bin(prog));
	if (config) {
		strv_push(&sv, "-c");
		strv_push(&sv, config);
	}
	struct strv rest = STRV_INIT;
	ctl_split(row, 0, &rest);
	for (size_t i = 0; i < rest.n; i++)
		strv_push(&sv, rest.v[i]);
	strv_free(&rest);
	strv_push_owned(&sv, NULL);
	int rc = fixture_exec(fx, sv.v, input, out, err);
	strv_free(&sv);
	return rc;
}

START_TEST(test_help_without_config)
{
	static const char *const helps[] = {
		"--help", "init --help", "bodies --help", "bodies import --help",
		"bodies list --help", "bodies show --help", "deadline --help",
		"round --help", "round create --help", "round preview --help",
		"round launch --help", "round add --help", "round pause --help",
		"round resume --help", "status --help", "confirm --help", "inbox --help",
		"assign --help", "mark --help", "show --help", "clarify --help",
		"extend --help", "withdraw --help", "remind --help", "question --help",
		"code --help", "export --help", "report --help", "round create -h",
		NULL,
	};
	struct fixture *fx = fixture_new();
	unsetenv("FOID_CONFIG");
	char *missing = fixture_path(fx, "none.conf");
	for (int with_c = 0; with_c < 2; with_c++) {
		for (const char *const *h = helps; *h; h++) {
			char *out = NULL, *err = NULL;
			int rc = ctl_exec(fx, "foictl", with_c ? missing : NULL, *h, NULL,
			                  &out, &err);
			ck_assert_msg(rc == 0, "foictl %s: %d: %s", *h, rc, err);
			ck_assert_msg(util_starts_with(out, "usage: foictl"), "foictl %s: %s", *h,
			              out);
			free(out);
			free(err);
		}
	}
	char *out = NULL;
	ck_assert_int_eq(ctl_exec(fx, "foid", missing, "--help", NULL, &out, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "usage"));
	free(out);
	free(missing);
	fixture_free(fx);
}
END_TEST

START_TEST(test_bad_config_and_missing_database)
{
	struct fixture *fx = fixture_new();
	char *bad = fixture_write(fx, "bad.conf", "database = ;\n");
	char *nodb = fixture_write(fx, "nodb.conf",
	                           "database = \"/nonexistent/dir/foid.db\";\n"
	                           "team = { name = \"T\"; address = \"t@uni.test\"; };\n"
	                           "smtp = { host = \"localhost\"; };\n"
	                           "imap = { host = \"localhost\"; };\n");
	for (const char *const *row = ctl_rows; *row; row++) {
		char *err = NULL;
		int rc = ctl_exec(fx, "foictl", bad, *row, NULL, NULL, &err);
		ck_assert_msg(rc == EX_CONFIG, "bad config: %s: %d: %s", *row, rc, err);
		free(err);
		rc = ctl_exec(fx, "foictl", nodb, *row, NULL, NULL, &err);
		ck_assert_msg(rc == EX_IOERR, "missing database: %s: %d: %s", *row, rc, err);
		free(err);
	}
	/* deadline reads no database, but a config given must load. */
	char *err = NULL;
	int rc = ctl_exec(fx, "foictl", bad, "deadline --regime uk-foia --from 2016-07-01",
	                  NULL, NULL, &err);
	ck_assert_msg(rc == EX_CONFIG, "bad config: deadline: %d: %s", rc, err);
	free(err);
	free(bad);
	free(nodb);
	fixture_free(fx);
}
END_TEST

START_TEST(test_unknown_body_everywhere)
{
	struct testenv *te = testenv_new(NULL);
	testenv_bodies(te, "name,short_name,email\nKent County Council,kent,foi@kent.test\n");
	char *text = fixture_write(te->fx, "answer.txt", "Our answer.\n");
	char *clarify = xasprintf("clarify r nosuch --file %s", text);
	const char *const rows[] = {
		"bodies show nosuch", "show r nosuch", "confirm r nosuch --sent",
		"confirm r nosuch --resend", clarify, "extend r nosuch --days 3 --reason x",
		"withdraw r nosuch", "mark r nosuch response", "code r nosuch k=v",
		NULL,
	};
	for (const char *const *row = rows; *row; row++) {
		char *err = NULL;
		int rc = ctl_exec(te->fx, "foictl", te->conf_path, *row, NULL, NULL, &err);
		ck_assert_msg(rc == EX_NOINPUT, "%s: %d: %s", *row, rc, err);
		free(err);
	}
	free(clarify);
	free(text);
	testenv_free(te);
}
END_TEST

static unsigned ctl_mode(const char *path)
{
	struct stat sb;
	ck_assert_msg(stat(path, &sb) == 0, "%s", path);
	return (unsigned)(sb.st_mode & 07777);
}

START_TEST(test_init_then_foid_check)
{
	struct fixture *fx = fixture_new();
	char *conf = fixture_path(fx, "etc/foid.conf");
	char *row = xasprintf("init --config=%s --name Research --address research@uni.test"
	                      " --imap-host=localhost --imap-security=plain"
	                      " --imap-user=research --smtp-host localhost --smtp-port=2525"
	                      " --smtp-security=starttls --data-dir=%s/data"
	                      " --templates-dir=%s/templates --password-stdin", conf,
	                      fixture_srcdir(), fixture_srcdir());
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(ctl_exec(fx, "foictl", NULL, row, "secret\n", &out, &err), 0);
	free(out);
	free(err);
	ck_assert_int_eq(ctl_mode(conf), 0640);
	char *pw = fixture_path(fx, "etc/imap.password"), *store = fixture_path(fx, "etc/store");
	char *dir = fixture_path(fx, "etc");
	ck_assert_int_eq(ctl_mode(pw), 0600);
	ck_assert_int_eq(ctl_mode(store), 0700);
	ck_assert_int_eq(ctl_mode(dir), 0700);
	char *secret = NULL;
	ck_assert_int_eq(util_read_file(pw, &secret, NULL, NULL), 0);
	ck_assert_str_eq(secret, "secret\n");
	free(secret);
	ck_assert_msg(ctl_exec(fx, "foid", conf, "-n", NULL, &out, &err) == 0, "%s", err);
	ck_assert_msg(strstr(out, ": ok"), "%s %s", out, err);
	free(out);
	free(err);
	/* The config is now a working one for foictl too. */
	ck_assert_int_eq(ctl_exec(fx, "foictl", conf, "status", NULL, &out, NULL), 0);
	free(out);
	/* Not overwritten without --force. */
	char *again = xasprintf("init --config %s --name Other --address o@uni.test"
	                        " --imap-host h --smtp-host h", conf);
	ck_assert_int_eq(ctl_exec(fx, "foictl", NULL, again, "", NULL, &err), EX_CANTCREAT);
	free(err);
	char *text = NULL;
	ck_assert_int_eq(util_read_file(conf, &text, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(text, "\"Research\""));
	free(text);
	/* Not on a terminal, a required value missing is a usage error. */
	char *other = fixture_path(fx, "other.conf");
	char *partial = xasprintf("init --config %s --name X", other);
	ck_assert_int_eq(ctl_exec(fx, "foictl", NULL, partial, "", NULL, &err), EX_USAGE);
	free(err);
	ck_assert_int_ne(access(other, F_OK), 0);
	free(partial);
	free(other);
	free(again);
	free(dir);
	free(store);
	free(pw);
	free(row);
	free(conf);
	fixture_free(fx);
}
END_TEST

START_TEST(test_lines_keep_numbers)
{
	char text[] = "a\n\n\nb\r\n\n  c\n";
	struct util_lines l;
	util_lines_init(&l, text);
	static const char *const want[] = { "a", "", "", "b", "", "  c" };
	for (int i = 0; i < 6; i++) {
		char *line = util_lines_next(&l);
		ck_assert_ptr_nonnull(line);
		ck_assert_str_eq(line, want[i]);
		ck_assert_int_eq(l.lineno, i + 1);
	}
	ck_assert_ptr_null(util_lines_next(&l));
	char last[] = "x";
	util_lines_init(&l, last);
	ck_assert_str_eq(util_lines_next(&l), "x");
	ck_assert_ptr_null(util_lines_next(&l));
}
END_TEST

START_TEST(test_selection_error_line_after_blank_lines)
{
	struct testenv *te = testenv_new(NULL);
	testenv_bodies(te, "name,short_name,email\nKent County Council,kent,foi@kent.test\n");
	char *sel = fixture_write(te->fx, "sel.txt", "kent\n\n# a comment\n\n\nnosuch\n");
	struct round_new rn = { .slug = "r", .kind = "foi", .title = "T",
	                        .template_path = "foi-request.txt", .bodies = sel };
	struct buf out = BUF_INIT;
	char *err = NULL;
	ck_assert_int_eq(round_create(te->st, te->cfg, &rn, &out, &err), FOID_EINVAL);
	char *want = xasprintf("%s:6: no body \"nosuch\"", sel);
	ck_assert_msg(err && strstr(err, want), "%s", err);
	free(want);
	free(err);
	buf_free(&out);
	free(sel);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("ctl");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_every_option_both_forms);
	tcase_add_test(tc, test_usage_errors_name_the_option);
	tcase_add_test(tc, test_help_without_config);
	tcase_add_test(tc, test_bad_config_and_missing_database);
	tcase_add_test(tc, test_unknown_body_everywhere);
	tcase_add_test(tc, test_init_then_foid_check);
	tcase_add_test(tc, test_lines_keep_numbers);
	tcase_add_test(tc, test_selection_error_line_after_blank_lines);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
