/*
 * A small gRPC-over-HTTP/2 server for the client transport tests, run on a
 * thread of the test: each mode answers every call one way, so the client
 * can be checked against answers a real hodeid rarely gives (HTTP 404, a
 * trailers-only error, a dropped connection, silence).
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "fake_grpc_server.h"

typedef struct fake_stream {
	int32_t id;
	int ended;    /* the request ended (FAKE_BIDI: end the response too) */
	int deferred; /* FAKE_BIDI: the response waits for more data */
	uint8_t *req;
	size_t req_len;
	uint8_t *resp;
	size_t resp_len, resp_off;
	struct fake_stream *next;
} fake_stream;

typedef struct fake_conn {
	fake_server *srv;
	int fd;
	int drop;
	nghttp2_session *session;
	fake_stream *streams;
} fake_conn;

#define NV(n, v)                                                                  \
	{ (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v),                  \
	  NGHTTP2_NV_FLAG_NONE }

static fake_stream *find_stream(fake_conn *c, int32_t id, int create)
{
	fake_stream *s;

	for (s = c->streams; s; s = s->next)
		if (s->id == id)
			return s;
	if (!create)
		return NULL;
	s = calloc(1, sizeof(*s));
	s->id = id;
	s->next = c->streams;
	c->streams = s;
	return s;
}

static ssize_t read_resp(nghttp2_session *session, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	fake_stream *s = src->ptr;
	size_t n = s->resp_len - s->resp_off;

	if (n == 0 && !s->ended) {
		s->deferred = 1;
		return NGHTTP2_ERR_DEFERRED;
	}
	if (n > length)
		n = length;
	memcpy(buf, s->resp + s->resp_off, n);
	s->resp_off += n;
	if (s->resp_off == s->resp_len && s->ended) {
		nghttp2_nv trailers[] = { NV("grpc-status", "0") };

		*flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
		nghttp2_submit_trailer(session, id, trailers, 1);
	}
	return (ssize_t)n;
}

/* The request ended: answer it as the mode says. */
static void answer(fake_conn *c, fake_stream *s)
{
	nghttp2_nv ok[] = { NV(":status", "200"), NV("content-type", "application/grpc") };
	nghttp2_data_provider body = { { .ptr = s }, read_resp };
	int i;

	s->ended = 1;
	switch (c->srv->mode) {
	case FAKE_BIDI: /* already answering: let the response end */
		if (s->deferred) {
			s->deferred = 0;
			nghttp2_session_resume_data(c->session, s->id);
		}
		break;
	case FAKE_ECHO: /* the request's messages back, as they were framed */
		s->resp = malloc(s->req_len + 1);
		memcpy(s->resp, s->req, s->req_len);
		s->resp_len = s->req_len;
		nghttp2_submit_response(c->session, s->id, ok, 2, &body);
		break;
	case FAKE_STREAM: /* the request echoed three times: three messages */
		s->resp = malloc(3 * s->req_len + 1);
		for (i = 0; i < 3; i++)
			memcpy(s->resp + i * s->req_len, s->req, s->req_len);
		s->resp_len = 3 * s->req_len;
		nghttp2_submit_response(c->session, s->id, ok, 2, &body);
		break;
	case FAKE_NOT_FOUND: {
		nghttp2_nv h[] = { NV(":status", "200"), NV("content-type", "application/grpc"),
		                   NV("grpc-status", "5"),
		                   NV("grpc-message", "job%20%22x%22%20not%20found") };

		nghttp2_submit_response(c->session, s->id, h, 4, NULL);
		break;
	}
	case FAKE_UNIMPLEMENTED: {
		nghttp2_nv h[] = { NV(":status", "200"), NV("content-type", "application/grpc"),
		                   NV("grpc-status", "12") };

		nghttp2_submit_response(c->session, s->id, h, 3, NULL);
		break;
	}
	case FAKE_HTTP_404: {
		nghttp2_nv h[] = { NV(":status", "404"), NV("content-type", "text/html") };

		nghttp2_submit_response(c->session, s->id, h, 2, NULL);
		break;
	}
	case FAKE_DROP:
		c->drop = 1;
		break;
	case FAKE_SILENT:
		break;
	}
}

