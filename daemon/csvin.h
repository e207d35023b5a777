/* Reading CSV (RFC 4180) record by record: the only module that uses
 * libcsv.  Each record comes with the physical line it starts on, so that
 * errors can say FILE:LINE even after quoted fields that span lines.
 *
 * A UTF-8 byte order mark at the very start is skipped.  Blank lines are
 * skipped.  Spaces and tabs around unquoted fields are dropped (libcsv's
 * rule); quoted fields are kept as written.  Lines may end in LF or CRLF. */
#ifndef FOID_CSVIN_H
#define FOID_CSVIN_H

#include <stddef.h>

#include "util.h"

struct csvin;

struct csvin_record {
	size_t line;         /* physical line the record starts on, 1-based */
	struct strv fields;  /* owned; csvin_next clears it before filling */
};
#define CSVIN_RECORD_INIT { 0, STRV_INIT }

/* Reads the whole file at path.  0, FOID_ENOTFOUND or FOID_EIO.  *out is
 * owned by the caller (csvin_free). */
int csvin_open(struct csvin **out, const char *path, char **errp);
/* The same over a copy of len bytes of data. */
struct csvin *csvin_from_mem(const char *data, size_t len);
void csvin_free(struct csvin *r); /* NULL is fine */

/* Next record into *rec.  Returns 1 for a record, 0 at the end, or
 * FOID_EINVAL with the reason in *errp and the line in rec->line: a NUL
 * byte in a field spoils only that record (reading may go on), while broken
 * quoting ends the input (the next call returns 0). */
int csvin_next(struct csvin *r, struct csvin_record *rec, char **errp);
void csvin_record_clear(struct csvin_record *rec);

#endif
