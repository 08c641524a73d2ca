/* Unit tests of lib/rpc/grpc.c: framing, timeouts, grpc-message, statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hodei/common.h>

#include "grpc.h"

struct collected {
	int count;
	size_t lens[8];
	uint8_t bytes[8][64];
};

static int collect(void *userdata, const uint8_t *msg, size_t len)
{
	struct collected *c = userdata;
	if (c->count < 8) {
		c->lens[c->count] = len;
		memcpy(c->bytes[c->count], msg, len < 64 ? len : 64);
	}
	c->count++;
	return 0;
}

static size_t frame(uint8_t *out, const char *text)
{
	size_t len = strlen(text);
	hodei__grpc_prefix(out, (uint32_t)len, 0);
	memcpy(out + HODEI_GRPC_PREFIX, text, len);
	return HODEI_GRPC_PREFIX + len;
}

static void test_prefix(void **state)
{
	uint8_t p[5];
	hodei__grpc_prefix(p, 0x01020304, 1);
	uint8_t want[5] = {1, 1, 2, 3, 4};
	assert_memory_equal(p, want, 5);
}

static void test_reader_whole_and_split(void **state)
{
	uint8_t buf[64];
	size_t n = frame(buf, "hello");
	n += frame(buf + n, "");
	n += frame(buf + n, "world!");
	/* Every way of splitting the bytes yields the same three messages. */
	for (size_t step = 1; step <= n; step++) {
		hodei_grpc_reader r;
		struct collected c = {0};
		hodei__grpc_reader_init(&r, 0);
		for (size_t off = 0; off < n; off += step) {
			size_t len = off + step > n ? n - off : step;
			assert_int_equal(hodei__grpc_reader_feed(&r, buf + off, len, collect, &c), 0);
		}
		assert_int_equal(c.count, 3);
		assert_int_equal(c.lens[0], 5);
		assert_memory_equal(c.bytes[0], "hello", 5);
		assert_int_equal(c.lens[1], 0);
		assert_int_equal(c.lens[2], 6);
		assert_memory_equal(c.bytes[2], "world!", 6);
		assert_false(hodei__grpc_reader_partial(&r));
		hodei__grpc_reader_reset(&r);
	}
}

static void test_reader_partial(void **state)
{
	uint8_t buf[64];
	size_t n = frame(buf, "truncated");
	hodei_grpc_reader r;
	struct collected c = {0};
	hodei__grpc_reader_init(&r, 0);
	assert_int_equal(hodei__grpc_reader_feed(&r, buf, n - 3, collect, &c), 0);
	assert_int_equal(c.count, 0);
	assert_true(hodei__grpc_reader_partial(&r));
	assert_int_equal(hodei__grpc_reader_buffered(&r), n - 3);
	hodei__grpc_reader_reset(&r);
}

static void test_reader_limits(void **state)
{
	hodei_grpc_reader r;
	uint8_t p[5];
	hodei__grpc_prefix(p, HODEI_GRPC_MAX_MESSAGE + 1, 0);
	hodei__grpc_reader_init(&r, 0);
	assert_int_equal(hodei__grpc_reader_feed(&r, p, 5, NULL, NULL), HODEI_GRPC_ETOOBIG);
	/* It stays failed. */
	assert_int_equal(hodei__grpc_reader_feed(&r, p, 1, NULL, NULL), HODEI_GRPC_ETOOBIG);
	hodei__grpc_reader_reset(&r);

	hodei__grpc_prefix(p, 3, 1);
	assert_int_equal(hodei__grpc_reader_feed(&r, p, 5, NULL, NULL), HODEI_GRPC_ECOMPRESSED);
	hodei__grpc_reader_reset(&r);

	p[0] = 7;
	assert_int_equal(hodei__grpc_reader_feed(&r, p, 5, NULL, NULL), HODEI_GRPC_EFLAG);
	hodei__grpc_reader_reset(&r);

	hodei__grpc_reader_init(&r, 4);
	hodei__grpc_prefix(p, 5, 0);
	assert_int_equal(hodei__grpc_reader_feed(&r, p, 5, NULL, NULL), HODEI_GRPC_ETOOBIG);
	hodei__grpc_reader_reset(&r);
}

