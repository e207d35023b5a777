/* Well-formed outgoing messages: RFC 5322 headers, RFC 2047 encoded words,
 * MIME bodies (7bit or quoted-printable UTF-8 text, base64 attachments).
 * Pure code: no network.  Every header value is checked for line breaks
 * before anything is written, so no input can add a header. */
#ifndef FOID_MESSAGE_H
#define FOID_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Everything message_build needs.  Strings are UTF-8 and borrowed.
 * Required: from_addr, to_addr, subject, body, message_id.  Addresses are
 * bare addr-specs ("a@b.example"); names are display names or NULL. */
struct message_spec {
	const char *from_name, *from_addr;
	const char *reply_to;          /* NULL: no Reply-To */
	const char *to_name, *to_addr;
	const struct strv *cc;         /* NULL or addresses */
	const char *bcc;               /* never a header: see message_recipients */
	const char *subject;
	const char *body;
	const char *message_id;        /* without <>, from message_new_id */
	const char *in_reply_to;       /* NULL, or an id with or without <> */
	const struct strv *references; /* NULL, or ids with or without <> */
	const struct strv *attach_paths; /* NULL or files to attach */
	int64_t date;                  /* epoch seconds */
	const char *date_tz;           /* "Europe/London"; NULL: UTC */
	/* One extra header, e.g. X-Foid-Reference: FOI-STP16-042.  The name
	 * must start with "X-" so it can never stand in for a real header. */
	const char *extra_header_name, *extra_header_value;
	int auto_submitted;            /* 1: Auto-Submitted: auto-generated */
};

/* Build the message: CRLF line endings, no line over 998 octets, header
 * lines folded at 78 where there is white space to fold at.  *raw (owned by
 * the caller, NUL-terminated) and *len (excluding the NUL).  Returns 0,
 * FOID_EINVAL (bad or dangerous input; *errp names the field) or
 * FOID_ENOTFOUND/FOID_EIO (an attachment could not be read). */
int message_build(const struct message_spec *spec, char **raw, size_t *len,
                  char **errp);

/* The SMTP envelope recipients: To, every Cc, then Bcc if set.  Appends
 * copies to *out.  Call after message_build succeeded (it validates them). */
void message_recipients(const struct message_spec *spec, struct strv *out);

/* A new unique Message-ID without <>: foid.<time>.<32 hex>@domain, 128
 * random bits from getrandom(2).  domain NULL or invalid: "localhost".
 * Caller frees. */
char *message_new_id(const char *domain);

/* A header value ready to write: the input itself when it is plain
 * printable ASCII, otherwise with the words that need it turned into RFC
 * 2047 encoded words (UTF-8, B encoding, each at most 75 characters, never
 * splitting a UTF-8 sequence).  Words are separated by single spaces so the
 * result folds cleanly.  utf8 must be valid UTF-8 and pass
 * message_header_value_ok.  Caller frees. */
char *message_encode_header_value(const char *utf8);

/* 1 when s may go in a header: no CR, LF or other control character except
 * tab (a C string cannot hold NUL), else 0. */
int message_header_value_ok(const char *s);

/* 1 when addr is a plain addr-spec: dot-atom local part (at most 64
 * octets) "@" a host name of letters, digits and hyphens (at most 253
 * octets).  Quoted local parts, domain literals and non-ASCII are refused. */
int message_addr_ok(const char *addr);

/* "Tue, 05 Mar 2024 10:15:00 +0000" in zone tz (NULL: UTC).  Day and month
 * names are English whatever the locale.  Caller frees. */
char *message_format_date(int64_t t, const char *tz);

#endif
