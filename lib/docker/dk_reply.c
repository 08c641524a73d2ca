/*
 * The Docker Engine API's replies, read: pure functions over a reply's
 * bytes, no I/O, so that test/fuzz/fuzz_docker_json.c can feed them
 * anything a daemon (or something pretending to be one) might send.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"

int hodei__dk_id_ok(const char *id)
{
	size_t n = id ? strspn(id, "0123456789abcdef") : 0;
	return n > 0 && n <= 64 && id[n] == '\0';
}

/* The first line of text[0..len), without control characters; malloc'd. */
static char *first_line(const char *text, size_t len)
{
	char *s = malloc(len + 1);
	size_t n = 0;
	for (size_t i = 0; s && i < len && text[i] != '\n' && text[i] != '\r'; i++)
		if ((unsigned char)text[i] >= 0x20 && text[i] != 0x7f)
			s[n++] = text[i];
	if (s)
		s[n] = '\0';
	return s;
}

char *hodei__dk_error_message(const hodei__dk_response *resp)
{
	if (resp->error)
		return strdup(resp->error);
	json_t *j = json_loadb(resp->body, resp->len, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "message"));
	char *s = m ? first_line(m, strlen(m)) : first_line(resp->body, resp->len);
	json_decref(j);
	return s;
}

char *hodei__dk_reply_id(const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *id = json_string_value(json_object_get(j, "Id"));
	char *s = hodei__dk_id_ok(id) ? strdup(id) : NULL;
	json_decref(j);
	return s;
}

int hodei__dk_reply_exit_code(const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	json_t *code = json_object_get(j, "StatusCode");
	json_int_t v = json_is_integer(code) ? json_integer_value(code) : -1;
	json_decref(j);
	return v >= 0 && v <= 255 ? (int)v : -1;
}

char *hodei__dk_reply_version(const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *v = json_string_value(json_object_get(j, "ServerVersion"));
	char *s = v ? first_line(v, strlen(v)) : NULL;
	json_decref(j);
	return s;
}

int hodei__dk_reply_ids(const char *body, size_t len, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	json_t *list = json_loadb(body, len, 0, NULL);
	char **ids = calloc(json_array_size(list) + 1, sizeof(*ids));
	size_t i, count = 0;
	json_t *c;
	if (!ids) {
		json_decref(list);
		return HODEI_ENOMEM;
	}
	json_array_foreach(list, i, c) {
		const char *id = json_string_value(json_object_get(c, "Id"));
		if (hodei__dk_id_ok(id) && !(ids[count] = strdup(id))) {
			hodei__dk_ids_free(ids, count);
			json_decref(list);
			return HODEI_ENOMEM;
		}
		count += hodei__dk_id_ok(id);
	}
	json_decref(list);
	*out = ids;
	*n = count;
	return 0;
}

void hodei__dk_ids_free(char **ids, size_t n)
{
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
}

void hodei__dk_reply_last_line(const char *body, size_t len, char *out, size_t outlen)
{
	hodei__hbuf text = { 0 };
	for (size_t off = 0; off + 8 <= len;) {
		const unsigned char *h = (const unsigned char *)body + off;
		size_t n = ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
		if (n > len - off - 8)
			n = len - off - 8;
		hodei__hbuf_add(&text, body + off + 8, n);
		off += 8 + n;
	}
	out[0] = '\0';
	char *s = text.data;
	for (char *line = s; line && *line;) {
		char *eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		char *clean = first_line(line, strlen(line));
		if (clean && clean[strspn(clean, " \t")])
			snprintf(out, outlen, "%s", clean);
		free(clean);
		line = eol ? eol + 1 : NULL;
	}
	hodei__hbuf_free(&text);
}
