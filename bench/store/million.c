/*
 * hodei-million: the job store with a million jobs, timed through the public
 * API exactly as hodeid's ListJobs and GetAggregatedMetrics call it
 * (hodei_job_list + hodei_job_count; hodei_metrics_get), in one process, so
 * the figures are the server's own time without gRPC-Web around it.
 *
 * The database is seeded by test/web's seed-jobs (COUNT queued jobs named
 * "seed job N", pinned to a provider that does not exist so nothing runs).
 *
 *   hodei-million finish DB PERCENT
 *       marks that share of the jobs finished over the last 30 days (about
 *       88% succeeded, 6% failed, 2% cancelled) by SQL on the closed database,
 *       so the metrics ranges and the state filters have rows to find.
 *   hodei-million run DB [ROUNDS [COUNT_CAP]]
 *       open the database (time to open, time of the first list after it),
 *       then ROUNDS calls of each dashboard query, p50/p99/max in ms; the
 *       totals exact (COUNT_CAP 0, the default: hodei_job_count) or capped
 *       as hodeid counts them (hodei_job_count_capped, e.g. 10000).
 */
#include <hodei/hodei.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int open_ctx(hodei_ctx **ctx, const char *path)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;

	opts.db_path = path;
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER | HODEI_CTX_IGNORE_ENV;
	if (hodei_ctx_open(ctx, &opts) == 0)
		return 0;
	fprintf(stderr, "hodei-million: open %s: %s\n", path, hodei_error_last());
	return 1;
}

