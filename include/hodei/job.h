/*
 * libhodei: jobs.  Submit, get, list, cancel, retry and wait.
 *
 * A job runs `command` with `args` directly (execvp semantics, no shell)
 * unless HODEI_JOB_SHELL is set, in which case `command` is run by
 * `/bin/sh -c`.  Its environment is exactly `env` plus HODEI_JOB_ID,
 * HODEI_JOB_NAME and HODEI_JOB_ATTEMPT (and PATH=/usr/local/bin:/usr/bin:/bin
 * when `env` has no PATH).
 *
 * Life cycle: QUEUED -> ASSIGNED -> RUNNING -> SUCCEEDED | FAILED |
 * TIMED_OUT, and CANCELLED from any non-final state.  Every transition is
 * recorded with its time.  A FAILED or TIMED_OUT job with retries left is
 * queued again after a backoff (attempt + 1); hodei_job_retry() does it on
 * request for any FAILED, TIMED_OUT or CANCELLED job.
 *
 * Priority is strict: every queued CRITICAL job starts before any HIGH one,
 * and so on; within a priority, jobs start in the order they were queued.
 *
 * Progress: a job reports progress by printing a line
 * `::progress::N` (N an integer 0-100) on stdout; the value is stored on the
 * job and the line is logged at DEBUG level.
 */
#ifndef HODEI_JOB_H
#define HODEI_JOB_H

#include "common.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hodei_priority {
	HODEI_PRIORITY_DEFAULT = 0, /**< NORMAL */
	HODEI_PRIORITY_LOW = 1,
	HODEI_PRIORITY_NORMAL = 2,
	HODEI_PRIORITY_HIGH = 3,
	HODEI_PRIORITY_CRITICAL = 4
} hodei_priority;

typedef enum hodei_job_state {
	HODEI_JOB_QUEUED = 1,
	HODEI_JOB_ASSIGNED = 2,
	HODEI_JOB_RUNNING = 3,
	HODEI_JOB_SUCCEEDED = 4,
	HODEI_JOB_FAILED = 5,
	HODEI_JOB_CANCELLED = 6,
	HODEI_JOB_TIMED_OUT = 7
} hodei_job_state;

/** Bit for a state in a state mask: HODEI_STATE_BIT(HODEI_JOB_FAILED). */
#define HODEI_STATE_BIT(s) (1u << (s))
#define HODEI_STATES_ACTIVE                                                    \
	(HODEI_STATE_BIT(HODEI_JOB_QUEUED) | HODEI_STATE_BIT(HODEI_JOB_ASSIGNED) |   \
	 HODEI_STATE_BIT(HODEI_JOB_RUNNING))
#define HODEI_STATES_FINAL                                                     \
	(HODEI_STATE_BIT(HODEI_JOB_SUCCEEDED) | HODEI_STATE_BIT(HODEI_JOB_FAILED) |  \
	 HODEI_STATE_BIT(HODEI_JOB_CANCELLED) | HODEI_STATE_BIT(HODEI_JOB_TIMED_OUT))

/** Flags for hodei_job_spec.flags. */
#define HODEI_JOB_SHELL 0x1u /**< run `command` with /bin/sh -c */
/** In hodei_job.flags only, never in a spec: the snapshot came from a
 *  server's list (hodei_client_job_list()) as a summary, so some arguments
 *  or environment variables are missing or cut short; hodei_client_job_get()
 *  has them all. */
#define HODEI_JOB_TRUNCATED 0x100u

#define HODEI_JOB_SPEC_VERSION 2

/**
 * What to run.  Initialise with HODEI_JOB_SPEC_INIT; fields only grow at the
 * end.  All strings are borrowed for the duration of the call.
 */
