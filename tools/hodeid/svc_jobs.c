/* hodei.JobExecutionService over the libhodei job API. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conv.h"
#include "grpc.h"
#include "svc.h"

/* The library's field names and the API's. */
static const field_map job_fields[] = {
	{"id", "job_definition.job_id.value"},
	{"name", "job_definition.name"},
	{"command", "job_definition.command"},
	{"args", "job_definition.arguments"},
	{"env", "job_definition.environment"},
	{"secret_env", "job_definition.secret_environment"},
	{"token_name", "token_name"},
	{"priority", "job_definition.priority"},
	{"timeout", "job_definition.timeout"},
	{"timeout_ms", "job_definition.timeout"},
	{"cpu_millis", "job_definition.resources.cpu_millis"},
	{"memory_bytes", "job_definition.resources.memory_bytes"},
	{"labels", "job_definition.labels"},
	{"max_retries", "job_definition.max_retries"},
	{"workdir", "job_definition.working_directory"},
	{"queued_by", "queued_by"},
	{"provider", "job_definition.provider"},
	{"flags", "job_definition.shell"},
	{NULL, NULL},
};

static const field_map id_fields[] = {{"id", "job_id"}, {NULL, NULL}};

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* The maps' keys, checked by the library before they are joined into
 * "KEY=value": {"A=B": "C"} must not become A with the value "B=C". */
static int check_map_keys(rpc_req *r, const Hodei__JobDefinition *def)
{
	for (size_t i = 0; i < def->n_environment; i++) {
		const char *k = def->environment[i]->key ? def->environment[i]->key : "";
		if (hodei_job_spec_env_name_validate("env", k, strlen(k)) != 0)
			return rpc_fail_lib(r, HODEI_EINVAL, job_fields);
	}
	for (size_t i = 0; i < def->n_secret_environment; i++) {
		const char *k = def->secret_environment[i]->key ? def->secret_environment[i]->key : "";
		if (hodei_job_spec_env_name_validate("secret_env", k, strlen(k)) != 0)
			return rpc_fail_lib(r, HODEI_EINVAL, job_fields);
	}
	for (size_t i = 0; i < def->n_labels; i++) {
		const char *k = def->labels[i]->key ? def->labels[i]->key : "";
		if (hodei_job_spec_label_key_validate("labels", k, strlen(k)) != 0)
			return rpc_fail_lib(r, HODEI_EINVAL, job_fields);
	}
	return 0;
}

/* A JobDefinition as a hodei_job_spec whose strings borrow from def/r->a. */
static int spec_from_pb(rpc_req *r, const Hodei__JobDefinition *def, hodei_job_spec *spec)
{
	int status = check_map_keys(r, def);
	if (status)
		return status;
	if (def->job_id)
		spec->id = nonempty(def->job_id->value);
	spec->name = nonempty(def->name);
	spec->command = def->command;
	spec->args = (const char *const *)def->arguments;
	spec->nargs = def->n_arguments;
	spec->env = pb_map_to_kv(r->a, (void *const *)def->environment, def->n_environment);
	spec->nenv = def->n_environment;
	spec->secret_env = pb_map_to_kv(r->a, (void *const *)def->secret_environment,
	                                def->n_secret_environment);
	spec->nsecret_env = def->n_secret_environment;
	if ((int)def->priority < 0 || def->priority > HODEI__PRIORITY__PRIORITY_CRITICAL)
		return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT,
		                "job_definition.priority: unknown value %d", (int)def->priority);
	spec->priority = (int)def->priority;
	spec->timeout_ms = pb_duration_to_ms(def->timeout);
	if (spec->timeout_ms < 0)
		return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT,
		                "job_definition.timeout: must be a valid, non-negative duration");
	if (def->resources) {
		spec->cpu_millis = def->resources->cpu_millis;
		spec->memory_bytes = def->resources->memory_bytes;
	}
	spec->labels = pb_map_to_kv(r->a, (void *const *)def->labels, def->n_labels);
	spec->nlabels = def->n_labels;
	spec->max_retries = def->max_retries > INT_MAX ? INT_MAX : (int)def->max_retries;
	spec->workdir = nonempty(def->working_directory);
	spec->flags = def->shell ? HODEI_JOB_SHELL : 0;
	spec->provider = nonempty(def->provider);
	return arena_failed(r->a) ? rpc_nomem(r) : 0;
}

