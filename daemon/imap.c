#include "imap.h"

#include <errno.h>
#include <libetpan/libetpan.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "oauth2.h"
#include "tls.h"
#include "util.h"

struct imap {
	mailimap *mi;
	int fd;
	struct tls *tls;
	char *host;
	int port;
	int timeout_ms;
	char *where;      /* "IMAP host:port", the prefix of every error */
	char *io_err;     /* why the stream driver last failed */
	int broken;       /* the stream is unusable: no LOGOUT, just close */
	int idling;
	int bye;          /* the server ended the session with BYE */
	char *selected;   /* the mailbox SELECTed now, NULL for none */
	uint32_t searched_exists; /* the server's message count at the last new-mail search */
	enum health_cause cause; /* why imap_connect failed, for a person */
};

static void *imap_nn(void *p)
{
	if (!p) {
		fputs("foid: out of memory\n", stderr);
		abort();
	}
	return p;
}

static int64_t imap_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on the socket; 1 ready, 0 timed out, -1 error. */
static int imap_poll_fd(int fd, short events, int timeout_ms)
{
	int64_t deadline = imap_clock_ms() + timeout_ms;
	struct pollfd p = { .fd = fd, .events = events };
	for (;;) {
		int64_t left = deadline - imap_clock_ms();
		if (left < 0)
			left = 0;
		int r = poll(&p, 1, (int)left);
		if (r >= 0)
			return r > 0;
		if (errno != EINTR)
			return -1;
	}
}

/* ---- the libetpan stream driver: our socket or our TLS session ---- */

static struct imap *imap_of(mailstream_low *low)
{
	return low->data;
}

/* imap_poll_fd on our socket, naming what timed out (read or write). */
static int imap_plain_wait(struct imap *im, short events, const char *what)
{
	int r = imap_poll_fd(im->fd, events, im->timeout_ms);
	if (r == 0)
		err_set(&im->io_err, FOID_ETEMP, "%s timed out after %d s", what,
		        im->timeout_ms / 1000);
	return r;
}

/* The stream reads and writes through im->tls once it is set (at connect,
 * or by STARTTLS), else on the plain socket. */
static ssize_t imap_low_read(mailstream_low *low, void *buf, size_t n)
{
	struct imap *im = imap_of(low);
	ssize_t got;
	if (im->tls) {
		got = tls_read(im->tls, buf, n, &im->io_err);
	} else {
		int r = imap_plain_wait(im, POLLIN, "read");
		if (r == 0)
			return -1;
		got = r < 0 ? -1 : recv(im->fd, buf, n, 0);
		if (got < 0) {
			err_set(&im->io_err, FOID_ETEMP, "read failed: %s", strerror(errno));
			return -1;
		}
	}
	if (got == 0) {
		err_set(&im->io_err, FOID_ETEMP, "connection closed by the server");
		return -1;
	}
	return got < 0 ? -1 : got;
}

static ssize_t imap_low_write(mailstream_low *low, const void *buf, size_t n)
{
	struct imap *im = imap_of(low);
	if (im->tls) {
		ssize_t put = tls_write(im->tls, buf, n, &im->io_err);
		return put < 0 ? -1 : put;
	}
	int r = imap_plain_wait(im, POLLOUT, "write");
	if (r == 0)
		return -1;
	ssize_t put = r < 0 ? -1 : send(im->fd, buf, n, MSG_NOSIGNAL);
	if (put < 0) {
		err_set(&im->io_err, FOID_ETEMP, "write failed: %s", strerror(errno));
		return -1;
	}
	return put;
}

/* The socket and TLS session belong to struct imap, not to libetpan. */
static int imap_low_close(mailstream_low *low)
{
	(void)low;
	return 0;
}

static int imap_low_get_fd(mailstream_low *low)
{
	return imap_of(low)->fd;
}

static void imap_low_free(mailstream_low *low)
{
	free(low);
}

static mailstream_low_driver imap_driver = {
	.mailstream_read = imap_low_read,
	.mailstream_write = imap_low_write,
	.mailstream_close = imap_low_close,
	.mailstream_get_fd = imap_low_get_fd,
	.mailstream_free = imap_low_free,
};

/* ---- errors ---- */

/* Response codes (RFC 5530) that mean "try again later". */
static int imap_code_is_temp(const char *code)
{
	static const char *const temp[] = { "UNAVAILABLE", "INUSE", "LIMIT",
		                            "SERVERBUG", "OVERQUOTA", "EXPUNGEISSUED" };
	for (size_t i = 0; i < sizeof temp / sizeof temp[0]; i++)
		if (strcasecmp(code, temp[i]) == 0)
			return 1;
	return 0;
}

/* Turns a libetpan result into a FOID code and "IMAP host:port: what: why". */
static int imap_fail(struct imap *im, int r, char **errp, const char *fmt, ...)
	FOID_PRINTF(4, 5);
