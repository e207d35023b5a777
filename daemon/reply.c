#include "reply.h"

#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "match.h"
#include "mime.h"
#include "send.h"
#include "store.h"
#include "survey.h"
#include "util.h"

static const char *const reply_kinds[] = { "bounce", "auto_reply",
	"acknowledgement", "clarification", "extension", "refusal", "response",
	"other", NULL };

int reply_kind_valid(const char *kind)
{
	for (const char *const *k = reply_kinds; *k; k++)
		if (strcmp(*k, kind) == 0)
			return 1;
	return 0;
}

/* The consequences of message row's kind for its request. */
static int reply_consequences(struct store *st, int64_t row, const char *actor,
                              char **errp)
{
	int64_t req = 0;
	char *kind = NULL;
	int rc = store_query_int(st, errp, &req,
	                         "SELECT coalesce(request_id, 0) FROM messages WHERE id = ?",
	                         "I", row);
	if (rc || !req)
		return rc;
	rc = store_query_text(st, errp, &kind, "SELECT kind FROM messages WHERE id = ?",
	                      "I", row);
	if (rc || !kind)
		return rc;
	if (strcmp(kind, "bounce") == 0) {
		rc = send_request_bounced(st, req, row, actor, errp);
	} else if (strcmp(kind, "response") == 0) {
		rc = survey_code_message(st, row, NULL, errp);
	}
	free(kind);
	return rc;
}

int reply_process(struct store *st, const struct classify_rules *rules,
                  int64_t row, const struct mime_message *m, char **errp)
{
	struct classify_result cr = CLASSIFY_RESULT_INIT;
	struct match_result mr;
	char *our_ref = NULL;
	int64_t dummy;
	memset(&mr, 0, sizeof mr);
	/* Ours, wherever the reply names it, is never taken for theirs. */
	int rc = match_find_reference(st, m->subject, &dummy, &our_ref, errp);
	if (rc == FOID_OK && !our_ref)
		rc = match_find_reference(st, m->body_text, &dummy, &our_ref, errp);
	if (rc)
		goto out;
	classify_message(rules, m, our_ref, &cr);
	struct match_bounce b = { cr.original_message_id, cr.original_subject,
	                          &cr.failed_recipients };
	int is_bounce = strcmp(cr.kind, "bounce") == 0;
	rc = match_message(st, m, is_bounce ? &b : NULL, &mr, errp);
	if (rc)
		goto out;
	const char *kind = mr.own ? "own" : cr.kind;
	const char *krule = mr.own ? "own-copy" : cr.rule;
	const char *kev = mr.own ? mr.evidence
	                  : is_bounce && cr.diagnostic ? cr.diagnostic : cr.evidence;
	int confidence = mr.own ? 100 : (int)(cr.confidence * 100 + 0.5);
	/* A survey's reply is its answers, never an FOI letter: what it says
	 * is for the survey reader (survey.h), and an unread one goes to
	 * review there.  Only machines' mail keeps its kind. */
	int64_t survey = 0;
	if (!mr.own && mr.request_id && !is_bounce && strcmp(cr.kind, "auto_reply") &&
	    (rc = store_query_int(st, errp, &survey,
	                          "SELECT r.kind = 'survey' FROM rounds r JOIN requests q"
	                          " ON q.round_id = r.id WHERE q.id = ?", "I",
	                          mr.request_id)) != FOID_OK)
		goto out;
	if (survey) {
		kind = "response";
		krule = "survey";
		kev = "a reply to a survey";
		confidence = 100;
	}
	rc = store_exec(st, errp,
	                "UPDATE messages SET request_id = nullif(?, 0), match_rule = ?,"
	                " match_evidence = ?, kind = CASE WHEN kind_override THEN kind"
	                " ELSE ? END, kind_rule = CASE WHEN kind_override THEN kind_rule"
	                " ELSE ? END, kind_evidence = CASE WHEN kind_override THEN"
	                " kind_evidence ELSE ? END, kind_confidence = CASE WHEN"
	                " kind_override THEN kind_confidence ELSE ? END WHERE id = ?",
	                "IsssssiI", mr.request_id, mr.rule, mr.evidence, kind, krule, kev,
	                confidence, row);
	if (rc || mr.own)
		goto out;
	char *detail = xasprintf("kind=%s match=%s", kind, mr.rule ? mr.rule : "none");
	rc = store_event(st, errp, 0, mr.request_id, row,
	                 mr.request_id ? "message.received" : "message.unmatched",
	                 "foid", detail);
	free(detail);
	if (rc == FOID_OK && mr.request_id && cr.their_reference) {
		rc = store_exec(st, errp,
		                "UPDATE requests SET their_reference = ? WHERE id = ?"
		                " AND their_reference IS NULL", "sI", cr.their_reference,
		                mr.request_id);
		if (rc == FOID_OK && store_changes(st))
			rc = store_event(st, errp, 0, mr.request_id, row,
			                 "request.their_reference", "foid", cr.their_reference);
	}
	if (rc == FOID_OK)
		rc = reply_consequences(st, row, "foid", errp);
out:
	free(our_ref);
	match_result_clear(&mr);
	classify_result_clear(&cr);
	return rc;
}

