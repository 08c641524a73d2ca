/*
 * The server side of gRPC over HTTP/2 (h2c), on libnghttp2.  It does no I/O:
 * the owner feeds it the bytes it read (hodei__h2s_recv) and writes the
 * bytes it produces (hodei__h2s_send), so it can be unit-tested and fuzzed
 * byte by byte, like nghttp2_session_mem_recv/mem_send underneath.
 *
 * What it checks before the application sees a call: POST (else HTTP 405),
 * content-type application/grpc[+proto] (else HTTP 415), grpc-encoding
 * identity (else UNIMPLEMENTED), a well-formed grpc-timeout (else
 * INVALID_ARGUMENT).  Request messages over max_message get
 * RESOURCE_EXHAUSTED, compressed ones UNIMPLEMENTED, a stream that ends in
 * the middle of a message INTERNAL.  Every status is sent in trailers, as
 * Trailers-Only when no message was sent.
 *
 * Output is buffered per call and handed to nghttp2 as the peer's flow
 * control allows: hodei__rpc_call_pending() tells the application how much
 * is waiting, and on_writable fires when it has drained, so a streaming
 * producer never buffers without bound.
 */
#ifndef HODEI_RPC_H2SERVER_H
#define HODEI_RPC_H2SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "call.h"

typedef struct hodei_h2s hodei_h2s;

typedef struct hodei_h2s_handlers {
	/**
	 * A call arrived.  Return 0 (HODEI_GRPC_OK) to take it, or a gRPC status
	 * to refuse it (then *message, static text, may say why).  May finish
	 * the call itself instead.
	 */
	int (*on_call)(void *userdata, hodei_rpc_call *call, const char **message);
	/** One request message.  The bytes are valid during the call only. */
	void (*on_message)(void *userdata, hodei_rpc_call *call, const uint8_t *msg,
	                   size_t len);
	/** The client sent everything (END_STREAM after whole messages). */
	void (*on_half_close)(void *userdata, hodei_rpc_call *call);
	/** Queued output drained below the low-water mark. */
	void (*on_writable)(void *userdata, hodei_rpc_call *call);
	/**
	 * The call is over (finished and flushed, reset by the peer, or the
	 * connection went away).  Release the application's state; the call
	 * is freed when this returns.  Not called for refused calls.
	 */
	void (*on_close)(void *userdata, hodei_rpc_call *call);
	/** Output was queued outside hodei__h2s_recv(): write soon. */
	void (*on_output)(void *userdata);
} hodei_h2s_handlers;

typedef struct hodei_h2s_options {
	uint32_t max_concurrent_streams; /**< 0 = 100 */
	size_t max_message;              /**< request message limit; 0 = 4 MiB */
	size_t max_buffered;             /**< inbound bytes held per connection; 0 = 2 messages */
	size_t low_water;                /**< on_writable threshold; 0 = 64 KiB */
	uint32_t max_resets;             /**< peer resets tolerated; 0 = 1000 */
	/**
	 * A counter shared by several sessions (all of a server's connections),
	 * or NULL: the inbound bytes they hold together.  A call that takes it
	 * past max_shared_inbound fails with RESOURCE_EXHAUSTED.
	 */
	size_t *shared_inbound;
	size_t max_shared_inbound;
} hodei_h2s_options;

/** Returns 0, or -1 on ENOMEM. */
int hodei__h2s_new(hodei_h2s **out, const hodei_h2s_handlers *handlers, void *userdata,
                   const hodei_h2s_options *opts);
/** Free it; on_close is called for every call still open.  Accepts NULL. */
void hodei__h2s_free(hodei_h2s *s);

/**
 * Bytes read from the peer.  Returns 0, or -1 when the connection is broken
 * beyond repair (bad preface, protocol error, flood): write what
 * hodei__h2s_send() still has (a GOAWAY), then close.
 */
int hodei__h2s_recv(hodei_h2s *s, const uint8_t *data, size_t len);

/**
 * The next bytes to write, or 0 when there is nothing now; -1 on a fatal
 * error.  *data is valid until the next call into this session.
 */
ssize_t hodei__h2s_send(hodei_h2s *s, const uint8_t **data);

/** Non-zero when the session is done (both sides finished). */
int hodei__h2s_want_close(hodei_h2s *s);

/**
 * Graceful shutdown: GOAWAY naming the last stream taken; calls in flight
 * go on, new ones are refused.
 */
void hodei__h2s_shutdown(hodei_h2s *s);

/** Number of calls open on this connection. */
size_t hodei__h2s_ncalls(hodei_h2s *s);

/** Visit every open call (for shutdown: finish long-lived streams). */
void hodei__h2s_foreach(hodei_h2s *s, void (*fn)(hodei_rpc_call *call, void *arg),
                        void *arg);

#endif
