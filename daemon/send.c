#include "send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "config.h"
#include "deadline.h"
#include "health.h"
#include "log.h"
#include "round.h"
#include "smtp.h"
#include "store.h"
#include "window.h"

#define SEND_BATCH 200
#define SEND_BACKOFF_MAX 3600
/* After the server could not be used at all, wait this long, doubling
 * while it goes on. */
#define SEND_SERVER_RETRY 60
#define SEND_SERVER_RETRY_MAX 600

struct send_recent {
	int64_t t;
	char *domain;
};

struct send {
	struct store *st;
	const struct config *cfg;
	struct smtp *smtp;
	struct holidays *h;
	struct window win;
	int has_window;
	struct send_recent *recent; /* sends in the last minute */
	size_t nrecent;
	int64_t server_retry_at;
	int server_backoff;         /* seconds; 0 while the server works */
	int server_fault;           /* enum health_cause of the last failure */
	int health_known_ok;        /* no server_health row for smtp to clear */
};

/* One queued message, as the sender needs it. */
struct send_msg {
	int64_t id, request_id, round_id, attempts, created_at, next_attempt_at;
	char *message_id, *raw_path, *env_from, *env_to, *purpose;
	char *regime, *closes, *reference;
};

static void send_msg_clear(struct send_msg *m)
{
	free(m->message_id);
	free(m->raw_path);
	free(m->env_from);
	free(m->env_to);
	free(m->purpose);
	free(m->regime);
	free(m->closes);
	free(m->reference);
	memset(m, 0, sizeof *m);
}

/* Collects every column of every row, in order ("" for NULL). */
static int send_strv_cb(const struct store_row *row, void *arg)
{
	struct strv *v = arg;
	for (int i = 0; i < store_row_count(row); i++) {
		const char *t = store_row_text(row, i);
		strv_push(v, t ? t : "");
	}
	return 0;
}

static const char *const send_state_names[] = {
	[SEND_QUEUED] = "queued",
	[SEND_SENDING] = "sending",
	[SEND_SENT] = "sent",
	[SEND_UNCONFIRMED] = "unconfirmed",
	[SEND_FAILED] = "failed",
};

#define SEND_FROM(s) (1u << (s))
/* The states each state may be entered from.  Queued again: the server was
 * out of reach or said 4xx, or a person chose to resend an unconfirmed
 * message.  Failed from queued: withdrawn before it went.  Never from
 * sent or failed, and never to sending but from queued: that is what
 * keeps a message from going out twice. */
static const unsigned send_allowed_from[] = {
	[SEND_QUEUED] = SEND_FROM(SEND_SENDING) | SEND_FROM(SEND_UNCONFIRMED),
	[SEND_SENDING] = SEND_FROM(SEND_QUEUED),
	[SEND_SENT] = SEND_FROM(SEND_SENDING) | SEND_FROM(SEND_UNCONFIRMED),
	[SEND_UNCONFIRMED] = SEND_FROM(SEND_SENDING),
	[SEND_FAILED] = SEND_FROM(SEND_SENDING) | SEND_FROM(SEND_QUEUED),
};

static int send_state_parse(const char *name)
{
	for (size_t i = 0; i < sizeof send_state_names / sizeof *send_state_names; i++)
		if (name && strcmp(name, send_state_names[i]) == 0)
			return (int)i;
	return -1;
}

struct send_cur {
	int found;
	char *state, *purpose;
	int64_t request_id, round_id;
};

static int send_cur_cb(const struct store_row *row, void *arg)
{
	struct send_cur *c = arg;
	c->found = 1;
	c->state = xstrdup(store_row_text(row, 0));
	c->purpose = xstrdup(store_row_text(row, 1));
	c->request_id = store_row_int(row, 2);
	c->round_id = store_row_int(row, 3);
	return 0;
}

