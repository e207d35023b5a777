/* OAuth2 sign-in end to end: foictl login against the test identity
 * provider (tests/idp.py), then foid logging in to the sandbox's Dovecot
 * (IMAP, and its submission service for SMTP) with bearer tokens that
 * Dovecot's oauth2 passdb validates itself. */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deadline.h"
#include "digest.h"
#include "sandbox.h"
#include "testenv.h"

static struct sandbox *sb;
static void sb_up(void) { sb = sandbox_start(); }
static void sb_down(void) { sandbox_stop(sb); }

#define TEAM "oauth@foid.test"

/* ---- the identity provider ---- */

struct idp {
	int pid;
	int port;
	char *base;    /* "http://127.0.0.1:PORT" */
	char *log;
};

static int64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls for a condition, for up to timeout_s: a wait for something another
 * process does, never a stand-in for it. */
static void tick(void)
{
	struct timespec ts = { 0, 20 * 1000000 };
	nanosleep(&ts, NULL);
}

static struct idp *idp_start(struct fixture *fx)
{
	struct idp *p = xcalloc(1, sizeof *p);
	char *script = xasprintf("%s/tests/idp.py", fixture_srcdir());
	char *portfile = fixture_path(fx, "idp.port");
	p->log = fixture_path(fx, "idp.log");
	char *argv[] = { "/usr/bin/python3", script, "--key",
		         (char *)sandbox_get(sb, "SANDBOX_OAUTH2_KEY"), "--issuer",
		         (char *)sandbox_get(sb, "SANDBOX_OAUTH2_ISSUER"), "--port-file",
		         portfile, NULL };
	p->pid = fixture_spawn(argv, p->log);
	int64_t until = ms_now() + 20000;
	char *text = NULL;
	while (util_read_file(portfile, &text, NULL, NULL) != 0) {
		ck_assert_msg(ms_now() < until, "idp.py did not start; see %s", p->log);
		tick();
	}
	p->port = atoi(text);
	p->base = xasprintf("http://127.0.0.1:%d", p->port);
	free(text);
	free(script);
	free(portfile);
	return p;
}

static void idp_stop(struct idp *p)
{
	if (!p)
		return;
	fixture_stop(p->pid, SIGTERM);
	free(p->base);
	free(p->log);
	free(p);
}

static size_t body_cb(char *d, size_t size, size_t n, void *arg)
{
	buf_add(arg, d, size * n);
	return size * n;
}

/* GET (form NULL) or POST to the IdP; returns the body; follow: follow
 * redirects (the browser's part in the loopback flow). */
static char *http(const char *url, const char *form, int follow, long *status)
{
	CURL *c = curl_easy_init();
	struct buf b = BUF_INIT;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, (long)follow);
	if (form)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	CURLcode rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s: %s", url, curl_easy_strerror(rc));
	if (status)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	buf_addc(&b, '\0');
	return buf_detach(&b);
}

static void idp_control(struct idp *p, const char *what, const char *form)
{
	char *url = xasprintf("%s/control/%s", p->base, what);
	long status = 0;
	free(http(url, form ? form : "", 0, &status));
	ck_assert_int_eq(status, 200);
	free(url);
}

static int64_t idp_stat(struct idp *p, const char *key)
{
	char *url = xasprintf("%s/control/stats", p->base);
	char *body = http(url, NULL, 0, NULL);
	json_t *j = json_loads(body, 0, NULL);
	ck_assert_ptr_nonnull(j);
	int64_t v = json_integer_value(json_object_get(j, key));
	json_decref(j);
	free(body);
	free(url);
	return v;
}

/* ---- foid set up for OAuth2 ---- */

static char *oauth_keys(struct idp *p, const char *flow, const char *auth)
{
	return xasprintf("auth = \"%s\"; username = \"" TEAM "\"; client_id = \"foid-test\";"
	                 " token_url = \"%s/token\"; device_url = \"%s/device_authorization\";"
	                 " authorize_url = \"%s/authorize\"; scope = \"mail offline_access\";"
	                 " flow = \"%s\";", auth, p->base, p->base, p->base, flow);
}

