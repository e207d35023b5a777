#include "smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "oauth2.h"
#include "util.h"

struct smtp {
	CURL *curl;
	char *url;
	char *where;            /* "host:port" for messages */
	char *username;
	char *password;
	char *ca_file;
	int security;
	int auth;               /* enum config_auth */
	struct oauth2 *oauth2;  /* where tokens come from; NULL for passwords */
	char *token;            /* the bearer token in use */
	long timeout;
	unsigned long connections;
	char errbuf[CURL_ERROR_SIZE];

	/* The message being uploaded. */
	const char *data;
	size_t len, off;

	/* What the debug callback saw during one attempt. */
	struct buf line;        /* partial input line */
	struct buf cur;         /* lines of the reply being read */
	int code;               /* reply to the last command sent; 0: none yet */
	char reply[512];
	int stage;
	int data_accepted;      /* DATA got its 354 */
	int quitting;           /* QUIT sent: later replies are not ours */
};

static void smtp_oom(void)
{
	fputs("foid: out of memory in libcurl\n", stderr);
	abort();
}

/* The options set here all exist in libcurl >= 7.85; only memory can fail. */
static void smtp_opt(CURLcode rc)
{
	if (rc == CURLE_OUT_OF_MEMORY)
		smtp_oom();
}

/* A reply line "NNN text" or "NNN" ends a reply; "NNN-text" continues it. */
static int smtp_line_code(const char *l, size_t n, int *last)
{
	if (n < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' ||
	    l[2] < '0' || l[2] > '9')
		return 0;
	*last = n == 3 || l[3] != '-';
	return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
}

static void smtp_reply_line(struct smtp *s, const char *l, size_t n)
{
	while (n > 0 && (l[n - 1] == '\n' || l[n - 1] == '\r'))
		n--;
	int last = 0;
	int code = smtp_line_code(l, n, &last);
	if (s->cur.len > 0)
		buf_addc(&s->cur, '\n');
	buf_add(&s->cur, l, n);
	if (!last)
		return;
	s->code = code;
	snprintf(s->reply, sizeof s->reply, "%s", s->cur.data);
	if (s->stage == SMTP_STAGE_DATA && code == 354)
		s->data_accepted = 1;
	buf_reset(&s->cur);
}

static void smtp_command_out(struct smtp *s, const char *p, size_t n)
{
	/* Only the verb is looked at: AUTH lines carry the password. */
	if (n >= 4 && strncasecmp(p, "QUIT", 4) == 0) {
		s->quitting = 1;
		return;
	}
	if (n >= 10 && strncasecmp(p, "MAIL FROM:", 10) == 0)
		s->stage = SMTP_STAGE_MAIL;
	else if (n >= 8 && strncasecmp(p, "RCPT TO:", 8) == 0)
		s->stage = SMTP_STAGE_RCPT;
	else if (n >= 4 && strncasecmp(p, "DATA", 4) == 0)
		s->stage = SMTP_STAGE_DATA;
	s->code = 0;
	s->reply[0] = '\0';
	buf_reset(&s->cur);
}

/* libcurl reports the server's replies only through its debug hook. */
static int smtp_debug_cb(CURL *h, curl_infotype type, char *p, size_t n, void *arg)
{
	struct smtp *s = arg;
	(void)h;
	if (s->quitting)
		return 0;
	if (type == CURLINFO_HEADER_OUT) {
		smtp_command_out(s, p, n);
		return 0;
	}
	if (type != CURLINFO_HEADER_IN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		buf_addc(&s->line, p[i]);
		if (p[i] == '\n') {
			smtp_reply_line(s, s->line.data, s->line.len);
			buf_reset(&s->line);
		}
	}
	return 0;
}

static size_t smtp_read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct smtp *s = arg;
	size_t n = size * nmemb;
	if (n > s->len - s->off)
		n = s->len - s->off;
	memcpy(dst, s->data + s->off, n);
	s->off += n;
	return n;
}

