#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "imap.h"
#include "sandbox.h"

static struct sandbox *sb;

static void sb_up(void)
{
	sb = sandbox_start();
}

static void sb_down(void)
{
	sandbox_stop(sb);
	sb = NULL;
}

static struct config_server server(const char *host, int port, enum config_security sec,
                                   const char *user)
{
	struct config_server s = {
		.host = (char *)host, .port = port, .security = sec,
		.username = (char *)user, .password = sb ? sb->password : "x",
		.ca_file = sb ? sb->ca : NULL, .timeout = 10,
	};
	return s;
}

static struct imap *login(const char *user)
{
	struct config_server s = server(sb->host, sb->imaps_port, SEC_TLS, user);
	struct imap *im = NULL;
	char *err = NULL;
	ck_assert_msg(imap_connect(&s, &im, NULL, &err) == 0, "%s", err);
	return im;
}

static struct imap *login_select(const char *user, const char *mailbox)
{
	struct imap *im = login(user);
	char *err = NULL;
	ck_assert_msg(imap_select(im, mailbox, NULL, NULL, NULL, &err) == 0, "%s", err);
	return im;
}

static char *message(const char *subject)
{
	return xasprintf("From: Council <foi@council.test>\r\nTo: <team@foid.test>\r\n"
	                 "Subject: %s\r\nMessage-ID: <%s@council.test>\r\n\r\n"
	                 "Dear requester,\r\nplease find our answer.\r\n", subject, subject);
}

static void append(const char *user, const char *mailbox, const char *raw,
                   const char *date)
{
	char *err = NULL;
	ck_assert_msg(sandbox_append(sb, user, mailbox, raw, strlen(raw), date, &err) == 0,
	              "%s", err);
}

/* Collects what imap_fetch_new hands over. */
struct got {
	uint32_t uid[128];
	int64_t date[128];
	char *raw[128];
	size_t n;
};

static int collect(const struct imap_msg *m, void *arg)
{
	struct got *g = arg;
	ck_assert_uint_lt(g->n, 128);
	g->uid[g->n] = m->uid;
	g->date[g->n] = m->internaldate;
	g->raw[g->n] = xstrndup(m->raw, m->size);
	ck_assert_uint_eq(m->size, strlen(g->raw[g->n]));
	ck_assert_int_eq(m->raw[m->size], '\0');
	g->n++;
	return 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->raw[i]);
}

/* Waits (bounded) for Dovecot to log the end of a connection to local
 * address lip and returns that line. */
