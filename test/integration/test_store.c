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
	if (!strstr(job->reason, "ECHILD"))
		fail_msg("reason: %s", job->reason);
	hodei_job_free(job);
	harness_close(&h);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

/*
 * A store whose jobs table cannot be read to the end: restart recovery must
 * say so, not requeue the first part and open as if that were all (a row
 * loop that stops at the first non-ROW result).  A leaf page of jobs in the
 * middle is zeroed: the jobs_state index still counts every job.
 */
static void recovery_scan_error_reaches_open(void **state)
{
	harness h;
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_ctx *ctx = NULL;
	char big[3000];
	int rc;

	(void)state;
	harness_dir(&h);
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER;
	harness_open_opts(&h, &opts);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 40; i++) {
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
		const char *args[] = { big };
		hodei_job_id id;

		spec.command = "true";
		spec.args = args;
		spec.nargs = 1;
		assert_int_equal(hodei_job_submit(h.ctx, &spec, &id), 0);
	}
	hodei_ctx_close(h.ctx);
	h.ctx = NULL;
	sh("p=$(sqlite3 '%s' \"SELECT pageno FROM dbstat WHERE name = 'jobs' AND pagetype = 'leaf'"
	   " ORDER BY pageno LIMIT 1 OFFSET 10\") && test -n \"$p\" &&"
	   " dd if=/dev/zero of='%s' bs=4096 seek=$p count=1 conv=notrunc status=none", h.db, h.db);
	opts.flags = HODEI_CTX_IGNORE_ENV | HODEI_CTX_NO_LOCAL_PROVIDER;
	opts.db_path = h.db;
	rc = hodei_ctx_open(&ctx, &opts);
	hodei_ctx_close(ctx);
	assert_int_equal(rc, HODEI_ENOTDB);
	assert_non_null(strstr(hodei_error_last(), "jobs.db"));
	harness_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(second_open_is_refused),
		cmocka_unit_test(child_reaped_elsewhere_fails),
		cmocka_unit_test(recovery_scan_error_reaches_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