/* The job as just queued, without reading it back from the store. */
static Hodei__Job *queued_job(rpc_req *r, const hodei_job_spec *spec, const char *id)
{
	hodei_job j = {0};
	int64_t now = now_ms();
	j.version = HODEI_JOB_VERSION;
	j.id = (char *)id;
	j.name = (char *)(spec->name ? spec->name : spec->command);
	j.command = (char *)spec->command;
	j.args = (char **)spec->args;
	j.nargs = spec->nargs;
	j.env = (char **)spec->env;
	j.nenv = spec->nenv;
	j.labels = (char **)spec->labels;
	j.nlabels = spec->nlabels;
	j.priority = spec->priority;
	j.state = HODEI_JOB_QUEUED;
	j.timeout_ms = spec->timeout_ms;
	j.cpu_millis = spec->cpu_millis;
	j.memory_bytes = spec->memory_bytes;
	j.max_retries = spec->max_retries;
	j.workdir = (char *)spec->workdir;
	j.queued_by = (char *)spec->queued_by;
	j.flags = spec->flags;
	j.provider_pin = (char *)spec->provider;
	j.token_name = (char *)spec->token_name;
	j.secret_env = (char **)spec->secret_env; /* pb_job shows "***" for each */
	j.nsecret_env = spec->nsecret_env;
	j.attempt = 1;
	j.exit_code = -1;
	j.progress = -1;
	j.created_at = j.queued_at = now;
	Hodei__Job *p = pb_job(r->a, &j);
	if (!p)
		return NULL; /* arena_failed() */
	p->id = arena_strdup(r->a, id);
	p->definition->job_id->value = p->id;
	return svc_job_fit(r->a, p);
}

/*
 * QueueJob, batched: requests that arrive in the same turn of the loop are
 * queued in one transaction (hodei_job_submit_batch), then each is
 * answered.  Every answer still means "durably stored".  A batch the
 * library refuses is split: the offending request is submitted alone (so
 * it gets its own, exact error) and the others go again.
 */
#define BATCH_MAX 512

typedef struct pending_submit {
	hodeid_stream *s;
	Hodei__QueueJobRequest *req; /* owned: the spec borrows from it */
	rpc_req r;
	hodei_job_spec spec;
	struct pending_submit *prev, *next;
} pending_submit;

static pending_submit *pending_head, *pending_tail;
static struct event *batch_ev;

static void pending_unlink(pending_submit *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		pending_head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		pending_tail = p->prev;
	p->prev = p->next = NULL;
}

static void pending_free(pending_submit *p)
{
	if (p->s) {
		p->s->state = NULL;
		p->s->on_close = NULL;
	}
	hodei__queue_job_request__free_unpacked(p->req, NULL);
	arena_free(p->r.a);
	free(p);
}

/* The client went away before its turn. */
static void pending_cancel(hodeid_stream *s)
{
	pending_submit *p = s->state;
	if (!p)
		return;
	pending_unlink(p);
	p->s = NULL;
	pending_free(p);
}

static void pending_keep(hodeid_stream *s)
{
}

/* Answer one request: 0 with its id, or the library's error. */
static void pending_answer(pending_submit *p, int rc, const char *id)
{
	if (rc == 0) {
		Hodei__QueueJobResponse *resp = PB_NEW(p->r.a, hodei__queue_job_response);
		if (resp)
			resp->job = queued_job(&p->r, &p->spec, id);
		if (arena_failed(p->r.a)) { /* queued, but no answer can say so */
			stream_finish(p->s, HODEI_GRPC_RESOURCE_EXHAUSTED,
			              "out of memory after the job was queued");
		} else {
			stream_send(p->s, &resp->base);
			stream_finish(p->s, HODEI_GRPC_OK, NULL);
		}
	} else {
		int status = rpc_fail_lib(&p->r, rc, job_fields);
		stream_finish(p->s, status, p->r.err);
	}
	pending_free(p);
}

static void submit_alone(hodeid *d, pending_submit *p)
{
	hodei_job_id id;
	int rc = hodei_job_submit(d->ctx, &p->spec, &id);
	pending_answer(p, rc, id.str);
}

