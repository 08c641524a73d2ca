/*
 * The scheduler: the run queue, placement of queued jobs on idle workers,
 * provisioning when none is idle, and what happens when a run ends or a
 * worker is lost.  Runs on the loop thread with the context locked.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "internal.h"

static int vec_push(struct hodei__qvec *q, hodei__qent e)
{
	if (hodei__array_grow(&q->v, &q->cap, q->len, sizeof(*q->v), 64))
		return HODEI_ENOMEM;
	q->v[q->len++] = e;
	return 0;
}

static void arm_delay(hodei_ctx *ctx)
{
	int64_t next = INT64_MAX, now = hodei__now_ms();
	struct timeval tv;

	for (size_t i = 0; i < ctx->delayed.len; i++)
		if (ctx->delayed.v[i].not_before < next)
			next = ctx->delayed.v[i].not_before;
	if (next == INT64_MAX)
		return;
	next = next > now ? next - now : 0;
	tv.tv_sec = next / 1000;
	tv.tv_usec = (next % 1000) * 1000;
	event_add(ctx->delay_ev, &tv);
}

int hodei__sched_reserve(hodei_ctx *ctx, size_t n)
{
	struct hodei__dvec *d = &ctx->delayed;

	if (hodei__queue_reserve(&ctx->queue, n))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	return hodei__array_reserve(&d->v, &d->cap, d->len + n, sizeof(*d->v), 16);
}

int hodei__sched_enqueue(hodei_ctx *ctx, int64_t seq, int priority, int64_t qseq,
                         int64_t not_before)
{
	hodei__qent e = { seq, qseq, priority };
	int rc;

	if ((rc = hodei__sched_reserve(ctx, 1)))
		return rc;
	if (not_before > hodei__now_ms()) {
		struct hodei__dvec *d = &ctx->delayed;

		d->v[d->len].e = e;
		d->v[d->len++].not_before = not_before;
		arm_delay(ctx);
		return 0;
	}
	return hodei__queue_push(&ctx->queue, e);
}

static void on_delay(evutil_socket_t fd, short what, void *arg)
{
	hodei_ctx *ctx = arg;
	int64_t now = hodei__now_ms();

	(void)fd;
	(void)what;
	hodei__lock(ctx);
	for (size_t i = 0; i < ctx->delayed.len;) {
		if (ctx->delayed.v[i].not_before <= now) {
			/* out of memory: it stays here, and the timer tries again */
			if (hodei__queue_push(&ctx->queue, ctx->delayed.v[i].e))
				break;
			ctx->delayed.v[i] = ctx->delayed.v[--ctx->delayed.len];
		} else {
			i++;
		}
	}
	arm_delay(ctx);
	hodei__sched_kick(ctx);
	hodei__unlock(ctx);
}

void hodei__sched_unpark(hodei_ctx *ctx)
{
	/* all or none: on out of memory they stay parked until the next unpark */
	if (hodei__queue_reserve(&ctx->queue, ctx->parked.len))
		return;
	for (size_t i = 0; i < ctx->parked.len; i++)
		hodei__queue_push(&ctx->queue, ctx->parked.v[i]);
	ctx->parked.len = 0;
	hodei__sched_kick(ctx);
}

hodei__active *hodei__active_find(hodei_ctx *ctx, int64_t seq)
{
	for (hodei__active *a = ctx->active; a; a = a->next)
		if (a->seq == seq)
			return a;
	return NULL;
}

hodei__active *hodei__active_find_id(hodei_ctx *ctx, const char *id)
{
	for (hodei__active *a = ctx->active; a; a = a->next)
		if (strcmp(a->id, id) == 0)
			return a;
	return NULL;
}

static void active_remove(hodei_ctx *ctx, hodei__active *a)
{
	if (a->prev)
		a->prev->next = a->next;
	else
		ctx->active = a->next;
	if (a->next)
		a->next->prev = a->prev;
	hodei__mask_free(a->mask);
	hodei__chunk_free(&a->chunk); /* hodei__log_job_done() took it, or it is dropped */
	free(a->id);
	free(a->held_for);
	free(a);
}

