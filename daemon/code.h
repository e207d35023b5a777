/* Coded answers: what each body said, as values a table can count.  A
 * round declares its questions (a choice of values, a number, or free
 * text), in order, with the wording the invitation asks them in; answers
 * outside what a question allows are refused.  Survey replies are read by
 * survey.h and coded here, marked machine-coded (with how sure the reader
 * was) until a person confirms; a person's answer is never overwritten by
 * a machine. */
#ifndef FOID_CODE_H
#define FOID_CODE_H

#include <stdint.h>

struct store;

/* A question as declared; strings borrowed. */
struct code_question {
	const char *key;     /* [a-z0-9_], at most 32 */
	const char *type;    /* "choice", "number" or "text" */
	/* choice: the values with their synonyms, "yes=y,we do|no=n|unclear" */
	const char *choices;
	const char *wording; /* as the invitation asks it; NULL: none */
	const char *unit;    /* number: "days"; NULL: none */
};

/* Declares a question of the round; its position follows the order of
 * declaration. */
int code_declare(struct store *st, int64_t round_id, const struct code_question *q,
                 char **errp);

/* An answer to record; strings borrowed. */
struct code_answer {
	const char *key, *value;
	const char *comment;  /* NULL: keep the one recorded, if any */
	int machine;          /* 1: read from a reply (message_row) */
	int confidence;       /* machine: percent; see SURVEY_SURE */
	int64_t message_row;  /* 0: none */
	const char *actor;
};

/* Records an answer.  A choice may be given by a synonym and is stored in
 * its declared spelling; a number in digits or words.  FOID_EINVAL when
 * the round declares no such question or the value does not fit it.  A
 * machine's answer never replaces a person's. */
int code_set(struct store *st, int64_t request_id, const struct code_answer *a,
             char **errp);

/* Marks every machine-coded answer of a request confirmed by actor. */
int code_confirm(struct store *st, int64_t request_id, const char *actor,
                 char **errp);

#endif
