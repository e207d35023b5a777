#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "message.h"
#include "template.h"

/* Lookup over a NULL-terminated array of name, value pairs. */
static const char *table_lookup(void *arg, const char *name)
{
	const char *const *kv = arg;
	for (size_t i = 0; kv[i]; i += 2)
		if (strcmp(kv[i], name) == 0)
			return kv[i + 1];
	return NULL;
}

/* Resolves every name to "value of NAME" so any template renders. */
static const char *full_lookup(void *arg, const char *name)
{
	struct strv *keep = arg;
	strv_push_owned(keep, xasprintf("value of %s", name));
	return keep->v[keep->n - 1];
}

static struct template *parse_ok(const char *text)
{
	struct template *t = NULL;
	char *err = NULL;
	ck_assert_msg(template_parse("t.txt", text, NULL, &t, &err) == 0, "%s", err);
	ck_assert_ptr_nonnull(t);
	return t;
}

static char *parse_err(const char *text)
{
	struct template *t = NULL;
	char *err = NULL;
	ck_assert_int_eq(template_parse("t.txt", text, NULL, &t, &err), FOID_EINVAL);
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(err);
	return err;
}

START_TEST(test_headers_parsed)
{
	struct fixture *fx = fixture_new();
	free(fixture_write(fx, "q.pdf", "%PDF-1.4\n"));
	char *path = fixture_write(fx, "req.txt",
	                           "Subject: FOI {{request.reference}}\r\n"
	                           "Cc: a@x.example, {{ body.cc }}\r\n"
	                           "cc: c@z.example\r\n"
	                           "Attach: q.pdf\r\n"
	                           "\r\n"
	                           "Dear {{body.name}},\r\nLine two.\r\n");
	struct template *t = NULL;
	char *err = NULL;
	ck_assert_msg(template_load(path, &t, &err) == 0, "%s", err);
	const char *kv[] = { "request.reference", "FOI-1", "body.cc", "b@y.example",
	                     "body.name", "Barsetshire", NULL };
	struct template_rendered *r = NULL;
	ck_assert_msg(template_render(t, table_lookup, kv, &r, &err) == 0, "%s", err);
	ck_assert_str_eq(r->subject, "FOI FOI-1");
	ck_assert_uint_eq(r->cc.n, 3);
	ck_assert_str_eq(r->cc.v[0], "a@x.example");
	ck_assert_str_eq(r->cc.v[1], "b@y.example");
	ck_assert_str_eq(r->cc.v[2], "c@z.example");
	ck_assert_str_eq(r->body, "Dear Barsetshire,\nLine two.\n");
	ck_assert_uint_eq(r->attach_paths.n, 1);
	char *want = fixture_path(fx, "q.pdf");
	ck_assert_str_eq(r->attach_paths.v[0], want);
	free(want);
	template_rendered_free(r);
	template_free(t);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_placeholders_listed_once_in_order)
{
	struct template *t = parse_ok("Subject: {{a}} {{ b }}\n\n{{b}} {{c.d}} {{a}}\n");
	const struct strv *ph = template_placeholders(t);
	ck_assert_uint_eq(ph->n, 3);
	ck_assert_str_eq(ph->v[0], "a");
	ck_assert_str_eq(ph->v[1], "b");
	ck_assert_str_eq(ph->v[2], "c.d");
	template_free(t);
}
END_TEST

START_TEST(test_missing_subject)
{
	char *err = parse_err("Cc: a@x.example\n\nbody\n");
	ck_assert_str_eq(err, "t.txt: missing Subject header");
	free(err);
}
END_TEST

START_TEST(test_unknown_header_file_line)
{
	char *err = parse_err("Subject: x\nFrom: me@x.example\n\nbody\n");
	ck_assert_str_eq(err, "t.txt:2: unknown header \"From\"");
	free(err);
}
END_TEST

START_TEST(test_missing_blank_line)
{
	char *err = parse_err("Subject: x\n");
	ck_assert_ptr_nonnull(strstr(err, "t.txt:2: missing blank line"));
	free(err);
}
END_TEST

START_TEST(test_unterminated_placeholder_file_line)
{
	char *err = parse_err("Subject: x\n\nline 3\nDear {{body.name,\nline 5 }}\n");
	ck_assert_str_eq(err, "t.txt:4: unterminated placeholder \"{{\"");
	free(err);
	err = parse_err("Subject: {{x\n\nbody\n");
	ck_assert_str_eq(err, "t.txt:1: unterminated placeholder \"{{\"");
	free(err);
}
END_TEST

START_TEST(test_invalid_placeholder_name)
{
	char *err = parse_err("Subject: x\n\n{{ }}\n");
	ck_assert_str_eq(err, "t.txt:3: invalid placeholder name {{}}");
	free(err);
}
END_TEST

START_TEST(test_invalid_utf8_file_line)
{
	char *err = parse_err("Subject: x\n\nok\nbad \xC3\x28 byte\n");
	ck_assert_str_eq(err, "t.txt:4: not valid UTF-8");
	free(err);
}
END_TEST

