/*
 * The client's HTTP/2 connection: a non-blocking TCP socket (with TLS for
 * an https:// address, tls.c) driven by poll(), with libnghttp2 doing the
 * protocol in memory (mem_send/mem_recv).
 * Every wait is bounded by a deadline, so a server that is down, silent or
 * not an HTTP/2 server is reported instead of waited for.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client_internal.h"

int hodei__bytes_append(hodei__bytes *buf, const void *data, size_t len)
{
	if (buf->off > 0 && buf->off == buf->len)
		buf->off = buf->len = 0;
	if (buf->len + len > buf->cap) {
		if (buf->off > 0) {
			memmove(buf->data, buf->data + buf->off, buf->len - buf->off);
			buf->len -= buf->off;
			buf->off = 0;
		}
		if (buf->len + len > buf->cap) {
			size_t cap = buf->cap ? buf->cap : 4096;
			uint8_t *grown;

			while (cap < buf->len + len)
				cap *= 2;
			grown = realloc(buf->data, cap);
			if (!grown)
				return HODEI_ENOMEM;
			buf->data = grown;
			buf->cap = cap;
		}
	}
	memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	return 0;
}

void hodei__bytes_consume(hodei__bytes *buf, size_t n)
{
	buf->off += n;
	if (buf->off >= buf->len)
		buf->off = buf->len = 0;
}

void hodei__bytes_free(hodei__bytes *buf)
{
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}

void hodei__client_broken(hodei_client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->broken)
		return;
	c->broken = 1;
	c->broken_rc = HODEI_EUNAVAIL;
	va_start(ap, fmt);
	vsnprintf(c->broken_msg, sizeof(c->broken_msg), fmt, ap);
	va_end(ap);
}

/* ---- nghttp2 callbacks ------------------------------------------------ */

static hodei_call *stream_call(nghttp2_session *session, int32_t stream_id)
{
	return nghttp2_session_get_stream_user_data(session, stream_id);
}

static int header_is(const uint8_t *name, size_t namelen, const char *want)
{
	return namelen == strlen(want) && memcmp(name, want, namelen) == 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame,
                     const uint8_t *name, size_t namelen, const uint8_t *value,
                     size_t valuelen, uint8_t flags, void *user_data)
{
	hodei_call *call;

	if (frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	call = stream_call(session, frame->hd.stream_id);
	if (!call)
		return 0;
	if (header_is(name, namelen, ":status")) {
		call->http_status = atoi((const char *)value);
	} else if (header_is(name, namelen, "content-type")) {
		call->content_type_ok =
			(valuelen >= 16 && memcmp(value, "application/grpc", 16) == 0) ? 1 : -1;
	} else if (header_is(name, namelen, "grpc-status")) {
		call->grpc_status = atoi((const char *)value);
	} else if (header_is(name, namelen, "grpc-message")) {
		free(call->grpc_message);
		call->grpc_message = hodei__grpc_message_decode((const char *)value, valuelen);
	}
	return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *user_data)
{
	hodei_call *call = stream_call(session, stream_id);

	if (!call || call->local_error)
		return 0;
	if (hodei__call_feed(call, data, len) != 0)
		nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
	return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user_data)
{
	hodei_client *c = user_data;

	if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK))
		c->got_settings = 1;
	else if (frame->hd.type == NGHTTP2_GOAWAY) {
		c->goaway = 1;
		/* Refused before any call (hodeid: too many connections): say so. */
		if (frame->goaway.error_code == NGHTTP2_ENHANCE_YOUR_CALM &&
		    frame->goaway.last_stream_id == 0)
			hodei__client_broken(c, "%s refused the connection: %.*s", c->address,
			           (int)(frame->goaway.opaque_data_len < 200
			                 ? frame->goaway.opaque_data_len : 200),
			           (const char *)frame->goaway.opaque_data);
	}
	return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id,
                           uint32_t error_code, void *user_data)
{
	hodei_call *call = stream_call(session, stream_id);

	if (call) {
		call->closed = 1;
		call->rst_code = error_code;
		call->stream_id = 0;
	}
	return 0;
}

