/* foictl init: a first config, its password files and its directories.
 * Asks on a terminal; takes flags otherwise (and flags skip questions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

enum {
	INIT_NAME, INIT_ADDRESS, INIT_IMAP_HOST, INIT_IMAP_PORT, INIT_IMAP_SEC,
	INIT_IMAP_USER, INIT_SMTP_HOST, INIT_SMTP_PORT, INIT_SMTP_SEC, INIT_SMTP_USER,
	INIT_DATABASE, INIT_STORAGE, INIT_DATA, INIT_TEMPLATES, INIT_N
};

/* The questions, in the order asked; a NULL default means required. */
static const struct {
	const char *opt, *question, *def;
} ctl_init_fields[INIT_N] = {
	[INIT_NAME] = { "--name", "Team name", NULL },
	[INIT_ADDRESS] = { "--address", "Team address (From:, the mailbox foid reads)", NULL },
	[INIT_IMAP_HOST] = { "--imap-host", "IMAP server", NULL },
	[INIT_IMAP_PORT] = { "--imap-port", "IMAP port (empty: by security)", "" },
	[INIT_IMAP_SEC] = { "--imap-security", "IMAP security (tls, starttls, plain)", "tls" },
	[INIT_IMAP_USER] = { "--imap-user", "IMAP user (default: the team address)", "" },
	[INIT_SMTP_HOST] = { "--smtp-host", "SMTP server", NULL },
	[INIT_SMTP_PORT] = { "--smtp-port", "SMTP port (empty: by security)", "" },
	[INIT_SMTP_SEC] = { "--smtp-security", "SMTP security (tls, starttls, plain)", "tls" },
	[INIT_SMTP_USER] = { "--smtp-user", "SMTP user (default: the IMAP user)", "" },
	[INIT_DATABASE] = { "--database", "Database file (default: beside the config)", "" },
	[INIT_STORAGE] = { "--storage-dir", "Mail store (default: beside the database)", "" },
	[INIT_DATA] = { "--data-dir", "Data directory (empty: where foid is installed)", "" },
	[INIT_TEMPLATES] = { "--templates-dir", "Templates (empty: data directory's)", "" },
};

/* One line from stdin without its newline, or NULL at end of input.  echo=0
 * turns the terminal's echo off for a password. */
