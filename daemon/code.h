/* Coded answers: what each body said, as values a table can count.  A
 * round declares its questions (a choice of values, a number, or free
 * text), in order; answers outside what a question allows are refused.
 * Survey replies written as "1: yes" lines are coded automatically, marked
 * machine-coded until a person confirms; a person's answer is never
 * overwritten by a machine. */
#ifndef FOID_CODE_H
#define FOID_CODE_H

#include <stdint.h>

struct store;

/* Declares question key ([a-z0-9_], at most 32) of type "choice" (with
 * choices "yes|no|unclear"), "number" or "text".  Position follows the
 * order of declaration. */
int code_declare(struct store *st, int64_t round_id, const char *key,
                 const char *type, const char *choices, char **errp);

/* Records an answer; machine = 1 for one read from a reply (message_row).
 * FOID_EINVAL when the round declares no such question or the value does
 * not fit it. */
int code_set(struct store *st, int64_t request_id, const char *key,
             const char *value, int machine, int64_t message_row,
             const char *actor, char **errp);

/* Marks every machine-coded answer of a request confirmed by actor. */
int code_confirm(struct store *st, int64_t request_id, const char *actor,
                 char **errp);

/* Reads "N: value" (or "N. value", "N) value") lines of text as answers to
 * the request's round questions by position; *ncoded counts them.  Lines
 * that fit no question are left for a person. */
int code_parse_reply(struct store *st, int64_t request_id, int64_t message_row,
                     const char *text, int *ncoded, char **errp);

#endif
