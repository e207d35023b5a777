/* libytnef keeps its own macros (BYTE, DWORD) out of every other module. */
#include "tnef.h"

#include <limits.h>
#include <stdint.h>
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

static uint32_t tnef_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* libytnef gives up on the whole stream when the message-level MAPI
 * properties hold a long named property (Outlook writes them) or when a
 * checksum is off (mail gateways damage them), though only the attachments
 * matter here: that record is dropped and checksums are recomputed.
 * Records: level (1), attribute (4), size (4), data, checksum (2). */
static unsigned char *tnef_strip_message_props(const unsigned char *d, size_t len, size_t *outlen)
{
	unsigned char *out = xmalloc(len);
	size_t o = 6, i = 6;
	memcpy(out, d, 6);
	while (i + 9 <= len) {
		uint32_t size = tnef_le32(d + i + 5);
		if (size > len - i - 9 || len - i - 9 - size < 2)
			break;
		size_t rec = 9 + (size_t)size + 2;
		if (!(d[i] == 1 && tnef_le32(d + i + 1) == 0x00069003u)) {
			unsigned sum = 0;
			for (size_t k = 0; k < size; k++)
				sum += d[i + 9 + k];
			memcpy(out + o, d + i, rec - 2);
			out[o + rec - 2] = (unsigned char)(sum & 0xFF);
			out[o + rec - 1] = (unsigned char)((sum >> 8) & 0xFF);
			o += rec;
		}
		i += rec;
	}
	memcpy(out + o, d + i, len - i);
	*outlen = o + len - i;
	return out;
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
	size_t slen;
	unsigned char *stripped = tnef_strip_message_props(data, len, &slen);
	TNEFInitialize(&t);
	t.Debug = 0;
	if (TNEFParseMemory(stripped, (long)slen, &t) < 0) {
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
	free(stripped);
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
