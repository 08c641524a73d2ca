/* hodei.ProviderService.  Tokens go in, never out. */
#include <stdlib.h>
#include <string.h>

#include "grpc.h"
#include "svc.h"

static const field_map provider_fields[] = {
	{"name", "provider.name"},
	{"type", "provider.type"},
	{"endpoint", "provider.endpoint"},
	{"token", "provider.token"},
	{"labels", "provider.labels"},
	{"options", "provider.options_json"},
	{"options_json", "provider.options_json"},
	{"max_workers", "provider.capacity.max_workers"},
	{"max_vcpus", "provider.capacity.max_vcpus"},
	{"max_memory_bytes", "provider.capacity.max_memory_bytes"},
	{NULL, NULL},
};

static const field_map name_fields[] = {{"name", "name"}, {"limit", "limit"}, {NULL, NULL}};

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

static Hodei__Provider *snapshot(rpc_req *r, const char *name, int *status)
{
	hodei_provider_info *info;
	int rc = hodei_provider_get(&info, r->d->ctx, name);
	if (rc) {
		*status = rpc_fail_lib(r, rc, name_fields);
		return NULL;
	}
	ARENA_DEFER(r->a, hodei_provider_info_free, info);
	*status = 0;
	return pb_provider(r->a, info);
}

static int config_from_pb(rpc_req *r, const Hodei__ProviderSpec *p, hodei_provider_config *cfg)
{
	if (!p)
		return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT, "provider: required");
	for (size_t i = 0; i < p->n_labels; i++) { /* before joining: see svc_jobs.c */
		const char *k = p->labels[i]->key ? p->labels[i]->key : "";
		if (hodei_job_spec_label_key_validate("labels", k, strlen(k)) != 0)
			return rpc_fail_lib(r, HODEI_EINVAL, provider_fields);
	}
	cfg->name = p->name;
	cfg->type = p->type;
	cfg->endpoint = nonempty(p->endpoint);
	cfg->token = nonempty(p->token);
	cfg->labels = pb_map_to_kv(r->a, (void *const *)p->labels, p->n_labels);
	cfg->nlabels = p->n_labels;
	if (p->capacity) {
		cfg->max_memory_bytes = p->capacity->max_memory_bytes;
		cfg->max_vcpus = p->capacity->max_vcpus;
		cfg->gpu = p->capacity->gpu;
		cfg->max_workers = p->capacity->max_workers;
	}
	cfg->options_json = nonempty(p->options_json);
	return 0;
}

/* A provider a ListProviders request asks for. */
static int status_wanted(const Hodei__ListProvidersRequest *q, int status)
{
	int wanted = q->n_statuses == 0;
	for (size_t k = 0; k < q->n_statuses; k++)
		wanted |= (int)q->statuses[k] == status;
	return wanted;
}

/*
 * Every provider in one answer when they fit in a message; otherwise the
 * answer ends before the one that would not fit, and next_page_token (the
 * name of the last one sent) tells the next request where to go on.
 */
static int list_providers(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__ListProvidersRequest *q = (const void *)in;
	hodei_provider_array *list;
	int rc = hodei_provider_list(&list, r->d->ctx);
	if (rc)
		return rpc_fail_lib(r, rc, NULL);
	ARENA_DEFER(r->a, hodei_provider_array_free, list);
	size_t i = 0;
	if (q->page_token && *q->page_token) {
		while (i < list->count && strcmp(list->items[i]->name, q->page_token) != 0)
			i++;
		if (i == list->count)
			return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT,
			                "page_token: provider '%s' no longer exists; list again",
			                q->page_token);
		i++;
	}
	Hodei__ListProvidersResponse *resp = PB_NEW(r->a, hodei__list_providers_response);
	if (!resp)
		return rpc_nomem(r);
	resp->providers = arena_alloc(r->a, (list->count + 1) * sizeof *resp->providers);
	size_t bytes = 0;
	for (; i < list->count; i++) {
		if (!status_wanted(q, list->items[i]->status))
			continue;
		Hodei__Provider *p = pb_provider(r->a, list->items[i]);
		if (!p || !resp->providers)
			return rpc_nomem(r);
		size_t n = pb_repeated_size(&p->base);
		if (resp->n_providers > 0 && bytes + n > PB_PAGE_BYTES) {
			resp->next_page_token = resp->providers[resp->n_providers - 1]->name;
			break;
		}
		resp->providers[resp->n_providers++] = p;
		bytes += n;
	}
	*out = &resp->base;
	return 0;
}

static int get_provider(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__GetProviderRequest *q = (const void *)in;
	int status;
	Hodei__GetProviderResponse *resp = PB_NEW(r->a, hodei__get_provider_response);
	if (!resp)
		return rpc_nomem(r);
	resp->provider = snapshot(r, q->name, &status);
	*out = &resp->base;
	return status;
}

static int create_provider(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__CreateProviderRequest *q = (const void *)in;
	hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;
	int status = config_from_pb(r, q->provider, &cfg);
	if (status)
		return status;
	int rc = hodei_provider_add(r->d->ctx, &cfg);
	if (rc)
		return rpc_fail_lib(r, rc, provider_fields);
	LOG_INFO("provider created name=%s type=%s", cfg.name, cfg.type);
	Hodei__CreateProviderResponse *resp = PB_NEW(r->a, hodei__create_provider_response);
	if (!resp)
		return rpc_nomem(r);
	resp->provider = snapshot(r, cfg.name, &status);
	*out = &resp->base;
	return status;
}