START_TEST(test_unresolved_all_reported)
{
	struct template *t = parse_ok("Subject: {{request.reference}} {{nope.one}}\n"
	                              "\nDear {{body.name}},\n\n{{body.population}}\n");
	const char *kv[] = { "request.reference", "R1", NULL };
	struct template_rendered *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(template_render(t, table_lookup, kv, &r, &err), FOID_EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(err, "t.txt:1: unresolved placeholder {{nope.one}}\n"
	                      "t.txt:3: unresolved placeholder {{body.name}}\n"
	                      "t.txt:5: unresolved placeholder {{body.population}}");
	free(err);
	template_free(t);
}
END_TEST

START_TEST(test_line_break_into_subject_rejected)
{
	struct template *t = parse_ok("Subject: FOI {{request.reference}}\n"
	                              "Cc: {{body.cc}}\n\nbody\n");
	const char *kv[] = { "request.reference", "x\r\nBcc: evil@x.example",
	                     "body.cc", "a@x.example\nBcc: evil@x.example", NULL };
	struct template_rendered *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(template_render(t, table_lookup, kv, &r, &err), FOID_EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(err, "t.txt:1: value of {{request.reference}} contains a line "
	                      "break, not allowed in Subject\n"
	                      "t.txt:2: value of {{body.cc}} contains a line break, "
	                      "not allowed in Cc");
	free(err);
	template_free(t);
}
END_TEST

START_TEST(test_invalid_cc_address_rejected)
{
	struct template *t = parse_ok("Subject: x\nCc: ok@x.example, {{body.cc}}\n\nbody\n");
	const char *kv[] = { "body.cc", "not an address", NULL };
	struct template_rendered *r = NULL;
	char *err = NULL;
	ck_assert_int_eq(template_render(t, table_lookup, kv, &r, &err), FOID_EINVAL);
	ck_assert_str_eq(err, "t.txt:2: Cc address \"not an address\" is not valid");
	free(err);
	template_free(t);
}
END_TEST

START_TEST(test_body_keeps_line_breaks)
{
	struct template *t = parse_ok("Subject: x\n\nAnswer:\n{{clarification.text}}\n");
	const char *kv[] = { "clarification.text", "one\r\ntwo\nthree", NULL };
	struct template_rendered *r = NULL;
	char *err = NULL;
	ck_assert_msg(template_render(t, table_lookup, kv, &r, &err) == 0, "%s", err);
	ck_assert_str_eq(r->body, "Answer:\none\r\ntwo\nthree\n");
	template_rendered_free(r);
	template_free(t);
}
END_TEST

START_TEST(test_attach_missing)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "req.txt", "Subject: x\nAttach: nothere.pdf\n\nbody\n");
	struct template *t = NULL;
	char *err = NULL;
	ck_assert_int_eq(template_load(path, &t, &err), FOID_EINVAL);
	ck_assert_ptr_null(t);
	char *want = xasprintf("%s:2: Attach file \"%s/nothere.pdf\": No such file or "
	                       "directory", path, fx->dir);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_load_missing_file)
{
	struct template *t = NULL;
	char *err = NULL;
	ck_assert_int_eq(template_load("/nonexistent/foid.txt", &t, &err), FOID_ENOTFOUND);
	ck_assert_ptr_null(t);
	free(err);
}
END_TEST

/* Every shipped template loads, renders with every name resolved and gives
 * a message that message_build accepts. */
START_TEST(test_shipped_templates_render)
{
	char *dirpath = xasprintf("%s/templates", fixture_srcdir());
	DIR *d = opendir(dirpath);
	ck_assert_ptr_nonnull(d);
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0)
			continue;
		char *path = xasprintf("%s/%s", dirpath, e->d_name);
		struct template *t = NULL;
		char *err = NULL;
		ck_assert_msg(template_load(path, &t, &err) == 0, "%s", err);
		ck_assert_uint_gt(template_placeholders(t)->n, 0);
		struct strv keep = STRV_INIT;
		struct template_rendered *r = NULL;
		ck_assert_msg(template_render(t, full_lookup, &keep, &r, &err) == 0, "%s", err);
		ck_assert_msg(!strstr(r->subject, "{{") && !strstr(r->body, "{{"), "%s", path);
		/* Our reference is in every subject: a follow-up's is the request's
		 * own, which has it. */
		ck_assert_msg(strstr(r->subject, "value of request.reference") ||
		              strcmp(r->subject, "Re: value of original.subject") == 0,
		              "%s: %s", path, r->subject);
		char *id = message_new_id("team.example");
		struct message_spec m = {
			.from_name = "Research Team", .from_addr = "team@team.example",
			.to_addr = "foi@council.example", .subject = r->subject,
			.body = r->body, .message_id = id, .date = 1457000000,
			.cc = &r->cc, .attach_paths = &r->attach_paths,
		};
		char *raw = NULL;
		size_t len = 0;
		ck_assert_msg(message_build(&m, &raw, &len, &err) == 0, "%s: %s", path, err);
		free(raw);
		free(id);
		template_rendered_free(r);
		strv_free(&keep);
		template_free(t);
		free(path);
		count++;
	}
	closedir(d);
	ck_assert_int_ge(count, 7);
	free(dirpath);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("template");
	tcase_add_test(tc, test_headers_parsed);
	tcase_add_test(tc, test_placeholders_listed_once_in_order);
	tcase_add_test(tc, test_missing_subject);
	tcase_add_test(tc, test_unknown_header_file_line);
	tcase_add_test(tc, test_missing_blank_line);
	tcase_add_test(tc, test_unterminated_placeholder_file_line);
	tcase_add_test(tc, test_invalid_placeholder_name);
	tcase_add_test(tc, test_invalid_utf8_file_line);
	tcase_add_test(tc, test_unresolved_all_reported);
	tcase_add_test(tc, test_line_break_into_subject_rejected);
	tcase_add_test(tc, test_invalid_cc_address_rejected);
	tcase_add_test(tc, test_body_keeps_line_breaks);
	tcase_add_test(tc, test_attach_missing);
	tcase_add_test(tc, test_load_missing_file);
	tcase_add_test(tc, test_shipped_templates_render);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
