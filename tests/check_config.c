#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "fixture.h"
#include "util.h"

/* A valid config whose secrets live in files of the given mode. */
static char *write_config(struct fixture *fx, const char *extra, int pwmode)
{
	char *pw = fixture_write(fx, "imap.password", "s3cret-imap\n");
	ck_assert_int_eq(chmod(pw, (mode_t)pwmode), 0);
	free(pw);
	pw = fixture_write(fx, "smtp.password", "s3cret-smtp\n");
	ck_assert_int_eq(chmod(pw, 0600), 0);
	free(pw);
	char *text = xasprintf(
		"database = \"foid.db\";\n"
		"team = { name = \"Team\"; address = \"team@example.org\"; };\n"
		"smtp = { host = \"127.0.0.1\"; security = \"plain\"; port = 2525;\n"
		"  username = \"team\"; password_file = \"smtp.password\"; };\n"
		"imap = { host = \"127.0.0.1\"; security = \"plain\"; port = 1143;\n"
		"  username = \"team\"; password_file = \"imap.password\"; };\n"
		"%s", extra ? extra : "");
	char *path = fixture_write(fx, "foid.conf", text);
	free(text);
	return path;
}

START_TEST(test_valid_config_loads_with_defaults)
{
	struct fixture *fx = fixture_new();
	char *path = write_config(fx, NULL, 0600);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_msg(config_load(&cfg, path, 1, &err) == 0, "%s", err);
	char *db = fixture_path(fx, "foid.db");
	ck_assert_str_eq(cfg->database, db);   /* relative to the config file */
	ck_assert_str_eq(cfg->imap.password, "s3cret-imap");
	ck_assert_int_eq(cfg->imap.port, 1143);
	ck_assert_int_eq(cfg->smtp.security, SEC_PLAIN);
	ck_assert_str_eq(cfg->mailboxes[0], "INBOX");
	ck_assert_ptr_null(cfg->mailboxes[1]);
	ck_assert_str_eq(cfg->processed_keyword, "$FoidSeen");
	ck_assert_int_eq(cfg->reminders_foi.nsteps, 2);
	ck_assert_str_eq(cfg->reminders_foi.steps[0].name, "overdue");
	ck_assert_int_eq(cfg->give_up_after, 7 * 86400);
	free(db);
	config_free(cfg);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_three_mistakes_all_reported_with_lines)
{
	struct fixture *fx = fixture_new();
	char *path = write_config(fx,
		"limits = { max_parts = \"many\"; };\n"          /* line 7 */
		"log_level = \"loud\";\n"                        /* line 8 */
		"deadlines = { timezone = \"Mars/Olympus\"; };\n", /* line 9 */
		0600);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), FOID_EINVAL);
	ck_assert_ptr_null(cfg);
	char *want7 = xasprintf("%s:7: limits.max_parts:", path);
	char *want8 = xasprintf("%s:8: log_level:", path);
	char *want9 = xasprintf("%s:9: deadlines.timezone:", path);
	ck_assert_msg(strstr(err, want7), "%s", err);
	ck_assert_msg(strstr(err, want8), "%s", err);
	ck_assert_msg(strstr(err, want9), "%s", err);
	free(want7);
	free(want8);
	free(want9);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_syntax_error_has_line)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "bad.conf", "database = \"x\";\nteam = {\n  name = ;\n};\n");
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), FOID_EINVAL);
	char *want = xasprintf("%s:3: syntax error", path);
	ck_assert_msg(strstr(err, want), "%s", err);
	free(want);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_missing_required_and_unknown_keys)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "foid.conf",
		"team = { name = \"T\"; adress = \"x@example.org\"; };\n"
		"smtp = { host = \"h\"; password = \"hunter2\"; };\n"
		"imap = { host = \"h\"; };\n");
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "database: required setting is missing"), "%s", err);
	ck_assert_msg(strstr(err, ":1: team.adress: unknown setting"), "%s", err);
	ck_assert_msg(strstr(err, ":1: team.address: required setting is missing"), "%s", err);
	ck_assert_msg(strstr(err, ":2: smtp.password: passwords are not allowed"), "%s", err);
	ck_assert_ptr_null(strstr(err, "hunter2"));
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_group_readable_secret_refused)
{
	struct fixture *fx = fixture_new();
	char *path = write_config(fx, NULL, 0640);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, "imap.password_file"), "%s", err);
	ck_assert_msg(strstr(err, "chmod 600"), "%s", err);
	ck_assert_ptr_null(strstr(err, "s3cret"));
	free(err);
	/* foictl never reads secrets, so it does not care. */
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), 0);
	config_free(cfg);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_password_env)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "foid.conf",
		"database = \"foid.db\";\n"
		"team = { name = \"T\"; address = \"t@example.org\"; };\n"
		"smtp = { host = \"h\"; username = \"u\"; password_env = \"FOID_TEST_PW\"; };\n"
		"imap = { host = \"h\"; };\n");
	struct config *cfg = NULL;
	char *err = NULL;
	unsetenv("FOID_TEST_PW");
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":3: smtp.password_env: environment variable FOID_TEST_PW is not set"), "%s", err);
	setenv("FOID_TEST_PW", "pw", 1);
	ck_assert_msg(config_load(&cfg, path, 1, &err) == 0, "%s", err);
	ck_assert_str_eq(cfg->smtp.password, "pw");
	ck_assert_int_eq(cfg->smtp.port, 465);
	config_free(cfg);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_reminder_steps_validated)
{
	struct fixture *fx = fixture_new();
	char *path = write_config(fx,
		"reminders = { foi = (\n"
		"  { name = \"a\"; after_due = 1; template = \"a.txt\"; },\n"
		"  { name = \"a\"; after_due = 2; before_close = 1; template = \"b.txt\"; }\n"
		"); };\n", 0600);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":9: reminders.foi[1]: give exactly one"), "%s", err);
	ck_assert_msg(strstr(err, "used twice"), "%s", err);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_config_readable_by_others_refused)
{
	struct fixture *fx = fixture_new();
	char *path = write_config(fx, NULL, 0600);
	ck_assert_int_eq(chmod(path, 0644), 0);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), FOID_EPERM);
	ck_assert_msg(strstr(err, "readable or writable by others") && strstr(err, "chmod o-rwx"),
	              "%s", err);
	/* foictl reads no secrets and may read it. */
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), 0);
	config_free(cfg);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_bad_send_window_has_line)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "foid.conf",
		"database = \"foid.db\";\n"
		"team = { name = \"T\"; address = \"t@example.org\"; };\n"
		"smtp = { host = \"h\";\n"
		"  window = \"Mon-Fry 09:00-17:00\"; };\n"
		"imap = { host = \"h\"; };\n");
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":4: smtp.window: \"Mon-Fry 09:00-17:00\""), "%s", err);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_example_config_is_valid)
{
	char *path = xasprintf("%s/config/foid.conf.example", fixture_srcdir());
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_msg(config_load(&cfg, path, 0, &err) == 0, "%s", err);
	config_free(cfg);
	free(path);
}
END_TEST

