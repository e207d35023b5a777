#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "window.h"

/* Collects every problem so the user can fix the whole file at once. */
struct cv {
	const char *file;
	char *dir;      /* for resolving relative paths */
	struct buf errs;
	int nerr;
};

FOID_PRINTF(4, 5)
static void cv_err(struct cv *v, const config_setting_t *s, const char *key,
                   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	int line = s ? (int)config_setting_source_line(s) : 0;
	const char *file = s && config_setting_source_file(s)
	                   ? config_setting_source_file(s) : v->file;
	if (v->nerr)
		buf_addc(&v->errs, '\n');
	buf_addf(&v->errs, "%s:%d: %s: %s", file, line > 0 ? line : 1, key, msg);
	v->nerr++;
	free(msg);
}

static char *cv_path(struct cv *v, const char *p)
{
	if (p[0] == '/' || !v->dir)
		return xstrdup(p);
	return xasprintf("%s/%s", v->dir, p);
}

static const char *cv_name(const char *grp, const char *key, char *buf, size_t n)
{
	if (grp)
		snprintf(buf, n, "%s.%s", grp, key);
	else
		snprintf(buf, n, "%s", key);
	return buf;
}

static void cv_str(struct cv *v, config_setting_t *grp, const char *gname,
                   const char *key, int required, const char *def, char **out)
{
	char name[128];
	cv_name(gname, key, name, sizeof name);
	config_setting_t *s = grp ? config_setting_get_member(grp, key) : NULL;
	if (!s) {
		if (required)
			cv_err(v, grp, name, "required setting is missing");
		*out = xstrdup(def);
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cv_err(v, s, name, "must be a string in double quotes");
		*out = xstrdup(def);
		return;
	}
	const char *val = config_setting_get_string(s);
	if (strpbrk(val, "\r\n")) {
		cv_err(v, s, name, "must not contain a line break");
		*out = xstrdup(def);
		return;
	}
	if (required && !*val)
		cv_err(v, s, name, "must not be empty");
	*out = xstrdup(val);
}

static void cv_path_setting(struct cv *v, config_setting_t *grp,
                            const char *gname, const char *key, int required,
                            char **out)
{
	char *raw = NULL;
	cv_str(v, grp, gname, key, required, NULL, &raw);
	*out = raw && *raw ? cv_path(v, raw) : NULL;
	free(raw);
}

static void cv_int64(struct cv *v, config_setting_t *grp, const char *gname,
                     const char *key, int64_t def, int64_t min, int64_t max,
                     int64_t *out)
{
	char name[128];
	cv_name(gname, key, name, sizeof name);
	config_setting_t *s = grp ? config_setting_get_member(grp, key) : NULL;
	*out = def;
	if (!s)
		return;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		cv_err(v, s, name, "must be a whole number");
		return;
	}
	long long val = config_setting_get_int64(s);
	if (val < min || val > max) {
		cv_err(v, s, name, "must be between %lld and %lld (got %lld)",
		       (long long)min, (long long)max, val);
		return;
	}
	*out = val;
}

static void cv_int(struct cv *v, config_setting_t *grp, const char *gname,
                   const char *key, int def, int min, int max, int *out)
{
	int64_t val;
	cv_int64(v, grp, gname, key, def, min, max, &val);
	*out = (int)val;
}

static void cv_bool(struct cv *v, config_setting_t *grp, const char *gname,
                    const char *key, int def, int *out)
{
	char name[128];
	cv_name(gname, key, name, sizeof name);
	config_setting_t *s = grp ? config_setting_get_member(grp, key) : NULL;
	*out = def;
	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cv_err(v, s, name, "must be true or false");
		return;
	}
	*out = config_setting_get_bool(s);
}

