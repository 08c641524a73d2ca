/*
 * The context: open and close, the lock, the loop (the embedder's or a
 * thread of our own), periodic housekeeping.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "internal.h"

#define TICK_MS 1000
#define PROBE_EVERY_TICKS 10
#define SWEEP_EVERY_TICKS 3600

/* The context whose loop this thread runs (own-loop mode), else NULL. */
static _Thread_local hodei_ctx *loop_of_thread;

/* One call handed to the loop thread; lives on the caller's stack. */
typedef struct hodei__call {
	struct hodei__call *next;
	hodei__call_fn fn;
	void (*after)(hodei_ctx *, void *); /* hodei__call_grouped(), else NULL */
	void *arg;
	int rc;
	bool done;
	char msg[1024];
} hodei__call_t;

void hodei__lock(hodei_ctx *ctx)
{
	pthread_mutex_lock(&ctx->mu);
}

void hodei__unlock(hodei_ctx *ctx)
{
	pthread_mutex_unlock(&ctx->mu);
}

int hodei__enter(hodei_ctx *ctx)
{
	hodei__err_clear();
	return ctx ? 0 : hodei__arg_null("ctx");
}

int hodei__enter_out(void *out, hodei_ctx *ctx)
{
	hodei__err_clear();
	if (!out)
		return hodei__arg_null("out");
	*(void **)out = NULL;
	return ctx ? 0 : hodei__arg_null("ctx");
}

int hodei__call_with(hodei_ctx *ctx, hodei__call_fn fn, const void *arg, const char *name)
{
	int rc;

	if ((rc = hodei__enter(ctx)))
		return rc;
	return arg ? hodei__call(ctx, fn, (void *)arg) : hodei__arg_null(name);
}

bool hodei__off_loop(hodei_ctx *ctx)
{
	return ctx->own_base && ctx->thread_running && loop_of_thread != ctx;
}

void hodei__deadline(struct timespec *deadline, int64_t timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += timeout_ms / 1000;
	deadline->tv_nsec += (timeout_ms % 1000) * 1000000;
	if (deadline->tv_nsec >= 1000000000) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000;
	}
}

static int call_here(hodei_ctx *ctx, hodei__call_fn fn, void *arg)
{
	int rc;

	hodei__lock(ctx);
	rc = fn(ctx, arg);
	hodei__unlock(ctx);
	return rc;
}

static int queue_call(hodei_ctx *ctx, hodei__call_fn fn, void (*after)(hodei_ctx *, void *),
                      void *arg)
{
	hodei__call_t c = { 0 };

	c.fn = fn;
	c.after = after;
	c.arg = arg;
	pthread_mutex_lock(&ctx->call_mu);
	*ctx->calls_tail = &c;
	ctx->calls_tail = &c.next;
	pthread_mutex_unlock(&ctx->call_mu);
	event_active(ctx->call_ev, EV_READ, 1);
	pthread_mutex_lock(&ctx->call_mu);
	while (!c.done)
		pthread_cond_wait(&ctx->call_cond, &ctx->call_mu);
	pthread_mutex_unlock(&ctx->call_mu);
	return c.rc ? hodei__err(c.rc, "%s", c.msg) : 0;
}

int hodei__call(hodei_ctx *ctx, hodei__call_fn fn, void *arg)
{
	if (!hodei__off_loop(ctx))
		return call_here(ctx, fn, arg);
	return queue_call(ctx, fn, NULL, arg);
}

int hodei__call_grouped(hodei_ctx *ctx, hodei__call_fn fn, void (*after)(hodei_ctx *, void *),
                        void *arg)
{
	int rc;

	if (hodei__off_loop(ctx))
		return queue_call(ctx, fn, after, arg);
	hodei__lock(ctx);
	if (!(rc = fn(ctx, arg)))
		after(ctx, arg);
	hodei__unlock(ctx);
	return rc;
}

/* msg: the error's message (NULL: this thread's last error), when rc != 0 */
static void call_done(hodei_ctx *ctx, hodei__call_t *c, int rc, const char *msg)
{
	if (rc && msg != c->msg)
		snprintf(c->msg, sizeof(c->msg), "%s", msg ? msg : hodei_error_last());
	pthread_mutex_lock(&ctx->call_mu);
	c->rc = rc;
	c->done = true;
	pthread_cond_broadcast(&ctx->call_cond);
	pthread_mutex_unlock(&ctx->call_mu);
}

/*
 * The grouped calls from c on (hodei__call_grouped): one transaction, one
 * COMMIT, then their `after`s; returns the first call after them.  Each
 * caller's error message is copied before the next call clears it.
 */
