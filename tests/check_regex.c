#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "regex.h"
#include "util.h"

static struct regex *compile(const char *pattern)
{
	struct regex *re = NULL;
	char *err = NULL;
	ck_assert_msg(regex_compile(pattern, &re, &err) == 0, "%s", err);
	return re;
}

static int matches(const char *pattern, const char *s)
{
	struct regex *re = compile(pattern);
	int rc = regex_search(re, s, 0, NULL, 0);
	regex_free(re);
	return rc;
}

START_TEST(test_bracket_holds_characters_not_bytes)
{
	/* glibc in the C locale read [eé] as three bytes and missed this. */
	ck_assert_int_eq(matches("^ *envoy[eé] *:", "Envoyé : lundi"), 1);
	ck_assert_int_eq(matches("^r.ponse$", "réponse"), 1);
}
END_TEST

START_TEST(test_caseless_folds_unicode)
{
	ck_assert_int_eq(matches("en-têtes", "EN-TÊTES DE MESSAGE"), 1);
	ck_assert_int_eq(matches("wrote", "WROTE"), 1);
}
END_TEST

START_TEST(test_dollar_is_the_very_end)
{
	/* As POSIX ERE without REG_NEWLINE: not before a final newline. */
	ck_assert_int_eq(matches("wrote: *$", "He wrote:"), 1);
	ck_assert_int_eq(matches("wrote: *$", "He wrote:\n"), 0);
}
END_TEST

START_TEST(test_invalid_utf8_is_no_match_not_an_error)
{
	ck_assert_int_eq(matches("abc", "\xff\xfe abc"), 1);
	ck_assert_int_eq(matches("x", "\xff\xfe abc"), 0);
}
END_TEST

START_TEST(test_start_offset_is_not_a_line_start)
{
	struct regex *re = compile("(^|[^a-z])ref: ?([a-z0-9]+)");
	struct regex_span m[3];
	const char *s = "ref: a1 and ref: b2";
	ck_assert_int_eq(regex_search(re, s, 0, m, 3), 1);
	ck_assert_int_eq(m[0].start, 0);
	ck_assert_int_eq(m[2].start, 5);
	ck_assert_int_eq(m[2].end, 7);
	ck_assert_int_eq(regex_search(re, s, 1, m, 3), 1);
	ck_assert_int_eq(m[0].start, 11);             /* the space before it */
	ck_assert_int_eq(m[2].start, 17);
	ck_assert_int_eq(regex_search(re, "ref: c3", 0, m, 3), 1);
	ck_assert_int_eq(m[1].start, 0);              /* ^ took part, empty */
	ck_assert_int_eq(regex_groups(re), 2);
	regex_free(re);
}
END_TEST

START_TEST(test_group_that_took_no_part_is_unset)
{
	struct regex *re = compile("(a)|(b)");
	struct regex_span m[3];
	ck_assert_int_eq(regex_search(re, "b", 0, m, 3), 1);
	ck_assert_int_eq(m[1].start, -1);
	ck_assert_int_eq(m[2].start, 0);
	regex_free(re);
}
END_TEST

START_TEST(test_bad_pattern_names_offset)
{
	struct regex *re = NULL;
	char *err = NULL;
	ck_assert_int_eq(regex_compile("ab(c", &re, &err), FOID_EINVAL);
	ck_assert_ptr_null(re);
	ck_assert_msg(strstr(err, "bad regex at offset 4"), "%s", err);
	free(err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("regex");
	TCase *tc = tcase_create("regex");
	tcase_add_test(tc, test_bracket_holds_characters_not_bytes);
	tcase_add_test(tc, test_caseless_folds_unicode);
	tcase_add_test(tc, test_dollar_is_the_very_end);
	tcase_add_test(tc, test_invalid_utf8_is_no_match_not_an_error);
	tcase_add_test(tc, test_start_offset_is_not_a_line_start);
	tcase_add_test(tc, test_group_that_took_no_part_is_unset);
	tcase_add_test(tc, test_bad_pattern_names_offset);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
