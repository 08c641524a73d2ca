/*
 * gRPC wire pieces that do no I/O: message framing (the 5-byte prefix),
 * grpc-timeout values, grpc-message percent-encoding and status codes.
 * Shared by the server (h2server.c, hodeid) and the client (lib/client).
 *
 * Internal to libhodei (hodei__ names); see lib/rpc/README.md.
 */
#ifndef HODEI_RPC_GRPC_H
#define HODEI_RPC_GRPC_H

#include <stddef.h>
#include <stdint.h>

/** gRPC status codes (grpc/doc/statuscodes.md). */
enum hodei_grpc_status {
	HODEI_GRPC_OK = 0,
	HODEI_GRPC_CANCELLED = 1,
	HODEI_GRPC_UNKNOWN = 2,
	HODEI_GRPC_INVALID_ARGUMENT = 3,
	HODEI_GRPC_DEADLINE_EXCEEDED = 4,
	HODEI_GRPC_NOT_FOUND = 5,
	HODEI_GRPC_ALREADY_EXISTS = 6,
	HODEI_GRPC_PERMISSION_DENIED = 7,
	HODEI_GRPC_RESOURCE_EXHAUSTED = 8,
	HODEI_GRPC_FAILED_PRECONDITION = 9,
	HODEI_GRPC_ABORTED = 10,
	HODEI_GRPC_OUT_OF_RANGE = 11,
	HODEI_GRPC_UNIMPLEMENTED = 12,
	HODEI_GRPC_INTERNAL = 13,
	HODEI_GRPC_UNAVAILABLE = 14,
	HODEI_GRPC_DATA_LOSS = 15,
	HODEI_GRPC_UNAUTHENTICATED = 16
};

/** Largest message accepted or sent (the gRPC default): 4 MiB. */
#define HODEI_GRPC_MAX_MESSAGE (4u * 1024 * 1024)
/** Bytes in the prefix: compressed flag and big-endian length. */
#define HODEI_GRPC_PREFIX 5

/** "OK", "CANCELLED", ...; "UNKNOWN" for codes out of range. */
const char *hodei__grpc_status_name(int status);

/** The gRPC status for a libhodei result code (HODEI_E*). */
int hodei__grpc_status_from_result(int result);
/** The libhodei result code closest to a gRPC status. */
int hodei__grpc_status_to_result(int status);

/** Write the 5-byte prefix for a message of len bytes. */
void hodei__grpc_prefix(uint8_t out[HODEI_GRPC_PREFIX], uint32_t len, int compressed);

/** Errors of the message reader. */
#define HODEI_GRPC_ETOOBIG (-1)     /**< a message over the reader's limit */
#define HODEI_GRPC_ECOMPRESSED (-2) /**< the compressed flag is set */
#define HODEI_GRPC_EFLAG (-3)       /**< the flag byte is neither 0 nor 1 */
#define HODEI_GRPC_ENOMEM (-4)      /**< no memory for the message */

/** Called for each complete message; the bytes are valid during the call. */
typedef int (*hodei_grpc_message_fn)(void *userdata, const uint8_t *msg, size_t len);

/**
 * Reassembles messages from a byte stream split arbitrarily (HTTP/2 DATA
 * frames).  Never holds more than one message of at most `max` bytes, and
 * allocates for the bytes received, not for the length a prefix declares.
 */
typedef struct hodei_grpc_reader {
	uint8_t prefix[HODEI_GRPC_PREFIX];
	size_t prefix_len;
	uint8_t *buf;
	size_t need; /* length of the current message */
	size_t have; /* bytes of it received */
	size_t cap;  /* bytes allocated at buf: grows with have, never past need */
	size_t max;
	int failed; /* a previous error: every later feed fails the same way */
} hodei_grpc_reader;

void hodei__grpc_reader_init(hodei_grpc_reader *r, size_t max);
void hodei__grpc_reader_reset(hodei_grpc_reader *r);
/**
 * Feed bytes.  Returns 0, a HODEI_GRPC_E* error, or the first non-zero value
 * a callback returned (feeding stops there).
 */
int hodei__grpc_reader_feed(hodei_grpc_reader *r, const uint8_t *data, size_t len,
                            hodei_grpc_message_fn fn, void *userdata);
/** Non-zero while a message is partly received (truncated at end of stream). */
int hodei__grpc_reader_partial(const hodei_grpc_reader *r);
/** Bytes received and held (the allocation is at most twice that, or 256). */
size_t hodei__grpc_reader_buffered(const hodei_grpc_reader *r);

/**
 * Parse a grpc-timeout value ("100m", "5S": 1-8 digits and one of H M S m u
 * n) into milliseconds, rounded up.  Returns 0, or -1 if malformed.
 */
int hodei__grpc_timeout_parse(const char *value, size_t len, int64_t *ms);
/** Format ms as a grpc-timeout value into out (at least 12 bytes). */
void hodei__grpc_timeout_format(int64_t ms, char out[12]);

/**
 * Percent-encode a grpc-message: bytes outside 0x20-0x7E and '%' become
 * %XX.  Returns a malloc'd NUL-terminated string, or NULL on ENOMEM.
 */
char *hodei__grpc_message_encode(const char *text, size_t len);
/** Decode a grpc-message; malformed escapes are kept as they are. */
char *hodei__grpc_message_decode(const char *text, size_t len);

#endif
