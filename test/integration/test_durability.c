/*
 * Durability and bad input: a process holding the database is killed with
 * SIGKILL mid-job; reopening keeps the queue in order, requeues the job
 * that was running (after killing its orphan), and completes everything
 * exactly once.  Bad paths and bad files give specific errors.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static void child_holds_database(const char *db, int report_fd)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_ctx *ctx;
	hodei_sub *sub;
	hodei_event *ev;
	int pid = 0;
	char byte;
	static const char *const ids[] = { "q-low", "q-crit", "q-norm", "q-high", "q-norm2" };
	static const int prios[] = { 1, 4, 2, 3, 2 };

	opts.db_path = db;
	opts.local_workers = 1;
	opts.flags = HODEI_CTX_IGNORE_ENV;
	if (hodei_ctx_open(&ctx, &opts) != 0)
		_exit(10);
	so.mask = HODEI_EVENT_JOB_LOG;
	so.job_id = "victim";
	hodei_sub_open(&sub, ctx, &so);
	spec.id = "victim";
	spec.command = "if [ \"$HODEI_JOB_ATTEMPT\" = 1 ]; then echo $$; exec sleep 1000; fi;"
	               " echo second attempt";
	spec.flags = HODEI_JOB_SHELL;
	if (hodei_job_submit(ctx, &spec, NULL) != 0)
		_exit(11);
	while (!pid && hodei_sub_wait(sub, 30000) == 0)
		while (hodei_sub_next(sub, &ev) == 0) {
			pid = atoi(ev->line.text);
			hodei_event_free(ev);
		}
	for (int i = 0; i < 5; i++) {
		hodei_job_spec q = HODEI_JOB_SPEC_INIT;

		q.id = ids[i];
		q.command = "true";
		q.priority = prios[i];
		if (hodei_job_submit(ctx, &q, NULL) != 0)
			_exit(12);
	}
	if (write(report_fd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(13);
	/* hold everything open until killed */
	while (read(report_fd, &byte, 1) != 0)
		;
	_exit(0);
}

static void kill9_then_reopen(void **state)
{
	harness h;
	int sv[2], pid = 0, status, pidfd;
	pid_t child;
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_job *job;
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	hodei_job_page *page;
	hodei_transition_list *hist;
	static const char *const order[] = { "q-crit", "q-high", "q-norm", "q-norm2", "q-low" };

	(void)state;
	harness_dir(&h);
	assert_int_equal(pipe(sv), 0);
	child = fork();
	if (child == 0) {
		close(sv[0]);
		child_holds_database(h.db, sv[1]);
	}
	close(sv[1]);
	assert_int_equal(read(sv[0], &pid, sizeof(pid)), sizeof(pid));
	assert_true(pid > 0);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	assert_true(pidfd >= 0);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	close(sv[0]);

	/* look without running anything: the queue is intact */
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER;
	harness_open_opts(&h, &opts);
	{
		struct pollfd p = { pidfd, POLLIN, 0 };

		/* the orphaned job process was killed by recovery */
		assert_int_equal(poll(&p, 1, 10000), 1);
		close(pidfd);
	}
	assert_int_equal(hodei_job_get(&job, h.ctx, "victim"), 0);
	assert_int_equal(job->state, HODEI_JOB_QUEUED);
	assert_int_equal(job->attempt, 2);
	assert_non_null(strstr(job->reason, "worker lost"));
	hodei_job_free(job);
	f.state_mask = HODEI_STATE_BIT(HODEI_JOB_QUEUED);
	assert_int_equal(hodei_job_list(&page, h.ctx, &f), 0);
	assert_int_equal(page->count, 6);
	hodei_job_page_free(page);
	hodei_ctx_close(h.ctx);

	/* reopen for real: everything runs, in priority order, exactly once */
	{
		hodei_ctx_options o2 = HODEI_CTX_OPTIONS_INIT;
		hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
		hodei_sub *sub;
		hodei_event *ev;
		int n = 0, k = 0;

		o2.local_workers = 1;
		so.mask = HODEI_EVENT_JOB_STATE;
		harness_open_opts(&h, &o2);
		assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
		while (n < 6 && hodei_sub_wait(sub, 30000) == 0)
			while (hodei_sub_next(sub, &ev) == 0) {
				if (ev->state == HODEI_JOB_SUCCEEDED) {
					if (strcmp(ev->job_id, "victim") != 0)
						assert_string_equal(ev->job_id, order[k++]);
					n++;
				}
				hodei_event_free(ev);
			}
		assert_int_equal(n, 6);
		hodei_sub_close(sub);
	}
	for (int i = 0; i < 5; i++) {
		int succeeded = 0;

		assert_int_equal(hodei_job_history(&hist, h.ctx, order[i]), 0);
		for (size_t k = 0; k < hist->count; k++)
			succeeded += hist->items[k].state == HODEI_JOB_SUCCEEDED;
		assert_int_equal(succeeded, 1);
		hodei_transition_list_free(hist);
	}
	job = wait_job(&h, "victim");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	hodei_job_free(job);
	harness_close(&h);
}

