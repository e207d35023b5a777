#include "code.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

static int code_key_ok(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > 32)
		return 0;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

int code_declare(struct store *st, int64_t round_id, const char *key,
                 const char *type, const char *choices, char **errp)
{
	if (!code_key_ok(key))
		return err_set(errp, FOID_EINVAL, "question \"%s\": use 1-32 of a-z, 0-9"
		               " and _", key);
	int choice = strcmp(type, "choice") == 0;
	if (!choice && strcmp(type, "number") && strcmp(type, "text"))
		return err_set(errp, FOID_EINVAL, "question type must be choice, number"
		               " or text");
	if (choice && (!choices || !*choices || strpbrk(choices, "\r\n") ||
	               strstr(choices, "||") || choices[0] == '|' ||
	               choices[strlen(choices) - 1] == '|'))
		return err_set(errp, FOID_EINVAL, "a choice question needs values such"
		               " as yes|no|unclear");
	int rc = store_exec(st, errp,
	                    "INSERT INTO questions (round_id, key, type, choices, position)"
	                    " VALUES (?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1"
	                    " FROM questions WHERE round_id = ?))",
	                    "IsssI", round_id, key, type, choice ? choices : NULL,
	                    round_id);
	if (rc == FOID_EEXIST)
		rc = err_set(errp, rc, "question %s exists already", key);
	return rc;
}

struct code_q {
	char *type, *choices;
	int found;
};

static int code_q_cb(const struct store_row *row, void *arg)
{
	struct code_q *q = arg;
	q->type = xstrdup(store_row_text(row, 0));
	q->choices = xstrdup(store_row_text(row, 1));
	q->found = 1;
	return 0;
}

/* The value as it should be stored (a choice in the declared spelling), or
 * NULL when it does not fit. */
static char *code_normalise(const struct code_q *q, const char *value)
{
	char *v = util_trim(xstrdup(value));
	if (!*v || strpbrk(v, "\r\n")) {
		free(v);
		return NULL;
	}
	if (strcmp(q->type, "number") == 0) {
		char *end = NULL;
		strtod(v, &end);
		if (end && *end == '\0' && !isspace((unsigned char)v[0]))
			return v;
		free(v);
		return NULL;
	}
	if (strcmp(q->type, "choice") == 0) {
		char *copy = xstrdup(q->choices), *save = NULL, *out = NULL;
		for (char *c = strtok_r(copy, "|", &save); c && !out;
		     c = strtok_r(NULL, "|", &save))
			if (strcasecmp(c, v) == 0)
				out = xstrdup(c);
		free(copy);
		free(v);
		return out;
	}
	return v;
}

int code_set(struct store *st, int64_t request_id, const char *key,
             const char *value, int machine, int64_t message_row,
             const char *actor, char **errp)
{
	struct code_q q = { 0 };
	int rc = store_query(st, errp, code_q_cb, &q,
	                     "SELECT type, choices FROM questions WHERE key = ? AND"
	                     " round_id = (SELECT round_id FROM requests WHERE id = ?)",
	                     "sI", key, request_id);
	char *v = NULL;
	if (rc == FOID_OK && !q.found)
		rc = err_set(errp, FOID_EINVAL, "the round has no question %s (declare it"
		             " with foictl question)", key);
	if (rc == FOID_OK && !(v = code_normalise(&q, value)))
		rc = err_set(errp, FOID_EINVAL, "%s=%s: %s", key, value,
		             strcmp(q.type, "choice") == 0 ? q.choices
		             : strcmp(q.type, "number") == 0 ? "not a number"
		             : "empty or more than one line");
	if (rc == FOID_OK)
		rc = store_exec(st, errp,
		                "INSERT INTO answers (request_id, key, value, machine,"
		                " message_row, at, actor) VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?)"
		                " ON CONFLICT (request_id, key) DO UPDATE SET value ="
		                " excluded.value, machine = excluded.machine, message_row ="
		                " excluded.message_row, at = excluded.at, actor = excluded.actor"
		                " WHERE answers.machine = 1 OR excluded.machine = 0",
		                "IssiIIs", request_id, key, v, machine, message_row,
		                util_now(), actor);
	if (rc == FOID_OK && store_changes(st)) {
		char *detail = xasprintf("%s=%s%s", key, v, machine ? " (machine)" : "");
		rc = store_event(st, errp, 0, request_id, message_row, "answer.coded", actor,
		                 detail);
		free(detail);
	}
	free(v);
	free(q.type);
	free(q.choices);
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

static int code_key_cb(const struct store_row *row, void *arg)
{
	char **key = arg;
	*key = xstrdup(store_row_text(row, 0));
	return STORE_STOP;
}

int code_parse_reply(struct store *st, int64_t request_id, int64_t message_row,
                     const char *text, int *ncoded, char **errp)
{
	*ncoded = 0;
	char *copy = xstrdup(text ? text : "");
	int rc = FOID_OK;
	struct util_lines lines;
	util_lines_init(&lines, copy);
	for (char *line; rc >= 0 && (line = util_lines_next(&lines));) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '>')
			continue;
		char *end = NULL;
		long n = strtol(line, &end, 10);
		if (end == line || n < 1 || n > 999 || !end || !strchr(":.)", *end))
			continue;
		char *key = NULL;
		rc = store_query(st, errp, code_key_cb, &key,
		                 "SELECT key FROM questions WHERE position = ? AND"
		                 " round_id = (SELECT round_id FROM requests WHERE id = ?)",
		                 "II", (int64_t)n, request_id);
		if (rc == FOID_OK && key) {
			char *e = NULL;
			if (code_set(st, request_id, key, end + 1, 1, message_row, "foid", &e)
			    == FOID_OK)
				(*ncoded)++;
			free(e);
		}
		free(key);
	}
	free(copy);
	return rc;
}
