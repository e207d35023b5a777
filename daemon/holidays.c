/* Holiday data files: loading, validation and lookup by calendar. */
#include "deadline.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The regions whose union is the "uk" calendar (FOIA s.10(6)), in the
 * order their names are listed. */
static const char *const uk_regions[] = {
	"england-and-wales", "scotland", "northern-ireland",
};
#define UK_NREGIONS (sizeof uk_regions / sizeof uk_regions[0])
/* Regions are bits in a calendar mask. */
#define MAX_REGIONS 64

struct hol_row {
	int64_t day;
	int region;
	char *name;
	int file;  /* index into files, for error messages */
	int line;
};

struct hol_day {
	int64_t day;
	size_t first, n;  /* rows[first .. first+n) */
	char *uk_name;    /* NULL when no UK region has a holiday */
};

struct hol_year {
	int region;
	int year;
};

struct holidays {
	struct hol_row *rows;
	size_t nrows, caprows;
	struct hol_day *days;
	size_t ndays;
	struct hol_year *years;  /* (region, year) pairs with data, sorted */
	size_t nyears;
	struct strv regions;
	struct strv files;
};

void holidays_free(struct holidays *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nrows; i++)
		free(h->rows[i].name);
	for (size_t i = 0; i < h->ndays; i++)
		free(h->days[i].uk_name);
	free(h->rows);
	free(h->days);
	free(h->years);
	strv_free(&h->regions);
	strv_free(&h->files);
	free(h);
}

static int region_index(const struct holidays *h, const char *name)
{
	for (size_t i = 0; i < h->regions.n; i++)
		if (strcmp(h->regions.v[i], name) == 0)
			return (int)i;
	return -1;
}

static int region_name_ok(const char *s)
{
	return strcmp(s, "uk") != 0 && strcmp(s, "none") != 0 &&
	       util_word_ok(s, 0, UTIL_LOWER_DIGITS "-");
}

/* Splits one CSV line into at most max fields, in place.  Fields may be
 * double-quoted with "" for a quote.  Returns the field count, or -1 for
 * a stray quote. */
static int csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		char *start = p, *w = p;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0')
					return -1;
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			if (*p != ',' && *p != '\0')
				return -1;
		} else {
			while (*p && *p != ',') {
				if (*p == '"')
					return -1;
				*w++ = *p++;
			}
		}
		char sep = *p;
		*w = '\0';
		if (n < max)
			fields[n] = start;
		n++;
		if (sep == '\0')
			return n;
		p++;
	}
}

static void add_row(struct holidays *h, int64_t day, int region,
                    const char *name, int file, int line)
{
	if (h->nrows == h->caprows) {
		h->caprows = h->caprows ? h->caprows * 2 : 512;
		h->rows = xrealloc(h->rows, h->caprows * sizeof *h->rows);
	}
	h->rows[h->nrows++] = (struct hol_row){ day, region, xstrdup(name), file, line };
}

static int parse_line(struct holidays *h, char *line, int file, int lineno,
                      int header, char **errp)
{
	const char *path = h->files.v[file];
	char *f[3];
	int n = csv_split(line, f, 3);
	if (n < 0)
		return err_set(errp, FOID_EINVAL, "%s:%d: unbalanced quote", path, lineno);
	if (n != 3)
		return err_set(errp, FOID_EINVAL,
		               "%s:%d: expected 3 columns (date,region,name), got %d",
		               path, lineno, n);
	if (header) {
		if (strcmp(f[0], "date") || strcmp(f[1], "region") || strcmp(f[2], "name"))
			return err_set(errp, FOID_EINVAL,
			               "%s:%d: header must be date,region,name", path, lineno);
		return FOID_OK;
	}
	struct deadline_date d;
	char *derr = NULL;
	if (deadline_date_parse(f[0], &d, &derr) < 0) {
		err_set(errp, FOID_EINVAL, "%s:%d: %s", path, lineno, derr);
		free(derr);
		return FOID_EINVAL;
	}
	if (!region_name_ok(f[1]))
		return err_set(errp, FOID_EINVAL,
		               "%s:%d: bad region \"%s\" (lower-case letters, digits, '-'; not uk or none)",
		               path, lineno, f[1]);
	if (!*util_trim(f[2]))
		return err_set(errp, FOID_EINVAL, "%s:%d: empty holiday name", path, lineno);
	int r = region_index(h, f[1]);
	if (r < 0) {
		if (h->regions.n == MAX_REGIONS)
			return err_set(errp, FOID_EINVAL, "%s:%d: more than %d regions",
			               path, lineno, MAX_REGIONS);
		strv_push(&h->regions, f[1]);
		r = (int)h->regions.n - 1;
	}
	add_row(h, deadline_date_to_days(d), r, f[2], file, lineno);
	return FOID_OK;
}