static int imap_fail(struct imap *im, int r, char **errp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	const char *text = im->mi && im->mi->imap_response ? im->mi->imap_response : "";
	const char *code = NULL;
	if (im->mi && im->mi->imap_response_info && im->mi->imap_response_info->rsp_atom)
		code = im->mi->imap_response_info->rsp_atom;
	int rc;
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		im->broken = 1;
		rc = err_set(errp, FOID_ETEMP, "%s: %s: %s", im->where, what,
		             im->io_err ? im->io_err : "connection lost");
		break;
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		im->broken = 1;
		im->bye = 1;
		rc = err_set(errp, FOID_ETEMP, "%s: %s: server said BYE: %s", im->where,
		             what, text);
		break;
	case MAILIMAP_ERROR_PARSE:
		im->broken = 1;
		rc = err_set(errp, FOID_ETEMP, "%s: %s: cannot parse the server's response",
		             im->where, what);
		break;
	case MAILIMAP_ERROR_MEMORY:
		imap_nn(NULL);
		rc = FOID_EIO;
		break;
	case MAILIMAP_ERROR_BAD_STATE:
		rc = err_set(errp, FOID_EINVAL, "%s: %s: not allowed in this state",
		             im->where, what);
		break;
	default:
		/* A tagged NO or BAD. */
		rc = FOID_EPERM;
		if (code && imap_code_is_temp(code))
			rc = FOID_ETEMP;
		else if (code && strcasecmp(code, "NONEXISTENT") == 0)
			rc = FOID_ENOTFOUND;
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s: %s: server said %s", im->where, what,
		         r == MAILIMAP_ERROR_PROTOCOL ? "BAD" : "NO");
		if (code)
			buf_addf(&b, " [%s]", code);
		buf_addf(&b, " %s", *text ? text : "(no reason given)");
		err_set(errp, rc, "%s", b.data);
		buf_free(&b);
		break;
	}
	free(what);
	return rc;
}

/* ---- connection ---- */

static int imap_dial(struct imap *im, char **errp)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	char port[16];
	snprintf(port, sizeof port, "%d", im->port);
	int r = getaddrinfo(im->host, port, &hints, &res);
	if (r != 0)
		return err_set(errp, FOID_ETEMP, "%s: cannot resolve %s: %s", im->where,
		               im->host, gai_strerror(r));
	int rc = FOID_ETEMP;
	char *why = NULL;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		                ai->ai_protocol);
		if (fd < 0) {
			err_set(&why, FOID_ETEMP, "%s", strerror(errno));
			continue;
		}
		int err = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			err = errno;
			if (err == EINPROGRESS) {
				int p = imap_poll_fd(fd, POLLOUT, im->timeout_ms);
				socklen_t len = sizeof err;
				if (p == 0)
					err = ETIMEDOUT;
				else if (p < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
					err = errno;
			}
		}
		if (err == 0) {
			im->fd = fd;
			rc = 0;
			break;
		}
		err_set(&why, FOID_ETEMP, "%s", strerror(err));
		close(fd);
	}
	if (rc < 0)
		err_set(errp, rc, "%s: cannot connect: %s", im->where, why ? why : "no address");
	free(why);
	freeaddrinfo(res);
	return rc;
}

static int imap_start_tls(struct imap *im, const struct config_server *srv, char **errp)
{
	int rc = tls_client_new(im->fd, im->host, srv->ca_file, srv->timeout, &im->tls,
	                        &im->cause, errp);
	if (rc < 0) {
		im->broken = 1;
		return err_prefix(errp, rc, "%s", im->where);
	}
	return 0;
}

static int imap_starttls(struct imap *im, const struct config_server *srv, char **errp)
{
	int r = mailimap_starttls(im->mi);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, r, errp, "STARTTLS");
	/* Anything the server sent after its OK arrived in plaintext and could
	 * have been injected: refuse rather than parse it as protected data. */
	if (im->mi->imap_stream->read_buffer_len > 0) {
		im->broken = 1;
		return err_set(errp, FOID_EPERM, "%s: STARTTLS: plaintext data after the "
		               "server's OK (possible injection)", im->where);
	}
	/* From here on the stream goes through the TLS session (imap_low_read). */
	return imap_start_tls(im, srv, errp);
}

static int imap_capability(struct imap *im, char **errp)
{
	struct mailimap_capability_data *caps = NULL;
	int r = mailimap_capability(im->mi, &caps);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, r, errp, "CAPABILITY");
	mailimap_capability_data_free(caps);
	return 0;
}

/* AUTHENTICATE OAUTHBEARER with the initial response on the command line
 * (SASL-IR), which libetpan has no call for.  On failure the server sends
 * its error as a challenge, answered with the dummy %x01 (RFC 7628 3.2.3).
 * Returns MAILIMAP_NO_ERROR, MAILIMAP_ERROR_STREAM or _FATAL, or
 * MAILIMAP_ERROR_LOGIN with the server's answer ("NO ...") in *why. */
