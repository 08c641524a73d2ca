/*
 * grpc.reflection.v1 and v1alpha ServerReflectionInfo, and grpc.health.v1.
 *
 * Reflection serves the FileDescriptorSet embedded at build time.  It is
 * indexed once at start by walking the protobuf wire format directly (file
 * names, dependencies and the fully-qualified names of messages, enums,
 * services and methods), so no descriptor.proto code is needed.  v1alpha
 * has the same wire format as v1, so both use the v1 messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc.h"
#include "internal.h" /* hodei__array_grow() */
#include "grpc_health_v1_health.pb-c.h"
#include "grpc_reflection_v1_reflection.pb-c.h"
#include "services.h"
#include "svc.h"

#define MAX_FILES 32
#define MAX_DEPS 16

typedef struct file_entry {
	char name[128];
	char package[64];
	const uint8_t *data;
	size_t len;
	int deps[MAX_DEPS];
	int ndeps;
	char dep_names[MAX_DEPS][128];
} file_entry;

typedef struct symbol {
	char *name; /* fully qualified, no leading dot */
	int file;
	int is_service;
} symbol;

static file_entry files[MAX_FILES];
static int nfiles;
static symbol *symbols;
static size_t nsymbols, symbols_cap;

/* ---- a minimal protobuf wire reader ---- */

typedef struct wire {
	const uint8_t *p, *end;
} wire;

static int wire_varint(wire *w, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && w->p < w->end; shift += 7) {
		uint8_t b = *w->p++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

/* Next field: its number, and for length-delimited ones its bytes. */
static int wire_next(wire *w, uint32_t *field, wire *sub)
{
	uint64_t key, len;
	if (w->p >= w->end || wire_varint(w, &key) < 0)
		return -1;
	*field = (uint32_t)(key >> 3);
	sub->p = sub->end = NULL;
	switch (key & 7) {
	case 0: return wire_varint(w, &len);
	case 1: if (w->end - w->p < 8) return -1; w->p += 8; return 0;
	case 5: if (w->end - w->p < 4) return -1; w->p += 4; return 0;
	case 2:
		if (wire_varint(w, &len) < 0 || len > (uint64_t)(w->end - w->p))
			return -1;
		sub->p = w->p;
		sub->end = w->p + len;
		w->p += len;
		return 0;
	default: return -1;
	}
}

static void wire_string(const wire *w, char *out, size_t cap)
{
	size_t n = (size_t)(w->end - w->p);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, w->p, n);
	out[n] = '\0';
}

static int nomem; /* an allocation failed: reflection_init() fails */

/* 0, or -1 when out of memory (nomem set; the index stays as it was). */
static int add_symbol(const char *scope, const wire *name, int file, int is_service)
{
	char leaf[128];
	wire_string(name, leaf, sizeof leaf);
	if (hodei__array_grow(&symbols, &symbols_cap, nsymbols, sizeof *symbols, 256)) {
		nomem = 1;
		return -1;
	}
	size_t n = strlen(scope) + strlen(leaf) + 2;
	char *full = malloc(n);
	if (!full) {
		nomem = 1;
		return -1;
	}
	snprintf(full, n, "%s%s%s", scope, *scope ? "." : "", leaf);
	symbols[nsymbols++] = (symbol){full, file, is_service};
	return 0;
}

/* The name field (1) of a descriptor message. */
static int find_name(wire msg, wire *name)
{
	uint32_t f;
	wire sub;
	while (wire_next(&msg, &f, &sub) == 0)
		if (f == 1 && sub.p) {
			*name = sub;
			return 0;
		}
	return -1;
}

/* DescriptorProto: itself, nested messages (3) and enums (4). */
static void index_message(const char *scope, wire msg, int file)
{
	wire name, sub;
	uint32_t f;
	if (find_name(msg, &name) < 0)
		return;
	if (add_symbol(scope, &name, file, 0) < 0)
		return;
	const char *full = symbols[nsymbols - 1].name;
	char inner[256];
	snprintf(inner, sizeof inner, "%s", full);
	while (wire_next(&msg, &f, &sub) == 0) {
		wire n2;
		if (f == 3 && sub.p)
			index_message(inner, sub, file);
		else if (f == 4 && sub.p && find_name(sub, &n2) == 0)
			add_symbol(inner, &n2, file, 0);
	}
}

/* ServiceDescriptorProto: the service and its methods (2). */
static void index_service(const char *scope, wire svc, int file)
{
	wire name, sub;
	uint32_t f;
	if (find_name(svc, &name) < 0)
		return;
	if (add_symbol(scope, &name, file, 1) < 0)
		return;
	char full[256];
	snprintf(full, sizeof full, "%s", symbols[nsymbols - 1].name);
	while (wire_next(&svc, &f, &sub) == 0) {
		wire n2;
		if (f == 2 && sub.p && find_name(sub, &n2) == 0)
			add_symbol(full, &n2, file, 0);
	}
}

