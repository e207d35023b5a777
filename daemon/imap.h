/* IMAP client: the only module that uses libetpan's IMAP API.  libetpan
 * parses the protocol; the bytes travel through our own stream driver (plain
 * socket or a verified struct tls from tls.h), so every read and write obeys
 * the configured timeout and no password is sent before the server's
 * certificate has been verified (unless security is explicitly "plain").
 *
 * Return codes: 0 on success, or
 *   FOID_ETEMP  network failure, timeout, BYE, server temporarily unavailable;
 *               the connection is then unusable: imap_free it and reconnect
 *   FOID_EPERM  authentication refused, TLS verification failed, the server
 *               refused the command (NO/BAD) for a lasting reason
 *   FOID_ENOTFOUND  no such mailbox
 *   FOID_EINVAL bad argument (keyword syntax, flags)
 * Error text goes to *errp (caller frees) and never contains the password. */
#ifndef FOID_IMAP_H
#define FOID_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "health.h"

struct imap;

/* Keyword set on the source message when the server lacks MOVE and the
 * message was copied instead (foid never deletes or expunges mail). */
#define IMAP_COPIED_KEYWORD "$FoidCopied"

/* Connects to srv->host:srv->port, reads the greeting, does TLS as
 * srv->security says (verifying the certificate), logs in (LOGIN, or with
 * an OAuth2 bearer token by XOAUTH2 or OAUTHBEARER as srv->auth says) and
 * fetches the capabilities.  srv is not kept.  *out is the caller's (free
 * with imap_free).  *cause (may be NULL) says why it failed, for a person:
 * HEALTH_TEMP with FOID_ETEMP; HEALTH_TLS_TRUST, HEALTH_TLS_NAME,
 * HEALTH_LOGIN, HEALTH_SIGNIN, HEALTH_TOKEN or HEALTH_REFUSED otherwise. */
int imap_connect(const struct config_server *srv, struct imap **out,
                 enum health_cause *cause, char **errp);
/* Ends IDLE if active, logs out if the connection is still healthy, closes
 * the socket.  NULL is fine. */
void imap_free(struct imap *im);

/* 1 when the server ended the session with BYE (Exchange does when the
 * access token expires; a restart or doveadm kick does too): a reconnect
 * is the cure, not an error. */
int imap_said_bye(const struct imap *im);
int imap_has_idle(const struct imap *im);
int imap_has_move(const struct imap *im);

/* SELECT mailbox (read-write).  Any of the out pointers may be NULL; a value
 * the server did not announce is 0.  When mailbox is selected already and
 * only uidvalidity is asked for, this is a NOOP (SELECT's cost grows with
 * the size of the mailbox). */
int imap_select(struct imap *im, const char *mailbox, uint32_t *uidvalidity,
                uint32_t *uidnext, uint32_t *exists, char **errp);
/* 1 when the selected mailbox keeps keyword: its PERMANENTFLAGS name it
 * or \* (new keywords allowed), or the server announced none.  Exchange
 * Online lists only \Seen \Answered \Flagged \Deleted \Draft $MDNSent. */
int imap_keeps_keyword(const struct imap *im, const char *keyword);
/* The mailbox selected now (owned by im), or NULL. */
const char *imap_selected(const struct imap *im);
/* STATUS mailbox (UIDVALIDITY UIDNEXT): cheap for a mailbox not selected,
 * where a SELECT would cost in proportion to its size. */
int imap_status(struct imap *im, const char *mailbox, uint32_t *uidvalidity,
                uint32_t *uidnext, char **errp);
/* 1 when the server has announced a message count (EXISTS) for the
 * selected mailbox other than the one at its SELECT or the last
 * imap_fetch_new: mail that came since, which IDLE would not announce. */
int imap_has_news(const struct imap *im);

/* One fetched message.  raw (size bytes; libetpan NUL-terminates it) and the
 * struct are valid only during the callback. */
struct imap_msg {
	uint32_t uid;
	int64_t internaldate;   /* seconds since the epoch */
	uint32_t rfc822_size;   /* as the server announced it */
	const char *raw;
	size_t size;
};
/* Returns 0 to go on; a negative code stops the fetch and is returned. */
typedef int (*imap_msg_fn)(const struct imap_msg *msg, void *arg);

/* Calls cb, in ascending UID order, for every message of the selected
 * mailbox with UID > after_uid.  Looks with UID SEARCH first, so a poll that
 * finds nothing costs one small command; then fetches in batches of
 * IMAP_FETCH_BATCH messages, so memory is bounded by one batch.  Messages
 * are fetched with BODY.PEEK[]: \Seen is not set. */
#define IMAP_FETCH_BATCH 50
int imap_fetch_new(struct imap *im, uint32_t after_uid, imap_msg_fn cb, void *arg,
                   char **errp);
/* The same for the given UIDs (any order; fetched ascending; UIDs that no
 * longer exist are skipped). */
int imap_fetch_uids(struct imap *im, const uint32_t *uids, size_t n, imap_msg_fn cb,
                    void *arg, char **errp);

/* UID STORE +FLAGS.SILENT (keyword).  keyword must be an IMAP atom. */
int imap_add_keyword(struct imap *im, uint32_t uid, const char *keyword, char **errp);
/* The same for n UIDs (ascending) in one command. */
int imap_add_keyword_uids(struct imap *im, const uint32_t *uids, size_t n,
                          const char *keyword, char **errp);
/* Moves a message of the selected mailbox to dest: UID MOVE when the server
 * has MOVE, else UID COPY and IMAP_COPIED_KEYWORD on the source. */
int imap_move(struct imap *im, uint32_t uid, const char *dest, char **errp);

/* UID SEARCH HEADER header value in the selected mailbox.  *uids (ascending,
 * caller frees; NULL when *n is 0). */
int imap_search_header(struct imap *im, const char *header, const char *value,
                       uint32_t **uids, size_t *n, char **errp);
/* UID SEARCH KEYWORD keyword. */
int imap_search_keyword(struct imap *im, const char *keyword, uint32_t **uids,
                        size_t *n, char **errp);

/* APPEND raw (len bytes) to mailbox, creating the mailbox when the server
 * answers TRYCREATE.  flags: space-separated system flags (\Seen \Answered
 * \Flagged \Draft) and keywords, or NULL.  libetpan sends bare LF as CRLF. */
int imap_append(struct imap *im, const char *mailbox, const char *raw, size_t len,
                const char *flags, char **errp);
/* CREATE mailbox; succeeds when it already exists. */
int imap_create(struct imap *im, const char *mailbox, char **errp);

int imap_noop(struct imap *im, char **errp);

/* IDLE on the selected mailbox.  Between imap_idle_start and imap_idle_done
 * only imap_idle_wait, imap_idle_fd and imap_idle_pending may be called. */
int imap_idle_start(struct imap *im, char **errp);
/* The socket, for a caller that polls several things itself; check
 * imap_idle_pending first: data already buffered does not wake poll(). */
int imap_idle_fd(const struct imap *im);
int imap_idle_pending(const struct imap *im);
/* Waits up to timeout_ms (negative: forever).  Returns 1 when the server
 * reported a change (EXISTS, RECENT, EXPUNGE), 0 on timeout, 2 when
 * extra_fd (-1: none) became readable, or FOID_ETEMP (BYE, connection lost). */
int imap_idle_wait(struct imap *im, int timeout_ms, int extra_fd, char **errp);
int imap_idle_done(struct imap *im, char **errp);

#endif
