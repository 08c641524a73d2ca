/*
 * The gRPC client transport (lib/client, <hodei/client.h> raw calls) against
 * the fake server: unary and streaming calls, large messages, statuses,
 * trailers-only errors, servers that are not gRPC, dropped connections and
 * deadlines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hodei/client.h>

#include "fake_grpc_server.h"

static hodei_client *open_client(fake_server *srv, int mode, int64_t call_timeout_ms)
{
	hodei_client_options opts = HODEI_CLIENT_OPTIONS_INIT;
	hodei_client *c = NULL;

	assert_int_equal(fake_server_start(srv, mode), 0);
	opts.token = "secret";
	opts.call_timeout_ms = call_timeout_ms;
	assert_int_equal(hodei_client_open(&c, srv->address, &opts), 0);
	assert_string_equal(hodei_client_address(c), srv->address);
	return c;
}

static void close_client(fake_server *srv, hodei_client *c)
{
	hodei_client_close(c);
	fake_server_stop(srv);
}

/* Open a call, send `msg`, half-close. */
static hodei_call *start(hodei_client *c, const void *msg, size_t len, int64_t timeout_ms)
{
	hodei_call *call = NULL;

	assert_int_equal(hodei_call_open(&call, c, "/test.Echo/Call", timeout_ms), 0);
	assert_int_equal(hodei_call_send(call, msg, len), 0);
	assert_int_equal(hodei_call_close_send(call), 0);
	return call;
}

static void test_unary_echo(void **state)
{
	fake_server srv;
	hodei_client *c = open_client(&srv, FAKE_ECHO, 0);
	hodei_call *call;
	const char *message;
	void *msg;
	size_t len;
	int i;

	/* Several calls on one connection, one after the other. */
	for (i = 0; i < 3; i++) {
		call = start(c, "hello", 5, 5000);
		assert_int_equal(hodei_call_recv(call, &msg, &len, -1), 0);
		assert_non_null(msg);
		assert_int_equal(len, 5);
		assert_memory_equal(msg, "hello", 5);
		hodei_free(msg);
		assert_int_equal(hodei_call_recv(call, &msg, &len, -1), 0);
		assert_null(msg); /* ended with OK */
		assert_int_equal(hodei_call_status(call, &message), 0);
		hodei_call_free(call);
	}
	close_client(&srv, c);
}

static void test_large_message(void **state)
{
	fake_server srv;
	hodei_client *c = open_client(&srv, FAKE_ECHO, 0);
	size_t n = 3 * 1024 * 1024 + 17, i, len;
	uint8_t *big = malloc(n);
	hodei_call *call;
	void *msg;

	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7);
	call = start(c, big, n, 30000);
	assert_int_equal(hodei_call_recv(call, &msg, &len, -1), 0);
	assert_int_equal(len, n);
	assert_memory_equal(msg, big, n);
	hodei_free(msg);
	hodei_call_free(call);
	/* Over the 4 MiB limit: refused before anything is sent. */
	assert_int_equal(hodei_call_open(&call, c, "/test.Echo/Call", 0), 0);
	big = realloc(big, 4 * 1024 * 1024 + 1);
	assert_int_equal(hodei_call_send(call, big, 4 * 1024 * 1024 + 1), HODEI_EINVAL);
	hodei_call_free(call);
	free(big);
	close_client(&srv, c);
}

static void test_server_stream(void **state)
{
	fake_server srv;
	hodei_client *c = open_client(&srv, FAKE_STREAM, 0);
	hodei_call *call = start(c, "line", 4, 0);
	void *msg;
	size_t len;
	int n = 0, rc;

	while ((rc = hodei_call_recv(call, &msg, &len, 5000)) == 0 && msg) {
		assert_int_equal(len, 4);
		assert_memory_equal(msg, "line", 4);
		hodei_free(msg);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 3);
	/* After the end, the end again. */
	assert_int_equal(hodei_call_recv(call, &msg, &len, 0), 0);
	assert_null(msg);
	hodei_call_free(call);
	close_client(&srv, c);
}

/* A bidirectional stream: each message comes back before the next is sent. */
static void test_bidi(void **state)
{
	fake_server srv;
	hodei_client *c = open_client(&srv, FAKE_BIDI, 0);
	hodei_call *call = NULL;
	char text[32];
	void *msg;
	size_t len;
	int i, rc;

	assert_int_equal(hodei_call_open(&call, c, "/test.Echo/Chat", 0), 0);
	for (i = 0; i < 20; i++) {
		snprintf(text, sizeof(text), "ping %d", i);
		assert_int_equal(hodei_call_send(call, text, strlen(text)), 0);
		/* Driven as an event loop would: drain, else wait for the fd. */
		while ((rc = hodei_call_recv(call, &msg, &len, 0)) == HODEI_EAGAIN) {
			struct pollfd pfd = { hodei_client_fd(c), (short)hodei_client_events(c), 0 };

			assert_true(poll(&pfd, 1, 5000) > 0);
			assert_int_equal(hodei_client_process(c, 0), 0);
		}
		assert_int_equal(rc, 0);
		assert_int_equal(len, strlen(text));
		assert_memory_equal(msg, text, len);
		hodei_free(msg);
	}
	assert_int_equal(hodei_call_close_send(call), 0);
	assert_int_equal(hodei_call_recv(call, &msg, &len, 5000), 0);
	assert_null(msg);
	hodei_call_free(call);
	close_client(&srv, c);
}

