#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "bodies.h"
#include "ctl.h"
#include "fixture.h"
#include "json.h"
#include "store.h"

#define DATA_2016 "data/bodies-england-2016.csv"

struct env {
	struct fixture *fx;
	struct store *st;
	char *csv; /* path of the last file written by put() */
};

static struct env *env_new(void)
{
	struct env *e = xcalloc(1, sizeof *e);
	e->fx = fixture_new();
	char *path = fixture_path(e->fx, "foid.db");
	char *err = NULL;
	ck_assert_msg(store_open(&e->st, path, &err) == 0, "%s", err);
	free(path);
	return e;
}

static void env_free(struct env *e)
{
	store_close(e->st);
	fixture_free(e->fx);
	free(e->csv);
	free(e);
}

static char *data_path(void)
{
	return xasprintf("%s/%s", fixture_srcdir(), DATA_2016);
}

static const char *put(struct env *e, const char *text)
{
	free(e->csv);
	e->csv = fixture_write(e->fx, "bodies.csv", text);
	return e->csv;
}

static int import(struct env *e, const char *path, int dry, struct bodies_report *rep)
{
	char *err = NULL;
	int rc = bodies_import(e->st, path, dry, rep, &err);
	free(err);
	return rc;
}

static int64_t count(struct env *e, const char *what)
{
	int64_t n = -1;
	if (strcmp(what, "events") == 0)
		ck_assert_int_eq(store_query_int(e->st, NULL, &n, "SELECT count(*) FROM events", NULL), 0);
	else
		ck_assert_int_eq(store_query_int(e->st, NULL, &n, "SELECT count(*) FROM bodies", NULL), 0);
	return n;
}

/* Runs foictl bodies with argv; output goes to *out (freed by caller). */
static int run(struct env *e, char **out, int argc, char **argv)
{
	size_t len = 0;
	struct ctl c = { .st = e->st };
	c.out = open_memstream(out, &len);
	int rc = ctl_bodies(&c, argc, argv);
	fclose(c.out);
	return rc;
}

/* "PATH:LINE:" prefix expected at the start of an error. */
static void assert_err_at(const struct bodies_report *rep, size_t i,
                          const char *path, int line, const char *sub)
{
	ck_assert_uint_gt(rep->errors.n, i);
	char *pre = xasprintf("%s:%d: ", path, line);
	ck_assert_msg(util_starts_with(rep->errors.v[i], pre), "got %s", rep->errors.v[i]);
	ck_assert_msg(strstr(rep->errors.v[i], sub), "%s lacks %s", rep->errors.v[i], sub);
	free(pre);
}

START_TEST(test_import_2016_adds_155)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	char *p = data_path();
	ck_assert_int_eq(import(e, p, 0, &rep), 0);
	ck_assert_uint_eq(rep.added, 155);
	ck_assert_uint_eq(rep.updated, 0);
	ck_assert_uint_eq(rep.unchanged, 0);
	ck_assert_uint_eq(rep.nerrors, 0);
	ck_assert_int_eq(count(e, "bodies"), 155);
	int64_t n = 0;
	ck_assert_int_eq(store_query_int(e->st, NULL, &n, "SELECT count(*) FROM events"
	                                 " WHERE type = 'body.added' AND actor = 'foictl'", NULL), 0);
	ck_assert_int_eq(n, 155);
	bodies_report_free(&rep);
	free(p);
	env_free(e);
}
END_TEST

START_TEST(test_reimport_unchanged_keeps_updated_at)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT, rep2 = BODIES_REPORT_INIT;
	char *p = data_path();
	ck_assert_int_eq(import(e, p, 0, &rep), 0);
	ck_assert_int_eq(store_exec(e->st, NULL, "UPDATE bodies SET updated_at = 1", NULL), 0);
	int64_t events = count(e, "events");
	ck_assert_int_eq(import(e, p, 0, &rep2), 0);
	ck_assert_uint_eq(rep2.added, 0);
	ck_assert_uint_eq(rep2.updated, 0);
	ck_assert_uint_eq(rep2.unchanged, 155);
	int64_t n = 0;
	ck_assert_int_eq(store_query_int(e->st, NULL, &n, "SELECT count(*) FROM bodies"
	                                 " WHERE updated_at = 1", NULL), 0);
	ck_assert_int_eq(n, 155);
	ck_assert_int_eq(count(e, "events"), events);
	bodies_report_free(&rep);
	bodies_report_free(&rep2);
	free(p);
	env_free(e);
}
END_TEST

