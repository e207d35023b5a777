#include "digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "deadline.h"
#include "health.h"
#include "message.h"
#include "round_view.h"
#include "send.h"
#include "status.h"
#include "store.h"
#include "survey.h"

#define DIGEST_SOON 3 /* working days */

struct digest_ctx {
	const char *slug;
	const char *round_tz;       /* the round's zone, for its due dates */
	struct deadline_date today, soon;
	int64_t since, now;
	struct buf due, overdue, clar, unconfirmed, review;
	int ndue, noverdue, nclar, nunconfirmed, nreview;
};

/* A reply foid could not tell, by the message: it holds the request's
 * chasers (status.h) until a person marks it, so it is listed every day
 * until then, whatever else the request is listed for. */
static void digest_review(struct digest_ctx *x, const struct status *s)
{
	const char *name = s->row->short_name, *ref = s->row->reference;
	buf_addf(&x->review, "  %s %s: message #%lld", name ? name : "?", ref ? ref : "?",
	         (long long)s->review_message);
	if (s->review_messages > 1)
		buf_addf(&x->review, " and %d more", s->review_messages - 1);
	buf_addf(&x->review, " (%s): foictl mark %lld KIND\n", status_name(s->status),
	         (long long)s->review_message);
	x->nreview++;
}

static int digest_status_cb(const struct status *s, void *arg)
{
	struct digest_ctx *x = arg;
	struct deadline_date due;
	int has_due = s->due[0] && deadline_date_parse(s->due, &due, NULL) == FOID_OK;
	struct buf *to = NULL;
	int *count = NULL;
	if (s->review_messages)
		digest_review(x, s);
	if (status_is_waiting(s->status) && has_due && !s->overdue &&
	    deadline_date_cmp(due, x->soon) <= 0) {
		to = &x->due;
		count = &x->ndue;
	} else if (s->overdue && has_due && deadline_end_of_day(due, x->round_tz) > x->since) {
		/* Not yet overdue when the last digest went. */
		to = &x->overdue;
		count = &x->noverdue;
	} else if (s->status == STATUS_CLARIFICATION) {
		to = &x->clar;
		count = &x->nclar;
	} else if (s->status == STATUS_UNCONFIRMED) {
		to = &x->unconfirmed;
		count = &x->nunconfirmed;
	}
	if (!to)
		return 0;
	const char *name = s->row->short_name, *ref = s->row->reference;
	buf_addf(to, "  %s %s", name ? name : "?", ref ? ref : "?");
	if (has_due && to != &x->clar && to != &x->unconfirmed)
		buf_addf(to, ", due %s", s->due);
	const char *who = name ? name : "?";
	if (to == &x->clar)
		buf_addf(to, ": foictl clarify %s %s --file ANSWER\n", x->slug, who);
	else if (to == &x->unconfirmed)
		buf_addf(to, ": foictl confirm %s %s --sent | --resend\n", x->slug, who);
	else
		buf_addf(to, ": foictl show %s %s\n", x->slug, who);
	(*count)++;
	return 0;
}

static int digest_kind_cb(const struct store_row *row, void *arg)
{
	struct buf *b = arg;
	buf_addf(b, "  %lld %s\n", (long long)store_row_int(row, 1), store_row_text(row, 0));
	return 0;
}

static int digest_round_cb(const struct store_row *row, void *arg)
{
	strv_push(arg, store_row_text(row, 0));
	return 0;
}

static int digest_queue(struct store *st, const struct config *cfg,
                        const char *subject, const char *body, int64_t now,
                        char **errp)
{
	char *mid = message_new_id(strrchr(cfg->team_address, '@') + 1);
	struct message_spec spec = { 0 };
	spec.from_name = cfg->team_name;
	spec.from_addr = cfg->team_address;
	spec.to_addr = cfg->digest_address;
	spec.subject = subject;
	spec.body = body;
	spec.message_id = mid;
	spec.date = now;
	spec.date_tz = cfg->timezone ? cfg->timezone : "Europe/London";
	spec.auto_submitted = 1;
	char *raw = NULL;
	size_t len = 0;
	int rc = message_build(&spec, &raw, &len, errp);
	const char *rcpt = cfg->digest_address;
	struct send_item it = {
		.purpose = "digest", .message_id = mid, .from_addr = cfg->team_address,
		.to_addrs = cfg->digest_address, .subject = subject, .raw = raw,
		.len = len, .envelope_from = cfg->team_address, .rcpts = &rcpt,
		.nrcpts = 1, .now = now,
	};
	if (rc == FOID_OK)
		rc = send_queue(st, cfg, &it, NULL, errp);
	free(raw);
	free(mid);
	return rc;
}

