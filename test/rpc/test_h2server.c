/*
 * Unit tests of lib/rpc/h2server.c: an nghttp2 client session and the
 * server exchange bytes in memory, no sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "grpc.h"
#include "h2server.h"

/* ---- the client side: records what one stream received ---- */

struct response {
	char status[8];
	char content_type[64];
	char grpc_status[8];
	char grpc_message[256];
	int headers_frames;
	int trailers_only;
	int closed;
	uint32_t close_error;
	uint8_t body[1 << 16];
	size_t body_len;
	size_t body_total;
};

struct client {
	nghttp2_session *ng;
	struct response resp[8];
	int32_t ids[8];
	int n;
	const uint8_t *upload;
	size_t upload_len, upload_off;
	int upload_eof;
};

static struct response *resp_of(struct client *cl, int32_t id)
{
	for (int i = 0; i < cl->n; i++)
		if (cl->ids[i] == id)
			return &cl->resp[i];
	return NULL;
}

static int cl_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *ud)
{
	struct response *r = resp_of(ud, frame->hd.stream_id);
	if (!r)
		return 0;
	struct {
		const char *name;
		char *dst;
		size_t cap;
	} keep[] = {
		{":status", r->status, sizeof r->status},
		{"content-type", r->content_type, sizeof r->content_type},
		{"grpc-status", r->grpc_status, sizeof r->grpc_status},
		{"grpc-message", r->grpc_message, sizeof r->grpc_message},
	};
	for (size_t i = 0; i < 4; i++) {
		if (strlen(keep[i].name) == namelen && memcmp(name, keep[i].name, namelen) == 0) {
			size_t n = valuelen < keep[i].cap - 1 ? valuelen : keep[i].cap - 1;
			memcpy(keep[i].dst, value, n);
			keep[i].dst[n] = '\0';
		}
	}
	return 0;
}

static int cl_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
	struct response *r = resp_of(ud, frame->hd.stream_id);
	if (r && frame->hd.type == NGHTTP2_HEADERS) {
		r->headers_frames++;
		if (r->headers_frames == 1 && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
			r->trailers_only = 1;
	}
	return 0;
}

static int cl_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *ud)
{
	struct response *r = resp_of(ud, id);
	if (!r)
		return 0;
	size_t room = sizeof r->body - r->body_len;
	size_t n = len < room ? len : room;
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body_total += len;
	return 0;
}

static int cl_close(nghttp2_session *ng, int32_t id, uint32_t error, void *ud)
{
	struct response *r = resp_of(ud, id);
	if (r) {
		r->closed = 1;
		r->close_error = error;
	}
	return 0;
}

static void client_init(struct client *cl, int manual_window)
{
	memset(cl, 0, sizeof *cl);
	nghttp2_session_callbacks *cbs;
	nghttp2_session_callbacks_new(&cbs);
	nghttp2_session_callbacks_set_on_header_callback(cbs, cl_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cl_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cl_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cl_close);
	nghttp2_option *opt;
	nghttp2_option_new(&opt);
	if (manual_window)
		nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_session_client_new2(&cl->ng, cbs, cl, opt);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cbs);
	nghttp2_submit_settings(cl->ng, NGHTTP2_FLAG_NONE, NULL, 0);
}

static ssize_t upload_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length,
                           uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct client *cl = ud;
	size_t n = cl->upload_len - cl->upload_off;
	if (n == 0 && !cl->upload_eof)
		return NGHTTP2_ERR_DEFERRED;
	if (n > length)
		n = length;
	memcpy(buf, cl->upload + cl->upload_off, n);
	cl->upload_off += n;
	if (cl->upload_off == cl->upload_len && cl->upload_eof)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* Start a request; body (may be NULL) is sent with END_STREAM if eof. */
static int32_t client_request(struct client *cl, const char *path, const char *ctype,
                              const char *extra_name, const char *extra_value,
                              const uint8_t *body, size_t len, int eof)
{
	nghttp2_nv nv[8];
	size_t n = 0;
#define ADD(N, V) nv[n++] = (nghttp2_nv){(uint8_t *)(N), (uint8_t *)(V), strlen(N), strlen(V), 0}
	ADD(":method", "POST");
	ADD(":scheme", "http");
	ADD(":authority", "localhost");
	ADD(":path", path);
	if (ctype)
		ADD("content-type", ctype);
	ADD("te", "trailers");
	if (extra_name)
		ADD(extra_name, extra_value);
#undef ADD
	cl->upload = body;
	cl->upload_len = len;
	cl->upload_off = 0;
	cl->upload_eof = eof;
	nghttp2_data_provider prd = {.source.ptr = NULL, .read_callback = upload_read};
	int32_t id = nghttp2_submit_request(cl->ng, NULL, nv, n, body ? &prd : NULL, NULL);
	cl->ids[cl->n++] = id;
	return id;
}

