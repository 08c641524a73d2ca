/*
 * Log chunks (pure: no I/O, no context).  A job's lines are encoded one
 * after the other into its open chunk:
 *
 *   varint  zigzag(ts_us - previous line's ts_us)
 *   byte    stream (bits 0-1) | level (bits 2-4) | PARTIAL (bit 5)
 *           | attempt follows (bit 6) | flags follow (bit 7)
 *   [varint attempt] [varint flags]
 *   varint  length, then the bytes
 *
 * A stored payload starts with the encoder's state before its first line
 * (varint base ts, varint base attempt), so a segment cut from the middle of
 * a chunk decodes alone.  Seqs are not stored: first_seq + index.
 */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "internal.h"

#define ZSTD_LEVEL 1
/* Below this a segment is stored raw: compressing it gains nothing. */
#define MIN_COMPRESS 128

static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		r |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int hodei__chunk_add(hodei__chunk *c, int64_t seq, int64_t ts_us, int stream, int level,
                     int attempt, unsigned int flags, const char *text, size_t len)
{
	size_t need = c->len + len + 40;
	unsigned char *p;
	unsigned int meta = (unsigned int)(stream & 3) | (unsigned int)(level & 7) << 2;

	if (need > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *b;

		while (cap < need)
			cap *= 2;
		if (!(b = realloc(c->buf, cap)))
			return HODEI_ENOMEM;
		c->buf = b;
		c->cap = cap;
	}
	if (c->next_seq == 0 || c->len == 0) { /* an empty chunk starts here */
		c->first_seq = c->next_seq = seq;
		c->first_ts = ts_us;
		c->levels = 0;
		c->prev_ts = 0;
		c->prev_attempt = 0;
		c->seg = 0;
		c->flushed = false;
	}
	if (c->seg == c->len) { /* so does a segment */
		c->seg_seq = seq;
		c->seg_first_ts = ts_us;
		c->seg_base_ts = c->prev_ts;
		c->seg_base_attempt = c->prev_attempt;
		c->seg_levels = 0;
		c->seg_bytes = 0;
	}
	if (flags & HODEI_LOG_PARTIAL)
		meta |= 1u << 5;
	if (attempt != c->prev_attempt)
		meta |= 1u << 6;
	if (flags & ~HODEI_LOG_PARTIAL)
		meta |= 1u << 7;
	p = (unsigned char *)c->buf + c->len;
	p += put_varint(p, zigzag(ts_us - c->prev_ts));
	*p++ = (unsigned char)meta;
	if (meta & (1u << 6))
		p += put_varint(p, (uint64_t)(unsigned int)attempt);
	if (meta & (1u << 7))
		p += put_varint(p, flags & ~HODEI_LOG_PARTIAL);
	p += put_varint(p, len);
	if (len)
		memcpy(p, text, len);
	p += len;
	c->len = (size_t)((char *)p - c->buf);
	c->next_seq = seq + 1;
	c->last_ts = ts_us;
	c->prev_ts = ts_us;
	c->prev_attempt = attempt;
	c->levels |= 1u << (level & 7);
	c->seg_levels |= 1u << (level & 7);
	c->seg_bytes += (int64_t)len;
	return 0;
}

int hodei__chunk_cut(hodei__chunk *c, bool seal, int64_t job_seq, void *cctx,
                     hodei__logw *w)
{
	size_t from = seal ? 0 : c->seg, body = c->len - from, hdr, raw_len;
	unsigned char head[24];
	char *raw;

	memset(w, 0, sizeof(*w));
	w->job_seq = job_seq;
	if (c->seg == c->len && (!seal || c->len == 0))
		return 0; /* nothing new */
	hdr = put_varint(head, (uint64_t)(seal ? 0 : c->seg_base_ts));
	hdr += put_varint(head + hdr, (uint64_t)(unsigned int)(seal ? 0 : c->seg_base_attempt));
	raw_len = hdr + body;
	if (!(raw = malloc(raw_len)))
		return HODEI_ENOMEM;
	memcpy(raw, head, hdr);
	memcpy(raw + hdr, c->buf + from, body);
	w->first_seq = seal ? c->first_seq : c->seg_seq;
	w->last_seq = c->next_seq - 1;
	w->first_ts = seal ? c->first_ts : c->seg_first_ts;
	w->last_ts = c->last_ts;
	w->levels = seal ? c->levels : c->seg_levels;
	w->replace = seal && c->flushed;
	if (c->seg < c->len) { /* lines the store has not counted yet */
		w->count_from = c->seg_seq;
		w->new_lines = c->next_seq - c->seg_seq;
		w->new_bytes = c->seg_bytes;
	}
	w->raw_len = raw_len;
	w->codec = HODEI__CODEC_RAW;
	w->data = raw;
	w->len = raw_len;
	if (cctx && raw_len >= MIN_COMPRESS) {
		size_t bound = ZSTD_compressBound(raw_len), n;
		void *z = malloc(bound);

		if (z && !ZSTD_isError(n = ZSTD_compressCCtx(cctx, z, bound, raw, raw_len,
		                                              ZSTD_LEVEL)) && n < raw_len) {
			void *shrunk = realloc(z, n);

			free(raw);
			w->data = shrunk ? shrunk : z;
			w->len = n;
			w->codec = HODEI__CODEC_ZSTD;
		} else {
			free(z); /* stored raw */
		}
	}
	if (seal) {
		c->len = c->seg = 0;
		c->next_seq = 0;
		c->flushed = false;
		if (c->cap > 2 * HODEI__CHUNK_BYTES) { /* one huge line: give it back */
			free(c->buf);
			c->buf = NULL;
			c->cap = 0;
		}
	} else {
		c->seg = c->len;
		c->flushed = true;
	}
	return 0;
}

