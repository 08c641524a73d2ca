/*
 * Own-loop mode driven from several threads at once (run under TSan too):
 * the loop thread is the only one that touches the context, callbacks run
 * on it and never on a caller's thread, and a call made from a callback
 * runs at once instead of waiting for itself.  Submits from several threads
 * share commits (group commit) and each is committed when it returns.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "harness.h"

#define THREADS 4
#define JOBS_PER_THREAD 25

/* The threads callbacks ran on, and the threads that called the API. */
typedef struct seen {
	pthread_mutex_t mu;
	pthread_t callback_threads[8];
	size_t ncallback;
	pthread_t callers[THREADS + 2];
	size_t ncallers;
	atomic_long events;
} seen;

static void note_thread(seen *s, pthread_t t)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->ncallback; i++)
		if (pthread_equal(s->callback_threads[i], t)) {
			pthread_mutex_unlock(&s->mu);
			return;
		}
	if (s->ncallback < 8)
		s->callback_threads[s->ncallback++] = t;
	pthread_mutex_unlock(&s->mu);
}

static void on_event(const hodei_event *ev, void *userdata)
{
	seen *s = userdata;

	(void)ev;
	note_thread(s, pthread_self());
	atomic_fetch_add(&s->events, 1);
}

static void note_caller(seen *s)
{
	pthread_mutex_lock(&s->mu);
	s->callers[s->ncallers++] = pthread_self();
	pthread_mutex_unlock(&s->mu);
}

typedef struct worker_args {
	harness *h;
	seen *seen;
	int index;
	hodei_job_id ids[JOBS_PER_THREAD];
} worker_args;

/* Submit, sometimes cancel, subscribe and close, read: all at once. */
static void *api_thread(void *arg)
{
	worker_args *w = arg;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;

	note_caller(w->seen);
	so.callback = on_event;
	so.userdata = w->seen;
	for (int i = 0; i < JOBS_PER_THREAD; i++) {
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
		hodei_sub *cb = NULL, *q = NULL;
		hodei_sub_options qo = HODEI_SUB_OPTIONS_INIT;
		hodei_event *ev = NULL;
		hodei_job *job = NULL;

		assert_int_equal(hodei_sub_open(&cb, w->h->ctx, &so), 0);
		qo.max_queued = 4;
		assert_int_equal(hodei_sub_open(&q, w->h->ctx, &qo), 0);
		spec.command = "true";
		spec.name = "threaded";
		if (hodei_job_submit(w->h->ctx, &spec, &w->ids[i]) != 0)
			fail_msg("submit: %s", hodei_error_last());
		/* the QUEUED event reached the queue subscription before submit returned */
		assert_int_equal(hodei_sub_next(q, &ev), 0);
		hodei_event_free(ev);
		if (i % 3 == 0) {
			int rc = hodei_job_cancel(w->h->ctx, w->ids[i].str);

			assert_true(rc == 0 || rc == HODEI_ESTATE);
		}
		assert_int_equal(hodei_job_get(&job, w->h->ctx, w->ids[i].str), 0);
		hodei_job_free(job);
		hodei_sub_close(q);
		hodei_sub_close(cb);
	}
	return NULL;
}

/* Updates the local provider while its jobs run. */
static void *update_thread(void *arg)
{
	worker_args *w = arg;

	note_caller(w->seen);
	for (int i = 0; i < JOBS_PER_THREAD; i++) {
		hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;
		char label[32];
		const char *labels[1] = { label };

		snprintf(label, sizeof(label), "round=%d", i);
		cfg.name = "local";
		cfg.type = "local";
		cfg.max_workers = 2;
		cfg.labels = labels;
		cfg.nlabels = 1;
		if (hodei_provider_update(w->h->ctx, &cfg) != 0)
			fail_msg("update: %s", hodei_error_last());
	}
	return NULL;
}

static void wait_all(harness *h, worker_args *w)
{
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < JOBS_PER_THREAD; i++) {
			hodei_job *job = NULL;

			if (hodei_job_wait(&job, h->ctx, w[t].ids[i].str, 60000) != 0)
				fail_msg("job %s: %s", w[t].ids[i].str, hodei_error_last());
			assert_true(job->state == HODEI_JOB_SUCCEEDED || job->state == HODEI_JOB_CANCELLED);
			hodei_job_free(job);
		}
}

