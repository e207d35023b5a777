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

/* What a pattern needs is read as: one of its top-level branches, each
 * needing all of its clauses, each clause one of its strings.  A clause
 * is a literal run of the branch ("cost limit") or a group it cannot do
 * without ("(is|are)"); what is optional needs nothing. */
struct clauses {
	struct strv *v; /* each an OR of strings */
	size_t n;
};

struct reader {
	const char *p;
	size_t at;
	int unreadable; /* syntax this reader does not know: no strings */
};

struct prefilter {
	size_t n;                /* patterns */
	/* What pattern i needs, from code[start[i]] on, as uint32s: its
	 * number of branches (0: always searched), and for each branch its
	 * number of clauses, and for each clause its number of strings and
	 * each string's number (in strings until ready, then the number a
	 * scan finds it by: strings that end at one state share it). */
	struct buf code;
	size_t *start;
	uint8_t *group;          /* pattern i's group, for scans of some groups */
	struct strv strings;     /* lower case */
	/* The automaton: states x classes of byte.  step[state * nclass +
	 * class] is the next state, its top bit set when a string ends there
	 * or down its failure links; per state, the number of the string
	 * that ends there (-1: none) and the next state down its failure
	 * links where one ends.  odd[]: where the odd-case characters end. */
	uint8_t cls[256];
	size_t nclass, nends;
	uint16_t *step;
	struct state { int32_t end, also; } *state;
	int32_t odd[2];
	int every; /* too many states for step: every pattern is searched */
};

/* Characters PCRE2's caseless matching takes for an ASCII letter: the
 * Kelvin sign for k, the long s for s.  The scanner looks for them too,
 * and a text with one is searched by every pattern. */
static const char *const prefilter_odd_case[] = { "\xe2\x84\xaa", "\xc5\xbf" };
#define PREFILTER_ODD 2

static void clauses_free(struct clauses *c)
{
	for (size_t i = 0; i < c->n; i++)
		strv_free(&c->v[i]);
	free(c->v);
	*c = (struct clauses){ NULL, 0 };
}

/* Takes *or (leaving it empty). */
static void clauses_add(struct clauses *c, struct strv *or)
{
	c->v = xrealloc(c->v, (c->n + 1) * sizeof *c->v);
	c->v[c->n++] = *or;
	*or = (struct strv)STRV_INIT;
}

static size_t clause_shortest(const struct strv *or)
{
	size_t m = SIZE_MAX;
	for (size_t i = 0; i < or->n; i++)
		if (strlen(or->v[i]) < m)
			m = strlen(or->v[i]);
	return m;
}

/* The clause of c that rules out most texts (the longest shortest
 * string, then the fewest strings), or -1 when c has none. */
static long clauses_best(const struct clauses *c)
{
	long best = -1;
	for (size_t i = 0; i < c->n; i++) {
		if (best >= 0 && (clause_shortest(&c->v[i]) < clause_shortest(&c->v[best]) ||
		                  (clause_shortest(&c->v[i]) == clause_shortest(&c->v[best]) &&
		                   c->v[i].n >= c->v[best].n)))
			continue;
		best = (long)i;
	}
	return best;
}