/* ---- the server side: a tiny echo service ---- */

struct server {
	hodei_h2s *s;
	int calls, messages, half_closes, closes, writables, outputs;
	int64_t last_timeout;
	char last_auth[64];
	int stream_big;       /* on half-close, queue this many bytes and keep open */
	hodei_rpc_call *open_call;
};

static int srv_call(void *ud, hodei_rpc_call *call, const char **message)
{
	struct server *sv = ud;
	sv->calls++;
	sv->last_timeout = call->timeout_ms;
	snprintf(sv->last_auth, sizeof sv->last_auth, "%s", call->authorization ? call->authorization : "");
	if (strcmp(call->path, "/test.Echo/Unary") != 0 && strcmp(call->path, "/test.Echo/Big") != 0) {
		*message = "unknown method";
		return HODEI_GRPC_UNIMPLEMENTED;
	}
	return HODEI_GRPC_OK;
}

static void srv_message(void *ud, hodei_rpc_call *call, const uint8_t *msg, size_t len)
{
	struct server *sv = ud;
	sv->messages++;
	if (strcmp(call->path, "/test.Echo/Unary") == 0)
		hodei__rpc_call_send(call, msg, len);
}

static void srv_half_close(void *ud, hodei_rpc_call *call)
{
	struct server *sv = ud;
	sv->half_closes++;
	if (strcmp(call->path, "/test.Echo/Big") == 0) {
		static uint8_t chunk[8192];
		for (int i = 0; i < sv->stream_big / (int)sizeof chunk; i++)
			hodei__rpc_call_send(call, chunk, sizeof chunk);
		sv->open_call = call;
		return;
	}
	hodei__rpc_call_finish(call, HODEI_GRPC_OK, "d\xc3\xa9j\xc3\xa0 100%");
}

static void srv_writable(void *ud, hodei_rpc_call *call)
{
	((struct server *)ud)->writables++;
}

static void srv_close(void *ud, hodei_rpc_call *call)
{
	struct server *sv = ud;
	sv->closes++;
	if (sv->open_call == call)
		sv->open_call = NULL;
}

static void srv_output(void *ud)
{
	((struct server *)ud)->outputs++;
}

static const hodei_h2s_handlers handlers = {
	srv_call, srv_message, srv_half_close, srv_writable, srv_close, srv_output,
};

/* Exchange bytes until both sides are quiet.  Returns the server's rc. */
static int pump(struct client *cl, struct server *sv)
{
	for (int round = 0; round < 10000; round++) {
		int moved = 0;
		const uint8_t *data;
		ssize_t n;
		while ((n = nghttp2_session_mem_send(cl->ng, &data)) > 0) {
			moved = 1;
			if (hodei__h2s_recv(sv->s, data, (size_t)n) < 0)
				return -1;
		}
		while ((n = hodei__h2s_send(sv->s, &data)) > 0) {
			moved = 1;
			assert_int_equal(nghttp2_session_mem_recv(cl->ng, data, (size_t)n), n);
		}
		if (!moved)
			return 0;
	}
	fail_msg("pump did not settle");
	return -1;
}

static int setup(void **state)
{
	struct client *cl = calloc(1, sizeof *cl);
	struct server *sv = calloc(1, sizeof *sv);
	client_init(cl, 0);
	assert_int_equal(hodei__h2s_new(&sv->s, &handlers, sv, NULL), 0);
	void **pair = calloc(2, sizeof *pair);
	pair[0] = cl;
	pair[1] = sv;
	*state = pair;
	return 0;
}

static int teardown(void **state)
{
	void **pair = *state;
	struct client *cl = pair[0];
	struct server *sv = pair[1];
	hodei__h2s_free(sv->s);
	nghttp2_session_del(cl->ng);
	free(cl);
	free(sv);
	free(pair);
	return 0;
}

#define CL ((struct client *)((void **)*state)[0])
#define SV ((struct server *)((void **)*state)[1])

static size_t framed(uint8_t *out, const char *text, size_t len)
{
	hodei__grpc_prefix(out, (uint32_t)len, 0);
	memcpy(out + 5, text, len);
	return len + 5;
}

