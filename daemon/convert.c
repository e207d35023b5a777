/* Bounded converter subprocesses; see convert.h. */
#include "convert.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void convert_limit(int what, rlim_t soft, rlim_t hard)
{
	struct rlimit r = { soft, hard };
	setrlimit(what, &r);
}

/* In the child: never returns. */
static void convert_child(char *const argv[], int in, int out, int err_fd,
                          const struct convert_limits *lim)
{
	setpgid(0, 0);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(126);
	convert_limit(RLIMIT_AS, lim->memory, lim->memory);
	/* SIGXCPU at the soft limit says why; SIGKILL a second later is sure. */
	convert_limit(RLIMIT_CPU, (rlim_t)lim->cpu_seconds, (rlim_t)lim->cpu_seconds + 1);
	/* Converters write to standard output only: no file of theirs. */
	if (!lim->may_write)
		convert_limit(RLIMIT_FSIZE, 0, 0);
	convert_limit(RLIMIT_CORE, 0, 0);
	convert_limit(RLIMIT_NOFILE, 64, 64);
	closefrom(3);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	_exit(errno == ENOENT ? 127 : 126);
}

static int64_t convert_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int convert_run(char *const argv[], const char *input_path,
                const struct convert_limits *lim, char **out, size_t *out_len,
                char **errp)
{
	struct buf b = BUF_INIT;
	int in = -1, pipefd[2] = { -1, -1 }, devnull = -1, rc = 0;
	pid_t pid = -1;
	*out = NULL;
	if ((in = open(input_path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = err_set(errp, FOID_EIO, "%s: %s", input_path, strerror(errno));
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0 ||
	    (devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		rc = err_set(errp, FOID_EIO, "%s: %s", argv[0], strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		rc = err_set(errp, FOID_EIO, "%s: fork: %s", argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0)
		convert_child(argv, in, pipefd[1], devnull, lim);
	setpgid(pid, pid); /* also here: no race with the kill below */
	close(pipefd[1]);
	pipefd[1] = -1;
	int64_t deadline = convert_ms() + lim->wall_ms;
	const char *why = NULL;
	for (;;) {
		int64_t left = deadline - convert_ms();
		if (left <= 0) {
			why = "ran too long";
			break;
		}
		struct pollfd p = { pipefd[0], POLLIN, 0 };
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		char chunk[16384];
		ssize_t r = read(pipefd[0], chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (b.len + (size_t)r > lim->output) {
			why = "wrote too much";
			break;
		}
		buf_add(&b, chunk, (size_t)r);
	}
	if (why)
		kill(-pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (why)
		rc = err_set(errp, FOID_EINVAL, "%s %s: stopped", argv[0], why);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		rc = err_set(errp, FOID_ENOTFOUND, "%s is not installed", argv[0]);
	else if (WIFSIGNALED(status))
		rc = err_set(errp, FOID_EINVAL, "%s killed by signal %d%s", argv[0],
		             WTERMSIG(status), WTERMSIG(status) == SIGXCPU ? " (CPU limit)" : "");
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = err_set(errp, FOID_EINVAL, "%s exited %d", argv[0], WEXITSTATUS(status));
out:
	if (in >= 0)
		close(in);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (devnull >= 0)
		close(devnull);
	buf_addc(&b, '\0');
	b.len--;
	if (out_len)
		*out_len = b.len;
	*out = buf_detach(&b);
	return rc;
}
