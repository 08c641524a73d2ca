/*
 * Lifetimes: a subscription closed from another one's callback, a provider
 * updated under a running job, providers that cannot start (refused when
 * added or updated; a stored one never called, and no crash at reopen).
 */
#include <sqlite3.h>
#include <stdbool.h>

#include "harness.h"
#include <hodei/sys/provider.h>

/* ---- closing subscriptions from callbacks ---- */

typedef struct closer {
	hodei_sub *self, *victim;
	int calls;
} closer;

static void on_close_victim(const hodei_event *ev, void *userdata)
{
	closer *c = userdata;

	(void)ev;
	c->calls++;
	if (c->victim) {
		hodei_sub_close(c->victim);
		c->victim = NULL;
	}
}

static void on_close_self(const hodei_event *ev, void *userdata)
{
	closer *c = userdata;

	(void)ev;
	c->calls++;
	hodei_sub_close(c->self);
}

static hodei_sub *open_cb(harness *h, hodei_event_fn fn, closer *c)
{
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_sub *s = NULL;

	so.mask = HODEI_EVENT_JOB_STATE;
	so.callback = fn;
	so.userdata = c;
	assert_int_equal(hodei_sub_open(&s, h->ctx, &so), 0);
	return s;
}

static void close_subscription_from_a_callback(void **state)
{
	harness h;
	closer victim = { 0 }, killer = { 0 }, suicide = { 0 };
	hodei_job_id id;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	/* newest first: the emit loop meets killer, then victim, then suicide */
	suicide.self = open_cb(&h, on_close_self, &suicide);
	victim.self = open_cb(&h, on_close_victim, &victim);
	killer.self = open_cb(&h, on_close_victim, &killer);
	killer.victim = victim.self;
	sh_job(&h, NULL, "true", &id);
	hodei_job_free(wait_job(&h, id.str));
	assert_int_equal(victim.calls, 0); /* closed before its turn: never called */
	assert_int_equal(suicide.calls, 1); /* closed itself: called once */
	assert_true(killer.calls >= 3);     /* QUEUED, ASSIGNED, RUNNING, ... */
	hodei_sub_close(killer.self);
	harness_close(&h);
}

/* ---- provider update under a running job ---- */

static hodei_event *next_event(hodei_sub *q)
{
	hodei_event *ev = NULL;

	while (hodei_sub_next(q, &ev) == HODEI_EAGAIN)
		if (hodei_sub_wait(q, 60000) != 0)
			fail_msg("no event: %s", hodei_error_last());
	return ev;
}

static void wait_state(hodei_sub *q, int state)
{
	for (;;) {
		hodei_event *ev = next_event(q);
		bool hit = ev->type == HODEI_EVENT_JOB_STATE && ev->state == state;

		hodei_event_free(ev);
		if (hit)
			return;
	}
}

static void update_local(harness *h, const char *label)
{
	hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;
	const char *labels[1] = { label };

	cfg.name = "local";
	cfg.type = "local";
	cfg.max_workers = 1;
	cfg.labels = labels;
	cfg.nlabels = 1;
	if (hodei_provider_update(h->ctx, &cfg) != 0)
		fail_msg("update: %s", hodei_error_last());
}

static void provider_update_never_orphans_a_job(void **state)
{
	harness h;
	hodei_sub *q = NULL;
	hodei_sub_options qo = HODEI_SUB_OPTIONS_INIT;
	hodei_provider_info *info = NULL;
	hodei_job_id a, b, c;
	hodei_job *job;
	char script[400];

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	assert_int_equal(hodei_sub_open(&q, h.ctx, &qo), 0);
	snprintf(script, sizeof(script), "while [ ! -e '%s/go' ]; do sleep 0.01; done; echo done",
	         h.dir);
	/* A ends by itself after the update; B is cancelled after another */
	sh_job(&h, NULL, script, &a);
	wait_state(q, HODEI_JOB_RUNNING);
	update_local(&h, "round=1");
	assert_int_equal(hodei_provider_get(&info, h.ctx, "local"), 0);
	snprintf(script, sizeof(script), "touch '%s/go'", h.dir);
	assert_int_equal(system(script), 0);
	job = wait_job(&h, a.str); /* the job was not killed under the update */
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	hodei_job_free(job);
	assert_int_equal(info->current_jobs, 1);
	assert_string_equal(info->labels[0], "round=1"); /* the stored configuration */
	assert_non_null(strstr(info->status_message, "when its 1 running job(s) end"));
	hodei_provider_info_free(info);

	sh_job(&h, NULL, "exec sleep 600", &b);
	wait_state(q, HODEI_JOB_RUNNING);
	update_local(&h, "round=2");
	sh_job(&h, NULL, "echo after", &c); /* waits for the restart */
	assert_int_equal(hodei_job_cancel(h.ctx, b.str), 0);
	job = wait_job(&h, b.str);
	assert_int_equal(job->state, HODEI_JOB_CANCELLED);
	hodei_job_free(job);
	job = wait_job(&h, c.str);
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	hodei_job_free(job);
	assert_int_equal(hodei_provider_get(&info, h.ctx, "local"), 0);
	assert_string_equal(info->labels[0], "round=2");
	assert_int_equal(info->current_jobs, 0);
	hodei_provider_info_free(info);
	hodei_sub_close(q);
	harness_close(&h);
}

/* ---- providers that cannot start ---- */

static bool picky_create_fails;

