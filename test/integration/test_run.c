/*
 * Real processes through the embedded library: exit codes, streams,
 * environment, big output, timeouts that kill whole process groups,
 * cancel, retry, priority order.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

static void exit_codes_and_streams(void **state)
{
	harness h;
	hodei_job *job;
	char *out;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 2);
	sh_job(&h, "ok", "echo to-stdout; echo to-stderr >&2; exit 0", NULL);
	sh_job(&h, "bad", "exit 7", NULL);
	job = wait_job(&h, "ok");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	assert_int_equal(job->exit_code, 0);
	assert_true(job->started_at >= job->created_at);
	assert_true(job->finished_at >= job->started_at);
	hodei_job_free(job);
	out = job_output(&h, "ok", HODEI_LEVEL_ERROR); /* stderr lines are ERROR */
	assert_string_equal(out, "to-stderr\n");
	free(out);
	out = job_output(&h, "ok", 0);
	assert_string_equal(out, "to-stdout\nto-stderr\n");
	free(out);
	job = wait_job(&h, "bad");
	assert_int_equal(job->state, HODEI_JOB_FAILED);
	assert_int_equal(job->exit_code, 7);
	assert_string_equal(job->reason, "exited with code 7");
	hodei_job_free(job);
	harness_close(&h);
}

static void argv_and_exact_environment(void **state)
{
	harness h;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	const char *args[] = { "-0" };
	const char *env[] = { "ENV=production", "VERSION=1.0.0", "SPACES=a b  c" };
	hodei_job *job;
	hodei_log_page *page;
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	char *out;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	spec.id = "env";
	spec.command = "env"; /* looked up in PATH, run without a shell */
	spec.env = env;
	spec.nenv = 3;
	assert_int_equal(hodei_job_submit(h.ctx, &spec, NULL), 0);
	job = wait_job(&h, "env");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	hodei_job_free(job);
	out = job_output(&h, "env", 0);
	{
		/* last, the local job's recovery mark: the store's id (32 hex
		 * digits), the job and the attempt */
		static const char fixed[] = "ENV=production\nVERSION=1.0.0\nSPACES=a b  c\n"
		                            "PATH=/usr/local/bin:/usr/bin:/bin\nHODEI_JOB_ID=env\n"
		                            "HODEI_JOB_NAME=env\nHODEI_JOB_ATTEMPT=1\n";
		const char *mark = out + strlen(fixed);

		assert_int_equal(strncmp(out, fixed, strlen(fixed)), 0);
		assert_int_equal(strncmp(mark, "HODEI_LOCAL_RUN=", 16), 0);
		assert_int_equal(strspn(mark + 16, "0123456789abcdef"), 32);
		assert_string_equal(mark + 16 + 32, "/env/1\n");
	}
	free(out);

	/* arguments arrive intact, one argv entry each, no shell splitting */
	spec = (hodei_job_spec)HODEI_JOB_SPEC_INIT;
	spec.id = "args";
	spec.command = "printf";
	{
		const char *pargs[] = { "[%s]\n", "two words", "$HOME", "*", "" };

		spec.args = pargs;
		spec.nargs = 5;
		assert_int_equal(hodei_job_submit(h.ctx, &spec, NULL), 0);
	}
	job = wait_job(&h, "args");
	hodei_job_free(job);
	q.job_id = "args";
	assert_int_equal(hodei_log_read(&page, h.ctx, &q), 0);
	assert_int_equal(page->count, 4);
	assert_string_equal(page->lines[0].text, "[two words]");
	assert_string_equal(page->lines[1].text, "[$HOME]");
	assert_string_equal(page->lines[2].text, "[*]");
	assert_string_equal(page->lines[3].text, "[]");
	hodei_log_page_free(page);
	(void)args;
	harness_close(&h);
}

