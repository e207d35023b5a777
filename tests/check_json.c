#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "json.h"

START_TEST(test_escapes_quotes_and_backslash)
{
	struct jw *o = jw_object();
	jw_set_str(o, "k", "say \"hi\" \\ there");
	char *s = jw_dump(o, JW_COMPACT);
	ck_assert_str_eq(s, "{\"k\":\"say \\\"hi\\\" \\\\ there\"}");
	free(s);
	jw_free(o);
}
END_TEST

START_TEST(test_escapes_control_chars)
{
	struct jw *a = jw_array();
	jw_push_str(a, "a\nb\tc\x01" "d\x1f");
	char *s = jw_dump(a, JW_COMPACT);
	ck_assert_str_eq(s, "[\"a\\nb\\tc\\u0001d\\u001F\"]");
	free(s);
	jw_free(a);
}
END_TEST

START_TEST(test_non_ascii_kept_or_escaped)
{
	struct jw *a = jw_array();
	jw_push_str(a, "Ynys M\xc3\xb4n \xe2\x82\xac");
	char *raw = jw_dump(a, JW_COMPACT);
	ck_assert_str_eq(raw, "[\"Ynys M\xc3\xb4n \xe2\x82\xac\"]");
	char *ascii = jw_dump(a, JW_ASCII);
	ck_assert_str_eq(ascii, "[\"Ynys M\\u00F4n \\u20AC\"]");
	free(raw);
	free(ascii);
	jw_free(a);
}
END_TEST

START_TEST(test_invalid_utf8_replaced)
{
	struct jw *a = jw_array();
	jw_push_str(a, "a\xff" "b\xc3");
	char *s = jw_dump(a, JW_COMPACT);
	ck_assert_str_eq(s, "[\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"]");
	free(s);
	jw_free(a);
}
END_TEST

START_TEST(test_insertion_order_kept)
{
	struct jw *o = jw_object();
	const char *keys[] = { "zeta", "alpha", "mid", "beta", "aa" };
	for (int i = 0; i < 5; i++)
		jw_set_int(o, keys[i], i);
	jw_set_int(o, "alpha", 42); /* replacing keeps the position */
	char *s = jw_dump(o, JW_COMPACT);
	ck_assert_str_eq(s, "{\"zeta\":0,\"alpha\":42,\"mid\":2,\"beta\":3,\"aa\":4}");
	for (size_t i = 0; i < 5; i++)
		ck_assert_str_eq(jw_key_at(o, i), keys[i]);
	ck_assert_ptr_null(jw_key_at(o, 5));
	free(s);
	jw_free(o);
}
END_TEST

START_TEST(test_scalars_nested_and_null)
{
	struct jw *o = jw_object();
	jw_set_bool(o, "t", 1);
	jw_set_bool(o, "f", 0);
	jw_set_null(o, "n");
	jw_set_str(o, "s", NULL);
	jw_set_int(o, "big", INT64_C(9007199254740993));
	struct jw *inner = jw_array();
	jw_push_int(inner, -1);
	jw_push_bool(inner, 1);
	jw_push_null(inner);
	jw_push(inner, jw_object());
	jw_set(o, "arr", inner);
	char *s = jw_dump(o, JW_COMPACT);
	ck_assert_str_eq(s, "{\"t\":true,\"f\":false,\"n\":null,\"s\":null,"
	                    "\"big\":9007199254740993,\"arr\":[-1,true,null,{}]}");
	free(s);
	jw_free(o);
}
END_TEST

START_TEST(test_indent)
{
	struct jw *o = jw_object();
	jw_set_int(o, "a", 1);
	struct jw *a = jw_array();
	jw_push_str(a, "x");
	jw_set(o, "b", a);
	char *s = jw_dump(o, JW_INDENT);
	ck_assert_str_eq(s, "{\n  \"a\": 1,\n  \"b\": [\n    \"x\"\n  ]\n}");
	free(s);
	jw_free(o);
}
END_TEST

START_TEST(test_dump_file_adds_newline)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct jw *a = jw_array();
	jw_push_int(a, 7);
	ck_assert_int_eq(jw_dump_file(a, f, JW_COMPACT, NULL), 0);
	fclose(f);
	ck_assert_str_eq(text, "[7]\n");
	free(text);
	jw_free(a);
}
END_TEST

