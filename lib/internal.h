/*
 * libhodei internals shared between modules.  Nothing here is public.
 * Naming: hodei__<module>_<verb>() for non-static internal symbols.
 */
#ifndef HODEI_INTERNAL_H
#define HODEI_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sqlite3.h>

#include "hodei/hodei.h"
#include "hodei/sys/provider.h"

struct event;
struct hodei_store;

/* ---- error.c ---- */
/* Set the thread's last error and return code (for `return hodei__err(...)`). */
int hodei__err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hodei__err_clear(void);

/*
 * Allocation policy (issue 12; as SQLite and libgit2): every allocation is
 * checked, and out of memory reaches the caller as HODEI_ENOMEM
 * (`return hodei__err(HODEI_ENOMEM, "out of memory")`).
 *   - Never `p = realloc(p, n)`: grow into a temporary, and assign both the
 *     pointer and its capacity only when it worked.
 *   - All or nothing: a function that builds an object (a job from a row, a
 *     copied config, an event) frees what it made and returns NULL/ENOMEM,
 *     never an object with a NULL field that should have been set.
 *   - No half-applied change: allocate (or reserve room: hodei__queue_reserve,
 *     hodei__sched_reserve) before the store write; once the store has a
 *     change, what follows in memory cannot fail.
 *   - Loop-side work that cannot allocate (no caller to tell) leaves things as
 *     they were and tries again later: the pump keeps the job queued and goes
 *     on at its next turn; a subscriber that misses an event is told by an
 *     OVERFLOW event; a requeue without room ends the attempt, saying why.
 * test/integration/test_failmalloc.c fails each allocation of the main API
 * paths in turn and checks all of this (run it under ASan too: no leak).
 */

/* ---- util.c ---- */
int64_t hodei__now_ms(void);
int64_t hodei__now_us(void);
/* len random bytes from getrandom(); HODEI_EIO (and a zeroed buffer) when
 * the kernel gives none: a secret is never made from anything weaker. */
int hodei__random(void *out, size_t len);
/* 2*nbytes hex digits and a NUL into out; nbytes <= 64.  As hodei__random. */
int hodei__random_hex(char *out, size_t nbytes);
/* Constant-time comparison of a secret (the length leaks, the content does not). */
bool hodei__secret_equal(const char *offered, const char *expected);
int64_t hodei__mono_ms(void);
char *hodei__strdup(const char *s);       /* NULL-safe */
char *hodei__strndup(const char *s, size_t n);
char *hodei__sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* String vectors stored as NUL-separated blobs.  Allocation is all or nothing:
 * unpack and dup return NULL (unpack with *n = 0) when any copy fails, never
 * a vector with holes. */
void *hodei__vec_pack(const char *const *v, size_t n, size_t *len);
char **hodei__vec_unpack(const void *blob, size_t len, size_t *n);
void hodei__vec_free(char **v, size_t n);
char **hodei__vec_dup(const char *const *v, size_t n);
/* Room for one more item in the array *items (a T **) of *cap items holding
 * count: doubles it (first: the first size) when full.  HODEI_ENOMEM leaves
 * the array as it was. */
int hodei__array_grow(void *items, size_t *cap, size_t count, size_t size, size_t first);
/* Room for need items in all: doubles *cap (from first) until it is enough.
 * The one growth policy of the library and of the tools that link it
 * statically; HODEI_ENOMEM (and hodei_error_last()) leaves the array as it
 * was. */
int hodei__array_reserve(void *items, size_t *cap, size_t need, size_t size, size_t first);

/* Append JSON string literal of s to buf (a growable buffer). */
/* Growable buffer.  Out of memory is sticky: after one failed add every
 * later add fails too, so a caller may build a whole text and test `failed`
 * (or the last result) once, and never uses a text with a piece missing. */
