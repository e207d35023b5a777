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

#include "config.h"
#include "log.h"
#include "send.h"
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
	int once;
};

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
	config_free(f->cfg);
	f->cfg = fresh;
	f->send = s;
	enum log_level lvl;
	if (log_parse_level(f->cfg->log_level, &lvl) == 0)
		log_set_level(lvl);
	log_info("event=reload.ok config=%s", log_q(f->path));
}

/* One round of work.  *next_at: when there is more to do (0: nothing). */
static int foid_pass(struct foid *f, int64_t *next_at)
{
	char *err = NULL;
	int nsent = 0;
	int64_t now = util_now();
	int rc = send_pass(f->send, now, &nsent, next_at, &err);
	if (rc < 0 && rc != FOID_ETEMP)
		log_error("event=send.pass error=%s", log_q(err));
	free(err);
	return rc == FOID_ETEMP ? FOID_OK : rc;
}

static int foid_run(struct foid *f)
{
	char *err = NULL;
	int settled = 0;
	int rc = send_recover(f->send, NULL, NULL, &settled, &err);
	if (rc < 0) {
		log_error("event=send.recover error=%s", log_q(err));
		free(err);
		return EX_SOFTWARE;
	}
	while (!foid_stop) {
		int64_t next_at = 0;
		rc = foid_pass(f, &next_at);
		if (rc < 0)
			return EX_SOFTWARE;
		int64_t now = util_now();
		if (f->once) {
			if (next_at && next_at <= now)
				continue;
			break;
		}
		int64_t wait = next_at ? next_at - now : FOID_IDLE_MAX;
		if (wait > FOID_IDLE_MAX)
			wait = FOID_IDLE_MAX;
		if (wait > 0) {
			struct pollfd p = { foid_wake[0], POLLIN, 0 };
			poll(&p, 1, (int)(wait * 1000));
			foid_drain();
		}
		if (foid_reload) {
			foid_reload = 0;
			foid_do_reload(f);
		}
	}
	log_info("event=stop");
	return EX_OK;
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
	if (store_open(&f.st, f.cfg->database, &err) < 0 ||
	    util_mkdirs(f.cfg->storage_dir, 0700, &err) < 0 ||
	    send_new(f.st, f.cfg, &f.send, &err) < 0) {
		log_error("event=start.failed error=%s", log_q(err));
		rc = EX_IOERR;
		goto out;
	}
	if (foid_signals() < 0) {
		log_error("event=start.failed error=\"cannot create a pipe\"");
		rc = EX_OSERR;
		goto out;
	}
	log_info("event=start version=%s config=%s once=%d", FOID_VERSION,
	         log_q(f.path), f.once);
	rc = foid_run(&f);
out:
	send_free(f.send);
	store_close(f.st);
	config_free(f.cfg);
	if (lockfd >= 0)
		close(lockfd);
	free(lockpath);
	free(err);
	return rc;
}
