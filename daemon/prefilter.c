/* Required strings of a pattern, and one Aho-Corasick pass for all of
 * them; see prefilter.h. */
#include "prefilter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Strings shorter than this are not worth looking for: nearly every text
 * has them. */
#define PREFILTER_MIN 2
/* A literal character repeated {n,} is taken up to this many times. */
#define PREFILTER_REPEAT 16

/* What a part of a pattern needs: one of alts occurs (none: nothing known). */
struct need {
	int none;
	struct strv alts;
};

struct reader {
	const char *p;
	size_t at;
	int unreadable; /* syntax this reader does not know: no strings */
};

struct prefilter {
	size_t n;              /* patterns */
	size_t *first, *count; /* pattern i's strings: first[i] .. + count[i] */
	struct strv strings;   /* lower case */
	/* The automaton: states x classes of byte; the number of the string
	 * that ends at a state (-1: none), the next state down its failure
	 * links where one ends, and each string's number. */
	uint8_t cls[256];
	size_t nclass, nends;
	/* For the scan: per state and class, the next state's row (state x
	 * nclass), its top bit set when a string ends there or down its
	 * failure links. */
	uint32_t *step;
	int32_t *ends;
	int32_t *also;
	int32_t *at;
};

/* Characters PCRE2's caseless matching takes for an ASCII letter: the
 * Kelvin sign for k, the long s for s.  The scanner looks for them too,
 * and a text with one is searched by every pattern. */
static const char *const prefilter_odd_case[] = { "\xe2\x84\xaa", "\xc5\xbf" };
#define PREFILTER_ODD 2

static void need_none(struct need *n)
{
	strv_free(&n->alts);
	n->none = 1;
}

static size_t need_shortest(const struct need *n)
{
	size_t m = SIZE_MAX;
	for (size_t i = 0; i < n->alts.n; i++)
		if (strlen(n->alts.v[i]) < m)
			m = strlen(n->alts.v[i]);
	return m;
}

/* Keeps in *best whichever of *best and *cand rules out more texts: the
 * longer shortest string, then fewer strings.  *cand is consumed. */
static void need_pick(struct need *best, struct need *cand)
{
	int better = !cand->none && (best->none ||
	             need_shortest(cand) > need_shortest(best) ||
	             (need_shortest(cand) == need_shortest(best) && cand->alts.n < best->alts.n));
	if (better) {
		strv_free(&best->alts);
		*best = *cand;
	} else {
		strv_free(&cand->alts);
	}
	*cand = (struct need){ 1, STRV_INIT };
}

static void need_run(struct need *best, struct buf *run)
{
	if (run->len) {
		struct need c = { 0, STRV_INIT };
		strv_push(&c.alts, run->data);
		need_pick(best, &c);
	}
	buf_free(run);
	*run = (struct buf)BUF_INIT;
}

/* After an atom: its least number of repeats (1 without a quantifier);
 * *fixed set when that is also its most. */
static long reader_quantifier(struct reader *r, int *fixed)
{
	const char *p = r->p;
	long min = 1;
	*fixed = 0;
	if (p[r->at] == '?' || p[r->at] == '*') {
		min = 0;
		r->at++;
	} else if (p[r->at] == '+') {
		r->at++;
	} else if (p[r->at] == '{') {
		size_t i = r->at + 1;
		if (p[i] < '0' || p[i] > '9') {
			r->unreadable = 1;
			return 0;
		}
		min = strtol(p + i, NULL, 10);
		i += strspn(p + i, "0123456789");
		*fixed = p[i] == '}';
		if (p[i] == ',')
			i += 1 + strspn(p + i + 1, "0123456789");
		if (p[i] != '}') {
			r->unreadable = 1;
			return 0;
		}
		r->at = i + 1;
	} else {
		*fixed = 1;
		return 1;
	}
	if (p[r->at] == '?' || p[r->at] == '+') /* lazy, possessive */
		r->at++;
	return min;
}

static void reader_class(struct reader *r)
{
	const char *p = r->p;
	size_t i = r->at + 1;
	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	while (p[i] && p[i] != ']') {
		if (p[i] == '\\' && p[i + 1])
			i += 2;
		else if (p[i] == '[' && p[i + 1] == ':' && strstr(p + i + 2, ":]"))
			i = (size_t)(strstr(p + i + 2, ":]") - p) + 2;
		else
			i++;
	}
	if (!p[i])
		r->unreadable = 1;
	r->at = p[i] ? i + 1 : i;
}