/* Both servers by OAuth2 from token files, SMTP through Dovecot's
 * submission service; imap_auth: IMAP's mechanism setting. */
static struct testenv *oauth_env_team(struct idp *p, const char *flow, const char *imap_auth,
                                      const char *team_extra)
{
	struct testenv_opts o = { 0 };
	o.team_extra = team_extra;
	o.smtp_port = sb->submission_port;
	o.imap_port = sb->imap_port;
	o.team = TEAM;
	char *keys = oauth_keys(p, flow, "oauth2");
	char *smtp = xasprintf("%s rate_per_minute = 100000; rate_per_domain = 100000;", keys);
	char *imap = oauth_keys(p, flow, imap_auth ? imap_auth : "oauth2");
	o.smtp_extra = smtp;
	o.imap_extra = imap;
	struct testenv *te = testenv_new(&o);
	free(keys);
	free(smtp);
	free(imap);
	return te;
}

static struct testenv *oauth_env(struct idp *p, const char *flow, const char *imap_auth)
{
	return oauth_env_team(p, flow, imap_auth, NULL);
}

/* A config with both servers given a token_command. */
static struct testenv *command_env(const char *command)
{
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->submission_port;
	o.imap_port = sb->imap_port;
	o.team = TEAM;
	/* SMTP by XOAUTH2, as the microsoft365 preset says (AUTH= to libcurl). */
	char *smtp = xasprintf("username = \"" TEAM "\"; token_command = \"%s\";"
	                       " auth = \"xoauth2\";"
	                       " rate_per_minute = 100000; rate_per_domain = 100000;", command);
	char *imap = xasprintf("username = \"" TEAM "\"; token_command = \"%s\";", command);
	o.smtp_extra = smtp;
	o.imap_extra = imap;
	struct testenv *te = testenv_new(&o);
	free(smtp);
	free(imap);
	return te;
}

/* A token_command that notes each run in count and prints a token the
 * IdP mints. */
static char *mint_command(struct fixture *fx, struct idp *p, const char *count)
{
	char *text = xasprintf("echo run >> '%s'\n"
	                       "exec python3 -c 'import sys, urllib.request; sys.stdout.write("
	                       "urllib.request.urlopen(sys.argv[1]).read().decode())' "
	                       "'%s/control/mint?user=" TEAM "'\n", count, p->base);
	char *script = fixture_write(fx, "mint.sh", text);
	char *cmd = xasprintf("sh %s", script);
	free(script);
	free(text);
	return cmd;
}

/* Runs foictl login SERVER in the background, as a person would. */
static int login_spawn(struct testenv *te, const char *server, char **log)
{
	*log = fixture_path(te->fx, server);
	char *bin = fixture_bin("foictl");
	char *argv[] = { bin, "-c", te->conf_path, "login", (char *)server, "--wait", "60", NULL };
	int pid = fixture_spawn(argv, *log);
	free(bin);
	return pid;
}

/* Waits until the file at path holds needle; returns its text. */
static char *wait_text(const char *path, const char *needle, int timeout_s)
{
	int64_t until = ms_now() + timeout_s * 1000;
	for (;;) {
		char *text = NULL;
		if (util_read_file(path, &text, NULL, NULL) == 0 && strstr(text, needle))
			return text;
		free(text);
		ck_assert_msg(ms_now() < until, "no \"%s\" in %s", needle, path);
		tick();
	}
}

