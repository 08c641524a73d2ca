/*
 * The log pipeline: each captured line gets its sequence number and level,
 * is handed to live subscribers at once, and goes into its job's open chunk
 * (lib/logchunk.c).  The store gets chunks, never a row per line: a flush
 * (every FLUSH_DELAY_MS while lines come, and whenever a read needs them)
 * writes each open chunk's new part as a segment, and a chunk that reaches
 * HODEI__CHUNK_BYTES, or whose attempt ends, is sealed: compressed and
 * written whole in place of its segments.  One transaction per flush.
 *
 * Durability point: a line is in the store once the flush after it commits,
 * at most FLUSH_DELAY_MS after it was captured (plus the commit).  A crash
 * (kill -9) loses only lines captured since the last flush; the store has
 * every line up to the job's last_log_seq, without gaps, and the recovery
 * adds a SYSTEM line saying the process stopped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <zstd.h>

#include "internal.h"

#define FLUSH_DELAY_MS 50
/* Sealed chunks waiting for a flush: past this many bytes, flush now. */
#define FLUSH_BYTES (1024 * 1024)
/* Lines held in memory while the store cannot write them (pending here and
 * kept in the store for its retry); past this, new lines are counted as
 * lost on their job instead. */
#define BACKLOG_LINES (256 * 1024)

static int pending_grow(hodei_ctx *ctx)
{
	return hodei__array_grow(&ctx->pending, &ctx->pending_cap, ctx->npending,
	                         sizeof(*ctx->pending), 64) ? HODEI_ENOMEM : 0;
}

/* A write for the next flush; not taken (freed) when memory is short. */
static int pending_push(hodei_ctx *ctx, hodei__logw *w)
{
	if (pending_grow(ctx)) {
		hodei__logw_free(w);
		return HODEI_ENOMEM;
	}
	ctx->pending[ctx->npending++] = *w;
	ctx->pending_bytes += w->len;
	return 0;
}

/* The lines a job lost so far go to the store with its lines, as a write
 * without data, so the count is kept and retried like them. */
void hodei__log_settle(hodei_ctx *ctx, hodei__active *a)
{
	hodei__logw w = { 0 };

	if (!a->log_lost)
		return;
	w.job_seq = a->seq;
	w.lost = a->log_lost;
	if (!pending_push(ctx, &w))
		a->log_lost = 0;
}

/* A chunk's segment or the whole of it to pending.  Out of memory: its
 * lines are counted as lost (a chunk is never left half given). */
static void cut(hodei_ctx *ctx, hodei__active *a, bool seal)
{
	hodei__logw w;
	int64_t lines = a->chunk.next_seq - (a->chunk.seg < a->chunk.len ? a->chunk.seg_seq
	                                                                  : a->chunk.next_seq);

	if (hodei__chunk_cut(&a->chunk, seal, a->seq, ctx->zc, &w) == 0) {
		if (!w.data || pending_push(ctx, &w) == 0)
			return;
	}
	/* not stored: the lines are lost, the chunk starts again after them */
	a->log_lost += lines;
	a->chunk.len = a->chunk.seg = 0;
	a->chunk.next_seq = 0;
	a->chunk.flushed = false;
}

void hodei__log_job_done(hodei_ctx *ctx, hodei__active *a)
{
	if (a->chunk.len)
		cut(ctx, a, true);
	hodei__log_settle(ctx, a);
	hodei__chunk_free(&a->chunk);
}

static int64_t pending_lines(hodei_ctx *ctx)
{
	int64_t n = 0;

	for (size_t i = 0; i < ctx->npending; i++)
		n += ctx->pending[i].new_lines;
	return n;
}

/* Lines waiting for the store: kept by it for a retry, and pending since. */
size_t hodei__log_backlog(hodei_ctx *ctx)
{
	size_t lines = 0;

	if (!hodei__store_backlog(ctx->store, &lines))
		return 0;
	return lines + (size_t)pending_lines(ctx);
}

static void pending_reset(hodei_ctx *ctx)
{
	ctx->pending = NULL;
	ctx->npending = ctx->pending_cap = 0;
	ctx->pending_bytes = 0;
}

/*
 * Pending writes to the store, the open chunks' segments with them.  The
 * store owns them from then on: written, or kept for its retry when they
 * could not be (disk full), so lines are never dropped while memory lasts
 * (BACKLOG_LINES, then counted as lost).
 */
int hodei__log_flush(hodei_ctx *ctx)
{
	bool handed = false, backlog = hodei__store_backlog(ctx->store, NULL) != 0;
	int rc;

	for (hodei__active *a = ctx->active; a; a = a->next) {
		if (a->chunk.seg < a->chunk.len)
			cut(ctx, a, false);
		hodei__log_settle(ctx, a);
	}
	if (ctx->npending == 0)
		return 0;
	if (!(rc = hodei__tx_begin(ctx)))
		handed = !(rc = hodei__store_logs_put(ctx->store, ctx->pending, ctx->npending));
	rc = hodei__tx_end(ctx, rc);
	if (!handed && hodei__store_logs_keep(ctx->store, ctx->pending, ctx->npending) == 0)
		handed = true;
	if (handed)
		pending_reset(ctx);
	if (backlog && !rc) /* the store caught up: lines are kept again, to each job's limit */
		for (hodei__active *a = ctx->active; a; a = a->next)
			a->log_capped = ctx->cfg.max_log_bytes && a->log_bytes >= ctx->cfg.max_log_bytes;
	hodei__sched_backlog(ctx);
	return rc;
}

