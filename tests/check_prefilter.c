#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "prefilter.h"
#include "regex.h"

/* Whether prefilter says pattern may match s. */
static int may(const char *pattern, const char *s)
{
	struct prefilter *pf = prefilter_new();
	prefilter_add(pf, pattern, 0);
	prefilter_ready(pf);
	unsigned char m = 9;
	prefilter_scan(pf, s, PREFILTER_ALL, &m);
	prefilter_free(pf);
	ck_assert_int_le(m, 1);
	return m;
}

static int matches(const char *pattern, const char *s)
{
	struct regex *re = NULL;
	ck_assert_int_eq(regex_compile(pattern, &re, NULL), 0);
	int rc = regex_search(re, s, 0, NULL, 0);
	regex_free(re);
	return rc;
}

START_TEST(test_required_string_absent_rules_out)
{
	ck_assert_int_eq(may("section 12 applies", "section 14 is engaged"), 0);
	ck_assert_int_eq(may("section 12 applies", "SECTION 12 Applies here"), 1);
}
END_TEST

START_TEST(test_optional_parts_are_not_required)
{
	ck_assert_int_eq(may("colou?r chart", "color chart"), 1);
	ck_assert_int_eq(may("(the )?cost limit", "cost limit"), 1);
	ck_assert_int_eq(may("we (have )?received", "we received"), 1);
	ck_assert_int_eq(may("x{0,3}yz limit", "yz limit"), 1);
	ck_assert_int_eq(may("cost limit", "costs"), 0);
}
END_TEST

START_TEST(test_each_branch_counts)
{
	const char *p = "(refusal notice|we are refusing)|vexatious";
	ck_assert_int_eq(may(p, "so we are refusing it"), 1);
	ck_assert_int_eq(may(p, "a vexatious request"), 1);
	ck_assert_int_eq(may(p, "notice"), 0);
	/* A branch with nothing to look for makes the whole pattern a search. */
	ck_assert_int_eq(may("refusal notice|[0-9]+", "nothing here"), 1);
}
END_TEST

/* Every part a branch cannot do without must occur, not just one. */
START_TEST(test_all_of_a_branch_is_needed)
{
	const char *p = "no (recorded )?information (is )?held|(our|the) (reply|answer) is below";
	ck_assert_int_eq(may(p, "no information we hold"), 0);
	ck_assert_int_eq(may(p, "No recorded information is held"), 1);
	ck_assert_int_eq(may(p, "our reply, which is below"), 1);
	ck_assert_int_eq(may(p, "the reply is not here"), 0);
}
END_TEST

START_TEST(test_unreadable_patterns_are_always_searched)
{
	ck_assert_int_eq(may("[0-9]{3} ?[0-9]{3}", "no digits"), 1);
	ck_assert_int_eq(may("(abc)\\1", "nothing"), 1);
	ck_assert_int_eq(may("(?x) a b c", "nothing"), 1);
	ck_assert_int_eq(may("a", "nothing"), 1); /* too short to be worth it */
}
END_TEST

/* PCRE2's caseless matching takes the Kelvin sign for k and the long s
 * for s: a text with either is searched whatever its strings. */
START_TEST(test_unicode_case_partners_of_ascii_letters)
{
	const char *kelvin = "the as\xe2\x84\xaa of it", *longs = "the a\xc5\xbfk of it";
	ck_assert_int_eq(matches("the ask", kelvin), 1);
	ck_assert_int_eq(may("the ask", kelvin), 1);
	ck_assert_int_eq(matches("the ask", longs), 1);
	ck_assert_int_eq(may("the ask", longs), 1);
}
END_TEST

/* The promise, over the classifier's own rules and a few texts: where a
 * rule's regex matches, the scan never said it cannot. */
