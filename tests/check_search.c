/* search: what a person types becomes a valid FTS5 query that means it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"
#include "testenv.h"

static void want(const char *typed, const char *fts)
{
	char *out = NULL, *err = NULL;
	ck_assert_msg(search_fts_query(typed, &out, &err) == 0, "%s: %s", typed, err);
	ck_assert_msg(strcmp(out, fts) == 0, "%s gave %s, want %s", typed, out, fts);
	free(out);
}

START_TEST(test_words_are_quoted)
{
	want("FOI-STP16-042", "\"FOI-STP16-042\"");
	want("O'Neil", "\"O'Neil\"");
	want("cost limit", "\"cost\" \"limit\"");
	want("say \"no\"", "\"say\" \"no\"");
	want("a\"b", "\"a\" \"b\"");
}
END_TEST

START_TEST(test_phrases_and_operators_keep_their_meaning)
{
	want("\"cost limit\" OR \"section 12\"", "\"cost limit\" OR \"section 12\"");
	want("refuse AND NOT", "\"refuse\" \"AND\" \"NOT\"");
	want("NOT held", "\"NOT\" \"held\"");
	want("held NOT", "\"held\" \"NOT\"");
	want("a OR OR b", "\"a\" \"OR\" OR \"b\"");
	want("a NOT b", "\"a\" NOT \"b\"");
	want("budget*", "\"budget\"*");
	want("\"unclosed phrase", "\"unclosed phrase\"");
	want("and or not", "\"and\" \"or\" \"not\"");
}
END_TEST

START_TEST(test_nothing_to_search_is_an_error)
{
	const char *empty[] = { "", "   ", "\"\"", "- * ?", "AND" };
	for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
		char *out = (char *)1, *err = NULL;
		if (strcmp(empty[i], "AND") == 0) {
			want("AND", "\"AND\""); /* a lone operator is a word */
			continue;
		}
		ck_assert_int_eq(search_fts_query(empty[i], &out, &err), FOID_EINVAL);
		ck_assert_ptr_null(out);
		ck_assert_msg(strstr(err, "nothing to search for"), "%s", err);
		free(err);
	}
}
END_TEST

/* Whatever is typed, SQLite accepts the query: no syntax error reaches a
 * person. */
START_TEST(test_hostile_queries_are_valid_fts5)
{
	struct testenv *te = testenv_new(NULL);
	const char *typed[] = { "NOT", "OR AND NOT", "(a OR b", "a) NOT (", "NEAR(a b)",
		"col:abc", "^start", "a + b", "\"\"\"\"", "'", "* a *", "a\"\"b", "x AND",
		"\xc3\xa9t\xc3\xa9", "a\tb\nc", "{a b}", "-a", "a:b:c" };
	for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
		char *fts = NULL, *err = NULL;
		if (search_fts_query(typed[i], &fts, &err) == FOID_EINVAL) {
			ck_assert_msg(strstr(err, "nothing to search for"), "%s", err);
			free(err);
			continue;
		}
		int64_t n = -1;
		ck_assert_msg(store_query_int(te->st, &err, &n, "SELECT count(*) FROM search_text"
		                              " WHERE search_text MATCH ?", "s", fts) == 0,
		              "%s -> %s: %s", typed[i], fts, err);
		free(fts);
	}
	testenv_free(te);
}
END_TEST

/* Filed mail is indexed by the schema's trigger, with its subject; the
 * filters narrow it; --json carries the same hit. */
START_TEST(test_search_finds_filed_text_with_filters)
{
	struct testenv *te = testenv_new(NULL);
	ck_assert_int_eq(store_exec(te->st, NULL,
		"INSERT INTO messages (id, direction, subject, body_text, kind, internaldate,"
		" created_at) VALUES"
		" (7, 'in', 'Your request', 'We hold no information on the cost limit.', 'response',"
		"  1470042000, 0),"
		" (8, 'in', 'Re: FOI-STP16-042', 'Councillor O''Neil attended.', 'refusal', 1470042000, 0),"
		" (9, 'out', 'FOI-STP16-042', 'our own cost limit', NULL, NULL, 0)", NULL), 0);
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "\"cost limit\"", NULL), 0);
	ck_assert_msg(strstr(out, "- - #7 2016-08-01 (text): We hold no information on the"
	                          " [cost limit]."), "%s", out);
	ck_assert_msg(!strstr(out, "#9"), "our own mail is not theirs: %s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "FOI-STP16-042", NULL), 0);
	ck_assert_msg(strstr(out, "#8") && !strstr(out, "#7"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "O'Neil", "--json", NULL), 0);
	ck_assert_msg(strstr(out, "\"message\": 8,") && strstr(out, "\"kind\": \"refusal\""), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "information OR O'Neil",
	                             "--kind", "refusal", NULL), 0);
	ck_assert_msg(strstr(out, "#8") && !strstr(out, "#7"), "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "NOT", NULL), 0);
	ck_assert_str_eq(out, "");
	ck_assert_msg(strstr(err, "no match for NOT"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "search", "--", NULL), 64);
	free(out);
	free(err);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("search");
	TCase *tc = tcase_create("search");
	tcase_add_test(tc, test_words_are_quoted);
	tcase_add_test(tc, test_phrases_and_operators_keep_their_meaning);
	tcase_add_test(tc, test_nothing_to_search_is_an_error);
	tcase_add_test(tc, test_hostile_queries_are_valid_fts5);
	tcase_add_test(tc, test_search_finds_filed_text_with_filters);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
