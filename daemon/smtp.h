/* SMTP submission through libcurl (oauth2.c uses it for token endpoints).
 * One handle keeps one connection open across many messages (libcurl's
 * connection cache) and reconnects by itself when the server ends the
 * session.  Certificates and host names are always verified.  The login is
 * a password or an OAuth2 bearer token (XOAUTH2, OAUTHBEARER) from
 * oauth2.h, fetched before each message and replaced once when refused. */
#ifndef FOID_SMTP_H
#define FOID_SMTP_H

#include <stddef.h>

#include "config.h"
#include "health.h"

struct smtp;

/* Where a send stopped. */
enum smtp_stage {
	SMTP_STAGE_NONE = 0,  /* accepted */
	SMTP_STAGE_CONNECT,   /* TCP, TLS, greeting, EHLO, STARTTLS or AUTH, and
	                         530/535/538 authentication replies anywhere */
	SMTP_STAGE_MAIL,      /* MAIL FROM */
	SMTP_STAGE_RCPT,      /* RCPT TO */
	SMTP_STAGE_DATA,      /* DATA, the content, or the final reply */
};

struct smtp_result {
	int code;          /* reply to the last command sent (or the greeting), e.g.
	                    * 250; 0 if the connection failed before any reply */
	char reply[512];   /* that reply's line(s), CRLFs turned into "\n"; cut if long */
	int stage;         /* enum smtp_stage */
	/* 1 when the whole message went out but no final reply came back (the
	 * connection dropped or timed out): it may or may not be delivered. */
	int maybe_sent;
	/* enum health_cause: a fault of the server or of our settings, that
	 * every message would meet (TLS, login, a refused sender: MAIL FROM
	 * answered 5xx); HEALTH_NONE when the message went, or when only this
	 * message failed. */
	int cause;
};

/* Copies what it needs from srv (srv may be freed afterwards).  Nothing is
 * connected until the first smtp_send.  *out is owned by the caller
 * (smtp_free).  Fails only on settings libcurl refuses (FOID_EINVAL). */
int smtp_new(const struct config_server *srv, struct smtp **out, char **errp);
void smtp_free(struct smtp *s); /* closes the connection (QUIT); NULL ok */

/* Sends one message: raw (len bytes, CRLF line ends, headers included) is
 * sent as given; dot-stuffing is done here.  rcpts holds nrcpt (> 0) bare
 * addresses ("a@b.example"); envelope_from may be "" for the null sender.
 * Returns 0 when the server accepted the message (res->code 250, res->reply
 * its line with the queue id), FOID_ETEMP on 4xx replies, network failures
 * and timeouts, FOID_EPERM on 5xx replies and on TLS or login failures, or
 * FOID_EINVAL on bad arguments.  res (required) is always filled; *errp
 * gets a one-line description including the server's reply.
 * A failure at SMTP_STAGE_CONNECT concerns the server, not the message:
 * with FOID_EPERM (certificate, STARTTLS missing, login refused) every
 * message will fail until the configuration changes.
 * When a reused connection turns out closed, or the server ends the session
 * (421, or 4xx to MAIL such as a per-session message limit), the message
 * is retried once on a fresh connection before failing. */
int smtp_send(struct smtp *s, const char *envelope_from,
              const char *const *rcpts, size_t nrcpt,
              const char *raw, size_t len, struct smtp_result *res,
              char **errp);

/* Drops the open connection, if any; the next send connects afresh. */
void smtp_reset(struct smtp *s);

/* How many connections this handle has opened so far. */
unsigned long smtp_connections(const struct smtp *s);

#endif