static void test_unary_echo(void **state)
{
	uint8_t body[64];
	size_t n = framed(body, "ping", 4);
	int32_t id = client_request(CL, "/test.Echo/Unary", "application/grpc", "grpc-timeout",
	                            "1500m", body, n, 1);
	assert_int_equal(pump(CL, SV), 0);
	struct response *r = resp_of(CL, id);
	assert_string_equal(r->status, "200");
	assert_string_equal(r->content_type, "application/grpc");
	assert_false(r->trailers_only);
	assert_int_equal(r->headers_frames, 2);
	assert_int_equal(r->body_len, 9);
	assert_memory_equal(r->body + 5, "ping", 4);
	assert_string_equal(r->grpc_status, "0");
	assert_string_equal(r->grpc_message, "d%C3%A9j%C3%A0 100%25");
	assert_true(r->closed);
	assert_int_equal(SV->last_timeout, 1500);
	assert_int_equal(SV->messages, 1);
	assert_int_equal(SV->closes, 1);
}

static void test_unknown_method_trailers_only(void **state)
{
	int32_t id = client_request(CL, "/test.Echo/Nope", "application/grpc+proto",
	                            "authorization", "Bearer x", NULL, 0, 1);
	assert_int_equal(pump(CL, SV), 0);
	struct response *r = resp_of(CL, id);
	assert_true(r->trailers_only);
	assert_string_equal(r->status, "200");
	assert_string_equal(r->content_type, "application/grpc");
	assert_string_equal(r->grpc_status, "12");
	assert_string_equal(r->grpc_message, "unknown method");
	assert_string_equal(SV->last_auth, "Bearer x");
	assert_int_equal(SV->closes, 0); /* refused calls are not the app's */
}

static void test_wrong_content_type(void **state)
{
	int32_t a = client_request(CL, "/test.Echo/Unary", "text/plain", NULL, NULL, NULL, 0, 1);
	int32_t b = client_request(CL, "/test.Echo/Unary", "application/grpc+json", NULL, NULL,
	                           NULL, 0, 1);
	int32_t c = client_request(CL, "/test.Echo/Unary", NULL, NULL, NULL, NULL, 0, 1);
	assert_int_equal(pump(CL, SV), 0);
	assert_string_equal(resp_of(CL, a)->status, "415");
	assert_string_equal(resp_of(CL, b)->grpc_status, "12");
	assert_string_equal(resp_of(CL, c)->status, "415");
	assert_int_equal(SV->calls, 0);
}

static void test_compression_refused(void **state)
{
	int32_t a = client_request(CL, "/test.Echo/Unary", "application/grpc", "grpc-encoding",
	                           "gzip", NULL, 0, 1);
	uint8_t body[8] = {1, 0, 0, 0, 1, 'x'};
	int32_t b = client_request(CL, "/test.Echo/Unary", "application/grpc", NULL, NULL, body,
	                           6, 1);
	assert_int_equal(pump(CL, SV), 0);
	assert_string_equal(resp_of(CL, a)->grpc_status, "12");
	assert_string_equal(resp_of(CL, b)->grpc_status, "12");
	assert_true(resp_of(CL, b)->closed);
}

static void test_bad_timeout(void **state)
{
	int32_t a = client_request(CL, "/test.Echo/Unary", "application/grpc", "grpc-timeout",
	                           "soon", NULL, 0, 1);
	assert_int_equal(pump(CL, SV), 0);
	assert_string_equal(resp_of(CL, a)->grpc_status, "3");
}

static void test_too_big(void **state)
{
	uint8_t prefix[5];
	hodei__grpc_prefix(prefix, HODEI_GRPC_MAX_MESSAGE + 1, 0);
	int32_t id = client_request(CL, "/test.Echo/Unary", "application/grpc", NULL, NULL,
	                            prefix, 5, 0);
	assert_int_equal(pump(CL, SV), 0);
	struct response *r = resp_of(CL, id);
	assert_string_equal(r->grpc_status, "8");
	assert_true(r->closed); /* answered, then the upload is reset */
	assert_int_equal(SV->messages, 0);
}

static void test_truncated(void **state)
{
	uint8_t body[16];
	hodei__grpc_prefix(body, 10, 0);
	memcpy(body + 5, "abc", 3);
	int32_t id = client_request(CL, "/test.Echo/Unary", "application/grpc", NULL, NULL, body,
	                            8, 1);
	assert_int_equal(pump(CL, SV), 0);
	struct response *r = resp_of(CL, id);
	assert_string_equal(r->grpc_status, "13");
	assert_int_equal(SV->messages, 0);
	assert_int_equal(SV->half_closes, 0);
}

