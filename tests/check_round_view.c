/* The round view: one load of a round's head and rows, and the one rule
 * for a round's zone (deadlines.timezone, else the regime's). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "round.h"
#include "round_view.h"
#include "testenv.h"
#include "util.h"

/* Each regime's own zone, and the configured zone winning over every one. */
START_TEST(test_zone_rule_each_regime)
{
	static const char *const cases[][2] = {
		{ "uk-foia", "Europe/London" }, { "uk-eir", "Europe/London" },
		{ "uk-foisa", "Europe/London" }, { "us-foia", "America/New_York" },
		{ "working:15:scotland", "Europe/London" },
		{ "working:10:us-federal", "America/New_York" },
		{ "calendar:30:none", "Europe/London" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		memset(&cfg, 0, sizeof cfg);
		struct deadline_regime reg;
		char *err = NULL;
		ck_assert_msg(round_view_regime(&cfg, cases[i][0], &reg, &err) == 0, "%s", err);
		ck_assert_str_eq(reg.tz, cases[i][1]);
		ck_assert_int_eq(reg.very_overdue, 20);
		cfg.timezone = "Asia/Tokyo";
		cfg.very_overdue_days = 7;
		ck_assert_int_eq(round_view_regime(&cfg, cases[i][0], &reg, NULL), 0);
		ck_assert_str_eq(reg.tz, "Asia/Tokyo");
		ck_assert_int_eq(reg.very_overdue, 7);
	}
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	struct deadline_regime reg;
	ck_assert_int_eq(round_view_regime(&cfg, "uk-nonsense", &reg, NULL), FOID_EINVAL);
	ck_assert_int_eq(round_view_regime(&cfg, NULL, &reg, NULL), FOID_EINVAL);
}
END_TEST

static struct testenv *setup(const char *extra, const char *regime)
{
	struct testenv_opts o = { .extra = extra };
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, "name,short_name,email,kind,region\n"
	               "Kent County Council,kent,foi@kent.test,county,South East\n"
	               "Adur District Council,adur,foi@adur.test,district,\n");
	struct round_new rn = { .slug = "r", .kind = "foi", .template_path = "foi-request.txt",
	                        .title = "The title", .regime = regime };
	struct buf out = BUF_INIT;
	char *err = NULL;
	ck_assert_msg(round_create(te->st, te->cfg, &rn, &out, &err) == 0, "%s", err);
	buf_free(&out);
	return te;
}

static struct round_view *load(struct testenv *te, const char *slug, int64_t id)
{
	struct round_view *v = NULL;
	char *err = NULL;
	ck_assert_msg(round_view_load(te->st, te->cfg, NULL, slug, id, &v, &err) == 0, "%s",
	              err);
	return v;
}

/* The head and every row with its body, in the round's order, by slug or
 * by id. */
START_TEST(test_loads_head_and_rows)
{
	struct testenv *te = setup(NULL, NULL);
	struct round_view *v = load(te, "r", 0);
	ck_assert_int_eq(v->id, testenv_int(te, "SELECT id FROM rounds"));
	ck_assert_str_eq(v->slug, "r");
	ck_assert_str_eq(v->kind, "foi");
	ck_assert_str_eq(v->state, "draft");
	ck_assert_str_eq(v->title, "The title");
	ck_assert_ptr_null(v->closes_on);
	ck_assert_str_eq(v->regime.name, "uk-foia");
	ck_assert_str_eq(v->regime.tz, "Europe/London");
	ck_assert_uint_eq(v->nrows, 2);
	int64_t first = testenv_int(te, "SELECT id FROM requests ORDER BY seq LIMIT 1");
	ck_assert_int_eq(v->rows[0].request_id, first);
	for (size_t i = 0; i < v->nrows; i++) {
		const struct round_view_row *r = &v->rows[i];
		int kent = strcmp(r->short_name, "kent") == 0;
		ck_assert_str_eq(r->email, kent ? "foi@kent.test" : "foi@adur.test");
		ck_assert_str_eq(r->body_kind, kent ? "county" : "district");
		if (kent)
			ck_assert_str_eq(r->region, "South East");
		ck_assert_str_eq(r->delivery, "draft");
		ck_assert_int_eq(r->sent_at, 0);
		ck_assert_ptr_nonnull(r->reference);
	}
	struct round_view *w = load(te, NULL, v->id);
	ck_assert_str_eq(w->slug, "r");
	ck_assert_uint_eq(w->nrows, 2);
	round_view_free(w);
	round_view_free(v);
	round_view_free(NULL);
	testenv_free(te);
}
END_TEST

START_TEST(test_unknown_round)
{
	struct testenv *te = setup(NULL, NULL);
	struct round_view *v = NULL;
	char *err = NULL;
	ck_assert_int_eq(round_view_load(te->st, te->cfg, NULL, "nosuch", 0, &v, &err),
	                 FOID_ENOTFOUND);
	ck_assert_ptr_null(v);
	ck_assert_ptr_nonnull(strstr(err, "nosuch"));
	ck_assert_int_eq(round_view_load(te->st, te->cfg, NULL, NULL, 9999, &v, &err),
	                 FOID_ENOTFOUND);
	ck_assert_ptr_null(v);
	free(err);
	testenv_free(te);
}
END_TEST

/* The zone of a loaded round: the regime's, unless deadlines.timezone. */
START_TEST(test_loaded_zone_follows_config)
{
	struct testenv *te = setup(NULL, "us-foia");
	struct round_view *v = load(te, "r", 0);
	ck_assert_str_eq(v->regime.tz, "America/New_York");
	round_view_free(v);
	testenv_free(te);
	te = setup("deadlines = { timezone = \"Europe/Paris\"; };", "us-foia");
	v = load(te, "r", 0);
	ck_assert_str_eq(v->regime.tz, "Europe/Paris");
	round_view_free(v);
	testenv_free(te);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("round_view");
	TCase *tc = tcase_create("round_view");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_zone_rule_each_regime);
	tcase_add_test(tc, test_loads_head_and_rows);
	tcase_add_test(tc, test_unknown_round);
	tcase_add_test(tc, test_loaded_zone_follows_config);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
