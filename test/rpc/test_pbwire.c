/* Unit tests of lib/rpc/pbwire.c: string fields checked in the wire form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hodei_job_execution.pb-c.h"
#include "hodei_worker_agent.pb-c.h"
#include "pbwire.h"

/* '#' in a string stands for NUL: protobuf-c packs C strings, so the NUL
 * is put in after packing. */
static size_t pack_with_nul(const ProtobufCMessage *m, uint8_t *out, size_t cap)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	assert_true(n <= cap);
	protobuf_c_message_pack(m, out);
	for (size_t i = 0; i < n; i++)
		if (out[i] == '#')
			out[i] = '\0';
	return n;
}

/* hodei__pbwire_check_strings() over a request's bytes. */
static int check_queue(const uint8_t *buf, size_t n, char *field, size_t cap)
{
	return hodei__pbwire_check_strings(&hodei__queue_job_request__descriptor, buf, n, field, cap);
}

static int check_connect(const uint8_t *buf, size_t n, char *field, size_t cap)
{
	return hodei__pbwire_check_strings(&hodei__connect_request__descriptor, buf, n, field, cap);
}

typedef struct job_req {
	Hodei__QueueJobRequest q;
	Hodei__JobDefinition def;
	Hodei__JobId id;
	Hodei__JobDefinition__EnvironmentEntry env, *envp[1];
	Hodei__JobDefinition__LabelsEntry label, *labelp[1];
	char *args[3];
} job_req;

static void job_req_init(job_req *r)
{
	Hodei__QueueJobRequest q = HODEI__QUEUE_JOB_REQUEST__INIT;
	Hodei__JobDefinition def = HODEI__JOB_DEFINITION__INIT;
	Hodei__JobId id = HODEI__JOB_ID__INIT;
	Hodei__JobDefinition__EnvironmentEntry env = HODEI__JOB_DEFINITION__ENVIRONMENT_ENTRY__INIT;
	Hodei__JobDefinition__LabelsEntry label = HODEI__JOB_DEFINITION__LABELS_ENTRY__INIT;
	r->q = q;
	r->def = def;
	r->id = id;
	r->env = env;
	r->label = label;
	r->id.value = "job-1";
	r->def.job_id = &r->id;
	r->def.name = "name";
	r->def.command = "echo";
	r->args[0] = "a";
	r->args[1] = "b";
	r->args[2] = "c";
	r->def.arguments = r->args;
	r->def.n_arguments = 3;
	r->env.key = "K";
	r->env.value = "v";
	r->envp[0] = &r->env;
	r->def.environment = r->envp;
	r->def.n_environment = 1;
	r->label.key = "team";
	r->label.value = "x";
	r->labelp[0] = &r->label;
	r->def.labels = r->labelp;
	r->def.n_labels = 1;
	r->q.job_definition = &r->def;
	r->q.queued_by = "me";
}

/* The path found in r, or "" if none; asserts the walk did not fail. */
static const char *nul_in(job_req *r)
{
	static uint8_t buf[1024];
	static char field[128];
	size_t n = pack_with_nul(&r->q.base, buf, sizeof buf);
	field[0] = '\0';
	int rc = check_queue(buf, n, field, sizeof field);
	assert_int_equal(rc, field[0] ? 1 : 0);
	return field;
}

static void test_clean_request(void **state)
{
	job_req r;
	job_req_init(&r);
	assert_string_equal(nul_in(&r), "");
	assert_int_equal(check_queue(NULL, 0, NULL, 0), 0);
}

