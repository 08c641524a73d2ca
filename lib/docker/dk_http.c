/*
 * The Docker Engine API endpoint on the shared HTTP client (lib/http/httpc.c):
 * which socket or host, and for tcp:// the TLS client certificate that
 * DOCKER_TLS_VERIFY and DOCKER_CERT_PATH name, as the docker CLI reads them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"

#define PEM_MAX (64 * 1024)

void hodei__dk_endpoint_free(hodei__dk_endpoint *ep)
{
	free(ep->base_url);
	free(ep->socket);
	free(ep->shown);
	hodei__hbuf_free(&ep->ca);
	if (ep->key.data)
		explicit_bzero(ep->key.data, ep->key.len);
	hodei__hbuf_free(&ep->key);
	hodei__hbuf_free(&ep->cert);
	memset(ep, 0, sizeof(*ep));
}

static int tls_wanted(void)
{
	const char *v = getenv("DOCKER_TLS_VERIFY");
	return v && *v && strcmp(v, "0") != 0;
}

/* ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker). */
static int load_tls(hodei__dk_endpoint *ep)
{
	const char *dir = getenv("DOCKER_CERT_PATH"), *home = getenv("HOME");
	char base[1024], path[1100];
	if (dir && *dir)
		snprintf(base, sizeof(base), "%s", dir);
	else
		snprintf(base, sizeof(base), "%s/.docker", home && *home ? home : "");
	static const char *const names[] = { "ca.pem", "cert.pem", "key.pem" };
	hodei__hbuf *bufs[] = { &ep->ca, &ep->cert, &ep->key };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", base, names[i]);
		int rc = hodei__hbuf_read_file(bufs[i], path, PEM_MAX, "DOCKER_CERT_PATH");
		if (rc != 0)
			return rc;
	}
	ep->opts.ca_pem = ep->ca.data;
	ep->opts.ca_len = ep->ca.len;
	ep->opts.cert_pem = ep->cert.data;
	ep->opts.cert_len = ep->cert.len;
	ep->opts.key_pem = ep->key.data;
	ep->opts.key_len = ep->key.len;
	return 0;
}

int hodei__dk_endpoint_parse(hodei__dk_endpoint *ep, const char *endpoint)
{
	memset(ep, 0, sizeof(*ep));
	if (!endpoint || !*endpoint)
		endpoint = getenv("DOCKER_HOST");
	if (!endpoint || !*endpoint)
		endpoint = "unix://" HODEI__DK_DEFAULT_SOCKET;
	const char *path = NULL, *hostport = NULL;
	int tls = 0;
	if (strncmp(endpoint, "unix://", 7) == 0)
		path = endpoint + 7;
	else if (endpoint[0] == '/')
		path = endpoint;
	else if (strncmp(endpoint, "tcp://", 6) == 0)
		hostport = endpoint + 6, tls = tls_wanted();
	else if (strncmp(endpoint, "http://", 7) == 0)
		hostport = endpoint + 7;
	else if (strncmp(endpoint, "https://", 8) == 0)
		hostport = endpoint + 8, tls = 1;
	else
		return hodei__err(HODEI_EINVAL,
		                  "endpoint: \"%s\" is not unix:///path, tcp://host:port, "
		                  "http://host:port or https://host:port", endpoint);
	size_t n = hostport ? strcspn(hostport, "/") : 0;
	if ((path && !*path) || (hostport && n == 0))
		return hodei__err(HODEI_EINVAL, "endpoint: \"%s\" names no socket or host", endpoint);
	ep->shown = strdup(endpoint);
	if (path) {
		ep->socket = strdup(path);
		ep->base_url = strdup("http://localhost" HODEI__DK_API);
	} else {
		ep->base_url = malloc(n + sizeof("https://" HODEI__DK_API));
		if (ep->base_url)
			sprintf(ep->base_url, "%s://%.*s" HODEI__DK_API, tls ? "https" : "http", (int)n,
			        hostport);
	}
	if (!ep->shown || !ep->base_url || (path && !ep->socket)) {
		hodei__dk_endpoint_free(ep);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	ep->opts.base_url = ep->base_url;
	ep->opts.unix_socket = ep->socket;
	ep->opts.shown = ep->shown;
	ep->opts.marker_header = "Api-Version";
	int rc = tls ? load_tls(ep) : 0;
	if (rc != 0)
		hodei__dk_endpoint_free(ep);
	return rc;
}

int hodei__dk_http_new(hodei__dk_http **out, struct event_base *base, const char *endpoint)
{
	hodei__dk_endpoint ep;
	*out = NULL;
	int rc = hodei__dk_endpoint_parse(&ep, endpoint);
	if (rc != 0)
		return rc;
	rc = hodei__httpc_new(out, base, &ep.opts);
	hodei__dk_endpoint_free(&ep);
	return rc;
}

int hodei__dk_http_new_raw(hodei__dk_http **out, struct event_base *base, const char *endpoint)
{
	hodei__dk_endpoint ep;
	size_t n, k = strlen(HODEI__DK_API);
	*out = NULL;
	int rc = hodei__dk_endpoint_parse(&ep, endpoint);
	if (rc != 0)
		return rc;
	n = strlen(ep.base_url);
	if (n >= k && strcmp(ep.base_url + n - k, HODEI__DK_API) == 0)
		ep.base_url[n - k] = '\0';
	rc = hodei__httpc_new(out, base, &ep.opts);
	hodei__dk_endpoint_free(&ep);
	return rc;
}

int hodei__dk_endpoint_check(const char *endpoint)
{
	hodei__dk_endpoint ep;
	int rc = hodei__dk_endpoint_parse(&ep, endpoint);
	if (rc == 0)
		hodei__dk_endpoint_free(&ep);
	return rc;
}

static const char *content_type(const char *path)
{
	return strncmp(path, "/images/load", 12) == 0 ? "application/x-tar" : NULL;
}

hodei__dk_req *hodei__dk_send(hodei__dk_http *http, const char *method, const char *path,
                              char *body, size_t len, int take_body, long timeout_ms,
                              hodei__dk_done_fn done, void *userdata)
{
	return hodei__httpc_send(http, method, path, body, len, take_body, content_type(path),
	                         timeout_ms, NULL, done, userdata);
}

int hodei__dk_send_sync(const char *endpoint, const char *method, const char *path,
                        char *body, size_t len, int take_body, long timeout_ms,
                        long *status, char **reply, char **error)
{
	hodei__dk_endpoint ep;
	int marked = 0;
	*reply = *error = NULL;
	*status = 0;
	int rc = hodei__dk_endpoint_parse(&ep, endpoint);
	if (rc != 0) {
		if (take_body)
			free(body);
		return rc;
	}
	rc = hodei__httpc_send_sync(&ep.opts, method, path, body, len, take_body,
	                            content_type(path), timeout_ms, status, &marked, reply, error);
	hodei__dk_endpoint_free(&ep);
	if (rc == 0 && !*error && *status > 0 && !marked) {
		*error = strdup("the endpoint answered but is not a Docker Engine API");
		if (!*error)
			rc = hodei__err(HODEI_ENOMEM, "out of memory");
	}
	return rc;
}
