#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

struct tls {
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
	int fd;
	int timeout_ms;
	char *host;
};

static int64_t tls_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the fd is ready in the direction GnuTLS last wanted.
 * Returns 0, or FOID_ETEMP when the deadline passes or poll fails. */
static int tls_wait(struct tls *t, int64_t deadline, const char *what, char **errp)
{
	struct pollfd p = { .fd = t->fd, .events = POLLIN };
	if (gnutls_record_get_direction(t->session) == 1)
		p.events = POLLOUT;
	for (;;) {
		int64_t left = deadline - tls_clock_ms();
		if (left <= 0)
			return err_set(errp, FOID_ETEMP, "TLS: %s %s timed out after %d s",
			               what, t->host, t->timeout_ms / 1000);
		int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return err_set(errp, FOID_ETEMP, "TLS: %s %s: %s", what, t->host,
			               strerror(errno));
	}
}

static int tls_is_ip(const char *host)
{
	unsigned char addr[16];
	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/* The reasons named in a failed verification status, most useful first. */
static char *tls_status_text(gnutls_session_t s, unsigned status)
{
	struct buf b = BUF_INIT;
	static const struct {
		unsigned flag;
		const char *text;
	} reasons[] = {
		{ GNUTLS_CERT_SIGNER_NOT_FOUND, "not trusted: signer not found" },
		{ GNUTLS_CERT_SIGNER_NOT_CA, "not trusted: signer is not a CA" },
		{ GNUTLS_CERT_REVOKED, "revoked" },
		{ GNUTLS_CERT_EXPIRED, "certificate expired" },
		{ GNUTLS_CERT_NOT_ACTIVATED, "certificate not yet valid" },
		{ GNUTLS_CERT_UNEXPECTED_OWNER, "host name mismatch" },
		{ GNUTLS_CERT_INSECURE_ALGORITHM, "insecure signature algorithm" },
		{ GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature" },
	};
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		if (!(status & reasons[i].flag))
			continue;
		buf_adds(&b, b.len ? ", " : "");
		buf_adds(&b, reasons[i].text);
	}
	if (b.len == 0) {
		gnutls_datum_t txt = { NULL, 0 };
		if (gnutls_certificate_verification_status_print(
			    status, gnutls_certificate_type_get(s), &txt, 0) == 0) {
			buf_adds(&b, (const char *)txt.data);
			gnutls_free(txt.data);
		} else {
			buf_adds(&b, "not trusted");
		}
	}
	return buf_detach(&b);
}

/* Errors that mean the connection went away rather than a TLS problem. */
static int tls_is_net_error(int r)
{
	return r == GNUTLS_E_PUSH_ERROR || r == GNUTLS_E_PULL_ERROR ||
	       r == GNUTLS_E_PREMATURE_TERMINATION || r == GNUTLS_E_TIMEDOUT;
}

static int tls_handshake(struct tls *t, enum health_cause *cause, char **errp)
{
	*cause = HEALTH_TEMP;
	int64_t deadline = tls_clock_ms() + t->timeout_ms;
	for (;;) {
		int r = gnutls_handshake(t->session);
		if (r == GNUTLS_E_SUCCESS)
			return 0;
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED ||
		    !gnutls_error_is_fatal(r)) {
			int w = tls_wait(t, deadline, "handshake with", errp);
			if (w < 0)
				return w;
			continue;
		}
		if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			unsigned status = gnutls_session_get_verify_cert_status(t->session);
			char *why = tls_status_text(t->session, status);
			/* A trusted certificate for another name: the host setting
			 * is wrong, not the trust. */
			*cause = (status & ~(unsigned)GNUTLS_CERT_INVALID) ==
			         GNUTLS_CERT_UNEXPECTED_OWNER ? HEALTH_TLS_NAME
			                                      : HEALTH_TLS_TRUST;
			/* "not trusted: signer not found" reads on from the host name. */
			err_set(errp, FOID_EPERM, "TLS: certificate of %s%s%s", t->host,
			        util_starts_with(why, "not trusted") ? " " : ": ", why);
			free(why);
			return FOID_EPERM;
		}
		if (!tls_is_net_error(r))
			*cause = HEALTH_REFUSED;
		return err_set(errp, tls_is_net_error(r) ? FOID_ETEMP : FOID_EPERM,
		               "TLS: handshake with %s failed: %s", t->host,
		               gnutls_strerror(r));
	}
}

