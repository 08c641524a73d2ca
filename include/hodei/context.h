/*
 * libhodei: the context, which owns the job store (an SQLite file), the
 * scheduler, the providers and the event loop they run on.
 *
 * Two ways to run it (see "Threading rules" in ARCHITECTURE.md).  Either
 * way only the loop's thread touches the context's state.
 *
 *  - Embedded loop: pass your own libevent `struct event_base` in
 *    hodei_ctx_options.event_base and dispatch it yourself.  Every libhodei
 *    call on this context must then come from the thread that runs the base;
 *    calls run at once on it, and callbacks run on that thread (a
 *    subscription callback may run from inside a call, e.g. submit's QUEUED).
 *
 *  - Own loop: leave event_base NULL.  libhodei runs its loop on a thread of
 *    its own, and every call on the context is thread-safe: a call from
 *    another thread is handed to the loop thread, run there, and its result
 *    and hodei_error_last() message returned to the caller, who waits.
 *    Callbacks therefore run only on the loop thread, never on a caller's.
 *    A call from a callback (on the loop thread) runs at once: no deadlock.
 *    hodei_job_wait() blocks the calling thread only.
 *
 * Every function checks its arguments: a NULL context or out-pointer is
 * HODEI_EINVAL naming it ("ctx: must not be NULL").
 *
 * Configuration read from the environment (all in one place, see
 * hodei_ctx_options_init()):
 *   HODEI_MAX_QUEUE_SIZE       queued jobs allowed (unset or 0: unlimited)
 *   HODEI_LOG_RETENTION_DAYS   days of job logs kept (default 7)
 *   HODEI_LOCAL_WORKERS        local provider capacity (default: CPUs)
 *   HODEI_SYNC                 "normal" (default) or "full" SQLite fsync
 *   HODEI_MAX_LOG_BYTES        log text kept per job, all attempts (1 GiB;
 *                              -1: no limit); beyond it lines are counted in
 *                              hodei_job.log_lines_lost
 */
#ifndef HODEI_CONTEXT_H
#define HODEI_CONTEXT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

/** An open Hodei context.  Opaque; close with hodei_ctx_close(). */
typedef struct hodei_ctx hodei_ctx;

/** Severity of diagnostic messages the library itself emits. */
typedef enum hodei_diag_level {
	HODEI_DIAG_DEBUG = 1,
	HODEI_DIAG_INFO = 2,
	HODEI_DIAG_WARN = 3,
	HODEI_DIAG_ERROR = 4
} hodei_diag_level;

/** Receives the library's own diagnostics (not job output). */
typedef void (*hodei_diag_fn)(int level, const char *message, void *userdata);

/** Flags for hodei_ctx_options.flags. */
#define HODEI_CTX_NO_LOCAL_PROVIDER 0x1u /**< do not start the local provider */
#define HODEI_CTX_IGNORE_ENV 0x2u        /**< do not read HODEI_* variables */
#define HODEI_CTX_NO_RECOVERY 0x4u       /**< open read-mostly; skip crash recovery */

#define HODEI_CTX_OPTIONS_VERSION 2

/**
 * Options for hodei_ctx_open().  Initialise with HODEI_CTX_OPTIONS_INIT or
 * hodei_ctx_options_init(); fields are only ever added at the end.
 * A zero numeric field means "the default" (from the environment unless
 * HODEI_CTX_IGNORE_ENV, else the built-in default).
 */
typedef struct hodei_ctx_options {
	unsigned int version;
	/** SQLite file holding jobs, logs, providers.  Required. */
	const char *db_path;
	/** An embedder's loop, or NULL for a loop on a thread of libhodei's own. */
	struct event_base *event_base;
	/** Diagnostics callback (may be NULL) and its threshold. */
	hodei_diag_fn diag;
	void *diag_userdata;
	int diag_level;
	unsigned int flags;
	/** Queued jobs allowed; 0 = env or unlimited, -1 = unlimited. */
	int64_t max_queue_size;
	/** Days of logs kept, 0 to 36500; 0 = env or 7. */
	int log_retention_days;
	/** Local provider capacity (concurrent jobs), 0 to 4096; 0 = env or CPUs. */
	unsigned int local_workers;
	/** Grace between SIGTERM and SIGKILL on cancel/timeout; 0 = 5000 ms. */
	int64_t kill_grace_ms;
	/** Time an idle worker is kept before it is released; 0 = 60000 ms. */
	int64_t worker_idle_ms;
	/** First automatic retry delay, doubled per attempt; 0 = 1000 ms. */
	int64_t retry_backoff_ms;
	/**
	 * Version 2.  How long a job that a remote agent of a static pool was
	 * running is held for the agent to come back and take it again
	 * (hodei_worker_reattach()): at restart recovery, and after
	 * hodei_worker_lost_held().  hodeid passes its worker timeout, which
	 * outlasts the agents' lease.  0 = 15000 ms; -1 = none (lost at once).
	 */
	int64_t agent_hold_ms;
} hodei_ctx_options;