static int wait_exit(int pid)
{
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* foictl login SERVER by the device flow, approved at the IdP as a person
 * in a browser would. */
static void device_login(struct testenv *te, struct idp *p, const char *server)
{
	char *log = NULL;
	int pid = login_spawn(te, server, &log);
	char *text = wait_text(log, "enter the code ", 30);
	const char *code = strstr(text, "enter the code ") + strlen("enter the code ");
	char *uc = xstrndup(code, strcspn(code, "\r\n"));
	ck_assert_msg(strstr(text, p->base), "the address to visit is shown: %s", text);
	char *form = xasprintf("user_code=%s&user=" TEAM, uc);
	idp_control(p, "approve", form);
	ck_assert_int_eq(wait_exit(pid), 0);
	free(text);
	text = wait_text(log, "Signed in", 1);
	free(text);
	free(form);
	free(uc);
	free(log);
}

static char *token_path(struct testenv *te, const char *server)
{
	char *name = xasprintf("token-%s.json", server);
	char *path = fixture_path(te->fx, name);
	free(name);
	return path;
}

/* One body, a round launched and sent; then its reply in the inbox. */
static void round_launched(struct testenv *te)
{
	testenv_bodies(te, "name,short_name,email\nCumbria County Council,cumbria,"
	                   "foi@cumbria.council.test\n");
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "create", "r",
	                             "--kind", "foi", "--template", "foi-request.txt", NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "launch", "r", NULL), 0);
	free(out);
	free(err);
}

static void reply_arrives(const char *id)
{
	char *raw = xasprintf("From: FOI Officer <foi@cumbria.council.test>\r\n"
	                      "To: " TEAM "\r\n"
	                      "Subject: RE: Freedom of Information request\r\n"
	                      "Message-ID: <%s@cumbria.council.test>\r\n"
	                      "Date: Mon, 1 Aug 2016 09:00:00 +0100\r\n"
	                      "\r\nPlease find our response below.\r\n", id);
	char *err = NULL;
	ck_assert_msg(sandbox_append(sb, TEAM, "INBOX", raw, strlen(raw), NULL, &err) == 0,
	              "%s", err);
	free(raw);
}

static int64_t filed(struct testenv *te, const char *id)
{
	char *sql = xasprintf("SELECT count(*) FROM messages WHERE direction = 'in'"
	                      " AND message_id = '%s@cumbria.council.test'", id);
	int64_t n = testenv_int(te, sql);
	free(sql);
	return n;
}

/* The secrets of a token file, none of which may be in text. */
static void assert_no_tokens(struct testenv *te, const char *text)
{
	static const char *const servers[] = { "imap", "smtp" };
	for (size_t i = 0; i < 2; i++) {
		char *path = token_path(te, servers[i]);
		char *file = NULL;
		if (util_read_file(path, &file, NULL, NULL) == 0) {
			json_t *j = json_loads(file, 0, NULL);
			ck_assert_ptr_nonnull(j);
			const char *at = json_string_value(json_object_get(j, "access_token"));
			const char *rt = json_string_value(json_object_get(j, "refresh_token"));
			ck_assert_ptr_nonnull(rt);
			ck_assert_msg(!strstr(text, rt), "refresh token in: %s", text);
			ck_assert_msg(!at || !strstr(text, at), "access token in: %s", text);
			/* Any JWT at all: its header's base64 begins so. */
			ck_assert_msg(!strstr(text, "eyJ"), "a JWT in: %s", text);
			json_decref(j);
		}
		free(file);
		free(path);
	}
}

START_TEST(test_device_login_then_round_sent_and_filed)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	struct testenv *te = oauth_env(p, "device", NULL);
	device_login(te, p, "imap");
	device_login(te, p, "smtp");
	char *path = token_path(te, "imap");
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	free(path);
	round_launched(te);
	char *out = NULL, *err = NULL;
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'out'"
	                                 " AND send_state = 'sent'"), 1);
	assert_no_tokens(te, err);
	free(out);
	free(err);
	reply_arrives("dev-1");
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	ck_assert_int_eq(filed(te, "dev-1"), 1);
	assert_no_tokens(te, err);
	free(out);
	free(err);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

/* The device flow's standard answers: pending first, then slow_down (the
 * client waits 5 s longer), then the approval. */
START_TEST(test_device_login_slow_down_then_approved)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	struct testenv *te = oauth_env(p, "device", NULL);
	idp_control(p, "slow_down", NULL);
	device_login(te, p, "imap");
	ck_assert_int_ge(idp_stat(p, "device_polls"), 2);
	ck_assert_int_eq(idp_stat(p, "access_tokens"), 1);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

