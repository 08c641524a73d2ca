/*
 * The allocation policy, proven the nghttp2 way (issue 12): every allocation
 * of libhodei is checked and reaches the caller as HODEI_ENOMEM, with nothing
 * half-applied.  The test links the static library with
 * -Wl,--wrap=malloc,calloc,realloc,strdup,strndup,vasprintf and, for
 * N = 0, 1, 2, ... until a call completes without an injected failure, fails
 * the Nth allocation of each main API call (embedded loop, no threads):
 *
 *   - the call returns 0 or HODEI_ENOMEM, never crashes, never another error;
 *   - after HODEI_ENOMEM nothing changed (the store says so), and the same
 *     call with allocation working succeeds: the context is still usable;
 *   - at the end every job the store holds as queued runs (memory's queue
 *     agrees with the store), and a reopen sees what the first context saw.
 *
 * Under ASan the same run proves there is no leak on any failure path.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <execinfo.h>
#include <unistd.h>

#include <event2/event.h>

#include "harness.h"

int __real_vasprintf(char **out, const char *fmt, va_list ap);
int __wrap_vasprintf(char **out, const char *fmt, va_list ap);

#define FAILMALLOC_COUNTDOWN
#include "../failmalloc.h"

int __wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	if (fail_now()) {
		*out = NULL;
		return -1;
	}
	return __real_vasprintf(out, fmt, ap);
}

/* Fewer iterations than this per path would mean a path allocates nothing. */
#define MAX_N 5000

static struct event_base *base;
static harness h;
static int seqno;
static long total_runs;

static const char *fresh_id(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s-%d", what, ++seqno);
	return buf;
}

/* rc must be 0 or HODEI_ENOMEM: anything else fails the test. */
static void check_rc(const char *what, long n, int rc)
{
	if (rc != 0 && rc != HODEI_ENOMEM)
		fail_msg("%s, allocation %ld failing: rc %d (%s)", what, n, rc, hodei_error_last());
	if (rc == HODEI_ENOMEM && !injected)
		fail_msg("%s: HODEI_ENOMEM with no allocation failing", what);
}

static int job_state(const char *id)
{
	hodei_job *job = NULL;
	int rc = hodei_job_get(&job, h.ctx, id), state;

	if (rc == HODEI_ENOTFOUND)
		return -1;
	if (rc != 0)
		fail_msg("get %s: %s", id, hodei_error_last());
	state = job->state;
	hodei_job_free(job);
	return state;
}

static void submit_ok(const char *id, const char *script, int priority)
{
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job_id out;
	const char *env[] = { "A=1", "B=2" };
	const char *args[] = { "x" };

	spec.id = id;
	spec.name = "failmalloc";
	spec.command = script;
	spec.flags = HODEI_JOB_SHELL;
	spec.priority = priority;
	spec.env = env;
	spec.nenv = 2;
	spec.args = args;
	spec.nargs = 1;
	if (hodei_job_submit(h.ctx, &spec, &out) != 0)
		fail_msg("submit %s: %s", id, hodei_error_last());
}