/* Is there any provider that could ever take this job?  NULL message = yes. */
static const char *placement_problem(hodei_ctx *ctx, const hodei_job *job, char *buf,
                                     size_t len)
{
	bool pinned_exists = false;

	for (hodei__provider_node *p = ctx->providers; p; p = p->next) {
		if (job->provider_pin && strcmp(job->provider_pin, p->cfg.name) != 0)
			continue;
		pinned_exists = true;
		if ((!p->cfg.max_memory_bytes || job->memory_bytes <= p->cfg.max_memory_bytes) &&
		    (!p->cfg.max_vcpus || job->cpu_millis <= p->cfg.max_vcpus * 1000u))
			return NULL;
	}
	if (!pinned_exists)
		return NULL; /* the provider may be added later: wait for it */
	snprintf(buf, len, "no provider can offer %u millicores and %llu bytes of memory",
	         job->cpu_millis, (unsigned long long)job->memory_bytes);
	return buf;
}

static bool any_accepting(hodei_ctx *ctx, const hodei_job *job)
{
	for (hodei__provider_node *p = ctx->providers; p; p = p->next)
		if (hodei__provider_accepts(p, job))
			return true;
	return false;
}

static hodei_worker *idle_worker_for(hodei_ctx *ctx, const hodei_job *job)
{
	for (hodei_worker *w = ctx->workers; w; w = w->next)
		if (w->state == HODEI_WORKER_IDLE && !w->job && hodei__provider_accepts(w->prov, job))
			return w;
	return NULL;
}

static unsigned int starting_workers(hodei_ctx *ctx)
{
	unsigned int n = 0;

	for (hodei_worker *w = ctx->workers; w; w = w->next)
		n += w->state == HODEI_WORKER_STARTING;
	return n;
}

static void provision_for(hodei_ctx *ctx, const hodei_job *job)
{
	if (starting_workers(ctx) >= ctx->queue.len)
		return;
	/* What the worker is for: providers size it (container limits) from this. */
	hodei_run_request hint;

	memset(&hint, 0, sizeof(hint));
	hint.version = HODEI_RUN_REQUEST_VERSION;
	hint.job_id = job->id;
	hint.attempt = job->attempt;
	hint.timeout_ms = job->timeout_ms;
	hint.cpu_millis = job->cpu_millis;
	hint.memory_bytes = job->memory_bytes;
	for (hodei__provider_node *p = ctx->providers; p; p = p->next) {
		hodei_worker *w;

		if (!p->ops->provision || !hodei__provider_accepts(p, job) ||
		    p->workers >= hodei__provider_capacity(p))
			continue;
		if (hodei__worker_new(ctx, p, &w) != 0)
			continue;
		if (p->ops->provision(p->state, w, &hint) != 0) {
			hodei__diag(ctx, HODEI_DIAG_WARN, "provider %s: provision failed: %s", p->cfg.name,
			            hodei_error_last());
			hodei__worker_destroy(w);
			continue;
		}
		return;
	}
}

static void store_put(hodei_ctx *ctx, int64_t seq, const hodei__jobupd *u);

/* Off the queue: FAILED in memory, and in the store now or by the retry (a
 * failed write must not leave a row QUEUED that no queue holds). */
static void fail_unplaceable(hodei_ctx *ctx, hodei_job *job, const char *why)
{
	hodei__jobupd u = { 0 };

	u.state = HODEI_JOB_FAILED;
	u.attempt = job->attempt;
	u.reason = why;
	u.at = hodei__now_ms();
	u.store_later = 1;
	if (hodei__job_transition(ctx, job->seq, job->id, HODEI_JOB_QUEUED, &u) == 0) {
		u.store_later = 0;
		store_put(ctx, job->seq, &u);
	}
}

/* The record of a run, allocated before the job leaves the queue (NULL: out
 * of memory, and the job stays queued). */
static hodei__active *active_new(const char *id)
{
	hodei__active *a = calloc(1, sizeof(*a));

	if (!a || !(a->id = strdup(id))) {
		free(a);
		hodei__err(HODEI_ENOMEM, "out of memory");
		return NULL;
	}
	return a;
}

static int assign(hodei_ctx *ctx, hodei_job *job, hodei_worker *w, hodei__active *a)
{
	hodei__jobupd u = { 0 };
	int rc;

	u.state = HODEI_JOB_ASSIGNED;
	u.attempt = job->attempt;
	u.at = hodei__now_ms();
	u.set_worker = 1;
	u.worker_id = w->id;
	u.provider = w->prov->cfg.name;
	u.store_later = 1; /* after the spawn: hodei__sched_store_assigned() */
	a->seq = job->seq;
	a->state = HODEI_JOB_ASSIGNED;
	a->attempt = job->attempt;
	a->max_retries = job->max_retries;
	a->priority = job->priority;
	a->next_log_seq = job->last_log_seq + 1;
	a->log_bytes = job->log_bytes;
	a->log_capped = ctx->cfg.max_log_bytes && job->log_bytes >= ctx->cfg.max_log_bytes;
	a->worker = w;
	a->next = ctx->active;
	if (ctx->active)
		ctx->active->prev = a;
	ctx->active = a;
	if ((rc = hodei__job_transition(ctx, job->seq, job->id, HODEI_JOB_QUEUED, &u))) {
		active_remove(ctx, a);
		return rc;
	}
	a->assigned = u;
	a->assigned.store_later = 0;
	a->assigned_pending = true;
	w->job = a;
	w->state = HODEI_WORKER_BUSY;
	w->prov->busy++;
	return hodei__worker_start_job(w, a, job);
}