static char *dovecot_disconnect_line(const char *lip)
{
	char *needle = xasprintf("lip=%s,", lip);
	char *path = xasprintf("%s", sandbox_get(sb, "SANDBOX_DOVECOT_LOG"));
	char *found = NULL;
	for (int tries = 0; tries < 500 && !found; tries++) {
		char *log = NULL;
		if (util_read_file(path, &log, NULL, NULL) == 0) {
			for (char *line = strtok(log, "\n"); line && !found;
			     line = strtok(NULL, "\n"))
				if (strstr(line, needle) && strstr(line, "Disconnected"))
					found = xstrdup(line);
			free(log);
		}
		if (!found)
			nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	ck_assert_msg(found, "Dovecot never logged a disconnect from %s", lip);
	free(needle);
	free(path);
	return found;
}

static void assert_refused(const char *host, int port, const char *reason,
                           enum health_cause want)
{
	struct config_server s = server(host, port, SEC_TLS, "tls@foid.test");
	struct imap *im = NULL;
	char *err = NULL;
	enum health_cause cause = HEALTH_NONE;
	ck_assert_int_eq(imap_connect(&s, &im, &cause, &err), FOID_EPERM);
	ck_assert_int_eq(cause, want);
	ck_assert_ptr_null(im);
	ck_assert_msg(strstr(err, reason), "%s", err);
	ck_assert_msg(strstr(err, host), "%s", err);
	char *line = dovecot_disconnect_line(host);
	ck_assert_msg(strstr(line, "no auth attempts"), "%s", line);
	free(line);
	free(err);
}

START_TEST(test_imaps_trusted_logs_in)
{
	struct imap *im = login("tls@foid.test");
	char *err = NULL;
	ck_assert_int_eq(imap_noop(im, &err), 0);
	ck_assert(imap_has_idle(im));
	imap_free(im);
}
END_TEST

START_TEST(test_starttls_verified_logs_in)
{
	struct config_server s = server("localhost", sb->imap_port, SEC_STARTTLS,
	                                "starttls@foid.test");
	struct imap *im = NULL;
	char *err = NULL;
	ck_assert_msg(imap_connect(&s, &im, NULL, &err) == 0, "%s", err);
	ck_assert_int_eq(imap_select(im, "INBOX", NULL, NULL, NULL, &err), 0);
	imap_free(im);
	/* After STARTTLS the certificate is verified too: without the test CA
	 * (system trust only) it is refused. */
	s.ca_file = NULL;
	ck_assert_int_eq(imap_connect(&s, &im, NULL, &err), FOID_EPERM);
	ck_assert_ptr_null(im);
	ck_assert_msg(strstr(err, "not trusted"), "%s", err);
	free(err);
}
END_TEST

START_TEST(test_selfsigned_refused)
{
	assert_refused(sb->imaps_selfsigned_host, sb->imaps_selfsigned_port,
	               "not trusted: signer not found", HEALTH_TLS_TRUST);
}
END_TEST

START_TEST(test_expired_refused)
{
	assert_refused(sb->imaps_expired_host, sb->imaps_expired_port,
	               "certificate expired", HEALTH_TLS_TRUST);
}
END_TEST

START_TEST(test_wrong_host_refused)
{
	assert_refused(sb->imaps_wronghost_host, sb->imaps_wronghost_port,
	               "host name mismatch", HEALTH_TLS_NAME);
}
END_TEST

START_TEST(test_plain_only_when_asked)
{
	struct config_server s = server(sb->host, sb->imap_port, SEC_PLAIN, "plain@foid.test");
	struct imap *im = NULL;
	char *err = NULL;
	ck_assert_msg(imap_connect(&s, &im, NULL, &err) == 0, "%s", err);
	imap_free(im);
	/* Implicit TLS against the plaintext port never falls back to plain. */
	s.security = SEC_TLS;
	ck_assert_int_lt(imap_connect(&s, &im, NULL, &err), 0);
	ck_assert_ptr_null(im);
	ck_assert_msg(strstr(err, "TLS"), "%s", err);
	free(err);
}
END_TEST

/* A fake server that greets, refuses STARTTLS and reports (exit status 1)
 * whether the client ever sent LOGIN. */
static pid_t fake_server(int *port)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(ls, 1), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid > 0) {
		close(ls);
		return pid;
	}
	int c = accept(ls, NULL, NULL);
	const char *greet = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n";
	int saw_login = 0;
	if (write(c, greet, strlen(greet)) < 0)
		_exit(2);
	char buf[1024];
	ssize_t n;
	while ((n = read(c, buf, sizeof buf - 1)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, "LOGIN"))
			saw_login = 1;
		char *sp = strchr(buf, ' ');
		char reply[1100];
		snprintf(reply, sizeof reply, "%.*s BAD not supported\r\n",
		         sp ? (int)(sp - buf) : 1, buf);
		if (write(c, reply, strlen(reply)) < 0)
			break;
	}
	_exit(saw_login);
}

START_TEST(test_starttls_refused_never_falls_back)
{
	int port;
	pid_t pid = fake_server(&port);
	struct config_server s = server("127.0.0.1", port, SEC_STARTTLS, "x@foid.test");
	struct imap *im = NULL;
	char *err = NULL;
	ck_assert_int_eq(imap_connect(&s, &im, NULL, &err), FOID_EPERM);
	ck_assert_msg(strstr(err, "STARTTLS"), "%s", err);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	free(err);
}
END_TEST