int send_enter_state(struct store *st, int64_t msg, enum send_state to,
                     const struct send_change *c, char **errp)
{
	struct send_cur cur = { 0 };
	int rc = store_query(st, errp, send_cur_cb, &cur,
	                     "SELECT m.send_state, coalesce(m.purpose, ''),"
	                     " coalesce(m.request_id, 0), coalesce(q.round_id, 0)"
	                     " FROM messages m LEFT JOIN requests q ON q.id = m.request_id"
	                     " WHERE m.id = ? AND m.direction = 'out'", "I", msg);
	int from = rc == FOID_OK ? send_state_parse(cur.state) : -1;
	if (rc == FOID_OK && !cur.found)
		rc = err_set(errp, FOID_ENOTFOUND, "no outgoing message %lld",
		             (long long)msg);
	else if (rc == FOID_OK && (from < 0 || !(send_allowed_from[to] & SEND_FROM(from))))
		rc = err_set(errp, FOID_EINVAL, "message %lld: %s -> %s is not allowed",
		             (long long)msg, cur.state ? cur.state : "(none)",
		             send_state_names[to]);
	if (rc)
		goto out;
	int sent = to == SEND_SENT;
	const char *name = send_state_names[to];
	rc = store_exec(st, errp,
	                "UPDATE messages SET send_state = ?, attempts = attempts + ?,"
	                " next_attempt_at = CASE WHEN ? THEN ? ELSE next_attempt_at END,"
	                " smtp_reply = CASE WHEN ? THEN ? ELSE smtp_reply END,"
	                " last_error = CASE WHEN ? OR ? IS NULL THEN last_error ELSE ? END,"
	                " sent_at = CASE WHEN ? THEN ? ELSE sent_at END"
	                " WHERE id = ? AND send_state = ?",
	                "siiIisissiIIs", name, c->attempts, c->next_attempt_at != 0,
	                c->next_attempt_at, sent, c->detail, sent, c->detail, c->detail,
	                sent, c->now, msg, cur.state);
	if (rc == FOID_OK && store_changes(st) != 1)
		rc = err_set(errp, FOID_ETEMP, "message %lld changed meanwhile",
		             (long long)msg);
	int request = cur.request_id && strcmp(cur.purpose, "request") == 0;
	if (rc == FOID_OK && request && sent)
		rc = store_exec(st, errp,
		                "UPDATE requests SET delivery = 'sent', delivery_detail = ?,"
		                " sent_at = ?, clock_start = ?, due_date = ? WHERE id = ?",
		                "sIssI", c->detail, c->now, c->clock_start, c->due_date,
		                cur.request_id);
	else if (rc == FOID_OK && request)
		rc = store_exec(st, errp,
		                "UPDATE requests SET delivery = ?,"
		                " delivery_detail = coalesce(?, delivery_detail) WHERE id = ?",
		                "ssI", name, c->detail, cur.request_id);
	if (rc == FOID_OK) {
		char type[48];
		snprintf(type, sizeof type, "%s.%s", request ? "request" : "message", name);
		rc = store_event(st, errp, cur.round_id, cur.request_id, msg, type,
		                 c->actor ? c->actor : "foid", c->detail);
	}
out:
	free(cur.state);
	free(cur.purpose);
	return rc;
}

/* send_enter_state in a transaction of its own. */
static int send_enter_alone(struct store *st, int64_t msg, enum send_state to,
                            const struct send_change *c, char **errp)
{
	int rc = store_begin(st, errp);
	if (rc)
		return rc;
	rc = send_enter_state(st, msg, to, c, errp);
	return store_finish(st, rc, errp);
}

