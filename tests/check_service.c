/* foid as a service: the systemd unit, one foid per database, SIGHUP,
 * logs without secrets, hostile text in every field. */
#include <check.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blob.h"
#include "round.h"
#include "sandbox.h"
#include "testenv.h"
#include "util.h"

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

static char *unit_copy(struct fixture *fx)
{
	char *src = xasprintf("%s/systemd/foid.service", fixture_srcdir()), *text = NULL;
	ck_assert_int_eq(util_read_file(src, &text, NULL, NULL), 0);
	char *rel = fixture_bin("foid");
	char *bin = realpath(rel, NULL);
	free(rel);
	ck_assert_ptr_nonnull(bin);
	struct buf b = BUF_INIT;
	const char *p = strstr(text, "/usr/sbin/foid");
	ck_assert_ptr_nonnull(p);
	buf_add(&b, text, (size_t)(p - text));
	buf_adds(&b, bin);
	buf_adds(&b, p + strlen("/usr/sbin/foid"));
	char *path = fixture_write(fx, "foid.service", b.data);
	buf_free(&b);
	free(bin);
	free(text);
	free(src);
	return path;
}

START_TEST(test_unit_verifies)
{
	struct fixture *fx = fixture_new();
	char *unit = unit_copy(fx);
	char *out = NULL, *err = NULL;
	char *argv[] = { "/usr/bin/systemd-analyze", "verify", "--man=no", unit, NULL };
	ck_assert_int_eq(fixture_exec(fx, argv, NULL, &out, &err), 0);
	ck_assert_msg(!*err && !*out, "%s%s", out, err);
	free(out);
	free(err);
	free(unit);
	fixture_free(fx);
}
END_TEST

START_TEST(test_unit_security_at_most_2)
{
	struct fixture *fx = fixture_new();
	char *unit = unit_copy(fx);
	char *out = NULL, *err = NULL;
	char *argv[] = { "/usr/bin/systemd-analyze", "security", "--offline=yes", unit, NULL };
	fixture_exec(fx, argv, NULL, &out, &err);
	const char *p = strstr(out, "Overall exposure level for foid.service: ");
	ck_assert_msg(p, "%s%s", out, err);
	double level = strtod(p + strlen("Overall exposure level for foid.service: "), NULL);
	ck_assert_msg(level <= 2.0, "exposure %.1f", level);
	free(out);
	free(err);
	free(unit);
	fixture_free(fx);
}
END_TEST

