/* The in-process office-document reader (zipdoc.c, markup.c's XML walk)
 * on arbitrary bytes: DOCX, XLSX, ODT and ODS packages. */
#include <stddef.h>
#include <stdint.h>

#include "zipdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strv pages = STRV_INIT;
	zipdoc_text(data, size, &pages, NULL);
	strv_free(&pages);
	return 0;
}
