/*
 * libhodei provider plug-in interface.
 *
 * STABILITY: weaker than the rest of the API.  The ops struct is versioned
 * (HODEI_PROVIDER_OPS_VERSION); a new version may add members at the end.
 *
 * A provider type is a table of functions.  The library creates one
 * instance per registered provider, asks it to provision workers when
 * queued jobs find no idle worker (up to max_workers), runs jobs on ready
 * workers, and releases workers that stay idle.  Every op is called on the
 * context's loop thread with the context locked (in own-loop mode, public
 * calls from other threads are handed to that thread first), and every
 * hodei_worker_*() report below must be made on that loop thread (from a
 * libevent callback on hodei_ctx_event_base()).  No op of an instance whose
 * `create` failed is ever called.  hodei_provider_update() on an instance
 * with running jobs destroys it only after they end (see provider.h).
 *
 * Who runs a job on a worker: either the provider's own `run`/`cancel` ops
 * (the local provider spawns the process itself), or an agent bound to the
 * worker with hodei_worker_bind_agent() (a hodei-worker process connected
 * over gRPC, for the docker or kubernetes providers and static pools).  When
 * an agent is bound, its ops take precedence.
 *
 * Attempt fencing: reports for a job are applied only while the worker is
 * the one assigned that job's current attempt; anything else is ignored and
 * returns HODEI_ESTATE.  A job whose worker is lost is retried (if retries
 * remain) or failed with the reason given, exactly once.
 */
#ifndef HODEI_SYS_PROVIDER_H
#define HODEI_SYS_PROVIDER_H

#include "../common.h"
#include "../context.h"
#include "../provider.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hodei_provider hodei_provider; /* one provider instance */
typedef struct hodei_worker hodei_worker;     /* one worker */

#define HODEI_RUN_REQUEST_VERSION 1

/** What a worker is asked to run.  Borrowed for the duration of the op. */
typedef struct hodei_run_request {
	unsigned int version;
	const char *job_id;
	int attempt;
	const char *const *argv; /**< NULL-terminated; argv[0] is the program */
	size_t argc;
	const char *const *envp; /**< NULL-terminated "NAME=value" */
	size_t nenv;
	const char *workdir; /**< NULL = the worker's */
	int64_t timeout_ms;  /**< 0 = none; the worker enforces it */
	int64_t kill_grace_ms;
	uint32_t cpu_millis;
	uint64_t memory_bytes;
	unsigned int flags;
} hodei_run_request;

#define HODEI_RUN_RESULT_VERSION 1

typedef struct hodei_run_result {
	unsigned int version;
	int exit_code;     /**< -1 if killed by a signal or never started */
	int term_signal;   /**< 0 if exited */
	int timed_out;     /**< the worker killed it for its timeout */
	int cancelled;     /**< the worker killed it on cancel */
	int64_t cpu_time_us;
	int64_t max_rss_kb;
	const char *error; /**< could not start it: why; NULL otherwise */
} hodei_run_result;

#define HODEI_RUN_RESULT_INIT { HODEI_RUN_RESULT_VERSION, -1, 0, 0, 0, 0, 0, 0 }

/* 2 added `check`. */
#define HODEI_PROVIDER_OPS_VERSION 2

typedef struct hodei_provider_ops {
	unsigned int version;
	const char *type; /**< "docker", ... */
	/** Create state for one provider; *state is passed to every op. */
	int (*create)(hodei_provider *provider, void **state);
	/** Release everything; workers have been released already. */
	void (*destroy)(void *state);
	/**
	 * Start one worker, asynchronously.  Report hodei_worker_ready() (or
	 * bind an agent) when it can take a job, or hodei_worker_lost() when
	 * it could not start.  `hint` is the job it is for (resources); may be
	 * NULL.  Return non-zero to refuse now (the library tries later).
	 */
	int (*provision)(void *state, hodei_worker *worker, const hodei_run_request *hint);
	/** Run a job on an idle worker (no agent bound).  May be NULL. */
	int (*run)(void *state, hodei_worker *worker, const hodei_run_request *req);
	/** Stop the job running on worker (no agent bound).  May be NULL. */
	void (*cancel)(void *state, hodei_worker *worker);
	/** The library no longer needs this worker: tear it down. */
	void (*release)(void *state, hodei_worker *worker);
	/** Check health; report with hodei_provider_report_health().  May be NULL. */
	void (*probe)(void *state);
	/**
	 * (version 2) Check a configuration (endpoint, options) before it is
	 * stored by hodei_provider_add() or hodei_provider_update(): 0 accepts
	 * it, a HODEI_E* code refuses it and is the caller's result (the
	 * built-in types name the field: "endpoint: ...").  Must not keep
	 * `cfg`.  May be NULL.  Whatever the version, a provider whose `create`
	 * fails (a module that is missing, ...) stays UNHEALTHY, its jobs wait,
	 * and none of its ops is ever called.
	 */
	int (*check)(const hodei_provider_config *cfg);
} hodei_provider_ops;

/** How an agent connected to a worker runs jobs. */
#define HODEI_AGENT_OPS_VERSION 1
typedef struct hodei_agent_ops {
	unsigned int version;
	int (*run)(void *agent, hodei_worker *worker, const hodei_run_request *req);
	void (*cancel)(void *agent, hodei_worker *worker);
	/** The worker is released: tell the agent to finish. */
	void (*detach)(void *agent, hodei_worker *worker);
} hodei_agent_ops;

