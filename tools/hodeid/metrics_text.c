/* /metrics in the Prometheus text exposition format. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hodeid.h"

static void metric(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values: backslash, quote and newline escaped. */
static void label_value(FILE *f, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void lower(char *out, size_t cap, const char *in)
{
	size_t i = 0;
	for (; in[i] && i + 1 < cap; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	out[i] = '\0';
}

static void job_metrics(FILE *f, const hodei_metrics *m)
{
	char name[32];
	metric(f, "hodei_jobs", "gauge", "Jobs stored, by state.");
	for (int s = HODEI_JOB_QUEUED; s <= HODEI_JOB_TIMED_OUT; s++) {
		lower(name, sizeof name, hodei_job_state_name(s));
		fprintf(f, "hodei_jobs{state=\"%s\"} %lld\n", name, (long long)m->jobs_by_state[s]);
	}
	metric(f, "hodei_queue_depth", "gauge", "Jobs waiting in the queue.");
	fprintf(f, "hodei_queue_depth %lld\n", (long long)m->queue_depth);
	metric(f, "hodei_jobs_running", "gauge", "Jobs assigned or running.");
	fprintf(f, "hodei_jobs_running %lld\n", (long long)m->running);
	metric(f, "hodei_workers", "gauge", "Workers that exist now.");
	fprintf(f, "hodei_workers %lld\n", (long long)m->workers);
	metric(f, "hodei_workers_idle", "gauge", "Workers waiting for a job.");
	fprintf(f, "hodei_workers_idle %lld\n", (long long)m->workers_idle);
	metric(f, "hodei_log_lines_captured_total", "counter", "Log lines captured since start.");
	fprintf(f, "hodei_log_lines_captured_total %lld\n", (long long)m->log_lines_captured);

	const double *bounds = hodei_metrics_duration_bounds();
	long long cumulative = 0;
	metric(f, "hodei_job_duration_seconds", "histogram", "Run time of jobs finished since start.");
	for (int b = 0; b < HODEI_DURATION_BUCKETS; b++) {
		cumulative += m->duration_hist[b];
		fprintf(f, "hodei_job_duration_seconds_bucket{le=\"%g\"} %lld\n", bounds[b], cumulative);
	}
	cumulative += m->duration_hist[HODEI_DURATION_BUCKETS];
	fprintf(f, "hodei_job_duration_seconds_bucket{le=\"+Inf\"} %lld\n", cumulative);
	fprintf(f, "hodei_job_duration_seconds_sum %.6f\n", m->duration_sum_s);
	fprintf(f, "hodei_job_duration_seconds_count %lld\n", cumulative);
	metric(f, "hodei_uptime_seconds", "gauge", "Seconds since the server started.");
	fprintf(f, "hodei_uptime_seconds %.3f\n", (double)m->uptime_ms / 1000.0);
}

static void provider_metrics(FILE *f, const hodei_provider_array *list)
{
	char status[32];
	metric(f, "hodei_provider_health_score", "gauge", "Provider health score, 0-100.");
	for (size_t i = 0; i < list->count; i++) {
		fputs("hodei_provider_health_score{provider=\"", f);
		label_value(f, list->items[i]->name);
		fputs("\",type=\"", f);
		label_value(f, list->items[i]->type);
		fprintf(f, "\"} %d\n", list->items[i]->health_score);
	}
	metric(f, "hodei_provider_status", "gauge", "1 for each provider's current status.");
	for (size_t i = 0; i < list->count; i++) {
		lower(status, sizeof status, hodei_provider_status_name(list->items[i]->status));
		fputs("hodei_provider_status{provider=\"", f);
		label_value(f, list->items[i]->name);
		fprintf(f, "\",status=\"%s\"} 1\n", status);
	}
	metric(f, "hodei_provider_jobs", "gauge", "Jobs running on each provider.");
	for (size_t i = 0; i < list->count; i++) {
		fputs("hodei_provider_jobs{provider=\"", f);
		label_value(f, list->items[i]->name);
		fprintf(f, "\"} %lld\n", (long long)list->items[i]->current_jobs);
	}
}

char *metrics_prometheus(hodeid *d, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (!f)
		return NULL;
	hodei_metrics *m;
	if (hodei_metrics_get(&m, d->ctx, HODEI_RANGE_1H) == 0) {
		job_metrics(f, m);
		hodei_metrics_free(m);
	}
	hodei_provider_array *list;
	if (hodei_provider_list(&list, d->ctx) == 0) {
		provider_metrics(f, list);
		hodei_provider_array_free(list);
	}
	metric(f, "hodei_grpc_calls_total", "counter", "gRPC calls accepted.");
	fprintf(f, "hodei_grpc_calls_total %llu\n", (unsigned long long)d->calls_total);
	metric(f, "hodei_grpc_calls_failed_total", "counter", "gRPC calls that ended with an error.");
	fprintf(f, "hodei_grpc_calls_failed_total %llu\n", (unsigned long long)d->calls_failed);
	metric(f, "hodei_grpc_connections", "gauge", "Open HTTP/2 connections.");
	fprintf(f, "hodei_grpc_connections %zu\n", grpc_connections(d));
	fclose(f);
	return text;
}
