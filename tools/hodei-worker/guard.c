/*
 * The job guard: the first process of every job on an agent, so that no job
 * outlives the agent, even when the agent and its reaper are killed
 * together (kill -9 of their group, pkill by name).
 *
 * The agent spawns its own binary as `hodei-worker --job-guard AGENT_PID
 * PATH LDSPEC -- ARGV...` (posix_spawn cannot set a parent-death signal;
 * the guard, being the child, can).  LDSPEC restores the job's own
 * LD_LIBRARY_PATH ("-": as is, "+VALUE", "!": none), since the guard starts
 * with the agent's.  The guard, the leader of the job's process
 * group:
 *   - asks for GUARD_SIGNAL when the agent dies (PR_SET_PDEATHSIG), and
 *     checks that the agent had not died before it asked;
 *   - becomes a subreaper, so that descendants that leave the job's group
 *     (setsid, double fork) are re-parented to it, not to init;
 *   - starts the job (vfork), which asks for SIGKILL when the guard dies,
 *     and execs it.
 * When the agent dies, or the job's first process ends, the guard kills
 * every descendant and exits with the job's status (a signal that killed
 * the job kills the guard), so the agent sees the job's own exit status.
 * SIGTERM, SIGINT and SIGHUP are the job's business: the agent signals the
 * whole group, and the guard outlives the job to report it.
 */
#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_ROUNDS 64
#define STOP_POLL_NS 5000000L /* guard_stop() looks every 5 ms ... */
#define STOP_POLLS 400        /* ... for at most 2 s */

/* Send sig to the children of pid (all its threads'), and to theirs. */
static int signal_tree(pid_t pid, int sig, int depth)
{
	char path[64], buf[4096];
	int found = 0;
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (char *p = buf, *end; *p; p = end) {
		long child = strtol(p, &end, 10);
		if (end == p)
			break;
		if (depth < 64)
			found += signal_tree((pid_t)child, sig, depth + 1);
		kill((pid_t)child, sig);
		found++;
	}
	return found;
}

/* Kill every descendant; orphans come back to us (subreaper) until none is left. */
static void kill_descendants(void)
{
	for (int round = 0; round < KILL_ROUNDS; round++) {
		int found = signal_tree(getpid(), SIGKILL, 0);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!found)
			return;
	}
}

/* Leave with the job's status: its exit code, or its signal. */
static void exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit none = {0, 0};
		sigset_t set;
		setrlimit(RLIMIT_CORE, &none); /* the job dumped its core, if any */
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* The job's environment: ours, with its own LD_LIBRARY_PATH back (LDSPEC). */
static void job_environ(const char *ldspec)
{
	if (ldspec[0] == '+')
		setenv("LD_LIBRARY_PATH", ldspec + 1, 1);
	else if (ldspec[0] == '!')
		unsetenv("LD_LIBRARY_PATH");
}

/* In the vfork child: system calls only, it shares our memory until execve. */
static __attribute__((noinline)) void run_job(pid_t guard, const sigset_t *old,
                                               const char *path, char **argv,
                                               const char *fail, size_t fail_len)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != guard)
		_exit(127); /* the guard is gone already */
	sigprocmask(SIG_SETMASK, old, NULL);
	execve(path, argv, environ);
	if (write(2, fail, fail_len) < 0)
		_exit(127);
	_exit(127);
}

int guard_main(int argc, char **argv)
{
	if (argc < 7 || strcmp(argv[5], "--") != 0) {
		fprintf(stderr, "hodei-worker: --job-guard is for the agent's own use\n");
		return 2;
	}
	pid_t agent = (pid_t)strtol(argv[2], NULL, 10);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, GUARD_SIGNAL);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	prctl(PR_SET_NAME, "hodei-job-guard");
	if (prctl(PR_SET_PDEATHSIG, GUARD_SIGNAL) != 0 || getppid() != agent)
		return 127; /* the agent died before we could watch it */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	job_environ(argv[4]);
	pid_t guard = getpid();
	char fail[4200];
	int fail_len = snprintf(fail, sizeof fail, "hodei-worker: command: cannot start '%s'\n",
	                        argv[3]);
	/* vfork: no copy of our address space for a child that only execs. */
	pid_t job = vfork();
	if (job < 0) {
		fprintf(stderr, "hodei-worker: fork: %s\n", strerror(errno));
		return 127;
	}
	if (job == 0)
		run_job(guard, &old, argv[3], argv + 6, fail,
		        fail_len < (int)sizeof fail ? (size_t)fail_len : sizeof fail - 1);
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig == GUARD_SIGNAL) {
			kill_descendants(); /* the agent is gone: nobody reports this job */
			_exit(137);
		}
		if (sig != SIGCHLD)
			continue; /* TERM, INT, HUP: the group's signal, for the job */
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == job) {
				kill_descendants();
				exit_like(status);
			}
		}
	}
}

void guard_stop(int pid)
{
	struct timespec pause = {0, STOP_POLL_NS};
	if (pid <= 0 || kill(pid, GUARD_SIGNAL) != 0)
		return;
	for (int i = 0; i < STOP_POLLS; i++) {
		siginfo_t info = {0};
		/* WNOWAIT: hodei_process reaps it, so its pid cannot be reused before. */
		if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | WNOHANG) != 0 || info.si_pid)
			return;
		nanosleep(&pause, NULL);
	}
}

/* argv[0] looked up in the job's PATH, as the local provider does. */
int guard_find_program(const char *prog, const char *const *envp, char *out, size_t outlen)
{
	const char *p = "/usr/local/bin:/usr/bin:/bin";
	struct stat sb;
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			p = envp[i] + 5;
	if (strchr(prog, '/')) {
		snprintf(out, outlen, "%s", prog);
		return access(out, X_OK) == 0 && stat(out, &sb) == 0 && !S_ISDIR(sb.st_mode) ? 0 : -1;
	}
	while (*p) {
		size_t n = strcspn(p, ":");
		snprintf(out, outlen, "%.*s/%s", (int)n, n ? p : ".", prog);
		if (access(out, X_OK) == 0 && stat(out, &sb) == 0 && !S_ISDIR(sb.st_mode))
			return 0;
		p += n + (p[n] == ':');
	}
	return -1;
}
