/*
 * The store's transactions (lib/store.c): an inner level is a SAVEPOINT, so
 * its failure undoes only its own writes; a transition that cannot be
 * written is kept and written, in order, by the next transaction or a retry.
 * Writes are made to fail with PRAGMA query_only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

typedef struct fixture {
	char dir[64];
	char path[96];
	hodei_store *st;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/hodei-unit-XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/jobs.db", f->dir);
	if (hodei__store_open(&f->st, f->path, 0) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[128];

	hodei__store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int64_t insert(hodei_store *st, const char *id)
{
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	int64_t seq = 0, qseq;

	spec.command = "true";
	hodei__store_next_qseq(st, &qseq);
	assert_int_equal(hodei__store_insert_job(st, &spec, id, qseq, 1000, &seq), 0);
	return seq;
}

static int state_of(hodei_store *st, const char *id)
{
	hodei_job *job = NULL;
	int rc = hodei__store_load_job(st, 0, id, &job), state = job ? job->state : rc;

	hodei_job_free(job);
	return state;
}

static void inner_failure_undoes_only_its_level(void **state)
{
	fixture *f = *state;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	int64_t seq;

	spec.command = "true";
	assert_int_equal(hodei__store_begin(f->st), 0);
	insert(f->st, "outer");
	assert_int_equal(hodei__store_begin(f->st), 0);
	insert(f->st, "inner");
	assert_int_equal(hodei__store_insert_job(f->st, &spec, "outer", 9, 1000, &seq),
	                 HODEI_EEXISTS);
	assert_int_equal(hodei__store_end(f->st, HODEI_EEXISTS), HODEI_EEXISTS);
	assert_int_equal(hodei__store_end(f->st, 0), 0);
	assert_int_equal(state_of(f->st, "outer"), HODEI_JOB_QUEUED);
	assert_int_equal(state_of(f->st, "inner"), HODEI_ENOTFOUND);
}

static void failed_put_is_kept_and_retried_in_order(void **state)
{
	fixture *f = *state;
	sqlite3 *db = hodei__store_db(f->st);
	hodei__jobupd run = { 0 }, done = { 0 };
	int64_t seq = insert(f->st, "job");
	size_t lines = 9;

	run.state = HODEI_JOB_RUNNING;
	run.attempt = 1;
	run.at = 2000;
	done = run;
	done.state = HODEI_JOB_SUCCEEDED;
	done.reason = "fine";
	assert_int_equal(sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(hodei__store_put(f->st, seq, &run), 0);
	assert_int_equal(hodei__store_backlog(f->st, &lines), 1);
	assert_int_equal(lines, 0);
	assert_int_equal(hodei__store_put(f->st, seq, &done), 0); /* behind the first */
	assert_int_equal(hodei__store_backlog(f->st, NULL), 2);
	assert_int_not_equal(hodei__store_retry(f->st), 0);
	/* a new transaction makes what waits first: it cannot either */
	assert_int_not_equal(hodei__store_begin(f->st), 0);
	assert_int_not_equal(hodei__store_end(f->st, 0), 0);
	assert_int_equal(state_of(f->st, "job"), HODEI_JOB_QUEUED);
	assert_int_equal(sqlite3_exec(db, "PRAGMA query_only = 0", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(hodei__store_retry(f->st), 0);
	assert_int_equal(hodei__store_backlog(f->st, NULL), 0);
	assert_int_equal(state_of(f->st, "job"), HODEI_JOB_SUCCEEDED);
	{
		hodei_transition_list *l = NULL;

		assert_int_equal(hodei__store_history(f->st, seq, &l), 0);
		assert_int_equal(l->count, 3);
		assert_int_equal(l->items[1].state, HODEI_JOB_RUNNING);
		assert_int_equal(l->items[2].state, HODEI_JOB_SUCCEEDED);
		hodei_transition_list_free(l);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(inner_failure_undoes_only_its_level, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_put_is_kept_and_retried_in_order, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
