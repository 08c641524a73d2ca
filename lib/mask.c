/*
 * Secret masking (pure): a matcher built from a job's secret values, applied
 * to each captured line before it is stored or emitted, as GitHub Actions
 * and GitLab mask theirs.  Each value is looked for as itself, as each of
 * its lines (a multi-line value), URL-encoded (upper and lower case hex),
 * and base64-encoded at the three byte alignments it can have inside a
 * longer base64 text (the characters that depend on neighbouring bytes are
 * left out).  A match becomes "***".
 *
 * Pieces: a line longer than the capture buffer arrives in pieces flagged
 * HODEI_LOG_PARTIAL.  A piece's tail that could be the start of a secret is
 * held back (per stream) and put in front of the next piece, so a value
 * split across pieces is masked too; held bytes are at most the longest
 * pattern minus one.
 *
 * Matching scans each byte once against a table of the patterns' first
 * bytes, then compares the few candidates (longest first).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MASK_TEXT "***"
#define MASK_MIN_DERIVED 4 /* shorter encoded forms or value lines would mask noise */
#define MASK_STREAMS 4     /* stdout, stderr, system (1-3), and 0 */

typedef struct pattern {
	char *bytes;
	size_t len;
} pattern;

struct hodei__mask {
	pattern *pats; /* longest first */
	size_t npats, cap;
	size_t maxlen;
	uint16_t first[256];  /* patterns starting with this byte (count) */
	uint16_t *by_first[256]; /* their indexes, longest first */
	hodei__buf carry[MASK_STREAMS];
};

static int add_pattern(hodei__mask *m, const char *bytes, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < m->npats; i++)
		if (m->pats[i].len == len && memcmp(m->pats[i].bytes, bytes, len) == 0)
			return 0;
	if (m->npats == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		pattern *p = realloc(m->pats, cap * sizeof(*p));

		if (!p)
			return HODEI_ENOMEM;
		m->pats = p;
		m->cap = cap;
	}
	if (!(m->pats[m->npats].bytes = malloc(len)))
		return HODEI_ENOMEM;
	memcpy(m->pats[m->npats].bytes, bytes, len);
	m->pats[m->npats++].len = len;
	if (len > m->maxlen)
		m->maxlen = len;
	return 0;
}

static int add_derived(hodei__mask *m, const char *bytes, size_t len)
{
	return len >= MASK_MIN_DERIVED ? add_pattern(m, bytes, len) : 0;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static int add_urlencoded(hodei__mask *m, const char *v, size_t n, const char *hex)
{
	char *out = malloc(n * 3 + 1);
	size_t k = 0;
	int rc;

	if (!out)
		return HODEI_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (unreserved(c)) {
			out[k++] = (char)c;
		} else {
			out[k++] = '%';
			out[k++] = hex[c >> 4];
			out[k++] = hex[c & 15];
		}
	}
	rc = k != n ? add_derived(m, out, k) : 0; /* nothing encoded: it is the value */
	free(out);
	return rc;
}

/* base64 of `skip` unknown bytes then the value, without the characters
 * that depend on the unknown bytes or on whatever follows the value. */
static int add_base64(hodei__mask *m, const char *v, size_t n, size_t skip)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t total = skip + n, k = 0;
	char *out = malloc((total + 2) / 3 * 4 + 1);
	size_t drop_front = skip == 0 ? 0 : skip == 1 ? 2 : 3;
	int rc;

	if (!out)
		return HODEI_ENOMEM;
	for (size_t i = 0; i < total; i += 3) {
		uint32_t w = 0;
		size_t have = total - i < 3 ? total - i : 3;

		for (size_t j = 0; j < 3; j++)
			w = w << 8 | (i + j >= skip && i + j < total ? (unsigned char)v[i + j - skip] : 0);
		for (size_t j = 0; j < have + 1; j++)
			out[k++] = abc[(w >> (18 - 6 * j)) & 63];
	}
	if (total % 3)
		k--; /* its low bits come from the next byte */
	rc = k > drop_front ? add_derived(m, out + drop_front, k - drop_front) : 0;
	free(out);
	return rc;
}

static int add_value(hodei__mask *m, const char *v)
{
	size_t n = strlen(v);
	int rc = 0;

	if (n == 0)
		return 0;
	if ((rc = add_pattern(m, v, n)))
		return rc;
	for (const char *line = v; !rc && *line;) { /* each line of a multi-line value */
		size_t len = strcspn(line, "\r\n");

		if (len < n)
			rc = add_derived(m, line, len);
		line += len;
		line += strspn(line, "\r\n");
	}
	if (!rc)
		rc = add_urlencoded(m, v, n, "0123456789ABCDEF");
	if (!rc)
		rc = add_urlencoded(m, v, n, "0123456789abcdef");
	for (size_t skip = 0; !rc && skip < 3; skip++)
		rc = add_base64(m, v, n, skip);
	return rc;
}

