/* OAuth2 access tokens for the IMAP and SMTP logins (auth other than
 * "password").  A token comes from one of two places, per server:
 *   - token_command: run by /bin/sh before every connection, as a bounded
 *     subprocess (convert.h); its first output line is the token;
 *   - token_file: the refresh token that foictl login stored (oauth2_login),
 *     exchanged at token_url for access tokens, which are kept in the same
 *     file until shortly before they expire.  A rotated refresh token is
 *     written atomically (temp file, fsync, rename) under a lock, so foid
 *     and foictl never lose one.
 * The token endpoint is reached over libcurl with the certificate
 * verified; config.c allows plain http only on loopback.
 * Tokens, refresh tokens and client secrets never appear in *errp or in
 * a log line. */
#ifndef FOID_OAUTH2_H
#define FOID_OAUTH2_H

#include <stdio.h>

#include "config.h"
#include "health.h"

struct oauth2;

/* Copies what it needs from srv (auth must not be AUTH_PASSWORD).  *out
 * is the caller's (oauth2_free). */
int oauth2_new(const struct config_server *srv, struct oauth2 **out);
void oauth2_free(struct oauth2 *o); /* NULL is fine */

/* A current access token in *token (caller frees, wiping it with
 * util_wipe).  fresh = 1 when the last one was refused: the command runs
 * again, or the refresh token is used even though the access token has
 * not expired yet.  Returns 0, or FOID_ETEMP (network, token endpoint
 * unavailable: *cause HEALTH_TEMP), or FOID_EPERM with *cause
 * HEALTH_SIGNIN (no sign-in yet, or invalid_grant: the line names foictl
 * login) or HEALTH_TOKEN (the command failed or printed nothing, the
 * endpoint refuses the client). */
int oauth2_token(struct oauth2 *o, int fresh, char **token, enum health_cause *cause,
                 char **errp);

/* foictl login: signs in once by srv->flow and stores the refresh token in
 * srv->token_file (mode 0600).  The device flow (RFC 8628) prints the
 * address and code on out and polls; the loopback flow prints an address
 * to open, listens on 127.0.0.1 for the redirect and checks the PKCE
 * verifier's state.  wait_s bounds the wait for the person. */
int oauth2_login(const struct config_server *srv, FILE *out, int wait_s, char **errp);

/* The base64 SASL initial response of OAUTHBEARER (RFC 7628) for user at
 * host:port; caller frees with util_wipe. */
char *oauth2_oauthbearer(const char *user, const char *host, int port, const char *token);

#endif
