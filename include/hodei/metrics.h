/*
 * libhodei: metrics for dashboards and Prometheus.
 */
#ifndef HODEI_METRICS_H
#define HODEI_METRICS_H

#include "common.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hodei_range {
	/** Live figures only (counters, workers, load): no range queries, so it
	 * is cheap at any table size; range_*, success_rate, avg_duration_ms are
	 * 0 and there are no buckets.  For queue-status polling. */
	HODEI_RANGE_NONE = 0,
	HODEI_RANGE_1H = 1,  /**< last hour, 60 one-minute buckets */
	HODEI_RANGE_24H = 2, /**< last 24 hours, 24 one-hour buckets */
	HODEI_RANGE_7D = 3,  /**< last 7 days, 28 six-hour buckets */
	HODEI_RANGE_30D = 4  /**< last 30 days, 30 one-day buckets */
} hodei_range;

/** Parse "1h", "24h", "7d", "30d" (any case).  HODEI_EINVAL otherwise. */
HODEI_EXTERN int hodei_range_parse(const char *name, int *range);

/** Jobs that reached a final state within one bucket. */
typedef struct hodei_metrics_bucket {
	int64_t start_ms;
	int64_t succeeded;
	int64_t failed; /**< FAILED and TIMED_OUT */
	int64_t cancelled;
} hodei_metrics_bucket;

/** Upper bounds (seconds) of the job-duration histogram buckets. */
#define HODEI_DURATION_BUCKETS 12
HODEI_EXTERN const double *hodei_metrics_duration_bounds(void);

#define HODEI_METRICS_VERSION 1

typedef struct hodei_metrics {
	unsigned int version;
	int range;
	int64_t range_start_ms;
	int64_t range_end_ms;
	/** Jobs stored now, by state (index = hodei_job_state; 0 unused). */
	int64_t jobs_by_state[8];
	int64_t jobs_total;
	/** Jobs created within the range, by current state. */
	int64_t range_by_state[8];
	int64_t range_total;
	/** SUCCEEDED / (all final) among jobs finished in the range; 0 if none. */
	double success_rate;
	/** Mean run time of jobs finished in the range, ms; 0 if none. */
	double avg_duration_ms;
	double load1, load5, load15; /**< system load averages */
	int ncpu;
	int64_t uptime_ms; /**< since the context opened */
	int64_t queue_depth;
	int64_t running; /**< ASSIGNED + RUNNING */
	int64_t workers;
	int64_t workers_idle;
	int64_t log_lines_captured; /**< since the context opened */
	/** Cumulative counts of run durations since the context opened, per
	 * hodei_metrics_duration_bounds(), the last bucket being +Inf. */
	int64_t duration_hist[HODEI_DURATION_BUCKETS + 1];
	double duration_sum_s;
	int64_t bucket_ms;
	size_t nbuckets;
	hodei_metrics_bucket *buckets; /**< oldest first */
} hodei_metrics;

/** Metrics over a range (or HODEI_RANGE_NONE).  Errors: HODEI_EINVAL (unknown range), HODEI_EIO. */
HODEI_EXTERN int hodei_metrics_get(hodei_metrics **out, hodei_ctx *ctx, int range);
HODEI_EXTERN void hodei_metrics_free(hodei_metrics *metrics);

#ifdef __cplusplus
}
#endif
#endif