START_TEST(test_foid_n_reports_and_exits)
{
	struct fixture *fx = fixture_new();
	char *src = realpath(fixture_srcdir(), NULL);
	char *data = xasprintf("data_dir = \"%s/data\";\n", src);
	char *good = write_config(fx, data, 0600);
	free(data);
	free(src);
	char *bin = fixture_bin("foid");
	char *out = NULL, *err = NULL;
	char *argv1[] = { bin, "-n", "-c", good, NULL };
	ck_assert_int_eq(fixture_exec(fx, argv1, NULL, &out, &err), 0);
	ck_assert_msg(strstr(out, ": ok"), "%s", out);
	free(out);
	free(err);
	char *bad = fixture_write(fx, "bad.conf",
		"database = 5;\n"
		"team = { name = \"T\"; address = \"not an address\"; };\n"
		"smtp = { host = \"h\"; port = 70000; };\n"
		"imap = { host = \"h\"; };\n");
	char *argv2[] = { bin, "-n", "-c", bad, NULL };
	ck_assert_int_eq(fixture_exec(fx, argv2, NULL, &out, &err), 1);
	ck_assert_msg(strstr(err, "bad.conf:1: database"), "%s", err);
	ck_assert_msg(strstr(err, "bad.conf:2: team.address"), "%s", err);
	ck_assert_msg(strstr(err, "bad.conf:3: smtp.port"), "%s", err);
	free(out);
	free(err);
	free(bin);
	free(good);
	free(bad);
	fixture_free(fx);
}
END_TEST

