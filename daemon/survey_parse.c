#include "survey_parse.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Confidence of each way of reading, in percent. */
#define SP_CLEAN   95 /* a value at the start of a numbered answer */
#define SP_INSIDE  60 /* a value found inside a numbered answer */
#define SP_PROSE   40 /* read from prose */

/* Longest line and text read: a survey reply is short, and bounds keep
 * the work linear in what an attacker sends. */
#define SP_MAX_TEXT (256 * 1024)
#define SP_MAX_QUESTIONS 999
/* Lines shorter than this end a sentence in prose. */
#define SP_SHORT_LINE 40

void survey_answers_clear(struct survey_answer *ans, size_t n)
{
	for (size_t i = 0; ans && i < n; i++) {
		free(ans[i].value);
		free(ans[i].comment);
		memset(&ans[i], 0, sizeof ans[i]);
	}
}

static int sp_alnum(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* 1 when s starts with word (case-insensitive) followed by no letter or
 * digit. */
static int sp_word_at(const char *s, const char *word, size_t n)
{
	return n && strncasecmp(s, word, n) == 0 && !sp_alnum((unsigned char)s[n]);
}

/* Built-in synonyms of yes and no, used when the round declares those
 * choices. */
static const char *const sp_yes[] = { "y", "yes", "yeah", "yep", "we do", "it does",
	"correct", "true", NULL };
static const char *const sp_no[] = { "n", "no", "nope", "we do not", "we don't",
	"it does not", "it doesn't", "false", "not", "none", NULL };

/* Calls fn for each spelling of each choice (value, declared synonyms,
 * built-ins); stops when fn returns non-zero and returns that. */
typedef int (*sp_spelling_fn)(const char *choice, size_t clen, const char *spelling,
                              size_t slen, void *arg);

static int sp_each_spelling(const struct survey_q *q, sp_spelling_fn fn, void *arg)
{
	const char *c = q->choices ? q->choices : "";
	while (*c) {
		size_t clen = strcspn(c, "|");
		int r = fn(c, clen, c, clen, arg);
		if (r)
			return r;
		/* Declared synonyms: "value=syn,syn|value=syn". */
		for (const char *s = q->synonyms; s && *s;) {
			size_t slen = strcspn(s, "|");
			const char *eq = memchr(s, '=', slen);
			if (eq && (size_t)(eq - s) == clen && strncasecmp(s, c, clen) == 0) {
				for (const char *w = eq + 1; w < s + slen;) {
					size_t wlen = strcspn(w, ",|");
					if (w + wlen > s + slen)
						wlen = (size_t)(s + slen - w);
					while (wlen && w[0] == ' ') {
						w++;
						wlen--;
					}
					while (wlen && w[wlen - 1] == ' ')
						wlen--;
					if (wlen && (r = fn(c, clen, w, wlen, arg)))
						return r;
					w += strcspn(w, ",|");
					if (*w == ',')
						w++;
				}
			}
			s += slen;
			if (*s == '|')
				s++;
		}
		const char *const *builtin = clen == 3 && strncasecmp(c, "yes", 3) == 0 ? sp_yes
		                             : clen == 2 && strncasecmp(c, "no", 2) == 0 ? sp_no
		                             : NULL;
		for (; builtin && *builtin; builtin++)
			if ((r = fn(c, clen, *builtin, strlen(*builtin), arg)))
				return r;
		c += clen;
		if (*c == '|')
			c++;
	}
	return 0;
}

/* The longest spelling that text starts with. */
struct sp_prefix {
	const char *text;
	const char *choice;
	size_t clen, best;
};

static int sp_prefix_cb(const char *choice, size_t clen, const char *spelling,
                        size_t slen, void *arg)
{
	struct sp_prefix *p = arg;
	if (slen > p->best && sp_word_at(p->text, spelling, slen)) {
		p->best = slen;
		p->choice = choice;
		p->clen = clen;
	}
	return 0;
}

char *survey_choice_lookup(const struct survey_q *q, const char *word)
{
	struct sp_prefix p = { word, NULL, 0, 0 };
	sp_each_spelling(q, sp_prefix_cb, &p);
	return p.choice && p.best == strlen(word) ? xstrndup(p.choice, p.clen) : NULL;
}

/* The choices named anywhere in text as whole words: the first found, and
 * how many different ones. */
struct sp_inside {
	const char *text;
	const char *choice;
	size_t clen;
	int distinct;
};

static int sp_inside_cb(const char *choice, size_t clen, const char *spelling,
                        size_t slen, void *arg)
{
	struct sp_inside *x = arg;
	/* One-letter synonyms are too common inside prose. */
	if (slen < 2)
		return 0;
	for (const char *t = x->text; *t; t++) {
		if (t != x->text && sp_alnum((unsigned char)t[-1]))
			continue;
		if (!sp_word_at(t, spelling, slen))
			continue;
		if (!x->choice || x->clen != clen || strncasecmp(x->choice, choice, clen)) {
			x->distinct++;
			if (!x->choice) {
				x->choice = choice;
				x->clen = clen;
			}
		}
		break;
	}
	return 0;
}

static const char *sp_skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static const struct {
	const char *word;
	int value;
} sp_number_words[] = {
	{ "zero", 0 }, { "nil", 0 }, { "one", 1 }, { "two", 2 }, { "three", 3 },
	{ "four", 4 }, { "five", 5 }, { "six", 6 }, { "seven", 7 }, { "eight", 8 },
	{ "nine", 9 }, { "ten", 10 }, { "eleven", 11 }, { "twelve", 12 },
	{ "thirteen", 13 }, { "fourteen", 14 }, { "fifteen", 15 }, { "sixteen", 16 },
	{ "seventeen", 17 }, { "eighteen", 18 }, { "nineteen", 19 }, { "twenty", 20 },
	{ "thirty", 30 }, { "forty", 40 }, { "fifty", 50 }, { "sixty", 60 },
	{ "seventy", 70 }, { "eighty", 80 }, { "ninety", 90 },
};

/* The value of the number word at s (its length in *n), or -1. */
static int sp_number_word(const char *s, size_t *n)
{
	for (size_t i = 0; i < sizeof sp_number_words / sizeof sp_number_words[0]; i++) {
		size_t len = strlen(sp_number_words[i].word);
		if (sp_word_at(s, sp_number_words[i].word, len)) {
			*n = len;
			return sp_number_words[i].value;
		}
	}
	return -1;
}

static int sp_number_words_parse(const char *s, double *out, const char **end)
{
	double total = 0, group = 0;
	int any = 0;
	const char *p = s, *last = s;
	for (;;) {
		size_t n = 0;
		int v;
		if ((v = sp_number_word(p, &n)) >= 0) {
			group += v;
		} else if (sp_word_at(p, "hundred", 7)) {
			n = 7;
			group = (group ? group : 1) * 100;
		} else if (sp_word_at(p, "thousand", 8)) {
			n = 8;
			total += (group ? group : 1) * 1000;
			group = 0;
		} else if (!any && sp_word_at(p, "a", 1)) {
			/* "a hundred", "a thousand": only when one follows. */
			const char *q = sp_skip_space(p + 1);
			if (!sp_word_at(q, "hundred", 7) && !sp_word_at(q, "thousand", 8))
				break;
			n = 1;
		} else if (any && sp_word_at(p, "and", 3)) {
			n = 3;
		} else {
			break;
		}
		if (v >= 0 || n >= 7)
			any = 1;
		p += n;
		if (v >= 0 || n >= 7)
			last = p;
		if (*p == '-')
			p++;
		p = sp_skip_space(p);
	}
	if (!any)
		return 0;
	*out = total + group;
	*end = last;
	return 1;
}

int survey_number(const char *s, double *out, const char **end)
{
	const char *p = s;
	if (isdigit((unsigned char)*p)) {
		double v = 0;
		int digits = 0;
		for (; *p; p++) {
			if (isdigit((unsigned char)*p)) {
				if (digits < 15)
					v = v * 10 + (*p - '0');
				digits++;
			} else if (*p == ',' && isdigit((unsigned char)p[1]) &&
			           isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) &&
			           !isdigit((unsigned char)p[4])) {
				continue; /* a thousands separator */
			} else {
				break;
			}
		}
		if (digits > 15)
			return 0;
		if (*p == '.' && isdigit((unsigned char)p[1])) {
			double scale = 0.1;
			for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
				v += (*p - '0') * scale;
		}
		if (sp_alnum((unsigned char)*p) && !isalpha((unsigned char)*p))
			return 0;
		*out = v;
		*end = p;
		return 1;
	}
	return sp_number_words_parse(s, out, end);
}