/* Durations: a number of seconds, or a string such as "90s", "30m", "12h", "7d". */
static void cv_duration(struct cv *v, config_setting_t *grp, const char *gname,
                        const char *key, int def, int *out)
{
	char name[128];
	cv_name(gname, key, name, sizeof name);
	config_setting_t *s = grp ? config_setting_get_member(grp, key) : NULL;
	*out = def;
	if (!s)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_INT) {
		int val = config_setting_get_int(s);
		if (val <= 0)
			cv_err(v, s, name, "must be positive");
		else
			*out = val;
		return;
	}
	const char *str = config_setting_type(s) == CONFIG_TYPE_STRING
	                  ? config_setting_get_string(s) : NULL;
	char *end = NULL;
	long n = str ? strtol(str, &end, 10) : -1;
	long mult = 0;
	if (end && end != str && end[0] && !end[1]) {
		switch (end[0]) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: break;
		}
	}
	if (!mult || n <= 0 || n > INT_MAX / mult) {
		cv_err(v, s, name, "must be a duration such as 90s, 30m, 12h or 7d");
		return;
	}
	*out = (int)(n * mult);
}

static void cv_unknown(struct cv *v, config_setting_t *grp, const char *gname,
                       const char *const *known)
{
	if (!grp)
		return;
	for (int i = 0; i < config_setting_length(grp); i++) {
		config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *n = config_setting_name(s);
		if (!n)
			continue;
		int ok = 0;
		for (const char *const *k = known; *k; k++)
			if (strcmp(*k, n) == 0)
				ok = 1;
		if (ok)
			continue;
		char name[128];
		cv_name(gname, n, name, sizeof name);
		if (strcmp(n, "password") == 0)
			cv_err(v, s, name, "passwords are not allowed in the config; "
			       "use password_file (mode 0600) or password_env");
		else
			cv_err(v, s, name, "unknown setting");
	}
}

static config_setting_t *cv_group(struct cv *v, config_setting_t *parent,
                                  const char *key, int required)
{
	config_setting_t *s = config_setting_get_member(parent, key);
	if (!s) {
		if (required)
			cv_err(v, parent, key, "required section is missing");
		return NULL;
	}
	if (!config_setting_is_group(s)) {
		cv_err(v, s, key, "must be a group: %s = { ... };", key);
		return NULL;
	}
	return s;
}

/* A valid-looking addr-spec: enough to catch typos; the SMTP server decides. */
static int config_email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.'))
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>()[],;:\"\\", *p))
			return 0;
	return at[1] != '.' && s[strlen(s) - 1] != '.';
}

static void cv_email(struct cv *v, config_setting_t *grp, const char *gname,
                     const char *key, int required, char **out)
{
	cv_str(v, grp, gname, key, required, NULL, out);
	if (*out && **out && !config_email_ok(*out)) {
		char name[128];
		cv_name(gname, key, name, sizeof name);
		cv_err(v, config_setting_get_member(grp, key), name,
		       "not a valid email address: %s", *out);
	}
}

static int config_hhmm_ok(const char *s)
{
	return strlen(s) == 5 && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' &&
	       s[1] <= '9' && s[2] == ':' && s[3] >= '0' && s[3] <= '5' &&
	       s[4] >= '0' && s[4] <= '9' && (s[0] - '0') * 10 + (s[1] - '0') < 24;
}

int config_read_secret(const char *path, char **out, char **errp)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		return err_set(errp, errno == ENOENT ? FOID_ENOTFOUND : FOID_EIO,
		               "%s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return err_set(errp, FOID_EINVAL, "%s: not a regular file", path);
	if (sb.st_mode & 077)
		return err_set(errp, FOID_EPERM,
		               "%s: secret file is readable by group or others "
		               "(mode %04o); fix with: chmod 600 %s", path,
		               (unsigned)(sb.st_mode & 07777), path);
	char *data = NULL;
	int rc = util_read_file(path, &data, NULL, errp);
	if (rc)
		return rc;
	/* One line; a trailing newline is not part of the secret. */
	data[strcspn(data, "\r\n")] = '\0';
	if (!*data) {
		free(data);
		return err_set(errp, FOID_EINVAL, "%s: empty secret", path);
	}
	*out = data;
	return FOID_OK;
}