START_TEST(test_changed_row_is_updated)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT, rep2 = BODIES_REPORT_INIT;
	ck_assert_int_eq(import(e, put(e, "name,email,short_name,phone\n"
	                                  "Alpha,a@x.test,alpha,1\nBeta,b@x.test,beta,2\n"), 0, &rep), 0);
	ck_assert_int_eq(import(e, put(e, "name,email,short_name,phone\n"
	                                  "Alpha,a@x.test,alpha,1\nBeta,b2@x.test,beta,3\n"), 0, &rep2), 0);
	ck_assert_uint_eq(rep2.updated, 1);
	ck_assert_uint_eq(rep2.unchanged, 1);
	ck_assert_uint_eq(rep2.updated_names.n, 1);
	ck_assert_str_eq(rep2.updated_names.v[0], "beta");
	struct body *b = NULL;
	ck_assert_int_eq(bodies_find_by_short_name(e->st, "beta", &b, NULL), 0);
	ck_assert_str_eq(b->email, "b2@x.test");
	ck_assert_str_eq(bodies_attr(b, "phone"), "3");
	char *detail = NULL;
	ck_assert_int_eq(store_query_text(e->st, NULL, &detail, "SELECT detail FROM events"
	                                  " WHERE type = 'body.updated'", NULL), 0);
	ck_assert_str_eq(detail, "short_name=beta changed=email,attrs");
	free(detail);
	bodies_body_free(b);
	bodies_report_free(&rep);
	bodies_report_free(&rep2);
	env_free(e);
}
END_TEST

static const char bad_line7[] =
	"name,email\n"
	"One,one@x.test\n"
	"Two,two@x.test\n"
	"Three,three@x.test\n"
	"Four,four@x.test\n"
	"Five,five@x.test\n"
	"Six,not-an-address\n"
	"Seven,seven@x.test\n";

START_TEST(test_bad_row_line7_imports_nothing)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	const char *path = put(e, bad_line7);
	ck_assert_int_eq(import(e, path, 0, &rep), FOID_EINVAL);
	ck_assert_uint_eq(rep.nerrors, 1);
	assert_err_at(&rep, 0, path, 7, "invalid email");
	ck_assert_int_eq(count(e, "bodies"), 0);
	ck_assert_int_eq(count(e, "events"), 0);
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_bad_file_leaves_existing_data)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT, rep2 = BODIES_REPORT_INIT;
	ck_assert_int_eq(import(e, put(e, "name,email\nOne,one@x.test\nTwo,old@x.test\n"),
	                        0, &rep), 0);
	/* A good change (Two's email), a new body, and a bad row. */
	const char *path = put(e, "name,email\nOne,one@x.test\nTwo,new@x.test\n"
	                          "Eight,eight@x.test\nNine,nine@\n");
	ck_assert_int_eq(import(e, path, 0, &rep2), FOID_EINVAL);
	assert_err_at(&rep2, 0, path, 5, "invalid email");
	ck_assert_int_eq(count(e, "bodies"), 2);
	struct body *b = NULL;
	ck_assert_int_eq(bodies_find_by_short_name(e->st, "two", &b, NULL), 0);
	ck_assert_str_eq(b->email, "old@x.test");
	bodies_body_free(b);
	bodies_report_free(&rep);
	bodies_report_free(&rep2);
	env_free(e);
}
END_TEST

