/* The survey reader on untrusted reply text, against questions of every
 * type, with and without wording and synonyms. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "survey_parse.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct survey_q fuzz_q[] = {
	{ "choice", "yes|no|unclear", NULL,
	  "Does the council publish its waste collection calendar online?" },
	{ "number", NULL, NULL, "How many working days' notice does the council give?" },
	{ "choice", "weekly|fortnightly", "weekly=every week|fortnightly=every two weeks,"
	  " biweekly", NULL },
	{ "text", NULL, NULL, "Anything else?" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	size_t nq = sizeof fuzz_q / sizeof fuzz_q[0];
	struct survey_answer ans[sizeof fuzz_q / sizeof fuzz_q[0]];
	memset(ans, 0, sizeof ans);
	survey_parse(fuzz_q, nq, text, ans);
	/* What it reads must be what code_set can store: one line, and a
	 * choice among the declared ones. */
	for (size_t i = 0; i < nq; i++) {
		if (ans[i].value && fuzz_q[i].choices) {
			char *c = survey_choice_lookup(&fuzz_q[i], ans[i].value);
			if (!c || strcmp(c, ans[i].value) != 0)
				abort();
			free(c);
		}
		if ((ans[i].value && !*ans[i].value) || (!ans[i].value && ans[i].confidence))
			abort();
	}
	survey_answers_clear(ans, nq);
	double v;
	const char *end = NULL;
	survey_number(text, &v, &end);
	free(text);
	return 0;
}
