/* Classifying received mail; see classify.h and data/classify.rules. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"
#include "model.h"
#include "prefilter.h"
#include "regex.h"

/* Listed in precedence order where the order matters (see the rules file). */
enum rule_kind {
	/* K_QUOTE and K_ORIGINAL first and together: strip_quotes. */
	K_QUOTE,
	K_ORIGINAL,
	K_CHALLENGE,
	K_DELAY,
	K_BOUNCE,
	K_AUTO,
	K_PARTIAL,
	K_EXTENSION,
	K_REFUSAL,
	K_CLARIFICATION,
	K_OTHER,
	K_RESPONSE,
	K_ACK,
	K_REFERENCE,
	K_NOTREF,
	K_COUNT
};
/* A rule's kind is its prefilter group. */
_Static_assert(K_COUNT <= 32, "a kind per prefilter group");

static const struct {
	const char *name;   /* as written in the rules file */
	const char *result; /* the kind it decides, NULL for helper rules */
} kinds[K_COUNT] = {
	[K_QUOTE] = { "quote", NULL },
	[K_ORIGINAL] = { "original", NULL },
	[K_CHALLENGE] = { "challenge", CLASSIFY_AUTO_REPLY },
	[K_DELAY] = { "delay", CLASSIFY_AUTO_REPLY },
	[K_BOUNCE] = { "bounce", CLASSIFY_BOUNCE },
	[K_AUTO] = { "auto_reply", CLASSIFY_AUTO_REPLY },
	[K_PARTIAL] = { "partial", CLASSIFY_RESPONSE },
	[K_REFUSAL] = { "refusal", CLASSIFY_REFUSAL },
	[K_EXTENSION] = { "extension", CLASSIFY_EXTENSION },
	[K_CLARIFICATION] = { "clarification", CLASSIFY_CLARIFICATION },
	[K_RESPONSE] = { "response", CLASSIFY_RESPONSE },
	[K_OTHER] = { "other", CLASSIFY_OTHER },
	[K_ACK] = { "acknowledgement", CLASSIFY_ACKNOWLEDGEMENT },
	[K_REFERENCE] = { "reference", NULL },
	[K_NOTREF] = { "not-reference", NULL },
};

enum { W_SUBJECT = 1, W_BODY = 2, W_ANY = 3 };

struct rule {
	enum rule_kind kind;
	char *name;
	int where;
	char *pattern; /* as written */
	size_t nsub;   /* its (groups) */
	struct regex *re; /* NULL until first needed: see rule_re() */
};

/* One regex per kind and place (subject rules, body rules) that matches
 * when any of those rules does: most kinds match nothing in a message, and
 * one pass over the text costs far less than one per rule. */
enum { F_SUBJECT, F_BODY, F_COUNT };

struct kind_filter {
	struct regex *re[F_COUNT];
	/* 0 no rules, 1 compiled, 2 the same rules as the body's (use that),
	 * -1 not compiled (too big: the rules run one by one) */
	int state[F_COUNT];
};

struct classify_rules {
	struct rule *v;
	size_t n;
	/* Rule numbers by kind, in file order: kind k's are by_kind[kind_at[k]]
	 * to by_kind[kind_at[k + 1] - 1]. */
	size_t *by_kind;
	size_t kind_at[K_COUNT + 1];
	struct kind_filter filter[K_COUNT];
	/* Rule i is its pattern i: which rules a text rules out before any
	 * regex runs on it. */
	struct prefilter *pf;
	struct model *model; /* classify.model beside the rules, or NULL */
};

/* The text a decision looked at: subject and body folded to single spaces,
 * and for each, which rules may match it (prefilter_scan; NULL with the
 * text). */
struct text {
	char *subject; /* NULL when there is none */
	char *body;
	unsigned char *may[F_COUNT];
};

/* Bytes of context around the match in a reference's not-reference test. */
#define NOTREF_TAIL 12

void classify_rules_free(struct classify_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].pattern);
		regex_free(r->v[i].re);
	}
	for (int k = 0; k < K_COUNT; k++)
		for (int f = 0; f < F_COUNT; f++)
			regex_free(r->filter[k].re[f]);
	free(r->v);
	free(r->by_kind);
	prefilter_free(r->pf);
	model_free(r->model);
	free(r);
}

static int valid_name(const char *s)
{
	return util_word_ok(s, 0, UTIL_LOWER_DIGITS "-");
}