static void run_batch(evutil_socket_t fd, short what, void *arg)
{
	hodeid *d = arg;
	static hodei_job_spec specs[BATCH_MAX];
	static hodei_job_id ids[BATCH_MAX];
	static pending_submit *batch[BATCH_MAX];
	while (pending_head) {
		size_t n = 0;
		for (pending_submit *p = pending_head; p && n < BATCH_MAX; p = p->next)
			batch[n++] = p;
		for (size_t i = 0; i < n; i++) {
			pending_unlink(batch[i]);
			specs[i] = batch[i]->spec;
		}
		if (n == 1) {
			submit_alone(d, batch[0]);
			continue;
		}
		size_t bad = n;
		int rc = hodei_job_submit_batch(d->ctx, specs, n, ids, &bad);
		if (rc == 0) {
			for (size_t i = 0; i < n; i++)
				pending_answer(batch[i], 0, ids[i].str);
			continue;
		}
		if ((rc == HODEI_EINVAL || rc == HODEI_EEXISTS) && bad < n) {
			/* One request is at fault: it alone gets the error. */
			submit_alone(d, batch[bad]);
			for (size_t i = n; i-- > 0;) /* the rest go again, in order */
				if (i != bad) {
					batch[i]->next = pending_head;
					if (pending_head)
						pending_head->prev = batch[i];
					else
						pending_tail = batch[i];
					pending_head = batch[i];
				}
			continue;
		}
		for (size_t i = 0; i < n; i++)
			submit_alone(d, batch[i]);
	}
}

/* While a stop waits for running jobs (--shutdown-grace), nothing new starts. */
#define STOPPING_MESSAGE "the server is stopping; submit again once it has restarted"

static int queue_job(hodeid_stream *s, const ProtobufCMessage *in, char *err, size_t errlen)
{
	Hodei__QueueJobRequest *q = (Hodei__QueueJobRequest *)in;
	if (s->d->draining) { /* the request is ours on every path */
		hodei__queue_job_request__free_unpacked(q, NULL);
		snprintf(err, errlen, "%s", STOPPING_MESSAGE);
		return HODEI_GRPC_UNAVAILABLE;
	}
	pending_submit *p = calloc(1, sizeof *p);
	if (!p) { /* the request is ours, as below */
		hodei__queue_job_request__free_unpacked(q, NULL);
		snprintf(err, errlen, "out of memory");
		return HODEI_GRPC_RESOURCE_EXHAUSTED;
	}
	p->req = q;
	p->r.d = s->d;
	p->r.a = arena_new();
	hodei_job_spec init = HODEI_JOB_SPEC_INIT;
	p->spec = init;
	int status = q->job_definition
		? spec_from_pb(&p->r, q->job_definition, &p->spec)
		: rpc_fail(&p->r, HODEI_GRPC_INVALID_ARGUMENT, "job_definition: required");
	if (status) {
		snprintf(err, errlen, "%s", p->r.err);
		pending_free(p);
		return status;
	}
	p->spec.queued_by = nonempty(q->queued_by);
	if (!batch_ev && !(batch_ev = event_new(s->d->base, -1, 0, run_batch, s->d))) {
		snprintf(err, errlen, "out of memory");
		pending_free(p);
		return HODEI_GRPC_RESOURCE_EXHAUSTED;
	}
	p->spec.token_name = s->principal[0] ? arena_strdup(p->r.a, s->principal) : NULL;
	p->s = s;
	s->state = p;
	s->on_close = pending_cancel;
	s->on_shutdown = pending_keep; /* in flight: it is answered this turn */
	p->prev = pending_tail;
	if (pending_tail)
		pending_tail->next = p;
	else
		pending_head = p;
	pending_tail = p;
	/* After what is readable now has been read: the batch fills up. */
	if (!event_pending(batch_ev, EV_TIMEOUT, NULL))
		event_active(batch_ev, EV_TIMEOUT, 0);
	return 0;
}

Hodei__Job *svc_job_snapshot(rpc_req *r, const char *id, int *status)
{
	hodei_job *job;
	int rc = hodei_job_get(&job, r->d->ctx, id);
	if (rc) {
		*status = rpc_fail_lib(r, rc, id_fields);
		return NULL;
	}
	ARENA_DEFER(r->a, hodei_job_free, job);
	*status = 0;
	return svc_job_fit(r->a, pb_job(r->a, job));
}

