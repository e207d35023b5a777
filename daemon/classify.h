/* Classifying received mail: every message gets exactly one kind, with the
 * rule that decided it and the text it matched.  Bounces also yield the
 * failed recipients and the original message's id and subject, for the
 * matcher.  Text patterns live in a rules file (data/classify.rules, whose
 * header documents the format and the precedence of kinds); header and DSN
 * checks are in C.  Pure functions: no I/O besides classify_load. */
#ifndef FOID_CLASSIFY_H
#define FOID_CLASSIFY_H

#include "mime.h"
#include "util.h"

/* The kinds (static strings; compare with strcmp). */
#define CLASSIFY_BOUNCE "bounce"
#define CLASSIFY_AUTO_REPLY "auto_reply"
#define CLASSIFY_ACKNOWLEDGEMENT "acknowledgement"
#define CLASSIFY_CLARIFICATION "clarification"
#define CLASSIFY_EXTENSION "extension"
#define CLASSIFY_REFUSAL "refusal"
#define CLASSIFY_RESPONSE "response"
#define CLASSIFY_OTHER "other"

#define CLASSIFY_EVIDENCE_MAX 200 /* bytes, cut on a UTF-8 boundary */

struct classify_rules; /* opaque: compiled rules */

struct classify_result {
	const char *kind;       /* one of the CLASSIFY_* strings */
	char *rule;             /* "header:auto-submitted", "dsn:action-failed",
	                           "text:refusal:section-12", "fallback:attachment" */
	char *evidence;         /* the matched header or text, <= EVIDENCE_MAX
	                           bytes; "" when nothing matched */
	/* Bounces only (else empty/NULL): */
	struct strv failed_recipients; /* lower-case addr-specs */
	char *diagnostic;       /* Diagnostic-Code, Status or the human text */
	char *original_message_id; /* without <> */
	char *original_subject;
	/* Their case reference in any non-bounce reply, or NULL. */
	char *their_reference;
	/* How sure the decision is, 0..1: the model's probability for a
	   "model:" rule, 1 for an exact check or rule, lower for fallbacks. */
	double confidence;
};
#define CLASSIFY_RESULT_INIT { NULL, NULL, NULL, STRV_INIT, NULL, NULL, NULL, NULL, 0 }

/* Reads and compiles the rules file.  On error returns FOID_ENOTFOUND,
 * FOID_EIO or FOID_EINVAL with *errp "FILE:LINE: message".  *out is new;
 * free it with classify_rules_free. */
int classify_load(const char *rules_path, struct classify_rules **out, char **errp);
void classify_rules_free(struct classify_rules *r); /* accepts NULL */

/* Classifies a parsed message.  our_reference (may be NULL) is never taken
 * for their reference.  res must be CLASSIFY_RESULT_INIT or cleared; it is
 * filled with new strings (classify_result_clear frees them).  Returns 0, or
 * FOID_EINVAL for NULL arguments. */
int classify_message(const struct classify_rules *r, const struct mime_message *m,
                     const char *our_reference, struct classify_result *res);

/* The same for bare text (no headers): subject (may be NULL) and body.
 * has_attachments says whether the reply came with documents: a reply
 * whose text says nothing recognisable is then taken as a response. */
int classify_text(const struct classify_rules *r, const char *subject,
                  const char *body, int has_attachments,
                  const char *our_reference, struct classify_result *res);

/* Their case reference in subject/body (quoted parts ignored), or NULL: a
 * new string.  Skips ICO case numbers, phone numbers, postcodes and
 * our_reference. */
char *classify_reference(const struct classify_rules *r, const char *subject,
                         const char *body, const char *our_reference);

/* Appends the features the model sees for a human reply to out (new
 * strings), for scripts/train-model.py through `foictl classify
 * --features`. */
void classify_features(const struct classify_rules *r, const struct mime_message *m,
                       struct strv *out);
/* 1 when r has a model (data/classify.model beside the rules). */
int classify_has_model(const struct classify_rules *r);

/* Frees the strings and resets res to CLASSIFY_RESULT_INIT. */
void classify_result_clear(struct classify_result *res);

#endif
