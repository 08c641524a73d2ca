/*
 * Between protobuf-c messages of proto/hodei/ and the plain structs of the
 * public API, plus the typed unary call they all use.
 */
#include <stdlib.h>
#include <string.h>

#include "client_convert.h"

/* protobuf-c's allocator, noting out of memory (unpack says NULL for a
 * malformed message and for a failed allocation alike).  Messages it
 * unpacks are freed with the default allocator: both are malloc/free. */
static void *pb_alloc(void *nomem, size_t size)
{
	void *p = malloc(size);

	if (!p)
		*(int *)nomem = 1;
	return p;
}

static void pb_free(void *nomem, void *p)
{
	(void)nomem;
	free(p);
}

ProtobufCMessage *hodei__pb_unpack(const ProtobufCMessageDescriptor *desc, size_t len,
                                   const uint8_t *data, int *nomem)
{
	ProtobufCAllocator a = { pb_alloc, pb_free, nomem };

	*nomem = 0;
	return protobuf_c_message_unpack(desc, &a, len, data);
}

int hodei__client_call_pb(hodei_client *c, const char *method, const ProtobufCMessage *req,
                          const ProtobufCMessageDescriptor *resp_desc,
                          ProtobufCMessage **resp)
{
	size_t req_len = protobuf_c_message_get_packed_size(req), raw_len;
	uint8_t *req_buf = malloc(req_len ? req_len : 1);
	void *raw;
	int rc, nomem;

	*resp = NULL;
	if (!req_buf)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	protobuf_c_message_pack(req, req_buf);
	rc = hodei__client_unary(c, method, req_buf, req_len, &raw, &raw_len);
	free(req_buf);
	if (rc != 0)
		return rc;
	*resp = hodei__pb_unpack(resp_desc, raw_len, raw, &nomem);
	free(raw);
	if (!*resp && nomem)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if (!*resp)
		return hodei__err(HODEI_EIO, "%s: the server's answer is not a valid %s", method,
		                  resp_desc->name);
	return 0;
}

int64_t hodei__pb_time_ms(const Google__Protobuf__Timestamp *ts)
{
	if (!ts || (ts->seconds == 0 && ts->nanos == 0))
		return 0;
	return ts->seconds * 1000 + ts->nanos / 1000000;
}

int64_t hodei__pb_duration_us(const Google__Protobuf__Duration *d)
{
	return d ? d->seconds * 1000000 + d->nanos / 1000 : 0;
}

char *hodei__pb_strdup(const char *s)
{
	return strdup(s ? s : "");
}

int hodei__pb_dup_opt(char **out, const char *s)
{
	*out = s && s[0] ? strdup(s) : NULL;
	return s && s[0] && !*out ? -1 : 0;
}

/* Every protobuf-c map entry message has this layout. */
struct map_entry {
	ProtobufCMessage base;
	char *key;
	char *value;
};

int hodei__pb_entries_to_vec(char ***out, size_t *n, void *const *entries, size_t count)
{
	size_t i;

	*n = 0;
	*out = calloc(count ? count : 1, sizeof(char *));
	if (!*out)
		return -1;
	for (i = 0; i < count; i++) {
		const struct map_entry *e = entries[i];
		size_t klen = strlen(e->key), vlen = strlen(e->value);
		char *kv = malloc(klen + vlen + 2);

		if (!kv)
			return -1;
		memcpy(kv, e->key, klen);
		kv[klen] = '=';
		memcpy(kv + klen + 1, e->value, vlen + 1);
		(*out)[(*n)++] = kv;
	}
	return 0;
}

static int strv_dup(char ***out, size_t *n, char *const *src, size_t count)
{
	size_t i;

	*n = 0;
	*out = calloc(count ? count : 1, sizeof(char *));
	if (!*out)
		return -1;
	for (i = 0; i < count; i++) {
		if (!((*out)[i] = strdup(src[i])))
			return -1;
		(*n)++;
	}
	return 0;
}

static int job_fill(hodei_job *j, const Hodei__Job *pb)
{
	const Hodei__JobDefinition *d = pb->definition;
	int bad = 0;

	j->version = HODEI_JOB_VERSION;
	bad |= !(j->id = hodei__pb_strdup(pb->id));
	j->state = pb->state;
	j->attempt = pb->attempt;
	j->exit_code = pb->exit_code;
	j->term_signal = pb->term_signal;
	bad |= hodei__pb_dup_opt(&j->reason, pb->reason);
	j->progress = pb->progress;
	bad |= hodei__pb_dup_opt(&j->queued_by, pb->queued_by);
	bad |= hodei__pb_dup_opt(&j->token_name, pb->token_name);
	j->created_at = hodei__pb_time_ms(pb->created_at);
	j->queued_at = hodei__pb_time_ms(pb->queued_at);
	j->started_at = hodei__pb_time_ms(pb->started_at);
	j->finished_at = hodei__pb_time_ms(pb->finished_at);
	j->cpu_time_us = hodei__pb_duration_us(pb->cpu_time);
	j->max_rss_kb = (int64_t)(pb->max_rss_bytes / 1024);
	bad |= hodei__pb_dup_opt(&j->worker_id, pb->worker_id);
	bad |= hodei__pb_dup_opt(&j->provider, pb->provider);
	j->log_lines = pb->log_lines;
	j->log_lines_lost = pb->log_lines_lost;
	if (!d)
		return bad ? -1 : 0;
	bad |= !(j->name = hodei__pb_strdup(d->name));
	bad |= !(j->command = hodei__pb_strdup(d->command));
	bad |= strv_dup(&j->args, &j->nargs, d->arguments, d->n_arguments) != 0;
	bad |= hodei__pb_entries_to_vec(&j->env, &j->nenv, (void *const *)d->environment,
	                                d->n_environment) != 0;
	bad |= hodei__pb_entries_to_vec(&j->labels, &j->nlabels, (void *const *)d->labels,
	                                d->n_labels) != 0;
	bad |= hodei__pb_entries_to_vec(&j->secret_env, &j->nsecret_env,
	                                (void *const *)d->secret_environment,
	                                d->n_secret_environment) != 0;
	j->priority = d->priority ? (int)d->priority : HODEI_PRIORITY_NORMAL;
	j->timeout_ms = hodei__pb_duration_us(d->timeout) / 1000;
	if (d->resources) {
		j->cpu_millis = d->resources->cpu_millis;
		j->memory_bytes = d->resources->memory_bytes;
	}
	j->max_retries = (int)d->max_retries;
	bad |= hodei__pb_dup_opt(&j->workdir, d->working_directory);
	j->flags = (d->shell ? HODEI_JOB_SHELL : 0) |
	           (pb->definition_truncated ? HODEI_JOB_TRUNCATED : 0);
	bad |= hodei__pb_dup_opt(&j->provider_pin, d->provider);
	return bad ? -1 : 0;
}

int hodei__job_from_pb(hodei_job **out, const Hodei__Job *pb)
{
	hodei_job *j = calloc(1, sizeof(*j));

	*out = NULL;
	if (!j || job_fill(j, pb) != 0) {
		hodei_job_free(j);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	*out = j;
	return 0;
}
