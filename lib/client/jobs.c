/*
 * Typed job calls: JobExecutionService QueueJob, GetJob, ListJobs,
 * CancelJob, RetryJob.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_convert.h"

#define JOBS_SERVICE "/hodei.JobExecutionService/"

/* The JobDefinition of a spec; strings point into the spec except map keys. */
typedef struct definition {
	Hodei__JobDefinition def;
	Hodei__JobId id;
	Google__Protobuf__Duration timeout;
	Hodei__ResourceRequirements resources;
	Hodei__JobDefinition__EnvironmentEntry *env;
	Hodei__JobDefinition__EnvironmentEntry **env_ptrs;
	Hodei__JobDefinition__LabelsEntry *labels;
	Hodei__JobDefinition__LabelsEntry **label_ptrs;
	Hodei__JobDefinition__SecretEnvironmentEntry *secret;
	Hodei__JobDefinition__SecretEnvironmentEntry **secret_ptrs;
} definition;

static void definition_free(definition *d)
{
	size_t i;

	for (i = 0; d->env && i < d->def.n_environment; i++)
		free(d->env[i].key);
	for (i = 0; d->labels && i < d->def.n_labels; i++)
		free(d->labels[i].key);
	for (i = 0; d->secret && i < d->def.n_secret_environment; i++)
		free(d->secret[i].key);
	free(d->secret);
	free(d->secret_ptrs);
	free(d->env);
	free(d->env_ptrs);
	free(d->labels);
	free(d->label_ptrs);
}

/* Split "key=value" into a malloc'd key and a pointer to the value. */
static int split_kv(const char *kv, char **key, char **value)
{
	const char *eq = strchr(kv, '=');

	*key = strndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
	*value = (char *)(eq ? eq + 1 : "");
	return *key ? 0 : -1;
}

static int definition_init(definition *d, const hodei_job_spec *spec)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	hodei__job_definition__init(&d->def);
	if (spec->id && spec->id[0]) {
		hodei__job_id__init(&d->id);
		d->id.value = (char *)spec->id;
		d->def.job_id = &d->id;
	}
	d->def.name = (char *)(spec->name ? spec->name : "");
	d->def.command = (char *)spec->command;
	d->def.n_arguments = spec->nargs;
	d->def.arguments = (char **)spec->args;
	d->def.priority = (Hodei__Priority)spec->priority;
	if (spec->timeout_ms > 0) {
		google__protobuf__duration__init(&d->timeout);
		d->timeout.seconds = spec->timeout_ms / 1000;
		d->timeout.nanos = (int32_t)(spec->timeout_ms % 1000) * 1000000;
		d->def.timeout = &d->timeout;
	}
	if (spec->cpu_millis || spec->memory_bytes) {
		hodei__resource_requirements__init(&d->resources);
		d->resources.cpu_millis = spec->cpu_millis;
		d->resources.memory_bytes = spec->memory_bytes;
		d->def.resources = &d->resources;
	}
	d->def.max_retries = (uint32_t)spec->max_retries;
	d->def.working_directory = (char *)(spec->workdir ? spec->workdir : "");
	d->def.shell = (spec->flags & HODEI_JOB_SHELL) != 0;
	d->def.provider = (char *)(spec->provider ? spec->provider : "");

	d->env = calloc(spec->nenv + 1, sizeof(*d->env));
	d->env_ptrs = calloc(spec->nenv + 1, sizeof(*d->env_ptrs));
	d->labels = calloc(spec->nlabels + 1, sizeof(*d->labels));
	d->label_ptrs = calloc(spec->nlabels + 1, sizeof(*d->label_ptrs));
	if (!d->env || !d->env_ptrs || !d->labels || !d->label_ptrs)
		return -1;
	for (i = 0; i < spec->nenv; i++) {
		hodei__job_definition__environment_entry__init(&d->env[i]);
		if (split_kv(spec->env[i], &d->env[i].key, &d->env[i].value) != 0)
			return -1;
		d->env_ptrs[i] = &d->env[i];
		d->def.n_environment = i + 1;
	}
	d->def.environment = d->env_ptrs;
	if (spec->version >= 2 && spec->nsecret_env > 0) { /* sent once, in this request */
		d->secret = calloc(spec->nsecret_env, sizeof(*d->secret));
		d->secret_ptrs = calloc(spec->nsecret_env, sizeof(*d->secret_ptrs));
		if (!d->secret || !d->secret_ptrs)
			return -1;
		for (i = 0; i < spec->nsecret_env; i++) {
			hodei__job_definition__secret_environment_entry__init(&d->secret[i]);
			if (split_kv(spec->secret_env[i], &d->secret[i].key, &d->secret[i].value) != 0)
				return -1;
			d->secret_ptrs[i] = &d->secret[i];
			d->def.n_secret_environment = i + 1;
		}
		d->def.secret_environment = d->secret_ptrs;
	}
	for (i = 0; i < spec->nlabels; i++) {
		hodei__job_definition__labels_entry__init(&d->labels[i]);
		if (split_kv(spec->labels[i], &d->labels[i].key, &d->labels[i].value) != 0)
			return -1;
		d->label_ptrs[i] = &d->labels[i];
		d->def.n_labels = i + 1;
	}
	d->def.labels = d->label_ptrs;
	return 0;
}

