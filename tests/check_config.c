#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "fixture.h"
#include "util.h"

/* A valid config whose secrets live in files of the given mode. */
static char *write_config(struct fixture *fx, const char *extra, int pwmode)
{
	char *pw = fixture_write(fx, "imap.password", "s3cret-imap\n");
	ck_assert_int_eq(chmod(pw, (mode_t)pwmode), 0);
	free(pw);
	pw = fixture_write(fx, "smtp.password", "s3cret-smtp\n");
	ck_assert_int_eq(chmod(pw, 0600), 0);
	free(pw);
	char *text = xasprintf(
		"database = \"foid.db\";\n"
		"team = { name = \"Team\"; address = \"team@example.org\"; };\n"
		"smtp = { host = \"127.0.0.1\"; security = \"plain\"; port = 2525;\n"
		"  username = \"team\"; password_file = \"smtp.password\"; };\n"
		"imap = { host = \"127.0.0.1\"; security = \"plain\"; port = 1143;\n"
		"  username = \"team\"; password_file = \"imap.password\"; };\n"
		"%s", extra ? extra : "");
	char *path = fixture_write(fx, "foid.conf", text);
	free(text);
	return path;
}

START_TEST(test_valid_config_loads_with_defaults)
{
	struct fixture *fx = fixture_new();
	char *path = write_config(fx, NULL, 0600);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_msg(config_load(&cfg, path, 1, &err) == 0, "%s", err);
	char *db = fixture_path(fx, "foid.db");
	ck_assert_str_eq(cfg->database, db);   /* relative to the config file */
	ck_assert_str_eq(cfg->imap.password, "s3cret-imap");
	ck_assert_int_eq(cfg->imap.port, 1143);
	ck_assert_int_eq(cfg->smtp.security, SEC_PLAIN);
	ck_assert_str_eq(cfg->mailboxes[0], "INBOX");
	ck_assert_ptr_null(cfg->mailboxes[1]);
	ck_assert_str_eq(cfg->processed_keyword, "$FoidSeen");
	ck_assert_int_eq(cfg->reminders_foi.nsteps, 2);
	ck_assert_str_eq(cfg->reminders_foi.steps[0].name, "overdue");
	ck_assert_int_eq(cfg->give_up_after, 7 * 86400);
	free(db);
	config_free(cfg);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_three_mistakes_all_reported_with_lines)
{
	struct fixture *fx = fixture_new();
	char *path = write_config(fx,
		"limits = { max_parts = \"many\"; };\n"          /* line 7 */
		"log_level = \"loud\";\n"                        /* line 8 */
		"deadlines = { timezone = \"Mars/Olympus\"; };\n", /* line 9 */
		0600);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), FOID_EINVAL);
	ck_assert_ptr_null(cfg);
	char *want7 = xasprintf("%s:7: limits.max_parts:", path);
	char *want8 = xasprintf("%s:8: log_level:", path);
	char *want9 = xasprintf("%s:9: deadlines.timezone:", path);
	ck_assert_msg(strstr(err, want7), "%s", err);
	ck_assert_msg(strstr(err, want8), "%s", err);
	ck_assert_msg(strstr(err, want9), "%s", err);
	free(want7);
	free(want8);
	free(want9);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_syntax_error_has_line)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "bad.conf", "database = \"x\";\nteam = {\n  name = ;\n};\n");
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), FOID_EINVAL);
	char *want = xasprintf("%s:3: syntax error", path);
	ck_assert_msg(strstr(err, want), "%s", err);
	free(want);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_missing_required_and_unknown_keys)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "foid.conf",
		"team = { name = \"T\"; adress = \"x@example.org\"; };\n"
		"smtp = { host = \"h\"; password = \"hunter2\"; };\n"
		"imap = { host = \"h\"; };\n");
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "database: required setting is missing"), "%s", err);
	ck_assert_msg(strstr(err, ":1: team.adress: unknown setting"), "%s", err);
	ck_assert_msg(strstr(err, ":1: team.address: required setting is missing"), "%s", err);
	ck_assert_msg(strstr(err, ":2: smtp.password: passwords are not allowed"), "%s", err);
	ck_assert_ptr_null(strstr(err, "hunter2"));
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_group_readable_secret_refused)
{
	struct fixture *fx = fixture_new();
	char *path = write_config(fx, NULL, 0640);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "imap.password_file"), "%s", err);
	ck_assert_msg(strstr(err, "chmod 600"), "%s", err);
	ck_assert_ptr_null(strstr(err, "s3cret"));
	free(err);
	/* foictl never reads secrets, so it does not care. */
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), 0);
	config_free(cfg);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_password_env)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "foid.conf",
		"database = \"foid.db\";\n"
		"team = { name = \"T\"; address = \"t@example.org\"; };\n"
		"smtp = { host = \"h\"; username = \"u\"; password_env = \"FOID_TEST_PW\"; };\n"
		"imap = { host = \"h\"; };\n");
	struct config *cfg = NULL;
	char *err = NULL;
	unsetenv("FOID_TEST_PW");
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":3: smtp.password_env: environment variable FOID_TEST_PW is not set"), "%s", err);
	setenv("FOID_TEST_PW", "pw", 1);
	ck_assert_msg(config_load(&cfg, path, 1, &err) == 0, "%s", err);
	ck_assert_str_eq(cfg->smtp.password, "pw");
	ck_assert_int_eq(cfg->smtp.port, 465);
	config_free(cfg);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_reminder_steps_validated)
{
	struct fixture *fx = fixture_new();
	char *path = write_config(fx,
		"reminders = { foi = (\n"
		"  { name = \"a\"; after_due = 1; template = \"a.txt\"; },\n"
		"  { name = \"a\"; after_due = 2; before_close = 1; template = \"b.txt\"; }\n"
		"); };\n", 0600);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":9: reminders.foi[1]: give exactly one"), "%s", err);
	ck_assert_msg(strstr(err, "used twice"), "%s", err);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_config_readable_by_others_refused)
{
	struct fixture *fx = fixture_new();
	char *path = write_config(fx, NULL, 0600);
	ck_assert_int_eq(chmod(path, 0644), 0);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), FOID_EPERM);
	ck_assert_msg(strstr(err, "readable or writable by others") && strstr(err, "chmod o-rwx"),
	              "%s", err);
	/* foictl reads no secrets and may read it. */
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), 0);
	config_free(cfg);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_bad_send_window_has_line)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "foid.conf",
		"database = \"foid.db\";\n"
		"team = { name = \"T\"; address = \"t@example.org\"; };\n"
		"smtp = { host = \"h\";\n"
		"  window = \"Mon-Fry 09:00-17:00\"; };\n"
		"imap = { host = \"h\"; };\n");
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":4: smtp.window: \"Mon-Fry 09:00-17:00\""), "%s", err);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_example_config_is_valid)
{
	char *path = xasprintf("%s/config/foid.conf.example", fixture_srcdir());
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_msg(config_load(&cfg, path, 0, &err) == 0, "%s", err);
	config_free(cfg);
	free(path);
}
END_TEST