Hodei__Job *svc_job_fit(arena *a, Hodei__Job *job)
{
	if (job && protobuf_c_message_get_packed_size(&job->base) > PB_PAGE_BYTES)
		pb_job_summarize(a, job);
	return job;
}

int svc_job_owned(hodeid *d, int role, const char *principal, const char *id)
{
	hodei_job *job;
	if (role != HODEI_ROLE_SUBMIT || !id || hodei_job_get(&job, d->ctx, id) != 0)
		return 1; /* not a submit token; or no such job, which the handler says */
	int ok = auth_owns(d, role, principal, job->token_name);
	hodei_job_free(job);
	return ok;
}

int svc_owner_check(rpc_req *r, const char *id)
{
	if (svc_job_owned(r->d, r->role, r->principal, id))
		return 0;
	return rpc_fail(r, HODEI_GRPC_PERMISSION_DENIED,
	                "job_id: job '%s' was queued by another token (a submit token sees its own)",
	                id);
}

static int require_job_id(rpc_req *r, const char *id)
{
	if (!id || !*id)
		return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT, "job_id: required");
	return 0;
}

static int cancel_job(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__CancelJobRequest *q = (const void *)in;
	int status = require_job_id(r, q->job_id);
	if (!status)
		status = svc_owner_check(r, q->job_id);
	if (status)
		return status;
	int rc = hodei_job_cancel(r->d->ctx, q->job_id);
	if (rc)
		return rpc_fail_lib(r, rc, id_fields);
	Hodei__CancelJobResponse *resp = PB_NEW(r->a, hodei__cancel_job_response);
	if (!resp)
		return rpc_nomem(r);
	resp->job = svc_job_snapshot(r, q->job_id, &status);
	*out = &resp->base;
	return status;
}

static int retry_job(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__RetryJobRequest *q = (const void *)in;
	int status = require_job_id(r, q->job_id);
	if (status)
		return status;
	if (r->d->draining)
		return rpc_fail(r, HODEI_GRPC_UNAVAILABLE, "%s", STOPPING_MESSAGE);
	int rc = hodei_job_retry(r->d->ctx, q->job_id);
	if (rc)
		return rpc_fail_lib(r, rc, id_fields);
	Hodei__RetryJobResponse *resp = PB_NEW(r->a, hodei__retry_job_response);
	if (!resp)
		return rpc_nomem(r);
	resp->job = svc_job_snapshot(r, q->job_id, &status);
	*out = &resp->base;
	return status;
}

/*
 * A worker's own report: refused (UNAUTHENTICATED, as Connect refuses a
 * bad hello) unless session_token is the session Register gave worker_id.
 * The API token alone is not enough, and the token is never echoed.
 */
static int worker_report_check(rpc_req *r, const char *job_id, const char *worker_id,
                               const char *session_token, hodei_worker **w)
{
	if (!session_token || !*session_token)
		return rpc_fail(r, HODEI_GRPC_UNAUTHENTICATED, "session_token: required");
	*w = agent_worker_auth(r->d, worker_id, session_token);
	if (!*w)
		return rpc_fail(r, HODEI_GRPC_UNAUTHENTICATED,
		                "session_token: unknown worker or session; register again");
	return require_job_id(r, job_id);
}

static int start_job(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__StartJobRequest *q = (const void *)in;
	hodei_worker *w = NULL;
	int status = worker_report_check(r, q->job_id, q->worker_id, q->session_token, &w);
	if (status)
		return status;
	if (hodei_worker_job_started(w, q->job_id, q->attempt) != 0)
		return rpc_fail(r, HODEI_GRPC_FAILED_PRECONDITION,
		                "attempt: worker '%s' does not hold attempt %d of job '%s'",
		                q->worker_id, q->attempt, q->job_id);
	Hodei__StartJobResponse *resp = PB_NEW(r->a, hodei__start_job_response);
	if (!resp)
		return rpc_nomem(r);
	resp->job = svc_job_snapshot(r, q->job_id, &status);
	*out = &resp->base;
	return status;
}

