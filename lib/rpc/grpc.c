/*
 * gRPC framing, timeouts, grpc-message encoding and status codes.
 * Pure functions: no I/O, no clock.
 */
#include "grpc.h"

#include <stdlib.h>
#include <string.h>

#include <hodei/common.h>

static const char *const status_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
};

const char *hodei__grpc_status_name(int status)
{
	if (status < 0 || status >= (int)(sizeof status_names / sizeof status_names[0]))
		return "UNKNOWN";
	return status_names[status];
}

static const struct {
	int result;
	int status;
} result_map[] = {
	{HODEI_OK, HODEI_GRPC_OK},
	{HODEI_ENOTFOUND, HODEI_GRPC_NOT_FOUND},
	{HODEI_EEXISTS, HODEI_GRPC_ALREADY_EXISTS},
	{HODEI_EINVAL, HODEI_GRPC_INVALID_ARGUMENT},
	{HODEI_EFULL, HODEI_GRPC_RESOURCE_EXHAUSTED},
	{HODEI_ESTATE, HODEI_GRPC_FAILED_PRECONDITION},
	{HODEI_EIO, HODEI_GRPC_INTERNAL},
	{HODEI_ETIMEDOUT, HODEI_GRPC_DEADLINE_EXCEEDED},
	{HODEI_ENOMEM, HODEI_GRPC_RESOURCE_EXHAUSTED},
	{HODEI_EAGAIN, HODEI_GRPC_UNAVAILABLE},
	{HODEI_EUNAVAIL, HODEI_GRPC_UNAVAILABLE},
	{HODEI_EAUTH, HODEI_GRPC_UNAUTHENTICATED},
	{HODEI_ENOTDB, HODEI_GRPC_INTERNAL},
	{HODEI_EVERSION, HODEI_GRPC_INTERNAL},
	{HODEI_ELOCKED, HODEI_GRPC_UNAVAILABLE},
	{HODEI_ENOSPC, HODEI_GRPC_RESOURCE_EXHAUSTED},
	{HODEI_ERROR, HODEI_GRPC_UNKNOWN},
};

int hodei__grpc_status_from_result(int result)
{
	for (size_t i = 0; i < sizeof result_map / sizeof result_map[0]; i++)
		if (result_map[i].result == result)
			return result_map[i].status;
	return HODEI_GRPC_UNKNOWN;
}

int hodei__grpc_status_to_result(int status)
{
	switch (status) {
	case HODEI_GRPC_OK: return HODEI_OK;
	case HODEI_GRPC_NOT_FOUND: return HODEI_ENOTFOUND;
	case HODEI_GRPC_ALREADY_EXISTS: return HODEI_EEXISTS;
	case HODEI_GRPC_INVALID_ARGUMENT:
	case HODEI_GRPC_OUT_OF_RANGE: return HODEI_EINVAL;
	case HODEI_GRPC_RESOURCE_EXHAUSTED: return HODEI_EFULL;
	case HODEI_GRPC_FAILED_PRECONDITION: return HODEI_ESTATE;
	case HODEI_GRPC_DEADLINE_EXCEEDED: return HODEI_ETIMEDOUT;
	case HODEI_GRPC_UNAVAILABLE: return HODEI_EUNAVAIL;
	case HODEI_GRPC_UNAUTHENTICATED:
	case HODEI_GRPC_PERMISSION_DENIED: return HODEI_EAUTH;
	default: return HODEI_ERROR;
	}
}

void hodei__grpc_prefix(uint8_t out[HODEI_GRPC_PREFIX], uint32_t len, int compressed)
{
	out[0] = compressed ? 1 : 0;
	out[1] = (uint8_t)(len >> 24);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
}

void hodei__grpc_reader_init(hodei_grpc_reader *r, size_t max)
{
	memset(r, 0, sizeof *r);
	r->max = max ? max : HODEI_GRPC_MAX_MESSAGE;
}

void hodei__grpc_reader_reset(hodei_grpc_reader *r)
{
	free(r->buf);
	hodei__grpc_reader_init(r, r->max);
}

int hodei__grpc_reader_partial(const hodei_grpc_reader *r)
{
	return r->prefix_len > 0;
}

size_t hodei__grpc_reader_buffered(const hodei_grpc_reader *r)
{
	return r->prefix_len + r->have;
}

/* The prefix is complete: check it and size the message buffer. */
static int reader_start_message(hodei_grpc_reader *r)
{
	if (r->prefix[0] > 1)
		return HODEI_GRPC_EFLAG;
	if (r->prefix[0] == 1)
		return HODEI_GRPC_ECOMPRESSED;
	r->need = ((size_t)r->prefix[1] << 24) | ((size_t)r->prefix[2] << 16) |
	          ((size_t)r->prefix[3] << 8) | r->prefix[4];
	if (r->need > r->max)
		return HODEI_GRPC_ETOOBIG;
	r->have = 0;
	return 0;
}

