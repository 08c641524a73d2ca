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
	int bad = hodei__pb_dup_opt(&w->job_id, pb->job_id);

	w->id = hodei__pb_strdup(pb->id);
	w->provider = hodei__pb_strdup(pb->provider);
	w->state = pb->state;
	w->started_at = hodei__pb_time_ms(pb->started_at);
	w->last_seen = hodei__pb_time_ms(pb->last_seen);
	w->jobs_run = pb->jobs_run;
	return w->id && w->provider && !bad ? 0 : -1;
}

/*
 * Every page of a list whose request has page_token (at *req_token) and
 * whose answers say next_page_token: append(list, answer, &next) each,
 * following the tokens until an answer ends the list.
 */
static int follow_pages(hodei_client *c, const char *method, const ProtobufCMessage *req,
                        char **req_token, const ProtobufCMessageDescriptor *desc,
                        int (*append)(void *list, const ProtobufCMessage *resp,
                                      const char **next),
                        void *list)
{
	char *token = NULL;
	int rc;

	do {
		ProtobufCMessage *resp = NULL;
		const char *next = "";

		*req_token = token ? token : (char *)"";
		rc = hodei__client_call_pb(c, method, req, desc, &resp);
		free(token);
		token = NULL;
		if (rc != 0)
			break;
		if (append(list, resp, &next) != 0 || (next[0] && !(token = strdup(next))))
			rc = hodei__err(HODEI_ENOMEM, "out of memory");
		protobuf_c_message_free_unpacked(resp, NULL);
	} while (rc == 0 && token);
	free(token);
	return rc;
}

/* Append an answer's workers to the list (grown); 0 or -1 on ENOMEM. */
static int workers_append(void *to, const ProtobufCMessage *m, const char **next)
{
	const Hodei__ListWorkersResponse *resp = (const void *)m;
	hodei_worker_array *list = to;
	hodei_worker_info *grown;
	size_t i;

	*next = resp->next_page_token;
	grown = realloc(list->items, (list->count + resp->n_workers + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	list->items = grown;
	for (i = 0; i < resp->n_workers; i++) {
		memset(&list->items[list->count], 0, sizeof(*grown));
		list->count++; /* freed with the list, whatever it holds */
		if (worker_from_pb(&list->items[list->count - 1], resp->workers[i]) != 0)
			return -1;
	}
	return 0;
}

/* Every worker: the server answers in pages bounded by bytes. */
int hodei_client_worker_list(hodei_worker_array **out, hodei_client *c)
{
	Hodei__ListWorkersRequest req = HODEI__LIST_WORKERS_REQUEST__INIT;
	hodei_worker_array *list;
	int rc;

	if (!out || !c)
		return hodei__err(HODEI_EINVAL, "out and client: must not be NULL");
	*out = NULL;
	if (!(list = calloc(1, sizeof(*list))))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	rc = follow_pages(c, "/hodei.WorkerAgentService/ListWorkers", &req.base, &req.page_token,
	                  &hodei__list_workers_response__descriptor, workers_append, list);
	if (rc != 0) {
		hodei_worker_array_free(list);
		return rc;
	}
	*out = list;
	return 0;
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
	bad |= hodei__pb_dup_opt(&p->endpoint, pb->endpoint);
	bad |= hodei__pb_entries_to_vec(&p->labels, &p->nlabels, (void *const *)pb->labels,
	                                pb->n_labels) != 0;
	if (pb->capacity) {
		p->max_memory_bytes = pb->capacity->max_memory_bytes;
		p->max_vcpus = pb->capacity->max_vcpus;
		p->gpu = pb->capacity->gpu;
		p->max_workers = pb->capacity->max_workers;
	}
	p->has_token = pb->has_token;
	bad |= hodei__pb_dup_opt(&p->options_json, pb->options_json);
	bad |= hodei__pb_dup_opt(&p->config_json, pb->config_json);
	p->status = pb->status;
	p->health_score = pb->health_score;
	bad |= hodei__pb_dup_opt(&p->status_message, pb->status_message);
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

/* Append an answer's providers to the list (grown); 0 or -1 on ENOMEM. */
static int providers_append(void *to, const ProtobufCMessage *m, const char **next)
{
	const Hodei__ListProvidersResponse *resp = (const void *)m;
	hodei_provider_array *list = to;
	hodei_provider_info **grown;
	size_t i;

	*next = resp->next_page_token;
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
 * would not fit in one message. */
int hodei_client_provider_list(hodei_provider_array **out, hodei_client *c)
{
	Hodei__ListProvidersRequest req = HODEI__LIST_PROVIDERS_REQUEST__INIT;
	hodei_provider_array *list;
	int rc;

	if (!out || !c)
		return hodei__err(HODEI_EINVAL, "out and client: must not be NULL");
	*out = NULL;
	if (!(list = calloc(1, sizeof(*list))))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	rc = follow_pages(c, "/hodei.ProviderService/ListProviders", &req.base, &req.page_token,
	                  &hodei__list_providers_response__descriptor, providers_append, list);
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
