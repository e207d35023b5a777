/* Running a document converter (pdftotext, antiword, catdoc, xls2csv,
 * tesseract) on a stored file as a bounded subprocess: the file is its
 * standard input, its output is read up to a bound, and it runs with
 * limits on memory, CPU time, file writes, open files and wall time, in a
 * process group of its own that is killed whole when a bound is hit.  A
 * hostile file can cost the converter, never foid. */
#ifndef FOID_CONVERT_H
#define FOID_CONVERT_H

#include <stddef.h>

struct convert_limits {
	size_t memory;      /* bytes of address space */
	int cpu_seconds;
	int wall_ms;
	size_t output;      /* bytes of standard output kept */
	int may_write;      /* 0: no file writes (converters); 1: files allowed */
};
#define CONVERT_LIMITS_DEFAULT { 512u << 20, 10, 20000, 16u << 20, 0 }

/* Runs argv[0] (looked up in PATH) with the file at input_path on standard
 * input.  *out is a new NUL-terminated string.  0 when it exited 0 within
 * the bounds; FOID_EINVAL with *errp saying which bound or exit status
 * ("pdftotext: killed after 30 s"), FOID_ENOTFOUND when the program is not
 * installed, FOID_EIO when it could not be started.  *out may hold partial
 * output after an error. */
int convert_run(char *const argv[], const char *input_path,
                const struct convert_limits *lim, char **out, size_t *out_len,
                char **errp);

#endif
