#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "fixture.h"

static struct csvin *mem(const char *s)
{
	return csvin_from_mem(s, strlen(s));
}

START_TEST(test_lines_after_multiline_field)
{
	struct csvin *r = mem("a,b\n\"x\ny\",\"p,q\"\r\n\nlast,\"z\"\"\"");
	struct csvin_record rec = CSVIN_RECORD_INIT;
	ck_assert_int_eq(csvin_next(r, &rec, NULL), 1);
	ck_assert_int_eq(rec.line, 1);
	ck_assert_int_eq(csvin_next(r, &rec, NULL), 1);
	ck_assert_int_eq(rec.line, 2);
	ck_assert_int_eq(rec.fields.n, 2);
	ck_assert_str_eq(rec.fields.v[0], "x\ny");
	ck_assert_str_eq(rec.fields.v[1], "p,q");
	ck_assert_int_eq(csvin_next(r, &rec, NULL), 1);
	ck_assert_int_eq(rec.line, 5); /* after a blank line, no final newline */
	ck_assert_str_eq(rec.fields.v[0], "last");
	ck_assert_str_eq(rec.fields.v[1], "z\"");
	ck_assert_int_eq(csvin_next(r, &rec, NULL), 0);
	csvin_record_clear(&rec);
	csvin_free(r);
}
END_TEST

START_TEST(test_bom_skipped)
{
	struct csvin *r = mem("\xEF\xBB\xBFname\n");
	struct csvin_record rec = CSVIN_RECORD_INIT;
	ck_assert_int_eq(csvin_next(r, &rec, NULL), 1);
	ck_assert_str_eq(rec.fields.v[0], "name");
	csvin_record_clear(&rec);
	csvin_free(r);
}
END_TEST

START_TEST(test_bad_quote_ends_input)
{
	struct csvin *r = mem("a\nb\"c\"d,e\nf\n");
	struct csvin_record rec = CSVIN_RECORD_INIT;
	char *err = NULL;
	ck_assert_int_eq(csvin_next(r, &rec, &err), 1);
	ck_assert_int_eq(csvin_next(r, &rec, &err), FOID_EINVAL);
	ck_assert_int_eq(rec.line, 2);
	ck_assert_ptr_nonnull(strstr(err, "quot"));
	ck_assert_int_eq(csvin_next(r, &rec, &err), 0);
	free(err);
	csvin_record_clear(&rec);
	csvin_free(r);
}
END_TEST

START_TEST(test_unclosed_quote_at_end)
{
	struct csvin *r = mem("a\n\"open\nstill open\n");
	struct csvin_record rec = CSVIN_RECORD_INIT;
	char *err = NULL;
	ck_assert_int_eq(csvin_next(r, &rec, &err), 1);
	ck_assert_int_eq(csvin_next(r, &rec, &err), FOID_EINVAL);
	ck_assert_int_eq(rec.line, 2);
	ck_assert_ptr_nonnull(strstr(err, "not closed"));
	free(err);
	csvin_record_clear(&rec);
	csvin_free(r);
}
END_TEST

START_TEST(test_nul_spoils_one_record)
{
	struct csvin *r = csvin_from_mem("a\nb\0c\nd\n", 8);
	struct csvin_record rec = CSVIN_RECORD_INIT;
	char *err = NULL;
	ck_assert_int_eq(csvin_next(r, &rec, &err), 1);
	ck_assert_int_eq(csvin_next(r, &rec, &err), FOID_EINVAL);
	ck_assert_int_eq(rec.line, 2);
	ck_assert_int_eq(csvin_next(r, &rec, &err), 1);
	ck_assert_str_eq(rec.fields.v[0], "d");
	ck_assert_int_eq(rec.line, 3);
	free(err);
	csvin_record_clear(&rec);
	csvin_free(r);
}
END_TEST

START_TEST(test_missing_file)
{
	struct fixture *fx = fixture_new();
	char *p = fixture_path(fx, "nope.csv");
	struct csvin *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(csvin_open(&r, p, &err), FOID_ENOTFOUND);
	ck_assert_ptr_null(r);
	free(err);
	free(p);
	csvin_free(NULL);
	fixture_free(fx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("csvin");
	TCase *tc = tcase_create("csvin");
	tcase_add_test(tc, test_lines_after_multiline_field);
	tcase_add_test(tc, test_bom_skipped);
	tcase_add_test(tc, test_bad_quote_ends_input);
	tcase_add_test(tc, test_unclosed_quote_at_end);
	tcase_add_test(tc, test_nul_spoils_one_record);
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
