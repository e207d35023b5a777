#include "sandbox.h"

#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

extern char **environ;

/* Runs scripts/sandbox.sh with args; returns its exit status (-1 when it
 * could not run) and its output, stdout and stderr together, in *out. */
static int sandbox_script(char *const args[], char **out)
{
	struct buf b = BUF_INIT;
	char *script = xasprintf("%s/scripts/sandbox.sh", fixture_srcdir());
	char *argv[8] = { "bash", script };
	int p[2], st = -1;
	pid_t pid;
	posix_spawn_file_actions_t fa;

	for (size_t i = 0; args[i] && i < 5; i++)
		argv[i + 2] = args[i];
	/* Close-on-exec: the servers must not inherit the write end, or
	 * reading to end of file would wait for them. */
	if (pipe2(p, O_CLOEXEC) < 0) {
		buf_adds(&b, strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	int rc = posix_spawnp(&pid, "bash", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc == 0) {
		char chunk[4096];
		ssize_t n;
		while ((n = read(p[0], chunk, sizeof chunk)) > 0 ||
		       (n < 0 && errno == EINTR))
			if (n > 0)
				buf_add(&b, chunk, (size_t)n);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		st = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	} else {
		buf_addf(&b, "cannot run bash: %s", strerror(rc));
	}
	close(p[0]);
out:
	free(script);
	*out = buf_detach(&b);
	return st;
}

static int sandbox_port(const struct sandbox *sb, const char *key)
{
	const char *v = sandbox_get(sb, key);
	ck_assert_msg(v != NULL, "sandbox.env lacks %s", key);
	return atoi(v);
}

static char *sandbox_str(const struct sandbox *sb, const char *key)
{
	const char *v = sandbox_get(sb, key);
	ck_assert_msg(v != NULL, "sandbox.env lacks %s", key);
	return xstrdup(v);
}

struct sandbox *sandbox_start(void)
{
	struct sandbox *sb = xcalloc(1, sizeof *sb);
	char *out = NULL, *env = NULL, *err = NULL;
	char owner[32];

	sb->fx = fixture_new();
	snprintf(owner, sizeof owner, "%ld", (long)getpid());
	char *args[] = { "start", sb->fx->dir, "--owner", owner, NULL };
	int st = sandbox_script(args, &out);
	ck_assert_msg(st == 0, "sandbox did not start (exit %d): %s", st, out);
	char *path = fixture_path(sb->fx, "sandbox.env");
	ck_assert_msg(util_read_file(path, &env, NULL, &err) == 0, "%s", err);
	for (char *line = strtok(env, "\n"); line; line = strtok(NULL, "\n"))
		if (strchr(line, '='))
			strv_push(&sb->env, line);
	sb->dir = sandbox_str(sb, "SANDBOX_DIR");
	sb->host = sandbox_str(sb, "SANDBOX_HOST");
	sb->smtp_port = sandbox_port(sb, "SANDBOX_SMTP_PORT");
	sb->submission_port = sandbox_port(sb, "SANDBOX_SUBMISSION_PORT");
	sb->smtps_port = sandbox_port(sb, "SANDBOX_SMTPS_PORT");
	sb->imap_port = sandbox_port(sb, "SANDBOX_IMAP_PORT");
	sb->imaps_port = sandbox_port(sb, "SANDBOX_IMAPS_PORT");
	sb->lmtp_port = sandbox_port(sb, "SANDBOX_LMTP_PORT");
	sb->imaps_selfsigned_host = sandbox_str(sb, "SANDBOX_IMAPS_SELFSIGNED_HOST");
	sb->imaps_selfsigned_port = sandbox_port(sb, "SANDBOX_IMAPS_SELFSIGNED_PORT");
	sb->imaps_expired_host = sandbox_str(sb, "SANDBOX_IMAPS_EXPIRED_HOST");
	sb->imaps_expired_port = sandbox_port(sb, "SANDBOX_IMAPS_EXPIRED_PORT");
	sb->imaps_wronghost_host = sandbox_str(sb, "SANDBOX_IMAPS_WRONGHOST_HOST");
	sb->imaps_wronghost_port = sandbox_port(sb, "SANDBOX_IMAPS_WRONGHOST_PORT");
	sb->ca = sandbox_str(sb, "SANDBOX_CA");
	sb->password = sandbox_str(sb, "SANDBOX_PASSWORD");
	sb->dovecot_conf = sandbox_str(sb, "SANDBOX_DOVECOT_CONF");
	free(path);
	free(env);
	free(out);
	return sb;
}

void sandbox_stop(struct sandbox *sb)
{
	char *out = NULL;

	if (!sb)
		return;
	char *args[] = { "stop", sb->fx->dir, NULL };
	int st = sandbox_script(args, &out);
	if (st != 0)
		fprintf(stderr, "sandbox stop (exit %d): %s\n", st, out);
	free(out);
	fixture_free(sb->fx);
	free(sb->dir);
	free(sb->host);
	free(sb->imaps_selfsigned_host);
	free(sb->imaps_expired_host);
	free(sb->imaps_wronghost_host);
	free(sb->ca);
	free(sb->password);
	free(sb->dovecot_conf);
	strv_free(&sb->env);
	free(sb);
}

const char *sandbox_get(const struct sandbox *sb, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < sb->env.n; i++)
		if (strncmp(sb->env.v[i], key, n) == 0 && sb->env.v[i][n] == '=')
			return sb->env.v[i] + n + 1;
	return NULL;
}

/* A minimal IMAP client over plaintext, enough to plant and count messages
 * independently of the code under test. */
struct sandbox_imapc {
	int fd;
	FILE *in;
	unsigned tag;
	char *line;
	size_t cap;
};

static int sandbox_readline(struct sandbox_imapc *c, char **errp)
{
	if (getline(&c->line, &c->cap, c->in) < 0)
		return err_set(errp, FOID_ETEMP, "imap: connection lost");
	c->line[strcspn(c->line, "\r\n")] = '\0';
	return 0;
}

static int sandbox_write(struct sandbox_imapc *c, const void *p, size_t n,
                         char **errp)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_set(errp, FOID_ETEMP, "imap: send: %s", strerror(errno));
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* An IMAP quoted string. */
static char *sandbox_quote(const char *s)
{
	struct buf b = BUF_INIT;

	buf_addc(&b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *s);
	}
	buf_addc(&b, '"');
	return buf_detach(&b);
}

