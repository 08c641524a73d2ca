/* Small helpers: secrets compared in constant time, the clock. */
#include <string.h>
#include <time.h>

#include "hodeid.h"
#include "internal.h"

int secret_equal(const char *a, const char *b)
{
	return hodei__secret_equal(a, b); /* lib/util.c, shared with worker tokens */
}

int bearer_ok(const hodeid *d, const char *authorization)
{
	static const char prefix[] = "Bearer ";
	if (!d->cfg.api_token)
		return 1;
	if (!authorization || strncasecmp(authorization, prefix, sizeof prefix - 1) != 0)
		return 0;
	return secret_equal(authorization + sizeof prefix - 1, d->cfg.api_token);
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