/** Make a provider type available to hodei_provider_add().  Errors: HODEI_EEXISTS. */
HODEI_EXTERN int hodei_provider_type_register(hodei_ctx *ctx, const hodei_provider_ops *ops);

HODEI_EXTERN hodei_ctx *hodei_provider_ctx(hodei_provider *provider);
HODEI_EXTERN const char *hodei_provider_name(hodei_provider *provider);
/** The stored configuration (the token included: it is the provider's). */
HODEI_EXTERN const hodei_provider_config *hodei_provider_config_of(hodei_provider *provider);
/** Record a health probe's outcome; status changes are logged. */
HODEI_EXTERN void hodei_provider_report_health(hodei_provider *provider, int status,
                                               int score, const char *message);

HODEI_EXTERN const char *hodei_worker_id(hodei_worker *worker);
HODEI_EXTERN hodei_provider *hodei_worker_provider(hodei_worker *worker);
HODEI_EXTERN void *hodei_worker_data(hodei_worker *worker);
HODEI_EXTERN void hodei_worker_set_data(hodei_worker *worker, void *data);
/** A one-time registration token for the agent this worker will run. */
HODEI_EXTERN const char *hodei_worker_token(hodei_worker *worker);

/**
 * Find the worker a one-time token was issued for, and consume the token.
 * Errors: HODEI_EAUTH (unknown or used token).
 */
HODEI_EXTERN int hodei_worker_claim(hodei_worker **out, hodei_ctx *ctx, const char *token);

/**
 * Create a worker for an agent that joined by itself (a static pool), under
 * provider `provider_name` (created as type "pool" if it does not exist).
 * The worker is ready once an agent is bound.  `worker_name` (NULL or empty:
 * a generated id) becomes the worker's id: 1 to 63 characters of
 * [A-Za-z0-9._:-], else HODEI_EINVAL naming "worker_name".
 * Errors: HODEI_EEXISTS (a worker with that id exists: a live name is never
 * taken over), HODEI_EAUTH (the provider is not of type "pool": built-in and
 * provisioning providers cannot be joined).
 */
HODEI_EXTERN int hodei_worker_attach(hodei_worker **out, hodei_ctx *ctx,
                                     const char *provider_name, const char *worker_name);

/** Bind an agent: jobs on this worker now go to ops.  Marks it ready. */
HODEI_EXTERN int hodei_worker_bind_agent(hodei_worker *worker, const hodei_agent_ops *ops,
                                         void *agent);

/** The worker can take a job. */
HODEI_EXTERN int hodei_worker_ready(hodei_worker *worker);
/** The job it was given is running. */
HODEI_EXTERN int hodei_worker_job_started(hodei_worker *worker, const char *job_id,
                                          int attempt);
/** Raw output of the running job; the library splits lines. */
HODEI_EXTERN int hodei_worker_job_output(hodei_worker *worker, const char *job_id,
                                         int attempt, int stream, const char *data,
                                         size_t len);
/** One complete line, already split by the worker (no trailing '\n'). */
HODEI_EXTERN int hodei_worker_job_line(hodei_worker *worker, const char *job_id, int attempt,
                                       int stream, int64_t ts_us, const char *text,
                                       size_t len, unsigned int flags);
/** The job ended.  The worker becomes idle. */
HODEI_EXTERN int hodei_worker_job_finished(hodei_worker *worker, const char *job_id,
                                           int attempt, const hodei_run_result *result);
/**
 * The worker is gone (process died, stream broke, heartbeats missed).  Its
 * job, if any, is retried or failed with `reason`.  The library calls
 * `release` and forgets the worker; do not use it after this returns.
 */
HODEI_EXTERN void hodei_worker_lost(hodei_worker *worker, const char *reason);

/**
 * The worker's agent is gone but says it may come back with its job (it
 * registers again, under the same worker id, while the job still runs
 * there): like hodei_worker_lost(), except that the job is held for the
 * context's `agent_hold_ms` instead of being retried at once.  An agent
 * that comes back in that time takes it again with hodei_worker_reattach();
 * otherwise it is retried or failed as a lost worker's job.
 */
HODEI_EXTERN void hodei_worker_lost_held(hodei_worker *worker, const char *reason);

/**
 * An agent that came back (after a restart of this process, or after it
 * lost its stream) still runs attempt `attempt` of `job_id`: take it again
 * on `worker`.  Only a job held for a worker of this id (restart recovery
 * holds the jobs that agents of static pools were running for
 * `agent_hold_ms`; see hodei_worker_lost_held()) is taken: it stays the same
 * attempt, its log lines number on, and its result is recorded once.  A
 * cancel asked for meanwhile goes to the agent when it is bound.
 * `job_id` NULL: the agent holds no job; a job held for this worker's id is
 * counted lost now instead of when its hold ends.
 * Errors: HODEI_ESTATE (no such job held for this worker, another attempt,
 * or the worker has a job), HODEI_EINVAL (NULL worker).
 */
HODEI_EXTERN int hodei_worker_reattach(hodei_worker *worker, const char *job_id, int attempt);

#ifdef __cplusplus
}
#endif
#endif