typedef struct hodei_job_spec {
	unsigned int version;
	/** Caller-chosen id ([A-Za-z0-9._:-], 1-128 bytes) or NULL to generate. */
	const char *id;
	/** Display name; NULL or "" means the command. */
	const char *name;
	/** Program to run (looked up in PATH) or, with HODEI_JOB_SHELL, a script. */
	const char *command;
	const char *const *args; /**< argv[1..]; may be NULL when nargs is 0 */
	size_t nargs;
	const char *const *env; /**< "NAME=value" entries */
	size_t nenv;
	int priority;       /**< hodei_priority */
	int64_t timeout_ms; /**< 0 = no timeout; negative is invalid */
	uint32_t cpu_millis;   /**< requested CPU, 1000 = one core; 0 = any */
	uint64_t memory_bytes; /**< requested memory; 0 = any */
	const char *const *labels; /**< "key=value" entries */
	size_t nlabels;
	int max_retries;     /**< automatic retries after FAILED/TIMED_OUT */
	const char *workdir; /**< working directory; NULL = the worker's */
	const char *queued_by; /**< who queued it (free text) */
	unsigned int flags;    /**< HODEI_JOB_* */
	/** Only run on this provider (by name); NULL = any. */
	const char *provider;
	/* version 2 */
	/**
	 * Secret environment variables, "NAME=value" entries (at most
	 * HODEI_SECRETS_MAX, each value at most HODEI_SECRET_VALUE_MAX bytes; a
	 * name must not also be in env).  The job's process gets them in its
	 * environment like env, but they are stored encrypted (AES-256-GCM, key
	 * in "<db_path>.key", mode 0600, made with the first secret), never
	 * returned (a snapshot's secret_env says "NAME=***"), and masked as
	 * "***" in the job's captured log: each value, its lines, its base64
	 * and URL-encoded forms, also when split across pieces of a long line.
	 */
	const char *const *secret_env;
	size_t nsecret_env;
	/** The API token that queued the job (hodeid sets it); NULL = none. */
	const char *token_name;
} hodei_job_spec;

#define HODEI_JOB_SPEC_INIT { HODEI_JOB_SPEC_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** A job id, as a fixed-size buffer (NUL-terminated). */
typedef struct hodei_job_id {
	char str[HODEI_JOB_ID_MAX + 1];
} hodei_job_id;

#define HODEI_JOB_VERSION 3

/**
 * A snapshot of a job, allocated by the library and freed with
 * hodei_job_free().  Read-only for callers; fields only grow at the end.
 * Times are milliseconds since the Unix epoch, 0 when not (yet) reached.
 *
 * The run's fields (started_at, finished_at, exit_code, term_signal,
 * cpu_time_us, max_rss_kb, worker_id, provider, progress) are those of the
 * current attempt: when a job is queued again (a retry, or a lost worker)
 * they start empty again (0, -1 or NULL), and hodei_job_history() keeps
 * what happened to the earlier attempts.
 */
typedef struct hodei_job {
	unsigned int version;
	char *id;
	char *name;
	char *command;
	char **args;
	size_t nargs;
	char **env;
	size_t nenv;
	char **labels;
	size_t nlabels;
	int priority;
	int state;
	int64_t timeout_ms;
	uint32_t cpu_millis;
	uint64_t memory_bytes;
	int max_retries;
	char *workdir;   /**< NULL if none */
	char *queued_by; /**< NULL if none */
	unsigned int flags;
	char *provider_pin; /**< the spec's provider, NULL if any */
	int attempt;        /**< 1 for the first run */
	int exit_code;      /**< -1 unless the process exited */
	int term_signal;    /**< 0 unless a signal ended it */
	char *reason;       /**< why it failed/was cancelled; NULL if none */
	int progress;       /**< 0-100, -1 if never reported */
	int64_t created_at;
	int64_t queued_at;   /**< last time it entered QUEUED */
	int64_t started_at;  /**< when this attempt entered RUNNING */
	int64_t finished_at; /**< when this attempt reached a final state */
	int64_t cpu_time_us; /**< user+system CPU of this attempt */
	/** Peak resident memory (KiB) of this attempt's process tree, as the
	 *  kernel reports it when the process is reaped.  Linux keeps the
	 *  high-water mark of the process that started the job across exec, so a
	 *  job that uses less memory than its starter (the embedding program, or
	 *  hodeid, or hodei-worker) reports the starter's peak at spawn time. */
	int64_t max_rss_kb;
	char *worker_id;     /**< worker of this attempt; NULL if none */
	char *provider;      /**< provider of that worker; NULL if none */
	int64_t log_lines;   /**< log lines stored so far */
	int64_t seq;         /**< store row number (stable, increasing) */
	/** Sequence number of the newest stored log line, 0 if none: lines are
	 *  numbered 1, 2, ... across all attempts, so a reader that has seen up
	 *  to this number can follow from here with hodei_log_read(). */
	int64_t last_log_seq;
	/* version 2 */
	/** Log lines of this job that are not stored and never will be: lines
	 *  beyond its log size limit (HODEI_MAX_LOG_BYTES), and lines that could
	 *  not be written (disk full) for longer than memory could hold them.  A
	 *  system line in the log says when and why. */
	int64_t log_lines_lost;
	/** Bytes of log text stored for this job so far, all attempts. */
	int64_t log_bytes;
	/* version 3 */
	/** The API token that queued it (hodei_job_spec.token_name); NULL if none. */
	char *token_name;
	/** The spec's secret variables as "NAME=***": their values are never
	 *  returned. */
	char **secret_env;
	size_t nsecret_env;
} hodei_job;