static int on_data(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *ud)
{
	fake_conn *c = ud;
	fake_stream *s = find_stream(c, id, 1);

	if (c->srv->mode == FAKE_BIDI) {
		/* Echo each byte as it arrives, without waiting for the request's end. */
		s->resp = realloc(s->resp, s->resp_len + len);
		memcpy(s->resp + s->resp_len, data, len);
		s->resp_len += len;
		if (s->deferred) {
			s->deferred = 0;
			nghttp2_session_resume_data(session, id);
		}
		return 0;
	}
	s->req = realloc(s->req, s->req_len + len);
	memcpy(s->req + s->req_len, data, len);
	s->req_len += len;
	return 0;
}

/* FAKE_BIDI: the response starts with the request. */
static int on_begin(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
	fake_conn *c = ud;
	fake_stream *s;

	if (c->srv->mode == FAKE_BIDI && frame->hd.type == NGHTTP2_HEADERS &&
	    frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
		nghttp2_nv ok[] = { NV(":status", "200"),
		                    NV("content-type", "application/grpc") };
		nghttp2_data_provider body;

		s = find_stream(c, frame->hd.stream_id, 1);
		body.source.ptr = s;
		body.read_callback = read_resp;
		nghttp2_submit_response(session, s->id, ok, 2, &body);
	}
	return 0;
}

static int on_frame(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
	fake_stream *s;

	if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
		on_begin(session, frame, ud);
	if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
	    (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
		s = find_stream(ud, frame->hd.stream_id, 1);
		answer(ud, s);
	}
	return 0;
}

static void serve(fake_server *srv, int fd)
{
	nghttp2_session_callbacks *cbs;
	nghttp2_settings_entry iv = { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 };
	fake_conn c = { srv, fd, 0, NULL, NULL };
	uint8_t buf[16384];

	nghttp2_session_callbacks_new(&cbs);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame);
	nghttp2_session_server_new(&c.session, cbs, &c);
	nghttp2_session_callbacks_del(cbs);
	nghttp2_submit_settings(c.session, NGHTTP2_FLAG_NONE, &iv, 1);
	while (!c.drop && (nghttp2_session_want_read(c.session) ||
	                   nghttp2_session_want_write(c.session))) {
		const uint8_t *out;
		ssize_t n;

		while ((n = nghttp2_session_mem_send(c.session, &out)) > 0)
			if (write(fd, out, (size_t)n) != n)
				goto done;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0 || nghttp2_session_mem_recv(c.session, buf, (size_t)n) < 0)
			break;
	}
done:
	while (c.streams) {
		fake_stream *s = c.streams;

		c.streams = s->next;
		free(s->req);
		free(s->resp);
		free(s);
	}
	nghttp2_session_del(c.session);
	close(fd);
}

static void *run(void *arg)
{
	fake_server *srv = arg;
	int fd;

	while ((fd = accept(srv->listen_fd, NULL, NULL)) >= 0) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve(srv, fd);
	}
	return NULL;
}

int fake_server_start(fake_server *srv, int mode)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);

	memset(srv, 0, sizeof(*srv));
	srv->mode = mode;
	srv->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(srv->listen_fd, 8) != 0 ||
	    getsockname(srv->listen_fd, (struct sockaddr *)&addr, &len) != 0)
		return -1;
	srv->port = ntohs(addr.sin_port);
	snprintf(srv->address, sizeof(srv->address), "127.0.0.1:%d", srv->port);
	return pthread_create(&srv->thread, NULL, run, srv) == 0 ? 0 : -1;
}

void fake_server_stop(fake_server *srv)
{
	/* Wakes accept() (and ends the loop) on Linux. */
	shutdown(srv->listen_fd, SHUT_RDWR);
	pthread_join(srv->thread, NULL);
	close(srv->listen_fd);
}