static void fifty_megabytes_of_output(void **state)
{
	harness h;
	hodei_job *job;
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page;
	int64_t bytes = 0, lines = 0, last_seq = 0;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	/* 500,000 lines of 99 characters + '\n' = 50,000,000 bytes */
	sh_job(&h, "big", "yes 012345678901234567890123456789012345678901234567890123456789"
	                  "012345678901234567890123456789012345678 | head -n 500000", NULL);
	job = wait_job(&h, "big");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	assert_int_equal(job->log_lines, 500000);
	hodei_job_free(job);
	q.job_id = "big";
	q.limit = 10000;
	do {
		assert_int_equal(hodei_log_read(&page, h.ctx, &q), 0);
		for (size_t i = 0; i < page->count; i++) {
			assert_int_equal(page->lines[i].seq, last_seq + 1);
			last_seq = page->lines[i].seq;
			bytes += (int64_t)page->lines[i].len + 1;
			lines++;
		}
		q.after_seq = page->next_seq;
		hodei_log_page_free(page);
	} while (q.after_seq < 500000);
	assert_int_equal(lines, 500000);
	assert_int_equal(bytes, 50000000);
	harness_close(&h);
}

static int pidfd_of(int pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

typedef struct pid_collector {
	int pids[8];
	int n;
} pid_collector;

static void collect_pids(const hodei_event *ev, void *ud)
{
	pid_collector *c = ud;

	if (ev->type == HODEI_EVENT_JOB_LOG && c->n < 8 && ev->line.stream == HODEI_STREAM_STDOUT)
		c->pids[c->n++] = atoi(ev->line.text);
}

static void timeout_kills_the_whole_group(void **state)
{
	harness h;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_sub *sub;
	hodei_event *ev;
	hodei_job *job;
	int fds[3];

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	so.mask = HODEI_EVENT_JOB_LOG;
	so.job_id = "forky";
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	spec.id = "forky";
	spec.command = "sleep 1000 & echo $!; sh -c 'echo $$; exec sleep 1000' & "
	               "echo $$; wait";
	spec.flags = HODEI_JOB_SHELL;
	spec.timeout_ms = 400;
	assert_int_equal(hodei_job_submit(h.ctx, &spec, NULL), 0);
	{
		pid_collector c = { { 0 }, 0 };

		while (c.n < 3 && hodei_sub_wait(sub, 30000) == 0)
			while (hodei_sub_next(sub, &ev) == 0) {
				collect_pids(ev, &c);
				hodei_event_free(ev);
			}
		assert_int_equal(c.n, 3);
		for (int i = 0; i < 3; i++) {
			fds[i] = pidfd_of(c.pids[i]);
			assert_true(fds[i] >= 0);
		}
	}
	job = wait_job(&h, "forky");
	assert_int_equal(job->state, HODEI_JOB_TIMED_OUT);
	assert_string_equal(job->reason, "timed out");
	hodei_job_free(job);
	for (int i = 0; i < 3; i++) {
		struct pollfd p = { fds[i], POLLIN, 0 };

		/* every process of the job has exited (the fd turns readable) */
		assert_int_equal(poll(&p, 1, 10000), 1);
		close(fds[i]);
	}
	hodei_sub_close(sub);
	harness_close(&h);
}

static void cancel_running_and_queued(void **state)
{
	harness h;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_sub *sub;
	hodei_event *ev;
	hodei_job *job;
	bool running = false;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	so.mask = HODEI_EVENT_JOB_LOG;
	so.job_id = "long";
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	/* ignores TERM (and so does its sleep): only KILL stops it */
	sh_job(&h, "long", "trap '' TERM; echo ready; sleep 1000", NULL);
	sh_job(&h, "waiting", "echo never", NULL);
	while (!running && hodei_sub_wait(sub, 30000) == 0)
		while (hodei_sub_next(sub, &ev) == 0) {
			running |= strcmp(ev->line.text, "ready") == 0;
			hodei_event_free(ev);
		}
	assert_true(running);
	assert_int_equal(hodei_job_cancel(h.ctx, "waiting"), 0);
	assert_int_equal(hodei_job_cancel(h.ctx, "long"), 0);
	job = wait_job(&h, "long");
	assert_int_equal(job->state, HODEI_JOB_CANCELLED);
	assert_int_equal(job->term_signal, SIGKILL);
	hodei_job_free(job);
	job = wait_job(&h, "waiting");
	assert_int_equal(job->state, HODEI_JOB_CANCELLED);
	assert_int_equal(job->started_at, 0);
	hodei_job_free(job);
	assert_int_equal(hodei_job_cancel(h.ctx, "long"), HODEI_ESTATE);
	assert_int_equal(hodei_job_cancel(h.ctx, "nope"), HODEI_ENOTFOUND);
	assert_non_null(strstr(hodei_error_last(), "nope"));
	hodei_sub_close(sub);
	harness_close(&h);
}

static void retry_on_request_and_automatic(void **state)
{
	harness h;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job *job;
	hodei_transition_list *hist;
	char script[1024];

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	snprintf(script, sizeof(script), "test -f %s/m || { touch %s/m; exit 1; }", h.dir, h.dir);
	sh_job(&h, "flaky", script, NULL);
	job = wait_job(&h, "flaky");
	assert_int_equal(job->state, HODEI_JOB_FAILED);
	hodei_job_free(job);
	assert_int_equal(hodei_job_retry(h.ctx, "flaky"), 0);
	job = wait_job(&h, "flaky");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	assert_int_equal(job->attempt, 2);
	hodei_job_free(job);
	assert_int_equal(hodei_job_retry(h.ctx, "flaky"), HODEI_ESTATE);

	/* fails twice, then succeeds: max_retries 2 runs it three times */
	snprintf(script, sizeof(script), "n=$(cat %s/c 2>/dev/null || echo 0); echo $((n+1)) > %s/c;"
	         " test $n -ge 2", h.dir, h.dir);
	spec.id = "auto";
	spec.command = script;
	spec.flags = HODEI_JOB_SHELL;
	spec.max_retries = 2;
	assert_int_equal(hodei_job_submit(h.ctx, &spec, NULL), 0);
	job = wait_job(&h, "auto");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	assert_int_equal(job->attempt, 3);
	hodei_job_free(job);
	assert_int_equal(hodei_job_history(&hist, h.ctx, "auto"), 0);
	{
		int failed = 0, queued = 0, assigned = 0, running = 0;

		for (size_t i = 0; i < hist->count; i++) {
			failed += hist->items[i].state == HODEI_JOB_FAILED;
			queued += hist->items[i].state == HODEI_JOB_QUEUED;
			/* ASSIGNED and RUNNING are stored together: both rows, in order */
			assigned += hist->items[i].state == HODEI_JOB_ASSIGNED;
			running += hist->items[i].state == HODEI_JOB_RUNNING;
			if (hist->items[i].state == HODEI_JOB_RUNNING)
				assert_int_equal(hist->items[i - 1].state, HODEI_JOB_ASSIGNED);
		}
		assert_int_equal(failed, 2);
		assert_int_equal(queued, 3);
		assert_int_equal(assigned, 3);
		assert_int_equal(running, 3);
	}
	hodei_transition_list_free(hist);
	harness_close(&h);
}

typedef struct order_log {
	char ids[64][16];
	int n;
} order_log;

static void priority_order_under_load(void **state)
{
	harness h;
	hodei_job_spec specs[40];
	char ids[40][16];
	int prio[40];
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_sub *sub;
	hodei_event *ev;
	int started = 0, last_prio = 5, last_idx = -1;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	so.mask = HODEI_EVENT_JOB_STATE;
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	srand(7);
	for (int i = 0; i < 40; i++) {
		specs[i] = (hodei_job_spec)HODEI_JOB_SPEC_INIT;
		snprintf(ids[i], sizeof(ids[i]), "p%02d", i);
		prio[i] = 1 + rand() % 4;
		specs[i].id = ids[i];
		specs[i].command = "true";
		specs[i].priority = prio[i];
	}
	assert_int_equal(hodei_job_submit_batch(h.ctx, specs, 40, NULL, NULL), 0);
	while (started < 40 && hodei_sub_wait(sub, 30000) == 0)
		while (hodei_sub_next(sub, &ev) == 0) {
			if (ev->state == HODEI_JOB_RUNNING) {
				int idx = atoi(ev->job_id + 1);

				/* non-increasing priority; FIFO within one */
				assert_true(prio[idx] <= last_prio);
				if (prio[idx] == last_prio)
					assert_true(idx > last_idx);
				last_prio = prio[idx];
				last_idx = idx;
				started++;
			}
			hodei_event_free(ev);
		}
	assert_int_equal(started, 40);
	hodei_sub_close(sub);
	harness_close(&h);
}

static void command_not_found_and_workdir(void **state)
{
	harness h;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job *job;
	char *out;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	spec.id = "missing";
	spec.command = "no-such-program-hodei";
	assert_int_equal(hodei_job_submit(h.ctx, &spec, NULL), 0);
	job = wait_job(&h, "missing");
	assert_int_equal(job->state, HODEI_JOB_FAILED);
	assert_non_null(strstr(job->reason, "not found in PATH"));
	hodei_job_free(job);

	spec.id = "wd";
	spec.command = "pwd";
	spec.workdir = h.dir;
	assert_int_equal(hodei_job_submit(h.ctx, &spec, NULL), 0);
	job = wait_job(&h, "wd");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	hodei_job_free(job);
	out = job_output(&h, "wd", 0);
	assert_true(strncmp(out, h.dir, strlen(h.dir)) == 0);
	free(out);
	harness_close(&h);
}

static void progress_and_binary_output(void **state)
{
	harness h;
	hodei_job *job;
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	sh_job(&h, "prog", "echo '::progress::40'; printf 'a\\000b\\377\\n'; printf 'tail'", NULL);
	job = wait_job(&h, "prog");
	assert_int_equal(job->progress, 40);
	hodei_job_free(job);
	q.job_id = "prog";
	assert_int_equal(hodei_log_read(&page, h.ctx, &q), 0);
	assert_int_equal(page->count, 3);
	assert_int_equal(page->lines[0].level, HODEI_LEVEL_DEBUG);
	assert_int_equal(page->lines[1].len, 4);
	assert_memory_equal(page->lines[1].text, "a\0b\377", 4);
	assert_string_equal(page->lines[2].text, "tail");
	hodei_log_page_free(page);
	harness_close(&h);
}

/*
 * Log lines are numbered 1, 2, ... across every attempt of a job: automatic
 * retries, system lines and a retry on request all continue the numbering,
 * so no line overwrites or hides another.
 */
static void log_numbering_spans_attempts(void **state)
{
	harness h;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page = NULL;
	hodei_job *job;
	int user_lines = 0;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	spec.id = "numbered";
	spec.command = "echo a$HODEI_JOB_ATTEMPT; echo b$HODEI_JOB_ATTEMPT >&2; exit 3";
	spec.flags = HODEI_JOB_SHELL;
	spec.max_retries = 1;
	assert_int_equal(hodei_job_submit(h.ctx, &spec, NULL), 0);
	job = wait_job(&h, "numbered");
	assert_int_equal(job->state, HODEI_JOB_FAILED);
	assert_int_equal(job->attempt, 2);
	hodei_job_free(job);
	assert_int_equal(hodei_job_retry(h.ctx, "numbered"), 0);
	job = wait_job(&h, "numbered");
	assert_int_equal(job->attempt, 3);

	q.job_id = "numbered";
	q.limit = 1000;
	assert_int_equal(hodei_log_read(&page, h.ctx, &q), 0);
	assert_false(page->more);
	assert_true(page->count >= 6);
	for (size_t i = 0; i < page->count; i++) {
		const hodei_log_line *l = &page->lines[i];
		char want[8];

		assert_int_equal(l->seq, (int64_t)i + 1); /* no gap, no duplicate */
		if (l->stream == HODEI_STREAM_SYSTEM)
			continue;
		snprintf(want, sizeof(want), "%c%d", l->stream == HODEI_STREAM_STDOUT ? 'a' : 'b',
		         l->attempt);
		assert_int_equal(l->len, strlen(want));
		assert_memory_equal(l->text, want, l->len);
		user_lines++;
	}
	assert_int_equal(user_lines, 6); /* two lines from each of three attempts */
	assert_int_equal(job->last_log_seq, (int64_t)page->count);
	assert_int_equal(job->log_lines, (int64_t)page->count);
	hodei_log_page_free(page);
	hodei_job_free(job);
	harness_close(&h);
}

/*
 * A running job's lines before its chunk is sealed: a subscriber gets each
 * one as it is printed (from memory), a read sees it (the read stores the
 * open chunk's new part), and once the job ends the sealed chunk reads the
 * same, each line once.
 */
static void live_lines_before_the_chunk_is_sealed(void **state)
{
	harness h;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page;
	hodei_sub *sub;
	hodei_event *ev;
	hodei_job *job;
	char go[300], script[700];
	bool seen = false;
	int fd;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	snprintf(go, sizeof(go), "%s/go", h.dir);
	assert_int_equal(mkfifo(go, 0600), 0);
	so.mask = HODEI_EVENT_JOB_LOG;
	so.job_id = "tail";
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	snprintf(script, sizeof(script), "echo first; read x < '%s'; echo second", go);
	sh_job(&h, "tail", script, NULL);
	while (!seen && hodei_sub_wait(sub, 60000) == 0)
		while (hodei_sub_next(sub, &ev) == 0) {
			seen = seen || (ev->line.text && strcmp(ev->line.text, "first") == 0);
			hodei_event_free(ev);
		}
	assert_true(seen);
	q.job_id = "tail";
	assert_int_equal(hodei_log_read(&page, h.ctx, &q), 0);
	assert_int_equal(page->count, 1);
	assert_string_equal(page->lines[0].text, "first");
	hodei_log_page_free(page);
	fd = open(go, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "go\n", 3), 3);
	close(fd);
	job = wait_job(&h, "tail");
	assert_int_equal(job->log_lines, 2);
	hodei_job_free(job);
	assert_int_equal(hodei_log_read(&page, h.ctx, &q), 0);
	assert_int_equal(page->count, 2);
	assert_int_equal(page->lines[0].seq, 1);
	assert_string_equal(page->lines[0].text, "first");
	assert_int_equal(page->lines[1].seq, 2);
	assert_string_equal(page->lines[1].text, "second");
	hodei_log_page_free(page);
	q.after_seq = 1;
	assert_int_equal(hodei_log_read(&page, h.ctx, &q), 0);
	assert_int_equal(page->count, 1);
	assert_string_equal(page->lines[0].text, "second");
	hodei_log_page_free(page);
	hodei_sub_close(sub);
	harness_close(&h);
}