typedef struct hodei__buf {
	char *data;
	size_t len, cap;
	int failed;
} hodei__buf;
int hodei__buf_add(hodei__buf *b, const void *data, size_t len);
int hodei__buf_addf(hodei__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hodei__buf_json_str(hodei__buf *b, const char *s);
void hodei__buf_free(hodei__buf *b);

/* ---- spawn.c: clone(CLONE_VM | CLONE_VFORK), then exec ---- */
typedef struct hodei__spawn_plan {
	const char *path;
	char *const *argv, *const *envp;
	const char *workdir;  /* entered as the job's user; NULL: stay */
	int out_fd, err_fd;   /* become 1 and 2; 0 is /dev/null; all above 2 closed */
	int cgroup_fd;        /* the job cgroup's cgroup.procs, or -1 */
	bool set_ids, no_new_privs, subreaper, set_umask;
	mode_t umask;
	uid_t uid;
	gid_t gid;
	volatile int err;     /* set by a child that failed ... */
	const char *volatile step; /* ... at this step */
} hodei__spawn_plan;
/* Errors: HODEI_ENOTFOUND (exec: ENOENT), HODEI_EIO (the step and errno). */
int hodei__spawn(pid_t *pid, hodei__spawn_plan *plan);

/* ---- contain.c: the process policy, containment of a job's processes ---- */
enum { HODEI_CONTAIN_NONE, HODEI_CONTAIN_CGROUP, HODEI_CONTAIN_SUBREAPER };
typedef struct hodei__contain {
	char *cgroup; /* the job's cgroup directory, or NULL */
} hodei__contain;
/* Fill the plan's identity and containment; create the job's cgroup. */
int hodei__contain_prepare(hodei__contain *box, hodei__spawn_plan *plan);
/* Around clone + started: a job being started is never taken for a leftover. */
void hodei__contain_lock(void);
void hodei__contain_unlock(void);
void hodei__contain_started(hodei__spawn_plan *plan, pid_t pid);
/* The job's first process is gone (reaped): kill and wait for the rest. */
void hodei__contain_end(hodei__contain *box, pid_t pid);
/* Kill every process whose environment has an entry starting with prefix
 * (and the group it leads), and wait (bounded) for them to go.  Returns how
 * many were found. */
int64_t hodei__contain_kill_marked(const char *prefix);

/* ---- config.c: every HODEI_* environment variable is read here ---- */
typedef struct hodei__config {
	int64_t max_queue_size; /* -1 unlimited */
	int log_retention_days;
	unsigned int local_workers;
	int sync_full;
	int64_t kill_grace_ms;
	int64_t worker_idle_ms;
	int64_t retry_backoff_ms;
	int64_t max_log_bytes; /* per job, all attempts; 0 = unlimited */
	int64_t agent_hold_ms; /* recovery's wait for agents to re-attach; 0 = none */
	bool test_crash_at_spawn; /* HODEI_TEST_CRASH_AT=spawn: a fault point for tests */
} hodei__config;
/* The variable that marks a local job's environment (local.c, recovery). */
#define HODEI__LOCAL_RUN_VAR "HODEI_LOCAL_RUN"
#define HODEI__TEST_CRASH_STATUS 86
int hodei__config_resolve(hodei__config *cfg, const hodei_ctx_options *opts);
/* The ranges of the numeric settings (option, HODEI_* variable, hodeid flag). */
#define HODEI__LOCAL_WORKERS_MAX 4096
#define HODEI__LOG_RETENTION_DAYS_MAX 36500
/*
 * A setting's text as a decimal integer from min to max: digits with an
 * optional '-', nothing else (no blanks, no '+', no suffix), no overflow.
 * HODEI_EINVAL names it: "NAME: must be an integer from MIN to MAX, got 'TEXT'".
 * Used for the HODEI_* variables and for hodeid's flags alike.
 */
int hodei__parse_int(const char *name, const char *text, int64_t min, int64_t max, int64_t *out);

/* ---- spec.c (pure) ---- */
int hodei__spec_check(const hodei_job_spec *spec);
int hodei__id_check(const char *field, const char *id, size_t max);
void hodei__id_generate(hodei_job_id *out);

/* ---- state.c (pure) ---- */
bool hodei__state_final(int state);
bool hodei__state_allowed(int from, int to);
/* What a finished run means for the job. */
typedef struct hodei__outcome {
	int state;      /* final state of this attempt */
	bool requeue;   /* queue attempt + 1 */
	bool keep_place; /* ... in its old place in the queue (a lost worker's job) */
	int64_t delay_ms;
	char reason[256];
} hodei__outcome;
void hodei__outcome_of_run(hodei__outcome *out, const hodei_run_result *res, int attempt,
                           int max_retries, bool cancel_requested, int64_t backoff_ms);
void hodei__outcome_of_loss(hodei__outcome *out, const char *why, int attempt,
                            int max_retries, bool cancel_requested, int64_t backoff_ms);
#define HODEI__LOST_RETRIES 3

/* ---- queue.c (pure): strict priority, FIFO within priority ---- */
typedef struct hodei__qent {
	int64_t seq;  /* job row */
	int64_t qseq; /* enqueue order */
	int priority;
} hodei__qent;
typedef struct hodei__queue {
	hodei__qent *heap;
	size_t len, cap;
} hodei__queue;
/* Room for n more entries, so that the next n pushes cannot fail (reserve
 * before a store write, push after it: never a half-applied change). */
int hodei__queue_reserve(hodei__queue *q, size_t n);
int hodei__queue_push(hodei__queue *q, hodei__qent e);
bool hodei__queue_peek(const hodei__queue *q, hodei__qent *out);
bool hodei__queue_pop(hodei__queue *q, hodei__qent *out);
void hodei__queue_free(hodei__queue *q);

/* ---- linebuf.c (pure): split a byte stream into lines ---- */
typedef void (*hodei__line_fn)(void *ud, const char *text, size_t len, unsigned int flags);
typedef struct hodei__linebuf {
	char *buf;
	size_t len, cap, max;
} hodei__linebuf;
void hodei__linebuf_init(hodei__linebuf *lb, size_t max_line);
int hodei__linebuf_feed(hodei__linebuf *lb, const char *data, size_t len, hodei__line_fn fn,
                        void *ud);
void hodei__linebuf_finish(hodei__linebuf *lb, hodei__line_fn fn, void *ud);
void hodei__linebuf_free(hodei__linebuf *lb);

/* ---- level.c (pure) ---- */
int hodei__progress_parse(const char *text, size_t len); /* -1 if not a progress line */

/* ---- store.c: the only module that talks to SQLite ---- */
typedef struct hodei_store hodei_store;
/* ---- logchunk.c (pure): a job's lines in chunks (see ARCHITECTURE.md, "Logs") ----
 * A chunk holds consecutive lines of one job attempt, encoded one after the
 * other (varint ts delta, a byte of stream/level/flags, varint length,
 * bytes); seqs are implicit (first_seq + index).  It is open while its job
 * runs: the part not yet written (the "segment") goes to the store at each
 * flush, and once the chunk reaches HODEI__CHUNK_BYTES (or its attempt
 * ends) it is sealed: written whole, compressed, replacing its segments. */
#define HODEI__CHUNK_BYTES (64 * 1024)
typedef struct hodei__chunk {
	char *buf;
	size_t len, cap;
	int64_t first_seq, next_seq; /* lines first_seq .. next_seq - 1 */
	int64_t first_ts, last_ts;
	unsigned int levels;         /* bit l: a line of level l */
	int64_t prev_ts;             /* encoder state: the last line's */
	int prev_attempt;
	/* the segment: what the store has not been given yet */
	size_t seg;                  /* its offset in buf */
	int64_t seg_seq, seg_first_ts, seg_base_ts, seg_bytes;
	int seg_base_attempt;
	unsigned int seg_levels;
	bool flushed;                /* a segment of it was given to the store */
} hodei__chunk;
/* A write of log data for the store: a segment or a sealed chunk (data), or
 * a count of lost lines (data NULL). */
enum { HODEI__CODEC_RAW = 0, HODEI__CODEC_ZSTD = 1 };
typedef struct hodei__logw {
	int64_t job_seq;
	int64_t first_seq, last_seq, first_ts, last_ts;
	unsigned int levels;
	bool replace;       /* sealed over segments already given: they go */
	int64_t count_from; /* lines from this seq on are new to the job's counts */
	int64_t new_lines, new_bytes;
	int64_t lost;       /* data NULL: lines the job lost */
	int codec;
	size_t raw_len, len;
	void *data;         /* owned */
} hodei__logw;
int hodei__chunk_add(hodei__chunk *c, int64_t seq, int64_t ts_us, int stream, int level,
                     int attempt, unsigned int flags, const char *text, size_t len);
/* The segment (seal = false) or the whole chunk (seal = true) as a write,
 * compressed with cctx (a ZSTD_CCtx, NULL: stored raw); the chunk then
 * starts its next segment, or is empty. */
int hodei__chunk_cut(hodei__chunk *c, bool seal, int64_t job_seq, void *cctx,
                     hodei__logw *out);
void hodei__chunk_free(hodei__chunk *c);
void hodei__logw_free(hodei__logw *w);
/* Reading a payload (raw bytes, decompressed): lines one at a time. */
typedef struct hodei__chunk_iter {
	const unsigned char *p, *end;
	int64_t seq, last_seq, ts;
	int attempt;
} hodei__chunk_iter;
int hodei__chunk_iter_init(hodei__chunk_iter *it, const void *raw, size_t len,
                           int64_t first_seq, int64_t last_seq);
/* 1: *line filled (text points into the payload, not NUL-terminated);
 * 0: the end; HODEI_ECORRUPT-like error (HODEI_EIO): a damaged payload. */
int hodei__chunk_next(hodei__chunk_iter *it, hodei_log_line *line);
/* Pages of lines, as the store and the client make them: new, push (the
 * text is copied), done (then the texts are pointers; free with
 * hodei_log_page_free()).  push: HODEI_ENOMEM, the page as it was. */
hodei_log_page *hodei__page_new(void);
int hodei__page_push(hodei_log_page *page, const hodei_log_line *line);
void hodei__page_done(hodei_log_page *page);
/* Decompress a stored payload into *buf (grown as needed). */
int hodei__chunk_inflate(void *dctx, int codec, const void *data, size_t len, size_t raw_len,
                         char **buf, size_t *cap);
/* One row of the jobs table as needed to dispatch or report. */
int hodei__store_open(hodei_store **out, const char *path, int sync_full);
void hodei__store_close(hodei_store *st);
/* The store's random id (32 hex digits), for HODEI_LOCAL_RUN. */
const char *hodei__store_id(hodei_store *st);
/* The last process that had it open ended without closing it (kill -9, a
 * crash): its local jobs may still run.  Cleared by set_clean once they
 * are dealt with; a store closed while clean tells the next open so. */
bool hodei__store_unclean(hodei_store *st);
void hodei__store_set_clean(hodei_store *st);
/* Nested transactions (SAVEPOINTs) and the writes kept for a retry: see
 * "Transactions" in store.c.  Every begin, failed or not, needs its end. */
int hodei__store_begin(hodei_store *st);
void hodei__store_begin_lazy(hodei_store *st);
int hodei__store_end(hodei_store *st, int rc);
bool hodei__store_in_tx(hodei_store *st);
int hodei__store_retry(hodei_store *st);
size_t hodei__store_backlog(hodei_store *st, size_t *lines);
/* Whether a change of job seq waits in the backlog (its row is stale). */
bool hodei__store_pending(hodei_store *st, int64_t seq);
int hodei__store_next_qseq(hodei_store *st, int64_t *qseq);
int hodei__store_insert_job(hodei_store *st, const hodei_job_spec *spec, const char *id,
                            int64_t qseq, int64_t now, int64_t *seq);
int hodei__store_load_job(hodei_store *st, int64_t seq, const char *id, hodei_job **out);
int hodei__store_job_seq(hodei_store *st, const char *id, int64_t *seq, int *state);
/* A job's secret "NAME=value" entries, decrypted (none: *n = 0). */
int hodei__store_job_secrets(hodei_store *st, int64_t seq, const char *id, char ***entries,
                             size_t *n);
typedef struct hodei__jobupd {
	int state;
	int attempt;
	const char *reason;
	int64_t at;
	/* optional fields, applied when set */
	int set_result;
	int exit_code, term_signal;
	int64_t cpu_time_us, max_rss_kb;
	int set_worker;
	const char *worker_id, *provider;
	int set_queue;
	int64_t qseq, not_before;
	int set_pid;
	int64_t pid, pid_start;
	int store_later; /* hodei__job_transition: the scheduler's batch stores it */
} hodei__jobupd;
int hodei__store_transition(hodei_store *st, int64_t seq, const hodei__jobupd *u);
/* A transition that must be stored: now, or kept and retried (never fails
 * but for out of memory). */
int hodei__store_put(hodei_store *st, int64_t seq, const hodei__jobupd *u);
int hodei__store_transition_row(hodei_store *st, int64_t seq, const hodei__jobupd *u);
int hodei__store_set_progress(hodei_store *st, int64_t seq, int progress);
/* search.c: state_rows = jobs in the filter's states (the context's counts) */
int hodei__store_list(hodei_store *st, const hodei_job_filter *f, int64_t state_rows,
                      hodei_job_page **out);
/* all_rows = every job stored; cap = 0: no cap; *exact false: *count is a
 * lower bound (cap reached, or a scan with no index stopped) */
int hodei__store_count(hodei_store *st, const hodei_job_filter *f, int64_t state_rows,
                       int64_t all_rows, int64_t cap, int64_t *count, bool *exact);
int hodei__store_search_ready(hodei_store *st); /* index names not yet indexed */
sqlite3 *hodei__store_db(hodei_store *st);
int hodei__store_error(hodei_store *st, const char *what);
int hodei__store_history(hodei_store *st, int64_t seq, hodei_transition_list **out);
/* On success the store owns recs (malloc'd) and their texts. */
int hodei__store_logs_put(hodei_store *st, hodei__logw *recs, size_t n);
/* Lines that could not be stored, to the store's retry; owned from then on
 * (HODEI_ENOMEM: not taken). */
int hodei__store_logs_keep(hodei_store *st, hodei__logw *recs, size_t n);
int hodei__store_logs_read(hodei_store *st, int64_t job_seq, const hodei_log_query *q,
                           hodei_log_page **out);
int hodei__store_logs_sweep(hodei_store *st, int64_t cutoff_ms, int64_t *deleted);
typedef void (*hodei__recover_fn)(void *ud, int64_t seq, int state, int priority,
                                  int64_t qseq, int64_t not_before, int attempt,
                                  int max_retries, int64_t pid, int64_t pid_start);
int hodei__store_scan_active(hodei_store *st, hodei__recover_fn fn, void *ud);
int hodei__store_state_counts(hodei_store *st, int64_t counts[8]);
int hodei__store_metrics(hodei_store *st, hodei_metrics *m);
/* providers */
int hodei__store_provider_put(hodei_store *st, const hodei_provider_config *cfg, int insert);
int hodei__store_provider_delete(hodei_store *st, const char *name);
int hodei__store_provider_status(hodei_store *st, const char *name, int status, int score,
                                 const char *message, int log);
typedef void (*hodei__provider_row_fn)(void *ud, const hodei_provider_config *cfg,
                                       int status, int score, const char *message,
                                       int64_t created, int64_t updated);
int hodei__store_providers_scan(hodei_store *st, hodei__provider_row_fn fn, void *ud);
int hodei__store_health_log(hodei_store *st, const char *name, size_t limit,
                            hodei_health_log **out);

/* ---- the context ---- */
typedef struct hodei__sub_list hodei__sub_list;
struct hodei__active;
struct hodei__provider_node;

struct hodei__call;
struct hodei__waiter;

struct hodei_ctx {
	pthread_mutex_t mu; /* recursive; held by every API call and loop callback */
	/* Own-loop mode: calls from other threads, queued for the loop thread
	 * (hodei__call), and hodei_job_wait()'s waiters.  call_mu guards `calls`
	 * and every `done`/`fired` flag; the rest is the loop thread's. */
	pthread_mutex_t call_mu;
	pthread_cond_t call_cond; /* broadcast when a call is done or a waiter fires */
	struct hodei__call *calls, **calls_tail;
	struct event *call_ev;
	size_t group_queued; /* jobs inserted by a group commit, not in the queue yet */
	struct hodei__waiter *waiters;
	hodei__config cfg;
	hodei_ctx_options opts;
	char *db_path;
	hodei_store *store;
	struct event_base *base;
	bool own_base;
	pthread_t thread;
	bool thread_running;
	bool closing;
	struct event *pump_ev;
	struct event *flush_ev;
	struct event *tick_ev;
	struct event *wake_ev; /* wakes own loop for shutdown */
	struct event *restart_ev; /* applies pending provider updates */
	int64_t opened_mono_ms;
	/* scheduling */
	hodei__queue queue;
	struct hodei__active *active;   /* assigned/running jobs */
	struct hodei__qvec {
		hodei__qent *v;
		size_t len, cap;
	} parked; /* queued jobs no provider can take now */
	struct hodei__dvec {
		struct hodei__delayed {
			hodei__qent e;
			int64_t not_before;
		} *v;
		size_t len, cap;
	} delayed; /* retries waiting for their backoff */
	struct event *delay_ev;
	struct event *retry_ev;   /* writes the store keeps: retried with backoff */
	struct event *hold_ev;    /* the end of the holds of agents' jobs */
	int64_t retry_ms;
	hodei_job *head; /* cached job at the head of the queue */
	int64_t counts[8];
	bool pumping, pump_again;
	int txdepth;
	bool tx_open; /* BEGIN done: hodei__tx_begin_lazy() defers it */
	/* providers and workers */
	struct hodei__provider_node *providers;
	struct hodei__type_node *types;
	struct hodei_worker *workers;
	uint64_t worker_serial;
	/* logs */
	hodei__logw *pending;       /* writes for the next flush */
	size_t npending, pending_cap;
	size_t pending_bytes;       /* their compressed bytes */
	void *zc;                   /* ZSTD_CCtx for sealing chunks */
	int64_t log_lines_captured;
	/* metrics */
	int64_t duration_hist[HODEI_DURATION_BUCKETS + 1];
	double duration_sum_s;
	/* subscriptions */
	struct hodei_sub *subs;
	int emitting;   /* emit loops running: closed subscriptions stay linked */
	bool subs_dead; /* some subscription was closed while emitting */
	hodei_event **deferred; /* emitted inside a transaction, sent after it */
	size_t ndeferred, deferred_cap;
	int batch; /* inside hodei__sched_batch_begin/end */
	struct hodei__finals {
		struct hodei__final {
			int64_t seq;
			hodei__jobupd u;
			char *reason;
		} *v;
		size_t len, cap;
	} finals; /* outcomes the batch stores after its spawns */
	bool draining; /* hodei_ctx_drain(): the scheduler assigns nothing new */
};

void hodei__lock(hodei_ctx *ctx);
void hodei__unlock(hodei_ctx *ctx);
/*
 * The one way into context state from the public API.  Runs fn(ctx, arg) with
 * the context locked on the loop thread and returns its result, its error
 * message copied to the calling thread.  Embedded loop, before the own loop
 * starts or on the loop thread itself (a callback): runs it right here.
 * Another thread (own loop): queues it for the loop and waits.
 */
typedef int (*hodei__call_fn)(hodei_ctx *ctx, void *arg);
int hodei__call(hodei_ctx *ctx, hodei__call_fn fn, void *arg);
/*
 * Group commit: hodei__call() for a call that writes in a transaction of its
 * own (fn) and then updates memory (after, run only once fn's writes are
 * committed).  Such calls queued by other threads in the same loop turn
 * share one transaction: each fn in a level of its own (its failure undoes
 * only its writes), one COMMIT for all, then each `after`; no caller
 * returns before the COMMIT, and when it fails every caller whose fn wrote
 * gets its error.  On the loop's thread: fn, then after.
 */
int hodei__call_grouped(hodei_ctx *ctx, hodei__call_fn fn, void (*after)(hodei_ctx *, void *),
                        void *arg);
/* Would hodei__call() have to queue, i.e. is this not the loop's thread? */
bool hodei__off_loop(hodei_ctx *ctx);
/* hodei_job_wait() in own-loop mode: the loop fires a waiter (under call_mu)
 * when its job changes state. */
typedef struct hodei__waiter {
	struct hodei__waiter *next;
	int64_t seq;
	bool fired;
} hodei__waiter;
/* Wake the hodei_job_wait() callers waiting on job `seq` (0: every one). */
void hodei__waiters_fire(hodei_ctx *ctx, int64_t seq);
struct timespec;
/* CLOCK_MONOTONIC now + timeout_ms, for the condition variables here. */
void hodei__deadline(struct timespec *deadline, int64_t timeout_ms);
/* `return hodei__arg_null("out");`: HODEI_EINVAL naming the argument. */
int hodei__arg_null(const char *name);
/* How a public call on a context starts: clear the error, check ctx; and
 * for one that fills `T **out`, check out first and set *out = NULL. */
int hodei__enter(hodei_ctx *ctx);
int hodei__enter_out(void *out, hodei_ctx *ctx);
/* hodei__enter, then hodei__call(fn, arg) unless arg (named `name`) is NULL. */
int hodei__call_with(hodei_ctx *ctx, hodei__call_fn fn, const void *arg, const char *name);
void hodei__diag(hodei_ctx *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- sched.c ---- */
typedef struct hodei__active {
	struct hodei__active *next, *prev;
	int64_t seq;
	char *id;
	int state;
	int attempt;
	int max_retries;
	int priority;
	bool cancel_requested;
	int64_t next_log_seq;
	int64_t log_bytes;    /* stored and pending, all attempts (HODEI_MAX_LOG_BYTES) */
	int64_t log_lost;     /* lines lost not yet recorded on the job */
	bool log_capped;      /* over max_log_bytes: lines are counted, not kept */
	struct hodei__mask *mask; /* the job's secrets, masked in its lines; NULL if none */
	hodei__chunk chunk;   /* its lines not sealed yet (logs.c) */
	int64_t started_at;
	int64_t pid;
	int64_t qseq; /* its place in the queue when it was taken from it */
	struct hodei_worker *worker;
	bool assigned_pending; /* ASSIGNED not stored yet: after the spawn, in the batch */
	hodei__jobupd assigned;
	/* Held for its agent to come back (no worker meanwhile): the worker id
	 * it may come back as, and when the hold ends (monotonic ms). */
	char *held_for;
	int64_t held_until;
} hodei__active;
int hodei__sched_init(hodei_ctx *ctx);
void hodei__sched_fini(hodei_ctx *ctx);
void hodei__sched_kick(hodei_ctx *ctx);
void hodei__sched_kick_queued(hodei_ctx *ctx, const hodei__qent *old_head);
/* Room for n more enqueues (run queue and backoff list): call it before the
 * store write that queues a job, so that the enqueue after it cannot fail. */
int hodei__sched_reserve(hodei_ctx *ctx, size_t n);
int hodei__sched_enqueue(hodei_ctx *ctx, int64_t seq, int priority, int64_t qseq,
                         int64_t not_before);
hodei__active *hodei__active_find(hodei_ctx *ctx, int64_t seq);
hodei__active *hodei__active_find_id(hodei_ctx *ctx, const char *id);
int hodei__sched_cancel(hodei_ctx *ctx, int64_t seq, int state);
int hodei__sched_recover(hodei_ctx *ctx);
void hodei__sched_finished(hodei_ctx *ctx, hodei__active *a, const hodei_run_result *res);
void hodei__sched_lost(hodei_ctx *ctx, hodei__active *a, const char *why);
/* Keep a's job for worker_id to take again (hodei_worker_reattach) until
 * agent_hold_ms from now; a has no worker meanwhile.  0, or HODEI_ENOMEM
 * (nothing changed: the caller counts it lost). */
int hodei__sched_hold(hodei_ctx *ctx, hodei__active *a, const char *worker_id);
/* End a hold now: the job is a lost worker's (why). */
void hodei__sched_hold_end(hodei_ctx *ctx, hodei__active *a, const char *why);
void hodei__sched_unpark(hodei_ctx *ctx);
void hodei__sched_store_assigned(hodei_ctx *ctx, hodei__active *a);
void hodei__sched_stop_orderly(hodei_ctx *ctx); /* drain.c: at close */
int hodei__sched_running(hodei_ctx *ctx, hodei__active *a, hodei__jobupd *u);
void hodei__sched_batch_begin(hodei_ctx *ctx);
void hodei__sched_backlog(hodei_ctx *ctx);
/*
 * Before acting on job seq's stored row (cancel, retry): make what the
 * backlog holds first.  0 when the row is what memory knows; else the
 * store's error, and nothing may act on the row (memory is ahead of it).
 */
int hodei__sched_settle(hodei_ctx *ctx, int64_t seq, const char *id);
void hodei__sched_batch_end(hodei_ctx *ctx);

/* ---- worker.c ---- */
struct hodei_worker {
	struct hodei_worker *next;
	hodei_ctx *ctx;
	struct hodei__provider_node *prov;
	char id[64];
	char token[48];
	bool token_used;
	int state; /* hodei_worker_state */
	void *data;
	const hodei_agent_ops *agent_ops;
	void *agent;
	hodei__active *job; /* current job */
	hodei__linebuf lb[2]; /* stdout, stderr for raw output reports */
	int64_t started_at, last_seen, idle_since;
	int64_t jobs_run;
	bool released;
};
int hodei__worker_new(hodei_ctx *ctx, struct hodei__provider_node *p, hodei_worker **out);
void hodei__worker_destroy(hodei_worker *w);
int hodei__worker_start_job(hodei_worker *w, hodei__active *a, const hodei_job *job);
void hodei__worker_reap_idle(hodei_ctx *ctx, int64_t now_mono);
void hodei__worker_note_pid(hodei_worker *w, int pid);
int64_t hodei__proc_starttime(int pid);
void hodei__worker_release_provider(hodei_ctx *ctx, struct hodei__provider_node *p, bool all);

/* ---- provider.c ---- */
struct hodei__type_node {
	struct hodei__type_node *next;
	const hodei_provider_ops *ops;
};
struct hodei_provider {
	hodei_ctx *ctx;
	struct hodei__provider_node *node;
};
typedef struct hodei__provider_node {
	struct hodei__provider_node *next;
	struct hodei_provider handle;
	/* Never NULL: a provider that is not started has ops without functions,
	 * so nothing calls it. */
	const hodei_provider_ops *ops;
	bool started; /* ops->create succeeded; destroy is owed */
	void *state;
	hodei_provider_config cfg; /* owned copies */
	char **labels_owned;
	/* An update while jobs run: applied when the last one ends. */
	bool restart_pending;
	hodei_provider_config next_cfg;
	char **next_labels;
	int status;
	int score;
	char *message;
	int64_t created_at, updated_at;
	unsigned int workers, starting, busy;
	bool builtin;
} hodei__provider_node;
int hodei__providers_init(hodei_ctx *ctx);
void hodei__providers_fini(hodei_ctx *ctx);
hodei__provider_node *hodei__provider_find(hodei_ctx *ctx, const char *name);
bool hodei__provider_accepts(const hodei__provider_node *p, const hodei_job *job);
unsigned int hodei__provider_capacity(const hodei__provider_node *p);
void hodei__providers_probe(hodei_ctx *ctx);
/* A job of p ended (its busy count went down): apply a pending update. */
void hodei__provider_job_ended(hodei_ctx *ctx, hodei__provider_node *p);
const hodei_provider_ops *hodei__local_provider_ops(void);

/* ---- mask.c: secret values masked in captured lines (pure) ---- */
typedef struct hodei__mask hodei__mask;
/* A matcher for these values (and their encoded forms); *out is NULL when
 * none is maskable (all empty).  HODEI_ENOMEM. */
int hodei__mask_new(hodei__mask **out, const char *const *values, size_t n);
void hodei__mask_free(hodei__mask *m);
size_t hodei__mask_patterns(const hodei__mask *m);
/* One line or piece of `stream`, masked, into *out (malloc'd, NUL after
 * *outlen bytes).  A partial piece's tail that may start a secret is held
 * for the stream's next piece (so *outlen may be 0).  HODEI_ENOMEM. */
int hodei__mask_apply(hodei__mask *m, int stream, const char *text, size_t len, bool partial,
                      char **out, size_t *outlen);

/* ---- logs.c ---- */
void hodei__log_line(hodei_ctx *ctx, hodei__active *a, int stream, int64_t ts_us,
                     const char *text, size_t len, unsigned int flags);
void hodei__log_system(hodei_ctx *ctx, hodei__active *a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int hodei__log_flush(hodei_ctx *ctx);
void hodei__log_settle(hodei_ctx *ctx, hodei__active *a);
/* Its attempt is over: its chunk sealed for the next flush (or dropped). */
void hodei__log_job_done(hodei_ctx *ctx, hodei__active *a);
size_t hodei__log_backlog(hodei_ctx *ctx);
int hodei__logs_init(hodei_ctx *ctx);
void hodei__logs_fini(hodei_ctx *ctx);

/* ---- event.c ---- */
void hodei__emit(hodei_ctx *ctx, const hodei_event *ev);
void hodei__emit_deferred(hodei_ctx *ctx);
bool hodei__has_log_subs(hodei_ctx *ctx);
void hodei__subs_close_all(hodei_ctx *ctx);

/* ---- metrics.c ---- */
void hodei__metrics_record_run(hodei_ctx *ctx, int64_t started_at, int64_t finished_at);

/* ---- job.c ---- */
/* Nestable transactions on the context's store. */
int hodei__tx_begin(hodei_ctx *ctx);
void hodei__tx_begin_lazy(hodei_ctx *ctx);
int hodei__tx_end(hodei_ctx *ctx, int rc);
/* Record a transition in the store and memory, emit events, wake waiters. */
int hodei__job_transition(hodei_ctx *ctx, int64_t seq, const char *id, int from,
                          const hodei__jobupd *u);

#endif
