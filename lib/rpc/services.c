/* The table of services and method lookup by request path. */
#include "services.h"

#include <string.h>

#include "grpc_health_v1_health.pb-c.h"
#include "grpc_reflection_v1_reflection.pb-c.h"
#include "grpc_reflection_v1alpha_reflection.pb-c.h"
#include "hodei_api_token.pb-c.h"
#include "hodei_job_execution.pb-c.h"
#include "hodei_log_stream.pb-c.h"
#include "hodei_metrics.pb-c.h"
#include "hodei_provider.pb-c.h"
#include "hodei_scheduler.pb-c.h"
#include "hodei_worker_agent.pb-c.h"

const ProtobufCServiceDescriptor *const hodei__rpc_services[] = {
	&hodei__job_execution_service__descriptor,
	&hodei__log_stream_service__descriptor,
	&hodei__metrics_service__descriptor,
	&hodei__scheduler_service__descriptor,
	&hodei__worker_agent_service__descriptor,
	&hodei__provider_service__descriptor,
	&hodei__api_token_service__descriptor,
	&grpc__health__v1__health__descriptor,
	&grpc__reflection__v1__server_reflection__descriptor,
	&grpc__reflection__v1alpha__server_reflection__descriptor,
	NULL,
};

const ProtobufCMethodDescriptor *hodei__rpc_find_method(const char *path,
                                                        const ProtobufCServiceDescriptor **service)
{
	if (!path || path[0] != '/')
		return NULL;
	const char *slash = strchr(path + 1, '/');
	if (!slash)
		return NULL;
	size_t svc_len = (size_t)(slash - path - 1);
	for (size_t i = 0; hodei__rpc_services[i]; i++) {
		const ProtobufCServiceDescriptor *s = hodei__rpc_services[i];
		if (strlen(s->name) != svc_len || memcmp(s->name, path + 1, svc_len) != 0)
			continue;
		for (unsigned m = 0; m < s->n_methods; m++) {
			if (strcmp(s->methods[m].name, slash + 1) == 0) {
				if (service)
					*service = s;
				return &s->methods[m];
			}
		}
		return NULL;
	}
	return NULL;
}
