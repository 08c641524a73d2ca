/* The allocation policy of util.c under a failing allocator: every
 * allocation is checked, and a function either succeeds whole or fails
 * with nothing left behind (the ASan run reports a leak otherwise).  The
 * test is linked with -Wl,--wrap for malloc, calloc, realloc and strdup, so
 * the Nth allocation can be made to fail (nghttp2's failmalloc tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"


static int countdown = -1; /* allocations left before one fails; -1: never */
static int failed;

static int fail_now(void)
{
	if (countdown < 0)
		return 0;
	if (countdown-- == 0) {
		failed = 1;
		return 1;
	}
	return 0;
}

#include "../failmalloc.h"

static void arm(int n)
{
	countdown = n;
	failed = 0;
}

static void disarm(void)
{
	countdown = -1;
}

static const char *const words[] = { "alpha", "", "gamma=δ", "last" };
#define NWORDS (sizeof words / sizeof words[0])

static void check_vec(char **v, size_t n)
{
	assert_non_null(v);
	assert_int_equal(n, NWORDS);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(v[i]); /* no holes */
		assert_string_equal(v[i], words[i]);
	}
	assert_null(v[n]);
}

static void vec_dup_is_all_or_nothing(void **state)
{
	(void)state;
	for (int n = 0;; n++) {
		arm(n);
		char **v = hodei__vec_dup(words, NWORDS);
		int injected = failed;
		disarm();
		if (injected) {
			assert_null(v);
			continue;
		}
		check_vec(v, NWORDS);
		hodei__vec_free(v, NWORDS);
		assert_true(n > (int)NWORDS); /* every allocation was made to fail once */
		break;
	}
}

static void vec_unpack_is_all_or_nothing(void **state)
{
	size_t len = 0, n = 99;
	void *blob = hodei__vec_pack(words, NWORDS, &len);

	(void)state;
	assert_non_null(blob);
	for (int k = 0;; k++) {
		arm(k);
		char **v = hodei__vec_unpack(blob, len, &n);
		int injected = failed;
		disarm();
		if (injected) {
			assert_null(v);
			assert_int_equal(n, 0);
			continue;
		}
		check_vec(v, n);
		hodei__vec_free(v, n);
		assert_true(k > (int)NWORDS);
		break;
	}
	free(blob);
}

static void buf_keeps_its_text_when_growing_fails(void **state)
{
	hodei__buf b = { 0 };
	char big[1000];

	(void)state;
	memset(big, 'x', sizeof big);
	assert_int_equal(hodei__buf_add(&b, "kept", 4), 0);
	arm(0);
	assert_int_equal(hodei__buf_add(&b, big, sizeof big), HODEI_ENOMEM);
	disarm();
	assert_string_equal(b.data, "kept"); /* the old buffer, not lost */
	assert_int_equal(b.len, 4);
	/* sticky: a text with a piece missing is never used */
	assert_int_equal(hodei__buf_add(&b, big, sizeof big), HODEI_ENOMEM);
	assert_int_equal(b.len, 4);
	assert_true(b.failed);
	hodei__buf_free(&b);
	assert_int_equal(hodei__buf_add(&b, big, sizeof big), 0);
	assert_int_equal(b.len, sizeof big);
	assert_int_equal(hodei__buf_add(&b, big, SIZE_MAX - 2), HODEI_ENOMEM); /* no overflow */
	assert_int_equal(b.len, sizeof big);
	hodei__buf_free(&b);
}

/* The one growth helper: a failed growth keeps the array, no overflow. */
static void array_reserve_keeps_the_array_when_growing_fails(void **state)
{
	size_t cap = 0, i;
	int *v = NULL;

	(void)state;
	assert_int_equal(hodei__array_reserve(&v, &cap, 3, sizeof(*v), 4), 0);
	assert_int_equal(cap, 4);
	for (i = 0; i < 4; i++)
		v[i] = (int)i;
	assert_int_equal(hodei__array_grow(&v, &cap, 3, sizeof(*v), 4), 0); /* room already */
	assert_int_equal(cap, 4);
	arm(0);
	assert_int_equal(hodei__array_grow(&v, &cap, 4, sizeof(*v), 4), HODEI_ENOMEM);
	disarm();
	assert_int_equal(cap, 4);
	assert_int_equal(v[3], 3); /* the old array, not lost */
	assert_int_equal(hodei__array_reserve(&v, &cap, 33, sizeof(*v), 4), 0);
	assert_int_equal(cap, 64); /* doubled until enough */
	assert_int_equal(v[3], 3);
	assert_int_equal(hodei__array_reserve(&v, &cap, SIZE_MAX / 2, sizeof(*v), 4),
	                 HODEI_ENOMEM); /* no overflow */
	assert_int_equal(hodei__array_reserve(&v, &cap, SIZE_MAX, 1, 4), HODEI_ENOMEM);
	assert_int_equal(cap, 64);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vec_dup_is_all_or_nothing),
		cmocka_unit_test(vec_unpack_is_all_or_nothing),
		cmocka_unit_test(buf_keeps_its_text_when_growing_fails),
		cmocka_unit_test(array_reserve_keeps_the_array_when_growing_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
