/* A gRPC-over-HTTP/2 server on a thread, for the client transport tests. */
#ifndef FAKE_GRPC_SERVER_H
#define FAKE_GRPC_SERVER_H

#include <pthread.h>
#include <stdio.h>

enum fake_mode {
	FAKE_ECHO,          /* the request's messages back, status OK */
	FAKE_STREAM,        /* the request's messages three times, status OK */
	FAKE_BIDI,          /* each message back as soon as it arrives */
	FAKE_NOT_FOUND,     /* trailers-only NOT_FOUND, percent-encoded message */
	FAKE_UNIMPLEMENTED, /* trailers-only UNIMPLEMENTED */
	FAKE_HTTP_404,      /* HTTP 404 text/html, no gRPC at all */
	FAKE_DROP,          /* close the connection when a request ends */
	FAKE_SILENT         /* never answer a request */
};

typedef struct fake_server {
	int mode;
	int listen_fd;
	int port;
	char address[32];
	pthread_t thread;
} fake_server;

int fake_server_start(fake_server *srv, int mode);
/** Close the client connections first: a connection is served until it closes. */
void fake_server_stop(fake_server *srv);

#endif