START_TEST(test_foid_n_reports_and_exits)
{
	struct fixture *fx = fixture_new();
	char *src = realpath(fixture_srcdir(), NULL);
	char *data = xasprintf("data_dir = \"%s/data\";\n", src);
	char *good = write_config(fx, data, 0600);
	free(data);
	free(src);
	char *bin = fixture_bin("foid");
	char *out = NULL, *err = NULL;
	char *argv1[] = { bin, "-n", "-c", good, NULL };
	ck_assert_int_eq(fixture_exec(fx, argv1, NULL, &out, &err), 0);
	ck_assert_msg(strstr(out, ": ok"), "%s", out);
	free(out);
	free(err);
	char *bad = fixture_write(fx, "bad.conf",
		"database = 5;\n"
		"team = { name = \"T\"; address = \"not an address\"; };\n"
		"smtp = { host = \"h\"; port = 70000; };\n"
		"imap = { host = \"h\"; };\n");
	char *argv2[] = { bin, "-n", "-c", bad, NULL };
	ck_assert_int_eq(fixture_exec(fx, argv2, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "bad.conf:1: database"), "%s", err);
	ck_assert_msg(strstr(err, "bad.conf:2: team.address"), "%s", err);
	ck_assert_msg(strstr(err, "bad.conf:3: smtp.port"), "%s", err);
	free(out);
	free(err);
	free(bin);
	free(good);
	free(bad);
	fixture_free(fx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, test_valid_config_loads_with_defaults);
	tcase_add_test(tc, test_three_mistakes_all_reported_with_lines);
	tcase_add_test(tc, test_syntax_error_has_line);
	tcase_add_test(tc, test_missing_required_and_unknown_keys);
	tcase_add_test(tc, test_group_readable_secret_refused);
	tcase_add_test(tc, test_password_env);
	tcase_add_test(tc, test_reminder_steps_validated);
	tcase_add_test(tc, test_config_readable_by_others_refused);
	tcase_add_test(tc, test_bad_send_window_has_line);
	tcase_add_test(tc, test_example_config_is_valid);
	tcase_add_test(tc, test_foid_n_reports_and_exits);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
