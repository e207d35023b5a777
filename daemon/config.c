#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deadline.h"
#include "util.h"
#include "window.h"

/* Collects every problem so the user can fix the whole file at once. */
struct cv {
	const char *file;
	char *dir;      /* for resolving relative paths */
	struct buf errs;
	int nerr;
};

/* ---- the key tables ----
 * One table per group owns each setting's type, default, range and place
 * in struct config: parsing, the unknown-key errors, the defaults and
 * config_defaults (which the example config is checked against) all read
 * it, so a setting is described once. */

enum ck_type {
	CK_STR,         /* char * */
	CK_PATH,        /* char *, resolved against the config's directory; "" is NULL */
	CK_INT,         /* int, in [min, max] */
	CK_INT64,       /* int64_t, in [min, max] */
	CK_BOOL,        /* int */
	CK_DURATION,    /* int seconds: a number or "90s", "30m", "12h", "7d" */
	CK_ENUM,        /* int: the index of the value in names */
	CK_STRLIST,     /* char **, NULL-terminated, at least one element */
	CK_STEPS,       /* struct config_reminders */
};

#define CK_REQUIRED  1u  /* missing or empty is an error */
#define CK_COMPUTED  2u  /* the default depends on other settings or the build */

struct ck {
	const char *key;
	enum ck_type type;
	unsigned flags;
	const char *def;          /* strings, enums, a list's one element */
	int64_t idef;             /* numbers, booleans, durations */
	int64_t min, max;         /* CK_INT, CK_INT64 */
	/* Strings and paths (non-empty values): 0, or an error in *errp. */
	int (*check)(const char *val, char **errp);
	const char *const *names; /* CK_ENUM, NULL-terminated */
	const struct config_reminder_step *steps; /* CK_STEPS default */
	int nsteps;
	size_t off;               /* destination: offset into the group's struct */
};

struct cg {
	const char *name;         /* NULL: the top level */
	int required;
	const struct ck *keys;
	size_t nkeys;
};

static int ck_email(const char *s, char **errp)
{
	if (!*s)
		return 0;     /* an optional address left empty: none */
	const char *at = strchr(s, '@');
	int ok = at && at != s && !strchr(at + 1, '@') && strchr(at + 1, '.') &&
	         at[1] != '.' && s[strlen(s) - 1] != '.';
	/* A valid-looking addr-spec: enough to catch typos; the SMTP server decides. */
	for (const char *p = s; ok && *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>()[],;:\"\\", *p))
			ok = 0;
	return ok ? 0 : err_set(errp, FOID_EINVAL, "not a valid email address: %s", s);
}

static int ck_hhmm(const char *s, char **errp)
{
	if (strlen(s) == 5 && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' &&
	    s[1] <= '9' && s[2] == ':' && s[3] >= '0' && s[3] <= '5' &&
	    s[4] >= '0' && s[4] <= '9' && (s[0] - '0') * 10 + (s[1] - '0') < 24)
		return 0;
	return err_set(errp, FOID_EINVAL, "must be HH:MM, 24-hour (got \"%s\")", s);
}

static int ck_log_level(const char *s, char **errp)
{
	if (strcmp(s, "error") && strcmp(s, "warn") && strcmp(s, "info") &&
	    strcmp(s, "debug"))
		return err_set(errp, FOID_EINVAL,
		               "must be \"error\", \"warn\", \"info\" or \"debug\"");
	return 0;
}

static int ck_window(const char *s, char **errp)
{
	struct window w;
	return window_parse(s, &w, errp);
}

static int ck_keyword(const char *s, char **errp)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("(){%*\"\\]", *p))
			return err_set(errp, FOID_EINVAL, "not a valid IMAP keyword");
	return 0;
}

static int ck_readable(const char *path, char **errp)
{
	if (access(path, R_OK) < 0)
		return err_set(errp, FOID_EIO, "%s: %s", path, strerror(errno));
	return 0;
}

static const char *const ck_security_names[] = { "tls", "starttls", "plain", NULL };
static const char *const ck_auth_names[] = { "password", "oauth2", "xoauth2",
	                                     "oauthbearer", NULL };
static const char *const ck_provider_names[] = { "none", "microsoft365", "google", NULL };
static const char *const ck_flow_names[] = { "device", "loopback", NULL };

static const struct config_reminder_step config_default_foi[] = {
	{ "overdue", 1, "chaser-overdue.txt" },
	{ "final", 20, "chaser-final.txt" },
};
static const struct config_reminder_step config_default_survey[] = {
	{ "courtesy", -5, "survey-courtesy.txt" },
	{ "overdue", 1, "survey-overdue.txt" },
};