START_TEST(test_wrong_password_is_perm)
{
	struct config_server s = server(sb->host, sb->imaps_port, SEC_TLS, "pw@foid.test");
	s.password = "Sekr1t-wrong-Pa55";
	struct imap *im = NULL;
	char *err = NULL;
	enum health_cause cause = HEALTH_NONE;
	ck_assert_int_eq(imap_connect(&s, &im, &cause, &err), FOID_EPERM);
	ck_assert_int_eq(cause, HEALTH_LOGIN);
	ck_assert_ptr_null(im);
	ck_assert_msg(strstr(err, "LOGIN"), "%s", err);
	ck_assert_msg(!strstr(err, s.password), "%s", err);
	free(err);
}
END_TEST

START_TEST(test_select_returns_uidvalidity)
{
	char *msg = message("select");
	append("select@foid.test", "INBOX", msg, NULL);
	struct imap *im = login("select@foid.test");
	uint32_t validity = 0, next = 0, exists = 0;
	char *err = NULL;
	ck_assert_int_eq(imap_select(im, "INBOX", &validity, &next, &exists, &err), 0);
	char *status = sandbox_imap(sb, "select@foid.test", "INBOX",
	                            "STATUS INBOX (UIDVALIDITY)", &err);
	ck_assert_msg(status, "%s", err);
	char *want = xasprintf("UIDVALIDITY %u", validity);
	ck_assert_msg(strstr(status, want), "%s vs %s", status, want);
	ck_assert_uint_eq(exists, 1);
	ck_assert_uint_eq(next, 2);
	/* STATUS tells the same of a mailbox without selecting it. */
	uint32_t sv = 0, sn = 0;
	ck_assert_int_eq(imap_status(im, "INBOX", &sv, &sn, &err), 0);
	ck_assert_uint_eq(sv, validity);
	ck_assert_uint_eq(sn, next);
	ck_assert_str_eq(imap_selected(im), "INBOX");
	ck_assert_int_eq(imap_status(im, "NoSuchBox", &sv, &sn, &err), FOID_EPERM);
	/* Dovecot answers a bare NO (no [NONEXISTENT]) here; LIST shows the
	 * mailbox is missing. */
	ck_assert_int_eq(imap_select(im, "NoSuchBox", NULL, NULL, NULL, &err), FOID_ENOTFOUND);
	ck_assert_msg(strstr(err, "NoSuchBox"), "%s", err);
	ck_assert_int_eq(imap_select(im, "INBOX", NULL, NULL, NULL, &err), 0);
	free(want);
	free(status);
	free(msg);
	free(err);
	imap_free(im);
}
END_TEST

START_TEST(test_fetch_new_dates_and_bytes)
{
	char *a = message("fetch-a"), *b = message("fetch-b");
	append("fetch@foid.test", "INBOX", a, "04-Jul-2016 10:00:00 +0100");
	append("fetch@foid.test", "INBOX", b, "04-Jul-2016 10:00:00 -0530");
	struct imap *im = login_select("fetch@foid.test", "INBOX");
	struct got g = { .n = 0 };
	char *err = NULL;
	ck_assert_msg(imap_fetch_new(im, 0, collect, &g, &err) == 0, "%s", err);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_lt(g.uid[0], g.uid[1]);
	ck_assert_int_eq(g.date[0], 1467622800); /* 2016-07-04 09:00:00 UTC */
	ck_assert_int_eq(g.date[1], 1467646200); /* 2016-07-04 15:30:00 UTC */
	ck_assert_str_eq(g.raw[0], a);
	ck_assert_str_eq(g.raw[1], b);
	/* From the first UID on, only the second message is new. */
	struct got h = { .n = 0 };
	ck_assert_int_eq(imap_fetch_new(im, g.uid[0], collect, &h, &err), 0);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_uint_eq(h.uid[0], g.uid[1]);
	got_free(&g);
	got_free(&h);
	free(a);
	free(b);
	imap_free(im);
}
END_TEST

