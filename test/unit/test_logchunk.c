/*
 * Log chunks (lib/logchunk.c): lines in, payloads out, the same lines back;
 * a segment cut from the middle decodes alone; a sealed chunk holds every
 * line and replaces its segments; a damaged payload is an error, not lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "internal.h"

static void add(hodei__chunk *c, int64_t seq, int attempt, const char *text, unsigned flags)
{
	int level = seq % 7 == 0 ? HODEI_LEVEL_ERROR : HODEI_LEVEL_INFO;

	assert_int_equal(hodei__chunk_add(c, seq, 1000000 + seq * 37, HODEI_STREAM_STDOUT, level,
	                                  attempt, flags, text, strlen(text)), 0);
}

/* Every line of a write, decompressed and decoded, checked against what
 * add() put in. */
static int64_t check_write(const hodei__logw *w, int attempt)
{
	hodei__chunk_iter it;
	hodei_log_line l;
	ZSTD_DCtx *dz = ZSTD_createDCtx();
	char *buf = NULL, want[64];
	size_t cap = 0;
	int64_t n = 0;
	int rc;

	assert_int_equal(hodei__chunk_inflate(dz, w->codec, w->data, w->len, w->raw_len, &buf,
	                                      &cap), 0);
	assert_int_equal(hodei__chunk_iter_init(&it, buf, w->raw_len, w->first_seq, w->last_seq),
	                 0);
	while ((rc = hodei__chunk_next(&it, &l)) == 1) {
		assert_int_equal(l.seq, w->first_seq + n);
		assert_int_equal(l.ts_us, 1000000 + l.seq * 37);
		assert_int_equal(l.attempt, attempt);
		assert_int_equal(l.level, l.seq % 7 == 0 ? HODEI_LEVEL_ERROR : HODEI_LEVEL_INFO);
		assert_int_equal(l.stream, HODEI_STREAM_STDOUT);
		snprintf(want, sizeof(want), "line %lld of the log", (long long)l.seq);
		assert_int_equal(l.len, strlen(want));
		assert_memory_equal(l.text, want, l.len);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, w->last_seq - w->first_seq + 1);
	free(buf);
	ZSTD_freeDCtx(dz);
	return n;
}

static void fill(hodei__chunk *c, int64_t from, int64_t to, int attempt)
{
	char text[64];

	for (int64_t s = from; s <= to; s++) {
		snprintf(text, sizeof(text), "line %lld of the log", (long long)s);
		add(c, s, attempt, text, 0);
	}
}

/* Segments cut at each flush decode alone; the sealed chunk holds them all,
 * compressed, says it replaces them, and counts only the lines not yet
 * given. */
static void segments_then_seal(void **state)
{
	hodei__chunk c = { 0 };
	hodei__logw w;
	ZSTD_CCtx *cz = ZSTD_createCCtx();

	(void)state;
	fill(&c, 101, 150, 3);
	assert_int_equal(hodei__chunk_cut(&c, false, 9, cz, &w), 0);
	assert_int_equal(w.first_seq, 101);
	assert_int_equal(w.last_seq, 150);
	assert_false(w.replace);
	assert_int_equal(w.count_from, 101);
	assert_int_equal(w.new_lines, 50);
	check_write(&w, 3);
	hodei__logw_free(&w);
	/* nothing new: no write */
	assert_int_equal(hodei__chunk_cut(&c, false, 9, cz, &w), 0);
	assert_null(w.data);
	fill(&c, 151, 170, 3);
	assert_int_equal(hodei__chunk_cut(&c, false, 9, cz, &w), 0);
	assert_int_equal(w.first_seq, 151);
	assert_int_equal(w.last_seq, 170);
	assert_int_equal(w.first_ts, 1000000 + 151 * 37);
	check_write(&w, 3);
	hodei__logw_free(&w);
	fill(&c, 171, 1500, 3);
	assert_int_equal(hodei__chunk_cut(&c, true, 9, cz, &w), 0);
	assert_int_equal(w.job_seq, 9);
	assert_int_equal(w.first_seq, 101);
	assert_int_equal(w.last_seq, 1500);
	assert_true(w.replace);
	assert_int_equal(w.count_from, 171);
	assert_int_equal(w.new_lines, 1330);
	assert_int_equal(w.codec, HODEI__CODEC_ZSTD);
	assert_true(w.len * 4 < w.raw_len); /* ordinary text: a quarter or less */
	assert_int_equal(w.levels, (1u << HODEI_LEVEL_INFO) | (1u << HODEI_LEVEL_ERROR));
	check_write(&w, 3);
	hodei__logw_free(&w);
	/* sealed: the chunk is empty, the next line starts a new one */
	assert_int_equal(c.len, 0);
	fill(&c, 1501, 1501, 4);
	assert_int_equal(hodei__chunk_cut(&c, true, 9, cz, &w), 0);
	assert_false(w.replace);
	assert_int_equal(w.first_seq, 1501);
	assert_int_equal(w.codec, HODEI__CODEC_RAW); /* too small to compress */
	check_write(&w, 4);
	hodei__logw_free(&w);
	hodei__chunk_free(&c);
	ZSTD_freeCCtx(cz);
}