static int complete_job(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__CompleteJobRequest *q = (const void *)in;
	hodei_worker *w = NULL;
	int status = worker_report_check(r, q->job_id, q->worker_id, q->session_token, &w);
	if (status)
		return status;
	hodei_run_result res = HODEI_RUN_RESULT_INIT;
	res.exit_code = q->exit_code;
	res.term_signal = q->term_signal;
	res.timed_out = q->timed_out;
	res.cancelled = q->cancelled;
	res.error = nonempty(q->error);
	if (hodei_worker_job_finished(w, q->job_id, q->attempt, &res) != 0)
		return rpc_fail(r, HODEI_GRPC_FAILED_PRECONDITION,
		                "attempt: worker '%s' does not hold attempt %d of job '%s'",
		                q->worker_id, q->attempt, q->job_id);
	Hodei__CompleteJobResponse *resp = PB_NEW(r->a, hodei__complete_job_response);
	if (!resp)
		return rpc_nomem(r);
	resp->job = svc_job_snapshot(r, q->job_id, &status);
	*out = &resp->base;
	return status;
}

static int get_job(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__GetJobRequest *q = (const void *)in;
	int status = require_job_id(r, q->job_id);
	if (!status)
		status = svc_owner_check(r, q->job_id);
	if (status)
		return status;
	Hodei__GetJobResponse *resp = PB_NEW(r->a, hodei__get_job_response);
	if (!resp)
		return rpc_nomem(r);
	resp->job = svc_job_snapshot(r, q->job_id, &status);
	if (status)
		return status;
	hodei_transition_list *h;
	int rc = hodei_job_history(&h, r->d->ctx, q->job_id);
	if (rc)
		return rpc_fail_lib(r, rc, id_fields);
	ARENA_DEFER(r->a, hodei_transition_list_free, h);
	resp->n_history = h->count;
	resp->history = arena_alloc(r->a, (h->count + 1) * sizeof *resp->history);
	for (size_t i = 0; i < h->count; i++) {
		Hodei__JobTransition *t = PB_NEW(r->a, hodei__job_transition);
		if (!t || !resp->history)
			return rpc_nomem(r);
		t->attempt = h->items[i].attempt;
		t->state = (Hodei__JobState)h->items[i].state;
		t->time = pb_time_ms(r->a, h->items[i].at);
		t->reason = pb_str(r->a, h->items[i].reason);
		resp->history[i] = t;
	}
	if (arena_failed(r->a)) /* before sizing a message with holes */
		return rpc_nomem(r);
	/* The whole definition, unless it and the history cannot share a
	 * message: a summary then, flagged, rather than no answer. */
	if (protobuf_c_message_get_packed_size(&resp->base) > PB_PAGE_BYTES)
		pb_job_summarize(r->a, resp->job);
	/* Reasons are the library's, or a worker's error text: long ones, over
	 * many attempts, are cut short rather than make the answer too big. */
	for (size_t i = 0; i < resp->n_history &&
	                   protobuf_c_message_get_packed_size(&resp->base) > PB_PAGE_BYTES; i++)
		pb_text_cut(r->a, &resp->history[i]->reason, PB_SUMMARY_TEXT);
	*out = &resp->base;
	return 0;
}

/*
 * The library's pages are read in chunks of at most LIST_CHUNK jobs, so that
 * jobs carrying megabytes of arguments are not all loaded at once; the page
 * ends at page_size jobs, at PB_PAGE_BYTES of summaries, or when the library
 * has no more (or a broad search has looked at as many jobs as it may).
 */
#define LIST_CHUNK 64

typedef struct list_page {
	Hodei__Job **jobs;
	size_t count, want, bytes;
	int64_t last_seq; /* store row of the last job taken */
	char *next;       /* the page token to answer with, NULL on the last page */
} list_page;

/* Add a library chunk's jobs while they fit; 1 when the page is complete. */
static int list_take(rpc_req *r, list_page *lp, const hodei_job_page *chunk)
{
	for (size_t i = 0; i < chunk->count; i++) {
		if (!auth_owns(r->d, r->role, r->principal, chunk->jobs[i]->token_name)) {
			lp->last_seq = chunk->jobs[i]->seq; /* passed over, as if sent */
			continue;
		}
		Hodei__Job *job = pb_job(r->a, chunk->jobs[i]);
		if (!job)
			return 1; /* arena_failed(): the answer is refused */
		pb_job_summarize(r->a, job);
		pb_job_own(r->a, job); /* the chunk is freed before the answer is sent */
		if (arena_failed(r->a))
			return 1;
		size_t n = pb_repeated_size(&job->base);
		if (lp->count > 0 && lp->bytes + n > PB_PAGE_BYTES) {
			/* The library's cursor is the store row of the last job of a
			 * page (lib/search.c): the next page starts after the last
			 * job sent. */
			lp->next = arena_printf(r->a, "%lld", (long long)lp->last_seq);
			return 1;
		}
		lp->jobs[lp->count++] = job;
		lp->bytes += n;
		lp->last_seq = chunk->jobs[i]->seq;
	}
	lp->next = chunk->next_cursor ? arena_strdup(r->a, chunk->next_cursor) : NULL;
	return lp->count >= lp->want || !lp->next;
}

