/* foictl login imap|smtp: the one-time OAuth2 sign-in of a server whose
 * auth is OAuth2, storing the refresh token foid uses from then on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "ctl.h"
#include "oauth2.h"
#include "util.h"

int ctl_login(struct ctl *c, int argc, char **argv)
{
	const char *wait = NULL;
	const struct ctl_opt opts[] = { { "--wait", &wait, NULL }, { NULL, NULL, NULL } };
	int ex = ctl_args_parse(c, "login", opts, 1, 1, argc, argv, NULL);
	if (ex != CTL_ARGS_RUN)
		return ex;
	int imap = strcmp(argv[1], "imap") == 0;
	if (!imap && strcmp(argv[1], "smtp") != 0)
		return ctl_usage_error("login", "say imap or smtp");
	char *end = NULL;
	long wait_s = wait ? strtol(wait, &end, 10) : 900;
	if (wait && (*end || wait_s <= 0 || wait_s > 86400))
		return ctl_usage_error("login", "--wait takes seconds, 1 to 86400");
	/* With secrets: the client secret is needed, and a token file others
	 * can read is refused before anybody signs in. */
	struct config *cfg = NULL;
	char *err = NULL;
	int rc = config_load(&cfg, ctl_config_file(c), 1, &err);
	if (rc < 0) {
		ctl_fail("login", rc, err);
		ex = EX_CONFIG;
		goto out;
	}
	const struct config_server *srv = imap ? &cfg->imap : &cfg->smtp;
	rc = oauth2_login(srv, c->out, (int)wait_s, &err);
	ex = rc < 0 ? ctl_fail("login", rc, err) : EX_OK;
out:
	free(err);
	config_free(cfg);
	return ex;
}