static char *next_word(char **p)
{
	char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	char *w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

/* Parses one non-comment line into rule (whose name it sets).  Returns an
 * error text (new string) or NULL. */
static char *parse_rule(char *line, struct rule *out)
{
	char *p = line;
	char *kind = next_word(&p), *name = next_word(&p), *where = next_word(&p);
	if (!kind || !name || !where)
		return xstrdup("expected: KIND NAME WHERE /REGEX/");
	int k;
	for (k = 0; k < K_COUNT; k++)
		if (!strcmp(kinds[k].name, kind))
			break;
	if (k == K_COUNT)
		return xasprintf("unknown kind '%s'", kind);
	if (!valid_name(name))
		return xasprintf("bad rule name '%s' (want [a-z0-9-]+)", name);
	int w;
	if (!strcmp(where, "subject"))
		w = W_SUBJECT;
	else if (!strcmp(where, "body"))
		w = W_BODY;
	else if (!strcmp(where, "any"))
		w = W_ANY;
	else
		return xasprintf("bad WHERE '%s' (want subject, body or any)", where);
	if ((k == K_QUOTE || k == K_ORIGINAL) && w != W_BODY)
		return xasprintf("%s rules match body lines: WHERE must be body", kind);
	util_trim(p);
	size_t len = strlen(p);
	if (len < 3 || p[0] != '/' || p[len - 1] != '/')
		return xstrdup("expected a /REGEX/ after WHERE");
	p[len - 1] = '\0';
	/* Checked here, compiled again when first needed (rule_re). */
	struct regex *re = NULL;
	char *err = NULL;
	if (regex_compile(p + 1, &re, &err) < 0)
		return err;
	out->nsub = regex_groups(re);
	regex_free(re);
	if (k == K_REFERENCE && out->nsub == 0)
		return xstrdup("a reference rule needs a (group) around the reference");
	out->re = NULL;
	out->kind = (enum rule_kind)k;
	out->name = xstrdup(name);
	out->pattern = xstrdup(p + 1);
	out->where = w;
	return NULL;
}

static const int filter_where[F_COUNT] = { W_SUBJECT, W_BODY };

static void classify_index_kinds(struct classify_rules *r)
{
	r->by_kind = xmalloc((r->n ? r->n : 1) * sizeof *r->by_kind);
	size_t at = 0;
	for (int k = 0; k < K_COUNT; k++) {
		r->kind_at[k] = at;
		for (size_t i = 0; i < r->n; i++)
			if (r->v[i].kind == (enum rule_kind)k)
				r->by_kind[at++] = i;
	}
	r->kind_at[K_COUNT] = at;
}

static void classify_build_filters(struct classify_rules *r)
{
	for (int k = 0; k < K_COUNT; k++) {
		/* Kinds whose rules all look at both places share one regex. */
		int shared = 1;
		for (size_t i = 0; i < r->n; i++)
			if (r->v[i].kind == (enum rule_kind)k && r->v[i].where != W_ANY)
				shared = 0;
		for (int f = F_BODY; f >= F_SUBJECT; f--) {
			struct kind_filter *kf = &r->filter[k];
			if (f == F_SUBJECT && shared) {
				kf->state[f] = kf->state[F_BODY] ? 2 : 0;
				continue;
			}
			struct buf b = BUF_INIT;
			for (size_t i = 0; i < r->n; i++) {
				if (r->v[i].kind != (enum rule_kind)k || !(r->v[i].where & filter_where[f]))
					continue;
				buf_adds(&b, b.len ? "|(" : "(");
				buf_adds(&b, r->v[i].pattern);
				buf_addc(&b, ')');
			}
			if (b.len)
				kf->state[f] = regex_compile(b.data, &kf->re[f], NULL) == 0 ? 1 : -1;
			buf_free(&b);
		}
	}
}

/* A rule's own regex, compiled when first needed: the kind filters answer
 * most questions, and a daemon at rest need not hold both.  NULL only when
 * memory runs out (the pattern was checked at load). */
static const struct regex *rule_re(struct rule *ru)
{
	if (!ru->re && regex_compile(ru->pattern, &ru->re, NULL) < 0)
		return NULL;
	return ru->re;
}

/* 1 when some rule of kind placed at f matches s; may is s's prefilter
 * scan, or NULL to scan here.  Only rules the scan leaves are searched:
 * the kind's one regex when it leaves them all, else each of them. */
static int kind_any_match(const struct classify_rules *r, enum rule_kind kind, int f,
                          const char *s, const unsigned char *may)
{
	const struct kind_filter *kf = &r->filter[kind];
	int g = kf->state[f] == 2 ? F_BODY : f;
	if (!s || kf->state[g] == 0)
		return 0;
	unsigned char *own = NULL;
	if (!may) {
		own = xmalloc(r->n ? r->n : 1);
		prefilter_scan(r->pf, s, 1u << kind, own);
		may = own;
	}
	size_t rules = 0, left = 0;
	for (size_t j = r->kind_at[kind]; j < r->kind_at[kind + 1]; j++)
		if (r->v[r->by_kind[j]].where & filter_where[f]) {
			rules++;
			left += may[r->by_kind[j]];
		}
	int hit = 0;
	if (left && left == rules && kf->state[g] == 1) {
		hit = regex_search(kf->re[g], s, 0, NULL, 0) == 1;
	} else {
		for (size_t j = r->kind_at[kind]; left && !hit && j < r->kind_at[kind + 1]; j++) {
			size_t i = r->by_kind[j];
			const struct regex *re = (r->v[i].where & filter_where[f]) && may[i]
			                         ? rule_re(&r->v[i]) : NULL;
			hit = re && regex_search(re, s, 0, NULL, 0) == 1;
		}
	}
	free(own);
	return hit;
}

/* The model lives beside the rules it takes its rule features from, so
 * one data directory is always one consistent pair.  Without a model file
 * the rules decide alone. */
static int classify_load_model(struct classify_rules *r, const char *rules_path,
                               char **errp)
{
	const char *slash = strrchr(rules_path, '/');
	char *path = slash ? xasprintf("%.*s/classify.model", (int)(slash - rules_path), rules_path)
	                   : xstrdup("classify.model");
	char *err = NULL;
	int rc = model_load(path, &r->model, &err);
	if (rc == FOID_ENOTFOUND) {
		rc = 0;
	} else if (rc < 0) {
		err_set(errp, rc, "%s", err);
	}
	free(err);
	free(path);
	return rc;
}

int classify_load(const char *rules_path, struct classify_rules **out, char **errp)
{
	char *text = NULL;
	struct classify_rules *r = xcalloc(1, sizeof *r);
	size_t cap = 0;
	int ret = util_read_file(rules_path, &text, NULL, errp);
	if (ret != 0)
		goto out;
	struct util_lines lines;
	util_lines_init(&lines, text);
	for (char *line; (line = util_lines_next(&lines));) {
		util_trim(line);
		if (*line && *line != '#') {
			if (r->n == cap) {
				cap = cap ? 2 * cap : 64;
				r->v = xrealloc(r->v, cap * sizeof *r->v);
			}
			char *msg = parse_rule(line, &r->v[r->n]);
			if (msg) {
				ret = err_set(errp, FOID_EINVAL, "%s:%d: %s", rules_path, lines.lineno, msg);
				free(msg);
				goto out;
			}
			r->n++;
		}
	}
	classify_index_kinds(r);
	classify_build_filters(r);
	r->pf = prefilter_new();
	for (size_t i = 0; i < r->n; i++)
		prefilter_add(r->pf, r->v[i].pattern, r->v[i].kind);
	prefilter_ready(r->pf);
	ret = classify_load_model(r, rules_path, errp);
out:
	free(text);
	if (ret != 0) {
		classify_rules_free(r);
		r = NULL;
	}
	*out = r;
	return ret;
}

void classify_result_clear(struct classify_result *res)
{
	if (!res)
		return;
	free(res->rule);
	free(res->evidence);
	strv_free(&res->failed_recipients);
	free(res->diagnostic);
	free(res->original_message_id);
	free(res->original_subject);
	free(res->their_reference);
	*res = (struct classify_result)CLASSIFY_RESULT_INIT;
}

/* ---- text helpers -------------------------------------------------------- */

/* A new string: white space runs (NBSP too) folded to one space, curly
 * quotes straightened, trimmed.  NULL in, NULL out. */
static char *fold(const char *s)
{
	if (!s)
		return NULL;
	/* Folding never lengthens the text: one pass into one allocation. */
	char *out = xmalloc(strlen(s) + 1);
	size_t len = 0;
	int space = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f' ||
		    *p == '\v' || (p[0] == 0xc2 && p[1] == 0xa0)) {
			if (p[0] == 0xc2)
				p++;
			space = 1;
			continue;
		}
		if (space && len)
			out[len++] = ' ';
		space = 0;
		if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] >= 0x98 && p[2] <= 0x9d)) {
			out[len++] = p[2] <= 0x9b ? '\'' : '"';
			p += 2;
			continue;
		}
		out[len++] = (char)*p;
	}
	out[len] = '\0';
	return out;
}