START_TEST(test_parse_round_trip)
{
	const char *in = "{\"name\":\"a\\\"b\\u00e9\",\"n\":12,\"ok\":true,\"l\":[1,2,3]}";
	struct jw *v = NULL;
	char *err = NULL;
	ck_assert_int_eq(jw_parse(&v, in, strlen(in), &err), 0);
	ck_assert_int_eq(jw_typeof(v), JW_OBJECT);
	ck_assert_str_eq(jw_str(jw_get(v, "name")), "a\"b\xc3\xa9");
	ck_assert_int_eq(jw_int(jw_get(v, "n")), 12);
	ck_assert_int_eq(jw_bool(jw_get(v, "ok")), 1);
	ck_assert_int_eq(jw_len(jw_get(v, "l")), 3);
	ck_assert_int_eq(jw_int(jw_at(jw_get(v, "l"), 2)), 3);
	ck_assert_ptr_null(jw_at(jw_get(v, "l"), 3));
	ck_assert_ptr_null(jw_get(v, "missing"));
	ck_assert_int_eq(jw_typeof(jw_get(v, "missing")), JW_NULL);
	char *out = jw_dump(v, JW_COMPACT);
	ck_assert_str_eq(out, "{\"name\":\"a\\\"b\xc3\xa9\",\"n\":12,\"ok\":true,\"l\":[1,2,3]}");
	free(out);
	jw_free(v);
}
END_TEST

START_TEST(test_parse_error_has_position)
{
	struct jw *v = NULL;
	char *err = NULL;
	const char *in = "{\"a\": 1,\n \"b\": }";
	ck_assert_int_eq(jw_parse(&v, in, strlen(in), &err), -3);
	ck_assert_ptr_null(v);
	ck_assert_msg(strncmp(err, "2:", 2) == 0, "%s", err);
	free(err);
}
END_TEST

START_TEST(test_free_null)
{
	jw_free(NULL);
}
END_TEST

/* The streaming writer gives the tree's indented text for the same values. */
START_TEST(test_stream_matches_tree)
{
	static const char *const strs[] = { "plain", "q\"uote\\back", "tab\tnl\ncr\r\x01",
		"caf\xc3\xa9 \xe2\x80\x9cok\xe2\x80\x9d", "bad \xff utf8", "" };
	struct jw *root = jw_object(), *arr = jw_array(), *empty = jw_array();
	struct jws *w = jws_new();
	jws_begin_object(w);
	jws_key(w, "list");
	jws_begin_array(w);
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		jw_push_str(arr, strs[i]);
		jws_str(w, strs[i]);
	}
	jws_end_array(w);
	jw_set(root, "list", arr);
	jws_key(w, "empty");
	jws_begin_array(w);
	jws_end_array(w);
	jw_set(root, "empty", empty);
	jws_key(w, "n");
	jws_int(w, -42);
	jw_set_int(root, "n", -42);
	jws_key(w, "t");
	jws_bool(w, 1);
	jw_set_bool(root, "t", 1);
	jws_key(w, "none");
	jws_str(w, NULL);
	jw_set_null(root, "none");
	jws_key(w, "obj");
	jws_begin_object(w);
	jws_key(w, "k\"ey");
	jws_str(w, "v");
	jws_end_object(w);
	struct jw *o = jw_object();
	jw_set_str(o, "k\"ey", "v");
	jw_set(root, "obj", o);
	jws_end_object(w);
	char *streamed = jws_finish(w);
	char *tree = jw_dump(root, JW_INDENT);
	ck_assert_str_eq(streamed, tree);
	free(streamed);
	free(tree);
	jw_free(root);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");
	tcase_add_test(tc, test_escapes_quotes_and_backslash);
	tcase_add_test(tc, test_escapes_control_chars);
	tcase_add_test(tc, test_non_ascii_kept_or_escaped);
	tcase_add_test(tc, test_invalid_utf8_replaced);
	tcase_add_test(tc, test_insertion_order_kept);
	tcase_add_test(tc, test_scalars_nested_and_null);
	tcase_add_test(tc, test_indent);
	tcase_add_test(tc, test_dump_file_adds_newline);
	tcase_add_test(tc, test_parse_round_trip);
	tcase_add_test(tc, test_parse_error_has_position);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_stream_matches_tree);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