static void bad_database_paths(void **state)
{
	harness h;
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_ctx *ctx = NULL;
	char path[400];
	int fd;

	(void)state;
	harness_dir(&h);
	opts.flags = HODEI_CTX_IGNORE_ENV;
	opts.db_path = "/nonexistent-dir-hodei/x.db";
	assert_int_equal(hodei_ctx_open(&ctx, &opts), HODEI_EIO);
	assert_null(ctx);
	assert_non_null(strstr(hodei_error_last(), "/nonexistent-dir-hodei/x.db"));

	snprintf(path, sizeof(path), "%s/garbage.db", h.dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_int_equal(write(fd, "this is not sqlite at all, just some text bytes......", 52), 52);
	close(fd);
	opts.db_path = path;
	assert_int_equal(hodei_ctx_open(&ctx, &opts), HODEI_ENOTDB);
	assert_non_null(strstr(hodei_error_last(), "garbage.db"));

	snprintf(path, sizeof(path), "%s/other.db", h.dir);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "sqlite3 '%s' 'CREATE TABLE t(x); INSERT INTO t VALUES(1);'",
		         path);
		assert_int_equal(system(cmd), 0);
	}
	opts.db_path = path;
	assert_int_equal(hodei_ctx_open(&ctx, &opts), HODEI_ENOTDB);
	assert_non_null(strstr(hodei_error_last(), "not a Hodei database"));

	/* A Hodei database from a newer Hodei: refused by name, left as it was. */
	snprintf(path, sizeof(path), "%s/newer.db", h.dir);
	opts.db_path = path;
	assert_int_equal(hodei_ctx_open(&ctx, &opts), 0);
	hodei_ctx_close(ctx);
	ctx = NULL;
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd),
		         "sqlite3 '%s' \"UPDATE meta SET value = '99' WHERE key = 'schema'\"", path);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(hodei_ctx_open(&ctx, &opts), HODEI_ENOTDB);
	assert_null(ctx);
	assert_non_null(strstr(hodei_error_last(), "newer.db: schema version 99"));
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd),
		         "test \"$(sqlite3 '%s' \"SELECT value FROM meta WHERE key = 'schema'\")\" = 99",
		         path);
		assert_int_equal(system(cmd), 0);
	}

	opts.db_path = "";
	assert_int_equal(hodei_ctx_open(&ctx, &opts), HODEI_EINVAL);
	opts.version = 77;
	assert_int_equal(hodei_ctx_open(&ctx, &opts), HODEI_EVERSION);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h.dir);
		assert_int_equal(system(cmd), 0);
	}
}

static void bad_submissions_lose_nothing(void **state)
{
	harness h;
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_job_spec specs[3] = { HODEI_JOB_SPEC_INIT, HODEI_JOB_SPEC_INIT, HODEI_JOB_SPEC_INIT };
	size_t bad = 99;
	int64_t count = -1;
	hodei_job *job;

	(void)state;
	harness_dir(&h);
	opts.max_queue_size = 3;
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER; /* nothing runs: the queue fills */
	harness_open_opts(&h, &opts);
	sh_job(&h, "job-001", "echo one", NULL);
	/* duplicate id */
	specs[0].id = "job-001";
	specs[0].command = "true";
	assert_int_equal(hodei_job_submit(h.ctx, &specs[0], NULL), HODEI_EEXISTS);
	assert_non_null(strstr(hodei_error_last(), "job-001"));
	/* a batch with one bad spec stores none of it */
	specs[0].id = "b1";
	specs[1].id = "b2";
	specs[1].command = "";
	specs[2].id = "b3";
	specs[2].command = "true";
	assert_int_equal(hodei_job_submit_batch(h.ctx, specs, 3, NULL, &bad), HODEI_EINVAL);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(hodei_error_last(), "command"));
	/* a batch whose second id already exists stores none of it */
	specs[1].command = "true";
	specs[1].id = "job-001";
	assert_int_equal(hodei_job_submit_batch(h.ctx, specs, 2, NULL, &bad), HODEI_EEXISTS);
	assert_int_equal(bad, 1);
	assert_int_equal(hodei_job_count(h.ctx, NULL, &count), 0);
	assert_int_equal(count, 1);
	/* queue limit */
	sh_job(&h, "job-002", "true", NULL);
	sh_job(&h, "job-003", "true", NULL);
	specs[0].id = "job-004";
	assert_int_equal(hodei_job_submit(h.ctx, &specs[0], NULL), HODEI_EFULL);
	assert_non_null(strstr(hodei_error_last(), "HODEI_MAX_QUEUE_SIZE"));
	assert_int_equal(hodei_job_get(&job, h.ctx, "job-404"), HODEI_ENOTFOUND);
	assert_null(job);
	assert_int_equal(hodei_job_retry(h.ctx, "job-001"), HODEI_ESTATE);
	/* what was stored is intact */
	assert_int_equal(hodei_job_get(&job, h.ctx, "job-001"), 0);
	assert_string_equal(job->command, "echo one");
	assert_int_equal(job->state, HODEI_JOB_QUEUED);
	hodei_job_free(job);
	harness_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kill9_then_reopen),
		cmocka_unit_test(bad_database_paths),
		cmocka_unit_test(bad_submissions_lose_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