/* A text of subject and body (folded, taken), with their prefilter scans. */
static struct text text_new(const struct classify_rules *r, char *subject, char *body)
{
	struct text t = { subject, body, { NULL, NULL } };
	const char *s[F_COUNT] = { subject, body };
	for (int f = 0; f < F_COUNT; f++) {
		if (!s[f])
			continue;
		t.may[f] = xmalloc(r->n ? r->n : 1);
		prefilter_scan(r->pf, s[f], PREFILTER_ALL, t.may[f]);
	}
	return t;
}

static void text_free(struct text *t)
{
	free(t->subject);
	free(t->body);
	for (int f = 0; f < F_COUNT; f++)
		free(t->may[f]);
}

/* A new string of at most CLASSIFY_EVIDENCE_MAX bytes around s[so, eo). */
static char *excerpt(const char *s, size_t so, size_t eo)
{
	size_t len = strlen(s), max = CLASSIFY_EVIDENCE_MAX;
	size_t start = so, end = eo;
	if (end - start > max) {
		end = start + max;
	} else {
		size_t spare = max - (end - start);
		size_t before = spare / 2 < start ? spare / 2 : start;
		start -= before;
		end = end + (spare - before) < len ? end + (spare - before) : len;
	}
	while (start < end && ((unsigned char)s[start] & 0xc0) == 0x80)
		start++;
	while (end > start && end < len && ((unsigned char)s[end] & 0xc0) == 0x80)
		end--;
	return util_trim(xstrndup(s + start, end - start));
}

/* may: s's prefilter scan (NULL: none) */
static int rule_match(const struct classify_rules *r, struct rule *ru, const char *s,
                      const unsigned char *may, struct regex_span *m, size_t nm)
{
	const struct regex *re = s && (!may || may[ru - r->v]) ? rule_re(ru) : NULL;
	return re && regex_search(re, s, 0, m, nm) == 1;
}

/* First rule of kind (file order) matching t; fills *evidence. */
static const struct rule *match_kind(const struct classify_rules *r, enum rule_kind kind,
                                     const struct text *t, char **evidence)
{
	if (!kind_any_match(r, kind, F_SUBJECT, t->subject, t->may[F_SUBJECT]) &&
	    !kind_any_match(r, kind, F_BODY, t->body, t->may[F_BODY]))
		return NULL;
	for (size_t j = r->kind_at[kind]; j < r->kind_at[kind + 1]; j++) {
		struct rule *ru = &r->v[r->by_kind[j]];
		struct regex_span m[1];
		const char *s = NULL;
		if ((ru->where & W_SUBJECT) && rule_match(r, ru, t->subject, t->may[F_SUBJECT], m, 1))
			s = t->subject;
		else if ((ru->where & W_BODY) && rule_match(r, ru, t->body, t->may[F_BODY], m, 1))
			s = t->body;
		if (s) {
			*evidence = excerpt(s, (size_t)m[0].start, (size_t)m[0].end);
			return ru;
		}
	}
	return NULL;
}

static int line_is_quote(const struct classify_rules *r, const char *line, int bounce)
{
	unsigned char *may = xmalloc(r->n ? r->n : 1);
	prefilter_scan(r->pf, line, 1u << K_ORIGINAL | 1u << K_QUOTE, may);
	int quote = kind_any_match(r, K_ORIGINAL, F_BODY, line, may) ||
	            (!bounce && kind_any_match(r, K_QUOTE, F_BODY, line, may));
	free(may);
	return quote;
}

/* A new string: a reply's body without '>' lines, cut at the first quote
 * or original separator; for a bounce (whose transcripts use "<<<" and
 * ">>>"), only cut at the copy of the original. */
