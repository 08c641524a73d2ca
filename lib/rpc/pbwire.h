/*
 * A walk over a serialized protobuf message, guided by its descriptor, for
 * what protobuf-c's unpacked form hides: protobuf-c keeps every byte of a
 * `string` field, NULs included, but hands it on as a char * that every C
 * caller reads as cut at the first NUL.  No I/O; fuzzed with the request
 * path (test/fuzz).
 */
#ifndef HODEI_RPC_PBWIRE_H
#define HODEI_RPC_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/**
 * Looks for a `string` field holding a NUL byte in the message data/len of
 * type desc, nested messages (map entries included) searched too.
 *
 * Returns 0 if there is none; 1 if there is one, its path written to field
 * (fieldlen bytes, NUL-terminated, cut if too long) as
 * "job_definition.command", "job_definition.arguments[1]" or
 * "job_definition.environment.value"; -1 if the bytes are not a well-formed
 * message or nest more than 64 levels below the top one.
 */
int hodei__pbwire_find_nul(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                           size_t len, char *field, size_t fieldlen);

#endif
