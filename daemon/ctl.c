#include "ctl.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "store.h"
#include "util.h"

static const char *ctl_config_path(const struct ctl *c)
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
	const char *path = ctl_config_path(c);
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

const char *ctl_data_dir(struct ctl *c)
{
	if (c->data_dir)
		return c->data_dir;
	if (!c->cfg && !c->config_path && !getenv("FOID_CONFIG") &&
	    access(CONFIG_DEFAULT_PATH, R_OK) < 0)
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

int ctl_usage(struct ctl *c, const char *usage, int argc, char **argv)
{
	int help = argc == 2 && strcmp(argv[1], "--help") == 0;
	fputs(usage, help ? c->out : stderr);
	return help ? EX_OK : EX_USAGE;
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
