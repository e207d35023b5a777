/* The config loader and its validation. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/foid-fuzz-conf-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		struct config *cfg = NULL;
		char *err = NULL;
		config_load(&cfg, path, 0, &err);
		config_free(cfg);
		free(err);
	}
	close(fd);
	unlink(path);
	return 0;
}
