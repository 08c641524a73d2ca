/* Line splitting: every byte kept, long lines in flagged pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

typedef struct collected {
	char text[64][128];
	size_t len[64];
	unsigned int flags[64];
	size_t n;
	size_t total_bytes;
} collected;

static void collect(void *ud, const char *text, size_t len, unsigned int flags)
{
	collected *c = ud;

	if (c->n < 64 && len < 128) {
		memcpy(c->text[c->n], text, len);
		c->text[c->n][len] = '\0';
		c->len[c->n] = len;
		c->flags[c->n] = flags;
	}
	c->n++;
	c->total_bytes += len;
}

static void splits_across_chunks(void **state)
{
	hodei__linebuf lb;
	collected c = { 0 };

	(void)state;
	hodei__linebuf_init(&lb, 0);
	hodei__linebuf_feed(&lb, "hel", 3, collect, &c);
	assert_int_equal(c.n, 0);
	hodei__linebuf_feed(&lb, "lo\nwor", 6, collect, &c);
	hodei__linebuf_feed(&lb, "ld\n\nlast", 8, collect, &c);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.text[0], "hello");
	assert_string_equal(c.text[1], "world");
	assert_int_equal(c.len[2], 0); /* empty line kept */
	hodei__linebuf_finish(&lb, collect, &c);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.text[3], "last"); /* partial last line without \n */
	assert_int_equal(c.flags[3], 0);
	hodei__linebuf_free(&lb);
}

static void long_line_split_in_flagged_pieces(void **state)
{
	hodei__linebuf lb;
	collected c = { 0 };
	char data[25];

	(void)state;
	memset(data, 'x', sizeof(data));
	data[24] = '\n';
	hodei__linebuf_init(&lb, 10);
	hodei__linebuf_feed(&lb, data, 7, collect, &c);
	hodei__linebuf_feed(&lb, data + 7, sizeof(data) - 7, collect, &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.len[0], 10);
	assert_int_equal(c.flags[0], HODEI_LOG_PARTIAL);
	assert_int_equal(c.len[1], 10);
	assert_int_equal(c.flags[1], HODEI_LOG_PARTIAL);
	assert_int_equal(c.len[2], 4);
	assert_int_equal(c.flags[2], 0);
	assert_int_equal(c.total_bytes, 24);
	hodei__linebuf_free(&lb);
}

static void binary_bytes_kept(void **state)
{
	hodei__linebuf lb;
	collected c = { 0 };
	const char data[] = { 'a', '\0', (char)0xff, '\r', '\n', (char)0x80 };

	(void)state;
	hodei__linebuf_init(&lb, 0);
	hodei__linebuf_feed(&lb, data, sizeof(data), collect, &c);
	hodei__linebuf_finish(&lb, collect, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.len[0], 4);
	assert_memory_equal(c.text[0], data, 4);
	assert_int_equal(c.len[1], 1);
	assert_int_equal((unsigned char)c.text[1][0], 0x80);
	hodei__linebuf_free(&lb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splits_across_chunks),
		cmocka_unit_test(long_line_split_in_flagged_pieces),
		cmocka_unit_test(binary_bytes_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
