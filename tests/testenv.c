#include "testenv.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bodies.h"
#include "sandbox.h"
#include "util.h"

struct testenv *testenv_new(const struct testenv_opts *opts)
{
	struct testenv_opts none = { 0 };
	if (!opts)
		opts = &none;
	struct testenv *te = xcalloc(1, sizeof *te);
	te->fx = fixture_new();
	char *pw = NULL;
	if (opts->password)
		pw = fixture_write(te->fx, "password", opts->password);
	const char *team = opts->team ? opts->team : "research@uni.test";
	char *auth = pw ? xasprintf("username = \"%s\"; password_file = \"%s\";",
	                            team, pw) : xstrdup("");
	char *src = realpath(opts->srcdir ? opts->srcdir : fixture_srcdir(), NULL);
	ck_assert_ptr_nonnull(src);
	char *text = xasprintf(
		"database = \"foid.db\";\n"
		"data_dir = \"%s/data\";\n"
		"templates_dir = \"%s/templates\";\n"
		"team = { name = \"Jane Researcher\"; address = \"%s\"; %s };\n"
		"smtp = { host = \"127.0.0.1\"; port = %d; security = \"plain\";\n"
		"  timeout = 10; %s };\n"
		"imap = { host = \"%s\"; port = %d; security = \"%s\"; %s\n"
		"  timeout = 10; %s };\n"
		"%s\n",
		src, src, team, opts->team_extra ? opts->team_extra : "",
		opts->smtp_port ? opts->smtp_port : 9,
		opts->smtp_extra ? opts->smtp_extra
		                 : "rate_per_minute = 100000; rate_per_domain = 100000;",
		opts->imap_host ? opts->imap_host : "127.0.0.1",
		opts->imap_port ? opts->imap_port : 9,
		opts->imap_security ? opts->imap_security : "plain", auth,
		opts->imap_extra ? opts->imap_extra : "",
		opts->extra ? opts->extra : "");
	te->conf_path = fixture_write(te->fx, "foid.conf", text);
	char *err = NULL;
	ck_assert_msg(config_load(&te->cfg, te->conf_path, 1, &err) == 0, "%s", err);
	ck_assert_msg(store_open(&te->st, te->cfg->database, &err) == 0, "%s", err);
	free(text);
	free(src);
	free(auth);
	free(pw);
	return te;
}

void testenv_free(struct testenv *te)
{
	if (!te)
		return;
	store_close(te->st);
	config_free(te->cfg);
	free(te->conf_path);
	fixture_free(te->fx);
	free(te);
}

void testenv_bodies(struct testenv *te, const char *csv)
{
	char *path = csv ? fixture_write(te->fx, "bodies.csv", csv)
	                 : xasprintf("%s/data/bodies-england-2016.csv", fixture_srcdir());
	struct bodies_report rep = BODIES_REPORT_INIT;
	char *err = NULL;
	int rc = bodies_import(te->st, path, 0, &rep, &err);
	ck_assert_msg(rc == 0, "%s %s", err ? err : "",
	              rep.errors.n ? rep.errors.v[0] : "");
	bodies_report_free(&rep);
	free(err);
	free(path);
}

int testenv_run(struct testenv *te, const char *prog, char **out, char **err,
                ...)
{
	struct strv argv = STRV_INIT;
	/* make check-valgrind: foid under memcheck; any error or leak fails. */
	if (getenv("FOID_VALGRIND") && strcmp(prog, "foid") == 0) {
		setenv("FOID_NO_JIT", "1", 1);
		strv_push(&argv, "/usr/bin/valgrind");
		strv_push(&argv, "--quiet");
		strv_push_owned(&argv, xasprintf("--suppressions=%s/tests/valgrind.supp",
		                                 fixture_srcdir()));
		strv_push(&argv, "--leak-check=full");
		strv_push(&argv, "--show-leak-kinds=definite,indirect");
		strv_push(&argv, "--errors-for-leak-kinds=definite,indirect");
		strv_push(&argv, "--error-exitcode=99");
	}
	strv_push_owned(&argv, fixture_bin(prog));
	strv_push(&argv, "-c");
	strv_push(&argv, te->conf_path);
	va_list ap;
	va_start(ap, err);
	for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
		strv_push(&argv, a);
	va_end(ap);
	int rc = fixture_exec(te->fx, argv.v, NULL, out, err);
	strv_free(&argv);
	return rc;
}

struct testenv *testenv_clock(const struct sandbox *sb)
{
	setenv("TZ", "UTC", 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = sb->imap_port;
	o.password = sb->password;
	o.team_extra = "digest_address = \"digest@uni.test\"; digest_time = \"08:00\";";
	return testenv_new(&o);
}

void testenv_at(struct testenv *te, const char *when, char **out, const char *prog,
                ...)
{
	struct strv argv = STRV_INIT;
	strv_push(&argv, "/usr/bin/faketime");
	strv_push(&argv, "-f");
	strv_push_owned(&argv, xasprintf("@%s", when));
	strv_push_owned(&argv, fixture_bin(prog));
	strv_push(&argv, "-c");
	strv_push(&argv, te->conf_path);
	va_list ap;
	va_start(ap, prog);
	for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
		strv_push(&argv, a);
	va_end(ap);
	char *err = NULL, *o = NULL;
	int rc = fixture_exec(te->fx, argv.v, NULL, &o, &err);
	ck_assert_msg(rc == 0, "%s at %s exited %d: %s", prog, when, rc, err);
	if (out)
		*out = o;
	else
		free(o);
	free(err);
	strv_free(&argv);
}

int64_t testenv_int(struct testenv *te, const char *sql)
{
	int64_t v = 0;
	char *err = NULL;
	ck_assert_msg(store_query_int(te->st, &err, &v, sql, NULL) == 0, "%s: %s",
	              sql, err ? err : "no row");
	return v;
}

int64_t testenv_wait_int(struct testenv *te, const char *sql, int64_t want,
                         int timeout_s)
{
	struct timespec t0, now, pause = { 0, 20 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int64_t v = testenv_int(te, sql);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (v >= want || now.tv_sec - t0.tv_sec >= timeout_s)
			return v;
		nanosleep(&pause, NULL);
	}
}

int testenv_start_foid(struct testenv *te)
{
	char *bin = fixture_bin("foid");
	char *log = fixture_path(te->fx, "foid.log");
	char *argv[] = { bin, "-v", "-c", te->conf_path, NULL };
	int pid = fixture_spawn(argv, log);
	free(bin);
	free(log);
	return pid;
}

void testenv_base64(struct buf *b, const void *data, size_t len)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	for (size_t j = 0; j < len; j += 3) {
		unsigned v = (unsigned)p[j] << 16 | (j + 1 < len ? (unsigned)p[j + 1] << 8 : 0) |
		             (j + 2 < len ? p[j + 2] : 0);
		buf_addc(b, set[v >> 18 & 63]);
		buf_addc(b, set[v >> 12 & 63]);
		buf_addc(b, j + 1 < len ? set[v >> 6 & 63] : '=');
		buf_addc(b, j + 2 < len ? set[v & 63] : '=');
		if (j % 57 == 54)
			buf_adds(b, "\r\n");
	}
	buf_adds(b, "\r\n");
}
