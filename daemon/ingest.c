#include "ingest.h"

#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "config.h"
#include "extract.h"
#include "imap.h"
#include "json.h"
#include "log.h"
#include "mime.h"
#include "reply.h"
#include "store.h"
#include "util.h"

/* Messages per transaction: fewer fsyncs of the database, while a crash
 * loses at most this many messages' work (they are fetched again). */
#define INGEST_BATCH 50
#define INGEST_PROGRESS 500

static char *ingest_headers_json(const struct mime_message *m)
{
	struct jw *arr = jw_array();
	for (size_t i = 0; i < m->nheaders; i++) {
		struct jw *pair = jw_array();
		jw_push_str(pair, m->headers[i].name);
		jw_push_str(pair, m->headers[i].value);
		jw_push(arr, pair);
	}
	char *s = jw_dump(arr, 0);
	jw_free(arr);
	return s;
}

static char *ingest_join(const struct strv *v, const char *sep)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < v->n; i++)
		buf_addf(&b, "%s%s", i ? sep : "", v->v[i]);
	return buf_detach(&b);
}

static int ingest_attachments(struct store *st, const struct config *cfg,
                              int64_t row, const struct mime_message *m,
                              char **errp)
{
	for (size_t i = 0; i < m->nattachments; i++) {
		const struct mime_attachment *a = &m->attachments[i];
		char fallback[32];
		snprintf(fallback, sizeof fallback, "attachment-%zu", i + 1);
		char *name = mime_safe_filename(a->filename, fallback);
		char *rel = NULL;
		char sha[65];
		int rc = blob_put(cfg->storage_dir, "att", a->data, a->size, 0, &rel, sha,
		                  errp);
		if (rc == FOID_OK)
			rc = store_exec(st, errp,
			                "INSERT INTO attachments (message_row, part, filename,"
			                " content_type, size, sha256, path)"
			                " VALUES (?, ?, ?, ?, ?, ?, ?)",
			                "IsssIss", row, a->part ? a->part : "", name,
			                a->content_type, (int64_t)a->size, sha, rel);
		free(name);
		free(rel);
		if (rc)
			return rc;
	}
	return FOID_OK;
}

static const char *ingest_status(enum mime_status s)
{
	switch (s) {
	case MIME_OK: return "ok";
	case MIME_PARTIAL: return "partial";
	case MIME_LIMIT: return "limit";
	default: return "failed";
	}
}

int ingest_store(struct store *st, const struct config *cfg,
                 const struct classify_rules *rules, const char *mailbox, uint32_t uidvalidity, uint32_t uid,
                 int64_t internaldate, const char *raw, size_t len,
                 int64_t *row, int *is_new, char **errp)
{
	struct mime_message *m = NULL;
	char *rel = NULL, *headers = NULL, *refs = NULL, *to = NULL, *cc = NULL;
	char sha[65];
	int rc = blob_put(cfg->storage_dir, "raw", raw, len, 0, &rel, sha, errp);
	if (rc)
		return rc;
	struct mime_limits lim = { (size_t)cfg->max_message_size,
	                           (size_t)cfg->max_attachment_size, cfg->max_parts, 0 };
	char *perr = NULL;
	rc = mime_parse(raw, len, &lim, &m, &perr);
	if (rc) {
		/* Only bad arguments fail here; keep the raw message anyway. */
		m = NULL;
	}
	*is_new = 0;
	*row = 0;
	const char *mid = m ? m->message_id : NULL;
	rc = store_query_int(st, errp, row,
	                     "SELECT id FROM messages WHERE direction = 'in'"
	                     " AND raw_sha256 = ? AND message_id IS ?",
	                     "ss", sha, mid);
	if (rc == FOID_ENOTFOUND) {
		*is_new = 1;
		if (m) {
			headers = ingest_headers_json(m);
			refs = ingest_join(&m->references, " ");
			to = ingest_join(&m->to, ", ");
			cc = ingest_join(&m->cc, ", ");
		}
		rc = store_exec(st, errp,
		                "INSERT INTO messages (direction, message_id, in_reply_to,"
		                " refs, from_addr, to_addrs, cc_addrs, subject, date_hdr,"
		                " raw_sha256, raw_size, raw_path, internaldate, headers,"
		                " body_text, parse_status, parse_error, created_at)"
		                " VALUES ('in', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		                " ?, ?)",
		                "sssssssssIsIssssI", mid, m ? m->in_reply_to : NULL, refs,
		                m ? m->from : NULL, to, cc, m ? m->subject : NULL,
		                m ? m->date : NULL, sha, (int64_t)len, rel, internaldate,
		                headers, m ? m->body_text : NULL,
		                m ? ingest_status(m->status) : "failed",
		                m ? m->problem : perr, util_now());
		if (rc == FOID_OK) {
			*row = store_last_id(st);
			if (m)
				rc = ingest_attachments(st, cfg, *row, m, errp);
			if (rc == FOID_OK && m && rules)
				rc = reply_process(st, rules, *row, m, errp);
		}
	}
	if (rc == FOID_OK)
		rc = store_exec(st, errp,
		                "INSERT OR IGNORE INTO message_locations (mailbox,"
		                " uidvalidity, uid, message_row) VALUES (?, ?, ?, ?)",
		                "sIII", mailbox, (int64_t)uidvalidity, (int64_t)uid, *row);
	if (rc == FOID_OK)
		rc = store_exec(st, errp,
		                "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid,"
		                " updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (mailbox) DO"
		                " UPDATE SET uidvalidity = excluded.uidvalidity, last_uid ="
		                " max(last_uid, excluded.last_uid), updated_at ="
		                " excluded.updated_at",
		                "sIII", mailbox, (int64_t)uidvalidity, (int64_t)uid,
		                util_now());
	mime_message_free(m);
	free(perr);
	free(rel);
	free(headers);
	free(refs);
	free(to);
	free(cc);
	return rc;
}