/*
 * Queue entries the pump looks at before the loop gets a turn: with a
 * million queued jobs no provider can take yet (each is loaded to find
 * out), one pass would hold the context for seconds.
 */
#define PUMP_SLICE 256

/* Returns true when it stopped for the loop's other events. */
static bool pump_once(hodei_ctx *ctx)
{
	hodei__qent e;
	char why[160];
	unsigned int looked = 0;

	/* Writes wait for a retry: the rows of requeued jobs may be behind, and
	 * the retry pumps once the store has caught up. */
	if (hodei__store_backlog(ctx->store, NULL))
		return false;
	while (!ctx->closing && !ctx->draining && hodei__queue_peek(&ctx->queue, &e)) {
		hodei_worker *w;
		const char *problem;

		if (++looked > PUMP_SLICE)
			return true;

		if (!ctx->head || ctx->head->seq != e.seq) {
			int lr;

			hodei_job_free(ctx->head);
			ctx->head = NULL;
			lr = hodei__store_load_job(ctx->store, e.seq, NULL, &ctx->head);
			if (lr == HODEI_ENOMEM) /* it stays queued, and the pump goes on later */
				return true;
			if (lr) {
				hodei__queue_pop(&ctx->queue, &e);
				continue;
			}
		}
		if (ctx->head->state != HODEI_JOB_QUEUED) { /* cancelled while queued */
			hodei__queue_pop(&ctx->queue, &e);
			continue;
		}
		if ((problem = placement_problem(ctx, ctx->head, why, sizeof(why)))) {
			hodei_job *job = ctx->head;

			ctx->head = NULL;
			hodei__queue_pop(&ctx->queue, &e);
			fail_unplaceable(ctx, job, problem);
			hodei_job_free(job);
			continue;
		}
		if (!any_accepting(ctx, ctx->head)) {
			/* out of memory: it stays queued, and the pump goes on later */
			if (vec_push(&ctx->parked, e))
				return true;
			hodei__queue_pop(&ctx->queue, &e);
			continue;
		}
		if ((w = idle_worker_for(ctx, ctx->head))) {
			hodei_job *job = ctx->head;
			hodei__active *a = active_new(job->id);

			if (!a) /* out of memory: it stays queued, and the pump goes on later */
				return true;
			ctx->head = NULL;
			hodei__queue_pop(&ctx->queue, &e);
			a->qseq = e.qseq;
			assign(ctx, job, w, a);
			hodei_job_free(job);
			continue;
		}
		provision_for(ctx, ctx->head);
		if (!ctx->pump_again)
			break;
		ctx->pump_again = false;
	}
	return false;
}

/* Returns true when it stopped for the loop and armed pump_ev to go on. */
static bool pump(hodei_ctx *ctx)
{
	bool sliced = false;

	if (ctx->pumping) {
		ctx->pump_again = true;
		return false;
	}
	ctx->pumping = true;
	do {
		ctx->pump_again = false;
		sliced = pump_once(ctx);
	} while (ctx->pump_again && !sliced);
	ctx->pumping = false;
	if (sliced) { /* a timer, not event_active: the loop polls I/O before it runs */
		struct timeval now = { 0, 0 };

		event_add(ctx->pump_ev, &now);
	}
	return sliced;
}

static void on_pump(evutil_socket_t fd, short what, void *arg)
{
	hodei_ctx *ctx = arg;

	(void)fd;
	(void)what;
	hodei__lock(ctx);
	hodei__sched_batch_begin(ctx);
	hodei__sched_batch_end(ctx);
	hodei__unlock(ctx);
}

