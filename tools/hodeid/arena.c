/*
 * A bump allocator: a response and everything it points to, freed at once.
 * Out of memory is sticky, as in hodei__buf: the allocation returns NULL,
 * and arena_failed() says so for the whole answer, which is then refused
 * (RESOURCE_EXHAUSTED) instead of sent with a piece missing.  Nothing
 * aborts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hodeid.h"

struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct deferred {
	struct deferred *next;
	void (*fn)(void *);
	void *ptr;
};

/* No answer defers more than a few snapshots: their records need no
 * allocation, so a snapshot is never left unfreed. */
#define ARENA_DEFERRED 8

struct arena {
	struct block *head;
	struct deferred *deferred; /* beyond ARENA_DEFERRED */
	struct deferred fixed[ARENA_DEFERRED];
	size_t nfixed;
	int failed;
};

void arena_defer(arena *a, void (*fn)(void *), void *ptr)
{
	struct deferred *f = a->nfixed < ARENA_DEFERRED ? &a->fixed[a->nfixed++]
	                                                : arena_alloc(a, sizeof *f);
	if (!f)
		return; /* failed (the answer is refused); never with few snapshots */
	f->fn = fn;
	f->ptr = ptr;
	f->next = a->deferred;
	a->deferred = f;
}

arena *arena_new(void)
{
	return calloc(1, sizeof(arena));
}

int arena_failed(const arena *a)
{
	return !a || a->failed;
}

void arena_free(arena *a)
{
	if (!a)
		return;
	for (struct deferred *f = a->deferred; f; f = f->next)
		f->fn(f->ptr);
	struct block *b = a->head;
	while (b) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	free(a);
}

void *arena_alloc(arena *a, size_t n)
{
	if (!a || a->failed || n > SIZE_MAX / 2)
		goto nomem;
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > 8192 ? n : 8192;
		b = malloc(sizeof *b + size);
		if (!b)
			goto nomem;
		b->used = 0;
		b->size = size;
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
nomem:
	if (a)
		a->failed = 1;
	return NULL;
}

char *arena_strdup(arena *a, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(a, n);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
	va_list ap;
	char probe[1];
	if (!fmt) /* never; but the sanitizer build's checks make gcc wonder */
		return arena_strdup(a, "");
	va_start(ap, fmt);
	int n = vsnprintf(probe, sizeof probe, fmt, ap); /* the length it needs */
	va_end(ap);
	char *p = arena_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	return p;
}
