/*
 * TLS for hodeid's ports (SECURITY.md, "TLS"): one OpenSSL server context
 * built from --tls-cert/--tls-key (and --tls-client-ca for mutual TLS),
 * TLS 1.2 at least.  The gRPC port agrees on "h2" by ALPN; the HTTP port
 * on "http/1.1" (evhttp speaks nothing else).  The files are read again on
 * SIGHUP and when their modification time changes (checked every few
 * seconds): a new context replaces the old one, so new connections get the
 * new certificate while those already open keep theirs.  A pair that does
 * not load (unreadable, key not matching the certificate) keeps the old
 * context and is logged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "hodeid.h"

#define TLS_WATCH_S 5 /* how often the files' mtimes are compared */

struct hodeid_tls {
	SSL_CTX *ctx;
	struct timespec mtime[3]; /* cert, key, client CA when loaded */
	struct event *watch;
};

static char http_marker; /* SSL app data of an HTTP-port connection */

/* The oldest OpenSSL error in words (and the queue emptied). */
const char *tls_error_text(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;
	if (reason)
		snprintf(buf, sizeof buf, "%s", reason);
	else if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	else
		snprintf(buf, sizeof buf, "unknown error");
	ERR_clear_error(); /* the first says what failed; the rest is its trail */
	return buf;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char h2[] = "\x02h2";
	static const unsigned char http11[] = "\x08http/1.1";
	int http = SSL_get_app_data(ssl) == &http_marker;
	const unsigned char *want = http ? http11 : h2;
	unsigned char *sel;
	if (SSL_select_next_proto(&sel, outlen, want, (unsigned)(want[0] + 1), in, inlen) ==
	    OPENSSL_NPN_NEGOTIATED) {
		*out = sel;
		return SSL_TLSEXT_ERR_OK;
	}
	/* gRPC is HTTP/2 only: a client that offers something else is told so. */
	return http ? SSL_TLSEXT_ERR_NOACK : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void stat_mtime(const char *path, struct timespec *ts)
{
	struct stat st;
	memset(ts, 0, sizeof *ts);
	if (path && stat(path, &st) == 0)
		*ts = st.st_mtim;
}

/* A context from the configured files, or NULL (logged). */
static SSL_CTX *build_ctx(hodeid *d)
{
	const hodeid_config *cfg = &d->cfg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		LOG_ERROR("tls: cannot create a context: %s", tls_error_text());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	                             SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                          SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_read_ahead(ctx, 1); /* a record in one read(), not header then body */
	/* TLS 1.2: forward-secret AEAD suites only (TLS 1.3's are all of that kind). */
	if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
		LOG_ERROR("tls: cipher list: %s", tls_error_text());
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) {
		LOG_ERROR("tls: --tls-cert %s: %s", cfg->tls_cert, tls_error_text());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1) {
		LOG_ERROR("tls: --tls-key %s: %s", cfg->tls_key, tls_error_text());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		LOG_ERROR("tls: --tls-key %s does not match the certificate in --tls-cert %s",
		          cfg->tls_key, cfg->tls_cert);
		goto fail;
	}
	if (cfg->tls_client_ca) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->tls_client_ca);
		if (SSL_CTX_load_verify_locations(ctx, cfg->tls_client_ca, NULL) != 1 || !names) {
			if (names)
				sk_X509_NAME_pop_free(names, X509_NAME_free);
			LOG_ERROR("tls: --tls-client-ca %s: %s", cfg->tls_client_ca, tls_error_text());
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		/*
		 * Asked for, not demanded: API clients authenticate with tokens;
		 * the worker protocol checks that a certificate was verified
		 * (tls_peer_verified()).  One that is presented must verify.
		 */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_verify_depth(ctx, 4);
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"hodeid", 6);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static void remember_mtimes(hodeid *d)
{
	stat_mtime(d->cfg.tls_cert, &d->tls->mtime[0]);
	stat_mtime(d->cfg.tls_key, &d->tls->mtime[1]);
	stat_mtime(d->cfg.tls_client_ca, &d->tls->mtime[2]);
}

static int changed(hodeid *d)
{
	struct timespec now[3];
	stat_mtime(d->cfg.tls_cert, &now[0]);
	stat_mtime(d->cfg.tls_key, &now[1]);
	stat_mtime(d->cfg.tls_client_ca, &now[2]);
	return memcmp(now, d->tls->mtime, sizeof now) != 0;
}

/* The subject and expiry of the loaded certificate, for the log. */
static void log_certificate(SSL_CTX *ctx, const char *what)
{
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	char subject[256] = "?", expiry[64] = "?";
	if (cert) {
		X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
		BIO *b = BIO_new(BIO_s_mem());
		if (b && ASN1_TIME_print(b, X509_get0_notAfter(cert))) {
			int n = BIO_read(b, expiry, sizeof expiry - 1);
			expiry[n > 0 ? n : 0] = '\0';
		}
		BIO_free(b);
	}
	LOG_INFO("tls certificate %s subject=\"%s\" not_after=\"%s\"", what, subject, expiry);
}

int tls_reload(hodeid *d)
{
	if (!d->tls)
		return 0;
	SSL_CTX *ctx = build_ctx(d);
	if (!ctx) {
		LOG_WARN("tls: keeping the certificate loaded before");
		remember_mtimes(d); /* not again until the files change again */
		return -1;
	}
	SSL_CTX_free(d->tls->ctx); /* open connections hold their own reference */
	d->tls->ctx = ctx;
	remember_mtimes(d);
	log_certificate(ctx, "reloaded");
	return 0;
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	hodeid *d = arg;
	if (changed(d)) {
		LOG_INFO("tls: certificate files changed: reloading");
		tls_reload(d);
	}
}

int tls_init(hodeid *d)
{
	if (!d->cfg.tls_cert)
		return 0;
	d->tls = calloc(1, sizeof *d->tls);
	if (!d->tls) {
		LOG_ERROR("tls: out of memory");
		return -1;
	}
	d->tls->ctx = build_ctx(d);
	if (!d->tls->ctx) {
		tls_free(d);
		return -1;
	}
	remember_mtimes(d);
	log_certificate(d->tls->ctx, "loaded");
	struct timeval tv = {TLS_WATCH_S, 0};
	d->tls->watch = event_new(d->base, -1, EV_PERSIST, on_watch, d);
	if (!d->tls->watch || event_add(d->tls->watch, &tv) != 0) {
		LOG_ERROR("tls: cannot watch the certificate files");
		tls_free(d);
		return -1;
	}
	return 0;
}

void tls_free(hodeid *d)
{
	if (!d->tls)
		return;
	if (d->tls->watch)
		event_free(d->tls->watch);
	SSL_CTX_free(d->tls->ctx);
	free(d->tls);
	d->tls = NULL;
}

SSL *tls_new_ssl(hodeid *d, int http)
{
	SSL *ssl = d->tls ? SSL_new(d->tls->ctx) : NULL;
	if (ssl && http) {
		SSL_set_app_data(ssl, &http_marker);
		SSL_set_read_ahead(ssl, 0); /* libevent's OpenSSL bufferevents expect none */
	}
	return ssl;
}

int tls_peer_verified(SSL *ssl)
{
	X509 *cert = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
	return cert && SSL_get_verify_result(ssl) == X509_V_OK;
}
