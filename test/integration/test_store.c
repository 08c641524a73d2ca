/*
 * The store as the one owner of durability (issues 12 and 13): one process
 * per store, every SQLite failure reaches its caller, a child reaped by
 * someone else is a failed run, and a full disk loses no state and no line
 * without saying so.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

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

/* A job's log past HODEI_MAX_LOG_BYTES: a marker line, the rest counted. */
static void log_limit_counts_the_rest(void **state)
{
	harness h;
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_job *job;
	char *out;

	(void)state;
	harness_dir(&h);
	setenv("HODEI_MAX_LOG_BYTES", "1000", 1);
	opts.db_path = h.db;
	opts.local_workers = 1;
	opts.kill_grace_ms = 300;
	assert_int_equal(hodei_ctx_open(&h.ctx, &opts), 0);
	unsetenv("HODEI_MAX_LOG_BYTES");
	/* 100 lines of 49 bytes: 20 fit in 1000 */
	sh_job(&h, "chatty", "seq -f '%048g' 1 100", NULL);
	job = wait_job(&h, "chatty");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	assert_int_equal(job->log_lines_lost, 80);
	assert_int_equal(job->log_lines, 21); /* and the marker */
	hodei_job_free(job);
	out = job_output(&h, "chatty", 0);
	assert_non_null(strstr(out, "000000000000000000000000000000000000000000000020\n"));
	assert_null(strstr(out, "000000000000000000000000000000000000000000000021"));
	free(out);
	{
		hodei_log_query q = HODEI_LOG_QUERY_INIT;
		hodei_log_page *page;

		q.job_id = "chatty";
		q.after_seq = 20;
		assert_int_equal(hodei_log_read(&page, h.ctx, &q), 0);
		assert_int_equal(page->count, 1);
		assert_int_equal(page->lines[0].stream, HODEI_STREAM_SYSTEM);
		assert_non_null(strstr(page->lines[0].text, "log limit reached"));
		hodei_log_page_free(page);
	}
	harness_close(&h);
}

static void on_diag(int level, const char *message, void *userdata)
{
	(void)level;
	(void)userdata;
	if (getenv("TEST_STORE_DIAG"))
		fprintf(stderr, "diag: %s\n", message);
}

static void fifo_say(const char *path)
{
	int fd = open(path, O_WRONLY); /* blocks until the job opens it */

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "go\n", 3), 3);
	close(fd);
}

/* Live lines of a job until one contains `text` (they come at capture,
 * stored or not). */
static void wait_line(hodei_sub *sub, const char *text)
{
	hodei_event *ev;
	int seen = 0;

	while (!seen && hodei_sub_wait(sub, 120000) == 0)
		while (hodei_sub_next(sub, &ev) == 0) {
			seen = seen || (ev->line.text && strstr(ev->line.text, text));
			hodei_event_free(ev);
		}
	assert_true(seen);
}

/*
 * A full disk under a chatty job (a 24 MiB tmpfs, filled): 4 MB of lines
 * cannot be stored.  Once they are all captured, a submit is refused with
 * HODEI_ENOSPC.  When space is freed, everything kept is stored: the job
 * ends SUCCEEDED with every line, none lost, and the next job runs.
 */
