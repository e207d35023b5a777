/* Multinomial logistic regression over binary features; see model.h. */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only the first words of a long answer are read: what kind of letter it is
 * shows at its start, and a 60-page table must not cost a second. */
#define MODEL_MAX_TOKENS 800
#define MODEL_TOKEN_MAX 40 /* longer runs are not words */

struct model {
	size_t nkinds;
	char *kinds[MODEL_KINDS_MAX];
	double bias[MODEL_KINDS_MAX];
	size_t n, cap;       /* features */
	char **names;
	double *w;           /* n x nkinds */
	size_t *slots;       /* open addressing: index + 1, 0 empty */
	size_t nslots;       /* a power of two */
};

static uint64_t model_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static long model_find(const struct model *m, const char *name)
{
	if (!m->nslots)
		return -1;
	for (size_t i = model_hash(name) & (m->nslots - 1);; i = (i + 1) & (m->nslots - 1)) {
		size_t v = m->slots[i];
		if (!v)
			return -1;
		if (strcmp(m->names[v - 1], name) == 0)
			return (long)(v - 1);
	}
}

static void model_index(struct model *m)
{
	m->nslots = 16;
	while (m->nslots < 2 * m->n)
		m->nslots *= 2;
	m->slots = xcalloc(m->nslots, sizeof *m->slots);
	for (size_t f = 0; f < m->n; f++) {
		size_t i = model_hash(m->names[f]) & (m->nslots - 1);
		while (m->slots[i])
			i = (i + 1) & (m->nslots - 1);
		m->slots[i] = f + 1;
	}
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (size_t k = 0; k < m->nkinds; k++)
		free(m->kinds[k]);
	for (size_t f = 0; f < m->n; f++)
		free(m->names[f]);
	free(m->names);
	free(m->w);
	free(m->slots);
	free(m);
}

/* Reads nkinds numbers after the first word of line into out. */
static int model_numbers(char *rest, size_t nkinds, double *out)
{
	for (size_t k = 0; k < nkinds; k++) {
		char *end;
		errno = 0;
		out[k] = strtod(rest, &end);
		if (end == rest || errno || !isfinite(out[k]))
			return -1;
		rest = end;
	}
	rest += strspn(rest, " \t\r");
	return *rest ? -1 : 0;
}

static int model_parse_line(struct model *m, char *line, int *seen_bias,
                            const char **why)
{
	char *name = line + strspn(line, " \t");
	if (!*name || *name == '#' || *name == '\r')
		return 0;
	char *rest = name + strcspn(name, " \t");
	if (*rest)
		*rest++ = '\0';
	if (strcmp(name, "kinds") == 0) {
		if (m->nkinds) {
			*why = "kinds given twice";
			return -1;
		}
		for (char *save = NULL, *k = strtok_r(rest, " \t\r", &save); k;
		     k = strtok_r(NULL, " \t\r", &save)) {
			if (m->nkinds == MODEL_KINDS_MAX) {
				*why = "too many kinds";
				return -1;
			}
			m->kinds[m->nkinds++] = xstrdup(k);
		}
		if (m->nkinds < 2) {
			*why = "kinds: at least two are needed";
			return -1;
		}
		return 0;
	}
	if (!m->nkinds) {
		*why = "the kinds line must come first";
		return -1;
	}
	if (strcmp(name, "bias") == 0) {
		*seen_bias = 1;
		if (model_numbers(rest, m->nkinds, m->bias) < 0) {
			*why = "bias: expected one number per kind";
			return -1;
		}
		return 0;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->names = xrealloc(m->names, m->cap * sizeof *m->names);
		m->w = xrealloc(m->w, m->cap * MODEL_KINDS_MAX * sizeof *m->w);
	}
	if (model_numbers(rest, m->nkinds, m->w + m->n * m->nkinds) < 0) {
		*why = "expected a feature and one number per kind";
		return -1;
	}
	m->names[m->n++] = xstrdup(name);
	return 0;
}

int model_load(const char *path, struct model **out, char **errp)
{
	char *text = NULL;
	*out = NULL;
	int rc = util_read_file(path, &text, NULL, errp);
	if (rc < 0)
		return rc;
	struct model *m = xcalloc(1, sizeof *m);
	int seen_bias = 0, lineno = 0;
	const char *why = NULL;
	for (char *p = text; p && *p && !why; ) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		if (model_parse_line(m, p, &seen_bias, &why) < 0)
			break;
		p = nl ? nl + 1 : NULL;
	}
	if (!why && !seen_bias) {
		why = "no bias line";
		lineno = 0;
	}
	if (why) {
		rc = lineno ? err_set(errp, FOID_EINVAL, "%s:%d: %s", path, lineno, why)
		            : err_set(errp, FOID_EINVAL, "%s: %s", path, why);
		model_free(m);
	} else {
		model_index(m);
		*out = m;
	}
	free(text);
	return rc;
}