static char *ctl_init_read_line(int echo)
{
	struct termios old, quiet;
	int tty = !echo && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* A value libconfig can hold in a one-line string. */
static int ctl_init_text_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Asks for what the flags left out; 0, or EX_USAGE/EX_DATAERR after saying why. */
static int ctl_init_ask(const char **val, char **owned, int interactive)
{
	for (int i = 0; i < INIT_N; i++) {
		while (!val[i] && interactive) {
			const char *def = ctl_init_fields[i].def;
			fprintf(stderr, "%s%s%s%s: ", ctl_init_fields[i].question,
			        def && *def ? " [" : "", def && *def ? def : "",
			        def && *def ? "]" : "");
			char *line = ctl_init_read_line(1);
			if (!line) {
				fputs("foictl init: end of input\n", stderr);
				return EX_USAGE;
			}
			if (*line || def) {
				owned[i] = line;
				val[i] = *line ? line : def;
			} else {
				free(line);
			}
		}
		if (!val[i] && !ctl_init_fields[i].def)
			return ctl_usage_error("init", "not on a terminal: give every required flag");
		if (!val[i])
			val[i] = ctl_init_fields[i].def;
		if (!ctl_init_text_ok(val[i])) {
			fprintf(stderr, "foictl init: %s: control characters\n",
			        ctl_init_fields[i].opt);
			return EX_DATAERR;
		}
	}
	return 0;
}

/* 0 or EX_DATAERR after saying which value is wrong. */
static int ctl_init_check(const char **val)
{
	static const int secs[] = { INIT_IMAP_SEC, INIT_SMTP_SEC };
	static const int ports[] = { INIT_IMAP_PORT, INIT_SMTP_PORT };
	for (int i = 0; i < 2; i++) {
		const char *s = val[secs[i]];
		if (strcmp(s, "tls") && strcmp(s, "starttls") && strcmp(s, "plain")) {
			fprintf(stderr, "foictl init: %s is tls, starttls or plain, not '%s'\n",
			        ctl_init_fields[secs[i]].opt, s);
			return EX_DATAERR;
		}
		char *end = NULL;
		long port = *val[ports[i]] ? strtol(val[ports[i]], &end, 10) : 1;
		if ((end && *end) || port < 1 || port > 65535) {
			fprintf(stderr, "foictl init: %s is a number from 1 to 65535\n",
			        ctl_init_fields[ports[i]].opt);
			return EX_DATAERR;
		}
	}
	if (!*val[INIT_NAME] || !strchr(val[INIT_ADDRESS], '@') || !*val[INIT_IMAP_HOST] ||
	    !*val[INIT_SMTP_HOST]) {
		fputs("foictl init: a name, an address with '@' and both servers are "
		      "required\n", stderr);
		return EX_DATAERR;
	}
	return 0;
}

/* path made absolute against the current directory (a new string). */
static char *ctl_init_abs(const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	char *cwd = getcwd(NULL, 0);
	char *abs = xasprintf("%s/%s", cwd ? cwd : ".", path);
	free(cwd);
	return abs;
}

/* The directory part of path (a new string). */
static char *ctl_init_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

/* A libconfig string literal of s. */
static void ctl_init_quote(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

static void ctl_init_key(struct buf *b, const char *indent, const char *key,
                         const char *val)
{
	buf_addf(b, "%s%s = ", indent, key);
	ctl_init_quote(b, val);
	buf_adds(b, ";\n");
}

static void ctl_init_server(struct buf *b, const char *group, const char *host,
                            const char *port, const char *sec, const char *user,
                            const char *pwfile)
{
	buf_addf(b, "\n%s = {\n", group);
	ctl_init_key(b, "  ", "host", host);
	if (*port)
		buf_addf(b, "  port = %s;\n", port);
	ctl_init_key(b, "  ", "security", sec);
	ctl_init_key(b, "  ", "username", user);
	ctl_init_key(b, "  ", "password_file", pwfile);
	if (strcmp(group, "imap") == 0)
		buf_adds(b, "  mailboxes = [ \"INBOX\" ];\n");
	buf_adds(b, "};\n");
}

/* key = path, made absolute: the config reads relative paths against its
 * own directory, but a person typed them against the current one. */
static void ctl_init_path(struct buf *b, const char *key, const char *path)
{
	char *abs = ctl_init_abs(path);
	ctl_init_key(b, "", key, abs);
	free(abs);
}

static char *ctl_init_text(const char **val, const char *db, const char *store,
                           const char *imap_pw, const char *smtp_pw)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "# foid configuration, written by foictl init; see foid.conf(5)\n"
	             "# and config/foid.conf.example.  Check it with foid -n -c FILE.\n\n");
	ctl_init_key(&b, "", "database", db);
	ctl_init_key(&b, "", "storage_dir", store);
	if (*val[INIT_DATA])
		ctl_init_path(&b, "data_dir", val[INIT_DATA]);
	if (*val[INIT_TEMPLATES])
		ctl_init_path(&b, "templates_dir", val[INIT_TEMPLATES]);
	buf_adds(&b, "\nteam = {\n");
	ctl_init_key(&b, "  ", "name", val[INIT_NAME]);
	ctl_init_key(&b, "  ", "address", val[INIT_ADDRESS]);
	buf_adds(&b, "};\n");
	const char *imap_user = *val[INIT_IMAP_USER] ? val[INIT_IMAP_USER] : val[INIT_ADDRESS];
	const char *smtp_user = *val[INIT_SMTP_USER] ? val[INIT_SMTP_USER] : imap_user;
	ctl_init_server(&b, "smtp", val[INIT_SMTP_HOST], val[INIT_SMTP_PORT],
	                val[INIT_SMTP_SEC], smtp_user, smtp_pw);
	ctl_init_server(&b, "imap", val[INIT_IMAP_HOST], val[INIT_IMAP_PORT],
	                val[INIT_IMAP_SEC], imap_user, imap_pw);
	return buf_detach(&b);
}

/* Writes the password file (mode 0600) unless it exists and force is 0. */
static int ctl_init_password(const char *path, const char *pw, int force, char **errp)
{
	if (!force && access(path, F_OK) == 0)
		return FOID_OK;
	struct buf b = BUF_INIT;
	if (pw && *pw)
		buf_addf(&b, "%s\n", pw);
	int rc = util_write_file_atomic(path, b.data ? b.data : "", b.len, 0600, errp);
	buf_free(&b);
	return rc;
}

