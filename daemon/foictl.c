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
