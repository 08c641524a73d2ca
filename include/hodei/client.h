/*
 * libhodei: the client of a remote hodeid, over its gRPC API.
 *
 * A hodei_client is one HTTP/2 connection to a hodeid server (plain TCP, or
 * TLS for an "https://" address; gRPC framing, the messages of proto/hodei/).  It is what hodei-jobs-cli
 * and the hodei-worker agent are built on, and any program can use it to
 * queue and follow jobs on a server instead of embedding the scheduler.
 *
 *   hodei_client_open()         connect (address, token from HODEI_API_TOKEN)
 *   hodei_client_job_queue()    queue a job; _get, _list, _cancel, _retry
 *   hodei_client_log_follow()   stream a job's log lines, history then live
 *   hodei_call_open()           any method, unary or streaming, raw messages
 *
 * Blocking and time limits: every function blocks the calling thread, never
 * without bound.  Connecting (TCP plus the HTTP/2 handshake) is limited by
 * connect_timeout_ms, each unary call by call_timeout_ms (sent to the server
 * as grpc-timeout).  A server that is down, or that is not an HTTP/2 gRPC
 * server, is reported as HODEI_EUNAVAIL within those limits.  Streams wait
 * as long as their caller asks (the timeout_ms of each *_next/recv call).
 *
 * Errors: each function returns 0 or a negative HODEI_E* code, with a
 * message in hodei_error_last().  The server's gRPC status maps to codes:
 *   NOT_FOUND -> HODEI_ENOTFOUND      ALREADY_EXISTS -> HODEI_EEXISTS
 *   INVALID_ARGUMENT, OUT_OF_RANGE -> HODEI_EINVAL
 *   RESOURCE_EXHAUSTED -> HODEI_EFULL FAILED_PRECONDITION -> HODEI_ESTATE
 *   DEADLINE_EXCEEDED -> HODEI_ETIMEDOUT
 *   UNAUTHENTICATED, PERMISSION_DENIED -> HODEI_EAUTH
 *   UNAVAILABLE, UNIMPLEMENTED (not a Hodei server) -> HODEI_EUNAVAIL
 *   anything else -> HODEI_ERROR
 * and the message is the server's grpc-message.  Failures of the connection
 * itself (refused, reset, closed, not HTTP/2) are HODEI_EUNAVAIL.
 *
 * Threading: a client, and the calls and streams opened on it, must be used
 * by one thread at a time.  Different clients are independent.
 *
 * Results are the same structs the embedded API returns (hodei_job,
 * hodei_job_page, hodei_worker_array, hodei_provider_info, ...) and are
 * freed with the same functions.
 */
#ifndef HODEI_CLIENT_H
#define HODEI_CLIENT_H

#include "common.h"
#include "job.h"
#include "log.h"
#include "provider.h"
#include "token.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The address used when none is given and HODEI_SERVER is not set. */
#define HODEI_CLIENT_DEFAULT_ADDRESS "localhost:50051"

/** A connection to hodeid.  Opaque; close with hodei_client_close(). */
typedef struct hodei_client hodei_client;

#define HODEI_CLIENT_OPTIONS_VERSION 2

/** Options for hodei_client_open().  Initialise with HODEI_CLIENT_OPTIONS_INIT. */
typedef struct hodei_client_options {
	unsigned int version;
	/**
	 * API token sent as "authorization: Bearer <token>".  NULL means the
	 * HODEI_API_TOKEN environment variable; "" means no token.
	 */
	const char *token;
	int64_t connect_timeout_ms; /**< TCP connect + HTTP/2 handshake; 0 = 5000 */
	int64_t call_timeout_ms;    /**< each unary call; 0 = 30000; < 0 = none */
	const char *user_agent;     /**< NULL = "hodei-client/VERSION" */
	/* Since version 2: TLS, for "https://" addresses. */
	/**
	 * PEM file of the CA(s) that vouch for the server.  NULL means the
	 * HODEI_CA_FILE environment variable, else the system's trust store.
	 */
	const char *ca_file;
	/**
	 * A client certificate (PEM chain) and its key, for servers that want
	 * mutual TLS (hodei-worker under hodeid --tls-client-ca).  NULL means
	 * HODEI_TLS_CERT / HODEI_TLS_KEY; both or neither.
	 */
	const char *cert_file;
	const char *key_file;
} hodei_client_options;

