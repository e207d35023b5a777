/* foictl show: one request's thread as a timeline, with the evidence for
 * every match and kind. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "ctl.h"
#include "deadline.h"
#include "round.h"
#include "round_view.h"
#include "status.h"
#include "store.h"
#include "util.h"

struct ctl_show {
	FILE *out;
	struct store *st;
	const char *tz; /* the round's zone, as foictl status shows times */
};

static void ctl_show_when(const struct ctl_show *x, int64_t t)
{
	char *s = util_iso8601(t, x->tz);
	fprintf(x->out, "%s", s);
	free(s);
}

static int ctl_show_att(const struct store_row *row, void *arg)
{
	FILE *out = arg;
	fprintf(out, "        attachment %s (%s, %lld bytes)\n", store_row_text(row, 0),
	        store_row_text_or(row, 1, "?"),
	        (long long)store_row_int(row, 2));
	return 0;
}

static int ctl_show_msg(const struct store_row *row, void *arg)
{
	struct ctl_show *x = arg;
	FILE *out = x->out;
	int64_t id = store_row_int(row, 0);
	const char *dir = store_row_text(row, 1);
	const char *subject = store_row_text_or(row, 4, "");
	ctl_show_when(x, store_row_int(row, 2));
	if (strcmp(dir, "out") == 0) {
		const char *state = store_row_text(row, 5);
		fprintf(out, "  #%lld sent (%s) %s: %s\n", (long long)id,
		        store_row_text_or(row, 3, "message"),
		        state ? state : "", subject);
		if (store_row_text(row, 6))
			fprintf(out, "        proof: %s\n", store_row_text(row, 6));
		else if (store_row_text(row, 7))
			fprintf(out, "        last error: %s\n", store_row_text(row, 7));
		return 0;
	}
	const char *kind = store_row_text(row, 8);
	fprintf(out, "  #%lld received from %s: %s\n", (long long)id,
	        store_row_text_or(row, 3, "(unknown)"), subject);
	fprintf(out, "        kind: %s", kind ? kind : "unclassified");
	if (store_row_int(row, 11))
		fputs(" (set by a person)", out);
	else if (!store_row_isnull(row, 14))
		fprintf(out, " (confidence %lld%%)", (long long)store_row_int(row, 14));
	if (store_row_text(row, 9))
		fprintf(out, " [rule %s: %s]", store_row_text(row, 9),
		        store_row_text_or(row, 10, ""));
	fprintf(out, "\n        matched by: %s", store_row_text(row, 12)
	                                         ? store_row_text(row, 12) : "-");
	if (store_row_text(row, 13))
		fprintf(out, " (%s)", store_row_text(row, 13));
	fputc('\n', out);
	return store_query(x->st, NULL, ctl_show_att, out,
	                   "SELECT filename, content_type, size FROM attachments"
	                   " WHERE message_row = ? ORDER BY id", "I", id);
}

static int ctl_show_event(const struct store_row *row, void *arg)
{
	const struct ctl_show *x = arg;
	FILE *out = x->out;
	ctl_show_when(x, store_row_int(row, 0));
	fprintf(out, "  event %s by %s%s%s\n", store_row_text(row, 1),
	        store_row_text(row, 2), store_row_text(row, 3) ? ": " : "",
	        store_row_text_or(row, 3, ""));
	return 0;
}

static int ctl_show_head(const struct store_row *row, void *arg)
{
	struct ctl_show *x = arg;
	FILE *out = x->out;
	fprintf(out, "%s <%s>\n", store_row_text(row, 1), store_row_text(row, 2));
	fprintf(out, "  request %s in round %s (%s)\n", store_row_text(row, 3),
	        store_row_text(row, 4), store_row_text(row, 5));
	fprintf(out, "  delivery: %s%s%s\n", store_row_text(row, 6),
	        store_row_text(row, 7) ? " - " : "",
	        store_row_text_or(row, 7, ""));
	if (store_row_text(row, 10))
		fprintf(out, "  their reference: %s\n", store_row_text(row, 10));
	return 0;
}

struct ctl_show_clock {
	int64_t request_id;
	struct status s;
	int found;
};