static hodei__call_t *run_group(hodei_ctx *ctx, hodei__call_t *c)
{
	hodei__call_t *end = c, *next;
	char commit_msg[1024] = "";
	int rc;

	hodei__lock(ctx);
	hodei__tx_begin_lazy(ctx);
	for (; end && end->after; end = end->next) {
		hodei__err_clear();
		if ((end->rc = end->fn(ctx, end->arg)))
			snprintf(end->msg, sizeof(end->msg), "%s", hodei_error_last());
	}
	hodei__err_clear();
	if ((rc = hodei__tx_end(ctx, 0)))
		snprintf(commit_msg, sizeof(commit_msg), "%s", hodei_error_last());
	ctx->group_queued = 0;
	for (hodei__call_t *g = c; g != end; g = g->next)
		if (!g->rc && !rc)
			g->after(ctx, g->arg);
	hodei__unlock(ctx);
	for (hodei__call_t *g = c; g != end; g = next) {
		int grc = g->rc;

		next = g->next; /* g belongs to its caller once done is set */
		call_done(ctx, g, grc ? grc : rc, grc ? g->msg : commit_msg);
	}
	return end;
}

/* On the loop thread: run the calls other threads queued, in order. */
static void on_calls(evutil_socket_t fd, short what, void *arg)
{
	hodei_ctx *ctx = arg;
	hodei__call_t *c, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&ctx->call_mu);
	c = ctx->calls;
	ctx->calls = NULL;
	ctx->calls_tail = &ctx->calls;
	pthread_mutex_unlock(&ctx->call_mu);
	while (c) {
		if (c->after) {
			c = run_group(ctx, c);
			continue;
		}
		next = c->next; /* c belongs to its caller once done is set */
		hodei__err_clear();
		call_done(ctx, c, call_here(ctx, c->fn, c->arg), NULL);
		c = next;
	}
}

void hodei__waiters_fire(hodei_ctx *ctx, int64_t seq)
{
	hodei__waiter **pp = &ctx->waiters;

	pthread_mutex_lock(&ctx->call_mu);
	while (*pp) {
		hodei__waiter *w = *pp;

		if (w->seq == seq || seq == 0) {
			*pp = w->next; /* its thread may return as soon as fired is set */
			w->fired = true;
			pthread_cond_broadcast(&ctx->call_cond);
		} else {
			pp = &w->next;
		}
	}
	pthread_mutex_unlock(&ctx->call_mu);
}

void hodei__diag(hodei_ctx *ctx, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!ctx->opts.diag || level < ctx->opts.diag_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->opts.diag(level, msg, ctx->opts.diag_userdata);
}

int hodei_ctx_options_init(hodei_ctx_options *opts, unsigned int version)
{
	hodei__err_clear();
	if (!opts)
		return hodei__arg_null("opts");
	if (version == 0 || version > HODEI_CTX_OPTIONS_VERSION)
		return hodei__err(HODEI_EVERSION, "options: unknown version %u", version);
	/* a version 1 caller's struct ends before agent_hold_ms */
	memset(opts, 0, version >= 2 ? sizeof(*opts) : offsetof(hodei_ctx_options, agent_hold_ms));
	opts->version = version;
	return 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	hodei_ctx *ctx = arg;
	static const int64_t ticks_per_probe = PROBE_EVERY_TICKS;
	int64_t tick;

	(void)fd;
	(void)what;
	hodei__lock(ctx);
	tick = (hodei__mono_ms() - ctx->opened_mono_ms) / TICK_MS;
	hodei__worker_reap_idle(ctx, hodei__mono_ms());
	if (tick % ticks_per_probe == 1)
		hodei__providers_probe(ctx);
	if (tick % SWEEP_EVERY_TICKS == 1) {
		int64_t cutoff = hodei__now_ms() - (int64_t)ctx->cfg.log_retention_days * 86400000;

		hodei__log_flush(ctx);
		hodei__store_logs_sweep(ctx->store, cutoff, NULL);
	}
	hodei__unlock(ctx);
}

/* Breaks the loop from inside it: a loopbreak asked before the loop thread
 * entered event_base_loop() would be lost (the loop clears the flag when it
 * starts), and close would then wait for the thread forever. */
static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *loop_thread(void *arg)
{
	hodei_ctx *ctx = arg;

	loop_of_thread = ctx;
	event_base_loop(ctx->base, EVLOOP_NO_EXIT_ON_EMPTY);
	loop_of_thread = NULL;
	return NULL;
}

static int make_base(hodei_ctx *ctx)
{
	if (ctx->opts.event_base) {
		ctx->base = ctx->opts.event_base;
		return 0;
	}
	if (evthread_use_pthreads() != 0)
		return hodei__err(HODEI_ERROR, "libevent: pthreads support unavailable");
	ctx->base = event_base_new();
	if (!ctx->base)
		return hodei__err(HODEI_ERROR, "libevent: cannot create an event base");
	ctx->own_base = true;
	return 0;
}

