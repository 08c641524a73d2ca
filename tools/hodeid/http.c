/*
 * The HTTP port (evhttp): /metrics, /healthz, gRPC-Web for the dashboard
 * (binary, application/grpc-web+proto, server streaming included), the
 * dashboard's sign-in (/api/session, /api/logout) and its files, with an
 * index.html fallback for client-side routes.
 *
 * Every request is checked before it is routed (SECURITY.md): its Host must
 * name this server (DNS rebinding), an Origin must be this server's own or
 * the configured dev-server origin, a call authenticated by the session
 * cookie must also carry x-hodei-csrf, and request smuggling shapes
 * (two Content-Lengths) are refused.  Every answer carries CSP,
 * frame-ancestors, nosniff and Referrer-Policy headers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "grpc.h"
#include "hodeid.h"

#define HTTP_MAX_HEADERS (64 * 1024) /* request line and headers, in bytes */

/* ---- gRPC-Web calls ---- */

typedef struct web_call {
	hodei_rpc_call base; /* first */
	hodeid *d;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	int started;
	int accepted;
	int close_scheduled;
	char *path, *auth;
	char origin[256];
} web_call;

static void web_call_free(web_call *c)
{
	if (c->conn)
		evhttp_connection_set_closecb(c->conn, NULL, NULL);
	free(c->path);
	free(c->auth);
	free(c);
}

/* The call is over: tell the application, then free it (on the loop). */
static void web_close_cb(evutil_socket_t fd, short what, void *arg)
{
	web_call *c = arg;
	c->base.closed = 1;
	if (c->accepted)
		dispatch_close(c->d, &c->base);
	web_call_free(c);
}

static void web_schedule_close(web_call *c)
{
	if (c->close_scheduled)
		return;
	c->close_scheduled = 1;
	event_base_once(c->d->base, -1, EV_TIMEOUT, web_close_cb, c, NULL);
}

/* The client went away: evhttp frees the request after this. */
static void web_conn_closed(struct evhttp_connection *conn, void *arg)
{
	web_call *c = arg;
	c->req = NULL;
	c->conn = NULL;
	c->base.closed = 1;
	web_schedule_close(c);
}

static void add_cors(struct evhttp_request *req, const char *origin)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	if (!origin || !*origin)
		return;
	evhttp_add_header(h, "Access-Control-Allow-Origin", origin);
	evhttp_add_header(h, "Vary", "Origin");
	evhttp_add_header(h, "Access-Control-Allow-Credentials", "true");
	evhttp_add_header(h, "Access-Control-Expose-Headers", "grpc-status, grpc-message");
}

static void web_start(web_call *c)
{
	if (c->started || !c->req)
		return;
	c->started = 1;
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	evhttp_add_header(h, "Content-Type", "application/grpc-web+proto");
	add_cors(c->req, c->origin);
	evhttp_send_reply_start(c->req, 200, "OK");
}

static void web_chunk_written(struct evhttp_connection *conn, void *arg)
{
	web_call *c = arg;
	if (!c->base.finished && !c->base.closed && c->accepted)
		dispatch_writable(c->d, &c->base);
}

static int web_send(hodei_rpc_call *base, const uint8_t *msg, size_t len)
{
	web_call *c = (web_call *)base;
	if (!c->req || base->finished)
		return -1;
	web_start(c);
	struct evbuffer *b = evbuffer_new();
	uint8_t prefix[HODEI_GRPC_PREFIX];
	hodei__grpc_prefix(prefix, (uint32_t)len, 0);
	evbuffer_add(b, prefix, sizeof prefix);
	evbuffer_add(b, msg, len);
	evhttp_send_reply_chunk_with_cb(c->req, b, web_chunk_written, c);
	evbuffer_free(b);
	return 0;
}