static nghttp2_session_callbacks *make_callbacks(void)
{
	nghttp2_session_callbacks *cbs;

	if (nghttp2_session_callbacks_new(&cbs) != 0)
		return NULL;
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	return cbs;
}

/* ---- socket I/O ------------------------------------------------------- */

/* Move what nghttp2 wants to send into c->out, then write what we can. */
static void flush_out(hodei_client *c)
{
	const uint8_t *data;
	ssize_t n;

	if (c->broken)
		return;
	while ((n = nghttp2_session_mem_send(c->session, &data)) > 0) {
		if (hodei__bytes_append(&c->out, data, (size_t)n) != 0) {
			hodei__client_broken(c, "out of memory");
			c->broken_rc = HODEI_ENOMEM; /* said as such, not as a bad server */
			return;
		}
	}
	if (n < 0) {
		hodei__client_broken(c, "HTTP/2 error: %s", nghttp2_strerror((int)n));
		return;
	}
	while (hodei__bytes_avail(&c->out) > 0) {
		if (c->ssl) {
			n = hodei__client_tls_write(c, c->out.data + c->out.off,
			                            hodei__bytes_avail(&c->out));
			if (n == -2 || n == -1)
				return; /* later, or broken (said) */
			hodei__bytes_consume(&c->out, (size_t)n);
			continue;
		}
		n = send(c->fd, c->out.data + c->out.off, hodei__bytes_avail(&c->out),
		         MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			hodei__client_broken(c, "lost the connection to %s: %s", c->address, strerror(errno));
			return;
		}
		hodei__bytes_consume(&c->out, (size_t)n);
	}
}

static void note_first_bytes(hodei_client *c, const uint8_t *data, size_t n)
{
	size_t room = sizeof(c->first_bytes) - c->nfirst;

	if (c->got_settings || room == 0)
		return;
	if (n > room)
		n = room;
	memcpy(c->first_bytes + c->nfirst, data, n);
	c->nfirst += n;
}

static void read_in(hodei_client *c)
{
	uint8_t buf[16384];
	ssize_t n, used;

	for (;;) {
		if (c->ssl) {
			/* What OpenSSL holds wakes no poll(): see the end of the loop. */
			n = hodei__client_tls_read(c, buf, sizeof(buf));
			if (n == -2 || n == -1)
				return;
		} else {
			n = recv(c->fd, buf, sizeof(buf), 0);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			hodei__client_broken(c, "lost the connection to %s: %s", c->address, strerror(errno));
			return;
		}
		if (n == 0) {
			hodei__client_broken(c, "%s closed the connection", c->address);
			return;
		}
		note_first_bytes(c, buf, (size_t)n);
		used = nghttp2_session_mem_recv(c->session, buf, (size_t)n);
		if (used < 0) {
			hodei__client_broken(c, "%s broke the HTTP/2 protocol: %s", c->address,
			           nghttp2_strerror((int)used));
			return;
		}
		/* short: the socket is drained (poll() says when more comes), unless
		 * OpenSSL holds bytes it read ahead */
		if ((size_t)n < sizeof(buf) && (!c->ssl || !hodei__client_tls_pending(c)))
			return;
	}
}

int hodei_client_events(hodei_client *c)
{
	int events = POLLIN;

	if (!c || c->broken || c->fd < 0)
		return 0;
	if (hodei__bytes_avail(&c->out) > 0 || nghttp2_session_want_write(c->session) ||
	    c->tls_want_write)
		events |= POLLOUT;
	return events;
}

int hodei_client_fd(hodei_client *c)
{
	return c ? c->fd : -1;
}