static void cv_server(struct cv *v, config_setting_t *root, const char *gname,
                      int imap, int check_secrets, struct config_server *srv)
{
	static const char *const known_common[] = {
		"host", "port", "security", "username", "password_file",
		"password_env", "ca_file", "timeout",
		/* smtp */
		"rate_per_minute", "rate_per_domain", "window", "give_up_after",
		"bcc_self",
		/* imap */
		"mailboxes", "sent_mailbox", "processed_keyword",
		"processed_mailbox", "idle", "poll_interval", NULL,
	};
	config_setting_t *g = cv_group(v, root, gname, 1);
	cv_unknown(v, g, gname, known_common);
	cv_str(v, g, gname, "host", 1, NULL, &srv->host);
	char *sec = NULL;
	cv_str(v, g, gname, "security", 0, "tls", &sec);
	char name[128];
	if (strcmp(sec, "tls") == 0) {
		srv->security = SEC_TLS;
	} else if (strcmp(sec, "starttls") == 0) {
		srv->security = SEC_STARTTLS;
	} else if (strcmp(sec, "plain") == 0) {
		srv->security = SEC_PLAIN;
	} else {
		cv_err(v, config_setting_get_member(g, "security"),
		       cv_name(gname, "security", name, sizeof name),
		       "must be \"tls\", \"starttls\" or \"plain\" (got \"%s\")", sec);
	}
	free(sec);
	int defport = imap ? (srv->security == SEC_TLS ? 993 : 143)
	                   : (srv->security == SEC_TLS ? 465 : 587);
	cv_int(v, g, gname, "port", defport, 1, 65535, &srv->port);
	cv_int(v, g, gname, "timeout", 30, 1, 3600, &srv->timeout);
	cv_str(v, g, gname, "username", 0, NULL, &srv->username);
	cv_path_setting(v, g, gname, "ca_file", 0, &srv->ca_file);
	if (srv->ca_file && access(srv->ca_file, R_OK) < 0)
		cv_err(v, config_setting_get_member(g, "ca_file"),
		       cv_name(gname, "ca_file", name, sizeof name), "%s: %s",
		       srv->ca_file, strerror(errno));
	char *pwfile = NULL, *pwenv = NULL;
	cv_path_setting(v, g, gname, "password_file", 0, &pwfile);
	cv_str(v, g, gname, "password_env", 0, NULL, &pwenv);
	if (pwfile && pwenv)
		cv_err(v, config_setting_get_member(g, "password_env"),
		       cv_name(gname, "password_env", name, sizeof name),
		       "give password_file or password_env, not both");
	if (srv->username && !pwfile && !pwenv)
		cv_err(v, config_setting_get_member(g, "username"),
		       cv_name(gname, "username", name, sizeof name),
		       "a username needs password_file or password_env");
	if (check_secrets && pwfile) {
		char *e = NULL;
		if (config_read_secret(pwfile, &srv->password, &e) < 0)
			cv_err(v, config_setting_get_member(g, "password_file"),
			       cv_name(gname, "password_file", name, sizeof name),
			       "%s", e);
		free(e);
	} else if (check_secrets && pwenv) {
		const char *val = getenv(pwenv);
		if (!val || !*val)
			cv_err(v, config_setting_get_member(g, "password_env"),
			       cv_name(gname, "password_env", name, sizeof name),
			       "environment variable %s is not set", pwenv);
		else
			srv->password = xstrdup(val);
	}
	free(pwfile);
	free(pwenv);
}