int send_queue(struct store *st, const struct config *cfg,
               const struct send_item *it, int64_t *row, char **errp)
{
	char *rel = NULL;
	char sha[65];
	struct buf env = BUF_INIT;
	for (size_t k = 0; k < it->nrcpts; k++)
		buf_addf(&env, "%s%s", k ? " " : "", it->rcpts[k]);
	char *to = buf_detach(&env);
	struct buf ccs = BUF_INIT;
	for (size_t k = 0; it->cc && k < it->cc->n; k++)
		buf_addf(&ccs, "%s%s", k ? ", " : "", it->cc->v[k]);
	char *cc = ccs.len ? buf_detach(&ccs) : NULL;
	buf_free(&ccs);
	int request = it->request_id && strcmp(it->purpose, "request") == 0;
	int rc = blob_put(cfg->storage_dir, "raw", it->raw, it->len, 1, &rel, sha, errp);
	if (rc == FOID_OK)
		rc = store_exec(st, errp,
		                "INSERT INTO messages (direction, request_id, purpose,"
		                " message_id, in_reply_to, from_addr, to_addrs, cc_addrs,"
		                " subject, raw_sha256, raw_size, raw_path, envelope_from,"
		                " envelope_to, send_state, next_attempt_at, created_at)"
		                " VALUES ('out', nullif(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		                " ?, ?, 'queued', ?, ?)",
		                "IssssssssIsssII", it->request_id, it->purpose,
		                it->message_id, it->in_reply_to, it->from_addr, it->to_addrs,
		                cc, it->subject, sha, (int64_t)it->len, rel,
		                it->envelope_from, to, it->now, it->now);
	int64_t id = rc == FOID_OK ? store_last_id(st) : 0;
	if (rc == FOID_OK && request)
		rc = store_exec(st, errp,
		                "UPDATE requests SET delivery = 'queued',"
		                " reply_address = coalesce(?, reply_address) WHERE id = ?",
		                "sI", it->reply_address, it->request_id);
	if (rc == FOID_OK)
		rc = store_event(st, errp, it->round_id, it->request_id, id,
		                 request ? "request.queued" : "message.queued",
		                 it->actor ? it->actor : "foid", it->purpose);
	if (rc == FOID_OK && row)
		*row = id;
	free(rel);
	free(to);
	free(cc);
	return rc;
}

int send_cancel_request(struct store *st, int64_t request_id,
                        const char *actor, int *n, char **errp)
{
	struct strv ids = STRV_INIT;
	int rc = store_query(st, errp, send_strv_cb, &ids,
	                     "SELECT id FROM messages WHERE request_id = ?"
	                     " AND direction = 'out' AND send_state = 'queued'",
	                     "I", request_id);
	struct send_change c = { .detail = "request withdrawn", .actor = actor,
	                         .now = util_now() };
	for (size_t i = 0; rc == FOID_OK && i < ids.n; i++)
		rc = send_enter_state(st, strtoll(ids.v[i], NULL, 10), SEND_FAILED, &c, errp);
	if (rc == FOID_OK && n)
		*n = (int)ids.n;
	strv_free(&ids);
	return rc;
}

int send_request_bounced(struct store *st, int64_t request_id, int64_t row,
                         const char *actor, char **errp)
{
	int rc = store_exec(st, errp,
	                    "UPDATE requests SET delivery = 'bounced', delivery_detail ="
	                    " (SELECT coalesce(kind_evidence, 'bounced') FROM messages"
	                    " WHERE id = ?) WHERE id = ? AND delivery IN ('sent',"
	                    " 'unconfirmed')", "II", row, request_id);
	if (rc == FOID_OK && store_changes(st))
		rc = store_event(st, errp, 0, request_id, row, "request.bounced", actor, NULL);
	return rc;
}

int send_new(struct store *st, const struct config *cfg, struct send **out,
             char **errp)
{
	struct send *s = xcalloc(1, sizeof *s);
	s->st = st;
	s->cfg = cfg;
	int rc = holidays_load_data(cfg->data_dir, &s->h, errp);
	if (rc == FOID_OK && cfg->send_window) {
		rc = window_parse(cfg->send_window, &s->win, errp);
		s->has_window = rc == FOID_OK;
	}
	if (rc) {
		send_free(s);
		return rc;
	}
	*out = s;
	return FOID_OK;
}

void send_free(struct send *s)
{
	if (!s)
		return;
	smtp_free(s->smtp);
	holidays_free(s->h);
	for (size_t i = 0; i < s->nrecent; i++)
		free(s->recent[i].domain);
	free(s->recent);
	free(s);
}

