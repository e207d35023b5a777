/* Server health: what stops foid from using its IMAP or SMTP server, kept
 * in the store (table server_health) so that foictl status and the digest
 * can show it to a person.  The connection code (tls.c, imap.c, smtp.c)
 * says why a connection failed as an enum health_cause; foid records the
 * failure with health_fail and clears it with health_ok when the server
 * works again.
 *
 * A key names what failed: "imap" and "smtp" for the servers, "imap:NAME"
 * for one mailbox. */
#ifndef FOID_HEALTH_H
#define FOID_HEALTH_H

#include <stdint.h>

struct jws;
struct store;
struct buf;

/* Why a server cannot be used.  Only HEALTH_TEMP cures itself; the others
 * are a person's to fix, and foid keeps retrying until they have. */
enum health_cause {
	HEALTH_NONE = 0,   /* no server fault (success, or one message's own) */
	HEALTH_TEMP,       /* network trouble, timeout, 4xx, server unavailable */
	HEALTH_TLS_TRUST,  /* certificate not trusted, expired or revoked */
	HEALTH_TLS_NAME,   /* certificate issued for another host name */
	HEALTH_LOGIN,      /* user name or password refused */
	HEALTH_MAILBOX,    /* a configured mailbox does not exist */
	HEALTH_SENDER,     /* the SMTP server refuses our envelope sender */
	HEALTH_REFUSED,    /* another lasting refusal (TLS or STARTTLS missing) */
	HEALTH_SIGNIN,     /* OAuth2: no sign-in yet, or the refresh token was
	                      revoked or expired (invalid_grant) */
	HEALTH_TOKEN,      /* OAuth2: a fresh access token refused, or the token
	                      endpoint or token_command refuses to give one */
};

/* What a person should change, for the log's fix= field and foictl
 * status: a new string (caller frees), or NULL for HEALTH_NONE and
 * HEALTH_TEMP.  section is the config group, "imap" or "smtp". */
char *health_fix(const char *section, enum health_cause cause);

/* A failing server's next wait, in seconds: first after a success (last
 * 0), else twice last, at most max. */
int health_backoff(int last, int first, int max);

/* The log line of a server found down: "event=EVENT error=WHY fix=FIX
 * retry_in=SECONDS" as an error (as debug when quiet: the fix was said
 * already), or without a fix as a warning. */
void health_log_down(const char *event, const char *why, const char *fix,
                     int retry_in, int quiet);

/* The sysexits code for foid --once: EX_TEMPFAIL for HEALTH_TEMP,
 * EX_NOPERM for a refused login or sender, EX_CONFIG for the rest, EX_OK
 * for HEALTH_NONE. */
int health_exit_code(enum health_cause cause);

/* Records that key failed at now.  The time of the first failure is kept
 * while the failures go on.  fix may be NULL.  *is_new (may be NULL) is 1
 * when key was not failing before or failed for another reason (another
 * fix), so that a repeated failure need not be logged loudly every time. */
int health_fail(struct store *st, const char *key, enum health_cause cause,
                const char *error, const char *fix, int64_t now, int *is_new,
                char **errp);
/* key works: forgets its failure.  Costs a read when there was none. */
int health_ok(struct store *st, const char *key, char **errp);

/* Forgets the failures of mailboxes ("imap:NAME") not among mailboxes
 * (NULL-terminated): ones taken out of the config are not tried again. */
int health_keep_mailboxes(struct store *st, char *const *mailboxes, char **errp);

/* Every recorded failure, one paragraph each ("IMAP failing since TIME:
 * ERROR" and a "fix:" line), times in tz; nothing when all is well.
 * indent goes before each line. */
int health_text(struct store *st, const char *tz, const char *indent,
                struct buf *out, char **errp);
/* The same as the value of the current JSON key: an array of objects
 * {server, permanent, since, last, error, fix}. */
int health_json(struct store *st, const char *tz, struct jws *w, char **errp);

#endif