START_TEST(test_device_login_expired_code_fails)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	struct testenv *te = oauth_env(p, "device", NULL);
	char *log = NULL;
	int pid = login_spawn(te, "imap", &log);
	char *text = wait_text(log, "enter the code ", 30);
	const char *code = strstr(text, "enter the code ") + strlen("enter the code ");
	char *uc = xstrndup(code, strcspn(code, "\r\n"));
	char *form = xasprintf("user_code=%s", uc);
	idp_control(p, "expire", form);
	ck_assert_int_eq(wait_exit(pid), 77);
	free(text);
	text = wait_text(log, "expired", 1);
	ck_assert_msg(strstr(text, "foictl login imap"), "%s", text);
	char *path = token_path(te, "imap");
	ck_assert_int_ne(access(path, F_OK), 0);
	free(path);
	free(text);
	free(form);
	free(uc);
	free(log);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

/* The loopback flow, the IdP playing Google: the address foictl prints is
 * opened (here by libcurl, following the redirect to foictl's listener),
 * and the code is exchanged with the PKCE verifier. */
START_TEST(test_loopback_login_with_pkce)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	struct testenv *te = oauth_env(p, "loopback", NULL);
	char *log = NULL;
	int pid = login_spawn(te, "imap", &log);
	char *prefix = xasprintf("%s/authorize?", p->base);
	char *text = wait_text(log, prefix, 30);
	const char *u = strstr(text, prefix);
	char *url = xstrndup(u, strcspn(u, "\r\n"));
	ck_assert_msg(strstr(url, "code_challenge_method=S256"), "%s", url);
	long status = 0;
	char *page = http(url, NULL, 1, &status);
	ck_assert_int_eq(status, 200);
	ck_assert_msg(strstr(page, "signed in"), "%s", page);
	ck_assert_int_eq(wait_exit(pid), 0);
	ck_assert_int_eq(idp_stat(p, "authorization_codes"), 1);
	/* The stored sign-in works: foid logs in to IMAP with it. */
	reply_arrives("loop-1");
	char *out = NULL, *err = NULL;
	testenv_bodies(te, "name,short_name,email\nCumbria County Council,cumbria,"
	                   "foi@cumbria.council.test\n");
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	ck_assert_int_ge(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'in'"),
	                 1);
	free(out);
	free(err);
	free(page);
	free(url);
	free(text);
	free(prefix);
	free(log);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

/* An access token the server refuses though it has not expired by our
 * clock (revoked, or a clock off): a fresh one is fetched with the refresh
 * token and the login tried once more, for both servers (IMAP by XOAUTH2
 * here, SMTP by OAUTHBEARER, libcurl's choice), with no error. */
START_TEST(test_refused_token_refreshed_and_retried)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	struct testenv *te = oauth_env(p, "device", "xoauth2");
	idp_control(p, "lifetime", "seconds=-60");
	device_login(te, p, "imap");
	device_login(te, p, "smtp");
	idp_control(p, "lifetime", "seconds=3600");
	round_launched(te);
	char *out = NULL, *err = NULL;
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'out'"
	                                 " AND send_state = 'sent'"), 1);
	ck_assert_int_eq(idp_stat(p, "refreshes"), 2);
	ck_assert_msg(!strstr(err, "level=error"), "%s", err);
	ck_assert_msg(strstr(err, "event=imap.token_refused mech=XOAUTH2"), "%s", err);
	ck_assert_msg(strstr(err, "event=smtp.token_refused"), "%s", err);
	assert_no_tokens(te, err);
	/* The refresh tokens rotated and the new ones were kept: the old ones
	 * are dead at the IdP, and the next run works without a refresh. */
	free(out);
	free(err);
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	ck_assert_int_eq(idp_stat(p, "refreshes"), 2);
	free(out);
	free(err);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

/* The access token of a running foid expires (Dovecot checks exp itself);
 * the session then ends, as Exchange ends it: foid reconnects with a
 * refreshed token, and sends and files with nothing lost and no error. */
