/*
 * gRPC server over HTTP/2 on nghttp2 (1.52, ssize_t API), without I/O.
 * See h2server.h for what it checks and how output is paced.
 */
#include "h2server.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "grpc.h"

#define HEADER_VALUE_MAX 8192
#define HEADER_BLOCK_MAX (64u * 1024) /* bytes of one request's header fields */
#define HEADER_COUNT_MAX 256          /* fields in one request */

struct chunk {
	struct chunk *next;
	size_t len, off;
	uint8_t data[];
};

typedef struct h2_call {
	hodei_rpc_call base; /* first: the application sees this */
	hodei_h2s *s;
	int32_t stream_id;
	struct h2_call *prev, *next;
	char *method, *path, *content_type, *encoding, *timeout, *auth;
	int bad_header;
	size_t header_bytes, header_count;
	hodei_grpc_reader reader;
	int accepted;       /* on_call took it: on_close is owed */
	int headers_sent;   /* response HEADERS (or Trailers-Only) submitted */
	int deferred;       /* data provider waits for output */
	int remote_closed;  /* the client sent END_STREAM */
	int status;
	char *message;      /* percent-encoded, or NULL */
	struct chunk *head, *tail;
	size_t pending;
	int above_low_water;
	int notify_writable;
} h2_call;

struct hodei_h2s {
	nghttp2_session *ng;
	hodei_h2s_handlers h;
	void *ud;
	hodei_h2s_options opts;
	h2_call *calls;
	size_t ncalls;
	size_t inbound;   /* request bytes held by readers */
	uint32_t resets;  /* RST_STREAM frames from the peer */
	uint32_t completed;
	int in_engine;    /* inside mem_recv/mem_send */
	int fatal;
};

static const struct hodei_rpc_call_ops h2_call_ops;

#define NV(name, value)                                                         \
	{ (uint8_t *)(name), (uint8_t *)(value), sizeof(name) - 1, strlen(value),   \
	  NGHTTP2_NV_FLAG_NONE }

/* Account for a change in what c's reader holds (connection and shared). */
static void inbound_update(h2_call *c, size_t before)
{
	hodei_h2s *s = c->s;
	size_t after = hodei__grpc_reader_buffered(&c->reader);
	s->inbound = s->inbound - before + after;
	if (s->opts.shared_inbound)
		*s->opts.shared_inbound = *s->opts.shared_inbound - before + after;
}

/* Drop c's partial message. */
static void inbound_release(h2_call *c)
{
	size_t before = hodei__grpc_reader_buffered(&c->reader);
	hodei__grpc_reader_reset(&c->reader);
	inbound_update(c, before);
}

static void call_free(h2_call *c)
{
	struct chunk *k = c->head;
	while (k) {
		struct chunk *next = k->next;
		free(k);
		k = next;
	}
	inbound_release(c);
	free(c->method);
	free(c->path);
	free(c->content_type);
	free(c->encoding);
	free(c->timeout);
	free(c->auth);
	free(c->message);
	free(c);
}

static void call_unlink(h2_call *c)
{
	hodei_h2s *s = c->s;
	if (c->prev)
		c->prev->next = c->next;
	else if (s->calls == c)
		s->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	s->ncalls--;
}

/* The application queued output outside the engine: ask for a write. */
static void want_output(hodei_h2s *s)
{
	if (!s->in_engine && s->h.on_output)
		s->h.on_output(s->ud);
}

static void submit_trailers(h2_call *c)
{
	char status[12];
	snprintf(status, sizeof status, "%d", c->status);
	nghttp2_nv nv[2] = {NV("grpc-status", status), NV("grpc-message", "")};
	size_t n = 1;
	if (c->message) {
		nv[1].value = (uint8_t *)c->message;
		nv[1].valuelen = strlen(c->message);
		n = 2;
	}
	nghttp2_submit_trailer(c->s->ng, c->stream_id, nv, n);
}