/* Reads responses up to the tagged one; untagged lines go to *untagged when
 * it is not NULL.  A literal makes the caller's continuation "+" count as
 * success too, so that the caller can send the literal. */
static int sandbox_result(struct sandbox_imapc *c, struct buf *untagged,
                          int want_cont, char **errp)
{
	char tag[16];
	int rc;

	snprintf(tag, sizeof tag, "t%u ", c->tag);
	for (;;) {
		if ((rc = sandbox_readline(c, errp)) < 0)
			return rc;
		if (want_cont && c->line[0] == '+')
			return 0;
		if (strncmp(c->line, tag, strlen(tag)) == 0)
			break;
		if (untagged) {
			buf_adds(untagged, c->line);
			buf_addc(untagged, '\n');
		}
	}
	if (strncmp(c->line + strlen(tag), "OK", 2) == 0)
		return 0;
	return err_set(errp, FOID_EPERM, "imap: %s", c->line);
}

static int sandbox_cmd(struct sandbox_imapc *c, struct buf *untagged,
                       int want_cont, char **errp, const char *fmt, ...)
	FOID_PRINTF(5, 6);

static int sandbox_cmd(struct sandbox_imapc *c, struct buf *untagged,
                       int want_cont, char **errp, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	char *line = xasprintf("t%u %s\r\n", ++c->tag, cmd);
	rc = sandbox_write(c, line, strlen(line), errp);
	if (rc == 0)
		rc = sandbox_result(c, untagged, want_cont, errp);
	free(line);
	free(cmd);
	return rc;
}

static void sandbox_imapc_close(struct sandbox_imapc *c)
{
	if (c->in) {
		char *err = NULL;
		sandbox_cmd(c, NULL, 0, &err, "LOGOUT");
		free(err);
		fclose(c->in);
	} else if (c->fd >= 0) {
		close(c->fd);
	}
	free(c->line);
}

