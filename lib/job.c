/* The public job API: submit, get, list, cancel, retry, wait. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "internal.h"

/* Levels of the store's transactions (SAVEPOINTs inside); every begin,
 * failed or not, is paired with an end. */
int hodei__tx_begin(hodei_ctx *ctx)
{
	ctx->txdepth++;
	return hodei__store_begin(ctx->store);
}

/* A transaction that BEGINs at its first write (hodei__tx_begin inside it):
 * one that writes nothing costs nothing. */
void hodei__tx_begin_lazy(hodei_ctx *ctx)
{
	ctx->txdepth++;
	hodei__store_begin_lazy(ctx->store);
}

int hodei__tx_end(hodei_ctx *ctx, int rc)
{
	rc = hodei__store_end(ctx->store, rc);
	ctx->tx_open = hodei__store_in_tx(ctx->store);
	if (--ctx->txdepth > 0)
		return rc;
	hodei__emit_deferred(ctx);
	hodei__sched_backlog(ctx); /* writes kept for a retry: arm it */
	return rc;
}

int hodei__job_transition(hodei_ctx *ctx, int64_t seq, const char *id, int from,
                          const hodei__jobupd *u)
{
	hodei_event ev = { 0 };
	hodei__active *a;
	int rc;

	if (!hodei__state_allowed(from, u->state))
		return hodei__err(HODEI_ESTATE, "job '%s': %s -> %s is not allowed", id,
		                  hodei_job_state_name(from), hodei_job_state_name(u->state));
	if (!u->store_later) {
		hodei__tx_begin(ctx);
		rc = hodei__tx_end(ctx, hodei__store_transition(ctx->store, seq, u));
		if (rc)
			return rc;
	}
	if (from >= 1 && from <= 7)
		ctx->counts[from]--;
	ctx->counts[u->state]++;
	if ((a = hodei__active_find(ctx, seq)))
		a->state = u->state;
	if (ctx->head && ctx->head->seq == seq) { /* the scheduler's cached copy is stale */
		hodei_job_free(ctx->head);
		ctx->head = NULL;
	}
	ev.version = 1;
	ev.type = HODEI_EVENT_JOB_STATE;
	ev.job_id = id;
	ev.state = u->state;
	ev.old_state = from;
	ev.attempt = u->attempt;
	ev.reason = u->reason;
	ev.at_us = hodei__now_us();
	hodei__emit(ctx, &ev);
	if (ctx->waiters)
		hodei__waiters_fire(ctx, seq);
	return 0;
}

static int queue_room(hodei_ctx *ctx, size_t n)
{
	if (ctx->cfg.max_queue_size < 0 ||
	    ctx->counts[HODEI_JOB_QUEUED] + (int64_t)n <= ctx->cfg.max_queue_size)
		return 0;
	return hodei__err(HODEI_EFULL, "queue is full: %lld job(s) queued, HODEI_MAX_QUEUE_SIZE is"
	                  " %lld", (long long)ctx->counts[HODEI_JOB_QUEUED],
	                  (long long)ctx->cfg.max_queue_size);
}

static int insert_one(hodei_ctx *ctx, const hodei_job_spec *spec, hodei_job_id *id,
                      hodei__qent *e)
{
	hodei_job_id gen;
	int64_t now = hodei__now_ms();
	int rc;

	if (!spec->id || !*spec->id)
		hodei__id_generate(&gen);
	else
		snprintf(gen.str, sizeof(gen.str), "%s", spec->id);
	hodei__store_next_qseq(ctx->store, &e->qseq);
	e->priority = spec->priority ? spec->priority : HODEI_PRIORITY_NORMAL;
	if ((rc = hodei__store_insert_job(ctx->store, spec, gen.str, e->qseq, now, &e->seq)))
		return rc;
	if (id)
		*id = gen;
	return 0;
}

static void after_insert(hodei_ctx *ctx, const hodei__qent *e, const char *id)
{
	hodei_event ev = { 0 };

	ctx->counts[HODEI_JOB_QUEUED]++;
	hodei__queue_push(&ctx->queue, *e);
	ev.version = 1;
	ev.type = HODEI_EVENT_JOB_STATE;
	ev.job_id = id;
	ev.state = HODEI_JOB_QUEUED;
	ev.attempt = 1;
	ev.at_us = hodei__now_us();
	hodei__emit(ctx, &ev);
}

