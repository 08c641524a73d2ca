/*
 * libhodei internals shared between modules.  Nothing here is public.
 * Naming: hodei__<module>_<verb>() for non-static internal symbols.
 */
#ifndef HODEI_INTERNAL_H
#define HODEI_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sqlite3.h>

#include "hodei/hodei.h"
#include "hodei/sys/provider.h"

struct event;
struct hodei_store;

/* ---- error.c ---- */
/* Set the thread's last error and return code (for `return hodei__err(...)`). */
int hodei__err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hodei__err_clear(void);

/* ---- util.c ---- */
int64_t hodei__now_ms(void);
int64_t hodei__now_us(void);
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
/* Append JSON string literal of s to buf (a growable buffer). */
typedef struct hodei__buf {
	char *data;
	size_t len, cap;
} hodei__buf;
int hodei__buf_add(hodei__buf *b, const void *data, size_t len);
int hodei__buf_addf(hodei__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hodei__buf_json_str(hodei__buf *b, const char *s);
void hodei__buf_free(hodei__buf *b);

/* ---- config.c: every HODEI_* environment variable is read here ---- */
typedef struct hodei__config {
	int64_t max_queue_size; /* -1 unlimited */
	int log_retention_days;
	unsigned int local_workers;
	int sync_full;
	int64_t kill_grace_ms;
	int64_t worker_idle_ms;
	int64_t retry_backoff_ms;
} hodei__config;
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
typedef struct hodei__logrec {
	int64_t job_seq;
	int64_t seq;
	int64_t ts_us;
	int stream, level, attempt;
	unsigned int flags;
	size_t len;
	char *text;
} hodei__logrec;
/* One row of the jobs table as needed to dispatch or report. */
int hodei__store_open(hodei_store **out, const char *path, int sync_full);
void hodei__store_close(hodei_store *st);
int hodei__store_begin(hodei_store *st);
int hodei__store_commit(hodei_store *st);
void hodei__store_rollback(hodei_store *st);
int hodei__store_next_qseq(hodei_store *st, int64_t *qseq);
int hodei__store_insert_job(hodei_store *st, const hodei_job_spec *spec, const char *id,
                            int64_t qseq, int64_t now, int64_t *seq);
int hodei__store_load_job(hodei_store *st, int64_t seq, const char *id, hodei_job **out);
int hodei__store_job_seq(hodei_store *st, const char *id, int64_t *seq, int *state);
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
int hodei__store_transition_row(hodei_store *st, int64_t seq, const hodei__jobupd *u);
int hodei__store_set_progress(hodei_store *st, int64_t seq, int progress);
/* search.c: state_rows = jobs in the filter's states (the context's counts) */
int hodei__store_list(hodei_store *st, const hodei_job_filter *f, int64_t state_rows,
                      hodei_job_page **out);
int hodei__store_count(hodei_store *st, const hodei_job_filter *f, int64_t state_rows,
                       int64_t *count);
int hodei__store_search_ready(hodei_store *st); /* index names not yet indexed */
sqlite3 *hodei__store_db(hodei_store *st);
int hodei__store_error(hodei_store *st, const char *what);
int hodei__store_history(hodei_store *st, int64_t seq, hodei_transition_list **out);
int hodei__store_logs_insert(hodei_store *st, const hodei__logrec *recs, size_t n);
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

struct hodei_ctx {
	pthread_mutex_t mu; /* recursive; held by every API call and loop callback */
	pthread_cond_t cond; /* broadcast when a job reaches a final state */
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
	hodei__logrec *pending;
	size_t npending, pending_cap;
	int64_t log_lines_captured;
	/* metrics */
	int64_t duration_hist[HODEI_DURATION_BUCKETS + 1];
	double duration_sum_s;
	/* subscriptions */
	struct hodei_sub *subs;
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
	int64_t started_at;
	int64_t pid;
	struct hodei_worker *worker;
	bool assigned_pending; /* ASSIGNED not stored yet: after the spawn, in the batch */
	hodei__jobupd assigned;
} hodei__active;
int hodei__sched_init(hodei_ctx *ctx);
void hodei__sched_fini(hodei_ctx *ctx);
void hodei__sched_kick(hodei_ctx *ctx);
void hodei__sched_kick_queued(hodei_ctx *ctx, const hodei__qent *old_head);
void hodei__sched_enqueue(hodei_ctx *ctx, int64_t seq, int priority, int64_t qseq,
                          int64_t not_before);
hodei__active *hodei__active_find(hodei_ctx *ctx, int64_t seq);
hodei__active *hodei__active_find_id(hodei_ctx *ctx, const char *id);
int hodei__sched_cancel(hodei_ctx *ctx, int64_t seq, int state);
int hodei__sched_recover(hodei_ctx *ctx);
void hodei__sched_finished(hodei_ctx *ctx, hodei__active *a, const hodei_run_result *res);
void hodei__sched_lost(hodei_ctx *ctx, hodei__active *a, const char *why);
void hodei__sched_unpark(hodei_ctx *ctx);
void hodei__sched_store_assigned(hodei_ctx *ctx, hodei__active *a);
void hodei__sched_stop_orderly(hodei_ctx *ctx); /* drain.c: at close */
int hodei__sched_running(hodei_ctx *ctx, hodei__active *a, hodei__jobupd *u);
void hodei__sched_batch_begin(hodei_ctx *ctx);
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
	const hodei_provider_ops *ops;
	void *state;
	hodei_provider_config cfg; /* owned copies */
	char **labels_owned;
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
const hodei_provider_ops *hodei__local_provider_ops(void);

/* ---- logs.c ---- */
void hodei__log_line(hodei_ctx *ctx, hodei__active *a, int stream, int64_t ts_us,
                     const char *text, size_t len, unsigned int flags);
void hodei__log_system(hodei_ctx *ctx, hodei__active *a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int hodei__log_flush(hodei_ctx *ctx);
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
