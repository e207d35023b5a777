/* Request templates: UTF-8 text files of header lines, a blank line, then
 * the plain-text body.
 *
 *   Subject: Freedom of Information request {{request.reference}}
 *   Cc: foi@team.example, {{body.cc}}
 *   Attach: questions.pdf
 *
 *   Dear {{ body.name }}, ...
 *
 * Headers (names case-insensitive): Subject (required, once), Cc (any
 * number; each a comma-separated list of bare addresses), Attach (any
 * number; one file, relative to the template's directory unless absolute;
 * checked at load).  Anything else is an error.
 *
 * Placeholders {{name}} may appear in Subject, Cc and the body; white space
 * inside the braces is ignored and a name is letters, digits, '_', '.' and
 * '-' (body.name, request.reference, ...).  "{{" always opens a
 * placeholder: there is no escape, so a template cannot contain a literal
 * "{{".  Attach takes no placeholders.
 *
 * Every error is "FILE:LINE: message"; render reports every problem, one
 * per line. */
#ifndef FOID_TEMPLATE_H
#define FOID_TEMPLATE_H

#include "util.h"

struct template;

/* Returns the value of a placeholder (borrowed, must stay valid until
 * template_render returns), or NULL when the name does not resolve. */
typedef const char *(*template_lookup_fn)(void *arg, const char *name);

/* A rendered template; everything owned by the struct. */
struct template_rendered {
	char *subject;
	struct strv cc;           /* addresses, split on commas and validated */
	char *body;               /* LF line endings */
	struct strv attach_paths; /* resolved paths */
};

/* Load and check a template file.  Returns 0, FOID_ENOTFOUND/FOID_EIO (file
 * unreadable) or FOID_EINVAL (syntax, unknown header, missing Subject,
 * invalid UTF-8, missing or unreadable Attach file).  *out is the
 * caller's, freed with template_free. */
int template_load(const char *path, struct template **out, char **errp);

/* Same, from text; name is used in error messages and basedir resolves
 * relative Attach paths (NULL: the current directory). */
int template_parse(const char *name, const char *text, const char *basedir,
                   struct template **out, char **errp);

void template_free(struct template *t); /* NULL is fine */

/* Every placeholder name used (Subject, Cc and body), each once, in order
 * of first use: lets a caller check every body can be rendered before
 * anything is sent.  Borrowed from t. */
const struct strv *template_placeholders(const struct template *t);

/* Substitute placeholders.  Fails with FOID_EINVAL, listing every
 * unresolved placeholder ("FILE:LINE: unresolved placeholder {{x}}"),
 * every value with CR or LF that would land in Subject or Cc (header
 * injection; in the body they are kept), and every invalid Cc address.
 * *out is the caller's, freed with template_rendered_free. */
int template_render(const struct template *t, template_lookup_fn lookup, void *arg,
                    struct template_rendered **out, char **errp);

void template_rendered_free(struct template_rendered *r); /* NULL is fine */

#endif
