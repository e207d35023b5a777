#include "blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int blob_put(const char *dir, const char *kind, const void *data, size_t len,
             int durable, char **relpath, char sha256[65], char **errp)
{
	int rc;
	util_sha256_hex(data, len, sha256);
	char *rel = xasprintf("%s/%.2s/%s", kind, sha256, sha256);
	char *sub = xasprintf("%s/%s/%.2s", dir, kind, sha256);
	char *full = xasprintf("%s/%s", dir, rel);
	struct stat sb;
	if (stat(full, &sb) == 0 && (size_t)sb.st_size == len) {
		rc = FOID_OK;
		goto out;
	}
	rc = util_mkdirs(sub, 0700, errp);
	if (rc)
		goto out;
	rc = durable ? util_write_file_atomic(full, data, len, 0600, errp)
	             : util_write_file_atomic_nosync(full, data, len, 0600, errp);
	if (rc == FOID_OK && durable)
		rc = util_sync_dir(sub, 0, errp);
out:
	if (rc == FOID_OK)
		*relpath = rel;
	else
		free(rel);
	free(sub);
	free(full);
	return rc;
}

int blob_sync(const char *dir, char **errp)
{
	return util_sync_dir(dir, 1, errp);
}

int blob_get(const char *dir, const char *relpath, char **data, size_t *len,
             char **errp)
{
	if (relpath[0] == '/' || strstr(relpath, ".."))
		return err_set(errp, FOID_EINVAL, "bad blob path %s", relpath);
	char *full = xasprintf("%s/%s", dir, relpath);
	int rc = util_read_file(full, data, len, errp);
	free(full);
	return rc;
}
