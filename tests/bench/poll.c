/* make bench: the cost of one poll that finds nothing new.  Connects once,
 * brings the mailbox up to date, then times N more polls.  Prints the
 * median, min and max in milliseconds as JSON. */
#include <stdio.h>
#include <stdlib.h>
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

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_poll CONFIG N\n");
		return 64;
	}
	int n = atoi(argv[2]);
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct imap *im = NULL;
	char *err = NULL;
	if (config_load(&cfg, argv[1], 1, &err) < 0 || store_open(&st, cfg->database, &err) < 0 ||
	    imap_connect(&cfg->imap, &im, &err) < 0) {
		fprintf(stderr, "bench_poll: %s\n", err);
		return 1;
	}
	struct ingest_stats stats = { 0 };
	if (ingest_mailbox(st, cfg, NULL, im, "INBOX", &stats, &err) < 0) {
		fprintf(stderr, "bench_poll: %s\n", err);
		return 1;
	}
	double *t = xcalloc((size_t)n, sizeof *t);
	for (int i = 0; i < n; i++) {
		struct ingest_stats s = { 0 };
		double t0 = bench_ms();
		if (ingest_mailbox(st, cfg, NULL, im, "INBOX", &s, &err) < 0 || s.fetched) {
			fprintf(stderr, "bench_poll: %s\n", err ? err : "found new mail");
			return 1;
		}
		t[i] = bench_ms() - t0;
	}
	qsort(t, (size_t)n, sizeof *t, bench_cmp);
	printf("{\"median\": %.3f, \"min\": %.3f, \"max\": %.3f, \"synced\": %d}\n",
	       t[n / 2], t[0], t[n - 1], stats.fetched);
	free(t);
	imap_free(im);
	store_close(st);
	config_free(cfg);
	free(err);
	return 0;
}
