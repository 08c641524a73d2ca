/*
 * Typed log calls: LogStreamService SubscribeLogs (a server stream, read
 * line by line) and GetLogs (one page).
 */
#include <stdlib.h>
#include <string.h>

#include "client_convert.h"

struct hodei_log_stream {
	hodei_call *call;
	Hodei__SubscribeLogsResponse *current; /* owns the borrowed line text */
	hodei_log_line line;
};

static void line_from_pb(hodei_log_line *line, const Hodei__LogEntry *e)
{
	memset(line, 0, sizeof(*line));
	line->seq = e->sequence;
	line->ts_us = e->timestamp ? e->timestamp->seconds * 1000000 + e->timestamp->nanos / 1000
	                           : 0;
	line->stream = e->stream;
	line->level = e->level;
	line->attempt = e->attempt;
	line->flags = e->partial ? HODEI_LOG_PARTIAL : 0;
	line->text = e->line;
	line->len = strlen(e->line);
}

int hodei_client_log_follow(hodei_log_stream **out, hodei_client *c,
                            const hodei_log_query *q, int include_history)
{
	Hodei__SubscribeLogsRequest req = HODEI__SUBSCRIBE_LOGS_REQUEST__INIT;
	hodei_log_stream *s;
	uint8_t *buf;
	size_t len;
	int rc;

	if (!out || !c || !q)
		return hodei__err(HODEI_EINVAL, "out, client and query: must not be NULL");
	if (!q->job_id)
		return hodei__err(HODEI_EINVAL, "job_id: must not be NULL");
	*out = NULL;
	if (q->version != HODEI_LOG_QUERY_VERSION)
		return hodei__err(HODEI_EVERSION, "hodei_log_query: unknown version %u", q->version);
	req.job_id = (char *)q->job_id;
	req.include_history = include_history != 0;
	req.after_sequence = q->after_seq;
	req.min_level = (Hodei__LogLevel)q->min_level;
	req.contains = (char *)(q->contains ? q->contains : "");
	len = protobuf_c_message_get_packed_size(&req.base);
	s = calloc(1, sizeof(*s));
	buf = malloc(len ? len : 1);
	if (!s || !buf) {
		free(s);
		free(buf);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	protobuf_c_message_pack(&req.base, buf);
	rc = hodei_call_open(&s->call, c, "/hodei.LogStreamService/SubscribeLogs", 0);
	if (rc == 0)
		rc = hodei_call_send(s->call, buf, len);
	if (rc == 0)
		rc = hodei_call_close_send(s->call);
	free(buf);
	if (rc != 0) {
		hodei_log_stream_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int hodei_log_stream_next(hodei_log_stream *s, const hodei_log_line **line,
                          int64_t timeout_ms)
{
	void *msg;
	size_t len;
	int rc, nomem;

	if (!s || !line)
		return hodei__err(HODEI_EINVAL, "stream and line: must not be NULL");
	*line = NULL;
	if (s->current) {
		protobuf_c_message_free_unpacked(&s->current->base, NULL);
		s->current = NULL;
	}
	for (;;) {
		rc = hodei_call_recv(s->call, &msg, &len, timeout_ms < 0 ? -1 : timeout_ms);
		if (rc == HODEI_EAGAIN)
			return hodei__err(HODEI_ETIMEDOUT, "no log line within %lld ms",
			                  (long long)timeout_ms);
		if (rc != 0 || !msg)
			return rc;
		s->current = (Hodei__SubscribeLogsResponse *)hodei__pb_unpack(
			&hodei__subscribe_logs_response__descriptor, len, msg, &nomem);
		free(msg);
		if (!s->current && nomem)
			return hodei__err(HODEI_ENOMEM, "out of memory");
		if (!s->current)
			return hodei__err(HODEI_EIO, "SubscribeLogs: the server sent an invalid message");
		if (s->current->entry)
			break;
		protobuf_c_message_free_unpacked(&s->current->base, NULL);
		s->current = NULL;
	}
	line_from_pb(&s->line, s->current->entry);
	*line = &s->line;
	return 0;
}

void hodei_log_stream_free(hodei_log_stream *s)
{
	if (!s)
		return;
	if (s->current)
		protobuf_c_message_free_unpacked(&s->current->base, NULL);
	hodei_call_free(s->call);
	free(s);
}

static int page_from_pb(hodei_log_page **out, const Hodei__GetLogsResponse *resp)
{
	hodei_log_page *page = hodei__page_new();

	if (!page)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	for (size_t i = 0; i < resp->n_entries; i++) {
		hodei_log_line l;

		line_from_pb(&l, resp->entries[i]);
		l.text = resp->entries[i]->line;
		if (hodei__page_push(page, &l)) {
			hodei_log_page_free(page);
			return hodei__err(HODEI_ENOMEM, "out of memory");
		}
	}
	hodei__page_done(page);
	page->next_seq = resp->next_sequence;
	page->more = resp->more;
	*out = page;
	return 0;
}

int hodei_client_log_read(hodei_log_page **out, hodei_client *c, const hodei_log_query *q)
{
	Hodei__GetLogsRequest req = HODEI__GET_LOGS_REQUEST__INIT;
	Hodei__GetLogsResponse *resp = NULL;
	int rc;

	if (!out || !c || !q)
		return hodei__err(HODEI_EINVAL, "out, client and query: must not be NULL");
	if (!q->job_id)
		return hodei__err(HODEI_EINVAL, "job_id: must not be NULL");
	*out = NULL;
	if (q->version != HODEI_LOG_QUERY_VERSION)
		return hodei__err(HODEI_EVERSION, "hodei_log_query: unknown version %u", q->version);
	req.job_id = (char *)q->job_id;
	req.after_sequence = q->after_seq;
	req.min_level = (Hodei__LogLevel)q->min_level;
	req.contains = (char *)(q->contains ? q->contains : "");
	req.limit = (uint32_t)q->limit;
	rc = hodei__client_call_pb(c, "/hodei.LogStreamService/GetLogs", &req.base,
	                           &hodei__get_logs_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	if (rc == 0)
		rc = page_from_pb(out, resp);
	if (resp)
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}