static void callbacks_only_on_the_loop_thread(void **state)
{
	harness h;
	seen s = { .mu = PTHREAD_MUTEX_INITIALIZER };
	worker_args w[THREADS + 1];
	pthread_t th[THREADS + 1];
	hodei_sub *sub = NULL;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 2);
	note_caller(&s);
	so.callback = on_event;
	so.userdata = &s;
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	for (int t = 0; t <= THREADS; t++) {
		w[t].h = &h;
		w[t].seen = &s;
		w[t].index = t;
		assert_int_equal(pthread_create(&th[t], NULL, t < THREADS ? api_thread : update_thread,
		                                &w[t]), 0);
	}
	for (int t = 0; t <= THREADS; t++)
		pthread_join(th[t], NULL);
	wait_all(&h, w);
	hodei_sub_close(sub);
	assert_true(atomic_load(&s.events) > 0);
	assert_int_equal(s.ncallback, 1); /* one loop thread ... */
	for (size_t i = 0; i < s.ncallers; i++) /* ... that is none of the callers */
		assert_false(pthread_equal(s.callers[i], s.callback_threads[0]));
	harness_close(&h);
}

/* ---- calls from a callback run at once on the loop thread ---- */

typedef struct reentry {
	hodei_ctx *ctx;
	int get_rc, wait_rc;
	bool done;
} reentry;

static void on_queued(const hodei_event *ev, void *userdata)
{
	reentry *r = userdata;
	hodei_job *job = NULL;

	if (r->done || ev->type != HODEI_EVENT_JOB_STATE || ev->state != HODEI_JOB_QUEUED)
		return;
	r->done = true;
	r->get_rc = hodei_job_get(&job, r->ctx, ev->job_id); /* would wait for itself */
	hodei_job_free(job);
	r->wait_rc = hodei_job_wait(NULL, r->ctx, ev->job_id, 1000);
}

static void calls_from_a_callback_do_not_deadlock(void **state)
{
	harness h;
	reentry r = { 0 };
	hodei_sub *sub = NULL;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_job_id id;
	hodei_job *job;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	r.ctx = h.ctx;
	so.callback = on_queued;
	so.userdata = &r;
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	sh_job(&h, NULL, "true", &id);
	job = wait_job(&h, id.str);
	hodei_job_free(job);
	hodei_sub_close(sub);
	assert_true(r.done);
	assert_int_equal(r.get_rc, 0);
	assert_int_equal(r.wait_rc, HODEI_ESTATE); /* refused, not a deadlock */
	harness_close(&h);
}

/* ---- many threads wait on one job; another ends it ---- */

typedef struct waiter_args {
	harness *h;
	const char *id;
	int rc, state;
} waiter_args;

static void *waiter_thread(void *arg)
{
	waiter_args *a = arg;
	hodei_job *job = NULL;

	a->rc = hodei_job_wait(&job, a->h->ctx, a->id, 60000);
	a->state = job ? job->state : 0;
	hodei_job_free(job);
	return NULL;
}

static void waits_on_several_threads(void **state)
{
	harness h;
	hodei_job_id id;
	waiter_args a[THREADS];
	pthread_t th[THREADS];
	hodei_job *job = NULL;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	sh_job(&h, NULL, "exec sleep 600", &id);
	for (int t = 0; t < THREADS; t++) {
		a[t] = (waiter_args){ &h, id.str, -1, 0 };
		assert_int_equal(pthread_create(&th[t], NULL, waiter_thread, &a[t]), 0);
	}
	/* a short timeout on this thread expires while the others keep waiting */
	assert_int_equal(hodei_job_wait(&job, h.ctx, id.str, 10), HODEI_ETIMEDOUT);
	assert_int_equal(hodei_job_cancel(h.ctx, id.str), 0);
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(a[t].rc, 0);
		assert_int_equal(a[t].state, HODEI_JOB_CANCELLED);
	}
	harness_close(&h);
}

/* ---- close from another thread than the opener's, with work in flight ---- */

static void *close_thread(void *arg)
{
	harness_close(arg);
	return NULL;
}