static void reader_alt(struct reader *r, struct need *out);

/* A sequence up to '|', ')' or the end. */
static void reader_seq(struct reader *r, struct need *best)
{
	const char *p = r->p;
	struct buf run = BUF_INIT;
	int fixed;
	*best = (struct need){ 1, STRV_INIT };
	while (!r->unreadable && p[r->at] && p[r->at] != '|' && p[r->at] != ')') {
		unsigned char c = (unsigned char)p[r->at];
		if (c == '(') {
			need_run(best, &run);
			r->at++;
			int look = 0;
			if (p[r->at] == '?') {
				if (p[r->at + 1] == ':')
					r->at += 2;
				else if (p[r->at + 1] == '=' || p[r->at + 1] == '!')
					r->at += 2, look = 1;
				else if (p[r->at + 1] == '<' && (p[r->at + 2] == '=' || p[r->at + 2] == '!'))
					r->at += 3, look = 1;
				else
					r->unreadable = 1;
			}
			struct need inner;
			reader_alt(r, &inner);
			if (p[r->at] != ')')
				r->unreadable = 1;
			else
				r->at++;
			if (reader_quantifier(r, &fixed) == 0 || look)
				need_none(&inner);
			need_pick(best, &inner);
		} else if (c == '[') {
			need_run(best, &run);
			reader_class(r);
			reader_quantifier(r, &fixed);
		} else if (c == '\\') {
			need_run(best, &run);
			char e = p[r->at + 1];
			if (!e || ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')
			           ? !strchr("bBdDsSwWtnrfAzZ", e) : 0))
				r->unreadable = 1;
			else
				r->at += 2;
			reader_quantifier(r, &fixed);
		} else if (c == '.' || c == '^' || c == '$' || c >= 0x80) {
			need_run(best, &run);
			r->at++;
			while (c >= 0xc0 && ((unsigned char)p[r->at] & 0xc0) == 0x80)
				r->at++;
			reader_quantifier(r, &fixed);
		} else if (c == '*' || c == '+' || c == '?' || c == '{') {
			r->unreadable = 1;
		} else {
			r->at++;
			long min = reader_quantifier(r, &fixed);
			char lc = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
			for (long k = 0; k < min && k < PREFILTER_REPEAT; k++)
				buf_addc(&run, lc);
			/* What follows a repeat that varies need not follow the
			 * copies taken. */
			if (!fixed || min > PREFILTER_REPEAT)
				need_run(best, &run);
		}
	}
	need_run(best, &run);
}

/* Branches up to ')' or the end: one of each branch's strings occurs. */
static void reader_alt(struct reader *r, struct need *out)
{
	reader_seq(r, out);
	while (!r->unreadable && r->p[r->at] == '|') {
		r->at++;
		struct need b;
		reader_seq(r, &b);
		if (b.none || out->none) {
			need_none(out);
		} else {
			for (size_t i = 0; i < b.alts.n; i++)
				strv_push(&out->alts, b.alts.v[i]);
		}
		strv_free(&b.alts);
	}
}

struct prefilter *prefilter_new(void)
{
	return xcalloc(1, sizeof(struct prefilter));
}

void prefilter_free(struct prefilter *pf)
{
	if (!pf)
		return;
	free(pf->first);
	free(pf->count);
	strv_free(&pf->strings);
	free(pf->step);
	free(pf->ends);
	free(pf->also);
	free(pf->at);
	free(pf);
}

size_t prefilter_count(const struct prefilter *pf)
{
	return pf->n;
}

int prefilter_add(struct prefilter *pf, const char *pattern)
{
	struct reader r = { pattern, 0, 0 };
	struct need n;
	reader_alt(&r, &n);
	if (r.unreadable || pattern[r.at] || (!n.none && need_shortest(&n) < PREFILTER_MIN))
		need_none(&n);
	pf->first = xrealloc(pf->first, (pf->n + 1) * sizeof *pf->first);
	pf->count = xrealloc(pf->count, (pf->n + 1) * sizeof *pf->count);
	pf->first[pf->n] = pf->strings.n;
	pf->count[pf->n] = n.none ? 0 : n.alts.n;
	for (size_t i = 0; !n.none && i < n.alts.n; i++)
		strv_push(&pf->strings, n.alts.v[i]);
	pf->n++;
	strv_free(&n.alts);
	return !n.none;
}