#define CK_OFF(field) offsetof(struct config, field)
#define CK_LEN(a) (sizeof (a) / sizeof (a)[0])

static const struct ck ck_root[] = {
	{ .key = "database", .type = CK_PATH, .flags = CK_REQUIRED, .off = CK_OFF(database) },
	{ .key = "storage_dir", .type = CK_PATH, .flags = CK_COMPUTED, .off = CK_OFF(storage_dir) },
	{ .key = "data_dir", .type = CK_PATH, .flags = CK_COMPUTED, .def = FOID_DATADIR,
	  .off = CK_OFF(data_dir) },
	{ .key = "templates_dir", .type = CK_PATH, .flags = CK_COMPUTED, .off = CK_OFF(templates_dir) },
	{ .key = "log_level", .type = CK_STR, .def = "info", .check = ck_log_level,
	  .off = CK_OFF(log_level) },
	{ .key = "ocr", .type = CK_BOOL, .idef = 0, .off = CK_OFF(ocr) },
};

static const struct ck ck_team[] = {
	{ .key = "name", .type = CK_STR, .flags = CK_REQUIRED, .def = "", .off = CK_OFF(team_name) },
	{ .key = "address", .type = CK_STR, .flags = CK_REQUIRED, .check = ck_email,
	  .off = CK_OFF(team_address) },
	{ .key = "reply_to", .type = CK_STR, .check = ck_email, .off = CK_OFF(reply_to) },
	{ .key = "plus_addressing", .type = CK_BOOL, .idef = 0, .off = CK_OFF(plus_addressing) },
	{ .key = "digest_address", .type = CK_STR, .check = ck_email, .off = CK_OFF(digest_address) },
	{ .key = "digest_time", .type = CK_STR, .def = "08:00", .check = ck_hhmm,
	  .off = CK_OFF(digest_time) },
};

/* The settings both servers have; port's default follows security, and a
 * provider fills host, port, security, auth and the OAuth2 endpoints. */
#define CK_SERVER(srv) \
	{ .key = "provider", .type = CK_ENUM, .def = "none", .names = ck_provider_names, \
	  .off = CK_OFF(srv.provider) }, \
	{ .key = "host", .type = CK_STR, .flags = CK_COMPUTED, .off = CK_OFF(srv.host) }, \
	{ .key = "port", .type = CK_INT, .flags = CK_COMPUTED, .min = 1, .max = 65535, \
	  .off = CK_OFF(srv.port) }, \
	{ .key = "security", .type = CK_ENUM, .flags = CK_COMPUTED, .def = "tls", \
	  .names = ck_security_names, .off = CK_OFF(srv.security) }, \
	{ .key = "auth", .type = CK_ENUM, .flags = CK_COMPUTED, .def = "password", \
	  .names = ck_auth_names, .off = CK_OFF(srv.auth) }, \
	{ .key = "username", .type = CK_STR, .off = CK_OFF(srv.username) }, \
	{ .key = "password_file", .type = CK_PATH, .off = CK_OFF(srv.password_file) }, \
	{ .key = "password_env", .type = CK_STR, .off = CK_OFF(srv.password_env) }, \
	{ .key = "ca_file", .type = CK_PATH, .check = ck_readable, .off = CK_OFF(srv.ca_file) }, \
	{ .key = "timeout", .type = CK_INT, .idef = 30, .min = 1, .max = 3600, \
	  .off = CK_OFF(srv.timeout) }, \
	{ .key = "token_command", .type = CK_STR, .off = CK_OFF(srv.token_command) }, \
	{ .key = "token_file", .type = CK_PATH, .flags = CK_COMPUTED, \
	  .off = CK_OFF(srv.token_file) }, \
	{ .key = "flow", .type = CK_ENUM, .flags = CK_COMPUTED, .def = "device", \
	  .names = ck_flow_names, .off = CK_OFF(srv.flow) }, \
	{ .key = "client_id", .type = CK_STR, .off = CK_OFF(srv.client_id) }, \
	{ .key = "client_secret_file", .type = CK_PATH, .off = CK_OFF(srv.client_secret_file) }, \
	{ .key = "tenant", .type = CK_STR, .flags = CK_COMPUTED, .off = CK_OFF(srv.tenant) }, \
	{ .key = "device_url", .type = CK_STR, .flags = CK_COMPUTED, .off = CK_OFF(srv.device_url) }, \
	{ .key = "authorize_url", .type = CK_STR, .flags = CK_COMPUTED, \
	  .off = CK_OFF(srv.authorize_url) }, \
	{ .key = "token_url", .type = CK_STR, .flags = CK_COMPUTED, .off = CK_OFF(srv.token_url) }, \
	{ .key = "scope", .type = CK_STR, .flags = CK_COMPUTED, .off = CK_OFF(srv.scope) }