/** Free a job snapshot.  Accepts NULL. */
HODEI_EXTERN void hodei_job_free(hodei_job *job);

/** Names: "QUEUED", "RUNNING", ... and "LOW" ... "CRITICAL". */
HODEI_EXTERN const char *hodei_job_state_name(int state);
HODEI_EXTERN const char *hodei_priority_name(int priority);
/** Parse a state or priority name (case-insensitive).  HODEI_EINVAL if unknown. */
HODEI_EXTERN int hodei_job_state_parse(const char *name, int *state);
HODEI_EXTERN int hodei_priority_parse(const char *name, int *priority);

/**
 * Check a spec without queueing it.  Errors: HODEI_EINVAL (the message names
 * the field: "command: must not be empty", "env[2]: invalid variable name
 * '1X'", ...), HODEI_EVERSION.
 */
HODEI_EXTERN int hodei_job_spec_validate(const hodei_job_spec *spec);

/**
 * Check the key of a map entry that the caller joins into one "KEY=value"
 * entry of a spec's env or labels, as bindings and servers that take a map
 * (a Python dict, a protobuf map) do.  The joined entry cannot say where the
 * key ended: {"A=B": "C"} would become the variable A with the value "B=C",
 * and a key could set PATH.  So the key is checked before it is joined.
 *
 * `len` is the key's length in bytes, so that a NUL inside it is seen
 * rather than cutting it short.  `field` names the entry in the message
 * (for example "env[2]"); NULL means "env" or "labels".
 *
 * An environment variable name is [A-Za-z_][A-Za-z0-9_]*; a label key is not
 * empty and has neither '=' nor NUL.
 *
 * Errors: HODEI_EINVAL, for example "env[2]: invalid variable name 'A=B'
 * (letters, digits and '_', not starting with a digit)".
 */
HODEI_EXTERN int hodei_job_spec_env_name_validate(const char *field, const char *name,
                                                  size_t len);
HODEI_EXTERN int hodei_job_spec_label_key_validate(const char *field, const char *key,
                                                   size_t len);

/**
 * Queue a job.  When it returns 0 the job is durably stored.  id (may be
 * NULL) receives the job's id.
 *
 * Errors: HODEI_EINVAL, HODEI_EEXISTS (a job with that id exists),
 * HODEI_EFULL (queue at HODEI_MAX_QUEUE_SIZE), HODEI_EIO, HODEI_EVERSION.
 */
HODEI_EXTERN int hodei_job_submit(hodei_ctx *ctx, const hodei_job_spec *spec,
                                  hodei_job_id *id);

/**
 * Queue n jobs in one transaction: all are queued or none.  ids (may be
 * NULL) is an array of n.  On HODEI_EINVAL or HODEI_EEXISTS, *bad_index (may
 * be NULL) receives the index of the offending spec.  Errors as for
 * hodei_job_submit().
 */
HODEI_EXTERN int hodei_job_submit_batch(hodei_ctx *ctx, const hodei_job_spec *specs,
                                        size_t n, hodei_job_id *ids, size_t *bad_index);

/** A snapshot of job `id`.  Errors: HODEI_ENOTFOUND, HODEI_EIO. */
HODEI_EXTERN int hodei_job_get(hodei_job **out, hodei_ctx *ctx, const char *id);

/**
 * Cancel a job that has not finished.  A queued job becomes CANCELLED at
 * once; a running one is sent SIGTERM (its whole process group), SIGKILL
 * after the grace period, and becomes CANCELLED when it is gone.
 * Errors: HODEI_ENOTFOUND, HODEI_ESTATE (already finished).
 */
HODEI_EXTERN int hodei_job_cancel(hodei_ctx *ctx, const char *id);

/**
 * Queue a FAILED, TIMED_OUT or CANCELLED job again as attempt + 1.
 * Errors: HODEI_ENOTFOUND, HODEI_ESTATE (not in one of those states),
 * HODEI_EFULL.
 */
HODEI_EXTERN int hodei_job_retry(hodei_ctx *ctx, const char *id);