static void test_not_found(void **state)
{
	fake_server srv;
	hodei_client *c = open_client(&srv, FAKE_NOT_FOUND, 0);
	hodei_call *call = start(c, "x", 1, 5000);
	const char *message;
	void *msg;
	size_t len;

	assert_int_equal(hodei_call_recv(call, &msg, &len, -1), HODEI_ENOTFOUND);
	assert_null(msg);
	assert_string_equal(hodei_error_last(), "job \"x\" not found");
	assert_int_equal(hodei_call_status(call, &message), 5);
	assert_string_equal(message, "job \"x\" not found");
	hodei_call_free(call);
	/* The typed API maps it the same way. */
	hodei_job *job = NULL;
	assert_int_equal(hodei_client_job_get(&job, c, "x"), HODEI_ENOTFOUND);
	assert_null(job);
	close_client(&srv, c);
}

static void test_not_a_hodei_server(void **state)
{
	fake_server srv;
	hodei_client *c = open_client(&srv, FAKE_UNIMPLEMENTED, 0);
	int status;

	assert_int_equal(hodei_client_health(c, "", &status), HODEI_EUNAVAIL);
	assert_non_null(strstr(hodei_error_last(), "does not implement"));
	close_client(&srv, c);

	c = open_client(&srv, FAKE_HTTP_404, 0);
	assert_int_equal(hodei_client_health(c, "", &status), HODEI_EUNAVAIL);
	assert_non_null(strstr(hodei_error_last(), "not a Hodei server"));
	close_client(&srv, c);
}

static void test_dropped_connection(void **state)
{
	fake_server srv;
	hodei_client *c = open_client(&srv, FAKE_DROP, 0);
	hodei_call *call = start(c, "x", 1, 5000);
	void *msg;
	size_t len;

	assert_int_equal(hodei_call_recv(call, &msg, &len, -1), HODEI_EUNAVAIL);
	assert_non_null(strstr(hodei_error_last(), "closed the connection"));
	hodei_call_free(call);
	/* A new call reconnects by itself (and this server drops it again). */
	call = start(c, "y", 1, 5000);
	assert_int_equal(hodei_call_recv(call, &msg, &len, -1), HODEI_EUNAVAIL);
	hodei_call_free(call);
	close_client(&srv, c);
}

static void test_deadline_and_wait(void **state)
{
	fake_server srv;
	hodei_client *c = open_client(&srv, FAKE_SILENT, 0);
	hodei_call *call = start(c, "x", 1, 0);
	void *msg;
	size_t len;
	int status;

	/* Nothing yet: EAGAIN, and the call goes on. */
	assert_int_equal(hodei_call_recv(call, &msg, &len, 0), HODEI_EAGAIN);
	assert_int_equal(hodei_call_recv(call, &msg, &len, 50), HODEI_EAGAIN);
	assert_int_equal(hodei_call_status(call, NULL), -1);
	hodei_call_free(call);
	/* The call's own deadline ends it. */
	call = start(c, "x", 1, 100);
	assert_int_equal(hodei_call_recv(call, &msg, &len, -1), HODEI_ETIMEDOUT);
	hodei_call_free(call);
	hodei_client_close(c);
	fake_server_stop(&srv);

	/* So does the client's unary timeout. */
	c = open_client(&srv, FAKE_SILENT, 100);
	assert_int_equal(hodei_client_health(c, "", &status), HODEI_ETIMEDOUT);
	close_client(&srv, c);
}

static void test_bad_arguments(void **state)
{
	hodei_client *c = (hodei_client *)1;
	hodei_client_options opts = HODEI_CLIENT_OPTIONS_INIT;

	/* https: TLS files are loaded before any connection is tried */
	opts.ca_file = "/nonexistent/ca.pem";
	assert_int_equal(hodei_client_open(&c, "https://h:1", &opts), HODEI_EINVAL);
	assert_non_null(strstr(hodei_error_last(), "ca_file: cannot load /nonexistent/ca.pem"));
	assert_null(c);
	opts.ca_file = NULL;
	opts.cert_file = "client.pem";
	assert_int_equal(hodei_client_open(&c, "https://h:1", &opts), HODEI_EINVAL);
	assert_non_null(strstr(hodei_error_last(), "give both or neither"));
	opts.cert_file = NULL;
	assert_int_equal(hodei_client_open(&c, "h:0", NULL), HODEI_EINVAL);
	assert_int_equal(hodei_client_open(&c, "h:", NULL), HODEI_EINVAL);
	assert_int_equal(hodei_client_open(&c, "[::1", NULL), HODEI_EINVAL);
	opts.version = 99;
	assert_int_equal(hodei_client_open(&c, "h:1", &opts), HODEI_EVERSION);
	hodei_client_close(NULL);
	hodei_call_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unary_echo),
		cmocka_unit_test(test_large_message),
		cmocka_unit_test(test_server_stream),
		cmocka_unit_test(test_bidi),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_not_a_hodei_server),
		cmocka_unit_test(test_dropped_connection),
		cmocka_unit_test(test_deadline_and_wait),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