static char *strip_quotes(const struct classify_rules *r, const char *body, int bounce)
{
	/* A line holds no more than the whole body: where the body has none of
	 * what the quote rules need, no line is looked at for them. */
	unsigned char *may = xmalloc(r->n ? r->n : 1);
	prefilter_scan(r->pf, body, 1u << K_ORIGINAL | 1u << K_QUOTE, may);
	int quotes = 0;
	for (size_t j = r->kind_at[K_QUOTE]; j < r->kind_at[K_ORIGINAL + 1]; j++)
		quotes |= may[r->by_kind[j]];
	free(may);
	struct buf out = BUF_INIT;
	for (const char *p = body; p && *p; ) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, n);
		size_t ll = strlen(line);
		if (ll && line[ll - 1] == '\r')
			line[ll - 1] = '\0';
		const char *q = line + strspn(line, " \t");
		int stop = quotes && line_is_quote(r, line, bounce);
		if (!stop && (bounce || *q != '>')) {
			buf_adds(&out, line);
			buf_addc(&out, '\n');
		}
		free(line);
		if (stop)
			break;
		p = nl ? nl + 1 : NULL;
	}
	return buf_detach(&out);
}

static void set_result(struct classify_result *res, const char *kind, char *rule,
                       char *evidence)
{
	res->kind = kind;
	free(res->rule);
	res->rule = rule;
	free(res->evidence);
	res->evidence = evidence ? evidence : xstrdup("");
	res->confidence = 1;
}

static int set_from_rule(struct classify_result *res, const struct rule *ru, char *evidence)
{
	set_result(res, kinds[ru->kind].result,
	           xasprintf("text:%s:%s", kinds[ru->kind].name, ru->name), evidence);
	return 1;
}

/* ---- their reference ----------------------------------------------------- */

/* The first acceptable reference any reference rule for place f (subject
 * or body) finds in s, or NULL. */
static char *reference_in(const struct classify_rules *r, const char *s, int f,
                          const unsigned char *may, const char *ours)
{
	if (!kind_any_match(r, K_REFERENCE, f, s, may))
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		struct rule *ru = &r->v[i];
		const struct regex *re = ru->kind == K_REFERENCE && (ru->where & filter_where[f])
		                         && (!may || may[i]) ? rule_re(ru) : NULL;
		if (!re)
			continue;
		for (size_t off = 0; s[off]; ) {
			struct regex_span m[10];
			size_t nm = ru->nsub + 1 < 10 ? ru->nsub + 1 : 10;
			if (regex_search(re, s, off, m, nm) != 1)
				break;
			size_t g = nm - 1;
			while (g > 0 && m[g].start < 0)
				g--;
			char *ref = xstrndup(s + m[g].start, (size_t)(m[g].end - m[g].start));
			size_t rl = strlen(ref);
			while (rl && strchr("./-_", ref[rl - 1]))
				ref[--rl] = '\0';
			size_t tail_end = (size_t)m[0].end;
			for (int k = 0; k < NOTREF_TAIL && s[tail_end]; k++)
				tail_end++;
			char *ctx = xstrndup(s + m[0].start, tail_end - (size_t)m[0].start);
			int ok = rl > 0 && strpbrk(ref, "0123456789") && !kind_any_match(r, K_NOTREF, f, ctx, NULL) &&
			         !(ours && !strcasecmp(ref, ours));
			free(ctx);
			if (ok)
				return ref;
			free(ref);
			off = (size_t)m[0].end > off ? (size_t)m[0].end : off + 1;
		}
	}
	return NULL;
}

static char *reference_folded(const struct classify_rules *r, const struct text *t,
                              const char *ours)
{
	char *ref = reference_in(r, t->subject, F_SUBJECT, t->may[F_SUBJECT], ours);
	return ref ? ref : reference_in(r, t->body, F_BODY, t->may[F_BODY], ours);
}

char *classify_reference(const struct classify_rules *r, const char *subject,
                         const char *body, const char *our_reference)
{
	if (!r)
		return NULL;
	char *stripped = strip_quotes(r, body ? body : "", 0);
	struct text t = text_new(r, fold(subject), fold(stripped));
	char *ref = reference_folded(r, &t, our_reference);
	text_free(&t);
	free(stripped);
	return ref;
}

/* ---- human replies ------------------------------------------------------- */

/* Kinds 7-13 of the precedence (rules file header), in order. */
static const enum rule_kind human_order[] = {
	K_PARTIAL, K_EXTENSION, K_REFUSAL, K_CLARIFICATION, K_OTHER, K_RESPONSE, K_ACK,
};

static int classify_human(const struct classify_rules *r, const struct text *t,
                          struct classify_result *res)
{
	for (size_t i = 0; i < sizeof human_order / sizeof human_order[0]; i++) {
		char *ev = NULL;
		const struct rule *ru = match_kind(r, human_order[i], t, &ev);
		if (ru)
			return set_from_rule(res, ru, ev);
	}
	return 0;
}

/* Every rule of kinds 6-13 that matches t, as "KIND:NAME": the model's
 * rule features. */
static void rule_hits(const struct classify_rules *r, const struct text *t,
                      struct strv *out)
{
	for (enum rule_kind k = K_AUTO; k <= K_ACK; k++) {
		if (!kind_any_match(r, k, F_SUBJECT, t->subject, t->may[F_SUBJECT]) &&
		    !kind_any_match(r, k, F_BODY, t->body, t->may[F_BODY]))
			continue;
		for (size_t j = r->kind_at[k]; j < r->kind_at[k + 1]; j++) {
			struct rule *ru = &r->v[r->by_kind[j]];
			struct regex_span m[1];
			if (((ru->where & W_SUBJECT) &&
			     rule_match(r, ru, t->subject, t->may[F_SUBJECT], m, 1)) ||
			    ((ru->where & W_BODY) && rule_match(r, ru, t->body, t->may[F_BODY], m, 1)))
				strv_push_owned(out, xasprintf("%s:%s", kinds[k].name, ru->name));
		}
	}
}