/* Empty lines, binary bytes, PARTIAL and other flags, a change of attempt
 * and a clock going backwards all come back as they went in. */
static void odd_lines_round_trip(void **state)
{
	hodei__chunk c = { 0 };
	hodei__logw w;
	hodei__chunk_iter it;
	hodei_log_line l;
	char *buf = NULL;
	size_t cap = 0;
	static const char bin[] = { 'a', 0, (char)0xff, '\n', 'b' };

	(void)state;
	assert_int_equal(hodei__chunk_add(&c, 1, 5000, HODEI_STREAM_STDERR, HODEI_LEVEL_ERROR, 1,
	                                  0, "", 0), 0);
	assert_int_equal(hodei__chunk_add(&c, 2, 4000, HODEI_STREAM_STDOUT, HODEI_LEVEL_DEBUG, 1,
	                                  HODEI_LOG_PARTIAL, bin, sizeof(bin)), 0);
	assert_int_equal(hodei__chunk_add(&c, 3, 9000, HODEI_STREAM_SYSTEM, HODEI_LEVEL_WARN, 2,
	                                  0x40, "x", 1), 0);
	assert_int_equal(hodei__chunk_cut(&c, true, 1, NULL, &w), 0);
	assert_int_equal(hodei__chunk_inflate(NULL, w.codec, w.data, w.len, w.raw_len, &buf, &cap),
	                 0);
	assert_int_equal(hodei__chunk_iter_init(&it, buf, w.raw_len, 1, 3), 0);
	assert_int_equal(hodei__chunk_next(&it, &l), 1);
	assert_int_equal(l.len, 0);
	assert_int_equal(l.ts_us, 5000);
	assert_int_equal(l.stream, HODEI_STREAM_STDERR);
	assert_int_equal(hodei__chunk_next(&it, &l), 1);
	assert_int_equal(l.ts_us, 4000);
	assert_int_equal(l.flags, HODEI_LOG_PARTIAL);
	assert_int_equal(l.level, HODEI_LEVEL_DEBUG);
	assert_int_equal(l.len, sizeof(bin));
	assert_memory_equal(l.text, bin, sizeof(bin));
	assert_int_equal(hodei__chunk_next(&it, &l), 1);
	assert_int_equal(l.attempt, 2);
	assert_int_equal(l.flags, 0x40);
	assert_int_equal(l.stream, HODEI_STREAM_SYSTEM);
	assert_int_equal(hodei__chunk_next(&it, &l), 0);
	/* damaged: cut short, or fewer lines than the row says */
	assert_int_equal(hodei__chunk_iter_init(&it, buf, w.raw_len - 1, 1, 3), 0);
	assert_int_equal(hodei__chunk_next(&it, &l), 1);
	assert_int_equal(hodei__chunk_next(&it, &l), 1);
	assert_int_equal(hodei__chunk_next(&it, &l), HODEI_EIO);
	assert_int_equal(hodei__chunk_iter_init(&it, buf, w.raw_len, 1, 4), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(hodei__chunk_next(&it, &l), 1);
	assert_int_equal(hodei__chunk_next(&it, &l), HODEI_EIO);
	/* a codec it does not know, a size that does not match */
	assert_int_equal(hodei__chunk_inflate(NULL, 7, w.data, w.len, w.raw_len, &buf, &cap),
	                 HODEI_EIO);
	assert_int_equal(hodei__chunk_inflate(NULL, HODEI__CODEC_RAW, w.data, w.len,
	                                      w.raw_len + 1, &buf, &cap), HODEI_EIO);
	free(buf);
	hodei__logw_free(&w);
	hodei__chunk_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(segments_then_seal),
		cmocka_unit_test(odd_lines_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