static void web_finish(hodei_rpc_call *base, int status, const char *message)
{
	web_call *c = (web_call *)base;
	base->finished = 1;
	if (c->req) {
		web_start(c);
		char *enc = message && *message ? hodei__grpc_message_encode(message, strlen(message)) : NULL;
		char trailer[1024];
		int n = snprintf(trailer, sizeof trailer, "grpc-status: %d\r\ngrpc-message: %s\r\n",
		                 status, enc ? enc : "");
		free(enc);
		if (n >= (int)sizeof trailer)
			n = (int)sizeof trailer - 1;
		uint8_t prefix[HODEI_GRPC_PREFIX];
		hodei__grpc_prefix(prefix, (uint32_t)n, 0);
		prefix[0] = 0x80; /* a trailers frame */
		struct evbuffer *b = evbuffer_new();
		evbuffer_add(b, prefix, sizeof prefix);
		evbuffer_add(b, trailer, (size_t)n);
		evhttp_send_reply_chunk(c->req, b);
		evbuffer_free(b);
		evhttp_send_reply_end(c->req);
		c->req = NULL;
	}
	web_schedule_close(c);
}

static size_t web_pending(hodei_rpc_call *base)
{
	web_call *c = (web_call *)base;
	if (!c->conn)
		return 0;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);
	return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

static const struct hodei_rpc_call_ops web_ops = {web_send, web_finish, web_pending};

static int deliver(void *userdata, const uint8_t *msg, size_t len)
{
	web_call *c = userdata;
	if (c->base.finished)
		return 1;
	dispatch_message(c->d, &c->base, msg, len);
	return 0;
}

static int is_dev_origin(const hodeid *d, const char *origin)
{
	return origin && d->cfg.dev_origin && strcmp(origin, d->cfg.dev_origin) == 0;
}

static void send_text(struct evhttp_request *req, int code, const char *reason,
                      const char *type, const char *text, size_t len);

/* Refuse with a one-line reason, logged (rate-limited) with the peer. */
static void refuse(struct evhttp_request *req, int code, const char *reason, const char *why)
{
	char peer[80], line[320];
	char *host = NULL;
	ev_uint16_t port = 0;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	if (conn)
		evhttp_connection_get_peer(conn, &host, &port);
	snprintf(peer, sizeof peer, "%s:%u", host ? host : "?", (unsigned)port);
	hodeid_log_refusal("http", peer, why);
	int n = snprintf(line, sizeof line, "%s\n", why);
	if (code == 400) /* the framing is in doubt: do not read another request */
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
	send_text(req, code, reason, "text/plain; charset=utf-8", line,
	          n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

static int csrf_header(struct evkeyvalq *in)
{
	const char *v = evhttp_find_header(in, "x-hodei-csrf");
	return v && strcmp(v, "1") == 0;
}

/*
 * Who a gRPC-Web call runs as when it carries no bearer token: the session
 * of its cookie, if the call also proves it was made by the dashboard's
 * own scripts (Origin checked before, and a header forms cannot send).
 * Returns -1 after refusing the request.
 */
static int web_principal(hodeid *d, struct evhttp_request *req, const char **principal)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *cookie = evhttp_find_header(in, "Cookie");
	*principal = NULL;
	if (!auth_required(d) || evhttp_find_header(in, "authorization") || !cookie)
		return 0;
	*principal = session_principal(d, cookie);
	if (*principal && (!evhttp_find_header(in, "Origin") || !csrf_header(in))) {
		refuse(req, 403, "Forbidden",
		       "a call signed in by cookie needs the Origin and x-hodei-csrf: 1 headers");
		return -1;
	}
	return 0;
}

static void grpc_web(hodeid *d, struct evhttp_request *req, const char *path)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(in, "Origin");
	const char *principal;
	if (web_principal(d, req, &principal) < 0)
		return;
	web_call *c = calloc(1, sizeof *c);
	if (!c) {
		send_text(req, 503, "Service Unavailable", "text/plain", "out of memory\n", 14);
		return;
	}
	c->base.ops = &web_ops;
	c->base.timeout_ms = -1;
	c->d = d;
	c->req = req;
	c->conn = evhttp_request_get_connection(req);
	if (is_dev_origin(d, origin))
		snprintf(c->origin, sizeof c->origin, "%s", origin);
	c->path = strdup(path);
	const char *auth = evhttp_find_header(in, "authorization");
	c->auth = auth ? strdup(auth) : NULL;
	if (!c->path || (auth && !c->auth)) {
		free(c->path);
		free(c->auth);
		free(c);
		send_text(req, 503, "Service Unavailable", "text/plain", "out of memory\n", 14);
		return;
	}
	c->base.path = c->path;
	c->base.authorization = c->auth;
	c->base.principal = principal;
	evhttp_connection_set_closecb(c->conn, web_conn_closed, c);

	const char *timeout = evhttp_find_header(in, "grpc-timeout");
	const char *why = NULL;
	int status = HODEI_GRPC_OK;
	if (timeout && hodei__grpc_timeout_parse(timeout, strlen(timeout), &c->base.timeout_ms) < 0) {
		status = HODEI_GRPC_INVALID_ARGUMENT;
		why = "grpc-timeout: malformed";
	} else {
		status = dispatch_call(d, &c->base, &why);
	}
	if (status != HODEI_GRPC_OK) {
		web_finish(&c->base, status, why);
		return;
	}
	c->accepted = 1;
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(body);
	hodei_grpc_reader r;
	hodei__grpc_reader_init(&r, 0);
	int rc = hodei__grpc_reader_feed(&r, evbuffer_pullup(body, -1), len, deliver, c);
	if (rc == HODEI_GRPC_ETOOBIG)
		hodei__rpc_call_finish(&c->base, HODEI_GRPC_RESOURCE_EXHAUSTED,
		                       "message larger than the 4 MiB limit");
	else if (rc == HODEI_GRPC_ENOMEM)
		hodei__rpc_call_finish(&c->base, HODEI_GRPC_RESOURCE_EXHAUSTED, "out of memory");
	else if (rc < 0)
		hodei__rpc_call_finish(&c->base, HODEI_GRPC_UNIMPLEMENTED,
		                       "malformed or compressed message");
	else if (hodei__grpc_reader_partial(&r))
		hodei__rpc_call_finish(&c->base, HODEI_GRPC_INTERNAL, "truncated message");
	else
		dispatch_half_close(d, &c->base);
	hodei__grpc_reader_reset(&r);
}

