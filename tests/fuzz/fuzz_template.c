/* The template parser and renderer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Resolves every name except those starting with "x", some values with
 * line breaks. */
static const char *fuzz_lookup(void *arg, const char *name)
{
	(void)arg;
	if (name[0] == 'x')
		return NULL;
	return strlen(name) % 3 == 0 ? "two\r\nlines" : "value";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct template *t = NULL;
	char *err = NULL;
	if (template_parse("fuzz", text, "/nonexistent", &t, &err) == 0) {
		struct template_rendered *r = NULL;
		template_render(t, fuzz_lookup, NULL, &r, &err);
		template_rendered_free(r);
	}
	template_free(t);
	free(err);
	free(text);
	return 0;
}
