#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "round.h"
#include "testenv.h"
#include "util.h"

static struct testenv *setup(const char *kind)
{
	struct testenv *te = testenv_new(NULL);
	testenv_bodies(te, "name,short_name,email\nKent County Council,kent,foi@kent.test\n"
	                   "York Council,york,foi@york.test\n");
	struct round_new rn = { .slug = "r", .kind = kind, .title = "T",
	                        .template_path = strcmp(kind, "foi") == 0 ? "foi-request.txt"
	                                                                 : "survey-invitation.txt",
	                        .closes = strcmp(kind, "foi") == 0 ? NULL : "2016-09-30" };
	struct buf out = BUF_INIT;
	char *err = NULL;
	ck_assert_msg(round_create(te->st, te->cfg, &rn, &out, &err) == 0, "%s", err);
	buf_free(&out);
	int64_t rid = testenv_int(te, "SELECT id FROM rounds");
	ck_assert_int_eq(code_declare(te->st, rid, "involved", "choice", "yes|no|unclear", &err), 0);
	ck_assert_int_eq(code_declare(te->st, rid, "spend", "number", NULL, &err), 0);
	ck_assert_int_eq(code_declare(te->st, rid, "notes", "text", NULL, &err), 0);
	return te;
}

static int64_t kent(struct testenv *te)
{
	return testenv_int(te, "SELECT q.id FROM requests q JOIN bodies b ON b.id = q.body_id"
	                       " WHERE b.short_name = 'kent'");
}