/*
 * A batch groups what one loop callback does to the store into one
 * transaction: a run's outcome, the next queued job's ASSIGNED and (local
 * provider) RUNNING with its pid, and the pending log lines.  The next job
 * is spawned first: the outcome and ASSIGNED are only noted in memory
 * (store_later) and written after the spawn.  Its events are sent once the
 * transaction is committed (hodei__emit_deferred).  A crash
 * before the commit leaves the finished job RUNNING (recovery retries or
 * fails it) and the next one QUEUED (it runs again): never a completion
 * recorded twice, never an accepted job lost.
 */
static void store_finals(hodei_ctx *ctx);

void hodei__sched_batch_begin(hodei_ctx *ctx)
{
	hodei__tx_begin_lazy(ctx);
	ctx->batch++;
}

void hodei__sched_batch_end(hodei_ctx *ctx)
{
	int rc;

	if (ctx->pumping)
		ctx->pump_again = true;
	else if (!pump(ctx) && ctx->pump_ev)
		event_del(ctx->pump_ev); /* what a kick during the batch asked for is done */
	/* the jobs started: now what the store still lacks */
	store_finals(ctx);
	for (hodei__active *a = ctx->active; a; a = a->next)
		hodei__sched_store_assigned(ctx, a);
	if (--ctx->batch == 0 && hodei__store_in_tx(ctx->store)) /* lines ride on this commit */
		hodei__log_flush(ctx);
	if ((rc = hodei__tx_end(ctx, 0)))
		hodei__diag(ctx, HODEI_DIAG_ERROR, "committing scheduler changes failed: %s",
		            hodei_error_last());
}

void hodei__sched_kick(hodei_ctx *ctx)
{
	if (ctx->pumping)
		ctx->pump_again = true;
	else if (ctx->pump_ev)
		event_active(ctx->pump_ev, EV_TIMEOUT, 0);
}

/*
 * Jobs were queued; old_head was the queue's head before (NULL: empty).
 * When the head is the same and no provider can add a worker, a pump would
 * find what the last one found (the head waits, strict order keeps the rest
 * behind it): skip it, and the loop's wake-up with it.  A worker that turns
 * idle or is added pumps anyway.
 */
void hodei__sched_kick_queued(hodei_ctx *ctx, const hodei__qent *old_head)
{
	hodei__qent head;

	if (old_head && hodei__queue_peek(&ctx->queue, &head) && head.seq == old_head->seq) {
		bool can_grow = false;

		for (hodei__provider_node *p = ctx->providers; p && !can_grow; p = p->next)
			can_grow = p->ops->provision && p->workers < hodei__provider_capacity(p);
		if (!can_grow)
			return;
	}
	hodei__sched_kick(ctx);
}

/* A transition memory already went past: stored now, or kept and retried. */
static void store_put(hodei_ctx *ctx, int64_t seq, const hodei__jobupd *u)
{
	if (hodei__store_put(ctx->store, seq, u))
		hodei__diag(ctx, HODEI_DIAG_ERROR, "job #%lld: its %s could not be kept for a retry: %s",
		            (long long)seq, hodei_job_state_name(u->state), hodei_error_last());
	hodei__sched_backlog(ctx);
}

void hodei__sched_store_assigned(hodei_ctx *ctx, hodei__active *a)
{
	if (!a->assigned_pending)
		return;
	a->assigned_pending = false;
	store_put(ctx, a->seq, &a->assigned);
}

/*
 * RUNNING for a job whose ASSIGNED is not stored yet: one row update for
 * both (nobody sees the row between them: it is one transaction), and both
 * history rows.
 */
int hodei__sched_running(hodei_ctx *ctx, hodei__active *a, hodei__jobupd *u)
{
	int rc;

	if (!a->assigned_pending)
		return hodei__job_transition(ctx, a->seq, a->id, HODEI_JOB_ASSIGNED, u);
	a->assigned_pending = false;
	u->set_worker = 1;
	u->worker_id = a->assigned.worker_id;
	u->provider = a->assigned.provider;
	hodei__tx_begin(ctx);
	rc = hodei__store_transition_row(ctx->store, a->seq, &a->assigned);
	if (!rc)
		rc = hodei__job_transition(ctx, a->seq, a->id, HODEI_JOB_ASSIGNED, u);
	return hodei__tx_end(ctx, rc);
}

/* A final state the batch stores after the next spawn (no requeue: the
 * pump never reads the row of a job that ended). */