/* The first number anywhere in s, as a word or digits starting a word. */
static int sp_number_inside(const char *s, double *out, const char **start,
                            const char **end)
{
	for (const char *t = s; *t; t++) {
		if (t != s && sp_alnum((unsigned char)t[-1]))
			continue;
		if (survey_number(t, out, end)) {
			*start = t;
			return 1;
		}
	}
	return 0;
}

/* What follows a value as its comment: after leading separators and
 * white space, one pair of enclosing brackets removed; NULL for nothing. */
static char *sp_comment(const char *s)
{
	while (*s && strchr(" \t,;:-.()/", *s))
		s++;
	if (!strncmp(s, "\xe2\x80\x93", 3) || !strncmp(s, "\xe2\x80\x94", 3)) /* dashes */
		s = sp_skip_space(s + 3);
	char *c = util_trim(xstrdup(s));
	size_t n = strlen(c);
	while (n && strchr(").", c[n - 1]))
		c[--n] = '\0';
	if (!*c) {
		free(c);
		return NULL;
	}
	return c;
}

/* After a number: its unit ("days", "working days") up to a separator is
 * dropped; what follows the separator is the comment. */
static char *sp_number_comment(const char *s)
{
	const char *p = sp_skip_space(s);
	size_t words = 0;
	while (*p && words < 4 && !strchr(",;:()-.", *p)) {
		while (*p && (sp_alnum((unsigned char)*p) || *p == '\'' || *p == '%'))
			p++;
		words++;
		p = sp_skip_space(p);
		if (*p && !sp_alnum((unsigned char)*p) && *p != '\'' && *p != '%')
			break;
	}
	/* Longer than a unit: it is a comment from the start. */
	if (*p && !strchr(",;:()-.", *p))
		return sp_comment(s);
	return sp_comment(p);
}

