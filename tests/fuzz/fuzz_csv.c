/* The CSV reader and the bodies importer's validation (dry run). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bodies.h"
#include "csvin.h"
#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!st && store_open(&st, ":memory:", NULL) < 0)
		abort();
	struct csvin *in = csvin_from_mem((const char *)data, size);
	struct csvin_record rec = CSVIN_RECORD_INIT;
	while (csvin_next(in, &rec, NULL) == 1)
		csvin_record_clear(&rec);
	csvin_record_clear(&rec);
	csvin_free(in);
	char path[] = "/tmp/foid-fuzz-csv-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		struct bodies_report rep = BODIES_REPORT_INIT;
		char *err = NULL;
		bodies_import(st, path, 1, &rep, &err);
		bodies_report_free(&rep);
		free(err);
	}
	close(fd);
	unlink(path);
	return 0;
}