/*
 * Room for `want` bytes of the current message.  The buffer grows with the
 * bytes that arrived (doubling, capped at the declared length), so a prefix
 * that declares 4 MiB costs nothing until the data comes.
 */
static int reader_reserve(hodei_grpc_reader *r, size_t want)
{
	if (want <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap : 256;
	while (cap < want)
		cap *= 2;
	if (cap > r->need)
		cap = r->need;
	uint8_t *buf = realloc(r->buf, cap);
	if (!buf)
		return -1;
	r->buf = buf;
	r->cap = cap;
	return 0;
}

/* Deliver the current message and get ready for the next prefix. */
static int reader_deliver(hodei_grpc_reader *r, const uint8_t *msg,
                          hodei_grpc_message_fn fn, void *userdata)
{
	size_t len = r->need;
	r->prefix_len = 0;
	r->need = 0;
	r->have = 0;
	return fn ? fn(userdata, msg, len) : 0;
}

int hodei__grpc_reader_feed(hodei_grpc_reader *r, const uint8_t *data, size_t len,
                            hodei_grpc_message_fn fn, void *userdata)
{
	if (r->failed)
		return r->failed;
	while (len > 0) {
		if (r->prefix_len < HODEI_GRPC_PREFIX) {
			size_t n = HODEI_GRPC_PREFIX - r->prefix_len;
			if (n > len)
				n = len;
			memcpy(r->prefix + r->prefix_len, data, n);
			r->prefix_len += n;
			data += n;
			len -= n;
			if (r->prefix_len < HODEI_GRPC_PREFIX)
				break;
			int rc = reader_start_message(r);
			if (rc < 0)
				return r->failed = rc;
			if (r->need > 0 && len >= r->need && r->have == 0) {
				/* Whole message in this chunk: no copy. */
				const uint8_t *msg = data;
				size_t used = r->need;
				data += used;
				len -= used;
				rc = reader_deliver(r, msg, fn, userdata);
				if (rc)
					return rc;
				continue;
			}
		}
		if (r->need > 0) {
			size_t n = r->need - r->have;
			if (n > len)
				n = len;
			if (n == 0)
				break; /* the prefix ended the chunk: wait for the data */
			if (reader_reserve(r, r->have + n) < 0) /* within the limit: no memory */
				return r->failed = HODEI_GRPC_ENOMEM;
			memcpy(r->buf + r->have, data, n);
			r->have += n;
			data += n;
			len -= n;
			if (r->have < r->need)
				break;
		}
		uint8_t *msg = r->buf;
		r->buf = NULL;
		r->cap = 0;
		int rc = reader_deliver(r, msg ? msg : (const uint8_t *)"", fn, userdata);
		free(msg);
		if (rc)
			return rc;
	}
	return 0;
}

int hodei__grpc_timeout_parse(const char *value, size_t len, int64_t *ms)
{
	if (len < 2 || len > 9)
		return -1;
	int64_t n = 0;
	for (size_t i = 0; i + 1 < len; i++) {
		if (value[i] < '0' || value[i] > '9')
			return -1;
		n = n * 10 + (value[i] - '0');
	}
	switch (value[len - 1]) {
	case 'H': *ms = n * 3600 * 1000; break;
	case 'M': *ms = n * 60 * 1000; break;
	case 'S': *ms = n * 1000; break;
	case 'm': *ms = n; break;
	case 'u': *ms = (n + 999) / 1000; break;
	case 'n': *ms = (n + 999999) / 1000000; break;
	default: return -1;
	}
	return 0;
}

void hodei__grpc_timeout_format(int64_t ms, char out[12])
{
	static const struct {
		char unit;
		int64_t div;
	} units[] = {{'m', 1}, {'S', 1000}, {'M', 60000}, {'H', 3600000}};
	if (ms < 0)
		ms = 0;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		int64_t v = (ms + units[i].div - 1) / units[i].div;
		if (v <= 99999999 || i + 1 == sizeof units / sizeof units[0]) {
			if (v > 99999999)
				v = 99999999;
			/* Rounded up, so a deadline is never shortened. */
			char digits[10];
			int nd = 0;
			do {
				digits[nd++] = (char)('0' + v % 10);
				v /= 10;
			} while (v > 0);
			int o = 0;
			while (nd > 0)
				out[o++] = digits[--nd];
			out[o++] = units[i].unit;
			out[o] = '\0';
			return;
		}
	}
}

char *hodei__grpc_message_encode(const char *text, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x20 && c <= 0x7e && c != '%') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *hodei__grpc_message_decode(const char *text, size_t len)
{
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (text[i] == '%' && i + 2 < len && (hi = hex_value(text[i + 1])) >= 0 &&
		    (lo = hex_value(text[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = text[i];
		}
	}
	out[o] = '\0';
	return out;
}
