/* foictl's shared context and its commands, one file per command family
 * (ctl_bodies.c, ctl_round.c, ...).  Each command returns an exit code
 * from sysexits.h and prints its own errors to stderr. */
#ifndef FOID_CTL_H
#define FOID_CTL_H

#include <stdint.h>
#include <stdio.h>

#include "status.h"
#include "util.h"

struct config;
struct store;

/* Received mail waiting for a person, on messages m: matched to no
 * request, not classified, or in review (status.h); one integer
 * parameter, classify.review_below.  foictl inbox lists it; status and the
 * digest count it. */
#define CTL_INBOX_SQL \
	"(m.direction = 'in' AND (m.kind IS NULL" \
	" OR (m.request_id IS NULL AND m.kind != 'own')" \
	" OR (m.request_id IS NOT NULL AND " STATUS_SQL_UNSETTLED ")))"

struct ctl {
	const char *config_path; /* -c FILE, or NULL for the default */
	struct config *cfg;      /* loaded on first use by ctl_config */
	struct store *st;        /* opened on first use by ctl_store */
	const char *data_dir;    /* overrides the config's data_dir (tests) */
	FILE *out;               /* stdout; tests may redirect */
};

/* The config's path: -c FILE, else $FOID_CONFIG, else the system's. */
const char *ctl_config_file(const struct ctl *c);
/* The loaded config (without secrets: foictl never needs them), or NULL
 * after printing every problem to stderr. */
struct config *ctl_config(struct ctl *c);
/* The open store, or NULL after printing why. */
struct store *ctl_store(struct ctl *c);
/* Where holidays/ and templates/ are: c->data_dir, else the config's,
 * else the compiled-in FOID_DATADIR when there is no config file. */
const char *ctl_data_dir(struct ctl *c);
/* The sysexits.h code for a FOID_E* return code, as foictl(1) documents
 * them: the one place that maps an error to an exit status. */
int ctl_exit_code(int rc);
/* Prints "foictl CMD: msg" to stderr (each line of msg) and returns
 * ctl_exit_code(rc). */
int ctl_fail(const char *cmd, int rc, const char *msg);
/* The end of most commands: on FOID_OK prints fmt to c->out and returns
 * EX_OK, else returns ctl_fail(cmd, rc, err).  Frees err either way. */
int ctl_done(struct ctl *c, const char *cmd, int rc, char *err, const char *fmt, ...)
	FOID_PRINTF(5, 6);
/* Prints "foictl CMD: msg" and CMD's usage to stderr; returns EX_USAGE. */
int ctl_usage_error(const char *cmd, const char *msg);
/* The store for a command: the exit status on failure (EX_CONFIG when the
 * config is invalid, EX_IOERR when the database cannot be opened) after
 * printing why, else EX_OK with *st set (owned by c). */
int ctl_open(struct ctl *c, struct store **st);

/* For commands that need only the data directory: EX_CONFIG after printing
 * why when a config is given (or installed) but invalid, else EX_OK. */
int ctl_open_data(struct ctl *c);

/* One option of a command: "--name VALUE" and "--name=VALUE" set *value;
 * a flag ("--name", no "=") sets *flag to 1.  A table ends with a NULL
 * name. */
struct ctl_opt {
	const char *name;   /* with the dashes: "--format" */
	const char **value; /* the option takes a value */
	int *flag;          /* or it is a flag */
};
/* ctl_args_parse's "no usage problem, run the command". */
#define CTL_ARGS_RUN (-1)
/* The one argument parser of every command.  argv[0] is the command's name
 * (cmd, used in messages; its usage is ctl_usage(cmd)).  Options may come
 * anywhere; "--" ends them; a later repeat wins.  The operands are moved, in
 * order, to argv[1..*nargs], and there must be between min and max (max < 0:
 * no limit) of them; nargs may be NULL when min == max says how many.
 * Returns CTL_ARGS_RUN, or the exit status to return: EX_OK after printing
 * usage to c->out for --help or -h, EX_USAGE after naming the problem (an
 * unknown option, a missing value, a value given to a flag, the number of
 * operands) and printing usage to stderr. */
int ctl_args_parse(struct ctl *c, const char *cmd, const struct ctl_opt *opts,
                   int min, int max, int argc, char **argv, int *nargs);
/* ctl_args_parse, then ctl_open for a command that needs nothing else
 * checked first: CTL_ARGS_RUN with *st set (owned by c), or the exit
 * status to return. */
int ctl_args_open(struct ctl *c, const char *cmd, const struct ctl_opt *opts,
                  int min, int max, int argc, char **argv, int *nargs,
                  struct store **st);

/* 1 when out is a terminal and NO_COLOR is not set: colour is allowed. */
int ctl_colour(FILE *out);

/* Progress of a long operation: a bar redrawn in place on a terminal,
 * else a plain line whenever the tenth done changes, and at the end. */
void ctl_progress(FILE *out, const char *what, size_t done, size_t total);

/* The request of ROUND SHORT_NAME, or FOID_ENOTFOUND naming both. */
int ctl_request_id(struct store *st, const char *slug, const char *short_name,
                   int64_t *id, char **errp);
/* ctl_request_id for pos (ROUND, SHORT_NAME), then store_begin: how a
 * command that changes that request starts its transaction. */
int ctl_request_begin(struct store *st, const char *const pos[2], int64_t *id,
                      char **errp);

/* Releases what ctl_config and ctl_store opened. */
void ctl_release(struct ctl *c);

/* A command of foictl (ctl_commands.c). */
struct ctl_command {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *summary; /* its line in foictl --help */
	const char *usage;   /* for COMMAND --help and its usage errors */
};
/* Every command, in foictl --help's order; a NULL name ends it. */
extern const struct ctl_command ctl_commands[];
/* The usage of command cmd (its first word: "bodies import" is bodies'),
 * or "" for no command. */
const char *ctl_usage(const char *cmd);

/* argv[0] is the command's own name ("bodies"). */
int ctl_bodies(struct ctl *c, int argc, char **argv);
int ctl_deadline(struct ctl *c, int argc, char **argv);
int ctl_round(struct ctl *c, int argc, char **argv);
int ctl_status(struct ctl *c, int argc, char **argv);
int ctl_confirm(struct ctl *c, int argc, char **argv);
int ctl_inbox(struct ctl *c, int argc, char **argv);
int ctl_assign(struct ctl *c, int argc, char **argv);
int ctl_mark(struct ctl *c, int argc, char **argv);
int ctl_show(struct ctl *c, int argc, char **argv);
int ctl_clarify(struct ctl *c, int argc, char **argv);
int ctl_extend(struct ctl *c, int argc, char **argv);
int ctl_withdraw(struct ctl *c, int argc, char **argv);
int ctl_remind(struct ctl *c, int argc, char **argv);
int ctl_question(struct ctl *c, int argc, char **argv);
int ctl_code(struct ctl *c, int argc, char **argv);
int ctl_export(struct ctl *c, int argc, char **argv);
int ctl_report(struct ctl *c, int argc, char **argv);
int ctl_classify(struct ctl *c, int argc, char **argv);
int ctl_read(struct ctl *c, int argc, char **argv);
int ctl_attachments(struct ctl *c, int argc, char **argv);
int ctl_search(struct ctl *c, int argc, char **argv);
int ctl_extract(struct ctl *c, int argc, char **argv);
int ctl_init(struct ctl *c, int argc, char **argv);
int ctl_login(struct ctl *c, int argc, char **argv);

#endif