static ssize_t data_read(nghttp2_session *ng, int32_t stream_id, uint8_t *buf,
                         size_t length, uint32_t *flags, nghttp2_data_source *source,
                         void *user_data)
{
	h2_call *c = source->ptr;
	hodei_h2s *s = c->s;
	size_t n = 0;
	while (c->head && n < length) {
		struct chunk *k = c->head;
		size_t take = k->len - k->off;
		if (take > length - n)
			take = length - n;
		memcpy(buf + n, k->data + k->off, take);
		k->off += take;
		n += take;
		if (k->off == k->len) {
			c->head = k->next;
			if (!c->head)
				c->tail = NULL;
			free(k);
		}
	}
	c->pending -= n;
	if (c->above_low_water && c->pending <= s->opts.low_water) {
		c->above_low_water = 0;
		c->notify_writable = 1;
	}
	if (!c->head && c->base.finished) {
		*flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
		submit_trailers(c);
		return (ssize_t)n;
	}
	if (n == 0) {
		c->deferred = 1;
		return NGHTTP2_ERR_DEFERRED;
	}
	return (ssize_t)n;
}

static void submit_headers(h2_call *c)
{
	nghttp2_nv nv[] = {
		NV(":status", "200"),
		NV("content-type", "application/grpc"),
		NV("grpc-accept-encoding", "identity"),
	};
	nghttp2_data_provider prd;
	prd.source.ptr = c;
	prd.read_callback = data_read;
	c->headers_sent = 1;
	nghttp2_submit_response(c->s->ng, c->stream_id, nv, sizeof nv / sizeof nv[0], &prd);
}

static void submit_trailers_only(h2_call *c)
{
	char status[12];
	snprintf(status, sizeof status, "%d", c->status);
	nghttp2_nv nv[] = {
		NV(":status", "200"),
		NV("content-type", "application/grpc"),
		NV("grpc-accept-encoding", "identity"),
		NV("grpc-status", status),
		NV("grpc-message", c->message ? c->message : ""),
	};
	size_t n = sizeof nv / sizeof nv[0] - (c->message ? 0 : 1);
	c->headers_sent = 1;
	nghttp2_submit_response(c->s->ng, c->stream_id, nv, n, NULL);
}

static void h2_finish(hodei_rpc_call *base, int status, const char *message)
{
	h2_call *c = (h2_call *)base;
	if (base->finished || base->closed)
		return;
	base->finished = 1;
	c->status = status;
	if (message && *message)
		c->message = hodei__grpc_message_encode(message, strlen(message));
	if (!c->headers_sent)
		submit_trailers_only(c);
	else if (c->deferred) {
		c->deferred = 0;
		nghttp2_session_resume_data(c->s->ng, c->stream_id);
	}
	want_output(c->s);
}

static int h2_send(hodei_rpc_call *base, const uint8_t *msg, size_t len)
{
	h2_call *c = (h2_call *)base;
	if (base->finished || base->closed || len > UINT32_MAX - HODEI_GRPC_PREFIX)
		return -1;
	struct chunk *k = malloc(sizeof *k + HODEI_GRPC_PREFIX + len);
	if (!k)
		return -1;
	k->next = NULL;
	k->off = 0;
	k->len = HODEI_GRPC_PREFIX + len;
	hodei__grpc_prefix(k->data, (uint32_t)len, 0);
	if (len)
		memcpy(k->data + HODEI_GRPC_PREFIX, msg, len);
	if (c->tail)
		c->tail->next = k;
	else
		c->head = k;
	c->tail = k;
	c->pending += k->len;
	if (c->pending > c->s->opts.low_water)
		c->above_low_water = 1;
	if (!c->headers_sent)
		submit_headers(c);
	else if (c->deferred) {
		c->deferred = 0;
		nghttp2_session_resume_data(c->s->ng, c->stream_id);
	}
	want_output(c->s);
	return 0;
}

static size_t h2_pending(hodei_rpc_call *base)
{
	return ((h2_call *)base)->pending;
}

static const struct hodei_rpc_call_ops h2_call_ops = {h2_send, h2_finish, h2_pending};