int hodei_job_submit(hodei_ctx *ctx, const hodei_job_spec *spec, hodei_job_id *id)
{
	hodei_job_id local;

	hodei__err_clear();
	if (!spec)
		return hodei__arg_null("spec");
	return hodei_job_submit_batch(ctx, spec, 1, id ? id : &local, NULL);
}

typedef struct submit_args {
	const hodei_job_spec *specs;
	size_t n;
	hodei_job_id *ids;
	hodei__qent *ents;
	size_t *bad_index;
} submit_args;

/* The store's part of a submit (hodei__call_grouped): its rows, in a
 * transaction of its own or a level of a group's. */
static int submit_on_loop(hodei_ctx *ctx, void *arg)
{
	submit_args *s = arg;
	size_t i;
	int rc;

	/* jobs of the same group commit count against the queue's limit too */
	if ((rc = queue_room(ctx, ctx->group_queued + s->n)))
		return rc;
	/* the queue's room first: after the store has them, pushing cannot fail */
	if ((rc = hodei__queue_reserve(&ctx->queue, ctx->group_queued + s->n)))
		return hodei__err(rc, "out of memory");
	rc = hodei__tx_begin(ctx); /* always paired with hodei__tx_end() */
	for (i = 0; i < s->n && !rc; i++)
		rc = insert_one(ctx, &s->specs[i], &s->ids[i], &s->ents[i]);
	if (rc && s->bad_index && i > 0)
		*s->bad_index = i - 1;
	if (!(rc = hodei__tx_end(ctx, rc)))
		ctx->group_queued += s->n;
	return rc;
}

/* Committed: the queue, the counts and the QUEUED events. */
static void submit_committed(hodei_ctx *ctx, void *arg)
{
	submit_args *s = arg;
	hodei__qent head;
	bool had_head = hodei__queue_peek(&ctx->queue, &head);

	for (size_t i = 0; i < s->n; i++)
		after_insert(ctx, &s->ents[i], s->ids[i].str);
	hodei__sched_kick_queued(ctx, had_head ? &head : NULL);
	if (ctx->group_queued >= s->n) /* on the loop's thread: no group */
		ctx->group_queued -= s->n;
}

int hodei_job_submit_batch(hodei_ctx *ctx, const hodei_job_spec *specs, size_t n,
                           hodei_job_id *ids, size_t *bad_index)
{
	submit_args s = { specs, n, ids, NULL, bad_index };
	int rc = 0;
	size_t i;

	hodei__err_clear();
	if (!ctx)
		return hodei__arg_null("ctx");
	if (!specs && n)
		return hodei__arg_null("specs");
	for (i = 0; i < n; i++)
		if ((rc = hodei__spec_check(&specs[i]))) {
			if (bad_index)
				*bad_index = i;
			return rc;
		}
	s.ents = calloc(n ? n : 1, sizeof(*s.ents));
	if (!ids)
		s.ids = calloc(n ? n : 1, sizeof(*s.ids));
	if (s.ents && s.ids)
		rc = hodei__call_grouped(ctx, submit_on_loop, submit_committed, &s);
	else
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	free(s.ents);
	if (s.ids != ids)
		free(s.ids);
	return rc;
}

/* The arguments of the calls that name one job. */
typedef struct id_args {
	const char *id;
	hodei_job **job;
	hodei_transition_list **history;
} id_args;

/* The checks every call that takes (ctx, id) makes, out-pointer first. */
static int check_id_call(void *out, bool needs_out, hodei_ctx *ctx, const char *id)
{
	int rc = needs_out ? hodei__enter_out(out, ctx) : hodei__enter(ctx);

	return rc ? rc : id ? 0 : hodei__arg_null("id");
}

static int get_on_loop(hodei_ctx *ctx, void *arg)
{
	id_args *a = arg;

	hodei__log_flush(ctx);
	return hodei__store_load_job(ctx->store, 0, a->id, a->job);
}

