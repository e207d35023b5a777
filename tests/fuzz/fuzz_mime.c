/* MIME parsing and classification of a whole message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "classify.h"
#include "mime.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct classify_rules *rules;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!rules && classify_load("data/classify.rules", &rules, NULL) < 0)
		abort();
	struct mime_message *m = NULL;
	struct mime_limits lim = { 1 << 20, 1 << 20, 200, 20 };
	if (mime_parse((const char *)data, size, &lim, &m, NULL) == 0) {
		struct classify_result res = CLASSIFY_RESULT_INIT;
		classify_message(rules, m, "FOI-TEST-001", &res);
		classify_result_clear(&res);
		for (size_t i = 0; i < m->nattachments; i++)
			free(mime_safe_filename(m->attachments[i].filename, "x"));
	}
	mime_message_free(m);
	return 0;
}
