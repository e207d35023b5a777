#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "round.h"
#include "store.h"
#include "survey.h"
#include "testenv.h"
#include "util.h"

static int declare(struct testenv *te, int64_t rid, const char *key, const char *type,
                   const char *choices)
{
	struct code_question q = { key, type, choices, NULL, NULL };
	char *err = NULL;
	int rc = code_declare(te->st, rid, &q, &err);
	free(err);
	return rc;
}

/* A person's answer. */
static int set(struct testenv *te, int64_t req, const char *key, const char *value,
               char **err)
{
	struct code_answer a = { key, value, NULL, 0, 0, 0, "me" };
	free(*err);
	*err = NULL;
	return code_set(te->st, req, &a, err);
}

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
	ck_assert_int_eq(declare(te, rid, "involved", "choice", "yes|no|unclear"), 0);
	ck_assert_int_eq(declare(te, rid, "spend", "number", NULL), 0);
	ck_assert_int_eq(declare(te, rid, "notes", "text", NULL), 0);
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
	ck_assert_int_eq(declare(te, rid, "Bad Key", "text", NULL), FOID_EINVAL);
	ck_assert_int_eq(declare(te, rid, "x", "colour", NULL), FOID_EINVAL);
	ck_assert_int_eq(declare(te, rid, "x", "choice", ""), FOID_EINVAL);
	ck_assert_int_eq(declare(te, rid, "x", "choice", "a||b"), FOID_EINVAL);
	ck_assert_int_eq(declare(te, rid, "spend", "number", NULL), FOID_EEXIST);
	ck_assert_int_eq(declare(te, rid, "x", "choice", "yes=|no"), FOID_EINVAL);
	ck_assert_int_eq(testenv_int(te, "SELECT max(position) FROM questions"), 3);
	testenv_free(te);
}
END_TEST

START_TEST(test_values_must_fit_questions)
{
	struct testenv *te = setup("foi");
	char *err = NULL;
	ck_assert_int_eq(set(te, kent(te), "involved", "YES", &err), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT value = 'yes' FROM answers"), 1);
	ck_assert_int_eq(set(te, kent(te), "involved", "maybe", &err),
	                 FOID_EINVAL);
	ck_assert_msg(strstr(err, "yes|no|unclear"), "%s", err);
	ck_assert_int_eq(set(te, kent(te), "spend", "12.5", &err), 0);
	ck_assert_int_eq(set(te, kent(te), "spend", "12 pounds", &err),
	                 FOID_EINVAL);
	ck_assert_int_eq(set(te, kent(te), "notes", "two\nlines", &err),
	                 FOID_EINVAL);
	ck_assert_int_eq(set(te, kent(te), "colour", "red", &err),
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
	ck_assert_int_eq(set(te, kent(te), "involved", "no", &err), 0);
	/* A survey reply as foid files it: received, matched, a response. */
	ck_assert_int_eq(store_exec(te->st, &err, "INSERT INTO messages (id, direction,"
	                            " request_id, kind, body_text, created_at) VALUES (7, 'in',"
	                            " ?, 'response', 'Our answers:\n1: yes\n2. 4500\n"
	                            "3) Contact the clerk\n> 1: quoted, ignored\n"
	                            "4: no such question\n', 0)", "I", kent(te)), 0);
	ck_assert_int_eq(survey_code_message(te->st, 7, &n, &err), 0);
	/* The person's involved=no stays; the machine's spend and notes count. */
	ck_assert_int_eq(n, 3);
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
	                      " == {29}, r; k = [x for x in r if x[0] == \"kent\"][0];"
	                      " assert k[20] == \"yes\" and k[22] == \"person\";"
	                      " assert \"\\\"the clerk\\\"\" in k[26], k' %s", csv);
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

/* A person's comment goes with the answer it is about (KEY_comment in the
 * export), stays when the answer is recoded without one, and a comment
 * for a key not answered in the same call is refused, recording nothing. */
START_TEST(test_code_comment_goes_with_its_answer)
{
	struct testenv *te = setup("foi");
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "code", "r", "kent", "involved=yes",
	                             "--comment", "involved=only the leader attended", NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_int(te, "SELECT comment = 'only the leader attended' FROM answers"
	                                 " WHERE key = 'involved'"), 1);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "code", "r", "kent", "involved=no",
	                             NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_int(te, "SELECT value = 'no' AND comment = 'only the leader"
	                                 " attended' FROM answers WHERE key = 'involved'"), 1);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "code", "r", "kent", "notes=x",
	                             "--comment=involved=changed", NULL), 64);
	ck_assert_msg(strstr(err, "--comment is KEY=TEXT"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM answers WHERE key = 'notes'"
	                                 " OR comment = 'changed'"), 0);
	char *csv = fixture_path(te->fx, "export.csv");
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "export", "r", "--output", csv,
	                             NULL), 0);
	free(out);
	free(err);
	char *cmd = xasprintf("python3 -c 'import csv,sys; r = {x[\"short_name\"]: x for x in"
	                      " csv.DictReader(open(sys.argv[1], newline=\"\"))};"
	                      " assert r[\"kent\"][\"involved_comment\"] =="
	                      " \"only the leader attended\", r' %s", csv);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
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
	tcase_add_test(tc, test_code_comment_goes_with_its_answer);
	tcase_add_test(tc, test_status_colour_only_on_a_tty);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