static const char *send_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : addr;
}

static const char *send_first_rcpt(const struct send_msg *m, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", (int)strcspn(m->env_to, " "), m->env_to);
	return buf;
}

static void send_prune(struct send *s, int64_t now)
{
	size_t k = 0;
	for (size_t i = 0; i < s->nrecent; i++) {
		if (s->recent[i].t > now - 60)
			s->recent[k++] = s->recent[i];
		else
			free(s->recent[i].domain);
	}
	s->nrecent = k;
}

/* 0 when a message to domain may go now, else the time it may. */
static int64_t send_rate_wait(const struct send *s, const char *domain)
{
	size_t same = 0;
	int64_t oldest_same = 0;
	for (size_t i = 0; i < s->nrecent; i++) {
		if (strcasecmp(s->recent[i].domain, domain) == 0) {
			if (!same)
				oldest_same = s->recent[i].t;
			same++;
		}
	}
	if (s->nrecent >= (size_t)s->cfg->rate_per_minute)
		return s->recent[0].t + 60;
	if (same >= (size_t)s->cfg->rate_per_domain)
		return oldest_same + 60;
	return 0;
}

/* The recipients of a message's envelope: Bcc copies count as the
 * provider counts them. */
static int64_t send_rcpt_count(const char *env_to)
{
	int64_t n = 0;
	for (const char *p = env_to; *p;) {
		p += strspn(p, " ");
		if (*p)
			n++;
		p += strcspn(p, " ");
	}
	return n;
}

/* 0 when m fits smtp.recipients_per_day, else the time it may go.  Counted
 * from the store over the last 24 hours, so the budget holds across
 * restarts and --once runs.  A message larger than the whole budget goes
 * alone, once the day's count is back to zero. */
static int64_t send_budget_wait(struct send *s, const struct send_msg *m, int64_t now)
{
	int64_t budget = s->cfg->recipients_per_day;
	if (budget <= 0)
		return 0;
	static const char window[] =
		" FROM messages WHERE direction = 'out' AND sent_at > ?"
		" AND send_state IN ('sent', 'unconfirmed')";
	int64_t used = 0, oldest = 0;
	char *sql = xasprintf("SELECT coalesce(sum(length(trim(envelope_to)) -"
	                      " length(replace(trim(envelope_to), ' ', '')) + 1), 0)%s", window);
	int rc = store_query_int(s->st, NULL, &used, sql, "I", now - 86400);
	free(sql);
	int64_t need = send_rcpt_count(m->env_to);
	if (rc != FOID_OK || used == 0 || used + need <= budget)
		return 0;
	sql = xasprintf("SELECT min(sent_at)%s", window);
	rc = store_query_int(s->st, NULL, &oldest, sql, "I", now - 86400);
	free(sql);
	return rc == FOID_OK && oldest > 0 ? oldest + 86400 : now + 3600;
}

static void send_note(struct send *s, int64_t now, const char *domain)
{
	s->recent = xrealloc(s->recent, (s->nrecent + 1) * sizeof *s->recent);
	s->recent[s->nrecent].t = now;
	s->recent[s->nrecent].domain = xstrdup(domain);
	s->nrecent++;
}

static int send_msg_cb(const struct store_row *row, void *arg)
{
	struct send_msg **v = ((void **)arg)[0];
	size_t *n = ((void **)arg)[1];
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	struct send_msg *m = &(*v)[(*n)++];
	m->id = store_row_int(row, 0);
	store_row_texts(row, 1, (char **const[]){ &m->message_id, &m->raw_path,
		&m->env_from, &m->env_to, NULL });
	m->attempts = store_row_int(row, 5);
	m->created_at = store_row_int(row, 6);
	m->request_id = store_row_int(row, 7);
	store_row_texts(row, 8, (char **const[]){ &m->purpose, &m->regime, &m->closes,
		NULL });
	m->round_id = store_row_int(row, 11);
	m->reference = xstrdup(store_row_text(row, 12));
	m->next_attempt_at = store_row_int(row, 13);
	return 0;
}

