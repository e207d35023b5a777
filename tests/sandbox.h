/* A private, real mail system for tests: OpenSMTPD and Dovecot on loopback,
 * run by scripts/sandbox.sh (its header says what listens where).  Start it
 * in an unchecked fixture so that teardown runs even when a case fails:
 *
 *   static struct sandbox *sb;
 *   static void sb_up(void) { sb = sandbox_start(); }
 *   static void sb_down(void) { sandbox_stop(sb); }
 *   tcase_add_unchecked_fixture(tc, sb_up, sb_down);
 *
 * Every address user@domain is its own Dovecot user with its own mailboxes;
 * every user's password is sb->password. */
#ifndef FOID_TEST_SANDBOX_H
#define FOID_TEST_SANDBOX_H

#include <stddef.h>

#include "util.h"

struct fixture;

struct sandbox {
	char *dir;               /* SANDBOX_DIR: a fresh temporary directory */
	char *host;              /* SANDBOX_HOST: "127.0.0.1" */
	int smtp_port;           /* OpenSMTPD: plaintext, no AUTH, no STARTTLS */
	int submission_port;     /* Dovecot submission: STARTTLS offered, AUTH required */
	int smtps_port;          /* Dovecot submission over implicit TLS, AUTH required */
	int imap_port;           /* plaintext, STARTTLS offered */
	int imaps_port;          /* implicit TLS, certificate signed by the test CA */
	int lmtp_port;
	/* IMAPS endpoints whose certificate must fail verification. */
	char *imaps_selfsigned_host;
	int imaps_selfsigned_port;
	char *imaps_expired_host;
	int imaps_expired_port;
	char *imaps_wronghost_host; /* certificate for mail.wrong.test */
	int imaps_wronghost_port;
	char *ca;                /* PEM file of the test CA */
	char *password;          /* every user's password */
	char *dovecot_conf;      /* for doveadm -c */
	struct strv env;         /* every KEY=value line of sandbox.env */
	struct fixture *fx;      /* owns dir */
};

/* Starts a sandbox in a new temporary directory, with a watcher that stops
 * it when this process exits.  Fails the test (ck_assert) with the script's
 * message when a server does not start. */
struct sandbox *sandbox_start(void);
/* Stops every server, removes the directory and frees sb.  NULL is fine. */
void sandbox_stop(struct sandbox *sb);
/* The value of a sandbox.env key, e.g. "SANDBOX_SMTPD_PID"; NULL if absent.
 * Owned by sb. */
const char *sandbox_get(const struct sandbox *sb, const char *key);

/* Stores a message in user's mailbox (created if missing) over plaintext
 * IMAP.  internaldate is an IMAP date-time such as "04-Jul-2016 10:00:00
 * +0100", or NULL for now (Dovecot keeps the instant; FETCH shows it in
 * the server's zone).  Returns 0 or a negative FOID_E* code with *errp
 * set. */
int sandbox_append(struct sandbox *sb, const char *user, const char *mailbox,
                   const char *raw, size_t len, const char *internaldate,
                   char **errp);
/* Number of messages in user's mailbox (0 when it does not exist), or a
 * negative FOID_E* code with *errp set. */
int sandbox_count(struct sandbox *sb, const char *user, const char *mailbox,
                  char **errp);
/* Waits until user's mailbox holds at least n messages.  Returns 0, or
 * FOID_ETEMP with *errp set once timeout_s seconds have passed. */
int sandbox_wait_count(struct sandbox *sb, const char *user, const char *mailbox,
                       int n, int timeout_s, char **errp);

/* Reads message number seq (from 1) of user's mailbox over plaintext IMAP.
 * Returns the raw message, NUL-terminated (caller frees; *len, if not NULL,
 * excludes the NUL), or NULL with *errp set. */
char *sandbox_fetch(struct sandbox *sb, const char *user, const char *mailbox,
                    int seq, size_t *len, char **errp);
/* The same over implicit TLS at host:port, verifying the server's
 * certificate and name against the test CA. */
char *sandbox_fetch_tls(struct sandbox *sb, const char *host, int port,
                        const char *user, const char *mailbox, int seq,
                        size_t *len, char **errp);
/* Runs an IMAP command (e.g. "FETCH 1 INTERNALDATE") in user's mailbox over
 * plaintext IMAP and returns its untagged response lines (caller frees), or
 * NULL with *errp set. */
char *sandbox_imap(struct sandbox *sb, const char *user, const char *mailbox,
                   const char *command, char **errp);

enum sandbox_smtp {
	SANDBOX_SMTP_PLAIN,    /* sb->smtp_port, no TLS, no AUTH */
	SANDBOX_SMTP_STARTTLS, /* sb->submission_port, STARTTLS required, AUTH */
	SANDBOX_SMTP_SMTPS,    /* sb->smtps_port, implicit TLS, AUTH */
};
/* Sends raw from one address to one recipient; the TLS modes verify the
 * server against the test CA and log in as from.  Returns 0 or a negative
 * FOID_E* code with *errp set. */
int sandbox_send(struct sandbox *sb, enum sandbox_smtp mode, const char *from,
                 const char *rcpt, const char *raw, char **errp);

#endif