START_TEST(test_token_expires_while_running_then_refreshed)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	struct testenv *te = oauth_env(p, "device", NULL);
	idp_control(p, "lifetime", "seconds=4");
	device_login(te, p, "imap");
	device_login(te, p, "smtp");
	int pid = testenv_start_foid(te);
	char *log = fixture_path(te->fx, "foid.log");
	free(wait_text(log, "event=imap.idle.start", 30));
	/* Until the token foid logged in with has expired by the IdP's clock. */
	int64_t issued = util_now();
	while (util_now() < issued + 5)
		tick();
	char *conf = xasprintf("%s", sb->dovecot_conf);
	char *argv[] = { "/usr/bin/doveadm", "-c", conf, "kick", TEAM, NULL };
	ck_assert_int_eq(fixture_exec(fx, argv, NULL, NULL, NULL), 0);
	free(wait_text(log, "event=imap.reconnect", 30));
	round_launched(te);
	reply_arrives("exp-1");
	ck_assert_int_eq(testenv_wait_int(te, "SELECT count(*) FROM messages WHERE"
	                                      " direction = 'out' AND send_state = 'sent'", 1, 60), 1);
	ck_assert_int_eq(testenv_wait_int(te, "SELECT count(*) FROM messages WHERE"
	                                      " message_id = 'exp-1@cumbria.council.test'", 1, 60), 1);
	fixture_stop(pid, SIGTERM);
	ck_assert_int_ge(idp_stat(p, "refreshes"), 2);
	char *text = NULL;
	ck_assert_int_eq(util_read_file(log, &text, NULL, NULL), 0);
	ck_assert_msg(!strstr(text, "level=error") && !strstr(text, "event=imap.down"), "%s", text);
	ck_assert_msg(strstr(text, "event=oauth2.refreshed server=imap ok=1"), "%s", text);
	ck_assert_msg(strstr(text, "event=oauth2.refreshed server=smtp ok=1"), "%s", text);
	assert_no_tokens(te, text);
	free(text);
	free(conf);
	free(log);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

/* A refresh token revoked at the IdP: one line naming foictl login, in
 * the log and in foictl status, and foid --once fails (EX_NOPERM). */
START_TEST(test_revoked_refresh_token_is_clear_error)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	struct testenv *te = oauth_env_team(p, "device", NULL,
	                                    "digest_address = \"digest@uni.test\";");
	idp_control(p, "lifetime", "seconds=-60");
	device_login(te, p, "imap");
	idp_control(p, "revoke", NULL);
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foid", &out, &err, "--once", NULL), 77);
	const char *line = strstr(err, "event=imap.down");
	ck_assert_msg(line, "%s", err);
	char *l = xstrndup(line, strcspn(line, "\n"));
	ck_assert_msg(strstr(l, "invalid_grant") && strstr(l, "foictl login imap"), "%s", l);
	ck_assert_msg(strstr(err, "level=error"), "%s", err);
	assert_no_tokens(te, err);
	free(l);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "status", "--json", NULL), 0);
	json_t *doc = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	json_t *s = json_array_get(json_object_get(doc, "servers"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(s, "server")), "imap");
	ck_assert(json_is_true(json_object_get(s, "permanent")));
	ck_assert_msg(strstr(json_string_value(json_object_get(s, "fix")), "foictl login imap"),
	              "%s", out);
	json_decref(doc);
	free(out);
	free(err);
	/* The digest says it too (Monday 4 July 2016, 12:00 UTC: one is due). */
	struct holidays *h = NULL;
	char *dir = xasprintf("%s/data/holidays", fixture_srcdir());
	ck_assert_msg(holidays_load(dir, &h, &err) == 0, "%s", err);
	struct buf text = BUF_INIT;
	int queued = 0;
	ck_assert_msg(digest_pass(te->st, te->cfg, h, 1467633600, &queued, &text, &err) == 0,
	              "%s", err);
	ck_assert_msg(text.data && strstr(text.data, "IMAP failing since") &&
	              strstr(text.data, "invalid_grant") &&
	              strstr(text.data, "sign in again: foictl login imap"), "%s", text.data);
	buf_free(&text);
	holidays_free(h);
	free(dir);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

/* The service says a lapsed sign-in once, not at every retry, and keeps
 * retrying (a person may sign in meanwhile). */
