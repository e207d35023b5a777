/* The sender: hands queued messages to the SMTP server, at most once each.
 *
 * A message goes queued -> sending (committed before the SMTP transaction)
 * -> sent (with the server's final reply line as proof), failed (a 5xx
 * reply, or temporary failures for longer than smtp.give_up_after), or
 * back to queued with a growing delay (a 4xx reply or a failure before the
 * message went out).  When the whole message went out but no final reply
 * came, or foid died during the transaction, its fate is unknown: it
 * becomes unconfirmed, is never resent by itself, and is settled by
 * evidence (our Bcc copy arriving in the team's mailbox) or by a person. */
#ifndef FOID_SEND_H
#define FOID_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct config;
struct store;
struct send;

/* The states of messages.send_state.  For a request's initial message,
 * requests.delivery follows it (plus 'draft' before and 'bounced' after). */
enum send_state {
	SEND_QUEUED,
	SEND_SENDING,
	SEND_SENT,
	SEND_UNCONFIRMED,
	SEND_FAILED,
};

/* An outgoing message to queue; every field is borrowed.  raw/len are the
 * built message, rcpts the envelope recipients (Bcc included). */
struct send_item {
	int64_t request_id;         /* 0: none (a digest) */
	int64_t round_id;           /* for the event; 0: none */
	const char *purpose;        /* request, reminder:STEP, clarification, digest */
	const char *message_id;     /* without angle brackets */
	const char *in_reply_to;    /* NULL: none */
	const char *from_addr;
	const char *to_addrs;
	const struct strv *cc;      /* Cc header addresses; NULL: none */
	const char *subject;
	const char *raw;
	size_t len;
	const char *envelope_from;
	const char *const *rcpts;
	size_t nrcpts;
	const char *reply_address;  /* a request's: stored on it; NULL: unchanged */
	const char *actor;
	int64_t now;
};

/* The only way an outgoing message enters the store: stores the bytes,
 * inserts it queued (for a request's initial message, the request goes
 * queued too) and logs one event.  Runs inside the caller's transaction
 * when there is one, so pass store_begin'd writes that belong with it.
 * *row (may be NULL) is the new message. */
int send_queue(struct store *st, const struct config *cfg,
               const struct send_item *it, int64_t *row, char **errp);

/* What else changes with a message's state. */
struct send_change {
	const char *detail;      /* the event's; SENT: the proof, stored as
	                            smtp_reply; else, when set, as last_error */
	const char *actor;       /* NULL: foid */
	int64_t now;
	int64_t next_attempt_at; /* QUEUED: when to try; 0: unchanged */
	int attempts;            /* added to the attempts count */
	const char *clock_start; /* SENT request: day 0 and due date */
	const char *due_date;
};

/* Moves message msg (outgoing) to state to: FOID_EINVAL, changing nothing,
 * unless the table of allowed transitions has its current state -> to;
 * FOID_ENOTFOUND when there is no such message.  Writes the request's
 * delivery for a request's initial message and one event.  Inside the
 * caller's transaction, which must exist. */
int send_enter_state(struct store *st, int64_t msg, enum send_state to,
                     const struct send_change *c, char **errp);

/* Withdrawal: every queued message of the request fails, so nothing more
 * of it goes out.  Inside the caller's transaction.  *n (may be NULL)
 * counts them. */
int send_cancel_request(struct store *st, int64_t request_id,
                        const char *actor, int *n, char **errp);

/* A bounce (incoming message row) for a request that was sent or
 * unconfirmed: its delivery becomes bounced, with the bounce's evidence,
 * and an event.  Nothing when it was in another state. */
int send_request_bounced(struct store *st, int64_t request_id, int64_t row,
                         const char *actor, char **errp);

/* Borrows st and cfg, which must outlive the sender.  Loads the holiday
 * data (for due dates).  *out is freed with send_free. */
int send_new(struct store *st, const struct config *cfg, struct send **out,
             char **errp);
void send_free(struct send *s); /* NULL is fine */

/* Looks for proof that a message with this Message-ID was delivered; 1 and
 * a new *proof when found, 0 when not, negative on error. */
typedef int (*send_evidence_fn)(void *arg, const char *message_id,
                                char **proof);

/* Settles messages left 'sending' by a crash: sent when evidence(arg, ...)
 * finds proof, else unconfirmed.  evidence may be NULL.  *nsettled counts
 * them. */
int send_recover(struct send *s, send_evidence_fn evidence, void *arg,
                 int *nsettled, char **errp);

/* Marks an unconfirmed message sent with proof (e.g. our Bcc copy came
 * back), found by its Message-ID.  FOID_ENOTFOUND when no such message is
 * unconfirmed or sending.  Loads holiday data only for a request (its due
 * date). */
int send_confirm(struct store *st, const struct config *cfg,
                 const char *message_id, const char *proof, const char *actor,
                 char **errp);

/* A person's decision on an unconfirmed message: queue the same bytes
 * again (same Message-ID).  FOID_ENOTFOUND unless it is unconfirmed. */
int send_resend(struct store *st, const char *message_id, const char *actor,
                char **errp);

/* Settles every unconfirmed (or sending) message whose own copy (our Bcc)
 * has been stored as received mail: proof it went out.  *nsettled counts
 * them. */
int send_reconcile(struct store *st, const struct config *cfg, int *nsettled,
                   char **errp);

/* One pass: sends what is due at now, within the rate limits and sending
 * window.  *nsent counts accepted messages; *next_at is when something
 * queued next becomes due (0: nothing queued).  FOID_ETEMP when the
 * server could not be reached, FOID_EPERM when it cannot be used until a
 * person changes something (certificate, login, a refused sender): the
 * pass stops, queued mail waits, the server is tried again with a growing
 * delay, and the failure is logged and recorded (health.h). */
int send_pass(struct send *s, int64_t now, int *nsent, int64_t *next_at,
              char **errp);
/* Why the server could not be used at the last failure since it last took
 * a message (enum health_cause); HEALTH_NONE when it works. */
int send_server_fault(const struct send *s);

#endif