static int imap_oauthbearer(struct imap *im, const char *user, const char *token,
                            char **why)
{
	char *ir = oauth2_oauthbearer(user, im->host, im->port, token);
	char *cmd = xasprintf("foid1 AUTHENTICATE OAUTHBEARER %s\r\n", ir);
	util_wipe(ir);
	mailstream *st = im->mi->imap_stream;
	int r = MAILIMAP_ERROR_STREAM;
	MMAPString *line = imap_nn(mmap_string_new(""));
	if (mailstream_write(st, cmd, strlen(cmd)) < 0 || mailstream_flush(st) < 0)
		goto out;
	for (;;) {
		if (!mailstream_read_line_remove_eol(st, line))
			goto out;
		if (strncmp(line->str, "+", 1) == 0) {
			if (mailstream_write(st, "AQ==\r\n", 6) < 0 || mailstream_flush(st) < 0)
				goto out;
			continue;
		}
		if (strncmp(line->str, "foid1 ", 6) == 0)
			break;
		if (strncasecmp(line->str, "* BYE", 5) == 0) {
			r = MAILIMAP_ERROR_FATAL;
			goto out;
		}
	}
	const char *rest = line->str + 6;
	if (strncasecmp(rest, "OK", 2) == 0) {
		im->mi->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		r = MAILIMAP_NO_ERROR;
	} else {
		*why = xstrdup(rest);
		r = MAILIMAP_ERROR_LOGIN;
	}
out:
	mmap_string_free(line);
	util_wipe(cmd);
	return r;
}

/* Logs in with a bearer token, by the mechanism the setting names or, for
 * "oauth2", the one the server offers (OAUTHBEARER first: the standard).
 * A refused token is replaced by a fresh one and tried once more before
 * the login counts as failed: a cached token may have been revoked, or a
 * clock be off. */
static int imap_bearer_login(struct imap *im, const struct config_server *srv, char **errp)
{
	int bearer = srv->auth == AUTH_OAUTHBEARER ||
	             (srv->auth == AUTH_OAUTH2 &&
	              mailimap_has_authentication(im->mi, "OAUTHBEARER"));
	const char *mech = bearer ? "OAUTHBEARER" : "XOAUTH2";
	if (srv->auth == AUTH_OAUTH2 && !bearer && !mailimap_has_xoauth2(im->mi)) {
		im->cause = HEALTH_REFUSED;
		return err_set(errp, FOID_EPERM, "%s: the server offers neither AUTH=OAUTHBEARER "
		               "nor AUTH=XOAUTH2", im->where);
	}
	struct oauth2 *o = NULL;
	oauth2_new(srv, &o);
	int rc = 0;
	for (int fresh = 0; fresh < 2; fresh++) {
		char *token = NULL;
		enum health_cause tc = HEALTH_NONE;
		if (errp) {
			free(*errp);
			*errp = NULL;
		}
		rc = oauth2_token(o, fresh, &token, &tc, errp);
		if (rc < 0) {
			im->cause = tc;
			break;
		}
		char *why = NULL;
		int r = bearer ? imap_oauthbearer(im, srv->username, token, &why)
		               : mailimap_oauth2_authenticate(im->mi, srv->username, token);
		util_wipe(token);
		if (r == MAILIMAP_NO_ERROR) {
			rc = 0;
			break;
		}
		if (why)
			rc = err_set(errp, FOID_EPERM, "%s: AUTHENTICATE %s as %s: server said %s",
			             im->where, mech, srv->username, why);
		else
			rc = imap_fail(im, r, errp, "AUTHENTICATE %s as %s", mech, srv->username);
		free(why);
		im->cause = HEALTH_TOKEN;
		if (rc != FOID_EPERM)
			break;
		log_info("event=imap.token_refused mech=%s fresh=%d", mech, fresh);
	}
	oauth2_free(o);
	return rc;
}

int imap_connect(const struct config_server *srv, struct imap **out,
                 enum health_cause *cause, char **errp)
{
	struct imap *im = xcalloc(1, sizeof *im);
	im->cause = HEALTH_REFUSED;
	im->fd = -1;
	im->host = xstrdup(srv->host);
	im->port = srv->port;
	im->timeout_ms = (srv->timeout > 0 ? srv->timeout : 1) * 1000;
	im->where = xasprintf("IMAP %s:%d", srv->host, srv->port);
	*out = NULL;

	int rc = imap_dial(im, errp);
	if (rc < 0)
		goto out;
	if (srv->security == SEC_TLS && (rc = imap_start_tls(im, srv, errp)) < 0)
		goto out;
	mailstream_low *low = imap_nn(mailstream_low_new(im, &imap_driver));
	mailstream *stream = imap_nn(mailstream_new(low, 8192));
	im->mi = imap_nn(mailimap_new(0, NULL));
	/* From here on the session owns the stream, even when connect fails. */
	int r = mailimap_connect(im->mi, stream);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		rc = imap_fail(im, r, errp, "greeting");
		goto out;
	}
	int preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
	if (srv->security == SEC_STARTTLS) {
		if (preauth) {
			im->broken = 1;
			rc = err_set(errp, FOID_EPERM, "%s: server pre-authenticated the "
			             "connection before STARTTLS", im->where);
			goto out;
		}
		if ((rc = imap_starttls(im, srv, errp)) < 0)
			goto out;
		/* Capabilities seen before TLS are not trustworthy. */
		if ((rc = imap_capability(im, errp)) < 0)
			goto out;
	}
	if (!preauth && srv->auth != AUTH_PASSWORD) {
		/* The greeting's capabilities, if any, name no mechanisms for
		 * certain: ask (after TLS, which was done above). */
		if (srv->security != SEC_STARTTLS && (rc = imap_capability(im, errp)) < 0)
			goto out;
		if ((rc = imap_bearer_login(im, srv, errp)) < 0)
			goto out;
	} else if (!preauth) {
		r = mailimap_login(im->mi, srv->username, srv->password ? srv->password : "");
		if (r != MAILIMAP_NO_ERROR) {
			rc = imap_fail(im, r, errp, "LOGIN as %s", srv->username);
			im->cause = HEALTH_LOGIN;
			goto out;
		}
	}
	rc = imap_capability(im, errp);