/* ---- features ------------------------------------------------------------ */

struct fset {
	struct strv *out;
	size_t *slots, nslots; /* index + 1 into out */
};

static void fset_add(struct fset *s, char *feature)
{
	if (2 * (s->out->n + 1) > s->nslots) {
		size_t n = s->nslots ? 2 * s->nslots : 256;
		free(s->slots);
		s->slots = xcalloc(n, sizeof *s->slots);
		s->nslots = n;
		for (size_t f = 0; f < s->out->n; f++) {
			size_t i = model_hash(s->out->v[f]) & (n - 1);
			while (s->slots[i])
				i = (i + 1) & (n - 1);
			s->slots[i] = f + 1;
		}
	}
	size_t i = model_hash(feature) & (s->nslots - 1);
	for (; s->slots[i]; i = (i + 1) & (s->nslots - 1)) {
		if (strcmp(s->out->v[s->slots[i] - 1], feature) == 0) {
			free(feature);
			return;
		}
	}
	strv_push_owned(s->out, feature);
	s->slots[i] = s->out->n;
}

/* Bytes of the UTF-8 character at p (1 for a stray byte). */
static size_t model_char_len(const unsigned char *p)
{
	size_t n = 1;
	if (*p >= 0xc0)
		while (n < 4 && (p[n] & 0xc0) == 0x80)
			n++;
	return n;
}

/* 1 for a byte that belongs to a word: ASCII letters and digits, and the
 * letters of other scripts (Welsh ŵ, ŷ), but not Unicode punctuation
 * (U+2000-U+206F) or Latin-1 symbols (U+00A0-U+00BF). */
static size_t model_word_len(const unsigned char *p)
{
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
		return 1;
	if (p[0] == 0xe2 && p[1] == 0x80)
		return 0;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xc0)
		return 0;
	return *p >= 0x80 ? model_char_len(p) : 0;
}

/* Next word of *pp, lower-cased, into w (MODEL_TOKEN_MAX + 1 bytes); 0 at
 * the end.  A number longer than three digits (a date, a case number)
 * becomes "#": section numbers stay, references do not. */