/* The table, as config_defaults gives it: group (NULL: top level), key and
 * the default's text (NULL: none fixed). */
struct tkey {
	char *group;
	char *key;
	char *def;
};

static int table_keys(struct tkey **out)
{
	char *text = config_defaults();
	struct tkey *keys = NULL;
	int n = 0;
	char *group = NULL;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ')
			line++;
		size_t len = strlen(line);
		if (len > 4 && strcmp(line + len - 4, " = {") == 0) {
			free(group);
			group = xstrndup(line, len - 4);
			continue;
		}
		if (strcmp(line, "};") == 0) {
			free(group);
			group = NULL;
			continue;
		}
		keys = realloc(keys, (size_t)(n + 1) * sizeof *keys);
		ck_assert_ptr_nonnull(keys);
		keys[n].group = xstrdup(group);
		if (line[0] == '#') {
			keys[n].key = xstrdup(line + 2);
			keys[n].def = NULL;
		} else {
			char *eq = strstr(line, " = ");
			ck_assert_ptr_nonnull(eq);
			keys[n].key = xstrndup(line, (size_t)(eq - line));
			keys[n].def = xstrndup(eq + 3, strlen(eq + 3) - 1); /* without ';' */
		}
		n++;
	}
	free(group);
	free(text);
	*out = keys;
	return n;
}

static void table_free(struct tkey *keys, int n)
{
	for (int i = 0; i < n; i++) {
		free(keys[i].group);
		free(keys[i].key);
		free(keys[i].def);
	}
	free(keys);
}

static int table_has(const struct tkey *keys, int n, const char *group, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(keys[i].key, key) == 0 &&
		    (group && keys[i].group ? strcmp(group, keys[i].group) == 0
		                            : !group && !keys[i].group))
			return 1;
	return 0;
}

static const char *const test_groups[] = {
	NULL, "team", "smtp", "imap", "limits", "deadlines", "reminders",
};

static const char *const test_group_body[] = {
	NULL, "name = \"T\"; address = \"t@example.org\";", "host = \"h\";",
	"host = \"h\";", "", "", "",
};

/* A valid config with "key = 1;" alone on a line of group (NULL: top
 * level); *line is that line's number. */
static char *config_with_key(const char *group, const char *key, int *line)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "database = \"foid.db\";\n");
	for (size_t g = 1; g < sizeof test_groups / sizeof *test_groups; g++)
		if (!group || strcmp(group, test_groups[g]))
			buf_addf(&b, "%s = { %s };\n", test_groups[g], test_group_body[g]);
	if (group)
		for (size_t g = 1; g < sizeof test_groups / sizeof *test_groups; g++)
			if (strcmp(group, test_groups[g]) == 0)
				buf_addf(&b, "%s = { %s\n", group, test_group_body[g]);
	*line = 1;
	for (size_t i = 0; i < b.len; i++)
		*line += b.data[i] == '\n';
	buf_addf(&b, "%s = 1;\n%s", key, group ? "};\n" : "");
	return buf_detach(&b);
}

START_TEST(test_each_group_refuses_other_groups_keys)
{
	struct tkey *keys = NULL;
	int n = table_keys(&keys);
	ck_assert_int_gt(n, 30);
	struct fixture *fx = fixture_new();
	int tried = 0;
	for (size_t g = 0; g < sizeof test_groups / sizeof *test_groups; g++) {
		const char *grp = test_groups[g];
		for (int i = 0; i < n; i++) {
			if (table_has(keys, n, grp, keys[i].key))
				continue;
			int line = 0;
			char *text = config_with_key(grp, keys[i].key, &line);
			char *path = fixture_write(fx, "foid.conf", text);
			struct config *cfg = NULL;
			char *err = NULL;
			ck_assert_msg(config_load(&cfg, path, 0, &err) == FOID_EINVAL,
			              "%s accepted in %s", keys[i].key, grp ? grp : "top level");
			char *want = xasprintf("%s:%d: %s%s%s: not a setting of %s (it belongs to ",
			                       path, line, grp ? grp : "", grp ? "." : "",
			                       keys[i].key, grp ? grp : "the top level");
			char *at = strstr(err, want);
			ck_assert_msg(at, "want %s in:\n%s", want, err);
			char *eol = strchrnul(at, '\n');
			char *owner = strstr(at, keys[i].group ? keys[i].group : "the top level");
			ck_assert_msg(owner && owner < eol, "%s", err);
			tried++;
			free(want);
			free(err);
			free(path);
			free(text);
		}
	}
	ck_assert_int_gt(tried, 100);
	fixture_free(fx);
	table_free(keys, n);
}
END_TEST

