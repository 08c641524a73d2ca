/*
 * The store as the one owner of durability (issues 12 and 13): one process
 * per store, every SQLite failure reaches its caller, a child reaped by
 * someone else is a failed run, and a full disk loses no state and no line
 * without saying so.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* A second open, in this process or another, fails at once and names the
 * holder; once the holder closes, the store opens again. */
static void second_open_is_refused(void **state)
{
	harness h;
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_ctx *second = NULL;
	char pid[32];
	int status;
	pid_t child;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	sh_job(&h, "held", "true", NULL);
	snprintf(pid, sizeof(pid), "process %ld ", (long)getpid());
	opts.db_path = h.db;
	opts.flags = HODEI_CTX_IGNORE_ENV;
	assert_int_equal(hodei_ctx_open(&second, &opts), HODEI_ELOCKED);
	assert_null(second);
	assert_non_null(strstr(hodei_error_last(), pid));
	assert_non_null(strstr(hodei_error_last(), h.db));
	assert_string_equal(hodei_strerror(HODEI_ELOCKED), "the store is in use by another process");

	child = fork();
	if (child == 0) { /* another process: refused too, before any recovery */
		int rc = hodei_ctx_open(&second, &opts);

		_exit(rc == HODEI_ELOCKED && strstr(hodei_error_last(), pid) ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	hodei_ctx_close(h.ctx);
	assert_int_equal(hodei_ctx_open(&h.ctx, &opts), 0);
	{
		hodei_job *job = wait_job(&h, "held");

		assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
		hodei_job_free(job);
	}
	harness_close(&h);
}

/* An embedder that ignores SIGCHLD: the kernel reaps the job, its status is
 * gone, and the run is a failure that says so, never exit 0. */
static void child_reaped_elsewhere_fails(void **state)
{
	harness h;
	hodei_job *job;
	struct sigaction ign = { 0 }, old;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	ign.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
	sh_job(&h, "reaped", "true", NULL);
	job = wait_job(&h, "reaped");
	assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
	assert_int_equal(job->state, HODEI_JOB_FAILED);
	assert_non_null(job->reason);
	assert_non_null(strstr(job->reason, "ECHILD"));
	hodei_job_free(job);
	harness_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(second_open_is_refused),
		cmocka_unit_test(child_reaped_elsewhere_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