static int update_provider(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__UpdateProviderRequest *q = (const void *)in;
	hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;
	int status = config_from_pb(r, q->provider, &cfg);
	if (status)
		return status;
	int rc = hodei_provider_update(r->d->ctx, &cfg);
	if (rc)
		return rpc_fail_lib(r, rc, provider_fields);
	Hodei__UpdateProviderResponse *resp = PB_NEW(r->a, hodei__update_provider_response);
	if (!resp)
		return rpc_nomem(r);
	resp->provider = snapshot(r, cfg.name, &status);
	*out = &resp->base;
	return status;
}

static int delete_provider(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__DeleteProviderRequest *q = (const void *)in;
	int rc = hodei_provider_remove(r->d->ctx, q->name);
	if (rc)
		return rpc_fail_lib(r, rc, name_fields);
	LOG_INFO("provider deleted name=%s", q->name);
	Hodei__DeleteProviderResponse *resp = PB_NEW(r->a, hodei__delete_provider_response);
	if (!resp)
		return rpc_nomem(r);
	*out = &resp->base;
	return 0;
}

/* The three operator actions share one shape: name + message -> provider. */
static int set_status(rpc_req *r, const char *name, const char *message, int status_to,
                      Hodei__Provider **out)
{
	int rc = hodei_provider_set_status(r->d->ctx, name, status_to, nonempty(message));
	if (rc)
		return rpc_fail_lib(r, rc, name_fields);
	LOG_INFO("provider status name=%s status=%s", name, hodei_provider_status_name(status_to));
	int status;
	*out = snapshot(r, name, &status);
	return status;
}

static int mark_healthy(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__MarkProviderHealthyRequest *q = (const void *)in;
	Hodei__MarkProviderHealthyResponse *resp = PB_NEW(r->a, hodei__mark_provider_healthy_response);
	if (!resp)
		return rpc_nomem(r);
	*out = &resp->base;
	return set_status(r, q->name, q->message, HODEI_PROVIDER_ACTIVE, &resp->provider);
}

static int set_maintenance(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__SetProviderMaintenanceRequest *q = (const void *)in;
	Hodei__SetProviderMaintenanceResponse *resp =
		PB_NEW(r->a, hodei__set_provider_maintenance_response);
	if (!resp)
		return rpc_nomem(r);
	*out = &resp->base;
	return set_status(r, q->name, q->message, HODEI_PROVIDER_MAINTENANCE, &resp->provider);
}

static int shutdown_provider(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__ShutdownProviderRequest *q = (const void *)in;
	Hodei__ShutdownProviderResponse *resp = PB_NEW(r->a, hodei__shutdown_provider_response);
	if (!resp)
		return rpc_nomem(r);
	*out = &resp->base;
	return set_status(r, q->name, q->message, HODEI_PROVIDER_OFFLINE, &resp->provider);
}

static int health_log(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__GetProviderHealthLogRequest *q = (const void *)in;
	hodei_health_log *log;
	int rc = hodei_provider_health_log(&log, r->d->ctx, q->name, q->limit);
	if (rc)
		return rpc_fail_lib(r, rc, name_fields);
	ARENA_DEFER(r->a, hodei_health_log_free, log);
	Hodei__GetProviderHealthLogResponse *resp =
		PB_NEW(r->a, hodei__get_provider_health_log_response);
	if (!resp)
		return rpc_nomem(r);
	resp->entries = arena_alloc(r->a, (log->count + 1) * sizeof *resp->entries);
	size_t bytes = 0; /* the newest entries that fit in one message */
	for (size_t i = 0; i < log->count; i++) {
		Hodei__HealthLogEntry *e = PB_NEW(r->a, hodei__health_log_entry);
		if (!e || !resp->entries || arena_failed(r->a))
			return rpc_nomem(r);
		e->time = pb_time_ms(r->a, log->items[i].at);
		e->status = (Hodei__ProviderStatus)log->items[i].status;
		e->score = log->items[i].score;
		e->message = pb_str(r->a, log->items[i].message);
		bytes += pb_repeated_size(&e->base);
		if (i > 0 && bytes > PB_PAGE_BYTES)
			break;
		resp->entries[resp->n_entries++] = e;
	}
	*out = &resp->base;
	return 0;
}

#define UNARY(name, type, fn) { "/hodei.ProviderService/" name, &type##__descriptor, 0, fn, NULL }

const hodeid_method hodeid_provider_methods[] = {
	UNARY("ListProviders", hodei__list_providers_request, list_providers),
	UNARY("GetProvider", hodei__get_provider_request, get_provider),
	UNARY("CreateProvider", hodei__create_provider_request, create_provider),
	UNARY("UpdateProvider", hodei__update_provider_request, update_provider),
	UNARY("DeleteProvider", hodei__delete_provider_request, delete_provider),
	UNARY("MarkProviderHealthy", hodei__mark_provider_healthy_request, mark_healthy),
	UNARY("SetProviderMaintenance", hodei__set_provider_maintenance_request, set_maintenance),
	UNARY("ShutdownProvider", hodei__shutdown_provider_request, shutdown_provider),
	UNARY("GetProviderHealthLog", hodei__get_provider_health_log_request, health_log),
	{NULL, NULL, 0, NULL, NULL},
};