static void defer_final(hodei_ctx *ctx, int64_t seq, const hodei__jobupd *u)
{
	struct hodei__finals *f = &ctx->finals;
	struct hodei__final *e;

	if (hodei__array_grow(&f->v, &f->cap, f->len, sizeof(*f->v), 4)) {
		store_put(ctx, seq, u); /* store it now then */
		return;
	}
	e = &f->v[f->len];
	e->reason = NULL;
	if (u->reason && !(e->reason = strdup(u->reason))) {
		store_put(ctx, seq, u); /* store it now then */
		return;
	}
	f->len++;
	e->seq = seq;
	e->u = *u;
	e->u.store_later = 0;
	e->u.reason = e->reason;
}

static void store_finals(hodei_ctx *ctx)
{
	struct hodei__finals *f = &ctx->finals;

	for (size_t i = 0; i < f->len; i++) {
		store_put(ctx, f->v[i].seq, &f->v[i].u);
		free(f->v[i].reason);
	}
	f->len = 0;
}

/* Apply what a finished or lost run means: final state, maybe a requeue. */
static void conclude(hodei_ctx *ctx, hodei__active *a, const hodei__outcome *o,
                     const hodei_run_result *res)
{
	hodei__jobupd u = { 0 };
	hodei_worker *w = a->worker;
	int64_t now = hodei__now_ms();
	hodei__outcome final;

	/* Room for the requeue before anything is written: without it, the
	 * attempt ends as it is, and the job is not retried (never a job QUEUED
	 * in the store that the queue does not hold). */
	if (o->requeue && hodei__sched_reserve(ctx, 1)) {
		final = *o;
		final.requeue = false;
		snprintf(final.reason, sizeof(final.reason), "%.200s; not retried: out of memory",
		         o->reason);
		o = &final;
	}
	hodei__sched_store_assigned(ctx, a); /* the start failed before it was stored */
	if (!ctx->batch || o->requeue) /* else the batch stores them after the next spawn */
		hodei__log_flush(ctx);
	u.state = o->state;
	u.attempt = a->attempt;
	u.reason = o->reason[0] ? o->reason : NULL;
	u.at = now;
	if (res) {
		u.set_result = 1;
		u.exit_code = res->exit_code;
		u.term_signal = res->term_signal;
		u.cpu_time_us = res->cpu_time_us;
		u.max_rss_kb = res->max_rss_kb;
	}
	if (a->started_at)
		hodei__metrics_record_run(ctx, a->started_at, now);
	hodei__tx_begin(ctx);
	if (ctx->batch && !o->requeue) {
		u.store_later = 1;
		if (hodei__job_transition(ctx, a->seq, a->id, a->state, &u) == 0)
			defer_final(ctx, a->seq, &u);
	} else {
		/* memory and events now; the store now or, if it cannot write, by
		 * the retry: an outcome is never dropped */
		u.store_later = 1;
		if (hodei__job_transition(ctx, a->seq, a->id, a->state, &u) == 0) {
			u.store_later = 0;
			store_put(ctx, a->seq, &u);
		}
	}
	if (o->requeue) {
		hodei__jobupd q = { 0 };

		q.state = HODEI_JOB_QUEUED;
		q.attempt = a->attempt + 1;
		q.at = now;
		q.reason = o->reason;
		q.set_queue = 1;
		/* a lost worker's job goes back to its place (priority, then the
		 * order it was queued in), a failed attempt's retry to the end */
		if (o->keep_place && a->qseq > 0)
			q.qseq = a->qseq;
		else
			hodei__store_next_qseq(ctx->store, &q.qseq);
		q.not_before = now + o->delay_ms;
		hodei__log_system(ctx, a, "attempt %d %s; retrying as attempt %d", a->attempt,
		                  o->reason, a->attempt + 1);
		q.store_later = 1;
		if (hodei__job_transition(ctx, a->seq, a->id, o->state, &q) == 0) {
			q.store_later = 0;
			store_put(ctx, a->seq, &q);
		}
		hodei__tx_end(ctx, 0);
		/* The next attempt numbers its lines after the stored count: store
		 * the line just logged first, or its number would be taken twice. */
		hodei__log_flush(ctx);
		/* reserved above: cannot fail */
		(void)hodei__sched_enqueue(ctx, a->seq, a->priority, q.qseq, q.not_before);
	} else {
		hodei__tx_end(ctx, 0);
	}
	if (w) {
		w->job = NULL;
		w->prov->busy--;
		hodei__provider_job_ended(ctx, w->prov);
	}
	hodei__log_job_done(ctx, a); /* its chunk sealed, its lost lines counted */
	active_remove(ctx, a);
	hodei__sched_kick(ctx);
}

