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

int send_new(struct store *st, const struct config *cfg, struct send **out,
             char **errp)
{
	struct send *s = xcalloc(1, sizeof *s);
	s->st = st;
	s->cfg = cfg;
	char *dir = xasprintf("%s/holidays", cfg->data_dir);
	int rc = holidays_load(dir, &s->h, errp);
	free(dir);
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
	m->message_id = xstrdup(store_row_text(row, 1));
	m->raw_path = xstrdup(store_row_text(row, 2));
	m->env_from = xstrdup(store_row_text(row, 3));
	m->env_to = xstrdup(store_row_text(row, 4));
	m->attempts = store_row_int(row, 5);
	m->created_at = store_row_int(row, 6);
	m->request_id = store_row_int(row, 7);
	m->purpose = xstrdup(store_row_text(row, 8));
	m->regime = xstrdup(store_row_text(row, 9));
	m->closes = xstrdup(store_row_text(row, 10));
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
 * request) in one transaction, with an event. */
static int send_settle(struct send *s, const struct send_msg *m,
                       const char *state, const char *detail, int64_t now,
                       const char *actor, char **errp)
{
	int sent = strcmp(state, "sent") == 0;
	/* A 250 need not wait for the disk: the next message's 'sending' mark
	 * flushes it, and should power fail first the message is found
	 * 'sending' on restart and settled from evidence, never sent twice. */
	int rc = sent ? store_lazy(s->st, 1, errp) : FOID_OK;
	if (rc == FOID_OK)
		rc = store_begin(s->st, errp);
	if (rc)
		goto out;
	rc = store_exec(s->st, errp,
	                "UPDATE messages SET send_state = ?,"
	                " smtp_reply = CASE WHEN ? THEN ? ELSE smtp_reply END,"
	                " last_error = CASE WHEN ? THEN last_error ELSE ? END,"
	                " sent_at = CASE WHEN ? THEN ? ELSE sent_at END WHERE id = ?",
	                "sisisiII", state, sent, detail, sent, detail, sent, now, m->id);
	if (rc == FOID_OK && m->request_id && strcmp(m->purpose, "request") == 0) {
		if (sent) {
			char day0[11], due[11];
			rc = round_due_from(s->cfg, s->h, m->regime, m->closes, now, day0,
			                    due, errp);
			if (rc == FOID_OK)
				rc = store_exec(s->st, errp,
				                "UPDATE requests SET delivery = 'sent',"
				                " delivery_detail = ?, sent_at = ?, clock_start = ?,"
				                " due_date = ? WHERE id = ?",
				                "sIssI", detail, now, day0, due, m->request_id);
		} else {
			rc = store_exec(s->st, errp,
			                "UPDATE requests SET delivery = ?, delivery_detail = ?"
			                " WHERE id = ?", "ssI", state, detail, m->request_id);
		}
	}
	if (rc == FOID_OK) {
		char type[48];
		snprintf(type, sizeof type, "%s.%s",
		         strcmp(m->purpose, "request") == 0 ? "request" : "message", state);
		rc = store_event(s->st, errp, m->round_id, m->request_id, m->id, type,
		                 actor, detail);
	}
	if (rc == FOID_OK)
		rc = store_commit(s->st, errp);
	else
		store_rollback(s->st);
out:
	if (sent) {
		int back = store_lazy(s->st, 0, rc ? NULL : errp);
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
	return store_exec(s->st, errp,
	                  "UPDATE messages SET send_state = 'queued', last_error = ?,"
	                  " next_attempt_at = ? WHERE id = ?",
	                  "sII", why, now + delay, m->id);
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
	s->server_backoff = s->server_backoff ? s->server_backoff * 2 : SEND_SERVER_RETRY;
	if (s->server_backoff > SEND_SERVER_RETRY_MAX)
		s->server_backoff = SEND_SERVER_RETRY_MAX;
	s->server_retry_at = now + s->server_backoff;
	s->server_fault = cause;
	char *fix = health_fix("smtp", cause);
	char *herr = NULL;
	if (health_fail(s->st, "smtp", cause, why, fix, now, NULL, &herr) == FOID_OK)
		s->health_known_ok = 0;
	else
		log_warn("event=health.update server=smtp error=%s", log_q(herr));
	if (fix)
		log_error("event=send.server error=%s fix=%s retry_in=%d", log_q(why),
		          log_q(fix), s->server_backoff);
	else
		log_warn("event=send.server error=%s retry_in=%d", log_q(why),
		         s->server_backoff);
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
	rc = store_exec(s->st, errp,
	                "UPDATE messages SET send_state = 'sending',"
	                " attempts = attempts + 1 WHERE id = ? AND send_state = 'queued'",
	                "I", m->id);
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
		rc = send_settle(s, m, "sent", res.reply, now, "foid", errp);
		send_note(s, now, send_domain(first));
		(*nsent)++;
		log_info("event=send.ok message=%lld reference=%s to=%s reply=%s",
		         (long long)m->id, log_q(m->reference), first, log_q(res.reply));
	} else if (r == FOID_ETEMP && res.maybe_sent) {
		rc = send_settle(s, m, "unconfirmed", err, now, "foid", errp);
		log_warn("event=send.unconfirmed message=%lld reference=%s error=%s",
		         (long long)m->id, log_q(m->reference), log_q(err));
	} else if (res.cause != HEALTH_NONE) {
		/* The server or our settings, not the message: put it back and
		 * stop the pass. */
		store_exec(s->st, NULL,
		           "UPDATE messages SET send_state = 'queued', attempts ="
		           " attempts - 1 WHERE id = ?", "I", m->id);
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
		rc = send_settle(s, m, "failed", why, now, "foid", errp);
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
			rc = send_settle(s, &v[i], "sent", proof, now, "foid", errp);
		else
			rc = send_settle(s, &v[i], "unconfirmed",
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
	struct send *s = NULL;
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
	if (rc == FOID_OK)
		rc = send_new(st, cfg, &s, errp);
	if (rc == FOID_OK)
		rc = send_settle(s, &v[0], "sent", proof, util_now(), actor, errp);
	send_free(s);
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
	                     " LEFT JOIN message_locations l ON l.message_id = i.id"
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
	int rc = store_begin(st, errp);
	if (rc)
		return rc;
	rc = store_exec(st, errp,
	                "UPDATE messages SET send_state = 'queued', next_attempt_at = ?"
	                " WHERE direction = 'out' AND message_id = ?"
	                " AND send_state = 'unconfirmed'", "Is", util_now(), message_id);
	if (rc == FOID_OK && store_changes(st) == 0)
		rc = err_set(errp, FOID_ENOTFOUND, "no unconfirmed message <%s>",
		             message_id);
	if (rc == FOID_OK)
		rc = store_exec(st, errp,
		                "UPDATE requests SET delivery = 'queued' WHERE id ="
		                " (SELECT request_id FROM messages WHERE direction = 'out'"
		                " AND message_id = ? AND purpose = 'request')", "s", message_id);
	if (rc == FOID_OK)
		rc = store_event(st, errp, 0, 0, 0, "message.resend", actor, message_id);
	if (rc == FOID_OK)
		rc = store_commit(st, errp);
	else
		store_rollback(st);
	return rc;
}