/* One validation rule per entry: the file, the line and a word of the error. */
static const struct {
	const char *csv;
	int line;
	const char *msg;
} bad_files[] = {
	{ "name,email\nA,a@x\n", 2, "invalid email" },
	{ "name,email\nA,a b@x.test\n", 2, "invalid email" },
	{ "name,email\nA,\"<a@x.test>\"\n", 2, "invalid email" },
	{ "name,email\nA,a@@x.test\n", 2, "invalid email" },
	{ "name,email\nA,\"a@x.test,b@x.test\"\n", 2, "invalid email" },
	{ "name,email\nA,a@x..test\n", 2, "invalid email" },
	{ "name,email\nA,a@-x.test\n", 2, "invalid email" },
	{ "name,email\nA,a@x_y.test\n", 2, "invalid email" },
	{ "name,email\nA,@x.test\n", 2, "invalid email" },
	{ "name,email\nA,a.@x.test\n", 2, "invalid email" },
	{ "name,email\nA,a:b@x.test\n", 2, "invalid email" },
	{ "name,email\nA,\"a@x.test\tb\"\n", 2, "control character" },
	{ "name,email,short_name\nA,a@x.test,same\nB,b@x.test,SAME\n", 3, "may only use" },
	{ "name,email,short_name\nA,a@x.test,same\nB,b@x.test,same\n", 3, "duplicate short_name" },
	{ "name,email\nA,a@x.test\nB,A@X.TEST\n", 3, "duplicate email" },
	{ "name,email\n,a@x.test\n", 2, "empty name" },
	{ "name,email\nA,\n", 2, "empty email" },
	{ "name,email\nA,a@x.test,extra\n", 2, "expected 2 fields, found 3" },
	{ "name,email\nA\n", 2, "expected 2 fields, found 1" },
	{ "name,email\nA\xff,a@x.test\n", 2, "UTF-8" },
	{ "name,email\nA\xc3,a@x.test\n", 2, "UTF-8" },
	{ "name,email\n\"A\nB\",a@x.test\n", 2, "name contains a line break" },
	{ "name,email\nA,\"a@x.test\r\"\n", 2, "email contains a line break" },
	{ "name,email,short_name\nA,a@x.test,\"a\nb\"\n", 2, "short_name contains a line break" },
	{ "name,email,short_name\nA,a@x.test,a_b\n", 2, "may only use a-z" },
	{ "name,email,short_name\nA,a@x.test,\xc3\xa9t\xc3\xa9\n", 2, "may only use a-z" },
	{ "name,email,Email\nA,a@x.test,b@x.test\n", 1, "duplicate column 'email'" },
	{ "name,short_name\nA,a\n", 1, "missing required column 'email'" },
	{ "email\na@x.test\n", 1, "missing required column 'name'" },
	{ "name,email,Phone Number\nA,a@x.test,1\n", 1, "attribute names" },
	{ "name,email\nCounty Council A,a@x.test\nA City Council,b@x.test\n", 3,
	  "derived from the name is already used on line 2" },
	{ "name,email\n!!!,a@x.test\n", 2, "cannot derive a short name" },
	{ "name,email\nA\"B,a@x.test\n", 2, "quoting" },
	{ "name,email\nA,a@x.test\n\"B,b@x.test\n", 3, "not closed" },
	{ "", 1, "empty file" },
};

