/*
 * Graceful stops: a drain (the scheduler assigns nothing new while running
 * jobs end) and, at close, the orderly stop of the local jobs still running,
 * which are queued again as the same attempt instead of being counted lost
 * at the next open.
 */
#include <stdio.h>

#include "internal.h"

static int drain_on_loop(hodei_ctx *ctx, void *arg)
{
	(void)arg;
	if (!ctx->draining)
		hodei__diag(ctx, HODEI_DIAG_INFO, "draining: no job is started from now on");
	ctx->draining = true;
	return 0;
}

void hodei_ctx_drain(hodei_ctx *ctx)
{
	if (ctx)
		hodei__call(ctx, drain_on_loop, NULL); /* context state: on the loop thread */
}

static int running_on_loop(hodei_ctx *ctx, void *arg)
{
	int64_t *n = arg;

	for (hodei__active *a = ctx->active; a; a = a->next)
		(*n)++;
	return 0;
}

int64_t hodei_ctx_running(hodei_ctx *ctx)
{
	int64_t n = 0;

	if (ctx && hodei__call(ctx, running_on_loop, &n) != 0)
		return 0;
	return n;
}

/* A job this process runs itself: killing it here ends it for certain. */
static bool runs_locally(const hodei__active *a)
{
	const hodei_worker *w = a->worker;

	return w && !w->agent_ops && w->prov && w->prov->ops == hodei__local_provider_ops();
}

/*
 * Kill and reap one local job (the provider's release waits for the
 * process), then store it QUEUED as the same attempt, in that order: a kill
 * -9 in between leaves it RUNNING, which recovery handles as before.  A job
 * whose cancel was asked for ends CANCELLED instead.
 */
static void stop_one(hodei_ctx *ctx, hodei__active *a)
{
	hodei_worker *w = a->worker;
	hodei__jobupd u = { 0 };
	int rc;

	w->prov->ops->release(w->prov->state, w);
	w->job = NULL;
	a->worker = NULL;
	hodei__log_flush(ctx); /* its lines first: they number before the next attempt's */
	u.attempt = a->attempt;
	u.at = hodei__now_ms();
	if (a->cancel_requested) {
		u.state = HODEI_JOB_CANCELLED;
		u.reason = "cancelled (stopped by an orderly shutdown)";
	} else {
		/* no set_queue: the row keeps its enqueue sequence, so the job
		 * goes back to its place in the queue, not to the end */
		u.state = HODEI_JOB_QUEUED;
		u.reason = "stopped by an orderly shutdown; runs again as the same attempt";
		hodei__log_system(ctx, a, "stopped by an orderly shutdown: attempt %d runs again "
		                  "after the next start, not charged as a retry", a->attempt);
		hodei__log_flush(ctx);
	}
	if ((rc = hodei__job_transition(ctx, a->seq, a->id, a->state, &u)) == 0)
		return;
	hodei__diag(ctx, HODEI_DIAG_ERROR, "job '%s': recording its orderly stop failed (the "
	            "next start counts it lost): %s", a->id, hodei_error_last());
}

void hodei__sched_stop_orderly(hodei_ctx *ctx)
{
	int64_t stopped = 0;

	for (hodei__active *a = ctx->active; a; a = a->next)
		if (runs_locally(a) && !a->assigned_pending) {
			stop_one(ctx, a);
			stopped++;
		}
	if (stopped)
		hodei__diag(ctx, HODEI_DIAG_INFO, "orderly stop: %lld running job(s) stopped and "
		            "queued again as the same attempt", (long long)stopped);
}
