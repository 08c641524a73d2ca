/*
 * The Docker API client on its own: requests started from a callback run
 * (the loop is not left waiting for unrelated activity), transport errors
 * and non-Docker servers are told apart, cancel means no callback.
 * A plain HTTP server (libevent's evhttp) stands in for "not Docker"; the
 * chained requests need a dockerd (skipped otherwise, see ensure-dockerd.sh).
 */
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                        \
		}                                                                       \
	} while (0)

typedef struct chain {
	hodei__dk_http *http;
	struct event_base *base;
	int left;
	long status;
	int marked;
	char *error;
} chain;

static void on_reply(void *ud, const hodei__dk_response *resp)
{
	chain *c = ud;
	c->status = resp->status;
	c->marked = resp->marked;
	free(c->error);
	c->error = resp->error ? strdup(resp->error) : NULL;
	if (--c->left > 0 && !resp->error) /* the next one from inside the callback */
		CHECK(hodei__dk_send(c->http, "GET", "/_ping", NULL, 0, 0, 5000, on_reply, c));
	else
		event_base_loopbreak(c->base);
}

static void run_chain(const char *endpoint, int n, chain *c)
{
	memset(c, 0, sizeof(*c));
	c->base = event_base_new();
	c->left = n;
	CHECK(hodei__dk_http_new(&c->http, c->base, endpoint) == 0);
	CHECK(hodei__dk_send(c->http, "GET", "/_ping", NULL, 0, 0, 5000, on_reply, c));
	event_base_dispatch(c->base);
	hodei__dk_http_free(c->http);
	event_base_free(c->base);
}

static void not_docker(struct evhttp_request *req, void *arg)
{
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void never_called(void *ud, const hodei__dk_response *resp)
{
	CHECK(!"cancelled request called back");
}

int main(void)
{
	chain c;
	/* Nothing listens there: a transport error, not an HTTP status. */
	run_chain("unix:///nonexistent/docker.sock", 1, &c);
	CHECK(c.status == 0 && c.error);
	free(c.error);

	/* An HTTP server that is not Docker answers without Api-Version. */
	struct event_base *base = event_base_new();
	struct evhttp *srv = evhttp_new(base);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(srv, "127.0.0.1", 0);
	CHECK(bs);
	evhttp_set_gencb(srv, not_docker, NULL);
	struct sockaddr_storage ss;
	ev_socklen_t slen = sizeof(ss);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &slen);
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "tcp://127.0.0.1:%d",
	         ntohs(((struct sockaddr_in *)&ss)->sin_port));
	memset(&c, 0, sizeof(c));
	c.base = base;
	c.left = 1;
	CHECK(hodei__dk_http_new(&c.http, base, endpoint) == 0);
	CHECK(hodei__dk_send(c.http, "GET", "/_ping", NULL, 0, 0, 5000, on_reply, &c));
	/* A cancelled request never calls back. */
	hodei__dk_cancel(hodei__dk_send(c.http, "GET", "/info", NULL, 0, 0, 5000, never_called, NULL));
	event_base_dispatch(base);
	CHECK(c.status == 200 && !c.marked && !c.error);
	hodei__dk_http_free(c.http);
	evhttp_free(srv);
	event_base_free(base);

	/* Bad endpoints are refused up front. */
	hodei__dk_http *bad = NULL;
	CHECK(hodei__dk_http_new(&bad, base, "ftp://x") == HODEI_EINVAL && !bad);

	/* Against dockerd: requests chained from callbacks all complete. */
	const char *script = getenv("HODEI_ENSURE_DOCKERD");
	if (!script || system(script) != 0) {
		fprintf(stderr, "SKIP: dockerd not available for the chained requests\n");
		return 77;
	}
	run_chain(NULL, 5, &c);
	CHECK(c.left == 0 && c.status == 200 && c.marked);
	fprintf(stderr, "ok\n");
	return 0;
}
