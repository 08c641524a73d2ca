/*
 * The run queue (pure): a binary heap ordered by priority (highest first)
 * then enqueue sequence (oldest first), so priority is strict and FIFO holds
 * within a priority.  24 bytes per queued job.
 */
#include <stdlib.h>

#include "internal.h"

static bool before(const hodei__qent *a, const hodei__qent *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->qseq < b->qseq;
}

static void swap(hodei__qent *a, hodei__qent *b)
{
	hodei__qent t = *a;

	*a = *b;
	*b = t;
}

int hodei__queue_reserve(hodei__queue *q, size_t n)
{
	return hodei__array_reserve(&q->heap, &q->cap, q->len + n, sizeof(*q->heap), 64)
	       ? HODEI_ENOMEM : 0;
}

int hodei__queue_push(hodei__queue *q, hodei__qent e)
{
	size_t i;

	if (q->len == q->cap && hodei__queue_reserve(q, 1))
		return HODEI_ENOMEM;
	i = q->len++;
	q->heap[i] = e;
	while (i > 0 && before(&q->heap[i], &q->heap[(i - 1) / 2])) {
		swap(&q->heap[i], &q->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	return 0;
}

bool hodei__queue_peek(const hodei__queue *q, hodei__qent *out)
{
	if (q->len == 0)
		return false;
	*out = q->heap[0];
	return true;
}

bool hodei__queue_pop(hodei__queue *q, hodei__qent *out)
{
	size_t i = 0;

	if (q->len == 0)
		return false;
	*out = q->heap[0];
	q->heap[0] = q->heap[--q->len];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->len && before(&q->heap[l], &q->heap[m]))
			m = l;
		if (r < q->len && before(&q->heap[r], &q->heap[m]))
			m = r;
		if (m == i)
			break;
		swap(&q->heap[i], &q->heap[m]);
		i = m;
	}
	return true;
}

void hodei__queue_free(hodei__queue *q)
{
	free(q->heap);
	q->heap = NULL;
	q->len = q->cap = 0;
}