void hodei__chunk_free(hodei__chunk *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

void hodei__logw_free(hodei__logw *w)
{
	free(w->data);
	w->data = NULL;
}

int hodei__chunk_iter_init(hodei__chunk_iter *it, const void *raw, size_t len,
                           int64_t first_seq, int64_t last_seq)
{
	uint64_t ts, attempt;

	it->p = raw;
	it->end = it->p + len;
	it->seq = first_seq;
	it->last_seq = last_seq;
	if (get_varint(&it->p, it->end, &ts) || get_varint(&it->p, it->end, &attempt))
		return HODEI_EIO;
	it->ts = (int64_t)ts;
	it->attempt = (int)attempt;
	return 0;
}

int hodei__chunk_next(hodei__chunk_iter *it, hodei_log_line *l)
{
	uint64_t d, v, len;
	unsigned int meta;

	if (it->p == it->end)
		return it->seq == it->last_seq + 1 ? 0 : HODEI_EIO;
	if (it->seq > it->last_seq || get_varint(&it->p, it->end, &d) || it->p >= it->end)
		return HODEI_EIO;
	meta = *it->p++;
	it->ts += unzigzag(d);
	l->flags = meta & (1u << 5) ? HODEI_LOG_PARTIAL : 0;
	if (meta & (1u << 6)) {
		if (get_varint(&it->p, it->end, &v))
			return HODEI_EIO;
		it->attempt = (int)v;
	}
	if (meta & (1u << 7)) {
		if (get_varint(&it->p, it->end, &v))
			return HODEI_EIO;
		l->flags |= (unsigned int)v;
	}
	if (get_varint(&it->p, it->end, &len) || len > (uint64_t)(it->end - it->p))
		return HODEI_EIO;
	l->seq = it->seq++;
	l->ts_us = it->ts;
	l->stream = (int)(meta & 3);
	l->level = (int)(meta >> 2 & 7);
	l->attempt = it->attempt;
	l->len = (size_t)len;
	l->text = (const char *)it->p;
	it->p += len;
	return 1;
}

int hodei__chunk_inflate(void *dctx, int codec, const void *data, size_t len, size_t raw_len,
                         char **buf, size_t *cap)
{
	if (raw_len > *cap) {
		char *b = realloc(*buf, raw_len);

		if (!b)
			return HODEI_ENOMEM;
		*buf = b;
		*cap = raw_len;
	}
	if (codec == HODEI__CODEC_RAW) {
		if (len != raw_len)
			return HODEI_EIO;
		memcpy(*buf, data, len);
		return 0;
	}
	if (codec != HODEI__CODEC_ZSTD)
		return HODEI_EIO;
	{
		size_t n = ZSTD_decompressDCtx(dctx, *buf, raw_len, data, len);

		return !ZSTD_isError(n) && n == raw_len ? 0 : HODEI_EIO;
	}
}

/*
 * Pages of lines (hodei_log_page), as every reader makes them (the store,
 * the client from a server's answer): the lines array and one block holding
 * every text, each NUL-terminated, so a page of 10,000 lines is three
 * allocations.  Until hodei__page_done() a line's text is an offset.
 */
typedef struct page_impl {
	hodei_log_page pub;
	size_t cap;
	char *texts;
	size_t tlen, tcap;
} page_impl;

hodei_log_page *hodei__page_new(void)
{
	page_impl *p = calloc(1, sizeof(*p));

	return p ? &p->pub : NULL;
}

int hodei__page_push(hodei_log_page *page, const hodei_log_line *l)
{
	page_impl *p = (page_impl *)page;
	size_t off = p->tlen;
	hodei_log_line *o;

	if (hodei__array_grow(&p->pub.lines, &p->cap, p->pub.count, sizeof(*o), 256))
		return HODEI_ENOMEM;
	if (off + l->len + 1 > p->tcap) {
		size_t cap = p->tcap ? p->tcap : 64 * 1024;
		char *t;

		while (cap < off + l->len + 1)
			cap *= 2;
		if (!(t = realloc(p->texts, cap)))
			return HODEI_ENOMEM;
		p->texts = t;
		p->tcap = cap;
	}
	if (l->len)
		memcpy(p->texts + off, l->text, l->len);
	p->texts[off + l->len] = '\0';
	p->tlen = off + l->len + 1;
	o = &p->pub.lines[p->pub.count++];
	*o = *l;
	o->text = (const char *)(uintptr_t)off; /* an offset until the block stops moving */
	return 0;
}

void hodei__page_done(hodei_log_page *page)
{
	page_impl *p = (page_impl *)page;

	for (size_t i = 0; i < p->pub.count; i++)
		p->pub.lines[i].text = p->texts + (uintptr_t)p->pub.lines[i].text;
}

void hodei_log_page_free(hodei_log_page *page)
{
	page_impl *p = (page_impl *)page;

	if (!p)
		return;
	free(p->pub.lines);
	free(p->texts);
	free(p);
}