static void test_each_field_named(void **state)
{
	static const struct {
		size_t offset;
		const char *path;
	} cases[] = {
		{offsetof(job_req, def.command), "job_definition.command"},
		{offsetof(job_req, def.name), "job_definition.name"},
		{offsetof(job_req, id.value), "job_definition.job_id.value"},
		{offsetof(job_req, args[1]), "job_definition.arguments[1]"},
		{offsetof(job_req, args[2]), "job_definition.arguments[2]"},
		{offsetof(job_req, env.key), "job_definition.environment.key"},
		{offsetof(job_req, env.value), "job_definition.environment.value"},
		{offsetof(job_req, label.key), "job_definition.labels.key"},
		{offsetof(job_req, label.value), "job_definition.labels.value"},
		{offsetof(job_req, q.queued_by), "queued_by"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		job_req r;
		job_req_init(&r);
		*(const char **)((char *)&r + cases[i].offset) = "ab#cd";
		assert_string_equal(nul_in(&r), cases[i].path);
	}
	job_req r;
	job_req_init(&r);
	r.def.command = "#";
	assert_string_equal(nul_in(&r), "job_definition.command");
	r.def.command = "echo#";
	assert_string_equal(nul_in(&r), "job_definition.command");
}

static int utf8_fault(job_req *r, const char *command, char *field, size_t cap)
{
	uint8_t buf[512];
	r->def.command = (char *)command;
	size_t n = protobuf_c_message_get_packed_size(&r->q.base);
	protobuf_c_message_pack(&r->q.base, buf);
	field[0] = '\0';
	return check_queue(buf, n, field, cap);
}

static void test_utf8(void **state)
{
	static const char *const valid[] = {"", "plain", "caf\xc3\xa9", "\xe2\x9c\x93",
	                                    "\xf0\x9d\x84\x9e", "\xf4\x8f\xbf\xbf"};
	static const char *const invalid[] = {
		"ec\xffho",         /* not a lead byte */
		"\xc0\xaf",          /* overlong '/' */
		"\xe0\x80\xaf",      /* overlong, 3 bytes */
		"\xed\xa0\x80",      /* a surrogate */
		"\xf4\x90\x80\x80",  /* past U+10FFFF */
		"ok\xe2\x82",        /* cut short at the end */
		"\xc3(",             /* a lead byte without its continuation */
		"\x80",              /* a lone continuation byte */
	};
	job_req r;
	char field[64];
	job_req_init(&r);
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
		assert_int_equal(utf8_fault(&r, valid[i], field, sizeof field), 0);
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		assert_int_equal(utf8_fault(&r, invalid[i], field, sizeof field), HODEI_PBWIRE_UTF8);
		assert_string_equal(field, "job_definition.command");
	}
	/* A NUL is named first, wherever the bad byte is. */
	assert_int_equal(utf8_fault(&r, "\xff#", field, sizeof field), HODEI_PBWIRE_UTF8);
	uint8_t buf[512];
	r.def.command = "\xff#";
	size_t n = pack_with_nul(&r.q.base, buf, sizeof buf);
	assert_int_equal(check_queue(buf, n, field, sizeof field), HODEI_PBWIRE_NUL);
}

/* bytes fields may hold NULs: a worker's output lines do. */
static void test_bytes_and_oneof(void **state)
{
	Hodei__OutputLine line = HODEI__OUTPUT_LINE__INIT, *lines[] = {&line, &line};
	line.text.data = (uint8_t *)"a\0b";
	line.text.len = 3;
	Hodei__LogBatch batch = HODEI__LOG_BATCH__INIT;
	batch.job_id = "j";
	batch.lines = lines;
	batch.n_lines = 2;
	Hodei__ConnectRequest req = HODEI__CONNECT_REQUEST__INIT;
	req.message_case = HODEI__CONNECT_REQUEST__MESSAGE_LOGS;
	req.logs = &batch;
	uint8_t buf[256];
	char field[64] = "";
	size_t n = pack_with_nul(&req.base, buf, sizeof buf);
	assert_int_equal(check_connect(buf, n, field, sizeof field), 0);
	batch.job_id = "j#";
	n = pack_with_nul(&req.base, buf, sizeof buf);
	assert_int_equal(check_connect(buf, n, field, sizeof field), 1);
	assert_string_equal(field, "logs.job_id");
}