START_TEST(test_declare_validates)
{
	struct testenv *te = setup("foi");
	int64_t rid = testenv_int(te, "SELECT id FROM rounds");
	char *err = NULL;
	ck_assert_int_eq(code_declare(te->st, rid, "Bad Key", "text", NULL, &err), FOID_EINVAL);
	ck_assert_int_eq(code_declare(te->st, rid, "x", "colour", NULL, &err), FOID_EINVAL);
	ck_assert_int_eq(code_declare(te->st, rid, "x", "choice", "", &err), FOID_EINVAL);
	ck_assert_int_eq(code_declare(te->st, rid, "x", "choice", "a||b", &err), FOID_EINVAL);
	ck_assert_int_eq(code_declare(te->st, rid, "spend", "number", NULL, &err), FOID_EEXIST);
	ck_assert_int_eq(testenv_int(te, "SELECT max(position) FROM questions"), 3);
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_values_must_fit_questions)
{
	struct testenv *te = setup("foi");
	char *err = NULL;
	ck_assert_int_eq(code_set(te->st, kent(te), "involved", "YES", 0, 0, "me", &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT value = 'yes' FROM answers"), 1);
	ck_assert_int_eq(code_set(te->st, kent(te), "involved", "maybe", 0, 0, "me", &err),
	                 FOID_EINVAL);
	ck_assert_msg(strstr(err, "yes|no|unclear"), "%s", err);
	ck_assert_int_eq(code_set(te->st, kent(te), "spend", "12.5", 0, 0, "me", &err), 0);
	ck_assert_int_eq(code_set(te->st, kent(te), "spend", "12 pounds", 0, 0, "me", &err),
	                 FOID_EINVAL);
	ck_assert_int_eq(code_set(te->st, kent(te), "notes", "two\nlines", 0, 0, "me", &err),
	                 FOID_EINVAL);
	ck_assert_int_eq(code_set(te->st, kent(te), "colour", "red", 0, 0, "me", &err),
	                 FOID_EINVAL);
	ck_assert_msg(strstr(err, "no question colour"), "%s", err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM events WHERE type = 'answer.coded'"), 2);
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_machine_never_overwrites_person)
{
	struct testenv *te = setup("survey");
	char *err = NULL;
	int n = 0;
	ck_assert_int_eq(code_set(te->st, kent(te), "involved", "no", 0, 0, "me", &err), 0);
	ck_assert_int_eq(code_parse_reply(te->st, kent(te), 0,
	                                  "Our answers:\n1: yes\n2. 4500\n3) Contact the clerk\n"
	                                  "> 1: quoted, ignored\n4: no such question\n", &n, &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT value = 'no' AND machine = 0 FROM answers"
	                                 " WHERE key = 'involved'"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT value = '4500' AND machine = 1 FROM answers"
	                                 " WHERE key = 'spend'"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT value = 'Contact the clerk' FROM answers"
	                                 " WHERE key = 'notes'"), 1);
	ck_assert_int_eq(code_confirm(te->st, kent(te), "me", &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM answers WHERE machine = 1"), 0);
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_export_csv_loads_in_python)
{
	struct testenv *te = setup("foi");
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "code", "r", "kent", "involved=yes",
	                             "notes=Ring Jo, \"the clerk\", on 01234 567890 or jo@kent.test",
	                             NULL), 0);
	free(out);
	free(err);
	char *csv = fixture_path(te->fx, "export.csv");
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--output", csv, NULL), 0);
	free(out);
	free(err);
	char *cmd = xasprintf("python3 -c 'import csv,sys; r = list(csv.reader(open(sys.argv[1],"
	                      " newline=\"\"))); assert len(r) == 3, r; assert {len(x) for x in r}"
	                      " == {23}, r; k = [x for x in r if x[0] == \"kent\"][0];"
	                      " assert k[20] == \"yes\" and \"\\\"the clerk\\\"\" in k[22], k' %s", csv);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	char *red = fixture_path(te->fx, "redacted.csv");
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--redact",
	                             "--output", red, NULL), 0);
	char *text = NULL;
	ck_assert_int_eq(util_read_file(red, &text, NULL, NULL), 0);
	ck_assert_msg(strstr(text, "on [phone] or [email]") && !strstr(text, "567890"), "%s", text);
	free(text);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--format", "json", NULL), 0);
	ck_assert_msg(strstr(out, "\"involved\": \"yes\"") && strstr(out, "\"status\": \"queued\""),
	              "%s", out);
	free(out);
	free(err);
	/* Types come from the column, not the value: an answer "true" is text. */
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "code", "r", "kent", "notes=true",
	                             NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--format", "json", NULL), 0);
	ck_assert_msg(strstr(out, "\"notes\": \"true\"") && strstr(out, "\"overdue\": false") &&
	              strstr(out, "\"messages\": 0"), "%s", out);
	free(out);
	free(err);
	free(red);
	free(csv);
	testenv_free(te);
}
END_TEST

/* Colour only on a terminal, and never with NO_COLOR. */
START_TEST(test_status_colour_only_on_a_tty)
{
	struct testenv *te = setup("foi");
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "status", "r", NULL), 0);
	ck_assert_ptr_null(strchr(out, '\033'));
	free(out);
	free(err);
	ck_assert_int_eq(store_exec(te->st, NULL, "UPDATE requests SET delivery = 'bounced',"
	                            " sent_at = 1467622800", NULL), 0);
	char *bin = fixture_bin("foictl");
	char *log = fixture_path(te->fx, "tty.txt");
	char *cmd = xasprintf("script -qec '%s -c %s status r' /dev/null > %s", bin,
	                      te->conf_path, log);
	ck_assert_int_eq(system(cmd), 0);
	char *text = NULL;
	ck_assert_int_eq(util_read_file(log, &text, NULL, NULL), 0);
	ck_assert_msg(strstr(text, "\033[31mbounced"), "%s", text);
	free(text);
	free(cmd);
	cmd = xasprintf("NO_COLOR=1 script -qec '%s -c %s status r' /dev/null > %s", bin,
	                te->conf_path, log);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(util_read_file(log, &text, NULL, NULL), 0);
	ck_assert_msg(strstr(text, "bounced") && !strchr(text, '\033'), "%s", text);
	free(text);
	free(cmd);
	free(log);
	free(bin);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("code");
	TCase *tc = tcase_create("code");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_declare_validates);
	tcase_add_test(tc, test_values_must_fit_questions);
	tcase_add_test(tc, test_machine_never_overwrites_person);
	tcase_add_test(tc, test_export_csv_loads_in_python);
	tcase_add_test(tc, test_status_colour_only_on_a_tty);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