START_TEST(test_range_errors_have_lines)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "limits = { max_parts = 0;", "limits.max_parts: must be between 1 and 100000 (got 0)" },
		{ "  max_message_size = 8589934592L; };",
		  "limits.max_message_size: must be between 1024 and 4294967296 (got 8589934592)" },
		{ "deadlines = { very_overdue_days = 366; };",
		  "deadlines.very_overdue_days: must be between 1 and 365 (got 366)" },
		{ "reminders = { min_gap_days = -1;",
		  "reminders.min_gap_days: must be between 0 and 60 (got -1)" },
		{ "  foi = ( { name = \"a\"; after_due = 400; template = \"a.txt\"; } ); };",
		  "reminders.foi[0].after_due: must be between 0 and 365 (got 400)" },
	};
	struct fixture *fx = fixture_new();
	struct buf extra = BUF_INIT;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		buf_addf(&extra, "%s\n", cases[i].text);           /* lines 7.. */
	buf_adds(&extra, "smtp2 = 1;\n");
	char *path = write_config(fx, extra.data, 0600);
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), FOID_EINVAL);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *want = xasprintf("%s:%zu: %s", path, i + 7, cases[i].want);
		ck_assert_msg(strstr(err, want), "want %s in:\n%s", want, err);
		free(want);
	}
	ck_assert_msg(strstr(err, ":12: smtp2: unknown setting"), "%s", err);
	free(err);
	free(path);
	buf_free(&extra);
	fixture_free(fx);
}
END_TEST

START_TEST(test_defaults_applied)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "foid.conf",
		"database = \"db/foid.db\";\n"
		"team = { name = \"T\"; address = \"t@example.org\"; };\n"
		"smtp = { host = \"h\"; };\n"
		"imap = { host = \"h\"; security = \"starttls\"; };\n");
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_msg(config_load(&cfg, path, 1, &err) == 0, "%s", err);
	char *store = fixture_path(fx, "db/store");
	ck_assert_str_eq(cfg->storage_dir, store);
	free(store);
	ck_assert_str_eq(cfg->data_dir, FOID_DATADIR);
	ck_assert_str_eq(cfg->templates_dir, FOID_DATADIR "/templates");
	ck_assert_str_eq(cfg->log_level, "info");
	ck_assert_int_eq(cfg->ocr, 0);
	ck_assert_int_eq(cfg->plus_addressing, 0);
	ck_assert_ptr_null(cfg->reply_to);
	ck_assert_ptr_null(cfg->digest_address);
	ck_assert_str_eq(cfg->digest_time, "08:00");
	ck_assert_int_eq(cfg->smtp.security, SEC_TLS);
	ck_assert_int_eq(cfg->smtp.port, 465);
	ck_assert_int_eq(cfg->imap.security, SEC_STARTTLS);
	ck_assert_int_eq(cfg->imap.port, 143);
	ck_assert_int_eq(cfg->smtp.timeout, 30);
	ck_assert_int_eq(cfg->imap.timeout, 30);
	ck_assert_ptr_null(cfg->smtp.ca_file);
	ck_assert_int_eq(cfg->rate_per_minute, 60);
	ck_assert_int_eq(cfg->rate_per_domain, 20);
	ck_assert_ptr_null(cfg->send_window);
	ck_assert_int_eq(cfg->give_up_after, 7 * 86400);
	ck_assert_int_eq(cfg->bcc_self, 1);
	ck_assert_str_eq(cfg->mailboxes[0], "INBOX");
	ck_assert_ptr_null(cfg->mailboxes[1]);
	ck_assert_ptr_null(cfg->sent_mailbox);
	ck_assert_str_eq(cfg->processed_keyword, "$FoidSeen");
	ck_assert_ptr_null(cfg->processed_mailbox);
	ck_assert_int_eq(cfg->idle, 1);
	ck_assert_int_eq(cfg->poll_interval, 60);
	ck_assert_int_eq(cfg->max_message_size, 50LL << 20);
	ck_assert_int_eq(cfg->max_attachment_size, 25LL << 20);
	ck_assert_int_eq(cfg->max_parts, 1000);
	ck_assert_ptr_null(cfg->timezone);
	ck_assert_int_eq(cfg->very_overdue_days, 20);
	ck_assert_int_eq(cfg->min_gap_days, 3);
	ck_assert_int_eq(cfg->reminders_foi.nsteps, 2);
	ck_assert_str_eq(cfg->reminders_foi.steps[1].name, "final");
	ck_assert_int_eq(cfg->reminders_foi.steps[1].offset_days, 20);
	ck_assert_str_eq(cfg->reminders_foi.steps[1].template, "chaser-final.txt");
	ck_assert_int_eq(cfg->reminders_survey.nsteps, 2);
	ck_assert_str_eq(cfg->reminders_survey.steps[0].name, "courtesy");
	ck_assert_int_eq(cfg->reminders_survey.steps[0].offset_days, -5);
	config_free(cfg);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