#define SEND_MSG_COLUMNS \
	"SELECT m.id, m.message_id, m.raw_path, m.envelope_from, m.envelope_to," \
	" m.attempts, m.created_at, coalesce(m.request_id, 0), m.purpose," \
	" r.regime, r.closes_on, coalesce(r.id, 0), q.reference," \
	" coalesce(m.next_attempt_at, 0)" \
	" FROM messages m LEFT JOIN requests q ON q.id = m.request_id" \
	" LEFT JOIN rounds r ON r.id = q.round_id"

/* Applies one outcome to a message (and its request, for the initial
 * request) in one transaction, with an event.  h: holiday data for a sent
 * request's due date. */
static int send_settle(struct store *st, const struct config *cfg,
                       const struct holidays *h, const struct send_msg *m,
                       enum send_state to, const char *detail, int64_t now,
                       const char *actor, char **errp)
{
	int sent = to == SEND_SENT;
	char day0[11] = "", due[11] = "";
	struct send_change c = { .detail = detail, .actor = actor, .now = now };
	int rc = FOID_OK;
	if (sent && m->request_id && strcmp(m->purpose, "request") == 0) {
		rc = round_due_from(cfg, h, m->regime, m->closes, now, day0, due, errp);
		c.clock_start = day0;
		c.due_date = due;
	}
	if (rc)
		return rc;
	/* A 250 need not wait for the disk: the next message's 'sending' mark
	 * flushes it, and should power fail first the message is found
	 * 'sending' on restart and settled from evidence, never sent twice. */
	rc = sent ? store_lazy(st, 1, errp) : FOID_OK;
	if (rc == FOID_OK)
		rc = send_enter_alone(st, m->id, to, &c, errp);
	if (sent) {
		int back = store_lazy(st, 0, rc ? NULL : errp);
		rc = rc ? rc : back;
	}
	return rc;
}

static int send_requeue(struct send *s, const struct send_msg *m,
                        const char *why, int64_t now, char **errp)
{
	int64_t delay = 60;
	for (int64_t i = 1; i < m->attempts && delay < SEND_BACKOFF_MAX; i++)
		delay *= 2;
	if (delay > SEND_BACKOFF_MAX)
		delay = SEND_BACKOFF_MAX;
	struct send_change c = { .detail = why, .now = now,
	                         .next_attempt_at = now + delay };
	return send_enter_alone(s->st, m->id, SEND_QUEUED, &c, errp);
}

/* The server took a message: forget its recorded failure. */
static void send_server_ok(struct send *s)
{
	s->server_backoff = 0;
	s->server_fault = HEALTH_NONE;
	if (s->health_known_ok)
		return;
	char *err = NULL;
	if (health_ok(s->st, "smtp", &err) == FOID_OK)
		s->health_known_ok = 1;
	else
		log_warn("event=health.update server=smtp error=%s", log_q(err));
	free(err);
}

/* The server cannot be used: a warning for network trouble, an error
 * with what to change for the rest; recorded for foictl status and the
 * digest.  Returns FOID_ETEMP or FOID_EPERM, with why in *errp. */
static int send_server_down(struct send *s, int cause, const char *why,
                            int64_t now, char **errp)
{
	s->server_backoff = health_backoff(s->server_backoff, SEND_SERVER_RETRY,
	                                   SEND_SERVER_RETRY_MAX);
	s->server_retry_at = now + s->server_backoff;
	s->server_fault = cause;
	char *fix = health_fix("smtp", cause);
	char *herr = NULL;
	if (health_fail(s->st, "smtp", cause, why, fix, now, NULL, &herr) == FOID_OK)
		s->health_known_ok = 0;
	else
		log_warn("event=health.update server=smtp error=%s", log_q(herr));
	health_log_down("send.server", why, fix, s->server_backoff, 0);
	free(fix);
	free(herr);
	return err_set(errp, cause == HEALTH_TEMP ? FOID_ETEMP : FOID_EPERM, "%s", why);
}