START_TEST(test_revoked_refresh_token_one_line_in_service)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	struct testenv *te = oauth_env(p, "device", NULL);
	idp_control(p, "lifetime", "seconds=-60");
	device_login(te, p, "imap");
	idp_control(p, "revoke", NULL);
	int pid = testenv_start_foid(te);
	char *log = fixture_path(te->fx, "foid.log");
	/* Three attempts: the first, then after 1 s and 2 s of backoff. */
	int64_t until = ms_now() + 60000;
	char *text = NULL;
	for (;;) {
		free(text);
		text = NULL;
		util_read_file(log, &text, NULL, NULL);
		int n = 0;
		for (char *q = text; q && (q = strstr(q, "event=imap.down")); q++)
			n++;
		if (n >= 3)
			break;
		ck_assert_msg(ms_now() < until, "fewer than 3 attempts: %s", text);
		tick();
	}
	fixture_stop(pid, SIGTERM);
	int errors = 0;
	for (char *q = text; (q = strstr(q, "level=error event=imap.down")); q++)
		errors++;
	ck_assert_msg(errors == 1, "%d error lines: %s", errors, text);
	ck_assert_msg(strstr(text, "foictl login imap"), "%s", text);
	assert_no_tokens(te, text);
	free(text);
	free(log);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

/* A token_command that fails: its server cannot be used, and the line
 * names the setting; nothing is tried with an empty token. */
START_TEST(test_failing_token_command_is_error)
{
	struct testenv *te = command_env("echo oops >&2; exit 3");
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foid", &out, &err, "--once", NULL), 77);
	const char *line = strstr(err, "level=error event=imap.down");
	ck_assert_msg(line, "%s", err);
	char *l = xstrndup(line, strcspn(line, "\n"));
	ck_assert_msg(strstr(l, "imap.token_command") && strstr(l, "exited 3"), "%s", l);
	free(l);
	free(out);
	free(err);
	testenv_free(te);
}
END_TEST

START_TEST(test_token_file_readable_by_others_refused)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	struct testenv *te = oauth_env(p, "device", NULL);
	char *path = token_path(te, "imap");
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"refresh_token\":\"rt-x\"}\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0644), 0);
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foid", &out, &err, "--once", NULL), 78);
	ck_assert_msg(strstr(err, "chmod 600") && strstr(err, path), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "login", "imap", NULL), 78);
	ck_assert_msg(strstr(err, "chmod 600"), "%s", err);
	free(out);
	free(err);
	free(path);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

/* An existing helper prints the token: used for both servers, run before
 * every connection. */
START_TEST(test_token_command_for_both_servers)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	char *count = fixture_path(fx, "runs");
	char *cmd = mint_command(fx, p, count);
	struct testenv *te = command_env(cmd);
	round_launched(te);
	char *out = NULL, *err = NULL;
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'out'"
	                                 " AND send_state = 'sent'"), 1);
	ck_assert_msg(!strstr(err, "eyJ"), "%s", err);
	free(out);
	free(err);
	reply_arrives("cmd-1");
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	ck_assert_int_eq(filed(te, "cmd-1"), 1);
	free(out);
	free(err);
	char *runs = NULL;
	ck_assert_int_eq(util_read_file(count, &runs, NULL, NULL), 0);
	/* IMAP twice and SMTP once at least. */
	int n = 0;
	for (char *q = runs; (q = strstr(q, "run")); q += 3)
		n++;
	ck_assert_int_ge(n, 3);
	free(runs);
	free(cmd);
	free(count);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

/* The session ended during IDLE (doveadm kick, as Exchange does when the
 * access token expires): foid reconnects with a fresh token at once, with
 * no warning, and files what comes next. */
