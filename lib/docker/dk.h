/*
 * Docker provider internals (lib/docker).  Nothing here is public.
 *
 *   dk_http.c      an asynchronous HTTP client for the Docker Engine API:
 *                  libcurl's multi socket-action interface on the context's
 *                  libevent loop (curl's hiperfifo.c pattern), never blocking.
 *   dk_image.c     builds the hodei-worker image as a `docker load` tar.
 *   dk_deps.c      finds the shared libraries a binary needs (ldd).
 *   dk_provider.c  the "docker" provider ops.
 */
#ifndef HODEI_DK_H
#define HODEI_DK_H

#include <stddef.h>
#include <stdint.h>

#include "hodei/sys/docker.h"

struct event_base;

/* Declared by the core (lib/internal.h) too; same signature. */
int hodei__err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define HODEI__DK_API "/v1.41"
#define HODEI__DK_DEFAULT_SOCKET "/var/run/docker.sock"

/* ---- a growable byte buffer ---- */
typedef struct hodei__dk_buf {
	char *data;
	size_t len, cap;
} hodei__dk_buf;
int hodei__dk_buf_add(hodei__dk_buf *b, const void *data, size_t len);
void hodei__dk_buf_free(hodei__dk_buf *b);

/* ---- dk_http.c ---- */
typedef struct hodei__dk_http hodei__dk_http;
typedef struct hodei__dk_req hodei__dk_req;

typedef struct hodei__dk_response {
	long status;       /* HTTP status; 0 when the transport failed */
	const char *error; /* transport error (connect, timeout), or NULL */
	const char *body;  /* NUL-terminated */
	size_t len;
	int is_docker;     /* the reply carried an Api-Version header */
} hodei__dk_response;

typedef void (*hodei__dk_done_fn)(void *userdata, const hodei__dk_response *resp);

/*
 * endpoint: NULL or "" (DOCKER_HOST, else the default unix socket),
 * "unix:///path", "/path", "tcp://host:port", "http://host:port".
 * Errors: HODEI_EINVAL (unsupported scheme), HODEI_ENOMEM.
 */
int hodei__dk_http_new(hodei__dk_http **out, struct event_base *base, const char *endpoint);
/* Cancels every request (no callbacks).  Accepts NULL. */
void hodei__dk_http_free(hodei__dk_http *http);
/* Is endpoint one the client can use (unix://, tcp://, http://)?  HODEI_EINVAL
 * naming "endpoint" otherwise. */
int hodei__dk_endpoint_check(const char *endpoint);
/* The endpoint as shown in messages, e.g. "unix:///var/run/docker.sock". */
const char *hodei__dk_http_endpoint(const hodei__dk_http *http);

/*
 * Send `method path` (path below /v1.41, e.g. "/containers/json").  body may
 * be NULL; with take_body the buffer (malloc'd) is adopted, else copied.
 * timeout_ms 0 = none (long polls).  done is called exactly once on the
 * loop, never from inside this call, unless the request is cancelled.
 * Returns NULL on allocation failure (done is then never called).
 */
hodei__dk_req *hodei__dk_send(hodei__dk_http *http, const char *method, const char *path,
                              char *body, size_t len, int take_body, long timeout_ms,
                              hodei__dk_done_fn done, void *userdata);
/* Forget a request: its callback is never called. */
void hodei__dk_cancel(hodei__dk_req *req);

/* Blocking request on a private loop (tools, shutdown).  Caller frees *body. */
int hodei__dk_send_sync(const char *endpoint, const char *method, const char *path,
                        char *body, size_t len, int take_body, long timeout_ms,
                        long *status, char **reply, char **error);

/* ---- dk_reply.c: reading replies (pure; fuzzed by test/fuzz/fuzz_docker_json.c) ---- */
/* The "message" of a Docker error reply, or the body's first line, without
 * control characters; malloc'd (NULL when out of memory). */
char *hodei__dk_error_message(const hodei__dk_response *resp);
/* Is id a container id we put in a request path (1 to 64 lower-case hex)? */
int hodei__dk_id_ok(const char *id);
/* The "Id" of a create reply, NULL unless hodei__dk_id_ok; malloc'd. */
char *hodei__dk_reply_id(const char *body, size_t len);
/* The "StatusCode" of a wait reply, 0..255; -1 when missing or out of range. */
int hodei__dk_reply_exit_code(const char *body, size_t len);
/* The "ServerVersion" of an /info reply (control characters dropped), or NULL; malloc'd. */
char *hodei__dk_reply_version(const char *body, size_t len);
/* The valid "Id"s of a /containers/json list.  Free with hodei__dk_ids_free.
 * Errors: HODEI_ENOMEM. */
int hodei__dk_reply_ids(const char *body, size_t len, char ***out, size_t *n);
void hodei__dk_ids_free(char **ids, size_t n);
/* The last non-blank line of a multiplexed (non-TTY) log stream, without
 * control characters, into out ("" when none). */
void hodei__dk_reply_last_line(const char *body, size_t len, char *out, size_t outlen);

/* ---- dk_deps.c ---- */
/* Run argv (PATH lookup), collect stdout+stderr; *status as from waitpid. */
int hodei__dk_run_capture(char *const argv[], hodei__dk_buf *out, int *status);
typedef struct hodei__dk_dep {
	char *name; /* as the binary asks for it: "libc.so.6", or the loader path */
	char *path; /* the file on this host */
	int is_loader;
} hodei__dk_dep;
/* The shared libraries `binary` needs, with the ELF interpreter. 0 for a static binary. */
int hodei__dk_deps(const char *binary, hodei__dk_dep **out, size_t *n);
void hodei__dk_deps_free(hodei__dk_dep *deps, size_t n);

/* ---- dk_image.c ---- */
/* Write the image as a docker-load tar into *out (malloc'd). */
int hodei__dk_image_tar(const char *tag, const char *worker_path, const char *busybox_path,
                        hodei__dk_buf *out);
/* The hodei-worker binary to put in the image: explicit path, env, or found. */
char *hodei__dk_find_worker(const char *explicit_path);
const char *hodei__dk_find_busybox(const char *explicit_path);
/* HODEI_WORKER_IMAGE, else "hodei-worker:latest". */
const char *hodei__dk_default_image(void);

#endif
