/*
 * Graceful stops (lib/drain.c): a drain lets running jobs end and starts
 * nothing; close records a running local job as an orderly stop, queued
 * again as the same attempt.  Jobs block on a fifo the test writes.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

/* Wait (bounded) for job `id` to reach `state`, through a subscription. */
static void wait_state(hodei_sub *sub, const char *id, int state)
{
	hodei_event *ev;

	for (int turns = 0; turns < 1000; turns++) {
		if (hodei_sub_wait(sub, 30000) != 0)
			fail_msg("no event for %s", id);
		while (hodei_sub_next(sub, &ev) == 0) {
			int hit = ev->job_id && strcmp(ev->job_id, id) == 0 && ev->state == state;

			hodei_event_free(ev);
			if (hit)
				return;
		}
	}
	fail_msg("%s never reached state %d", id, state);
}

static void release(const char *fifo)
{
	int fd = open(fifo, O_WRONLY); /* blocks until the job reads: it is running */

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "go\n", 3), 3);
	close(fd);
}

static void fifo_job(harness *h, const char *id, char *fifo, size_t len)
{
	char script[600];

	snprintf(fifo, len, "%s/%s.fifo", h->dir, id);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(script, sizeof(script), "read x <'%s'", fifo);
	sh_job(h, id, script, NULL);
}

static void drain_starts_nothing(void **state)
{
	harness h;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_sub *sub;
	hodei_job *job;
	char fifo[400];

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	so.mask = HODEI_EVENT_JOB_STATE;
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	fifo_job(&h, "running", fifo, sizeof(fifo));
	wait_state(sub, "running", HODEI_JOB_RUNNING);
	sh_job(&h, "behind", "true", NULL);
	hodei_ctx_drain(h.ctx);
	assert_int_equal(hodei_ctx_running(h.ctx), 1);
	release(fifo);
	job = wait_job(&h, "running");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	hodei_job_free(job);
	/* the worker is free, but a draining scheduler assigns nothing */
	assert_int_equal(hodei_ctx_running(h.ctx), 0);
	assert_int_equal(hodei_job_get(&job, h.ctx, "behind"), 0);
	assert_int_equal(job->state, HODEI_JOB_QUEUED);
	hodei_job_free(job);
	hodei_sub_close(sub);
	harness_close(&h);
}

static void close_is_an_orderly_stop(void **state)
{
	harness h;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_ctx_options quiet = HODEI_CTX_OPTIONS_INIT;
	hodei_sub *sub;
	hodei_job *job;
	hodei_transition_list *hist;
	char fifo[400];
	int orderly = 0;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	so.mask = HODEI_EVENT_JOB_STATE;
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	fifo_job(&h, "stopped", fifo, sizeof(fifo));
	wait_state(sub, "stopped", HODEI_JOB_RUNNING);
	hodei_sub_close(sub);
	hodei_ctx_close(h.ctx);

	quiet.flags = HODEI_CTX_NO_LOCAL_PROVIDER; /* look without running it */
	harness_open_opts(&h, &quiet);
	assert_int_equal(hodei_job_get(&job, h.ctx, "stopped"), 0);
	assert_int_equal(job->state, HODEI_JOB_QUEUED);
	assert_int_equal(job->attempt, 1); /* not charged */
	hodei_job_free(job);
	assert_int_equal(hodei_job_history(&hist, h.ctx, "stopped"), 0);
	for (size_t i = 0; i < hist->count; i++) {
		assert_int_not_equal(hist->items[i].state, HODEI_JOB_FAILED);
		orderly += hist->items[i].reason &&
		           strstr(hist->items[i].reason, "orderly shutdown") != NULL;
	}
	assert_int_equal(orderly, 1);
	hodei_transition_list_free(hist);
	harness_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(drain_starts_nothing),
		cmocka_unit_test(close_is_an_orderly_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