int digest_pass(struct store *st, const struct config *cfg,
                const struct holidays *h, int64_t now, int *queued,
                struct buf *text, char **errp)
{
	*queued = 0;
	if (!cfg->digest_address)
		return FOID_OK;
	const char *tz = cfg->timezone ? cfg->timezone : "Europe/London";
	struct digest_ctx x = { 0 };
	x.now = now;
	x.today = deadline_local_date(now, tz);
	char today[11];
	deadline_date_format(x.today, today);
	/* Once a day, on working days, from digest_time. */
	char *last_day = NULL;
	store_query_text(st, NULL, &last_day, "SELECT value FROM meta WHERE key = ?",
	                 "s", "digest.last_day");
	int hh = atoi(cfg->digest_time), mm = atoi(cfg->digest_time + 3);
	int64_t at = deadline_end_of_day(deadline_date_add_days(x.today, -1), tz) +
	             hh * 3600 + mm * 60;
	int working = deadline_is_working_day(h, "uk", x.today, NULL) == 1;
	int due_now = working && now >= at && (!last_day || strcmp(last_day, today) != 0);
	free(last_day);
	if (!due_now)
		return FOID_OK;
	int64_t since = 0;
	char *s = NULL;
	if (store_query_text(st, NULL, &s, "SELECT value FROM meta WHERE key = ?", "s",
	                     "digest.last_at") == FOID_OK && s)
		since = strtoll(s, NULL, 10);
	free(s);
	x.since = since;
	int rc = deadline_add_working_days(h, "uk", x.today, DIGEST_SOON, &x.soon, errp);
	struct buf replies = BUF_INIT, body = BUF_INIT;
	if (rc == FOID_OK)
		rc = store_query(st, errp, digest_kind_cb, &replies,
		                 "SELECT kind, count(*) FROM messages WHERE direction = 'in'"
		                 " AND request_id IS NOT NULL AND kind != 'own'"
		                 " AND coalesce(internaldate, created_at) >= ?"
		                 " GROUP BY kind ORDER BY count(*) DESC", "I", since);
	struct strv rounds = STRV_INIT;
	if (rc == FOID_OK)
		rc = store_query(st, errp, digest_round_cb, &rounds,
		                 "SELECT id FROM rounds WHERE state != 'draft'"
		                 " ORDER BY id", NULL);
	for (size_t i = 0; rc == FOID_OK && i < rounds.n; i++) {
		struct round_view *v = NULL;
		rc = round_view_load(st, cfg, h, NULL, strtoll(rounds.v[i], NULL, 10), &v,
		                     errp);
		if (rc == FOID_OK) {
			x.slug = v->slug;
			x.round_tz = v->regime.tz;
			rc = status_view(st, v, now, digest_status_cb, &x, errp);
		}
		round_view_free(v);
	}
	int64_t unmatched = 0;
	if (rc == FOID_OK)
		rc = store_query_int(st, errp, &unmatched,
		                     "SELECT count(*) FROM messages WHERE direction = 'in'"
		                     " AND request_id IS NULL AND (kind IS NULL OR kind != 'own')",
		                     NULL);
	struct buf health = BUF_INIT, survey = BUF_INIT;
	int nsurvey = 0;
	if (rc == FOID_OK)
		rc = survey_waiting(st, "  ", &survey, &nsurvey, errp);
	if (rc == FOID_OK)
		rc = health_text(st, tz, "  ", &health, errp);
	if (rc)
		goto out;
	buf_addf(&body, "foid digest for %s\n\n", today);
	if (health.len)
		buf_addf(&body, "Servers foid cannot use:\n%s\n", health.data);
	if (replies.len)
		buf_addf(&body, "Replies since the last digest (foictl status ROUND):\n%s\n",
		         replies.data);
	if (x.nclar)
		buf_addf(&body, "Clarification requests waiting for you:\n%s\n", x.clar.data);
	if (x.nreview)
		buf_addf(&body, "Replies waiting for a person (no chaser goes until each is"
		         " marked; foictl inbox):\n%s\n", x.review.data);
	if (unmatched)
		buf_addf(&body, "Mail that matched no request: %lld: foictl inbox\n\n",
		         (long long)unmatched);
	if (nsurvey)
		buf_addf(&body, "Survey replies waiting for you:\n%s\n", survey.data);
	if (x.nunconfirmed)
		buf_addf(&body, "Sends foid could not confirm:\n%s\n", x.unconfirmed.data);
	if (x.noverdue)
		buf_addf(&body, "Became overdue:\n%s\n", x.overdue.data);
	if (x.ndue)
		buf_addf(&body, "Due in the next %d working days:\n%s\n", DIGEST_SOON,
		         x.due.data);
	rc = store_begin(st, errp);
	if (rc)
		goto out;
	int say = replies.len || x.nclar || x.nreview || unmatched || x.nunconfirmed ||
	          x.noverdue || x.ndue || health.len || nsurvey;
	if (say) {
		char *subject = xasprintf("foid digest %s: %d due soon, %d overdue, %d "
		                          "waiting for you", today, x.ndue, x.noverdue,
		                          x.nclar + x.nreview + x.nunconfirmed +
		                          (unmatched > 0) + nsurvey);
		rc = digest_queue(st, cfg, subject, body.data, now, errp);
		free(subject);
		*queued = rc == FOID_OK;
	}
	char nowbuf[24];
	snprintf(nowbuf, sizeof nowbuf, "%lld", (long long)now);
	if (rc == FOID_OK)
		rc = store_exec(st, errp, "INSERT OR REPLACE INTO meta VALUES (?, ?), (?, ?)",
		                "ssss", "digest.last_day", today, "digest.last_at", nowbuf);
	rc = store_finish(st, rc, errp);
	if (rc == FOID_OK && text && say)
		buf_adds(text, body.data);
out:
	buf_free(&health);
	buf_free(&survey);
	strv_free(&rounds);
	buf_free(&replies);
	buf_free(&body);
	buf_free(&x.due);
	buf_free(&x.overdue);
	buf_free(&x.clar);
	buf_free(&x.unconfirmed);
	buf_free(&x.review);
	return rc;
}