void hodei__sched_finished(hodei_ctx *ctx, hodei__active *a, const hodei_run_result *res)
{
	hodei__outcome o;

	hodei__outcome_of_run(&o, res, a->attempt, a->max_retries, a->cancel_requested,
	                      ctx->cfg.retry_backoff_ms);
	conclude(ctx, a, &o, res);
}

void hodei__sched_lost(hodei_ctx *ctx, hodei__active *a, const char *why)
{
	hodei__outcome o;

	hodei__outcome_of_loss(&o, why, a->attempt, a->max_retries, a->cancel_requested,
	                       ctx->cfg.retry_backoff_ms);
	hodei__log_system(ctx, a, "worker lost: %s", why);
	conclude(ctx, a, &o, NULL);
}

int hodei__sched_cancel(hodei_ctx *ctx, int64_t seq, int state)
{
	hodei__active *a = hodei__active_find(ctx, seq);
	hodei_worker *w;

	if (!a) {
		hodei__jobupd u = { 0 };
		hodei_job *job = NULL;
		int rc = hodei__store_load_job(ctx->store, seq, NULL, &job);

		if (rc)
			return rc;
		u.state = HODEI_JOB_CANCELLED;
		u.attempt = job->attempt;
		u.reason = "cancelled while queued";
		u.at = hodei__now_ms();
		rc = hodei__job_transition(ctx, seq, job->id, state, &u);
		hodei_job_free(job);
		return rc;
	}
	a->cancel_requested = true;
	w = a->worker;
	if (w && w->agent_ops && w->agent_ops->cancel)
		w->agent_ops->cancel(w->agent, w);
	else if (w && w->prov->ops->cancel)
		w->prov->ops->cancel(w->prov->state, w);
	return 0;
}

/* ---- jobs held for their agent to come back (hodei_worker_reattach) ---- */

static void arm_hold(hodei_ctx *ctx)
{
	int64_t next = INT64_MAX, now = hodei__mono_ms();
	struct timeval tv;

	for (hodei__active *a = ctx->active; a; a = a->next)
		if (a->held_for && a->held_until < next)
			next = a->held_until;
	if (next == INT64_MAX || !ctx->hold_ev)
		return;
	next = next > now ? next - now : 0;
	tv.tv_sec = next / 1000;
	tv.tv_usec = (next % 1000) * 1000;
	event_add(ctx->hold_ev, &tv);
}

int hodei__sched_hold(hodei_ctx *ctx, hodei__active *a, const char *worker_id)
{
	char *id = strdup(worker_id);

	if (!id)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	free(a->held_for);
	a->held_for = id;
	a->held_until = hodei__mono_ms() + ctx->cfg.agent_hold_ms;
	a->worker = NULL;
	arm_hold(ctx);
	return 0;
}

void hodei__sched_hold_end(hodei_ctx *ctx, hodei__active *a, const char *why)
{
	free(a->held_for);
	a->held_for = NULL;
	hodei__sched_batch_begin(ctx); /* the requeue and the next start: one commit */
	hodei__sched_lost(ctx, a, why);
	hodei__sched_batch_end(ctx);
}

static void on_hold(evutil_socket_t fd, short what, void *arg)
{
	hodei_ctx *ctx = arg;
	int64_t now = hodei__mono_ms();
	hodei__active *a, *next;
	char why[160];

	(void)fd;
	(void)what;
	hodei__lock(ctx);
	for (a = ctx->active; a; a = next) {
		next = a->next;
		if (!a->held_for || a->held_until > now)
			continue;
		snprintf(why, sizeof(why), "worker %.63s did not come back within %lld ms",
		         a->held_for, (long long)ctx->cfg.agent_hold_ms);
		hodei__sched_hold_end(ctx, a, why);
		next = ctx->active; /* the list changed: look again from its start */
	}
	arm_hold(ctx);
	hodei__unlock(ctx);
}

/* A job an agent of a static pool was running: it may come back with it. */
static bool held_on_recovery(hodei_ctx *ctx, const hodei_job *job)
{
	hodei__provider_node *p;

	if (ctx->cfg.agent_hold_ms <= 0 || !job->worker_id || !*job->worker_id || !job->provider)
		return false;
	p = hodei__provider_find(ctx, job->provider);
	return p && strcmp(p->cfg.type, "pool") == 0;
}

typedef struct recover_ctx {
	hodei_ctx *ctx;
	int64_t lost, held;
	int err; /* out of memory: the open fails, and the next one recovers the rest */
} recover_ctx;

