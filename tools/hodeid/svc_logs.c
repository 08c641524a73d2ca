/*
 * hodei.LogStreamService.  SubscribeLogs sends stored history, then live
 * lines, and ends when the job does.  It never queues more than HIGH_WATER
 * bytes for a client: when the client falls behind, live lines are dropped
 * on the floor and read back from the store (hodei_log_read) as the client
 * catches up, so a slow reader costs a cursor, not memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "grpc.h"
#include "svc.h"

#define HIGH_WATER (256u * 1024)
#define READ_BATCH 512

typedef struct logsub {
	hodei_sub *sub;
	char *job_id;
	int64_t last_seq;
	int min_level;
	char *contains;
	int behind;   /* lines are waiting in the store */
	int job_over; /* the job ended for good */
	struct event *check;
} logsub;

static const field_map log_fields[] = {
	{"after_seq", "after_sequence"}, {"min_level", "min_level"}, {"limit", "limit"},
	{"job_id", "job_id"}, {"contains", "contains"}, {NULL, NULL},
};

int svc_job_over(const hodei_job *job)
{
	switch (job->state) {
	case HODEI_JOB_SUCCEEDED:
	case HODEI_JOB_CANCELLED:
		return 1;
	case HODEI_JOB_FAILED:
	case HODEI_JOB_TIMED_OUT:
		return job->attempt > job->max_retries;
	default:
		return 0;
	}
}

static int send_line(hodeid_stream *s, const hodei_log_line *line)
{
	logsub *ls = s->state;
	arena *a = arena_new();
	Hodei__SubscribeLogsResponse *m = PB_NEW(a, hodei__subscribe_logs_response);
	if (m)
		m->entry = pb_log_entry(a, ls->job_id, line);
	int rc = arena_failed(a) ? -1 : stream_send(s, &m->base); /* -1: as a call that is over */
	arena_free(a);
	return rc;
}

/* Send what the store has, while the client keeps up; end when done. */
static void pump(hodeid_stream *s)
{
	logsub *ls = s->state;
	while (!s->call->finished && ls->behind && stream_pending(s) < HIGH_WATER) {
		hodei_log_query q = HODEI_LOG_QUERY_INIT;
		hodei_log_page *page;
		q.job_id = ls->job_id;
		q.after_seq = ls->last_seq;
		q.min_level = ls->min_level;
		q.contains = ls->contains;
		q.limit = READ_BATCH;
		int rc = hodei_log_read(&page, s->d->ctx, &q);
		if (rc) {
			stream_finish(s, hodei__grpc_status_from_result(rc), hodei_error_last());
			return;
		}
		for (size_t i = 0; i < page->count; i++)
			send_line(s, &page->lines[i]);
		if (page->next_seq > ls->last_seq)
			ls->last_seq = page->next_seq;
		if (!page->more)
			ls->behind = 0;
		hodei_log_page_free(page);
	}
	if (!ls->behind && ls->job_over)
		stream_finish(s, HODEI_GRPC_OK, NULL);
}

static int line_wanted(const logsub *ls, const hodei_log_line *l)
{
	if (ls->min_level && l->level < ls->min_level)
		return 0;
	return !ls->contains || memmem(l->text, l->len, ls->contains, strlen(ls->contains));
}

/* After a final state: is the job over, or will it be retried? */
static void check_over(evutil_socket_t fd, short what, void *arg)
{
	hodeid_stream *s = arg;
	logsub *ls = s->state;
	hodei_job *job;
	if (hodei_job_get(&job, s->d->ctx, ls->job_id) == 0) {
		ls->job_over = svc_job_over(job);
		hodei_job_free(job);
	}
	/* Lines may have been captured between the event and now. */
	ls->behind = 1;
	pump(s);
}

static void on_event(const hodei_event *ev, void *userdata)
{
	hodeid_stream *s = userdata;
	logsub *ls = s->state;
	if (s->call->finished)
		return;
	if (ev->type == HODEI_EVENT_JOB_STATE) {
		if (HODEI_STATE_BIT(ev->state) & HODEI_STATES_FINAL)
			event_active(ls->check, EV_TIMEOUT, 0); /* once the transition settled */
		return;
	}
	if (ev->type == HODEI_EVENT_OVERFLOW) {
		ls->behind = 1;
		return;
	}
	if (ev->type != HODEI_EVENT_JOB_LOG || ls->behind || ev->line.seq <= ls->last_seq)
		return;
	if (stream_pending(s) >= HIGH_WATER) {
		ls->behind = 1; /* read it from the store when the client catches up */
		return;
	}
	if (line_wanted(ls, &ev->line))
		send_line(s, &ev->line);
	ls->last_seq = ev->line.seq;
}

static void on_writable(hodeid_stream *s)
{
	pump(s);
}

static void on_close(hodeid_stream *s)
{
	logsub *ls = s->state;
	if (!ls)
		return;
	hodei_sub_close(ls->sub);
	if (ls->check)
		event_free(ls->check);
	free(ls->job_id);
	free(ls->contains);
	free(ls);
}

