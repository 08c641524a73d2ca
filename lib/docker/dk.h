/*
 * Docker provider internals (lib/docker).  Nothing here is public.
 *
 *   dk_http.c      the Docker Engine API endpoint (unix socket, TCP, TLS with
 *                  DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) on the asynchronous
 *                  HTTP client shared with the kubernetes provider
 *                  (lib/http/httpc.c: libcurl on the context's libevent loop).
 *   dk_image.c     builds the hodei-worker image as a `docker load` tar.
 *   dk_deps.c      finds the shared libraries a binary needs (ldd).
 *   dk_provider.c  the "docker" provider ops.
 */
#ifndef HODEI_DK_H
#define HODEI_DK_H

#include <stddef.h>
#include <stdint.h>

#include "hodei/sys/docker.h"
#include "../http/httpc.h"

struct event_base;

#define HODEI__DK_API "/v1.41"
#define HODEI__DK_DEFAULT_SOCKET "/var/run/docker.sock"

/* ---- dk_http.c: the Docker endpoint on the shared client (lib/http/httpc.h) ---- */
typedef hodei__httpc hodei__dk_http;
typedef hodei__httpc_req hodei__dk_req;
typedef hodei__httpc_response hodei__dk_response; /* marked: it had an Api-Version header */
typedef hodei__httpc_done_fn hodei__dk_done_fn;

/*
 * The client options for a Docker endpoint: NULL or "" (DOCKER_HOST, else
 * the default unix socket), "unix:///path", "/path", "tcp://host:port",
 * "http://host:port", "https://host:port".  tcp:// is TLS when
 * DOCKER_TLS_VERIFY is set (non-empty, not "0"), as for the docker CLI: the
 * CA, certificate and key are ca.pem, cert.pem and key.pem in
 * DOCKER_CERT_PATH (default ~/.docker); https:// always is.  Free with
 * hodei__dk_endpoint_free.  Errors: HODEI_EINVAL naming "endpoint"
 * (unsupported scheme), HODEI_EIO naming DOCKER_CERT_PATH (a PEM file
 * missing), HODEI_ENOMEM.
 */
typedef struct hodei__dk_endpoint {
	hodei__httpc_options opts;
	char *base_url, *socket, *shown;
	hodei__hbuf ca, cert, key;
} hodei__dk_endpoint;
int hodei__dk_endpoint_parse(hodei__dk_endpoint *ep, const char *endpoint);
void hodei__dk_endpoint_free(hodei__dk_endpoint *ep);

int hodei__dk_http_new(hodei__dk_http **out, struct event_base *base, const char *endpoint);
/* Cancels every request (no callbacks).  Accepts NULL. */
#define hodei__dk_http_free hodei__httpc_free
/* Is endpoint one the client can use?  HODEI_EINVAL naming "endpoint" otherwise. */
int hodei__dk_endpoint_check(const char *endpoint);
/* Paths are sent as they are, without the /v1.41 prefix (other APIs on a
 * unix socket: Firecracker's). */
/* An HTTP client on a unix-socket endpoint without the Docker API's version
 * prefix (Firecracker's API: lib/microvm). */
int hodei__dk_http_new_raw(hodei__dk_http **out, struct event_base *base, const char *endpoint);
/* The endpoint as shown in messages, e.g. "unix:///var/run/docker.sock". */
#define hodei__dk_http_endpoint hodei__httpc_shown

/*
 * Send `method path` (path below /v1.41, e.g. "/containers/json"), as
 * hodei__httpc_send with the content type the path takes (a tar for
 * /images/load, else JSON) and the reply buffered.
 */
hodei__dk_req *hodei__dk_send(hodei__dk_http *http, const char *method, const char *path,
                              char *body, size_t len, int take_body, long timeout_ms,
                              hodei__dk_done_fn done, void *userdata);
/* Forget a request: its callback is never called. */
#define hodei__dk_cancel hodei__httpc_cancel

/* Blocking request on a private loop (tools, shutdown).  Caller frees *body.
 * An answer without Api-Version sets *error ("not a Docker Engine API"). */
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

/* ---- dk_container.c ---- */
/* How many jobs worker `wid` has run (0 when unknown): ephemeral workers,
 * containers and microVMs, retire after their first. */
/* Does the job (hint, may be NULL) fit the provider's max memory / vCPUs
 * (0 = no limit)?  HODEI_EINVAL naming "memory" or "cpu" otherwise. */

/* ---- dk_deps.c ---- */
/* Run argv (PATH lookup), collect stdout+stderr; *status as from waitpid. */
int hodei__dk_run_capture(char *const argv[], hodei__hbuf *out, int *status);
typedef struct hodei__dk_dep {
	char *name; /* as the binary asks for it: "libc.so.6", or the loader path */
	char *path; /* the file on this host */
	int is_loader;
} hodei__dk_dep;
/* The shared libraries `binary` needs, with the ELF interpreter. 0 for a static binary. */
int hodei__dk_deps(const char *binary, hodei__dk_dep **out, size_t *n);
void hodei__dk_deps_free(hodei__dk_dep *deps, size_t n);

/* ---- dk_image.c: an archive written into memory (the image's layer tar,
 * the microVM's cpio newc initramfs), with the directories already in it ---- */
struct archive;
typedef struct hodei__dk_arch {
	struct archive *a;
	hodei__hbuf *out;
	char **dirs;
	size_t ndirs;
	long long mtime;
} hodei__dk_arch;
#define HODEI__DK_ARCH_TAR 0
#define HODEI__DK_ARCH_CPIO 1 /* newc, what the kernel unpacks as an initramfs */
int hodei__dk_arch_open(hodei__dk_arch *t, hodei__hbuf *out, int format);
int hodei__dk_arch_close(hodei__dk_arch *t);
/* One entry (type AE_IFREG, AE_IFDIR, AE_IFLNK), path relative. */
int hodei__dk_arch_entry(hodei__dk_arch *t, const char *path, int type, int mode,
                         const void *data, size_t len, const char *link);
/* Every missing parent directory of path ("usr/lib/x"). */
int hodei__dk_arch_parents(hodei__dk_arch *t, const char *path);
/* A host file (symlinks followed) as `dest` (relative). */
int hodei__dk_arch_copy(hodei__dk_arch *t, const char *dest, const char *src, int mode);
/* The worker's root: /tmp, /root, busybox with its applets in /bin, the agent
 * at /usr/local/bin/hodei-worker with its libraries, /etc/passwd and group. */
int hodei__dk_arch_rootfs(hodei__dk_arch *t, const char *worker, const char *busybox);
/* Read a whole file into out.  Errors: HODEI_ENOTFOUND, HODEI_EIO. */
int hodei__dk_read_file(const char *path, hodei__hbuf *out);

/* Write the image as a docker-load tar into *out (malloc'd). */
int hodei__dk_image_tar(const char *tag, const char *worker_path, const char *busybox_path,
                        hodei__hbuf *out);
/* The hodei-worker binary to put in the image: explicit path, env, or found. */
char *hodei__dk_find_worker(const char *explicit_path);
const char *hodei__dk_find_busybox(const char *explicit_path);
/* HODEI_WORKER_IMAGE, else "hodei-worker:latest". */
const char *hodei__dk_default_image(void);

#endif
