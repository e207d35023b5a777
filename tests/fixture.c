#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
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
	/* Owner only, as foid wants its config and secrets. */
	ck_assert_int_eq(fchmod(fileno(f), 0600), 0);
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

char *fixture_bin(const char *name)
{
	const char *b = getenv("FOID_BUILD");
	return xasprintf("%s/%s", b && *b ? b : "build", name);
}

static char *fixture_slurp(const char *path)
{
	char *data = NULL;
	if (util_read_file(path, &data, NULL, NULL) < 0)
		return xstrdup("");
	return data;
}

int fixture_exec(struct fixture *fx, char *const argv[], const char *input,
                 char **out, char **err)
{
	static int seq;
	seq++;
	char *in_path = xasprintf("%s/.exec%d.in", fx->dir, seq);
	char *out_path = xasprintf("%s/.exec%d.out", fx->dir, seq);
	char *err_path = xasprintf("%s/.exec%d.err", fx->dir, seq);
	FILE *f = fopen(in_path, "w");
	ck_assert_ptr_nonnull(f);
	if (input)
		fputs(input, f);
	fclose(f);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in_path, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	extern char **environ;
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	ck_assert_msg(rc == 0, "cannot run %s", argv[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out)
		*out = fixture_slurp(out_path);
	if (err)
		*err = fixture_slurp(err_path);
	unlink(in_path);
	unlink(out_path);
	unlink(err_path);
	free(in_path);
	free(out_path);
	free(err_path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int fixture_spawn(char *const argv[], const char *log_path)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	extern char **environ;
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	ck_assert_msg(rc == 0, "cannot run %s", argv[0]);
	return (int)pid;
}

int fixture_stop(int pid, int sig)
{
	int status = 0;
	kill(pid, sig);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
