/*
 * An asynchronous HTTP client on libevent, shared by the docker and
 * kubernetes providers (lib/docker, lib/kubernetes).  Nothing here is public.
 *
 * libcurl's multi interface in socket-action mode (curl's hiperfifo.c): one
 * client per endpoint, any number of requests in flight, callbacks on the
 * loop and never from inside the call that started the request.  TLS: a CA
 * to verify the server with, a client certificate and key, all as PEM in
 * memory (from files, or from a kubeconfig's *-data fields); a bearer token.
 * Replies are buffered, or streamed chunk by chunk (a Kubernetes watch).
 */
#ifndef HODEI_HTTPC_H
#define HODEI_HTTPC_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Declared by the core (lib/internal.h) too; same signature. */
int hodei__err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- a growable byte buffer, always NUL-terminated when not empty ---- */
typedef struct hodei__hbuf {
	char *data;
	size_t len, cap;
} hodei__hbuf;
/* -1 when out of memory (b unchanged). */
int hodei__hbuf_add(hodei__hbuf *b, const void *data, size_t len);
void hodei__hbuf_free(hodei__hbuf *b);
/* A whole file, at most max bytes; HODEI_EIO/HODEI_EINVAL naming `field`. */
int hodei__hbuf_read_file(hodei__hbuf *b, const char *path, size_t max, const char *field);

typedef struct hodei__httpc hodei__httpc;
typedef struct hodei__httpc_req hodei__httpc_req;

typedef struct hodei__httpc_options {
	const char *base_url;    /* "http://localhost/v1.41", "https://10.0.0.1:6443" */
	const char *unix_socket; /* connect here instead (base_url's host is then a name) */
	const char *shown;       /* the endpoint in messages; NULL = base_url */
	/* TLS, PEM in memory (copied); NULL = none / the system's CAs */
	const char *ca_pem;
	size_t ca_len;
	const char *cert_pem;
	size_t cert_len;
	const char *key_pem;
	size_t key_len;
	int insecure;             /* do not verify the server (kubeconfig insecure-skip-tls-verify) */
	const char *bearer_token; /* Authorization: Bearer ... on every request */
	const char *marker_header; /* e.g. "Api-Version": responses say whether they had it */
	long connect_timeout_ms;  /* 0 = 5000 */
} hodei__httpc_options;

typedef struct hodei__httpc_response {
	long status;        /* HTTP status; 0 when the transport failed */
	const char *error;  /* transport error (connect, TLS, timeout), or NULL */
	const char *body;   /* NUL-terminated; what was not streamed */
	size_t len;
	int marked;         /* the reply carried options.marker_header */
	long retry_after_s; /* Retry-After in seconds, -1 when absent */
} hodei__httpc_response;

typedef void (*hodei__httpc_done_fn)(void *userdata, const hodei__httpc_response *resp);
/* A chunk of a 2xx streamed reply; return non-zero to abort the request
 * (done is then called with an error). */
typedef int (*hodei__httpc_data_fn)(void *userdata, const char *data, size_t len);

/* What the client has done, for benchmarks and metrics. */
typedef struct hodei__httpc_stats {
	uint64_t requests;
	uint64_t bytes_sent;     /* request bodies */
	uint64_t bytes_received; /* reply bodies */
} hodei__httpc_stats;

/* Errors: HODEI_EINVAL (no base_url), HODEI_ENOMEM. */
int hodei__httpc_new(hodei__httpc **out, struct event_base *base,
                     const hodei__httpc_options *opts);
/* Cancels every request (no callbacks).  Accepts NULL. */
void hodei__httpc_free(hodei__httpc *http);
const char *hodei__httpc_shown(const hodei__httpc *http);
/* A new bearer token for the requests sent from now on (a rotated service
 * account token).  Errors: HODEI_ENOMEM. */
int hodei__httpc_set_bearer(hodei__httpc *http, const char *token);
const hodei__httpc_stats *hodei__httpc_stats_of(const hodei__httpc *http);

/*
 * Send `method path` (appended to base_url).  body may be NULL; with
 * take_body the buffer (malloc'd) is adopted, else copied.  content_type
 * NULL = application/json when there is a body.  timeout_ms 0 = none (long
 * polls, watches).  data: NULL buffers the reply, else 2xx bodies go to it.
 * done is called exactly once on the loop, never from inside this call,
 * unless the request is cancelled.  NULL on allocation failure (done is
 * then never called).
 */
hodei__httpc_req *hodei__httpc_send(hodei__httpc *http, const char *method, const char *path,
                                    char *body, size_t len, int take_body,
                                    const char *content_type, long timeout_ms,
                                    hodei__httpc_data_fn data, hodei__httpc_done_fn done,
                                    void *userdata);
/* Forget a request: its callbacks are never called.  Accepts NULL. */
void hodei__httpc_cancel(hodei__httpc_req *req);

/* Blocking request on a private loop (tools, checks, shutdown).  *reply and
 * *error are malloc'd (NULL when none).  Errors: those of hodei__httpc_new,
 * HODEI_ENOMEM; a transport error is *error with 0 returned.  marked may be NULL. */
int hodei__httpc_send_sync(const hodei__httpc_options *opts, const char *method,
                           const char *path, char *body, size_t len, int take_body,
                           const char *content_type, long timeout_ms, long *status,
                           int *marked, char **reply, char **error);

/* Standard base64 (kubeconfig *-data fields); NULL when invalid or out of memory. */
char *hodei__base64_decode(const char *text, size_t *len);

#endif