/* Run the loop until job id is in `state` (or a final state). */
static void loop_until(const char *id, int state)
{
	for (int i = 0; i < 20000; i++) {
		int s = job_state(id);

		if (s == state || s >= HODEI_JOB_SUCCEEDED)
			return;
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	fail_msg("job %s never reached state %d", id, state);
}

/* ---- the paths: each one call, armed; returns its rc ---- */

typedef struct path {
	const char *name;
	void (*setup)(char *id, size_t len);          /* unarmed */
	int (*call)(const char *id);                  /* armed */
	void (*after_enomem)(const char *id);         /* unarmed: nothing changed */
	void (*after_ok)(const char *id);             /* unarmed */
} path;

static void setup_fresh(char *id, size_t len)
{
	fresh_id(id, len, "j");
}

static int call_submit(const char *id)
{
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job_id out;
	const char *env[] = { "A=1" };
	const char *labels[] = { "k=v" };

	spec.id = id;
	spec.name = "submitted";
	spec.command = "exit 0";
	spec.flags = HODEI_JOB_SHELL;
	spec.env = env;
	spec.nenv = 1;
	(void)labels;
	return hodei_job_submit(h.ctx, &spec, &out);
}

static void absent(const char *id)
{
	if (job_state(id) != -1)
		fail_msg("%s exists after a failed call", id);
}

static void present(const char *id)
{
	if (job_state(id) == -1)
		fail_msg("%s missing after a successful call", id);
}

static int call_batch(const char *id)
{
	hodei_job_spec specs[3] = { HODEI_JOB_SPEC_INIT, HODEI_JOB_SPEC_INIT, HODEI_JOB_SPEC_INIT };
	char ids[3][64];
	hodei_job_id out[3];

	for (int i = 0; i < 3; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%s.%d", id, i);
		specs[i].id = ids[i];
		specs[i].command = "exit 0";
		specs[i].flags = HODEI_JOB_SHELL;
	}
	return hodei_job_submit_batch(h.ctx, specs, 3, out, NULL);
}

static void batch_absent(const char *id)
{
	char b[64];

	for (int i = 0; i < 3; i++) {
		snprintf(b, sizeof(b), "%s.%d", id, i);
		absent(b);
	}
}

static void batch_present(const char *id)
{
	char b[64];

	for (int i = 0; i < 3; i++) {
		snprintf(b, sizeof(b), "%s.%d", id, i);
		present(b);
	}
}

static const char *probe_id = "probe";

static void setup_none(char *id, size_t len)
{
	snprintf(id, len, "%s", probe_id);
}

static int call_get(const char *id)
{
	hodei_job *job = NULL;
	int rc = hodei_job_get(&job, h.ctx, id);

	if (rc == 0 && (!job || strcmp(job->id, id) || job->nenv != 2 || strcmp(job->env[1], "B=2")))
		fail_msg("get: wrong job");
	if (rc != 0 && job)
		fail_msg("get: *out set on failure");
	hodei_job_free(job);
	return rc;
}

static int call_list(const char *id)
{
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	hodei_job_page *page = NULL;
	int rc;

	(void)id;
	f.limit = 5;
	rc = hodei_job_list(&page, h.ctx, &f);
	if (rc == 0 && (!page || page->count == 0))
		fail_msg("list: empty");
	hodei_job_page_free(page);
	if (rc)
		return rc;
	f.search = "j-";
	rc = hodei_job_list(&page, h.ctx, &f);
	hodei_job_page_free(page);
	return rc;
}

static int call_count(const char *id)
{
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	int64_t n = -1;
	int rc;

	(void)id;
	f.state_mask = HODEI_STATE_BIT(HODEI_JOB_QUEUED);
	rc = hodei_job_count(h.ctx, &f, &n);
	if (rc == 0 && n < 0)
		fail_msg("count: %lld", (long long)n);
	return rc;
}

static int call_history(const char *id)
{
	hodei_transition_list *l = NULL;
	int rc = hodei_job_history(&l, h.ctx, id);

	hodei_transition_list_free(l);
	return rc;
}

static int call_log_read(const char *id)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page = NULL;
	int rc;

	q.job_id = id;
	rc = hodei_log_read(&page, h.ctx, &q);
	if (rc == 0 && (!page || page->count == 0))
		fail_msg("log read: no lines");
	hodei_log_page_free(page);
	return rc;
}

static const char *blocker = "blocker";

/* A queued job: the only worker is busy with the blocker. */
static void setup_queued(char *id, size_t len)
{
	fresh_id(id, len, "q");
	submit_ok(id, "exit 0", HODEI_PRIORITY_NORMAL);
}

static int call_cancel(const char *id)
{
	return hodei_job_cancel(h.ctx, id);
}

static void still_queued(const char *id)
{
	if (job_state(id) != HODEI_JOB_QUEUED)
		fail_msg("%s: state %d after a failed cancel", id, job_state(id));
}

static void cancelled(const char *id)
{
	if (job_state(id) != HODEI_JOB_CANCELLED)
		fail_msg("%s: state %d after a cancel", id, job_state(id));
}

static void setup_cancelled(char *id, size_t len)
{
	setup_queued(id, len);
	if (hodei_job_cancel(h.ctx, id) != 0)
		fail_msg("cancel %s: %s", id, hodei_error_last());
}

static int call_retry(const char *id)
{
	return hodei_job_retry(h.ctx, id);
}