START_TEST(test_validation_error)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	const char *path = put(e, bad_files[_i].csv);
	ck_assert_int_eq(import(e, path, 0, &rep), FOID_EINVAL);
	assert_err_at(&rep, 0, path, bad_files[_i].line, bad_files[_i].msg);
	ck_assert_int_eq(count(e, "bodies"), 0);
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_all_errors_reported)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	const char *path = put(e, "name,email\nA,bad\nB,b@x.test\n,c@x.test\nD,d@x.test,x\n");
	ck_assert_int_eq(import(e, path, 0, &rep), FOID_EINVAL);
	ck_assert_uint_eq(rep.nerrors, 3);
	ck_assert_uint_eq(rep.errors.n, 3);
	assert_err_at(&rep, 0, path, 2, "invalid email");
	assert_err_at(&rep, 1, path, 4, "empty name");
	assert_err_at(&rep, 2, path, 5, "expected 2 fields");
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_error_list_capped)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	struct buf b = BUF_INIT;
	buf_adds(&b, "name,email\n");
	for (int i = 0; i < BODIES_MAX_ERRORS + 10; i++)
		buf_addf(&b, "Body %d,broken\n", i);
	ck_assert_int_eq(import(e, put(e, b.data), 0, &rep), FOID_EINVAL);
	ck_assert_uint_eq(rep.nerrors, BODIES_MAX_ERRORS + 10);
	ck_assert_uint_eq(rep.errors.n, BODIES_MAX_ERRORS + 1);
	ck_assert_str_eq(rep.errors.v[BODIES_MAX_ERRORS], "...and 10 more");
	buf_free(&b);
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_quoted_fields_and_line_numbers)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT, rep2 = BODIES_REPORT_INIT;
	const char *good =
		"name,email,address\n"
		"\"Foo, Bar and Co\",foo@x.test,\"1 High St\n"
		"Town\"\n"
		"Baz,baz@x.test,\"a\r\nb\r\nc\"\n";
	ck_assert_int_eq(import(e, put(e, good), 0, &rep), 0);
	ck_assert_uint_eq(rep.added, 2);
	struct body *b = NULL;
	ck_assert_int_eq(bodies_find_by_short_name(e->st, "foo-bar-and-co", &b, NULL), 0);
	ck_assert_str_eq(b->name, "Foo, Bar and Co");
	ck_assert_str_eq(bodies_attr(b, "address"), "1 High St\nTown");
	bodies_body_free(b);
	struct env *e2 = env_new();
	const char *bad =
		"name,email,address\n"
		"Qux,qux@x.test,\"1\n2\n3\"\n"
		"Quux,bad-email,x\n";
	const char *path = put(e2, bad);
	ck_assert_int_eq(import(e2, path, 0, &rep2), FOID_EINVAL);
	assert_err_at(&rep2, 0, path, 5, "invalid email");
	bodies_report_free(&rep);
	bodies_report_free(&rep2);
	env_free(e);
	env_free(e2);
}
END_TEST

