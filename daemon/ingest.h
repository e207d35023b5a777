/* Ingestion: new mail from the team's mailboxes into the store.
 *
 * For each mailbox, foid keeps (UIDVALIDITY, last UID) in mailbox_state,
 * updated in the same transaction as the messages it covers; a changed
 * UIDVALIDITY starts the mailbox over, and messages already stored (same
 * Message-ID and bytes) are not stored again.  Each message is kept byte
 * for byte (content-addressed, with its SHA-256), parsed, and its
 * attachments saved under sanitised names.  Only after the transaction
 * has committed is the message flagged processed on the server (keyword,
 * and a move when configured); foid never deletes mail.  A message foid
 * cannot parse, or one over a limit, is stored raw with the reason. */
#ifndef FOID_INGEST_H
#define FOID_INGEST_H

#include <stddef.h>
#include <stdint.h>

struct classify_rules;
struct config;
struct imap;
struct store;

struct ingest_stats {
	int fetched;     /* messages read from the server */
	int stored;      /* new messages stored */
	int duplicates;  /* already stored (seen again) */
};

/* Stores one message seen at (mailbox, uidvalidity, uid).  *row is its
 * messages.id; *is_new is 0 when the same message was stored before.  A new
 * message is matched and classified (reply.h) when rules is not NULL.
 * Runs in the caller's transaction when there is one.  The raw bytes and
 * attachments are written but not synced: the caller calls blob_sync
 * before committing the rows that point at them. */
int ingest_store(struct store *st, const struct config *cfg,
                 const struct classify_rules *rules,
                 const char *mailbox, uint32_t uidvalidity, uint32_t uid,
                 int64_t internaldate, const char *raw, size_t len,
                 int64_t *row, int *is_new, char **errp);

/* Brings one mailbox up to date over im.  Adds to *stats. */
int ingest_mailbox(struct store *st, const struct config *cfg,
                   const struct classify_rules *rules, struct imap *im, const char *mailbox,
                   struct ingest_stats *stats, char **errp);

#endif
