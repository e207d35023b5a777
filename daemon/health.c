#include "health.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "json.h"
#include "log.h"
#include "store.h"
#include "util.h"

char *health_fix(const char *section, enum health_cause cause)
{
	switch (cause) {
	case HEALTH_TLS_TRUST:
		return xasprintf("set %s.ca_file to the CA that signed the server's "
		                 "certificate, or have the certificate renewed if it "
		                 "expired", section);
	case HEALTH_TLS_NAME:
		return xasprintf("set %s.host to a name the server's certificate is "
		                 "issued for", section);
	case HEALTH_LOGIN:
		return xasprintf("check %s.username and the password in %s.password_file "
		                 "or %s.password_env", section, section, section);
	case HEALTH_MAILBOX:
		return xasprintf("create the mailbox on the server or correct "
		                 "%s.mailboxes", section);
	case HEALTH_SENDER:
		return xasprintf("the server will not send as team.address: set "
		                 "%s.username to an account allowed to, or change "
		                 "team.address", section);
	case HEALTH_REFUSED:
		return xasprintf("check %s.host, %s.port and %s.security", section,
		                 section, section);
	case HEALTH_SIGNIN:
		return xasprintf("sign in again: foictl login %s", section);
	case HEALTH_TOKEN:
		return xasprintf("check %s.username (the signed-in mailbox), the app's "
		                 "scopes and %s.token_command, or sign in again: "
		                 "foictl login %s", section, section, section);
	case HEALTH_NONE:
	case HEALTH_TEMP:
		break;
	}
	return NULL;
}

int health_exit_code(enum health_cause cause)
{
	switch (cause) {
	case HEALTH_NONE:
		return EX_OK;
	case HEALTH_TEMP:
		return EX_TEMPFAIL;
	case HEALTH_LOGIN:
	case HEALTH_SENDER:
	case HEALTH_SIGNIN:
	case HEALTH_TOKEN:
		return EX_NOPERM;
	default:
		return EX_CONFIG;
	}
}

int health_fail(struct store *st, const char *key, enum health_cause cause,
                const char *error, const char *fix, int64_t now, int *is_new,
                char **errp)
{
	int permanent = cause != HEALTH_TEMP;
	int64_t same = 0;
	/* Not the error text: servers put timings in theirs. */
	int rc = store_query_int(st, errp, &same,
	                         "SELECT fix IS ? AND permanent = ? FROM server_health"
	                         " WHERE server = ?", "sis", fix, permanent, key);
	if (is_new)
		*is_new = !same;
	if (rc == FOID_OK || rc == FOID_ENOTFOUND)
		rc = store_exec(st, errp,
		                "INSERT INTO server_health (server, since, last, error,"
		                " fix, permanent) VALUES (?, ?, ?, ?, ?, ?)"
		                " ON CONFLICT (server) DO UPDATE SET last = excluded.last,"
		                " error = excluded.error, fix = excluded.fix,"
		                " permanent = excluded.permanent",
		                "sIIssi", key, now, now, error, fix, permanent);
	return rc;
}

int health_ok(struct store *st, const char *key, char **errp)
{
	int64_t n = 0;
	/* Most passes find nothing to clear: a read spares them a write. */
	int rc = store_query_int(st, errp, &n,
	                         "SELECT count(*) FROM server_health WHERE server = ?",
	                         "s", key);
	if (rc == FOID_OK && n)
		rc = store_exec(st, errp, "DELETE FROM server_health WHERE server = ?",
		                "s", key);
	return rc;
}

static int health_key_cb(const struct store_row *row, void *arg)
{
	strv_push(arg, store_row_text(row, 0));
	return 0;
}

int health_keep_mailboxes(struct store *st, char *const *mailboxes, char **errp)
{
	struct strv keys = STRV_INIT;
	int rc = store_query(st, errp, health_key_cb, &keys,
	                     "SELECT server FROM server_health WHERE server LIKE 'imap:%'",
	                     NULL);
	for (size_t i = 0; rc == FOID_OK && i < keys.n; i++) {
		int kept = 0;
		for (char *const *mb = mailboxes; *mb && !kept; mb++)
			kept = strcmp(keys.v[i] + strlen("imap:"), *mb) == 0;
		if (!kept)
			rc = store_exec(st, errp, "DELETE FROM server_health WHERE server = ?",
			                "s", keys.v[i]);
	}
	strv_free(&keys);
	return rc;
}

/* "imap" -> "IMAP", "imap:Replies" -> "IMAP mailbox Replies". */
static char *health_label(const char *key)
{
	const char *colon = strchr(key, ':');
	size_t n = colon ? (size_t)(colon - key) : strlen(key);
	char *s = xasprintf("%.*s%s%s", (int)n, key, colon ? " mailbox " : "",
	                    colon ? colon + 1 : "");
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
	return s;
}

struct health_out {
	const char *tz;
	const char *indent;
	struct buf *b;
	struct jws *w;
};

static int health_row_cb(const struct store_row *row, void *arg)
{
	struct health_out *o = arg;
	const char *key = store_row_text(row, 0);
	int permanent = (int)store_row_int(row, 4);
	char *since = util_iso8601(store_row_int(row, 1), o->tz);
	char *last = util_iso8601(store_row_int(row, 2), o->tz);
	if (o->w) {
		jws_begin_object(o->w);
		jws_kstr(o->w, "server", key);
		jws_key(o->w, "permanent");
		jws_bool(o->w, permanent);
		jws_kstr(o->w, "since", since);
		jws_kstr(o->w, "last", last);
		jws_kstr(o->w, "error", store_row_text(row, 3));
		jws_kstr(o->w, "fix", store_row_text(row, 5));
		jws_end_object(o->w);
	} else {
		char *label = health_label(key);
		buf_addf(o->b, "%s%s %s since %s (last tried %s): %s\n", o->indent, label,
		         permanent ? "failing" : "unreachable", since, last,
		         store_row_text(row, 3));
		if (store_row_text(row, 5))
			buf_addf(o->b, "%s  fix: %s\n", o->indent, store_row_text(row, 5));
		free(label);
	}
	free(since);
	free(last);
	return 0;
}

#define HEALTH_SELECT \
	"SELECT server, since, last, error, permanent, fix FROM server_health" \
	" ORDER BY server"

int health_text(struct store *st, const char *tz, const char *indent,
                struct buf *out, char **errp)
{
	struct health_out o = { tz, indent, out, NULL };
	return store_query(st, errp, health_row_cb, &o, HEALTH_SELECT, NULL);
}

int health_json(struct store *st, const char *tz, struct jws *w, char **errp)
{
	struct health_out o = { tz, "", NULL, w };
	jws_begin_array(w);
	int rc = store_query(st, errp, health_row_cb, &o, HEALTH_SELECT, NULL);
	jws_end_array(w);
	return rc;
}

int health_backoff(int last, int first, int max)
{
	int next = last ? last * 2 : first;
	return next > max ? max : next;
}

void health_log_down(const char *event, const char *why, const char *fix,
                     int retry_in, int quiet)
{
	if (fix)
		log_msg(quiet ? LOG_LVL_DEBUG : LOG_LVL_ERROR,
		        "event=%s error=%s fix=%s retry_in=%d", event, log_q(why),
		        log_q(fix), retry_in);
	else
		log_warn("event=%s error=%s retry_in=%d", event, log_q(why), retry_in);
}