START_TEST(test_bom_and_header_case)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	ck_assert_int_eq(import(e, put(e, "\xEF\xBB\xBF" " Name ,EMAIL,Short_Name\r\n"
	                                  "Alpha,a@x.test,alpha\r\n"), 0, &rep), 0);
	ck_assert_uint_eq(rep.added, 1);
	struct body *b = NULL;
	ck_assert_int_eq(bodies_find_by_short_name(e->st, "alpha", &b, NULL), 0);
	ck_assert_str_eq(b->name, "Alpha");
	ck_assert_int_eq(b->attr_keys.n, 0);
	bodies_body_free(b);
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_derive_short_names)
{
	static const char *const cases[][2] = {
		{ "Brighton & Hove City Council", "brighton-and-hove" },
		{ "City of York Council", "york" },
		{ "Royal Borough of Kingston upon Thames", "kingston-upon-thames" },
		{ "Greater Manchester Combined Authority", "greater-manchester" },
		{ "North Tyneside Metropolitan Borough Council", "north-tyneside" },
		{ "Ynys M\xc3\xb4n County Council", "ynys-mon" },
		{ "County Council", "county-council" },
		{ "London Borough of Camden", "camden" },
		{ "Council of the Isles of Scilly", "isles-of-scilly" },
		{ "Isle of Wight Council", "isle-of-wight" },
		{ "East Riding of Yorkshire Council", "east-riding-of-yorkshire" },
		{ "City of London", "london" },
		{ "St. Helens", "st-helens" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = bodies_derive_short_name(cases[i][0]);
		ck_assert_str_eq(s, cases[i][1]);
		ck_assert(bodies_short_name_valid(s));
		free(s);
	}
	ck_assert_ptr_null(bodies_derive_short_name("\xe2\x80\x94 !"));
	char *long_name = bodies_derive_short_name(
		"Aaaaaaaaaa Bbbbbbbbbb Cccccccccc Dddddddddd Eeeeeeeeee Ffffffffff Gggggggggg");
	ck_assert_str_eq(long_name, "aaaaaaaaaa-bbbbbbbbbb-cccccccccc-dddddddddd-eeeeeeeeee");
	free(long_name);
}
END_TEST

START_TEST(test_derived_short_name_on_import)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	ck_assert_int_eq(import(e, put(e, "name,email,short_name\n"
	                                  "Brighton & Hove City Council,b@x.test,\n"
	                                  "Other,o@x.test,given\n"), 0, &rep), 0);
	ck_assert_uint_eq(rep.added_names.n, 2);
	ck_assert_str_eq(rep.added_names.v[0], "brighton-and-hove");
	ck_assert_str_eq(rep.added_names.v[1], "given");
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_extra_columns_are_attrs)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	ck_assert_int_eq(import(e, put(e, "name,Website,email,kind,region,phone_no\n"
	                                  "Alpha,https://a.test/,a@x.test,county,south,0123\n"),
	                        0, &rep), 0);
	struct body *b = NULL;
	ck_assert_int_eq(bodies_find_by_email(e->st, "A@X.Test", &b, NULL), 0);
	ck_assert_str_eq(b->kind, "county");
	ck_assert_str_eq(b->region, "south");
	ck_assert_uint_eq(b->attr_keys.n, 2);
	ck_assert_str_eq(b->attr_keys.v[0], "website");
	ck_assert_str_eq(b->attr_values.v[0], "https://a.test/");
	ck_assert_str_eq(b->attr_keys.v[1], "phone_no");
	ck_assert_str_eq(bodies_attr(b, "phone_no"), "0123");
	ck_assert_ptr_null(bodies_attr(b, "kind"));
	bodies_body_free(b);
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_tags_split_and_filter)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	ck_assert_int_eq(import(e, put(e, "name,email,tags\n"
	                                  "Alpha,a@x.test, north ; big;;North\n"
	                                  "Beta,b@x.test,south\nGamma,g@x.test,\n"), 0, &rep), 0);
	struct body *b = NULL;
	ck_assert_int_eq(bodies_find_by_short_name(e->st, "alpha", &b, NULL), 0);
	ck_assert_uint_eq(b->tags.n, 2);
	ck_assert_str_eq(b->tags.v[0], "north");
	ck_assert_str_eq(b->tags.v[1], "big");
	bodies_body_free(b);
	struct bodies_list l = BODIES_LIST_INIT;
	ck_assert_int_eq(bodies_list(e->st, "NORTH", &l, NULL), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0]->short_name, "alpha");
	bodies_list_free(&l);
	ck_assert_int_eq(bodies_list(e->st, NULL, &l, NULL), 0);
	ck_assert_uint_eq(l.n, 3);
	bodies_list_free(&l);
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_dry_run_writes_nothing)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT, rep2 = BODIES_REPORT_INIT;
	ck_assert_int_eq(import(e, put(e, "name,email\nOne,one@x.test\n"), 0, &rep), 0);
	int64_t events = count(e, "events");
	ck_assert_int_eq(import(e, put(e, "name,email\nOne,changed@x.test\nTwo,two@x.test\n"),
	                        1, &rep2), 0);
	ck_assert_uint_eq(rep2.added, 1);
	ck_assert_uint_eq(rep2.updated, 1);
	ck_assert_str_eq(rep2.added_names.v[0], "two");
	ck_assert_str_eq(rep2.updated_names.v[0], "one");
	ck_assert_int_eq(count(e, "bodies"), 1);
	ck_assert_int_eq(count(e, "events"), events);
	struct body *b = NULL;
	ck_assert_int_eq(bodies_find_by_short_name(e->st, "one", &b, NULL), 0);
	ck_assert_str_eq(b->email, "one@x.test");
	bodies_body_free(b);
	bodies_report_free(&rep);
	bodies_report_free(&rep2);
	env_free(e);
}
END_TEST

START_TEST(test_email_taken_by_body_outside_file)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT, rep2 = BODIES_REPORT_INIT;
	ck_assert_int_eq(import(e, put(e, "name,email\nOne,one@x.test\nTwo,two@x.test\n"),
	                        0, &rep), 0);
	/* Swapping addresses within a file is fine... */
	ck_assert_int_eq(import(e, put(e, "name,email\nOne,two@x.test\nTwo,one@x.test\n"),
	                        0, &rep2), 0);
	ck_assert_uint_eq(rep2.updated, 2);
	bodies_report_free(&rep2);
	/* ...taking one from a body the file does not mention is not. */
	const char *path = put(e, "name,email\nThree,ONE@x.test\n");
	ck_assert_int_eq(import(e, path, 0, &rep2), FOID_EINVAL);
	assert_err_at(&rep2, 0, path, 2, "already belongs to body 'two'");
	bodies_report_free(&rep);
	bodies_report_free(&rep2);
	env_free(e);
}
END_TEST

