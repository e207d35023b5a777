#include "remind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "deadline.h"
#include "log.h"
#include "round.h"
#include "round_view.h"
#include "status.h"
#include "store.h"
#include "survey.h"

/* One request that may get a reminder (or, in a survey, a follow-up or
 * thanks for its reply). */
struct remind_cand {
	const struct round_view_row *row;
	char due[11];
	enum status_code status;
};

struct remind_cands {
	struct remind_cand *v;
	size_t n;
};

static int remind_cand_cb(const struct status *s, void *arg)
{
	struct remind_cands *r = arg;
	int replied = s->status == STATUS_PARTIAL || s->status == STATUS_RESPONDED;
	if (!(status_is_waiting(s->status) && s->due[0]) && !replied)
		return 0;
	r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
	r->v[r->n].row = s->row;
	r->v[r->n].status = s->status;
	snprintf(r->v[r->n].due, sizeof r->v[r->n].due, "%s", s->due);
	r->n++;
	return 0;
}

static int remind_round_cb(const struct store_row *row, void *arg)
{
	strv_push(arg, store_row_text(row, 0));
	return 0;
}

/* The day a step falls on: offset working days after the due date, or
 * before it (before_close) when offset is negative. */
static int remind_step_day(const struct holidays *h, const char *calendar,
                           const char *due, int offset, struct deadline_date *out,
                           char **errp)
{
	struct deadline_date d;
	int rc = deadline_date_parse(due, &d, errp);
	if (rc == FOID_OK)
		rc = deadline_add_working_days(h, calendar, d, offset, out, errp);
	return rc;
}

/* 1 when no mail went (or waits to go) to the request's body within the
 * last gap working days. */
static int remind_gap_ok(struct store *st, const struct holidays *h,
                         const char *calendar, const char *tz, int64_t request_id,
                         int gap, struct deadline_date today)
{
	int64_t last = 0;
	if (store_query_int(st, NULL, &last,
	                    "SELECT max(coalesce(m.sent_at, m.created_at)) FROM messages m"
	                    " JOIN requests q ON q.id = m.request_id"
	                    " WHERE q.body_id = (SELECT body_id FROM requests WHERE id = ?)"
	                    " AND m.direction = 'out' AND m.send_state != 'failed'",
	                    "I", request_id) != FOID_OK || !last)
		return 1;
	int between = 0;
	if (deadline_working_days_between(h, calendar, deadline_local_date(last, tz),
	                                  today, &between, NULL) < 0)
		return 0;
	return between >= gap;
}

/* A survey body that replied: one follow-up, threaded under its reply,
 * asking for the questions it left (quoted); or, when the round asks for
 * it, thanks for answering everything.  Each at most once, and neither
 * waits for a gap: both answer the body's own mail. */
static int remind_survey_reply(struct store *st, const struct config *cfg,
                               const struct round_view *r, const struct remind_cand *c,
                               int dry_run, struct buf *report, int *nqueued,
                               char **errp)
{
	int64_t request_id = c->row->request_id, thanks = 0, taken = 0;
	int partial = c->status == STATUS_PARTIAL;
	const char *step = partial ? "followup" : "thanks";
	char purpose[32];
	snprintf(purpose, sizeof purpose, "reminder:%s", step);
	int rc = store_query_int(st, errp, &thanks, "SELECT thanks FROM rounds WHERE id = ?",
	                         "I", r->id);
	if (rc == FOID_OK)
		rc = store_query_int(st, errp, &taken,
		                     "SELECT count(*) FROM messages WHERE request_id = ?"
		                     " AND direction = 'out' AND purpose = ?", "Is",
		                     request_id, purpose);
	if (rc || taken || (!partial && !thanks))
		return rc;
	char *missing = NULL, *reply_mid = NULL;
	int nmissing = 0;
	if (partial)
		rc = survey_missing_text(st, request_id, &missing, &nmissing, errp);
	if (rc == FOID_OK)
		rc = store_query_text(st, errp, &reply_mid,
		                      "SELECT message_id FROM messages WHERE request_id = ?"
		                      " AND direction = 'in' AND kind = 'response'"
		                      " ORDER BY id DESC LIMIT 1", "I", request_id);
	if (rc == FOID_OK && (!partial || nmissing)) {
		const char *name = c->row->short_name;
		buf_addf(report, "%s %-22s %-10s (reply)%s\n", r->slug, name ? name : "?",
		         step, dry_run ? "" : " queued");
		if (!dry_run) {
			const struct round_extra extra[] = { { "survey.missing", missing ? missing : "" },
			                                     { NULL, NULL } };
			struct round_followup fu = { partial ? "survey-followup.txt"
			                                     : "survey-thanks.txt",
			                             purpose, reply_mid, NULL, c->due, extra, "foid" };
			int64_t row = 0;
			rc = round_queue_followup(st, cfg, request_id, &fu, &row, errp);
			if (rc == FOID_OK)
				log_info("event=remind.queued round=%s step=%s message=%lld", r->slug,
				         step, (long long)row);
		}
		(*nqueued)++;
	}
	free(missing);
	free(reply_mid);
	return rc;
}

