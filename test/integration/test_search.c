/*
 * Job search, pages and counts against a plain reference: every page of
 * every query, followed to the end, must give exactly the jobs the
 * documented rule selects (id starts with the text, or the name contains it
 * with ASCII case ignored), in order, without duplicates or gaps; counts and
 * metrics must equal a scan of the table.  Also: a database written by
 * schema 1 opens, is migrated in place and its jobs are found.
 */
#include "harness.h"

#include <ctype.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAMED 14

static const char *const named_ids[NAMED] = {
	"build-7",   "build-77",   "Build-8",  "deploy_1", "deploy.2", "test-a",    "test-b",
	"x",         "ab",         "job-abc",  "q.1",      "q:2",      "nightly-1", "nightly-2",
};
static const char *const named_names[NAMED] = {
	"Nightly build",  "nightly BUILD 2", "build",         "deploy 100% done", "deploy_x",
	"it's a test",    "say \"hi\"",       "back\\slash",   "Ünïcode naïve",   "ÜNÏCODE upper",
	"ab",             "a",               "under_score",   "percent % sign",
};

static const char *const queries[] = {
	"build", "BUILD", "Build-", "build-7", "uild", "ild", "il", "b", "7", "-7", "deploy%",
	"100%", "%", "_", "deploy_", "'", "it's", "\"hi\"", "\"", "\\", "back\\s", "ï", "Ü", "naïve",
	"NAÏVE", "ünï", "job-", "job-a", "abc", "x", "ab", "a", "q.", "q:", ":2", "nightly",
	"ightly-", "seed", "seed 1", "eed 12", "seed 99", "nothing at all", "zq",
};

static void submit_all(hodei_ctx *ctx, size_t seeded)
{
	hodei_job_spec specs[NAMED];
	hodei_job_spec *many = calloc(seeded, sizeof(*many));
	char (*names)[32] = calloc(seeded, sizeof(*names));

	for (size_t i = 0; i < seeded; i++) {
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;

		snprintf(names[i], sizeof(names[i]), "seed %zu", i);
		spec.name = names[i];
		spec.command = "true";
		spec.provider = "nowhere";
		many[i] = spec;
	}
	/* half the seeded jobs before the named ones, half after */
	if (hodei_job_submit_batch(ctx, many, seeded / 2, NULL, NULL) != 0)
		fail_msg("submit: %s", hodei_error_last());
	for (size_t i = 0; i < NAMED; i++) {
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;

		spec.id = named_ids[i];
		spec.name = named_names[i];
		spec.command = "true";
		spec.provider = "nowhere";
		specs[i] = spec;
	}
	if (hodei_job_submit_batch(ctx, specs, NAMED, NULL, NULL) != 0 ||
	    hodei_job_submit_batch(ctx, many + seeded / 2, seeded - seeded / 2, NULL, NULL) != 0)
		fail_msg("submit: %s", hodei_error_last());
	free(many);
	free(names);
}

typedef struct row {
	int64_t seq;
	int state;
	char *id, *name;
} row;

typedef struct table {
	row *rows; /* oldest first */
	size_t n;
} table;

/* Every job, oldest first, by following pages of 1000 without a search. */
static void read_all(hodei_ctx *ctx, table *t)
{
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	char *cursor = NULL;
	size_t cap = 0;

	memset(t, 0, sizeof(*t));
	f.order = HODEI_ORDER_OLDEST;
	f.limit = 1000;
	do {
		hodei_job_page *page = NULL;

		f.cursor = cursor;
		assert_int_equal(hodei_job_list(&page, ctx, &f), 0);
		for (size_t i = 0; i < page->count; i++) {
			if (t->n == cap)
				t->rows = realloc(t->rows, (cap = cap ? cap * 2 : 1024) * sizeof(*t->rows));
			t->rows[t->n].seq = page->jobs[i]->seq;
			t->rows[t->n].state = page->jobs[i]->state;
			t->rows[t->n].id = strdup(page->jobs[i]->id);
			t->rows[t->n].name = strdup(page->jobs[i]->name);
			t->n++;
		}
		free(cursor);
		cursor = page->next_cursor ? strdup(page->next_cursor) : NULL;
		hodei_job_page_free(page);
	} while (cursor);
}

static void free_table(table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].id);
		free(t->rows[i].name);
	}
	free(t->rows);
}