static void disk_full_then_freed(void **state)
{
	harness h;
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	char mnt[300], go1[300], go2[300], script[1200];
	hodei_sub *sub;
	hodei_job *job;
	char *out;
	int rc;

	(void)state;
	harness_dir(&h);
	snprintf(mnt, sizeof(mnt), "%s/small", h.dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=24m") != 0) {
		harness_close(&h);
		skip(); /* needs root (CAP_SYS_ADMIN) */
	}
	snprintf(go1, sizeof(go1), "%s/go1", h.dir);
	snprintf(go2, sizeof(go2), "%s/go2", h.dir);
	assert_int_equal(mkfifo(go1, 0600), 0);
	assert_int_equal(mkfifo(go2, 0600), 0);
	snprintf(h.db, sizeof(h.db), "%s/jobs.db", mnt);
	opts.local_workers = 1;
	opts.diag = on_diag;
	opts.diag_level = HODEI_DIAG_INFO;
	harness_open_opts(&h, &opts);
	so.mask = HODEI_EVENT_JOB_LOG;
	so.job_id = "chatty";
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	/* 40,000 lines of 100 bytes: 4 MB, far more than the full disk's slack */
	snprintf(script, sizeof(script), "read x < '%s'; seq -f 'line %%06g %0*d' 1 40000;"
	         " read y < '%s'; echo done", go1, 87, 0, go2);
	sh_job(&h, "chatty", script, NULL);
	sh("dd if=/dev/zero of='%s/filler' bs=64k 2>/dev/null; true", mnt);
	fifo_say(go1);
	wait_line(sub, "line 040000 ");

	spec.command = "true";
	rc = hodei_job_submit(h.ctx, &spec, NULL);
	assert_int_equal(rc, HODEI_ENOSPC);
	assert_non_null(strstr(hodei_error_last(), "full"));
	assert_string_equal(hodei_strerror(rc), "no space left to store it");

	sh("rm -f '%s/filler'", mnt);
	fifo_say(go2);
	job = wait_job(&h, "chatty");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	assert_int_equal(job->log_lines_lost, 0);
	assert_int_equal(job->log_lines, 40001);
	hodei_job_free(job);
	out = job_output(&h, "chatty", 0);
	assert_non_null(strstr(out, "line 000001 0"));
	assert_non_null(strstr(out, "line 040000 0"));
	assert_non_null(strstr(out, "\ndone\n"));
	free(out);
	sh_job(&h, "after", "echo after", NULL); /* the scheduler goes on */
	job = wait_job(&h, "after");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	hodei_job_free(job);
	hodei_sub_close(sub);
	hodei_ctx_close(h.ctx);
	h.ctx = NULL;
	assert_int_equal(umount(mnt), 0);
	harness_close(&h);
}

/* Run an embedded loop until job `id` reports `want` on sub. */
static void loop_until_state(struct event_base *base, hodei_sub *sub, int want)
{
	hodei_event *ev;
	int seen = 0;

	while (!seen) {
		event_base_loop(base, EVLOOP_ONCE);
		while (hodei_sub_next(sub, &ev) == 0) {
			seen = seen || ev->state == want;
			hodei_event_free(ev);
		}
	}
}

/*
 * Memory never runs ahead of the store for an action: a job ends while the
 * disk is full (its SUCCEEDED waits in the backlog, the row still says
 * RUNNING).  A cancel or a retry then must not act on that stale row: while
 * the store cannot write they fail naming the job; once space is back (and
 * before the retry timer ran: an embedded loop nobody dispatches) the cancel
 * sees the stored SUCCEEDED and is refused, and the history never says
 * CANCELLED after SUCCEEDED.
 */
