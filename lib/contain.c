/*
 * The process policy (include/hodei/process.h): who jobs run as, and
 * containment: every process a job starts ends with the job, even one that
 * left the job's process group (setsid) or was re-parented.
 *
 * - cgroup: where this process may create cgroup v2 directories below its
 *   own (root, or a delegated subtree), each job gets one; its first process
 *   joins it before exec, and at the end cgroup.kill kills everything in it.
 * - subreaper: otherwise.  This process and each job's first process are
 *   child subreapers, so a job's orphans are re-parented to the job while it
 *   runs and to us once it ended.  When a job ends, every child of ours that
 *   is not a running job (nor a child we had before the policy was set) is a
 *   leftover of an ended job: it is killed and reaped, round after round,
 *   until none is left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define END_WAIT_MS 2000 /* bound on waiting for a job's processes to vanish */
#define MAX_EXEMPT 32

typedef struct known_pid {
	pid_t pid;
	int64_t start;
} known_pid;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool set_ids, no_new_privs, set_umask;
	mode_t umask; /* the caller's when the policy was set: jobs get it */
	uid_t uid;
	gid_t gid;
	int mode;
	char cgroot[512];
	unsigned long seq;
	pid_t *live; /* first processes of running jobs */
	size_t nlive, cap;
	known_pid exempt[MAX_EXEMPT];
	size_t nexempt;
} pol;

/* ---- users ---- */

static int resolve_user(const char *user, uid_t *uid, gid_t *gid)
{
	char *end;
	unsigned long u;
	struct passwd *pw;

	if ((pw = getpwnam(user))) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	u = strtoul(user, &end, 10);
	if (end != user && (*end == '\0' || *end == ':')) {
		*uid = (uid_t)u;
		pw = getpwuid(*uid);
		*gid = *end == ':' ? (gid_t)strtoul(end + 1, NULL, 10) : pw ? pw->pw_gid : (gid_t)u;
		return 0;
	}
	if (strcmp(user, "nobody") == 0) { /* no passwd file (a minimal image) */
		*uid = 65534;
		*gid = 65534;
		return 0;
	}
	return hodei__err(HODEI_EINVAL, "user: '%s' is neither a user name nor uid[:gid]", user);
}

static int set_user(const char *user)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int rc;

	pol.set_ids = false;
	if (!user || !*user) {
		if (geteuid() != 0)
			return 0; /* not root: jobs run as we do */
		user = "nobody";
	}
	if ((rc = resolve_user(user, &uid, &gid)))
		return rc;
	if (uid == geteuid() && gid == getegid() && uid != 0)
		return 0;
	if (geteuid() != 0)
		return hodei__err(HODEI_EINVAL, "user: running jobs as '%s' needs root", user);
	pol.set_ids = true;
	pol.uid = uid;
	pol.gid = gid;
	return 0;
}

/* ---- finding our cgroup v2 directory ---- */

static int cgroup2_mount(char *mnt, size_t len, char *root, size_t rlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int found = -1;

	while (f && found && fgets(line, sizeof(line), f)) {
		char r[1024], m[1024];
		const char *sep = strstr(line, " - ");

		if (!sep || strncmp(sep, " - cgroup2 ", 11) != 0 ||
		    sscanf(line, "%*s %*s %*s %1023s %1023s", r, m) != 2)
			continue;
		snprintf(mnt, len, "%s", m);
		snprintf(root, rlen, "%s", strcmp(r, "/") == 0 ? "" : r);
		found = 0;
	}
	if (f)
		fclose(f);
	return found;
}

static int own_cgroup(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096], mnt[1024], root[1024];
	int found = -1;

	while (f && found && fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			found = (size_t)snprintf(out, len, "%s", line + 3) >= len ? -1 : 0;
		}
	if (f)
		fclose(f);
	if (found || cgroup2_mount(mnt, sizeof(mnt), root, sizeof(root)))
		return -1;
	if (strncmp(out, root, strlen(root)) != 0)
		return -1; /* our cgroup is not below what is mounted */
	memmove(out, out + strlen(root), strlen(out + strlen(root)) + 1);
	if (strcmp(out, "/") == 0)
		out[0] = '\0';
	if ((size_t)snprintf(line, sizeof(line), "%s%s", mnt, out) >= len)
		return -1;
	memcpy(out, line, strlen(line) + 1);
	return 0;
}

/* Can we make job cgroups there, with cgroup.kill?  Try one. */
static bool cgroup_usable(const char *dir)
{
	char probe[600], kill_file[700];
	bool ok;

	snprintf(probe, sizeof(probe), "%s/hodei-%d-probe", dir, (int)getpid());
	if (mkdir(probe, 0755) != 0 && errno != EEXIST)
		return false;
	snprintf(kill_file, sizeof(kill_file), "%s/cgroup.kill", probe);
	ok = access(kill_file, W_OK) == 0;
	rmdir(probe);
	return ok;
}

static void cgroup_end(const char *dir);

/* ---- children ---- */

