/*
 * TLS for the client (an "https://" address): OpenSSL on the connection's
 * non-blocking socket.  The server is verified during the handshake (its
 * chain against the CA file or the system's trust store, its name against
 * the host of the address, ALPN "h2"), so nothing of HTTP/2, and no token,
 * is sent to a server that has not proved who it is.  A failed
 * verification is reported in OpenSSL's words, with what to do about it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client_internal.h"

/* The first queued OpenSSL error's reason (the queue is emptied). */
static const char *ssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	snprintf(buf, len, "%s", r ? r : e ? "unknown OpenSSL error" : "connection closed");
	ERR_clear_error();
	return buf;
}

int hodei__client_tls_setup(hodei_client *c, const char *ca_file, const char *cert_file,
                            const char *key_file)
{
	char why[256];
	SSL_CTX *ctx;

	if (!cert_file != !key_file)
		return hodei__err(HODEI_EINVAL, "cert_file and key_file (HODEI_TLS_CERT, "
		                  "HODEI_TLS_KEY): give both or neither");
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return hodei__err(HODEI_ENOMEM, "TLS: %s", ssl_reason(why, sizeof(why)));
	c->ssl_ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(ctx, 1); /* a record in one read(), not header then body */
	if (ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1
	            : SSL_CTX_set_default_verify_paths(ctx) != 1)
		return hodei__err(HODEI_EINVAL, "ca_file: cannot load %s: %s",
		                  ca_file ? ca_file : "the system's trust store",
		                  ssl_reason(why, sizeof(why)));
	if (cert_file && SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
		return hodei__err(HODEI_EINVAL, "cert_file: cannot load %s: %s", cert_file,
		                  ssl_reason(why, sizeof(why)));
	if (key_file && SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1)
		return hodei__err(HODEI_EINVAL, "key_file: cannot load %s: %s", key_file,
		                  ssl_reason(why, sizeof(why)));
	if (key_file && SSL_CTX_check_private_key(ctx) != 1)
		return hodei__err(HODEI_EINVAL, "key_file: %s does not match the certificate in %s",
		                  key_file, cert_file);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x02h2", 3) != 0)
		return hodei__err(HODEI_ENOMEM, "TLS: cannot offer ALPN h2");
	return 0;
}

/* What to do about a certificate that did not verify. */
static const char *verify_hint(long v)
{
	switch (v) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return ": renew it (hodeid tls init makes a new one; hodeid reloads it on SIGHUP)";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return ": check the clocks of both machines";
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return ": its certificate is not issued for this name; connect by a name it lists, "
		       "or issue one for this name (hodeid tls init --host NAME)";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return ": its CA is not trusted here; pass it with --cacert FILE (HODEI_CA_FILE)";
	default:
		return "";
	}
}

static int handshake_failed(hodei_client *c)
{
	char why[256];
	long v = SSL_get_verify_result(c->ssl);

	if (v != X509_V_OK) {
		ERR_clear_error();
		return hodei__err(HODEI_EAUTH, "TLS: the server %s failed verification: %s%s",
		                  c->address, X509_verify_cert_error_string(v), verify_hint(v));
	}
	ssl_reason(why, sizeof(why));
	return hodei__err(HODEI_EUNAVAIL, "TLS handshake with %s failed: %s%s", c->address, why,
	                  strstr(why, "wrong version number") || strstr(why, "packet length")
	                      ? " (is it serving clear text? use host:port without https://)"
	                      : strstr(why, "certificate required")
	                      ? " (the server wants a client certificate: --tls-cert/--tls-key)"
	                      : "");
}

int hodei__client_tls_handshake(hodei_client *c, int64_t deadline)
{
	unsigned char ip[16];
	const unsigned char *alpn = NULL;
	unsigned int alpnlen = 0;
	int rc;

	ERR_clear_error();
	c->ssl = SSL_new(c->ssl_ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return hodei__err(HODEI_ENOMEM, "TLS: out of memory");
	if (inet_pton(AF_INET, c->host, ip) == 1 || inet_pton(AF_INET6, c->host, ip) == 1) {
		rc = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host);
	} else {
		rc = SSL_set_tlsext_host_name(c->ssl, c->host) == 1 &&
		     SSL_set1_host(c->ssl, c->host) == 1;
	}
	if (rc != 1)
		return hodei__err(HODEI_EINVAL, "TLS: cannot check the name '%s'", c->host);
	for (;;) {
		struct pollfd pfd = { c->fd, 0, 0 };
		int64_t left = deadline - hodei__mono_ms();
		int err;

		rc = SSL_connect(c->ssl);
		if (rc == 1)
			break;
		err = SSL_get_error(c->ssl, rc);
		if (err == SSL_ERROR_WANT_READ)
			pfd.events = POLLIN;
		else if (err == SSL_ERROR_WANT_WRITE)
			pfd.events = POLLOUT;
		else
			return handshake_failed(c);
		if (left <= 0)
			return hodei__err(HODEI_EUNAVAIL, "%s accepted the connection but did not "
			                  "finish the TLS handshake within %lld ms", c->address,
			                  (long long)c->connect_timeout_ms);
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return hodei__err(HODEI_EUNAVAIL, "poll: %s", strerror(errno));
	}
	SSL_get0_alpn_selected(c->ssl, &alpn, &alpnlen);
	if (alpnlen && (alpnlen != 2 || memcmp(alpn, "h2", 2) != 0))
		return hodei__err(HODEI_EUNAVAIL, "%s is not a Hodei (gRPC over HTTP/2) server: it "
		                  "chose the protocol '%.*s' (ALPN)", c->address, (int)alpnlen,
		                  (const char *)alpn);
	return 0;
}

long hodei__client_tls_read(hodei_client *c, void *buf, size_t len)
{
	char why[256];
	int n, err;

	c->tls_want_write = 0;
	n = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (n > 0)
		return n;
	err = SSL_get_error(c->ssl, n);
	if (err == SSL_ERROR_WANT_READ)
		return -2;
	if (err == SSL_ERROR_WANT_WRITE) {
		c->tls_want_write = 1;
		return -2;
	}
	if (err == SSL_ERROR_ZERO_RETURN ||
	    (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0) ||
	    ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		ERR_clear_error();
		return 0;
	}
	if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		hodei__client_broken(c, "lost the connection to %s: %s", c->address, strerror(errno));
	else
		hodei__client_broken(c, "TLS error on the connection to %s: %s", c->address,
		                     ssl_reason(why, sizeof(why)));
	return -1;
}

long hodei__client_tls_write(hodei_client *c, const void *buf, size_t len)
{
	char why[256];
	int n, err;

	n = SSL_write(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (n > 0)
		return n;
	err = SSL_get_error(c->ssl, n);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		return -2;
	if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		hodei__client_broken(c, "lost the connection to %s: %s", c->address,
		                     errno ? strerror(errno) : "closed");
	else
		hodei__client_broken(c, "TLS error on the connection to %s: %s", c->address,
		                     ssl_reason(why, sizeof(why)));
	return -1;
}

int hodei__client_tls_pending(hodei_client *c)
{
	return SSL_has_pending(c->ssl);
}

void hodei__client_tls_close(hodei_client *c)
{
	if (c->ssl) {
		SSL_free(c->ssl); /* no close_notify: the socket closes right after */
		c->ssl = NULL;
	}
	c->tls_want_write = 0;
	ERR_clear_error();
}
