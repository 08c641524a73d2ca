/*
 * Internals of the gRPC client (lib/client): the connection, its calls and
 * the helpers the typed calls share.
 */
#ifndef HODEI_CLIENT_INTERNAL_H
#define HODEI_CLIENT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

#include "hodei/client.h"
#include "internal.h"
#include "rpc/grpc.h"

/** Received messages a call may hold before the server is cut off. */
#define HODEI__CALL_MAX_QUEUED (16u * 1024 * 1024)

/** A growable byte buffer; bytes before `off` have been consumed. */
typedef struct hodei__bytes {
	uint8_t *data;
	size_t len;
	size_t off;
	size_t cap;
} hodei__bytes;

int hodei__bytes_append(hodei__bytes *buf, const void *data, size_t len);
void hodei__bytes_consume(hodei__bytes *buf, size_t n);
void hodei__bytes_free(hodei__bytes *buf);
static inline size_t hodei__bytes_avail(const hodei__bytes *buf)
{
	return buf->len - buf->off;
}

struct hodei_client {
	char *host;
	char *port;
	char *address; /* "host:port" (or "unix:PATH"), for messages and :authority */
	char *unix_path; /* a unix: endpoint's socket, or NULL */
	char *auth_header; /* "Bearer ...", or NULL */
	char *user_agent;
	int tls;               /* an https:// address */
	struct ssl_ctx_st *ssl_ctx; /* its context (CA, client certificate), made once */
	struct ssl_st *ssl;    /* the connection's, or NULL */
	int tls_want_write;    /* SSL_read waits for the socket to be writable */
	int64_t connect_timeout_ms;
	int64_t call_timeout_ms;

	int fd;
	nghttp2_session *session;
	hodei__bytes out;      /* produced by nghttp2, not yet written */
	int got_settings;    /* the server's first SETTINGS arrived */
	int goaway;          /* the server is going away: no new calls */
	int broken;          /* the connection is unusable */
	int broken_rc;       /* ... with this error: HODEI_EUNAVAIL, or HODEI_ENOMEM */
	char broken_msg[320];
	uint8_t first_bytes[48]; /* what the peer sent first, for diagnostics */
	size_t nfirst;
	struct hodei_call *calls; /* open calls, linked through next */
};

/** A received message waiting in a call's queue. */
struct hodei__msg {
	struct hodei__msg *next;
	size_t len;
	uint8_t data[];
};

struct hodei_call {
	hodei_client *client;
	struct hodei_call *next;
	int32_t stream_id; /* 0 once the stream is closed */
	char *method;
	int64_t deadline_ms; /* monotonic; 0 = none */
	hodei_grpc_reader reader; /* reassembles received messages */
	struct hodei__msg *inq, *inq_tail; /* complete messages, not yet taken */
	size_t inq_bytes;
	hodei__bytes send; /* framed messages not yet handed to nghttp2 */
	int send_closed; /* END_STREAM once `send` drains */
	int deferred;    /* the data provider is deferred */
	int http_status;
	int content_type_ok; /* 1 application/grpc*, -1 something else, 0 none */
	int grpc_status;     /* -1 until known */
	char *grpc_message;
	int closed;          /* the stream is closed */
	uint32_t rst_code;
	int local_error;     /* a HODEI_E* decided on this side, or 0 */
	char local_msg[sizeof(((hodei_client *)0)->broken_msg)];
};


/** "unix:/path" or "unix:///path" into c->unix_path and c->address (transport.c). */
int hodei__client_parse_unix(hodei_client *c, const char *address);
/** The TLS context of an https:// client from its options (tls.c). */
int hodei__client_tls_setup(hodei_client *c, const char *ca_file, const char *cert_file,
                            const char *key_file);
/** TLS handshake on c->fd, verifying the server, before the deadline (tls.c). */
int hodei__client_tls_handshake(hodei_client *c, int64_t deadline);
/** SSL_read/SSL_write on the connection: > 0 bytes, 0 end, -1 error (broken), -2 later. */
long hodei__client_tls_read(hodei_client *c, void *buf, size_t len);
long hodei__client_tls_write(hodei_client *c, const void *buf, size_t len);
/** Whether OpenSSL holds received bytes not yet returned by a read. */
int hodei__client_tls_pending(hodei_client *c);
void hodei__client_tls_close(hodei_client *c);
/** Mark the connection unusable; open calls report this message (transport.c). */
void hodei__client_broken(hodei_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Connect (TCP and HTTP/2 handshake) and disconnect the transport. */
int hodei__client_connect(hodei_client *client);
void hodei__client_disconnect(hodei_client *client);

/** Whether new calls can use the current connection. */
int hodei__client_usable(const hodei_client *client);

/**
 * Feed DATA bytes of a call's stream; -1 (with the call's local error set)
 * when they break gRPC framing or limits.
 */
int hodei__call_feed(hodei_call *call, const uint8_t *data, size_t len);

/**
 * One unary call: send `req` (serialized), receive exactly one message into
 * *resp (malloc'd) or fail with the call's error.
 */
int hodei__client_unary(hodei_client *client, const char *method, const void *req,
                        size_t req_len, void **resp, size_t *resp_len);

#endif
