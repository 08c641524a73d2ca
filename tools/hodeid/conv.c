/* Conversions between libhodei structs and protobuf-c messages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "pbwire.h"

void *pb_new(arena *a, const ProtobufCMessageDescriptor *d)
{
	void *p = arena_alloc(a, d->sizeof_message);
	if (p)
		protobuf_c_message_init(d, p);
	return p;
}

char *pb_str(arena *a, const char *s)
{
	if (!s)
		return (char *)"";
	/* The library takes any bytes from an embedder (a Latin-1 job name,
	 * say); proto3 strings must be UTF-8, or clients refuse the reply. */
	size_t len = strlen(s);
	if (hodei__pbwire_string_fault((const uint8_t *)s, len))
		return pb_utf8(a, s, len);
	return (char *)s;
}

/* Each of the n strings through pb_str(). */
static char **pb_strv(arena *a, char *const *v, size_t n)
{
	char **out = arena_alloc(a, (n + 1) * sizeof *out);
	for (size_t i = 0; out && i < n; i++)
		out[i] = pb_str(a, v[i]);
	return out;
}

char *pb_utf8(arena *a, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	char *out = len < SIZE_MAX / 4 ? arena_alloc(a, len * 3 + 1) : arena_alloc(a, SIZE_MAX);
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = p[i] ? hodei__pbwire_utf8_seq(p + i, len - i) : 0;
		if (n) {
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3); /* U+FFFD (NULs too) */
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

Google__Protobuf__Timestamp *pb_time_ms(arena *a, int64_t ms)
{
	if (ms <= 0)
		return NULL;
	Google__Protobuf__Timestamp *t = PB_NEW(a, google__protobuf__timestamp);
	if (!t)
		return NULL;
	t->seconds = ms / 1000;
	t->nanos = (int32_t)(ms % 1000) * 1000000;
	return t;
}

Google__Protobuf__Timestamp *pb_time_us(arena *a, int64_t us)
{
	if (us <= 0)
		return NULL;
	Google__Protobuf__Timestamp *t = PB_NEW(a, google__protobuf__timestamp);
	if (!t)
		return NULL;
	t->seconds = us / 1000000;
	t->nanos = (int32_t)(us % 1000000) * 1000;
	return t;
}

Google__Protobuf__Duration *pb_duration_ms(arena *a, int64_t ms)
{
	Google__Protobuf__Duration *d = PB_NEW(a, google__protobuf__duration);
	if (!d)
		return NULL;
	d->seconds = ms / 1000;
	d->nanos = (int32_t)(ms % 1000) * 1000000;
	return d;
}

int64_t pb_duration_to_ms(const Google__Protobuf__Duration *d)
{
	if (!d)
		return 0;
	if (d->seconds < 0 || d->nanos < 0 || d->nanos > 999999999 ||
	    d->seconds > 100LL * 365 * 24 * 3600)
		return -1;
	return d->seconds * 1000 + (d->nanos + 999999) / 1000000;
}

const char **pb_map_to_kv(arena *a, void *const *entries, size_t n)
{
	const char **kv = arena_alloc(a, (n + 1) * sizeof *kv);
	for (size_t i = 0; kv && i < n; i++) {
		/* Every map<string,string> entry is {base, key, value}. */
		const Hodei__JobDefinition__EnvironmentEntry *e = entries[i];
		kv[i] = arena_printf(a, "%s=%s", e->key ? e->key : "", e->value ? e->value : "");
	}
	return arena_failed(a) ? NULL : kv;
}

/* "k=v" strings into map entries of descriptor d. */
static void **kv_to_map(arena *a, char *const *kv, size_t n,
                        const ProtobufCMessageDescriptor *d)
{
	void **out = arena_alloc(a, (n ? n : 1) * sizeof *out);
	for (size_t i = 0; out && i < n; i++) {
		Hodei__JobDefinition__EnvironmentEntry *e = pb_new(a, d);
		if (!e)
			return NULL;
		const char *eq = strchr(kv[i], '=');
		size_t klen = eq ? (size_t)(eq - kv[i]) : strlen(kv[i]);
		e->key = pb_utf8(a, kv[i], klen);
		e->value = pb_str(a, eq ? eq + 1 : "");
		out[i] = e;
	}
	return out;
}

Hodei__Job *pb_job(arena *a, const hodei_job *j)
{
	Hodei__Job *p = PB_NEW(a, hodei__job);
	Hodei__JobDefinition *def = PB_NEW(a, hodei__job_definition);
	Hodei__JobId *id = PB_NEW(a, hodei__job_id);
	if (!p || !def || !id)
		return NULL;
	id->value = pb_str(a, j->id);
	def->job_id = id;
	def->name = pb_str(a, j->name);
	def->command = pb_str(a, j->command);
	def->n_arguments = j->nargs;
	def->arguments = pb_strv(a, j->args, j->nargs);
	def->n_environment = j->nenv;
	def->environment = (Hodei__JobDefinition__EnvironmentEntry **)kv_to_map(
		a, j->env, j->nenv, &hodei__job_definition__environment_entry__descriptor);
	def->priority = (Hodei__Priority)(j->priority ? j->priority : HODEI_PRIORITY_NORMAL);
	if (j->timeout_ms > 0)
		def->timeout = pb_duration_ms(a, j->timeout_ms);
	if (j->cpu_millis || j->memory_bytes) {
		if (!(def->resources = PB_NEW(a, hodei__resource_requirements)))
			return NULL;
		def->resources->cpu_millis = j->cpu_millis;
		def->resources->memory_bytes = j->memory_bytes;
	}
	def->n_labels = j->nlabels;
	def->labels = (Hodei__JobDefinition__LabelsEntry **)kv_to_map(
		a, j->labels, j->nlabels, &hodei__job_definition__labels_entry__descriptor);
	def->max_retries = (uint32_t)(j->max_retries > 0 ? j->max_retries : 0);
	def->working_directory = pb_str(a, j->workdir);
	def->shell = (j->flags & HODEI_JOB_SHELL) != 0;
	def->provider = pb_str(a, j->provider_pin);
	if (j->version >= 3) {
		/* Secret values never leave: whatever the entries hold, "***". */
		def->n_secret_environment = j->nsecret_env;
		def->secret_environment = (Hodei__JobDefinition__SecretEnvironmentEntry **)kv_to_map(
			a, j->secret_env, j->nsecret_env,
			&hodei__job_definition__secret_environment_entry__descriptor);
		for (size_t i = 0; i < j->nsecret_env; i++)
			def->secret_environment[i]->value = (char *)"***";
		p->token_name = pb_str(a, j->token_name);
	}
	p->id = pb_str(a, j->id);
	p->definition = def;
	p->state = (Hodei__JobState)j->state;
	p->attempt = j->attempt;
	p->exit_code = j->exit_code;
	p->term_signal = j->term_signal;
	p->reason = pb_str(a, j->reason);
	p->progress = j->progress;
	p->queued_by = pb_str(a, j->queued_by);
	p->created_at = pb_time_ms(a, j->created_at);
	p->queued_at = pb_time_ms(a, j->queued_at);
	p->started_at = pb_time_ms(a, j->started_at);
	p->finished_at = pb_time_ms(a, j->finished_at);
	if (j->cpu_time_us > 0)
		p->cpu_time = pb_duration_ms(a, j->cpu_time_us / 1000);
	p->max_rss_bytes = j->max_rss_kb > 0 ? (uint64_t)j->max_rss_kb * 1024 : 0;
	p->worker_id = pb_str(a, j->worker_id);
	p->provider = pb_str(a, j->provider);
	p->log_lines = j->log_lines;
	p->log_lines_lost = j->log_lines_lost;
	return arena_failed(a) ? NULL : p; /* never a message with holes */
}

int pb_text_cut(arena *a, char **s, size_t max)
{
	size_t len = strlen(*s);
	if (len <= max)
		return 0;
	len = max;
	while (len > 0 && ((unsigned char)(*s)[len] & 0xc0) == 0x80)
		len--; /* (*s)[len] continues a character: cut before it */
	char *out = arena_alloc(a, len + 1);
	if (!out)
		return 0; /* arena_failed(): the answer is refused */
	memcpy(out, *s, len);
	out[len] = '\0';
	*s = out;
	return 1;
}

int pb_job_summarize(arena *a, Hodei__Job *job)
{
	Hodei__JobDefinition *def = job->definition;
	int cut = 0;
	pb_text_cut(a, &job->reason, PB_SUMMARY_REASON); /* a worker's error text */
	if (!def)
		return 0;
	if (def->n_arguments > PB_SUMMARY_ITEMS) {
		def->n_arguments = PB_SUMMARY_ITEMS;
		cut = 1;
	}
	for (size_t i = 0; i < def->n_arguments; i++)
		cut |= pb_text_cut(a, &def->arguments[i], PB_SUMMARY_TEXT);
	if (def->n_environment > PB_SUMMARY_ITEMS) {
		def->n_environment = PB_SUMMARY_ITEMS;
		cut = 1;
	}
	for (size_t i = 0; i < def->n_environment; i++) {
		/* Entries may be shared with another message: cut a copy. */
		Hodei__JobDefinition__EnvironmentEntry *e = def->environment[i];
		if (strlen(e->value) <= PB_SUMMARY_TEXT)
			continue;
		Hodei__JobDefinition__EnvironmentEntry *c =
			PB_NEW(a, hodei__job_definition__environment_entry);
		if (!c)
			return cut; /* arena_failed(): the answer is refused */
		c->key = e->key;
		c->value = e->value;
		cut |= pb_text_cut(a, &c->value, PB_SUMMARY_TEXT);
		def->environment[i] = c;
	}
	job->definition_truncated = job->definition_truncated || cut;
	return cut;
}

static void own(arena *a, char **s)
{
	*s = arena_strdup(a, *s);
}

/* Map entries: keys are copies already (kv_to_map), values may be borrowed. */
static void own_values(arena *a, void **entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		own(a, &((Hodei__JobDefinition__EnvironmentEntry *)entries[i])->value);
}

void pb_job_own(arena *a, Hodei__Job *job)
{
	Hodei__JobDefinition *def = job->definition;
	own(a, &job->id);
	own(a, &job->reason);
	own(a, &job->queued_by);
	own(a, &job->token_name);
	own(a, &job->worker_id);
	own(a, &job->provider);
	if (!def)
		return;
	if (def->job_id)
		own(a, &def->job_id->value);
	own(a, &def->name);
	own(a, &def->command);
	for (size_t i = 0; i < def->n_arguments; i++)
		own(a, &def->arguments[i]);
	own_values(a, (void **)def->environment, def->n_environment);
	own_values(a, (void **)def->labels, def->n_labels);
	own(a, &def->working_directory);
	own(a, &def->provider);
}

size_t pb_repeated_size(const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	size_t varint = 1;
	for (size_t v = n; v >= 0x80; v >>= 7)
		varint++;
	return 1 + varint + n; /* tag, length, message (field numbers below 16) */
}

Hodei__LogEntry *pb_log_entry(arena *a, const char *job_id, const hodei_log_line *l)
{
	Hodei__LogEntry *e = PB_NEW(a, hodei__log_entry);
	if (!e)
		return NULL;
	e->job_id = pb_str(a, job_id);
	e->sequence = l->seq;
	e->timestamp = pb_time_us(a, l->ts_us);
	e->stream = (Hodei__LogStream)l->stream;
	e->level = (Hodei__LogLevel)l->level;
	e->attempt = l->attempt;
	e->line = pb_utf8(a, l->text, l->len);
	e->partial = (l->flags & HODEI_LOG_PARTIAL) != 0;
	return arena_failed(a) ? NULL : e;
}

Hodei__Provider *pb_provider(arena *a, const hodei_provider_info *i)
{
	Hodei__Provider *p = PB_NEW(a, hodei__provider);
	Hodei__ProviderCapacity *cap = PB_NEW(a, hodei__provider_capacity);
	if (!p || !cap)
		return NULL;
	p->name = pb_str(a, i->name);
	p->type = pb_str(a, i->type);
	p->endpoint = pb_str(a, i->endpoint);
	p->n_labels = i->nlabels;
	p->labels = (Hodei__Provider__LabelsEntry **)kv_to_map(
		a, i->labels, i->nlabels, &hodei__provider__labels_entry__descriptor);
	cap->max_memory_bytes = i->max_memory_bytes;
	cap->max_vcpus = i->max_vcpus;
	cap->gpu = i->gpu != 0;
	cap->max_workers = i->max_workers;
	p->capacity = cap;
	p->has_token = i->has_token != 0;
	p->options_json = pb_str(a, i->options_json);
	p->config_json = pb_str(a, i->config_json);
	p->status = (Hodei__ProviderStatus)i->status;
	p->health_score = i->health_score;
	p->status_message = pb_str(a, i->status_message);
	p->current_jobs = i->current_jobs;
	p->workers = i->workers;
	p->created_at = pb_time_ms(a, i->created_at);
	p->updated_at = pb_time_ms(a, i->updated_at);
	return arena_failed(a) ? NULL : p;
}

Hodei__Worker *pb_worker(arena *a, const hodei_worker_info *w)
{
	Hodei__Worker *p = PB_NEW(a, hodei__worker);
	if (!p)
		return NULL;
	p->id = pb_str(a, w->id);
	p->provider = pb_str(a, w->provider);
	p->state = (Hodei__WorkerState)w->state;
	p->job_id = pb_str(a, w->job_id);
	p->started_at = pb_time_ms(a, w->started_at);
	p->last_seen = pb_time_ms(a, w->last_seen);
	p->jobs_run = w->jobs_run;
	return arena_failed(a) ? NULL : p;
}

static int worker_id_cmp(const void *x, const void *y)
{
	return strcmp(((const hodei_worker_info *)x)->id, ((const hodei_worker_info *)y)->id);
}

int pb_worker_page(arena *a, hodei_worker_array *list, const char *page_token,
                   uint32_t page_size, Hodei__ListWorkersResponse *resp)
{
	size_t i = 0, bytes = 0;
	if (list->count > 1)
		qsort(list->items, list->count, sizeof *list->items, worker_id_cmp);
	while (page_token && *page_token && i < list->count &&
	       strcmp(list->items[i].id, page_token) <= 0)
		i++;
	if (!(resp->workers = arena_alloc(a, (list->count - i + 1) * sizeof *resp->workers)))
		return -1;
	for (; i < list->count; i++) {
		Hodei__Worker *w = pb_worker(a, &list->items[i]);
		if (!w)
			return -1;
		size_t n = pb_repeated_size(&w->base);
		if (resp->n_workers > 0 &&
		    ((page_size && resp->n_workers == page_size) || bytes + n > PB_PAGE_BYTES)) {
			resp->next_page_token = resp->workers[resp->n_workers - 1]->id;
			break;
		}
		resp->workers[resp->n_workers++] = w;
		bytes += n;
	}
	return 0;
}

static Hodei__StateCount **state_counts(arena *a, const int64_t *by_state, size_t *n)
{
	Hodei__StateCount **out = arena_alloc(a, 7 * sizeof *out);
	*n = 0;
	for (int s = HODEI_JOB_QUEUED; out && s <= HODEI_JOB_TIMED_OUT; s++) {
		Hodei__StateCount *c = PB_NEW(a, hodei__state_count);
		if (!c)
			return NULL;
		c->state = (Hodei__JobState)s;
		c->count = by_state[s];
		out[(*n)++] = c;
	}
	return out;
}

Hodei__AggregatedMetrics *pb_metrics(arena *a, const hodei_metrics *m,
                                     const hodei_provider_array *providers)
{
	Hodei__AggregatedMetrics *p = PB_NEW(a, hodei__aggregated_metrics);
	if (!p)
		return NULL;
	p->range = (Hodei__TimeRange)m->range;
	p->range_start = pb_time_ms(a, m->range_start_ms);
	p->range_end = pb_time_ms(a, m->range_end_ms);
	p->jobs_by_state = state_counts(a, m->jobs_by_state, &p->n_jobs_by_state);
	p->total_jobs = m->jobs_total;
	p->range_by_state = state_counts(a, m->range_by_state, &p->n_range_by_state);
	p->range_total_jobs = m->range_total;
	p->success_rate = m->success_rate;
	p->avg_duration = pb_duration_ms(a, (int64_t)m->avg_duration_ms);
	p->load1 = m->load1;
	p->load5 = m->load5;
	p->load15 = m->load15;
	p->cpu_count = m->ncpu;
	p->uptime = pb_duration_ms(a, m->uptime_ms);
	p->queue_depth = m->queue_depth;
	p->running_jobs = m->running;
	p->workers = m->workers;
	p->idle_workers = m->workers_idle;
	p->bucket_width = pb_duration_ms(a, m->bucket_ms);
	p->log_lines_captured = m->log_lines_captured;
	p->n_trend = m->nbuckets;
	if (!(p->trend = arena_alloc(a, (m->nbuckets + 1) * sizeof *p->trend)))
		return NULL;
	for (size_t i = 0; i < m->nbuckets; i++) {
		Hodei__TrendBucket *b = PB_NEW(a, hodei__trend_bucket);
		if (!b)
			return NULL;
		b->start = pb_time_ms(a, m->buckets[i].start_ms);
		b->succeeded = m->buckets[i].succeeded;
		b->failed = m->buckets[i].failed;
		b->cancelled = m->buckets[i].cancelled;
		p->trend[i] = b;
	}
	size_t np = providers ? providers->count : 0;
	p->n_providers = np;
	if (!(p->providers = arena_alloc(a, (np + 1) * sizeof *p->providers)))
		return NULL;
	for (size_t i = 0; i < np; i++) {
		const hodei_provider_info *pi = providers->items[i];
		Hodei__ProviderSummary *s = PB_NEW(a, hodei__provider_summary);
		if (!s)
			return NULL;
		s->name = pb_str(a, pi->name);
		s->type = pb_str(a, pi->type);
		s->status = (Hodei__ProviderStatus)pi->status;
		s->health_score = pi->health_score;
		s->current_jobs = pi->current_jobs;
		s->workers = pi->workers;
		p->providers[i] = s;
	}
	return arena_failed(a) ? NULL : p;
}

/* ---- failing a call: the status and message of an rpc_req ---- */

int rpc_fail(rpc_req *r, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	return status;
}

int rpc_nomem(rpc_req *r)
{
	return rpc_fail(r, HODEI_GRPC_RESOURCE_EXHAUSTED, "out of memory");
}

int rpc_fail_lib(rpc_req *r, int rc, const field_map *map)
{
	const char *msg = hodei_error_last();
	int status = hodei__grpc_status_from_result(rc);
	if (!msg || !*msg)
		msg = hodei_strerror(rc);
	size_t name_len = strcspn(msg, ":[");
	for (const field_map *f = map; f && f->lib; f++) {
		if (strlen(f->lib) == name_len && strncmp(msg, f->lib, name_len) == 0)
			return rpc_fail(r, status, "%s%s", f->proto, msg + name_len);
	}
	return rpc_fail(r, status, "%s", msg);
}
