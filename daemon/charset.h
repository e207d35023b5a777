/* Character set conversion to UTF-8 (wraps iconv).  Conversion never fails:
 * unknown charsets and bytes that do not decode fall back to windows-1252,
 * so mail in any encoding yields readable, valid UTF-8. */
#ifndef FOID_CHARSET_H
#define FOID_CHARSET_H

#include <stddef.h>

/* Converts len bytes of in, labelled with charset (NULL or "" when the
 * message does not say), to a new NUL-terminated, valid UTF-8 string owned
 * by the caller.  Unlabelled or us-ascii text that is valid UTF-8 is taken
 * as UTF-8, otherwise as windows-1252.  NUL bytes are dropped.  *outlen (if
 * not NULL) gets the length without the NUL. */
char *charset_to_utf8(const char *charset, const char *in, size_t len, size_t *outlen);

/* Returns a new valid UTF-8 copy of in: well-formed UTF-8 sequences are
 * kept, every other byte is read as windows-1252, NUL bytes are dropped. */
char *charset_repair_utf8(const char *in, size_t len, size_t *outlen);

#endif
