/* Parsing received mail (wraps libetpan's MIME parser): raw RFC 5322 bytes
 * in, headers, UTF-8 body text, attachments and bounce material out.
 * Pure functions: no I/O, no database. */
#ifndef FOID_MIME_H
#define FOID_MIME_H

#include <stddef.h>

#include "util.h"

/* Zero fields take the defaults below. */
struct mime_limits {
	size_t max_message_size;    /* default 50 MiB */
	size_t max_attachment_size; /* default 25 MiB (decoded) */
	int max_parts;              /* default 1000, message/rfc822 contents included */
	int max_depth;              /* default 50 levels of multipart/message nesting */
};
#define MIME_DEFAULT_MAX_MESSAGE (50u * 1024 * 1024)
#define MIME_DEFAULT_MAX_ATTACHMENT (25u * 1024 * 1024)
#define MIME_DEFAULT_MAX_PARTS 1000
#define MIME_DEFAULT_MAX_DEPTH 50

struct mime_header {
	char *name;  /* as written */
	char *value; /* unfolded, RFC 2047 decoded, valid UTF-8 */
};

struct mime_attachment {
	char *part;         /* IMAP-style part number, "2.1"; TNEF/uuencode files
	                       carry their container's number */
	char *filename;     /* decoded (RFC 2047/2231, charset), NOT sanitised; NULL if none */
	char *content_type; /* lower-case "type/subtype" */
	unsigned char *data; /* decoded content, NUL-terminated beyond size */
	size_t size;
	int from_tnef;      /* unpacked from a winmail.dat */
	int from_uuencode;  /* a "begin 644 name" block in a text part */
};

enum mime_status {
	MIME_OK,      /* parsed completely */
	MIME_PARTIAL, /* damaged (e.g. missing final boundary): best effort */
	MIME_LIMIT,   /* a limit was hit: see problem; the rest was skipped */
	MIME_FAILED,  /* no MIME structure: headers as far as possible, raw body text */
};

/* Every string is valid UTF-8 and owned by the message; NULL when absent. */
struct mime_message {
	struct mime_header *headers; /* top-level headers, in order */
	size_t nheaders;
	char *message_id;            /* ids without <> */
	char *in_reply_to;
	struct strv references;
	char *from;                  /* addr-spec only, lower-cased */
	char *from_display;          /* decoded display name */
	struct strv to, cc;          /* addr-specs, lower-cased */
	char *subject;
	char *date;                  /* the Date header as written */
	char *body_text;             /* never NULL: text/plain preferred, else HTML
	                                converted; inline text parts joined in order */
	int body_from_html;          /* some of body_text was converted from HTML */
	struct mime_attachment *attachments;
	size_t nattachments;
	char *content_type;          /* top-level, lower-cased, "multipart/report" */
	char *report_type;           /* report-type parameter, lower-cased */
	char *delivery_status;       /* message/delivery-status, message/disposition-
	                                notification and text/rfc822-headers text */
	struct mime_message **embedded; /* message/rfc822 and text/rfc822-headers
	                                   parts, parsed: a bounce's original */
	size_t nembedded;
	enum mime_status status;
	char *problem;               /* why status is not MIME_OK, else NULL */
};

/* Parses len bytes of raw (CRLF or LF line ends).  lim may be NULL for the
 * defaults.  Always sets *out to a new message (free with
 * mime_message_free) and returns 0, also for damaged input, which shows in
 * (*out)->status and problem.  Returns FOID_EINVAL with *errp only for a
 * NULL raw/out. */
int mime_parse(const char *raw, size_t len, const struct mime_limits *lim,
               struct mime_message **out, char **errp);
void mime_message_free(struct mime_message *m); /* accepts NULL */

/* First top-level header called name (case-insensitive), or NULL.  The
 * string belongs to m. */
const char *mime_header_get(const struct mime_message *m, const char *name);

/* A new string safe as a file name for storage and display: no '/', '\\',
 * control bytes or NUL, no leading dots, not "..", valid UTF-8, at most 200
 * bytes (cut on a character boundary, keeping a short extension), never
 * empty: fallback (or "attachment") when nothing is left. */
char *mime_safe_filename(const char *name, const char *fallback);

/* A new UTF-8 string: s with RFC 2047 encoded words (B and Q, any charset)
 * decoded; white space between adjacent encoded words is dropped; raw 8-bit
 * text outside them is repaired to UTF-8.  NULL in, NULL out. */
char *mime_decode_words(const char *s);

#endif
