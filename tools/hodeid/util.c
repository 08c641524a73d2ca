/* Small helpers: secrets compared in constant time, the clock. */
#include <string.h>
#include <time.h>

#include "hodeid.h"
#include "internal.h"

int secret_equal(const char *a, const char *b)
{
	return hodei__secret_equal(a, b); /* lib/util.c, shared with worker tokens */
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
