/* make bench: the cost of one poll that finds nothing new.  Connects once,
 * brings the mailbox up to date, then times N more polls.  Prints each
 * poll's time in milliseconds, one a line. */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <time.h>

#include "config.h"
#include "imap.h"
#include "ingest.h"
#include "store.h"
#include "util.h"

static double bench_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int n = argc == 3 ? atoi(argv[2]) : 0;
	if (n <= 0) {
		fprintf(stderr, "usage: bench_poll CONFIG N (N > 0)\n");
		return EX_USAGE;
	}
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct imap *im = NULL;
	char *err = NULL;
	if (config_load(&cfg, argv[1], 1, &err) < 0 || store_open(&st, cfg->database, &err) < 0 ||
	    imap_connect(&cfg->imap, &im, NULL, &err) < 0) {
		fprintf(stderr, "bench_poll: %s\n", err);
		return 1;
	}
	struct ingest_stats stats = { 0 };
	if (ingest_mailbox(st, cfg, NULL, im, "INBOX", &stats, &err) < 0) {
		fprintf(stderr, "bench_poll: %s\n", err);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct ingest_stats s = { 0 };
		double t0 = bench_ms();
		if (ingest_mailbox(st, cfg, NULL, im, "INBOX", &s, &err) < 0 || s.fetched) {
			fprintf(stderr, "bench_poll: %s\n", err ? err : "found new mail");
			return 1;
		}
		printf("%.3f\n", bench_ms() - t0);
	}
	imap_free(im);
	store_close(st);
	config_free(cfg);
	free(err);
	return 0;
}