static void test_malformed_and_unknown(void **state)
{
	char field[64];
	/* Field 3 (command) says 10 bytes, holds 2. */
	static const uint8_t truncated[] = {0x0a, 0x04, 0x1a, 0x0a, 'a', 'b'};
	assert_int_equal(check_queue(truncated, sizeof truncated, field, sizeof field), -1);
	/* A varint that never ends; a group. */
	static const uint8_t endless[] = {0x10, 0xff, 0xff};
	assert_int_equal(check_queue(endless, sizeof endless, field, sizeof field), -1);
	static const uint8_t group[] = {0x0b, 0x0c};
	assert_int_equal(check_queue(group, sizeof group, field, sizeof field), -1);
	/* An unknown field 9 with a NUL is not a string the server reads. */
	static const uint8_t unknown[] = {0x4a, 0x02, 'a', 0x00, 0x12, 0x01, 'm'};
	assert_int_equal(check_queue(unknown, sizeof unknown, field, sizeof field), 0);
	/* queued_by sent as a varint: not a string, nothing to find. */
	static const uint8_t wrong_type[] = {0x10, 0x00};
	assert_int_equal(check_queue(wrong_type, sizeof wrong_type, field, sizeof field), 0);
}

/* A type that nests in itself (none of the API's does): message Nest
 * { Nest child = 1; string s = 2; }. */
static const ProtobufCMessageDescriptor nest_desc;
static const ProtobufCFieldDescriptor nest_fields[] = {
	{.name = "child", .id = 1, .label = PROTOBUF_C_LABEL_OPTIONAL,
	 .type = PROTOBUF_C_TYPE_MESSAGE, .descriptor = &nest_desc},
	{.name = "s", .id = 2, .label = PROTOBUF_C_LABEL_OPTIONAL, .type = PROTOBUF_C_TYPE_STRING},
};
static const unsigned nest_by_name[] = {0, 1};
static const ProtobufCIntRange nest_ranges[] = {{1, 0}, {0, 2}};
static const ProtobufCMessageDescriptor nest_desc = {
	.magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, .name = "t.Nest", .short_name = "Nest",
	.c_name = "Nest", .package_name = "t", .sizeof_message = sizeof(ProtobufCMessage),
	.n_fields = 2, .fields = nest_fields, .fields_sorted_by_name = nest_by_name,
	.n_field_ranges = 1, .field_ranges = nest_ranges,
};

/* levels Nests, the innermost with s = "a\0"; returns the length. */
static size_t nested(uint8_t *buf, int levels)
{
	size_t len = 4;
	memcpy(buf, "\x12\x02\x61\x00", 4);
	for (int i = 1; i < levels; i++) {
		size_t head = len < 128 ? 2 : 3;
		memmove(buf + head, buf, len);
		buf[0] = 0x0a;
		if (head == 2) {
			buf[1] = (uint8_t)len;
		} else {
			buf[1] = (uint8_t)(0x80 | (len & 0x7f));
			buf[2] = (uint8_t)(len >> 7);
		}
		len += head;
	}
	return len;
}

static void test_depth_limit(void **state)
{
	uint8_t buf[512];
	char field[512];
	size_t len = nested(buf, 3);
	assert_int_equal(hodei__pbwire_check_strings(&nest_desc, buf, len, field, sizeof field), 1);
	assert_string_equal(field, "child.child.s");
	len = nested(buf, 65); /* the string 64 levels under the top message */
	assert_int_equal(hodei__pbwire_check_strings(&nest_desc, buf, len, field, sizeof field), 1);
	assert_int_equal(strlen(field), 64 * strlen("child.") + 1);
	len = nested(buf, 66);
	assert_int_equal(hodei__pbwire_check_strings(&nest_desc, buf, len, field, sizeof field), -1);
}

static void test_short_field_buffer(void **state)
{
	job_req r;
	job_req_init(&r);
	r.env.value = "#";
	uint8_t buf[512];
	char field[12];
	memset(field, 'x', sizeof field);
	size_t n = pack_with_nul(&r.q.base, buf, sizeof buf);
	assert_int_equal(check_queue(buf, n, field, sizeof field), 1);
	assert_string_equal(field, "job_definit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_request),
		cmocka_unit_test(test_each_field_named),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_bytes_and_oneof),
		cmocka_unit_test(test_malformed_and_unknown),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_short_field_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
