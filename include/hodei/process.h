/*
 * libhodei: running one job process.  The local provider uses this, and so
 * does the hodei-worker agent, so a job behaves the same wherever it runs.
 *
 * The process is started with posix_spawn (never fork of the host) in a
 * process group of its own, with stdin from /dev/null and stdout/stderr on
 * pipes read from the loop.  Output is split into lines (see log.h for the
 * rules on long and partial lines) and handed to on_line.  When the timeout
 * passes or hodei_process_cancel() is called, the whole group gets SIGTERM,
 * then SIGKILL after kill_grace_ms.  When the main process exits, anything
 * left in its group is killed, the pipes are drained and on_exit is called
 * once with the exit status, CPU time and peak memory.
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

#ifdef __cplusplus
}
#endif
#endif