int reply_assign(struct store *st, int64_t row, int64_t request_id,
                 const char *actor, char **errp)
{
	int rc = store_begin(st, errp);
	if (rc)
		return rc;
	rc = store_exec(st, errp,
	                "UPDATE messages SET request_id = ?, match_rule = 'assigned',"
	                " match_evidence = 'assigned by a person' WHERE id = ?"
	                " AND direction = 'in'", "II", request_id, row);
	if (rc == FOID_OK && store_changes(st) == 0)
		rc = err_set(errp, FOID_ENOTFOUND, "no received message #%lld",
		             (long long)row);
	/* Assigned to a survey, a person's mail is its answers (as in
	 * reply_process), unless a person said otherwise. */
	if (rc == FOID_OK)
		rc = store_exec(st, errp,
		                "UPDATE messages SET kind = 'response', kind_rule = 'survey',"
		                " kind_evidence = 'a reply to a survey', kind_confidence = 100"
		                " WHERE id = ? AND NOT kind_override AND kind IS NOT 'bounce'"
		                " AND kind IS NOT 'auto_reply' AND (SELECT r.kind FROM rounds r"
		                " JOIN requests q ON q.round_id = r.id WHERE q.id = ?) = 'survey'",
		                "II", row, request_id);
	/* Later mail from this sender goes to the same body. */
	if (rc == FOID_OK)
		rc = store_exec(st, errp,
		                "INSERT OR REPLACE INTO sender_hints (address, body_id,"
		                " created_at) SELECT m.from_addr, q.body_id, ? FROM messages m,"
		                " requests q WHERE m.id = ? AND q.id = ?"
		                " AND m.from_addr IS NOT NULL", "III", util_now(), row,
		                request_id);
	if (rc == FOID_OK)
		rc = store_event(st, errp, 0, request_id, row, "message.assigned", actor,
		                 NULL);
	if (rc == FOID_OK)
		rc = reply_consequences(st, row, actor, errp);
	return store_finish(st, rc, errp);
}

int reply_mark(struct store *st, int64_t row, const char *kind,
               const char *actor, char **errp)
{
	if (!reply_kind_valid(kind))
		return err_set(errp, FOID_EINVAL, "unknown kind %s", kind);
	int rc = store_begin(st, errp);
	if (rc)
		return rc;
	char *ev = xasprintf("set by %s", actor);
	rc = store_exec(st, errp,
	                "UPDATE messages SET kind = ?, kind_rule = 'person',"
	                " kind_evidence = ?, kind_override = 1 WHERE id = ?"
	                " AND direction = 'in'", "ssI", kind, ev, row);
	free(ev);
	if (rc == FOID_OK && store_changes(st) == 0)
		rc = err_set(errp, FOID_ENOTFOUND, "no received message #%lld",
		             (long long)row);
	int64_t req = 0;
	if (rc == FOID_OK)
		store_query_int(st, NULL, &req,
		                "SELECT coalesce(request_id, 0) FROM messages WHERE id = ?",
		                "I", row);
	if (rc == FOID_OK)
		rc = store_event(st, errp, 0, req, row, "message.marked", actor, kind);
	if (rc == FOID_OK)
		rc = reply_consequences(st, row, actor, errp);
	return store_finish(st, rc, errp);
}
