/* What foictl export hands to a colleague or a lawyer: a round's mail as
 * an archive (a directory, or a .zip through zipdoc.c), and the texts the
 * CSV and JSON exports share: the substantive reply of a request, and the
 * redaction of officers' addresses and phone numbers.
 *
 * The archive holds one folder per body (its short name), its messages in
 * date order as NNN-YYYY-MM-DD-in.txt / -out.txt (the decoded text, as
 * foictl read prints it) beside the original NNN-...eml, its attachments
 * as NNN-NAME (sanitised, made unique in the folder), index.csv naming
 * every file with its body, message, date, direction and kind, and
 * SHA256SUMS in sha256sum -c format over every other file. */
#ifndef FOID_ARCHIVE_H
#define FOID_ARCHIVE_H

#include <stdint.h>

#include "util.h"

struct store;

struct archive_opts {
	const char *storage_dir; /* where the blobs are */
	const char *tz;          /* the round's zone for dates; NULL: UTC */
	int redact;              /* redact the .txt files; leave out the .eml */
	int overwrite;           /* write into a non-empty DIR, replace a .zip */
};

/* Writes round round_id to output: a zip when the name ends in ".zip",
 * else a directory (made when missing).  FOID_EEXIST when output is a
 * non-empty directory or an existing zip and overwrite is 0; nothing is
 * written then.  *files counts the files written (SHA256SUMS aside). */
int archive_write(struct store *st, int64_t round_id, const char *output,
                  const struct archive_opts *o, size_t *files, char **errp);

/* The text of a request's substantive replies (received messages of kind
 * response or refusal, in date order), each message's text followed by
 * the text of its attachments, redacted when asked.  *out is new; "" when
 * there is no such reply. */
int archive_reply_text(struct store *st, int64_t request_id, int redact, char **out,
                       char **errp);

/* A new string: s with email addresses replaced by [email] and runs of 9 or
 * more digits (with spaces, +, (, ) and -) by [phone]. */
char *archive_redact(const char *s);

/* Appends s to b as one RFC 4180 field, then "," or (last) CRLF. */
void archive_csv_field(struct buf *b, const char *s, int last);

#endif