/* Refuse at the HTTP level (not a gRPC request at all). */
static void respond_http(h2_call *c, const char *code)
{
	nghttp2_nv nv[] = {NV(":status", code), NV("content-type", "text/plain")};
	c->headers_sent = 1;
	c->base.finished = 1;
	nghttp2_submit_response(c->s->ng, c->stream_id, nv, 2, NULL);
}

/* content-type application/grpc, application/grpc+proto or with parameters. */
static int content_type_kind(const char *ct)
{
	static const char base[] = "application/grpc";
	if (!ct || strncmp(ct, base, sizeof base - 1) != 0)
		return -1; /* not gRPC */
	const char *rest = ct + sizeof base - 1;
	if (*rest == '\0' || *rest == ';' || strncmp(rest, "+proto", 6) == 0)
		return 0;
	return 1; /* gRPC with another codec */
}

static void start_call(h2_call *c)
{
	hodei_h2s *s = c->s;
	int64_t timeout = -1;
	if (!c->method || strcmp(c->method, "POST") != 0) {
		respond_http(c, "405");
		return;
	}
	int kind = content_type_kind(c->content_type);
	if (kind < 0) {
		respond_http(c, "415");
		return;
	}
	c->base.path = c->path ? c->path : "";
	c->base.authorization = c->auth;
	if (kind > 0)
		h2_finish(&c->base, HODEI_GRPC_UNIMPLEMENTED, "content-type: only protobuf is supported");
	else if (c->bad_header)
		h2_finish(&c->base, HODEI_GRPC_INVALID_ARGUMENT, "a request header is too long");
	else if (c->encoding && strcmp(c->encoding, "identity") != 0)
		h2_finish(&c->base, HODEI_GRPC_UNIMPLEMENTED, "grpc-encoding: compression is not supported");
	else if (c->timeout && hodei__grpc_timeout_parse(c->timeout, strlen(c->timeout), &timeout) < 0)
		h2_finish(&c->base, HODEI_GRPC_INVALID_ARGUMENT, "grpc-timeout: malformed");
	if (c->base.finished)
		return;
	c->base.timeout_ms = timeout;
	const char *why = NULL;
	int rc = s->h.on_call ? s->h.on_call(s->ud, &c->base, &why) : HODEI_GRPC_UNIMPLEMENTED;
	if (rc != HODEI_GRPC_OK) {
		h2_finish(&c->base, rc, why);
		return;
	}
	c->accepted = 1;
}

static int deliver_message(void *userdata, const uint8_t *msg, size_t len)
{
	h2_call *c = userdata;
	if (c->base.finished)
		return 1; /* stop: nothing more is wanted */
	if (c->s->h.on_message)
		c->s->h.on_message(c->s->ud, &c->base, msg, len);
	return 0;
}

static void half_close(h2_call *c)
{
	c->remote_closed = 1;
	if (c->base.finished || !c->accepted)
		return;
	if (hodei__grpc_reader_partial(&c->reader))
		h2_finish(&c->base, HODEI_GRPC_INTERNAL, "truncated message: the stream ended inside it");
	else if (c->s->h.on_half_close)
		c->s->h.on_half_close(c->s->ud, &c->base);
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
	hodei_h2s *s = ud;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	h2_call *c = calloc(1, sizeof *c);
	if (!c)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	c->base.ops = &h2_call_ops;
	c->base.timeout_ms = -1;
	c->s = s;
	c->stream_id = frame->hd.stream_id;
	hodei__grpc_reader_init(&c->reader, s->opts.max_message);
	c->next = s->calls;
	if (s->calls)
		s->calls->prev = c;
	s->calls = c;
	s->ncalls++;
	nghttp2_session_set_stream_user_data(ng, c->stream_id, c);
	return 0;
}