static void recover_one(void *ud, int64_t seq, int state, int priority, int64_t qseq,
                        int64_t not_before, int attempt, int max_retries, int64_t pid,
                        int64_t pid_start)
{
	recover_ctx *rc = ud;
	hodei_ctx *ctx = rc->ctx;
	hodei__active *a;
	hodei__outcome o;
	bool held = false;

	if (rc->err)
		return;
	if (state == HODEI_JOB_QUEUED) {
		rc->err = hodei__sched_enqueue(ctx, seq, priority, qseq, not_before);
		return;
	}
	/* an orphan of a local run, still going: stop it before running it again */
	if (pid > 0 && pid_start > 0 && hodei__proc_starttime((int)pid) == pid_start)
		kill(-(pid_t)pid, SIGKILL);
	if (!(a = calloc(1, sizeof(*a)))) {
		rc->err = hodei__err(HODEI_ENOMEM, "out of memory");
		return;
	}
	a->seq = seq;
	a->state = state;
	a->attempt = attempt;
	a->max_retries = max_retries;
	a->priority = priority;
	a->qseq = qseq;
	a->next = ctx->active;
	if (ctx->active)
		ctx->active->prev = a;
	ctx->active = a;
	{
		hodei_job *job = NULL;
		int lr = hodei__store_load_job(ctx->store, seq, NULL, &job);

		if (lr == 0) {
			a->id = strdup(job->id);
			a->next_log_seq = job->last_log_seq + 1;
			a->log_bytes = job->log_bytes;
			held = a->id && held_on_recovery(ctx, job) &&
			       hodei__sched_hold(ctx, a, job->worker_id) == 0;
			if (held) /* its run goes on: timed from its start, as any other */
				a->started_at = job->started_at;
		}
		hodei_job_free(job);
		if (lr == HODEI_ENOMEM || (lr == 0 && !a->id)) {
			active_remove(ctx, a);
			rc->err = hodei__err(HODEI_ENOMEM, "out of memory");
			return;
		}
	}
	if (!a->id && !(a->id = strdup(""))) {
		active_remove(ctx, a);
		rc->err = hodei__err(HODEI_ENOMEM, "out of memory");
		return;
	}
	if (held) {
		hodei__log_system(ctx, a, "the server restarted: worker %s may come back with attempt"
		                  " %d within %lld ms; it is retried only then", a->held_for, attempt,
		                  (long long)ctx->cfg.agent_hold_ms);
		rc->held++;
		return;
	}
	hodei__outcome_of_loss(&o, "the process that ran it stopped (restart recovery)",
	                       attempt, max_retries, false, 0);
	hodei__log_system(ctx, a, "worker lost: the process that ran it stopped");
	conclude(ctx, a, &o, NULL);
	rc->lost++;
}

/*
 * The last process to open this store died without closing it: a local job
 * it had started but not yet recorded (its ASSIGNED/RUNNING with the pid
 * was still to be committed) may run on, and the job, still QUEUED in the
 * store, would start again next to it.  Every local job carries the store's
 * mark in its environment (local.c): whatever carries it now is such a
 * leftover (this process holds the store's lock, and has started nothing),
 * and is killed before anything starts.  A clean close tells the next open
 * there is nothing to look for, so a normal start scans nothing.
 */
static void kill_unrecorded(hodei_ctx *ctx)
{
	char prefix[96];
	int64_t n;

	if (!hodei__store_unclean(ctx->store))
		return;
	snprintf(prefix, sizeof(prefix), HODEI__LOCAL_RUN_VAR "=%s/", hodei__store_id(ctx->store));
	if ((n = hodei__contain_kill_marked(prefix)) > 0)
		hodei__diag(ctx, HODEI_DIAG_WARN, "recovery: killed %lld process(es) of local jobs that"
		            " the last process started and did not stop", (long long)n);
	hodei__store_set_clean(ctx->store);
}

int hodei__sched_recover(hodei_ctx *ctx)
{
	recover_ctx rc = { ctx, 0, 0, 0 };
	int r;

	kill_unrecorded(ctx);
	r = hodei__store_scan_active(ctx->store, recover_one, &rc);

	if (!r && rc.err)
		r = rc.err;
	if (rc.lost)
		hodei__diag(ctx, HODEI_DIAG_WARN, "recovery: %lld job(s) were running when the last"
		            " process stopped", (long long)rc.lost);
	if (rc.held)
		hodei__diag(ctx, HODEI_DIAG_WARN, "recovery: %lld job(s) of agents held for %lld ms,"
		            " for their agents to come back", (long long)rc.held,
		            (long long)ctx->cfg.agent_hold_ms);
	return r;
}