static char *ascii_lower(const char *s)
{
	char *r = strdup(s);

	for (char *p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

/* The documented rule, written as plainly as possible. */
static int matches(const row *r, const char *text, unsigned int mask)
{
	char *name, *low;
	int hit;

	if (mask && !(mask & HODEI_STATE_BIT(r->state)))
		return 0;
	if (!text || !*text || strncmp(r->id, text, strlen(text)) == 0)
		return 1;
	name = ascii_lower(r->name);
	low = ascii_lower(text);
	hit = strstr(name, low) != NULL;
	free(name);
	free(low);
	return hit;
}

/*
 * A capped count (the Jobs page's "10,000+"): at most the cap, reported as a
 * lower bound when it stopped there; exact below it while every job is
 * looked at (fewer jobs than a count's scan budget, 10,000); a lower bound, never
 * more than the matches, beyond.
 */
static void check_capped(hodei_ctx *ctx, const hodei_job_filter *f, size_t want, size_t rows)
{
	static const int64_t caps[] = { 1, 5, 100000 };

	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		int64_t n = -1;
		int lower = -1;

		assert_int_equal(hodei_job_count_capped(ctx, f, caps[c], &n, &lower), 0);
		if (lower ? n > (int64_t)want || n > caps[c] || (rows <= 10000 && n != caps[c])
		          : n != (int64_t)want || (int64_t)want >= caps[c])
			fail_msg("count of '%s' mask %#x capped at %lld: %lld%s, expected %zu",
			         f->search ? f->search : "", f->state_mask, (long long)caps[c],
			         (long long)n, lower ? "+" : "", want);
	}
}

/* Follows every page of one query and compares with the reference. */
static void check_query(hodei_ctx *ctx, const table *t, const char *text, unsigned int mask,
                        size_t limit, int order)
{
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	size_t want = 0, got = 0, pages = 0;
	int64_t counted = -1;
	char *cursor = NULL;
	size_t *expect = calloc(t->n + 1, sizeof(*expect));

	for (size_t k = 0; k < t->n; k++) {
		size_t i = order == HODEI_ORDER_OLDEST ? k : t->n - 1 - k;

		if (matches(&t->rows[i], text, mask))
			expect[want++] = i;
	}
	f.search = text;
	f.state_mask = mask;
	f.limit = limit;
	f.order = order;
	assert_int_equal(hodei_job_count(ctx, &f, &counted), 0);
	if (counted != (int64_t)want)
		fail_msg("count of '%s' mask %#x: %lld, expected %zu", text, mask, (long long)counted,
		         want);
	check_capped(ctx, &f, want, t->n);
	do {
		hodei_job_page *page = NULL;

		f.cursor = cursor;
		if (hodei_job_list(&page, ctx, &f) != 0)
			fail_msg("list '%s': %s", text, hodei_error_last());
		assert_true(page->count <= limit);
		for (size_t i = 0; i < page->count; i++, got++) {
			if (got >= want || page->jobs[i]->seq != t->rows[expect[got]].seq)
				fail_msg("search '%s' mask %#x limit %zu order %d: job %zu is %s, expected %s",
				         text, mask, limit, order, got, page->jobs[i]->id,
				         got < want ? t->rows[expect[got]].id : "(none)");
		}
		free(cursor);
		cursor = page->next_cursor ? strdup(page->next_cursor) : NULL;
		hodei_job_page_free(page);
		assert_true(++pages <= t->n + 2); /* every page moves on */
	} while (cursor);
	if (got != want)
		fail_msg("search '%s' mask %#x limit %zu: %zu jobs, expected %zu", text, mask, limit, got,
		         want);
	free(expect);
}

static void open_seeded(harness *h, size_t seeded)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;

	harness_dir(h);
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER;
	harness_open_opts(h, &opts);
	submit_all(h->ctx, seeded);
}