#define HODEI_CLIENT_OPTIONS_INIT { HODEI_CLIENT_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0 }

/**
 * Connect to hodeid at `address`: "host:port", "host" (port 50051),
 * "[v6addr]:port", optionally prefixed with "http://" (clear text), or
 * prefixed with "https://": TLS 1.2 or newer, ALPN "h2", the server's
 * certificate verified against opts->ca_file (or the system's trust store)
 * and checked to name `host` (a DNS name or an IP address), all before any
 * request (and so any token) is sent.  NULL means the HODEI_SERVER
 * environment variable, else HODEI_CLIENT_DEFAULT_ADDRESS.  opts may be
 * NULL for the defaults; options of version 1 are accepted.  Returns once
 * the server has answered the HTTP/2 handshake.
 *
 * Errors: HODEI_EINVAL (malformed address; an unreadable CA, certificate or
 * key file), HODEI_EUNAVAIL (cannot resolve or connect, connection refused,
 * no answer within connect_timeout_ms, the server does not speak HTTP/2),
 * HODEI_EAUTH (the server's certificate does not verify: expired, issued by
 * an unknown CA, not for this host name; the message says which, in
 * OpenSSL's words), HODEI_EVERSION.  On error *out is NULL.
 */
HODEI_EXTERN int hodei_client_open(hodei_client **out, const char *address,
                                   const hodei_client_options *opts);

/**
 * Close the connection.  Free its calls and log streams first: any still
 * open only fail from then on (free them later).  Accepts NULL.
 */
HODEI_EXTERN void hodei_client_close(hodei_client *client);

/** The "host:port" this client talks to.  Borrowed from the client. */
HODEI_EXTERN const char *hodei_client_address(hodei_client *client);

/*
 * Typed calls.  Strings in arguments are borrowed for the duration of the
 * call; results through `T **out` belong to the caller.
 */

/** Serving states of the standard grpc.health.v1 service. */
typedef enum hodei_health_status {
	HODEI_HEALTH_UNKNOWN = 0,
	HODEI_HEALTH_SERVING = 1,
	HODEI_HEALTH_NOT_SERVING = 2,
	HODEI_HEALTH_SERVICE_UNKNOWN = 3
} hodei_health_status;

/**
 * grpc.health.v1.Health/Check of `service` ("" or NULL: the whole server).
 * *status receives a hodei_health_status.  Errors: HODEI_EUNAVAIL.
 */
HODEI_EXTERN int hodei_client_health(hodei_client *client, const char *service,
                                     int *status);

/**
 * Queue a job (JobExecutionService/QueueJob).  The spec is validated
 * locally first (hodei_job_spec_validate()); `id` (may be NULL) receives
 * the job's id.  Errors: HODEI_EINVAL, HODEI_EEXISTS, HODEI_EFULL,
 * HODEI_EAUTH, HODEI_EUNAVAIL.
 */
HODEI_EXTERN int hodei_client_job_queue(hodei_client *client, const hodei_job_spec *spec,
                                        hodei_job_id *id);

/**
 * A snapshot of job `id`, with its whole definition (unless it alone would
 * not fit in a 4 MiB message: HODEI_JOB_TRUNCATED is then set in flags).
 * Errors: HODEI_ENOTFOUND, HODEI_EUNAVAIL.
 */
HODEI_EXTERN int hodei_client_job_get(hodei_job **out, hodei_client *client,
                                      const char *id);

/**
 * One page of jobs, filtered and paginated on the server (filter may be
 * NULL: newest first, 50 per page).  Pass the page's next_cursor in
 * filter->cursor for the next one, until it is NULL: a page is also bounded
 * by bytes (one message), so it may hold fewer than filter->limit jobs, even
 * none, and still have a next_cursor.  Each job is a summary: flags has
 * HODEI_JOB_TRUNCATED when arguments or environment were left out or cut
 * (hodei_client_job_get() has them all).  Errors: HODEI_EINVAL,
 * HODEI_EUNAVAIL.
 */