static void no_action_on_a_stale_row(void **state)
{
	harness h;
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_transition_list *hist;
	struct event_base *base;
	char mnt[300], go[300], script[600];
	hodei_sub *sub;
	hodei_job *job;
	int rc;

	(void)state;
	harness_dir(&h);
	snprintf(mnt, sizeof(mnt), "%s/small", h.dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=16m") != 0) {
		harness_close(&h);
		skip(); /* needs root (CAP_SYS_ADMIN) */
	}
	snprintf(go, sizeof(go), "%s/go", h.dir);
	assert_int_equal(mkfifo(go, 0600), 0);
	snprintf(h.db, sizeof(h.db), "%s/jobs.db", mnt);
	assert_non_null(base = event_base_new());
	opts.event_base = base;
	opts.local_workers = 1;
	opts.diag = on_diag;
	harness_open_opts(&h, &opts);
	so.mask = HODEI_EVENT_JOB_STATE;
	so.job_id = "held";
	assert_int_equal(hodei_sub_open(&sub, h.ctx, &so), 0);
	/* 1 MB of lines after the go: more than the full disk takes */
	snprintf(script, sizeof(script), "read x < '%s'; seq -f 'line %%06g %0*d' 1 10000", go,
	         87, 0);
	sh_job(&h, "held", script, NULL);
	loop_until_state(base, sub, HODEI_JOB_RUNNING);
	sh("dd if=/dev/zero of='%s/filler' bs=64k 2>/dev/null; true", mnt);
	fifo_say(go);
	loop_until_state(base, sub, HODEI_JOB_SUCCEEDED); /* in memory; the store is full */

	rc = hodei_job_cancel(h.ctx, "held");
	assert_int_equal(rc, HODEI_ENOSPC);
	assert_non_null(strstr(hodei_error_last(), "job 'held': its last change is not stored"));
	rc = hodei_job_retry(h.ctx, "held");
	assert_int_equal(rc, HODEI_ENOSPC);
	assert_non_null(strstr(hodei_error_last(), "job 'held': its last change is not stored"));

	sh("rm -f '%s/filler'", mnt);
	rc = hodei_job_cancel(h.ctx, "held"); /* the backlog first, then the row */
	assert_int_equal(rc, HODEI_ESTATE);
	assert_non_null(strstr(hodei_error_last(), "already ended (SUCCEEDED)"));
	assert_int_equal(hodei_job_get(&job, h.ctx, "held"), 0);
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	hodei_job_free(job);
	assert_int_equal(hodei_job_history(&hist, h.ctx, "held"), 0);
	assert_true(hist->count >= 1);
	assert_int_equal(hist->items[hist->count - 1].state, HODEI_JOB_SUCCEEDED);
	for (size_t i = 0; i < hist->count; i++)
		assert_int_not_equal(hist->items[i].state, HODEI_JOB_CANCELLED);
	hodei_transition_list_free(hist);
	assert_int_equal(hodei_job_retry(h.ctx, "held"), HODEI_ESTATE); /* SUCCEEDED: no retry */
	hodei_sub_close(sub);
	hodei_ctx_close(h.ctx);
	h.ctx = NULL;
	event_base_free(base);
	assert_int_equal(umount(mnt), 0);
	harness_close(&h);
}

/*
 * A job no provider can take fails while another connection holds the
 * store's write lock (SQLITE_BUSY after the busy timeout): the FAILED it
 * gets when it leaves the queue is kept and stored by the retry, never lost
 * with the row left QUEUED that no queue holds any more.
 */
static void unplaceable_job_fails_through_a_locked_store(void **state)
{
	harness h;
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_provider_config pc = HODEI_PROVIDER_CONFIG_INIT;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	struct event_base *base;
	sqlite3 *db;
	hodei_job *job = NULL;
	hodei_job_id id;

	(void)state;
	harness_dir(&h);
	assert_non_null(base = event_base_new());
	opts.event_base = base;
	opts.local_workers = 1;
	opts.diag = on_diag;
	harness_open_opts(&h, &opts);
	pc.name = "local";
	pc.type = "local";
	pc.max_vcpus = 1;
	assert_int_equal(hodei_provider_update(h.ctx, &pc), 0);
	spec.id = "big";
	spec.command = "true";
	spec.cpu_millis = 4000;
	assert_int_equal(hodei_job_submit(h.ctx, &spec, &id), 0); /* the pump waits for the loop */
	assert_int_equal(sqlite3_open(h.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK); /* the pump: its write is refused */
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_int_equal(hodei_job_wait(&job, h.ctx, "big", 20000), 0);
	assert_int_equal(job->state, HODEI_JOB_FAILED);
	assert_non_null(job->reason);
	assert_non_null(strstr(job->reason, "no provider can offer 4000 millicores"));
	hodei_job_free(job);
	hodei_ctx_close(h.ctx);
	h.ctx = NULL;
	event_base_free(base);
	harness_close(&h);
}

/* One integer from the store, through the sqlite3 shell (read-only). */
static long long sql_int(const char *db, const char *query)
{
	char cmd[1024], out[64] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "sqlite3 -readonly '%s' \"%s\"", db, query);
	f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(out, sizeof(out), f))
		out[0] = '\0';
	assert_int_equal(pclose(f), 0);
	return strtoll(out, NULL, 10);
}