static void cv_steps(struct cv *v, config_setting_t *grp, const char *gname,
                     const char *key, struct config_reminders *r,
                     const struct config_reminder_step *defs, int ndefs)
{
	char name[128];
	cv_name(gname, key, name, sizeof name);
	config_setting_t *list = grp ? config_setting_get_member(grp, key) : NULL;
	if (!list) {
		r->steps = xcalloc((size_t)ndefs, sizeof *r->steps);
		r->nsteps = ndefs;
		for (int i = 0; i < ndefs; i++) {
			r->steps[i].name = xstrdup(defs[i].name);
			r->steps[i].offset_days = defs[i].offset_days;
			r->steps[i].template = xstrdup(defs[i].template);
		}
		return;
	}
	if (!config_setting_is_list(list)) {
		cv_err(v, list, name, "must be a list of steps: ( { ... }, ... )");
		return;
	}
	int n = config_setting_length(list);
	r->steps = xcalloc((size_t)n, sizeof *r->steps);
	for (int i = 0; i < n; i++) {
		static const char *const known[] = { "name", "after_due",
			"before_close", "template", NULL };
		config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		char sname[160];
		snprintf(sname, sizeof sname, "%.120s[%d]", name, i);
		if (!config_setting_is_group(s)) {
			cv_err(v, s, sname, "must be a group { name = ...; ... }");
			continue;
		}
		struct config_reminder_step *st = &r->steps[r->nsteps++];
		cv_unknown(v, s, sname, known);
		cv_str(v, s, sname, "name", 1, "", &st->name);
		cv_str(v, s, sname, "template", 1, "", &st->template);
		int after = 0, before = 0;
		cv_int(v, s, sname, "after_due", 0, 0, 365, &after);
		cv_int(v, s, sname, "before_close", 0, 0, 365, &before);
		int has_after = config_setting_get_member(s, "after_due") != NULL;
		int has_before = config_setting_get_member(s, "before_close") != NULL;
		if (has_after == has_before)
			cv_err(v, s, sname, "give exactly one of after_due or before_close");
		st->offset_days = has_after ? after : -before;
		for (int j = 0; j < r->nsteps - 1; j++)
			if (strcmp(r->steps[j].name, st->name) == 0)
				cv_err(v, s, sname, "step name \"%s\" used twice", st->name);
	}
}

static const struct config_reminder_step config_default_foi[] = {
	{ "overdue", 1, "chaser-overdue.txt" },
	{ "final", 20, "chaser-final.txt" },
};
static const struct config_reminder_step config_default_survey[] = {
	{ "courtesy", -5, "survey-courtesy.txt" },
	{ "overdue", 1, "survey-overdue.txt" },
};

static void config_validate(struct cv *v, config_t *lc, int check_secrets,
                            struct config *c)
{
	static const char *const known_root[] = {
		"database", "storage_dir", "data_dir", "templates_dir",
		"log_level", "team", "smtp", "imap", "limits", "deadlines",
		"reminders", NULL,
	};
	static const char *const known_team[] = {
		"name", "address", "reply_to", "plus_addressing",
		"digest_address", "digest_time", NULL,
	};
	static const char *const known_limits[] = {
		"max_message_size", "max_attachment_size", "max_parts", NULL,
	};
	static const char *const known_deadlines[] = {
		"timezone", "very_overdue_days", NULL,
	};
	static const char *const known_reminders[] = {
		"min_gap_days", "foi", "survey", NULL,
	};
	config_setting_t *root = config_root_setting(lc);
	cv_unknown(v, root, NULL, known_root);

	cv_path_setting(v, root, NULL, "database", 1, &c->database);
	cv_path_setting(v, root, NULL, "storage_dir", 0, &c->storage_dir);
	if (!c->storage_dir && c->database) {
		char *d = xstrdup(c->database);
		char *slash = strrchr(d, '/');
		if (slash)
			*slash = '\0';
		c->storage_dir = xasprintf("%s/store", slash ? d : ".");
		free(d);
	}
	cv_path_setting(v, root, NULL, "data_dir", 0, &c->data_dir);
	if (!c->data_dir)
		c->data_dir = xstrdup(FOID_DATADIR);
	cv_path_setting(v, root, NULL, "templates_dir", 0, &c->templates_dir);
	if (!c->templates_dir)
		c->templates_dir = xasprintf("%s/templates", c->data_dir);
	cv_str(v, root, NULL, "log_level", 0, "info", &c->log_level);
	if (strcmp(c->log_level, "error") && strcmp(c->log_level, "warn") &&
	    strcmp(c->log_level, "info") && strcmp(c->log_level, "debug"))
		cv_err(v, config_setting_get_member(root, "log_level"), "log_level",
		       "must be \"error\", \"warn\", \"info\" or \"debug\"");

