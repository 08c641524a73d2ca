/* Small helpers: secrets compared in constant time, the clock. */
#include <string.h>
#include <time.h>

#include "hodeid.h"

int secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);
	/* Walk the expected secret's length whatever was offered. */
	for (size_t i = 0; i < lb; i++)
		diff |= (unsigned char)(b[i] ^ (i < la ? a[i] : 0));
	return diff == 0;
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