static void smtp_setup(struct smtp *s)
{
	s->curl = curl_easy_init();
	if (!s->curl)
		smtp_oom();
	CURL *c = s->curl;
	smtp_opt(curl_easy_setopt(c, CURLOPT_URL, s->url));
	smtp_opt(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps"));
	smtp_opt(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
	smtp_opt(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf));
	smtp_opt(curl_easy_setopt(c, CURLOPT_USE_SSL, s->security == SEC_PLAIN
	                             ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL));
	smtp_opt(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L));
	smtp_opt(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L));
	if (s->ca_file)
		smtp_opt(curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file));
	if (s->username && s->oauth2) {
		/* No CURLOPT_HTTPAUTH: with it AUTH= would add to libcurl's
		 * mechanisms instead of choosing one.  Without AUTH= libcurl
		 * takes OAUTHBEARER when offered, else XOAUTH2. */
		smtp_opt(curl_easy_setopt(c, CURLOPT_USERNAME, s->username));
		if (s->token)
			smtp_opt(curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, s->token));
		if (s->auth == AUTH_XOAUTH2)
			smtp_opt(curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2"));
		else if (s->auth == AUTH_OAUTHBEARER)
			smtp_opt(curl_easy_setopt(c, CURLOPT_LOGIN_OPTIONS, "AUTH=OAUTHBEARER"));
	} else if (s->username) {
		smtp_opt(curl_easy_setopt(c, CURLOPT_USERNAME, s->username));
		smtp_opt(curl_easy_setopt(c, CURLOPT_PASSWORD, s->password ? s->password : ""));
	}
	/* Every wait is bounded: connect (with TLS and greeting), each reply,
	 * and a stalled upload. */
	smtp_opt(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->timeout));
	smtp_opt(curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, s->timeout));
	smtp_opt(curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L));
	smtp_opt(curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, s->timeout));
	smtp_opt(curl_easy_setopt(c, CURLOPT_UPLOAD, 1L));
	smtp_opt(curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read_cb));
	smtp_opt(curl_easy_setopt(c, CURLOPT_READDATA, s));
	smtp_opt(curl_easy_setopt(c, CURLOPT_VERBOSE, 1L));
	smtp_opt(curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, smtp_debug_cb));
	smtp_opt(curl_easy_setopt(c, CURLOPT_DEBUGDATA, s));
}

int smtp_new(const struct config_server *srv, struct smtp **out, char **errp)
{
	static int curl_ready;
	*out = NULL;
	if (!srv->host || !*srv->host || srv->port <= 0 || srv->port > 65535)
		return err_set(errp, FOID_EINVAL, "smtp: host and port are required");
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return err_set(errp, FOID_EINVAL, "smtp: libcurl failed to initialise");
		curl_ready = 1;
	}
	struct smtp *s = xcalloc(1, sizeof *s);
	const char *scheme = srv->security == SEC_TLS ? "smtps" : "smtp";
	int v6 = strchr(srv->host, ':') != NULL;
	/* The URL path is what libcurl says in EHLO. */
	char self[256] = "localhost";
	if (gethostname(self, sizeof self) != 0 || !*self)
		snprintf(self, sizeof self, "localhost");
	self[sizeof self - 1] = '\0';
	s->url = xasprintf("%s://%s%s%s:%d/%s", scheme, v6 ? "[" : "", srv->host,
	                   v6 ? "]" : "", srv->port, self);
	s->where = xasprintf("%s:%d", srv->host, srv->port);
	s->username = xstrdup(srv->username);
	s->password = xstrdup(srv->password);
	s->ca_file = xstrdup(srv->ca_file);
	s->security = srv->security;
	s->auth = srv->auth;
	if (srv->auth != AUTH_PASSWORD)
		oauth2_new(srv, &s->oauth2);
	s->timeout = srv->timeout > 0 ? srv->timeout : 30;
	smtp_setup(s);
	*out = s;
	return 0;
}

void smtp_free(struct smtp *s)
{
	if (!s)
		return;
	curl_easy_cleanup(s->curl);
	free(s->url);
	free(s->where);
	free(s->username);
	util_wipe(s->password);
	oauth2_free(s->oauth2);
	util_wipe(s->token);
	free(s->ca_file);
	buf_free(&s->line);
	buf_free(&s->cur);
	free(s);
}

