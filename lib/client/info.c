/*
 * Typed read-only calls about the server: health (grpc.health.v1), workers,
 * the queue and providers.
 */
#include <stdlib.h>
#include <string.h>

#include "client_convert.h"

int hodei_client_health(hodei_client *c, const char *service, int *status)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	Grpc__Health__V1__HealthCheckResponse *resp = NULL;
	int rc;

	if (!c || !status)
		return hodei__err(HODEI_EINVAL, "client and status: must not be NULL");
	req.service = (char *)(service ? service : "");
	rc = hodei__client_call_pb(c, "/grpc.health.v1.Health/Check", &req.base,
	                           &grpc__health__v1__health_check_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	*status = rc == 0 ? (int)resp->status : HODEI_HEALTH_UNKNOWN;
	if (resp)
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}

static int worker_from_pb(hodei_worker_info *w, const Hodei__Worker *pb)
{
	w->id = hodei__pb_strdup(pb->id);
	w->provider = hodei__pb_strdup(pb->provider);
	w->state = pb->state;
	w->job_id = hodei__pb_strdup_or_null(pb->job_id);
	w->started_at = hodei__pb_time_ms(pb->started_at);
	w->last_seen = hodei__pb_time_ms(pb->last_seen);
	w->jobs_run = pb->jobs_run;
	return w->id && w->provider && (w->job_id || !pb->job_id[0]) ? 0 : -1;
}

