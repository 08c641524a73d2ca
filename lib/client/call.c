/*
 * gRPC calls on a client connection: one HTTP/2 stream each, with the
 * request body fed from a buffer through a deferred data provider so that
 * streaming calls can keep sending.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

/* Most bytes queued by hodei_call_send() before it waits for the network. */
#define SEND_HIGH_WATER (1u << 20)

/* The gRPC status implied by an HTTP status when grpc-status is missing. */
static int grpc_status_from_http(int http_status)
{
	switch (http_status) {
	case 400:
		return HODEI_GRPC_INTERNAL;
	case 401:
		return HODEI_GRPC_UNAUTHENTICATED;
	case 403:
		return HODEI_GRPC_PERMISSION_DENIED;
	case 404:
		return HODEI_GRPC_UNIMPLEMENTED;
	case 429:
	case 502:
	case 503:
	case 504:
		return HODEI_GRPC_UNAVAILABLE;
	default:
		return HODEI_GRPC_UNKNOWN;
	}
}

static int enqueue_message(void *userdata, const uint8_t *msg, size_t len)
{
	hodei_call *call = userdata;
	struct hodei__msg *m;

	if (call->inq_bytes + len > HODEI__CALL_MAX_QUEUED)
		return HODEI_EFULL;
	m = malloc(sizeof(*m) + len);
	if (!m)
		return HODEI_ENOMEM;
	m->next = NULL;
	m->len = len;
	memcpy(m->data, msg, len);
	if (call->inq_tail)
		call->inq_tail->next = m;
	else
		call->inq = m;
	call->inq_tail = m;
	call->inq_bytes += len;
	return 0;
}

int hodei__call_feed(hodei_call *call, const uint8_t *data, size_t len)
{
	int rc = hodei__grpc_reader_feed(&call->reader, data, len, enqueue_message, call);

	if (rc == 0)
		return 0;
	call->local_error = rc == HODEI_GRPC_ETOOBIG || rc == HODEI_EFULL ? HODEI_EFULL
	                  : rc == HODEI_ENOMEM || rc == HODEI_GRPC_ENOMEM ? HODEI_ENOMEM : HODEI_EIO;
	snprintf(call->local_msg, sizeof(call->local_msg), "%s: %s", call->method,
	         rc == HODEI_GRPC_ETOOBIG ? "the server sent a message over 4 MiB"
	         : rc == HODEI_EFULL ? "too many unread messages from the server"
	         : rc == HODEI_GRPC_ECOMPRESSED ? "the server sent a compressed message"
	         : rc == HODEI_ENOMEM || rc == HODEI_GRPC_ENOMEM ? "out of memory"
	         : "the server sent a malformed message");
	return -1;
}

/* Take the oldest queued message; 1 if there was one. */
static int dequeue_message(hodei_call *call, void **msg, size_t *len)
{
	struct hodei__msg *m = call->inq;

	if (!m)
		return 0;
	*msg = malloc(m->len ? m->len : 1);
	if (!*msg)
		return HODEI_ENOMEM;
	memcpy(*msg, m->data, m->len);
	*len = m->len;
	call->inq = m->next;
	if (!call->inq)
		call->inq_tail = NULL;
	call->inq_bytes -= m->len;
	free(m);
	return 1;
}