int send_server_fault(const struct send *s)
{
	return s->server_fault;
}

/* Sends one message.  FOID_ETEMP or FOID_EPERM means the server cannot
 * be used and the pass should stop; other failures concern this message
 * only and are recorded, so they return 0. */
static int send_one(struct send *s, struct send_msg *m, int64_t now,
                    int *nsent, char **errp)
{
	char *raw = NULL;
	size_t len = 0;
	struct strv rcpts = STRV_INIT;
	struct smtp_result res;
	char *err = NULL;
	int rc = blob_get(s->cfg->storage_dir, m->raw_path, &raw, &len, errp);
	if (rc)
		return rc;
	char *copy = xstrdup(m->env_to);
	char *save = NULL;
	for (char *a = strtok_r(copy, " ", &save); a; a = strtok_r(NULL, " ", &save))
		strv_push(&rcpts, a);
	free(copy);
	/* Committed before the transaction starts: after a crash, a message in
	 * this state may have gone out and must not be sent again blindly. */
	struct send_change mark = { .now = now, .attempts = 1 };
	rc = send_enter_alone(s->st, m->id, SEND_SENDING, &mark, errp);
	if (rc)
		goto out;
	m->attempts++;
	util_crash_point("send.marked");
	if (!s->smtp) {
		rc = smtp_new(&s->cfg->smtp, &s->smtp, errp);
		if (rc)
			goto out;
	}
	int r = smtp_send(s->smtp, m->env_from, (const char *const *)rcpts.v,
	                  rcpts.n, raw, len, &res, &err);
	char first[320];
	send_first_rcpt(m, first, sizeof first);
	if (r == FOID_OK) {
		util_crash_point("send.accepted");
		send_server_ok(s);
		rc = send_settle(s->st, s->cfg, s->h, m, SEND_SENT, res.reply, now, "foid", errp);
		send_note(s, now, send_domain(first));
		(*nsent)++;
		log_info("event=send.ok message=%lld reference=%s to=%s reply=%s",
		         (long long)m->id, log_q(m->reference), first, log_q(res.reply));
	} else if (r == FOID_ETEMP && res.maybe_sent) {
		rc = send_settle(s->st, s->cfg, s->h, m, SEND_UNCONFIRMED, err, now, "foid", errp);
		log_warn("event=send.unconfirmed message=%lld reference=%s error=%s",
		         (long long)m->id, log_q(m->reference), log_q(err));
	} else if (res.cause != HEALTH_NONE) {
		/* The server or our settings, not the message: put it back and
		 * stop the pass. */
		struct send_change back = { .detail = err, .now = now, .attempts = -1 };
		char *e = NULL;
		/* Left sending, it would be settled unconfirmed on restart and
		 * wait for a person although it never went out: say so. */
		if (send_enter_alone(s->st, m->id, SEND_QUEUED, &back, &e) < 0)
			log_error("event=send.requeue message=%lld reference=%s error=%s",
			          (long long)m->id, log_q(m->reference), log_q(e));
		free(e);
		rc = send_server_down(s, res.cause, err, now, errp);
	} else if (r == FOID_ETEMP && now - m->created_at < s->cfg->give_up_after) {
		rc = send_requeue(s, m, err, now, errp);
		log_warn("event=send.retry message=%lld reference=%s attempts=%lld "
		         "error=%s", (long long)m->id, log_q(m->reference),
		         (long long)m->attempts, log_q(err));
	} else {
		char *why = r == FOID_ETEMP
		            ? xasprintf("gave up after %lld attempts: %s",
		                        (long long)m->attempts, err)
		            : xstrdup(res.reply[0] ? res.reply : err);
		rc = send_settle(s->st, s->cfg, s->h, m, SEND_FAILED, why, now, "foid", errp);
		log_warn("event=send.failed message=%lld reference=%s to=%s error=%s",
		         (long long)m->id, log_q(m->reference), first, log_q(why));
		free(why);
	}
out:
	free(err);
	free(raw);
	strv_free(&rcpts);
	return rc;
}

