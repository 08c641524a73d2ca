/*
 * The gRPC port: h2c with prior knowledge.  Each connection is a socket,
 * an h2server session and an output buffer; bytes move between them on
 * the loop.  Output is pulled from the session only while the socket keeps
 * up, so a client that stops reading pushes back through HTTP/2 flow
 * control to the producer of its stream, never into unbounded memory.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "grpc.h"
#include "h2server.h"
#include "hodeid.h"

#define OUT_HIGH (256u * 1024) /* stop pulling from the session above this */
#define MAX_CONNECTIONS 1024
#define PREFACE_TIMEOUT_MS 10000   /* a connection must speak within this */
#define IDLE_TIMEOUT_MS 300000     /* ... and, with no call open, keep speaking */
#define HOUSEKEEPING_S 5

struct hodeid_conn {
	hodeid *d;
	evutil_socket_t fd;
	struct event *rev, *wev, *flush, *timer;
	hodei_h2s *h2;
	int64_t accepted_ms, last_read_ms;
	int heard; /* it sent at least one byte */
	struct evbuffer *out;
	int read_closed; /* EOF or error from the peer */
	int worker_only; /* came in on the worker socket (worker_listener.c) */
	char peer[64];
	hodeid_conn *prev, *next;
};

static size_t nconns;

static void conn_free(hodeid_conn *c)
{
	hodeid *d = c->d;
	LOG_DEBUG("connection closed peer=%s", c->peer);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	event_free(c->rev);
	event_free(c->wev);
	event_free(c->flush);
	event_free(c->timer);
	hodei__h2s_free(c->h2); /* on_close for open calls: they unsubscribe */
	evbuffer_free(c->out);
	evutil_closesocket(c->fd);
	free(c);
	nconns--;
}

/* Move session output to the socket.  Returns -1 if the connection died. */
static int conn_flush(hodeid_conn *c)
{
	for (;;) {
		while (evbuffer_get_length(c->out) < OUT_HIGH) {
			const uint8_t *data;
			ssize_t n = hodei__h2s_send(c->h2, &data);
			if (n < 0)
				return -1;
			if (n == 0)
				break;
			evbuffer_add(c->out, data, (size_t)n);
		}
		if (evbuffer_get_length(c->out) == 0)
			break;
		int n = evbuffer_write(c->out, c->fd);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			return -1;
		}
		if (n == 0)
			break;
	}
	if (evbuffer_get_length(c->out) > 0)
		event_add(c->wev, NULL);
	else
		event_del(c->wev);
	return 0;
}

