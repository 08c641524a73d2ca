/* The log-level rule and the progress convention. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static int classify(const char *s, int stream)
{
	return hodei_log_classify(s, strlen(s), stream);
}

static void keywords_win(void **state)
{
	(void)state;
	assert_int_equal(classify("ERROR disk full", HODEI_STREAM_STDOUT), HODEI_LEVEL_ERROR);
	assert_int_equal(classify("  [warn] slow", HODEI_STREAM_STDOUT), HODEI_LEVEL_WARN);
	assert_int_equal(classify("Warning: x", HODEI_STREAM_STDERR), HODEI_LEVEL_WARN);
	assert_int_equal(classify("level=debug msg=x", HODEI_STREAM_STDOUT), HODEI_LEVEL_DEBUG);
	assert_int_equal(classify("INFO: started", HODEI_STREAM_STDERR), HODEI_LEVEL_INFO);
	assert_int_equal(classify("fatal: not a git repository", HODEI_STREAM_STDERR),
	                 HODEI_LEVEL_ERROR);
}

static void stream_decides_otherwise(void **state)
{
	(void)state;
	assert_int_equal(classify("hello", HODEI_STREAM_STDOUT), HODEI_LEVEL_INFO);
	assert_int_equal(classify("hello", HODEI_STREAM_STDERR), HODEI_LEVEL_ERROR);
	/* a keyword must be a whole word */
	assert_int_equal(classify("information", HODEI_STREAM_STDERR), HODEI_LEVEL_ERROR);
	assert_int_equal(classify("errors are fine", HODEI_STREAM_STDOUT), HODEI_LEVEL_INFO);
	assert_int_equal(classify("", HODEI_STREAM_STDOUT), HODEI_LEVEL_INFO);
}

static void progress_lines(void **state)
{
	(void)state;
	assert_int_equal(hodei__progress_parse("::progress::42", 14), 42);
	assert_int_equal(hodei__progress_parse("::progress::100%", 16), 100);
	assert_int_equal(hodei__progress_parse("::progress::101", 15), -1);
	assert_int_equal(hodei__progress_parse("::progress::", 12), -1);
	assert_int_equal(hodei__progress_parse("::progress::4x", 14), -1);
	assert_int_equal(hodei__progress_parse("progress 42", 11), -1);
	assert_int_equal(classify("::progress::7", HODEI_STREAM_STDOUT), HODEI_LEVEL_DEBUG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keywords_win),
		cmocka_unit_test(stream_decides_otherwise),
		cmocka_unit_test(progress_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