static int load_file(struct holidays *h, int file, char **errp)
{
	char *text = NULL;
	int rc = util_read_file(h->files.v[file], &text, NULL, errp);
	if (rc < 0)
		return rc;
	int seen_header = 0;
	struct util_lines lines;
	util_lines_init(&lines, text);
	for (char *line; (line = util_lines_next(&lines));) {
		if (!*line)
			continue;
		rc = parse_line(h, line, file, lines.lineno, !seen_header, errp);
		if (rc < 0)
			goto out;
		seen_header = 1;
	}
	if (!seen_header)
		rc = err_set(errp, FOID_EINVAL, "%s:1: empty file (expected header date,region,name)",
		             h->files.v[file]);
out:
	free(text);
	return rc;
}

static int cmp_row(const void *a, const void *b)
{
	const struct hol_row *x = a, *y = b;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->region != y->region)
		return x->region - y->region;
	if (x->file != y->file)
		return x->file - y->file;
	return x->line - y->line;
}

static int cmp_year(const void *a, const void *b)
{
	const struct hol_year *x = a, *y = b;
	if (x->region != y->region)
		return x->region - y->region;
	return x->year - y->year;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "Christmas Day" when every UK region shares the name, else each name
 * with its regions: "2nd January (scotland); New Year's Day (...)". */
static char *uk_day_name(const struct holidays *h, const struct hol_day *dy)
{
	const struct hol_row *found[UK_NREGIONS] = { NULL };
	size_t nfound = 0;
	for (size_t k = 0; k < UK_NREGIONS; k++) {
		for (size_t i = dy->first; i < dy->first + dy->n; i++) {
			if (strcmp(h->regions.v[h->rows[i].region], uk_regions[k]) == 0) {
				found[k] = &h->rows[i];
				nfound++;
			}
		}
	}
	if (nfound == 0)
		return NULL;
	struct buf b = BUF_INIT;
	int done[UK_NREGIONS] = { 0 };
	for (size_t k = 0; k < UK_NREGIONS; k++) {
		if (!found[k] || done[k])
			continue;
		struct buf regs = BUF_INIT;
		size_t same = 0;
		for (size_t j = k; j < UK_NREGIONS; j++) {
			if (found[j] && strcmp(found[j]->name, found[k]->name) == 0) {
				done[j] = 1;
				same++;
				buf_addf(&regs, "%s%s", regs.len ? ", " : "", uk_regions[j]);
			}
		}
		if (b.len)
			buf_adds(&b, "; ");
		if (same == UK_NREGIONS)
			buf_adds(&b, found[k]->name);
		else
			buf_addf(&b, "%s (%s)", found[k]->name, regs.data);
		buf_free(&regs);
	}
	return buf_detach(&b);
}

static void build_index(struct holidays *h)
{
	h->days = xcalloc(h->nrows, sizeof *h->days);
	h->years = xcalloc(h->nrows, sizeof *h->years);
	for (size_t i = 0; i < h->nrows; i++) {
		if (h->ndays == 0 || h->days[h->ndays - 1].day != h->rows[i].day)
			h->days[h->ndays++] = (struct hol_day){ h->rows[i].day, i, 0, NULL };
		h->days[h->ndays - 1].n++;
		h->years[i] = (struct hol_year){
			h->rows[i].region, deadline_date_from_days(h->rows[i].day).y
		};
	}
	for (size_t i = 0; i < h->ndays; i++)
		h->days[i].uk_name = uk_day_name(h, &h->days[i]);
	qsort(h->years, h->nrows, sizeof *h->years, cmp_year);
	for (size_t i = 0; i < h->nrows; i++)
		if (h->nyears == 0 || cmp_year(&h->years[h->nyears - 1], &h->years[i]) != 0)
			h->years[h->nyears++] = h->years[i];
}

static int list_csv(const char *dir, struct strv *files, char **errp)
{
	DIR *d = opendir(dir);
	if (!d)
		return err_set(errp, errno == ENOENT ? FOID_ENOTFOUND : FOID_EIO,
		               "%s: %s", dir, strerror(errno));
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 4 && e->d_name[0] != '.' && strcmp(e->d_name + n - 4, ".csv") == 0)
			strv_push_owned(files, xasprintf("%s/%s", dir, e->d_name));
	}
	closedir(d);
	if (files->n == 0)
		return err_set(errp, FOID_ENOTFOUND, "%s: no *.csv holiday files", dir);
	/* Sorted, so that errors and duplicates come out the same every run. */
	qsort(files->v, files->n, sizeof *files->v, cmp_str);
	return FOID_OK;
}