out:
	if (cause)
		*cause = rc == 0 ? HEALTH_NONE : rc == FOID_ETEMP ? HEALTH_TEMP : im->cause;
	if (rc < 0) {
		imap_free(im);
		return rc;
	}
	log_debug("event=imap.connected host=%s port=%d idle=%d move=%d", im->host,
	          im->port, imap_has_idle(im), imap_has_move(im));
	*out = im;
	return 0;
}

void imap_free(struct imap *im)
{
	if (!im)
		return;
	if (im->mi) {
		if (im->idling && !im->broken)
			imap_idle_done(im, NULL);
		if (im->broken && im->mi->imap_stream) {
			/* mailimap_free would send LOGOUT on a dead or untrusted stream. */
			mailstream_close(im->mi->imap_stream);
			im->mi->imap_stream = NULL;
		}
		mailimap_free(im->mi);
	}
	if (im->tls) {
		if (!im->broken)
			tls_bye(im->tls);
		tls_free(im->tls);
	}
	if (im->fd >= 0)
		close(im->fd);
	free(im->selected);
	free(im->host);
	free(im->where);
	free(im->io_err);
	free(im);
}

int imap_said_bye(const struct imap *im)
{
	return im->bye;
}

int imap_has_idle(const struct imap *im)
{
	return mailimap_has_idle(im->mi);
}

int imap_has_move(const struct imap *im)
{
	return mailimap_has_extension(im->mi, "MOVE");
}

int imap_noop(struct imap *im, char **errp)
{
	int r = mailimap_noop(im->mi);
	return r == MAILIMAP_NO_ERROR ? 0 : imap_fail(im, r, errp, "NOOP");
}

static uint32_t imap_exists_now(const struct imap *im)
{
	return im->mi->imap_selection_info ? im->mi->imap_selection_info->sel_exists : 0;
}

/* After a NO to SELECT: FOID_ENOTFOUND when LIST does not know the
 * mailbox, for servers (Dovecot 2.3) that give no [NONEXISTENT] code;
 * else rc. */
static int imap_missing(struct imap *im, const char *mailbox, int rc, char **errp)
{
	clist *found = NULL;
	int r = mailimap_list(im->mi, "", mailbox, &found);
	if (r == MAILIMAP_NO_ERROR && clist_count(found) == 0)
		rc = FOID_ENOTFOUND;
	if (found)
		mailimap_list_result_free(found);
	if (r != MAILIMAP_NO_ERROR) {
		/* A connection lost meanwhile must be reported as such. */
		char *lerr = NULL;
		if (imap_fail(im, r, &lerr, "LIST %s", mailbox) == FOID_ETEMP)
			rc = err_set(errp, FOID_ETEMP, "%s", lerr);
		free(lerr);
	}
	return rc;
}

int imap_select(struct imap *im, const char *mailbox, uint32_t *uidvalidity,
                uint32_t *uidnext, uint32_t *exists, char **errp)
{
	int r;
	if (!uidnext && !exists && im->selected && strcmp(im->selected, mailbox) == 0) {
		/* SELECT costs the server time in proportion to the mailbox; on
		 * the mailbox already selected a NOOP brings the same news (EXISTS,
		 * EXPUNGE), so a quiet poll stays cheap however full it is. */
		r = mailimap_noop(im->mi);
		if (r != MAILIMAP_NO_ERROR)
			return imap_fail(im, r, errp, "NOOP in %s", mailbox);
	} else {
		free(im->selected);
		im->selected = NULL;
		r = mailimap_select(im->mi, mailbox);
		if (r != MAILIMAP_NO_ERROR) {
			int rc = imap_fail(im, r, errp, "SELECT %s", mailbox);
			return rc == FOID_EPERM ? imap_missing(im, mailbox, rc, errp) : rc;
		}
		im->selected = xstrdup(mailbox);
		im->searched_exists = imap_exists_now(im);
	}
	struct mailimap_selection_info *sel = im->mi->imap_selection_info;
	if (uidvalidity)
		*uidvalidity = sel ? sel->sel_uidvalidity : 0;
	if (uidnext)
		*uidnext = sel ? sel->sel_uidnext : 0;
	if (exists)
		*exists = sel ? sel->sel_exists : 0;
	return 0;
}

