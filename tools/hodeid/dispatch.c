/*
 * From transport events to service handlers: method lookup, the API token,
 * deadlines, request decoding, unary replies and streaming calls.  Both
 * transports (h2c in net.c, gRPC-Web in http.c) call in here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "grpc.h"
#include "hodeid.h"
#include "pbwire.h"

static const hodeid_method *const tables[] = {
	hodeid_job_methods,      hodeid_log_methods,    hodeid_metrics_methods,
	hodeid_provider_methods, hodeid_worker_methods, hodeid_health_methods,
	hodeid_reflection_methods, hodeid_token_methods, NULL,
};

const hodeid_method *hodeid_method_find(const char *path)
{
	for (size_t t = 0; tables[t]; t++)
		for (const hodeid_method *m = tables[t]; m->path; m++)
			if (strcmp(m->path, path) == 0)
				return m;
	return NULL;
}

/* Reflection is public unless --protect-metrics puts it behind the token. */
static int method_public(const hodeid *d, const hodeid_method *m)
{
	static const char reflection[] = "/grpc.reflection.";
	if (!(m->flags & M_PUBLIC))
		return 0;
	return !d->cfg.protect_metrics || strncmp(m->path, reflection, sizeof reflection - 1) != 0;
}

int dispatch_is_public(const hodeid *d, const char *path)
{
	const hodeid_method *m = hodeid_method_find(path);
	return m && method_public(d, m);
}

int stream_send(hodeid_stream *s, const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	if (n > HODEI_GRPC_MAX_MESSAGE)
		return -2; /* clients refuse it: better an error they can act on */
	uint8_t stackbuf[512];
	uint8_t *buf = n <= sizeof stackbuf ? stackbuf : malloc(n);
	if (!buf)
		return -1;
	protobuf_c_message_pack(msg, buf);
	int rc = hodei__rpc_call_send(s->call, buf, n);
	if (buf != stackbuf)
		free(buf);
	return rc;
}

void stream_finish(hodeid_stream *s, int status, const char *message)
{
	if (!s->call->finished && !s->call->closed) {
		s->status = status;
		if (status != HODEI_GRPC_OK)
			s->d->calls_failed++;
		if (status != HODEI_GRPC_OK && status != HODEI_GRPC_CANCELLED)
			LOG_DEBUG("call failed method=%s status=%s message=\"%s\"", s->m->path,
			          hodei__grpc_status_name(status), message ? message : "");
	}
	hodei__rpc_call_finish(s->call, status, message);
}

size_t stream_pending(hodeid_stream *s)
{
	return hodei__rpc_call_pending(s->call);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	hodeid_stream *s = arg;
	stream_finish(s, HODEI_GRPC_DEADLINE_EXCEEDED, "deadline exceeded");
}

/*
 * Who makes the call (the session's token, or the bearer token) and whether
 * the method table lets that token's role call it.  With no token at all
 * configured, every caller is an anonymous admin.
 */
static int caller(hodeid *d, hodei_rpc_call *call, const hodeid_method *m,
                  const char **principal, int *role, const char **why)
{
	static char denied[256];
	if (!auth_required(d)) {
		*role = HODEI_ROLE_ADMIN;
		return HODEI_GRPC_OK;
	}
	if (call->principal && (*role = auth_name_role(d, call->principal)) != 0) {
		*principal = call->principal;
	} else if (auth_bearer(d, call->authorization, principal, role) != 0) {
		*why = "missing, wrong or revoked API token (authorization: Bearer)";
		return HODEI_GRPC_UNAUTHENTICATED;
	}
	if (auth_allows(m->path, *role))
		return HODEI_GRPC_OK;
	snprintf(denied, sizeof denied, "the %s token '%s' may not call %s",
	         hodei_token_role_name(*role), *principal, m->path);
	*why = denied; /* read by the transport before the loop turns */
	return HODEI_GRPC_PERMISSION_DENIED;
}

void dispatch_revoke(hodeid *d, const char *name)
{
	hodeid_stream *next;
	for (hodeid_stream *s = d->streams; s; s = next) {
		next = s->next;
		if (!s->call->finished && strcmp(s->principal, name) == 0)
			stream_finish(s, HODEI_GRPC_UNAUTHENTICATED, "the API token was revoked");
	}
}

int dispatch_call(hodeid *d, hodei_rpc_call *call, const char **why)
{
	if (d->shutting_down) {
		*why = "the server is shutting down";
		return HODEI_GRPC_UNAVAILABLE;
	}
	const hodeid_method *m = hodeid_method_find(call->path);
	if (!m) {
		*why = "unknown service or method";
		return HODEI_GRPC_UNIMPLEMENTED;
	}
	const char *principal = "";
	int role = 0;
	int status = method_public(d, m) ? HODEI_GRPC_OK : caller(d, call, m, &principal, &role, why);
	if (status != HODEI_GRPC_OK)
		return status;
	hodeid_stream *s = calloc(1, sizeof *s);
	if (!s) {
		*why = "out of memory";
		return HODEI_GRPC_RESOURCE_EXHAUSTED;
	}
	s->d = d;
	s->call = call;
	s->m = m;
	s->status = -1;
	snprintf(s->principal, sizeof s->principal, "%s", principal);
	s->role = role;
	s->start_ms = now_ms();
	call->app = s;
	s->next = d->streams;
	if (d->streams)
		d->streams->prev = s;
	d->streams = s;
	d->calls_total++;
	if (call->timeout_ms >= 0) {
		struct timeval tv = {call->timeout_ms / 1000, (call->timeout_ms % 1000) * 1000};
		s->deadline = evtimer_new(d->base, deadline_cb, s);
		evtimer_add(s->deadline, &tv);
	}
	return HODEI_GRPC_OK;
}