HODEI_EXTERN int hodei_client_job_list(hodei_job_page **out, hodei_client *client,
                                       const hodei_job_filter *filter);

/** Cancel a job.  Errors: HODEI_ENOTFOUND, HODEI_ESTATE (already finished). */
HODEI_EXTERN int hodei_client_job_cancel(hodei_client *client, const char *id);

/**
 * Queue a FAILED, TIMED_OUT or CANCELLED job again.  Errors:
 * HODEI_ENOTFOUND, HODEI_ESTATE, HODEI_EFULL.
 */
HODEI_EXTERN int hodei_client_job_retry(hodei_client *client, const char *id);

/** A live log stream (LogStreamService/SubscribeLogs). */
typedef struct hodei_log_stream hodei_log_stream;

/**
 * Follow the log of job query->job_id: with include_history, the stored
 * lines with seq > query->after_seq first, then live lines until the job
 * ends; only lines at query->min_level or above and containing
 * query->contains (when set).  query->limit is ignored.  A job that does
 * not exist is reported by the first hodei_log_stream_next().
 * Errors: HODEI_EINVAL, HODEI_EUNAVAIL.
 */
HODEI_EXTERN int hodei_client_log_follow(hodei_log_stream **out, hodei_client *client,
                                         const hodei_log_query *query,
                                         int include_history);

/**
 * The next line, waiting at most timeout_ms (negative: forever).  Returns 0
 * with *line set (borrowed until the next call on the stream), or 0 with
 * *line NULL when the stream has ended because the job ended.
 * Errors: HODEI_ETIMEDOUT (nothing within timeout_ms; the stream is still
 * usable), HODEI_EUNAVAIL (the connection was lost: open a new client and
 * follow again from the last seq seen), HODEI_ENOTFOUND.
 */
HODEI_EXTERN int hodei_log_stream_next(hodei_log_stream *stream,
                                       const hodei_log_line **line, int64_t timeout_ms);

/** End the stream (cancelling it on the server).  Accepts NULL. */
HODEI_EXTERN void hodei_log_stream_free(hodei_log_stream *stream);

/**
 * Stored log lines of a job (LogStreamService/GetLogs); query->job_id is
 * required.  A page holds at most query->limit lines and no more than fit
 * in one message: while page->more is set, read on with query->after_seq =
 * page->next_seq.  Free with hodei_log_page_free().  Errors: HODEI_ENOTFOUND,
 * HODEI_EINVAL, HODEI_EUNAVAIL.
 */
HODEI_EXTERN int hodei_client_log_read(hodei_log_page **out, hodei_client *client,
                                       const hodei_log_query *query);

/**
 * The workers that exist on the server now, by id (following the server's
 * pages, which are bounded by bytes).  Errors: HODEI_EUNAVAIL, HODEI_ENOMEM.
 */
HODEI_EXTERN int hodei_client_worker_list(hodei_worker_array **out, hodei_client *client);

#define HODEI_QUEUE_STATUS_VERSION 1

/** The scheduler's queue (SchedulerService/GetQueueStatus). */
typedef struct hodei_queue_status {
	unsigned int version;
	int64_t queued;         /**< jobs waiting */
	int64_t running;        /**< ASSIGNED + RUNNING */
	int64_t max_queue_size; /**< -1 = unlimited */
	int64_t workers;
	int64_t workers_idle;
} hodei_queue_status;

/**
 * Status of scheduler `scheduler_name` (NULL: "default") into *out; set
 * out->version to HODEI_QUEUE_STATUS_VERSION first.
 * Errors: HODEI_ENOTFOUND (no such scheduler), HODEI_EUNAVAIL, HODEI_EVERSION.
 */
HODEI_EXTERN int hodei_client_queue_status(hodei_queue_status *out, hodei_client *client,
                                           const char *scheduler_name);

/**
 * Every provider (following the server's pages when they would not fit in
 * one message), and one provider by name.  Errors: HODEI_ENOTFOUND,
 * HODEI_EUNAVAIL.
 */
HODEI_EXTERN int hodei_client_provider_list(hodei_provider_array **out,
                                            hodei_client *client);
HODEI_EXTERN int hodei_client_provider_get(hodei_provider_info **out,
                                           hodei_client *client, const char *name);