static int keep_header(char **slot, const uint8_t *value, size_t len, h2_call *c)
{
	if (len > HEADER_VALUE_MAX) {
		c->bad_header = 1;
		return 0;
	}
	char *v = malloc(len + 1);
	if (!v)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	memcpy(v, value, len);
	v[len] = '\0';
	free(*slot);
	*slot = v;
	return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *ud)
{
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	h2_call *c = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	if (!c)
		return 0;
	/* A header block that never ends (CONTINUATION flood) or is huge:
	 * reset the stream; nghttp2 keeps decoding but we keep nothing. */
	c->header_bytes += namelen + valuelen;
	if (++c->header_count > HEADER_COUNT_MAX || c->header_bytes > HEADER_BLOCK_MAX)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	static const struct {
		const char *name;
		size_t offset;
	} wanted[] = {
		{":method", offsetof(h2_call, method)},
		{":path", offsetof(h2_call, path)},
		{"content-type", offsetof(h2_call, content_type)},
		{"grpc-encoding", offsetof(h2_call, encoding)},
		{"grpc-timeout", offsetof(h2_call, timeout)},
		{"authorization", offsetof(h2_call, auth)},
	};
	for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
		if (strlen(wanted[i].name) == namelen && memcmp(wanted[i].name, name, namelen) == 0)
			return keep_header((char **)((char *)c + wanted[i].offset), value, valuelen, c);
	}
	return 0;
}

static void count_reset(hodei_h2s *s)
{
	s->resets++;
	if (s->resets > s->opts.max_resets && s->resets > s->completed) {
		/* Streams opened and reset faster than they complete: a flood. */
		nghttp2_session_terminate_session(s->ng, NGHTTP2_ENHANCE_YOUR_CALM);
		s->fatal = 1;
	}
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
	hodei_h2s *s = ud;
	h2_call *c = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	switch (frame->hd.type) {
	case NGHTTP2_HEADERS:
		if (!c)
			break;
		if (frame->headers.cat == NGHTTP2_HCAT_REQUEST)
			start_call(c);
		if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
			half_close(c);
		break;
	case NGHTTP2_DATA:
		if (c && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
			half_close(c);
		break;
	case NGHTTP2_RST_STREAM:
		count_reset(s);
		break;
	default:
		break;
	}
	return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *ud)
{
	hodei_h2s *s = ud;
	h2_call *c = nghttp2_session_get_stream_user_data(ng, stream_id);
	if (!c || c->base.finished || !c->accepted)
		return 0;
	size_t before = hodei__grpc_reader_buffered(&c->reader);
	int rc = hodei__grpc_reader_feed(&c->reader, data, len, deliver_message, c);
	inbound_update(c, before);
	if (rc == HODEI_GRPC_ETOOBIG)
		h2_finish(&c->base, HODEI_GRPC_RESOURCE_EXHAUSTED,
		          "message larger than the 4 MiB limit");
	else if (rc == HODEI_GRPC_ECOMPRESSED)
		h2_finish(&c->base, HODEI_GRPC_UNIMPLEMENTED, "compressed messages are not supported");
	else if (rc == HODEI_GRPC_EFLAG)
		h2_finish(&c->base, HODEI_GRPC_INTERNAL, "malformed message prefix");
	else if (rc == HODEI_GRPC_ENOMEM)
		h2_finish(&c->base, HODEI_GRPC_RESOURCE_EXHAUSTED, "out of memory");
	else if (s->inbound > s->opts.max_buffered)
		h2_finish(&c->base, HODEI_GRPC_RESOURCE_EXHAUSTED,
		          "too much request data buffered on this connection");
	else if (s->opts.shared_inbound && *s->opts.shared_inbound > s->opts.max_shared_inbound)
		h2_finish(&c->base, HODEI_GRPC_RESOURCE_EXHAUSTED,
		          "too much request data buffered on this server");
	if (c->base.finished)
		inbound_release(c);
	return 0;
}

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
	if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
	    !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	h2_call *c = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	/* We answered before the client finished sending: tell it to stop. */
	if (c && !c->remote_closed)
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
		                          NGHTTP2_NO_ERROR);
	return 0;
}

static void close_call(hodei_h2s *s, h2_call *c)
{
	call_unlink(c);
	if (c->base.finished)
		s->completed++;
	c->base.closed = 1;
	if (c->accepted && s->h.on_close)
		s->h.on_close(s->ud, &c->base);
	call_free(c);
}

