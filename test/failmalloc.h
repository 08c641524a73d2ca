/*
 * A failing allocator for tests, linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup: the
 * including file defines `static int fail_now(void)` (whether this
 * allocation fails) before including this, once per test program.
 *
 * Or it defines FAILMALLOC_COUNTDOWN first and gets the usual one:
 * arm(n) fails the nth allocation from now (and only that one; `injected`
 * says it happened; FAILMALLOC_TRACE=1 prints where), disarm() stops;
 * strndup is wrapped too (-Wl,--wrap=strndup).
 */
#ifndef HODEI_TEST_FAILMALLOC_H
#define HODEI_TEST_FAILMALLOC_H

#include <stddef.h>

#ifdef FAILMALLOC_COUNTDOWN
#include <execinfo.h>
#include <stdlib.h>

static long countdown = -1; /* allocations left before the one that fails; -1: none */
static int injected;        /* the failure happened */

static int fail_now(void)
{
	if (countdown < 0)
		return 0;
	if (countdown-- == 0) {
		injected = 1;
		countdown = -1; /* only the Nth: what follows works again */
		if (getenv("FAILMALLOC_TRACE")) { /* where it failed */
			void *bt[16];

			backtrace_symbols_fd(bt, backtrace(bt, 16), 2);
		}
		return 1;
	}
	return 0;
}

static void arm(long n)
{
	injected = 0;
	countdown = n;
}

static void disarm(void)
{
	countdown = -1;
}

char *__real_strndup(const char *s, size_t n);
char *__wrap_strndup(const char *s, size_t n);

char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}
#endif

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

#endif