static void index_file(int idx)
{
	file_entry *fe = &files[idx];
	wire w = {fe->data, fe->data + fe->len}, sub;
	uint32_t f;
	while (wire_next(&w, &f, &sub) == 0) {
		if (!sub.p)
			continue;
		if (f == 1)
			wire_string(&sub, fe->name, sizeof fe->name);
		else if (f == 2)
			wire_string(&sub, fe->package, sizeof fe->package);
		else if (f == 3 && fe->ndeps < MAX_DEPS)
			wire_string(&sub, fe->dep_names[fe->ndeps++], sizeof fe->dep_names[0]);
	}
	w = (wire){fe->data, fe->data + fe->len};
	while (wire_next(&w, &f, &sub) == 0) {
		wire name;
		if (!sub.p)
			continue;
		if (f == 4)
			index_message(fe->package, sub, idx);
		else if (f == 5 && find_name(sub, &name) == 0)
			add_symbol(fe->package, &name, idx, 0);
		else if (f == 6)
			index_service(fe->package, sub, idx);
	}
}

static int file_by_name(const char *name)
{
	for (int i = 0; i < nfiles; i++)
		if (strcmp(files[i].name, name) == 0)
			return i;
	return -1;
}

int reflection_init(void)
{
	wire set = {hodei__rpc_descriptor_set,
	            hodei__rpc_descriptor_set + hodei__rpc_descriptor_set_len}, sub;
	uint32_t f;
	while (wire_next(&set, &f, &sub) == 0) {
		if (f != 1 || !sub.p || nfiles == MAX_FILES)
			continue;
		files[nfiles].data = sub.p;
		files[nfiles].len = (size_t)(sub.end - sub.p);
		index_file(nfiles);
		nfiles++;
	}
	for (int i = 0; i < nfiles; i++)
		for (int d = 0; d < files[i].ndeps; d++)
			files[i].deps[d] = file_by_name(files[i].dep_names[d]);
	return nfiles > 0 && !nomem ? 0 : -1;
}

/* ---- ServerReflectionInfo ---- */

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_req;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_resp;

/* The file and everything it imports, the file first. */
static void add_file_closure(int idx, int *order, int *n, int *seen)
{
	if (idx < 0 || seen[idx])
		return;
	seen[idx] = 1;
	order[(*n)++] = idx;
	for (int d = 0; d < files[idx].ndeps; d++)
		add_file_closure(files[idx].deps[d], order, n, seen);
}

static void answer_files(arena *a, refl_resp *resp, int idx)
{
	int order[MAX_FILES], seen[MAX_FILES] = {0}, n = 0;
	add_file_closure(idx, order, &n, seen);
	Grpc__Reflection__V1__FileDescriptorResponse *fd =
		PB_NEW(a, grpc__reflection__v1__file_descriptor_response);
	if (!fd || !(fd->file_descriptor_proto =
	             arena_alloc(a, (size_t)n * sizeof *fd->file_descriptor_proto)))
		return; /* arena_failed(): the answer is refused */
	fd->n_file_descriptor_proto = (size_t)n;
	for (int i = 0; i < n; i++) {
		fd->file_descriptor_proto[i].data = (uint8_t *)files[order[i]].data;
		fd->file_descriptor_proto[i].len = files[order[i]].len;
	}
	resp->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
	resp->file_descriptor_response = fd;
}

static void answer_error(arena *a, refl_resp *resp, int code, const char *msg)
{
	Grpc__Reflection__V1__ErrorResponse *e = PB_NEW(a, grpc__reflection__v1__error_response);
	if (!e)
		return; /* arena_failed() */
	e->error_code = code;
	e->error_message = arena_strdup(a, msg);
	resp->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
	resp->error_response = e;
}

static const symbol *symbol_find(const char *name)
{
	if (name && name[0] == '.')
		name++;
	for (size_t i = 0; name && i < nsymbols; i++)
		if (strcmp(symbols[i].name, name) == 0)
			return &symbols[i];
	return NULL;
}

static void answer_services(arena *a, refl_resp *resp)
{
	Grpc__Reflection__V1__ListServiceResponse *l =
		PB_NEW(a, grpc__reflection__v1__list_service_response);
	if (!l || !(l->service = arena_alloc(a, (nsymbols + 1) * sizeof *l->service)))
		return; /* arena_failed() */
	for (size_t i = 0; i < nsymbols; i++) {
		if (!symbols[i].is_service)
			continue;
		Grpc__Reflection__V1__ServiceResponse *s =
			PB_NEW(a, grpc__reflection__v1__service_response);
		if (!s)
			return;
		s->name = symbols[i].name;
		l->service[l->n_service++] = s;
	}
	resp->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
	resp->list_services_response = l;
}