int hodei_client_process(hodei_client *c, int64_t timeout_ms)
{
	struct pollfd pfd;
	int rc;

	if (!c)
		return hodei__err(HODEI_EINVAL, "client: must not be NULL");
	flush_out(c);
	if (!c->broken) {
		pfd.fd = c->fd;
		pfd.events = (short)hodei_client_events(c);
		pfd.revents = 0;
		if (timeout_ms > INT32_MAX)
			timeout_ms = INT32_MAX;
		rc = poll(&pfd, 1, timeout_ms < 0 ? -1 : (int)timeout_ms);
		if (rc < 0 && errno != EINTR)
			hodei__client_broken(c, "poll: %s", strerror(errno));
		if (rc > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			read_in(c);
		flush_out(c);
	}
	if (!c->broken && !nghttp2_session_want_read(c->session) &&
	    !nghttp2_session_want_write(c->session) && hodei__bytes_avail(&c->out) == 0)
		hodei__client_broken(c, "%s ended the HTTP/2 session", c->address);
	if (c->broken)
		return hodei__err(HODEI_EUNAVAIL, "%s", c->broken_msg);
	return 0;
}

int hodei__client_usable(const hodei_client *c)
{
	return c->fd >= 0 && c->session && !c->broken && !c->goaway;
}

/* ---- connecting ------------------------------------------------------- */

static int connect_one(const struct addrinfo *ai, int64_t deadline, int *err)
{
	struct pollfd pfd;
	socklen_t len = sizeof(*err);
	int fd, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	            ai->ai_protocol);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto connected;
	if (errno != EINPROGRESS) {
		*err = errno;
		goto fail;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	for (;;) {
		int64_t left = deadline - hodei__mono_ms();
		int rc;

		if (left <= 0) {
			*err = ETIMEDOUT;
			goto fail;
		}
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			break;
		if (rc < 0 && errno != EINTR) {
			*err = errno;
			goto fail;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) != 0 || *err != 0)
		goto fail;
connected:
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	return fd;
fail:
	close(fd);
	return -1;
}

int hodei__client_parse_unix(hodei_client *c, const char *address)
{
	const char *path = address + 5;
	struct sockaddr_un sun;

	if (strncmp(path, "//", 2) == 0)
		path += 2; /* unix:///path, as gRPC spells it */
	if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path))
		return hodei__err(HODEI_EINVAL, "server address '%s': expected unix:/absolute/path "
		                  "(at most %zu bytes)", address, sizeof(sun.sun_path) - 1);
	c->unix_path = strdup(path);
	c->address = strdup(address);
	if (!c->unix_path || !c->address)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	return 0;
}

/* A unix socket connects at once or fails (no EINPROGRESS to wait for). */
static int open_unix(hodei_client *c)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, c->unix_path, strlen(c->unix_path) + 1);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		c->fd = fd;
		return 0;
	}
	err = errno;
	if (fd >= 0)
		close(fd);
	return hodei__err(HODEI_EUNAVAIL, "cannot connect to %s: %s%s", c->address, strerror(err),
	                  err == ECONNREFUSED || err == ENOENT ? " (is hodeid running there?)" : "");
}

