/* OAuth2 access tokens; see oauth2.h. */
#include "oauth2.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "convert.h"
#include "json.h"
#include "log.h"
#include "util.h"

/* A new access token is fetched this long before the old one expires
 * (a quarter of its life for short-lived ones), so that no connection
 * starts with a token about to lapse. */
#define OAUTH2_MARGIN 300

struct oauth2 {
	char *section;
	char *username;
	char *token_command;
	char *token_file;
	char *client_id;
	char *client_secret;
	char *token_url;
	char *scope;
	int timeout;
};

int oauth2_new(const struct config_server *srv, struct oauth2 **out)
{
	struct oauth2 *o = xcalloc(1, sizeof *o);
	o->section = xstrdup(srv->section ? srv->section : "server");
	o->username = xstrdup(srv->username);
	o->token_command = xstrdup(srv->token_command);
	o->token_file = xstrdup(srv->token_file);
	o->client_id = xstrdup(srv->client_id);
	o->client_secret = xstrdup(srv->client_secret);
	o->token_url = xstrdup(srv->token_url);
	o->scope = xstrdup(srv->scope);
	o->timeout = srv->timeout > 0 ? srv->timeout : 30;
	*out = o;
	return 0;
}

void oauth2_free(struct oauth2 *o)
{
	if (!o)
		return;
	free(o->section);
	free(o->username);
	free(o->token_command);
	free(o->token_file);
	free(o->client_id);
	util_wipe(o->client_secret);
	free(o->token_url);
	free(o->scope);
	free(o);
}

/* ---- encodings ---- */

static char *oauth2_base64(const void *data, size_t n, int url)
{
	struct buf b = BUF_INIT;
	util_base64(&b, data, n, 0, url);
	buf_addc(&b, '\0');
	return buf_detach(&b);
}

char *oauth2_oauthbearer(const char *user, const char *host, int port, const char *token)
{
	/* A "," or "=" in the authzid is escaped as =2C and =3D (RFC 5801). */
	struct buf b = BUF_INIT;
	buf_adds(&b, "n,a=");
	for (const char *p = user; *p; p++) {
		if (*p == ',')
			buf_adds(&b, "=2C");
		else if (*p == '=')
			buf_adds(&b, "=3D");
		else
			buf_addc(&b, *p);
	}
	buf_addf(&b, ",\001host=%s\001port=%d\001auth=Bearer %s\001\001", host, port, token);
	char *out = oauth2_base64(b.data, b.len, 0);
	explicit_bzero(b.data, b.len);
	buf_free(&b);
	return out;
}

static void oauth2_form_add(CURL *c, struct buf *form, const char *key, const char *val)
{
	if (!val)
		return;
	char *e = curl_easy_escape(c, val, 0);
	if (!e) {
		fputs("foid: out of memory in libcurl\n", stderr);
		abort();
	}
	buf_addf(form, "%s%s=%s", form->len ? "&" : "", key, e);
	explicit_bzero(e, strlen(e));
	curl_free(e);
}

/* ---- the token endpoint ---- */

static size_t oauth2_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	/* An endpoint's answers are small: a huge one is not ours to keep. */
	if (b->len + n > 1u << 20)
		return 0;
	buf_add(b, p, n);
	return n;
}

struct oauth2_reply {
	long status;       /* HTTP status; 0 when no answer came */
	struct jw *json;   /* the answer, when it was a JSON object */
	const char *error; /* its "error" member, e.g. "invalid_grant" */
	const char *desc;  /* its "error_description" */
};

static void oauth2_reply_free(struct oauth2_reply *r)
{
	jw_free(r->json);
	memset(r, 0, sizeof *r);
}

/* POSTs the form "key=value&..." pairs (NULL-terminated; NULL values are
 * left out) to url.  0 when an answer came (any status), FOID_ETEMP when
 * none did. */