static void reflection_message(hodeid_stream *s, const ProtobufCMessage *in)
{
	const refl_req *q = (const void *)in;
	arena *a = arena_new();
	refl_resp *resp = PB_NEW(a, grpc__reflection__v1__server_reflection_response);
	if (!resp) {
		stream_finish(s, HODEI_GRPC_RESOURCE_EXHAUSTED, "out of memory");
		arena_free(a);
		return;
	}
	resp->valid_host = q->host ? q->host : "";
	resp->original_request = (refl_req *)q;
	switch (q->message_request_case) {
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
		answer_services(a, resp);
		break;
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME: {
		int idx = file_by_name(q->file_by_filename);
		if (idx < 0)
			answer_error(a, resp, HODEI_GRPC_NOT_FOUND, "file not found");
		else
			answer_files(a, resp, idx);
		break;
	}
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL: {
		const symbol *sym = symbol_find(q->file_containing_symbol);
		if (!sym)
			answer_error(a, resp, HODEI_GRPC_NOT_FOUND, "symbol not found");
		else
			answer_files(a, resp, sym->file);
		break;
	}
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
		if (!symbol_find(q->all_extension_numbers_of_type)) {
			answer_error(a, resp, HODEI_GRPC_NOT_FOUND, "type not found");
		} else {
			Grpc__Reflection__V1__ExtensionNumberResponse *e =
				PB_NEW(a, grpc__reflection__v1__extension_number_response);
			if (!e)
				break; /* arena_failed() */
			e->base_type_name = q->all_extension_numbers_of_type;
			resp->message_response_case =
				GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
			resp->all_extension_numbers_response = e;
		}
		break;
	default:
		answer_error(a, resp, HODEI_GRPC_NOT_FOUND, "extensions are not used by this API");
		break;
	}
	if (arena_failed(a))
		stream_finish(s, HODEI_GRPC_RESOURCE_EXHAUSTED, "out of memory");
	else
		stream_send(s, &resp->base);
	arena_free(a);
}

static void reflection_half_close(hodeid_stream *s)
{
	stream_finish(s, HODEI_GRPC_OK, NULL);
}

static int reflection_open(hodeid_stream *s, const ProtobufCMessage *in, char *err, size_t errlen)
{
	s->on_message = reflection_message;
	s->on_half_close = reflection_half_close;
	reflection_message(s, in);
	return 0;
}

const hodeid_method hodeid_reflection_methods[] = {
	{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
	 &grpc__reflection__v1__server_reflection_request__descriptor, M_PUBLIC, NULL,
	 reflection_open},
	{"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
	 &grpc__reflection__v1__server_reflection_request__descriptor, M_PUBLIC, NULL,
	 reflection_open},
	{NULL, NULL, 0, NULL, NULL},
};

/* ---- grpc.health.v1 ---- */

/* SERVING for the whole server ("") and each service it has. */
static int health_status(hodeid *d, const char *service)
{
	if (service && *service) {
		const symbol *sym = symbol_find(service);
		if (!sym || !sym->is_service)
			return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
	}
	return d->shutting_down ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
	                        : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
}

static int health_check(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Grpc__Health__V1__HealthCheckRequest *q = (const void *)in;
	int st = health_status(r->d, q->service);
	if (st == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN)
		return rpc_fail(r, HODEI_GRPC_NOT_FOUND, "service: unknown service '%s'", q->service);
	Grpc__Health__V1__HealthCheckResponse *resp =
		PB_NEW(r->a, grpc__health__v1__health_check_response);
	if (!resp)
		return rpc_nomem(r);
	resp->status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)st;
	*out = &resp->base;
	return 0;
}

static void health_send(hodeid_stream *s, int status)
{
	Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
	resp.status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)status;
	stream_send(s, &resp.base);
}

static void health_watch_shutdown(hodeid_stream *s)
{
	health_send(s, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
	stream_finish(s, HODEI_GRPC_UNAVAILABLE, "the server is shutting down");
}

static int health_watch(hodeid_stream *s, const ProtobufCMessage *in, char *err, size_t errlen)
{
	const Grpc__Health__V1__HealthCheckRequest *q = (const void *)in;
	s->on_shutdown = health_watch_shutdown;
	health_send(s, health_status(s->d, q->service));
	return 0;
}

const hodeid_method hodeid_health_methods[] = {
	{"/grpc.health.v1.Health/Check", &grpc__health__v1__health_check_request__descriptor,
	 M_PUBLIC, health_check, NULL},
	{"/grpc.health.v1.Health/Watch", &grpc__health__v1__health_check_request__descriptor,
	 M_PUBLIC, NULL, health_watch},
	{NULL, NULL, 0, NULL, NULL},
};