/*
 * Named API tokens (hodei.ApiTokenService; the client's token must be an
 * admin token).  create writes the new token, shown only this once, to
 * token (HODEI_TOKEN_LEN + 1 bytes); list gives names, roles and creation
 * times (hash all zero: the server never sends it).  Errors as the server
 * says: HODEI_EEXISTS, HODEI_ENOTFOUND, HODEI_EINVAL, HODEI_EAUTH (not an admin
 * token).
 */
HODEI_EXTERN int hodei_client_token_create(hodei_client *client, const char *name, int role,
                                           char *token, size_t tokenlen);
HODEI_EXTERN int hodei_client_token_list(hodei_token_list **out, hodei_client *client);
HODEI_EXTERN int hodei_client_token_revoke(hodei_client *client, const char *name);

/*
 * Raw calls: any method, with messages serialized by the caller (e.g. with
 * protobuf-c from proto/hodei/).  hodei-worker uses these for its long-lived
 * bidirectional stream.  A unary call is: open, send, close_send, recv until
 * *msg is NULL.  A call holds one HTTP/2 stream of its client.
 */
typedef struct hodei_call hodei_call;

/**
 * Start a call of `method` ("/hodei.WorkerAgentService/Connect").
 * timeout_ms bounds the whole call and is sent as grpc-timeout (0: no
 * deadline).  If the connection was lost since the client was opened, it
 * is opened again first.  Errors: HODEI_EINVAL, HODEI_EUNAVAIL.
 */
HODEI_EXTERN int hodei_call_open(hodei_call **out, hodei_client *client,
                                 const char *method, int64_t timeout_ms);

/**
 * Send one serialized message.  It is queued and written as HTTP/2 flow
 * control allows; while more than 1 MiB is waiting, this blocks, for at
 * most the call's deadline or else the client's call_timeout_ms
 * (HODEI_ETIMEDOUT).  A connection lost after the message was queued is
 * reported by hodei_call_recv().  Errors: HODEI_EINVAL (message over 4 MiB,
 * or after hodei_call_close_send()), HODEI_EUNAVAIL, HODEI_ETIMEDOUT, and
 * the call's own error if it has already ended.
 */
HODEI_EXTERN int hodei_call_send(hodei_call *call, const void *msg, size_t len);

/** Half-close: no more messages from this side.  Errors show in hodei_call_recv(). */
HODEI_EXTERN int hodei_call_close_send(hodei_call *call);

/**
 * Receive one message, waiting at most timeout_ms (0: only what has already
 * arrived; negative: until the call's deadline).  Returns 0 with *msg (free
 * with hodei_free()) and *len, or 0 with *msg NULL when the server ended the
 * call with status OK.  A non-OK status is returned as its HODEI_E* code
 * (see above).  HODEI_EAGAIN: nothing yet within timeout_ms.
 */
HODEI_EXTERN int hodei_call_recv(hodei_call *call, void **msg, size_t *len,
                                 int64_t timeout_ms);

/**
 * The call's gRPC status (0 = OK) once it has ended, else -1; *message
 * (may be NULL) receives the grpc-message, borrowed from the call.
 */
HODEI_EXTERN int hodei_call_status(hodei_call *call, const char **message);

/** End the call (RST_STREAM CANCEL if it is still open).  Accepts NULL. */
HODEI_EXTERN void hodei_call_free(hodei_call *call);

/*
 * Driving a client from an event loop (hodei-worker): watch
 * hodei_client_fd() for the poll() events hodei_client_events() asks for
 * (they change after every call), then call hodei_client_process(client, 0)
 * and hodei_call_recv(call, ..., 0) until it returns HODEI_EAGAIN: a message
 * may already be buffered when the fd is no longer readable.
 */
HODEI_EXTERN int hodei_client_fd(hodei_client *client);
HODEI_EXTERN int hodei_client_events(hodei_client *client); /* POLLIN | POLLOUT */

/**
 * Read and write what the socket allows, waiting at most timeout_ms for it.
 * Errors: HODEI_EUNAVAIL (connection lost; open calls fail the same way).
 */
HODEI_EXTERN int hodei_client_process(hodei_client *client, int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