/* Bench-only shortcut: finish jobs by SQL so a million need not run. */
static int finish_some(const char *path, int percent)
{
	char sql[1024];
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	snprintf(sql, sizeof(sql),
	         "UPDATE jobs SET"
	         " state = CASE WHEN seq %% 50 = 0 THEN 6 WHEN seq %% 25 < 2 THEN 5 ELSE 4 END,"
	         " finished_at = strftime('%%s','now') * 1000 - (seq * 7919 %% 2592000) * 1000,"
	         " started_at = strftime('%%s','now') * 1000 - (seq * 7919 %% 2592000) * 1000"
	         "  - 1000 - seq %% 60000, exit_code = 0"
	         " WHERE seq %% 100 < %d;",
	         percent);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return 1;
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "hodei-million: %s\n", msg);
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc != SQLITE_OK;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, double q)
{
	int i = (int)(q * n + 0.999999) - 1;

	return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* The cap of the count: 0 = exact (hodei_job_count, as before issue 16),
 * else as hodeid counts (hodei_job_count_capped, --count-cap). */
static int64_t count_cap;
static int lower_bound;

/* One ListJobs as hodeid serves it: a page and the total count. */
static int list_page(hodei_ctx *ctx, hodei_job_filter *f, int64_t *total, char **next,
                     size_t *rows)
{
	hodei_job_page *page = NULL;
	int rc = hodei_job_list(&page, ctx, f);

	lower_bound = 0;
	if (!rc)
		rc = count_cap ? hodei_job_count_capped(ctx, f, count_cap, total, &lower_bound)
		               : hodei_job_count(ctx, f, total);
	if (!rc) {
		*rows = page->count;
		if (next)
			*next = page->next_cursor ? strdup(page->next_cursor) : NULL;
	}
	hodei_job_page_free(page);
	if (rc)
		fprintf(stderr, "hodei-million: list: %s\n", hodei_error_last());
	return rc;
}

static void time_query(hodei_ctx *ctx, const char *name, unsigned int mask, const char *search,
                       int rounds)
{
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	double *t = calloc((size_t)rounds, sizeof(*t)), page2 = 0;
	int64_t total = 0;
	size_t rows = 0;
	char *next = NULL;

	f.state_mask = mask;
	f.search = search;
	f.limit = 25;
	for (int i = 0; i < rounds; i++) {
		double t0 = now_ms();

		if (list_page(ctx, &f, &total, i == 0 ? &next : NULL, &rows))
			break;
		t[i] = now_ms() - t0;
	}
	if (next) {
		double t0 = now_ms();

		f.cursor = next;
		list_page(ctx, &f, &total, NULL, &rows);
		page2 = now_ms() - t0;
		free(next);
	}
	qsort(t, (size_t)rounds, sizeof(*t), cmp_double);
	printf("%-22s rows %2zu total %8lld%s p50 %8.2f  p99 %8.2f  max %8.2f  page2 %8.2f ms\n",
	       name, rows, (long long)total, lower_bound ? "+" : " ", pct(t, rounds, 0.5),
	       pct(t, rounds, 0.99), t[rounds - 1], page2);
	free(t);
}

static void time_metrics(hodei_ctx *ctx, int rounds)
{
	static const char *const names[] = { "", "1h", "24h", "7d", "30d" };
	double *t = calloc((size_t)rounds, sizeof(*t));

	for (int r = HODEI_RANGE_1H; r <= HODEI_RANGE_30D; r++) {
		int64_t finished = 0;

		for (int i = 0; i < rounds; i++) {
			hodei_metrics *m = NULL;
			double t0 = now_ms();

			if (hodei_metrics_get(&m, ctx, r)) {
				fprintf(stderr, "hodei-million: metrics: %s\n", hodei_error_last());
				return;
			}
			t[i] = now_ms() - t0;
			finished = 0;
			for (size_t b = 0; b < m->nbuckets; b++)
				finished += m->buckets[b].succeeded + m->buckets[b].failed +
				            m->buckets[b].cancelled;
			hodei_metrics_free(m);
		}
		qsort(t, (size_t)rounds, sizeof(*t), cmp_double);
		printf("metrics %-14s finished %8lld  p50 %8.2f  p99 %8.2f  max %8.2f ms\n", names[r],
		       (long long)finished, pct(t, rounds, 0.5), pct(t, rounds, 0.99), t[rounds - 1]);
	}
	free(t);
}

static int run(const char *path, int rounds)
{
	hodei_ctx *ctx = NULL;
	double t0 = now_ms(), t1;
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	int64_t total = 0;
	size_t rows = 0;

	if (open_ctx(&ctx, path))
		return 1;
	t1 = now_ms();
	f.limit = 25;
	list_page(ctx, &f, &total, NULL, &rows);
	printf("open %.1f ms, then first list %.1f ms (%lld jobs)\n", t1 - t0, now_ms() - t1,
	       (long long)total);
	time_query(ctx, "all", 0, NULL, rounds);
	time_query(ctx, "running", HODEI_STATE_BIT(HODEI_JOB_ASSIGNED) |
	           HODEI_STATE_BIT(HODEI_JOB_RUNNING), NULL, rounds);
	time_query(ctx, "failed", HODEI_STATE_BIT(HODEI_JOB_FAILED) |
	           HODEI_STATE_BIT(HODEI_JOB_TIMED_OUT), NULL, rounds);
	time_query(ctx, "completed", HODEI_STATE_BIT(HODEI_JOB_SUCCEEDED), NULL, rounds);
	time_query(ctx, "queued", HODEI_STATE_BIT(HODEI_JOB_QUEUED), NULL, rounds);
	time_query(ctx, "search name", 0, "seed job 123456", rounds);
	time_query(ctx, "search name, common", 0, "job 12", rounds);
	time_query(ctx, "search id prefix", 0, "job-", rounds);
	time_query(ctx, "search none", 0, "nothing-like-this", rounds);
	time_query(ctx, "search 2 chars", 0, "99", rounds);
	time_query(ctx, "search 2, no match", 0, "zq", rounds);
	time_query(ctx, "failed + search", HODEI_STATE_BIT(HODEI_JOB_FAILED), "seed job 12", rounds);
	time_metrics(ctx, rounds < 10 ? rounds : 10);
	hodei_ctx_close(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "finish") == 0) {
		double t0 = now_ms();
		int rc = finish_some(argv[2], atoi(argv[3]));

		printf("finished %s%% by SQL in %.1f s\n", argv[3], (now_ms() - t0) / 1e3);
		return rc;
	}
	if (argc >= 3 && strcmp(argv[1], "run") == 0) {
		count_cap = argc > 4 ? atoll(argv[4]) : 0;
		return run(argv[2], argc > 3 ? atoi(argv[3]) : 50);
	}
	fprintf(stderr, "usage: hodei-million finish DB PERCENT\n"
	                "       hodei-million run DB [ROUNDS [COUNT_CAP]]   (0: exact counts)\n");
	return 2;
}