static void sp_set(struct survey_answer *a, char *value, char *comment, int conf)
{
	if (a->value || !value) {
		free(value);
		free(comment);
		return;
	}
	a->value = value;
	a->comment = comment;
	a->confidence = conf;
}

char *survey_number_format(double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		return xasprintf("%.0f", v);
	return xasprintf("%g", v);
}

/* Reads answer text a for question q; prose lowers the confidence. */
static void sp_read_value(const struct survey_q *q, const char *a, int prose,
                          struct survey_answer *out)
{
	a = sp_skip_space(a);
	if (!*a || out->value)
		return;
	int base = prose ? SP_PROSE : SP_CLEAN;
	if (strcmp(q->type, "choice") == 0) {
		struct sp_prefix p = { a, NULL, 0, 0 };
		sp_each_spelling(q, sp_prefix_cb, &p);
		if (p.choice) {
			sp_set(out, xstrndup(p.choice, p.clen), sp_comment(a + p.best), base);
			return;
		}
		struct sp_inside x = { a, NULL, 0, 0 };
		sp_each_spelling(q, sp_inside_cb, &x);
		if (x.choice && x.distinct == 1)
			sp_set(out, xstrndup(x.choice, x.clen), sp_comment(a),
			       prose ? SP_PROSE : SP_INSIDE);
		return;
	}
	if (strcmp(q->type, "number") == 0) {
		double v;
		const char *end = NULL, *start = a;
		if (survey_number(a, &v, &end)) {
			sp_set(out, survey_number_format(v), sp_number_comment(end), base);
			return;
		}
		if (sp_number_inside(a, &v, &start, &end))
			sp_set(out, survey_number_format(v), sp_comment(a),
			       prose ? SP_PROSE : SP_INSIDE);
		return;
	}
	char *t = util_trim(xstrdup(a));
	sp_set(out, t, NULL, prose ? SP_PROSE : SP_CLEAN);
}