/* CORS is granted to the configured dev-server origin only. */
static void cors_preflight(hodeid *d, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(in, "Origin");
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	if (is_dev_origin(d, origin)) {
		add_cors(req, origin);
		evhttp_add_header(h, "Access-Control-Allow-Methods", "POST, OPTIONS");
		evhttp_add_header(h, "Access-Control-Allow-Headers",
		                  "content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization, "
		                  "x-hodei-csrf");
		evhttp_add_header(h, "Access-Control-Max-Age", "86400");
	}
	evhttp_send_reply(req, 204, "No Content", NULL);
}

/* ---- plain endpoints ---- */

static void send_text(struct evhttp_request *req, int code, const char *reason,
                      const char *type, const char *text, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, text, len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static const char *mime_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"}, {".js", "text/javascript"},
		{".mjs", "text/javascript"}, {".css", "text/css"}, {".json", "application/json"},
		{".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
		{".woff2", "font/woff2"}, {".woff", "font/woff"}, {".map", "application/json"},
		{".txt", "text/plain; charset=utf-8"}, {".webmanifest", "application/manifest+json"},
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

static void static_file(hodeid *d, struct evhttp_request *req, const char *path)
{
	struct stat st;
	const char *dir = d->cfg.web_dir ? d->cfg.web_dir : "";
	if (!*dir) {
		send_text(req, 404, "Not Found", "text/plain", "not found\n", 10);
		return;
	}
	int fd = strcmp(path, "/") == 0 ? -1 : web_open(dir, path, &st);
	if (fd < 0 && errno == EINVAL) {
		refuse(req, 404, "Not Found", "not found: the path is not a clean absolute path");
		return;
	}
	const char *last = strrchr(path, '/');
	if (fd < 0 && (!last || !strchr(last, '.'))) {
		/* A client-side route: the app's index.html handles it. */
		path = "/index.html";
		fd = web_open(dir, path, &st);
	}
	if (fd < 0) {
		send_text(req, 404, "Not Found", "text/plain", "not found\n", 10);
		return;
	}
	struct evbuffer *b = evbuffer_new();
	evbuffer_add_file(b, fd, 0, st.st_size); /* takes the fd */
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", mime_type(path));
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static int is_grpc_web(struct evhttp_request *req)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	return ct && strncmp(ct, "application/grpc-web", 20) == 0;
}

/* ---- the dashboard's sign-in ---- */

static void send_json(struct evhttp_request *req, int code, const char *reason, const char *json)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	send_text(req, code, reason, "application/json", json, strlen(json));
}

/*
 * GET /api/session: {"token_required":..,"signed_in":..}.
 * POST /api/session with "authorization: Bearer TOKEN": a session cookie.
 * POST /api/logout: the session ends.  Both POSTs need x-hodei-csrf: 1.
 */
static void session_endpoint(hodeid *d, struct evhttp_request *req, const char *path)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *cookie = evhttp_find_header(in, "Cookie");
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char json[256], set_cookie[256];
	if (cmd == EVHTTP_REQ_GET && strcmp(path, "/api/session") == 0) {
		const char *who = cookie ? session_principal(d, cookie) : NULL;
		int in_session = !auth_required(d) || who;
		int role = !auth_required(d) ? HODEI_ROLE_ADMIN : who ? auth_name_role(d, who) : 0;
		snprintf(json, sizeof json, "{\"token_required\":%s,\"signed_in\":%s,"
		         "\"token_name\":\"%s\",\"role\":\"%s\"}\n",
		         auth_required(d) ? "true" : "false", in_session ? "true" : "false",
		         who ? who : "", role ? hodei_token_role_name(role) : "");
		send_json(req, 200, "OK", json);
	} else if (cmd != EVHTTP_REQ_POST) {
		send_text(req, 405, "Method Not Allowed", "text/plain", "method not allowed\n", 19);
	} else if (!csrf_header(in)) {
		refuse(req, 403, "Forbidden", "sign-in and sign-out need the x-hodei-csrf: 1 header");
	} else if (strcmp(path, "/api/logout") == 0) {
		session_delete(d, cookie);
		snprintf(set_cookie, sizeof set_cookie,
		         "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", SESSION_COOKIE);
		evhttp_add_header(out, "Set-Cookie", set_cookie);
		send_json(req, 200, "OK", "{\"signed_in\":false}\n");
	} else if (!auth_required(d)) {
		send_json(req, 200, "OK", "{\"signed_in\":true}\n"); /* nothing to sign in to */
	} else {
		const char *auth = evhttp_find_header(in, "authorization");
		const char *name = auth && strncasecmp(auth, "Bearer ", 7) == 0
		                       ? token_name_of(d, auth + 7) : NULL;
		if (!name) {
			refuse(req, 401, "Unauthorized", "sign-in: wrong API token");
		} else if (session_create(d, name, set_cookie, sizeof set_cookie) != 0) {
			send_json(req, 503, "Service Unavailable", "{\"error\":\"no randomness\"}\n");
		} else {
			evhttp_add_header(out, "Set-Cookie", set_cookie);
			send_json(req, 200, "OK", "{\"signed_in\":true}\n");
		}
	}
}

