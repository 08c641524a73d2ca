/*
 * Every public function checks its arguments: a NULL context, out-pointer or
 * name is HODEI_EINVAL with the argument named, never a crash.
 */
#include <stdbool.h>

#include "harness.h"
#include <hodei/client.h>

/* rc is HODEI_EINVAL and the message names `arg`: first ("arg: ...") or,
 * with `among`, anywhere ("out, client and id: ..."). */
static void check_refused(int rc, const char *call, const char *arg, bool among)
{
	const char *msg = hodei_error_last();
	bool named = among ? strstr(msg, arg) != NULL
	                   : strncmp(msg, arg, strlen(arg)) == 0 && msg[strlen(arg)] == ':';

	if (rc != HODEI_EINVAL || !named)
		fail_msg("%s: %d '%s', expected EINVAL naming '%s'", call, rc, msg, arg);
}

#define REFUSED(call, arg) check_refused((call), #call, arg, false)
#define REFUSED_AMONG(call, arg) check_refused((call), #call, arg, true)

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

static void null_client(void **state)
{
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_job *job;
	hodei_job_page *page;
	hodei_log_stream *stream;
	hodei_log_page *logs;
	hodei_worker_array *workers;
	hodei_provider_array *providers;
	hodei_provider_info *info;
	hodei_call *call;
	hodei_job_id id;
	int status;

	(void)state;
	spec.command = "true";
	q.job_id = "x";
	REFUSED(hodei_client_open(NULL, NULL, NULL), "out");
	REFUSED_AMONG(hodei_client_health(NULL, NULL, &status), "client");
	REFUSED_AMONG(hodei_client_job_queue(NULL, &spec, &id), "client");
	REFUSED_AMONG(hodei_client_job_get(&job, NULL, "x"), "client");
	REFUSED_AMONG(hodei_client_job_list(&page, NULL, NULL), "client");
	REFUSED_AMONG(hodei_client_job_cancel(NULL, "x"), "client");
	REFUSED_AMONG(hodei_client_job_retry(NULL, "x"), "client");
	REFUSED_AMONG(hodei_client_log_follow(&stream, NULL, &q, 0), "client");
	REFUSED_AMONG(hodei_client_log_read(&logs, NULL, &q), "client");
	REFUSED_AMONG(hodei_client_worker_list(&workers, NULL), "client");
	REFUSED_AMONG(hodei_client_provider_list(&providers, NULL), "client");
	REFUSED_AMONG(hodei_client_provider_get(&info, NULL, "x"), "client");
	REFUSED_AMONG(hodei_call_open(&call, NULL, "/a.B/C", 0), "client");
	REFUSED(hodei_call_send(NULL, "", 0), "call");
	REFUSED(hodei_call_close_send(NULL), "call");
	assert_null(hodei_client_address(NULL));
	hodei_client_close(NULL);
	hodei_call_free(NULL);
	hodei_log_stream_free(NULL);
}

static void null_process_arguments(void **state)
{
	hodei_process_callbacks cb = { HODEI_PROCESS_CALLBACKS_VERSION, NULL, NULL };
	hodei_run_request req = { 0 };
	hodei_process *proc;

	(void)state;
	REFUSED(hodei_process_spawn(NULL, NULL, &req, &cb, NULL), "out");
	REFUSED(hodei_process_spawn(&proc, NULL, &req, &cb, NULL), "base");
	assert_int_equal(hodei_log_classify(NULL, 5, HODEI_STREAM_STDERR), HODEI_LEVEL_ERROR);
	hodei_process_cancel(NULL);
	hodei_process_free(NULL);
	assert_int_equal(hodei_process_pid(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(null_client),
		cmocka_unit_test(null_process_arguments),
		cmocka_unit_test(null_context),
		cmocka_unit_test(null_out_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
