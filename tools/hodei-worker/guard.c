/*
 * The job guard: the first process of every job on an agent, so that no job
 * outlives the agent, even when the agent and its reaper are killed
 * together (kill -9 of their group, pkill by name).
 *
 * The agent spawns its own binary as `hodei-worker --job-guard AGENT_PID
 * PATH -- ARGV...` (posix_spawn cannot set a parent-death signal; the
 * guard, being the child, can).  The guard, the leader of the job's process
 * group:
 *   - asks for GUARD_SIGNAL when the agent dies (PR_SET_PDEATHSIG), and
 *     checks that the agent had not died before it asked;
 *   - becomes a subreaper, so that descendants that leave the job's group
 *     (setsid, double fork) are re-parented to it, not to init;
 *   - forks the job, which asks for SIGKILL when the guard dies, and execs it.
 * When the agent dies, or the job's first process ends, the guard kills
 * every descendant and exits with the job's status (a signal that killed
 * the job kills the guard), so the agent sees the job's own exit status.
 * SIGTERM, SIGINT and SIGHUP are the job's business: the agent signals the
 * whole group, and the guard outlives the job to report it.
 *
 * The guard is loaded by the dynamic loader like the agent, so it gets the
 * agent's loader variables (LD_LIBRARY_PATH of an agent installed off the
 * default paths, ...), not the job's (a job's LD_PRELOAD or LD_LIBRARY_PATH
 * is for the job's program, and could keep the guard from starting): the
 * agent hands the job's own to the guard wrapped (guard_env()), and the
 * guard execs the job with exactly the job's environment.
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
#include <unistd.h>

#define GUARD_SIGNAL (SIGRTMIN + 1)
#define KILL_ROUNDS 64
#define WRAP "HODEI_GUARD_JOB_" /* a job's variable that the guard must not see */
#define WRAP_LEN (sizeof(WRAP) - 1)

extern char **environ;

/* A variable the dynamic loader reads (ld.so(8)): "LD_*" and glibc's tunables. */
static int loader_var(const char *entry)
{
	return strncmp(entry, "LD_", 3) == 0 || strncmp(entry, "GLIBC_TUNABLES=", 15) == 0;
}

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

/* The job's environment, as the agent was given it: ours without the
 * agent's loader variables, the job's own unwrapped (pointers into environ). */
static char **job_env(void)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 1, sizeof *env);
	for (size_t i = 0; env && i < n; i++) {
		if (strncmp(environ[i], WRAP, WRAP_LEN) == 0)
			env[k++] = environ[i] + WRAP_LEN;
		else if (!loader_var(environ[i]))
			env[k++] = environ[i];
	}
	return env;
}

static void run_job(pid_t guard, const sigset_t *old, const char *path, char **argv)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != guard)
		_exit(127); /* the guard is gone already */
	sigprocmask(SIG_SETMASK, old, NULL);
	char **env = job_env();
	if (!env) {
		fprintf(stderr, "hodei-worker: command: cannot start '%s': out of memory\n", path);
		_exit(127);
	}
	execve(path, argv, env);
	fprintf(stderr, "hodei-worker: command: cannot start '%s': %s\n", path, strerror(errno));
	_exit(127);
}

int guard_main(int argc, char **argv)
{
	if (argc < 6 || strcmp(argv[4], "--") != 0) {
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
	pid_t job = fork();
	if (job < 0) {
		fprintf(stderr, "hodei-worker: fork: %s\n", strerror(errno));
		return 127;
	}
	if (job == 0)
		run_job(getppid(), &old, argv[3], argv + 5);
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

/*
 * The guard's environment for a job's (n entries of job_env): the job's,
 * where each loader variable, and each entry that looks wrapped already, is
 * wrapped (WRAP prefixed) for job_env() to undo, then the agent's own
 * loader variables.  NULL when out of memory; free with guard_env_free().
 */
char **guard_env(char *const *job_env_in, size_t n)
{
	size_t extra = 0, k = 0;
	while (environ[extra])
		extra++;
	char **env = calloc(n + extra + 1, sizeof *env);
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *e = job_env_in[i];
		int wrap = loader_var(e) || strncmp(e, WRAP, WRAP_LEN) == 0;
		size_t len = strlen(e) + (wrap ? WRAP_LEN : 0) + 1;
		if (!(env[k] = malloc(len))) {
			guard_env_free(env);
			return NULL;
		}
		snprintf(env[k++], len, "%s%s", wrap ? WRAP : "", e);
	}
	for (size_t i = 0; environ[i]; i++) {
		if (loader_var(environ[i]) && !(env[k++] = strdup(environ[i]))) {
			guard_env_free(env);
			return NULL;
		}
	}
	return env;
}

void guard_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}