static void requeued(const char *id)
{
	hodei_job *job = NULL;

	if (hodei_job_get(&job, h.ctx, id) != 0)
		fail_msg("get %s", id);
	if (job->state != HODEI_JOB_QUEUED || job->attempt != 2)
		fail_msg("%s: state %d attempt %d after a retry", id, job->state, job->attempt);
	hodei_job_free(job);
}

static void setup_quick(char *id, size_t len)
{
	fresh_id(id, len, "w");
	submit_ok(id, "echo out; echo err >&2", HODEI_PRIORITY_HIGH);
}

static int call_wait(const char *id)
{
	hodei_job *job = NULL;
	int rc = hodei_job_wait(&job, h.ctx, id, 5000);

	if (rc == 0 && job->state != HODEI_JOB_SUCCEEDED &&
	    !(job->reason && strstr(job->reason, "out of memory")))
		fail_msg("wait %s: state %d (%s)", id, job->state, job->reason ? job->reason : "");
	hodei_job_free(job);
	return rc;
}

static void waited(const char *id)
{
	hodei_job *job = NULL;

	if (hodei_job_wait(&job, h.ctx, id, 20000) != 0)
		fail_msg("wait %s again: %s", id, hodei_error_last());
	hodei_job_free(job);
}

/* A running job, cancelled: the kill path. */
static void setup_running(char *id, size_t len)
{
	fresh_id(id, len, "r");
	submit_ok(id, "sleep 30", HODEI_PRIORITY_HIGH);
	loop_until(id, HODEI_JOB_RUNNING);
}

static void cancelled_running(const char *id)
{
	hodei_job *job = NULL;

	if (hodei_job_wait(&job, h.ctx, id, 20000) != 0 || job->state != HODEI_JOB_CANCELLED)
		fail_msg("%s not cancelled", id);
	hodei_job_free(job);
}

static void still_running(const char *id)
{
	if (job_state(id) != HODEI_JOB_RUNNING)
		fail_msg("%s: state %d after a failed cancel", id, job_state(id));
	if (hodei_job_cancel(h.ctx, id) != 0)
		fail_msg("cancel %s: %s", id, hodei_error_last());
	cancelled_running(id);
}

/* Subscribe, then an event: delivered, or counted by an OVERFLOW. */
static int call_subscribe(const char *id)
{
	hodei_sub_options o = HODEI_SUB_OPTIONS_INIT;
	hodei_sub *sub = NULL;
	hodei_event *ev = NULL;
	int rc, seen = 0;

	o.job_id = id;
	if ((rc = hodei_sub_open(&sub, h.ctx, &o)))
		return rc;
	rc = call_submit(id);
	disarm();
	while (hodei_sub_next(sub, &ev) == 0 && ev) {
		if (ev->type == HODEI_EVENT_OVERFLOW ||
		    (ev->type == HODEI_EVENT_JOB_STATE && ev->state == HODEI_JOB_QUEUED))
			seen = 1;
		hodei_event_free(ev);
		ev = NULL;
	}
	if (rc == 0 && !seen)
		fail_msg("subscription: neither the event nor an overflow");
	hodei_sub_close(sub);
	return rc;
}

static int call_sub_open(const char *id)
{
	hodei_sub_options o = HODEI_SUB_OPTIONS_INIT;
	hodei_sub *sub = NULL;
	int rc;

	o.job_id = id;
	rc = hodei_sub_open(&sub, h.ctx, &o);
	if (rc && sub)
		fail_msg("sub_open: *out set on failure");
	hodei_sub_close(sub);
	return rc;
}

static void setup_provider_name(char *id, size_t len)
{
	fresh_id(id, len, "p");
}

static int call_provider_add(const char *name)
{
	hodei_provider_config c = HODEI_PROVIDER_CONFIG_INIT;
	const char *labels[] = { "zone=a", "tier=b" };

	c.name = name;
	c.type = "local";
	c.labels = labels;
	c.nlabels = 2;
	c.max_workers = 1;
	c.options_json = "{}";
	return hodei_provider_add(h.ctx, &c);
}

static int provider_zone(const char *name)
{
	hodei_provider_info *i = NULL;
	int rc = hodei_provider_get(&i, h.ctx, name), zone;

	if (rc == HODEI_ENOTFOUND)
		return -1;
	if (rc)
		fail_msg("provider get %s: %s", name, hodei_error_last());
	zone = i->nlabels && strcmp(i->labels[0], "zone=b") == 0 ? 'b' : 'a';
	hodei_provider_info_free(i);
	return zone;
}

