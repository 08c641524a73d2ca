/* hodei.MetricsService and hodei.SchedulerService. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "grpc.h"
#include "svc.h"

/* Metrics of a range, with providers, in r->a. */
static int build_metrics(rpc_req *r, int range, Hodei__AggregatedMetrics **out)
{
	if ((int)range < 0 || range > HODEI_RANGE_30D)
		return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT, "range: unknown range %d", range);
	hodei_metrics *m;
	int rc = hodei_metrics_get(&m, r->d->ctx, range ? range : HODEI_RANGE_1H);
	if (rc)
		return rpc_fail_lib(r, rc, NULL);
	ARENA_DEFER(r->a, hodei_metrics_free, m);
	hodei_provider_array *providers = NULL;
	if (hodei_provider_list(&providers, r->d->ctx) == 0)
		ARENA_DEFER(r->a, hodei_provider_array_free, providers);
	*out = pb_metrics(r->a, m, providers);
	return 0;
}

static int get_aggregated(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__GetAggregatedMetricsRequest *q = (const void *)in;
	Hodei__GetAggregatedMetricsResponse *resp =
		PB_NEW(r->a, hodei__get_aggregated_metrics_response);
	if (!resp)
		return rpc_nomem(r);
	int status = build_metrics(r, (int)q->range, &resp->metrics);
	*out = &resp->base;
	return status;
}

typedef struct metrics_watch {
	struct event *timer;
	int range;
} metrics_watch;

static void watch_tick(evutil_socket_t fd, short what, void *arg)
{
	hodeid_stream *s = arg;
	metrics_watch *w = s->state;
	if (s->call->finished || stream_pending(s) > 0)
		return; /* the client has not read the last one: skip a beat */
	rpc_req r = {s->d, arena_new(), "", s->principal, s->role};
	Hodei__WatchMetricsResponse *m = PB_NEW(r.a, hodei__watch_metrics_response);
	if (!m)
		stream_finish(s, HODEI_GRPC_RESOURCE_EXHAUSTED, "out of memory");
	else if (build_metrics(&r, w->range, &m->metrics) == 0 && !arena_failed(r.a))
		stream_send(s, &m->base);
	else if (arena_failed(r.a))
		stream_finish(s, HODEI_GRPC_RESOURCE_EXHAUSTED, "out of memory");
	else
		stream_finish(s, HODEI_GRPC_INTERNAL, r.err);
	arena_free(r.a);
}

static void watch_close(hodeid_stream *s)
{
	metrics_watch *w = s->state;
	event_free(w->timer);
	free(w);
}

static int watch_metrics(hodeid_stream *s, const ProtobufCMessage *in, char *err, size_t errlen)
{
	const Hodei__WatchMetricsRequest *q = (const void *)in;
	if ((int)q->range < 0 || q->range > HODEI__TIME_RANGE__TIME_RANGE_30D) {
		snprintf(err, errlen, "range: unknown range %d", (int)q->range);
		return HODEI_GRPC_INVALID_ARGUMENT;
	}
	metrics_watch *w = calloc(1, sizeof *w);
	unsigned secs = q->interval_seconds ? q->interval_seconds : 5;
	struct timeval tv = {secs > 3600 ? 3600 : secs, 0};
	if (!w || !(w->timer = event_new(s->d->base, -1, EV_PERSIST, watch_tick, s))) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return HODEI_GRPC_RESOURCE_EXHAUSTED;
	}
	w->range = (int)q->range;
	s->state = w;
	s->on_close = watch_close;
	event_add(w->timer, &tv);
	watch_tick(-1, 0, s);
	return 0;
}

static int get_queue_status(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__GetQueueStatusRequest *q = (const void *)in;
	const char *name = q->scheduler_name && *q->scheduler_name ? q->scheduler_name : "default";
	if (strcmp(name, "default") != 0)
		return rpc_fail(r, HODEI_GRPC_NOT_FOUND,
		                "scheduler_name: no scheduler '%s' (this server has 'default')", name);
	hodei_metrics *m;
	/* live counters only: clients poll this, so no range queries over the jobs table */
	int rc = hodei_metrics_get(&m, r->d->ctx, HODEI_RANGE_NONE);
	if (rc)
		return rpc_fail_lib(r, rc, NULL);
	ARENA_DEFER(r->a, hodei_metrics_free, m);
	Hodei__GetQueueStatusResponse *resp = PB_NEW(r->a, hodei__get_queue_status_response);
	if (!resp)
		return rpc_nomem(r);
	int64_t max = hodei_ctx_max_queue_size(r->d->ctx);
	resp->scheduler_name = "default";
	resp->queued_jobs = m->queue_depth;
	resp->running_jobs = m->running;
	resp->max_queue_size = max < 0 ? 0 : max;
	resp->workers = m->workers;
	resp->idle_workers = m->workers_idle;
	*out = &resp->base;
	return 0;
}

const hodeid_method hodeid_metrics_methods[] = {
	{"/hodei.MetricsService/GetAggregatedMetrics",
	 &hodei__get_aggregated_metrics_request__descriptor, 0, get_aggregated, NULL},
	{"/hodei.MetricsService/WatchMetrics", &hodei__watch_metrics_request__descriptor, 0, NULL,
	 watch_metrics},
	{"/hodei.SchedulerService/GetQueueStatus", &hodei__get_queue_status_request__descriptor, 0,
	 get_queue_status, NULL},
	{NULL, NULL, 0, NULL, NULL},
};