static int remind_round_pass(struct store *st, const struct config *cfg,
                             const struct round_view *r, int64_t now, int dry_run,
                             struct buf *report, int *nqueued, char **errp)
{
	const struct config_reminders *steps = strcmp(r->kind, "survey") == 0
	                                       ? &cfg->reminders_survey
	                                       : &cfg->reminders_foi;
	const struct holidays *h = r->holidays;
	const struct deadline_regime *reg = &r->regime;
	const char *tz = reg->tz;
	struct deadline_date today = deadline_local_date(now, tz);
	struct remind_cands cands = { NULL, 0 };
	int rc = status_view(st, r, now, remind_cand_cb, &cands, errp);
	for (size_t i = 0; rc == FOID_OK && i < cands.n; i++) {
		const struct remind_cand *c = &cands.v[i];
		int64_t request_id = c->row->request_id;
		if (!status_is_waiting(c->status)) {
			if (strcmp(r->kind, "survey") == 0)
				rc = remind_survey_reply(st, cfg, r, c, dry_run, report, nqueued, errp);
			continue;
		}
		/* The first step that is due and not yet taken. */
		for (int k = 0; k < steps->nsteps; k++) {
			const struct config_reminder_step *s = &steps->steps[k];
			if (s->offset_days < 0 && !r->closes_on)
				continue;
			struct deadline_date day;
			if (remind_step_day(h, reg->calendar, c->due, s->offset_days, &day,
			                    errp) < 0) {
				rc = FOID_EINVAL;
				break;
			}
			if (deadline_date_cmp(today, day) < 0)
				continue;
			char purpose[96];
			snprintf(purpose, sizeof purpose, "reminder:%s", s->name);
			int64_t taken = 0;
			store_query_int(st, NULL, &taken,
			                "SELECT count(*) FROM messages WHERE request_id = ?"
			                " AND direction = 'out' AND purpose = ?", "Is",
			                request_id, purpose);
			if (taken)
				continue;
			if (!remind_gap_ok(st, h, reg->calendar, tz, request_id,
			                   cfg->min_gap_days, today))
				break;
			const char *ref = c->row->short_name;
			buf_addf(report, "%s %-22s %-10s (due %s)%s\n", r->slug, ref ? ref : "?",
			         s->name, c->due, dry_run ? "" : " queued");
			if (!dry_run) {
				struct round_followup fu = { s->template, purpose, NULL, NULL,
				                             c->due, NULL, "foid" };
				int64_t row = 0;
				rc = round_queue_followup(st, cfg, request_id, &fu, &row, errp);
				if (rc == FOID_OK)
					log_info("event=remind.queued round=%s step=%s message=%lld",
					         r->slug, s->name, (long long)row);
			}
			(*nqueued)++;
			break;
		}
	}
	free(cands.v);
	return rc;
}

int remind_pass(struct store *st, const struct config *cfg,
                const struct holidays *h, const char *round_slug, int64_t now,
                int dry_run, struct buf *report, int *nqueued, char **errp)
{
	struct strv ids = STRV_INIT;
	*nqueued = 0;
	int rc = store_query(st, errp, remind_round_cb, &ids,
	                     "SELECT id FROM rounds"
	                     " WHERE state = 'launched' AND (? IS NULL OR slug = ?)"
	                     " ORDER BY id", "ss", round_slug, round_slug);
	for (size_t i = 0; rc == FOID_OK && i < ids.n; i++) {
		struct round_view *v = NULL;
		rc = round_view_load(st, cfg, h, NULL, strtoll(ids.v[i], NULL, 10), &v, errp);
		if (rc == FOID_OK)
			rc = remind_round_pass(st, cfg, v, now, dry_run, report, nqueued, errp);
		round_view_free(v);
	}
	strv_free(&ids);
	return rc;
}
