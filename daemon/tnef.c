/* libytnef keeps its own macros (BYTE, DWORD) out of every other module. */
#include "tnef.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ytnef.h>

#include "charset.h"
#include "util.h"

/* A string MAPI property: 8-bit strings are taken as cp1252/UTF-8 text,
 * PT_UNICODE ones are UTF-16LE. */
static char *tnef_prop_string(MAPIProps *props, unsigned int id)
{
	variableLength *v = MAPIFindProperty(props, PROP_TAG(PT_UNICODE, id));
	if (v != MAPI_UNDEFINED && v->data && v->size > 0) {
		size_t n = (size_t)v->size;
		while (n >= 2 && v->data[n - 1] == 0 && v->data[n - 2] == 0)
			n -= 2;
		return charset_to_utf8("UTF-16LE", (const char *)v->data, n, NULL);
	}
	v = MAPIFindProperty(props, PROP_TAG(PT_STRING8, id));
	if (v != MAPI_UNDEFINED && v->data && v->size > 0)
		return charset_to_utf8(NULL, (const char *)v->data, strnlen((const char *)v->data, (size_t)v->size), NULL);
	return NULL;
}

int tnef_unpack(const unsigned char *data, size_t len, struct tnef_file **files,
                size_t *nfiles, char **errp)
{
	TNEFStruct t;
	struct tnef_file *out = NULL;
	size_t n = 0;
	int rc = 0;
	*files = NULL;
	*nfiles = 0;
	if (len < 4 || len > LONG_MAX)
		return err_set(errp, FOID_EINVAL, "tnef: too short or too long");
	TNEFInitialize(&t);
	/* libytnef reads its input only; the cast drops a missing const. */
	if (TNEFParseMemory((BYTE *)data, (long)len, &t) < 0) {
		rc = err_set(errp, FOID_EINVAL, "tnef: damaged or not TNEF data");
		goto out;
	}
	for (Attachment *a = t.starting_attach.next; a; a = a->next) {
		variableLength *obj = MAPIFindProperty(&a->MAPI, PROP_TAG(PT_BINARY, PR_ATTACH_DATA_OBJ));
		const BYTE *d = a->FileData.data;
		int sz = a->FileData.size;
		if (!d && obj != MAPI_UNDEFINED) {
			d = obj->data;
			sz = obj->size;
		}
		if (!d || sz < 0)
			continue;
		out = xrealloc(out, (n + 1) * sizeof *out);
		struct tnef_file *f = &out[n++];
		f->filename = tnef_prop_string(&a->MAPI, PR_ATTACH_LONG_FILENAME);
		if (!f->filename && a->Title.data && a->Title.size > 0)
			f->filename = charset_to_utf8(NULL, (const char *)a->Title.data,
			                              strnlen((const char *)a->Title.data, (size_t)a->Title.size), NULL);
		f->content_type = tnef_prop_string(&a->MAPI, PR_ATTACH_MIME_TAG);
		f->size = (size_t)sz;
		f->data = xmalloc(f->size + 1);
		memcpy(f->data, d, f->size);
		f->data[f->size] = 0;
	}
	*files = out;
	*nfiles = n;
out:
	TNEFFree(&t);
	return rc;
}

void tnef_files_free(struct tnef_file *files, size_t nfiles)
{
	if (!files)
		return;
	for (size_t i = 0; i < nfiles; i++) {
		free(files[i].filename);
		free(files[i].content_type);
		free(files[i].data);
	}
	free(files);
}
