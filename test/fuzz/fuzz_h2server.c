/*
 * Fuzz target over the server's request path: bytes from a client go into
 * the HTTP/2 session (preface, frames, HPACK), the gRPC framing, the
 * checks of string fields (pbwire.c) and the protobuf decoding of
 * the named method's request, and a response goes back.  Inputs that
 * lack the client preface get it prepended half of the time, so the fuzzer
 * spends its effort past it.
 *
 * Built two ways: with clang -fsanitize=fuzzer (run.sh), or with the
 * replay driver (replay.c) as a meson test over corpus/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "grpc.h"
#include "h2server.h"
#include "pbwire.h"
#include "services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_call(void *ud, hodei_rpc_call *call, const char **message)
{
	if (!hodei__rpc_find_method(call->path, NULL)) {
		*message = "unknown method";
		return HODEI_GRPC_UNIMPLEMENTED;
	}
	return HODEI_GRPC_OK;
}

static void on_message(void *ud, hodei_rpc_call *call, const uint8_t *msg, size_t len)
{
	const ProtobufCMethodDescriptor *m = hodei__rpc_find_method(call->path, NULL);
	char field[64];
	if (hodei__pbwire_check_strings(m->input, msg, len, field, sizeof field) > 0) {
		hodei__rpc_call_finish(call, HODEI_GRPC_INVALID_ARGUMENT, field);
		return;
	}
	ProtobufCMessage *req = protobuf_c_message_unpack(m->input, NULL, len, msg);
	if (!req) {
		hodei__rpc_call_finish(call, HODEI_GRPC_INVALID_ARGUMENT, "malformed request");
		return;
	}
	/* Echo it back re-encoded: exercises pack too. */
	size_t n = protobuf_c_message_get_packed_size(req);
	uint8_t *out = malloc(n ? n : 1);
	if (out) {
		protobuf_c_message_pack(req, out);
		hodei__rpc_call_send(call, out, n);
		free(out);
	}
	protobuf_c_message_free_unpacked(req, NULL);
}

static void on_half_close(void *ud, hodei_rpc_call *call)
{
	hodei__rpc_call_finish(call, HODEI_GRPC_OK, NULL);
}

static const hodei_h2s_handlers handlers = {
	on_call, on_message, on_half_close, NULL, NULL, NULL,
};

static void drain(hodei_h2s *s)
{
	const uint8_t *out;
	for (int i = 0; i < 1000 && hodei__h2s_send(s, &out) > 0; i++)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	hodei_h2s *s;
	if (hodei__h2s_new(&s, &handlers, NULL, NULL) != 0)
		return 0;
	int ok = 0;
	if (size > 0 && (data[0] & 1) && (size < 24 || memcmp(data, preface, 24) != 0)) {
		ok = hodei__h2s_recv(s, (const uint8_t *)preface, 24);
		data++;
		size--;
	}
	/* Feed in uneven pieces, draining output between them. */
	size_t off = 0, step = 1;
	while (ok == 0 && off < size) {
		size_t n = step < size - off ? step : size - off;
		ok = hodei__h2s_recv(s, data + off, n);
		drain(s);
		off += n;
		step = step * 3 + 1;
	}
	hodei__h2s_shutdown(s);
	drain(s);
	hodei__h2s_free(s);
	return 0;
}