/* Waits until foid's log shows `what` (foid is up, or has reacted). */
static char *log_wait(struct testenv *te, const char *what)
{
	char *log = fixture_path(te->fx, "foid.log");
	char *text = NULL;
	for (int i = 0; i < 500; i++) {
		free(text);
		text = NULL;
		if (util_read_file(log, &text, NULL, NULL) == 0 && strstr(text, what))
			break;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	free(log);
	ck_assert_msg(text && strstr(text, what), "no %s in: %s", what, text ? text : "");
	return text;
}

START_TEST(test_one_foid_per_database)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = "lock@uni.test";
	struct testenv *te = testenv_new(&o);
	int pid = testenv_start_foid(te);
	free(log_wait(te, "event=start"));
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foid", &out, &err, "--once", NULL), 75);
	ck_assert_msg(strstr(err, "another foid is running on this database"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(fixture_stop(pid, SIGTERM), 0);
	testenv_free(te);
}
END_TEST

START_TEST(test_sighup_keeps_old_config_when_new_is_bad)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team = "hup@uni.test";
	struct testenv *te = testenv_new(&o);
	char *good = NULL;
	ck_assert_int_eq(util_read_file(te->conf_path, &good, NULL, NULL), 0);
	int pid = testenv_start_foid(te);
	free(log_wait(te, "event=start"));
	char *bad = xasprintf("%slog_level = \"loud\";\n", good);
	ck_assert_int_eq(util_write_file_atomic(te->conf_path, bad, strlen(bad), 0600, NULL), 0);
	kill(pid, SIGHUP);
	char *text = log_wait(te, "event=reload.refused");
	ck_assert_msg(strstr(text, "log_level"), "%s", text);
	free(text);
	ck_assert_int_eq(util_write_file_atomic(te->conf_path, good, strlen(good), 0600, NULL), 0);
	kill(pid, SIGHUP);
	free(log_wait(te, "event=reload.ok"));
	ck_assert_int_eq(fixture_stop(pid, SIGTERM), 0);
	free(bad);
	free(good);
	testenv_free(te);
}
END_TEST

START_TEST(test_logs_hold_no_secret)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->submission_port;
	o.imap_port = sb->imap_port;
	o.password = "Wr0ng-Secret-XYZZY";
	o.team = "secret@uni.test";
	o.smtp_extra = "rate_per_minute = 100;";
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, "name,short_name,email\nA,a,foi@a.secret.test\n");
	struct round_new rn = { .slug = "s", .kind = "foi", .template_path = "foi-request.txt",
	                        .title = "T" };
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n;
	ck_assert_int_eq(round_create(te->st, te->cfg, &rn, &out, &err), 0);
	ck_assert_int_eq(round_launch(te->st, te->cfg, "s", &n, &out, &err), 0);
	char *o1 = NULL, *e1 = NULL;
	/* -v: everything foid logs, while both servers refuse the password. */
	/* Both refuse the login: a person must act, EX_NOPERM. */
	ck_assert_int_eq(testenv_run(te, "foid", &o1, &e1, "-v", "--once", NULL), 77);
	ck_assert_msg(strstr(e1, "event=imap.down") && strstr(e1, "event=send.server"), "%s", e1);
	ck_assert_msg(!strstr(e1, "XYZZY") && !strstr(o1, "XYZZY"), "%s", e1);
	/* A server that wants a login is not the message's fault. */
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE send_state = 'queued'"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE last_error LIKE"
	                                 " '%XYZZY%' OR smtp_reply LIKE '%XYZZY%'"), 0);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM events WHERE detail LIKE '%XYZZY%'"), 0);
	free(o1);
	free(e1);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

/* SQL metacharacters and quotes in every text field go through untouched. */
START_TEST(test_sql_metacharacters_are_data)
{
	struct testenv *te = testenv_new(NULL);
	testenv_bodies(te, "name,short_name,email,kind,region,tags,note\n"
	               "\"Robert'); DROP TABLE bodies;--\",bobby,foi@bobby.test,"
	               "\"k' OR '1'='1\",\"r\"\"; DELETE FROM requests\",\"t1;t2\","
	               "\"%_\\\\ '\"\n");
	struct round_new rn = { .slug = "q", .kind = "foi", .template_path = "foi-request.txt",
	                        .title = "x'); DROP TABLE rounds;--" };
	struct buf out = BUF_INIT;
	char *err = NULL;
	int n;
	ck_assert_msg(round_create(te->st, te->cfg, &rn, &out, &err) == 0, "%s", err);
	ck_assert_int_eq(round_launch(te->st, te->cfg, "q", &n, &out, &err), 0);
	char *o = NULL, *e = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &o, &e, "code", "q", "bobby",
	                             "x='; DROP TABLE answers;--", NULL), 65);
	free(o);
	free(e);
	ck_assert_int_eq(testenv_run(te, "foictl", &o, &e, "export", "q", NULL), 0);
	ck_assert_msg(strstr(o, "Robert'); DROP TABLE bodies;--"), "%s", o);
	free(o);
	free(e);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM bodies WHERE name ="
	                                 " 'Robert''); DROP TABLE bodies;--'"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM requests"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM rounds WHERE title ="
	                                 " 'x''); DROP TABLE rounds;--'"), 1);
	ck_assert_int_eq(store_integrity_check(te->st, NULL), 0);
	buf_free(&out);
	free(err);
	testenv_free(te);
}
END_TEST

/* The unit's [Service] settings that confine the process: all but how it
 * starts, whom it runs as and the directories systemd makes for it, which
 * a transient unit for a test cannot share with an installed foid. */
