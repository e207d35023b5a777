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

#include <stdint.h>

struct config;
struct store;
struct send;

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
 * unconfirmed or sending. */
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