int hodei_job_get(hodei_job **out, hodei_ctx *ctx, const char *id)
{
	id_args a = { id, out, NULL };
	int rc;

	if ((rc = check_id_call(out, true, ctx, id)))
		return rc;
	return hodei__call(ctx, get_on_loop, &a);
}

static int cancel_on_loop(hodei_ctx *ctx, void *arg)
{
	id_args *a = arg;
	int64_t seq;
	int state, rc;

	if ((rc = hodei__store_job_seq(ctx->store, a->id, &seq, &state)))
		return rc;
	/* memory may be ahead of the row (its change waits in the backlog):
	 * never act on a stale row, read it again once it is stored */
	if (hodei__store_pending(ctx->store, seq) &&
	    ((rc = hodei__sched_settle(ctx, seq, a->id)) ||
	     (rc = hodei__store_job_seq(ctx->store, a->id, &seq, &state))))
		return rc;
	if (hodei__state_final(state))
		return hodei__err(HODEI_ESTATE, "job '%s' already ended (%s)", a->id,
		                  hodei_job_state_name(state));
	return hodei__sched_cancel(ctx, seq, state);
}

int hodei_job_cancel(hodei_ctx *ctx, const char *id)
{
	id_args a = { id, NULL, NULL };
	int rc;

	if ((rc = check_id_call(NULL, false, ctx, id)))
		return rc;
	return hodei__call(ctx, cancel_on_loop, &a);
}

static int retry_on_loop(hodei_ctx *ctx, void *arg)
{
	const char *id = ((id_args *)arg)->id;
	hodei_job *job = NULL;
	hodei__jobupd u = { 0 };
	int rc;

	if ((rc = hodei__store_load_job(ctx->store, 0, id, &job)))
		goto out;
	if (hodei__store_pending(ctx->store, job->seq)) { /* a stale row: as in cancel */
		int64_t seq = job->seq;

		hodei_job_free(job);
		job = NULL;
		if ((rc = hodei__sched_settle(ctx, seq, id)) ||
		    (rc = hodei__store_load_job(ctx->store, 0, id, &job)))
			goto out;
	}
	if (job->state != HODEI_JOB_FAILED && job->state != HODEI_JOB_TIMED_OUT &&
	    job->state != HODEI_JOB_CANCELLED) {
		rc = hodei__err(HODEI_ESTATE, "job '%s' is %s: only FAILED, TIMED_OUT or CANCELLED jobs"
		                " can be retried", id, hodei_job_state_name(job->state));
		goto out;
	}
	if ((rc = queue_room(ctx, 1)) || (rc = hodei__sched_reserve(ctx, 1)))
		goto out;
	u.state = HODEI_JOB_QUEUED;
	u.attempt = job->attempt + 1;
	u.at = hodei__now_ms();
	u.reason = "retried on request";
	u.set_queue = 1;
	hodei__store_next_qseq(ctx->store, &u.qseq);
	if (!(rc = hodei__job_transition(ctx, job->seq, id, job->state, &u))) {
		(void)hodei__sched_enqueue(ctx, job->seq, job->priority, u.qseq, 0); /* reserved */
		hodei__sched_kick(ctx);
	}
out:
	hodei_job_free(job);
	return rc;
}

int hodei_job_retry(hodei_ctx *ctx, const char *id)
{
	id_args a = { id, NULL, NULL };
	int rc;

	if ((rc = check_id_call(NULL, false, ctx, id)))
		return rc;
	return hodei__call(ctx, retry_on_loop, &a);
}

static void on_wait_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

static int load_state(hodei_ctx *ctx, int64_t seq, int *state)
{
	hodei_job *job = NULL;
	int rc = hodei__store_load_job(ctx->store, seq, NULL, &job);

	if (!rc)
		*state = job->state;
	hodei_job_free(job);
	return rc;
}