static void unit_sandbox_props(struct strv *argv)
{
	static const char *const not_sandbox[] = { "Type", "ExecStart", "ExecReload",
		"WatchdogSec", "Restart", "RestartSec", "TimeoutStopSec", "User", "Group",
		"StateDirectory", "StateDirectoryMode", "ConfigurationDirectory",
		"ConfigurationDirectoryMode", NULL };
	char *src = xasprintf("%s/systemd/foid.service", fixture_srcdir()), *text = NULL;
	ck_assert_int_eq(util_read_file(src, &text, NULL, NULL), 0);
	struct util_lines l;
	util_lines_init(&l, text);
	int service = 0;
	for (char *line; (line = util_lines_next(&l)); ) {
		if (*line == '[')
			service = strcmp(line, "[Service]") == 0;
		char *eq = strchr(line, '=');
		if (!service || !eq || *line == '#')
			continue;
		size_t i = 0;
		while (not_sandbox[i] && (strlen(not_sandbox[i]) != (size_t)(eq - line) ||
		                          strncmp(not_sandbox[i], line, (size_t)(eq - line))))
			i++;
		if (not_sandbox[i])
			continue;
		strv_push(argv, "-p");
		strv_push(argv, line);
	}
	ck_assert_msg(argv->n > 40, "only %zu sandbox settings read", argv->n / 2);
	free(text);
	free(src);
}

/* make install puts in place everything an installed foid reads: the
 * binaries, the unit, the data (the classifier's model beside its rules,
 * so that an installed foid files replies as the tests do), the templates,
 * the example config and the manual pages. */
START_TEST(test_make_install_puts_everything_in_place)
{
	struct fixture *fx = fixture_new();
	char *dest = fixture_path(fx, "root"), *build = realpath(getenv("FOID_BUILD") ?
	                                                         getenv("FOID_BUILD") : "build", NULL);
	ck_assert_ptr_nonnull(build);
	char *destvar = xasprintf("DESTDIR=%s", dest), *buildvar = xasprintf("BUILD=%s", build);
	char *argv[] = { "/usr/bin/make", "-s", "-C", (char *)fixture_srcdir(), "install", destvar,
	                 buildvar, "PREFIX=/usr", NULL }, *out = NULL, *err = NULL;
	ck_assert_msg(fixture_exec(fx, argv, NULL, &out, &err) == 0, "%s", err);
	free(out);
	free(err);
	const char *files[] = { "usr/sbin/foid", "usr/bin/foictl", "usr/lib/systemd/system/foid.service",
		"usr/lib/sysusers.d/foid.conf", "usr/share/foid/classify.rules",
		"usr/share/foid/classify.model", "usr/share/foid/templates/foi-request.txt",
		"usr/share/foid/holidays/uk-bank-holidays.csv", "etc/foid/foid.conf.example",
		"usr/share/man/man1/foictl.1", "usr/share/man/man5/foid.conf.5",
		"usr/share/man/man8/foid.8", NULL };
	for (int i = 0; files[i]; i++) {
		char *path = xasprintf("%s/%s", dest, files[i]);
		ck_assert_msg(access(path, R_OK) == 0, "make install left out %s", files[i]);
		free(path);
	}
	/* The installed foictl reads the installed model: a reply no rule
	 * speaks to is decided by it. */
	char *rules = xasprintf("%s/usr/share/foid/classify.rules", dest),
	     *bin = xasprintf("%s/usr/bin/foictl", dest),
	     *eml = fixture_write(fx, "reply.eml", "From: foi@council.test\r\nSubject: Your"
	                          " request\r\n\r\nPlease find the figures below.\r\n");
	char *classify[] = { bin, "classify", "--rules", rules, eml, NULL };
	ck_assert_int_eq(fixture_exec(fx, classify, NULL, &out, &err), 0);
	ck_assert_msg(strstr(out, "\tmodel:"), "%s%s", out, err);
	free(out);
	free(err);
	free(eml);
	free(bin);
	free(rules);
	free(destvar);
	free(buildvar);
	free(build);
	free(dest);
	fixture_free(fx);
}
END_TEST

