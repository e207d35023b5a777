/* foictl's shared context and its commands, one file per command family
 * (ctl_bodies.c, ctl_round.c, ...).  Each command returns an exit code
 * from sysexits.h and prints its own errors to stderr. */
#ifndef FOID_CTL_H
#define FOID_CTL_H

#include <stdio.h>

struct config;
struct store;

struct ctl {
	const char *config_path;
	struct config *cfg;   /* loaded before any command runs */
	struct store *st;     /* opened on first use by ctl_store */
	FILE *out;            /* stdout; tests may redirect */
	const char *data_dir; /* NULL: ctl_data_dir's usual answer; tests set it */
};

/* The open store, or NULL after printing why (the caller exits EX_IOERR... */
struct store *ctl_store(struct ctl *c);

/* c->data_dir if set, else the configured data_dir, else the compiled-in
 * FOID_DATADIR.  Holidays live in <data_dir>/holidays/.  Owned by c. */
const char *ctl_data_dir(struct ctl *c);

/* argv[0] is the command's own name ("bodies"). */
int ctl_bodies(struct ctl *c, int argc, char **argv);
/* foictl deadline --regime R --from YYYY-MM-DD [--explain] [--extend] */
int ctl_deadline(struct ctl *c, int argc, char **argv);

#endif