int imap_keeps_keyword(const struct imap *im, const char *keyword)
{
	struct mailimap_selection_info *sel = im->mi->imap_selection_info;
	/* No PERMANENTFLAGS: RFC 3501 says assume every flag is kept. */
	if (!im->selected || !sel || !sel->sel_perm_flags || clist_count(sel->sel_perm_flags) == 0)
		return 1;
	for (clistiter *it = clist_begin(sel->sel_perm_flags); it; it = clist_next(it)) {
		struct mailimap_flag_perm *fp = clist_content(it);
		if (fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
			return 1;
		if (fp->fl_type == MAILIMAP_FLAG_PERM_FLAG && fp->fl_flag &&
		    fp->fl_flag->fl_type == MAILIMAP_FLAG_KEYWORD && fp->fl_flag->fl_data.fl_keyword &&
		    strcasecmp(fp->fl_flag->fl_data.fl_keyword, keyword) == 0)
			return 1;
	}
	return 0;
}

const char *imap_selected(const struct imap *im)
{
	return im->selected;
}

int imap_status(struct imap *im, const char *mailbox, uint32_t *uidvalidity,
                uint32_t *uidnext, char **errp)
{
	struct mailimap_status_att_list *atts = imap_nn(mailimap_status_att_list_new_empty());
	if (mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_UIDVALIDITY) !=
	            MAILIMAP_NO_ERROR ||
	    mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_UIDNEXT) != MAILIMAP_NO_ERROR)
		imap_nn(NULL);
	struct mailimap_mailbox_data_status *res = NULL;
	int r = mailimap_status(im->mi, mailbox, atts, &res);
	mailimap_status_att_list_free(atts);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, r, errp, "STATUS %s", mailbox);
	*uidvalidity = *uidnext = 0;
	for (clistiter *it = res && res->st_info_list ? clist_begin(res->st_info_list) : NULL;
	     it; it = clist_next(it)) {
		struct mailimap_status_info *si = clist_content(it);
		if (si->st_att == MAILIMAP_STATUS_ATT_UIDVALIDITY)
			*uidvalidity = si->st_value;
		else if (si->st_att == MAILIMAP_STATUS_ATT_UIDNEXT)
			*uidnext = si->st_value;
	}
	if (res)
		mailimap_mailbox_data_status_free(res);
	return 0;
}

int imap_has_news(const struct imap *im)
{
	return imap_exists_now(im) != im->searched_exists;
}

/* ---- search and fetch ---- */

static int imap_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts v and drops duplicates; returns the new count. */
static size_t imap_sort_unique(uint32_t *v, size_t n)
{
	qsort(v, n, sizeof *v, imap_cmp_u32);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (m == 0 || v[m - 1] != v[i])
			v[m++] = v[i];
	return m;
}

/* Runs UID SEARCH key (freed here) and returns the UIDs sorted, without
 * duplicates, keeping only those >= min_uid. */
static int imap_uid_search(struct imap *im, struct mailimap_search_key *key,
                           uint32_t min_uid, const char *what, uint32_t **uids,
                           size_t *n, char **errp)
{
	clist *res = NULL;
	int r = mailimap_uid_search(im->mi, NULL, key, &res);
	mailimap_search_key_free(key);
	*uids = NULL;
	*n = 0;
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, r, errp, "UID SEARCH %s", what);
	/* libetpan hands back NULL rather than an empty list for "* SEARCH". */
	if (!res)
		return 0;
	uint32_t *v = xcalloc(clist_count(res) + 1, sizeof *v);
	size_t k = 0;
	for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);
		if (uid >= min_uid)
			v[k++] = uid;
	}
	mailimap_search_result_free(res);
	size_t m = imap_sort_unique(v, k);
	if (m == 0) {
		free(v);
		v = NULL;
	}
	*uids = v;
	*n = m;
	return 0;
}

static int imap_check_search_text(struct imap *im, const char *s, char **errp)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return err_set(errp, FOID_EINVAL, "%s: search text must be printable "
			               "ASCII", im->where);
	return 0;
}

int imap_search_header(struct imap *im, const char *header, const char *value,
                       uint32_t **uids, size_t *n, char **errp)
{
	*uids = NULL;
	*n = 0;
	int rc = imap_check_search_text(im, header, errp);
	if (rc == 0)
		rc = imap_check_search_text(im, value, errp);
	if (rc < 0)
		return rc;
	struct mailimap_search_key *key = imap_nn(
		mailimap_search_key_new_header(xstrdup(header), xstrdup(value)));
	return imap_uid_search(im, key, 0, "HEADER", uids, n, errp);
}

/* RFC 3501 atom characters, minus the backslash that marks system flags. */
static int imap_valid_keyword(const char *kw)
{
	if (!*kw)
		return 0;
	for (const unsigned char *p = (const unsigned char *)kw; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("(){%*\"\\]", *p))
			return 0;
	return 1;
}

int imap_search_keyword(struct imap *im, const char *keyword, uint32_t **uids,
                        size_t *n, char **errp)
{
	*uids = NULL;
	*n = 0;
	if (!imap_valid_keyword(keyword))
		return err_set(errp, FOID_EINVAL, "%s: invalid keyword \"%s\"", im->where,
		               keyword);
	struct mailimap_search_key *key = imap_nn(
		mailimap_search_key_new_keyword(xstrdup(keyword)));
	return imap_uid_search(im, key, 0, "KEYWORD", uids, n, errp);
}

