/*
 * hodei_client: opening and closing a connection to hodeid, and the error
 * reporting the client's calls share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "client_internal.h"

#define DEFAULT_PORT "50051"
#define DEFAULT_CONNECT_TIMEOUT_MS 5000
#define DEFAULT_CALL_TIMEOUT_MS 30000

/* Split "host:port", "[v6]:port" or "host" (default port) into c->host/port. */
static int parse_address(hodei_client *c, const char *address)
{
	const char *host = address, *colon, *end;
	size_t hostlen;

	if (strncmp(address, "unix:", 5) == 0)
		return hodei__client_parse_unix(c, address);
	if (strncmp(host, "https://", 8) == 0) {
		c->tls = 1;
		host += 8;
	} else if (strncmp(host, "http://", 7) == 0)
		host += 7;
	end = host + strcspn(host, "/");
	if (host[0] == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));

		if (!close || (close + 1 != end && close[1] != ':'))
			return hodei__err(HODEI_EINVAL, "server address '%s': expected "
			                          "[ipv6]:port", address);
		hostlen = (size_t)(close - host - 1);
		c->host = strndup(host + 1, hostlen);
		colon = close + 1 < end ? close + 1 : NULL;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		hostlen = colon ? (size_t)(colon - host) : (size_t)(end - host);
		c->host = strndup(host, hostlen);
	}
	c->port = colon ? strndup(colon + 1, (size_t)(end - colon - 1)) : strdup(DEFAULT_PORT);
	if (!c->host || !c->port)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (hostlen == 0 || c->port[0] == '\0' || strspn(c->port, "0123456789") !=
	    strlen(c->port) || atoi(c->port) < 1 || atoi(c->port) > 65535)
		return hodei__err(HODEI_EINVAL, "server address '%s': expected host:port "
		                          "with a port from 1 to 65535", address);
	c->address = malloc(strlen(c->host) + strlen(c->port) + 4);
	if (!c->address)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	sprintf(c->address, strchr(c->host, ':') ? "[%s]:%s" : "%s:%s", c->host, c->port);
	return 0;
}

static int apply_options(hodei_client *c, const hodei_client_options *opts)
{
	const char *token = opts ? opts->token : NULL;
	const char *agent = opts && opts->user_agent ? opts->user_agent
	                                             : "hodei-client/" HODEI_VERSION_STRING;

	const char *ca_file = NULL, *cert_file = NULL, *key_file = NULL;

	if (opts && (opts->version < 1 || opts->version > HODEI_CLIENT_OPTIONS_VERSION))
		return hodei__err(HODEI_EVERSION, "hodei_client_options: unknown "
		                          "version %u", opts->version);
	if (opts && opts->version >= 2) { /* version 1 ends before these */
		ca_file = opts->ca_file;
		cert_file = opts->cert_file;
		key_file = opts->key_file;
	}
	if (!token)
		token = getenv("HODEI_API_TOKEN");
	c->connect_timeout_ms = opts && opts->connect_timeout_ms > 0
		? opts->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	c->call_timeout_ms = opts && opts->call_timeout_ms ? opts->call_timeout_ms
	                                                   : DEFAULT_CALL_TIMEOUT_MS;
	if (c->call_timeout_ms < 0)
		c->call_timeout_ms = 0;
	if (token && token[0]) {
		if (strpbrk(token, "\r\n"))
			return hodei__err(HODEI_EINVAL, "token: must be one line");
		c->auth_header = malloc(strlen(token) + 8);
		if (c->auth_header)
			sprintf(c->auth_header, "Bearer %s", token);
	}
	c->user_agent = strdup(agent);
	if ((token && token[0] && !c->auth_header) || !c->user_agent)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (!c->tls)
		return 0;
	if (!ca_file && getenv("HODEI_CA_FILE") && *getenv("HODEI_CA_FILE"))
		ca_file = getenv("HODEI_CA_FILE");
	if (!cert_file && !key_file && getenv("HODEI_TLS_CERT") && *getenv("HODEI_TLS_CERT")) {
		cert_file = getenv("HODEI_TLS_CERT");
		key_file = getenv("HODEI_TLS_KEY");
	}
	return hodei__client_tls_setup(c, ca_file, cert_file, key_file);
}

int hodei_client_open(hodei_client **out, const char *address,
                      const hodei_client_options *opts)
{
	hodei_client *c;
	int rc;

	if (!out)
		return hodei__err(HODEI_EINVAL, "out: must not be NULL");
	*out = NULL;
	if (!address || !address[0])
		address = getenv("HODEI_SERVER");
	if (!address || !address[0])
		address = HODEI_CLIENT_DEFAULT_ADDRESS;
	c = calloc(1, sizeof(*c));
	if (!c)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	c->fd = -1;
	rc = parse_address(c, address);
	if (rc == 0)
		rc = apply_options(c, opts);
	if (rc == 0)
		rc = hodei__client_connect(c);
	if (rc != 0) {
		hodei_client_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void hodei_client_close(hodei_client *c)
{
	if (!c)
		return;
	hodei__client_disconnect(c); /* fails the calls still open */
	while (c->calls) {
		c->calls->client = NULL;
		c->calls = c->calls->next;
	}
	free(c->host);
	free(c->port);
	free(c->address);
	free(c->unix_path);
	free(c->auth_header);
	free(c->user_agent);
	SSL_CTX_free(c->ssl_ctx);
	free(c);
}

const char *hodei_client_address(hodei_client *c)
{
	return c ? c->address : NULL;
}
