/* String fields with a NUL byte or invalid UTF-8, found in a message's wire form. */
#include "pbwire.h"

#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64

enum { WIRE_VARINT = 0, WIRE_64BIT = 1, WIRE_LENGTH = 2, WIRE_32BIT = 5 };

typedef struct cursor {
	const uint8_t *p, *end;
} cursor;

/* The string at fault: the field at each level, from the top message down. */
typedef struct finding {
	const ProtobufCFieldDescriptor *field[MAX_DEPTH + 1];
	size_t index[MAX_DEPTH + 1]; /* of a repeated field's element */
	int depth;
} finding;

size_t hodei__pbwire_utf8_seq(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t len;
	uint32_t min, cp;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2, min = 0x80, cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3, min = 0x800, cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4, min = 0x10000, cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int hodei__pbwire_string_fault(const uint8_t *s, size_t len)
{
	if (memchr(s, 0, len))
		return HODEI_PBWIRE_NUL;
	for (size_t i = 0, n; i < len; i += n)
		if ((n = hodei__pbwire_utf8_seq(s + i, len - i)) == 0)
			return HODEI_PBWIRE_UTF8;
	return 0;
}

static int read_varint(cursor *c, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (c->p == c->end)
			return -1;
		uint8_t b = *c->p++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

/* One field: its tag, and its value (val and len, whatever the wire type). */
static int read_field(cursor *c, uint64_t *tag, const uint8_t **val, size_t *len)
{
	uint64_t n;
	if (read_varint(c, tag))
		return -1;
	const uint8_t *start = c->p;
	switch (*tag & 7) {
	case WIRE_VARINT:
		if (read_varint(c, &n))
			return -1;
		*val = start;
		*len = (size_t)(c->p - start);
		return 0;
	case WIRE_64BIT:
		n = 8;
		break;
	case WIRE_32BIT:
		n = 4;
		break;
	case WIRE_LENGTH:
		if (read_varint(c, &n))
			return -1;
		break;
	default: /* groups: protobuf-c refuses them too */
		return -1;
	}
	if (n > (uint64_t)(c->end - c->p))
		return -1;
	*val = c->p;
	*len = (size_t)n;
	c->p += n;
	return 0;
}

/* How many fields numbered `number` come before `upto` in the message. */
static size_t count_before(const uint8_t *data, const uint8_t *upto, uint32_t number)
{
	cursor c = {data, upto};
	size_t n = 0;
	uint64_t tag;
	const uint8_t *val;
	size_t len;
	while (c.p < c.end && read_field(&c, &tag, &val, &len) == 0)
		if (tag >> 3 == number)
			n++;
	return n;
}

static int walk(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                int depth, finding *out)
{
	if (depth > MAX_DEPTH)
		return -1;
	cursor c = {data, data + len};
	while (c.p < c.end) {
		const uint8_t *at = c.p, *val;
		uint64_t tag;
		size_t vlen;
		if (read_field(&c, &tag, &val, &vlen))
			return -1;
		if ((tag & 7) != WIRE_LENGTH || tag >> 3 > UINT32_MAX)
			continue;
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3));
		int rc = 0;
		if (f && f->type == PROTOBUF_C_TYPE_STRING)
			rc = hodei__pbwire_string_fault(val, vlen);
		else if (f && f->type == PROTOBUF_C_TYPE_MESSAGE)
			rc = walk(f->descriptor, val, vlen, depth + 1, out);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			if (f->type == PROTOBUF_C_TYPE_STRING)
				out->depth = depth;
			out->field[depth] = f;
			out->index[depth] = f->label == PROTOBUF_C_LABEL_REPEATED
				? count_before(data, at, f->id) : 0;
			return rc;
		}
	}
	return 0;
}

/* protobuf-c marks no map entry as such: a {key = 1, value = 2} "...Entry". */
static int is_map_entry(const ProtobufCMessageDescriptor *d)
{
	size_t n = strlen(d->name);
	return d->n_fields == 2 && n > 5 && strcmp(d->name + n - 5, "Entry") == 0 &&
	       strcmp(d->fields[0].name, "key") == 0 && strcmp(d->fields[1].name, "value") == 0;
}

static void format_path(const finding *f, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i <= f->depth && used < cap; i++) {
		const ProtobufCFieldDescriptor *fd = f->field[i];
		int n = snprintf(out + used, cap - used, "%s%s", i ? "." : "", fd->name);
		used += n > 0 ? (size_t)n : 0;
		if (used < cap && fd->label == PROTOBUF_C_LABEL_REPEATED &&
		    !(fd->type == PROTOBUF_C_TYPE_MESSAGE && is_map_entry(fd->descriptor))) {
			n = snprintf(out + used, cap - used, "[%zu]", f->index[i]);
			used += n > 0 ? (size_t)n : 0;
		}
	}
}

int hodei__pbwire_check_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                                size_t len, char *field, size_t fieldlen)
{
	finding f;
	int rc = walk(desc, data, len, 0, &f);
	if (rc > 0 && field && fieldlen)
		format_path(&f, field, fieldlen);
	return rc;
}