/* INTERNALDATE's zone comes as the decimal number HHMM with its sign. */
static int64_t imap_date_epoch(const struct mailimap_date_time *d)
{
	struct tm tm = {
		.tm_year = d->dt_year - 1900, .tm_mon = d->dt_month - 1, .tm_mday = d->dt_day,
		.tm_hour = d->dt_hour, .tm_min = d->dt_min, .tm_sec = d->dt_sec,
	};
	int64_t t = timegm(&tm);
	int z = d->dt_zone < 0 ? -d->dt_zone : d->dt_zone;
	int64_t off = (int64_t)(z / 100) * 3600 + (z % 100) * 60;
	return d->dt_zone < 0 ? t + off : t - off;
}

static struct mailimap_set *imap_uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = imap_nn(mailimap_set_new_empty());
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (mailimap_set_add_interval(set, uids[i], uids[j]) != MAILIMAP_NO_ERROR)
			imap_nn(NULL);
		i = j + 1;
	}
	return set;
}

static int imap_cmp_msg(const void *a, const void *b)
{
	const struct imap_msg *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Reads one FETCH response into m; returns 1 if it carries a body. */
static int imap_msg_from_att(struct mailimap_msg_att *att, struct imap_msg *m)
{
	int has_body = 0;
	memset(m, 0, sizeof *m);
	for (clistiter *it = clist_begin(att->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		struct mailimap_msg_att_static *st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			m->uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE:
			if (st->att_data.att_internal_date)
				m->internaldate = imap_date_epoch(st->att_data.att_internal_date);
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			m->rfc822_size = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (st->att_data.att_body_section) {
				has_body = 1;
				m->raw = st->att_data.att_body_section->sec_body_part;
				m->size = st->att_data.att_body_section->sec_length;
				if (!m->raw) {
					m->raw = "";
					m->size = 0;
				}
			}
			break;
		}
	}
	return has_body;
}

/* One UID FETCH for n sorted UIDs. */
static int imap_fetch_batch(struct imap *im, const uint32_t *uids, size_t n,
                            imap_msg_fn cb, void *arg, char **errp)
{
	struct mailimap_set *set = imap_uid_set(uids, n);
	struct mailimap_fetch_type *ft = imap_nn(mailimap_fetch_type_new_fetch_att_list_empty());
	struct mailimap_fetch_att *atts[] = {
		mailimap_fetch_att_new_uid(),
		mailimap_fetch_att_new_internaldate(),
		mailimap_fetch_att_new_rfc822_size(),
		mailimap_fetch_att_new_body_peek_section(imap_nn(mailimap_section_new(NULL))),
	};
	for (size_t i = 0; i < sizeof atts / sizeof atts[0]; i++)
		if (mailimap_fetch_type_new_fetch_att_list_add(ft, imap_nn(atts[i])) !=
		    MAILIMAP_NO_ERROR)
			imap_nn(NULL);
	clist *list = NULL;
	int r = mailimap_uid_fetch(im->mi, set, ft, &list);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, r, errp, "UID FETCH");
	/* Unsolicited FETCH responses (flag changes) may be mixed in: keep only
	 * bodies of the UIDs asked for. */
	struct imap_msg *msgs = xcalloc(clist_count(list) + 1, sizeof *msgs);
	size_t k = 0;
	for (clistiter *it = clist_begin(list); it; it = clist_next(it)) {
		struct imap_msg m;
		if (imap_msg_from_att(clist_content(it), &m) &&
		    bsearch(&m.uid, uids, n, sizeof *uids, imap_cmp_u32))
			msgs[k++] = m;
	}
	qsort(msgs, k, sizeof *msgs, imap_cmp_msg);
	int rc = 0;
	for (size_t i = 0; i < k && rc == 0; i++)
		if (i == 0 || msgs[i].uid != msgs[i - 1].uid)
			rc = cb(&msgs[i], arg);
	free(msgs);
	mailimap_fetch_list_free(list);
	return rc;
}

int imap_fetch_uids(struct imap *im, const uint32_t *uids, size_t n, imap_msg_fn cb,
                    void *arg, char **errp)
{
	uint32_t *v = xcalloc(n + 1, sizeof *v);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (uids[i] > 0)
			v[m++] = uids[i];
	size_t k = imap_sort_unique(v, m);
	int rc = 0;
	for (size_t i = 0; i < k && rc == 0; i += IMAP_FETCH_BATCH)
		rc = imap_fetch_batch(im, v + i, k - i < IMAP_FETCH_BATCH ? k - i : IMAP_FETCH_BATCH,
		                      cb, arg, errp);
	free(v);
	return rc;
}

int imap_fetch_new(struct imap *im, uint32_t after_uid, imap_msg_fn cb, void *arg,
                   char **errp)
{
	if (after_uid == UINT32_MAX)
		return 0;
	/* "n:*" always matches the highest UID even when it is below n, so an
	 * idle mailbox answers with at most one UID, which the filter drops. */
	struct mailimap_search_key *key = imap_nn(mailimap_search_key_new_uid(
		imap_nn(mailimap_set_new_interval(after_uid + 1, 0))));
	uint32_t *uids = NULL;
	size_t n = 0;
	int rc = imap_uid_search(im, key, after_uid + 1, "UID", &uids, &n, errp);
	if (rc == 0)
		im->searched_exists = imap_exists_now(im);
	if (rc == 0 && n > 0)
		rc = imap_fetch_uids(im, uids, n, cb, arg, errp);
	free(uids);
	return rc;
}