START_TEST(test_email_syntax)
{
	ck_assert(bodies_email_valid("foi@brighton-hove.council.test"));
	ck_assert(bodies_email_valid("first.o'brien+foi@a.b.test"));
	ck_assert(!bodies_email_valid("a@b"));
	ck_assert(!bodies_email_valid("a@b.test."));
	ck_assert(!bodies_email_valid("a(b)@x.test"));
	ck_assert(!bodies_email_valid("a@x.test\n"));
	ck_assert(!bodies_email_valid("\xc3\xa9@x.test"));
}
END_TEST

START_TEST(test_missing_file)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	char *p = fixture_path(e->fx, "none.csv");
	ck_assert_int_eq(import(e, p, 0, &rep), FOID_ENOTFOUND);
	char *out = NULL;
	char *argv[] = { "bodies", "import", p, NULL };
	ck_assert_int_eq(run(e, &out, 3, argv), EX_NOINPUT);
	free(out);
	free(p);
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_ctl_import_and_reimport)
{
	struct env *e = env_new();
	char *p = data_path();
	char *out = NULL;
	char *argv[] = { "bodies", "import", p, NULL };
	ck_assert_int_eq(run(e, &out, 3, argv), 0);
	ck_assert_str_eq(out, "added 155, updated 0, unchanged 0\n");
	free(out);
	ck_assert_int_eq(run(e, &out, 3, argv), 0);
	ck_assert_str_eq(out, "added 0, updated 0, unchanged 155\n");
	free(out);
	free(p);
	env_free(e);
}
END_TEST

START_TEST(test_ctl_dry_run_and_errors)
{
	struct env *e = env_new();
	char *out = NULL;
	const char *path = put(e, "name,email\nOne,one@x.test\n");
	char *dry[] = { "bodies", "import", (char *)path, "--dry-run", NULL };
	ck_assert_int_eq(run(e, &out, 4, dry), 0);
	ck_assert_str_eq(out, "dry run: would add 1, update 0, leave 0 unchanged\n  add one\n");
	free(out);
	ck_assert_int_eq(count(e, "bodies"), 0);
	path = put(e, bad_line7);
	char *bad[] = { "bodies", "import", (char *)path, NULL };
	ck_assert_int_eq(run(e, &out, 3, bad), EX_DATAERR);
	free(out);
	char *usage[] = { "bodies", "import", NULL };
	ck_assert_int_eq(run(e, &out, 2, usage), EX_USAGE);
	free(out);
	char *opt[] = { "bodies", "list", "--dry-run", NULL };
	ck_assert_int_eq(run(e, &out, 3, opt), EX_USAGE);
	free(out);
	char *sub[] = { "bodies", "frobnicate", NULL };
	ck_assert_int_eq(run(e, &out, 2, sub), EX_USAGE);
	free(out);
	env_free(e);
}
END_TEST