void prefilter_ready(struct prefilter *pf)
{
	/* Bytes that occur in no string share class 0; upper-case letters
	 * are their lower case. */
	memset(pf->cls, 0, sizeof pf->cls);
	pf->nclass = 1;
	size_t total = 1;
	for (int i = 0; i < PREFILTER_ODD; i++)
		strv_push(&pf->strings, prefilter_odd_case[i]);
	for (size_t i = 0; i < pf->strings.n; i++)
		for (const unsigned char *s = (const unsigned char *)pf->strings.v[i]; *s; s++, total++)
			if (!pf->cls[*s])
				pf->cls[*s] = (uint8_t)pf->nclass++;
	for (int c = 'A'; c <= 'Z'; c++)
		pf->cls[c] = pf->cls[c - 'A' + 'a'];
	size_t nc = pf->nclass;
	int32_t *next = xcalloc(total * nc, sizeof *next);
	pf->ends = xmalloc(total * sizeof *pf->ends);
	pf->also = xmalloc(total * sizeof *pf->also);
	pf->at = xmalloc(pf->strings.n * sizeof *pf->at);
	int32_t *fail = xcalloc(total, sizeof *fail);
	int32_t *queue = xmalloc(total * sizeof *queue);
	for (size_t i = 0; i < total; i++)
		pf->ends[i] = -1;
	pf->also[0] = -1;
	pf->nends = 0;
	/* The trie; 0 is the root, and no trie edge goes back to it. */
	size_t ns = 1;
	for (size_t i = 0; i < pf->strings.n; i++) {
		int32_t st = 0;
		for (const unsigned char *s = (const unsigned char *)pf->strings.v[i]; *s; s++) {
			int32_t *to = &next[(size_t)st * nc + pf->cls[*s]];
			if (!*to)
				*to = (int32_t)ns++;
			st = *to;
		}
		if (pf->ends[st] < 0)
			pf->ends[st] = (int32_t)pf->nends++;
		pf->at[i] = pf->ends[st];
	}
	/* Breadth first, so a state's failure state is done before it: its
	 * failure link, and each edge the trie lacks taken from the failure
	 * state, so that a scan never steps back. */
	size_t head = 0, tail = 0;
	for (size_t c = 0; c < nc; c++)
		if (next[c])
			queue[tail++] = next[c];
	while (head < tail) {
		int32_t st = queue[head++];
		int32_t f = fail[st];
		pf->also[st] = pf->ends[f] >= 0 ? f : pf->also[f];
		for (size_t c = 0; c < nc; c++) {
			int32_t *to = &next[(size_t)st * nc + c];
			if (*to) {
				fail[*to] = next[(size_t)f * nc + c];
				queue[tail++] = *to;
			} else {
				*to = next[(size_t)f * nc + c];
			}
		}
	}
	pf->step = xmalloc(total * nc * sizeof *pf->step);
	for (size_t i = 0; i < total * nc; i++) {
		int32_t to = next[i];
		pf->step[i] = (uint32_t)to * (uint32_t)nc |
		              (pf->ends[to] >= 0 || pf->also[to] >= 0 ? UINT32_C(1) << 31 : 0);
	}
	free(next);
	free(fail);
	free(queue);
}

void prefilter_scan(const struct prefilter *pf, const char *s, unsigned char *may)
{
	uint8_t small[512];
	uint8_t *hit = pf->nends <= sizeof small ? small : xmalloc(pf->nends);
	memset(hit, 0, pf->nends);
	uint32_t row = 0, nc = (uint32_t)pf->nclass, mask = (UINT32_C(1) << 31) - 1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		uint32_t v = pf->step[row + pf->cls[*p]];
		row = v & mask;
		if (v == row)
			continue;
		int32_t st = (int32_t)(row / nc);
		for (int32_t x = pf->ends[st] >= 0 ? st : pf->also[st]; x >= 0 && !hit[pf->ends[x]];
		     x = pf->also[x])
			hit[pf->ends[x]] = 1;
	}
	size_t odd = pf->strings.n - PREFILTER_ODD;
	int all = hit[pf->at[odd]] || hit[pf->at[odd + 1]];
	for (size_t i = 0; i < pf->n; i++) {
		int m = all || pf->count[i] == 0;
		for (size_t k = 0; !m && k < pf->count[i]; k++)
			m = hit[pf->at[pf->first[i] + k]];
		may[i] = (unsigned char)m;
	}
	if (hit != small)
		free(hit);
}
