/* Content-addressed files under the storage directory: raw mail (sent and
 * received) and attachments.  A blob's name is its SHA-256, so storing the
 * same bytes twice is harmless, and nothing a message says can choose where
 * a file lands. */
#ifndef FOID_BLOB_H
#define FOID_BLOB_H

#include <stddef.h>

/* Writes data under dir as KIND/ab/abcdef... (KIND: "raw", "att") unless it
 * is already there.  With durable, the file and its directory are synced
 * before returning; without, the caller calls blob_sync before anything
 * that points at the blob is committed.  *relpath (caller frees) is
 * relative to dir; sha256 receives the hex digest.  0 or FOID_EIO. */
int blob_put(const char *dir, const char *kind, const void *data, size_t len,
             int durable, char **relpath, char sha256[65], char **errp);
/* Makes every blob written under dir durable (one syncfs). */
int blob_sync(const char *dir, char **errp);

/* Reads a blob back; *data is owned by the caller.  relpath must be one that
 * blob_put returned (no "..", not absolute). */
int blob_get(const char *dir, const char *relpath, char **data, size_t *len,
             char **errp);

#endif