static void test_garbage_preface(void **state)
{
	const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(hodei__h2s_recv(SV->s, (const uint8_t *)junk, sizeof junk - 1), -1);
}

static void test_flow_control(void **state)
{
	/* A client that never grants more window: output stays queued. */
	nghttp2_session_del(CL->ng);
	client_init(CL, 1);
	SV->stream_big = 256 * 1024;
	int32_t id = client_request(CL, "/test.Echo/Big", "application/grpc", NULL, NULL, NULL, 0, 1);
	assert_int_equal(pump(CL, SV), 0);
	struct response *r = resp_of(CL, id);
	assert_non_null(SV->open_call);
	size_t pending = hodei__rpc_call_pending(SV->open_call);
	assert_true(pending > 0);
	assert_true(r->body_total + pending == (size_t)SV->stream_big + 32 * 5);
	assert_int_equal(SV->writables, 0);
	/* The client reads everything: the server drains and says so. */
	for (int i = 0; i < 100 && hodei__rpc_call_pending(SV->open_call) > 0; i++) {
		nghttp2_session_consume(CL->ng, id, r->body_total);
		nghttp2_session_consume_connection(CL->ng, 0);
		r->body_total = 0;
		assert_int_equal(pump(CL, SV), 0);
	}
	assert_int_equal(hodei__rpc_call_pending(SV->open_call), 0);
	assert_true(SV->writables >= 1);
	hodei__rpc_call_finish(SV->open_call, HODEI_GRPC_OK, NULL);
	assert_true(SV->outputs >= 1);
	assert_int_equal(pump(CL, SV), 0);
	assert_string_equal(r->grpc_status, "0");
}

static void test_graceful_shutdown(void **state)
{
	SV->stream_big = 8192;
	int32_t id = client_request(CL, "/test.Echo/Big", "application/grpc", NULL, NULL, NULL, 0, 1);
	assert_int_equal(pump(CL, SV), 0);
	hodei__h2s_shutdown(SV->s);
	assert_int_equal(pump(CL, SV), 0);
	assert_false(hodei__h2s_want_close(SV->s)); /* the call is still open */
	assert_int_equal(hodei__h2s_ncalls(SV->s), 1);
	hodei__rpc_call_finish(SV->open_call, HODEI_GRPC_OK, NULL);
	assert_int_equal(pump(CL, SV), 0);
	assert_string_equal(resp_of(CL, id)->grpc_status, "0");
	assert_true(hodei__h2s_want_close(SV->s));
}

static void test_free_with_open_calls(void **state)
{
	SV->stream_big = 8192;
	client_request(CL, "/test.Echo/Big", "application/grpc", NULL, NULL, NULL, 0, 1);
	assert_int_equal(pump(CL, SV), 0);
	assert_non_null(SV->open_call);
	hodei__h2s_free(SV->s);
	SV->s = NULL;
	assert_null(SV->open_call); /* on_close ran */
	assert_int_equal(SV->closes, 1);
}

static void test_header_flood(void **state)
{
	/* 300 header fields: the stream is reset, the connection lives on. */
	nghttp2_nv nv[310];
	char names[300][16];
	size_t n = 0;
#define ADD(N, V) nv[n++] = (nghttp2_nv){(uint8_t *)(N), (uint8_t *)(V), strlen(N), strlen(V), 0}
	ADD(":method", "POST");
	ADD(":scheme", "http");
	ADD(":authority", "localhost");
	ADD(":path", "/test.Echo/Unary");
	ADD("content-type", "application/grpc");
	for (int i = 0; i < 300; i++) {
		snprintf(names[i], sizeof names[i], "x-flood-%d", i);
		ADD(names[i], "v");
	}
#undef ADD
	int32_t id = nghttp2_submit_request(CL->ng, NULL, nv, n, NULL, NULL);
	CL->ids[CL->n++] = id;
	assert_int_equal(pump(CL, SV), 0);
	struct response *r = resp_of(CL, id);
	assert_true(r->closed);
	assert_int_equal(r->close_error, NGHTTP2_INTERNAL_ERROR);
	assert_int_equal(SV->calls, 0);
	/* The next call on the same connection works. */
	uint8_t body[16];
	size_t len = framed(body, "ok", 2);
	int32_t id2 = client_request(CL, "/test.Echo/Unary", "application/grpc", NULL, NULL, body,
	                             len, 1);
	assert_int_equal(pump(CL, SV), 0);
	assert_string_equal(resp_of(CL, id2)->grpc_status, "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unary_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_method_trailers_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_content_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compression_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_preface, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graceful_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_open_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_flood, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