static const struct ck ck_smtp[] = {
	CK_SERVER(smtp),
	{ .key = "rate_per_minute", .type = CK_INT, .idef = 60, .min = 1, .max = 100000,
	  .off = CK_OFF(rate_per_minute) },
	{ .key = "rate_per_domain", .type = CK_INT, .idef = 20, .min = 1, .max = 100000,
	  .off = CK_OFF(rate_per_domain) },
	{ .key = "recipients_per_day", .type = CK_INT, .flags = CK_COMPUTED, .min = 0,
	  .max = 10000000, .off = CK_OFF(recipients_per_day) },
	{ .key = "window", .type = CK_STR, .check = ck_window, .off = CK_OFF(send_window) },
	{ .key = "give_up_after", .type = CK_DURATION, .idef = 7 * 86400,
	  .off = CK_OFF(give_up_after) },
	{ .key = "bcc_self", .type = CK_BOOL, .idef = 1, .off = CK_OFF(bcc_self) },
};

static const struct ck ck_imap[] = {
	CK_SERVER(imap),
	{ .key = "mailboxes", .type = CK_STRLIST, .def = "INBOX", .off = CK_OFF(mailboxes) },
	{ .key = "sent_mailbox", .type = CK_STR, .off = CK_OFF(sent_mailbox) },
	{ .key = "processed_keyword", .type = CK_STR, .def = "$FoidSeen", .check = ck_keyword,
	  .off = CK_OFF(processed_keyword) },
	{ .key = "processed_mailbox", .type = CK_STR, .off = CK_OFF(processed_mailbox) },
	{ .key = "idle", .type = CK_BOOL, .idef = 1, .off = CK_OFF(idle) },
	{ .key = "poll_interval", .type = CK_DURATION, .idef = 60, .off = CK_OFF(poll_interval) },
};

static const struct ck ck_limits[] = {
	{ .key = "max_message_size", .type = CK_INT64, .idef = 50LL << 20, .min = 1024,
	  .max = 1LL << 32, .off = CK_OFF(max_message_size) },
	{ .key = "max_attachment_size", .type = CK_INT64, .idef = 25LL << 20, .min = 1024,
	  .max = 1LL << 32, .off = CK_OFF(max_attachment_size) },
	{ .key = "max_parts", .type = CK_INT, .idef = 1000, .min = 1, .max = 100000,
	  .off = CK_OFF(max_parts) },
};

static const struct ck ck_deadlines[] = {
	{ .key = "timezone", .type = CK_STR, .check = deadline_tz_check, .off = CK_OFF(timezone) },
	{ .key = "very_overdue_days", .type = CK_INT, .idef = 20, .min = 1, .max = 365,
	  .off = CK_OFF(very_overdue_days) },
};

static const struct ck ck_reminders[] = {
	{ .key = "min_gap_days", .type = CK_INT, .idef = 3, .min = 0, .max = 60,
	  .off = CK_OFF(min_gap_days) },
	{ .key = "foi", .type = CK_STEPS, .steps = config_default_foi,
	  .nsteps = (int)CK_LEN(config_default_foi), .off = CK_OFF(reminders_foi) },
	{ .key = "survey", .type = CK_STEPS, .steps = config_default_survey,
	  .nsteps = (int)CK_LEN(config_default_survey), .off = CK_OFF(reminders_survey) },
};

static const struct ck ck_classify[] = {
	{ .key = "review_below", .type = CK_INT, .idef = 60, .min = 0, .max = 100,
	  .off = CK_OFF(review_below) },
};

enum { CG_ROOT, CG_TEAM, CG_SMTP, CG_IMAP, CG_LIMITS, CG_DEADLINES, CG_REMINDERS,
       CG_CLASSIFY, CG_COUNT };
static const struct cg config_groups[CG_COUNT] = {
	[CG_ROOT] = { NULL, 1, ck_root, CK_LEN(ck_root) },
	[CG_TEAM] = { "team", 1, ck_team, CK_LEN(ck_team) },
	[CG_SMTP] = { "smtp", 1, ck_smtp, CK_LEN(ck_smtp) },
	[CG_IMAP] = { "imap", 1, ck_imap, CK_LEN(ck_imap) },
	[CG_LIMITS] = { "limits", 0, ck_limits, CK_LEN(ck_limits) },
	[CG_DEADLINES] = { "deadlines", 0, ck_deadlines, CK_LEN(ck_deadlines) },
	[CG_REMINDERS] = { "reminders", 0, ck_reminders, CK_LEN(ck_reminders) },
	[CG_CLASSIFY] = { "classify", 0, ck_classify, CK_LEN(ck_classify) },
};