void smtp_reset(struct smtp *s)
{
	/* Cleaning up the easy handle is the one way to close its cached
	 * connection (with QUIT); then set it up again. */
	curl_easy_cleanup(s->curl);
	smtp_setup(s);
}

unsigned long smtp_connections(const struct smtp *s)
{
	return s->connections;
}

/* Sets the current access token; a changed one makes libcurl open a new
 * connection rather than reuse the one logged in with the old. */
static int smtp_token(struct smtp *s, int fresh, struct smtp_result *res, char **errp)
{
	char *tok = NULL;
	enum health_cause cause = HEALTH_NONE;
	int rc = oauth2_token(s->oauth2, fresh, &tok, &cause, errp);
	if (rc < 0) {
		res->stage = SMTP_STAGE_CONNECT;
		res->cause = cause;
		return err_prefix(errp, rc, "smtp %s", s->where);
	}
	if (!s->token || strcmp(tok, s->token) != 0) {
		smtp_opt(curl_easy_setopt(s->curl, CURLOPT_XOAUTH2_BEARER, tok));
		util_wipe(s->token);
		s->token = tok;
	} else {
		util_wipe(tok);
	}
	return 0;
}

/* Addresses go into SMTP command lines: no line breaks or brackets. */
static int smtp_address_ok(const char *a)
{
	return a && strpbrk(a, "\r\n<>") == NULL;
}

/* Curl failures that no retry will cure: the configuration must change. */
static int smtp_curl_permanent(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_USE_SSL_FAILED:
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return 1;
	default:
		return 0;
	}
}

static const char *smtp_stage_name(int stage)
{
	switch (stage) {
	case SMTP_STAGE_MAIL: return "MAIL FROM";
	case SMTP_STAGE_RCPT: return "RCPT TO";
	case SMTP_STAGE_DATA: return "DATA";
	default: return "connect";
	}
}

/* Why a failed attempt concerns the server rather than the message. */
static int smtp_cause(const struct smtp *s, CURLcode rc, int stage, int ret)
{
	if (stage == SMTP_STAGE_MAIL && s->code / 100 == 5 && s->code != 552)
		return HEALTH_SENDER; /* 552 there is the message's SIZE */
	if (stage != SMTP_STAGE_CONNECT)
		return HEALTH_NONE;
	if (ret == FOID_ETEMP)
		return HEALTH_TEMP;
	if (rc == CURLE_LOGIN_DENIED || rc == CURLE_AUTH_ERROR || s->code == 530 ||
	    s->code == 535 || s->code == 538)
		return s->oauth2 ? HEALTH_TOKEN : HEALTH_LOGIN;
	/* libcurl tells a wrong name from an untrusted chain only in words. */
	if (rc == CURLE_PEER_FAILED_VERIFICATION && strstr(s->errbuf, "target host name"))
		return HEALTH_TLS_NAME;
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_CERTPROBLEM)
		return HEALTH_TLS_TRUST;
	return HEALTH_REFUSED;
}

static CURLcode smtp_attempt(struct smtp *s, int fresh)
{
	s->off = 0;
	s->errbuf[0] = '\0';
	s->code = 0;
	s->reply[0] = '\0';
	s->stage = SMTP_STAGE_CONNECT;
	s->data_accepted = 0;
	s->quitting = 0;
	buf_reset(&s->line);
	buf_reset(&s->cur);
	smtp_opt(curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L));
	CURLcode rc = curl_easy_perform(s->curl);
	long nconn = 0;
	if (curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK && nconn > 0)
		s->connections += (unsigned long)nconn;
	return rc;
}

