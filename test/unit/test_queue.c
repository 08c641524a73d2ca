/* Run-queue order: strict priority, FIFO within a priority. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "internal.h"

static void strict_priority_then_fifo(void **state)
{
	hodei__queue q = { 0 };
	hodei__qent e;
	/* seq, qseq, priority */
	hodei__qent in[] = {
		{ 1, 1, HODEI_PRIORITY_LOW },    { 2, 2, HODEI_PRIORITY_NORMAL },
		{ 3, 3, HODEI_PRIORITY_CRITICAL }, { 4, 4, HODEI_PRIORITY_HIGH },
		{ 5, 5, HODEI_PRIORITY_NORMAL }, { 6, 6, HODEI_PRIORITY_CRITICAL },
		{ 7, 7, HODEI_PRIORITY_LOW },
	};
	int64_t want[] = { 3, 6, 4, 2, 5, 1, 7 };

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(hodei__queue_push(&q, in[i]), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_true(hodei__queue_pop(&q, &e));
		assert_int_equal(e.seq, want[i]);
	}
	assert_false(hodei__queue_pop(&q, &e));
	hodei__queue_free(&q);
}

static void large_random_queue_stays_ordered(void **state)
{
	hodei__queue q = { 0 };
	hodei__qent e, prev = { 0, 0, 5 };

	(void)state;
	srand(42);
	for (int i = 1; i <= 100000; i++) {
		hodei__qent in = { i, i, 1 + rand() % 4 };

		assert_int_equal(hodei__queue_push(&q, in), 0);
	}
	for (int i = 0; i < 100000; i++) {
		assert_true(hodei__queue_pop(&q, &e));
		assert_true(e.priority < prev.priority ||
		            (e.priority == prev.priority && e.qseq > prev.qseq));
		prev = e;
	}
	assert_false(hodei__queue_peek(&q, &e));
	hodei__queue_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strict_priority_then_fifo),
		cmocka_unit_test(large_random_queue_stays_ordered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