static hodei_log_page *read_page(harness *h, const char *id, int64_t after, int min_level,
                                 const char *contains, size_t limit)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page = NULL;

	q.job_id = id;
	q.after_seq = after;
	q.min_level = min_level;
	q.contains = contains;
	q.limit = limit;
	if (hodei_log_read(&page, h->ctx, &q) != 0)
		fail_msg("hodei_log_read: %s", hodei_error_last());
	return page;
}

/*
 * A log of 30,000 lines spans many chunks: read in pages of any size it is
 * every line once, in order, seqs without a gap; read from any seq it
 * starts right after it; level and text filters find their lines in every
 * chunk; and the store holds it in chunk rows a fraction of its size.
 */
static void chunks_read_from_anywhere(void **state)
{
	harness h;
	hodei_log_page *page;
	hodei_job *job;
	int64_t next = 0, after = 0;
	char want[80], q[200];
	int more, n = 0;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 1);
	sh_job(&h, "long", "seq -f 'line %06g of a log like any other' 1 30000 |"
	       " sed '0~1000s/^/ERROR /'", NULL);
	job = wait_job(&h, "long");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	assert_int_equal(job->log_lines, 30000);
	assert_int_equal(job->last_log_seq, 30000);
	assert_int_equal(job->log_lines_lost, 0);
	snprintf(q, sizeof(q), "SELECT count(*) FROM log_chunks WHERE job_seq = %lld",
	         (long long)job->seq);
	assert_true(sql_int(h.db, q) >= 10);
	assert_int_equal(sql_int(h.db, "SELECT count(*) FROM logs"), 0);
	/* compressed: less than half of what the job wrote */
	snprintf(q, sizeof(q), "SELECT sum(length(data)) FROM log_chunks WHERE job_seq = %lld",
	         (long long)job->seq);
	assert_true(sql_int(h.db, q) * 2 < job->log_bytes);
	hodei_job_free(job);
	/* every line, pages of 777 */
	do {
		page = read_page(&h, "long", after, 0, NULL, 777);
		for (size_t i = 0; i < page->count; i++) {
			const hodei_log_line *l = &page->lines[i];

			assert_int_equal(l->seq, ++next);
			snprintf(want, sizeof(want), "%sline %06lld of a log like any other",
			         next % 1000 ? "" : "ERROR ", (long long)next);
			assert_int_equal(l->len, strlen(want));
			assert_string_equal(l->text, want);
			assert_int_equal(l->level, next % 1000 ? HODEI_LEVEL_INFO : HODEI_LEVEL_ERROR);
		}
		after = page->next_seq;
		more = page->more;
		hodei_log_page_free(page);
	} while (more);
	assert_int_equal(next, 30000);
	/* from the middle of a chunk, and from a chunk's edge */
	for (int64_t from = 12345; from <= 12346; from++) {
		page = read_page(&h, "long", from, 0, NULL, 3);
		assert_int_equal(page->count, 3);
		assert_int_equal(page->lines[0].seq, from + 1);
		snprintf(want, sizeof(want), "line %06lld of", (long long)from + 1);
		assert_non_null(strstr(page->lines[0].text, want));
		assert_int_equal(page->next_seq, from + 3);
		assert_true(page->more);
		hodei_log_page_free(page);
	}
	/* errors only, 7 a page: 30 of them, in every chunk */
	after = 0;
	do {
		page = read_page(&h, "long", after, HODEI_LEVEL_ERROR, NULL, 7);
		for (size_t i = 0; i < page->count; i++)
			assert_int_equal(page->lines[i].seq, ++n * 1000);
		after = page->next_seq;
		more = page->more;
		hodei_log_page_free(page);
	} while (more);
	assert_int_equal(n, 30);
	page = read_page(&h, "long", 0, 0, "line 029999 ", 10);
	assert_int_equal(page->count, 1);
	assert_int_equal(page->lines[0].seq, 29999);
	assert_false(page->more);
	hodei_log_page_free(page);
	page = read_page(&h, "long", 30000, 0, NULL, 10); /* past the end */
	assert_int_equal(page->count, 0);
	assert_int_equal(page->next_seq, 30000);
	hodei_log_page_free(page);
	harness_close(&h);
}