/* A question number at the start of s: "1:", "1.", "1)", "(1)", "Q1",
 * "Q.1", "Question 1 -".  *rest is what follows its separator. */
static int sp_marker(const char *s, const char **rest)
{
	const char *p = s;
	int named = 0;
	if (util_strcasestarts(p, "question")) {
		p += 8;
		named = 1;
	} else if ((*p == 'q' || *p == 'Q') && (isdigit((unsigned char)p[1]) ||
	           (p[1] == '.' && isdigit((unsigned char)p[2])) ||
	           (p[1] == ' ' && isdigit((unsigned char)p[2])))) {
		p += p[1] == '.' ? 2 : 1;
		named = 1;
	}
	p = sp_skip_space(p);
	int paren = !named && *p == '(';
	if (paren)
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	int n = 0;
	for (; isdigit((unsigned char)*p); p++)
		if ((n = n * 10 + (*p - '0')) > SP_MAX_QUESTIONS)
			return 0;
	if (paren && *p++ != ')')
		return 0;
	const char *sep = sp_skip_space(p);
	if (*sep == '.' && isdigit((unsigned char)sep[1]))
		return 0; /* 2.5: a number, not a marker */
	if (*sep && strchr(":.)-", *sep))
		sep++;
	else if (!strncmp(sep, "\xe2\x80\x93", 3))
		sep += 3;
	else if (!paren && !named)
		return 0;
	else if (sp_alnum((unsigned char)*p))
		return 0;
	*rest = sp_skip_space(sep);
	return n;
}

/* Lower case letters and digits of s, single spaces between words, at most
 * max bytes. */
static char *sp_fold(const char *s, size_t max)
{
	struct buf b = BUF_INIT;
	int space = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && b.len < max; p++) {
		if (sp_alnum(*p)) {
			if (space && b.len)
				buf_addc(&b, ' ');
			space = 0;
			buf_addc(&b, (char)tolower(*p));
		} else {
			space = 1;
		}
	}
	buf_addc(&b, '\0');
	return buf_detach(&b);
}

/* 1 when line begins the question's wording: they share the first 16
 * folded bytes (or all of a shorter wording). */
static int sp_is_wording(const struct survey_q *q, const char *line)
{
	if (!q->wording || !*q->wording)
		return 0;
	char *w = sp_fold(q->wording, 64), *l = sp_fold(line, 64);
	size_t need = strlen(w) < 16 ? strlen(w) : 16;
	int yes = need > 0 && strncmp(w, l, need) == 0;
	free(w);
	free(l);
	return yes;
}

/* 1 when line is part of the wording (a wrapped question copied in) or
 * the hint after it, "(yes/no)". */
static int sp_in_wording(const struct survey_q *q, const char *line)
{
	const char *t = sp_skip_space(line);
	if (*t == '(' && strchr(t, ')') && strlen(t) < 40)
		return 1;
	if (!q->wording)
		return 0;
	/* Without its hint: "change to their collection day? (a number)". */
	const char *open = strrchr(t, '(');
	char *part = open && strchr(open, ')') ? xstrndup(t, (size_t)(open - t)) : xstrdup(t);
	char *w = sp_fold(q->wording, 4096), *l = sp_fold(part, 4096);
	int yes = strlen(l) >= 8 && strstr(w, l) != NULL;
	free(part);
	free(w);
	free(l);
	return yes;
}

/* Where a copied question ends on its own line: after its last '?' and a
 * hint in brackets. */
static const char *sp_after_question(const char *s)
{
	const char *qm = strrchr(s, '?');
	if (!qm)
		return "";
	const char *p = sp_skip_space(qm + 1);
	if (*p == '(') {
		const char *close = strchr(p, ')');
		p = close ? sp_skip_space(close + 1) : "";
	}
	return p;
}

/* Lines after which nothing is theirs. */
static int sp_stop_line(const char *line, int seen_text)
{
	if (strcmp(line, "-- ") == 0 || strcmp(line, "--") == 0)
		return 1;
	const char *t = sp_skip_space(line);
	if (util_strcasestarts(t, "-----original message") ||
	    util_starts_with(t, "________________") ||
	    util_strcasestarts(t, "begin forwarded message"))
		return 1;
	return seen_text && util_starts_with(line, "From: ");
}

