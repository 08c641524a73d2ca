/* The transport-neutral face of a call (see call.h). */
#include "call.h"

int hodei__rpc_call_send(hodei_rpc_call *call, const uint8_t *msg, size_t len)
{
	if (call->finished || call->closed)
		return -1;
	return call->ops->send(call, msg, len);
}

void hodei__rpc_call_finish(hodei_rpc_call *call, int status, const char *message)
{
	if (call->finished || call->closed)
		return;
	call->ops->finish(call, status, message);
}

size_t hodei__rpc_call_pending(hodei_rpc_call *call)
{
	return call->closed ? 0 : call->ops->pending(call);
}
