/*
 * The reaper: a small process forked at start that outlives the agent.  The
 * agent tells it, through a pipe, the process group of each job it starts
 * and ends.  If the agent dies without cleaning up (kill -9, a crash), the
 * kernel closes the pipe and the reaper kills the groups still listed, so
 * no job keeps running without anyone to report it.
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_GROUPS 64

static int reaper_fd = -1;

struct record {
	int32_t op; /* 1: add, 2: remove */
	int32_t pgid;
};

static void reaper_loop(int fd)
{
	int32_t groups[MAX_GROUPS];
	size_t n = 0;
	struct record r;
	for (;;) {
		ssize_t got = read(fd, &r, sizeof r);
		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)sizeof r)
			break; /* EOF: the agent is gone */
		if (r.op == 1 && n < MAX_GROUPS) {
			groups[n++] = r.pgid;
		} else if (r.op == 2) {
			for (size_t i = 0; i < n; i++)
				if (groups[i] == r.pgid) {
					groups[i] = groups[--n];
					break;
				}
		}
	}
	for (size_t i = 0; i < n; i++)
		kill(-groups[i], SIGKILL);
}

int reaper_start(void)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		/* Only the read end: nothing else keeps the pipe open. */
		struct rlimit rl;
		int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 1024;
		for (int fd = 3; fd < max; fd++)
			if (fd != fds[0])
				close(fd);
		/* Not the agent's group nor its name: `kill -9 -PGID` or pkill of the
		 * agent leaves it to do its work (and the job guard covers the rest). */
		setsid();
		prctl(PR_SET_NAME, "hodei-reaper");
		signal(SIGINT, SIG_IGN);  /* a terminal's ^C is the agent's to handle */
		signal(SIGTERM, SIG_IGN); /* ... and so is a service manager's TERM */
		reaper_loop(fds[0]);
		_exit(0);
	}
	close(fds[0]);
	reaper_fd = fds[1];
	return 0;
}

static void tell(int32_t op, int pgid)
{
	struct record r = {op, pgid};
	if (reaper_fd >= 0 && write(reaper_fd, &r, sizeof r) != (ssize_t)sizeof r)
		agent_log("warn", "reaper: %s", strerror(errno));
}

void reaper_add(int pgid)
{
	tell(1, pgid);
}

void reaper_remove(int pgid)
{
	tell(2, pgid);
}