static void run_unary(hodeid_stream *s, const ProtobufCMessage *in)
{
	rpc_req r = {s->d, arena_new(), "", s->principal, s->role};
	ProtobufCMessage *out = NULL;
	int status = r.a ? s->m->unary(&r, in, &out) : rpc_nomem(&r);
	if (status == HODEI_GRPC_OK && arena_failed(r.a)) /* an answer with a piece missing */
		status = rpc_nomem(&r);
	if (status == HODEI_GRPC_OK && out) {
		int rc = stream_send(s, out);
		if (rc == -2)
			status = rpc_fail(&r, HODEI_GRPC_RESOURCE_EXHAUSTED,
			                  "the response would exceed 4 MiB: ask for a smaller page");
		else if (rc < 0)
			status = rpc_fail(&r, HODEI_GRPC_INTERNAL, "could not send the response");
	}
	stream_finish(s, status, status ? r.err : NULL);
	arena_free(r.a);
}

void dispatch_message(hodeid *d, hodei_rpc_call *call, const uint8_t *msg, size_t len)
{
	hodeid_stream *s = call->app;
	if (!s || call->finished)
		return;
	if (s->got_message && !s->on_message) {
		stream_finish(s, HODEI_GRPC_INVALID_ARGUMENT, "this method takes one request message");
		return;
	}
	char why[256], field[128];
	/* Strings go on to the library as C strings (a NUL would cut them) and
	 * come back in replies (invalid UTF-8 would make clients refuse those). */
	int bad = hodei__pbwire_check_strings(s->m->input, msg, len, field, sizeof field);
	ProtobufCMessage *in = bad ? NULL : protobuf_c_message_unpack(s->m->input, NULL, len, msg);
	if (!in) {
		if (bad == HODEI_PBWIRE_NUL)
			snprintf(why, sizeof why, "%s: must not contain a NUL byte", field);
		else if (bad == HODEI_PBWIRE_UTF8)
			snprintf(why, sizeof why, "%s: must be valid UTF-8", field);
		else
			snprintf(why, sizeof why, "request: not a valid %s message", s->m->input->name);
		stream_finish(s, HODEI_GRPC_INVALID_ARGUMENT, why);
		return;
	}
	if (s->got_message) {
		s->on_message(s, in);
	} else {
		s->got_message = 1;
		if (s->m->unary) {
			run_unary(s, in);
		} else {
			char err[512] = "";
			int status = s->m->open(s, in, err, sizeof err);
			if (status != HODEI_GRPC_OK)
				stream_finish(s, status, err);
			if (s->m->flags & M_KEEP_REQUEST)
				return; /* open() took it, on success and failure alike */
		}
	}
	protobuf_c_message_free_unpacked(in, NULL);
}

void dispatch_half_close(hodeid *d, hodei_rpc_call *call)
{
	hodeid_stream *s = call->app;
	if (!s || call->finished)
		return;
	if (!s->got_message)
		stream_finish(s, HODEI_GRPC_INTERNAL, "no request message");
	else if (s->on_half_close)
		s->on_half_close(s);
}

void dispatch_writable(hodeid *d, hodei_rpc_call *call)
{
	hodeid_stream *s = call->app;
	if (s && s->on_writable && !call->finished)
		s->on_writable(s);
}

void dispatch_close(hodeid *d, hodei_rpc_call *call)
{
	hodeid_stream *s = call->app;
	if (!s)
		return;
	LOG_DEBUG("call method=%s status=%s ms=%lld", s->m->path,
	          s->status < 0 ? "UNFINISHED" : hodei__grpc_status_name(s->status),
	          (long long)(now_ms() - s->start_ms));
	if (s->on_close)
		s->on_close(s);
	if (s->prev)
		s->prev->next = s->next;
	else
		d->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (s->deadline)
		event_free(s->deadline);
	call->app = NULL;
	free(s);
}

void dispatch_shutdown_streams(hodeid *d)
{
	hodeid_stream *next;
	for (hodeid_stream *s = d->streams; s; s = next) {
		next = s->next;
		if (s->call->finished)
			continue;
		if (s->on_shutdown)
			s->on_shutdown(s);
		else if (s->m->open)
			stream_finish(s, HODEI_GRPC_UNAVAILABLE, "the server is shutting down");
	}
}