static pid_t ppid_of(const char *pid, int64_t *start)
{
	char path[64], buf[1024], *p;
	long long ppid = -1;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %*c %lld", &ppid) != 1)
		return -1;
	*start = hodei__proc_starttime(atoi(pid));
	return (pid_t)ppid;
}

static bool is_known(pid_t pid, int64_t start)
{
	for (size_t i = 0; i < pol.nlive; i++)
		if (pol.live[i] == pid)
			return true;
	for (size_t i = 0; i < pol.nexempt; i++)
		if (pol.exempt[i].pid == pid && pol.exempt[i].start == start)
			return true;
	return false;
}

/* Our children, minus running jobs and exempt ones, into out (up to max). */
static size_t list_leftovers(pid_t *out, size_t max, bool snapshot_exempt)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t self = getpid();
	size_t n = 0;

	while (d && (e = readdir(d)) && n < max) {
		int64_t start = 0;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || ppid_of(e->d_name, &start) != self)
			continue;
		if (snapshot_exempt) {
			if (pol.nexempt < MAX_EXEMPT)
				pol.exempt[pol.nexempt++] = (known_pid){ atoi(e->d_name), start };
		} else if (!is_known(atoi(e->d_name), start)) {
			out[n++] = atoi(e->d_name);
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* Wait (bounded) for a killed process to exit (to be a zombie at least). */
static void wait_exit(pid_t pid, int64_t deadline)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	int64_t left = deadline - hodei__mono_ms();

	if (fd >= 0) {
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (left > 0)
			poll(&pfd, 1, (int)left);
		close(fd);
	}
}

/* ... and reap it: a child of ours. */
static void reap(pid_t pid, int64_t deadline)
{
	wait_exit(pid, deadline);
	waitpid(pid, NULL, WNOHANG);
}

static void sweep_leftovers(void)
{
	int64_t deadline = hodei__mono_ms() + END_WAIT_MS;
	pid_t found[256];
	size_t n;

	/* killing one re-parents its children to us: go round until none is left */
	do {
		pthread_mutex_lock(&lock);
		n = list_leftovers(found, 256, false);
		for (size_t i = 0; i < n; i++)
			kill(found[i], SIGKILL);
		pthread_mutex_unlock(&lock);
		for (size_t i = 0; i < n; i++)
			reap(found[i], deadline);
	} while (n > 0 && hodei__mono_ms() < deadline);
}

/* Job cgroups of a spawner that died (kill -9, a crash): what ran in them
 * dies now.  Only those whose spawner pid is gone: others belong to
 * another live hodeid or agent. */
static void remove_stale(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *e;
	char path[1024];
	int pid;

	while (d && (e = readdir(d))) {
		if (sscanf(e->d_name, "hodei-%d-", &pid) != 1 || pid <= 0 || pid == getpid())
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue; /* its spawner lives */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, e->d_name) < sizeof(path))
			cgroup_end(path);
	}
	if (d)
		closedir(d);
}

/* ---- processes marked with a store's id (HODEI_LOCAL_RUN) ---- */

/* Does /proc/PID/environ hold an entry that starts with prefix?  Read in
 * chunks; the last plen - 1 bytes of one (not yet checked) go on to the next. */
#define ENV_CHUNK 16384
static bool environ_has(const char *pid, const char *prefix)
{
	char path[64], buf[ENV_CHUNK + 256];
	size_t plen = strlen(prefix), keep = 0;
	bool sep_before = true; /* the byte before buf[0] ends an entry (or none is) */
	bool found = false;
	ssize_t n;
	int fd;

	if (plen == 0 || plen >= 256)
		return false;
	snprintf(path, sizeof(path), "/proc/%s/environ", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false; /* gone, or not ours to read */
	while (!found && (n = read(fd, buf + keep, ENV_CHUNK)) > 0) {
		size_t len = keep + (size_t)n, carry;

		for (size_t i = 0; i + plen <= len && !found; i++)
			found = (i == 0 ? sep_before : buf[i - 1] == '\0') &&
			        memcmp(buf + i, prefix, plen) == 0;
		carry = len < plen - 1 ? len : plen - 1;
		if (len > carry)
			sep_before = buf[len - carry - 1] == '\0';
		memmove(buf, buf + len - carry, carry);
		keep = carry;
	}
	close(fd);
	return found;
}

int64_t hodei__contain_kill_marked(const char *prefix)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t self = getpid(), pids[256];
	size_t n = 0;
	int64_t killed = 0, deadline = hodei__mono_ms() + END_WAIT_MS;

	while (d && (e = readdir(d))) {
		pid_t pid;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || (pid = atoi(e->d_name)) == self ||
		    !environ_has(e->d_name, prefix))
			continue;
		/* its group too, when it leads one (a job's first process does; a
		 * group it joined may be someone else's) */
		if (getpgid(pid) == pid)
			kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		killed++;
		if (n < sizeof(pids) / sizeof(pids[0]))
			pids[n++] = pid;
	}
	if (d)
		closedir(d);
	/* gone before anything starts again (not ours to reap: they were re-parented) */
	for (size_t i = 0; i < n; i++)
		wait_exit(pids[i], deadline);
	return killed;
}