START_TEST(test_fetch_after_last_finds_nothing)
{
	char *a = message("last");
	append("last@foid.test", "INBOX", a, NULL);
	struct imap *im = login_select("last@foid.test", "INBOX");
	struct got g = { .n = 0 };
	char *err = NULL;
	ck_assert_int_eq(imap_fetch_new(im, 0, collect, &g, &err), 0);
	ck_assert_uint_eq(g.n, 1);
	/* "UID n:*" still matches the last message; it must be filtered out. */
	struct got h = { .n = 0 };
	ck_assert_int_eq(imap_fetch_new(im, g.uid[0], collect, &h, &err), 0);
	ck_assert_uint_eq(h.n, 0);
	ck_assert_int_eq(imap_fetch_new(im, g.uid[0] + 100, collect, &h, &err), 0);
	ck_assert_uint_eq(h.n, 0);
	got_free(&g);
	free(a);
	imap_free(im);
}
END_TEST

/* Selecting the selected mailbox again is a NOOP: news of mail delivered
 * meanwhile still arrives, and switching mailboxes still SELECTs. */
START_TEST(test_reselect_sees_new_mail)
{
	struct imap *im = login("resel@foid.test");
	uint32_t v1 = 0, v2 = 0;
	char *err = NULL;
	ck_assert_int_eq(imap_create(im, "Other", &err), 0);
	ck_assert_int_eq(imap_select(im, "INBOX", &v1, NULL, NULL, &err), 0);
	struct got g = { .n = 0 };
	ck_assert_int_eq(imap_fetch_new(im, 0, collect, &g, &err), 0);
	ck_assert_uint_eq(g.n, 0);
	char *a = message("resel");
	ck_assert_int_eq(imap_has_news(im), 0);
	append("resel@foid.test", "INBOX", a, NULL);
	ck_assert_int_eq(imap_select(im, "INBOX", &v2, NULL, NULL, &err), 0);
	ck_assert_uint_eq(v1, v2);
	/* The NOOP told of the new message; IDLE would not tell again. */
	ck_assert_int_eq(imap_has_news(im), 1);
	ck_assert_int_eq(imap_fetch_new(im, 0, collect, &g, &err), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_int_eq(imap_has_news(im), 0);
	char *b = message("resel-other");
	append("resel@foid.test", "Other", b, NULL);
	ck_assert_int_eq(imap_select(im, "Other", NULL, NULL, NULL, &err), 0);
	struct got h = { .n = 0 };
	ck_assert_int_eq(imap_fetch_new(im, 0, collect, &h, &err), 0);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_msg(strstr(h.raw[0], "Subject: resel-other"), "%s", h.raw[0]);
	got_free(&g);
	got_free(&h);
	free(a);
	free(b);
	imap_free(im);
}
END_TEST

START_TEST(test_fetch_spans_batches)
{
	struct imap *im = login_select("batch@foid.test", "INBOX");
	char *err = NULL;
	int total = IMAP_FETCH_BATCH + 7;
	for (int i = 0; i < total; i++) {
		char *subject = xasprintf("batch-%d", i);
		char *m = message(subject);
		ck_assert_msg(imap_append(im, "INBOX", m, strlen(m), NULL, &err) == 0, "%s", err);
		free(m);
		free(subject);
	}
	struct got g = { .n = 0 };
	ck_assert_msg(imap_fetch_new(im, 0, collect, &g, &err) == 0, "%s", err);
	ck_assert_uint_eq(g.n, (size_t)total);
	for (size_t i = 0; i < g.n; i++) {
		char *want = xasprintf("batch-%zu@", i);
		ck_assert_msg(strstr(g.raw[i], want), "message %zu out of order", i);
		free(want);
	}
	got_free(&g);
	imap_free(im);
}
END_TEST

static int stop_at_first(const struct imap_msg *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return FOID_EIO;
}

START_TEST(test_callback_error_stops_fetch)
{
	char *a = message("stop-a"), *b = message("stop-b");
	append("stop@foid.test", "INBOX", a, NULL);
	append("stop@foid.test", "INBOX", b, NULL);
	struct imap *im = login_select("stop@foid.test", "INBOX");
	int calls = 0;
	ck_assert_int_eq(imap_fetch_new(im, 0, stop_at_first, &calls, NULL), FOID_EIO);
	ck_assert_int_eq(calls, 1);
	free(a);
	free(b);
	imap_free(im);
}
END_TEST

START_TEST(test_keyword_visible)
{
	char *a = message("keyword");
	append("kw@foid.test", "INBOX", a, NULL);
	struct imap *im = login_select("kw@foid.test", "INBOX");
	char *err = NULL;
	struct got g = { .n = 0 };
	ck_assert_int_eq(imap_fetch_new(im, 0, collect, &g, &err), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_msg(imap_add_keyword(im, g.uid[0], "$FoidSeen", &err) == 0, "%s", err);
	char *cmd = xasprintf("UID FETCH %u FLAGS", g.uid[0]);
	char *flags = sandbox_imap(sb, "kw@foid.test", "INBOX", cmd, &err);
	ck_assert_msg(flags, "%s", err);
	ck_assert_msg(strstr(flags, "$FoidSeen"), "%s", flags);
	ck_assert_msg(!strstr(flags, "\\Seen"), "BODY.PEEK must not set \\Seen: %s", flags);
	uint32_t *uids = NULL;
	size_t n = 0;
	ck_assert_int_eq(imap_search_keyword(im, "$FoidSeen", &uids, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(uids[0], g.uid[0]);
	ck_assert_int_eq(imap_add_keyword(im, g.uid[0], "bad keyword", &err), FOID_EINVAL);
	free(uids);
	free(flags);
	free(cmd);
	free(err);
	got_free(&g);
	free(a);
	imap_free(im);
}
END_TEST

START_TEST(test_move_to_other_mailbox)
{
	char *a = message("move");
	append("move@foid.test", "INBOX", a, NULL);
	struct imap *im = login_select("move@foid.test", "INBOX");
	char *err = NULL;
	struct got g = { .n = 0 };
	ck_assert_int_eq(imap_fetch_new(im, 0, collect, &g, &err), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_msg(imap_move(im, g.uid[0], "FOI/Processed", &err) == 0, "%s", err);
	ck_assert_int_eq(sandbox_count(sb, "move@foid.test", "FOI/Processed", &err), 1);
	ck_assert_int_eq(sandbox_count(sb, "move@foid.test", "INBOX", &err), 0);
	char *moved = sandbox_fetch(sb, "move@foid.test", "FOI/Processed", 1, NULL, &err);
	ck_assert_msg(moved, "%s", err);
	ck_assert_str_eq(moved, a);
	free(moved);
	got_free(&g);
	free(a);
	imap_free(im);
}
END_TEST

START_TEST(test_search_message_id)
{
	char *a = message("search-a"), *b = message("search-b");
	append("search@foid.test", "INBOX", a, NULL);
	append("search@foid.test", "INBOX", b, NULL);
	struct imap *im = login_select("search@foid.test", "INBOX");
	char *err = NULL;
	uint32_t *uids = NULL;
	size_t n = 0;
	ck_assert_int_eq(imap_search_header(im, "Message-ID", "<search-b@council.test>",
	                                    &uids, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	struct got g = { .n = 0 };
	ck_assert_int_eq(imap_fetch_uids(im, uids, n, collect, &g, &err), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_str_eq(g.raw[0], b);
	free(uids);
	ck_assert_int_eq(imap_search_header(im, "Message-ID", "<nobody@council.test>",
	                                    &uids, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(uids);
	got_free(&g);
	free(a);
	free(b);
	imap_free(im);
}
END_TEST

START_TEST(test_append_creates_mailbox)
{
	char *a = message("append");
	struct imap *im = login("append@foid.test");
	char *err = NULL;
	ck_assert_msg(imap_append(im, "Sent", a, strlen(a), "\\Seen $FoidSent", &err) == 0,
	              "%s", err);
	ck_assert_int_eq(sandbox_count(sb, "append@foid.test", "Sent", &err), 1);
	char *got = sandbox_fetch(sb, "append@foid.test", "Sent", 1, NULL, &err);
	ck_assert_msg(got, "%s", err);
	ck_assert_str_eq(got, a);
	char *flags = sandbox_imap(sb, "append@foid.test", "Sent", "FETCH 1 FLAGS", &err);
	ck_assert_msg(flags && strstr(flags, "\\Seen") && strstr(flags, "$FoidSent"), "%s",
	              flags ? flags : err);
	ck_assert_int_eq(imap_append(im, "Sent", a, strlen(a), "\\Bogus", &err), FOID_EINVAL);
	ck_assert_int_eq(imap_create(im, "Sent", &err), 0);
	free(flags);
	free(got);
	free(err);
	free(a);
	imap_free(im);
}
END_TEST

static struct imap *idling(const char *user)
{
	struct imap *im = login_select(user, "INBOX");
	char *err = NULL;
	ck_assert_msg(imap_idle_start(im, &err) == 0, "%s", err);
	return im;
}

/* Waits for a change; the server may first send other untagged data. */
static void assert_wakes(struct imap *im)
{
	char *err = NULL;
	int r = imap_idle_wait(im, 20000, -1, &err);
	ck_assert_msg(r == 1, "idle_wait %d: %s", r, err ? err : "");
	ck_assert_msg(imap_idle_done(im, &err) == 0, "%s", err);
}

START_TEST(test_idle_wakes_on_append)
{
	struct imap *im = idling("idle1@foid.test");
	char *a = message("idle-append");
	append("idle1@foid.test", "INBOX", a, NULL);
	assert_wakes(im);
	struct got g = { .n = 0 };
	ck_assert_int_eq(imap_fetch_new(im, 0, collect, &g, NULL), 0);
	ck_assert_uint_eq(g.n, 1);
	got_free(&g);
	free(a);
	imap_free(im);
}
END_TEST

START_TEST(test_idle_wakes_on_smtp_delivery)
{
	struct imap *im = idling("idle2@foid.test");
	char *a = message("idle-smtp");
	char *err = NULL;
	ck_assert_msg(sandbox_send(sb, SANDBOX_SMTP_PLAIN, "foi@council.test",
	                           "idle2@foid.test", a, &err) == 0, "%s", err);
	assert_wakes(im);
	free(a);
	imap_free(im);
}
END_TEST

START_TEST(test_idle_times_out)
{
	struct imap *im = idling("idle3@foid.test");
	char *err = NULL;
	ck_assert_int_eq(imap_idle_wait(im, 200, -1, &err), 0);
	ck_assert_int_eq(imap_idle_done(im, &err), 0);
	ck_assert_int_eq(imap_noop(im, &err), 0);
	/* An empty mailbox answers "* SEARCH" with nothing. */
	struct got g = { .n = 0 };
	ck_assert_int_eq(imap_fetch_new(im, 0, collect, &g, &err), 0);
	ck_assert_uint_eq(g.n, 0);
	imap_free(im);
}
END_TEST

START_TEST(test_idle_extra_fd)
{
	struct imap *im = idling("idle4@foid.test");
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	char *err = NULL;
	ck_assert_int_eq(imap_idle_wait(im, 20000, p[0], &err), 2);
	ck_assert_int_eq(imap_idle_done(im, &err), 0);
	close(p[0]);
	close(p[1]);
	imap_free(im);
}
END_TEST

START_TEST(test_idle_server_stop_is_temp)
{
	struct sandbox *own = sandbox_start();
	struct config_server s = server(own->host, own->imaps_port, SEC_TLS, "bye@foid.test");
	s.password = own->password;
	s.ca_file = own->ca;
	struct imap *im = NULL;
	char *err = NULL;
	ck_assert_msg(imap_connect(&s, &im, NULL, &err) == 0, "%s", err);
	ck_assert_int_eq(imap_select(im, "INBOX", NULL, NULL, NULL, &err), 0);
	ck_assert_int_eq(imap_idle_start(im, &err), 0);
	sandbox_stop(own);
	int r = imap_idle_wait(im, 20000, -1, &err);
	ck_assert_msg(r == FOID_ETEMP, "idle_wait %d", r);
	ck_assert_int_eq(imap_idle_done(im, &err), FOID_ETEMP);
	free(err);
	imap_free(im);
}
END_TEST

START_TEST(test_silent_server_times_out)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(ls, 4), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&a, &len), 0);
	struct config_server s = server("127.0.0.1", ntohs(a.sin_port), SEC_PLAIN, "x@foid.test");
	s.timeout = 1;
	struct imap *im = NULL;
	char *err = NULL;
	ck_assert_int_eq(imap_connect(&s, &im, NULL, &err), FOID_ETEMP);
	ck_assert_msg(strstr(err, "timed out"), "%s", err);
	s.security = SEC_TLS;
	ck_assert_int_eq(imap_connect(&s, &im, NULL, &err), FOID_ETEMP);
	ck_assert_msg(strstr(err, "timed out"), "%s", err);
	close(ls);
	free(err);
}
END_TEST

START_TEST(test_refused_connection_is_temp)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&a, &len), 0);
	/* Bound but not listening: the port refuses connections. */
	struct config_server s = server("127.0.0.1", ntohs(a.sin_port), SEC_TLS, "x@foid.test");
	struct imap *im = NULL;
	char *err = NULL;
	enum health_cause cause = HEALTH_NONE;
	ck_assert_int_eq(imap_connect(&s, &im, &cause, &err), FOID_ETEMP);
	ck_assert_int_eq(cause, HEALTH_TEMP);
	ck_assert_msg(strstr(err, "cannot connect"), "%s", err);
	close(ls);
	free(err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("imap");
	TCase *tc = tcase_create("imap");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, sb_up, sb_down);
	tcase_add_test(tc, test_imaps_trusted_logs_in);
	tcase_add_test(tc, test_starttls_verified_logs_in);
	tcase_add_test(tc, test_selfsigned_refused);
	tcase_add_test(tc, test_expired_refused);
	tcase_add_test(tc, test_wrong_host_refused);
	tcase_add_test(tc, test_plain_only_when_asked);
	tcase_add_test(tc, test_starttls_refused_never_falls_back);
	tcase_add_test(tc, test_wrong_password_is_perm);
	tcase_add_test(tc, test_select_returns_uidvalidity);
	tcase_add_test(tc, test_fetch_new_dates_and_bytes);
	tcase_add_test(tc, test_fetch_after_last_finds_nothing);
	tcase_add_test(tc, test_reselect_sees_new_mail);
	tcase_add_test(tc, test_fetch_spans_batches);
	tcase_add_test(tc, test_callback_error_stops_fetch);
	tcase_add_test(tc, test_keyword_visible);
	tcase_add_test(tc, test_move_to_other_mailbox);
	tcase_add_test(tc, test_search_message_id);
	tcase_add_test(tc, test_append_creates_mailbox);
	tcase_add_test(tc, test_idle_wakes_on_append);
	tcase_add_test(tc, test_idle_wakes_on_smtp_delivery);
	tcase_add_test(tc, test_idle_times_out);
	tcase_add_test(tc, test_idle_extra_fd);
	tcase_add_test(tc, test_idle_server_stop_is_temp);
	tcase_add_test(tc, test_silent_server_times_out);
	tcase_add_test(tc, test_refused_connection_is_temp);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