/* One reminder step as written; config_steps turns it into a step. */
struct ck_step {
	char *name;
	char *template;
	int after_due;
	int before_close;
};

#define CK_STEP_OFF(field) offsetof(struct ck_step, field)
static const struct ck ck_step_keys[] = {
	{ .key = "name", .type = CK_STR, .flags = CK_REQUIRED, .def = "", .off = CK_STEP_OFF(name) },
	{ .key = "after_due", .type = CK_INT, .min = 0, .max = 365, .off = CK_STEP_OFF(after_due) },
	{ .key = "before_close", .type = CK_INT, .min = 0, .max = 365,
	  .off = CK_STEP_OFF(before_close) },
	{ .key = "template", .type = CK_STR, .flags = CK_REQUIRED, .def = "",
	  .off = CK_STEP_OFF(template) },
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

static config_setting_t *cv_member(config_setting_t *grp, const char *key)
{
	return grp ? config_setting_get_member(grp, key) : NULL;
}

static void cv_string(struct cv *v, config_setting_t *grp, config_setting_t *s,
                      const char *name, const struct ck *k, char **out)
{
	int required = k->flags & CK_REQUIRED;
	const char *val = k->def;
	int given = 0;
	if (!s) {
		if (required)
			cv_err(v, grp, name, "required setting is missing");
	} else if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cv_err(v, s, name, "must be a string in double quotes");
	} else if (strpbrk(config_setting_get_string(s), "\r\n")) {
		cv_err(v, s, name, "must not contain a line break");
	} else {
		val = config_setting_get_string(s);
		given = 1;
		if (required && !*val)
			cv_err(v, s, name, "must not be empty");
	}
	if (k->type == CK_PATH)
		*out = val && *val ? cv_path(v, val) : k->def ? cv_path(v, k->def) : NULL;
	else
		*out = xstrdup(val);
	char *e = NULL;
	if (given && *out && k->check && k->check(*out, &e) < 0)
		cv_err(v, s, name, "%s", e);
	free(e);
}

static void cv_number(struct cv *v, config_setting_t *s, const char *name,
                      const struct ck *k, int64_t *out)
{
	*out = k->idef;
	if (!s)
		return;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		cv_err(v, s, name, "must be a whole number");
		return;
	}
	long long val = config_setting_get_int64(s);
	if (val < k->min || val > k->max) {
		cv_err(v, s, name, "must be between %lld and %lld (got %lld)",
		       (long long)k->min, (long long)k->max, val);
		return;
	}
	*out = val;
}

static void cv_bool(struct cv *v, config_setting_t *s, const char *name,
                    const struct ck *k, int *out)
{
	*out = (int)k->idef;
	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cv_err(v, s, name, "must be true or false");
		return;
	}
	*out = config_setting_get_bool(s);
}

