/* The configuration file (libconfig syntax): the only module that talks to
 * libconfig.  config_load validates everything and reports every problem as
 * "FILE:LINE: message", one per line, in *errp.  One key table per group
 * (config.c) owns every setting's type, default, range and destination; a
 * key of another group is an error naming the group it belongs to. */
#ifndef FOID_CONFIG_H
#define FOID_CONFIG_H

#include <stdint.h>

#define CONFIG_DEFAULT_PATH FOID_SYSCONFDIR "/foid/foid.conf"

enum config_security { SEC_TLS, SEC_STARTTLS, SEC_PLAIN };

struct config_server {
	char *host;
	int port;                 /* default from security: 993/143 or 465/587 */
	enum config_security security;
	char *username;
	char *password;           /* read from password_file or password_env */
	char *password_file;      /* NULL: none */
	char *password_env;       /* NULL: none */
	char *ca_file;            /* NULL: the system trust store */
	int timeout;              /* seconds, every network operation */
};

struct config_reminder_step {
	char *name;               /* "overdue", "final", "courtesy" */
	int offset_days;          /* working days after (or, if negative, before) the due/closing date */
	char *template;           /* file name, under templates_dir unless absolute */
};

struct config_reminders {
	struct config_reminder_step *steps;
	int nsteps;
};

struct config {
	char *path;               /* the file it came from */
	char *database;
	char *storage_dir;
	char *data_dir;           /* holidays/ and templates/ live here */
	char *templates_dir;      /* default: data_dir/templates */
	char *log_level;

	/* The team, who sends and receives. */
	char *team_name;
	char *team_address;       /* From: */
	char *reply_to;           /* Reply-To:, NULL for none */
	int plus_addressing;      /* replies to team+REF@domain */
	char *digest_address;     /* NULL: no digest */
	char *digest_time;        /* "HH:MM" on working days */

	struct config_server smtp;
	int rate_per_minute;      /* all messages */
	int rate_per_domain;      /* per recipient domain, per minute */
	char *send_window;        /* "Mon-Fri 09:00-17:00", NULL: any time */
	int give_up_after;        /* seconds of temporary failures before 'failed' */
	int bcc_self;             /* Bcc the team address: evidence for exactly-once */

	struct config_server imap;
	char **mailboxes;         /* NULL-terminated; default {"INBOX"} */
	char *sent_mailbox;       /* APPEND sent copies here; NULL: don't */
	char *processed_keyword;  /* default "$FoidSeen" */
	char *processed_mailbox;  /* move processed mail here; NULL: keyword only */
	int idle;                 /* use IDLE when the server has it */
	int poll_interval;        /* seconds */

	int64_t max_message_size;
	int64_t max_attachment_size;
	int max_parts;

	char *timezone;           /* overrides the regime's zone; NULL: regime default */
	int very_overdue_days;    /* working days after the due date */
	int min_gap_days;         /* between two mails to one body */
	struct config_reminders reminders_foi;
	struct config_reminders reminders_survey;

	int review_below;         /* percent: a reply classified less sure than
	                             this waits for a person (status.h) */
};

/* Loads and validates path.  On success *out is owned by the caller
 * (config_free).  On failure *errp holds every problem found, one per line.
 * check_secrets = 0 skips reading password files (for foictl commands
 * that never touch the network); with it, a config file others may read
 * or write is refused too. */
int config_load(struct config **out, const char *path, int check_secrets,
                char **errp);
void config_free(struct config *cfg); /* NULL is fine */

/* Every setting config_load knows, grouped as in the file, in libconfig
 * syntax: "key = DEFAULT;" where the default is fixed, "# key" where there
 * is none or it follows from other settings or the build.  The example
 * config is checked against it.  Owned by the caller (free). */
char *config_defaults(void);

/* Reads a secret from a file that only its owner may read.  Refuses (with
 * the file name and the chmod that fixes it) when group or others can. */
int config_read_secret(const char *path, char **out, char **errp);

#endif