static const char *const human_kinds[] = {
	CLASSIFY_ACKNOWLEDGEMENT, CLASSIFY_CLARIFICATION, CLASSIFY_EXTENSION,
	CLASSIFY_REFUSAL, CLASSIFY_RESPONSE, CLASSIFY_OTHER,
};

/* Where a rule speaks, the model's verdict stands only when it is at least
 * this sure; below it the rule decides.  Chosen by 5-fold cross-validation
 * on the training part (scripts/train-model.py --cv, l2=0.1, 195 replies,
 * with the pooled "a rule of this kind" features): rules first 146 right,
 * the model alone 159, the model unless under 0.5 sure 158, 0.6 160, 0.7
 * 159, 0.8 157.  0.6 and 0.7 are within noise of each other; 0.7 because
 * the rules' phrases are the ones our own fixtures and most English
 * councils use, and at 0.6 a plain "could you please clarify" was still
 * taken for a response on the strength of "and", "are" and "in". */
#define CLASSIFY_MODEL_SURE 0.7

/* The model's verdict: rule "model:KIND", evidence the features that
 * weighed most.  0 when the model names a kind foid does not have, or when
 * a rule spoke (rule_spoke) and the model is less sure than
 * CLASSIFY_MODEL_SURE; 1 with the rule's verdict left in res when the
 * model agrees with the rule that spoke. */
static int classify_model(const struct classify_rules *r, const struct text *t,
                          int has_attachments, int rule_spoke,
                          struct classify_result *res)
{
	struct strv hits = STRV_INIT;
	/* Where no rule of kinds 7-13 spoke (and 6 was looked for before),
	 * there are no rule hits to look for. */
	if (rule_spoke)
		rule_hits(r, t, &hits);
	struct model_result mr;
	model_score_reply(r->model, t->subject, t->body, has_attachments, &hits, &mr);
	const char *kind = NULL;
	for (size_t i = 0; i < sizeof human_kinds / sizeof human_kinds[0]; i++)
		if (strcmp(human_kinds[i], mr.kind) == 0)
			kind = human_kinds[i];
	if (rule_spoke && mr.confidence < CLASSIFY_MODEL_SURE)
		kind = NULL;
	/* Where the rule and the model agree, the rule's verdict stands: the
	 * same kind, said by a high-precision rule a person can read, and as
	 * sure as a rule is (a model's probability near its threshold would
	 * send a plain clarification to review). */
	int agree = kind && rule_spoke && res->kind && strcmp(res->kind, kind) == 0;
	if (kind && !agree) {
		struct buf ev = BUF_INIT;
		for (size_t i = 0; i < MODEL_TOP && *mr.top[i]; i++) {
			char *f = model_feature_text(mr.top[i]);
			buf_addf(&ev, "%s\"%s\"", i ? ", " : "", f);
			free(f);
		}
		set_result(res, kind, xasprintf("model:%s", kind), buf_detach(&ev));
		res->confidence = mr.confidence;
	}
	strv_free(&hits);
	return kind != NULL;
}

static void classify_fallback(struct classify_result *res, int has_attachments)
{
	if (has_attachments)
		set_result(res, CLASSIFY_RESPONSE, xstrdup("fallback:attachment"),
		           xstrdup("no recognised text; the reply has attachments"));
	else if (res->their_reference)
		set_result(res, CLASSIFY_ACKNOWLEDGEMENT, xstrdup("fallback:reference-only"),
		           xasprintf("no recognised text; their reference %s",
		                     res->their_reference));
	else
		set_result(res, CLASSIFY_OTHER, xstrdup("fallback:unmatched"), NULL);
	/* A guess from the shape of the mail, not from what it says. */
	res->confidence = has_attachments || res->their_reference ? 0.5 : 0;
}

/* Steps 6-14; auto_rule (may be NULL) is a header verdict of automatic mail
 * that an acknowledgement in the text overrides. */
/* full, unless NULL, is the whole subject and body folded and scanned
 * (the machine steps' text): a body with nothing to strip is not scanned
 * again. */
static void classify_body(const struct classify_rules *r, const char *subject,
                          const char *body, const struct text *full, int has_attachments,
                          const char *ours, char *auto_rule, char *auto_evidence,
                          struct classify_result *res)
{
	char *stripped = strip_quotes(r, body ? body : "", 0), *folded = fold(stripped);
	struct text own = { NULL, NULL, { NULL, NULL } };
	int again = !full || !full->body || strcmp(folded, full->body);
	if (again)
		own = text_new(r, fold(subject), folded);
	else
		free(folded);
	const struct text t = again ? own : *full;
	char *ev = NULL;
	const struct rule *ru;
	res->their_reference = reference_folded(r, &t, ours);
	if ((ru = match_kind(r, K_AUTO, &t, &ev))) {
		set_from_rule(res, ru, ev);
	} else if (auto_rule && (ru = match_kind(r, K_ACK, &t, &ev))) {
		set_from_rule(res, ru, ev);
	} else if (auto_rule) {
		set_result(res, CLASSIFY_AUTO_REPLY, auto_rule, auto_evidence);
		auto_rule = auto_evidence = NULL;
	} else {
		/* The model sees the rules' verdicts among its features and is
		 * asked first; a rule decides where the model is unsure. */
		int spoke = classify_human(r, &t, res);
		if (!(r->model && classify_model(r, &t, has_attachments, spoke, res)) && !spoke)
			classify_fallback(res, has_attachments);
	}
	free(auto_rule);
	free(auto_evidence);
	text_free(&own);
	free(stripped);
}