static void close_from_another_thread_while_busy(void **state)
{
	harness h;
	hodei_sub *q = NULL, *cb = NULL;
	hodei_sub_options qo = HODEI_SUB_OPTIONS_INIT, so = HODEI_SUB_OPTIONS_INIT;
	seen s = { .mu = PTHREAD_MUTEX_INITIALIZER };
	pthread_t th;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 2);
	so.callback = on_event;
	so.userdata = &s;
	assert_int_equal(hodei_sub_open(&q, h.ctx, &qo), 0);
	assert_int_equal(hodei_sub_open(&cb, h.ctx, &so), 0);
	for (int i = 0; i < 6; i++)
		sh_job(&h, NULL, i % 2 ? "exec sleep 600" : "echo out; true", NULL);
	assert_int_equal(hodei_sub_wait(q, 60000), 0);
	assert_int_equal(pthread_create(&th, NULL, close_thread, &h), 0);
	pthread_join(th, NULL);
}

/*
 * Group commit: submits from several threads at once share transactions
 * (hodei__call_grouped), and still each is committed when it returns (a
 * second connection finds its row) and the queue's limit holds exactly,
 * counting the jobs of the same group that are not queued yet.
 */
#define GROUP_THREADS 4
#define GROUP_SUBMITS 30
#define GROUP_LIMIT 50

typedef struct group_args {
	harness *h;
	sqlite3 *db; /* a connection of the test's own, read-only */
	int accepted, refused;
} group_args;

static void *group_thread(void *arg)
{
	group_args *g = arg;
	sqlite3_stmt *s = NULL;

	assert_int_equal(sqlite3_prepare_v2(g->db, "SELECT count(*) FROM jobs WHERE id = ?", -1, &s,
	                                    NULL), SQLITE_OK);
	for (int i = 0; i < GROUP_SUBMITS; i++) {
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
		hodei_job_id id;
		int rc;

		spec.command = "true";
		spec.provider = "nowhere"; /* stays queued */
		rc = hodei_job_submit(g->h->ctx, &spec, &id);
		if (rc == HODEI_EFULL) {
			g->refused++;
			continue;
		}
		if (rc != 0)
			fail_msg("submit: %s", hodei_error_last());
		g->accepted++;
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, id.str, -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		if (sqlite3_column_int(s, 0) != 1)
			fail_msg("job %s: submit returned before its row was committed", id.str);
	}
	sqlite3_finalize(s);
	return NULL;
}

static void concurrent_submits_grouped_and_committed(void **state)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	group_args g[GROUP_THREADS];
	pthread_t th[GROUP_THREADS];
	int accepted = 0, refused = 0;
	int64_t n = -1;
	harness h;

	(void)state;
	harness_dir(&h);
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER;
	opts.max_queue_size = GROUP_LIMIT;
	harness_open_opts(&h, &opts);
	for (int t = 0; t < GROUP_THREADS; t++) {
		memset(&g[t], 0, sizeof(g[t]));
		g[t].h = &h;
		assert_int_equal(sqlite3_open_v2(h.db, &g[t].db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		sqlite3_busy_timeout(g[t].db, 10000);
		assert_int_equal(pthread_create(&th[t], NULL, group_thread, &g[t]), 0);
	}
	for (int t = 0; t < GROUP_THREADS; t++) {
		pthread_join(th[t], NULL);
		sqlite3_close(g[t].db);
		accepted += g[t].accepted;
		refused += g[t].refused;
	}
	assert_int_equal(accepted, GROUP_LIMIT);
	assert_int_equal(refused, GROUP_THREADS * GROUP_SUBMITS - GROUP_LIMIT);
	f.state_mask = HODEI_STATE_BIT(HODEI_JOB_QUEUED);
	assert_int_equal(hodei_job_count(h.ctx, &f, &n), 0);
	assert_int_equal(n, GROUP_LIMIT);
	harness_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(callbacks_only_on_the_loop_thread),
		cmocka_unit_test(calls_from_a_callback_do_not_deadlock),
		cmocka_unit_test(waits_on_several_threads),
		cmocka_unit_test(close_from_another_thread_while_busy),
		cmocka_unit_test(concurrent_submits_grouped_and_committed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
