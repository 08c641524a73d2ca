/*
 * Connections per address on the HTTP port.  libevent 2.1's evhttp accepts
 * by itself and says nothing of a connection before its first request, so
 * the check runs just after the accept: evhttp asks us for each
 * connection's bufferevent (evhttp_set_bevcb), and a deferred callback,
 * holding a reference so the bufferevent outlives evhttp's use of it, reads
 * its socket's peer.  Connections are remembered by descriptor and socket
 * cookie (SO_COOKIE, unique per socket), so one that closed, or whose
 * descriptor was reused, no longer counts.  One over the limit is
 * answered 503 and shut down; evhttp then frees it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "hodeid.h"
#include "internal.h" /* hodei__array_grow() */

typedef struct http_peer {
	int fd;
	uint64_t cookie;
	peer_key key;
} http_peer;

static http_peer *peers;
static const hodeid *pending_server; /* the one hodeid (check_peer has one argument) */
static size_t npeers, cap;

static uint64_t socket_cookie(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof cookie;
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0)
		return 0;
	return cookie;
}

/* Forget connections that are gone; count those of key that remain. */
static size_t live_from(const peer_key *key)
{
	size_t n = 0, kept = 0;
	for (size_t i = 0; i < npeers; i++) {
		if (socket_cookie(peers[i].fd) != peers[i].cookie)
			continue;
		peers[kept++] = peers[i];
		n += memcmp(&peers[i].key, key, sizeof *key) == 0;
	}
	npeers = kept;
	return n;
}

static int remember(int fd, uint64_t cookie, const peer_key *key)
{
	if (hodei__array_grow(&peers, &cap, npeers, sizeof *peers, 64))
		return -1;
	peers[npeers++] = (http_peer){fd, cookie, *key};
	return 0;
}

static void refuse_connection(int fd, const char *host, unsigned int limit, int tls)
{
	char why[128], reply[256];
	snprintf(why, sizeof why, "too many connections from %s (%u)", host, limit);
	int n = snprintf(reply, sizeof reply,
	                 "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
	                 strlen(why) + 1, why);
	hodeid_log_refusal("http", host, why);
	if (!tls && send(fd, reply, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* nothing more to tell it */
	}
	shutdown(fd, SHUT_RDWR); /* evhttp sees the end and frees the connection */
}

static void check_peer(evutil_socket_t unused, short what, void *arg)
{
	struct bufferevent *bev = arg;
	const hodeid *d = pending_server;
	int fd = bufferevent_getfd(bev);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	uint64_t cookie = socket_cookie(fd);
	if (cookie && getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		peer_key key = peer_key_of((struct sockaddr *)&ss);
		char host[64] = "?";
		evutil_inet_ntop(ss.ss_family,
		                 ss.ss_family == AF_INET6
		                     ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
		                     : (void *)&((struct sockaddr_in *)&ss)->sin_addr,
		                 host, sizeof host);
		if (live_from(&key) >= d->cfg.max_per_peer || remember(fd, cookie, &key) != 0)
			refuse_connection(fd, host, d->cfg.max_per_peer, d->tls != NULL);
	}
	bufferevent_decref(bev);
}

struct bufferevent *http_peer_bev(struct event_base *base, void *arg)
{
	hodeid *d = arg;
	struct bufferevent *bev;
	struct timeval now = {0, 0};
	pending_server = arg;
	if (d->tls) { /* HTTPS: the same certificate, ALPN http/1.1 */
		SSL *ssl = tls_new_ssl(d, 1);
		bev = ssl ? bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		                                           BEV_OPT_CLOSE_ON_FREE)
		          : NULL;
		if (!bev)
			SSL_free(ssl);
		else
			bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else {
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (!bev)
		return NULL;
	bufferevent_incref(bev); /* ours until check_peer has looked */
	if (event_base_once(base, -1, EV_TIMEOUT, check_peer, bev, &now) != 0)
		bufferevent_decref(bev);
	return bev;
}

void http_peers_free(void)
{
	free(peers);
	peers = NULL;
	npeers = cap = 0;
}