START_TEST(test_kick_during_idle_reconnects_quietly)
{
	struct fixture *fx = fixture_new();
	struct idp *p = idp_start(fx);
	char *count = fixture_path(fx, "runs");
	char *cmd = mint_command(fx, p, count);
	struct testenv *te = command_env(cmd);
	testenv_bodies(te, "name,short_name,email\nCumbria County Council,cumbria,"
	                   "foi@cumbria.council.test\n");
	int pid = testenv_start_foid(te);
	char *log = fixture_path(te->fx, "foid.log");
	free(wait_text(log, "event=imap.idle.start", 30));
	char *conf = xasprintf("%s", sb->dovecot_conf);
	char *argv[] = { "/usr/bin/doveadm", "-c", conf, "kick", TEAM, NULL };
	char *kout = NULL, *kerr = NULL;
	ck_assert_msg(fixture_exec(fx, argv, NULL, &kout, &kerr) == 0, "%s", kerr);
	char *text = wait_text(log, "event=imap.reconnect", 30);
	free(text);
	reply_arrives("kick-1");
	ck_assert_int_eq(testenv_wait_int(te, "SELECT count(*) FROM messages WHERE"
	                                      " message_id = 'kick-1@cumbria.council.test'",
	                                  1, 30), 1);
	fixture_stop(pid, SIGTERM);
	ck_assert_int_eq(util_read_file(log, &text, NULL, NULL), 0);
	ck_assert_msg(!strstr(text, "event=imap.down"), "%s", text);
	ck_assert_msg(!strstr(text, "eyJ"), "a token in the log: %s", text);
	free(text);
	char *runs = NULL;
	ck_assert_int_eq(util_read_file(count, &runs, NULL, NULL), 0);
	ck_assert_msg(strstr(strstr(runs, "run") + 3, "run"), "the command ran again: %s", runs);
	free(runs);
	free(kout);
	free(kerr);
	free(conf);
	free(log);
	free(cmd);
	free(count);
	testenv_free(te);
	idp_stop(p);
	fixture_free(fx);
}
END_TEST

/* ---- Exchange Online's IMAP, which keeps no custom keyword ---- */

struct fake {
	int pid;
	int port;
	char *mail;   /* its INBOX: one file per message */
	char *log;    /* every command it got */
};

static struct fake *fake_start(struct fixture *fx)
{
	struct fake *f = xcalloc(1, sizeof *f);
	char *script = xasprintf("%s/tests/exchange_imap.py", fixture_srcdir());
	char *portfile = fixture_path(fx, "exchange.port");
	f->mail = fixture_path(fx, "exchange-inbox");
	f->log = fixture_path(fx, "exchange.log");
	ck_assert_int_eq(mkdir(f->mail, 0700), 0);
	char *out = fixture_path(fx, "exchange.out");
	char *argv[] = { "/usr/bin/python3", script, "--mail", f->mail, "--port-file", portfile,
		         "--log", f->log, NULL };
	f->pid = fixture_spawn(argv, out);
	int64_t until = ms_now() + 20000;
	char *text = NULL;
	while (util_read_file(portfile, &text, NULL, NULL) != 0) {
		ck_assert_msg(ms_now() < until, "exchange_imap.py did not start; see %s", out);
		tick();
	}
	f->port = atoi(text);
	free(text);
	free(out);
	free(script);
	free(portfile);
	return f;
}

static void fake_stop(struct fake *f)
{
	fixture_stop(f->pid, SIGTERM);
	free(f->mail);
	free(f->log);
	free(f);
}

static void fake_mail(struct fake *f, const char *name, const char *from, const char *id)
{
	char *path = xasprintf("%s/%s", f->mail, name);
	char *raw = xasprintf("From: FOI Officer <%s>\r\nTo: " TEAM "\r\n"
	                      "Subject: RE: Freedom of Information request\r\n"
	                      "Message-ID: <%s>\r\nDate: Mon, 1 Aug 2016 09:00:00 +0100\r\n"
	                      "\r\nOur response is attached.\r\n", from, id);
	char *err = NULL;
	ck_assert_msg(util_write_file_atomic(path, raw, strlen(raw), 0600, &err) == 0, "%s", err);
	free(raw);
	free(path);
}

/* Lines of the fake's command log that start with verb. */
static int fake_count(struct fake *f, const char *verb)
{
	char *text = NULL;
	if (util_read_file(f->log, &text, NULL, NULL) != 0)
		return 0;
	int n = 0;
	size_t len = strlen(verb);
	for (char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0))
		if (strncmp(l, verb, len) == 0)
			n++;
	free(text);
	return n;
}

