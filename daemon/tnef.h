/* Outlook winmail.dat (application/ms-tnef) unpacking (wraps libytnef). */
#ifndef FOID_TNEF_H
#define FOID_TNEF_H

#include <stddef.h>

struct tnef_file {
	char *filename;     /* as stored (UTF-8 repaired), may be NULL; not sanitised */
	char *content_type; /* MIME type when TNEF names one, else NULL */
	unsigned char *data;
	size_t size;
};

/* Unpacks the files carried in a TNEF blob.  On success returns 0 and sets
 * *files to a new array of *nfiles entries (possibly 0), which the caller
 * frees with tnef_files_free.  Returns FOID_EINVAL (with *errp) when data
 * is not TNEF or is damaged; *files is then NULL. */
int tnef_unpack(const unsigned char *data, size_t len, struct tnef_file **files,
                size_t *nfiles, char **errp);
void tnef_files_free(struct tnef_file *files, size_t nfiles);

#endif
