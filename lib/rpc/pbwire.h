/*
 * A walk over a serialized protobuf message, guided by its descriptor, for
 * what protobuf-c does not check: protobuf-c keeps every byte of a `string`
 * field, NULs and invalid UTF-8 included, and hands it on as a char * that
 * every C caller reads as cut at the first NUL.  No I/O; fuzzed with the
 * request path (test/fuzz).
 */
#ifndef HODEI_RPC_PBWIRE_H
#define HODEI_RPC_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/** What hodei__pbwire_check_strings() found wrong with a string field. */
enum {
	HODEI_PBWIRE_NUL = 1,  /* holds a NUL byte */
	HODEI_PBWIRE_UTF8 = 2, /* is not valid UTF-8 */
};

/**
 * Checks every `string` field of the message data/len of type desc, nested
 * messages (map entries included) too: none may hold a NUL byte, which C
 * callers would read as the end of the string, and each must be valid
 * UTF-8, as proto3 requires (conforming clients refuse to decode a reply
 * that carries such a string back).
 *
 * Returns 0 if they are all valid; HODEI_PBWIRE_NUL or HODEI_PBWIRE_UTF8 for
 * the first that is not, its path written to field (fieldlen bytes,
 * NUL-terminated, cut if too long) as "job_definition.command",
 * "job_definition.arguments[1]" or "job_definition.environment.value"; -1
 * if the bytes are not a well-formed message or nest more than 64 levels
 * below the top one.
 */
int hodei__pbwire_check_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                                size_t len, char *field, size_t fieldlen);

/**
 * The length of the valid UTF-8 sequence at p (n > 0 bytes available): 1-4,
 * or 0 if it is not valid (overlong forms, surrogates and code points past
 * U+10FFFF are not).
 */
size_t hodei__pbwire_utf8_seq(const unsigned char *p, size_t n);

/**
 * 0 if the string s/len would pass hodei__pbwire_check_strings();
 * otherwise HODEI_PBWIRE_NUL or HODEI_PBWIRE_UTF8.
 */
int hodei__pbwire_string_fault(const uint8_t *s, size_t len);

#endif
