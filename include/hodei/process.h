/*
 * libhodei: running one job process.  The local provider uses this, and so
 * does the hodei-worker agent, so a job behaves the same wherever it runs.
 *
 * The process is started with clone(CLONE_VM | CLONE_VFORK) and exec, as
 * posix_spawn does (never a fork of the host), in a process group of its
 * own, with stdin from /dev/null, stdout/stderr on pipes read from the loop,
 * and no other descriptor of the spawner (every one above 2 is closed).  Output is split into lines (see log.h for the
 * rules on long and partial lines) and handed to on_line.  When the timeout
 * passes or hodei_process_cancel() is called, the whole group gets SIGTERM,
 * then SIGKILL after kill_grace_ms.  When the main process exits, anything
 * left in its group is killed, the pipes are drained and on_exit is called
 * once with the exit status, CPU time and peak memory.  With the policy's
 * HODEI_PROCESS_CONTAIN, everything else the job started is killed as well
 * before on_exit (see hodei_process_policy_set()).
 *
 * All calls and callbacks happen on the thread that runs `base`.
 */
#ifndef HODEI_PROCESS_H
#define HODEI_PROCESS_H

#include "common.h"
#include "sys/provider.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

typedef struct hodei_process hodei_process;

#define HODEI_PROCESS_CALLBACKS_VERSION 1

typedef struct hodei_process_callbacks {
	unsigned int version;
	/** One line of output, without its '\n'; flags HODEI_LOG_PARTIAL. */
	void (*on_line)(void *userdata, int stream, int64_t ts_us, const char *text,
	                size_t len, unsigned int flags);
	/** The process and its pipes are done.  Called exactly once. */
	void (*on_exit)(void *userdata, const hodei_run_result *result);
} hodei_process_callbacks;

/**
 * Start req->argv.  PATH lookup uses the PATH in req->envp.  On success the
 * callbacks will be called; on failure they never are.
 * Errors: HODEI_EINVAL (empty argv), HODEI_ENOTFOUND (program not found or
 * not executable; message says which), HODEI_EIO (workdir missing, pipes).
 */
HODEI_EXTERN int hodei_process_spawn(hodei_process **out, struct event_base *base,
                                     const hodei_run_request *req,
                                     const hodei_process_callbacks *callbacks,
                                     void *userdata);

/** Stop it: SIGTERM to the group, SIGKILL after the grace period. */
HODEI_EXTERN void hodei_process_cancel(hodei_process *proc);

/** Its pid (also its process-group id). */
HODEI_EXTERN int hodei_process_pid(hodei_process *proc);

/**
 * Free it.  If it is still running it is killed (SIGKILL to the group) and
 * reaped without calling on_exit.  Accepts NULL.  Safe to call from on_exit.
 */
HODEI_EXTERN void hodei_process_free(hodei_process *proc);

/* ---- the process policy: who jobs run as, and what they leave behind ---- */

#define HODEI_PROCESS_POLICY_VERSION 1

/** Set PR_SET_NO_NEW_PRIVS in every job: setuid binaries and file
 *  capabilities give it nothing. */
#define HODEI_PROCESS_NO_NEW_PRIVS 0x1u
/** Every process a job starts ends with the job, including those that
 *  left its process group (setsid) or were re-parented: a cgroup v2 per job
 *  where this process can create one below its own cgroup, else child
 *  subreapers (see hodei_process_policy_set()). */
#define HODEI_PROCESS_CONTAIN 0x2u
/** With HODEI_PROCESS_CONTAIN: never use cgroups, always subreapers. */
#define HODEI_PROCESS_NO_CGROUP 0x4u

typedef struct hodei_process_policy {
	unsigned int version;
	unsigned int flags; /**< HODEI_PROCESS_* */
	/** Run jobs as this user: a name, or uid[:gid] (groups are cleared).
	 *  NULL or "": as this process, except that root runs them as
	 *  "nobody" (65534 where there is no passwd entry); "root" only when
	 *  named.  Any other user than our own needs root. */
	const char *user;
} hodei_process_policy;

#define HODEI_PROCESS_POLICY_INIT { HODEI_PROCESS_POLICY_VERSION, 0, NULL }

/**
 * Set the policy of every hodei_process_spawn() that follows, in this
 * process (the user and containment are process-wide properties).  Without
 * a call, jobs run as the caller, uncontained beyond their process group.
 * Jobs get the umask this process had when the policy was set, whatever it
 * sets later for its own files.
 * Call it at start-up, before contexts are opened and before other threads
 * start children.  hodeid and hodei-worker call it; an embedder may.
 *
 * HODEI_PROCESS_CONTAIN in subreaper mode makes this process a child
 * subreaper: then every child of this process that libhodei did not start
 * (and that did not exist when the policy was set) is taken for a leftover
 * of an ended job and killed when a job ends.  Use it only in programs that
 * start no children of their own afterwards.  Containment, once on, stays.
 *
 * Errors: HODEI_EINVAL (unknown version; a user that does not exist, or
 * another user without root), HODEI_EIO (no subreaper).
 */
HODEI_EXTERN int hodei_process_policy_set(const hodei_process_policy *policy);

/** How jobs are contained: "cgroup", "subreaper" or "none". */
HODEI_EXTERN const char *hodei_process_containment(void);

#ifdef __cplusplus
}
#endif
#endif
