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
	pthread_cond_broadcast(&ctx->cond);
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

	return hodei_job_submit_batch(ctx, spec, 1, id ? id : &local, NULL);
}

int hodei_job_submit_batch(hodei_ctx *ctx, const hodei_job_spec *specs, size_t n,
                           hodei_job_id *ids, size_t *bad_index)
{
	hodei__qent *ents;
	hodei_job_id *tmp = ids;
	int rc = 0;
	size_t i;

	hodei__err_clear();
	if (!ctx || (!specs && n))
		return hodei__err(HODEI_EINVAL, "specs: NULL");
	for (i = 0; i < n; i++)
		if ((rc = hodei__spec_check(&specs[i]))) {
			if (bad_index)
				*bad_index = i;
			return rc;
		}
	ents = calloc(n ? n : 1, sizeof(*ents));
	if (!tmp)
		tmp = calloc(n ? n : 1, sizeof(*tmp));
	if (!ents || !tmp) {
		free(ents);
		if (tmp != ids)
			free(tmp);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	hodei__lock(ctx);
	if (!(rc = queue_room(ctx, n))) {
		rc = hodei__tx_begin(ctx);
		for (i = 0; i < n && !rc; i++)
			rc = insert_one(ctx, &specs[i], &tmp[i], &ents[i]);
		if (rc && bad_index && i > 0)
			*bad_index = i - 1;
		rc = hodei__tx_end(ctx, rc);
	}
	if (!rc) {
		hodei__qent head;
		bool had_head = hodei__queue_peek(&ctx->queue, &head);

		for (i = 0; i < n; i++)
			after_insert(ctx, &ents[i], tmp[i].str);
		hodei__sched_kick_queued(ctx, had_head ? &head : NULL);
	}
	hodei__unlock(ctx);
	free(ents);
	if (tmp != ids)
		free(tmp);
	return rc;
}

int hodei_job_get(hodei_job **out, hodei_ctx *ctx, const char *id)
{
	int rc;

	hodei__err_clear();
	*out = NULL;
	if (!id)
		return hodei__err(HODEI_EINVAL, "id: NULL");
	hodei__lock(ctx);
	hodei__log_flush(ctx);
	rc = hodei__store_load_job(ctx->store, 0, id, out);
	hodei__unlock(ctx);
	return rc;
}

int hodei_job_cancel(hodei_ctx *ctx, const char *id)
{
	int64_t seq;
	int state, rc;

	hodei__err_clear();
	if (!id)
		return hodei__err(HODEI_EINVAL, "id: NULL");
	hodei__lock(ctx);
	rc = hodei__store_job_seq(ctx->store, id, &seq, &state);
	if (!rc && hodei__state_final(state))
		rc = hodei__err(HODEI_ESTATE, "job '%s' already ended (%s)", id,
		                hodei_job_state_name(state));
	if (!rc)
		rc = hodei__sched_cancel(ctx, seq, state);
	hodei__unlock(ctx);
	return rc;
}

int hodei_job_retry(hodei_ctx *ctx, const char *id)
{
	hodei_job *job = NULL;
	hodei__jobupd u = { 0 };
	int rc;

	hodei__err_clear();
	if (!id)
		return hodei__err(HODEI_EINVAL, "id: NULL");
	hodei__lock(ctx);
	if ((rc = hodei__store_load_job(ctx->store, 0, id, &job)))
		goto out;
	if (job->state != HODEI_JOB_FAILED && job->state != HODEI_JOB_TIMED_OUT &&
	    job->state != HODEI_JOB_CANCELLED) {
		rc = hodei__err(HODEI_ESTATE, "job '%s' is %s: only FAILED, TIMED_OUT or CANCELLED jobs"
		                " can be retried", id, hodei_job_state_name(job->state));
		goto out;
	}
	if ((rc = queue_room(ctx, 1)))
		goto out;
	u.state = HODEI_JOB_QUEUED;
	u.attempt = job->attempt + 1;
	u.at = hodei__now_ms();
	u.reason = "retried on request";
	u.set_queue = 1;
	hodei__store_next_qseq(ctx->store, &u.qseq);
	if (!(rc = hodei__job_transition(ctx, job->seq, id, job->state, &u))) {
		hodei__sched_enqueue(ctx, job->seq, job->priority, u.qseq, 0);
		hodei__sched_kick(ctx);
	}
out:
	hodei_job_free(job);
	hodei__unlock(ctx);
	return rc;
}

static void on_wait_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

/* Embedded loop: run it until the job is final or the deadline passes. */
static int wait_embedded(hodei_ctx *ctx, int64_t seq, int64_t timeout_ms, int *state)
{
	bool expired = false;
	struct event *t = evtimer_new(ctx->base, on_wait_timeout, &expired);
	int rc;

	if (timeout_ms >= 0) {
		struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

		evtimer_add(t, &tv);
	}
	rc = 0;
	while (!expired) {
		hodei_job *job = NULL;

		if ((rc = hodei__store_load_job(ctx->store, seq, NULL, &job)))
			break;
		*state = job->state;
		hodei_job_free(job);
		if (hodei__state_final(*state))
			break;
		event_base_loop(ctx->base, EVLOOP_ONCE);
	}
	event_free(t);
	return rc;
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

static int wait_threaded(hodei_ctx *ctx, int64_t seq, int64_t timeout_ms, int *state)
{
	struct timespec deadline;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout_ms >= 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
	while (!(rc = load_state(ctx, seq, state)) && !hodei__state_final(*state)) {
		if (timeout_ms < 0)
			pthread_cond_wait(&ctx->cond, &ctx->mu);
		else if (pthread_cond_timedwait(&ctx->cond, &ctx->mu, &deadline) == ETIMEDOUT)
			break;
	}
	return rc;
}

int hodei_job_wait(hodei_job **out, hodei_ctx *ctx, const char *id, int64_t timeout_ms)
{
	int64_t seq;
	int state = 0, rc;

	hodei__err_clear();
	if (out)
		*out = NULL;
	if (!id)
		return hodei__err(HODEI_EINVAL, "id: NULL");
	hodei__lock(ctx);
	if (!(rc = hodei__store_job_seq(ctx->store, id, &seq, &state))) {
		if (ctx->own_base)
			rc = wait_threaded(ctx, seq, timeout_ms, &state);
		else if (!hodei__state_final(state))
			rc = wait_embedded(ctx, seq, timeout_ms, &state);
	}
	if (!rc && !hodei__state_final(state))
		rc = hodei__err(HODEI_ETIMEDOUT, "job '%s' still %s after %lld ms", id,
		                hodei_job_state_name(state), (long long)timeout_ms);
	if (!rc && out) {
		hodei__log_flush(ctx);
		rc = hodei__store_load_job(ctx->store, seq, NULL, out);
	}
	hodei__unlock(ctx);
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

int hodei_job_list(hodei_job_page **out, hodei_ctx *ctx, const hodei_job_filter *filter)
{
	hodei_job_filter all = HODEI_JOB_FILTER_INIT;
	int rc;

	hodei__err_clear();
	*out = NULL;
	if ((rc = check_filter(filter)))
		return rc;
	hodei__lock(ctx);
	if (!filter)
		filter = &all;
	rc = hodei__store_list(ctx->store, filter, state_rows(ctx, filter), out);
	hodei__unlock(ctx);
	return rc;
}

int hodei_job_count(hodei_ctx *ctx, const hodei_job_filter *filter, int64_t *count)
{
	hodei_job_filter all = HODEI_JOB_FILTER_INIT;
	int rc;

	hodei__err_clear();
	if ((rc = check_filter(filter)))
		return rc;
	hodei__lock(ctx);
	if (!filter)
		filter = &all;
	if (!filter->search || !*filter->search) /* the counts are kept with every transition */
		*count = state_rows(ctx, filter);
	else
		rc = hodei__store_count(ctx->store, filter, state_rows(ctx, filter), count);
	hodei__unlock(ctx);
	return rc;
}

int hodei_job_history(hodei_transition_list **out, hodei_ctx *ctx, const char *id)
{
	int64_t seq;
	int rc;

	hodei__err_clear();
	*out = NULL;
	if (!id)
		return hodei__err(HODEI_EINVAL, "id: NULL");
	hodei__lock(ctx);
	if (!(rc = hodei__store_job_seq(ctx->store, id, &seq, NULL)))
		rc = hodei__store_history(ctx->store, seq, out);
	hodei__unlock(ctx);
	return rc;
}