/* State of one mailbox sync, shared with the fetch callback. */
struct ingest_run {
	struct store *st;
	const struct config *cfg;
	const struct classify_rules *rules;
	const char *mailbox;
	uint32_t uidvalidity;
	struct ingest_stats *stats;
	int in_tx;
	int pending;            /* messages in the open transaction */
	char *err;
};

static int ingest_commit(struct ingest_run *r)
{
	if (!r->in_tx)
		return FOID_OK;
	/* Every file the batch wrote is durable before a row points at it. */
	int rc = blob_sync(r->cfg->storage_dir, &r->err);
	if (rc) {
		store_rollback(r->st);
		r->in_tx = 0;
		r->pending = 0;
		return rc;
	}
	rc = store_commit(r->st, &r->err);
	r->in_tx = 0;
	r->pending = 0;
	return rc;
}

static int ingest_cb(const struct imap_msg *msg, void *arg)
{
	struct ingest_run *r = arg;
	r->stats->fetched++;
	/* A first sync of a large mailbox says how far it has got. */
	if (r->stats->fetched % INGEST_PROGRESS == 0)
		log_info("event=ingest.progress mailbox=%s fetched=%d uid=%u",
		         log_q(r->mailbox), r->stats->fetched, msg->uid);
	if (!r->in_tx) {
		int rc = store_begin(r->st, &r->err);
		if (rc)
			return rc;
		r->in_tx = 1;
	}
	int64_t row = 0;
	int is_new = 0;
	int rc = ingest_store(r->st, r->cfg, r->rules, r->mailbox, r->uidvalidity, msg->uid,
	                      msg->internaldate, msg->raw, msg->size, &row, &is_new,
	                      &r->err);
	if (rc) {
		store_rollback(r->st);
		r->in_tx = 0;
		return rc;
	}
	if (is_new) {
		r->stats->stored++;
	} else {
		r->stats->duplicates++;
	}
	util_crash_point("ingest.stored");
	if (++r->pending >= INGEST_BATCH)
		return ingest_commit(r);
	return FOID_OK;
}

/* What the store knows of a mailbox, read once a pass. */
struct ingest_state {
	int known;          /* a mailbox_state row exists */
	uint32_t validity;
	uint32_t last;      /* the last UID filed */
	int owed;           /* locations not yet flagged on the server */
};

static int ingest_state_cb(const struct store_row *row, void *arg)
{
	struct ingest_state *s = arg;
	s->known = 1;
	s->validity = (uint32_t)store_row_int(row, 0);
	s->last = (uint32_t)store_row_int(row, 1);
	s->owed = store_row_int(row, 2) != 0;
	return 0;
}

static int ingest_state_load(struct store *st, const char *mailbox, struct ingest_state *s,
                             char **errp)
{
	*s = (struct ingest_state){ 0 };
	return store_query(st, errp, ingest_state_cb, s,
	                   "SELECT s.uidvalidity, s.last_uid, EXISTS (SELECT 1 FROM"
	                   " message_locations l WHERE l.mailbox = s.mailbox AND"
	                   " l.uidvalidity = s.uidvalidity AND l.flagged = 0)"
	                   " FROM mailbox_state s WHERE s.mailbox = ?", "s", mailbox);
}

/* The UID to fetch after; a changed UIDVALIDITY starts the mailbox over. */
static int ingest_last_uid(struct store *st, const char *mailbox,
                           const struct ingest_state *s, uint32_t uidvalidity,
                           uint32_t *last, char **errp)
{
	*last = 0;
	if (!s->known)
		return FOID_OK;
	if (s->validity == uidvalidity) {
		*last = s->last;
		return FOID_OK;
	}
	log_warn("event=imap.uidvalidity mailbox=%s old=%u new=%u action=resync",
	         log_q(mailbox), s->validity, uidvalidity);
	int rc = store_begin(st, errp);
	if (rc == FOID_OK)
		rc = store_exec(st, errp,
		                "UPDATE mailbox_state SET uidvalidity = ?, last_uid = 0"
		                " WHERE mailbox = ?", "Is", (int64_t)uidvalidity, mailbox);
	if (rc == FOID_OK)
		rc = store_event(st, errp, 0, 0, 0, "mailbox.resync", "foid", mailbox);
	return store_finish(st, rc, errp);
}