static int list_jobs(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__ListJobsRequest *q = (const void *)in;
	static const field_map list_fields[] = {
		{"cursor", "page_token"}, {"limit", "page_size"}, {"state_mask", "states"},
		{"search", "search"}, {NULL, NULL},
	};
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	for (size_t i = 0; i < q->n_states; i++) {
		int s = (int)q->states[i];
		if (s < HODEI_JOB_QUEUED || s > HODEI_JOB_TIMED_OUT)
			return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT, "states[%zu]: unknown state %d", i, s);
		f.state_mask |= HODEI_STATE_BIT(s);
	}
	if (q->page_size > 1000)
		return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT, "page_size: at most 1000");
	f.search = nonempty(q->search);
	f.cursor = nonempty(q->page_token);
	f.order = q->oldest_first ? HODEI_ORDER_OLDEST : HODEI_ORDER_NEWEST;
	list_page lp = {0};
	lp.want = q->page_size ? q->page_size : 50;
	if (!(lp.jobs = arena_alloc(r->a, (lp.want + 1) * sizeof *lp.jobs)))
		return rpc_nomem(r);
	for (int done = 0; !done;) {
		hodei_job_page *chunk;
		size_t left = lp.want - lp.count;
		f.limit = left < LIST_CHUNK ? left : LIST_CHUNK;
		int rc = hodei_job_list(&chunk, r->d->ctx, &f);
		if (rc)
			return rpc_fail_lib(r, rc, list_fields);
		/* A short chunk with a cursor is a search that looked far enough. */
		done = list_take(r, &lp, chunk) || chunk->count < f.limit;
		hodei_job_page_free(chunk);
		f.cursor = lp.next;
	}
	if (arena_failed(r->a))
		return rpc_nomem(r);
	int64_t total = 0;
	int lower_bound = 0;
	int rc = r->role == HODEI_ROLE_SUBMIT ? 0
	         : hodei_job_count_capped(r->d->ctx, &f, r->d->cfg.count_cap, &total, &lower_bound);
	if (rc)
		return rpc_fail_lib(r, rc, list_fields);
	if (r->role == HODEI_ROLE_SUBMIT) /* others' jobs are not counted: as many as it sees */
		total = (int64_t)lp.count + (lp.next ? 1 : 0);
	Hodei__ListJobsResponse *resp = PB_NEW(r->a, hodei__list_jobs_response);
	if (!resp)
		return rpc_nomem(r);
	resp->n_jobs = lp.count;
	resp->jobs = lp.jobs;
	resp->next_page_token = lp.next ? lp.next : (char *)"";
	resp->total_count = total;
	resp->total_is_lower_bound = lower_bound != 0;
	*out = &resp->base;
	return 0;
}

/* ---- WatchJobs: state changes and progress as they happen ---- */

#define WATCH_MAX_PENDING (1u << 20)

typedef struct watch {
	hodei_sub *sub;
	char **ids;
	size_t nids;
} watch;

static int watch_wants(const watch *w, const char *job_id)
{
	if (w->nids == 0)
		return 1;
	for (size_t i = 0; i < w->nids; i++)
		if (job_id && strcmp(w->ids[i], job_id) == 0)
			return 1;
	return 0;
}

