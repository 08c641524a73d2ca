/*
 * Starting a job's process.  posix_spawn cannot change the user, set
 * no_new_privs or join a cgroup, so this does what glibc's posix_spawn does
 * underneath: clone(CLONE_VM | CLONE_VFORK) on a small stack of its own,
 * never a fork of the host process.  The parent is suspended until the
 * child execs or fails.
 *
 * The child shares the parent's memory, so it only makes raw system calls:
 * glibc's setresuid() and friends would try to change the ids of every
 * thread of the parent.  It writes the failing step and errno into the plan
 * for the parent to report.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define CHILD_STACK (64 * 1024)

/*
 * Under ThreadSanitizer the child gets a copy of the memory instead
 * (CLONE_VFORK without CLONE_VM): TSan keeps its per-thread state in that
 * memory, and a child running on the loop thread's state would corrupt it
 * (false races between correctly locked accesses).  The failing step then
 * comes back through a shared page.
 */
#if defined(__SANITIZE_THREAD__)
#define SPAWN_SHARES_MEMORY 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SPAWN_SHARES_MEMORY 0
#endif
#endif
#ifndef SPAWN_SHARES_MEMORY
#define SPAWN_SHARES_MEMORY 1
#endif

typedef struct spawn_report {
	int err;
	const char *step;
} spawn_report;

static _Thread_local spawn_report *child_report; /* SPAWN_SHARES_MEMORY 0: shared page */

static int child_fail(hodei__spawn_plan *c, const char *step)
{
	c->err = errno ? errno : EIO;
	c->step = step;
	if (!SPAWN_SHARES_MEMORY && child_report) {
		child_report->err = c->err;
		child_report->step = step;
	}
	_exit(127);
}

/* Every descriptor above 2 goes: nothing the spawner inherited or opened
 * reaches the job, whether or not it was close-on-exec. */
static void close_from_3(void)
{
	struct rlimit rl;

	if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
		return;
	/* before Linux 5.9 */
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 65536;
	for (rlim_t fd = 3; fd < rl.rlim_cur; fd++)
		close((int)fd);
}

/* Move fd out of 0..2 so the dup2s below cannot clobber it. */
static int above_stdio(int fd)
{
	return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD, 3) : fd;
}

static int child_main(void *arg)
{
	hodei__spawn_plan *c = arg;
	struct sigaction dfl;
	sigset_t none;
	int in, out = above_stdio(c->out_fd), err = above_stdio(c->err_fd);

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL); /* glibc's own signals: EINVAL, ignored */
	if (setpgid(0, 0) != 0)
		return child_fail(c, "setpgid");
	if ((in = open("/dev/null", O_RDONLY)) < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0)
		return child_fail(c, "stdio");
	if (c->set_umask)
		umask(c->umask);
	if (c->cgroup_fd >= 0 && write(c->cgroup_fd, "0", 1) != 1)
		return child_fail(c, "joining the job's cgroup");
	if (c->subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		return child_fail(c, "PR_SET_CHILD_SUBREAPER");
	if (c->set_ids) {
		if (syscall(SYS_setgroups, 0, NULL) != 0)
			return child_fail(c, "setgroups");
		if (syscall(SYS_setresgid, c->gid, c->gid, c->gid) != 0)
			return child_fail(c, "setresgid");
		if (syscall(SYS_setresuid, c->uid, c->uid, c->uid) != 0)
			return child_fail(c, "setresuid");
	}
	if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return child_fail(c, "PR_SET_NO_NEW_PRIVS");
	/* as the job's user: a directory it cannot enter is refused */
	if (c->workdir && *c->workdir && chdir(c->workdir) != 0)
		return child_fail(c, "workdir");
	close_from_3();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(c->path, c->argv, c->envp);
	return child_fail(c, "exec");
}

int hodei__spawn(pid_t *pid, hodei__spawn_plan *plan)
{
	sigset_t all, old;
	void *stack;
	int saved;

	plan->err = 0;
	plan->step = NULL;
	stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return hodei__err(HODEI_EIO, "command: cannot start '%s': mmap: %s", plan->argv[0],
		                  strerror(errno));
	if (!SPAWN_SHARES_MEMORY) {
		child_report = mmap(NULL, sizeof(*child_report), PROT_READ | PROT_WRITE,
		                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (child_report == MAP_FAILED) {
			child_report = NULL;
			munmap(stack, CHILD_STACK);
			return hodei__err(HODEI_EIO, "command: cannot start '%s': mmap: %s",
			                  plan->argv[0], strerror(errno));
		}
	}
	/* no handler of ours may run in the child while it shares our memory */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	*pid = clone(child_main, (char *)stack + CHILD_STACK,
	             (SPAWN_SHARES_MEMORY ? CLONE_VM : 0) | CLONE_VFORK | SIGCHLD, plan);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	munmap(stack, CHILD_STACK);
	if (!SPAWN_SHARES_MEMORY) {
		plan->err = child_report->err;
		plan->step = child_report->step;
		munmap(child_report, sizeof(*child_report));
		child_report = NULL;
	}
	if (*pid < 0)
		return hodei__err(HODEI_EIO, "command: cannot start '%s': clone: %s", plan->argv[0],
		                  strerror(saved));
	if (plan->err) {
		waitpid(*pid, NULL, 0);
		*pid = -1;
		return hodei__err(plan->err == ENOENT ? HODEI_ENOTFOUND : HODEI_EIO,
		                  "command: cannot start '%s': %s: %s", plan->argv[0], plan->step,
		                  strerror(plan->err));
	}
	return 0;
}
