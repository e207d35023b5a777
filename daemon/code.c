#include "code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "survey_parse.h"
#include "util.h"

static int code_key_ok(const char *k)
{
	return util_word_ok(k, 32, UTIL_LOWER_DIGITS "_");
}

/* Splits "yes=y,we do|no=n|unclear" into the values ("yes|no|unclear")
 * and the synonyms ("yes=y,we do|no=n"); NULL when it is not such a list. */
static int code_split_choices(const char *spec, char **values, char **synonyms)
{
	*values = *synonyms = NULL;
	if (!spec || !*spec || strpbrk(spec, "\r\n") || strstr(spec, "||") ||
	    spec[0] == '|' || spec[strlen(spec) - 1] == '|')
		return FOID_EINVAL;
	struct buf v = BUF_INIT, syn = BUF_INIT;
	int rc = FOID_OK;
	char *copy = xstrdup(spec), *save = NULL;
	for (char *c = strtok_r(copy, "|", &save); c && rc == FOID_OK;
	     c = strtok_r(NULL, "|", &save)) {
		char *eq = strchr(c, '=');
		if (eq)
			*eq = '\0';
		util_trim(c);
		if (!*c || strchr(c, ',') || (eq && !*util_trim(eq + 1))) {
			rc = FOID_EINVAL;
			break;
		}
		buf_addf(&v, "%s%s", v.len ? "|" : "", c);
		if (eq)
			buf_addf(&syn, "%s%s=%s", syn.len ? "|" : "", c, util_trim(eq + 1));
	}
	free(copy);
	if (rc == FOID_OK) {
		*values = buf_detach(&v);
		*synonyms = syn.len ? buf_detach(&syn) : NULL;
	}
	buf_free(&v);
	buf_free(&syn);
	return rc;
}

int code_declare(struct store *st, int64_t round_id, const struct code_question *q,
                 char **errp)
{
	if (!code_key_ok(q->key))
		return err_set(errp, FOID_EINVAL, "question \"%s\": use 1-32 of a-z, 0-9"
		               " and _", q->key);
	int choice = strcmp(q->type, "choice") == 0;
	if (!choice && strcmp(q->type, "number") && strcmp(q->type, "text"))
		return err_set(errp, FOID_EINVAL, "question type must be choice, number"
		               " or text");
	if (q->wording && (!*q->wording || strpbrk(q->wording, "\r\n")))
		return err_set(errp, FOID_EINVAL, "question %s: the wording is one line of"
		               " text", q->key);
	if (q->unit && strcmp(q->type, "number"))
		return err_set(errp, FOID_EINVAL, "question %s: only a number has a unit",
		               q->key);
	char *values = NULL, *synonyms = NULL;
	if (choice && code_split_choices(q->choices, &values, &synonyms))
		return err_set(errp, FOID_EINVAL, "a choice question needs values such"
		               " as yes|no|unclear, each with synonyms if any after '='"
		               " (yes=y,we do|no=n)");
	int rc = store_exec(st, errp,
	                    "INSERT INTO questions (round_id, key, type, choices, synonyms,"
	                    " wording, unit, position) VALUES (?, ?, ?, ?, ?, ?, ?,"
	                    " (SELECT coalesce(max(position), 0) + 1 FROM questions"
	                    " WHERE round_id = ?))",
	                    "IssssssI", round_id, q->key, q->type, values, synonyms,
	                    q->wording, q->unit, round_id);
	if (rc == FOID_EEXIST)
		rc = err_set(errp, rc, "question %s exists already", q->key);
	free(values);
	free(synonyms);
	return rc;
}

struct code_q {
	char *type, *choices, *synonyms;
	int found;
};

static int code_q_cb(const struct store_row *row, void *arg)
{
	struct code_q *q = arg;
	store_row_texts(row, 0, (char **const[]){ &q->type, &q->choices, &q->synonyms,
		NULL });
	q->found = 1;
	return 0;
}

