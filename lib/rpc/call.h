/*
 * One gRPC call as a service implementation sees it, whatever carries it:
 * HTTP/2 (h2server.c) or gRPC-Web over HTTP/1.1 (hodeid).  The transport
 * owns the call; the application hangs its state on `app` and releases it
 * when the transport reports the call closed.
 */
#ifndef HODEI_RPC_CALL_H
#define HODEI_RPC_CALL_H

#include <stddef.h>
#include <stdint.h>

typedef struct hodei_rpc_call hodei_rpc_call;

struct hodei_rpc_call_ops {
	/** Queue one message (unframed protobuf bytes).  -1 after finish/close. */
	int (*send)(hodei_rpc_call *call, const uint8_t *msg, size_t len);
	/** End the call with a status and an optional message (plain text). */
	void (*finish)(hodei_rpc_call *call, int status, const char *message);
	/** Response bytes queued but not yet written to the peer. */
	size_t (*pending)(hodei_rpc_call *call);
};

struct hodei_rpc_call {
	const struct hodei_rpc_call_ops *ops;
	const char *path;          /**< "/hodei.JobExecutionService/QueueJob" */
	const char *authorization; /**< the header's value, or NULL */
	int64_t timeout_ms;        /**< from grpc-timeout; -1 when none */
	int finished;              /**< finish() was called */
	int closed;                /**< the transport is done with it */
	void *app;                 /**< the application's state */
	/**
	 * Who the transport itself authenticated (a dashboard session: the name
	 * of the token it signed in with), or NULL: then `authorization` decides.
	 */
	const char *principal;
};

/** Queue a message; returns -1 if the call is finished or closed. */
int hodei__rpc_call_send(hodei_rpc_call *call, const uint8_t *msg, size_t len);
/** Finish once; later calls do nothing. */
void hodei__rpc_call_finish(hodei_rpc_call *call, int status, const char *message);
size_t hodei__rpc_call_pending(hodei_rpc_call *call);

#endif