static void provider_absent(const char *name)
{
	if (provider_zone(name) != -1)
		fail_msg("provider %s exists after a failed add", name);
}

static void provider_present(const char *name)
{
	if (provider_zone(name) == -1)
		fail_msg("provider %s missing after an add", name);
}

static void setup_provider(char *id, size_t len)
{
	setup_provider_name(id, len);
	if (call_provider_add(id) != 0)
		fail_msg("provider add: %s", hodei_error_last());
}

static int call_provider_update(const char *name)
{
	hodei_provider_config c = HODEI_PROVIDER_CONFIG_INIT;
	const char *labels[] = { "zone=b" };

	c.name = name;
	c.type = "local";
	c.labels = labels;
	c.nlabels = 1;
	c.max_workers = 2;
	c.token = "secret";
	return hodei_provider_update(h.ctx, &c);
}

static void provider_old(const char *name)
{
	if (provider_zone(name) != 'a')
		fail_msg("provider %s changed by a failed update", name);
}

static void provider_new(const char *name)
{
	if (provider_zone(name) != 'b')
		fail_msg("provider %s not updated", name);
}

static int call_provider_list(const char *id)
{
	hodei_provider_array *l = NULL;
	hodei_provider_info *i = NULL;
	int rc;

	(void)id;
	if ((rc = hodei_provider_list(&l, h.ctx)))
		return rc;
	hodei_provider_array_free(l);
	rc = hodei_provider_get(&i, h.ctx, "local");
	hodei_provider_info_free(i);
	return rc;
}

static int call_worker_list(const char *id)
{
	hodei_worker_array *l = NULL;
	int rc = hodei_worker_list(&l, h.ctx);

	(void)id;
	hodei_worker_array_free(l);
	return rc;
}

static void nothing(const char *id)
{
	(void)id;
}

/* The same call again, allocation working: it must succeed. */
static void redo(const path *p, const char *id)
{
	int rc = p->call(id);

	if (rc != 0)
		fail_msg("%s again after HODEI_ENOMEM: %d (%s)", p->name, rc, hodei_error_last());
	if (p->after_ok)
		p->after_ok(id);
}

static long run_path(const path *p)
{
	long n;

	for (n = 0; n < MAX_N; n++) {
		char id[64];
		int rc;

		p->setup(id, sizeof(id));
		arm(n);
		rc = p->call(id);
		disarm();
		total_runs++;
		check_rc(p->name, n, rc);
		if (!injected) {
			if (rc != 0)
				fail_msg("%s: %d", p->name, rc);
			if (p->after_ok)
				p->after_ok(id);
			break;
		}
		if (rc == HODEI_ENOMEM) {
			if (p->after_enomem)
				p->after_enomem(id);
			redo(p, id);
		} else if (p->after_ok) {
			p->after_ok(id);
		}
	}
	if (n == MAX_N)
		fail_msg("%s: still failing after %d allocations", p->name, MAX_N);
	fprintf(stderr, "failmalloc: %-16s %ld allocation(s), each failed once\n", p->name, n);
	return n;
}

static const path paths[] = {
	{ "sub_open", setup_fresh, call_sub_open, NULL, NULL },
	{ "submit", setup_fresh, call_submit, absent, present },
	{ "submit_batch", setup_fresh, call_batch, batch_absent, batch_present },
	{ "subscribe+event", setup_fresh, call_subscribe, absent, present },
	{ "get", setup_none, call_get, NULL, NULL },
	{ "list", setup_none, call_list, NULL, NULL },
	{ "count", setup_none, call_count, NULL, NULL },
	{ "history", setup_none, call_history, NULL, NULL },
	{ "cancel", setup_queued, call_cancel, still_queued, cancelled },
	{ "retry", setup_cancelled, call_retry, nothing, requeued },
	{ "provider_add", setup_provider_name, call_provider_add, provider_absent,
	  provider_present },
	{ "provider_update", setup_provider, call_provider_update, provider_old, provider_new },
	{ "provider_list", setup_none, call_provider_list, NULL, NULL },
	{ "worker_list", setup_none, call_worker_list, NULL, NULL },
};