static int sandbox_imapc_open(struct sandbox *sb, struct sandbox_imapc *c,
                              const char *user, char **errp)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	/* A hung server fails the test instead of hanging it. */
	struct timeval tv = { .tv_sec = 10 };
	int rc;

	memset(c, 0, sizeof *c);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return err_set(errp, FOID_EIO, "imap: socket: %s", strerror(errno));
	sa.sin_port = htons((uint16_t)sb->imap_port);
	inet_pton(AF_INET, sb->host, &sa.sin_addr);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return err_set(errp, FOID_ETEMP, "imap: connect %s:%d: %s", sb->host,
		               sb->imap_port, strerror(errno));
	c->in = fdopen(c->fd, "r");
	if (!c->in)
		return err_set(errp, FOID_EIO, "imap: fdopen: %s", strerror(errno));
	if ((rc = sandbox_readline(c, errp)) < 0)
		return rc;
	if (strncmp(c->line, "* OK", 4) != 0)
		return err_set(errp, FOID_EPERM, "imap: greeting: %s", c->line);
	char *u = sandbox_quote(user), *p = sandbox_quote(sb->password);
	rc = sandbox_cmd(c, NULL, 0, errp, "LOGIN %s %s", u, p);
	free(u);
	free(p);
	return rc;
}

int sandbox_append(struct sandbox *sb, const char *user, const char *mailbox,
                   const char *raw, size_t len, const char *internaldate,
                   char **errp)
{
	struct sandbox_imapc c;
	char *mb = sandbox_quote(mailbox);
	char *date = internaldate ? sandbox_quote(internaldate) : xstrdup("");
	int rc;

	if ((rc = sandbox_imapc_open(sb, &c, user, errp)) < 0)
		goto out;
	if (strcasecmp(mailbox, "INBOX") != 0) {
		/* Failing because the mailbox exists is fine; APPEND decides. */
		char *ignored = NULL;
		sandbox_cmd(&c, NULL, 0, &ignored, "CREATE %s", mb);
		free(ignored);
	}
	rc = sandbox_cmd(&c, NULL, 1, errp, "APPEND %s %s%s{%zu}", mb, date,
	                 internaldate ? " " : "", len);
	if (rc < 0)
		goto out;
	if (c.line[0] != '+') {
		rc = err_set(errp, FOID_EPERM, "imap: APPEND without continuation: %s",
		             c.line);
		goto out;
	}
	if ((rc = sandbox_write(&c, raw, len, errp)) < 0 ||
	    (rc = sandbox_write(&c, "\r\n", 2, errp)) < 0)
		goto out;
	rc = sandbox_result(&c, NULL, 0, errp);
out:
	sandbox_imapc_close(&c);
	free(mb);
	free(date);
	return rc;
}

/* STATUS MESSAGES on an open connection. */
static int sandbox_status(struct sandbox_imapc *c, const char *mailbox,
                          char **errp)
{
	struct buf b = BUF_INIT;
	char *mb = sandbox_quote(mailbox), *err = NULL;
	int rc = sandbox_cmd(c, &b, 0, &err, "STATUS %s (MESSAGES)", mb);

	if (rc == FOID_EPERM && strstr(c->line, "[NONEXISTENT]")) {
		rc = 0;
	} else if (rc < 0) {
		err_set(errp, rc, "%s", err);
	} else {
		const char *m = b.data ? strstr(b.data, "MESSAGES ") : NULL;
		rc = m ? atoi(m + 9)
		       : err_set(errp, FOID_EPERM, "imap: no MESSAGES in STATUS reply");
	}
	free(err);
	free(mb);
	buf_free(&b);
	return rc;
}

int sandbox_count(struct sandbox *sb, const char *user, const char *mailbox,
                  char **errp)
{
	struct sandbox_imapc c;
	int rc = sandbox_imapc_open(sb, &c, user, errp);

	if (rc == 0)
		rc = sandbox_status(&c, mailbox, errp);
	sandbox_imapc_close(&c);
	return rc;
}

static double sandbox_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sandbox_wait_count(struct sandbox *sb, const char *user, const char *mailbox,
                       int n, int timeout_s, char **errp)
{
	struct sandbox_imapc c;
	const struct timespec poll = { .tv_nsec = 20 * 1000 * 1000 };
	double deadline = sandbox_now() + timeout_s;
	int rc = sandbox_imapc_open(sb, &c, user, errp);

	while (rc >= 0) {
		if ((rc = sandbox_status(&c, mailbox, errp)) < 0)
			break;
		if (rc >= n) {
			rc = 0;
			break;
		}
		if (sandbox_now() >= deadline) {
			rc = err_set(errp, FOID_ETEMP, "%s/%s holds %d messages, not %d, after %d s",
			             user, mailbox, rc, n, timeout_s);
			break;
		}
		nanosleep(&poll, NULL);
	}
	sandbox_imapc_close(&c);
	return rc;
}

