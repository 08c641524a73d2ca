/*
 * libhodei: following what happens, live.
 *
 * A subscription delivers events (job state changes, progress, log lines,
 * worker and provider changes) either to a callback, run on the context's
 * loop thread and never on the thread of the call that caused the event, or
 * into a queue that the embedder drains with hodei_sub_next() whenever
 * hodei_sub_fd() is readable.  The fd form lets a Python asyncio loop, a
 * glib main loop or a poll() loop follow Hodei; the queue has a lock of its
 * own, so any thread may drain it.
 *
 * A callback may call libhodei (the call runs at once on the loop thread),
 * and may close any subscription, itself included: a subscription closed
 * while events are being delivered is skipped from then on and freed when
 * the delivery ends.
 *
 * A queue never grows without bound: past max_queued events, further log
 * events are dropped and counted, and the next event delivered is a
 * HODEI_EVENT_OVERFLOW carrying the count.  Nothing is lost from the store:
 * the consumer reads the missing lines with hodei_log_read() from the last
 * seq it saw.  State events are never dropped.
 *
 * To follow a job's log with its history and without gaps: open the
 * subscription first, read history with hodei_log_read() until it is
 * exhausted, then take live events, skipping those with seq <= the last
 * line already read.
 */
#ifndef HODEI_EVENT_H
#define HODEI_EVENT_H

#include "common.h"
#include "context.h"
#include "log.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hodei_event_type {
	HODEI_EVENT_JOB_STATE = 0x1,    /**< job changed state */
	HODEI_EVENT_JOB_PROGRESS = 0x2, /**< job reported progress */
	HODEI_EVENT_JOB_LOG = 0x4,      /**< a log line was captured */
	HODEI_EVENT_WORKER = 0x8,       /**< a worker appeared, changed or left */
	HODEI_EVENT_PROVIDER = 0x10,    /**< a provider changed status */
	HODEI_EVENT_OVERFLOW = 0x20     /**< log events were dropped (queue full) */
} hodei_event_type;

#define HODEI_EVENT_ALL 0x3f

/** An event.  In a callback it is borrowed for the call's duration. */
typedef struct hodei_event {
	unsigned int version;
	int type;           /**< hodei_event_type */
	const char *job_id; /**< job events; NULL otherwise */
	int state;          /**< JOB_STATE: the new state */
	int old_state;      /**< JOB_STATE: the previous state */
	int attempt;
	int progress;           /**< JOB_PROGRESS */
	const char *reason;     /**< JOB_STATE: why, or NULL */
	hodei_log_line line;    /**< JOB_LOG */
	const char *worker_id;  /**< WORKER */
	const char *provider;   /**< WORKER, PROVIDER */
	int64_t dropped;        /**< OVERFLOW: log events dropped */
	int64_t at_us;          /**< when it happened */
} hodei_event;

typedef void (*hodei_event_fn)(const hodei_event *event, void *userdata);

typedef struct hodei_sub hodei_sub;

#define HODEI_SUB_OPTIONS_VERSION 1

typedef struct hodei_sub_options {
	unsigned int version;
	unsigned int mask;  /**< hodei_event_type bits; 0 = all */
	const char *job_id; /**< only this job's events; NULL = every job */
	/** Callback on the loop thread, or NULL to queue for hodei_sub_next(). */
	hodei_event_fn callback;
	void *userdata;
	size_t max_queued; /**< queue bound; 0 = 65536 */
} hodei_sub_options;

#define HODEI_SUB_OPTIONS_INIT { HODEI_SUB_OPTIONS_VERSION, 0, 0, 0, 0, 0 }

/** Start a subscription; it hears events from when this returns.
 *  Errors: HODEI_EINVAL (NULL out, ctx or opts named), HODEI_EVERSION. */
HODEI_EXTERN int hodei_sub_open(hodei_sub **out, hodei_ctx *ctx,
                                const hodei_sub_options *opts);

/**
 * End a subscription; its callback is not called after this returns (when
 * called from the loop thread, or from any thread in own-loop mode).  Safe
 * from any callback, for any subscription, itself included (the memory is
 * freed once the current delivery ends).  Do not use `sub` afterwards, nor
 * after hodei_ctx_close().  Accepts NULL.
 */
HODEI_EXTERN void hodei_sub_close(hodei_sub *sub);

/**
 * A file descriptor that is readable while queued events are waiting.
 * Owned by the subscription; do not close it.  -1 for callback subscriptions.
 */
HODEI_EXTERN int hodei_sub_fd(hodei_sub *sub);

/**
 * Take the next queued event.  Returns 0 with *out set, or HODEI_EAGAIN
 * when the queue is empty.  Free the event with hodei_event_free().
 * Thread-safe (own-loop mode): it takes the queue's lock, not the loop.
 */
HODEI_EXTERN int hodei_sub_next(hodei_sub *sub, hodei_event **out);

/**
 * Block until an event is queued or timeout_ms passes (negative: forever).
 * Own-loop mode only (returns HODEI_EINVAL otherwise).  Errors:
 * HODEI_ETIMEDOUT.
 */
HODEI_EXTERN int hodei_sub_wait(hodei_sub *sub, int64_t timeout_ms);

HODEI_EXTERN void hodei_event_free(hodei_event *event);

#ifdef __cplusplus
}
#endif
#endif