/* Comments dropped and all blanks removed; with uncomment, a comment that
 * is a setting ("# port = 465;") counts as text. */
static char *example_squash(const char *text, int uncomment)
{
	struct buf b = BUF_INIT;
	for (const char *p = text; *p;) {
		const char *eol = strchrnul(p, '\n');
		const char *q = p;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (uncomment && *q == '#') {
			const char *k = q + 1;
			while (k < eol && *k == ' ')
				k++;
			const char *w = k;
			while (k < eol && (*k == '_' || (*k >= 'a' && *k <= 'z')))
				k++;
			while (k < eol && *k == ' ')
				k++;
			q = k > w && k < eol && *k == '=' ? w : eol;
		}
		for (; q < eol && *q != '#'; q++)
			if (*q != ' ' && *q != '\t')
				buf_addc(&b, *q);
		p = *eol ? eol + 1 : eol;
	}
	return buf_detach(&b);
}

/* The squashed text of group (NULL: what is outside every group). */
static char *example_group(const char *sq, const char *group)
{
	struct buf b = BUF_INIT;
	const char *p = sq;
	if (group) {
		char *open = xasprintf("%s={", group);
		const char *at = strstr(sq, open);
		while (at && at != sq && at[-1] != ';')
			at = strstr(at + 1, open);
		ck_assert_msg(at, "no group %s", group);
		p = at + strlen(open);
		free(open);
	}
	int depth = 0;
	for (; *p && depth >= 0; p++) {
		if (*p == '{' || *p == '(' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ')' || *p == ']')
			depth--;
		if (group ? depth >= 0 : depth == 0 && !strchr("})]", *p))
			buf_addc(&b, *p);
	}
	return buf_detach(&b);
}

static int example_has(const char *grptext, const char *setting)
{
	for (const char *at = strstr(grptext, setting); at; at = strstr(at + 1, setting))
		if (at == grptext || at[-1] == ';' || at[-1] == '{')
			return 1;
	return 0;
}

START_TEST(test_example_documents_every_key_with_its_default)
{
	char *path = xasprintf("%s/config/foid.conf.example", fixture_srcdir());
	char *text = NULL;
	char *err = NULL;
	ck_assert_msg(util_read_file(path, &text, NULL, &err) == 0, "%s", err);
	char *man_path = xasprintf("%s/man/foid.conf.5", fixture_srcdir());
	char *man = NULL;
	ck_assert_msg(util_read_file(man_path, &man, NULL, &err) == 0, "%s", err);
	char *plain = example_squash(text, 0);
	char *all = example_squash(text, 1);
	struct tkey *keys = NULL;
	int n = table_keys(&keys);
	for (int i = 0; i < n; i++) {
		const char *g = keys[i].group;
		char *want;
		char *grp;
		if (keys[i].def) {
			/* Set, uncommented, to the table's default. */
			grp = example_group(plain, g);
			char *d = example_squash(keys[i].def, 0);
			want = xasprintf("%s=%s;", keys[i].key, d);
			free(d);
		} else {
			grp = example_group(all, g);
			want = xasprintf("%s=", keys[i].key);
		}
		ck_assert_msg(example_has(grp, want), "%s: %s%s%s documented without \"%s\"",
		              path, g ? g : "", g ? "." : "", keys[i].key, want);
		ck_assert_msg(strstr(man, keys[i].key), "%s: %s not described", man_path,
		              keys[i].key);
		free(want);
		free(grp);
	}
	table_free(keys, n);
	free(plain);
	free(all);
	free(man);
	free(man_path);
	free(text);
	free(path);
}
END_TEST