static const char *send_tz(const struct send *s, const struct send_msg *m,
                           struct deadline_regime *reg)
{
	if (s->cfg->timezone)
		return s->cfg->timezone;
	if (m->regime && deadline_regime_parse(m->regime, reg, NULL) == FOID_OK)
		return reg->tz;
	return "Europe/London";
}

int send_pass(struct send *s, int64_t now, int *nsent, int64_t *next_at,
              char **errp)
{
	struct send_msg *v = NULL;
	size_t n = 0;
	void *arg[2] = { &v, &n };
	*nsent = 0;
	*next_at = 0;
	int rc = FOID_OK;
	if (s->server_retry_at > now) {
		*next_at = s->server_retry_at;
		return FOID_OK;
	}
	rc = store_query(s->st, errp, send_msg_cb, arg,
	                 SEND_MSG_COLUMNS
	                 " WHERE m.direction = 'out' AND m.send_state = 'queued'"
	                 " AND (r.state IS NULL OR r.state != 'paused')"
	                 " ORDER BY coalesce(m.next_attempt_at, 0), m.id LIMIT ?",
	                 "i", SEND_BATCH);
	for (size_t i = 0; rc == FOID_OK && i < n; i++) {
		struct send_msg *m = &v[i];
		int64_t wait = m->next_attempt_at > now ? m->next_attempt_at : 0;
		send_prune(s, now);
		char first[320];
		if (!wait)
			wait = send_rate_wait(s, send_domain(send_first_rcpt(m, first,
			                                                     sizeof first)));
		if (!wait)
			wait = send_budget_wait(s, m, now);
		struct deadline_regime reg;
		int64_t open_at;
		if (!wait && s->has_window &&
		    !window_open(&s->win, send_tz(s, m, &reg), now, &open_at))
			wait = open_at;
		if (wait) {
			if (!*next_at || wait < *next_at)
				*next_at = wait;
			continue;
		}
		rc = send_one(s, m, now, nsent, errp);
		if (rc == FOID_ETEMP || rc == FOID_EPERM)
			*next_at = s->server_retry_at;
	}
	for (size_t i = 0; i < n; i++)
		send_msg_clear(&v[i]);
	free(v);
	/* Retries scheduled during this pass count too. */
	int64_t retry = 0;
	if (rc == FOID_OK &&
	    store_query_int(s->st, NULL, &retry,
	                    "SELECT min(m.next_attempt_at) FROM messages m"
	                    " LEFT JOIN requests q ON q.id = m.request_id"
	                    " LEFT JOIN rounds r ON r.id = q.round_id"
	                    " WHERE m.direction = 'out' AND m.send_state = 'queued'"
	                    " AND m.next_attempt_at > ?"
	                    " AND (r.state IS NULL OR r.state != 'paused')",
	                    "I", now) == FOID_OK &&
	    retry && (!*next_at || retry < *next_at))
		*next_at = retry;
	if (rc == FOID_OK && n == SEND_BATCH && (!*next_at || *next_at > now))
		*next_at = now;
	return rc;
}

int send_recover(struct send *s, send_evidence_fn evidence, void *arg,
                 int *nsettled, char **errp)
{
	struct send_msg *v = NULL;
	size_t n = 0;
	void *qarg[2] = { &v, &n };
	*nsettled = 0;
	int rc = store_query(s->st, errp, send_msg_cb, qarg,
	                     SEND_MSG_COLUMNS
	                     " WHERE m.direction = 'out' AND m.send_state = 'sending'",
	                     NULL);
	int64_t now = util_now();
	for (size_t i = 0; rc == FOID_OK && i < n; i++) {
		char *proof = NULL;
		int found = evidence ? evidence(arg, v[i].message_id, &proof) : 0;
		if (found < 0) {
			rc = err_set(errp, FOID_ETEMP, "cannot look for evidence of %s",
			             v[i].message_id);
			break;
		}
		if (found)
			rc = send_settle(s->st, s->cfg, s->h, &v[i], SEND_SENT, proof, now, "foid", errp);
		else
			rc = send_settle(s->st, s->cfg, s->h, &v[i], SEND_UNCONFIRMED,
			                 "foid stopped during the SMTP transaction and found "
			                 "no copy of the message", now, "foid", errp);
		log_warn("event=send.recover message=%lld reference=%s state=%s",
		         (long long)v[i].id, log_q(v[i].reference),
		         found ? "sent" : "unconfirmed");
		free(proof);
		if (rc == FOID_OK)
			(*nsettled)++;
	}
	for (size_t i = 0; i < n; i++)
		send_msg_clear(&v[i]);
	free(v);
	return rc;
}

