/* foid: the background service.  One thread: send what is due, fetch and
 * file new mail, then wait for the next thing to do or a signal. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "blob.h"
#include "classify.h"
#include "config.h"
#include "deadline.h"
#include "digest.h"
#include "health.h"
#include "imap.h"
#include "ingest.h"
#include "log.h"
#include "notify.h"
#include "remind.h"
#include "send.h"
#include "status.h"
#include "store.h"

#ifndef FOID_VERSION
#define FOID_VERSION "0.1"
#endif

/* Longest sleep when nothing is scheduled: new rounds launched by foictl
 * are noticed within this time. */
#define FOID_IDLE_MAX 5

static volatile sig_atomic_t foid_stop;
static volatile sig_atomic_t foid_reload;
static int foid_wake[2] = { -1, -1 };

static void foid_signal(int sig)
{
	int saved = errno;
	if (sig == SIGHUP)
		foid_reload = 1;
	else
		foid_stop = 1;
	if (write(foid_wake[1], "x", 1) < 0) {
		/* The pipe is full: a wake-up is pending anyway. */
	}
	errno = saved;
}

static int foid_signals(void)
{
	if (pipe2(foid_wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = foid_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void foid_drain(void)
{
	char buf[64];
	while (read(foid_wake[0], buf, sizeof buf) > 0)
		;
}

static void foid_usage(FILE *f)
{
	fputs("usage: foid [-c CONFIG] [-n] [--once] [-v]\n"
	      "  -c, --config FILE  config file (default $FOID_CONFIG, then "
	      FOID_SYSCONFDIR "/foid/foid.conf)\n"
	      "  -n, --check        check the config (every problem as FILE:LINE)"
	      " and exit\n"
	      "      --once         do one pass (send what is due now, fetch new"
	      " mail) and exit\n"
	      "  -v, --verbose      log at debug level\n"
	      "      --version      print the version\n", f);
}

/* The service's state between passes. */
struct foid {
	const char *path;
	struct config *cfg;
	struct store *st;
	struct send *send;
	struct classify_rules *rules;
	struct holidays *h;
	int64_t next_clock;      /* next due-date refresh and reminder pass */
	int once;
	struct imap *im;
	int64_t imap_retry_at;   /* no connection attempt before this */
	int imap_backoff;        /* seconds; doubles per failure up to 5 min */
	int64_t next_poll;       /* without IDLE: next mailbox poll */
	int64_t last_bye;        /* the server's last BYE met by a quiet reconnect */
	/* enum health_cause: the worst failure of a server so far, for the
	 * exit status of --once (a permanent one outranks HEALTH_TEMP). */
	int fault;
};

#define FOID_BACKOFF_MAX 300

static void foid_fault(struct foid *f, int cause)
{
	if (f->fault == HEALTH_NONE || (f->fault == HEALTH_TEMP && cause != HEALTH_NONE))
		f->fault = cause;
}

/* Records key's failure for foictl status and the digest.  Returns 1 when
 * it is news: a failure not recorded before, or another one. */
static int foid_health_fail(struct foid *f, const char *key, int cause,
                            const char *why, const char *fix)
{
	char *err = NULL;
	int is_new = 1;
	if (health_fail(f->st, key, cause, why, fix, util_now(), &is_new, &err) < 0)
		log_warn("event=health.update server=%s error=%s", log_q(key), log_q(err));
	free(err);
	foid_fault(f, cause);
	return is_new;
}

static void foid_health_ok(struct foid *f, const char *key)
{
	char *err = NULL;
	if (health_ok(f->st, key, &err) < 0)
		log_warn("event=health.update server=%s error=%s", log_q(key), log_q(err));
	free(err);
}

/* A mailbox taken out of the config is no longer failing. */
static void foid_health_prune(struct foid *f)
{
	char *err = NULL;
	if (health_keep_mailboxes(f->st, f->cfg->mailboxes, &err) < 0)
		log_warn("event=health.update error=%s", log_q(err));
	free(err);
}

/* Drops the connection and tries again later, doubling the wait: network
 * trouble is a warning, the rest an error saying what to change. */
static void foid_imap_drop(struct foid *f, int cause, const char *why)
{
	/* A server that ends the session (Exchange when the access token
	 * expires, a restart, doveadm kick) gets a reconnect at once, with a
	 * fresh token: no error, unless it ends the next one within a minute. */
	int bye = cause == HEALTH_TEMP && f->im && imap_said_bye(f->im) &&
	          util_now() - f->last_bye >= 60;
	imap_free(f->im);
	f->im = NULL;
	if (bye) {
		f->last_bye = util_now();
		log_info("event=imap.reconnect reason=bye error=%s", log_q(why));
		return;
	}
	f->imap_backoff = health_backoff(f->imap_backoff, 1, FOID_BACKOFF_MAX);
	f->imap_retry_at = util_now() + f->imap_backoff;
	char *fix = health_fix("imap", cause);
	int news = foid_health_fail(f, "imap", cause, why, fix);
	/* A sign-in that has lapsed stays so until a person signs in again:
	 * one line says it, not one per retry. */
	health_log_down("imap.down", why, fix, f->imap_backoff,
	                cause == HEALTH_SIGNIN && !news && !f->once);
	free(fix);
}

/* A live IMAP connection, or NULL while the server cannot be used. */
static struct imap *foid_imap(struct foid *f)
{
	if (f->im)
		return f->im;
	if (util_now() < f->imap_retry_at)
		return NULL;
	char *err = NULL;
	enum health_cause cause = HEALTH_NONE;
	if (imap_connect(&f->cfg->imap, &f->im, &cause, &err) < 0) {
		foid_imap_drop(f, cause, err);
		free(err);
		return NULL;
	}
	if (f->imap_backoff)
		log_info("event=imap.up host=%s", log_q(f->cfg->imap.host));
	f->imap_backoff = 0;
	foid_health_ok(f, "imap");
	return f->im;
}

/* Fetches and stores new mail from every configured mailbox. */
/* Settles sends whose own copy has been filed.  From the store, not from
 * the pass: a crash between an ingest commit and here must not leave a
 * send unconfirmed for ever.  Here, not in ingest, so that filing mail
 * does not depend on the sender. */
static void foid_reconcile(struct foid *f)
{
	int settled = 0;
	char *err = NULL;
	if (send_reconcile(f->st, f->cfg, &settled, &err) < 0)
		log_warn("event=send.reconcile error=%s", log_q(err));
	free(err);
}

static void foid_ingest(struct foid *f)
{
	struct imap *im = foid_imap(f);
	if (!im)
		return;
	/* The first mailbox, the one foid idles on, goes last and is selected
	 * for it: news after its search is then told before IDLE, and the
	 * wait needs no SELECT of its own. */
	size_t n = 0;
	while (f->cfg->mailboxes[n])
		n++;
	for (size_t i = 1; i <= n; i++) {
		const char *mb = f->cfg->mailboxes[i % n];
		struct ingest_stats stats = { 0 };
		char *err = NULL;
		int rc = i == n && n > 1 ? imap_select(im, mb, NULL, NULL, NULL, &err) : FOID_OK;
		if (rc == FOID_OK)
			rc = ingest_mailbox(f->st, f->cfg, f->rules, im, mb, &stats, &err);
		foid_reconcile(f);
		if (rc == FOID_ETEMP) {
			foid_imap_drop(f, HEALTH_TEMP, err);
			free(err);
			return;
		}
		char *key = xasprintf("imap:%s", mb);
		if (rc == FOID_ENOTFOUND) {
			char *fix = health_fix("imap", HEALTH_MAILBOX);
			/* The service says it once; every --once run says it. */
			int news = foid_health_fail(f, key, HEALTH_MAILBOX, err, fix);
			log_msg(news || f->once ? LOG_LVL_ERROR : LOG_LVL_DEBUG,
			        "event=ingest.failed mailbox=%s error=%s fix=%s", log_q(mb),
			        log_q(err), log_q(fix));
			free(fix);
		} else if (rc < 0) {
			log_error("event=ingest.failed mailbox=%s error=%s", log_q(mb),
			          log_q(err));
		} else {
			foid_health_ok(f, key);
		}
		free(key);
		free(err);
	}
	f->next_poll = util_now() + f->cfg->poll_interval;
}

struct foid_copy {
	int64_t id;
	char *path;
};

static int foid_copy_cb(const struct store_row *row, void *arg)
{
	struct foid_copy **v = ((void **)arg)[0];
	size_t *n = ((void **)arg)[1];
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[*n].id = store_row_int(row, 0);
	(*v)[*n].path = xstrdup(store_row_text(row, 1));
	(*n)++;
	return 0;
}

/* Keeps a copy of each sent message in imap.sent_mailbox, as a mail client
 * would.  A crash between APPEND and the update may leave two copies there;
 * never none. */
static void foid_copy_sent(struct foid *f)
{
	if (!f->cfg->sent_mailbox)
		return;
	struct imap *im = foid_imap(f);
	if (!im)
		return;
	struct foid_copy *v = NULL;
	size_t n = 0;
	void *arg[2] = { &v, &n };
	char *err = NULL;
	int rc = store_query(f->st, &err, foid_copy_cb, arg,
	                     "SELECT id, raw_path FROM messages WHERE direction = 'out'"
	                     " AND send_state = 'sent' AND copied_at IS NULL"
	                     " ORDER BY id LIMIT 100", NULL);
	for (size_t i = 0; rc == FOID_OK && i < n; i++) {
		char *raw = NULL;
		size_t len = 0;
		rc = blob_get(f->cfg->storage_dir, v[i].path, &raw, &len, &err);
		if (rc == FOID_OK)
			rc = imap_append(im, f->cfg->sent_mailbox, raw, len, "\\Seen", &err);
		if (rc == FOID_OK)
			rc = store_exec(f->st, &err,
			                "UPDATE messages SET copied_at = ? WHERE id = ?",
			                "II", util_now(), v[i].id);
		free(raw);
	}
	if (rc == FOID_ETEMP)
		foid_imap_drop(f, HEALTH_TEMP, err);
	else if (rc < 0)
		log_warn("event=imap.copy_sent mailbox=%s error=%s",
		         log_q(f->cfg->sent_mailbox), log_q(err));
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	free(err);
}

/* Evidence of a send whose outcome a crash left unknown: our Bcc copy or
 * the copy in Sent, found by Message-ID. */
static int foid_evidence(void *arg, const char *message_id, char **proof)
{
	struct foid *f = arg;
	struct imap *im = foid_imap(f);
	if (!im)
		return 0;
	struct strv boxes = STRV_INIT;
	for (char **mb = f->cfg->mailboxes; *mb; mb++)
		strv_push(&boxes, *mb);
	if (f->cfg->sent_mailbox)
		strv_push(&boxes, f->cfg->sent_mailbox);
	if (f->cfg->processed_mailbox)
		strv_push(&boxes, f->cfg->processed_mailbox);
	char *value = xasprintf("<%s>", message_id);
	int found = 0;
	for (size_t i = 0; i < boxes.n && !found; i++) {
		uint32_t *uids = NULL;
		size_t n = 0;
		char *err = NULL;
		int rc = imap_select(im, boxes.v[i], NULL, NULL, NULL, &err);
		if (rc == FOID_OK)
			rc = imap_search_header(im, "Message-ID", value, &uids, &n, &err);
		if (rc == FOID_OK && n > 0) {
			*proof = xasprintf("copy found in %s (uid %u) after a restart",
			                   boxes.v[i], uids[0]);
			found = 1;
		} else if (rc == FOID_ETEMP) {
			foid_imap_drop(f, HEALTH_TEMP, err);
			free(err);
			free(uids);
			break;
		}
		free(err);
		free(uids);
	}
	free(value);
	strv_free(&boxes);
	return found;
}

/* Waits until `until` (or a signal): in IDLE on the first mailbox when the
 * server has it, so new mail wakes us at once. */
static void foid_wait(struct foid *f, int64_t until)
{
	int64_t now = util_now();
	int ms = until > now ? (int)((until - now) * 1000) : 0;
	if (ms <= 0)
		return;
	struct imap *im = f->cfg->idle ? foid_imap(f) : NULL;
	if (im && imap_has_idle(im)) {
		char *err = NULL;
		int rc = imap_select(im, f->cfg->mailboxes[0], NULL, NULL, NULL, &err);
		if (rc == FOID_OK && imap_has_news(im)) {
			/* Mail came while we were busy: IDLE would not tell of it. */
			f->next_poll = 0;
			log_debug("event=imap.news mailbox=%s", log_q(f->cfg->mailboxes[0]));
			free(err);
			return;
		}
		if (rc == FOID_OK)
			rc = imap_idle_start(im, &err);
		if (rc == FOID_OK) {
			log_debug("event=imap.idle.start mailbox=%s", log_q(f->cfg->mailboxes[0]));
			rc = imap_idle_wait(im, ms, foid_wake[0], &err);
			if (rc >= 0) {
				int done = imap_idle_done(im, &err);
				if (done < 0)
					rc = done;
			}
			if (rc == 1) {
				f->next_poll = 0;
				log_debug("event=imap.idle.wake mailbox=%s",
				          log_q(f->cfg->mailboxes[0]));
			}
		}
		if (rc == FOID_ETEMP)
			foid_imap_drop(f, HEALTH_TEMP, err);
		free(err);
		if (rc >= 0)
			return;
	}
	struct pollfd p = { foid_wake[0], POLLIN, 0 };
	poll(&p, 1, ms);
}

/* Reloads the config on SIGHUP, keeping the old one when the new one is
 * invalid.  Settings that need a restart (database) are refused. */
static void foid_do_reload(struct foid *f)
{
	struct config *fresh = NULL;
	char *err = NULL;
	if (config_load(&fresh, f->path, 1, &err) < 0) {
		log_error("event=reload.refused reason=%s", log_q(err));
		free(err);
		return;
	}
	if (strcmp(fresh->database, f->cfg->database) != 0) {
		log_error("event=reload.refused reason=\"database changed: restart "
		          "foid\"");
		config_free(fresh);
		return;
	}
	struct send *s = NULL;
	if (send_new(f->st, fresh, &s, &err) < 0) {
		log_error("event=reload.refused reason=%s", log_q(err));
		free(err);
		config_free(fresh);
		return;
	}
	send_free(f->send);
	imap_free(f->im);
	f->im = NULL;
	config_free(f->cfg);
	f->cfg = fresh;
	f->send = s;
	foid_health_prune(f);
	enum log_level lvl;
	if (log_parse_level(f->cfg->log_level, &lvl) == 0)
		log_set_level(lvl);
	log_info("event=reload.ok config=%s", log_q(f->path));
}

/* Due dates that follow new holiday data, and reminders that fell due. */
static void foid_clock(struct foid *f, int64_t now)
{
	if (!f->once && now < f->next_clock)
		return;
	f->next_clock = now + 60;
	char *err = NULL;
	int changed = 0, queued = 0;
	if (status_refresh(f->st, f->cfg, f->h, now, &changed, &err) < 0)
		log_error("event=clock.refresh error=%s", log_q(err));
	else if (changed)
		log_info("event=clock.due_changed requests=%d", changed);
	free(err);
	err = NULL;
	struct buf report = BUF_INIT;
	if (remind_pass(f->st, f->cfg, f->h, NULL, now, 0, &report, &queued, &err) < 0)
		log_error("event=remind.pass error=%s", log_q(err));
	buf_free(&report);
	free(err);
	err = NULL;
	if (digest_pass(f->st, f->cfg, f->h, now, &queued, NULL, &err) < 0)
		log_error("event=digest.pass error=%s", log_q(err));
	else if (queued)
		log_info("event=digest.queued to=%s", log_q(f->cfg->digest_address));
	free(err);
}

/* One round of work: file new mail first, so reminders and the digest
 * know about today's replies, then send what is due.  *next_at: when there
 * is more to do (0: nothing). */
static int foid_pass(struct foid *f, int64_t *next_at)
{
	char *err = NULL;
	int nsent = 0;
	int64_t now = util_now();
	if (f->once || f->cfg->idle || now >= f->next_poll)
		foid_ingest(f);
	foid_clock(f, now);
	int rc = send_pass(f->send, now, &nsent, next_at, &err);
	/* A server that cannot be used was logged and recorded by send. */
	int server = rc == FOID_ETEMP || rc == FOID_EPERM;
	if (server)
		foid_fault(f, send_server_fault(f->send));
	else if (rc < 0)
		log_error("event=send.pass error=%s", log_q(err));
	free(err);
	if (rc < 0 && !server)
		return rc;
	if (nsent || f->once)
		foid_copy_sent(f);
	return FOID_OK;
}

static int foid_run(struct foid *f)
{
	char *err = NULL;
	int settled = 0;
	int rc = send_recover(f->send, foid_evidence, f, &settled, &err);
	if (rc < 0) {
		log_error("event=send.recover error=%s", log_q(err));
		free(err);
		return EX_SOFTWARE;
	}
	notify_ready();
	/* The watchdog is petted once per loop, so no wait may outlast it. */
	uint64_t wd = notify_watchdog_interval();
	int64_t wait_max = wd ? (int64_t)(wd / 1000000) : FOID_IDLE_MAX;
	if (wait_max < 1)
		wait_max = 1;
	if (wait_max > FOID_IDLE_MAX)
		wait_max = FOID_IDLE_MAX;
	while (!foid_stop) {
		int64_t next_at = 0;
		notify_watchdog();
		rc = foid_pass(f, &next_at);
		if (rc < 0)
			return EX_SOFTWARE;
		int64_t now = util_now();
		if (f->once) {
			if (next_at && next_at <= now)
				continue;
			break;
		}
		int64_t until = now + wait_max;
		if (next_at && next_at < until)
			until = next_at;
		foid_wait(f, until);
		foid_drain();
		if (foid_reload) {
			foid_reload = 0;
			notify_reloading();
			foid_do_reload(f);
			notify_ready();
		}
	}
	notify_stopping();
	log_info("event=stop");
	/* A pass that could not do its work says so to cron or a script. */
	return f->once ? health_exit_code(f->fault) : EX_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct foid f = { 0 };
	int check = 0, verbose = 0, ch, lockfd = -1;
	f.path = getenv("FOID_CONFIG");
	if (!f.path || !*f.path)
		f.path = CONFIG_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "c:nvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': f.path = optarg; break;
		case 'n': check = 1; break;
		case 'o': f.once = 1; break;
		case 'v': verbose = 1; break;
		case 'h': foid_usage(stdout); return 0;
		case 'V': printf("foid %s\n", FOID_VERSION); return 0;
		default: foid_usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc) {
		foid_usage(stderr);
		return EX_USAGE;
	}
	log_init("foid", verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);

	char *err = NULL;
	char *lockpath = NULL;
	int rc = EX_OK;
	if (config_load(&f.cfg, f.path, 1, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		rc = check ? 1 : EX_CONFIG;
		goto out;
	}
	char *rules = xasprintf("%s/classify.rules", f.cfg->data_dir);
	int lr = classify_load(rules, &f.rules, &err);
	free(rules);
	if (lr < 0) {
		fprintf(stderr, "%s\n", err);
		rc = check ? 1 : EX_CONFIG;
		goto out;
	}
	if (check) {
		printf("%s: ok\n", f.path);
		goto out;
	}
	if (!verbose) {
		enum log_level lvl;
		if (log_parse_level(f.cfg->log_level, &lvl) == 0)
			log_set_level(lvl);
	}
	lockpath = xasprintf("%s.lock", f.cfg->database);
	int lrc = util_lock_file(lockpath, &lockfd, &err);
	if (lrc < 0) {
		fprintf(stderr, "foid: %s\n", err);
		rc = lrc == FOID_EEXIST ? EX_TEMPFAIL : EX_CANTCREAT;
		goto out;
	}
	int hr = holidays_load_data(f.cfg->data_dir, &f.h, &err);
	if (hr < 0 || store_open(&f.st, f.cfg->database, &err) < 0 ||
	    util_mkdirs(f.cfg->storage_dir, 0700, &err) < 0 ||
	    send_new(f.st, f.cfg, &f.send, &err) < 0) {
		log_error("event=start.failed error=%s", log_q(err));
		rc = EX_IOERR;
		goto out;
	}
	foid_health_prune(&f);
	if (foid_signals() < 0) {
		log_error("event=start.failed error=\"cannot create a pipe\"");
		rc = EX_OSERR;
		goto out;
	}
	log_info("event=start version=%s config=%s once=%d", FOID_VERSION,
	         log_q(f.path), f.once);
	rc = foid_run(&f);
out:
	imap_free(f.im);
	send_free(f.send);
	classify_rules_free(f.rules);
	holidays_free(f.h);
	store_close(f.st);
	config_free(f.cfg);
	if (lockfd >= 0)
		close(lockfd);
	free(lockpath);
	free(err);
	return rc;
}