static void conn_settle(hodeid_conn *c)
{
	if (conn_flush(c) < 0) {
		conn_free(c);
		return;
	}
	int done = hodei__h2s_want_close(c->h2) || c->read_closed;
	if (done && evbuffer_get_length(c->out) == 0)
		conn_free(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	hodeid_conn *c = arg;
	uint8_t buf[16384];
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n > 0) {
			c->heard = 1;
			c->last_read_ms = now_ms();
			if (hodei__h2s_recv(c->h2, buf, (size_t)n) < 0) {
				LOG_DEBUG("protocol error peer=%s: closing", c->peer);
				c->read_closed = 1;
				event_del(c->rev);
				break;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		c->read_closed = 1; /* EOF or error */
		event_del(c->rev);
		break;
	}
	conn_settle(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	conn_settle(arg);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	conn_settle(arg);
}

/* Silent connections hold a slot each: close them. */
static void on_housekeeping(evutil_socket_t fd, short what, void *arg)
{
	hodeid_conn *c = arg;
	int64_t now = now_ms();
	if (!c->heard && now - c->accepted_ms > PREFACE_TIMEOUT_MS) {
		LOG_DEBUG("closing silent connection peer=%s", c->peer);
		conn_free(c);
		return;
	}
	if (hodei__h2s_ncalls(c->h2) == 0 && now - c->last_read_ms > IDLE_TIMEOUT_MS) {
		hodei__h2s_shutdown(c->h2);
		c->read_closed = 1; /* no more requests: GOAWAY, then close */
		conn_settle(c);
	}
}

/* ---- h2server handlers ---- */

static int h_call(void *ud, hodei_rpc_call *call, const char **message)
{
	hodeid_conn *c = ud;
	if (c->worker_only && !worker_listener_allows(call->path)) {
		*message = "this socket serves only the worker protocol";
		return HODEI_GRPC_PERMISSION_DENIED;
	}
	return dispatch_call(c->d, call, message);
}

static void h_message(void *ud, hodei_rpc_call *call, const uint8_t *msg, size_t len)
{
	dispatch_message(((hodeid_conn *)ud)->d, call, msg, len);
}

static void h_half_close(void *ud, hodei_rpc_call *call)
{
	dispatch_half_close(((hodeid_conn *)ud)->d, call);
}

static void h_writable(void *ud, hodei_rpc_call *call)
{
	dispatch_writable(((hodeid_conn *)ud)->d, call);
}

static void h_close(void *ud, hodei_rpc_call *call)
{
	dispatch_close(((hodeid_conn *)ud)->d, call);
}

static void h_output(void *ud)
{
	hodeid_conn *c = ud;
	event_active(c->flush, EV_WRITE, 0);
}

static const hodei_h2s_handlers handlers = {
	h_call, h_message, h_half_close, h_writable, h_close, h_output,
};

static void format_peer(const struct sockaddr *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		evutil_inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		evutil_inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
	} else if (sa->sa_family == AF_UNIX) {
		snprintf(out, len, "worker-socket");
		return;
	}
	snprintf(out, len, "%s:%d", host, port);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
	hodeid *d = arg;
	if (nconns >= MAX_CONNECTIONS || d->shutting_down) {
		evutil_closesocket(fd);
		return;
	}
	hodeid_conn *c = calloc(1, sizeof *c);
	if (!c || hodei__h2s_new(&c->h2, &handlers, c, NULL) != 0) {
		free(c);
		evutil_closesocket(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->d = d;
	c->fd = fd;
	c->worker_only = sa->sa_family == AF_UNIX;
	c->out = evbuffer_new();
	c->rev = event_new(d->base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->wev = event_new(d->base, fd, EV_WRITE, on_write, c);
	c->flush = event_new(d->base, -1, 0, on_flush, c);
	c->timer = event_new(d->base, -1, EV_PERSIST, on_housekeeping, c);
	c->accepted_ms = c->last_read_ms = now_ms();
	struct timeval tick = {HOUSEKEEPING_S, 0};
	event_add(c->timer, &tick);
	format_peer(sa, c->peer, sizeof c->peer);
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	nconns++;
	event_add(c->rev, NULL);
	LOG_DEBUG("connection accepted peer=%s", c->peer);
	conn_settle(c); /* our SETTINGS go out first */
}

/* Parse "host:port" (IPv6 as "[::1]:50051") into a sockaddr. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, int *len)
{
	char copy[256];
	size_t n = strlen(spec);
	*len = (int)sizeof *ss;
	memset(ss, 0, sizeof *ss);
	if (n < 2 || n >= sizeof copy || strcmp(spec + n - 2, ":0") != 0)
		return evutil_parse_sockaddr_port(spec, (struct sockaddr *)ss, len);
	/* libevent refuses port 0 ("any free port"): parse with 1, then clear. */
	memcpy(copy, spec, n + 1);
	copy[n - 1] = '1';
	if (evutil_parse_sockaddr_port(copy, (struct sockaddr *)ss, len) != 0)
		return -1;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = 0;
	return 0;
}

int hodeid_bound_port(evutil_socket_t fd);
int hodeid_bound_port(evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void resume_listener(evutil_socket_t fd, short what, void *arg)
{
	evconnlistener_enable(arg);
}

/* accept() failed (out of descriptors): pause instead of spinning. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	hodeid *d = arg;
	struct timeval tv = {0, 200000};
	LOG_WARN("accept: %s; pausing new connections for 200 ms",
	         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	evconnlistener_disable(l);
	event_base_once(d->base, -1, EV_TIMEOUT, resume_listener, l, &tv);
}

int grpc_listen(hodeid *d)
{
	struct sockaddr_storage ss;
	int len;
	if (parse_listen(d->cfg.grpc_listen, &ss, &len) != 0) {
		LOG_ERROR("--grpc-listen: cannot parse address '%s' (host:port)", d->cfg.grpc_listen);
		return -1;
	}
	struct evconnlistener *l = evconnlistener_new_bind(
		d->base, on_accept, d, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
		512, (struct sockaddr *)&ss, len);
	if (!l) {
		LOG_ERROR("--grpc-listen %s: %s", d->cfg.grpc_listen, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(l, on_accept_error);
	d->grpc_listener = l;
	d->grpc_port = hodeid_bound_port(evconnlistener_get_fd(l));
	return 0;
}

void *grpc_listen_socket(hodeid *d, evutil_socket_t fd)
{
	struct evconnlistener *l = evconnlistener_new(
		d->base, on_accept, d, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
	if (l)
		evconnlistener_set_error_cb(l, on_accept_error);
	return l;
}

void grpc_shutdown(hodeid *d)
{
	if (d->grpc_listener) {
		evconnlistener_free(d->grpc_listener);
		d->grpc_listener = NULL;
	}
	hodeid_conn *next;
	for (hodeid_conn *c = d->conns; c; c = next) {
		next = c->next;
		hodei__h2s_shutdown(c->h2);
		conn_settle(c);
	}
}

void grpc_close_all(hodeid *d);
void grpc_close_all(hodeid *d)
{
	while (d->conns)
		conn_free(d->conns);
}

size_t grpc_connections(hodeid *d)
{
	return nconns;
}
