/* PCRE2 with JIT; see regex.h.  It replaced glibc's regexec, which issue 13
 * profiled at over half the CPU of ingestion. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdlib.h>

#include "util.h"

struct regex {
	pcre2_code *code;
	size_t groups;
};

int regex_compile(const char *pattern, struct regex **out, char **errp)
{
	int err = 0;
	PCRE2_SIZE at = 0;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                                 PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS |
	                                 PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
	                                 &err, &at, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof msg);
		return err_set(errp, FOID_EINVAL, "bad regex at offset %zu: %s", (size_t)at,
		               (const char *)msg);
	}
	/* Without JIT (no executable memory, say) pcre2_match interprets: slower,
	 * the same answers.  FOID_NO_JIT turns it off for memcheck, which
	 * cannot follow JIT code and reports its reads ahead as uninitialised
	 * (Debian's PCRE2 is built without its valgrind annotations). */
	if (!getenv("FOID_NO_JIT"))
		(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	uint32_t n = 0;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &n);
	struct regex *re = xcalloc(1, sizeof *re);
	re->code = code;
	re->groups = n;
	*out = re;
	return FOID_OK;
}

void regex_free(struct regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re);
}

size_t regex_groups(const struct regex *re)
{
	return re->groups;
}

int regex_search(const struct regex *re, const char *s, size_t start,
                 struct regex_span *m, size_t nm)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	if (!md)
		return FOID_EIO;
	uint32_t opts = start ? PCRE2_NOTBOL : 0;
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, start, opts,
	                     md, NULL);
	/* JIT runs on a small fixed stack; the interpreter's grows on the heap. */
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(re->code, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, start,
		                 opts | PCRE2_NO_JIT, md, NULL);
	int ret = 0;
	if (rc > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		uint32_t pairs = pcre2_get_ovector_count(md);
		for (size_t i = 0; i < nm; i++) {
			int set = i < pairs && ov[2 * i] != PCRE2_UNSET;
			m[i].start = set ? (long)ov[2 * i] : -1;
			m[i].end = set ? (long)ov[2 * i + 1] : -1;
		}
		ret = 1;
	} else if (rc != PCRE2_ERROR_NOMATCH) {
		ret = FOID_EIO; /* a resource limit: the search could not finish */
	}
	pcre2_match_data_free(md);
	return ret;
}
