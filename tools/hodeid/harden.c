/*
 * What keeps jobs away from hodeid's secrets (SECURITY.md, "Jobs and
 * containers"): tokens gone from the environment block, a data directory
 * only hodeid's user can read, hodeid not dumpable, and the process policy
 * (the job user, no_new_privs, containment) that every local job runs under.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hodeid.h"

extern char **environ;

/*
 * unsetenv() only drops the pointer: /proc/PID/environ shows the original
 * block, so the bytes themselves are overwritten first.
 */
static void scrub_env(const char *name)
{
	size_t n = strlen(name);
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			memset(*e + n + 1, 0, strlen(*e + n + 1));
	unsetenv(name);
}

static void tighten(const char *path, mode_t want)
{
	struct stat st;
	if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode) || (st.st_mode & 0777 & ~want) == 0)
		return;
	if (chmod(path, want) == 0)
		LOG_WARN("tightened permissions path=%s from=%04o to=%04o", path,
		         (unsigned)(st.st_mode & 0777), (unsigned)want);
	else
		LOG_WARN("cannot tighten permissions path=%s mode=%04o: %s", path,
		         (unsigned)(st.st_mode & 0777), strerror(errno));
}

/* The data directory 0700 and what is in it 0600 (directories 0700). */
static int secure_data_dir(const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		LOG_ERROR("cannot create data directory %s: %s", dir, strerror(errno));
		return -1;
	}
	tighten(dir, 0700);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[4096];
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			tighten(path, S_ISDIR(st.st_mode) ? 0700 : 0600);
	}
	if (d)
		closedir(d);
	return 0;
}

int hodeid_harden(hodeid *d)
{
	scrub_env("HODEI_API_TOKEN");
	scrub_env("HODEI_JOIN_TOKEN");
	/* same-user jobs cannot read our memory or /proc/PID/environ */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	hodei_process_policy pol = HODEI_PROCESS_POLICY_INIT;
	const char *mode = getenv("HODEI_JOB_CONTAINMENT");
	pol.flags = HODEI_PROCESS_NO_NEW_PRIVS | HODEI_PROCESS_CONTAIN;
	if (mode && strcmp(mode, "subreaper") == 0)
		pol.flags |= HODEI_PROCESS_NO_CGROUP;
	pol.user = d->cfg.job_user;
	if (hodei_process_policy_set(&pol) != 0) {
		LOG_ERROR("--job-user: %s", hodei_error_last());
		return -1;
	}
	/* after the policy, which keeps the umask jobs get (the one we were given) */
	umask(077); /* the database, its WAL and anything else we create */
	return secure_data_dir(d->cfg.data_dir);
}