/*
 * The store could not write (disk full, I/O error): what it kept (outcomes,
 * log lines, lost-line counts) is written again on this timer, with backoff
 * from RETRY_MIN_MS to RETRY_MAX_MS, never blocking the loop.  The pump
 * waits meanwhile, and goes on once everything is stored.
 */
#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 5000

void hodei__sched_backlog(hodei_ctx *ctx)
{
	struct timeval tv;

	if (!ctx->retry_ev || evtimer_pending(ctx->retry_ev, NULL) ||
	    !hodei__store_backlog(ctx->store, NULL))
		return;
	if (!ctx->retry_ms)
		hodei__diag(ctx, HODEI_DIAG_ERROR, "the store cannot write (%s): keeping %zu"
		            " write(s) and %zu log line(s) to retry", hodei_error_last(),
		            hodei__store_backlog(ctx->store, NULL), hodei__log_backlog(ctx));
	ctx->retry_ms = ctx->retry_ms ? ctx->retry_ms * 2 : RETRY_MIN_MS;
	if (ctx->retry_ms > RETRY_MAX_MS)
		ctx->retry_ms = RETRY_MAX_MS;
	tv.tv_sec = ctx->retry_ms / 1000;
	tv.tv_usec = (ctx->retry_ms % 1000) * 1000;
	evtimer_add(ctx->retry_ev, &tv);
}

/* Make what the backlog holds; 0 when nothing waits any more. */
static int catch_up(hodei_ctx *ctx)
{
	int rc = hodei__store_retry(ctx->store);

	if (!rc)
		hodei__log_flush(ctx);
	if (hodei__store_backlog(ctx->store, NULL)) {
		hodei__sched_backlog(ctx);
		return rc ? rc : hodei__err(HODEI_EIO, "the store has writes waiting");
	}
	hodei__diag(ctx, HODEI_DIAG_INFO, "the store writes again: everything kept is stored");
	ctx->retry_ms = 0;
	hodei__waiters_fire(ctx, 0); /* waiters read the stored states: look again */
	hodei__sched_kick(ctx);
	return 0;
}

int hodei__sched_settle(hodei_ctx *ctx, int64_t seq, const char *id)
{
	char why[256];
	int rc;

	if (!hodei__store_pending(ctx->store, seq) || !(rc = catch_up(ctx)) ||
	    !hodei__store_pending(ctx->store, seq))
		return 0;
	snprintf(why, sizeof(why), "%s", hodei_error_last());
	return hodei__err(rc, "job '%s': its last change is not stored yet (%s): try again once"
	                  " the store writes", id, why);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	hodei_ctx *ctx = arg;

	(void)fd;
	(void)what;
	hodei__lock(ctx);
	(void)catch_up(ctx); /* what still waits is retried later */
	hodei__unlock(ctx);
}

int hodei__sched_init(hodei_ctx *ctx)
{
	ctx->pump_ev = event_new(ctx->base, -1, 0, on_pump, ctx);
	ctx->delay_ev = evtimer_new(ctx->base, on_delay, ctx);
	ctx->retry_ev = evtimer_new(ctx->base, on_retry, ctx);
	ctx->hold_ev = evtimer_new(ctx->base, on_hold, ctx);
	return ctx->pump_ev && ctx->delay_ev && ctx->retry_ev && ctx->hold_ev
	       ? 0 : hodei__err(HODEI_ENOMEM, "out of memory");
}

void hodei__sched_fini(hodei_ctx *ctx)
{
	for (size_t i = 0; i < ctx->finals.len; i++) /* none: each batch stores its own */
		free(ctx->finals.v[i].reason);
	free(ctx->finals.v);
	ctx->finals.v = NULL;
	ctx->finals.len = ctx->finals.cap = 0;
	while (ctx->active)
		active_remove(ctx, ctx->active);
	hodei_job_free(ctx->head);
	ctx->head = NULL;
	hodei__queue_free(&ctx->queue);
	free(ctx->parked.v);
	free(ctx->delayed.v);
	if (ctx->pump_ev)
		event_free(ctx->pump_ev);
	if (ctx->delay_ev)
		event_free(ctx->delay_ev);
	if (ctx->retry_ev)
		event_free(ctx->retry_ev);
	if (ctx->hold_ev)
		event_free(ctx->hold_ev);
	ctx->pump_ev = ctx->delay_ev = ctx->retry_ev = ctx->hold_ev = NULL;
}