int classify_text(const struct classify_rules *r, const char *subject,
                  const char *body, int has_attachments,
                  const char *our_reference, struct classify_result *res)
{
	if (!r || !res)
		return FOID_EINVAL;
	classify_result_clear(res);
	classify_body(r, subject, body, NULL, has_attachments, our_reference, NULL, NULL, res);
	return 0;
}

/* ---- bounces and automatic mail ----------------------------------------- */

/* Lower-case addr-spec from a DSN recipient field "rfc822; <a@b>", or NULL
 * when it is not an RFC 822 address. */
static char *dsn_address(const char *v)
{
	if (!v)
		return NULL;
	const char *semi = strchr(v, ';');
	if (semi && !memmem(v, (size_t)(semi - v), "822", 3))
		return NULL;
	const char *a = semi ? semi + 1 : v;
	a += strspn(a, " \t<");
	size_t n = strcspn(a, "> \t");
	if (n == 0 || !memchr(a, '@', n))
		return NULL;
	return util_lower(xstrndup(a, n));
}

static void strv_push_unique(struct strv *sv, char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s)) {
			free(s);
			return;
		}
	strv_push_owned(sv, s);
}

/* One per-recipient group of a delivery-status report. */
struct dsn_group {
	struct buf final_rcpt, orig_rcpt, action, status, diagnostic;
};

struct dsn {
	int failed, delayed, other;
	struct strv recipients;
	char *diagnostic;
	char *evidence;
};

static void dsn_group_reset(struct dsn_group *g)
{
	buf_free(&g->final_rcpt);
	buf_free(&g->orig_rcpt);
	buf_free(&g->action);
	buf_free(&g->status);
	buf_free(&g->diagnostic);
}

/* The field's trimmed text, never NULL. */
static char *field(struct buf *b)
{
	buf_add(b, "", 0);
	return util_trim(b->data);
}

static void dsn_group_end(struct dsn *d, struct dsn_group *g)
{
	const char *action = field(&g->action);
	const char *status = field(&g->status);
	int failed = !strncasecmp(action, "failed", 6) || (!*action && status[0] == '5' &&
	                                                   g->final_rcpt.len);
	int delayed = !strncasecmp(action, "delayed", 7) ||
	              (!*action && status[0] == '4' && g->final_rcpt.len);
	if (failed) {
		char *a = dsn_address(g->final_rcpt.data);
		if (!a)
			a = dsn_address(g->orig_rcpt.data);
		if (a)
			strv_push_unique(&d->recipients, a);
		const char *diag = field(&g->diagnostic);
		if (!d->diagnostic && (*diag || *status)) {
			if (!*diag)
				diag = status;
			const char *semi = strchr(diag, ';');
			if (semi && (size_t)(semi - diag) < 24)
				diag = semi + 1 + strspn(semi + 1, " ");
			d->diagnostic = fold(diag);
		}
		if (!d->evidence)
			d->evidence = xasprintf("Final-Recipient: %s; Action: %s; Status: %s",
			                        field(&g->final_rcpt), action, status);
		d->failed = 1;
	} else if (delayed) {
		if (!d->evidence)
			d->evidence = xasprintf("Action: %s; Status: %s (delivery delayed, not "
			                        "failed: carries no answer)", action, status);
		d->delayed = 1;
	} else if (*action) {
		d->other = 1;
	}
	dsn_group_reset(g);
}

/* Reads Action/Status/recipient fields per blank-line-separated group. */
static void dsn_parse(const char *ds, struct dsn *d)
{
	struct dsn_group g = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
	struct buf *cur = NULL;
	for (const char *p = ds; p && *p; ) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		while (n && p[n - 1] == '\r')
			n--;
		size_t name_len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                            "0123456789-");
		size_t colon = name_len + strspn(p + name_len, " \t");
		if (n == 0 || strspn(p, " \t") == n) {
			dsn_group_end(d, &g);
			cur = NULL;
		} else if (name_len && colon < n && p[colon] == ':') {
			cur = NULL;
			if (name_len == 15 && !strncasecmp(p, "Final-Recipient", 15))
				cur = &g.final_rcpt;
			else if (name_len == 18 && !strncasecmp(p, "Original-Recipient", 18))
				cur = &g.orig_rcpt;
			else if (name_len == 6 && !strncasecmp(p, "Action", 6))
				cur = &g.action;
			else if (name_len == 6 && !strncasecmp(p, "Status", 6))
				cur = &g.status;
			else if (name_len == 15 && !strncasecmp(p, "Diagnostic-Code", 15))
				cur = &g.diagnostic;
			if (cur) {
				buf_reset(cur);
				buf_add(cur, p + colon + 1, n - colon - 1);
			}
		} else if (cur) {
			/* folded or (Exchange, MessageLabs) unindented continuation */
			buf_addc(cur, ' ');
			buf_add(cur, p, n);
		}
		p = nl ? nl + 1 : NULL;
	}
	dsn_group_end(d, &g);
}

static int is_daemon_sender(const struct mime_message *m)
{
	if (!m->from || !*m->from)
		return 1;
	static const char *const locals[] = {
		"mailer-daemon@", "postmaster@", "mail-daemon@", "mailerdaemon@",
	};
	for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++)
		if (util_strcasestarts(m->from, locals[i]))
			return 1;
	return m->content_type && !strcmp(m->content_type, "multipart/report");
}

static int address_known(const struct mime_message *m, const char *a)
{
	if (m->from && !strcmp(m->from, a))
		return 1;
	for (size_t i = 0; i < m->to.n; i++)
		if (!strcmp(m->to.v[i], a))
			return 1;
	for (size_t e = 0; e < m->nembedded; e++)
		if (m->embedded[e]->from && !strcmp(m->embedded[e]->from, a))
			return 1;
	return util_strcasestarts(a, "postmaster@") || util_strcasestarts(a, "mailer-daemon@");
}