START_TEST(test_list_json_155)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	char *p = data_path();
	ck_assert_int_eq(import(e, p, 0, &rep), 0);
	char *out = NULL;
	char *argv[] = { "bodies", "list", "--json", NULL };
	ck_assert_int_eq(run(e, &out, 3, argv), 0);
	struct jw *v = NULL;
	char *err = NULL;
	ck_assert_msg(jw_parse(&v, out, strlen(out), &err) == 0, "%s", err);
	ck_assert_int_eq(jw_typeof(v), JW_ARRAY);
	ck_assert_uint_eq(jw_len(v), 155);
	struct jw *first = jw_at(v, 0);
	ck_assert_str_eq(jw_key_at(first, 0), "id");
	ck_assert_int_eq(jw_typeof(jw_get(first, "tags")), JW_ARRAY);
	ck_assert_int_eq(jw_typeof(jw_get(first, "attrs")), JW_OBJECT);
	ck_assert_int_eq(jw_typeof(jw_get(first, "kind")), JW_STRING);
	ck_assert_ptr_nonnull(strstr(jw_str(jw_get(first, "email")), ".test"));
	/* sorted by short name */
	for (size_t i = 1; i < jw_len(v); i++)
		ck_assert_int_lt(strcmp(jw_str(jw_get(jw_at(v, i - 1), "short_name")),
		                        jw_str(jw_get(jw_at(v, i), "short_name"))), 0);
	jw_free(v);
	free(out);
	free(p);
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_list_table_fits_80)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	char *p = data_path();
	ck_assert_int_eq(import(e, p, 0, &rep), 0);
	ck_assert_int_eq(import(e, put(e, "name,email,short_name\n"
	                                  "A Very Long Name Indeed For A Public Body In England Somewhere,"
	                                  "freedom-of-information-requests@a-long-domain.example.test,"
	                                  "a-rather-long-short-name-for-a-body\n"), 0, &rep), 0);
	char *out = NULL;
	char *argv[] = { "bodies", "list", NULL };
	ck_assert_int_eq(run(e, &out, 2, argv), 0);
	ck_assert(util_starts_with(out, "SHORT_NAME"));
	size_t lines = 0;
	for (char *line = out, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		size_t w = 0;
		for (char *q = line; q < nl; q++)
			w += ((unsigned char)*q & 0xC0) != 0x80;
		ck_assert_msg(w <= 80, "%zu columns: %.*s", w, (int)(nl - line), line);
		lines++;
	}
	ck_assert_uint_eq(lines, 157);
	ck_assert_ptr_nonnull(strstr(out, "\nbuckinghamshire "));
	free(out);
	free(p);
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

START_TEST(test_show_body_and_missing)
{
	struct env *e = env_new();
	struct bodies_report rep = BODIES_REPORT_INIT;
	ck_assert_int_eq(import(e, put(e, "name,email,tags,phone\nAlpha,a@x.test,x;y,012\n"),
	                        0, &rep), 0);
	char *out = NULL;
	char *argv[] = { "bodies", "show", "alpha", NULL };
	ck_assert_int_eq(run(e, &out, 3, argv), 0);
	ck_assert_ptr_nonnull(strstr(out, "email        a@x.test\n"));
	ck_assert_ptr_nonnull(strstr(out, "tags         x; y\n"));
	ck_assert_ptr_nonnull(strstr(out, "body.phone   012\n"));
	ck_assert_ptr_nonnull(strstr(out, "kind         -\n"));
	free(out);
	char *missing[] = { "bodies", "show", "nosuch", NULL };
	ck_assert_int_eq(run(e, &out, 3, missing), EX_NOINPUT);
	ck_assert_str_eq(out, "");
	free(out);
	struct body *b = NULL;
	ck_assert_int_eq(bodies_find_by_short_name(e->st, "nosuch", &b, NULL), FOID_ENOTFOUND);
	ck_assert_ptr_null(b);
	bodies_body_free(NULL);
	bodies_report_free(&rep);
	env_free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bodies");
	TCase *tc = tcase_create("bodies");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_import_2016_adds_155);
	tcase_add_test(tc, test_reimport_unchanged_keeps_updated_at);
	tcase_add_test(tc, test_changed_row_is_updated);
	tcase_add_test(tc, test_bad_row_line7_imports_nothing);
	tcase_add_test(tc, test_bad_file_leaves_existing_data);
	tcase_add_loop_test(tc, test_validation_error, 0,
	                    (int)(sizeof bad_files / sizeof bad_files[0]));
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_error_list_capped);
	tcase_add_test(tc, test_quoted_fields_and_line_numbers);
	tcase_add_test(tc, test_bom_and_header_case);
	tcase_add_test(tc, test_derive_short_names);
	tcase_add_test(tc, test_derived_short_name_on_import);
	tcase_add_test(tc, test_extra_columns_are_attrs);
	tcase_add_test(tc, test_tags_split_and_filter);
	tcase_add_test(tc, test_dry_run_writes_nothing);
	tcase_add_test(tc, test_email_taken_by_body_outside_file);
	tcase_add_test(tc, test_email_syntax);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_ctl_import_and_reimport);
	tcase_add_test(tc, test_ctl_dry_run_and_errors);
	tcase_add_test(tc, test_list_json_155);
	tcase_add_test(tc, test_list_table_fits_80);
	tcase_add_test(tc, test_show_body_and_missing);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