/* Classifies a failed attempt and writes the error text. */
static int smtp_failure(struct smtp *s, CURLcode rc, struct smtp_result *res,
                        char **errp)
{
	const char *what = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
	if (s->code >= 400 && s->code < 600) {
		int code = s->code >= 500 ? FOID_EPERM : FOID_ETEMP;
		if (rc == CURLE_LOGIN_DENIED)
			return err_set(errp, code, "smtp %s: login as %s refused: %s",
			               s->where, s->username ? s->username : "", s->reply);
		return err_set(errp, code, "smtp %s: %s refused: %s", s->where,
		               smtp_stage_name(s->stage), s->reply);
	}
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_SSL_ISSUER_ERROR) {
		return err_set(errp, FOID_EPERM,
		               "smtp %s: TLS certificate verification failed (CA file %s): %s",
		               s->where, s->ca_file ? s->ca_file : "system trust store", what);
	}
	if (rc == CURLE_USE_SSL_FAILED) {
		return err_set(errp, FOID_EPERM,
		               "smtp %s: server does not offer STARTTLS; refusing to send in clear",
		               s->where);
	}
	if (res->maybe_sent) {
		return err_set(errp, FOID_ETEMP,
		               "smtp %s: no final reply after the message was sent, "
		               "it may have been delivered: %s", s->where, what);
	}
	return err_set(errp, smtp_curl_permanent(rc) ? FOID_EPERM : FOID_ETEMP,
	               "smtp %s: %s failed: %s", s->where,
	               smtp_stage_name(s->stage), what);
}

int smtp_send(struct smtp *s, const char *envelope_from,
              const char *const *rcpts, size_t nrcpt,
              const char *raw, size_t len, struct smtp_result *res,
              char **errp)
{
	memset(res, 0, sizeof *res);
	res->stage = SMTP_STAGE_CONNECT;
	if (!smtp_address_ok(envelope_from))
		return err_set(errp, FOID_EINVAL, "smtp: bad envelope sender");
	if (nrcpt == 0)
		return err_set(errp, FOID_EINVAL, "smtp: no recipients");
	int ret = 0;
	struct curl_slist *list = NULL;
	for (size_t i = 0; i < nrcpt; i++) {
		if (!smtp_address_ok(rcpts[i]) || !*rcpts[i]) {
			ret = err_set(errp, FOID_EINVAL, "smtp: bad recipient address");
			goto out;
		}
		struct curl_slist *l = curl_slist_append(list, rcpts[i]);
		if (!l)
			smtp_oom();
		list = l;
	}
	s->data = raw;
	s->len = len;
	smtp_opt(curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, envelope_from));
	smtp_opt(curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, list));
	smtp_opt(curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len));

	if (s->oauth2 && (ret = smtp_token(s, 0, res, errp)) < 0)
		goto out;
	unsigned long before = s->connections;
	CURLcode rc = smtp_attempt(s, 0);
	/* A reused connection may have been closed by the server, or the
	 * server ends the session (421; 4xx to MAIL at its per-session message
	 * limit).  Nothing was delivered yet, so one fresh try is safe. */
	if (rc != CURLE_OK && s->connections == before &&
	    s->stage <= SMTP_STAGE_MAIL && s->code / 100 != 5)
		rc = smtp_attempt(s, 1);
	/* A refused token is replaced by a fresh one and tried once more. */
	if (s->oauth2 && (rc == CURLE_LOGIN_DENIED || s->code == 535)) {
		log_info("event=smtp.token_refused");
		if ((ret = smtp_token(s, 1, res, errp)) < 0)
			goto out;
		rc = smtp_attempt(s, 1);
	}

	res->code = s->code;
	snprintf(res->reply, sizeof res->reply, "%s", s->reply);
	if (rc == CURLE_OK) {
		res->stage = SMTP_STAGE_NONE;
		goto out;
	}
	res->stage = s->stage;
	/* "Authentication required" or "refused" concerns the session, not
	 * this message: every message would get it. */
	if (s->code == 530 || s->code == 535 || s->code == 538)
		res->stage = SMTP_STAGE_CONNECT;
	res->maybe_sent = s->data_accepted && (s->code == 0 || s->code == 354);
	ret = smtp_failure(s, rc, res, errp);
	res->cause = smtp_cause(s, rc, res->stage, ret);
out:
	/* libcurl keeps pointers to these only for the transfer. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	s->data = NULL;
	curl_slist_free_all(list);
	return ret;
}