/* Creates the directories and writes the files; a FOID_E* code. */
static int ctl_init_write(const char *conf, const char **val, const char *pw,
                          int force, FILE *out, char **errp)
{
	char *dir = ctl_init_dirname(conf);
	char *db = *val[INIT_DATABASE] ? ctl_init_abs(val[INIT_DATABASE])
	                               : xasprintf("%s/foid.db", dir);
	char *dbdir = ctl_init_dirname(db);
	char *store = *val[INIT_STORAGE] ? ctl_init_abs(val[INIT_STORAGE])
	                                 : xasprintf("%s/store", dbdir);
	char *imap_pw = xasprintf("%s/imap.password", dir);
	char *smtp_pw = xasprintf("%s/smtp.password", dir);
	char *text = ctl_init_text(val, db, store, imap_pw, smtp_pw);
	int rc = util_mkdirs(dir, 0700, errp);
	if (rc == FOID_OK)
		rc = util_mkdirs(dbdir, 0700, errp);
	if (rc == FOID_OK)
		rc = util_mkdirs(store, 0700, errp);
	if (rc == FOID_OK)
		rc = ctl_init_password(imap_pw, pw, force, errp);
	if (rc == FOID_OK)
		rc = ctl_init_password(smtp_pw, pw, force, errp);
	if (rc == FOID_OK)
		rc = util_write_file_atomic(conf, text, strlen(text), 0640, errp);
	if (rc == FOID_OK) {
		fprintf(out, "wrote %s\n", conf);
		if (!pw || !*pw)
			fprintf(out, "put the password in %s and %s (mode 0600), then run\n",
			        imap_pw, smtp_pw);
		else
			fputs("now run\n", out);
		fprintf(out, "  foid -n -c %s\n", conf);
	}
	free(text);
	free(smtp_pw);
	free(imap_pw);
	free(store);
	free(dbdir);
	free(db);
	free(dir);
	return rc;
}

int ctl_init(struct ctl *c, int argc, char **argv)
{
	const char *val[INIT_N] = { NULL };
	char *owned[INIT_N] = { NULL };
	const char *conf_opt = NULL;
	int force = 0, pw_stdin = 0;
	struct ctl_opt opts[INIT_N + 4] = { { NULL, NULL, NULL } };
	for (int i = 0; i < INIT_N; i++) {
		opts[i].name = ctl_init_fields[i].opt;
		opts[i].value = &val[i];
	}
	opts[INIT_N] = (struct ctl_opt){ "--config", &conf_opt, NULL };
	opts[INIT_N + 1] = (struct ctl_opt){ "--force", NULL, &force };
	opts[INIT_N + 2] = (struct ctl_opt){ "--password-stdin", NULL, &pw_stdin };
	int ex = ctl_args_parse(c, "init", opts, 0, 0, argc, argv, NULL);
	if (ex != CTL_ARGS_RUN)
		return ex;
	char *conf = ctl_init_abs(conf_opt ? conf_opt : ctl_config_file(c));
	char *pw = NULL, *err = NULL;
	int interactive = !pw_stdin && isatty(STDIN_FILENO);
	if (!force && access(conf, F_OK) == 0) {
		fprintf(stderr, "foictl init: %s exists; --force overwrites it\n", conf);
		ex = EX_CANTCREAT;
		goto out;
	}
	if ((ex = ctl_init_ask(val, owned, interactive)) != 0 ||
	    (ex = ctl_init_check(val)) != 0)
		goto out;
	if (interactive) {
		fputs("Password (both servers; empty: fill the files later): ", stderr);
		pw = ctl_init_read_line(0);
	} else if (pw_stdin) {
		pw = ctl_init_read_line(1);
	}
	if (pw && !ctl_init_text_ok(pw)) {
		fputs("foictl init: the password has control characters\n", stderr);
		ex = EX_DATAERR;
		goto out;
	}
	int rc = ctl_init_write(conf, val, pw, force, c->out, &err);
	if (rc < 0)
		ex = ctl_fail("init", rc, err);
out:
	if (pw)
		memset(pw, 0, strlen(pw));
	free(pw);
	free(err);
	free(conf);
	for (int i = 0; i < INIT_N; i++)
		free(owned[i]);
	return ex;
}