#define HODEI_CTX_OPTIONS_INIT { HODEI_CTX_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** Initialise opts to defaults.  Returns HODEI_EVERSION for an unknown version. */
HODEI_EXTERN int hodei_ctx_options_init(hodei_ctx_options *opts, unsigned int version);

/**
 * Open (creating if needed) the database at opts->db_path and start the
 * scheduler.  Jobs left queued by a previous process are queued again in
 * their order; a job that was assigned or running when that process died is
 * retried (if it has retries left) or failed with reason "worker lost",
 * except one that an agent of a static pool was running: that one is held
 * for `agent_hold_ms`, for the agent to come back with it
 * (hodei_worker_reattach()), and only then counted lost.  A local job's
 * process that the dead process had started but not yet recorded is found
 * by the store's mark in its environment (HODEI_LOCAL_RUN) and killed
 * before anything starts.
 *
 * One process at a time may have a store open: the context holds an
 * exclusive lock on "<db_path>.lock" (with its pid inside) until
 * hodei_ctx_close(), or until the process ends, however it ends.  A second
 * open, from this process or another, fails at once, before recovery.
 *
 * Errors: HODEI_EINVAL (bad options), HODEI_ELOCKED (another process, named
 * by its pid in the message, has the store open), HODEI_EIO (cannot open or
 * create the file or its lock file), HODEI_ENOTDB (the file is not a Hodei
 * database), HODEI_EVERSION.  On error *out is NULL.
 */
HODEI_EXTERN int hodei_ctx_open(hodei_ctx **out, const hodei_ctx_options *opts);

/**
 * Stop the scheduler, kill the local jobs still running, flush pending logs
 * and close the database.  Accepts NULL.  Must not be called from a libhodei
 * callback.  Each local job killed here is an orderly stop, recorded as such:
 * it goes back to QUEUED as the same attempt (a system log line and its
 * history say "stopped by an orderly shutdown"), so it runs again after the
 * next open without being charged a retry.  A job on a remote agent is left
 * as it is: the next open holds it for its agent to come back, or counts it
 * lost (see hodei_ctx_open()).
 */
HODEI_EXTERN void hodei_ctx_close(hodei_ctx *ctx);

/**
 * Start a graceful stop: from now on the scheduler assigns no job; the jobs
 * already assigned or running go on and end as usual.  Submits are still
 * accepted and stored (queued for the next open); a server refuses them
 * itself.  It cannot be undone: close the context next, once
 * hodei_ctx_running() is 0 or the embedder's grace period has run out.
 * Accepts NULL.
 */
HODEI_EXTERN void hodei_ctx_drain(hodei_ctx *ctx);

/** Jobs assigned to or running on a worker now (0 once a drain is over; 0 for NULL). */
HODEI_EXTERN int64_t hodei_ctx_running(hodei_ctx *ctx);

/** The loop the context runs on (yours, or its own).  Borrowed.  NULL for
 *  a NULL ctx; these three read settings fixed at open, from any thread. */
HODEI_EXTERN struct event_base *hodei_ctx_event_base(hodei_ctx *ctx);

/** Effective settings after defaults and environment were applied. */
HODEI_EXTERN int64_t hodei_ctx_max_queue_size(hodei_ctx *ctx); /* -1: unlimited */
HODEI_EXTERN int hodei_ctx_log_retention_days(hodei_ctx *ctx);

/**
 * Run the log-retention sweep now (it also runs hourly): deletes log lines
 * of jobs that ended more than the retention period ago.  *deleted (may be
 * NULL) receives the number of lines removed.
 */
HODEI_EXTERN int hodei_ctx_sweep_logs(hodei_ctx *ctx, int64_t *deleted);

#ifdef __cplusplus
}
#endif
#endif