static int ctl_show_clock_cb(const struct status *s, void *arg)
{
	struct ctl_show_clock *x = arg;
	if (s->request_id != x->request_id)
		return 0;
	x->s = *s;
	x->s.reminders.v = NULL;
	x->s.reminders.n = 0;
	x->found = 1;
	return 1;
}

/* The status and how the due date was reached. */
static int ctl_show_clock(struct ctl *c, struct store *st, const struct round_view *v,
                          int64_t req, char **errp)
{
	struct ctl_show_clock x = { req, { 0 }, 0 };
	int rc = status_view(st, v, util_now(), ctl_show_clock_cb, &x, errp);
	if (rc > 0)
		rc = FOID_OK;
	if (rc == FOID_OK && x.found) {
		const char *regime = v->regime.name;
		fprintf(c->out, "  status: %s%s%s\n", status_name(x.s.status),
		        x.s.overdue ? ", overdue" : "", x.s.very_overdue ? ", very overdue" : "");
		if (x.s.due[0]) {
			fprintf(c->out, "  due: %s = day 0 %s + %d working days (%s)", x.s.due,
			        x.s.day0, v->regime.days, regime);
			if (x.s.extension_days)
				fprintf(c->out, " + %d working days' extension", x.s.extension_days);
			fputc('\n', c->out);
			fprintf(c->out, "        day by day: foictl deadline --regime %s --from %s"
			        " --explain\n", regime, x.s.day0);
		}
		if (x.s.clock_stopped)
			fputs("  clock stopped: the body asked for clarification; answer with "
			      "foictl clarify\n", c->out);
		if (x.s.on_time >= 0)
			fprintf(c->out, "  answered %s, after %d working days\n",
			        x.s.on_time ? "on time" : "late", x.s.working_days_taken);
	}
	return rc;
}

int ctl_show(struct ctl *c, int argc, char **argv)
{
	struct store *st = NULL;
	int ex = ctl_args_open(c, "show", NULL, 2, 2, argc, argv, NULL, &st);
	if (ex != CTL_ARGS_RUN)
		return ex;
	char *err = NULL;
	int64_t req = 0;
	int rc = ctl_request_id(st, argv[1], argv[2], &req, &err);
	struct ctl_show x = { c->out, st, NULL };
	struct holidays *h = NULL;
	struct round_view *v = NULL;
	if (rc == FOID_OK)
		rc = holidays_load_data(ctl_data_dir(c), &h, &err);
	if (rc == FOID_OK)
		rc = round_view_load(st, c->cfg, h, argv[1], 0, &v, &err);
	if (rc == FOID_OK) {
		x.tz = v->regime.tz;
		rc = store_query(st, &err, ctl_show_head, &x,
		                 "SELECT q.id, b.name, b.email, q.reference, r.slug, r.regime,"
		                 " q.delivery, q.delivery_detail, q.due_date, q.clock_start,"
		                 " q.their_reference FROM requests q"
		                 " JOIN rounds r ON r.id = q.round_id"
		                 " JOIN bodies b ON b.id = q.body_id WHERE q.id = ?", "I", req);
	}
	if (rc == FOID_OK)
		rc = ctl_show_clock(c, st, v, req, &err);
	if (rc == FOID_OK) {
		fputs("messages:\n", c->out);
		rc = store_query(st, &err, ctl_show_msg, &x,
		                 "SELECT id, direction,"
		                 " coalesce(internaldate, sent_at, created_at),"
		                 " CASE direction WHEN 'out' THEN purpose ELSE from_addr END,"
		                 " subject, send_state, smtp_reply, last_error, kind,"
		                 " kind_rule, kind_evidence, kind_override, match_rule,"
		                 " match_evidence, kind_confidence FROM messages"
		                 " WHERE request_id = ?"
		                 " ORDER BY coalesce(internaldate, sent_at, created_at), id",
		                 "I", req);
	}
	if (rc == FOID_OK) {
		fputs("events:\n", c->out);
		rc = store_query(st, &err, ctl_show_event, &x,
		                 "SELECT at, type, actor, detail FROM events"
		                 " WHERE request_id = ? ORDER BY at, id", "I", req);
	}
	if (rc)
		rc = ctl_fail("show", rc, err);
	round_view_free(v);
	holidays_free(h);
	free(err);
	return rc;
}
