/* Metrics: in-memory counters plus range queries on the store. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

static const double duration_bounds[HODEI_DURATION_BUCKETS] = {
	0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600,
};

const double *hodei_metrics_duration_bounds(void)
{
	return duration_bounds;
}

void hodei__metrics_record_run(hodei_ctx *ctx, int64_t started_at, int64_t finished_at)
{
	double s = (double)(finished_at - started_at) / 1000.0;
	size_t b = 0;

	while (b < HODEI_DURATION_BUCKETS && s > duration_bounds[b])
		b++;
	ctx->duration_hist[b]++;
	ctx->duration_sum_s += s;
}

static const struct {
	const char *name;
	int64_t span_ms, bucket_ms;
} ranges[] = {
	{ NULL, 0, 0 },
	{ "1h", 3600000LL, 60000LL },
	{ "24h", 86400000LL, 3600000LL },
	{ "7d", 7 * 86400000LL, 6 * 3600000LL },
	{ "30d", 30 * 86400000LL, 86400000LL },
};

int hodei_range_parse(const char *name, int *range)
{
	if (!range)
		return hodei__arg_null("range");
	for (int r = 1; name && r <= 4; r++)
		if (strcasecmp(name, ranges[r].name) == 0) {
			*range = r;
			return 0;
		}
	return hodei__err(HODEI_EINVAL, "range: unknown range '%s' (1h, 24h, 7d, 30d)",
	                  name ? name : "(null)");
}

static void fill_live(hodei_ctx *ctx, hodei_metrics *m)
{
	double load[3] = { 0, 0, 0 };

	memcpy(m->jobs_by_state, ctx->counts, sizeof(m->jobs_by_state));
	for (int s = 1; s <= 7; s++)
		m->jobs_total += ctx->counts[s];
	if (getloadavg(load, 3) < 0)
		memset(load, 0, sizeof(load));
	m->load1 = load[0];
	m->load5 = load[1];
	m->load15 = load[2];
	m->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	m->uptime_ms = hodei__mono_ms() - ctx->opened_mono_ms;
	m->queue_depth = ctx->counts[HODEI_JOB_QUEUED];
	m->running = ctx->counts[HODEI_JOB_ASSIGNED] + ctx->counts[HODEI_JOB_RUNNING];
	for (hodei_worker *w = ctx->workers; w; w = w->next) {
		m->workers++;
		m->workers_idle += w->state == HODEI_WORKER_IDLE;
	}
	m->log_lines_captured = ctx->log_lines_captured;
	memcpy(m->duration_hist, ctx->duration_hist, sizeof(m->duration_hist));
	m->duration_sum_s = ctx->duration_sum_s;
}

static int live_on_loop(hodei_ctx *ctx, void *m)
{
	fill_live(ctx, m);
	return 0;
}

static int range_on_loop(hodei_ctx *ctx, void *m)
{
	fill_live(ctx, m);
	return hodei__store_metrics(ctx->store, m);
}

int hodei_metrics_get(hodei_metrics **out, hodei_ctx *ctx, int range)
{
	hodei_metrics *m;
	int rc;

	if ((rc = hodei__enter_out(out, ctx)))
		return rc;
	if (range < HODEI_RANGE_NONE || range > HODEI_RANGE_30D)
		return hodei__err(HODEI_EINVAL, "range: unknown range %d", range);
	if (!(m = calloc(1, sizeof(*m))))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	m->version = HODEI_METRICS_VERSION;
	m->range = range;
	if (range == HODEI_RANGE_NONE) { /* live counters only: O(1), for polling */
		hodei__call(ctx, live_on_loop, m);
		*out = m;
		return 0;
	}
	m->bucket_ms = ranges[range].bucket_ms;
	m->nbuckets = (size_t)(ranges[range].span_ms / ranges[range].bucket_ms);
	m->range_end_ms = (hodei__now_ms() / m->bucket_ms + 1) * m->bucket_ms;
	m->range_start_ms = m->range_end_ms - ranges[range].span_ms;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (!m->buckets) {
		hodei_metrics_free(m);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < m->nbuckets; i++)
		m->buckets[i].start_ms = m->range_start_ms + (int64_t)i * m->bucket_ms;
	if ((rc = hodei__call(ctx, range_on_loop, m))) {
		hodei_metrics_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void hodei_metrics_free(hodei_metrics *m)
{
	if (!m)
		return;
	free(m->buckets);
	free(m);
}