static int on_stream_close(nghttp2_session *ng, int32_t stream_id, uint32_t error_code,
                           void *ud)
{
	h2_call *c = nghttp2_session_get_stream_user_data(ng, stream_id);
	if (c) {
		nghttp2_session_set_stream_user_data(ng, stream_id, NULL);
		close_call(ud, c);
	}
	return 0;
}

int hodei__h2s_new(hodei_h2s **out, const hodei_h2s_handlers *handlers, void *userdata,
                   const hodei_h2s_options *opts)
{
	*out = NULL;
	hodei_h2s *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	s->h = *handlers;
	s->ud = userdata;
	if (opts)
		s->opts = *opts;
	if (!s->opts.max_concurrent_streams)
		s->opts.max_concurrent_streams = 100;
	if (!s->opts.max_message)
		s->opts.max_message = HODEI_GRPC_MAX_MESSAGE;
	if (!s->opts.max_buffered)
		s->opts.max_buffered = 2 * s->opts.max_message;
	if (!s->opts.low_water)
		s->opts.low_water = 64u << 10;
	if (!s->opts.max_resets)
		s->opts.max_resets = 1000;

	nghttp2_session_callbacks *cbs;
	if (nghttp2_session_callbacks_new(&cbs) != 0) {
		free(s);
		return -1;
	}
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	int rv = nghttp2_session_server_new(&s->ng, cbs, s);
	nghttp2_session_callbacks_del(cbs);
	if (rv != 0) {
		free(s);
		return -1;
	}
	nghttp2_settings_entry iv[] = {
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, s->opts.max_concurrent_streams},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20},
	};
	nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
	nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE, 0, 8u << 20);
	*out = s;
	return 0;
}

void hodei__h2s_free(hodei_h2s *s)
{
	if (!s)
		return;
	while (s->calls)
		close_call(s, s->calls);
	nghttp2_session_del(s->ng);
	free(s);
}

int hodei__h2s_recv(hodei_h2s *s, const uint8_t *data, size_t len)
{
	if (s->fatal)
		return -1;
	s->in_engine = 1;
	ssize_t rv = nghttp2_session_mem_recv(s->ng, data, len);
	s->in_engine = 0;
	if (rv < 0)
		s->fatal = 1;
	return s->fatal ? -1 : 0;
}

/* Tell the application about calls whose output drained. */
static void notify_writable(hodei_h2s *s)
{
	int again = 1;
	while (again) {
		again = 0;
		for (h2_call *c = s->calls; c; c = c->next) {
			if (!c->notify_writable)
				continue;
			c->notify_writable = 0;
			if (s->h.on_writable && !c->base.finished) {
				s->h.on_writable(s->ud, &c->base);
				again = 1; /* the list may have changed */
				break;
			}
		}
	}
}

ssize_t hodei__h2s_send(hodei_h2s *s, const uint8_t **data)
{
	s->in_engine = 1;
	ssize_t n = nghttp2_session_mem_send(s->ng, data);
	s->in_engine = 0;
	if (n < 0) {
		s->fatal = 1;
		return -1;
	}
	notify_writable(s);
	return n;
}

int hodei__h2s_want_close(hodei_h2s *s)
{
	return !nghttp2_session_want_read(s->ng) && !nghttp2_session_want_write(s->ng);
}

void hodei__h2s_shutdown(hodei_h2s *s)
{
	nghttp2_submit_goaway(s->ng, NGHTTP2_FLAG_NONE,
	                      nghttp2_session_get_last_proc_stream_id(s->ng), NGHTTP2_NO_ERROR,
	                      NULL, 0);
	want_output(s);
}

size_t hodei__h2s_ncalls(hodei_h2s *s)
{
	return s->ncalls;
}

void hodei__h2s_foreach(hodei_h2s *s, void (*fn)(hodei_rpc_call *call, void *arg), void *arg)
{
	h2_call *next;
	for (h2_call *c = s->calls; c; c = next) {
		next = c->next;
		if (c->accepted && !c->base.closed)
			fn(&c->base, arg);
	}
}