/* 1 when a mailbox other than the selected one has nothing for us: the
 * same UIDVALIDITY, no UID past the last one filed, no flag owed.  Then
 * STATUS spares a SELECT there and another back.  Any doubt (an error
 * included) says 0, and the full pass decides. */
static int ingest_quiet(struct imap *im, const char *mailbox, const struct ingest_state *s)
{
	const char *sel = imap_selected(im);
	if (!sel || strcmp(sel, mailbox) == 0 || !s->known || s->owed)
		return 0;
	uint32_t v = 0, next = 0;
	if (imap_status(im, mailbox, &v, &next, NULL) != FOID_OK || !v || !next)
		return 0;
	if (v != s->validity || next > s->last + 1)
		return 0;
	log_debug("event=ingest.quiet mailbox=%s uidnext=%u", log_q(mailbox), next);
	return 1;
}

struct ingest_uids {
	uint32_t *v;
	size_t n, cap;
};

static int ingest_uid_cb(const struct store_row *row, void *arg)
{
	struct ingest_uids *u = arg;
	if (u->n == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 64;
		u->v = xrealloc(u->v, u->cap * sizeof *u->v);
	}
	u->v[u->n++] = (uint32_t)store_row_int(row, 0);
	return 0;
}

int ingest_mailbox(struct store *st, const struct config *cfg,
                   const struct classify_rules *rules, struct imap *im,
                   const char *mailbox, struct ingest_stats *stats, char **errp)
{
	struct ingest_run r = { 0 };
	r.st = st;
	r.cfg = cfg;
	r.rules = rules;
	r.mailbox = mailbox;
	r.stats = stats;
	uint32_t last = 0;
	struct ingest_state state;
	int rc = ingest_state_load(st, mailbox, &state, errp);
	if (rc == FOID_OK && ingest_quiet(im, mailbox, &state))
		return FOID_OK;
	if (rc == FOID_OK)
		rc = imap_select(im, mailbox, &r.uidvalidity, NULL, NULL, errp);
	if (rc == FOID_OK)
		rc = ingest_last_uid(st, mailbox, &state, r.uidvalidity, &last, errp);
	if (rc)
		return rc;
	rc = imap_fetch_new(im, last, ingest_cb, &r, errp);
	int crc = ingest_commit(&r);
	if (rc == FOID_OK && crc) {
		rc = crc;
		err_set(errp, rc, "%s", r.err);
	} else if (rc && r.err) {
		err_prefix(errp, rc, "%s", r.err);
	}
	util_crash_point("ingest.committed");
	/* Everything committed and not yet flagged, also what an earlier run
	 * committed just before it died. */
	struct ingest_uids owed = { 0 };
	if (store_query(st, NULL, ingest_uid_cb, &owed,
	                "SELECT uid FROM message_locations WHERE mailbox = ?"
	                " AND uidvalidity = ? AND flagged = 0 ORDER BY uid",
	                "sI", mailbox, (int64_t)r.uidvalidity) == FOID_OK && owed.n) {
		uint32_t *uids = owed.v;
		char *e = NULL;
		int frc = imap_add_keyword_uids(im, uids, owed.n, cfg->processed_keyword, &e);
		/* A move, where configured, is per message. */
		for (size_t i = 0; frc == FOID_OK && cfg->processed_mailbox && i < owed.n; i++)
			frc = imap_move(im, uids[i], cfg->processed_mailbox, &e);
		/* Nothing else files mail meanwhile: every owed UID up to the
		 * last one is flagged now. */
		if (frc == FOID_OK)
			store_exec(st, NULL, "UPDATE message_locations SET flagged = 1"
			           " WHERE mailbox = ? AND uidvalidity = ? AND flagged = 0"
			           " AND uid <= ?", "sII", mailbox, (int64_t)r.uidvalidity,
			           (int64_t)uids[owed.n - 1]);
		if (frc) {
			log_warn("event=imap.flag mailbox=%s error=%s", log_q(mailbox), log_q(e));
			if (frc == FOID_ETEMP && rc == FOID_OK)
				rc = err_set(errp, frc, "flagging processed mail: connection lost");
		}
		free(e);
	}
	free(owed.v);
	/* After the mail is safe and flagged: a slow converter delays only
	 * the text, and a crash here leaves the attachment to the next pass. */
	struct extract_opts xo = EXTRACT_OPTS_DEFAULT;
	size_t extracted = 0;
	char *xe = NULL;
	if (extract_pending(st, cfg->storage_dir, &xo, &extracted, &xe) < 0)
		log_warn("event=extract error=%s", log_q(xe));
	free(xe);
	if (stats->stored)
		log_info("event=ingest mailbox=%s fetched=%d stored=%d duplicates=%d",
		         log_q(mailbox), stats->fetched, stats->stored, stats->duplicates);
	free(r.err);
	return rc;
}