static int is_addr_char(char c, int domain)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || (!domain && (c == '_' || c == '+' || c == '%'));
}

/* Addresses named in a free-text report, skipping header-like lines (the
 * original's From/To) and the addresses of the parties themselves. */
static void text_recipients(const struct mime_message *m, const char *report,
                            struct strv *out)
{
	static const char *const skip[] = {
		"from:", "to:", "cc:", "sender", "return-path", "original sender", "reply-to",
		"for further assistance", "please reply to",
	};
	for (const char *p = report; p && *p; ) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *q = p + strspn(p, " \t");
		int skipped = 0;
		for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
			if (util_strcasestarts(q, skip[i]))
				skipped = 1;
		for (size_t i = 0; !skipped && i < n; i++) {
			if (p[i] != '@')
				continue;
			size_t s = i, e = i + 1;
			while (s > 0 && is_addr_char(p[s - 1], 0))
				s--;
			while (e < n && is_addr_char(p[e], 1))
				e++;
			while (e > i + 1 && p[e - 1] == '.')
				e--;
			while (s < i && p[s] == '.')
				s++;
			if (s == i || !memchr(p + i, '.', e - i))
				continue;
			char *a = util_lower(xstrndup(p + s, e - s));
			if (address_known(m, a))
				free(a);
			else
				strv_push_unique(out, a);
			i = e;
		}
		p = nl ? nl + 1 : NULL;
	}
}

/* The human text about the failed address rcpt: its line and the lines
 * after it up to a blank line (the next paragraph when none follow), or
 * NULL when rcpt is not in the report. */