/* ---- the policy ---- */

int hodei_process_policy_set(const hodei_process_policy *policy)
{
	static const hodei_process_policy defaults = HODEI_PROCESS_POLICY_INIT;
	char dir[512];
	int rc;

	if (!policy)
		policy = &defaults;
	if (policy->version < 1 || policy->version > HODEI_PROCESS_POLICY_VERSION)
		return hodei__err(HODEI_EINVAL, "policy: unknown version %u", policy->version);
	pthread_mutex_lock(&lock);
	pol.umask = umask(022);
	umask(pol.umask);
	pol.set_umask = true;
	rc = set_user(policy->user);
	pol.no_new_privs = (policy->flags & HODEI_PROCESS_NO_NEW_PRIVS) != 0;
	if (rc == 0 && (policy->flags & HODEI_PROCESS_CONTAIN) && pol.mode == HODEI_CONTAIN_NONE) {
		if (!(policy->flags & HODEI_PROCESS_NO_CGROUP) && own_cgroup(dir, sizeof(dir)) == 0 &&
		    cgroup_usable(dir)) {
			snprintf(pol.cgroot, sizeof(pol.cgroot), "%s", dir);
			pol.mode = HODEI_CONTAIN_CGROUP;
			remove_stale(dir);
		} else if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0) {
			list_leftovers(NULL, 256, true); /* children from before: not ours to kill */
			pol.mode = HODEI_CONTAIN_SUBREAPER;
		} else {
			rc = hodei__err(HODEI_EIO, "containment: PR_SET_CHILD_SUBREAPER: %s",
			                strerror(errno));
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

const char *hodei_process_containment(void)
{
	static const char *const names[] = { "none", "cgroup", "subreaper" };
	return names[pol.mode];
}

/* ---- one job ---- */

int hodei__contain_prepare(hodei__contain *box, hodei__spawn_plan *plan)
{
	char path[700];
	unsigned long seq;
	int saved;

	box->cgroup = NULL;
	plan->cgroup_fd = -1;
	plan->set_ids = pol.set_ids;
	plan->uid = pol.uid;
	plan->gid = pol.gid;
	plan->no_new_privs = pol.no_new_privs;
	plan->subreaper = pol.mode == HODEI_CONTAIN_SUBREAPER;
	plan->set_umask = pol.set_umask;
	plan->umask = pol.umask;
	if (pol.mode != HODEI_CONTAIN_CGROUP)
		return 0;
	pthread_mutex_lock(&lock);
	seq = ++pol.seq;
	pthread_mutex_unlock(&lock);
	snprintf(path, sizeof(path), "%s/hodei-%d-job-%lu", pol.cgroot, (int)getpid(), seq);
	if (mkdir(path, 0755) != 0 || !(box->cgroup = strdup(path)))
		goto fail;
	snprintf(path, sizeof(path), "%s/cgroup.procs", box->cgroup);
	if ((plan->cgroup_fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	if (box->cgroup)
		rmdir(box->cgroup);
	free(box->cgroup);
	box->cgroup = NULL;
	return hodei__err(HODEI_EIO, "containment: cannot create the job's cgroup under %s: %s",
	                  pol.cgroot, strerror(saved));
}

/* Called with hodei__contain_lock() held, since before the clone. */
void hodei__contain_started(hodei__spawn_plan *plan, pid_t pid)
{
	if (plan->cgroup_fd >= 0)
		close(plan->cgroup_fd);
	plan->cgroup_fd = -1;
	if (pid <= 0 || pol.mode != HODEI_CONTAIN_SUBREAPER)
		return;
	if (hodei__array_grow(&pol.live, &pol.cap, pol.nlive, sizeof(*pol.live), 16) == 0)
		pol.live[pol.nlive++] = pid;
}

/* Lock held by the caller of spawn: a job being cloned is never a leftover. */
void hodei__contain_lock(void)
{
	pthread_mutex_lock(&lock);
}

void hodei__contain_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

static bool populated(int fd)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "populated 1") != NULL;
}

static void cgroup_end(const char *dir)
{
	char path[700];
	int64_t deadline = hodei__mono_ms() + END_WAIT_MS;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) >= 0) {
		if (write(fd, "1", 1) != 1)
			(void)0; /* rmdir below fails, the directory stays for the operator */
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		while (populated(fd)) {
			struct pollfd pfd = { fd, POLLPRI, 0 };
			int64_t left = deadline - hodei__mono_ms();

			if (left <= 0)
				break;
			poll(&pfd, 1, (int)left);
		}
		close(fd);
	}
	rmdir(dir);
}

void hodei__contain_end(hodei__contain *box, pid_t pid)
{
	if (box->cgroup) {
		cgroup_end(box->cgroup);
		free(box->cgroup);
		box->cgroup = NULL;
	}
	if (pol.mode != HODEI_CONTAIN_SUBREAPER)
		return;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < pol.nlive; i++)
		if (pol.live[i] == pid)
			pol.live[i] = pol.live[--pol.nlive];
	pthread_mutex_unlock(&lock);
	sweep_leftovers();
}