/* ---- the request body ------------------------------------------------- */

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                         size_t length, uint32_t *data_flags, nghttp2_data_source *source,
                         void *user_data)
{
	hodei_call *call = nghttp2_session_get_stream_user_data(session, stream_id);
	size_t n;

	if (!call)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	n = hodei__bytes_avail(&call->send);
	if (n == 0 && !call->send_closed) {
		call->deferred = 1;
		return NGHTTP2_ERR_DEFERRED;
	}
	if (n > length)
		n = length;
	memcpy(buf, call->send.data + call->send.off, n);
	hodei__bytes_consume(&call->send, n);
	if (call->send_closed && hodei__bytes_avail(&call->send) == 0)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static void wake_body(hodei_call *call)
{
	if (call->deferred && call->stream_id && !call->closed) {
		call->deferred = 0;
		nghttp2_session_resume_data(call->client->session, call->stream_id);
	}
}

/* ---- opening and ending calls ----------------------------------------- */

/* nghttp2 copies names and values (no NO_COPY flags: some live on the stack). */
#define NV(n, v)                                                                  \
	{ (uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE }

static int submit(hodei_call *call, int64_t timeout_ms)
{
	hodei_client *c = call->client;
	char timeout[12];
	nghttp2_nv nva[9] = {
		NV(":method", "POST"), NV(":scheme", "http"), NV(":path", call->method),
		NV(":authority", c->unix_path ? "localhost" : c->address), NV("content-type", "application/grpc+proto"),
		NV("te", "trailers"), NV("user-agent", c->user_agent),
	};
	size_t nnv = 7;
	nghttp2_data_provider body;
	int32_t id;

	if (timeout_ms > 0) {
		hodei__grpc_timeout_format(timeout_ms, timeout);
		nva[nnv++] = (nghttp2_nv)NV("grpc-timeout", timeout);
	}
	if (c->auth_header)
		nva[nnv++] = (nghttp2_nv)NV("authorization", c->auth_header);
	body.source.ptr = call;
	body.read_callback = read_body;
	id = nghttp2_submit_request(c->session, NULL, nva, nnv, &body, call);
	if (id < 0)
		return hodei__err(HODEI_EUNAVAIL, "%s: cannot start a call: %s",
		                          c->address, nghttp2_strerror(id));
	call->stream_id = id;
	return 0;
}

int hodei_call_open(hodei_call **out, hodei_client *c, const char *method,
                    int64_t timeout_ms)
{
	hodei_call *call;
	int rc;

	if (!out || !c)
		return hodei__err(HODEI_EINVAL, "out and client: must not be NULL");
	if (!method || method[0] != '/')
		return hodei__err(HODEI_EINVAL, "method: must be \"/package.Service/Method\"");
	*out = NULL;
	if (!hodei__client_usable(c) && (rc = hodei__client_connect(c)) != 0)
		return rc;
	call = calloc(1, sizeof(*call));
	if (!call || !(call->method = strdup(method))) {
		free(call);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	call->client = c;
	call->grpc_status = -1;
	hodei__grpc_reader_init(&call->reader, HODEI_GRPC_MAX_MESSAGE);
	if (timeout_ms > 0)
		call->deadline_ms = hodei__mono_ms() + timeout_ms;
	rc = submit(call, timeout_ms);
	if (rc != 0) {
		free(call->method);
		free(call);
		return rc;
	}
	call->next = c->calls;
	c->calls = call;
	*out = call;
	return 0;
}

static void unlink_call(hodei_call *call)
{
	hodei_call **p;

	for (p = &call->client->calls; *p; p = &(*p)->next) {
		if (*p == call) {
			*p = call->next;
			return;
		}
	}
}

void hodei_call_free(hodei_call *call)
{
	hodei_client *c;

	if (!call)
		return;
	c = call->client;
	if (c && call->stream_id && !call->closed && c->session) {
		nghttp2_session_set_stream_user_data(c->session, call->stream_id, NULL);
		nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, call->stream_id,
		                          NGHTTP2_CANCEL);
		hodei_client_process(c, 0);
	}
	if (c)
		unlink_call(call);
	while (call->inq) {
		struct hodei__msg *m = call->inq;

		call->inq = m->next;
		free(m);
	}
	hodei__grpc_reader_reset(&call->reader);
	hodei__bytes_free(&call->send);
	free(call->grpc_message);
	free(call->method);
	free(call);
}

/* ---- status ----------------------------------------------------------- */

/* The call's final result once its stream has closed. */
static int call_result(hodei_call *call)
{
	const char *msg = call->grpc_message ? call->grpc_message : "";

	if (call->local_error)
		return hodei__err(call->local_error, "%s", call->local_msg);
	if (call->grpc_status < 0 && call->http_status != 0 && call->content_type_ok <= 0)
		return hodei__err(HODEI_EUNAVAIL, "%s is not a Hodei server: %s got HTTP %d "
		                  "without gRPC", call->client->address, call->method,
		                  call->http_status);
	if (call->grpc_status < 0 && call->http_status != 0 && call->http_status != 200)
		call->grpc_status = grpc_status_from_http(call->http_status);
	if (call->grpc_status < 0) {
		if (call->rst_code == NGHTTP2_REFUSED_STREAM)
			return hodei__err(HODEI_EUNAVAIL, "%s refused the call %s (shutting down?)",
			                          call->client->address, call->method);
		return hodei__err(HODEI_EUNAVAIL,
		                          "%s ended %s without a gRPC status (HTTP/2 error %s)",
		                          call->client->address, call->method,
		                          nghttp2_http2_strerror(call->rst_code));
	}
	if (call->grpc_status == 12)
		return hodei__err(HODEI_EUNAVAIL,
		                          "%s does not implement %s: is it a Hodei server of "
		                          "this version?%s%s", call->client->address, call->method,
		                          msg[0] ? " " : "", msg);
	if (call->grpc_status != 0)
		return hodei__err(hodei__grpc_status_to_result(call->grpc_status), "%s",
		                          msg[0] ? msg : "the server reported an error");
	return 0;
}

int hodei_call_status(hodei_call *call, const char **message)
{
	if (message)
		*message = call && call->grpc_message ? call->grpc_message : "";
	if (!call || !call->closed)
		return -1;
	return call->grpc_status < 0 ? 2 : call->grpc_status;
}

/* Wait up to `wait_ms` (negative: no limit) for the connection, never past
 * the call's deadline. */
static int wait_io(hodei_call *call, int64_t wait_ms)
{
	if (call->deadline_ms) {
		int64_t left = call->deadline_ms - hodei__mono_ms();

		if (left < 0)
			left = 0;
		if (wait_ms < 0 || wait_ms > left)
			wait_ms = left;
	}
	return hodei_client_process(call->client, wait_ms);
}

static int deadline_passed(hodei_call *call)
{
	return call->deadline_ms && hodei__mono_ms() >= call->deadline_ms;
}

static int fail_deadline(hodei_call *call)
{
	return hodei__err(HODEI_ETIMEDOUT, "%s: no answer from %s in time",
	                          call->method, call->client->address);
}

/* Error for a call whose connection is gone. */
static int fail_lost(hodei_call *call)
{
	hodei_client *c = call->client;

	return hodei__err(c->broken ? c->broken_rc : HODEI_EUNAVAIL, "%s",
	                  c->broken ? c->broken_msg : "the connection was closed");
}

int hodei_call_recv(hodei_call *call, void **msg, size_t *len, int64_t timeout_ms)
{
	int64_t until = hodei__mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int polled = 0, rc;

	if (!call || !msg || !len)
		return hodei__err(HODEI_EINVAL, "call, msg and len: must not be NULL");
	*msg = NULL;
	*len = 0;
	for (;;) {
		int64_t left = -1;

		rc = dequeue_message(call, msg, len);
		if (rc == 1)
			return 0;
		if (rc < 0)
			return hodei__err(rc, "out of memory");
		if (call->closed) {
			if (hodei__grpc_reader_partial(&call->reader) && !call->local_error &&
			    call->grpc_status == 0)
				return hodei__err(HODEI_EIO, "%s: the last message was cut short",
				                          call->method);
			return call_result(call);
		}
		if (call->client->broken)
			return fail_lost(call);
		if (deadline_passed(call))
			return fail_deadline(call);
		if (timeout_ms >= 0) {
			left = until - hodei__mono_ms();
			if (left < 0)
				left = 0;
			if (polled && left == 0)
				return hodei__err(HODEI_EAGAIN, "%s: no message yet", call->method);
		}
		if (wait_io(call, left) != 0 && !call->closed)
			return fail_lost(call);
		polled = 1;
	}
}

int hodei_call_send(hodei_call *call, const void *msg, size_t len)
{
	uint8_t prefix[HODEI_GRPC_PREFIX];
	int64_t until;
	int rc;

	if (!call || (!msg && len))
		return hodei__err(HODEI_EINVAL, "call: must not be NULL");
	if (call->send_closed)
		return hodei__err(HODEI_EINVAL, "%s: sending after close_send",
		                          call->method);
	if (len > HODEI_GRPC_MAX_MESSAGE)
		return hodei__err(HODEI_EINVAL, "%s: message of %zu bytes is over the "
		                          "4 MiB limit", call->method, len);
	if (call->closed) {
		rc = call_result(call);
		return rc ? rc : hodei__err(HODEI_ESTATE, "%s: the call has ended",
		                                    call->method);
	}
	hodei__grpc_prefix(prefix, (uint32_t)len, 0);
	if (hodei__bytes_append(&call->send, prefix, sizeof(prefix)) != 0 ||
	    (len && hodei__bytes_append(&call->send, msg, len) != 0))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	wake_body(call);
	/* Too much waiting: let the network drain it, for at most the call's
	 * deadline or, without one, the client's call timeout. */
	until = hodei__mono_ms() + (call->client->call_timeout_ms ? call->client->call_timeout_ms
	                                                           : 30000);
	while (hodei__bytes_avail(&call->send) > SEND_HIGH_WATER && !call->closed) {
		if (deadline_passed(call) || hodei__mono_ms() >= until)
			return fail_deadline(call);
		if (wait_io(call, until - hodei__mono_ms()) != 0)
			return fail_lost(call);
	}
	/* A connection lost from here on is reported by hodei_call_recv(). */
	hodei_client_process(call->client, 0);
	return 0;
}

int hodei_call_close_send(hodei_call *call)
{
	if (!call)
		return hodei__err(HODEI_EINVAL, "call: must not be NULL");
	if (call->send_closed)
		return 0;
	call->send_closed = 1;
	if (call->closed)
		return 0;
	wake_body(call);
	hodei_client_process(call->client, 0); /* errors are reported by recv */
	return 0;
}

int hodei__client_unary(hodei_client *c, const char *method, const void *req,
                        size_t req_len, void **resp, size_t *resp_len)
{
	hodei_call *call;
	void *extra;
	size_t extra_len;
	int rc;

	*resp = NULL;
	*resp_len = 0;
	rc = hodei_call_open(&call, c, method, c->call_timeout_ms);
	if (rc != 0)
		return rc;
	rc = hodei_call_send(call, req, req_len);
	if (rc == 0)
		rc = hodei_call_close_send(call);
	if (rc == 0)
		rc = hodei_call_recv(call, resp, resp_len, -1);
	if (rc == 0 && !*resp)
		rc = hodei__err(HODEI_EIO, "%s: the server sent no answer", method);
	if (rc == 0) {
		/* Wait for the trailers: an error status there overrides the message. */
		rc = hodei_call_recv(call, &extra, &extra_len, -1);
		if (rc == 0 && extra) {
			free(extra);
			rc = hodei__err(HODEI_EIO, "%s: the server sent two answers", method);
		}
		if (rc != 0) {
			free(*resp);
			*resp = NULL;
		}
	}
	hodei_call_free(call);
	return rc;
}