int hodei_client_worker_list(hodei_worker_array **out, hodei_client *c)
{
	Hodei__ListWorkersRequest req = HODEI__LIST_WORKERS_REQUEST__INIT;
	Hodei__ListWorkersResponse *resp = NULL;
	hodei_worker_array *list = NULL;
	size_t i;
	int rc;

	if (!out || !c)
		return hodei__err(HODEI_EINVAL, "out and client: must not be NULL");
	*out = NULL;
	rc = hodei__client_call_pb(c, "/hodei.WorkerAgentService/ListWorkers", &req.base,
	                           &hodei__list_workers_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	if (rc != 0)
		return rc;
	list = calloc(1, sizeof(*list));
	if (list)
		list->items = calloc(resp->n_workers + 1, sizeof(*list->items));
	for (i = 0; list && list->items && i < resp->n_workers; i++) {
		list->count = i + 1;
		if (worker_from_pb(&list->items[i], resp->workers[i]) != 0)
			break;
	}
	if (!list || !list->items || i < resp->n_workers) {
		hodei_worker_array_free(list);
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	} else {
		*out = list;
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}

int hodei_client_queue_status(hodei_queue_status *out, hodei_client *c,
                              const char *scheduler_name)
{
	Hodei__GetQueueStatusRequest req = HODEI__GET_QUEUE_STATUS_REQUEST__INIT;
	Hodei__GetQueueStatusResponse *resp = NULL;
	int rc;

	if (!out || !c)
		return hodei__err(HODEI_EINVAL, "out and client: must not be NULL");
	if (out->version != HODEI_QUEUE_STATUS_VERSION)
		return hodei__err(HODEI_EVERSION, "hodei_queue_status: unknown version %u",
		                  out->version);
	req.scheduler_name = (char *)(scheduler_name ? scheduler_name : "default");
	rc = hodei__client_call_pb(c, "/hodei.SchedulerService/GetQueueStatus", &req.base,
	                           &hodei__get_queue_status_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	if (rc != 0)
		return rc;
	out->queued = resp->queued_jobs;
	out->running = resp->running_jobs;
	out->max_queue_size = resp->max_queue_size > 0 ? resp->max_queue_size : -1;
	out->workers = resp->workers;
	out->workers_idle = resp->idle_workers;
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return 0;
}

static hodei_provider_info *provider_from_pb(const Hodei__Provider *pb)
{
	hodei_provider_info *p = calloc(1, sizeof(*p));
	int bad;

	if (!p)
		return NULL;
	p->version = 1;
	bad = !(p->name = hodei__pb_strdup(pb->name));
	bad |= !(p->type = hodei__pb_strdup(pb->type));
	p->endpoint = hodei__pb_strdup_or_null(pb->endpoint);
	bad |= hodei__pb_entries_to_vec(&p->labels, &p->nlabels, (void *const *)pb->labels,
	                                pb->n_labels) != 0;
	if (pb->capacity) {
		p->max_memory_bytes = pb->capacity->max_memory_bytes;
		p->max_vcpus = pb->capacity->max_vcpus;
		p->gpu = pb->capacity->gpu;
		p->max_workers = pb->capacity->max_workers;
	}
	p->has_token = pb->has_token;
	p->options_json = hodei__pb_strdup_or_null(pb->options_json);
	p->config_json = hodei__pb_strdup_or_null(pb->config_json);
	p->status = pb->status;
	p->health_score = pb->health_score;
	p->status_message = hodei__pb_strdup_or_null(pb->status_message);
	p->current_jobs = pb->current_jobs;
	p->workers = pb->workers;
	p->created_at = hodei__pb_time_ms(pb->created_at);
	p->updated_at = hodei__pb_time_ms(pb->updated_at);
	if (bad) {
		hodei_provider_info_free(p);
		return NULL;
	}
	return p;
}

/* Append an answer's providers to *list (grown); 0 or -1 on ENOMEM. */
static int providers_append(hodei_provider_array *list, const Hodei__ListProvidersResponse *resp)
{
	hodei_provider_info **grown;
	size_t i;

	grown = realloc(list->items, (list->count + resp->n_providers + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	list->items = grown;
	for (i = 0; i < resp->n_providers; i++) {
		if (!(list->items[list->count] = provider_from_pb(resp->providers[i])))
			return -1;
		list->count++;
	}
	return 0;
}

/* Every provider: the server sends more than one answer only when they
 * would not fit in one message; follow its tokens. */
int hodei_client_provider_list(hodei_provider_array **out, hodei_client *c)
{
	Hodei__ListProvidersRequest req = HODEI__LIST_PROVIDERS_REQUEST__INIT;
	hodei_provider_array *list;
	char *token = NULL;
	int rc = 0;

	if (!out || !c)
		return hodei__err(HODEI_EINVAL, "out and client: must not be NULL");
	*out = NULL;
	if (!(list = calloc(1, sizeof(*list))))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	do {
		Hodei__ListProvidersResponse *resp = NULL;

		req.page_token = token ? token : (char *)"";
		rc = hodei__client_call_pb(c, "/hodei.ProviderService/ListProviders", &req.base,
		                           &hodei__list_providers_response__descriptor,
		                           (ProtobufCMessage **)&resp);
		free(token);
		token = NULL;
		if (rc != 0)
			break;
		if (providers_append(list, resp) != 0 ||
		    (resp->next_page_token[0] && !(token = strdup(resp->next_page_token))))
			rc = hodei__err(HODEI_ENOMEM, "out of memory");
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	} while (rc == 0 && token);
	free(token);
	if (rc != 0) {
		hodei_provider_array_free(list);
		return rc;
	}
	*out = list;
	return 0;
}

int hodei_client_provider_get(hodei_provider_info **out, hodei_client *c, const char *name)
{
	Hodei__GetProviderRequest req = HODEI__GET_PROVIDER_REQUEST__INIT;
	Hodei__GetProviderResponse *resp = NULL;
	int rc;

	if (!out || !c || !name)
		return hodei__err(HODEI_EINVAL, "out, client and name: must not be NULL");
	*out = NULL;
	req.name = (char *)name;
	rc = hodei__client_call_pb(c, "/hodei.ProviderService/GetProvider", &req.base,
	                           &hodei__get_provider_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	if (rc != 0)
		return rc;
	if (!resp->provider)
		rc = hodei__err(HODEI_EIO, "GetProvider: the server's answer has no provider");
	else if (!(*out = provider_from_pb(resp->provider)))
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}