/* Greetings, thanks and sign-offs: never an answer in prose. */
static int sp_pleasantry(const char *s)
{
	static const char *const words[] = { "dear", "hello", "hi", "thank", "thanks",
		"many thanks", "kind regards", "regards", "best wishes", "yours",
		"good morning", "good afternoon", "please find", "in response",
		"further to", "re", "on ", NULL };
	s = sp_skip_space(s);
	for (const char *const *w = words; *w; w++)
		if (util_strcasestarts(s, *w))
			return 1;
	return 0;
}

/* 1 when the sentence shares a word of five letters or more with the
 * question's wording (any sentence goes when there is no wording). */
static int sp_on_topic(const struct survey_q *q, const char *sentence)
{
	if (!q->wording || !*q->wording)
		return 1;
	char *w = sp_fold(q->wording, 4096), *s = sp_fold(sentence, 4096);
	int yes = 0;
	char *save = NULL;
	for (char *tok = strtok_r(s, " ", &save); tok && !yes; tok = strtok_r(NULL, " ", &save)) {
		if (strlen(tok) < 5)
			continue;
		/* Stems: "collections" and "collection" meet. */
		size_t n = strlen(tok) > 7 ? 7 : strlen(tok);
		for (const char *p = w; *p; p++) {
			if ((p == w || p[-1] == ' ') && strncmp(p, tok, n) == 0) {
				yes = 1;
				break;
			}
		}
	}
	free(w);
	free(s);
	return yes;
}

static size_t sp_words(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += sp_alnum((unsigned char)*p) && (p == s || !sp_alnum((unsigned char)p[-1]));
	return n;
}

static int sp_negative(const char *s)
{
	static const char *const neg[] = { "not", "don't", "doesn't", "no", "never",
		"cannot", "can't", "none", NULL };
	for (const char *t = s; *t; t++) {
		if (t != s && sp_alnum((unsigned char)t[-1]))
			continue;
		for (const char *const *n = neg; *n; n++)
			if (sp_word_at(t, *n, strlen(*n)))
				return 1;
		/* "isn't", "aren't", "haven't" */
		if (!strncasecmp(t, "n't", 3))
			return 1;
	}
	return 0;
}

/* Prose: each question in turn takes the next sentence that answers it. */
static void sp_prose(const struct survey_q *q, size_t nq, const char *text,
                     struct survey_answer *ans)
{
	struct strv sents = STRV_INIT;
	struct buf b = BUF_INIT;
	const char *line = text;
	for (const char *p = text;; p++) {
		/* A short line ends its sentence ("Yes" / "14" / "No", one a
		 * line); a long one is prose wrapped. */
		int end = !*p || (*p == '\n' && (p[1] == '\n' || p - line < SP_SHORT_LINE)) ||
		          *p == '!' || *p == '?' || *p == ';' ||
		          (*p == '.' && !isdigit((unsigned char)p[1]));
		if (*p == '\n')
			line = p + 1;
		if (!end) {
			buf_addc(&b, *p == '\n' ? ' ' : *p);
			continue;
		}
		buf_addc(&b, '\0');
		char *s = util_trim(buf_detach(&b));
		if (*s && !sp_pleasantry(s))
			strv_push_owned(&sents, s);
		else
			free(s);
		if (!*p)
			break;
	}
	size_t at = 0;
	for (size_t i = 0; i < nq && at < sents.n; i++) {
		if (ans[i].value)
			continue;
		for (size_t k = at; k < sents.n; k++) {
			const char *s = sents.v[k];
			/* A bare answer ("Yes", "No, sorry") needs no topic and is
			 * its own comment. */
			int bare = sp_words(s) <= 3, topic = sp_on_topic(&q[i], s);
			sp_read_value(&q[i], s, 1, &ans[i]);
			if (ans[i].value && !topic && !bare && strcmp(q[i].type, "number") != 0) {
				survey_answers_clear(&ans[i], 1);
				continue;
			}
			if (!ans[i].value && topic && strcmp(q[i].type, "choice") == 0 &&
			    strstr(q[i].choices ? q[i].choices : "", "yes") &&
			    strstr(q[i].choices, "no")) {
				/* "We do not offer it": a statement answers a yes/no question. */
				int no = sp_negative(s);
				sp_set(&ans[i], xstrdup(no ? "no" : "yes"), xstrdup(s), SP_PROSE);
			}
			if (ans[i].value) {
				if (!ans[i].comment && !bare && strcmp(q[i].type, "text") != 0)
					ans[i].comment = xstrdup(s);
				at = k + 1;
				break;
			}
		}
	}
	strv_free(&sents);
}

