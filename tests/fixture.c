#include "fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct fixture *fixture_new(void)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	fx->dir = xasprintf("%s/foid-test-XXXXXX", tmp);
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	return fx;
}

static int fixture_rm(const char *path, const struct stat *sb, int flag,
                      struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void fixture_free(struct fixture *fx)
{
	if (!fx)
		return;
	if (!getenv("FOID_KEEP_TMP"))
		nftw(fx->dir, fixture_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(fx->dir);
	free(fx);
}

char *fixture_path(const struct fixture *fx, const char *name)
{
	return xasprintf("%s/%s", fx->dir, name);
}

char *fixture_write(const struct fixture *fx, const char *name, const char *text)
{
	char *p = fixture_path(fx, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return p;
}

const char *fixture_srcdir(void)
{
	const char *s = getenv("FOID_SRCDIR");
	return s ? s : ".";
}

int fixture_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