/* The value as it should be stored (a choice in the declared spelling, a
 * number in digits), or NULL when it does not fit. */
static char *code_normalise(const struct code_q *q, const char *value)
{
	char *v = util_trim(xstrdup(value));
	char *out = NULL;
	if (!*v || strpbrk(v, "\r\n")) {
		out = NULL;
	} else if (strcmp(q->type, "number") == 0) {
		double d = 0;
		const char *end = NULL;
		if (survey_number(v, &d, &end) && *end == '\0')
			out = survey_number_format(d);
	} else if (strcmp(q->type, "choice") == 0) {
		struct survey_q sq = { q->type, q->choices, q->synonyms, NULL };
		out = survey_choice_lookup(&sq, v);
	} else {
		out = v;
		v = NULL;
	}
	free(v);
	return out;
}

int code_set(struct store *st, int64_t request_id, const struct code_answer *a,
             char **errp)
{
	struct code_q q = { 0 };
	int rc = store_query(st, errp, code_q_cb, &q,
	                     "SELECT type, choices, synonyms FROM questions WHERE key = ? AND"
	                     " round_id = (SELECT round_id FROM requests WHERE id = ?)",
	                     "sI", a->key, request_id);
	char *v = NULL;
	if (rc == FOID_OK && !q.found)
		rc = err_set(errp, FOID_EINVAL, "the round has no question %s (declare it"
		             " with foictl question)", a->key);
	if (rc == FOID_OK && !(v = code_normalise(&q, a->value)))
		rc = err_set(errp, FOID_EINVAL, "%s=%s: %s", a->key, a->value,
		             strcmp(q.type, "choice") == 0 ? q.choices
		             : strcmp(q.type, "number") == 0 ? "not a number"
		             : "empty or more than one line");
	if (rc == FOID_OK)
		rc = store_exec(st, errp,
		                "INSERT INTO answers (request_id, key, value, comment, machine,"
		                " confidence, message_row, at, actor) VALUES (?, ?, ?, ?, ?,"
		                " CASE WHEN ? THEN ? END, nullif(?, 0), ?, ?)"
		                " ON CONFLICT (request_id, key) DO UPDATE SET value ="
		                " excluded.value, comment = coalesce(excluded.comment,"
		                " answers.comment), machine = excluded.machine, confidence ="
		                " excluded.confidence, message_row = coalesce(excluded.message_row,"
		                " answers.message_row), at = excluded.at, actor = excluded.actor"
		                " WHERE (answers.machine = 1 OR excluded.machine = 0) AND"
		                /* Read again (another attachment's text), the same
		                 * answer is no new event. */
		                " (answers.value IS NOT excluded.value OR answers.machine IS NOT"
		                " excluded.machine OR answers.confidence IS NOT excluded.confidence"
		                " OR answers.comment IS NOT coalesce(excluded.comment,"
		                " answers.comment))",
		                "IsssiiiIIs", request_id, a->key, v, a->comment, a->machine,
		                a->machine, a->confidence, a->message_row, util_now(), a->actor);
	if (rc == FOID_OK && store_changes(st)) {
		char *detail = xasprintf("%s=%s%s", a->key, v, a->machine ? " (machine)" : "");
		rc = store_event(st, errp, 0, request_id, a->message_row, "answer.coded",
		                 a->actor, detail);
		free(detail);
	}
	free(v);
	free(q.type);
	free(q.choices);
	free(q.synonyms);
	return rc;
}

int code_confirm(struct store *st, int64_t request_id, const char *actor,
                 char **errp)
{
	int rc = store_exec(st, errp, "UPDATE answers SET machine = 0, actor = ?"
	                    " WHERE request_id = ? AND machine = 1", "sI", actor,
	                    request_id);
	if (rc == FOID_OK && store_changes(st))
		rc = store_event(st, errp, 0, request_id, 0, "answer.confirmed", actor, NULL);
	return rc;
}

