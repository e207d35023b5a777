#include "ctl.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "store.h"
#include "util.h"

const char *ctl_config_file(const struct ctl *c)
{
	if (c->config_path)
		return c->config_path;
	const char *env = getenv("FOID_CONFIG");
	return env && *env ? env : CONFIG_DEFAULT_PATH;
}

struct config *ctl_config(struct ctl *c)
{
	if (c->cfg)
		return c->cfg;
	char *err = NULL;
	const char *path = ctl_config_file(c);
	if (config_load(&c->cfg, path, 0, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		if (!c->config_path && !getenv("FOID_CONFIG"))
			fprintf(stderr, "foictl: give the config with -c FILE or "
			        "FOID_CONFIG\n");
		free(err);
		return NULL;
	}
	return c->cfg;
}

struct store *ctl_store(struct ctl *c)
{
	if (c->st)
		return c->st;
	struct config *cfg = ctl_config(c);
	if (!cfg)
		return NULL;
	char *err = NULL;
	if (store_open(&c->st, cfg->database, &err) < 0) {
		fprintf(stderr, "foictl: %s\n", err);
		free(err);
		return NULL;
	}
	return c->st;
}

/* No config given and none installed: foictl deadline still works. */
static int ctl_config_none(const struct ctl *c)
{
	return !c->cfg && !c->config_path && !getenv("FOID_CONFIG") &&
	       access(CONFIG_DEFAULT_PATH, R_OK) < 0;
}

int ctl_open_data(struct ctl *c)
{
	if (c->data_dir || ctl_config_none(c))
		return EX_OK;
	return ctl_config(c) ? EX_OK : EX_CONFIG;
}

const char *ctl_data_dir(struct ctl *c)
{
	if (c->data_dir)
		return c->data_dir;
	if (ctl_config_none(c))
		return FOID_DATADIR;
	struct config *cfg = ctl_config(c);
	return cfg ? cfg->data_dir : FOID_DATADIR;
}

void ctl_release(struct ctl *c)
{
	store_close(c->st);
	c->st = NULL;
	config_free(c->cfg);
	c->cfg = NULL;
}

int ctl_exit_code(int rc)
{
	switch (rc) {
	case FOID_OK: return EX_OK;
	case FOID_EINVAL: return EX_DATAERR;
	case FOID_ENOTFOUND: return EX_NOINPUT;
	case FOID_EEXIST: return EX_CANTCREAT;
	case FOID_ETEMP: return EX_TEMPFAIL;
	case FOID_EIO: return EX_IOERR;
	case FOID_EPERM: return EX_NOPERM;
	default: return EX_SOFTWARE;
	}
}

int ctl_fail(const char *cmd, int rc, const char *msg)
{
	const char *p = msg ? msg : "failed";
	while (*p) {
		size_t n = strcspn(p, "\n");
		fprintf(stderr, "foictl %s: %.*s\n", cmd, (int)n, p);
		p += n;
		if (*p)
			p++;
	}
	return ctl_exit_code(rc);
}

int ctl_done(struct ctl *c, const char *cmd, int rc, char *err, const char *fmt, ...)
{
	if (rc == FOID_OK) {
		va_list ap;
		va_start(ap, fmt);
		vfprintf(c->out, fmt, ap);
		va_end(ap);
	} else {
		rc = ctl_fail(cmd, rc, err);
	}
	free(err);
	return rc;
}

int ctl_open(struct ctl *c, struct store **st)
{
	*st = c->st;
	if (*st)
		return EX_OK;
	if (!ctl_config(c))
		return EX_CONFIG;
	*st = ctl_store(c);
	return *st ? EX_OK : EX_IOERR;
}

static int ctl_args_usage(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "foictl %s: %s%s\n%s", cmd, what, arg ? arg : "",
	        ctl_usage(cmd));
	return EX_USAGE;
}

int ctl_usage_error(const char *cmd, const char *msg)
{
	return ctl_args_usage(cmd, msg, NULL);
}

/* The table entry for arg ("--name" or "--name=VALUE"), or NULL. */
static const struct ctl_opt *ctl_args_find(const struct ctl_opt *opts,
                                           const char *arg)
{
	size_t n = strcspn(arg, "=");
	for (const struct ctl_opt *o = opts; o && o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, arg, n) == 0)
			return o;
	return NULL;
}

int ctl_args_parse(struct ctl *c, const char *cmd, const struct ctl_opt *opts,
                   int min, int max, int argc, char **argv, int *nargs)
{
	int n = 0, options = 1;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		if (!options || arg[0] != '-' || arg[1] == '\0') {
			argv[++n] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options = 0;
			continue;
		}
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(ctl_usage(cmd), c->out);
			return EX_OK;
		}
		const struct ctl_opt *o = ctl_args_find(opts, arg);
		const char *eq = strchr(arg, '=');
		if (!o)
			return ctl_args_usage(cmd, "unknown option ", arg);
		if (o->flag) {
			if (eq)
				return ctl_args_usage(cmd, "takes no value: ", o->name);
			*o->flag = 1;
		} else if (eq) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			return ctl_args_usage(cmd, "needs a value: ", o->name);
		}
	}
	if (n < min)
		return ctl_args_usage(cmd, "too few arguments", NULL);
	if (max >= 0 && n > max)
		return ctl_args_usage(cmd, "unexpected argument: ", argv[max + 1]);
	if (nargs)
		*nargs = n;
	return CTL_ARGS_RUN;
}

int ctl_args_open(struct ctl *c, const char *cmd, const struct ctl_opt *opts,
                  int min, int max, int argc, char **argv, int *nargs,
                  struct store **st)
{
	int ex = ctl_args_parse(c, cmd, opts, min, max, argc, argv, nargs);
	if (ex == CTL_ARGS_RUN && (ex = ctl_open(c, st)) == EX_OK)
		ex = CTL_ARGS_RUN;
	return ex;
}

int ctl_request_id(struct store *st, const char *slug, const char *short_name,
                   int64_t *id, char **errp)
{
	int rc = store_query_int(st, errp, id,
	                         "SELECT q.id FROM requests q JOIN rounds r"
	                         " ON r.id = q.round_id JOIN bodies b ON b.id = q.body_id"
	                         " WHERE r.slug = ? AND b.short_name = ?",
	                         "ss", slug, short_name);
	if (rc == FOID_ENOTFOUND)
		err_set(errp, rc, "round %s has no request to %s", slug, short_name);
	return rc;
}

int ctl_request_begin(struct store *st, const char *const pos[2], int64_t *id,
                      char **errp)
{
	int rc = ctl_request_id(st, pos[0], pos[1], id, errp);
	return rc == FOID_OK ? store_begin(st, errp) : rc;
}

int ctl_colour(FILE *out)
{
	const char *no = getenv("NO_COLOR");
	return isatty(fileno(out)) && !(no && *no);
}

void ctl_progress(FILE *out, const char *what, size_t done, size_t total)
{
	static size_t last_tenth = (size_t)-1;
	if (!total)
		return;
	if (isatty(fileno(out))) {
		char bar[31];
		size_t fill = done * 30 / total;
		for (size_t i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[30] = '\0';
		fprintf(out, "\r%s [%s] %zu/%zu", what, bar, done, total);
		if (done >= total)
			fputc('\n', out);
	} else if (done * 10 / total != last_tenth || done >= total) {
		fprintf(out, "%s: %zu of %zu\n", what, done, total);
	}
	last_tenth = done >= total ? (size_t)-1 : done * 10 / total;
	fflush(out);
}
