/*
 * The context: open and close, the lock, the loop (the embedder's or a
 * thread of our own), periodic housekeeping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "internal.h"

#define TICK_MS 1000
#define PROBE_EVERY_TICKS 10
#define SWEEP_EVERY_TICKS 3600

void hodei__lock(hodei_ctx *ctx)
{
	pthread_mutex_lock(&ctx->mu);
}

void hodei__unlock(hodei_ctx *ctx)
{
	pthread_mutex_unlock(&ctx->mu);
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
	if (version == 0 || version > HODEI_CTX_OPTIONS_VERSION)
		return hodei__err(HODEI_EVERSION, "options: unknown version %u", version);
	memset(opts, 0, sizeof(*opts));
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

	event_base_loop(ctx->base, EVLOOP_NO_EXIT_ON_EMPTY);
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
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ctx->cond, &ca);
	pthread_condattr_destroy(&ca);
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
	ctx->opts = *opts;
	ctx->db_path = strdup(opts->db_path);
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
	hodei__unlock(ctx);
	if (ctx->own_base && ctx->base)
		event_base_free(ctx->base);
	hodei__store_close(ctx->store);
	pthread_mutex_destroy(&ctx->mu);
	pthread_cond_destroy(&ctx->cond);
	free(ctx->db_path);
	free(ctx);
}

struct event_base *hodei_ctx_event_base(hodei_ctx *ctx)
{
	return ctx->base;
}

int64_t hodei_ctx_max_queue_size(hodei_ctx *ctx)
{
	return ctx->cfg.max_queue_size;
}

int hodei_ctx_log_retention_days(hodei_ctx *ctx)
{
	return ctx->cfg.log_retention_days;
}
