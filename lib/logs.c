/*
 * The log pipeline: each captured line gets its sequence number and level,
 * is handed to live subscribers at once, and is written to SQLite in
 * batches (one transaction per batch, never per line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "internal.h"

#define FLUSH_LINES 2048
#define FLUSH_DELAY_MS 50

int hodei__log_flush(hodei_ctx *ctx)
{
	int rc;

	if (ctx->npending == 0)
		return 0;
	hodei__tx_begin(ctx);
	rc = hodei__store_logs_insert(ctx->store, ctx->pending, ctx->npending);
	rc = hodei__tx_end(ctx, rc);
	if (rc)
		hodei__diag(ctx, HODEI_DIAG_ERROR, "storing %zu log lines failed: %s", ctx->npending,
		            hodei_error_last());
	for (size_t i = 0; i < ctx->npending; i++)
		free(ctx->pending[i].text);
	ctx->npending = 0;
	return rc;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	hodei_ctx *ctx = arg;

	(void)fd;
	(void)what;
	hodei__lock(ctx);
	hodei__log_flush(ctx);
	hodei__unlock(ctx);
}

static void progress(hodei_ctx *ctx, hodei__active *a, int value)
{
	hodei_event ev = { 0 };

	hodei__store_set_progress(ctx->store, a->seq, value);
	ev.version = 1;
	ev.type = HODEI_EVENT_JOB_PROGRESS;
	ev.job_id = a->id;
	ev.state = a->state;
	ev.attempt = a->attempt;
	ev.progress = value;
	ev.at_us = hodei__now_us();
	hodei__emit(ctx, &ev);
}

void hodei__log_line(hodei_ctx *ctx, hodei__active *a, int stream, int64_t ts_us,
                     const char *text, size_t len, unsigned int flags)
{
	hodei__logrec *r;
	int level = stream == HODEI_STREAM_SYSTEM ? HODEI_LEVEL_WARN
	                                          : hodei_log_classify(text, len, stream);

	if (ctx->npending == ctx->pending_cap) {
		size_t cap = ctx->pending_cap ? ctx->pending_cap * 2 : 256;
		hodei__logrec *p = realloc(ctx->pending, cap * sizeof(*p));

		if (!p)
			return;
		ctx->pending = p;
		ctx->pending_cap = cap;
	}
	r = &ctx->pending[ctx->npending++];
	r->job_seq = a->seq;
	r->seq = a->next_log_seq++;
	r->ts_us = ts_us;
	r->stream = stream;
	r->level = level;
	r->attempt = a->attempt;
	r->flags = flags;
	r->len = len;
	r->text = hodei__strndup(text, len);
	ctx->log_lines_captured++;
	if (stream == HODEI_STREAM_STDOUT) {
		int pct = hodei__progress_parse(text, len);

		if (pct >= 0)
			progress(ctx, a, pct);
	}
	if (ctx->subs) {
		hodei_event ev = { 0 };

		ev.version = 1;
		ev.type = HODEI_EVENT_JOB_LOG;
		ev.job_id = a->id;
		ev.state = a->state;
		ev.attempt = a->attempt;
		ev.line.seq = r->seq;
		ev.line.ts_us = ts_us;
		ev.line.stream = stream;
		ev.line.level = level;
		ev.line.attempt = a->attempt;
		ev.line.flags = flags;
		ev.line.len = len;
		ev.line.text = r->text;
		ev.at_us = ts_us;
		hodei__emit(ctx, &ev);
	}
	if (ctx->npending >= FLUSH_LINES) {
		hodei__log_flush(ctx);
	} else if (ctx->flush_ev && !evtimer_pending(ctx->flush_ev, NULL)) {
		struct timeval tv = { 0, FLUSH_DELAY_MS * 1000 };

		evtimer_add(ctx->flush_ev, &tv);
	}
}

void hodei__log_system(hodei_ctx *ctx, hodei__active *a, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	hodei__log_line(ctx, a, HODEI_STREAM_SYSTEM, hodei__now_us(), msg,
	                (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, 0);
}

int hodei__logs_init(hodei_ctx *ctx)
{
	ctx->flush_ev = evtimer_new(ctx->base, on_flush, ctx);
	return ctx->flush_ev ? 0 : hodei__err(HODEI_ENOMEM, "out of memory");
}

void hodei__logs_fini(hodei_ctx *ctx)
{
	hodei__log_flush(ctx);
	free(ctx->pending);
	ctx->pending = NULL;
	ctx->pending_cap = 0;
	if (ctx->flush_ev)
		event_free(ctx->flush_ev);
	ctx->flush_ev = NULL;
}

typedef struct read_args {
	const hodei_log_query *q;
	hodei_log_page **out;
} read_args;

static int read_on_loop(hodei_ctx *ctx, void *arg)
{
	read_args *a = arg;
	int64_t seq;
	int rc;

	hodei__log_flush(ctx);
	rc = hodei__store_job_seq(ctx->store, a->q->job_id, &seq, NULL);
	if (!rc)
		rc = hodei__store_logs_read(ctx->store, seq, a->q, a->out);
	return rc;
}

int hodei_log_read(hodei_log_page **out, hodei_ctx *ctx, const hodei_log_query *q)
{
	read_args a = { q, out };
	int rc;

	if ((rc = hodei__enter_out(out, ctx)))
		return rc;
	if (!q || !q->job_id)
		return hodei__err(HODEI_EINVAL, "job_id: required");
	if (q->version == 0 || q->version > HODEI_LOG_QUERY_VERSION)
		return hodei__err(HODEI_EVERSION, "query: unknown version %u", q->version);
	if (q->after_seq < 0)
		return hodei__err(HODEI_EINVAL, "after_seq: must not be negative");
	if (q->min_level < 0 || q->min_level > HODEI_LEVEL_ERROR)
		return hodei__err(HODEI_EINVAL, "min_level: unknown level %d", q->min_level);
	return hodei__call(ctx, read_on_loop, &a);
}

static int sweep_on_loop(hodei_ctx *ctx, void *deleted)
{
	int64_t cutoff = hodei__now_ms() - (int64_t)ctx->cfg.log_retention_days * 86400000;

	hodei__log_flush(ctx);
	return hodei__store_logs_sweep(ctx->store, cutoff, deleted);
}

int hodei_ctx_sweep_logs(hodei_ctx *ctx, int64_t *deleted)
{
	int rc = hodei__enter(ctx);

	return rc ? rc : hodei__call(ctx, sweep_on_loop, deleted);
}