int send_confirm(struct store *st, const struct config *cfg,
                 const char *message_id, const char *proof, const char *actor,
                 char **errp)
{
	struct holidays *h = NULL;
	struct send_msg *v = NULL;
	size_t n = 0;
	void *qarg[2] = { &v, &n };
	int rc = store_query(st, errp, send_msg_cb, qarg,
	                     SEND_MSG_COLUMNS
	                     " WHERE m.direction = 'out' AND m.message_id = ?"
	                     " AND m.send_state IN ('sending', 'unconfirmed')",
	                     "s", message_id);
	if (rc == FOID_OK && n == 0)
		rc = err_set(errp, FOID_ENOTFOUND, "no unconfirmed message <%s>",
		             message_id);
	/* Only a request's due date needs the calendar. */
	if (rc == FOID_OK && v[0].request_id && strcmp(v[0].purpose, "request") == 0)
		rc = holidays_load_data(cfg->data_dir, &h, errp);
	if (rc == FOID_OK)
		rc = send_settle(st, cfg, h, &v[0], SEND_SENT, proof, util_now(), actor,
		                 errp);
	holidays_free(h);
	for (size_t i = 0; i < n; i++)
		send_msg_clear(&v[i]);
	free(v);
	return rc;
}

int send_reconcile(struct store *st, const struct config *cfg, int *nsettled,
                   char **errp)
{
	struct strv ids = STRV_INIT;
	*nsettled = 0;
	int rc = store_query(st, errp, send_strv_cb, &ids,
	                     "SELECT o.message_id, l.mailbox FROM messages o"
	                     " JOIN messages i ON i.message_id = o.message_id"
	                     " AND i.direction = 'in'"
	                     " LEFT JOIN message_locations l ON l.message_row = i.id"
	                     " WHERE o.direction = 'out'"
	                     " AND o.send_state IN ('sending', 'unconfirmed')"
	                     " GROUP BY o.id", NULL);
	for (size_t i = 0; rc == FOID_OK && i + 1 < ids.n; i += 2) {
		char *proof = xasprintf("our copy arrived in %s",
		                        ids.v[i + 1][0] ? ids.v[i + 1] : "the mailbox");
		rc = send_confirm(st, cfg, ids.v[i], proof, "foid", errp);
		if (rc == FOID_OK) {
			(*nsettled)++;
			log_info("event=send.confirmed message_id=%s evidence=%s",
			         log_q(ids.v[i]), log_q(proof));
		}
		free(proof);
	}
	strv_free(&ids);
	return rc;
}

int send_resend(struct store *st, const char *message_id, const char *actor,
                char **errp)
{
	int64_t id = 0;
	int rc = store_query_int(st, errp, &id,
	                         "SELECT id FROM messages WHERE direction = 'out'"
	                         " AND message_id = ? AND send_state = 'unconfirmed'",
	                         "s", message_id);
	if (rc == FOID_ENOTFOUND)
		return err_set(errp, FOID_ENOTFOUND, "no unconfirmed message <%s>",
		               message_id);
	if (rc)
		return rc;
	int64_t now = util_now();
	struct send_change c = { .detail = "resend chosen by a person", .actor = actor,
	                         .now = now, .next_attempt_at = now };
	return send_enter_alone(st, id, SEND_QUEUED, &c, errp);
}