/* Copies path into dir with cp; asserts it copies. */
static void copy_into(struct fixture *fx, const char *path, const char *dir)
{
	char *argv[] = { "/bin/cp", "-R", (char *)path, (char *)dir, NULL }, *out = NULL,
	     *err = NULL;
	ck_assert_msg(fixture_exec(fx, argv, NULL, &out, &err) == 0, "%s: %s", path, err);
	free(out);
	free(err);
}

/* The converters inside the unit's sandbox (seccomp filter, private /tmp,
 * no capabilities, read-only system, no home): foictl extract run by
 * systemd-run with the unit's own settings
 * reads a PDF, and the bounds still stop a PDF that would keep pdftotext
 * busy for hours.  Where systemd is not PID 1 (a container, a CI runner),
 * systemd-run runs on a systemd booted for it by systemd-container.sh.
 * Needs root, as systemd-run --pipe of a system unit does. */
START_TEST(test_converters_work_in_the_units_sandbox)
{
	if (geteuid() != 0) {
		fprintf(stderr, "check_service: SKIPPED test_converters_work_in_the_units_sandbox:"
		        " not root\n");
		return;
	}
	struct strv argv = STRV_INIT;
	/* The unit's state is where an installed foid keeps it, under
	 * /var/lib: ProtectHome= hides a clone under /root or /home, and
	 * PrivateTmp= hides /tmp.  foictl, data/ and templates/ are copied
	 * there for the same reason. */
	char base[] = "/var/lib/foid-unit-test.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(base));
	if (sd_booted() <= 0) {
		ck_assert_msg(access("/usr/bin/systemd-nspawn", X_OK) == 0, "systemd is not PID 1"
		              " and there is no systemd-nspawn (scripts/install-deps.sh installs"
		              " systemd-container)");
		strv_push_owned(&argv, xasprintf("%s/scripts/systemd-container.sh", fixture_srcdir()));
		const char *with[] = { "--bind", base, "--", NULL };
		for (int i = 0; with[i]; i++)
			strv_push(&argv, with[i]);
	}
	const char *head[] = { "/usr/bin/systemd-run", "--pipe", "--wait", "--quiet", "--collect",
	                       NULL };
	for (int i = 0; head[i]; i++)
		strv_push(&argv, head[i]);
	unit_sandbox_props(&argv);
	char *old_tmp = xstrdup(getenv("TMPDIR"));
	setenv("TMPDIR", base, 1);
	struct fixture *copies = fixture_new();
	if (old_tmp)
		setenv("TMPDIR", old_tmp, 1);
	else
		unsetenv("TMPDIR");
	char *bin = fixture_bin("foictl"), *data = xasprintf("%s/data", fixture_srcdir()),
	     *templates = xasprintf("%s/templates", fixture_srcdir()),
	     *srcdir = fixture_path(copies, ".");
	copy_into(copies, bin, srcdir);
	copy_into(copies, data, srcdir);
	copy_into(copies, templates, srcdir);
	struct testenv_opts opts = { .srcdir = srcdir };
	setenv("TMPDIR", base, 1);
	struct testenv *te = testenv_new(&opts);
	if (old_tmp)
		setenv("TMPDIR", old_tmp, 1);
	else
		unsetenv("TMPDIR");
	char *dir = fixture_path(te->fx, "."), *out = NULL, *err = NULL;
	char *script = xasprintf("%s/tests/make-documents.py", fixture_srcdir());
	char *docs[] = { "/usr/bin/python3", script, dir, NULL };
	ck_assert_msg(fixture_exec(te->fx, docs, NULL, &out, &err) == 0, "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO messages (id, direction,"
	                            " created_at) VALUES (1, 'in', 0)", NULL), 0);
	const char *files[] = { "two-pages.pdf", "forms.pdf" };
	for (int i = 0; i < 2; i++) {
		char *path = fixture_path(te->fx, files[i]), *blob = NULL, *rel = NULL, sha[65];
		size_t len = 0;
		ck_assert_int_eq(util_read_file(path, &blob, &len, NULL), 0);
		ck_assert_int_eq(blob_put(te->cfg->storage_dir, "att", blob, len, 1, &rel, sha, NULL),
		                 0);
		ck_assert_int_eq(store_exec(te->st, NULL, "INSERT INTO attachments (message_row, part,"
		                            " filename, content_type, size, sha256, path) VALUES"
		                            " (1, ?, ?, 'application/pdf', ?, ?, ?)", "ssIss",
		                            files[i], files[i], (int64_t)len, sha, rel), 0);
		free(rel);
		free(blob);
		free(path);
	}
	/* base stands for the unit's StateDirectory, and nobody for its
	 * User=foid: as root, SQLite would chown its journal, which the
	 * unit's filter forbids. */
	char *chown_argv[] = { "/bin/chown", "-R", "nobody:nogroup", base, NULL };
	ck_assert_msg(fixture_exec(te->fx, chown_argv, NULL, &out, &err) == 0, "%s", err);
	free(out);
	free(err);
	/* RuntimeMaxSec: a hang fails here rather than at the test's
	 * timeout.  LeakSanitizer (make check SANITIZE=1) traces with ptrace,
	 * which the unit forbids: leaks are left to the other tests. */
	const char *props[] = { "User=nobody", "Group=nogroup", "RuntimeMaxSec=40",
		                "Environment=ASAN_OPTIONS=detect_leaks=0", NULL };
	for (int i = 0; props[i]; i++) {
		strv_push(&argv, "-p");
		strv_push(&argv, props[i]);
	}
	strv_push(&argv, "-p");
	strv_push_owned(&argv, xasprintf("ReadWritePaths=%s", base));
	strv_push_owned(&argv, xasprintf("%s/foictl", srcdir));
	const char *tail[] = { "-c", te->conf_path, "extract", "--again", NULL };
	for (int i = 0; tail[i]; i++)
		strv_push(&argv, tail[i]);
	int rc = fixture_exec(te->fx, argv.v, NULL, &out, &err);
	/* check's messages are short: the end of stderr says most. */
	size_t elen = strlen(err);
	ck_assert_msg(rc == 0 && strstr(out, "2 attachments read"), "%d: %.200s %s", rc, out,
	              err + (elen > 2000 ? elen - 2000 : 0));
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM attachment_pages WHERE page = 2 AND"
	                                 " instr(text, '114 of 155') > 0"), 1);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM attachments WHERE filename ="
	                                 " 'forms.pdf' AND text_status LIKE 'no text: %pdftotext%'"), 1);
	free(out);
	free(err);
	strv_free(&argv);
	free(bin);
	free(data);
	free(templates);
	free(srcdir);
	free(script);
	free(dir);
	free(old_tmp);
	testenv_free(te);
	fixture_free(copies);
	ck_assert_int_eq(rmdir(base), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("service");
	TCase *unit = tcase_create("unit");
	tcase_set_timeout(unit, 60);
	tcase_add_test(unit, test_unit_verifies);
	tcase_add_test(unit, test_make_install_puts_everything_in_place);
	tcase_add_test(unit, test_unit_security_at_most_2);
	tcase_add_test(unit, test_sql_metacharacters_are_data);
	tcase_add_test(unit, test_converters_work_in_the_units_sandbox);
	suite_add_tcase(s, unit);
	TCase *run = tcase_create("run");
	tcase_set_timeout(run, 120);
	tcase_add_unchecked_fixture(run, sb_up, sb_down);
	tcase_add_test(run, test_one_foid_per_database);
	tcase_add_test(run, test_sighup_keeps_old_config_when_new_is_bad);
	tcase_add_test(run, test_logs_hold_no_secret);
	suite_add_tcase(s, run);
	return fixture_run(s);
}
