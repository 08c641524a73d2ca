/*
 * Line splitting (pure).  Bytes in, lines out: each '\n' ends a line (the
 * '\n' is not part of it); a line reaching `max` bytes is emitted in pieces
 * flagged HODEI_LOG_PARTIAL; whatever is left when the stream ends is the
 * last line.  No byte is lost or changed.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void hodei__linebuf_init(hodei__linebuf *lb, size_t max_line)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max_line ? max_line : HODEI_LOG_LINE_MAX;
}

static int hold(hodei__linebuf *lb, const char *data, size_t len)
{
	if (hodei__array_reserve(&lb->buf, &lb->cap, lb->len + len, 1, 256))
		return HODEI_ENOMEM;
	memcpy(lb->buf + lb->len, data, len);
	lb->len += len;
	return 0;
}

int hodei__linebuf_feed(hodei__linebuf *lb, const char *data, size_t len, hodei__line_fn fn,
                        void *ud)
{
	while (len > 0) {
		size_t room = lb->max - lb->len;
		size_t scan = len < room ? len : room;
		const char *nl = memchr(data, '\n', scan);

		if (nl) {
			size_t n = (size_t)(nl - data);

			if (lb->len == 0) {
				fn(ud, data, n, 0);
			} else {
				if (hold(lb, data, n))
					return HODEI_ENOMEM;
				fn(ud, lb->buf, lb->len, 0);
				lb->len = 0;
			}
			data += n + 1;
			len -= n + 1;
			continue;
		}
		if (scan == room) {
			/* the line reached max bytes: emit this piece */
			if (lb->len == 0) {
				fn(ud, data, scan, HODEI_LOG_PARTIAL);
			} else {
				if (hold(lb, data, scan))
					return HODEI_ENOMEM;
				fn(ud, lb->buf, lb->len, HODEI_LOG_PARTIAL);
				lb->len = 0;
			}
			data += scan;
			len -= scan;
			continue;
		}
		if (hold(lb, data, len))
			return HODEI_ENOMEM;
		break;
	}
	return 0;
}

void hodei__linebuf_finish(hodei__linebuf *lb, hodei__line_fn fn, void *ud)
{
	if (lb->len > 0)
		fn(ud, lb->buf, lb->len, 0);
	lb->len = 0;
}

void hodei__linebuf_free(hodei__linebuf *lb)
{
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}