/* A prefix that declares 4 MiB allocates for the bytes that came, not 4 MiB. */
static void test_reader_commits_as_data_arrives(void **state)
{
	static uint8_t data[HODEI_GRPC_MAX_MESSAGE];
	uint8_t p[5];
	hodei_grpc_reader r;
	struct collected c = {0};
	hodei__grpc_reader_init(&r, 0);
	hodei__grpc_prefix(p, HODEI_GRPC_MAX_MESSAGE, 0);
	assert_int_equal(hodei__grpc_reader_feed(&r, p, 5, collect, &c), 0);
	assert_null(r.buf);
	assert_int_equal(r.cap, 0);
	assert_int_equal(hodei__grpc_reader_feed(&r, data, 10, collect, &c), 0);
	assert_true(r.cap >= 10 && r.cap <= 256);
	memset(data, 'x', sizeof data);
	size_t fed = 10;
	while (fed < sizeof data) {
		size_t n = sizeof data - fed < 1000 ? sizeof data - fed : 1000;
		assert_int_equal(hodei__grpc_reader_feed(&r, data + fed, n, collect, &c), 0);
		fed += n;
		if (fed < sizeof data)
			assert_true(r.cap <= 2 * fed && r.cap >= fed);
	}
	assert_int_equal(c.count, 1);
	assert_int_equal(c.lens[0], HODEI_GRPC_MAX_MESSAGE);
	assert_int_equal(c.bytes[0][20], 'x');
	assert_null(r.buf);
	hodei__grpc_reader_reset(&r);
}

static void test_timeout_parse(void **state)
{
	static const struct {
		const char *text;
		int rc;
		int64_t ms;
	} cases[] = {
		{"1H", 0, 3600000}, {"2M", 0, 120000}, {"3S", 0, 3000}, {"250m", 0, 250},
		{"1500u", 0, 2}, {"1n", 0, 1}, {"99999999S", 0, 99999999000LL},
		{"0m", 0, 0},
		{"", -1, 0}, {"S", -1, 0}, {"123456789S", -1, 0}, {"10x", -1, 0},
		{"-1S", -1, 0}, {"1 S", -1, 0}, {"10", -1, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ms = -7;
		int rc = hodei__grpc_timeout_parse(cases[i].text, strlen(cases[i].text), &ms);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0)
			assert_int_equal(ms, cases[i].ms);
	}
}

static void test_timeout_format(void **state)
{
	char out[12];
	int64_t values[] = {0, 1, 999, 1000, 5000, 99999999, 100000000, 86400000LL * 365 * 100};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		hodei__grpc_timeout_format(values[i], out);
		int64_t back;
		assert_int_equal(hodei__grpc_timeout_parse(out, strlen(out), &back), 0);
		assert_true(back >= values[i] || values[i] > 99999999LL * 3600000);
	}
	hodei__grpc_timeout_format(250, out);
	assert_string_equal(out, "250m");
}

static void test_message_encoding(void **state)
{
	const char *plain = "job_definition.command: 100% \"bad\"\n\xc3\xa9";
	char *enc = hodei__grpc_message_encode(plain, strlen(plain));
	assert_string_equal(enc, "job_definition.command: 100%25 \"bad\"%0A%C3%A9");
	char *dec = hodei__grpc_message_decode(enc, strlen(enc));
	assert_string_equal(dec, plain);
	free(enc);
	free(dec);
	/* Malformed escapes pass through. */
	dec = hodei__grpc_message_decode("50%", 3);
	assert_string_equal(dec, "50%");
	free(dec);
	dec = hodei__grpc_message_decode("%zz%4", 5);
	assert_string_equal(dec, "%zz%4");
	free(dec);
}

static void test_status_mapping(void **state)
{
	assert_int_equal(hodei__grpc_status_from_result(HODEI_OK), HODEI_GRPC_OK);
	assert_int_equal(hodei__grpc_status_from_result(HODEI_EINVAL), HODEI_GRPC_INVALID_ARGUMENT);
	assert_int_equal(hodei__grpc_status_from_result(HODEI_ENOTFOUND), HODEI_GRPC_NOT_FOUND);
	assert_int_equal(hodei__grpc_status_from_result(HODEI_EEXISTS), HODEI_GRPC_ALREADY_EXISTS);
	assert_int_equal(hodei__grpc_status_from_result(HODEI_EFULL), HODEI_GRPC_RESOURCE_EXHAUSTED);
	assert_int_equal(hodei__grpc_status_from_result(HODEI_ESTATE), HODEI_GRPC_FAILED_PRECONDITION);
	assert_int_equal(hodei__grpc_status_from_result(HODEI_EAUTH), HODEI_GRPC_UNAUTHENTICATED);
	assert_int_equal(hodei__grpc_status_from_result(-999), HODEI_GRPC_UNKNOWN);
	assert_int_equal(hodei__grpc_status_to_result(HODEI_GRPC_NOT_FOUND), HODEI_ENOTFOUND);
	assert_int_equal(hodei__grpc_status_to_result(HODEI_GRPC_INTERNAL), HODEI_ERROR);
	assert_string_equal(hodei__grpc_status_name(HODEI_GRPC_UNAUTHENTICATED), "UNAUTHENTICATED");
	assert_string_equal(hodei__grpc_status_name(99), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_reader_whole_and_split),
		cmocka_unit_test(test_reader_partial),
		cmocka_unit_test(test_reader_limits),
		cmocka_unit_test(test_timeout_parse),
		cmocka_unit_test(test_reader_commits_as_data_arrives),
		cmocka_unit_test(test_timeout_format),
		cmocka_unit_test(test_message_encoding),
		cmocka_unit_test(test_status_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