/* Like docker: the endpoint must be unix://... */
static int picky_check(const hodei_provider_config *cfg)
{
	return cfg->endpoint && strncmp(cfg->endpoint, "unix://", 7) != 0 ? HODEI_EINVAL : 0;
}

static int picky_create(hodei_provider *provider, void **state)
{
	(void)provider;
	*state = NULL;
	return picky_create_fails ? HODEI_EINVAL : 0;
}

static int picky_provision(void *state, hodei_worker *w, const hodei_run_request *hint)
{
	(void)state;
	(void)hint;
	return hodei_worker_ready(w);
}

static const hodei_provider_ops picky_ops = {
	.version = HODEI_PROVIDER_OPS_VERSION,
	.type = "picky",
	.create = picky_create,
	.provision = picky_provision,
	.check = picky_check,
};

static const hodei_provider_ops fragile_ops = { /* version 1: no check */
	.version = 1,
	.type = "fragile",
	.create = picky_create,
	.provision = picky_provision,
};

static int add_picky(harness *h, const char *type, const char *name, const char *endpoint,
                     bool update)
{
	hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;

	cfg.name = name;
	cfg.type = type;
	cfg.endpoint = endpoint;
	return update ? hodei_provider_update(h->ctx, &cfg) : hodei_provider_add(h->ctx, &cfg);
}

static void invalid_providers_are_refused(void **state)
{
	harness h;
	hodei_provider_info *info = NULL;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job_id id;
	hodei_job *job = NULL;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	picky_create_fails = false;
	assert_int_equal(hodei_provider_type_register(h.ctx, &picky_ops), 0);
	assert_int_equal(hodei_provider_type_register(h.ctx, &fragile_ops), 0);
	assert_int_equal(add_picky(&h, "picky", "p", "ftp://nowhere", false), HODEI_EINVAL);
	assert_int_equal(hodei_provider_get(&info, h.ctx, "p"), HODEI_ENOTFOUND);
	assert_int_equal(add_picky(&h, "picky", "p", "unix:///run/x.sock", false), 0);
	assert_int_equal(add_picky(&h, "picky", "p", "ftp://nowhere", true), HODEI_EINVAL);
	assert_int_equal(hodei_provider_get(&info, h.ctx, "p"), 0);
	assert_string_equal(info->endpoint, "unix:///run/x.sock");
	hodei_provider_info_free(info);
	/* a version-1 type that cannot start: UNHEALTHY, and its job waits
	 * instead of the scheduler calling through ops it does not have */
	picky_create_fails = true;
	assert_int_equal(add_picky(&h, "fragile", "f", NULL, false), 0);
	assert_int_equal(hodei_provider_get(&info, h.ctx, "f"), 0);
	assert_int_equal(info->status, HODEI_PROVIDER_UNHEALTHY);
	hodei_provider_info_free(info);
	spec.command = "true";
	spec.provider = "f";
	assert_int_equal(hodei_job_submit(h.ctx, &spec, &id), 0);
	assert_int_equal(hodei_job_get(&job, h.ctx, id.str), 0);
	assert_int_equal(job->state, HODEI_JOB_QUEUED);
	hodei_job_free(job);
	/* fixed by an update: it starts, and the job runs there */
	picky_create_fails = false;
	assert_int_equal(add_picky(&h, "fragile", "f", NULL, true), 0);
	job = wait_job(&h, id.str);
	assert_int_equal(job->state, HODEI_JOB_FAILED); /* its workers cannot run jobs */
	assert_string_equal(job->provider, "f");
	hodei_job_free(job);
	harness_close(&h);
}

/* A provider row the API would refuse now, written into the store by hand
 * (an older version stored it).  At reopen it cannot start: it is never
 * called, so a job that needs a new worker (the scheduler looks at every
 * provider) waits for the local one instead of crashing the process. */
static void stored_bad_provider_is_never_called(void **state)
{
	harness h;
	hodei_provider_info *info = NULL;
	hodei_job_id a, b;
	hodei_job *job = NULL;
	sqlite3 *db;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	picky_create_fails = false;
	assert_int_equal(hodei_provider_type_register(h.ctx, &picky_ops), 0);
	assert_int_equal(add_picky(&h, "picky", "bad", "unix:///run/x.sock", false), 0);
	hodei_ctx_close(h.ctx);
	assert_int_equal(sqlite3_open(h.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE providers SET endpoint = 'ftp://nowhere'"
	                                  " WHERE name = 'bad'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	picky_create_fails = true; /* as docker's create refuses ftp:// */
	harness_open(&h, 1);
	assert_int_equal(hodei_provider_type_register(h.ctx, &picky_ops), 0);
	assert_int_equal(hodei_provider_get(&info, h.ctx, "bad"), 0);
	assert_int_equal(info->status, HODEI_PROVIDER_UNHEALTHY);
	hodei_provider_info_free(info);
	sh_job(&h, NULL, "exec sleep 600", &a); /* takes the one local worker */
	sh_job(&h, NULL, "true", &b);           /* needs a new worker */
	assert_int_equal(hodei_job_wait(&job, h.ctx, b.str, 50), HODEI_ETIMEDOUT);
	assert_int_equal(hodei_job_cancel(h.ctx, a.str), 0);
	job = wait_job(&h, b.str);
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	assert_string_equal(job->provider, "local");
	hodei_job_free(job);
	harness_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(close_subscription_from_a_callback),
		cmocka_unit_test(provider_update_never_orphans_a_job),
		cmocka_unit_test(invalid_providers_are_refused),
		cmocka_unit_test(stored_bad_provider_is_never_called),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
