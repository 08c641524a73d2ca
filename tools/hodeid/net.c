/*
 * The gRPC port: h2c with prior knowledge, or h2 over TLS (ALPN "h2") with
 * --tls-cert.  Each connection is a socket (and its OpenSSL object, driven
 * non-blocking on the same descriptor), an h2server session and an output
 * buffer; bytes move between them on the loop.  Output is pulled from the session only while the socket keeps
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
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "grpc.h"
#include "h2server.h"
#include "hodeid.h"

#define OUT_HIGH (256u * 1024) /* stop pulling from the session above this */
#define MAX_CONNECTIONS 1024
#define MAX_LINGERING 256          /* refused connections being told why */
#define PREFACE_TIMEOUT_MS 10000   /* a connection must speak within this */
#define IDLE_TIMEOUT_MS 300000     /* ... and, with no call open, keep speaking */
#define IDLE_UNAUTH_MS 30000       /* ... or this, before any authenticated call */
#define MAX_INBOUND_TOTAL (256u << 20) /* partial requests held by all connections */
#define HOUSEKEEPING_S 5
#define TLS_WRITE_MAX 16384        /* one TLS record's worth per SSL_write */


struct hodeid_conn {
	hodeid *d;
	evutil_socket_t fd;
	struct event *rev, *wev, *flush, *timer;
	hodei_h2s *h2;
	int64_t accepted_ms, last_read_ms;
	int heard; /* it sent at least one byte */
	struct evbuffer *out;
	int read_closed; /* EOF or error from the peer */
	int authed;      /* it made a call that needed the API token */
	peer_key key;
	int worker_only; /* came in on the worker socket (worker_listener.c) */
	SSL *ssl;        /* TLS (--tls-cert), or NULL */
	size_t tls_wlen; /* an SSL_write to retry with these bytes, or 0 */
	int read_wants_write; /* SSL_read waits for the socket to be writable */
	int write_wants_read; /* SSL_write waits for the socket to be readable */
	int heard_tls;        /* a TLS handshake began (bytes came in) */
	char peer[64];
	hodeid_conn *prev, *next;
};

static size_t nconns;
static size_t nlingering;
static size_t inbound_total; /* shared by every session: h2server's budget */

static void linger_done(evutil_socket_t fd, short what, void *arg);
static void linger(hodeid *d, evutil_socket_t fd);

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
	int failed_handshake = c->ssl && !SSL_is_init_finished(c->ssl) && c->heard_tls;
	if (c->ssl) {
		if (SSL_is_init_finished(c->ssl))
			SSL_shutdown(c->ssl); /* close_notify, best effort: never waited for */
		SSL_free(c->ssl);
	}
	if (failed_handshake)
		linger(d, c->fd); /* the alert saying why reaches the client, not a reset */
	else
		evutil_closesocket(c->fd);
	free(c);
	nconns--;
}

/* A TLS connection that failed: say why once (the handshake, mostly). */
static void tls_failed(hodeid_conn *c, int err)
{
	char why[300];
	if ((err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) ||
	    ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		ERR_clear_error(); /* the peer hung up */
		return;
	}
	snprintf(why, sizeof why, "TLS %s failed: %s",
	         SSL_is_init_finished(c->ssl) ? "connection" : "handshake", tls_error_text());
	hodeid_log_refusal("grpc", c->peer, why);
}