/* /metrics with --protect-metrics: the bearer token or a session. */
static int metrics_allowed(hodeid *d, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *cookie = evhttp_find_header(in, "Cookie");
	if (!d->cfg.protect_metrics || !auth_required(d))
		return 1;
	return bearer_ok(d, evhttp_find_header(in, "authorization")) ||
	       (cookie && session_principal(d, cookie));
}

/* ---- routing ---- */

/* Host, Origin and framing: refuses and returns -1, or 0 to go on. */
static int check_request(hodeid *d, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *host = evhttp_find_header(in, "Host");
	const char *origin = evhttp_find_header(in, "Origin");
	const char *smuggling = http_smuggling(in);
	const char *uri = evhttp_request_get_uri(req);
	if (smuggling)
		refuse(req, 400, "Bad Request", smuggling);
	else if (!host)
		refuse(req, 400, "Bad Request", "the Host header is missing");
	else if (!http_host_allowed(d, host))
		refuse(req, 421, "Misdirected Request",
		       "this server does not answer to that Host (see --public-host)");
	else if (origin && !http_origin_allowed(d, origin, host))
		refuse(req, 403, "Forbidden", "cross-origin request refused (see --dev-origin)");
	else if (!uri || uri[0] != '/')
		refuse(req, 400, "Bad Request", "the request target must start with /");
	else
		return 0;
	return -1;
}

