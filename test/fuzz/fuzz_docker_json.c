/*
 * Fuzz target over how the Docker provider reads the Engine API's replies
 * (lib/docker/dk_reply.c): error bodies, the create reply's Id, the wait
 * reply's StatusCode, /info's ServerVersion, the /containers/json list and
 * a multiplexed log stream.  The input is one reply body; every reader
 * gets it.
 *
 * Invariants checked, beyond memory safety: an id that comes back is one
 * that can go into a request path (lower-case hex, at most 64); an exit
 * code is 0..255 or -1; text that comes back has no control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Replies arrive NUL-terminated (hodei__hbuf). */
	char *body = malloc(size + 1);
	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';

	hodei__dk_response resp = { .status = 500, .body = body, .len = size, .marked = 1 };
	char *msg = hodei__dk_error_message(&resp);
	check_text(msg);
	free(msg);

	char *id = hodei__dk_reply_id(body, size);
	if (id && !hodei__dk_id_ok(id))
		abort();
	free(id);

	int code = hodei__dk_reply_exit_code(body, size);
	if (code < -1 || code > 255)
		abort();

	char *version = hodei__dk_reply_version(body, size);
	check_text(version);
	free(version);

	char **ids;
	size_t n;
	if (hodei__dk_reply_ids(body, size, &ids, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!hodei__dk_id_ok(ids[i]))
				abort();
		hodei__dk_ids_free(ids, n);
	}

	char line[512];
	hodei__dk_reply_last_line(body, size, line, sizeof(line));
	check_text(line);
	free(body);
	return 0;
}