int tls_client_new(int fd, const char *hostname, const char *ca_file,
                   int timeout_s, struct tls **out, enum health_cause *cause,
                   char **errp)
{
	enum health_cause why = HEALTH_TEMP;
	struct tls *t = xcalloc(1, sizeof *t);
	t->fd = fd;
	t->timeout_ms = (timeout_s > 0 ? timeout_s : 1) * 1000;
	t->host = xstrdup(hostname);
	int rc = FOID_EINVAL;
	*out = NULL;

	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		rc = err_set(errp, FOID_ETEMP, "TLS: %s: %s", hostname, strerror(errno));
		goto out;
	}
	if (gnutls_certificate_allocate_credentials(&t->cred) < 0)
		abort();
	if (ca_file) {
		int n = gnutls_certificate_set_x509_trust_file(t->cred, ca_file,
		                                               GNUTLS_X509_FMT_PEM);
		if (n <= 0) {
			why = HEALTH_TLS_TRUST;
			rc = err_set(errp, FOID_EINVAL, "TLS: cannot load CA file %s: %s",
			             ca_file, n < 0 ? gnutls_strerror(n) : "no certificates");
			goto out;
		}
	} else if (gnutls_certificate_set_x509_system_trust(t->cred) <= 0) {
		why = HEALTH_TLS_TRUST;
		rc = err_set(errp, FOID_EINVAL, "TLS: cannot load the system trust store");
		goto out;
	}
	if (gnutls_init(&t->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0)
		abort();
	if (gnutls_set_default_priority(t->session) < 0 ||
	    gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->cred) < 0) {
		why = HEALTH_REFUSED;
		rc = err_set(errp, FOID_EINVAL, "TLS: cannot set up a session for %s", hostname);
		goto out;
	}
	/* RFC 6066: SNI carries DNS names only, never literal addresses. */
	if (!tls_is_ip(hostname))
		gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, hostname, strlen(hostname));
	/* GnuTLS checks the chain and the name (IP SANs for an address) during
	 * the handshake and aborts it with an alert when either is wrong. */
	gnutls_session_set_verify_cert(t->session, hostname, 0);
	gnutls_transport_set_int(t->session, fd);
	rc = tls_handshake(t, &why, errp);
out:
	if (cause)
		*cause = rc < 0 ? why : HEALTH_NONE;
	if (rc < 0) {
		tls_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

ssize_t tls_read(struct tls *t, void *buf, size_t n, char **errp)
{
	int64_t deadline = tls_clock_ms() + t->timeout_ms;
	for (;;) {
		ssize_t r = gnutls_record_recv(t->session, buf, n);
		if (r >= 0)
			return r;
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED ||
		    !gnutls_error_is_fatal((int)r)) {
			int w = tls_wait(t, deadline, "read from", errp);
			if (w < 0)
				return w;
			continue;
		}
		return err_set(errp, FOID_ETEMP, "TLS: read from %s failed: %s", t->host,
		               gnutls_strerror((int)r));
	}
}

ssize_t tls_write(struct tls *t, const void *buf, size_t n, char **errp)
{
	int64_t deadline = tls_clock_ms() + t->timeout_ms;
	for (;;) {
		ssize_t r = gnutls_record_send(t->session, buf, n);
		if (r > 0)
			return r;
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			int w = tls_wait(t, deadline, "write to", errp);
			if (w < 0)
				return w;
			continue;
		}
		return err_set(errp, FOID_ETEMP, "TLS: write to %s failed: %s", t->host,
		               r == 0 ? "nothing written" : gnutls_strerror((int)r));
	}
}

size_t tls_pending(const struct tls *t)
{
	return gnutls_record_check_pending(t->session);
}

void tls_bye(struct tls *t)
{
	int64_t deadline = tls_clock_ms() + t->timeout_ms;
	for (;;) {
		int r = gnutls_bye(t->session, GNUTLS_SHUT_WR);
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED)
			return;
		if (tls_wait(t, deadline, "close of", NULL) < 0)
			return;
	}
}

void tls_free(struct tls *t)
{
	if (!t)
		return;
	if (t->session)
		gnutls_deinit(t->session);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	free(t->host);
	free(t);
}