static int init_sync(hodei_ctx *ctx)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&ctx->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_mutex_init(&ctx->call_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ctx->call_cond, &ca);
	pthread_condattr_destroy(&ca);
	ctx->calls_tail = &ctx->calls;
	return 0;
}

static int start(hodei_ctx *ctx)
{
	struct timeval tick = { TICK_MS / 1000, (TICK_MS % 1000) * 1000 };
	int rc;

	if ((rc = hodei__store_open(&ctx->store, ctx->db_path, ctx->cfg.sync_full)) ||
	    (rc = make_base(ctx)) || (rc = hodei__sched_init(ctx)) || (rc = hodei__logs_init(ctx)) ||
	    (rc = hodei__store_state_counts(ctx->store, ctx->counts)) ||
	    (rc = hodei__providers_init(ctx)))
		return rc;
	if (!(ctx->opts.flags & HODEI_CTX_NO_RECOVERY) && (rc = hodei__sched_recover(ctx)))
		return rc;
	ctx->tick_ev = event_new(ctx->base, -1, EV_PERSIST, on_tick, ctx);
	event_add(ctx->tick_ev, &tick);
	if (ctx->own_base && !(ctx->call_ev = event_new(ctx->base, -1, 0, on_calls, ctx)))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	hodei__sched_kick(ctx);
	if (ctx->own_base) {
		if (pthread_create(&ctx->thread, NULL, loop_thread, ctx) != 0)
			return hodei__err(HODEI_ERROR, "cannot start the loop thread");
		ctx->thread_running = true;
	}
	return 0;
}

int hodei_ctx_open(hodei_ctx **out, const hodei_ctx_options *opts)
{
	hodei_ctx *ctx;
	int rc;

	hodei__err_clear();
	if (!out)
		return hodei__err(HODEI_EINVAL, "out: NULL");
	*out = NULL;
	if (!opts)
		return hodei__err(HODEI_EINVAL, "options: NULL");
	if (opts->version == 0 || opts->version > HODEI_CTX_OPTIONS_VERSION)
		return hodei__err(HODEI_EVERSION, "options: unknown version %u", opts->version);
	if (!opts->db_path || !*opts->db_path)
		return hodei__err(HODEI_EINVAL, "db_path: must not be empty");
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (!(ctx->db_path = strdup(opts->db_path))) {
		free(ctx);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	/* a version 1 caller's struct ends before agent_hold_ms */
	memcpy(&ctx->opts, opts, opts->version >= 2 ? sizeof(*opts)
	                         : offsetof(hodei_ctx_options, agent_hold_ms));
	opts = &ctx->opts;
	ctx->opened_mono_ms = hodei__mono_ms();
	init_sync(ctx);
	if ((rc = hodei__config_resolve(&ctx->cfg, opts))) {
		hodei_ctx_close(ctx);
		return rc;
	}
	hodei__lock(ctx);
	rc = start(ctx);
	hodei__unlock(ctx);
	if (rc) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", hodei_error_last());
		hodei_ctx_close(ctx);
		return hodei__err(rc, "%s", msg);
	}
	*out = ctx;
	return 0;
}

void hodei_ctx_close(hodei_ctx *ctx)
{
	if (!ctx)
		return;
	hodei__lock(ctx);
	ctx->closing = true;
	hodei__unlock(ctx);
	if (ctx->thread_running) {
		struct timeval now = { 0, 0 };

		if (event_base_once(ctx->base, -1, EV_TIMEOUT, on_stop, ctx->base, &now) != 0)
			event_base_loopbreak(ctx->base);
		pthread_join(ctx->thread, NULL);
		ctx->thread_running = false; /* this thread is the loop's now */
	}
	hodei__lock(ctx);
	if (ctx->store) {
		hodei__sched_stop_orderly(ctx);
		hodei__providers_fini(ctx);
		hodei__logs_fini(ctx);
	}
	hodei__sched_fini(ctx);
	hodei__subs_close_all(ctx);
	if (ctx->tick_ev)
		event_free(ctx->tick_ev);
	if (ctx->call_ev)
		event_free(ctx->call_ev);
	hodei__unlock(ctx);
	if (ctx->own_base && ctx->base)
		event_base_free(ctx->base);
	hodei__store_close(ctx->store);
	pthread_mutex_destroy(&ctx->mu);
	pthread_mutex_destroy(&ctx->call_mu);
	pthread_cond_destroy(&ctx->call_cond);
	free(ctx->db_path);
	free(ctx);
}

/* These read what open set and nothing changes: no need for the loop. */
struct event_base *hodei_ctx_event_base(hodei_ctx *ctx)
{
	return ctx ? ctx->base : NULL;
}

int64_t hodei_ctx_max_queue_size(hodei_ctx *ctx)
{
	return ctx ? ctx->cfg.max_queue_size : 0;
}

int hodei_ctx_log_retention_days(hodei_ctx *ctx)
{
	return ctx ? ctx->cfg.log_retention_days : 0;
}