/**
 * Wait until job `id` is in a final state (and will not be retried
 * automatically), or timeout_ms passes (negative: forever).  *out (may be
 * NULL) receives its snapshot.  With an embedded loop this runs the loop and
 * must not be called from a callback.  With its own loop it blocks only the
 * calling thread, any number of threads may wait at once, and from a
 * callback (the loop thread) it returns HODEI_ESTATE instead of waiting for
 * itself.  Errors: HODEI_ENOTFOUND, HODEI_ETIMEDOUT, HODEI_ESTATE.
 */
HODEI_EXTERN int hodei_job_wait(hodei_job **out, hodei_ctx *ctx, const char *id,
                                int64_t timeout_ms);

#define HODEI_JOB_FILTER_VERSION 1

/** Orders for hodei_job_filter.order. */
#define HODEI_ORDER_NEWEST 0 /**< most recently created first */
#define HODEI_ORDER_OLDEST 1

/** What hodei_job_list() returns.  Initialise with HODEI_JOB_FILTER_INIT. */
typedef struct hodei_job_filter {
	unsigned int version;
	unsigned int state_mask; /**< HODEI_STATE_BIT()s; 0 = every state */
	/** Jobs whose id starts with, or whose name contains, this text: the id
	 *  byte for byte, the name with ASCII letters compared without case. */
	const char *search;
	/** next_cursor of a previous page, or NULL for the first page. */
	const char *cursor;
	size_t limit; /**< 0 = 50; at most 1000 */
	int order;    /**< HODEI_ORDER_* */
} hodei_job_filter;

#define HODEI_JOB_FILTER_INIT { HODEI_JOB_FILTER_VERSION, 0, 0, 0, 0, 0 }

typedef struct hodei_job_page {
	size_t count;
	hodei_job **jobs;
	/** Cursor of the next page, NULL when this is the last. */
	char *next_cursor;
	/** hodei_client_job_list(): the server's count of the matches in all
	 *  pages; -1 when not known (hodei_job_list(): see hodei_job_count()). */
	int64_t total;
	/** 1: total is a lower bound, the server stopped counting ("10,000+"). */
	int total_is_lower_bound;
} hodei_job_page;

/**
 * One page of jobs, newest (or oldest) first.  Uses keyset pagination, so
 * every page costs about the same however many jobs are stored.  A search no
 * index can answer (a text of one or two characters, or many id matches)
 * looks at a bounded number of jobs per page: such a page may hold fewer
 * than `limit` jobs, even none, and still have a next_cursor; following the
 * cursors gives every match exactly once.
 * Errors: HODEI_EINVAL (bad cursor or limit).
 */
HODEI_EXTERN int hodei_job_list(hodei_job_page **out, hodei_ctx *ctx,
                                const hodei_job_filter *filter);
HODEI_EXTERN void hodei_job_page_free(hodei_job_page *page);

/** Number of jobs matching filter (cursor and limit are ignored).  Without a
 *  search it comes from counters kept in memory; with one it takes time in
 *  proportion to the matches. */
HODEI_EXTERN int hodei_job_count(hodei_ctx *ctx, const hodei_job_filter *filter,
                                 int64_t *count);

/**
 * hodei_job_count() with bounded work, for a page's "10,000+ jobs": a search
 * stops counting at `cap` matches, and a search no index can answer (a text
 * of one or two characters) looks at the newest 10,000 jobs only.  When it
 * stopped early, *is_lower_bound is 1 and *count is a lower bound: the
 * filter matches *count jobs or more (*count is cap when the cap was reached).
 * cap 0 = no cap (exact, as hodei_job_count()).  is_lower_bound may be NULL.
 * Without a search the count is always exact (kept in memory).
 * Errors: HODEI_EINVAL (negative cap).
 */
HODEI_EXTERN int hodei_job_count_capped(hodei_ctx *ctx, const hodei_job_filter *filter,
                                        int64_t cap, int64_t *count, int *is_lower_bound);

/** One recorded state transition. */
typedef struct hodei_transition {
	int attempt;
	int state;
	int64_t at; /**< ms since epoch */
	char *reason; /**< NULL if none */
} hodei_transition;

typedef struct hodei_transition_list {
	size_t count;
	hodei_transition *items;
} hodei_transition_list;

/** Every transition of job `id`, oldest first.  Errors: HODEI_ENOTFOUND. */
HODEI_EXTERN int hodei_job_history(hodei_transition_list **out, hodei_ctx *ctx,
                                   const char *id);
HODEI_EXTERN void hodei_transition_list_free(hodei_transition_list *list);

#ifdef __cplusplus
}
#endif
#endif