static int subscribe_logs(hodeid_stream *s, const ProtobufCMessage *in, char *err,
                          size_t errlen)
{
	const Hodei__SubscribeLogsRequest *q = (const void *)in;
	if (!q->job_id || !*q->job_id) {
		snprintf(err, errlen, "job_id: required");
		return HODEI_GRPC_INVALID_ARGUMENT;
	}
	if ((int)q->min_level < 0 || q->min_level > HODEI__LOG_LEVEL__LOG_LEVEL_ERROR) {
		snprintf(err, errlen, "min_level: unknown level %d", (int)q->min_level);
		return HODEI_GRPC_INVALID_ARGUMENT;
	}
	if (q->after_sequence < 0) {
		snprintf(err, errlen, "after_sequence: must not be negative");
		return HODEI_GRPC_INVALID_ARGUMENT;
	}
	hodei_job *job;
	int rc = hodei_job_get(&job, s->d->ctx, q->job_id);
	if (rc) {
		snprintf(err, errlen, "job_id: %s", hodei_error_last());
		return hodei__grpc_status_from_result(rc);
	}
	if (!auth_owns(s->d, s->role, s->principal, job->token_name)) {
		hodei_job_free(job);
		snprintf(err, errlen, "job_id: job '%s' was queued by another token", q->job_id);
		return HODEI_GRPC_PERMISSION_DENIED;
	}
	logsub *ls = calloc(1, sizeof *ls);
	if (!ls) {
		hodei_job_free(job);
		snprintf(err, errlen, "out of memory");
		return HODEI_GRPC_RESOURCE_EXHAUSTED;
	}
	ls->job_id = strdup(q->job_id);
	ls->min_level = (int)q->min_level;
	ls->contains = q->contains && *q->contains ? strdup(q->contains) : NULL;
	ls->job_over = svc_job_over(job);
	ls->behind = q->include_history;
	ls->last_seq = q->include_history ? q->after_sequence : job->log_lines;
	hodei_job_free(job);
	ls->check = event_new(s->d->base, -1, 0, check_over, s);
	s->state = ls;
	s->on_close = on_close;
	s->on_writable = on_writable;
	if (!ls->job_id || (q->contains && *q->contains && !ls->contains) || !ls->check) {
		snprintf(err, errlen, "out of memory"); /* on_close frees ls */
		return HODEI_GRPC_RESOURCE_EXHAUSTED;
	}

	/* Subscribe before reading history, so nothing falls in between. */
	hodei_sub_options o = HODEI_SUB_OPTIONS_INIT;
	o.mask = HODEI_EVENT_JOB_LOG | HODEI_EVENT_JOB_STATE | HODEI_EVENT_OVERFLOW;
	o.job_id = ls->job_id;
	o.callback = on_event;
	o.userdata = s;
	if ((rc = hodei_sub_open(&ls->sub, s->d->ctx, &o)) != 0) {
		snprintf(err, errlen, "cannot subscribe: %s", hodei_error_last());
		return hodei__grpc_status_from_result(rc);
	}
	pump(s);
	return 0;
}

/* Add a chunk's lines while they fit in one message (a line is at most
 * 64 KiB, so one always does); 1 when the answer is full. */
static int logs_take(rpc_req *r, Hodei__GetLogsResponse *resp, size_t *bytes,
                     const char *job_id, const hodei_log_page *page)
{
	resp->next_sequence = page->next_seq;
	resp->more = page->more != 0;
	for (size_t i = 0; i < page->count; i++) {
		Hodei__LogEntry *e = pb_log_entry(r->a, job_id, &page->lines[i]); /* copies */
		if (!e)
			return 1; /* arena_failed(): the answer is refused */
		size_t n = pb_repeated_size(&e->base);
		if (resp->n_entries > 0 && *bytes + n > PB_PAGE_BYTES) {
			/* The client reads on from the last line sent. */
			resp->next_sequence = resp->entries[resp->n_entries - 1]->sequence;
			resp->more = 1;
			return 1;
		}
		resp->entries[resp->n_entries++] = e;
		*bytes += n;
	}
	return 0;
}

/*
 * GetLogs: at most `limit` lines and what fits in one message, read from the
 * store READ_BATCH lines at a time so that long lines are not all held at
 * once.
 */
static int get_logs(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__GetLogsRequest *q = (const void *)in;
	if (!q->job_id || !*q->job_id)
		return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT, "job_id: required");
	if (q->limit > 10000)
		return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT, "limit: at most 10000");
	int denied = svc_owner_check(r, q->job_id);
	if (denied)
		return denied;
	size_t want = q->limit ? q->limit : 1000, bytes = 0;
	hodei_log_query lq = HODEI_LOG_QUERY_INIT;
	lq.job_id = q->job_id;
	lq.min_level = (int)q->min_level;
	lq.contains = q->contains && *q->contains ? q->contains : NULL;
	Hodei__GetLogsResponse *resp = PB_NEW(r->a, hodei__get_logs_response);
	if (!resp)
		return rpc_nomem(r);
	if (!(resp->entries = arena_alloc(r->a, (want + 1) * sizeof *resp->entries)))
		return rpc_nomem(r);
	resp->next_sequence = q->after_sequence;
	for (int full = 0; !full;) {
		hodei_log_page *page;
		size_t left = want - resp->n_entries;
		lq.after_seq = resp->next_sequence;
		lq.limit = left < READ_BATCH ? left : READ_BATCH;
		int rc = hodei_log_read(&page, r->d->ctx, &lq);
		if (rc)
			return rpc_fail_lib(r, rc, log_fields);
		full = logs_take(r, resp, &bytes, q->job_id, page) || !page->more ||
		       page->count == 0 || resp->n_entries >= want;
		hodei_log_page_free(page);
	}
	*out = &resp->base;
	return 0;
}

const hodeid_method hodeid_log_methods[] = {
	{"/hodei.LogStreamService/SubscribeLogs", &hodei__subscribe_logs_request__descriptor, 0,
	 NULL, subscribe_logs},
	{"/hodei.LogStreamService/GetLogs", &hodei__get_logs_request__descriptor, 0, get_logs,
	 NULL},
	{NULL, NULL, 0, NULL, NULL},
};
