/* foictl: the command-line helper. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "log.h"

#ifndef FOID_VERSION
#define FOID_VERSION "0.1"
#endif

struct ctl_command {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *summary;
};

static const struct ctl_command ctl_commands[] = {
	{ "init", ctl_init, "write a first config, its password files and directories" },
	{ "bodies", ctl_bodies, "import, list and show the bodies registry" },
	{ "deadline", ctl_deadline, "compute a due date, and explain it" },
	{ "round", ctl_round, "create, preview, launch, pause and resume rounds" },
	{ "status", ctl_status, "where each request of a round stands" },
	{ "confirm", ctl_confirm, "settle a send foid could not confirm" },
	{ "inbox", ctl_inbox, "received mail that needs a person" },
	{ "assign", ctl_assign, "assign a received message to a request" },
	{ "mark", ctl_mark, "set the kind of a received message (settles a review)" },
	{ "show", ctl_show, "one request's whole thread, with the evidence" },
	{ "clarify", ctl_clarify, "answer a clarification request; the clock restarts" },
	{ "extend", ctl_extend, "extend a request's due date by working days" },
	{ "withdraw", ctl_withdraw, "withdraw a request" },
	{ "remind", ctl_remind, "reminders and chasers due now (--dry-run)" },
	{ "question", ctl_question, "declare a coded question of a round" },
	{ "code", ctl_code, "record coded answers for a body" },
	{ "export", ctl_export, "export a round as CSV or JSON" },
	{ "report", ctl_report, "write a self-contained HTML report of a round" },
	{ "classify", ctl_classify, "how foid classifies mail files, and why" },
	{ "read", ctl_read, "print a received message as a person reads it" },
	{ "attachments", ctl_attachments, "list, save or print what the bodies attached" },
	{ "search", ctl_search, "search the text of replies and attachments" },
	{ "extract", ctl_extract, "take the text out of attachments filed before" },
	{ NULL, NULL, NULL },
};

static void foictl_usage(FILE *f)
{
	fputs("usage: foictl [-c|--config CONFIG] COMMAND [ARGS...]\n\ncommands:\n", f);
	for (const struct ctl_command *cmd = ctl_commands; cmd->name; cmd++)
		fprintf(f, "  %-10s %s\n", cmd->name, cmd->summary);
	fputs("\nRun 'foictl COMMAND --help' for a command's options.\n"
	      "The config defaults to $FOID_CONFIG, then " FOID_SYSCONFDIR
	      "/foid/foid.conf.\n", f);
}

int main(int argc, char **argv)
{
	struct ctl c = { 0 };
	c.out = stdout;
	log_init("foictl", LOG_LVL_WARN);
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "foictl: %s needs a value\n", argv[i]);
				return EX_USAGE;
			}
			c.config_path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			c.config_path = argv[i] + 9;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			foictl_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("foictl %s\n", FOID_VERSION);
			return 0;
		} else {
			fprintf(stderr, "foictl: unknown option %s\n", argv[i]);
			foictl_usage(stderr);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		foictl_usage(stderr);
		return EX_USAGE;
	}
	for (const struct ctl_command *cmd = ctl_commands; cmd->name; cmd++) {
		if (strcmp(argv[i], cmd->name) == 0) {
			int rc = cmd->run(&c, argc - i, argv + i);
			ctl_release(&c);
			return rc;
		}
	}
	fprintf(stderr, "foictl: unknown command %s\n", argv[i]);
	foictl_usage(stderr);
	return EX_USAGE;
}