static size_t sandbox_curl_write(char *p, size_t size, size_t n, void *data)
{
	buf_add(data, p, size * n);
	return size * n;
}

/* One libcurl IMAP transfer: the message at url, or with command the
 * command's untagged responses. */
static char *sandbox_curl_imap(struct sandbox *sb, const char *url,
                               const char *user, const char *command,
                               int tls, size_t *len, char **errp)
{
	struct buf b = BUF_INIT;
	char *out = NULL;
	CURL *h = curl_easy_init();

	if (!h) {
		err_set(errp, FOID_EIO, "curl_easy_init failed");
		return NULL;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERNAME, user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, sb->password);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sandbox_curl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	if (command)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, command);
	if (tls) {
		curl_easy_setopt(h, CURLOPT_CAINFO, sb->ca);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		err_set(errp, cc == CURLE_PEER_FAILED_VERIFICATION ? FOID_EPERM : FOID_ETEMP,
		        "%s: %s", url, curl_easy_strerror(cc));
		buf_free(&b);
	} else {
		if (len)
			*len = b.len;
		out = buf_detach(&b);
	}
	curl_easy_cleanup(h);
	return out;
}

static char *sandbox_url(const char *scheme, const char *host, int port,
                         const char *mailbox, int seq)
{
	char *mb = curl_easy_escape(NULL, mailbox, 0);
	char *url = seq > 0
		? xasprintf("%s://%s:%d/%s;MAILINDEX=%d", scheme, host, port, mb, seq)
		: xasprintf("%s://%s:%d/%s", scheme, host, port, mb);
	curl_free(mb);
	return url;
}

char *sandbox_fetch(struct sandbox *sb, const char *user, const char *mailbox,
                    int seq, size_t *len, char **errp)
{
	char *url = sandbox_url("imap", sb->host, sb->imap_port, mailbox, seq);
	char *msg = sandbox_curl_imap(sb, url, user, NULL, 0, len, errp);

	free(url);
	return msg;
}

char *sandbox_fetch_tls(struct sandbox *sb, const char *host, int port,
                        const char *user, const char *mailbox, int seq,
                        size_t *len, char **errp)
{
	char *url = sandbox_url("imaps", host, port, mailbox, seq);
	char *msg = sandbox_curl_imap(sb, url, user, NULL, 1, len, errp);

	free(url);
	return msg;
}

char *sandbox_imap(struct sandbox *sb, const char *user, const char *mailbox,
                   const char *command, char **errp)
{
	char *url = sandbox_url("imap", sb->host, sb->imap_port, mailbox, 0);
	char *out = sandbox_curl_imap(sb, url, user, command, 0, NULL, errp);

	free(url);
	return out;
}

struct sandbox_upload {
	const char *p;
	size_t left;
};

static size_t sandbox_curl_read(char *p, size_t size, size_t n, void *data)
{
	struct sandbox_upload *u = data;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(p, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

int sandbox_send(struct sandbox *sb, enum sandbox_smtp mode, const char *from,
                 const char *rcpt, const char *raw, char **errp)
{
	struct sandbox_upload up = { raw, strlen(raw) };
	struct curl_slist *to = curl_slist_append(NULL, rcpt);
	char *url, *f = xasprintf("<%s>", from);
	int rc = 0;
	CURL *h = curl_easy_init();

	if (!h || !to) {
		rc = err_set(errp, FOID_EIO, "curl initialisation failed");
		goto out;
	}
	if (mode == SANDBOX_SMTP_PLAIN)
		url = xasprintf("smtp://%s:%d", sb->host, sb->smtp_port);
	else if (mode == SANDBOX_SMTP_STARTTLS)
		url = xasprintf("smtp://%s:%d", sb->host, sb->submission_port);
	else
		url = xasprintf("smtps://%s:%d", sb->host, sb->smtps_port);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, f);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, sandbox_curl_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	if (mode != SANDBOX_SMTP_PLAIN) {
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		curl_easy_setopt(h, CURLOPT_CAINFO, sb->ca);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		curl_easy_setopt(h, CURLOPT_USERNAME, from);
		curl_easy_setopt(h, CURLOPT_PASSWORD, sb->password);
	}
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK)
		rc = err_set(errp, FOID_ETEMP, "%s: %s", url, curl_easy_strerror(cc));
	free(url);
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(to);
	free(f);
	return rc;
}