	config_setting_t *team = cv_group(v, root, "team", 1);
	cv_unknown(v, team, "team", known_team);
	cv_str(v, team, "team", "name", 1, "", &c->team_name);
	cv_email(v, team, "team", "address", 1, &c->team_address);
	cv_email(v, team, "team", "reply_to", 0, &c->reply_to);
	cv_bool(v, team, "team", "plus_addressing", 0, &c->plus_addressing);
	cv_email(v, team, "team", "digest_address", 0, &c->digest_address);
	cv_str(v, team, "team", "digest_time", 0, "08:00", &c->digest_time);
	if (!config_hhmm_ok(c->digest_time))
		cv_err(v, config_setting_get_member(team, "digest_time"),
		       "team.digest_time", "must be HH:MM, 24-hour (got \"%s\")",
		       c->digest_time);

	cv_server(v, root, "smtp", 0, check_secrets, &c->smtp);
	config_setting_t *smtp = config_setting_get_member(root, "smtp");
	if (smtp && !config_setting_is_group(smtp))
		smtp = NULL;
	cv_int(v, smtp, "smtp", "rate_per_minute", 60, 1, 100000, &c->rate_per_minute);
	cv_int(v, smtp, "smtp", "rate_per_domain", 20, 1, 100000, &c->rate_per_domain);
	cv_str(v, smtp, "smtp", "window", 0, NULL, &c->send_window);
	if (c->send_window) {
		struct window w;
		char *e = NULL;
		if (window_parse(c->send_window, &w, &e) < 0)
			cv_err(v, config_setting_get_member(smtp, "window"),
			       "smtp.window", "%s", e);
		free(e);
	}
	cv_duration(v, smtp, "smtp", "give_up_after", 7 * 86400, &c->give_up_after);
	cv_bool(v, smtp, "smtp", "bcc_self", 1, &c->bcc_self);

	cv_server(v, root, "imap", 1, check_secrets, &c->imap);
	config_setting_t *imap = config_setting_get_member(root, "imap");
	if (imap && !config_setting_is_group(imap))
		imap = NULL;
	config_setting_t *mb = imap ? config_setting_get_member(imap, "mailboxes") : NULL;
	struct strv boxes = STRV_INIT;
	if (mb && (config_setting_is_array(mb) || config_setting_is_list(mb))) {
		for (int i = 0; i < config_setting_length(mb); i++) {
			const char *b = config_setting_get_string_elem(mb, i);
			if (!b || !*b)
				cv_err(v, mb, "imap.mailboxes", "element %d is not a "
				       "mailbox name in double quotes", i);
			else
				strv_push(&boxes, b);
		}
		if (boxes.n == 0)
			cv_err(v, mb, "imap.mailboxes", "must name at least one mailbox");
	} else if (mb) {
		cv_err(v, mb, "imap.mailboxes", "must be a list: [\"INBOX\", ...]");
	}
	if (boxes.n == 0)
		strv_push(&boxes, "INBOX");
	c->mailboxes = boxes.v;
	cv_str(v, imap, "imap", "sent_mailbox", 0, NULL, &c->sent_mailbox);
	cv_str(v, imap, "imap", "processed_keyword", 0, "$FoidSeen", &c->processed_keyword);
	for (const char *p = c->processed_keyword; *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("(){%*\"\\]", *p)) {
			cv_err(v, config_setting_get_member(imap, "processed_keyword"),
			       "imap.processed_keyword", "not a valid IMAP keyword");
			break;
		}
	cv_str(v, imap, "imap", "processed_mailbox", 0, NULL, &c->processed_mailbox);
	cv_bool(v, imap, "imap", "idle", 1, &c->idle);
	cv_duration(v, imap, "imap", "poll_interval", 60, &c->poll_interval);

	config_setting_t *lim = cv_group(v, root, "limits", 0);
	cv_unknown(v, lim, "limits", known_limits);
	cv_int64(v, lim, "limits", "max_message_size", 50LL << 20, 1024,
	         1LL << 32, &c->max_message_size);
	cv_int64(v, lim, "limits", "max_attachment_size", 25LL << 20, 1024,
	         1LL << 32, &c->max_attachment_size);
	cv_int(v, lim, "limits", "max_parts", 1000, 1, 100000, &c->max_parts);