static void route(hodeid *d, struct evhttp_request *req, const char *path)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd == EVHTTP_REQ_OPTIONS) {
		cors_preflight(d, req);
	} else if (cmd == EVHTTP_REQ_POST && is_grpc_web(req)) {
		const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
		if (strncmp(ct, "application/grpc-web-text", 25) == 0)
			send_text(req, 415, "Unsupported Media Type", "text/plain",
			          "grpc-web-text is not supported; use application/grpc-web+proto\n", 63);
		else
			grpc_web(d, req, path);
	} else if (strcmp(path, "/api/session") == 0 || strcmp(path, "/api/logout") == 0) {
		session_endpoint(d, req, path);
	} else if (strcmp(path, "/healthz") == 0) {
		if (d->shutting_down)
			send_text(req, 503, "Service Unavailable", "text/plain", "shutting down\n", 14);
		else
			send_text(req, 200, "OK", "text/plain", "ok\n", 3);
	} else if (strcmp(path, "/metrics") == 0) {
		if (!metrics_allowed(d, req)) {
			refuse(req, 401, "Unauthorized", "/metrics needs the API token (--protect-metrics)");
			return;
		}
		size_t len = 0;
		char *text = metrics_prometheus(d, &len);
		send_text(req, 200, "OK", "text/plain; version=0.0.4", text ? text : "", len);
		free(text);
	} else if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) {
		static_file(d, req, path);
	} else {
		send_text(req, 405, "Method Not Allowed", "text/plain", "method not allowed\n", 19);
	}
}

static void on_request(struct evhttp_request *req, void *arg)
{
	hodeid *d = arg;
	http_security_headers(evhttp_request_get_output_headers(req));
	if (check_request(d, req) < 0)
		return;
	struct evhttp_uri *parsed = evhttp_uri_parse(evhttp_request_get_uri(req));
	const char *path = parsed ? evhttp_uri_get_path(parsed) : NULL;
	size_t len = 0;
	char *decoded = path ? evhttp_uridecode(path, 0, &len) : NULL;
	if (!decoded || len != strlen(decoded) || decoded[0] != '/')
		refuse(req, 400, "Bad Request", "malformed request path");
	else
		route(d, req, decoded);
	free(decoded);
	if (parsed)
		evhttp_uri_free(parsed);
}

int hodeid_bound_port(evutil_socket_t fd);

int http_listen(hodeid *d)
{
	if (!d->cfg.http_listen || !*d->cfg.http_listen || strcmp(d->cfg.http_listen, "off") == 0)
		return 0;
	char host[256];
	const char *colon = strrchr(d->cfg.http_listen, ':');
	if (!colon || colon == d->cfg.http_listen) {
		LOG_ERROR("--http-listen: expected host:port, got '%s'", d->cfg.http_listen);
		return -1;
	}
	size_t hl = (size_t)(colon - d->cfg.http_listen);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, d->cfg.http_listen, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	struct evhttp *http = evhttp_new(d->base);
	evhttp_set_max_body_size(http, HODEI_GRPC_MAX_MESSAGE + 1024);
	evhttp_set_max_headers_size(http, HTTP_MAX_HEADERS);
	evhttp_set_bevcb(http, http_peer_bev, d);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	                                     EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(http, on_request, d);
	struct evhttp_bound_socket *s = evhttp_bind_socket_with_handle(http, host, (ev_uint16_t)atoi(colon + 1));
	if (!s) {
		LOG_ERROR("--http-listen %s: %s", d->cfg.http_listen, strerror(errno));
		evhttp_free(http);
		return -1;
	}
	d->http = http;
	d->http_port = hodeid_bound_port(evhttp_bound_socket_get_fd(s));
	return 0;
}

void http_close(hodeid *d)
{
	if (d->http) {
		evhttp_free(d->http);
		d->http = NULL;
	}
	http_peers_free();
}
