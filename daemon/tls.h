/* TLS client sessions over a connected socket: the only module that uses
 * GnuTLS's session API.  libetpan's GnuTLS build verifies nothing, so every
 * TLS connection of foid goes through here: the chain is checked against
 * the configured CA file (or the system trust store) and the certificate
 * must name the host we dialled (an IP address must match an IP SAN). */
#ifndef FOID_TLS_H
#define FOID_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "health.h"

struct tls;

/* Handshakes on fd (a connected socket, blocking or not: it is made
 * non-blocking) with SNI for hostname, then verifies the peer.  ca_file NULL
 * means the system trust store.  timeout_s bounds the handshake and every
 * later read or write.  The fd stays owned by the caller and must outlive
 * the session.  Returns 0 and *out (free with tls_free), or:
 *   FOID_EPERM  verification failed ("TLS: certificate of HOST not trusted:
 *               signer not found", "...: certificate expired", "...: host
 *               name mismatch") or the handshake failed for a protocol reason
 *   FOID_ETEMP  the connection broke or timed out
 *   FOID_EINVAL the CA file cannot be loaded
 * *cause (may be NULL) says why for a person: HEALTH_TLS_NAME when only the
 * name is wrong, HEALTH_TLS_TRUST for the other verification failures and
 * a bad CA file, HEALTH_REFUSED for a protocol failure, HEALTH_TEMP. */
int tls_client_new(int fd, const char *hostname, const char *ca_file,
                   int timeout_s, struct tls **out, enum health_cause *cause,
                   char **errp);

/* Reads up to n bytes, waiting at most the session timeout.  Returns the
 * count, 0 at a clean end of stream, or FOID_ETEMP. */
ssize_t tls_read(struct tls *t, void *buf, size_t n, char **errp);
/* Writes up to n bytes (at least one), waiting at most the session timeout.
 * Returns the count or FOID_ETEMP. */
ssize_t tls_write(struct tls *t, const void *buf, size_t n, char **errp);
/* Bytes already decrypted and waiting in GnuTLS: poll() on the fd will not
 * report them. */
size_t tls_pending(const struct tls *t);
/* Sends close_notify (best effort, bounded by the timeout). */
void tls_bye(struct tls *t);
/* Frees the session; does not close the fd.  NULL is fine. */
void tls_free(struct tls *t);

#endif
