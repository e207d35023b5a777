/* Reading survey answers as people write them, from untrusted text (a
 * reply's body or an attachment's text).  Pure: no store, no I/O, so it
 * is fuzzed alone (tests/fuzz/fuzz_survey.c).
 *
 * Read, in this order of trust:
 *   - numbered answers: "1: yes", "1. yes", "1) yes", "(1) yes", "Q1 yes",
 *     "Q1: yes", "Question 1 - yes", several on one line ("1: yes / 2: 14");
 *   - answers under the questions, quoted ("> 1. Does the council ...?")
 *     or copied ("1. Does the council ...?") with the answer on the lines
 *     after, or after the question mark on the same line;
 *   - prose, when nothing is numbered: each question in turn takes the next
 *     sentence that answers it, at low confidence, for a person to confirm.
 * Values: a choice in the declared spelling, found by its value or a
 * synonym at the start of the answer ("Yes (see our website)": yes, with
 * the comment "see our website"); a number in digits or words ("14 days",
 * "fourteen"), what follows a separator kept as the comment; text as is.
 * Reading stops at a signature ("-- ") or a forwarded original
 * ("-----Original Message-----", an Outlook "From:" block), whose example
 * lines are ours, not theirs. */
#ifndef FOID_SURVEY_PARSE_H
#define FOID_SURVEY_PARSE_H

#include <stddef.h>

/* Confidence (percent) at or above which a machine answer needs no person's
 * look before it counts; below it the request goes to review. */
#define SURVEY_SURE 70

/* A question as the parser needs it; strings borrowed, NULL for none. */
struct survey_q {
	const char *type;     /* "choice", "number" or "text" */
	const char *choices;  /* "yes|no|unclear" */
	const char *synonyms; /* "yes=y,we do|no=n,we do not" */
	const char *wording;  /* the question as the invitation asks it */
};

/* What was read for one question; owned strings. */
struct survey_answer {
	char *value;     /* NULL: nothing read */
	char *comment;   /* NULL: none */
	int confidence;  /* percent, 0 when value is NULL */
};

/* Reads text (NULL reads as empty) into ans[0..nq-1], which must be zeroed
 * or cleared; an answer already set is kept (the caller reads the body
 * first, then attachments for what is missing). */
void survey_parse(const struct survey_q *q, size_t nq, const char *text,
                  struct survey_answer *ans);
void survey_answers_clear(struct survey_answer *ans, size_t n);

/* The choice (a pointer into a new string the caller frees) that word
 * names, by value or synonym, case-insensitively; NULL for none. */
char *survey_choice_lookup(const struct survey_q *q, const char *word);

/* Parses a number written in digits or English words at the start of s
 * ("14", "1,500", "2.5", "fourteen", "twenty-one", "a hundred"); *end is
 * set after it.  0 when there is none. */
int survey_number(const char *s, double *out, const char **end);
/* A number as answers store it: "14", "2.5" (a new string). */
char *survey_number_format(double v);

#endif
