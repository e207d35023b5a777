/* Matching a received message to the request it answers, by these rules in
 * order (the first that decides wins, and is recorded with its evidence):
 *   own-copy          its Message-ID is one foid sent (our Bcc coming back)
 *   in-reply-to       In-Reply-To names a message foid sent
 *   references        References names a message foid sent
 *   plus-address      a request's plus-address in To, Cc, Delivered-To or
 *                     X-Original-To
 *   subject-reference our reference (PREFIX-NNN) in the Subject, any case,
 *                     whatever Re:/Fwd:/[EXTERNAL] surrounds it
 *   body-reference    our reference in the body text
 *   their-reference   the body's own case reference, recorded earlier from
 *                     its acknowledgement, quoted in the subject or body
 *   sender-hint       an address a person assigned to a body before
 *   sender-address    the sender is the body's address
 *   sender-domain     the sender's domain is that of exactly one body
 * The sender rules count only when they name exactly one request still
 * waiting for an answer.  A bounce is matched through the original message
 * it carries (bounce-original-id, bounce-original-subject) or the failed
 * recipient (bounce-recipient). */
#ifndef FOID_MATCH_H
#define FOID_MATCH_H

#include <stdint.h>

#include "util.h"

struct mime_message;
struct store;

/* What a bounce says about the message it returns; all may be empty. */
struct match_bounce {
	const char *original_message_id;
	const char *original_subject;
	const struct strv *failed_recipients;
};

struct match_result {
	int64_t request_id;   /* 0: unmatched */
	const char *rule;     /* a rule name above, or NULL */
	char *evidence;       /* what matched, for a person to check */
	int own;              /* 1: our own message came back */
};

/* Finds the request m answers.  bounce is NULL unless m is a bounce.
 * Returns 0 (check res->request_id), or a store error: any failing query
 * fails the match (res cleared), so mail is never filed unmatched for it. */
int match_message(struct store *st, const struct mime_message *m,
                  const struct match_bounce *bounce, struct match_result *res,
                  char **errp);
void match_result_clear(struct match_result *res);

/* The first of our references (any round's prefix followed by -NNN) in
 * text, upper-cased, as a new *ref (NULL: none); *request_id is set when it
 * names a request.  A store error is returned, with *ref NULL. */
int match_find_reference(struct store *st, const char *text,
                         int64_t *request_id, char **ref, char **errp);

#endif
