/* foid: the background service. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "log.h"
#include "store.h"

#ifndef FOID_VERSION
#define FOID_VERSION "0.1"
#endif

static void foid_usage(FILE *f)
{
	fputs("usage: foid [-c CONFIG] [-n] [--once] [-v]\n"
	      "  -c, --config FILE  config file (default $FOID_CONFIG, then "
	      FOID_SYSCONFDIR "/foid/foid.conf)\n"
	      "  -n, --check        check the config (every problem as FILE:LINE)"
	      " and exit\n"
	      "      --once         do one pass (send what is due, fetch new mail)"
	      " and exit\n"
	      "  -v, --verbose      log at debug level\n"
	      "      --version      print the version\n", f);
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
	const char *path = getenv("FOID_CONFIG");
	int check = 0, verbose = 0, ch;
	if (!path || !*path)
		path = CONFIG_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "c:nvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'n': check = 1; break;
		case 'o': break;
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

	struct config *cfg = NULL;
	struct store *st = NULL;
	char *err = NULL;
	int rc = EX_OK;
	if (config_load(&cfg, path, 1, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		rc = check ? 1 : EX_CONFIG;
		goto out;
	}
	if (check) {
		printf("%s: ok\n", path);
		goto out;
	}
	if (!verbose) {
		enum log_level lvl;
		if (log_parse_level(cfg->log_level, &lvl) == 0)
			log_set_level(lvl);
	}
	if (store_open(&st, cfg->database, &err) < 0) {
		log_error("event=store.open error=%s", log_q(err));
		rc = EX_IOERR;
		goto out;
	}
	log_info("event=start version=%s config=%s", FOID_VERSION, log_q(path));
out:
	store_close(st);
	config_free(cfg);
	free(err);
	return rc;
}