static char *text_diagnostic(const char *report, const char *rcpt)
{
	const char *p = strcasestr(report, rcpt);
	if (!p)
		return NULL;
	while (p > report && p[-1] != '\n')
		p--;
	struct buf b = BUF_INIT;
	int lines = 0, blank_ok = 1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		int blank = strspn(p, " \t\r") >= n;
		if (blank && !(lines == 1 && blank_ok))
			break;
		if (!blank) {
			if (lines == 1)
				blank_ok = 0;
			buf_add(&b, p, n);
			buf_addc(&b, '\n');
			lines++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	char *f = fold(b.data ? b.data : "");
	char *d = excerpt(f, 0, strlen(f));
	free(f);
	buf_free(&b);
	return d;
}

/* Value of the first "Name: value" line in text (indent allowed), or NULL. */
static char *text_field(const char *text, const char *name)
{
	size_t nl_len = strlen(name);
	for (const char *p = text; p && *p; ) {
		const char *nl = strchr(p, '\n');
		const char *q = p + strspn(p, " \t");
		if (!strncasecmp(q, name, nl_len) && q[nl_len] == ':') {
			size_t n = nl ? (size_t)(nl - q) : strlen(q);
			char *v = xstrndup(q + nl_len + 1, n - nl_len - 1);
			util_trim(v);
			if (*v)
				return v;
			free(v);
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static void bounce_original(const struct mime_message *m, struct classify_result *res)
{
	for (size_t e = 0; e < m->nembedded; e++) {
		const struct mime_message *o = m->embedded[e];
		if (!res->original_message_id && o->message_id)
			res->original_message_id = xstrdup(o->message_id);
		if (!res->original_subject && o->subject)
			res->original_subject = xstrdup(o->subject);
	}
	if (!res->original_message_id) {
		char *v = text_field(m->body_text, "Message-ID");
		if (v) {
			const char *a = v + strspn(v, "<");
			res->original_message_id = xstrndup(a, strcspn(a, "> ,"));
			free(v);
		}
	}
	if (!res->original_subject)
		res->original_subject = text_field(m->body_text, "Subject");
}

/* Fills the bounce details not already set from the DSN. */
static void bounce_details(const struct classify_rules *r, const struct mime_message *m,
                           struct classify_result *res)
{
	const char *xfr = mime_header_get(m, "X-Failed-Recipients");
	if (!res->failed_recipients.n && xfr) {
		char *copy = xstrdup(xfr);
		char *save = NULL;
		for (char *tok = strtok_r(copy, ", \t", &save); tok;
		     tok = strtok_r(NULL, ", \t", &save)) {
			char *a = dsn_address(tok);
			if (a)
				strv_push_unique(&res->failed_recipients, a);
		}
		free(copy);
	}
	char *report = strip_quotes(r, m->body_text, 1);
	if (!res->failed_recipients.n)
		text_recipients(m, report, &res->failed_recipients);
	if (!res->diagnostic && res->failed_recipients.n)
		res->diagnostic = text_diagnostic(report, res->failed_recipients.v[0]);
	if (!res->diagnostic) {
		char *f = fold(report);
		if (*f)
			res->diagnostic = excerpt(f, 0, strlen(f));
		free(f);
	}
	free(report);
	if (!res->diagnostic && *res->evidence)
		res->diagnostic = xstrdup(res->evidence);
	bounce_original(m, res);
}

/* Auto-reply signals in the headers: a new rule name and evidence. */
static int auto_headers(const struct mime_message *m, char **rule, char **evidence)
{
	const char *v;
	if ((v = mime_header_get(m, "Auto-Submitted")) && strncasecmp(v, "no", 2) != 0) {
		*rule = xstrdup("header:auto-submitted");
		*evidence = xasprintf("Auto-Submitted: %s", v);
		return 1;
	}
	static const char *const flags[] = { "X-Autoreply", "X-Autorespond" };
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if ((v = mime_header_get(m, flags[i]))) {
			*rule = util_lower(xasprintf("header:%s", flags[i]));
			*evidence = xasprintf("%s: %s", flags[i], v);
			return 1;
		}
	static const char *const prec[] = { "Precedence", "X-Precedence" };
	for (size_t i = 0; i < sizeof prec / sizeof prec[0]; i++)
		if ((v = mime_header_get(m, prec[i]))) {
			const char *w = v + strspn(v, " \t");
			if (util_strcasestarts(w, "bulk") || util_strcasestarts(w, "junk") ||
			    util_strcasestarts(w, "auto_reply")) {
				*rule = xstrdup("header:precedence");
				*evidence = xasprintf("%s: %s", prec[i], v);
				return 1;
			}
		}
	if ((v = mime_header_get(m, "X-POST-MessageClass")) && strcasestr(v, "autoresponder")) {
		*rule = xstrdup("header:x-post-messageclass");
		*evidence = xasprintf("X-POST-MessageClass: %s", v);
		return 1;
	}
	if (m->report_type && strcmp(m->report_type, "delivery-status") != 0) {
		*rule = xasprintf("report:%s", m->report_type);
		*evidence = xasprintf("Content-Type: %s; report-type=%s",
		                      m->content_type ? m->content_type : "", m->report_type);
		return 1;
	}
	return 0;
}

/* Steps 1-5 of the precedence; returns 1 when decided. */
static int classify_machine(const struct classify_rules *r, const struct mime_message *m,
                            const struct text *full, struct classify_result *res)
{
	const struct text t = *full;
	struct text ds = text_new(r, NULL, fold(m->delivery_status));
	struct dsn d = { 0, 0, 0, STRV_INIT, NULL, NULL };
	const struct rule *ru;
	char *ev = NULL;
	int done = 1;
	if ((ru = match_kind(r, K_CHALLENGE, &t, &ev)) ||
	    (ru = match_kind(r, K_CHALLENGE, &ds, &ev))) {
		set_from_rule(res, ru, ev);
		goto out;
	}
	if (m->delivery_status)
		dsn_parse(m->delivery_status, &d);
	if (d.failed) {
		set_result(res, CLASSIFY_BOUNCE, xstrdup("dsn:action-failed"),
		           excerpt(d.evidence, 0, strlen(d.evidence)));
		res->failed_recipients = d.recipients;
		d.recipients = (struct strv)STRV_INIT;
		res->diagnostic = d.diagnostic;
		d.diagnostic = NULL;
		bounce_details(r, m, res);
		goto out;
	}
	if (d.delayed) {
		set_result(res, CLASSIFY_AUTO_REPLY, xstrdup("dsn:action-delayed"),
		           excerpt(d.evidence, 0, strlen(d.evidence)));
		goto out;
	}
	const char *xfr = mime_header_get(m, "X-Failed-Recipients");
	if (xfr) {
		set_result(res, CLASSIFY_BOUNCE, xstrdup("header:x-failed-recipients"),
		           excerpt(xfr, 0, strlen(xfr)));
		bounce_details(r, m, res);
		goto out;
	}
	int daemon = is_daemon_sender(m);
	struct text gated = { t.subject, daemon ? t.body : NULL,
	                      { t.may[F_SUBJECT], daemon ? t.may[F_BODY] : NULL } };
	if ((ru = match_kind(r, K_DELAY, &gated, &ev))) {
		set_from_rule(res, ru, xasprintf("%s (delivery delayed, not failed: carries "
		                                 "no answer)", ev));
		free(ev);
		goto out;
	}
	if ((ru = match_kind(r, K_BOUNCE, &gated, &ev))) {
		set_from_rule(res, ru, ev);
		bounce_details(r, m, res);
		goto out;
	}
	if (d.other) {
		set_result(res, CLASSIFY_AUTO_REPLY, xstrdup("dsn:action-delivered"),
		           xstrdup("a delivery-status report without failure"));
		goto out;
	}
	done = 0;
out:
	strv_free(&d.recipients);
	free(d.diagnostic);
	free(d.evidence);
	text_free(&ds);
	return done;
}

static int has_documents(const struct mime_message *m)
{
	for (size_t i = 0; i < m->nattachments; i++)
		if (!m->attachments[i].content_type ||
		    !util_starts_with(m->attachments[i].content_type, "message/"))
			return 1;
	return 0;
}

int classify_has_model(const struct classify_rules *r)
{
	return r && r->model;
}

void classify_features(const struct classify_rules *r, const struct mime_message *m,
                       struct strv *out)
{
	char *stripped = strip_quotes(r, m->body_text ? m->body_text : "", 0);
	struct text t = text_new(r, fold(m->subject), fold(stripped));
	struct strv hits = STRV_INIT;
	rule_hits(r, &t, &hits);
	model_features(t.subject, t.body, has_documents(m), &hits, out);
	strv_free(&hits);
	text_free(&t);
	free(stripped);
}

int classify_message(const struct classify_rules *r, const struct mime_message *m,
                     const char *our_reference, struct classify_result *res)
{
	if (!r || !m || !res)
		return FOID_EINVAL;
	classify_result_clear(res);
	struct text full = text_new(r, fold(m->subject), fold(m->body_text));
	if (classify_machine(r, m, &full, res)) {
		text_free(&full);
		return 0;
	}
	char *auto_rule = NULL, *auto_evidence = NULL;
	auto_headers(m, &auto_rule, &auto_evidence);
	if (auto_evidence) {
		char *clipped = excerpt(auto_evidence, 0, strlen(auto_evidence));
		free(auto_evidence);
		auto_evidence = clipped;
	}
	classify_body(r, m->subject, m->body_text, &full, has_documents(m), our_reference,
	              auto_rule, auto_evidence, res);
	text_free(&full);
	return 0;
}