/* Embedded loop: run it until the job is final or the deadline passes. */
static int wait_embedded(hodei_ctx *ctx, int64_t seq, int64_t timeout_ms, int *state)
{
	bool expired = false;
	struct event *t = evtimer_new(ctx->base, on_wait_timeout, &expired);
	int rc = 0;

	if (!t)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (timeout_ms >= 0) {
		struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

		evtimer_add(t, &tv);
	}
	hodei__lock(ctx);
	while (!expired && !(rc = load_state(ctx, seq, state)) && !hodei__state_final(*state))
		event_base_loop(ctx->base, EVLOOP_ONCE);
	hodei__unlock(ctx);
	event_free(t);
	return rc;
}

/* hodei_job_wait() on another thread than the loop's: each look at the job
 * is a call on the loop, which arms `w` when the job is not final yet. */
typedef struct wait_args {
	const char *id;
	int64_t seq;
	int state;
	hodei__waiter *w;
	bool arm;
	hodei_job **out;
} wait_args;

static int wait_look_on_loop(hodei_ctx *ctx, void *arg)
{
	wait_args *a = arg;
	int rc = a->seq ? load_state(ctx, a->seq, &a->state)
	                : hodei__store_job_seq(ctx->store, a->id, &a->seq, &a->state);

	for (hodei__waiter **pp = &ctx->waiters; *pp; pp = &(*pp)->next)
		if (*pp == a->w) {
			*pp = a->w->next; /* disarm (a timed-out wait) */
			break;
		}
	if (!rc && a->arm && !hodei__state_final(a->state)) {
		a->w->seq = a->seq;
		a->w->fired = false;
		a->w->next = ctx->waiters;
		ctx->waiters = a->w;
	}
	return rc;
}

static int wait_threaded(hodei_ctx *ctx, wait_args *a, int64_t timeout_ms)
{
	hodei__waiter w = { 0 };
	struct timespec deadline;
	bool expired = false;
	int rc;

	hodei__deadline(&deadline, timeout_ms >= 0 ? timeout_ms : 0);
	a->w = &w;
	a->arm = true;
	while (!(rc = hodei__call(ctx, wait_look_on_loop, a)) && !hodei__state_final(a->state) &&
	       !expired) {
		pthread_mutex_lock(&ctx->call_mu);
		while (!w.fired && !expired) {
			if (timeout_ms < 0)
				pthread_cond_wait(&ctx->call_cond, &ctx->call_mu);
			else
				expired = pthread_cond_timedwait(&ctx->call_cond, &ctx->call_mu,
				                                 &deadline) == ETIMEDOUT;
		}
		pthread_mutex_unlock(&ctx->call_mu);
		a->arm = !expired; /* the last look disarms */
	}
	return rc;
}

static int wait_result_on_loop(hodei_ctx *ctx, void *arg)
{
	wait_args *a = arg;

	hodei__log_flush(ctx);
	return hodei__store_load_job(ctx->store, a->seq, NULL, a->out);
}

int hodei_job_wait(hodei_job **out, hodei_ctx *ctx, const char *id, int64_t timeout_ms)
{
	wait_args a = { id, 0, 0, NULL, false, out };
	int rc;

	if (out)
		*out = NULL;
	if ((rc = check_id_call(NULL, false, ctx, id)))
		return rc;
	if (ctx->own_base && ctx->thread_running && !hodei__off_loop(ctx))
		return hodei__err(HODEI_ESTATE, "hodei_job_wait: called on the loop thread (from a"
		                  " callback): it would wait for itself");
	if (!hodei__off_loop(ctx)) {
		hodei__lock(ctx);
		rc = hodei__store_job_seq(ctx->store, id, &a.seq, &a.state);
		hodei__unlock(ctx);
		if (!rc && !hodei__state_final(a.state))
			rc = wait_embedded(ctx, a.seq, timeout_ms, &a.state);
	} else {
		rc = wait_threaded(ctx, &a, timeout_ms);
	}
	if (!rc && !hodei__state_final(a.state))
		rc = hodei__err(HODEI_ETIMEDOUT, "job '%s' still %s after %lld ms", id,
		                hodei_job_state_name(a.state), (long long)timeout_ms);
	if (!rc && out)
		rc = hodei__call(ctx, wait_result_on_loop, &a);
	return rc;
}