int holidays_load(const char *dir, struct holidays **out, char **errp)
{
	struct holidays *h = xcalloc(1, sizeof *h);
	int rc = list_csv(dir, &h->files, errp);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < h->files.n; i++) {
		rc = load_file(h, (int)i, errp);
		if (rc < 0)
			goto out;
	}
	qsort(h->rows, h->nrows, sizeof *h->rows, cmp_row);
	for (size_t i = 1; i < h->nrows; i++) {
		const struct hol_row *a = &h->rows[i - 1], *b = &h->rows[i];
		if (a->day == b->day && a->region == b->region) {
			char ds[11];
			deadline_date_format(deadline_date_from_days(b->day), ds);
			rc = err_set(errp, FOID_EINVAL,
			             "%s:%d: second holiday for %s on %s (first at %s:%d)",
			             h->files.v[b->file], b->line, h->regions.v[b->region], ds,
			             h->files.v[a->file], a->line);
			goto out;
		}
	}
	build_index(h);
	*out = h;
	h = NULL;
out:
	holidays_free(h);
	return rc;
}

static const struct hol_day *find_day(const struct holidays *h, int64_t day)
{
	size_t lo = 0, hi = h->ndays;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->days[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->ndays && h->days[lo].day == day ? &h->days[lo] : NULL;
}

/* The regions of a calendar as a bit mask; *is_uk for the union. */
static int calendar_mask(const struct holidays *h, const char *calendar,
                         uint64_t *mask, int *is_uk, char **errp)
{
	*mask = 0;
	*is_uk = strcmp(calendar, "uk") == 0;
	if (strcmp(calendar, "none") == 0)
		return FOID_OK;
	if (*is_uk) {
		for (size_t k = 0; k < UK_NREGIONS; k++) {
			int r = region_index(h, uk_regions[k]);
			if (r < 0)
				return err_set(errp, FOID_ENOTFOUND,
				               "calendar uk needs region %s, which no holiday file has",
				               uk_regions[k]);
			*mask |= UINT64_C(1) << r;
		}
		return FOID_OK;
	}
	int r = region_index(h, calendar);
	if (r < 0) {
		struct buf known = BUF_INIT;
		buf_adds(&known, "uk, none");
		for (size_t i = 0; i < h->regions.n; i++)
			buf_addf(&known, ", %s", h->regions.v[i]);
		err_set(errp, FOID_ENOTFOUND, "unknown calendar \"%s\" (known: %s)",
		        calendar, known.data);
		buf_free(&known);
		return FOID_ENOTFOUND;
	}
	*mask = UINT64_C(1) << r;
	return FOID_OK;
}

static int covered(const struct holidays *h, int region, int year)
{
	struct hol_year key = { region, year };
	return bsearch(&key, h->years, h->nyears, sizeof *h->years, cmp_year) != NULL;
}

int holidays_lookup(const struct holidays *h, const char *calendar,
                    struct deadline_date d, const char **name, char **errp)
{
	uint64_t mask;
	int is_uk;
	int rc = calendar_mask(h, calendar, &mask, &is_uk, errp);
	*name = NULL;
	if (rc < 0)
		return rc;
	for (size_t r = 0; r < h->regions.n; r++)
		if ((mask & (UINT64_C(1) << r)) && !covered(h, (int)r, d.y))
			return err_set(errp, FOID_EINVAL,
			               "no holiday data for %d (calendar %s, region %s): add it under data/holidays",
			               d.y, calendar, h->regions.v[r]);
	const struct hol_day *dy = find_day(h, deadline_date_to_days(d));
	if (!dy || !mask)
		return FOID_OK;
	if (is_uk) {
		*name = dy->uk_name;
		return FOID_OK;
	}
	for (size_t i = dy->first; i < dy->first + dy->n; i++)
		if (mask & (UINT64_C(1) << h->rows[i].region))
			*name = h->rows[i].name;
	return FOID_OK;
}

const char *holidays_name(const struct holidays *h, const char *calendar,
                          struct deadline_date d)
{
	const char *name = NULL;
	holidays_lookup(h, calendar, d, &name, NULL);
	return name;
}

int holidays_load_data(const char *data_dir, struct holidays **out, char **errp)
{
	char *dir = xasprintf("%s/holidays", data_dir);
	int rc = holidays_load(dir, out, errp);
	free(dir);
	return rc;
}