START_TEST(test_foid_n_passes_the_example)
{
	struct fixture *fx = fixture_new();
	char *path = xasprintf("%s/config/foid.conf.example", fixture_srcdir());
	char *text = NULL;
	char *err = NULL;
	ck_assert_msg(util_read_file(path, &text, NULL, &err) == 0, "%s", err);
	/* Its absolute paths moved into the fixture. */
	struct buf b = BUF_INIT;
	for (const char *p = text; *p;) {
		if (strncmp(p, "/etc/foid/", 10) == 0 || strncmp(p, "/var/lib/foid/", 14) == 0) {
			buf_addf(&b, "%s/", fx->dir);
			p = strchr(p + 1, '/');
			p = strchr(p + 1, '/') + 1;
		} else {
			buf_addc(&b, *p++);
		}
	}
	char *src = realpath(fixture_srcdir(), NULL);
	buf_addf(&b, "data_dir = \"%s/data\";\n", src);
	free(src);
	free(fixture_write(fx, "smtp.password", "pw\n"));
	free(fixture_write(fx, "imap.password", "pw\n"));
	char *conf = fixture_write(fx, "foid.conf", b.data);
	char *bin = fixture_bin("foid");
	char *out = NULL;
	char *argv[] = { bin, "-n", "-c", conf, NULL };
	ck_assert_int_eq(fixture_exec(fx, argv, NULL, &out, &err), 0);
	ck_assert_msg(strstr(out, ": ok"), "%s", out);
	free(out);
	free(err);
	free(bin);
	free(conf);
	buf_free(&b);
	free(text);
	free(path);
	fixture_free(fx);
}
END_TEST

/* A provider fills in what the file leaves out, and only that. */
START_TEST(test_provider_presets)
{
	struct fixture *fx = fixture_new();
	char *path = fixture_write(fx, "foid.conf",
		"database = \"foid.db\";\n"
		"team = { name = \"T\"; address = \"team@example.org\"; };\n"
		"smtp = { provider = \"microsoft365\"; username = \"team@example.org\";\n"
		"  client_id = \"app\"; tenant = \"contoso.example\"; };\n"
		"imap = { provider = \"google\"; username = \"team@example.org\";\n"
		"  client_id = \"app\"; host = \"imap.example.org\"; };\n");
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_msg(config_load(&cfg, path, 1, &err) == 0, "%s", err);
	ck_assert_str_eq(cfg->smtp.host, "smtp.office365.com");
	ck_assert_int_eq(cfg->smtp.port, 587);
	ck_assert_int_eq(cfg->smtp.security, SEC_STARTTLS);
	ck_assert_int_eq(cfg->smtp.auth, AUTH_XOAUTH2);
	ck_assert_int_eq(cfg->smtp.flow, FLOW_DEVICE);
	ck_assert_str_eq(cfg->smtp.token_url,
	                 "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token");
	ck_assert_str_eq(cfg->smtp.device_url,
	                 "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/devicecode");
	ck_assert_ptr_nonnull(strstr(cfg->smtp.scope, "SMTP.Send"));
	ck_assert_ptr_nonnull(strstr(cfg->smtp.scope, "offline_access"));
	ck_assert_int_eq(cfg->rate_per_minute, 30);
	ck_assert_int_eq(cfg->recipients_per_day, 10000);
	char *tf = fixture_path(fx, "token-smtp.json");
	ck_assert_str_eq(cfg->smtp.token_file, tf);
	free(tf);
	/* The file's host wins; the rest is Google's. */
	ck_assert_str_eq(cfg->imap.host, "imap.example.org");
	ck_assert_int_eq(cfg->imap.port, 993);
	ck_assert_int_eq(cfg->imap.auth, AUTH_OAUTH2);
	ck_assert_int_eq(cfg->imap.flow, FLOW_LOOPBACK);
	ck_assert_ptr_null(cfg->imap.device_url);
	ck_assert_str_eq(cfg->imap.scope, "https://mail.google.com/");
	config_free(cfg);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_oauth2_settings_checked)
{
	struct fixture *fx = fixture_new();
	char *pw = fixture_write(fx, "pw", "x\n");
	free(pw);
	char *path = fixture_write(fx, "foid.conf",
		"database = \"foid.db\";\n"
		"team = { name = \"T\"; address = \"team@example.org\"; };\n"
		"smtp = { host = \"h\"; auth = \"oauth2\"; username = \"u\";\n"
		"  password_file = \"pw\"; token_url = \"http://idp.example/token\"; };\n"
		"imap = { host = \"h\"; auth = \"xoauth2\"; };\n");
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 0, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":4: smtp.password_file: an OAuth2 login takes no password"),
	              "%s", err);
	ck_assert_msg(strstr(err, ":4: smtp.token_url: must be an https:// URL"), "%s", err);
	ck_assert_msg(strstr(err, "smtp.auth: an OAuth2 login needs token_command"), "%s", err);
	ck_assert_msg(strstr(err, "imap.username: an OAuth2 login needs"), "%s", err);
	free(err);
	free(path);
	fixture_free(fx);
}
END_TEST

