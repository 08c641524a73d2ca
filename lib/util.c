/* Small helpers: clocks, strings, string vectors, a growable buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	if (len > SIZE_MAX / 4 - b->len)
		return HODEI_ENOMEM; /* the doubling below would overflow */
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return HODEI_ENOMEM;
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
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return HODEI_ENOMEM;
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
}