START_TEST(test_exchange_without_keywords_files_once_no_store)
{
	struct fixture *fx = fixture_new();
	struct fake *f = fake_start(fx);
	struct testenv_opts o = { 0 };
	o.smtp_port = sb->smtp_port;
	o.imap_port = f->port;
	o.team = TEAM;
	o.imap_extra = "username = \"" TEAM "\"; auth = \"xoauth2\"; token_command = \"echo t0k3n\";";
	struct testenv *te = testenv_new(&o);
	testenv_bodies(te, "name,short_name,email\nCumbria County Council,cumbria,"
	                   "foi@cumbria.council.test\nDevon County Council,devon,"
	                   "foi@devon.council.test\n");
	char *out = NULL, *err = NULL;
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "create", "r",
	                             "--kind", "foi", "--template", "foi-request.txt", NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_run(te, "foictl", &out, &err, "round", "launch", "r", NULL), 0);
	free(out);
	free(err);
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	free(out);
	free(err);
	fake_mail(f, "1", "foi@cumbria.council.test", "ex-1@cumbria.council.test");
	fake_mail(f, "2", "foi@devon.council.test", "ex-2@devon.council.test");
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	ck_assert_msg(!strstr(err, "level=warn") && !strstr(err, "level=error"), "%s", err);
	free(out);
	free(err);
	/* Another pass, and one with new mail: nothing filed twice, no STORE
	 * ever tried, no keyword searched, and only the new UID fetched. */
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	ck_assert_msg(!strstr(err, "level=warn") && !strstr(err, "level=error"), "%s", err);
	free(out);
	free(err);
	fake_mail(f, "3", "foi@cumbria.council.test", "ex-3@cumbria.council.test");
	ck_assert_msg(testenv_run(te, "foid", &out, &err, "--once", NULL) == 0, "%s", err);
	ck_assert_msg(!strstr(err, "level=warn") && !strstr(err, "level=error"), "%s", err);
	free(out);
	free(err);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'in'"), 3);
	ck_assert_int_eq(testenv_int(te, "SELECT count(*) FROM messages WHERE direction = 'in'"
	                                 " AND request_id IS NOT NULL AND message_id IN"
	                                 " ('ex-1@cumbria.council.test', 'ex-2@devon.council.test')"),
	                 2);
	ck_assert_int_eq(fake_count(f, "UID STORE"), 0);
	ck_assert_int_eq(fake_count(f, "UID SEARCH KEYWORD"), 0);
	ck_assert_int_eq(fake_count(f, "AUTHENTICATE XOAUTH2"), 4);
	ck_assert_int_eq(fake_count(f, "UID FETCH 1:2 "), 1);
	ck_assert_int_eq(fake_count(f, "UID FETCH 3 "), 1);
	ck_assert_int_eq(fake_count(f, "UID FETCH"), 2);
	testenv_free(te);
	fake_stop(f);
	fixture_free(fx);
}
END_TEST

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	Suite *s = suite_create("oauth2");
	TCase *tc = tcase_create("oauth2");
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_set_timeout(tc, 180);
	/* The good cases first: Dovecot delays each login after a failed one. */
	tcase_add_test(tc, test_device_login_then_round_sent_and_filed);
	tcase_add_test(tc, test_token_command_for_both_servers);
	tcase_add_test(tc, test_kick_during_idle_reconnects_quietly);
	tcase_add_test(tc, test_token_expires_while_running_then_refreshed);
	tcase_add_test(tc, test_loopback_login_with_pkce);
	tcase_add_test(tc, test_exchange_without_keywords_files_once_no_store);
	tcase_add_test(tc, test_device_login_slow_down_then_approved);
	tcase_add_test(tc, test_device_login_expired_code_fails);
	tcase_add_test(tc, test_token_file_readable_by_others_refused);
	tcase_add_test(tc, test_failing_token_command_is_error);
	tcase_add_test(tc, test_refused_token_refreshed_and_retried);
	tcase_add_test(tc, test_revoked_refresh_token_is_clear_error);
	tcase_add_test(tc, test_revoked_refresh_token_one_line_in_service);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
