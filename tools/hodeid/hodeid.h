/*
 * hodeid: libhodei behind the gRPC API (h2c), gRPC-Web, /metrics and the
 * dashboard's files, on one libevent loop shared with the library
 * (embedded-loop mode: every libhodei call happens on this thread).
 */
#ifndef HODEID_H
#define HODEID_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include <hodei/hodei.h>
#include <hodei/sys/provider.h>

#include "call.h"

struct event_base;
struct event;
struct stat;

typedef struct hodeid_config {
	const char *data_dir;
	const char *grpc_listen; /* host:port */
	const char *http_listen; /* host:port, or "" / "off" */
	const char *api_token;   /* NULL: none */
	const char *join_token;  /* NULL: static pools closed (unless the file has some) */
	const char *join_tokens_file; /* "POOL TOKEN" lines, read again on SIGHUP */
	const char *web_dir;
	const char *port_file;   /* write the bound ports here (tests) */
	const char *job_user;    /* local jobs' user; NULL: nobody as root, else ours */
	int64_t heartbeat_ms;    /* agents heartbeat this often */
	int64_t worker_timeout_ms; /* lost after this much silence */
	int64_t shutdown_grace_ms; /* calls in flight, after GOAWAY */
	int64_t job_grace_ms;    /* running jobs, before GOAWAY (--shutdown-grace) */
	int log_level;           /* HODEI_DIAG_* */
	int no_local;            /* no local provider */
	const char *public_hosts; /* more Host names the HTTP port answers to, comma-separated */
	const char *dev_origin;  /* an origin allowed cross-origin (Vite's dev server), or NULL */
	int protect_metrics;     /* /metrics and reflection need the API token */
	unsigned int max_per_peer; /* connections from one IP address (IPv6: /64) */
	unsigned int local_workers;
	const char *tls_cert;      /* PEM chain: TLS on both ports; NULL: clear text */
	const char *tls_key;       /* its private key */
	const char *tls_client_ca; /* mutual TLS: workers present a certificate of this CA */
	int insecure_listen;       /* beyond loopback without TLS (--insecure-listen) */
	int64_t count_cap;       /* ListJobs totals of a search stop here (0: exact) */
} hodeid_config;

typedef struct hodeid_stream hodeid_stream;
typedef struct hodeid_agent hodeid_agent;
typedef struct hodeid_conn hodeid_conn;

typedef struct hodeid {
	hodeid_config cfg;
	struct event_base *base;
	hodei_ctx *ctx;
	int64_t started_ms;
	int shutting_down;
	int draining; /* a stop waits for running jobs: submits are refused */
	int grpc_port, http_port;
	void *grpc_listener;
	void *worker_listener;   /* worker_listener.c */
	char *worker_socket;     /* its path */
	void *http;
	hodeid_conn *conns;
	hodeid_stream *streams;
	hodeid_agent *agents;
	struct join_tokens *join_tokens; /* join_tokens.c */
	struct event *shutdown_timer;
	struct event *drain_timer; /* waiting for running jobs (--shutdown-grace) */
	struct hodeid_sessions *sessions; /* dashboard sign-ins (session.c) */
	struct hodeid_tls *tls;  /* tls.c; NULL without --tls-cert */
	struct hodeid_tokens *tokens;     /* named API tokens' hashes (auth.c) */
	uint64_t calls_total;
	uint64_t calls_failed;
} hodeid;

/* ---- logging (log.c): logfmt lines on stderr ---- */
void hodeid_log_init(int level);
void hodeid_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define LOG_DEBUG(...) hodeid_log(HODEI_DIAG_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) hodeid_log(HODEI_DIAG_INFO, __VA_ARGS__)
#define LOG_WARN(...) hodeid_log(HODEI_DIAG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) hodeid_log(HODEI_DIAG_ERROR, __VA_ARGS__)
void hodeid_diag(int level, const char *message, void *userdata);

/* ---- arena (arena.c): response messages are built in one, freed at once ---- */
typedef struct arena arena;
arena *arena_new(void); /* NULL: out of memory */
void arena_free(arena *a);
/** Zeroed; NULL when out of memory, which is sticky: see arena_failed(). */
void *arena_alloc(arena *a, size_t n);
/** Whether an allocation failed (or a is NULL): the answer must not be sent. */
int arena_failed(const arena *a);
char *arena_strdup(arena *a, const char *s);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Call fn(ptr) when the arena is freed (library snapshots a reply borrows). */
void arena_defer(arena *a, void (*fn)(void *), void *ptr);
#define ARENA_DEFER(a, fn, ptr) arena_defer((a), (void (*)(void *))(void (*)(void))(fn), (ptr))

/* ---- calls and methods (dispatch.c) ---- */

/** One unary call being answered. */
typedef struct rpc_req {
	hodeid *d;
	arena *a;
	char err[512]; /* the status message, when the handler fails */
	const char *principal; /* the caller's token name; "" when no token is needed */
	int role;              /* its hodei_token_role */
} rpc_req;