static int by_length_desc(const void *a, const void *b)
{
	const pattern *x = a, *y = b;

	return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

static int index_patterns(hodei__mask *m)
{
	if (m->npats > 1)
		qsort(m->pats, m->npats, sizeof(*m->pats), by_length_desc);
	for (size_t i = 0; i < m->npats; i++)
		m->first[(unsigned char)m->pats[i].bytes[0]]++;
	for (size_t c = 0; c < 256; c++) {
		uint16_t k = 0;

		if (!m->first[c])
			continue;
		if (!(m->by_first[c] = malloc(m->first[c] * sizeof(uint16_t))))
			return HODEI_ENOMEM;
		for (size_t i = 0; i < m->npats; i++)
			if ((unsigned char)m->pats[i].bytes[0] == c)
				m->by_first[c][k++] = (uint16_t)i;
	}
	return 0;
}

int hodei__mask_new(hodei__mask **out, const char *const *values, size_t n)
{
	hodei__mask *m;
	int rc = 0;

	*out = NULL;
	if (!(m = calloc(1, sizeof(*m))))
		return HODEI_ENOMEM;
	for (size_t i = 0; !rc && i < n; i++)
		rc = add_value(m, values[i]);
	if (!rc && m->npats > UINT16_MAX)
		rc = HODEI_EINVAL;
	if (!rc)
		rc = index_patterns(m);
	if (rc || m->npats == 0) {
		hodei__mask_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void hodei__mask_free(hodei__mask *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->npats; i++) {
		explicit_bzero(m->pats[i].bytes, m->pats[i].len);
		free(m->pats[i].bytes);
	}
	for (size_t c = 0; c < 256; c++)
		free(m->by_first[c]);
	for (size_t s = 0; s < MASK_STREAMS; s++) {
		if (m->carry[s].data)
			explicit_bzero(m->carry[s].data, m->carry[s].cap);
		hodei__buf_free(&m->carry[s]);
	}
	free(m->pats);
	free(m);
}

size_t hodei__mask_patterns(const hodei__mask *m)
{
	return m ? m->npats : 0;
}

/* Length of the pattern matching at text[i], longest first; 0 if none. */
static size_t match_at(const hodei__mask *m, const char *text, size_t len, size_t i)
{
	unsigned char c = (unsigned char)text[i];

	for (uint16_t k = 0; k < m->first[c]; k++) {
		const pattern *p = &m->pats[m->by_first[c][k]];

		if (p->len <= len - i && memcmp(text + i, p->bytes, p->len) == 0)
			return p->len;
	}
	return 0;
}

/* The longest tail of text[from..len) that begins some pattern (and is
 * shorter than it): where a secret split across pieces may start. */
static size_t open_tail(const hodei__mask *m, const char *text, size_t len, size_t from)
{
	size_t longest = m->maxlen - 1 < len - from ? m->maxlen - 1 : len - from;

	for (size_t k = longest; k > 0; k--) {
		unsigned char c = (unsigned char)text[len - k];

		for (uint16_t j = 0; j < m->first[c]; j++) {
			const pattern *p = &m->pats[m->by_first[c][j]];

			if (p->len > k && memcmp(text + len - k, p->bytes, k) == 0)
				return k;
		}
	}
	return 0;
}

static size_t mask_into(const hodei__mask *m, const char *text, size_t len, size_t end,
                     hodei__buf *out)
{
	size_t plain = 0;

	for (size_t i = 0; i < end;) {
		size_t n = m->first[(unsigned char)text[i]] ? match_at(m, text, len, i) : 0;

		if (n == 0) {
			i++;
			continue;
		}
		hodei__buf_add(out, text + plain, i - plain);
		hodei__buf_add(out, MASK_TEXT, sizeof(MASK_TEXT) - 1);
		i += n;
		plain = i;
		if (i > end)
			end = i; /* a match reaching into the held tail takes it */
	}
	hodei__buf_add(out, text + plain, end > plain ? end - plain : 0);
	return end;
}

int hodei__mask_apply(hodei__mask *m, int stream, const char *text, size_t len, bool partial,
                      char **out, size_t *outlen)
{
	hodei__buf *carry = &m->carry[stream >= 0 && stream < MASK_STREAMS ? stream : 0];
	hodei__buf joined = { 0 }, res = { 0 };
	const char *t = text;
	size_t n = len, end;

	*out = NULL;
	*outlen = 0;
	if (carry->len) { /* the tail held back from the previous piece */
		hodei__buf_add(&joined, carry->data, carry->len);
		hodei__buf_add(&joined, text, len);
		explicit_bzero(carry->data, carry->len);
		carry->len = 0;
		if (joined.failed)
			goto nomem;
		t = joined.data;
		n = joined.len;
	}
	end = partial ? n - open_tail(m, t, n, 0) : n;
	end = mask_into(m, t, n, end, &res);
	if (end < n)
		hodei__buf_add(carry, t + end, n - end);
	hodei__buf_add(&res, "", 1); /* a NUL after the text, as callers may expect */
	if (res.failed || carry->failed)
		goto nomem;
	if (joined.data)
		explicit_bzero(joined.data, joined.cap);
	hodei__buf_free(&joined);
	*out = res.data;
	*outlen = res.len - 1;
	return 0;
nomem:
	if (joined.data)
		explicit_bzero(joined.data, joined.cap);
	hodei__buf_free(&joined);
	hodei__buf_free(&res);
	if (carry->data)
		explicit_bzero(carry->data, carry->cap);
	carry->len = 0;
	carry->failed = 0;
	return HODEI_ENOMEM;
}
