#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "model.h"

static int has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

START_TEST(test_load_errors_name_file_and_line)
{
	struct fixture *fx = fixture_new();
	const char *bad[][2] = {
		{ "bias 1 2\n", ":1: the kinds line must come first" },
		{ "kinds a b\nbias 1\n", ":2: bias: expected one number per kind" },
		{ "kinds a b\nbias 1 2\nw:x 1 nan\n", ":3: expected a feature" },
		{ "# c\nkinds a b\n\nbias 0 0\nw:x 1 2 3\n", ":5: expected a feature" },
		{ "kinds a b\nw:x 1 2\n", ": no bias line" },
		{ "kinds a\nbias 0\n", ":1: kinds: at least two" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *path = fixture_write(fx, "bad.model", bad[i][0]);
		struct model *m = (struct model *)1;
		char *err = NULL;
		ck_assert_int_eq(model_load(path, &m, &err), FOID_EINVAL);
		ck_assert_ptr_null(m);
		char *want = xasprintf("%s%s", path, bad[i][1]);
		ck_assert_msg(util_starts_with(err, want), "%s: want %s", err, want);
		free(want);
		free(err);
		free(path);
	}
	struct model *m = NULL;
	char *err = NULL;
	ck_assert_int_eq(model_load("/nonexistent/classify.model", &m, &err), FOID_ENOTFOUND);
	free(err);
	fixture_free(fx);
}
END_TEST

START_TEST(test_features_words_pairs_subject_rules)
{
	struct strv hits = STRV_INIT, f = STRV_INIT;
	strv_push(&hits, "refusal:section-12");
	model_features("RE: FOI 2016/1234", "We are NOT obliged to comply, s.12(2); not obliged.",
	               1, &hits, &f);
	ck_assert(has(&f, "s:re"));
	ck_assert(has(&f, "s:foi"));
	ck_assert(has(&f, "s:#"));         /* a long number is a placeholder */
	ck_assert(!has(&f, "s:2016"));
	ck_assert(has(&f, "w:not"));       /* lower-cased */
	ck_assert(has(&f, "b:not_obliged"));
	ck_assert(has(&f, "w:12"));        /* section numbers stay */
	ck_assert(has(&f, "b:12_2"));
	ck_assert(has(&f, "att"));
	ck_assert(has(&f, "len:short"));
	ck_assert(has(&f, "r:refusal:section-12"));
	size_t n = 0;
	for (size_t i = 0; i < f.n; i++)
		n += strcmp(f.v[i], "b:not_obliged") == 0;
	ck_assert_int_eq(n, 1);            /* distinct */
	strv_free(&f);
	strv_free(&hits);
}
END_TEST

START_TEST(test_features_keep_welsh_letters_split_punctuation)
{
	struct strv f = STRV_INIT;
	/* "Cais" "Rhyddid" "Gwybodaeth", an en dash, and ŵ inside a word. */
	model_features(NULL, "Cais Rhyddid Gwybodaeth \xe2\x80\x93 d\xc5\xb5r", 0, NULL, &f);
	ck_assert(has(&f, "b:rhyddid_gwybodaeth"));
	ck_assert(has(&f, "w:d\xc5\xb5r"));
	ck_assert(has(&f, "b:gwybodaeth_d\xc5\xb5r")); /* the dash is no word */
	ck_assert(!has(&f, "att"));
	strv_free(&f);
}
END_TEST

START_TEST(test_score_picks_kind_with_confidence_and_evidence)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "m.model",
		"kinds response refusal\n"
		"bias 0.5 0\n"
		"w:refuse -1 2\n"
		"b:cost_limit 0 1.5\n"
		"w:the 0.1 0.1\n");
	struct model *m = NULL;
	char *err = NULL;
	ck_assert_msg(model_load(path, &m, &err) == 0, "%s", err);
	struct model_result r;
	model_score_reply(m, NULL, "We refuse: the cost limit applies", 0, NULL, &r);
	ck_assert_str_eq(r.kind, "refusal");
	/* z = (0.5 - 1 + 0.1, 0 + 2 + 1.5 + 0.1) = (-0.4, 3.6) */
	ck_assert_double_eq_tol(r.confidence, 1.0 / (1.0 + exp(-4.0)), 1e-9);
	ck_assert_str_eq(r.top[0], "w:refuse");
	ck_assert_str_eq(r.top[1], "b:cost_limit");
	ck_assert_str_eq(r.top[2], ""); /* "the" weighs the same for both */
	/* A feature counts once however often the reply has it. */
	model_score_reply(m, NULL, "We refuse, refuse, refuse: the cost limit applies", 0, NULL,
	                  &r);
	ck_assert_double_eq_tol(r.confidence, 1.0 / (1.0 + exp(-4.0)), 1e-9);
	model_score_reply(m, NULL, "Here is the answer", 0, NULL, &r);
	ck_assert_str_eq(r.kind, "response");
	model_free(m);
	model_free(NULL);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_feature_text)
{
	const char *cases[][2] = {
		{ "b:cost_limit", "cost limit" }, { "w:refuse", "refuse" },
		{ "r:refusal:section-12", "rule refusal:section-12" },
		{ "s:re", "subject: re" }, { "att", "has attachments" },
		{ "len:short", "short text" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *t = model_feature_text(cases[i][0]);
		ck_assert_str_eq(t, cases[i][1]);
		free(t);
	}
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, test_load_errors_name_file_and_line);
	tcase_add_test(tc, test_features_words_pairs_subject_rules);
	tcase_add_test(tc, test_features_keep_welsh_letters_split_punctuation);
	tcase_add_test(tc, test_score_picks_kind_with_confidence_and_evidence);
	tcase_add_test(tc, test_feature_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fixture_run(model_suite());
}