/*
 * A store of schema 4 (a line per row in logs) opens: its lines read as
 * before, filters included, and a job run after the migration has its
 * lines in chunks.  The fixture is made here: a store written now, taken
 * back to schema 4 by hand (log_chunks gone, the lines as rows of logs).
 */
static void opens_a_v4_store(void **state)
{
	harness h;
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_log_page *page;
	hodei_job *job;
	char *out;

	(void)state;
	harness_dir(&h);
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER;
	harness_open_opts(&h, &opts);
	sh_job(&h, "old", "true", NULL); /* stays queued: no provider */
	hodei_ctx_close(h.ctx);
	h.ctx = NULL;
	/* what schemas 5 (log chunks) and 6 (API tokens, secrets) added, undone */
	sh("sqlite3 '%s' \"DROP TABLE log_chunks; DROP TABLE api_tokens;"
	   " ALTER TABLE jobs DROP COLUMN token_name; ALTER TABLE jobs DROP COLUMN secret_names;"
	   " ALTER TABLE jobs DROP COLUMN secret_env; UPDATE meta SET value = '4' WHERE key = 'schema';"
	   " INSERT INTO logs(job_seq, seq, ts_us, stream, level, attempt, flags, text)"
	   " SELECT seq, 1, 1000, 1, 2, 1, 0, CAST('old line one' AS BLOB) FROM jobs;"
	   " INSERT INTO logs SELECT seq, 2, 2000, 2, 4, 1, 0, CAST('ERROR old two' AS BLOB)"
	   " FROM jobs; INSERT INTO logs SELECT seq, 3, 3000, 1, 2, 1, 0, CAST('old three' AS BLOB)"
	   " FROM jobs; UPDATE jobs SET log_lines = 3, last_log_seq = 3, log_bytes = 35\"", h.db);
	harness_open(&h, 1);
	assert_int_equal(sql_int(h.db, "SELECT value FROM meta WHERE key = 'schema'"), 6);
	out = job_output(&h, "old", 0);
	assert_string_equal(out, "old line one\nERROR old two\nold three\n");
	free(out);
	page = read_page(&h, "old", 0, HODEI_LEVEL_ERROR, NULL, 10);
	assert_int_equal(page->count, 1);
	assert_int_equal(page->lines[0].seq, 2);
	assert_int_equal(page->lines[0].stream, HODEI_STREAM_STDERR);
	hodei_log_page_free(page);
	page = read_page(&h, "old", 1, 0, NULL, 1);
	assert_int_equal(page->count, 1);
	assert_int_equal(page->lines[0].seq, 2);
	assert_true(page->more);
	hodei_log_page_free(page);
	/* the old job runs now (it was queued): its new lines follow the old */
	job = wait_job(&h, "old");
	assert_int_equal(job->state, HODEI_JOB_SUCCEEDED);
	hodei_job_free(job);
	sh_job(&h, "new", "echo new one; echo new two", NULL);
	job = wait_job(&h, "new");
	assert_int_equal(job->log_lines, 2);
	hodei_job_free(job);
	out = job_output(&h, "new", 0);
	assert_string_equal(out, "new one\nnew two\n");
	free(out);
	assert_int_equal(sql_int(h.db, "SELECT count(*) FROM logs"), 3);
	assert_true(sql_int(h.db, "SELECT count(*) FROM log_chunks") >= 1);
	harness_close(&h);
}