int hodei_client_job_queue(hodei_client *c, const hodei_job_spec *spec, hodei_job_id *id)
{
	Hodei__QueueJobRequest req = HODEI__QUEUE_JOB_REQUEST__INIT;
	Hodei__QueueJobResponse *resp = NULL;
	definition d;
	int rc;

	if (!c || !spec)
		return hodei__err(HODEI_EINVAL, "client and spec: must not be NULL");
	if ((rc = hodei_job_spec_validate(spec)) != 0)
		return rc;
	if (definition_init(&d, spec) != 0) {
		definition_free(&d);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	req.job_definition = &d.def;
	req.queued_by = (char *)(spec->queued_by ? spec->queued_by : "");
	rc = hodei__client_call_pb(c, JOBS_SERVICE "QueueJob", &req.base,
	                           &hodei__queue_job_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	definition_free(&d);
	if (rc == 0 && (!resp->job || !resp->job->id[0] ||
	                strlen(resp->job->id) > HODEI_JOB_ID_MAX))
		rc = hodei__err(HODEI_EIO, "QueueJob: the server's answer has no valid job id");
	if (rc == 0 && id)
		snprintf(id->str, sizeof(id->str), "%s", resp->job->id);
	if (resp)
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}

int hodei_client_job_get(hodei_job **out, hodei_client *c, const char *id)
{
	Hodei__GetJobRequest req = HODEI__GET_JOB_REQUEST__INIT;
	Hodei__GetJobResponse *resp = NULL;
	int rc;

	if (!out || !c || !id)
		return hodei__err(HODEI_EINVAL, "out, client and id: must not be NULL");
	*out = NULL;
	req.job_id = (char *)id;
	rc = hodei__client_call_pb(c, JOBS_SERVICE "GetJob", &req.base,
	                           &hodei__get_job_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	if (rc == 0 && !resp->job)
		rc = hodei__err(HODEI_EIO, "GetJob: the server's answer has no job");
	if (rc == 0)
		rc = hodei__job_from_pb(out, resp->job);
	if (resp)
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}

static int list_from_pb(hodei_job_page **out, const Hodei__ListJobsResponse *resp)
{
	hodei_job_page *list = calloc(1, sizeof(*list));
	size_t i;

	if (!list || !(list->jobs = calloc(resp->n_jobs + 1, sizeof(hodei_job *))))
		goto nomem;
	for (i = 0; i < resp->n_jobs; i++) {
		if (hodei__job_from_pb(&list->jobs[i], resp->jobs[i]) != 0)
			goto nomem;
		list->count = i + 1;
	}
	if (resp->next_page_token[0] && !(list->next_cursor = strdup(resp->next_page_token)))
		goto nomem;
	list->total = resp->total_count;
	list->total_is_lower_bound = resp->total_is_lower_bound;
	*out = list;
	return 0;
nomem:
	hodei_job_page_free(list);
	return hodei__err(HODEI_ENOMEM, "out of memory");
}

int hodei_client_job_list(hodei_job_page **out, hodei_client *c,
                          const hodei_job_filter *filter)
{
	Hodei__ListJobsRequest req = HODEI__LIST_JOBS_REQUEST__INIT;
	Hodei__ListJobsResponse *resp = NULL;
	Hodei__JobState states[8];
	int rc, s;

	if (!out || !c)
		return hodei__err(HODEI_EINVAL, "out and client: must not be NULL");
	*out = NULL;
	if (filter && filter->version != HODEI_JOB_FILTER_VERSION)
		return hodei__err(HODEI_EVERSION, "hodei_job_filter: unknown version %u",
		                  filter->version);
	if (filter) {
		for (s = HODEI_JOB_QUEUED; s <= HODEI_JOB_TIMED_OUT; s++)
			if (filter->state_mask & HODEI_STATE_BIT(s))
				states[req.n_states++] = (Hodei__JobState)s;
		req.states = states;
		req.search = (char *)(filter->search ? filter->search : "");
		req.page_token = (char *)(filter->cursor ? filter->cursor : "");
		req.page_size = (uint32_t)filter->limit;
		req.oldest_first = filter->order == HODEI_ORDER_OLDEST;
	}
	rc = hodei__client_call_pb(c, JOBS_SERVICE "ListJobs", &req.base,
	                           &hodei__list_jobs_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	if (rc == 0)
		rc = list_from_pb(out, resp);
	if (resp)
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}

/* CancelJob and RetryJob: a job id in, a Job out that we do not need. */
static int job_action(hodei_client *c, const char *method, const char *id)
{
	Hodei__CancelJobRequest req = HODEI__CANCEL_JOB_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	int rc;

	if (!c || !id)
		return hodei__err(HODEI_EINVAL, "client and id: must not be NULL");
	/* RetryJobRequest has the same single field (job_id = 1). */
	req.job_id = (char *)id;
	rc = hodei__client_call_pb(c, method, &req.base, &hodei__cancel_job_response__descriptor,
	                           &resp);
	if (resp)
		protobuf_c_message_free_unpacked(resp, NULL);
	return rc;
}

int hodei_client_job_cancel(hodei_client *c, const char *id)
{
	return job_action(c, JOBS_SERVICE "CancelJob", id);
}

int hodei_client_job_retry(hodei_client *c, const char *id)
{
	return job_action(c, JOBS_SERVICE "RetryJob", id);
}