static void watch_event(const hodei_event *ev, void *userdata)
{
	hodeid_stream *s = userdata;
	watch *w = s->state;
	if (s->call->finished || !watch_wants(w, ev->job_id) ||
	    !svc_job_owned(s->d, s->role, s->principal, ev->job_id))
		return;
	if (stream_pending(s) > WATCH_MAX_PENDING) {
		stream_finish(s, HODEI_GRPC_RESOURCE_EXHAUSTED,
		              "the client reads too slowly; watch again");
		return;
	}
	rpc_req r = {s->d, arena_new(), "", s->principal, s->role};
	Hodei__WatchJobsResponse *m = PB_NEW(r.a, hodei__watch_jobs_response);
	if (!m) { /* a watcher never misses an event silently */
		stream_finish(s, HODEI_GRPC_RESOURCE_EXHAUSTED, "out of memory; watch again");
		arena_free(r.a);
		return;
	}
	m->job_id = pb_str(r.a, ev->job_id);
	m->attempt = ev->attempt;
	m->time = pb_time_us(r.a, ev->at_us);
	if (ev->type == HODEI_EVENT_JOB_STATE) {
		int status;
		m->kind = HODEI__JOB_EVENT_KIND__JOB_EVENT_KIND_STATE;
		m->state = (Hodei__JobState)ev->state;
		m->previous_state = (Hodei__JobState)ev->old_state;
		m->reason = pb_str(r.a, ev->reason);
		m->job = svc_job_snapshot(&r, ev->job_id, &status);
		if (m->job) { /* the event's own view wins over a later snapshot */
			m->job->state = m->state;
			pb_job_summarize(r.a, m->job); /* every watcher gets it */
		}
	} else {
		m->kind = HODEI__JOB_EVENT_KIND__JOB_EVENT_KIND_PROGRESS;
		m->progress = ev->progress;
	}
	if (arena_failed(r.a))
		stream_finish(s, HODEI_GRPC_RESOURCE_EXHAUSTED, "out of memory; watch again");
	else
		stream_send(s, &m->base);
	arena_free(r.a);
}

static void watch_close(hodeid_stream *s)
{
	watch *w = s->state;
	hodei_sub_close(w->sub);
	for (size_t i = 0; i < w->nids; i++)
		free(w->ids[i]);
	free(w->ids);
	free(w);
}

static int watch_jobs(hodeid_stream *s, const ProtobufCMessage *in, char *err, size_t errlen)
{
	const Hodei__WatchJobsRequest *q = (const void *)in;
	watch *w = calloc(1, sizeof *w);
	if (!w || !(w->ids = calloc(q->n_job_ids + 1, sizeof *w->ids))) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return HODEI_GRPC_RESOURCE_EXHAUSTED;
	}
	s->state = w; /* from here watch_close frees it */
	s->on_close = watch_close;
	for (size_t i = 0; i < q->n_job_ids; i++)
		if (!(w->ids[w->nids++] = strdup(q->job_ids[i]))) {
			snprintf(err, errlen, "out of memory");
			return HODEI_GRPC_RESOURCE_EXHAUSTED;
		}
	hodei_sub_options o = HODEI_SUB_OPTIONS_INIT;
	o.mask = HODEI_EVENT_JOB_STATE | (q->include_progress ? HODEI_EVENT_JOB_PROGRESS : 0);
	o.job_id = w->nids == 1 ? w->ids[0] : NULL;
	o.callback = watch_event;
	o.userdata = s;
	s->state = w;
	s->on_close = watch_close;
	if (hodei_sub_open(&w->sub, s->d->ctx, &o) != 0) {
		snprintf(err, errlen, "cannot subscribe: %s", hodei_error_last());
		return HODEI_GRPC_INTERNAL;
	}
	return 0;
}

#define UNARY(name, type, fn)                                                   \
	{ "/hodei.JobExecutionService/" name, &type##__descriptor, 0, fn, NULL }

const hodeid_method hodeid_job_methods[] = {
	{"/hodei.JobExecutionService/QueueJob", &hodei__queue_job_request__descriptor,
	 M_KEEP_REQUEST, NULL, queue_job},
	UNARY("CancelJob", hodei__cancel_job_request, cancel_job),
	UNARY("StartJob", hodei__start_job_request, start_job),
	UNARY("CompleteJob", hodei__complete_job_request, complete_job),
	UNARY("GetJob", hodei__get_job_request, get_job),
	UNARY("ListJobs", hodei__list_jobs_request, list_jobs),
	UNARY("RetryJob", hodei__retry_job_request, retry_job),
	{"/hodei.JobExecutionService/WatchJobs", &hodei__watch_jobs_request__descriptor, 0, NULL,
	 watch_jobs},
	{NULL, NULL, 0, NULL, NULL},
};