	config_setting_t *dl = cv_group(v, root, "deadlines", 0);
	cv_unknown(v, dl, "deadlines", known_deadlines);
	cv_str(v, dl, "deadlines", "timezone", 0, NULL, &c->timezone);
	if (c->timezone) {
		char *zf = xasprintf("/usr/share/zoneinfo/%s", c->timezone);
		if (strstr(c->timezone, "..") || access(zf, R_OK) < 0)
			cv_err(v, config_setting_get_member(dl, "timezone"),
			       "deadlines.timezone", "unknown time zone \"%s\"",
			       c->timezone);
		free(zf);
	}
	cv_int(v, dl, "deadlines", "very_overdue_days", 20, 1, 365,
	       &c->very_overdue_days);

	config_setting_t *rem = cv_group(v, root, "reminders", 0);
	cv_unknown(v, rem, "reminders", known_reminders);
	cv_int(v, rem, "reminders", "min_gap_days", 3, 0, 60, &c->min_gap_days);
	cv_steps(v, rem, "reminders", "foi", &c->reminders_foi, config_default_foi, 2);
	cv_steps(v, rem, "reminders", "survey", &c->reminders_survey,
	         config_default_survey, 2);
}

int config_load(struct config **out, const char *path, int check_secrets,
                char **errp)
{
	config_t lc;
	config_init(&lc);
	struct cv v = { path, NULL, BUF_INIT, 0 };
	struct config *c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	int rc = FOID_OK;
	if (access(path, R_OK) < 0) {
		rc = err_set(errp, errno == ENOENT ? FOID_ENOTFOUND : FOID_EIO,
		             "%s: %s", path, strerror(errno));
		goto out;
	}
	/* The config names the servers and the password files: foid will not
	 * run on one that anybody on the machine may read or change. */
	struct stat sb;
	if (check_secrets && stat(path, &sb) == 0 && (sb.st_mode & 006)) {
		rc = err_set(errp, FOID_EPERM, "%s: readable or writable by others (mode "
		             "%04o); fix with: chmod o-rwx %s", path,
		             (unsigned)(sb.st_mode & 07777), path);
		goto out;
	}
	if (!config_read_file(&lc, path)) {
		rc = err_set(errp, FOID_EINVAL, "%s:%d: syntax error: %s",
		             config_error_file(&lc) ? config_error_file(&lc) : path,
		             config_error_line(&lc), config_error_text(&lc));
		goto out;
	}
	const char *slash = strrchr(path, '/');
	v.dir = slash ? xstrndup(path, (size_t)(slash - path)) : NULL;
	config_validate(&v, &lc, check_secrets, c);
	if (v.nerr) {
		rc = FOID_EINVAL;
		if (errp) {
			free(*errp);
			*errp = buf_detach(&v.errs);
		}
		goto out;
	}
	*out = c;
	c = NULL;
out:
	config_free(c);
	free(v.dir);
	buf_free(&v.errs);
	config_destroy(&lc);
	return rc;
}

static void config_server_free(struct config_server *s)
{
	free(s->host);
	free(s->username);
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->ca_file);
}

static void config_reminders_free(struct config_reminders *r)
{
	for (int i = 0; i < r->nsteps; i++) {
		free(r->steps[i].name);
		free(r->steps[i].template);
	}
	free(r->steps);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->database);
	free(c->storage_dir);
	free(c->data_dir);
	free(c->templates_dir);
	free(c->log_level);
	free(c->team_name);
	free(c->team_address);
	free(c->reply_to);
	free(c->digest_address);
	free(c->digest_time);
	config_server_free(&c->smtp);
	free(c->send_window);
	config_server_free(&c->imap);
	for (char **m = c->mailboxes; m && *m; m++)
		free(*m);
	free(c->mailboxes);
	free(c->sent_mailbox);
	free(c->processed_keyword);
	free(c->processed_mailbox);
	free(c->timezone);
	config_reminders_free(&c->reminders_foi);
	config_reminders_free(&c->reminders_survey);
	free(c);
}