static void test_search_semantics(void **state)
{
	static const size_t limits[] = { 1, 2, 3, 7, 50 };
	static const unsigned int masks[] = { 0, HODEI_STATE_BIT(HODEI_JOB_QUEUED),
		                              HODEI_STATE_BIT(HODEI_JOB_FAILED) |
		                                      HODEI_STATE_BIT(HODEI_JOB_CANCELLED) };
	harness h;
	table t;

	(void)state;
	open_seeded(&h, 200);
	/* a few jobs in other states, so that state filters select something */
	assert_int_equal(hodei_job_cancel(h.ctx, "build-77"), 0);
	assert_int_equal(hodei_job_cancel(h.ctx, "nightly-2"), 0);
	read_all(h.ctx, &t);
	assert_int_equal(t.n, 200 + NAMED);
	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++)
		for (size_t m = 0; m < 3; m++)
			for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
				check_query(h.ctx, &t, queries[q], masks[m], limits[l], HODEI_ORDER_NEWEST);
				check_query(h.ctx, &t, queries[q], masks[m], limits[l], HODEI_ORDER_OLDEST);
			}
	free_table(&t);
	harness_close(&h);
}

/* More id-prefix matches than are merged with the name index, and short
 * texts scanned with a budget per page: still exact, page after page. */
static void test_search_many(void **state)
{
	static const char *const big[] = { "job-", "seed 1", "seed 6", "7", "zq", "build", "ab" };
	harness h;
	table t;

	(void)state;
	open_seeded(&h, 60000);
	read_all(h.ctx, &t);
	assert_int_equal(t.n, 60000 + NAMED);
	for (size_t q = 0; q < sizeof(big) / sizeof(big[0]); q++) {
		check_query(h.ctx, &t, big[q], 0, 1000, HODEI_ORDER_NEWEST);
		check_query(h.ctx, &t, big[q], 0, 25, HODEI_ORDER_OLDEST);
	}
	check_query(h.ctx, &t, "seed 59", HODEI_STATE_BIT(HODEI_JOB_QUEUED), 10, HODEI_ORDER_NEWEST);
	{
		/* past the cap, and past what a search of 2 characters looks at */
		hodei_job_filter f = HODEI_JOB_FILTER_INIT;
		int64_t n = -1;
		int lower = 0;

		f.search = "job-";
		assert_int_equal(hodei_job_count_capped(h.ctx, &f, 10000, &n, &lower), 0);
		assert_int_equal(n, 10000);
		assert_int_equal(lower, 1);
		f.search = "zq";
		assert_int_equal(hodei_job_count_capped(h.ctx, &f, 10000, &n, &lower), 0);
		assert_int_equal(n, 0);
		assert_int_equal(lower, 1);
		assert_int_equal(hodei_job_count_capped(h.ctx, &f, -1, &n, &lower), HODEI_EINVAL);
		f.search = NULL; /* without a search: exact, from memory */
		assert_int_equal(hodei_job_count_capped(h.ctx, &f, 5, &n, &lower), 0);
		assert_int_equal(n, 60000 + NAMED);
		assert_int_equal(lower, 0);
	}
	free_table(&t);
	harness_close(&h);
}

static void test_search_bad_cursor(void **state)
{
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	hodei_job_page *page = NULL;
	harness h;

	(void)state;
	open_seeded(&h, 10);
	f.search = "seed";
	f.cursor = "not-a-cursor";
	assert_int_equal(hodei_job_list(&page, h.ctx, &f), HODEI_EINVAL);
	assert_null(page);
	harness_close(&h);
}

