/* What a person types, as an FTS5 query; see search.h. */
#include "search.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

enum search_tok { SEARCH_TERM, SEARCH_PHRASE, SEARCH_OP };

struct search_term {
	enum search_tok tok;
	char *text;
	int prefix; /* a trailing '*' */
};

static int search_is_op(const char *w)
{
	return !strcmp(w, "AND") || !strcmp(w, "OR") || !strcmp(w, "NOT");
}

/* Splits typed into words and "phrases" (an unclosed quote runs to the
 * end). */
static size_t search_split(const char *typed, struct search_term **out)
{
	struct search_term *v = NULL;
	size_t n = 0;
	for (const char *p = typed; *p; ) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
			continue;
		}
		v = xrealloc(v, (n + 1) * sizeof *v);
		struct search_term *t = &v[n++];
		t->prefix = 0;
		if (*p == '"') {
			const char *end = strchr(p + 1, '"');
			size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
			t->tok = SEARCH_PHRASE;
			t->text = xstrndup(p + 1, len);
			p += len + 1 + (end != NULL);
			continue;
		}
		size_t len = strcspn(p, " \t\r\n\"");
		t->text = xstrndup(p, len);
		t->tok = search_is_op(t->text) ? SEARCH_OP : SEARCH_TERM;
		if (t->tok == SEARCH_TERM && len > 1 && t->text[len - 1] == '*') {
			t->text[len - 1] = '\0';
			t->prefix = 1;
		}
		p += len;
	}
	*out = v;
	return n;
}

/* 1 when the text has a letter or digit FTS5's tokenizer would index. */
static int search_has_word(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p >= 0x80)
			return 1;
	return 0;
}

static void search_quote(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addc(b, '"');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

int search_fts_query(const char *typed, char **out, char **errp)
{
	struct search_term *v = NULL;
	size_t n = search_split(typed ? typed : "", &v), k = 0;
	/* Punctuation alone indexes nothing: drop it before operators are
	 * placed, so that none is left without a term on a side. */
	for (size_t i = 0; i < n; i++) {
		if (v[i].tok == SEARCH_OP || search_has_word(v[i].text))
			v[k++] = v[i];
		else
			free(v[i].text);
	}
	n = k;
	/* An operator counts only between two terms; elsewhere it is a word. */
	for (size_t i = 0; i < n; i++)
		if (v[i].tok == SEARCH_OP &&
		    (i == 0 || i + 1 == n || v[i - 1].tok == SEARCH_OP || v[i + 1].tok == SEARCH_OP))
			v[i].tok = SEARCH_TERM;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		/* Terms side by side: FTS5 reads that as AND. */
		if (b.len)
			buf_addc(&b, ' ');
		if (v[i].tok == SEARCH_OP) {
			buf_adds(&b, v[i].text);
		} else {
			search_quote(&b, v[i].text);
			if (v[i].prefix)
				buf_addc(&b, '*');
		}
		free(v[i].text);
	}
	free(v);
	if (!b.len) {
		buf_free(&b);
		*out = NULL;
		return err_set(errp, FOID_EINVAL, "nothing to search for in '%s'",
		               typed ? typed : "");
	}
	*out = buf_detach(&b);
	return 0;
}
