/*
 * Fuzz target over the C client's reading of server replies (lib/client:
 * HTTP/2 frames through nghttp2, gRPC framing, protobuf decoding of the
 * replies, headers and trailers with grpc-status).  A fake server on a
 * unix socket answers the client's request with the input's bytes (or,
 * in raw mode, its connection: the handshake too) and then closes its
 * side; the client makes one typed call, chosen by the input's first
 * byte, and must come back (with a result or an error) and free
 * everything.
 *
 * Seeds: gen_corpus_client.py writes corpus_client/ (a byte for the call,
 * then a server's SETTINGS, HEADERS, DATA and trailers).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hodei/client.h"
#include "hodei/hodei.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int listener = -1;
static char dir[] = "/tmp/hodei-fuzz-client-XXXXXX";
static char address[sizeof(dir) + 8];

struct reply {
	const uint8_t *data;
	size_t len;
	int raw;
};

static void cleanup(void)
{
	char path[sizeof(dir) + 8];
	snprintf(path, sizeof(path), "%s/s", dir);
	unlink(path);
	rmdir(dir);
}

static void setup(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (!mkdtemp(dir))
		abort();
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir);
	snprintf(address, sizeof(address), "unix:%s/s", dir);
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(listener, 4) != 0)
		abort();
	atexit(cleanup);
}

static void send_all(int fd, const uint8_t *data, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

/* Read the client's bytes until its first HEADERS frame (its request) has
 * come in whole; 0 if the client closed first. */
static int await_request(int fd)
{
	uint8_t buf[16384];
	size_t len = 0, off = 24; /* the connection preface */
	for (;;) {
		while (off + 9 <= len) {
			size_t flen = ((size_t)buf[off] << 16) | ((size_t)buf[off + 1] << 8) | buf[off + 2];
			if (off + 9 + flen > len)
				break;
			if (buf[off + 3] == 1) /* HEADERS */
				return 1;
			off += 9 + flen;
		}
		if (len == sizeof(buf)) {
			memmove(buf, buf + off, len - off);
			len -= off;
			off = 0;
		}
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		if (n <= 0)
			return 0;
		len += (size_t)n;
	}
}

/*
 * The fake server.  Raw mode (the call byte's high bit): the reply from the
 * first byte on, handshake included.  Otherwise an empty SETTINGS, then,
 * once the client's request is in, the reply.  Then end of stream, and
 * read until the client closes.
 */
static void *serve(void *arg)
{
	static const uint8_t settings[9] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
	const struct reply *r = arg;
	int fd = accept(listener, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (r->raw) {
		send_all(fd, r->data, r->len);
	} else {
		send_all(fd, settings, sizeof(settings));
		if (await_request(fd))
			send_all(fd, r->data, r->len);
	}
	shutdown(fd, SHUT_WR);
	char sink[4096];
	while (read(fd, sink, sizeof(sink)) > 0)
		;
	close(fd);
	return NULL;
}

static int follow(hodei_client *c)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_stream *s = NULL;
	const hodei_log_line *line;
	q.job_id = "job-1";
	int rc = hodei_client_log_follow(&s, c, &q, 1);
	for (int i = 0; rc == 0 && i < 1000; i++)
		if ((rc = hodei_log_stream_next(s, &line, 2000)) != 0 || !line)
			break;
	hodei_log_stream_free(s);
	return rc;
}

static int call(hodei_client *c, uint8_t which)
{
	hodei_job *job = NULL;
	hodei_job_page *page = NULL;
	hodei_log_page *logs = NULL;
	hodei_worker_array *workers = NULL;
	hodei_provider_array *providers = NULL;
	hodei_provider_info *provider = NULL;
	hodei_queue_status qs = { .version = HODEI_QUEUE_STATUS_VERSION };
	hodei_job_filter filter = HODEI_JOB_FILTER_INIT;
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	int status, rc;
	q.job_id = "job-1";
	switch ((which & 0x7f) % 10) {
	case 0: rc = hodei_client_job_get(&job, c, "job-1"); break;
	case 1: rc = hodei_client_job_list(&page, c, &filter); break;
	case 2: rc = hodei_client_log_read(&logs, c, &q); break;
	case 3: rc = follow(c); break;
	case 4: rc = hodei_client_health(c, "", &status); break;
	case 5: rc = hodei_client_worker_list(&workers, c); break;
	case 6: rc = hodei_client_provider_list(&providers, c); break;
	case 7: rc = hodei_client_provider_get(&provider, c, "local"); break;
	case 8: rc = hodei_client_queue_status(&qs, c, NULL); break;
	default: rc = hodei_client_job_cancel(c, "job-1"); break;
	}
	hodei_job_free(job);
	hodei_job_page_free(page);
	hodei_log_page_free(logs);
	hodei_worker_array_free(workers);
	hodei_provider_array_free(providers);
	hodei_provider_info_free(provider);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (listener < 0)
		setup();
	if (size < 1)
		return 0;
	struct reply r = { data + 1, size - 1, data[0] & 0x80 };
	pthread_t server;
	if (pthread_create(&server, NULL, serve, &r) != 0)
		abort();
	hodei_client_options opts = HODEI_CLIENT_OPTIONS_INIT;
	hodei_client *c = NULL;
	opts.token = "";
	opts.connect_timeout_ms = 2000;
	opts.call_timeout_ms = 2000;
	int rc = hodei_client_open(&c, address, &opts);
	if (rc == 0)
		rc = call(c, data[0]);
	/* HODEI_FUZZ_VERBOSE=1 with the replay test: what each input got. */
	if (getenv("HODEI_FUZZ_VERBOSE"))
		fprintf(stderr, "call %d: %s\n", (data[0] & 0x7f) % 10, rc ? hodei_error_last() : "ok");
	hodei_client_close(c);
	pthread_join(server, NULL);
	return 0;
}