/* Flush now unless the store is behind: its retry timer flushes then. */
static void flush_unless_behind(hodei_ctx *ctx)
{
	if (!hodei__store_backlog(ctx->store, NULL))
		hodei__log_flush(ctx);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	hodei_ctx *ctx = arg;

	(void)fd;
	(void)what;
	hodei__lock(ctx);
	flush_unless_behind(ctx);
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

/* Is there room for this line?  Else it is counted as lost, and the first
 * line a job loses says why in its log. */
static bool keep_line(hodei_ctx *ctx, hodei__active *a, int stream, size_t len)
{
	int64_t max = ctx->cfg.max_log_bytes;

	if (stream == HODEI_STREAM_SYSTEM)
		return true;
	if (!a->log_capped && max && a->log_bytes + (int64_t)len > max) {
		a->log_capped = true;
		hodei__log_system(ctx, a, "log limit reached: %lld bytes stored for this job"
		                  " (HODEI_MAX_LOG_BYTES %lld); later lines are not stored, only"
		                  " counted (log_lines_lost)", (long long)a->log_bytes, (long long)max);
	} else if (!a->log_capped && hodei__store_backlog(ctx->store, NULL) &&
	           hodei__log_backlog(ctx) >= BACKLOG_LINES) {
		a->log_capped = true;
		hodei__log_system(ctx, a, "the store cannot write its lines; %d are held for it,"
		                  " later ones are counted as lost (log_lines_lost) until it can",
		                  BACKLOG_LINES);
	}
	if (a->log_capped) {
		a->log_lost++;
		return false;
	}
	return true;
}

static void arm_flush(hodei_ctx *ctx)
{
	if (ctx->flush_ev && !evtimer_pending(ctx->flush_ev, NULL)) {
		struct timeval tv = { 0, FLUSH_DELAY_MS * 1000 };

		evtimer_add(ctx->flush_ev, &tv);
	}
}

/*
 * The one way a captured line enters the log path (local pipes, workers'
 * output and lines, Hodei's own SYSTEM lines): whatever must change a line
 * before anyone sees it (a secret-masking hook) goes first in here; from
 * then on the same bytes are classified, emitted live and stored.
 */
void hodei__log_line(hodei_ctx *ctx, hodei__active *a, int stream, int64_t ts_us,
                     const char *text, size_t len, unsigned int flags)
{
	int level;
	int64_t seq;
	char *copy = NULL;

	/* Secrets are masked first, before anything keeps or shows the line. */
	if (a->mask && hodei__mask_apply(a->mask, stream, text, len, flags & HODEI_LOG_PARTIAL,
	                                 &copy, &len)) {
		a->log_lost++;
		return;
	}
	if (copy)
		text = copy;
	if ((copy && len == 0 && (flags & HODEI_LOG_PARTIAL)) || !keep_line(ctx, a, stream, len)) {
		free(copy); /* all held back for the next piece, or no room */
		return;
	}
	level = stream == HODEI_STREAM_SYSTEM ? HODEI_LEVEL_WARN
	                                      : hodei_log_classify(text, len, stream);
	seq = a->next_log_seq;
	if (a->chunk.len && a->chunk.len + len > HODEI__CHUNK_BYTES)
		cut(ctx, a, true); /* full: sealed, and this line starts the next */
	if (hodei__chunk_add(&a->chunk, seq, ts_us, stream, level, a->attempt, flags, text, len)) {
		a->log_lost++;
		free(copy);
		return;
	}
	a->next_log_seq++;
	a->log_bytes += (int64_t)len;
	ctx->log_lines_captured++;
	if (stream == HODEI_STREAM_STDOUT && len > 0 && text[0] == ':') {
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
		ev.line.seq = seq;
		ev.line.ts_us = ts_us;
		ev.line.stream = stream;
		ev.line.level = level;
		ev.line.attempt = a->attempt;
		ev.line.flags = flags;
		ev.line.len = len;
		ev.line.text = text;
		ev.at_us = ts_us;
		hodei__emit(ctx, &ev);
	}
	free(copy); /* the chunk holds its own copy */
	if (ctx->pending_bytes >= FLUSH_BYTES)
		flush_unless_behind(ctx);
	else
		arm_flush(ctx);
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
	ctx->zc = ZSTD_createCCtx();
	return ctx->flush_ev && ctx->zc ? 0 : hodei__err(HODEI_ENOMEM, "out of memory");
}

void hodei__logs_fini(hodei_ctx *ctx)
{
	hodei__log_flush(ctx);
	if (hodei__store_backlog(ctx->store, NULL))
		hodei__diag(ctx, HODEI_DIAG_ERROR, "closing: the store still cannot write (%s); %zu log"
		            " lines and the kept states get one last try, then are lost",
		            hodei_error_last(), hodei__log_backlog(ctx));
	for (size_t i = 0; i < ctx->npending; i++)
		hodei__logw_free(&ctx->pending[i]);
	free(ctx->pending);
	pending_reset(ctx);
	ZSTD_freeCCtx(ctx->zc);
	ctx->zc = NULL;
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
