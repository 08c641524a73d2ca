/*
 * Every public function checks its arguments: a NULL context, out-pointer or
 * name is HODEI_EINVAL with the argument named, never a crash.
 */
#include "harness.h"

/* rc is HODEI_EINVAL and the message names `arg` first. */
#define REFUSED(call, arg)                                                                     \
	do {                                                                                       \
		int rc_ = (call);                                                                      \
		if (rc_ != HODEI_EINVAL || strncmp(hodei_error_last(), arg ":", strlen(arg ":")) != 0) \
			fail_msg("%s: %d '%s', expected EINVAL naming '%s'", #call, rc_,                   \
			         hodei_error_last(), arg);                                                 \
	} while (0)

static void null_context(void **state)
{
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_job *job;
	hodei_job_page *page;
	hodei_transition_list *hist;
	hodei_log_page *logs;
	hodei_metrics *m;
	hodei_provider_info *info;
	hodei_provider_array *providers;
	hodei_health_log *health;
	hodei_worker_array *workers;
	hodei_sub *sub;
	hodei_job_id id;
	int64_t n;

	(void)state;
	spec.command = "true";
	q.job_id = "x";
	REFUSED(hodei_job_submit(NULL, &spec, &id), "ctx");
	REFUSED(hodei_job_submit_batch(NULL, &spec, 1, &id, NULL), "ctx");
	REFUSED(hodei_job_get(&job, NULL, "x"), "ctx");
	REFUSED(hodei_job_cancel(NULL, "x"), "ctx");
	REFUSED(hodei_job_retry(NULL, "x"), "ctx");
	REFUSED(hodei_job_wait(&job, NULL, "x", 0), "ctx");
	REFUSED(hodei_job_list(&page, NULL, NULL), "ctx");
	REFUSED(hodei_job_count(NULL, NULL, &n), "ctx");
	REFUSED(hodei_job_history(&hist, NULL, "x"), "ctx");
	REFUSED(hodei_log_read(&logs, NULL, &q), "ctx");
	REFUSED(hodei_metrics_get(&m, NULL, HODEI_RANGE_NONE), "ctx");
	REFUSED(hodei_sub_open(&sub, NULL, &so), "ctx");
	REFUSED(hodei_provider_add(NULL, &cfg), "ctx");
	REFUSED(hodei_provider_update(NULL, &cfg), "ctx");
	REFUSED(hodei_provider_remove(NULL, "x"), "ctx");
	REFUSED(hodei_provider_set_status(NULL, "x", HODEI_PROVIDER_ACTIVE, NULL), "ctx");
	REFUSED(hodei_provider_get(&info, NULL, "x"), "ctx");
	REFUSED(hodei_provider_list(&providers, NULL), "ctx");
	REFUSED(hodei_provider_health_log(&health, NULL, "x", 0), "ctx");
	REFUSED(hodei_worker_list(&workers, NULL), "ctx");
	REFUSED(hodei_ctx_sweep_logs(NULL, NULL), "ctx");
	assert_null(hodei_ctx_event_base(NULL));
	hodei_ctx_close(NULL);
	hodei_sub_close(NULL);
	assert_int_equal(hodei_sub_fd(NULL), -1);
}

static void null_out_and_names(void **state)
{
	harness h;
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_sub *sub = NULL;
	hodei_event *ev;
	hodei_job *job;
	hodei_health_log *health;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	q.job_id = "x";
	REFUSED(hodei_job_submit(h.ctx, NULL, NULL), "spec");
	REFUSED(hodei_job_submit_batch(h.ctx, NULL, 1, NULL, NULL), "specs");
	REFUSED(hodei_job_get(NULL, h.ctx, "x"), "out");
	REFUSED(hodei_job_get(&job, h.ctx, NULL), "id");
	REFUSED(hodei_job_cancel(h.ctx, NULL), "id");
	REFUSED(hodei_job_retry(h.ctx, NULL), "id");
	REFUSED(hodei_job_wait(NULL, h.ctx, NULL, 0), "id");
	REFUSED(hodei_job_list(NULL, h.ctx, NULL), "out");
	REFUSED(hodei_job_count(h.ctx, NULL, NULL), "count");
	REFUSED(hodei_job_history(NULL, h.ctx, "x"), "out");
	REFUSED(hodei_log_read(NULL, h.ctx, &q), "out");
	REFUSED(hodei_metrics_get(NULL, h.ctx, HODEI_RANGE_NONE), "out");
	REFUSED(hodei_sub_open(NULL, h.ctx, &so), "out");
	REFUSED(hodei_sub_open(&sub, h.ctx, NULL), "options");
	REFUSED(hodei_provider_add(h.ctx, NULL), "config");
	REFUSED(hodei_provider_update(h.ctx, NULL), "config");
	REFUSED(hodei_provider_remove(h.ctx, NULL), "name");
	REFUSED(hodei_provider_set_status(h.ctx, NULL, HODEI_PROVIDER_ACTIVE, NULL), "name");
	REFUSED(hodei_provider_get(NULL, h.ctx, "x"), "out");
	REFUSED(hodei_provider_list(NULL, h.ctx), "out");
	REFUSED(hodei_provider_health_log(NULL, h.ctx, "x", 0), "out");
	REFUSED(hodei_provider_health_log(&health, h.ctx, NULL, 0), "name");
	REFUSED(hodei_worker_list(NULL, h.ctx), "out");
	REFUSED(hodei_ctx_options_init(NULL, HODEI_CTX_OPTIONS_VERSION), "opts");
	REFUSED(hodei_job_state_parse("QUEUED", NULL), "state");
	REFUSED(hodei_priority_parse("HIGH", NULL), "priority");
	REFUSED(hodei_log_level_parse("INFO", NULL), "level");
	REFUSED(hodei_range_parse("1h", NULL), "range");
	REFUSED(hodei_provider_status_parse("ACTIVE", NULL), "status");
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	REFUSED(hodei_sub_next(sub, NULL), "out");
	REFUSED(hodei_sub_next(NULL, &ev), "sub");
	REFUSED(hodei_sub_wait(NULL, 0), "sub");
	hodei_sub_close(sub);
	harness_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(null_context),
		cmocka_unit_test(null_out_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