/* ---- changes ---- */

int imap_add_keyword_uids(struct imap *im, const uint32_t *uids, size_t n,
                          const char *keyword, char **errp)
{
	if (!imap_valid_keyword(keyword))
		return err_set(errp, FOID_EINVAL, "%s: invalid keyword \"%s\"", im->where,
		               keyword);
	if (n == 0)
		return 0;
	struct mailimap_flag_list *fl = imap_nn(mailimap_flag_list_new_empty());
	if (mailimap_flag_list_add(fl, imap_nn(mailimap_flag_new_flag_keyword(
		                               xstrdup(keyword)))) != MAILIMAP_NO_ERROR)
		imap_nn(NULL);
	struct mailimap_store_att_flags *att =
		imap_nn(mailimap_store_att_flags_new_add_flags_silent(fl));
	/* Runs of consecutive UIDs become ranges: one short command. */
	struct mailimap_set *set = imap_uid_set(uids, n);
	int r = mailimap_uid_store(im->mi, set, att);
	mailimap_set_free(set);
	mailimap_store_att_flags_free(att);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, r, errp, "UID STORE %u... +FLAGS (%s)", uids[0], keyword);
	return 0;
}

int imap_add_keyword(struct imap *im, uint32_t uid, const char *keyword, char **errp)
{
	return imap_add_keyword_uids(im, &uid, 1, keyword, errp);
}

static int imap_trycreate(const struct imap *im)
{
	return im->mi->imap_response_info && im->mi->imap_response_info->rsp_trycreate;
}

int imap_create(struct imap *im, const char *mailbox, char **errp)
{
	int r = mailimap_create(im->mi, mailbox);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	const char *code = im->mi->imap_response_info ? im->mi->imap_response_info->rsp_atom
	                                               : NULL;
	if (r == MAILIMAP_ERROR_CREATE && code && strcasecmp(code, "ALREADYEXISTS") == 0)
		return 0;
	return imap_fail(im, r, errp, "CREATE %s", mailbox);
}

int imap_move(struct imap *im, uint32_t uid, const char *dest, char **errp)
{
	int move = imap_has_move(im);
	struct mailimap_set *set = imap_nn(mailimap_set_new_single(uid));
	int r = move ? mailimap_uid_move(im->mi, set, dest) : mailimap_uid_copy(im->mi, set, dest);
	int rc = 0;
	if (r != MAILIMAP_NO_ERROR && imap_trycreate(im)) {
		rc = imap_create(im, dest, errp);
		if (rc == 0)
			r = move ? mailimap_uid_move(im->mi, set, dest)
			         : mailimap_uid_copy(im->mi, set, dest);
	}
	mailimap_set_free(set);
	if (rc == 0 && r != MAILIMAP_NO_ERROR)
		rc = imap_fail(im, r, errp, "UID %s %u %s", move ? "MOVE" : "COPY", uid, dest);
	if (rc == 0 && !move)
		rc = imap_add_keyword(im, uid, IMAP_COPIED_KEYWORD, errp);
	return rc;
}

/* "\Seen $Foo" as a libetpan flag list; *out NULL for no flags. */
static int imap_parse_flags(struct imap *im, const char *flags,
                            struct mailimap_flag_list **out, char **errp)
{
	static const struct {
		const char *name;
		struct mailimap_flag *(*make)(void);
	} sys[] = {
		{ "\\Seen", mailimap_flag_new_seen },
		{ "\\Answered", mailimap_flag_new_answered },
		{ "\\Flagged", mailimap_flag_new_flagged },
		{ "\\Draft", mailimap_flag_new_draft },
	};
	*out = NULL;
	if (!flags)
		return 0;
	struct mailimap_flag_list *fl = imap_nn(mailimap_flag_list_new_empty());
	char *copy = xstrdup(flags);
	char *save = NULL;
	int rc = 0;
	for (char *tok = strtok_r(copy, " ", &save); tok && rc == 0;
	     tok = strtok_r(NULL, " ", &save)) {
		struct mailimap_flag *f = NULL;
		for (size_t i = 0; i < sizeof sys / sizeof sys[0] && !f; i++)
			if (strcasecmp(tok, sys[i].name) == 0)
				f = imap_nn(sys[i].make());
		if (!f && imap_valid_keyword(tok))
			f = imap_nn(mailimap_flag_new_flag_keyword(xstrdup(tok)));
		if (!f)
			rc = err_set(errp, FOID_EINVAL, "%s: invalid flag \"%s\"", im->where, tok);
		else if (mailimap_flag_list_add(fl, f) != MAILIMAP_NO_ERROR)
			imap_nn(NULL);
	}
	free(copy);
	if (rc < 0)
		mailimap_flag_list_free(fl);
	else
		*out = fl;
	return rc;
}

