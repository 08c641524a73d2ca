/* Small helpers: clocks, randomness, secrets, strings, string vectors, a growable buffer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"

int64_t hodei__now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t hodei__now_ms(void)
{
	return hodei__now_us() / 1000;
}

int64_t hodei__mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hodei__random(void *out, size_t len)
{
	unsigned char *p = out;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* never hand out a guessable (say, all-zero) secret */
			memset(out, 0, (size_t)(p - (unsigned char *)out));
			return hodei__err(HODEI_EIO, "getrandom: %s",
			                  n < 0 ? strerror(errno) : "no bytes");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hodei__random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[64];
	int rc;

	if (nbytes > sizeof(buf))
		return hodei__err(HODEI_EINVAL, "random_hex: at most %zu bytes", sizeof(buf));
	if ((rc = hodei__random(buf, nbytes)) != 0)
		return rc;
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

bool hodei__secret_equal(const char *offered, const char *expected)
{
	size_t lo = strlen(offered), le = strlen(expected);
	unsigned char diff = (unsigned char)(lo != le);

	/* walk the expected secret's length whatever was offered */
	for (size_t i = 0; i < le; i++)
		diff |= (unsigned char)(expected[i] ^ (i < lo ? offered[i] : 0));
	return diff == 0;
}

char *hodei__strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *hodei__strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *hodei__sprintf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;

	va_start(ap, fmt);
	if (vasprintf(&out, fmt, ap) < 0)
		out = NULL;
	va_end(ap);
	return out;
}

void *hodei__vec_pack(const char *const *v, size_t n, size_t *len)
{
	size_t total = 0;
	char *blob, *p;

	for (size_t i = 0; i < n; i++)
		total += strlen(v[i]) + 1;
	*len = total;
	blob = malloc(total ? total : 1);
	if (!blob)
		return NULL;
	p = blob;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;

		memcpy(p, v[i], l);
		p += l;
	}
	return blob;
}

char **hodei__vec_unpack(const void *blob, size_t len, size_t *n)
{
	const char *p = blob, *end = p + len;
	size_t count = 0, i = 0;
	char **v;

	for (const char *q = p; q < end; q++)
		if (*q == '\0')
			count++;
	*n = 0;
	v = calloc(count + 1, sizeof(*v));
	if (!v)
		return NULL;
	while (p < end && i < count) {
		size_t l = strnlen(p, (size_t)(end - p));

		if (!(v[i] = hodei__strndup(p, l))) {
			hodei__vec_free(v, i);
			return NULL; /* all or nothing: never a vector with holes */
		}
		i++;
		p += l + 1;
	}
	*n = i;
	return v;
}

char **hodei__vec_dup(const char *const *v, size_t n)
{
	char **out = calloc(n + 1, sizeof(*out));

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(out[i] = strdup(v[i]))) {
			hodei__vec_free(out, i);
			return NULL; /* all or nothing: never a vector with holes */
		}
	return out;
}

void hodei__vec_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int hodei__buf_add(hodei__buf *b, const void *data, size_t len)
{
	if (b->failed)
		return HODEI_ENOMEM;
	if (len > SIZE_MAX / 4 - b->len) {
		b->failed = 1;
		return HODEI_ENOMEM; /* the doubling below would overflow */
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->failed = 1;
			return HODEI_ENOMEM;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int hodei__buf_addf(hodei__buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n, rc;

	va_start(ap, fmt);
	n = b->failed ? -1 : vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return HODEI_ENOMEM;
	}
	rc = hodei__buf_add(b, s, (size_t)n);
	free(s);
	return rc;
}

int hodei__buf_json_str(hodei__buf *b, const char *s)
{
	int rc = hodei__buf_add(b, "\"", 1);

	for (const unsigned char *p = (const unsigned char *)s; p && *p && !rc; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };

			rc = hodei__buf_add(b, esc, 2);
		} else if (*p < 0x20) {
			rc = hodei__buf_addf(b, "\\u%04x", *p);
		} else {
			rc = hodei__buf_add(b, p, 1);
		}
	}
	return rc ? rc : hodei__buf_add(b, "\"", 1);
}

void hodei__buf_free(hodei__buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

int hodei__array_reserve(void *items, size_t *cap, size_t need, size_t size, size_t first)
{
	void **pp = items;
	size_t ncap = *cap ? *cap : first;
	void *v;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return hodei__err(HODEI_ENOMEM, "out of memory");
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (!(v = realloc(*pp, ncap * size)))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	*pp = v;
	*cap = ncap;
	return 0;
}

int hodei__array_grow(void *items, size_t *cap, size_t count, size_t size, size_t first)
{
	return hodei__array_reserve(items, cap, count + 1, size, first);
}