/*
 * kill -9 with an unsealed chunk.  The durability point: a line is stored
 * once the flush after it commits (at most 50 ms after capture, or at once
 * when a read needs it).  Lines 1..5000 were flushed (a read) before the
 * kill; more came after.  The store opens with lines 1..M, M >= 5000, every
 * one of them, no gap, then recovery's SYSTEM line, and the counts agree.
 */
static void crash_keeps_flushed_lines(void **state)
{
	harness h;
	char go[300], script[1400], c;
	int ready[2], status;
	hodei_job *job;
	hodei_log_page *page;
	int64_t next = 0, after = 0, flushed = 0;
	bool lost_line = false;
	pid_t pid;
	int more;

	(void)state;
	harness_dir(&h);
	snprintf(go, sizeof(go), "%s/go", h.dir);
	assert_int_equal(mkfifo(go, 0600), 0);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
		hodei_log_page *p = NULL;
		hodei_log_query q = HODEI_LOG_QUERY_INIT;
		hodei_sub *sub;

		harness_open(&h, 1);
		so.mask = HODEI_EVENT_JOB_LOG;
		so.job_id = "crash";
		if (hodei_sub_open(&sub, h.ctx, &so) != 0)
			_exit(1);
		/* the attempts after the first (retries of the lost run) fail at once */
		snprintf(script, sizeof(script), "test -e '%s.1' && exit 3; touch '%s.1';"
		         " seq 1 5000; read x < '%s'; seq 5001 6000; read x < '%s'", go, go, go,
		         go);
		sh_job(&h, "crash", script, NULL);
		wait_line(sub, "5000");
		q.job_id = "crash";
		if (hodei_log_read(&p, h.ctx, &q) != 0) /* a read stores what was captured */
			_exit(1);
		hodei_log_page_free(p);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	fifo_say(go); /* lines 5001.. come while the process dies */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	harness_open(&h, 1); /* recovery: the orphan is killed, the run is lost */
	job = wait_job(&h, "crash");
	assert_int_equal(job->state, HODEI_JOB_FAILED);
	assert_int_equal(job->log_lines, job->last_log_seq);
	assert_int_equal(job->log_lines_lost, 0);
	do {
		page = read_page(&h, "crash", after, 0, NULL, 10000);
		for (size_t i = 0; i < page->count; i++) {
			const hodei_log_line *l = &page->lines[i];

			assert_int_equal(l->seq, ++next);
			if (l->attempt == 1 && l->stream != HODEI_STREAM_SYSTEM) {
				assert_int_equal(strtoll(l->text, NULL, 10), next);
				flushed = next;
			} else if (!lost_line) { /* the first line after the first run's */
				assert_int_equal(l->stream, HODEI_STREAM_SYSTEM);
				assert_non_null(strstr(l->text, "the process that ran it stopped"));
				lost_line = true;
			}
		}
		after = page->next_seq;
		more = page->more;
		hodei_log_page_free(page);
	} while (more);
	assert_int_equal(next, job->last_log_seq);
	assert_true(flushed >= 5000);
	assert_true(lost_line);
	hodei_job_free(job);
	harness_close(&h);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(second_open_is_refused),
		cmocka_unit_test(child_reaped_elsewhere_fails),
		cmocka_unit_test(recovery_scan_error_reaches_open),
		cmocka_unit_test(log_limit_counts_the_rest),
		cmocka_unit_test(disk_full_then_freed),
		cmocka_unit_test(no_action_on_a_stale_row),
		cmocka_unit_test(unplaceable_job_fails_through_a_locked_store),
		cmocka_unit_test(chunks_read_from_anywhere),
		cmocka_unit_test(opens_a_v4_store),
		cmocka_unit_test(crash_keeps_flushed_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