int imap_append(struct imap *im, const char *mailbox, const char *raw, size_t len,
                const char *flags, char **errp)
{
	struct mailimap_flag_list *fl = NULL;
	int rc = imap_parse_flags(im, flags, &fl, errp);
	if (rc < 0)
		return rc;
	int r = mailimap_append(im->mi, mailbox, fl, NULL, raw, len);
	if (r != MAILIMAP_NO_ERROR && imap_trycreate(im)) {
		rc = imap_create(im, mailbox, errp);
		if (rc == 0)
			r = mailimap_append(im->mi, mailbox, fl, NULL, raw, len);
	}
	if (fl)
		mailimap_flag_list_free(fl);
	if (rc == 0 && r != MAILIMAP_NO_ERROR)
		rc = imap_fail(im, r, errp, "APPEND %s", mailbox);
	return rc;
}

/* ---- IDLE ---- */

int imap_idle_start(struct imap *im, char **errp)
{
	int r = mailimap_idle(im->mi);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, r, errp, "IDLE");
	im->idling = 1;
	return 0;
}

int imap_idle_fd(const struct imap *im)
{
	return im->fd;
}

int imap_idle_pending(const struct imap *im)
{
	return im->mi->imap_stream->read_buffer_len > 0 ||
	       (im->tls && tls_pending(im->tls) > 0);
}

/* Reads one untagged response (with any literals) during IDLE.  Returns 1
 * for a mailbox change, 0 for anything else, or FOID_ETEMP. */
static int imap_idle_read(struct imap *im, MMAPString *line, char **errp)
{
	struct buf resp = BUF_INIT;
	int rc = 0;
	for (;;) {
		if (!mailstream_read_line_remove_eol(im->mi->imap_stream, line)) {
			im->broken = 1;
			rc = err_set(errp, FOID_ETEMP, "%s: IDLE: %s", im->where,
			             im->io_err ? im->io_err : "connection lost");
			goto out;
		}
		buf_add(&resp, line->str, line->len);
		/* A literal {n} at the end of the line: skip its bytes. */
		char *brace = line->len ? strrchr(line->str, '{') : NULL;
		if (!brace || line->str[line->len - 1] != '}')
			break;
		unsigned long n = strtoul(brace + 1, NULL, 10);
		char skip[4096];
		while (n > 0) {
			ssize_t got = mailstream_read(im->mi->imap_stream, skip,
			                              n < sizeof skip ? n : sizeof skip);
			if (got <= 0) {
				im->broken = 1;
				rc = err_set(errp, FOID_ETEMP, "%s: IDLE: %s", im->where,
				             im->io_err ? im->io_err : "connection lost");
				goto out;
			}
			n -= (size_t)got;
		}
	}
	const char *s = resp.data;
	if (strncmp(s, "+", 1) == 0)
		goto out;
	if (strncmp(s, "* ", 2) != 0) {
		im->broken = 1;
		rc = err_set(errp, FOID_ETEMP, "%s: IDLE ended by the server: %s", im->where,
		             log_q(s));
		goto out;
	}
	s += 2;
	if (strncasecmp(s, "BYE", 3) == 0) {
		im->broken = 1;
		im->bye = 1;
		rc = err_set(errp, FOID_ETEMP, "%s: server said BYE during IDLE:%s", im->where,
		             s + 3);
		goto out;
	}
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == ' ' && (strncasecmp(s + 1, "EXISTS", 6) == 0 ||
	                  strncasecmp(s + 1, "RECENT", 6) == 0 ||
	                  strncasecmp(s + 1, "EXPUNGE", 7) == 0))
		rc = 1;
out:
	buf_free(&resp);
	return rc;
}

int imap_idle_wait(struct imap *im, int timeout_ms, int extra_fd, char **errp)
{
	if (!im->idling)
		return err_set(errp, FOID_EINVAL, "%s: not in IDLE", im->where);
	MMAPString *line = imap_nn(mmap_string_new(""));
	int64_t deadline = timeout_ms < 0 ? -1 : imap_clock_ms() + timeout_ms;
	int rc = 0;
	for (;;) {
		if (imap_idle_pending(im)) {
			rc = imap_idle_read(im, line, errp);
			if (rc != 0)
				break;
			continue;
		}
		int left = -1;
		if (deadline >= 0) {
			int64_t l = deadline - imap_clock_ms();
			if (l <= 0) {
				rc = 0;
				break;
			}
			left = l > INT32_MAX ? INT32_MAX : (int)l;
		}
		struct pollfd p[2] = { { .fd = im->fd, .events = POLLIN },
			               { .fd = extra_fd, .events = POLLIN } };
		int r = poll(p, extra_fd >= 0 ? 2 : 1, left);
		if (r < 0 && errno != EINTR) {
			im->broken = 1;
			rc = err_set(errp, FOID_ETEMP, "%s: IDLE: poll: %s", im->where,
			             strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		if (extra_fd >= 0 && p[1].revents) {
			rc = 2;
			break;
		}
		rc = imap_idle_read(im, line, errp);
		if (rc != 0)
			break;
	}
	mmap_string_free(line);
	return rc;
}

int imap_idle_done(struct imap *im, char **errp)
{
	if (!im->idling)
		return 0;
	im->idling = 0;
	if (im->broken)
		return err_set(errp, FOID_ETEMP, "%s: connection lost during IDLE", im->where);
	int r = mailimap_idle_done(im->mi);
	return r == MAILIMAP_NO_ERROR ? 0 : imap_fail(im, r, errp, "IDLE DONE");
}
