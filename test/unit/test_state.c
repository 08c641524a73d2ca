/* The job state machine and run outcomes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void transitions(void **state)
{
	(void)state;
	assert_true(hodei__state_allowed(HODEI_JOB_QUEUED, HODEI_JOB_ASSIGNED));
	assert_true(hodei__state_allowed(HODEI_JOB_ASSIGNED, HODEI_JOB_RUNNING));
	assert_true(hodei__state_allowed(HODEI_JOB_RUNNING, HODEI_JOB_SUCCEEDED));
	assert_true(hodei__state_allowed(HODEI_JOB_RUNNING, HODEI_JOB_TIMED_OUT));
	assert_true(hodei__state_allowed(HODEI_JOB_QUEUED, HODEI_JOB_CANCELLED));
	assert_true(hodei__state_allowed(HODEI_JOB_FAILED, HODEI_JOB_QUEUED));
	assert_false(hodei__state_allowed(HODEI_JOB_SUCCEEDED, HODEI_JOB_QUEUED));
	assert_false(hodei__state_allowed(HODEI_JOB_SUCCEEDED, HODEI_JOB_CANCELLED));
	assert_false(hodei__state_allowed(HODEI_JOB_QUEUED, HODEI_JOB_RUNNING));
	assert_false(hodei__state_allowed(HODEI_JOB_QUEUED, HODEI_JOB_SUCCEEDED));
	assert_false(hodei__state_allowed(HODEI_JOB_CANCELLED, HODEI_JOB_FAILED));
}

static void names_round_trip(void **state)
{
	int v;

	(void)state;
	for (int s = 1; s <= 7; s++) {
		assert_int_equal(hodei_job_state_parse(hodei_job_state_name(s), &v), 0);
		assert_int_equal(v, s);
	}
	assert_int_equal(hodei_priority_parse("critical", &v), 0);
	assert_int_equal(v, HODEI_PRIORITY_CRITICAL);
	assert_int_equal(hodei_priority_parse("urgent", &v), HODEI_EINVAL);
	assert_non_null(strstr(hodei_error_last(), "urgent"));
}

static void outcomes(void **state)
{
	hodei_run_result res = HODEI_RUN_RESULT_INIT;
	hodei__outcome o;

	(void)state;
	res.exit_code = 0;
	hodei__outcome_of_run(&o, &res, 1, 0, false, 1000);
	assert_int_equal(o.state, HODEI_JOB_SUCCEEDED);
	assert_false(o.requeue);

	res.exit_code = 3;
	hodei__outcome_of_run(&o, &res, 1, 0, false, 1000);
	assert_int_equal(o.state, HODEI_JOB_FAILED);
	assert_string_equal(o.reason, "exited with code 3");
	assert_false(o.requeue);

	hodei__outcome_of_run(&o, &res, 1, 2, false, 1000);
	assert_true(o.requeue);
	assert_false(o.keep_place); /* a failed attempt's retry queues at the end */
	assert_int_equal(o.delay_ms, 1000);
	hodei__outcome_of_run(&o, &res, 2, 2, false, 1000);
	assert_true(o.requeue);
	assert_int_equal(o.delay_ms, 2000); /* doubles per attempt */
	hodei__outcome_of_run(&o, &res, 3, 2, false, 1000);
	assert_false(o.requeue);

	res.exit_code = -1;
	res.term_signal = 9;
	res.timed_out = 1;
	hodei__outcome_of_run(&o, &res, 1, 0, false, 1000);
	assert_int_equal(o.state, HODEI_JOB_TIMED_OUT);

	hodei__outcome_of_run(&o, &res, 1, 5, true, 1000);
	assert_int_equal(o.state, HODEI_JOB_CANCELLED);
	assert_false(o.requeue);

	res.timed_out = 0;
	hodei__outcome_of_run(&o, &res, 1, 0, false, 1000);
	assert_int_equal(o.state, HODEI_JOB_FAILED);
	assert_non_null(strstr(o.reason, "signal 9"));
}

static void lost_worker_requeues_a_bounded_number_of_times(void **state)
{
	hodei__outcome o;

	(void)state;
	hodei__outcome_of_loss(&o, "stream broken", 1, 0, false, 1000);
	assert_int_equal(o.state, HODEI_JOB_FAILED);
	assert_true(o.requeue);
	assert_true(o.keep_place); /* not the job's fault: back to its place in the queue */
	assert_non_null(strstr(o.reason, "stream broken"));
	hodei__outcome_of_loss(&o, "stream broken", HODEI__LOST_RETRIES, 0, false, 1000);
	assert_true(o.requeue);
	hodei__outcome_of_loss(&o, "stream broken", 1 + HODEI__LOST_RETRIES, 0, false, 1000);
	assert_false(o.requeue);
	hodei__outcome_of_loss(&o, "gone", 1, 0, true, 1000);
	assert_int_equal(o.state, HODEI_JOB_CANCELLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(transitions),
		cmocka_unit_test(names_round_trip),
		cmocka_unit_test(outcomes),
		cmocka_unit_test(lost_worker_requeues_a_bounded_number_of_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
