#include "csvin.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

struct csvin {
	char *data;
	size_t len;
	size_t pos;
	size_t line;       /* physical line of data[pos] */
	char prev;         /* the byte before data[pos] */
	int finished;      /* csv_fini has run */
	int done;          /* nothing more to return */
	struct csv_parser p;
	/* Per call of csvin_next: */
	struct csvin_record *rec;
	int row_ended;
	int nul_in_row;
};

static struct csvin *csvin_make(char *data, size_t len)
{
	struct csvin *r = xcalloc(1, sizeof *r);
	r->data = data;
	r->len = len;
	r->line = 1;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
	if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		fputs("foid: out of memory\n", stderr);
		abort();
	}
	return r;
}

int csvin_open(struct csvin **out, const char *path, char **errp)
{
	char *data = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = util_read_file(path, &data, &len, errp);
	if (rc < 0)
		return rc;
	*out = csvin_make(data, len);
	return FOID_OK;
}

struct csvin *csvin_from_mem(const char *data, size_t len)
{
	return csvin_make(xstrndup(data, len), len);
}

void csvin_free(struct csvin *r)
{
	if (!r)
		return;
	csv_free(&r->p);
	free(r->data);
	free(r);
}

void csvin_record_clear(struct csvin_record *rec)
{
	strv_free(&rec->fields);
	rec->line = 0;
}

static void csvin_on_field(void *s, size_t len, void *arg)
{
	struct csvin *r = arg;
	if (s && memchr(s, '\0', len))
		r->nul_in_row = 1;
	strv_push_owned(&r->rec->fields, s ? xstrndup(s, len) : xstrdup(""));
}

static void csvin_on_row(int term, void *arg)
{
	(void)term;
	((struct csvin *)arg)->row_ended = 1;
}

int csvin_next(struct csvin *r, struct csvin_record *rec, char **errp)
{
	csvin_record_clear(rec);
	if (r->done)
		return 0;
	r->rec = rec;
	r->row_ended = 0;
	r->nul_in_row = 0;
	/* Fed a byte at a time so that the line of each record's first byte,
	 * and of a syntax error, is known. */
	while (r->pos < r->len && !r->row_ended) {
		char c = r->data[r->pos];
		if (rec->line == 0 && c != '\r' && c != '\n')
			rec->line = r->line;
		if (csv_parse(&r->p, &r->data[r->pos], 1, csvin_on_field,
		              csvin_on_row, r) != 1) {
			r->done = 1;
			rec->line = r->line;
			return err_set(errp, FOID_EINVAL, "bad quoting (a quote inside an "
			               "unquoted field, or text after a closing quote)");
		}
		if (c == '\r' || (c == '\n' && r->prev != '\r'))
			r->line++;
		r->prev = c;
		r->pos++;
	}
	if (!r->row_ended && !r->finished) {
		r->finished = 1;
		if (csv_fini(&r->p, csvin_on_field, csvin_on_row, r) != 0) {
			r->done = 1;
			return err_set(errp, FOID_EINVAL,
			               "quoted field not closed before the end of the file");
		}
	}
	if (!r->row_ended) {
		r->done = 1;
		return 0;
	}
	if (r->nul_in_row)
		return err_set(errp, FOID_EINVAL, "NUL byte in a field");
	return 1;
}