static void reader_run(struct clauses *c, struct buf *run)
{
	if (run->len) {
		struct strv or = STRV_INIT;
		strv_push(&or, run->data);
		clauses_add(c, &or);
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

/* Branches up to ')' or the end, each into its own clauses (*out,
 * *nout of them: a new array). */
static void reader_branches(struct reader *r, struct clauses **out, size_t *nout);

/* A group's branches as clauses of the sequence around it: a single
 * branch's clauses all hold; of several, one of each branch's best. */
static void reader_group(struct reader *r, struct clauses *seq)
{
	struct clauses *b = NULL;
	size_t nb = 0;
	reader_branches(r, &b, &nb);
	if (nb == 1) {
		for (size_t i = 0; i < b[0].n; i++)
			clauses_add(seq, &b[0].v[i]);
	} else {
		struct strv or = STRV_INIT;
		int all = 1;
		for (size_t i = 0; all && i < nb; i++) {
			long k = clauses_best(&b[i]);
			all = k >= 0;
			for (size_t j = 0; all && j < b[i].v[k].n; j++)
				strv_push(&or, b[i].v[k].v[j]);
		}
		if (all)
			clauses_add(seq, &or);
		strv_free(&or);
	}
	for (size_t i = 0; i < nb; i++)
		clauses_free(&b[i]);
	free(b);
}

/* A sequence up to '|', ')' or the end. */
static void reader_seq(struct reader *r, struct clauses *seq)
{
	const char *p = r->p;
	struct buf run = BUF_INIT;
	int fixed;
	while (!r->unreadable && p[r->at] && p[r->at] != '|' && p[r->at] != ')') {
		unsigned char c = (unsigned char)p[r->at];
		if (c == '(') {
			reader_run(seq, &run);
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
			/* The group's clauses count only when it must occur. */
			struct clauses g = { NULL, 0 };
			reader_group(r, &g);
			if (p[r->at] != ')')
				r->unreadable = 1;
			else
				r->at++;
			int must = reader_quantifier(r, &fixed) > 0 && !look;
			for (size_t i = 0; must && i < g.n; i++)
				clauses_add(seq, &g.v[i]);
			clauses_free(&g);
		} else if (c == '[') {
			reader_run(seq, &run);
			reader_class(r);
			reader_quantifier(r, &fixed);
		} else if (c == '\\') {
			reader_run(seq, &run);
			char e = p[r->at + 1];
			if (!e || ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')
			           ? !strchr("bBdDsSwWtnrfAzZ", e) : 0))
				r->unreadable = 1;
			else
				r->at += 2;
			reader_quantifier(r, &fixed);
		} else if (c == '.' || c == '^' || c == '$' || c >= 0x80) {
			reader_run(seq, &run);
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
				reader_run(seq, &run);
		}
	}
	reader_run(seq, &run);
}

static void reader_branches(struct reader *r, struct clauses **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	for (;;) {
		*out = xrealloc(*out, (*nout + 1) * sizeof **out);
		struct clauses *b = &(*out)[(*nout)++];
		*b = (struct clauses){ NULL, 0 };
		reader_seq(r, b);
		if (r->unreadable || r->p[r->at] != '|')
			break;
		r->at++;
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
	buf_free(&pf->code);
	free(pf->start);
	free(pf->group);
	strv_free(&pf->strings);
	free(pf->step);
	free(pf->state);
	free(pf);
}

size_t prefilter_count(const struct prefilter *pf)
{
	return pf->n;
}

static void prefilter_code(struct prefilter *pf, size_t v)
{
	uint32_t u = (uint32_t)v;
	buf_add(&pf->code, &u, sizeof u);
}

int prefilter_add(struct prefilter *pf, const char *pattern, unsigned group)
{
	struct reader r = { pattern, 0, 0 };
	struct clauses *b = NULL;
	size_t nb = 0;
	reader_branches(&r, &b, &nb);
	/* Clauses with a string too short to be worth it are left out (a
	 * branch needs no less than the rest); a branch left with none
	 * makes the whole pattern a search. */
	int usable = !r.unreadable && !pattern[r.at];
	for (size_t i = 0; i < nb; i++) {
		size_t k = 0;
		for (size_t j = 0; j < b[i].n; j++) {
			if (clause_shortest(&b[i].v[j]) >= PREFILTER_MIN)
				b[i].v[k++] = b[i].v[j];
			else
				strv_free(&b[i].v[j]);
		}
		b[i].n = k;
		usable = usable && k > 0;
	}
	pf->start = xrealloc(pf->start, (pf->n + 1) * sizeof *pf->start);
	pf->group = xrealloc(pf->group, pf->n + 1);
	pf->group[pf->n] = (uint8_t)(group & 31);
	pf->start[pf->n] = pf->code.len / sizeof(uint32_t);
	prefilter_code(pf, usable ? nb : 0);
	for (size_t i = 0; usable && i < nb; i++) {
		prefilter_code(pf, b[i].n);
		for (size_t j = 0; j < b[i].n; j++) {
			prefilter_code(pf, b[i].v[j].n);
			for (size_t k = 0; k < b[i].v[j].n; k++) {
				prefilter_code(pf, pf->strings.n);
				strv_push(&pf->strings, b[i].v[j].v[k]);
			}
		}
	}
	pf->n++;
	for (size_t i = 0; i < nb; i++)
		clauses_free(&b[i]);
	free(b);
	return usable;
}

/* The step table's entries are 16 bits: the state, and the top bit. */
#define PREFILTER_STATES 0x8000
#define PREFILTER_ENDS 0x8000

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
	if (total > PREFILTER_STATES) {
		pf->every = 1;
		return;
	}
	for (int c = 'A'; c <= 'Z'; c++)
		pf->cls[c] = pf->cls[c - 'A' + 'a'];
	size_t nc = pf->nclass;
	uint16_t *next = xcalloc(total * nc, sizeof *next);
	struct state *sv = xmalloc(total * sizeof *sv);
	int32_t *at = xmalloc(pf->strings.n * sizeof *at);
	uint16_t *fail = xcalloc(total, sizeof *fail), *queue = xmalloc(total * sizeof *queue);
	for (size_t i = 0; i < total; i++)
		sv[i] = (struct state){ -1, -1 };
	pf->nends = 0;
	/* The trie; 0 is the root, and no trie edge goes back to it. */
	size_t ns = 1;
	for (size_t i = 0; i < pf->strings.n; i++) {
		uint16_t st = 0;
		for (const unsigned char *s = (const unsigned char *)pf->strings.v[i]; *s; s++) {
			uint16_t *to = &next[(size_t)st * nc + pf->cls[*s]];
			if (!*to)
				*to = (uint16_t)ns++;
			st = *to;
		}
		if (sv[st].end < 0)
			sv[st].end = (int32_t)pf->nends++;
		at[i] = sv[st].end;
	}
	/* Breadth first, so a state's failure state is done before it: its
	 * failure link, and each edge the trie lacks taken from the failure
	 * state, so that a scan never steps back. */
	size_t head = 0, tail = 0;
	for (size_t c = 0; c < nc; c++)
		if (next[c])
			queue[tail++] = next[c];
	while (head < tail) {
		uint16_t st = queue[head++], f = fail[st];
		sv[st].also = sv[f].end >= 0 ? f : sv[f].also;
		for (size_t c = 0; c < nc; c++) {
			uint16_t *to = &next[(size_t)st * nc + c];
			if (*to) {
				fail[*to] = next[(size_t)f * nc + c];
				queue[tail++] = *to;
			} else {
				*to = next[(size_t)f * nc + c];
			}
		}
	}
	/* Renumbered breadth first (every state but the root was queued once),
	 * so that the shallow states, where a scan spends most of its time,
	 * share the cache lines at the table's head; each entry's top bit set
	 * where a string ends. */
	uint16_t *rank = fail;
	rank[0] = 0;
	for (size_t i = 0; i < tail; i++)
		rank[queue[i]] = (uint16_t)(i + 1);
	pf->step = xmalloc(ns * nc * sizeof *pf->step);
	pf->state = xmalloc(ns * sizeof *pf->state);
	for (size_t st = 0; st < ns; st++) {
		size_t row = (size_t)rank[st] * nc;
		pf->state[rank[st]] = (struct state){ sv[st].end,
		                                      sv[st].also >= 0 ? rank[sv[st].also] : -1 };
		for (size_t c = 0; c < nc; c++) {
			uint16_t to = next[st * nc + c];
			pf->step[row + c] = (uint16_t)(rank[to] | (sv[to].end >= 0 || sv[to].also >= 0
			                                           ? PREFILTER_ENDS : 0));
		}
	}
	free(next);
	free(sv);
	/* The patterns' strings by where they end, which is what a scan finds. */
	uint32_t *code = (uint32_t *)pf->code.data;
	for (size_t i = 0; i < pf->n; i++) {
		uint32_t *c = code + pf->start[i];
		for (uint32_t nb = *c++; nb > 0; nb--)
			for (uint32_t ncl = *c++; ncl > 0; ncl--)
				for (uint32_t nstr = *c++; nstr > 0; nstr--, c++)
					*c = (uint32_t)at[*c];
	}
	size_t odd = pf->strings.n - PREFILTER_ODD;
	pf->odd[0] = at[odd];
	pf->odd[1] = at[odd + 1];
	free(at);
	free(fail);
	free(queue);
}

/* Whether the needs from code on are met: any branch all of whose clauses
 * have a string that was hit. */
static int prefilter_needs_met(const uint32_t *c, const uint8_t *hit)
{
	uint32_t nb = *c++;
	int m = nb == 0;
	for (; !m && nb > 0; nb--) {
		int every = 1;
		for (uint32_t ncl = *c++; ncl > 0; ncl--) {
			int one = 0;
			for (uint32_t nstr = *c++; nstr > 0; nstr--)
				one |= hit[*c++];
			every &= one;
		}
		m = every;
	}
	return m;
}

void prefilter_scan(const struct prefilter *pf, const char *s, uint32_t groups,
                    unsigned char *may)
{
	if (pf->every) {
		memset(may, 1, pf->n);
		return;
	}
	uint8_t small[512];
	uint8_t *hit = pf->nends <= sizeof small ? small : xmalloc(pf->nends);
	memset(hit, 0, pf->nends);
	size_t nc = pf->nclass;
	const struct state *sv = pf->state;
	uint16_t st = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		uint16_t v = pf->step[(size_t)st * nc + pf->cls[*p]];
		st = v & (PREFILTER_ENDS - 1);
		if (v == st)
			continue;
		for (int32_t x = sv[st].end >= 0 ? st : sv[st].also; x >= 0 && !hit[sv[x].end];
		     x = sv[x].also)
			hit[sv[x].end] = 1;
	}
	int all = hit[pf->odd[0]] || hit[pf->odd[1]];
	const uint32_t *code = (const uint32_t *)pf->code.data;
	for (size_t i = 0; i < pf->n; i++)
		may[i] = (unsigned char)(all || !(groups >> pf->group[i] & 1) ||
		                         prefilter_needs_met(code + pf->start[i], hit));
	if (hit != small)
		free(hit);
}
