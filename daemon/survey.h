/* Survey rounds: the one definition of the questions (code.h declares
 * them) driving the invitation's {{survey.questions}}, the reading of
 * replies (survey_parse.h), a request's status, the follow-up that asks
 * for what is missing, and the results.
 *
 * A reply from the body makes its request (status.h):
 *   responded  every question answered, each by a person or read surely;
 *   partial    some answered, the rest missing or unreadable;
 *   review     nothing read, or a machine answer below SURVEY_SURE (prose)
 *              that a person must confirm (foictl code ... --confirm). */
#ifndef FOID_SURVEY_H
#define FOID_SURVEY_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "util.h"

struct jws;
struct round_view;
struct store;

struct survey_question {
	int position;  /* 1-based: the number in the invitation */
	char *key, *type, *choices, *synonyms, *wording, *unit; /* NULL: none */
};

struct survey_questions {
	struct survey_question *v;
	size_t n;
};

/* The round's questions in order.  *qs is the caller's (survey_questions_free). */
int survey_questions_load(struct store *st, int64_t round_id,
                          struct survey_questions *qs, char **errp);
void survey_questions_free(struct survey_questions *qs);

/* The question block of an invitation: each question numbered, wrapped,
 * with the answer it asks for ("(yes/no)", "(a number of days)").  With
 * prefix "> " every line is quoted, as a follow-up asks again.  only,
 * when not NULL, picks the questions (only[i] for qs->v[i]). */
char *survey_questions_text(const struct survey_questions *qs, const char *prefix,
                            const int *only);

/* Reads message row (received, of kind response, matched to a request of
 * a survey round):
 * its body, then its attachments' text for questions still unanswered,
 * coded as machine answers with their comments and confidence.  Nothing
 * for a message of any other round.  Inside the caller's transaction;
 * *ncoded counts the answers that fit their questions (NULL: not wanted). */
int survey_code_message(struct store *st, int64_t row, int *ncoded, char **errp);

/* Per request of a round: what the reading left. */
struct survey_state {
	int64_t request_id;
	int questions, answered, unsure;
	int64_t reply;  /* latest reply (message row) from the body; 0: none */
};

/* Every request of round_id, in id order; *out is the caller's (free). */
int survey_states_load(struct store *st, int64_t round_id,
                       struct survey_state **out, size_t *n, char **errp);
/* responded, partial or review for a request with a reply (see above). */
enum status_code survey_status(const struct survey_state *s);

/* The questions request_id has no answer to, quoted for a follow-up;
 * *nmissing counts them. */
int survey_missing_text(struct store *st, int64_t request_id, char **out,
                        int *nmissing, char **errp);

/* The results of survey round v at now: the response rate against the
 * closing date, then per question the tallies of a choice, or the median
 * and range of a number.  Written for people to out, or, with w non-NULL
 * (out unused), as one JSON object to w. */
int survey_results(struct store *st, const struct round_view *v, int64_t now,
                   struct buf *out, struct jws *w, char **errp);

/* Survey replies waiting for a person (status review), one line each
 * with the command that settles it appended to out; *n counts them.
 * With out NULL, only counts (no per-reply lookup). */
int survey_waiting(struct store *st, const char *indent, struct buf *out, int *n,
                   char **errp);

#endif