static int model_next_word(const char **pp, char *w)
{
	const unsigned char *p = (const unsigned char *)*pp;
	size_t n;
	for (;;) {
		while (*p && !model_word_len(p))
			p += model_char_len(p);
		if (!*p) {
			*pp = (const char *)p;
			return 0;
		}
		size_t len = 0;
		int digits = 0, overlong = 0;
		while (*p && (n = model_word_len(p))) {
			if (len + n <= MODEL_TOKEN_MAX) {
				for (size_t i = 0; i < n; i++)
					w[len + i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
				len += n;
			} else {
				overlong = 1;
			}
			digits |= *p >= '0' && *p <= '9';
			p += n;
		}
		if (overlong)
			continue;
		w[len] = '\0';
		if (digits && len > 3)
			strcpy(w, "#");
		*pp = (const char *)p;
		return 1;
	}
}

/* Calls fn with each feature of a reply in order (model_features says
 * which), repeats included; the text passed is valid during the call. */
static void model_each_feature(const char *subject, const char *body, int has_attachments,
                               const struct strv *rule_hits,
                               void (*fn)(const char *feature, void *arg), void *arg)
{
	char w[MODEL_TOKEN_MAX + 1], prev[MODEL_TOKEN_MAX + 1] = "";
	char f[2 * MODEL_TOKEN_MAX + 4];
	const char *p = subject ? subject : "";
	while (model_next_word(&p, w)) {
		snprintf(f, sizeof f, "s:%s", w);
		fn(f, arg);
	}
	p = body ? body : "";
	size_t ntok = 0;
	while (ntok < MODEL_MAX_TOKENS && model_next_word(&p, w)) {
		/* Hundreds per reply: no printf. */
		size_t lw = strlen(w), lp = strlen(prev);
		memcpy(f, "w:", 2);
		memcpy(f + 2, w, lw + 1);
		fn(f, arg);
		if (*prev) {
			f[0] = 'b';
			memcpy(f + 2, prev, lp);
			f[2 + lp] = '_';
			memcpy(f + 3 + lp, w, lw + 1);
			fn(f, arg);
		}
		memcpy(prev, w, sizeof prev);
		ntok++;
	}
	fn(ntok < 40 ? "len:short" : ntok < 150 ? "len:medium" : "len:long", arg);
	if (has_attachments)
		fn("att", arg);
	/* Each rule matches too few training replies to earn a weight of its
	 * own; "any rule of this kind" pools them (a clarification worded as
	 * no training reply words it still counts as a clarification rule). */
	for (size_t i = 0; rule_hits && i < rule_hits->n; i++) {
		const char *colon = strchr(rule_hits->v[i], ':');
		char *r = xasprintf("r:%s", rule_hits->v[i]);
		fn(r, arg);
		free(r);
		if (colon) {
			char *k = xasprintf("k:%.*s", (int)(colon - rule_hits->v[i]), rule_hits->v[i]);
			fn(k, arg);
			free(k);
		}
	}
}

static void model_collect(const char *feature, void *arg)
{
	fset_add(arg, xstrdup(feature));
}

void model_features(const char *subject, const char *body, int has_attachments,
                    const struct strv *rule_hits, struct strv *out)
{
	struct fset s = { out, NULL, 0 };
	model_each_feature(subject, body, has_attachments, rule_hits, model_collect, &s);
	free(s.slots);
}

/* Scores the model's features hit[0..nhit) (distinct, in the order the
 * reply has them). */
static void model_score_hits(const struct model *m, const long *hit, size_t nhit,
                             struct model_result *res)
{
	double z[MODEL_KINDS_MAX];
	memcpy(z, m->bias, sizeof z);
	for (size_t i = 0; i < nhit; i++)
		for (size_t k = 0; k < m->nkinds; k++)
			z[k] += m->w[(size_t)hit[i] * m->nkinds + k];
	size_t best = 0;
	for (size_t k = 1; k < m->nkinds; k++)
		if (z[k] > z[best])
			best = k;
	double sum = 0;
	for (size_t k = 0; k < m->nkinds; k++)
		sum += exp(z[k] - z[best]);
	res->kind = m->kinds[best];
	res->confidence = 1.0 / sum;
	for (size_t t = 0; t < MODEL_TOP; t++) {
		res->top[t] = "";
		res->top_weight[t] = 0;
	}
	/* What weighs most for the winner against the runner-up kinds: the
	   weight above the feature's mean over the kinds. */
	for (size_t i = 0; i < nhit; i++) {
		const double *row = m->w + (size_t)hit[i] * m->nkinds;
		double mean = 0;
		for (size_t k = 0; k < m->nkinds; k++)
			mean += row[k];
		double v = row[best] - mean / (double)m->nkinds;
		for (size_t t = 0; t < MODEL_TOP; t++) {
			if (v <= res->top_weight[t])
				continue;
			memmove(res->top + t + 1, res->top + t, (MODEL_TOP - t - 1) * sizeof *res->top);
			memmove(res->top_weight + t + 1, res->top_weight + t,
			        (MODEL_TOP - t - 1) * sizeof *res->top_weight);
			res->top[t] = m->names[hit[i]];
			res->top_weight[t] = v;
			break;
		}
	}
}

/* The model's features a reply has, each once, in the order it has them. */
struct model_hits {
	const struct model *m;
	long *v;
	size_t n, cap;
	size_t *slots, nslots; /* index + 1 into v, open addressing */
};

static void model_hit(const char *feature, void *arg)
{
	struct model_hits *h = arg;
	long f = model_find(h->m, feature);
	if (f < 0)
		return;
	if (2 * (h->n + 1) > h->nslots) {
		size_t n = h->nslots ? 2 * h->nslots : 256;
		free(h->slots);
		h->slots = xcalloc(n, sizeof *h->slots);
		h->nslots = n;
		for (size_t i = 0; i < h->n; i++) {
			size_t j = (size_t)h->v[i] & (n - 1);
			while (h->slots[j])
				j = (j + 1) & (n - 1);
			h->slots[j] = i + 1;
		}
	}
	size_t j = (size_t)f & (h->nslots - 1);
	for (; h->slots[j]; j = (j + 1) & (h->nslots - 1))
		if (h->v[h->slots[j] - 1] == f)
			return;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 256;
		h->v = xrealloc(h->v, h->cap * sizeof *h->v);
	}
	h->v[h->n++] = f;
	h->slots[j] = h->n;
}

void model_score_reply(const struct model *m, const char *subject, const char *body,
                       int has_attachments, const struct strv *rule_hits,
                       struct model_result *res)
{
	struct model_hits h = { m, NULL, 0, 0, NULL, 0 };
	model_each_feature(subject, body, has_attachments, rule_hits, model_hit, &h);
	model_score_hits(m, h.v, h.n, res);
	free(h.v);
	free(h.slots);
}

char *model_feature_text(const char *feature)
{
	if (util_starts_with(feature, "r:"))
		return xasprintf("rule %s", feature + 2);
	if (util_starts_with(feature, "k:"))
		return xasprintf("a rule of kind %s", feature + 2);
	if (util_starts_with(feature, "s:"))
		return xasprintf("subject: %s", feature + 2);
	if (strcmp(feature, "att") == 0)
		return xstrdup("has attachments");
	if (util_starts_with(feature, "len:"))
		return xasprintf("%s text", feature + 4);
	char *s = xstrdup(feature + (feature[0] && feature[1] == ':' ? 2 : 0));
	if (util_starts_with(feature, "b:"))
		for (char *p = s; *p; p++)
			if (*p == '_')
				*p = ' ';
	return s;
}