/* recv() or SSL_read(): > 0 bytes, 0 at the end, -1 error, -2 try later. */
static ssize_t conn_recv(hodeid_conn *c, uint8_t *buf, size_t len)
{
	if (!c->ssl) {
		ssize_t n = recv(c->fd, buf, len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return -2;
		return n < 0 ? -1 : n;
	}
	c->read_wants_write = 0;
	c->heard_tls = 1;
	int n = SSL_read(c->ssl, buf, (int)len);
	if (n > 0)
		return n;
	int err = SSL_get_error(c->ssl, n);
	if (err == SSL_ERROR_WANT_READ)
		return -2;
	if (err == SSL_ERROR_WANT_WRITE) {
		c->read_wants_write = 1;
		event_add(c->wev, NULL);
		return -2;
	}
	if (err == SSL_ERROR_ZERO_RETURN)
		return 0;
	tls_failed(c, err);
	return -1;
}

/* evbuffer_write() or SSL_write() of c->out: > 0 written, -2 try later, -1 dead. */
static int conn_send(hodeid_conn *c)
{
	if (!c->ssl) {
		int n = evbuffer_write(c->out, c->fd);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return -2;
		return n < 0 ? -1 : n;
	}
	size_t len = c->tls_wlen; /* a retry repeats the same bytes */
	if (!len) {
		len = evbuffer_get_length(c->out);
		if (len > TLS_WRITE_MAX)
			len = TLS_WRITE_MAX;
	}
	c->write_wants_read = 0;
	int n = SSL_write(c->ssl, evbuffer_pullup(c->out, (ev_ssize_t)len), (int)len);
	if (n > 0) {
		evbuffer_drain(c->out, (size_t)n);
		c->tls_wlen = 0;
		return n;
	}
	int err = SSL_get_error(c->ssl, n);
	c->tls_wlen = len;
	if (err == SSL_ERROR_WANT_WRITE)
		return -2;
	if (err == SSL_ERROR_WANT_READ) {
		c->write_wants_read = 1; /* the read event, always on, brings us back */
		return -2;
	}
	tls_failed(c, err);
	return -1;
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
		int n = conn_send(c);
		if (n == -2)
			break;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
	}
	if ((evbuffer_get_length(c->out) > 0 && !c->write_wants_read) || c->read_wants_write)
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
		ssize_t n = conn_recv(c, buf, sizeof buf);
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
		if (n == -2)
			break;
		c->read_closed = 1; /* EOF or error */
		event_del(c->rev);
		break;
	}
	/* Records OpenSSL already decrypted wake no poll: come back for them. */
	if (c->ssl && !c->read_closed && SSL_has_pending(c->ssl))
		event_active(c->rev, EV_READ, 0);
	conn_settle(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	hodeid_conn *c = arg;
	if (c->read_wants_write && !c->read_closed) {
		on_read(fd, EV_READ, c); /* it settles the connection */
		return;
	}
	conn_settle(c);
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
	int64_t idle = c->authed ? IDLE_TIMEOUT_MS : IDLE_UNAUTH_MS;
	if (hodei__h2s_ncalls(c->h2) == 0 && now - c->last_read_ms > idle) {
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
	if (c->d->cfg.tls_client_ca && !c->worker_only && worker_protocol_method(call->path) &&
	    !tls_peer_verified(c->ssl)) {
		*message = "mutual TLS: this server accepts workers only with a client certificate "
		           "issued by its CA (hodei-worker --tls-cert/--tls-key; hodeid tls "
		           "issue-client)";
		return HODEI_GRPC_PERMISSION_DENIED;
	}
	int rc = dispatch_call(c->d, call, message);
	if (rc == HODEI_GRPC_OK && !dispatch_is_public(c->d, call->path))
		c->authed = 1; /* an API client (with the token, if one is set): the longer idle timeout */
	return rc;
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

/* The peer's address ("127.0.0.1", "::1") and "address:port" for logs. */
static void format_peer(const struct sockaddr *sa, char *host, size_t hostlen, char *out,
                        size_t len)
{
	int port = 0;
	snprintf(host, hostlen, "?");
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		evutil_inet_ntop(AF_INET, &in->sin_addr, host, hostlen);
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		evutil_inet_ntop(AF_INET6, &in6->sin6_addr, host, hostlen);
		port = ntohs(in6->sin6_port);
	} else if (sa->sa_family == AF_UNIX) {
		snprintf(out, len, "worker-socket");
		return;
	}
	snprintf(out, len, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}

void hodeid_log_refusal(const char *port, const char *peer, const char *why)
{
	static int64_t last_s = -1;
	static unsigned long left_out;
	int64_t now_s = now_ms() / 1000;
	if (now_s == last_s) {
		left_out++;
		return;
	}
	if (left_out)
		LOG_WARN("refused port=%s peer=%s reason=\"%s\" refusals_not_logged=%lu", port, peer,
		         why, left_out);
	else
		LOG_WARN("refused port=%s peer=%s reason=\"%s\"", port, peer, why);
	last_s = now_s;
	left_out = 0;
}

peer_key peer_key_of(const struct sockaddr *sa)
{
	peer_key k;
	memset(&k, 0, sizeof k);
	if (sa->sa_family == AF_INET) {
		k.bytes[0] = 4;
		memcpy(k.bytes + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(a, v4mapped, 12) == 0) {
			k.bytes[0] = 4;
			memcpy(k.bytes + 1, a + 12, 4);
		} else {
			k.bytes[0] = 6;
			memcpy(k.bytes + 1, a, 8);
		}
	}
	return k;
}

static size_t peer_connections(hodeid *d, const peer_key *k)
{
	size_t n = 0;
	for (hodeid_conn *c = d->conns; c; c = c->next)
		n += memcmp(&c->key, k, sizeof *k) == 0;
	return n;
}

/* A refused connection is told why, then closed when the peer hangs up. */
static void linger_done(evutil_socket_t fd, short what, void *arg)
{
	char buf[512];
	if ((what & EV_READ) && recv(fd, buf, sizeof buf, 0) > 0) {
		struct timeval tv = {2, 0};
		event_base_once(arg, fd, EV_READ, linger_done, arg, &tv);
		return;
	}
	evutil_closesocket(fd);
	nlingering--;
}

/*
 * Answer a refused connection with SETTINGS and GOAWAY(ENHANCE_YOUR_CALM,
 * "why"), so that a client can say what happened, instead of a bare close.
 */
static void refuse(hodeid *d, evutil_socket_t fd, const char *why, int tls)
{
	uint8_t out[9 + 9 + 8 + 128];
	size_t n = strlen(why) > 128 ? 128 : strlen(why);
	static const uint8_t settings[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
	memcpy(out, settings, 9);
	uint8_t *g = out + 9;
	size_t plen = 8 + n;
	uint8_t head[17] = {0, (uint8_t)(plen >> 8), (uint8_t)plen, 7, 0, 0, 0, 0, 0,
	                    0, 0, 0, 0, 0, 0, 0, 11 /* ENHANCE_YOUR_CALM */};
	memcpy(g, head, sizeof head);
	memcpy(g + sizeof head, why, n);
	if (tls || nlingering >= MAX_LINGERING || /* TLS: no clear text on it */
	    send(fd, out, 9 + sizeof head + n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		evutil_closesocket(fd);
		return;
	}
	linger(d, fd);
}

/* Shut our side, then read and drop until the peer hangs up (2 s at most). */
static void linger(hodeid *d, evutil_socket_t fd)
{
	struct timeval tv = {2, 0};
	if (nlingering >= MAX_LINGERING) {
		evutil_closesocket(fd);
		return;
	}
	shutdown(fd, SHUT_WR);
	nlingering++;
	if (event_base_once(d->base, fd, EV_READ, linger_done, d->base, &tv) != 0) {
		evutil_closesocket(fd);
		nlingering--;
	}
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
	hodeid *d = arg;
	peer_key key = peer_key_of(sa);
	char host[INET6_ADDRSTRLEN], peer[64], why[128];
	format_peer(sa, host, sizeof host, peer, sizeof peer);
	if (d->shutting_down) {
		evutil_closesocket(fd);
		return;
	}
	if (nconns >= MAX_CONNECTIONS ||
	    (key.bytes[0] && peer_connections(d, &key) >= d->cfg.max_per_peer)) {
		if (nconns >= MAX_CONNECTIONS)
			snprintf(why, sizeof why, "too many connections to this server (%d)",
			         MAX_CONNECTIONS);
		else
			snprintf(why, sizeof why, "too many connections from %s (%u)", host,
			         d->cfg.max_per_peer);
		hodeid_log_refusal("grpc", peer, why);
		refuse(d, fd, why, d->tls && sa->sa_family != AF_UNIX);
		return;
	}
	hodeid_conn *c = calloc(1, sizeof *c);
	hodei_h2s_options opts = {0};
	opts.shared_inbound = &inbound_total;
	opts.max_shared_inbound = MAX_INBOUND_TOTAL;
	if (!c || hodei__h2s_new(&c->h2, &handlers, c, &opts) != 0) {
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->worker_only = sa->sa_family == AF_UNIX;
	if (d->tls && !c->worker_only) {
		c->ssl = tls_new_ssl(d, 0);
		if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
			LOG_WARN("tls: cannot set up a connection: %s", tls_error_text());
			SSL_free(c->ssl);
			hodei__h2s_free(c->h2);
			free(c);
			evutil_closesocket(fd);
			return;
		}
		SSL_set_accept_state(c->ssl);
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->d = d;
	c->fd = fd;
	c->out = evbuffer_new();
	c->rev = event_new(d->base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->wev = event_new(d->base, fd, EV_WRITE, on_write, c);
	c->flush = event_new(d->base, -1, 0, on_flush, c);
	c->timer = event_new(d->base, -1, EV_PERSIST, on_housekeeping, c);
	c->accepted_ms = c->last_read_ms = now_ms();
	struct timeval tick = {HOUSEKEEPING_S, 0};
	event_add(c->timer, &tick);
	memcpy(c->peer, peer, sizeof c->peer);
	c->key = key;
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