static int open_socket(hodei_client *c, int64_t deadline)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc, err = 0;

	if (c->unix_path)
		return open_unix(c);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(c->host, c->port, &hints, &res);
	if (rc != 0)
		return hodei__err(HODEI_EUNAVAIL, "cannot resolve '%s': %s", c->host,
		                          gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		c->fd = connect_one(ai, deadline, &err);
		if (c->fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (c->fd >= 0)
		return 0;
	if (err == ETIMEDOUT)
		return hodei__err(HODEI_EUNAVAIL,
		                          "cannot connect to %s: no answer within %lld ms",
		                          c->address, (long long)c->connect_timeout_ms);
	return hodei__err(HODEI_EUNAVAIL, "cannot connect to %s: %s%s", c->address,
	                          strerror(err),
	                          err == ECONNREFUSED ? " (is hodeid running there?)" : "");
}

/* Describe what a peer that is not an HTTP/2 server sent us. */
static int fail_not_http2(hodei_client *c)
{
	char text[sizeof(c->first_bytes) + 1];
	size_t i;

	for (i = 0; i < c->nfirst && c->first_bytes[i] != '\r' && c->first_bytes[i] != '\n';
	     i++)
		text[i] = (c->first_bytes[i] >= 0x20 && c->first_bytes[i] < 0x7f)
			? (char)c->first_bytes[i] : '.';
	text[i] = '\0';
	if (c->tls && c->nfirst == 0 && strstr(c->broken_msg, "alert") &&
	    (strstr(c->broken_msg, "unknown ca") || strstr(c->broken_msg, "certificate")))
		return hodei__err(HODEI_EAUTH, "TLS: %s refused this client's certificate (%s): "
		                  "mutual TLS wants one issued by the server's CA (--tls-cert, "
		                  "--tls-key; hodeid tls issue-client)", c->address,
		                  strstr(c->broken_msg, "alert"));
	if (c->nfirst > 0)
		return hodei__err(HODEI_EUNAVAIL,
		                          "%s is not a Hodei (gRPC over HTTP/2) server: it "
		                          "answered \"%s\"", c->address, text);
	return hodei__err(HODEI_EUNAVAIL,
	                          "%s is not a Hodei (gRPC over HTTP/2) server: %s%s",
	                          c->address, c->broken_msg,
	                          c->tls ? "" : " (if it serves TLS, use https://HOST:PORT)");
}

static int handshake(hodei_client *c, int64_t deadline)
{
	nghttp2_settings_entry settings[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20 },
	};
	nghttp2_session_callbacks *cbs = make_callbacks();
	int rc;

	if (!cbs)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	rc = nghttp2_session_client_new(&c->session, cbs, c);
	nghttp2_session_callbacks_del(cbs);
	if (rc != 0)
		return hodei__err(HODEI_ENOMEM, "nghttp2: %s", nghttp2_strerror(rc));
	nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings,
	                        sizeof(settings) / sizeof(settings[0]));
	/* A bigger connection window, so many streams do not stall each other. */
	nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, 16 << 20);
	while (!c->got_settings && !c->broken) {
		int64_t left = deadline - hodei__mono_ms();

		if (left <= 0)
			return hodei__err(HODEI_EUNAVAIL,
			                          "%s accepted the connection but did not answer "
			                          "the HTTP/2 handshake within %lld ms: is it a "
			                          "Hodei server?", c->address,
			                          (long long)c->connect_timeout_ms);
		hodei_client_process(c, left);
	}
	if (c->broken && c->broken_rc == HODEI_ENOMEM)
		return hodei__err(HODEI_ENOMEM, "%s", c->broken_msg);
	if (!c->got_settings)
		return fail_not_http2(c);
	if (c->broken)
		return hodei__err(HODEI_EUNAVAIL, "%s", c->broken_msg);
	return 0;
}

int hodei__client_connect(hodei_client *c)
{
	int64_t deadline = hodei__mono_ms() + c->connect_timeout_ms;
	int rc;

	hodei__client_disconnect(c);
	rc = open_socket(c, deadline);
	if (rc == 0 && c->tls)
		rc = hodei__client_tls_handshake(c, deadline); /* the server proved itself... */
	if (rc == 0)
		rc = handshake(c, deadline);                   /* ...before any request */
	if (rc != 0) {
		char msg[sizeof(c->broken_msg)];

		/* Keep the message: disconnecting must not replace it. */
		snprintf(msg, sizeof(msg), "%s", hodei_error_last());
		hodei__client_disconnect(c);
		hodei__client_broken(c, "%s", msg);
		return hodei__err(rc, "%s", msg);
	}
	return 0;
}

void hodei__client_disconnect(hodei_client *c)
{
	hodei_call *call;

	/* Calls outlive the connection; they only lose their streams. */
	for (call = c->calls; call; call = call->next) {
		if (!call->closed) {
			call->closed = 1;
			call->stream_id = 0;
			if (!call->local_error) {
				call->local_error = c->broken ? c->broken_rc : HODEI_EUNAVAIL;
				snprintf(call->local_msg, sizeof(call->local_msg), "%s",
				         c->broken ? c->broken_msg : "the connection was closed");
			}
		}
	}
	if (c->session) {
		nghttp2_session_del(c->session);
		c->session = NULL;
	}
	hodei__client_tls_close(c);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	hodei__bytes_free(&c->out);
	c->got_settings = 0;
	c->goaway = 0;
	c->broken = 0;
	c->broken_msg[0] = '\0';
	c->nfirst = 0;
}