/* "1: yes / 2: 14": the part of rest before the next question's marker. */
static const char *sp_next_marker(const char *rest, int next, const char **after)
{
	for (const char *p = rest; *p; p++) {
		if (p == rest || !(p[-1] == ' ' || p[-1] == '/' || p[-1] == ';' ||
		                   p[-1] == '|' || p[-1] == ','))
			continue;
		const char *r = NULL;
		if (isdigit((unsigned char)*p) && sp_marker(p, &r) == next &&
		    strchr(":)", p[strspn(p, "0123456789")])) {
			*after = r;
			return p;
		}
	}
	return NULL;
}

/* A numbered answer rest for question n (1-based), and any further ones
 * on the same line. */
static void sp_numbered(const struct survey_q *q, size_t nq, int n, const char *rest,
                        struct survey_answer *ans)
{
	while (n >= 1 && (size_t)n <= nq) {
		const char *after = NULL, *cut = sp_next_marker(rest, n + 1, &after);
		char *part = cut ? xstrndup(rest, (size_t)(cut - rest)) : xstrdup(rest);
		size_t len = strlen(part);
		while (len && strchr(" /;|,", part[len - 1]))
			part[--len] = '\0';
		sp_read_value(&q[n - 1], part, 0, &ans[n - 1]);
		free(part);
		if (!cut)
			break;
		rest = after;
		n++;
	}
}

void survey_parse(const struct survey_q *q, size_t nq, const char *text,
                  struct survey_answer *ans)
{
	if (!text || nq == 0)
		return;
	char *copy = xstrndup(text, strnlen(text, SP_MAX_TEXT));
	struct buf prose = BUF_INIT;
	struct util_lines lines;
	util_lines_init(&lines, copy);
	long cur = -1;       /* the question whose answer the next lines give */
	int structured = 0, seen = 0;
	for (char *line; (line = util_lines_next(&lines));) {
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (sp_stop_line(line, seen))
			break;
		const char *t = sp_skip_space(line);
		int quoted = *t == '>';
		while (*t == '>' || *t == ' ' || *t == '\t')
			t++;
		if (!*t) {
			if (!quoted && prose.len)
				buf_adds(&prose, "\n");
			continue;
		}
		const char *rest = NULL;
		int n = sp_marker(t, &rest);
		if (n >= 1 && (size_t)n <= nq) {
			if (sp_is_wording(&q[n - 1], rest)) {
				structured = 1;
				cur = n - 1;
				if (!quoted && *sp_after_question(rest))
					sp_read_value(&q[n - 1], sp_after_question(rest), 0, &ans[n - 1]);
				if (ans[n - 1].value)
					cur = -1;
			} else if (!quoted) {
				structured = 1;
				sp_numbered(q, nq, n, rest, ans);
				cur = -1;
			}
			seen = seen || !quoted;
			continue;
		}
		if (quoted) {
			for (size_t i = 0; i < nq; i++)
				if (sp_is_wording(&q[i], t)) {
					structured = 1;
					cur = (long)i;
				}
			continue;
		}
		seen = 1;
		if (cur >= 0) {
			if (!sp_in_wording(&q[cur], t)) {
				sp_read_value(&q[cur], t, 0, &ans[cur]);
				cur = -1;
			}
			continue;
		}
		buf_adds(&prose, t);
		buf_adds(&prose, "\n");
	}
	if (!structured && prose.len) {
		buf_addc(&prose, '\0');
		sp_prose(q, nq, prose.data, ans);
	}
	buf_free(&prose);
	free(copy);
}