/** Fail with a status and a message; returns the status. */
int rpc_fail(rpc_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** RESOURCE_EXHAUSTED "out of memory" (an arena or other allocation failed). */
int rpc_nomem(rpc_req *r);
/** How the library names a field, and how the API does. */
typedef struct field_map {
	const char *lib;   /* "workdir" */
	const char *proto; /* "job_definition.working_directory" */
} field_map;

/**
 * Fail with the status and message of a libhodei error (hodei_error_last()),
 * renaming the field the message starts with through map (NULL-terminated;
 * may be NULL).
 */
int rpc_fail_lib(rpc_req *r, int rc, const field_map *map);

/** A streaming call (server-streaming or bidirectional). */
#define HODEID_PRINCIPAL_MAX 64
struct hodeid_stream {
	hodeid *d;
	hodei_rpc_call *call;
	const struct hodeid_method *m;
	struct event *deadline;
	void *state;
	int got_message;
	int status;        /* as finished by the application; -1 if not */
	int64_t start_ms;
	char principal[HODEI_TOKEN_NAME_MAX + 1]; /* the caller's token name, "" if none needed */
	int role;                                 /* its hodei_token_role */
	void (*on_message)(hodeid_stream *s, const ProtobufCMessage *msg);
	void (*on_half_close)(hodeid_stream *s);
	void (*on_writable)(hodeid_stream *s);
	void (*on_shutdown)(hodeid_stream *s); /* the server is stopping */
	void (*on_close)(hodeid_stream *s);    /* free state; the call is gone */
	hodeid_stream *prev, *next;
};

/** Pack and send one message; -1 if the call is over, -2 if over 4 MiB. */
int stream_send(hodeid_stream *s, const ProtobufCMessage *msg);
void stream_finish(hodeid_stream *s, int status, const char *message);
size_t stream_pending(hodeid_stream *s);

#define M_PUBLIC 0x1u /* no API token needed (health, reflection, workers) */
#define M_KEEP_REQUEST 0x2u /* open() owns the request message (frees it) */

typedef struct hodeid_method {
	const char *path;
	const ProtobufCMessageDescriptor *input;
	unsigned int flags;
	/** Unary: fill *out (in r->a) and return 0, or return a status. */
	int (*unary)(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out);
	/** Streaming: start with the first message; 0 keeps the stream open. */
	int (*open)(hodeid_stream *s, const ProtobufCMessage *in, char *err, size_t errlen);
} hodeid_method;

const hodeid_method *hodeid_method_find(const char *path);

/* Transport-facing entry points (the same for h2c and gRPC-Web). */
int dispatch_call(hodeid *d, hodei_rpc_call *call, const char **why);
void dispatch_message(hodeid *d, hodei_rpc_call *call, const uint8_t *msg, size_t len);
void dispatch_half_close(hodeid *d, hodei_rpc_call *call);
void dispatch_writable(hodeid *d, hodei_rpc_call *call);
void dispatch_close(hodeid *d, hodei_rpc_call *call);
/** Whether a method needs no API token (health, workers, maybe reflection). */
int dispatch_is_public(const hodeid *d, const char *path);
/** Stop every stream (shutdown): on_shutdown, else UNAVAILABLE. */
void dispatch_shutdown_streams(hodeid *d);

/* ---- method tables of each service ---- */
extern const hodeid_method hodeid_job_methods[];
extern const hodeid_method hodeid_log_methods[];
extern const hodeid_method hodeid_metrics_methods[];
extern const hodeid_method hodeid_provider_methods[];
extern const hodeid_method hodeid_worker_methods[];
extern const hodeid_method hodeid_health_methods[];
extern const hodeid_method hodeid_reflection_methods[];
extern const hodeid_method hodeid_token_methods[];

/* ---- transports ---- */
int grpc_listen(hodeid *d);              /* net.c */
/** Serve gRPC on a bound, listening socket; the listener, or NULL. */
void *grpc_listen_socket(hodeid *d, int fd);
/* worker_listener.c: the worker-only unix socket agents in containers use */
int worker_listener_open(hodeid *d);     /* <data-dir>/agent/agent.sock */
void worker_listener_close(hodeid *d);
int worker_listener_allows(const char *path); /* the worker protocol and health */
/** Whether path is a method of the worker protocol (agents, not the API). */
int worker_protocol_method(const char *path);
void grpc_shutdown(hodeid *d);           /* GOAWAY on every connection */
size_t grpc_connections(hodeid *d);
/** A peer address as a key: family byte, then the IPv4 address or an IPv6 /64. */
typedef struct peer_key {
	uint8_t bytes[9];
} peer_key;
struct sockaddr;
peer_key peer_key_of(const struct sockaddr *sa);
/** A refused connection or request, logged at most once a second (net.c). */
void hodeid_log_refusal(const char *port, const char *peer, const char *why);
int http_listen(hodeid *d);              /* http.c: /metrics, /healthz, gRPC-Web, web */
void http_close(hodeid *d);

/* ---- TLS (tls.c): the server context, reloaded on SIGHUP and file change ---- */
typedef struct ssl_st SSL;
/** Load --tls-cert/--tls-key/--tls-client-ca (nothing without --tls-cert); -1 logged. */
int tls_init(hodeid *d);
/** Read the files again; on error keep the old context (-1, logged). */
int tls_reload(hodeid *d);
void tls_free(hodeid *d);
/** A server connection's SSL with the current context (http: ALPN http/1.1, else h2). */
SSL *tls_new_ssl(hodeid *d, int http);
/** Whether the peer presented a certificate that verified against --tls-client-ca. */
int tls_peer_verified(SSL *ssl);
/** The oldest queued OpenSSL error in words; empties the queue. */
const char *tls_error_text(void);
/** hodeid tls init|issue-client (cmd_tls.c). */
int hodeid_cmd_tls(int argc, char **argv);
/* ---- API tokens and roles (auth.c) ---- */
#define HODEID_API_TOKEN_NAME "api" /* --api-token's name: an admin token */
/** Read the named tokens from the store (at start, after a change); -1 logged. */
int auth_load(hodeid *d);
void auth_free(hodeid *d);
/** Whether calls need a token: --api-token given or a named token exists. */
int auth_required(const hodeid *d);
/** The name (borrowed until the next auth_load) and role of a presented token; -1 if none. */
int auth_token(const hodeid *d, const char *token, const char **name, int *role);
/** The same for an "authorization: Bearer TOKEN" value. */
int auth_bearer(const hodeid *d, const char *authorization, const char **name, int *role);
/** The role of a token still in existence, by name; 0 if revoked. */
int auth_name_role(const hodeid *d, const char *name);
/** Whether the method table lets role call path. */
int auth_allows(const char *path, int role);
/** Whether a caller may touch a job queued by job_token (submit: its own only). */
int auth_owns(const hodeid *d, int role, const char *principal, const char *job_token);
/** End the streams of a revoked token (UNAUTHENTICATED). */
void dispatch_revoke(hodeid *d, const char *name);

/* ---- dashboard sessions (session.c) ---- */
#define SESSION_COOKIE "hodei_session"
/** The name of an API token ("api"), or NULL if it is not one. */
const char *token_name_of(const hodeid *d, const char *token);
/** The token name of the live session in a Cookie header, or NULL. */
const char *session_principal(hodeid *d, const char *cookie_header);
/** Open a session; writes its Set-Cookie value.  -1 if no randomness. */
int session_create(hodeid *d, const char *token_name, char *cookie, size_t cookielen);
void session_delete(hodeid *d, const char *cookie_header);
void sessions_free(hodeid *d);

/* ---- the HTTP port's checks (http_guard.c) ---- */
struct evkeyvalq;
/** CSP, X-Frame-Options, nosniff, Referrer-Policy... for every answer. */
void http_security_headers(struct evkeyvalq *out);
/** Whether a Host header names this server (not a rebound name). */
int http_host_allowed(const hodeid *d, const char *host);
/** Whether an Origin is this server's own (host: the checked Host) or --dev-origin. */
int http_origin_allowed(const hodeid *d, const char *origin, const char *host);
/** Why the request's framing is ambiguous (two Content-Lengths...), or NULL. */
const char *http_smuggling(const struct evkeyvalq *headers);

/* ---- connections per address on the HTTP port (http_peers.c) ---- */
struct bufferevent;
/** evhttp's bufferevent callback: checks each new connection's address. */
struct bufferevent *http_peer_bev(struct event_base *base, void *arg);
void http_peers_free(void);

/* ---- the dashboard's files (webfile.c) ---- */
/**
 * Open the regular file `path` ("/assets/x.js") below dir without following
 * any symbolic link; -1 with errno (EINVAL for a path that is not clean).
 */
int web_open(const char *dir, const char *path, struct stat *st);
/* ---- harden.c: tokens out of the environment, data dir 0700, the job policy ---- */
int hodeid_harden(hodeid *d);

/* ---- workers (svc_workers.c) ---- */
/* The worker timeout spans at least this many heartbeat intervals. */
#define WORKER_TIMEOUT_MIN_HEARTBEATS 3
void agents_shutdown(hodeid *d);
/** Disconnect the agents whose join token is no longer valid (after a reload). */
void agents_revoke(hodeid *d);

/* ---- join tokens (join_tokens.c): each scoped to a pool, or "*" ---- */
/** (Re)read the join tokens; on error, log it and keep the old ones (-1). */
int join_tokens_load(hodeid *d);
void join_tokens_free(hodeid *d);
/** The pool a join token is for ("*": any static pool), or NULL if it is none. */
const char *join_token_scope(hodeid *d, const char *token);
/** Any join token at all (static pools are open). */
int join_tokens_any(hodeid *d);

/* ---- reflection index (reflection.c) ---- */
int reflection_init(void);

/* ---- Prometheus text (metrics_text.c) ---- */
char *metrics_prometheus(hodeid *d, size_t *len);

/** Constant-time comparison of a secret (length leaks, content does not). */
int secret_equal(const char *a, const char *b);
/** "Bearer <token>" header against the API tokens (auth.c); 1 if none is needed. */
int bearer_ok(const hodeid *d, const char *authorization);

int64_t now_ms(void);

#endif