static void cv_duration(struct cv *v, config_setting_t *s, const char *name,
                        const struct ck *k, int *out)
{
	*out = (int)k->idef;
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

static void cv_enum(struct cv *v, config_setting_t *grp, config_setting_t *s,
                    const char *name, const struct ck *k, int *out)
{
	char *val = NULL;
	cv_string(v, grp, s, name, k, &val);
	int found = -1;
	for (int i = 0; k->names[i]; i++) {
		if (strcmp(k->names[i], k->def) == 0)
			*out = i;
		if (strcmp(k->names[i], val) == 0)
			found = i;
	}
	if (found >= 0) {
		*out = found;
	} else {
		struct buf b = BUF_INIT;
		for (int i = 0; k->names[i]; i++)
			buf_addf(&b, "%s\"%s\"", i == 0 ? "" : k->names[i + 1] ? ", " : " or ",
			         k->names[i]);
		cv_err(v, s, name, "must be %s (got \"%s\")", b.data, val);
		buf_free(&b);
	}
	free(val);
}

static void cv_strlist(struct cv *v, config_setting_t *s, const char *name,
                       const struct ck *k, char ***out)
{
	struct strv items = STRV_INIT;
	if (s && (config_setting_is_array(s) || config_setting_is_list(s))) {
		for (int i = 0; i < config_setting_length(s); i++) {
			const char *item = config_setting_get_string_elem(s, i);
			if (!item || !*item)
				cv_err(v, s, name, "element %d is not a mailbox name in "
				       "double quotes", i);
			else
				strv_push(&items, item);
		}
		if (items.n == 0)
			cv_err(v, s, name, "must name at least one mailbox");
	} else if (s) {
		cv_err(v, s, name, "must be a list: [\"%s\", ...]", k->def);
	}
	if (items.n == 0)
		strv_push(&items, k->def);
	*out = items.v;
}

static void cv_table(struct cv *v, config_setting_t *grp, const char *gname,
                     const struct ck *keys, size_t nkeys, void *base);

static void cv_steps(struct cv *v, config_setting_t *list, const char *name,
                     const struct ck *k, struct config_reminders *r)
{
	if (!list) {
		r->steps = xcalloc((size_t)k->nsteps, sizeof *r->steps);
		r->nsteps = k->nsteps;
		for (int i = 0; i < k->nsteps; i++) {
			r->steps[i].name = xstrdup(k->steps[i].name);
			r->steps[i].offset_days = k->steps[i].offset_days;
			r->steps[i].template = xstrdup(k->steps[i].template);
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
		config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		char sname[160];
		snprintf(sname, sizeof sname, "%.120s[%d]", name, i);
		if (!config_setting_is_group(s)) {
			cv_err(v, s, sname, "must be a group { name = ...; ... }");
			continue;
		}
		struct ck_step raw = { 0 };
		cv_table(v, s, sname, ck_step_keys, CK_LEN(ck_step_keys), &raw);
		struct config_reminder_step *st = &r->steps[r->nsteps++];
		st->name = raw.name;
		st->template = raw.template;
		int has_after = config_setting_get_member(s, "after_due") != NULL;
		int has_before = config_setting_get_member(s, "before_close") != NULL;
		if (has_after == has_before)
			cv_err(v, s, sname, "give exactly one of after_due or before_close");
		st->offset_days = has_after ? raw.after_due : -raw.before_close;
		for (int j = 0; j < r->nsteps - 1; j++)
			if (strcmp(r->steps[j].name, st->name) == 0)
				cv_err(v, s, sname, "step name \"%s\" used twice", st->name);
	}
}

static void cv_key(struct cv *v, config_setting_t *grp, const char *gname,
                   const struct ck *k, void *base)
{
	char name[160];
	cv_name(gname, k->key, name, sizeof name);
	config_setting_t *s = cv_member(grp, k->key);
	void *dst = (char *)base + k->off;
	int64_t n;
	switch (k->type) {
	case CK_STR:
	case CK_PATH:
		cv_string(v, grp, s, name, k, dst);
		break;
	case CK_INT:
		cv_number(v, s, name, k, &n);
		*(int *)dst = (int)n;
		break;
	case CK_INT64:
		cv_number(v, s, name, k, dst);
		break;
	case CK_BOOL:
		cv_bool(v, s, name, k, dst);
		break;
	case CK_DURATION:
		cv_duration(v, s, name, k, dst);
		break;
	case CK_ENUM:
		cv_enum(v, grp, s, name, k, dst);
		break;
	case CK_STRLIST:
		cv_strlist(v, s, name, k, dst);
		break;
	case CK_STEPS:
		cv_steps(v, s, name, k, dst);
		break;
	}
}

static const struct ck *ck_find(const struct ck *keys, size_t nkeys, const char *key)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

/* A key that another group has is reported as such: the usual mistake is
 * a setting put in the wrong group, which would otherwise be ignored. */
static void cv_unknown(struct cv *v, config_setting_t *grp, const char *gname,
                       const struct ck *keys, size_t nkeys)
{
	for (int i = 0; i < config_setting_length(grp); i++) {
		config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *n = config_setting_name(s);
		if (!n || ck_find(keys, nkeys, n))
			continue;
		int is_root = keys == ck_root;
		struct buf owners = BUF_INIT;
		for (size_t g = 0; g < CK_LEN(config_groups); g++) {
			const struct cg *o = &config_groups[g];
			if (is_root && o->name && strcmp(o->name, n) == 0)
				goto next;
			if (o->keys == keys || !ck_find(o->keys, o->nkeys, n))
				continue;
			buf_addf(&owners, "%s%s", owners.len ? " and " : "",
			         o->name ? o->name : "the top level");
		}
		char name[160];
		cv_name(gname, n, name, sizeof name);
		if (strcmp(n, "password") == 0)
			cv_err(v, s, name, "passwords are not allowed in the config; "
			       "use password_file (mode 0600) or password_env");
		else if (owners.len)
			cv_err(v, s, name, "not a setting of %s (it belongs to %s)",
			       gname ? gname : "the top level", owners.data);
		else
			cv_err(v, s, name, "unknown setting");
	next:
		buf_free(&owners);
	}
}

static void cv_table(struct cv *v, config_setting_t *grp, const char *gname,
                     const struct ck *keys, size_t nkeys, void *base)
{
	if (grp)
		cv_unknown(v, grp, gname, keys, nkeys);
	for (size_t i = 0; i < nkeys; i++)
		cv_key(v, grp, gname, &keys[i], base);
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

/* What a provider fills in where the file says nothing. */
struct config_preset {
	const char *host;
	int port;
	enum config_security security;
	enum config_auth auth;
	enum config_flow flow;
	const char *device_url, *authorize_url, *token_url; /* %s: the tenant */
	const char *scope;
	int rate_per_minute, recipients_per_day;            /* smtp only */
};

#define CONFIG_MS_LOGIN "https://login.microsoftonline.com/%s/oauth2/v2.0/"
static const struct config_preset config_presets[][2] = {
	[PROVIDER_MICROSOFT365] = {
		{ "outlook.office365.com", 993, SEC_TLS, AUTH_XOAUTH2, FLOW_DEVICE,
		  CONFIG_MS_LOGIN "devicecode", CONFIG_MS_LOGIN "authorize",
		  CONFIG_MS_LOGIN "token",
		  "https://outlook.office.com/IMAP.AccessAsUser.All offline_access", 0, 0 },
		/* Exchange Online: 30 messages a minute, 10 000 recipients a day. */
		{ "smtp.office365.com", 587, SEC_STARTTLS, AUTH_XOAUTH2, FLOW_DEVICE,
		  CONFIG_MS_LOGIN "devicecode", CONFIG_MS_LOGIN "authorize",
		  CONFIG_MS_LOGIN "token",
		  "https://outlook.office.com/SMTP.Send offline_access", 30, 10000 },
	},
	/* Google's device flow refuses the mail scope: loopback only. */
	[PROVIDER_GOOGLE] = {
		{ "imap.gmail.com", 993, SEC_TLS, AUTH_OAUTH2, FLOW_LOOPBACK, NULL,
		  "https://accounts.google.com/o/oauth2/v2/auth",
		  "https://oauth2.googleapis.com/token", "https://mail.google.com/", 0, 0 },
		/* Workspace: 2 000 messages a day; a conservative recipient budget. */
		{ "smtp.gmail.com", 465, SEC_TLS, AUTH_OAUTH2, FLOW_LOOPBACK, NULL,
		  "https://accounts.google.com/o/oauth2/v2/auth",
		  "https://oauth2.googleapis.com/token", "https://mail.google.com/", 60, 2000 },
	},
};

/* Token endpoints carry refresh tokens: TLS, except on loopback (the
 * test identity provider, or a local token broker). */
static int config_url_ok(const char *url)
{
	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0' && url[8] != '/';
	static const char *const local[] = { "http://127.0.0.1:", "http://127.0.0.1/",
		                             "http://[::1]:", "http://[::1]/",
		                             "http://localhost:", "http://localhost/" };
	for (size_t i = 0; i < CK_LEN(local); i++)
		if (strncmp(url, local[i], strlen(local[i])) == 0)
			return 1;
	return 0;
}

/* A preset URL with its "%s" replaced by the tenant. */
static void cv_fill(char **dst, const char *preset, const char *tenant)
{
	if (*dst || !preset)
		return;
	const char *at = strstr(preset, "%s");
	*dst = at ? xasprintf("%.*s%s%s", (int)(at - preset), preset, tenant, at + 2)
	          : xstrdup(preset);
}

/* What the table cannot say alone: the port follows security, the
 * password comes from exactly one place, a provider fills in the rest,
 * and an OAuth2 login has what it needs. */
static void cv_server(struct cv *v, config_setting_t *g, const char *gname,
                      int imap, int check_secrets, const char *dbdir,
                      struct config_server *srv)
{
	char name[128];
	srv->section = imap ? "imap" : "smtp";
	const struct config_preset *p = srv->provider != PROVIDER_NONE
	                                ? &config_presets[srv->provider][imap ? 0 : 1] : NULL;
	if (p) {
		if (!srv->host)
			srv->host = xstrdup(p->host);
		if (!cv_member(g, "port") && !cv_member(g, "security")) {
			srv->port = p->port;
			srv->security = p->security;
		}
		if (!cv_member(g, "auth"))
			srv->auth = p->auth;
		if (!cv_member(g, "flow"))
			srv->flow = p->flow;
		if (!srv->tenant && srv->provider == PROVIDER_MICROSOFT365)
			srv->tenant = xstrdup("organizations");
		cv_fill(&srv->device_url, p->device_url, srv->tenant);
		cv_fill(&srv->authorize_url, p->authorize_url, srv->tenant);
		cv_fill(&srv->token_url, p->token_url, srv->tenant);
		cv_fill(&srv->scope, p->scope, NULL);
	} else if (!cv_member(g, "auth") && (srv->token_command || srv->client_id)) {
		srv->auth = AUTH_OAUTH2;
	}
	if (!srv->host)
		cv_err(v, g, cv_name(gname, "host", name, sizeof name),
		       "required setting is missing (or set %s.provider)", gname);
	if (!srv->port)
		srv->port = imap ? (srv->security == SEC_TLS ? 993 : 143)
		                 : (srv->security == SEC_TLS ? 465 : 587);
	if (srv->password_file && srv->password_env)
		cv_err(v, cv_member(g, "password_env"),
		       cv_name(gname, "password_env", name, sizeof name),
		       "give password_file or password_env, not both");
	int oauth = srv->auth != AUTH_PASSWORD;
	if (oauth) {
		if (!srv->username)
			cv_err(v, g, cv_name(gname, "username", name, sizeof name),
			       "an OAuth2 login needs the mailbox's address as username");
		if (srv->password_file || srv->password_env)
			cv_err(v, cv_member(g, srv->password_file ? "password_file" : "password_env"),
			       cv_name(gname, srv->password_file ? "password_file" : "password_env",
			               name, sizeof name),
			       "an OAuth2 login takes no password (auth = \"%s\")",
			       ck_auth_names[srv->auth]);
		if (srv->token_command && cv_member(g, "token_file"))
			cv_err(v, cv_member(g, "token_file"),
			       cv_name(gname, "token_file", name, sizeof name),
			       "give token_command or token_file, not both");
		if (!srv->token_command && (!srv->client_id || !srv->token_url))
			cv_err(v, g, cv_name(gname, "auth", name, sizeof name),
			       "an OAuth2 login needs token_command, or client_id and "
			       "token_url (or a provider)");
		if (!srv->token_command && !srv->token_file)
			srv->token_file = xasprintf("%s/token-%s.json", dbdir, srv->section);
	} else if (srv->username && !srv->password_file && !srv->password_env) {
		cv_err(v, cv_member(g, "username"),
		       cv_name(gname, "username", name, sizeof name),
		       "a username needs password_file or password_env");
	}
	static const char *const urls[] = { "device_url", "authorize_url", "token_url" };
	char *const vals[] = { srv->device_url, srv->authorize_url, srv->token_url };
	for (size_t i = 0; i < CK_LEN(urls); i++)
		if (vals[i] && !config_url_ok(vals[i]))
			cv_err(v, cv_member(g, urls[i]) ? cv_member(g, urls[i]) : g,
			       cv_name(gname, urls[i], name, sizeof name),
			       "must be an https:// URL (http:// only on 127.0.0.1, [::1] "
			       "or localhost)");
	struct stat sb;
	if (check_secrets && oauth && srv->token_file && stat(srv->token_file, &sb) == 0 &&
	    (sb.st_mode & 077))
		cv_err(v, cv_member(g, "token_file") ? cv_member(g, "token_file") : g,
		       cv_name(gname, "token_file", name, sizeof name),
		       "%s: token file is readable by group or others (mode %04o); "
		       "fix with: chmod 600 %s", srv->token_file,
		       (unsigned)(sb.st_mode & 07777), srv->token_file);
	if (check_secrets && srv->client_secret_file) {
		char *e = NULL;
		if (config_read_secret(srv->client_secret_file, &srv->client_secret, &e) < 0)
			cv_err(v, cv_member(g, "client_secret_file"),
			       cv_name(gname, "client_secret_file", name, sizeof name), "%s", e);
		free(e);
	}
	if (check_secrets && srv->password_file) {
		char *e = NULL;
		if (config_read_secret(srv->password_file, &srv->password, &e) < 0)
			cv_err(v, cv_member(g, "password_file"),
			       cv_name(gname, "password_file", name, sizeof name),
			       "%s", e);
		free(e);
	} else if (check_secrets && srv->password_env) {
		const char *val = getenv(srv->password_env);
		if (!val || !*val)
			cv_err(v, cv_member(g, "password_env"),
			       cv_name(gname, "password_env", name, sizeof name),
			       "environment variable %s is not set", srv->password_env);
		else
			srv->password = xstrdup(val);
	}
}

static void config_validate(struct cv *v, config_t *lc, int check_secrets,
                            struct config *c)
{
	config_setting_t *root = config_root_setting(lc);
	config_setting_t *grp[CG_COUNT];
	for (size_t i = 0; i < CK_LEN(config_groups); i++) {
		const struct cg *g = &config_groups[i];
		grp[i] = g->name ? cv_group(v, root, g->name, g->required) : root;
		cv_table(v, grp[i], g->name, g->keys, g->nkeys, c);
	}
	if (!c->storage_dir && c->database) {
		char *d = xstrdup(c->database);
		char *slash = strrchr(d, '/');
		if (slash)
			*slash = '\0';
		c->storage_dir = xasprintf("%s/store", slash ? d : ".");
		free(d);
	}
	if (!c->templates_dir)
		c->templates_dir = xasprintf("%s/templates", c->data_dir);
	char *dbdir = xstrdup(c->database ? c->database : ".");
	char *slash = strrchr(dbdir, '/');
	if (slash)
		*slash = '\0';
	cv_server(v, grp[CG_SMTP], "smtp", 0, check_secrets, slash ? dbdir : ".", &c->smtp);
	cv_server(v, grp[CG_IMAP], "imap", 1, check_secrets, slash ? dbdir : ".", &c->imap);
	free(dbdir);
	/* The provider's sending limits, unless the file sets its own. */
	const struct config_preset *p = c->smtp.provider != PROVIDER_NONE
	                                ? &config_presets[c->smtp.provider][1] : NULL;
	if (p && !cv_member(grp[CG_SMTP], "rate_per_minute"))
		c->rate_per_minute = p->rate_per_minute;
	if (p && !cv_member(grp[CG_SMTP], "recipients_per_day"))
		c->recipients_per_day = p->recipients_per_day;
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

/* The default as libconfig text, or 0 when there is no fixed one. */
static int config_default_text(const struct ck *k, struct buf *b)
{
	if (k->flags & (CK_REQUIRED | CK_COMPUTED))
		return 0;
	switch (k->type) {
	case CK_STR:
	case CK_PATH:
	case CK_ENUM:
		if (!k->def)
			return 0;
		buf_addf(b, "\"%s\"", k->def);
		return 1;
	case CK_INT:
	case CK_INT64:
		buf_addf(b, "%lld", (long long)k->idef);
		return 1;
	case CK_BOOL:
		buf_adds(b, k->idef ? "true" : "false");
		return 1;
	case CK_DURATION:
		if (k->idef % 86400 == 0)
			buf_addf(b, "\"%lldd\"", (long long)(k->idef / 86400));
		else
			buf_addf(b, "\"%llds\"", (long long)k->idef);
		return 1;
	case CK_STRLIST:
		buf_addf(b, "[ \"%s\" ]", k->def);
		return 1;
	case CK_STEPS:
		buf_adds(b, "(");
		for (int i = 0; i < k->nsteps; i++) {
			const struct config_reminder_step *st = &k->steps[i];
			buf_addf(b, "%s { name = \"%s\"; %s = %d; template = \"%s\"; }",
			         i ? "," : "", st->name,
			         st->offset_days < 0 ? "before_close" : "after_due",
			         abs(st->offset_days), st->template);
		}
		buf_adds(b, " )");
		return 1;
	}
	return 0;
}

char *config_defaults(void)
{
	struct buf b = BUF_INIT;
	struct buf def = BUF_INIT;
	for (size_t g = 0; g < CK_LEN(config_groups); g++) {
		const struct cg *grp = &config_groups[g];
		const char *indent = grp->name ? "  " : "";
		if (grp->name)
			buf_addf(&b, "\n%s = {\n", grp->name);
		for (size_t i = 0; i < grp->nkeys; i++) {
			buf_reset(&def);
			if (config_default_text(&grp->keys[i], &def))
				buf_addf(&b, "%s%s = %s;\n", indent, grp->keys[i].key, def.data);
			else
				buf_addf(&b, "%s# %s\n", indent, grp->keys[i].key);
		}
		if (grp->name)
			buf_adds(&b, "};\n");
	}
	buf_free(&def);
	return buf_detach(&b);
}

static void config_server_free(struct config_server *s)
{
	free(s->host);
	free(s->username);
	util_wipe(s->password);
	free(s->password_file);
	free(s->password_env);
	free(s->ca_file);
	free(s->token_command);
	free(s->token_file);
	free(s->client_id);
	util_wipe(s->client_secret);
	free(s->client_secret_file);
	free(s->tenant);
	free(s->device_url);
	free(s->authorize_url);
	free(s->token_url);
	free(s->scope);
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