static int oauth2_post(const char *url, int timeout, const char *const *pairs,
                       struct oauth2_reply *r, char **errp)
{
	memset(r, 0, sizeof *r);
	CURL *c = curl_easy_init();
	if (!c) {
		fputs("foid: out of memory in libcurl\n", stderr);
		abort();
	}
	struct buf form = BUF_INIT, body = BUF_INIT;
	for (size_t i = 0; pairs[i]; i += 2)
		oauth2_form_add(c, &form, pairs[i], pairs[i + 1]);
	buf_addc(&form, '\0');
	form.len--;
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, form.data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)form.len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, oauth2_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	CURLcode rc = curl_easy_perform(c);
	int ret = 0;
	if (rc != CURLE_OK) {
		ret = err_set(errp, rc == CURLE_PEER_FAILED_VERIFICATION ? FOID_EPERM : FOID_ETEMP,
		              "token endpoint %s: %s", url,
		              errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (jw_parse(&r->json, body.data ? body.data : "", body.len, NULL) == 0 &&
	    jw_typeof(r->json) == JW_OBJECT) {
		r->error = jw_str(jw_get(r->json, "error"));
		r->desc = jw_str(jw_get(r->json, "error_description"));
	} else {
		jw_free(r->json);
		r->json = NULL;
	}
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (form.data)
		explicit_bzero(form.data, form.len);
	buf_free(&form);
	if (body.data)
		explicit_bzero(body.data, body.len);
	buf_free(&body);
	return ret;
}

/* An endpoint's error as a person reads it: "invalid_grant: why". */
static char *oauth2_reply_text(const struct oauth2_reply *r)
{
	if (r->error)
		return xasprintf("%s%s%s", r->error, r->desc ? ": " : "",
		                 r->desc ? r->desc : "");
	return xasprintf("HTTP status %ld", r->status);
}

/* ---- the token file ---- */

struct oauth2_saved {
	char *refresh_token;
	char *access_token;
	int64_t refresh_at;   /* fetch a new access token from then on */
};

static void oauth2_saved_free(struct oauth2_saved *s)
{
	util_wipe(s->refresh_token);
	util_wipe(s->access_token);
	memset(s, 0, sizeof *s);
}

static int oauth2_load(const char *path, struct oauth2_saved *s, char **errp)
{
	memset(s, 0, sizeof *s);
	char *text = NULL;
	/* The same check as for password files: refused when others can read it. */
	int rc = config_read_secret(path, &text, errp);
	if (rc < 0)
		return rc;
	struct jw *j = NULL;
	if (jw_parse(&j, text, strlen(text), NULL) < 0 || jw_typeof(j) != JW_OBJECT ||
	    !jw_str(jw_get(j, "refresh_token"))) {
		rc = err_set(errp, FOID_EINVAL, "%s: not a token file written by foictl login",
		             path);
	} else {
		s->refresh_token = xstrdup(jw_str(jw_get(j, "refresh_token")));
		s->access_token = xstrdup(jw_str(jw_get(j, "access_token")));
		s->refresh_at = jw_int(jw_get(j, "refresh_at"));
	}
	jw_free(j);
	util_wipe(text);
	return rc;
}

static int oauth2_save(const char *path, const struct oauth2_saved *s, char **errp)
{
	struct jw *j = jw_object();
	jw_set_str(j, "refresh_token", s->refresh_token);
	if (s->access_token) {
		jw_set_str(j, "access_token", s->access_token);
		jw_set_int(j, "refresh_at", s->refresh_at);
	}
	char *text = jw_dump(j, JW_COMPACT);
	jw_free(j);
	int rc = util_write_file_atomic(path, text, strlen(text), 0600, errp);
	util_wipe(text);
	return rc;
}

/* Refresh tokens rotate: two processes refreshing at once would each
 * spend the one token, and one of them would be left with a dead one. */
static int oauth2_lock(const char *path, int *fd, char **errp)
{
	char *lock = xasprintf("%s.lock", path);
	int f = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int rc = 0;
	if (f < 0)
		rc = err_set(errp, FOID_EIO, "%s: %s", lock, strerror(errno));
	else
		while (flock(f, LOCK_EX) < 0 && errno == EINTR)
			;
	free(lock);
	*fd = f;
	return rc;
}

/* Takes the token endpoint's answer into s: a new access token, and the
 * new refresh token when it sent one. */
static int oauth2_take(struct oauth2_saved *s, const struct oauth2_reply *r, char **errp)
{
	const char *at = jw_str(jw_get(r->json, "access_token"));
	if (!at || !*at)
		return err_set(errp, FOID_EPERM, "the token endpoint answered without an "
		               "access_token");
	int64_t life = jw_int(jw_get(r->json, "expires_in"));
	if (life <= 0)
		life = 3600;
	util_wipe(s->access_token);
	s->access_token = xstrdup(at);
	s->refresh_at = util_now() + life - (life >= 4 * OAUTH2_MARGIN ? OAUTH2_MARGIN : life / 4);
	const char *rt = jw_str(jw_get(r->json, "refresh_token"));
	if (rt && *rt) {
		util_wipe(s->refresh_token);
		s->refresh_token = xstrdup(rt);
	}
	return 0;
}

static int oauth2_from_file(struct oauth2 *o, int fresh, char **token,
                            enum health_cause *cause, char **errp)
{
	struct oauth2_saved s;
	int lockfd = -1;
	int rc = oauth2_lock(o->token_file, &lockfd, errp);
	if (rc < 0) {
		*cause = HEALTH_TOKEN;
		goto out;
	}
	/* Read under the lock: another process may have just rotated it. */
	rc = oauth2_load(o->token_file, &s, errp);
	if (rc == FOID_ENOTFOUND) {
		*cause = HEALTH_SIGNIN;
		rc = err_set(errp, FOID_EPERM, "%s: not signed in (no %s); run: foictl login %s",
		             o->section, o->token_file, o->section);
		goto out;
	}
	if (rc < 0) {
		*cause = HEALTH_TOKEN;
		rc = FOID_EPERM;
		goto out;
	}
	if (!fresh && s.access_token && util_now() < s.refresh_at) {
		*token = xstrdup(s.access_token);
		goto done;
	}
	const char *form[] = { "grant_type", "refresh_token", "refresh_token", s.refresh_token,
		               "client_id", o->client_id, "client_secret", o->client_secret,
		               "scope", o->scope, NULL };
	struct oauth2_reply r;
	rc = oauth2_post(o->token_url, o->timeout, form, &r, errp);
	if (rc < 0) {
		*cause = rc == FOID_ETEMP ? HEALTH_TEMP : HEALTH_TOKEN;
		err_prefix(errp, rc, "%s: refreshing the access token", o->section);
		goto done;
	}
	if (r.status == 200 && r.json) {
		rc = oauth2_take(&s, &r, errp);
		if (rc == 0)
			rc = oauth2_save(o->token_file, &s, errp);
		if (rc == 0)
			*token = xstrdup(s.access_token);
		else
			*cause = HEALTH_TOKEN;
		log_info("event=oauth2.refreshed server=%s ok=%d", o->section, rc == 0);
	} else {
		char *why = oauth2_reply_text(&r);
		if (r.error && (strcmp(r.error, "invalid_grant") == 0 ||
		                strcmp(r.error, "interaction_required") == 0)) {
			*cause = HEALTH_SIGNIN;
			rc = err_set(errp, FOID_EPERM, "%s: the sign-in has expired or was revoked "
			             "(%s); run: foictl login %s", o->section, why, o->section);
		} else if (r.status >= 500 || r.status == 429 || r.status == 0) {
			*cause = HEALTH_TEMP;
			rc = err_set(errp, FOID_ETEMP, "%s: token endpoint unavailable (%s)",
			             o->section, why);
		} else {
			*cause = HEALTH_TOKEN;
			rc = err_set(errp, FOID_EPERM, "%s: the token endpoint refused to refresh "
			             "the access token (%s)", o->section, why);
		}
		free(why);
	}
	oauth2_reply_free(&r);
done:
	oauth2_saved_free(&s);
out:
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

static int oauth2_from_command(struct oauth2 *o, char **token, enum health_cause *cause,
                               char **errp)
{
	char *argv[] = { "/bin/sh", "-c", o->token_command, NULL };
	/* A helper may keep its own token cache: unlike a converter it may
	 * write files. */
	struct convert_limits lim = { 512u << 20, 30, o->timeout * 1000, 64u << 10, 1 };
	char *out = NULL;
	int rc = convert_run(argv, "/dev/null", &lim, &out, NULL, errp);
	if (rc < 0) {
		util_wipe(out);
		*cause = HEALTH_TOKEN;
		return err_prefix(errp, FOID_EPERM, "%s.token_command", o->section);
	}
	/* The first line; a trailing newline is not part of the token. */
	out[strcspn(out, "\r\n")] = '\0';
	char *t = util_trim(out);
	if (!*t) {
		util_wipe(out);
		*cause = HEALTH_TOKEN;
		return err_set(errp, FOID_EPERM, "%s.token_command printed no token", o->section);
	}
	*token = xstrdup(t);
	util_wipe(out);
	return 0;
}

int oauth2_token(struct oauth2 *o, int fresh, char **token, enum health_cause *cause,
                 char **errp)
{
	*token = NULL;
	*cause = HEALTH_NONE;
	if (o->token_command)
		return oauth2_from_command(o, token, cause, errp);
	return oauth2_from_file(o, fresh, token, cause, errp);
}

/* ---- foictl login ---- */

static void oauth2_pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The login's answer in the token file, replacing any earlier sign-in. */
static int oauth2_store_login(const struct config_server *srv, const struct oauth2_reply *r,
                              FILE *out, char **errp)
{
	struct oauth2_saved s = { 0 };
	int lockfd = -1;
	int rc = oauth2_take(&s, r, errp);
	if (rc == 0 && !s.refresh_token)
		rc = err_set(errp, FOID_EPERM, "the token endpoint sent no refresh token "
		             "(is offline_access among %s.scope?)", srv->section);
	if (rc == 0)
		rc = oauth2_lock(srv->token_file, &lockfd, errp);
	if (rc == 0)
		rc = oauth2_save(srv->token_file, &s, errp);
	if (rc == 0)
		fprintf(out, "Signed in; the refresh token is in %s (mode 0600).\n",
		        srv->token_file);
	if (lockfd >= 0)
		close(lockfd);
	oauth2_saved_free(&s);
	return rc;
}

static int oauth2_device(const struct config_server *srv, FILE *out, int wait_s, char **errp)
{
	const char *form[] = { "client_id", srv->client_id, "scope", srv->scope, NULL };
	struct oauth2_reply r;
	int rc = oauth2_post(srv->device_url, srv->timeout, form, &r, errp);
	if (rc < 0)
		return rc;
	const char *dc = jw_str(jw_get(r.json, "device_code"));
	const char *uc = jw_str(jw_get(r.json, "user_code"));
	const char *uri = jw_str(jw_get(r.json, "verification_uri"));
	if (r.status != 200 || !dc || !uc || !uri) {
		char *why = oauth2_reply_text(&r);
		rc = err_set(errp, FOID_EPERM, "device authorization at %s refused: %s",
		             srv->device_url, why);
		free(why);
		oauth2_reply_free(&r);
		return rc;
	}
	char *device_code = xstrdup(dc);
	int interval = (int)jw_int(jw_get(r.json, "interval"));
	int64_t expires = jw_int(jw_get(r.json, "expires_in"));
	if (interval <= 0)
		interval = 5;
	if (expires <= 0 || expires > wait_s)
		expires = wait_s;
	fprintf(out, "To sign in %s for foid, open %s\nand enter the code %s\n", srv->username,
	        uri, uc);
	fflush(out);
	oauth2_reply_free(&r);
	int64_t deadline = util_now() + expires;
	const char *poll_form[] = { "grant_type", "urn:ietf:params:oauth:grant-type:device_code",
		                    "device_code", device_code, "client_id", srv->client_id,
		                    "client_secret", srv->client_secret, NULL };
	for (;;) {
		if (util_now() >= deadline) {
			rc = err_set(errp, FOID_ETEMP, "the code was not entered in time; run "
			             "foictl login %s again", srv->section);
			break;
		}
		oauth2_pause_ms(interval * 1000);
		rc = oauth2_post(srv->token_url, srv->timeout, poll_form, &r, errp);
		if (rc < 0)
			break;
		if (r.status == 200 && r.json) {
			rc = oauth2_store_login(srv, &r, out, errp);
			oauth2_reply_free(&r);
			break;
		}
		const char *e = r.error ? r.error : "";
		if (strcmp(e, "authorization_pending") == 0) {
			oauth2_reply_free(&r);
			continue;
		}
		if (strcmp(e, "slow_down") == 0) {
			interval += 5; /* RFC 8628 3.5 */
			oauth2_reply_free(&r);
			continue;
		}
		char *why = oauth2_reply_text(&r);
		if (strcmp(e, "expired_token") == 0)
			rc = err_set(errp, FOID_EPERM, "the code expired before it was entered (%s); "
			             "run foictl login %s again", why, srv->section);
		else if (strcmp(e, "access_denied") == 0)
			rc = err_set(errp, FOID_EPERM, "the sign-in was declined (%s)", why);
		else
			rc = err_set(errp, FOID_EPERM, "the token endpoint refused the sign-in (%s)",
			             why);
		free(why);
		oauth2_reply_free(&r);
		break;
	}
	free(device_code);
	return rc;
}

static char *oauth2_random(size_t n)
{
	unsigned char raw[64];
	if (n > sizeof raw)
		n = sizeof raw;
	if (gnutls_rnd(GNUTLS_RND_KEY, raw, n) < 0) {
		fputs("foid: no random numbers\n", stderr);
		abort();
	}
	return oauth2_base64(raw, n, 1);
}

/* The value of key in the query of a request line "GET /?a=b&c=d HTTP/1.1",
 * decoded; NULL when absent. */
static char *oauth2_query(const char *req, const char *key)
{
	const char *q = strchr(req, '?');
	const char *end = strchr(req, ' ');
	if (end)
		end = strchr(end + 1, ' ');
	if (!q || !end || q > end)
		return NULL;
	size_t klen = strlen(key);
	for (const char *p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		if ((size_t)(stop - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			int n = 0;
			char *v = curl_easy_unescape(NULL, p + klen + 1, (int)(stop - p - (long)klen - 1),
			                             &n);
			char *out = v ? xstrndup(v, (size_t)n) : NULL;
			curl_free(v);
			return out;
		}
		p = stop + 1;
	}
	return NULL;
}

static void oauth2_http_answer(int fd, int status, const char *text)
{
	char *msg = xasprintf("HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                      "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	                      status, status == 200 ? "OK" : "Not Found", strlen(text), text);
	size_t off = 0, len = strlen(msg);
	while (off < len) {
		ssize_t n = send(fd, msg + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(msg);
}

/* Waits for the browser's redirect to the listener; *code gets the code
 * (or FOID_EPERM when the person declined). */
static int oauth2_redirect(int lfd, const char *state, int wait_s, char **code, char **errp)
{
	int64_t deadline = util_now() + wait_s;
	*code = NULL;
	for (;;) {
		int64_t left = deadline - util_now();
		if (left <= 0)
			return err_set(errp, FOID_ETEMP, "no answer from the browser in %d s", wait_s);
		struct pollfd p = { lfd, POLLIN, 0 };
		if (poll(&p, 1, (int)left * 1000) <= 0)
			continue;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		char req[8192];
		size_t n = 0;
		while (n < sizeof req - 1) {
			struct pollfd q = { fd, POLLIN, 0 };
			if (poll(&q, 1, 10000) <= 0)
				break;
			ssize_t got = recv(fd, req + n, sizeof req - 1 - n, 0);
			if (got <= 0)
				break;
			n += (size_t)got;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[n] = '\0';
		char *got_state = oauth2_query(req, "state");
		char *got_code = oauth2_query(req, "code");
		char *error = oauth2_query(req, "error");
		int ours = got_state && strcmp(got_state, state) == 0;
		int rc = 1;
		if (ours && got_code) {
			oauth2_http_answer(fd, 200, "foid is signed in. You may close this page.\n");
			*code = got_code;
			got_code = NULL;
			rc = 0;
		} else if (ours && error) {
			oauth2_http_answer(fd, 200, "The sign-in was declined.\n");
			rc = err_set(errp, FOID_EPERM, "the sign-in was declined (%s)", error);
		} else {
			/* A favicon, or a request that is not the provider's redirect. */
			oauth2_http_answer(fd, 404, "Not the sign-in redirect.\n");
		}
		close(fd);
		free(got_state);
		util_wipe(got_code);
		free(error);
		if (rc <= 0)
			return rc;
	}
}

static int oauth2_loopback(const struct config_server *srv, FILE *out, int wait_s,
                           char **errp)
{
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t salen = sizeof sa;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0) {
		int rc = err_set(errp, FOID_EIO, "cannot listen on 127.0.0.1: %s", strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return rc;
	}
	char *redirect = xasprintf("http://127.0.0.1:%d/", ntohs(sa.sin_port));
	char *verifier = oauth2_random(48);
	unsigned char digest[32];
	gnutls_hash_fast(GNUTLS_DIG_SHA256, verifier, strlen(verifier), digest);
	char *challenge = oauth2_base64(digest, sizeof digest, 1);
	char *state = oauth2_random(16);
	CURL *c = curl_easy_init();
	struct buf url = BUF_INIT, q = BUF_INIT;
	oauth2_form_add(c, &q, "client_id", srv->client_id);
	oauth2_form_add(c, &q, "redirect_uri", redirect);
	oauth2_form_add(c, &q, "response_type", "code");
	oauth2_form_add(c, &q, "scope", srv->scope);
	oauth2_form_add(c, &q, "code_challenge", challenge);
	oauth2_form_add(c, &q, "code_challenge_method", "S256");
	oauth2_form_add(c, &q, "state", state);
	/* Google gives a refresh token only for offline access, and again
	 * only when consent is asked again. */
	oauth2_form_add(c, &q, "access_type", "offline");
	oauth2_form_add(c, &q, "prompt", "consent");
	oauth2_form_add(c, &q, "login_hint", srv->username);
	curl_easy_cleanup(c);
	buf_addf(&url, "%s%s%s", srv->authorize_url, strchr(srv->authorize_url, '?') ? "&" : "?",
	         q.data);
	fprintf(out, "To sign in %s for foid, open this address in a browser on this machine\n"
	        "(from another machine: ssh -L %d:127.0.0.1:%d to this one first):\n%s\n",
	        srv->username, ntohs(sa.sin_port), ntohs(sa.sin_port), url.data);
	fflush(out);
	char *code = NULL;
	int rc = oauth2_redirect(lfd, state, wait_s, &code, errp);
	close(lfd);
	if (rc == 0) {
		const char *form[] = { "grant_type", "authorization_code", "code", code,
			               "redirect_uri", redirect, "client_id", srv->client_id,
			               "client_secret", srv->client_secret,
			               "code_verifier", verifier, NULL };
		struct oauth2_reply r;
		rc = oauth2_post(srv->token_url, srv->timeout, form, &r, errp);
		if (rc == 0 && r.status == 200 && r.json) {
			rc = oauth2_store_login(srv, &r, out, errp);
		} else if (rc == 0) {
			char *why = oauth2_reply_text(&r);
			rc = err_set(errp, FOID_EPERM, "the token endpoint refused the code (%s)", why);
			free(why);
		}
		oauth2_reply_free(&r);
	}
	util_wipe(code);
	free(redirect);
	util_wipe(verifier);
	free(challenge);
	free(state);
	buf_free(&url);
	buf_free(&q);
	return rc;
}

int oauth2_login(const struct config_server *srv, FILE *out, int wait_s, char **errp)
{
	if (srv->auth == AUTH_PASSWORD || srv->token_command)
		return err_set(errp, FOID_EINVAL, "%s: foictl login is for auth = \"oauth2\" "
		               "without token_command", srv->section);
	if (srv->flow == FLOW_DEVICE && !srv->device_url)
		return err_set(errp, FOID_EINVAL, "%s.device_url is not set (or use flow = "
		               "\"loopback\")", srv->section);
	if (srv->flow == FLOW_LOOPBACK && !srv->authorize_url)
		return err_set(errp, FOID_EINVAL, "%s.authorize_url is not set", srv->section);
	/* Refused before the person signs in, not after. */
	struct stat sb;
	if (stat(srv->token_file, &sb) == 0 && (sb.st_mode & 077))
		return err_set(errp, FOID_EPERM, "%s: token file is readable by group or "
		               "others (mode %04o); fix with: chmod 600 %s", srv->token_file,
		               (unsigned)(sb.st_mode & 07777), srv->token_file);
	return srv->flow == FLOW_DEVICE ? oauth2_device(srv, out, wait_s, errp)
	                                : oauth2_loopback(srv, out, wait_s, errp);
}
