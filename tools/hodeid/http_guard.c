/*
 * What the HTTP port checks before it routes a request, and the headers it
 * adds to every answer (SECURITY.md, "The HTTP port").  No I/O: the checks
 * take header values and the configuration, so they are unit-tested and
 * fuzzed alone.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "hodeid.h"

/*
 * The dashboard is one origin's scripts and styles (Vite's build: no
 * inline script); API calls go to the same origin; nothing may frame it.
 */
static const char csp[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
	"frame-ancestors 'none'; form-action 'self'";

void http_security_headers(struct evkeyvalq *out)
{
	evhttp_add_header(out, "Content-Security-Policy", csp);
	evhttp_add_header(out, "X-Frame-Options", "DENY");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "Referrer-Policy", "no-referrer");
	evhttp_add_header(out, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(out, "Cross-Origin-Resource-Policy", "same-origin");
}

/* "8080" equals port; no port means 80 (443 over TLS). */
static int port_is(const char *text, int port, int tls)
{
	if (!text)
		return port == (tls ? 443 : 80);
	char *end;
	long v = strtol(text, &end, 10);
	return *text >= '0' && *text <= '9' && *end == '\0' && v == port;
}

/* An IPv4 dotted quad or a bracketed IPv6 address: cannot be rebound. */
static int ip_literal(const char *name)
{
	unsigned char buf[16];
	char inner[64];
	size_t n = strlen(name);
	if (name[0] != '[')
		return inet_pton(AF_INET, name, buf) == 1;
	if (n < 3 || n - 2 >= sizeof inner || name[n - 1] != ']')
		return 0;
	memcpy(inner, name + 1, n - 2);
	inner[n - 2] = '\0';
	return inet_pton(AF_INET6, inner, buf) == 1;
}

/* Split "name:port" / "[v6]:port" into name (copied) and port (or NULL). */
static int split_host(const char *host, char *name, size_t len, const char **port)
{
	size_t n;
	*port = NULL;
	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -1;
		n = (size_t)(end - host) + 1;
		*port = end[1] ? end + 2 : NULL;
	} else {
		n = strcspn(host, ":");
		*port = host[n] ? host + n + 1 : NULL;
	}
	if (n == 0 || n >= len)
		return -1;
	memcpy(name, host, n);
	name[n] = '\0';
	return 0;
}

/* --public-host: "name" (any port: a proxy in front) or "name:port". */
static int configured(const char *list, const char *host, const char *name)
{
	for (const char *p = list; p && *p;) {
		p += strspn(p, " ,");
		size_t len = strcspn(p, " ,");
		const char *entry_port = memchr(p, ':', len);
		const char *want = entry_port ? host : name;
		if (len && strlen(want) == len && strncasecmp(p, want, len) == 0)
			return 1;
		p += len;
	}
	return 0;
}

/* The host part of --http-listen, and whether it is loopback. */
static void listen_host(const hodeid *d, char *out, size_t len, int *loopback)
{
	const char *port;
	if (split_host(d->cfg.http_listen ? d->cfg.http_listen : "", out, len, &port) != 0)
		out[0] = '\0';
	*loopback = strncmp(out, "127.", 4) == 0 || strcmp(out, "[::1]") == 0 ||
	            strcasecmp(out, "localhost") == 0;
}

int http_host_allowed(const hodeid *d, const char *host)
{
	char name[256], bound[256];
	const char *port;
	int loopback;
	if (!host || split_host(host, name, sizeof name, &port) != 0)
		return 0;
	if (configured(d->cfg.public_hosts, host, name))
		return 1;
	if (!port_is(port, d->http_port, d->tls != NULL))
		return 0;
	if (ip_literal(name))
		return 1;
	listen_host(d, bound, sizeof bound, &loopback);
	if (loopback && strcasecmp(name, "localhost") == 0)
		return 1;
	return bound[0] && !ip_literal(bound) && strcasecmp(name, bound) == 0;
}

int http_origin_allowed(const hodeid *d, const char *origin, const char *host)
{
	const char *scheme = d->tls ? "https://" : "http://";
	size_t n = strlen(scheme);
	if (d->cfg.dev_origin && strcmp(origin, d->cfg.dev_origin) == 0)
		return 1;
	return host && strncmp(origin, scheme, n) == 0 && strcasecmp(origin + n, host) == 0;
}

const char *http_smuggling(const struct evkeyvalq *headers)
{
	const char *length = NULL;
	struct evkeyval *kv;
	for (kv = headers->tqh_first; kv; kv = kv->next.tqe_next) {
		if (strcasecmp(kv->key, "Transfer-Encoding") == 0 && length)
			return "both Content-Length and Transfer-Encoding";
		if (strcasecmp(kv->key, "Content-Length") != 0)
			continue;
		if (length && strcmp(length, kv->value) != 0)
			return "two different Content-Length headers";
		length = kv->value;
	}
	if (length && evhttp_find_header(headers, "Transfer-Encoding"))
		return "both Content-Length and Transfer-Encoding";
	return NULL;
}