/* These need the worker: after the blocker is gone. */
static const path run_paths[] = {
	{ "wait", setup_quick, call_wait, NULL, waited },
	{ "log_read", setup_none, call_log_read, NULL, NULL },
	{ "cancel_running", setup_running, call_cancel, still_running, cancelled_running },
};

static void open_ctx(void)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;

	opts.local_workers = 1;
	opts.event_base = base;
	opts.max_queue_size = -1;
	harness_open_opts(&h, &opts);
}

/* Open (with recovery of queued and running jobs) and close, failing each
 * allocation of both in turn. */
static void open_close(void **state)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	long n;

	(void)state;
	opts.local_workers = 1;
	opts.event_base = base;
	opts.db_path = h.db;
	opts.flags = HODEI_CTX_IGNORE_ENV;
	opts.kill_grace_ms = 300;
	for (n = 0; n < MAX_N; n++) {
		hodei_ctx *ctx = NULL;
		int rc;

		arm(n);
		rc = hodei_ctx_open(&ctx, &opts);
		disarm();
		total_runs++;
		check_rc("ctx_open", n, rc);
		if (rc == 0) {
			hodei_ctx_close(ctx); /* unarmed: the close is tested below */
			if (!injected)
				break;
		} else if (ctx) {
			fail_msg("ctx_open: *out set on failure");
		}
	}
	fprintf(stderr, "failmalloc: %-16s %ld allocation(s), each failed once\n", "ctx_open", n);
	for (n = 0; n < MAX_N; n++) {
		hodei_ctx *ctx = NULL;

		if (hodei_ctx_open(&ctx, &opts) != 0)
			fail_msg("ctx_open: %s", hodei_error_last());
		arm(n);
		hodei_ctx_close(ctx);
		disarm();
		total_runs++;
		if (!injected)
			break;
	}
	fprintf(stderr, "failmalloc: %-16s %ld allocation(s), each failed once\n", "ctx_close", n);
}

static void api_paths(void **state)
{
	char id[64];
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	int64_t queued = 0;

	(void)state;
	open_ctx();
	/* the probe has run and logged; the blocker holds the only worker */
	submit_ok(probe_id, "echo probe; exit 0", HODEI_PRIORITY_NORMAL);
	waited(probe_id);
	submit_ok(blocker, "sleep 600", HODEI_PRIORITY_HIGH);
	loop_until(blocker, HODEI_JOB_RUNNING);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		run_path(&paths[i]);

	/* memory's queue agrees with the store: every queued job runs */
	assert_int_equal(hodei_job_cancel(h.ctx, blocker), 0);
	cancelled_running(blocker);
	f.state_mask = HODEI_STATE_BIT(HODEI_JOB_QUEUED);
	assert_int_equal(hodei_job_count(h.ctx, &f, &queued), 0);
	for (int i = 0; i < 60000 && queued > 0; i++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
		assert_int_equal(hodei_job_count(h.ctx, &f, &queued), 0);
	}
	assert_int_equal(queued, 0);

	for (size_t i = 0; i < sizeof(run_paths) / sizeof(run_paths[0]); i++)
		run_path(&run_paths[i]);

	/* the store agrees with what the context said: a reopen sees the same */
	{
		hodei_job_page *page = NULL;
		size_t n = 0;

		f.state_mask = 0;
		f.limit = 1000;
		assert_int_equal(hodei_job_count(h.ctx, &f, &queued), 0);
		hodei_ctx_close(h.ctx);
		open_ctx();
		assert_int_equal(hodei_job_list(&page, h.ctx, &f), 0);
		n = page->count;
		hodei_job_page_free(page);
		assert_true((int64_t)n == queued || n == 1000);
		assert_int_equal(job_state(blocker), HODEI_JOB_CANCELLED);
		assert_int_equal(job_state(probe_id), HODEI_JOB_SUCCEEDED);
	}
	hodei_ctx_close(h.ctx);
	h.ctx = NULL;
	fresh_id(id, sizeof(id), "end");
	fprintf(stderr, "failmalloc: %ld run(s) in all\n", total_runs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(api_paths),
		cmocka_unit_test(open_close),
	};
	int rc;

	base = event_base_new();
	harness_dir(&h);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	harness_close(&h);
	event_base_free(base);
	return rc;
}