/* Metrics from the rollup equal a scan of the jobs table. */
static void check_metrics(const char *db, hodei_ctx *ctx)
{
	sqlite3 *s = NULL;

	assert_int_equal(sqlite3_open_v2(db, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (int r = HODEI_RANGE_1H; r <= HODEI_RANGE_30D; r++) {
		hodei_metrics *m = NULL;
		sqlite3_stmt *q = NULL;
		int64_t by_state[8] = { 0 }, fin = 0, got = 0;

		assert_int_equal(hodei_metrics_get(&m, ctx, r), 0);
		assert_int_equal(sqlite3_prepare_v2(s, "SELECT state, count(*) FROM jobs WHERE"
		                                       " created_at >= ? GROUP BY state", -1, &q, NULL),
		                 SQLITE_OK);
		sqlite3_bind_int64(q, 1, m->range_start_ms);
		while (sqlite3_step(q) == SQLITE_ROW)
			by_state[sqlite3_column_int(q, 0)] = sqlite3_column_int64(q, 1);
		sqlite3_finalize(q);
		for (int st = 1; st <= 7; st++)
			assert_int_equal(m->range_by_state[st], by_state[st]);
		assert_int_equal(sqlite3_prepare_v2(s, "SELECT count(*) FROM jobs WHERE finished_at >= ?"
		                                       " AND finished_at < ?", -1, &q, NULL), SQLITE_OK);
		sqlite3_bind_int64(q, 1, m->range_start_ms);
		sqlite3_bind_int64(q, 2, m->range_end_ms);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		fin = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		for (size_t b = 0; b < m->nbuckets; b++)
			got += m->buckets[b].succeeded + m->buckets[b].failed + m->buckets[b].cancelled;
		assert_int_equal(got, fin);
		hodei_metrics_free(m);
	}
	sqlite3_close(s);
}

static void test_metrics_rollup(void **state)
{
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	hodei_job *j;
	harness h;
	int64_t n = 0;

	(void)state;
	harness_dir(&h);
	harness_open(&h, 2);
	sh_job(&h, "ok-1", "exit 0", NULL);
	sh_job(&h, "ok-2", "exit 0", NULL);
	sh_job(&h, "bad-1", "exit 3", NULL);
	hodei_job_free(wait_job(&h, "ok-1"));
	hodei_job_free(wait_job(&h, "ok-2"));
	j = wait_job(&h, "bad-1");
	assert_int_equal(j->state, HODEI_JOB_FAILED);
	hodei_job_free(j);
	check_metrics(h.db, h.ctx);
	/* a retry moves the job back to queued, then to its new end */
	assert_int_equal(hodei_job_retry(h.ctx, "bad-1"), 0);
	hodei_job_free(wait_job(&h, "bad-1"));
	check_metrics(h.db, h.ctx);
	f.state_mask = HODEI_STATE_BIT(HODEI_JOB_SUCCEEDED);
	assert_int_equal(hodei_job_count(h.ctx, &f, &n), 0);
	assert_int_equal(n, 2);
	hodei_ctx_close(h.ctx);
	/* the counts after a reopen come from the table */
	harness_open(&h, 0);
	assert_int_equal(hodei_job_count(h.ctx, &f, &n), 0);
	assert_int_equal(n, 2);
	check_metrics(h.db, h.ctx);
	harness_close(&h);
}

/* What schema 1 (the first release) wrote: its meta row and jobs table. */
static const char *const schema_v1 =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE jobs(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
	" command TEXT NOT NULL, args BLOB, env BLOB, labels BLOB, priority INTEGER NOT NULL,"
	" timeout_ms INTEGER NOT NULL, cpu_millis INTEGER NOT NULL, memory_bytes INTEGER NOT NULL,"
	" max_retries INTEGER NOT NULL, workdir TEXT, queued_by TEXT, flags INTEGER NOT NULL,"
	" provider_pin TEXT, state INTEGER NOT NULL, attempt INTEGER NOT NULL,"
	" qseq INTEGER NOT NULL, not_before INTEGER NOT NULL DEFAULT 0,"
	" exit_code INTEGER NOT NULL DEFAULT -1, term_signal INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT, progress INTEGER NOT NULL DEFAULT -1, created_at INTEGER NOT NULL,"
	" queued_at INTEGER NOT NULL DEFAULT 0, started_at INTEGER NOT NULL DEFAULT 0,"
	" finished_at INTEGER NOT NULL DEFAULT 0, cpu_time_us INTEGER NOT NULL DEFAULT 0,"
	" max_rss_kb INTEGER NOT NULL DEFAULT 0, worker_id TEXT, provider TEXT,"
	" log_lines INTEGER NOT NULL DEFAULT 0, last_log_seq INTEGER NOT NULL DEFAULT 0,"
	" pid INTEGER NOT NULL DEFAULT 0, pid_start INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX jobs_state ON jobs(state, seq);"
	"CREATE INDEX jobs_finished ON jobs(finished_at);"
	"CREATE INDEX jobs_created ON jobs(created_at);"
	"INSERT INTO meta VALUES('format', 'hodei'), ('schema', '1');"
	"INSERT INTO jobs(id, name, command, priority, timeout_ms, cpu_millis, memory_bytes,"
	" max_retries, flags, provider_pin, state, attempt, qseq, created_at, queued_at)"
	" VALUES('old-queued', 'Old Nightly Report', 'true', 2, 0, 0, 0, 0, 0, 'nowhere', 1, 1, 1,"
	" strftime('%s','now') * 1000, strftime('%s','now') * 1000);"
	"INSERT INTO jobs(id, name, command, priority, timeout_ms, cpu_millis, memory_bytes,"
	" max_retries, flags, state, attempt, qseq, created_at, started_at, finished_at)"
	" VALUES('old-done', 'old cleanup', 'true', 2, 0, 0, 0, 0, 0, 4, 1, 2,"
	" strftime('%s','now') * 1000 - 7200000, strftime('%s','now') * 1000 - 7100000,"
	" strftime('%s','now') * 1000 - 7000000);";

static void write_v1(const char *path, const char *extra)
{
	sqlite3 *s = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &s), SQLITE_OK);
	if (sqlite3_exec(s, schema_v1, NULL, NULL, &msg) != SQLITE_OK ||
	    (extra && sqlite3_exec(s, extra, NULL, NULL, &msg) != SQLITE_OK))
		fail_msg("writing a schema 1 database: %s", msg);
	sqlite3_close(s);
}

static void test_migrate_v1(void **state)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	hodei_job_page *page = NULL;
	hodei_metrics *m = NULL;
	sqlite3 *s = NULL;
	sqlite3_stmt *q = NULL;
	int64_t n = 0;
	harness h;

	(void)state;
	harness_dir(&h);
	write_v1(h.db, NULL);
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER;
	harness_open_opts(&h, &opts);
	f.search = "nightly rep";
	assert_int_equal(hodei_job_list(&page, h.ctx, &f), 0);
	assert_int_equal(page->count, 1);
	assert_string_equal(page->jobs[0]->id, "old-queued");
	hodei_job_page_free(page);
	f.search = "old-";
	assert_int_equal(hodei_job_count(h.ctx, &f, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(hodei_metrics_get(&m, h.ctx, HODEI_RANGE_24H), 0);
	assert_int_equal(m->range_total, 2);
	assert_int_equal(m->range_by_state[HODEI_JOB_SUCCEEDED], 1);
	assert_true(m->avg_duration_ms > 99000 && m->avg_duration_ms < 101000);
	hodei_metrics_free(m);
	check_metrics(h.db, h.ctx);
	hodei_ctx_close(h.ctx);
	h.ctx = NULL;
	assert_int_equal(sqlite3_open(h.db, &s), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, "SELECT value FROM meta WHERE key = 'schema'", -1, &q,
	                                    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "6");
	sqlite3_finalize(q);
	sqlite3_close(s);
	harness_open_opts(&h, &opts); /* and it opens again as it is */
	harness_close(&h);
}

/* Schema 2 indexed names by a trigger per insert; 3 at commit.  A schema 2
 * database must lose the trigger, or new jobs would be found twice. */
static void test_migrate_v2(void **state)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	hodei_job_page *page = NULL;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job_id id;
	sqlite3 *s = NULL;
	sqlite3_stmt *q = NULL;
	harness h;

	(void)state;
	harness_dir(&h);
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER;
	harness_open_opts(&h, &opts);
	hodei_ctx_close(h.ctx);
	assert_int_equal(sqlite3_open(h.db, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "CREATE TRIGGER jobs_name_insert AFTER INSERT ON jobs BEGIN"
	                                 " INSERT INTO jobs_name(rowid, job_name)"
	                                 " VALUES(new.seq, new.name); END;"
	                                 "UPDATE meta SET value = '2' WHERE key = 'schema';"
	                                 "ALTER TABLE jobs DROP COLUMN log_bytes;" /* schema 4's */
	                                 "ALTER TABLE jobs DROP COLUMN log_lines_lost;"
	                                 "DROP TABLE log_chunks;" /* schema 5's */
	                                 "DROP TABLE api_tokens;" /* schema 6's */
	                                 "ALTER TABLE jobs DROP COLUMN token_name;"
	                                 "ALTER TABLE jobs DROP COLUMN secret_names;"
	                                 "ALTER TABLE jobs DROP COLUMN secret_env;",
	                              NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	harness_open_opts(&h, &opts);
	spec.name = "weekly digest";
	spec.command = "true";
	spec.provider = "nowhere";
	assert_int_equal(hodei_job_submit(h.ctx, &spec, &id), 0);
	f.search = "digest";
	assert_int_equal(hodei_job_list(&page, h.ctx, &f), 0);
	assert_int_equal(page->count, 1);
	assert_string_equal(page->jobs[0]->id, id.str);
	hodei_job_page_free(page);
	assert_int_equal(sqlite3_open(h.db, &s), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(s, "SELECT count(*) FROM sqlite_master WHERE"
	                                       " name = 'jobs_name_insert'", -1, &q, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 0);
	sqlite3_finalize(q);
	sqlite3_close(s);
	harness_close(&h);
}

static void test_newer_schema_refused(void **state)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_ctx *ctx = NULL;
	harness h;

	(void)state;
	memset(&h, 0, sizeof(h));
	harness_dir(&h);
	write_v1(h.db, "UPDATE meta SET value = '99' WHERE key = 'schema';");
	opts.db_path = h.db;
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER | HODEI_CTX_IGNORE_ENV;
	assert_int_equal(hodei_ctx_open(&ctx, &opts), HODEI_ENOTDB);
	assert_non_null(strstr(hodei_error_last(), "schema version 99"));
	harness_close(&h);
}

/* Jobs committed but not yet in the name index when the process dies are
 * indexed by the next open (they are above names_indexed_to). */
static void test_unindexed_after_crash(void **state)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	hodei_job_page *page = NULL;
	int64_t n = 0;
	int status = 0;
	pid_t pid;
	harness h;

	(void)state;
	harness_dir(&h);
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
		hodei_job_id id;

		harness_open_opts(&h, &opts);
		spec.name = "lost in the crash";
		spec.command = "true";
		spec.provider = "nowhere";
		for (int i = 0; i < 3; i++)
			if (hodei_job_submit(h.ctx, &spec, &id) != 0)
				_exit(1);
		_exit(0); /* no close: the index is not written out */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_open_opts(&h, &opts);
	f.search = "in the crash";
	assert_int_equal(hodei_job_count(h.ctx, &f, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(hodei_job_list(&page, h.ctx, &f), 0);
	assert_int_equal(page->count, 3);
	hodei_job_page_free(page);
	harness_close(&h);
}

static void sql_exec(const char *db, const char *sql)
{
	sqlite3 *s = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(db, &s), SQLITE_OK);
	sqlite3_busy_timeout(s, 5000);
	if (sqlite3_exec(s, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(s);
}

static void run_printing(harness *h, const char *id)
{
	sh_job(h, id, "echo one; echo two; echo three", NULL);
	hodei_job_free(wait_job(h, id));
}

static size_t log_lines(harness *h, const char *id)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page = NULL;
	size_t n;

	q.job_id = id;
	assert_int_equal(hodei_log_read(&page, h->ctx, &q), 0);
	n = page->count;
	hodei_log_page_free(page);
	return n;
}

/* The sweep looks only at jobs finished since the last sweep's cutoff; each
 * sweep still removes every line past the retention period.  (The context
 * also sweeps by itself a second after opening: lines are checked, not what
 * one sweep reports.) */
static void test_log_sweep_window(void **state)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	harness h;

	(void)state;
	harness_dir(&h);
	opts.local_workers = 1;
	opts.log_retention_days = 1;
	harness_open_opts(&h, &opts);
	run_printing(&h, "old-a");
	run_printing(&h, "recent-c");
	assert_int_equal(log_lines(&h, "old-a"), 3);
	sql_exec(h.db, "UPDATE jobs SET finished_at = strftime('%s','now') * 1000 - 2 * 86400000"
	               " WHERE id = 'old-a'");
	assert_int_equal(hodei_ctx_sweep_logs(h.ctx, NULL), 0);
	assert_int_equal(log_lines(&h, "old-a"), 0);
	/* a job that ended at that sweep's cutoff, now past the retention */
	run_printing(&h, "later-b");
	sql_exec(h.db, "UPDATE jobs SET finished_at = (SELECT CAST(value AS INTEGER) FROM meta"
	               " WHERE key = 'logs_swept_to') WHERE id = 'later-b'");
	assert_int_equal(hodei_ctx_sweep_logs(h.ctx, NULL), 0);
	assert_int_equal(log_lines(&h, "later-b"), 0);
	assert_int_equal(log_lines(&h, "recent-c"), 3);
	harness_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_semantics),
		cmocka_unit_test(test_search_many),
		cmocka_unit_test(test_search_bad_cursor),
		cmocka_unit_test(test_metrics_rollup),
		cmocka_unit_test(test_migrate_v1),
		cmocka_unit_test(test_migrate_v2),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_unindexed_after_crash),
		cmocka_unit_test(test_log_sweep_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