/* The attempt's CPU time and peak memory are recorded, and survive a reopen. */
static void cpu_time_and_peak_memory(void **state)
{
	harness h;
	hodei_job *big, *small;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	/* a 64 MiB string and a few million additions in awk */
	sh_job(&h, "heavy",
	       "awk 'BEGIN { s = \"x\"; for (i = 0; i < 26; i++) s = s s;"
	       " for (i = 0; i < 3000000; i++) x += i; print length(s) }'",
	       NULL);
	sh_job(&h, "light", "true", NULL);
	hodei_job_free(wait_job(&h, "heavy"));
	hodei_job_free(wait_job(&h, "light"));
	hodei_ctx_close(h.ctx);
	harness_open(&h, 1);
	assert_int_equal(hodei_job_get(&big, h.ctx, "heavy"), 0);
	assert_int_equal(hodei_job_get(&small, h.ctx, "light"), 0);
	assert_int_equal(big->state, HODEI_JOB_SUCCEEDED);
	assert_true(big->cpu_time_us > 0);
	assert_true(big->max_rss_kb >= 65536); /* at least the 64 MiB string */
	/* A small job reports at least the spawner's peak (see job.h), so only
	 * "measured" is checked for it; the sanitizer build's test process is
	 * bigger than the heavy job. */
	assert_true(small->max_rss_kb > 0);
	assert_true(small->cpu_time_us < big->cpu_time_us);
	hodei_job_free(big);
	hodei_job_free(small);
	harness_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_codes_and_streams),
		cmocka_unit_test(argv_and_exact_environment),
		cmocka_unit_test(fifty_megabytes_of_output),
		cmocka_unit_test(timeout_kills_the_whole_group),
		cmocka_unit_test(cancel_running_and_queued),
		cmocka_unit_test(retry_on_request_and_automatic),
		cmocka_unit_test(priority_order_under_load),
		cmocka_unit_test(command_not_found_and_workdir),
		cmocka_unit_test(progress_and_binary_output),
		cmocka_unit_test(log_numbering_spans_attempts),
		cmocka_unit_test(live_lines_before_the_chunk_is_sealed),
		cmocka_unit_test(cpu_time_and_peak_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