START_TEST(test_token_file_readable_by_others_refused)
{
	struct fixture *fx = fixture_new();
	char *tok = fixture_write(fx, "tok.json", "{\"refresh_token\":\"rt-secret\"}\n");
	ck_assert_int_eq(chmod(tok, 0644), 0);
	char *path = fixture_write(fx, "foid.conf",
		"database = \"foid.db\";\n"
		"team = { name = \"T\"; address = \"team@example.org\"; };\n"
		"smtp = { host = \"h\"; token_command = \"echo t\"; username = \"u\"; };\n"
		"imap = { host = \"h\"; auth = \"oauth2\"; username = \"u\"; client_id = \"c\";\n"
		"  token_url = \"https://idp.example/token\"; token_file = \"tok.json\"; };\n");
	struct config *cfg = NULL;
	char *err = NULL;
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), FOID_EINVAL);
	ck_assert_msg(strstr(err, ":5: imap.token_file:") && strstr(err, "chmod 600"), "%s", err);
	ck_assert_ptr_null(strstr(err, "rt-secret"));
	free(err);
	err = NULL;
	ck_assert_int_eq(chmod(tok, 0600), 0);
	ck_assert_msg(config_load(&cfg, path, 1, &err) == 0, "%s", err);
	/* token_command alone means OAuth2. */
	ck_assert_int_eq(cfg->smtp.auth, AUTH_OAUTH2);
	config_free(cfg);
	free(tok);
	free(path);
	fixture_free(fx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, test_valid_config_loads_with_defaults);
	tcase_add_test(tc, test_three_mistakes_all_reported_with_lines);
	tcase_add_test(tc, test_syntax_error_has_line);
	tcase_add_test(tc, test_missing_required_and_unknown_keys);
	tcase_add_test(tc, test_group_readable_secret_refused);
	tcase_add_test(tc, test_password_env);
	tcase_add_test(tc, test_reminder_steps_validated);
	tcase_add_test(tc, test_config_readable_by_others_refused);
	tcase_add_test(tc, test_bad_send_window_has_line);
	tcase_add_test(tc, test_example_config_is_valid);
	tcase_add_test(tc, test_foid_n_reports_and_exits);
	tcase_add_test(tc, test_each_group_refuses_other_groups_keys);
	tcase_add_test(tc, test_range_errors_have_lines);
	tcase_add_test(tc, test_defaults_applied);
	tcase_add_test(tc, test_example_documents_every_key_with_its_default);
	tcase_add_test(tc, test_foid_n_passes_the_example);
	tcase_add_test(tc, test_provider_presets);
	tcase_add_test(tc, test_oauth2_settings_checked);
	tcase_add_test(tc, test_token_file_readable_by_others_refused);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
