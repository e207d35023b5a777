/* Test fixtures: a fresh temporary directory per test, removed after. */
#ifndef FOID_TEST_FIXTURE_H
#define FOID_TEST_FIXTURE_H

#include <check.h>

struct fixture {
	char *dir;
};

struct fixture *fixture_new(void);
void fixture_free(struct fixture *fx); /* removes the directory tree */
/* A new string: dir/name. */
char *fixture_path(const struct fixture *fx, const char *name);
/* Writes text to dir/name (mode 0600) and returns the new path string. */
char *fixture_write(const struct fixture *fx, const char *name, const char *text);
/* Top of the source tree (FOID_SRCDIR or the current directory). */
const char *fixture_srcdir(void);
/* Path of a built program: $FOID_BUILD/name (default build/name). */
char *fixture_bin(const char *name);
/* Runs argv (argv[0] a path) with stdin from input (NULL: /dev/null) and
 * returns its exit status (128+N for signal N).  *out and *err (either may
 * be NULL) receive what it printed. */
int fixture_exec(struct fixture *fx, char *const argv[], const char *input,
                 char **out, char **err);
/* Starts argv in the background with stdout and stderr appended to
 * log_path; returns its pid. */
int fixture_spawn(char *const argv[], const char *log_path);
/* Sends sig to pid and reaps it; returns its exit status as fixture_exec. */
int fixture_stop(int pid, int sig);
/* Runs the suite with a tap-free summary line and returns an exit status. */
int fixture_run(Suite *s);

#endif