START_TEST(test_never_rules_out_a_match)
{
	const char *patterns[] = {
		"(exceeds?|exceeded|exceeding|over) the (appropriate|cost) limit|section 12(\\(1\\))?"
		" (of the (freedom of information )?act )?(applies|exemption)|(^|[^0-9.])s\\.? ?12"
		"(\\(1\\))? applies",
		"^ *_{10,} *$", "(wrote|writes|schrieb|a \xc3\xa9" "crit) *: *$",
		"<<[^<>]{1,200}>>", "(^|[^a-z0-9])(foi[ /-]?[0-9][0-9/_.-]*[0-9]|eir[ /-]?[0-9]"
		"[0-9/_.-]*[0-9])", "(?:our|their) ref(?=erence)", "a+b+c+d", "(ab){2,}cd",
	};
	const char *texts[] = {
		"It would exceed the cost limit.", "S.12 applies", "s 12(1) applies", "__________",
		"On Monday Bob a \xc3\xa9" "crit :", "see <<report.pdf>>", "our FOI/2016/12 ref",
		"their reference", "aaabbcd", "abcd", "ababcd", "",
	};
	size_t np = sizeof patterns / sizeof patterns[0], nt = sizeof texts / sizeof texts[0];
	struct prefilter *pf = prefilter_new();
	for (size_t i = 0; i < np; i++)
		prefilter_add(pf, patterns[i], 0);
	prefilter_ready(pf);
	ck_assert_uint_eq(prefilter_count(pf), np);
	unsigned char m[sizeof patterns / sizeof patterns[0]];
	int ruled_out = 0;
	for (size_t t = 0; t < nt; t++) {
		prefilter_scan(pf, texts[t], PREFILTER_ALL, m);
		for (size_t i = 0; i < np; i++) {
			if (matches(patterns[i], texts[t]) == 1)
				ck_assert_msg(m[i], "/%s/ matches \"%s\"", patterns[i], texts[t]);
			ruled_out += !m[i];
		}
	}
	ck_assert_int_gt(ruled_out, 0);
	prefilter_free(pf);
}
END_TEST

/* A scan asked about one group decides that group's patterns and leaves
 * the others "may match". */
START_TEST(test_only_the_groups_asked_are_decided)
{
	struct prefilter *pf = prefilter_new();
	prefilter_add(pf, "cost limit", 3);
	prefilter_add(pf, "not held", 5);
	prefilter_ready(pf);
	unsigned char m[2] = { 9, 9 };
	prefilter_scan(pf, "nothing here", 1u << 3, m);
	ck_assert_int_eq(m[0], 0);
	ck_assert_int_eq(m[1], 1);
	prefilter_scan(pf, "nothing here", 1u << 5, m);
	ck_assert_int_eq(m[0], 1);
	ck_assert_int_eq(m[1], 0);
	prefilter_scan(pf, "the cost limit", PREFILTER_ALL, m);
	ck_assert_int_eq(m[0], 1);
	ck_assert_int_eq(m[1], 0);
	prefilter_free(pf);
}
END_TEST

/* Past what the step table can number, the set gives up ruling out, and
 * says so by letting every pattern be searched; with a few patterns fewer
 * it rules out again. */
START_TEST(test_too_many_strings_searches_every_pattern)
{
	for (int n = 300; n <= 400; n += 100) {
		struct prefilter *pf = prefilter_new();
		for (int i = 0; i < n; i++) {
			char pattern[128];
			snprintf(pattern, sizeof pattern, "%04d%0*d", i, 96, 0);
			ck_assert_int_eq(prefilter_add(pf, pattern, 0), 1);
		}
		prefilter_ready(pf);
		unsigned char m[400];
		prefilter_scan(pf, "nothing it needs", PREFILTER_ALL, m);
		for (int i = 0; i < n; i++)
			ck_assert_int_eq(m[i], n > 300);
		prefilter_free(pf);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("prefilter");
	TCase *tc = tcase_create("prefilter");
	tcase_add_test(tc, test_required_string_absent_rules_out);
	tcase_add_test(tc, test_optional_parts_are_not_required);
	tcase_add_test(tc, test_each_branch_counts);
	tcase_add_test(tc, test_all_of_a_branch_is_needed);
	tcase_add_test(tc, test_unreadable_patterns_are_always_searched);
	tcase_add_test(tc, test_unicode_case_partners_of_ascii_letters);
	tcase_add_test(tc, test_never_rules_out_a_match);
	tcase_add_test(tc, test_only_the_groups_asked_are_decided);
	tcase_add_test(tc, test_too_many_strings_searches_every_pattern);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