static int check_filter(const hodei_job_filter *f)
{
	if (!f)
		return 0;
	if (f->version == 0 || f->version > HODEI_JOB_FILTER_VERSION)
		return hodei__err(HODEI_EVERSION, "filter: unknown version %u", f->version);
	if (f->state_mask & ~0xfeu)
		return hodei__err(HODEI_EINVAL, "state_mask: unknown state bits 0x%x", f->state_mask);
	if (f->search && strlen(f->search) > HODEI_NAME_MAX)
		return hodei__err(HODEI_EINVAL, "search: longer than %d bytes", HODEI_NAME_MAX);
	if (f->order != HODEI_ORDER_NEWEST && f->order != HODEI_ORDER_OLDEST)
		return hodei__err(HODEI_EINVAL, "order: unknown order %d", f->order);
	return 0;
}

/* Jobs in the filter's states, from the counts the context keeps. */
static int64_t state_rows(hodei_ctx *ctx, const hodei_job_filter *f)
{
	int64_t n = 0;

	for (int s = 1; s <= 7; s++)
		if (!f->state_mask || (f->state_mask & HODEI_STATE_BIT(s)))
			n += ctx->counts[s];
	return n;
}

typedef struct list_args {
	const hodei_job_filter *filter;
	hodei_job_page **page;
	int64_t *count;
} list_args;

static int list_on_loop(hodei_ctx *ctx, void *arg)
{
	list_args *a = arg;

	return hodei__store_list(ctx->store, a->filter, state_rows(ctx, a->filter), a->page);
}

int hodei_job_list(hodei_job_page **out, hodei_ctx *ctx, const hodei_job_filter *filter)
{
	hodei_job_filter all = HODEI_JOB_FILTER_INIT;
	list_args a = { filter ? filter : &all, out, NULL };
	int rc;

	if ((rc = hodei__enter_out(out, ctx)) || (rc = check_filter(filter)))
		return rc;
	return hodei__call(ctx, list_on_loop, &a);
}

typedef struct count_args {
	const hodei_job_filter *filter;
	int64_t cap;
	int64_t *count;
	bool exact;
} count_args;

static int count_on_loop(hodei_ctx *ctx, void *arg)
{
	count_args *a = arg;
	hodei_job_filter all = HODEI_JOB_FILTER_INIT;

	a->exact = true;
	if (!a->filter->search || !*a->filter->search) { /* counts are kept with every transition */
		*a->count = state_rows(ctx, a->filter);
		return 0;
	}
	return hodei__store_count(ctx->store, a->filter, state_rows(ctx, a->filter),
	                          state_rows(ctx, &all), a->cap, a->count, &a->exact);
}

int hodei_job_count(hodei_ctx *ctx, const hodei_job_filter *filter, int64_t *count)
{
	return hodei_job_count_capped(ctx, filter, 0, count, NULL);
}

int hodei_job_count_capped(hodei_ctx *ctx, const hodei_job_filter *filter, int64_t cap,
                           int64_t *count, int *is_lower_bound)
{
	hodei_job_filter all = HODEI_JOB_FILTER_INIT;
	count_args a = { filter ? filter : &all, cap, count, true };
	int rc;

	if (is_lower_bound)
		*is_lower_bound = 0;
	if ((rc = check_filter(filter)))
		return rc;
	if (cap < 0)
		return hodei__err(HODEI_EINVAL, "cap: must not be negative (0 = no cap)");
	rc = hodei__call_with(ctx, count_on_loop, count ? &a : NULL, "count");
	if (!rc && is_lower_bound)
		*is_lower_bound = !a.exact;
	return rc;
}

static int history_on_loop(hodei_ctx *ctx, void *arg)
{
	id_args *a = arg;
	int64_t seq;
	int rc;

	if ((rc = hodei__store_job_seq(ctx->store, a->id, &seq, NULL)))
		return rc;
	return hodei__store_history(ctx->store, seq, a->history);
}

int hodei_job_history(hodei_transition_list **out, hodei_ctx *ctx, const char *id)
{
	id_args a = { id, NULL, out };
	int rc;

	if ((rc = check_id_call(out, true, ctx, id)))
		return rc;
	return hodei__call(ctx, history_on_loop, &a);
}
