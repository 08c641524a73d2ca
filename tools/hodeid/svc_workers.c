/*
 * hodei.WorkerAgentService: remote hodei-worker agents.
 *
 * Register trades a worker token (one-time, from a provider, or the join
 * token of static pools) for a worker and a session secret.  Connect binds
 * the agent to that worker (hodei_worker_bind_agent): from then on the
 * library's run/cancel/detach go down the stream as AssignJob,
 * CancelAssignedJob and ShutdownWorker, and the agent's reports come back
 * as hodei_worker_job_*() calls, which the library fences by attempt.
 *
 * Leases.  The server acknowledges every heartbeat; an agent that has had
 * no acknowledgement for agent_timeout (heartbeat_timeout minus one
 * heartbeat_interval, counted from the sending of its last acknowledged
 * heartbeat) kills its job.  The server counts heartbeat_timeout from the
 * receipt of that heartbeat or a later message, so the agent's deadline
 * always passes first: a partitioned agent has stopped its job before the
 * job is requeued (hodei_worker_lost).  For the same reason a stream that
 * breaks while the agent holds a job does not free the job at once: only
 * the lease's end, or the agent closing its stream or registering again
 * (both after it killed the job), does.  An idle agent's broken stream
 * frees the worker at once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <event2/event.h>

#include "grpc.h"
#include "svc.h"

struct hodeid_agent {
	hodeid *d;
	hodeid_agent *prev, *next;
	char worker_id[128];
	char session[65];
	hodei_worker *worker; /* NULL once lost or released */
	hodeid_stream *stream;
	struct event *timer;
	int64_t last_seen;
	char job_id[HODEI_JOB_ID_MAX + 1]; /* the job last assigned */
	int attempt;
	char *join_token; /* the join token it registered with (revocation); NULL: one-time */
	char pool[64];
	int busy;    /* assigned a job whose result has not come back */
	int broken;  /* the stream broke while busy: waiting for the lease's end */
	int in_lost; /* inside hodei_worker_lost(): detach must not free */
};

static void agent_unlink_free(hodeid_agent *ag)
{
	hodeid *d = ag->d;
	if (ag->prev)
		ag->prev->next = ag->next;
	else if (d->agents == ag)
		d->agents = ag->next;
	if (ag->next)
		ag->next->prev = ag->prev;
	if (ag->timer)
		event_free(ag->timer);
	if (ag->join_token) {
		explicit_bzero(ag->join_token, strlen(ag->join_token));
		free(ag->join_token);
	}
	free(ag);
}

static hodeid_agent *agent_find(hodeid *d, const char *worker_id)
{
	for (hodeid_agent *ag = d->agents; ag && worker_id; ag = ag->next)
		if (ag->worker && strcmp(ag->worker_id, worker_id) == 0)
			return ag;
	return NULL;
}

/* The agent of worker_id if session_token is its session; NULL otherwise. */
static hodeid_agent *agent_auth(hodeid *d, const char *worker_id, const char *session_token)
{
	hodeid_agent *ag = agent_find(d, worker_id);
	return ag && session_token && secret_equal(session_token, ag->session) ? ag : NULL;
}

hodei_worker *agent_worker_auth(hodeid *d, const char *worker_id, const char *session_token)
{
	hodeid_agent *ag = agent_auth(d, worker_id, session_token);
	return ag ? ag->worker : NULL;
}

/* The worker is gone: the library retries or fails its job, or (held) keeps
 * the job for the agent to take again when it connects. */
static void agent_gone(hodeid_agent *ag, const char *why, int held)
{
	hodei_worker *w = ag->worker;
	if (!w || ag->d->shutting_down)
		return;
	LOG_WARN("worker lost worker=%s reason=\"%s\"%s", ag->worker_id, why,
	         held ? " (its job is held for it)" : "");
	ag->in_lost = 1;
	if (held)
		hodei_worker_lost_held(w, why); /* calls agent_detach */
	else
		hodei_worker_lost(w, why);
	ag->in_lost = 0;
	ag->worker = NULL;
}

static void agent_lost(hodeid_agent *ag, const char *why)
{
	agent_gone(ag, why, 0);
}

/* Lost, and freed unless its stream still has to close. */
static void agent_drop(hodeid_agent *ag, const char *why)
{
	agent_lost(ag, why);
	if (!ag->stream && !ag->d->shutting_down)
		agent_unlink_free(ag);
}

/* ---- what the library asks of the agent ---- */

static int agent_run(void *agent, hodei_worker *worker, const hodei_run_request *req)
{
	hodeid_agent *ag = agent;
	if (!ag->stream || ag->stream->call->finished)
		return -1;
	Hodei__ConnectResponse msg = HODEI__CONNECT_RESPONSE__INIT;
	Hodei__AssignJob job = HODEI__ASSIGN_JOB__INIT;
	Google__Protobuf__Duration timeout = GOOGLE__PROTOBUF__DURATION__INIT;
	Google__Protobuf__Duration grace = GOOGLE__PROTOBUF__DURATION__INIT;
	job.job_id = (char *)req->job_id;
	job.attempt = req->attempt;
	job.n_argv = req->argc;
	job.argv = (char **)req->argv;
	job.n_env = req->nenv;
	job.env = (char **)req->envp;
	job.working_directory = (char *)(req->workdir ? req->workdir : "");
	timeout.seconds = req->timeout_ms / 1000;
	timeout.nanos = (int32_t)(req->timeout_ms % 1000) * 1000000;
	grace.seconds = req->kill_grace_ms / 1000;
	grace.nanos = (int32_t)(req->kill_grace_ms % 1000) * 1000000;
	job.timeout = &timeout;
	job.kill_grace = &grace;
	job.cpu_millis = req->cpu_millis;
	job.memory_bytes = req->memory_bytes;
	msg.message_case = HODEI__CONNECT_RESPONSE__MESSAGE_ASSIGN;
	msg.assign = &job;
	snprintf(ag->job_id, sizeof ag->job_id, "%s", req->job_id);
	ag->attempt = req->attempt;
	ag->busy = 1;
	LOG_DEBUG("assign job=%s attempt=%d worker=%s", req->job_id, req->attempt, ag->worker_id);
	return stream_send(ag->stream, &msg.base) < 0 ? -1 : 0;
}

static void agent_cancel(void *agent, hodei_worker *worker)
{
	hodeid_agent *ag = agent;
	if (!ag->stream)
		return;
	Hodei__ConnectResponse msg = HODEI__CONNECT_RESPONSE__INIT;
	Hodei__CancelAssignedJob c = HODEI__CANCEL_ASSIGNED_JOB__INIT;
	c.job_id = ag->job_id;
	c.attempt = ag->attempt;
	msg.message_case = HODEI__CONNECT_RESPONSE__MESSAGE_CANCEL;
	msg.cancel = &c;
	stream_send(ag->stream, &msg.base);
}

static void agent_detach(void *agent, hodei_worker *worker)
{
	hodeid_agent *ag = agent;
	ag->worker = NULL;
	if (!ag->stream) {
		if (!ag->d->shutting_down && !ag->in_lost)
			agent_unlink_free(ag);
		return;
	}
	Hodei__ConnectResponse msg = HODEI__CONNECT_RESPONSE__INIT;
	Hodei__ShutdownWorker sd = HODEI__SHUTDOWN_WORKER__INIT;
	sd.reason = "released";
	msg.message_case = HODEI__CONNECT_RESPONSE__MESSAGE_SHUTDOWN;
	msg.shutdown = &sd;
	stream_send(ag->stream, &msg.base);
	stream_finish(ag->stream, HODEI_GRPC_OK, NULL);
}

static const hodei_agent_ops agent_ops = {
	HODEI_AGENT_OPS_VERSION, agent_run, agent_cancel, agent_detach,
};

/* ---- timers: connect deadline and heartbeats ---- */

static void agent_tick(evutil_socket_t fd, short what, void *arg)
{
	hodeid_agent *ag = arg;
	hodeid *d = ag->d;
	if (d->shutting_down || now_ms() - ag->last_seen <= d->cfg.worker_timeout_ms)
		return;
	if (ag->broken) {
		agent_drop(ag, "the agent's stream broke");
	} else if (ag->stream) {
		stream_finish(ag->stream, HODEI_GRPC_UNAVAILABLE, "heartbeats missed");
		agent_drop(ag, "heartbeats missed");
	} else {
		agent_drop(ag, "the agent registered but never connected");
	}
}

/* ---- Register ---- */

static void random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[64];
	if (getrandom(buf, nbytes, 0) != (ssize_t)nbytes)
		abort(); /* never hand out a guessable session */
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

/* The token covers this pool: its own, or any static pool ("*"). */
static int scope_covers(const char *scope, const char *pool)
{
	return scope && (strcmp(scope, "*") == 0 || strcmp(scope, pool) == 0);
}

/*
 * Join a static pool.  A name that a live worker holds is never taken over:
 * only the agent that holds it may register again under it, proving so
 * with its previous session (it has killed its job by then).
 */
static int join_pool(rpc_req *r, const Hodei__RegisterRequest *q, const char *scope,
                     hodei_worker **w)
{
	hodeid *d = r->d;
	const char *pool = q->pool && *q->pool ? q->pool : "pool";
	if (!scope_covers(scope, pool)) {
		LOG_WARN("worker registration refused name=%s pool=%s: token for pool %s",
		         q->worker_name ? q->worker_name : "", pool, scope);
		return rpc_fail(r, HODEI_GRPC_PERMISSION_DENIED,
		                "pool: this join token is for pool '%s', not '%s'", scope, pool);
	}
	hodeid_agent *old = q->worker_name && *q->worker_name ? agent_find(d, q->worker_name) : NULL;
	if (old) {
		if (!q->previous_session || !secret_equal(q->previous_session, old->session)) {
			LOG_WARN("worker registration refused name=%s: a live worker has that name",
			         q->worker_name);
			return rpc_fail(r, HODEI_GRPC_ALREADY_EXISTS,
			                "worker_name: '%s' is a live worker's name; it is free again "
			                "once that worker is lost", q->worker_name);
		}
		/* still running the job it had: held for its next hello */
		int held = old->busy && q->running_job_id && *q->running_job_id &&
		           strcmp(q->running_job_id, old->job_id) == 0 &&
		           q->running_attempt == old->attempt;
		agent_gone(old, "the worker registered again", held);
		if (!old->stream && !d->shutting_down)
			agent_unlink_free(old);
	}
	int rc = hodei_worker_attach(w, d->ctx, pool, q->worker_name);
	if (rc == HODEI_EAUTH) {
		LOG_WARN("worker registration refused name=%s pool=%s: %s",
		         q->worker_name ? q->worker_name : "", pool, hodei_error_last());
		return rpc_fail(r, HODEI_GRPC_PERMISSION_DENIED, "%s", hodei_error_last());
	}
	if (rc)
		return rpc_fail_lib(r, rc, (const field_map[]){{"name", "pool"}, {NULL, NULL}});
	return 0;
}

static int worker_register(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__RegisterRequest *q = (const void *)in;
	hodeid *d = r->d;
	hodei_worker *w = NULL;
	if (!q->token || !*q->token)
		return rpc_fail(r, HODEI_GRPC_UNAUTHENTICATED, "token: required");
	const char *scope = join_token_scope(d, q->token);
	if (scope) {
		int status = join_pool(r, q, scope, &w);
		if (status)
			return status;
	} else if (hodei_worker_claim(&w, d->ctx, q->token) != 0) {
		LOG_WARN("worker registration refused name=%s", q->worker_name ? q->worker_name : "");
		return rpc_fail(r, HODEI_GRPC_UNAUTHENTICATED, "token: unknown or already used");
	}
	hodeid_agent *ag = calloc(1, sizeof *ag);
	if (!ag || (scope && !(ag->join_token = strdup(q->token)))) {
		free(ag); /* a join token never missing (agents_revoke() checks it) */
		hodei_worker_lost(w, "out of memory while registering");
		return rpc_nomem(r);
	}
	ag->d = d;
	ag->worker = w;
	if (scope) {
		snprintf(ag->pool, sizeof ag->pool, "%s", q->pool && *q->pool ? q->pool : "pool");
	}
	snprintf(ag->worker_id, sizeof ag->worker_id, "%s", hodei_worker_id(w));
	random_hex(ag->session, 32);
	ag->last_seen = now_ms();
	ag->next = d->agents;
	if (d->agents)
		d->agents->prev = ag;
	d->agents = ag;
	ag->timer = event_new(d->base, -1, EV_PERSIST, agent_tick, ag);
	if (!ag->timer) {
		agent_drop(ag, "out of memory while registering");
		return rpc_nomem(r);
	}
	struct timeval tv = {d->cfg.heartbeat_ms / 1000, (d->cfg.heartbeat_ms % 1000) * 1000};
	event_add(ag->timer, &tv);
	LOG_INFO("worker registered worker=%s provider=%s version=%s", ag->worker_id,
	         hodei_provider_name(hodei_worker_provider(w)), q->version ? q->version : "");

	Hodei__RegisterResponse *resp = PB_NEW(r->a, hodei__register_response);
	if (!resp)
		return rpc_nomem(r);
	resp->worker_id = pb_str(r->a, ag->worker_id);
	resp->session_token = arena_strdup(r->a, ag->session);
	resp->heartbeat_interval = pb_duration_ms(r->a, d->cfg.heartbeat_ms);
	resp->heartbeat_timeout = pb_duration_ms(r->a, d->cfg.worker_timeout_ms);
	resp->agent_timeout = pb_duration_ms(r->a, d->cfg.worker_timeout_ms - d->cfg.heartbeat_ms);
	*out = &resp->base;
	return 0;
}

/* ---- Connect ---- */

/* Microseconds of an agent's seconds and nanos, clamped: its numbers are
 * not to be trusted with an overflow. */
static int64_t agent_us(int64_t seconds, int32_t nanos)
{
	const int64_t max_s = INT64_MAX / 1000000 - 3; /* room for nanos / 1000 */
	if (seconds > max_s)
		seconds = max_s;
	else if (seconds < -max_s)
		seconds = -max_s;
	return seconds * 1000000 + nanos / 1000;
}

static void handle_logs(hodeid_agent *ag, const Hodei__LogBatch *b)
{
	for (size_t i = 0; i < b->n_lines; i++) {
		const Hodei__OutputLine *l = b->lines[i];
		int64_t ts = l->timestamp ? agent_us(l->timestamp->seconds, l->timestamp->nanos) : 0;
		int stream = l->stream == HODEI_STREAM_STDERR ? HODEI_STREAM_STDERR : HODEI_STREAM_STDOUT;
		int rc = hodei_worker_job_line(ag->worker, b->job_id, b->attempt, stream, ts,
		                               (const char *)l->text.data, l->text.len,
		                               l->partial ? HODEI_LOG_PARTIAL : 0);
		if (rc != 0) { /* fenced: not this worker's attempt any more */
			LOG_DEBUG("output refused job=%s attempt=%d worker=%s rc=%d", b->job_id,
			          b->attempt, ag->worker_id, rc);
			return;
		}
	}
}

static void handle_result(hodeid_agent *ag, const Hodei__JobResult *res)
{
	hodei_run_result rr = HODEI_RUN_RESULT_INIT;
	rr.exit_code = res->exit_code;
	rr.term_signal = res->term_signal;
	rr.timed_out = res->timed_out;
	rr.cancelled = res->cancelled;
	rr.cpu_time_us = res->cpu_time ? agent_us(res->cpu_time->seconds, res->cpu_time->nanos) : 0;
	rr.max_rss_kb = (int64_t)(res->max_rss_bytes / 1024);
	rr.error = res->error && *res->error ? res->error : NULL;
	/* Idle before the library hears of it: it may assign the next job from
	 * inside this call (agent_run then marks the agent busy again). */
	int was_busy = ag->busy;
	ag->busy = 0;
	if (hodei_worker_job_finished(ag->worker, res->job_id, res->attempt, &rr) != 0) {
		ag->busy = was_busy;
		LOG_INFO("stale result ignored job=%s attempt=%d worker=%s", res->job_id,
		         res->attempt, ag->worker_id);
	}
}

/* Renew the agent's lease: it counts from when it sent this heartbeat. */
static void ack_heartbeat(hodeid_agent *ag, const Hodei__Heartbeat *hb)
{
	Hodei__ConnectResponse msg = HODEI__CONNECT_RESPONSE__INIT;
	Hodei__HeartbeatAck ack = HODEI__HEARTBEAT_ACK__INIT;
	ack.sequence = hb->sequence;
	msg.message_case = HODEI__CONNECT_RESPONSE__MESSAGE_HEARTBEAT_ACK;
	msg.heartbeat_ack = &ack;
	stream_send(ag->stream, &msg.base);
}

static void agent_message(hodeid_stream *s, const ProtobufCMessage *in)
{
	const Hodei__ConnectRequest *m = (const void *)in;
	hodeid_agent *ag = s->state;
	if (!ag || !ag->worker)
		return;
	ag->last_seen = now_ms();
	switch (m->message_case) {
	case HODEI__CONNECT_REQUEST__MESSAGE_STARTED:
		hodei_worker_job_started(ag->worker, m->started->job_id, m->started->attempt);
		break;
	case HODEI__CONNECT_REQUEST__MESSAGE_LOGS:
		handle_logs(ag, m->logs);
		break;
	case HODEI__CONNECT_REQUEST__MESSAGE_PROGRESS: {
		char line[32];
		int n = snprintf(line, sizeof line, "::progress::%d", m->progress->percent);
		hodei_worker_job_line(ag->worker, m->progress->job_id, m->progress->attempt,
		                      HODEI_STREAM_STDOUT, 0, line, (size_t)n, 0);
		break;
	}
	case HODEI__CONNECT_REQUEST__MESSAGE_RESULT:
		handle_result(ag, m->result);
		break;
	case HODEI__CONNECT_REQUEST__MESSAGE_HEARTBEAT:
		ack_heartbeat(ag, m->heartbeat);
		break;
	default: /* hello again, accepted: being alive is enough */
		break;
	}
}

static void agent_half_close(hodeid_stream *s)
{
	hodeid_agent *ag = s->state;
	stream_finish(s, HODEI_GRPC_OK, NULL);
	if (ag)
		agent_lost(ag, "the agent closed its stream");
}

static void agent_stream_closed(hodeid_stream *s)
{
	hodeid_agent *ag = s->state;
	if (!ag)
		return;
	ag->stream = NULL;
	if (ag->worker && ag->busy && !ag->d->shutting_down) {
		/* It may not know yet: its job is its own until the lease ends. */
		LOG_INFO("worker stream broke worker=%s job=%s: lost when its lease ends",
		         ag->worker_id, ag->job_id);
		ag->broken = 1;
		return;
	}
	agent_lost(ag, "the agent's stream broke");
	if (!ag->worker && !ag->d->shutting_down)
		agent_unlink_free(ag);
}

static void agent_shutdown(hodeid_stream *s)
{
	stream_finish(s, HODEI_GRPC_UNAVAILABLE, "the server is shutting down; reconnect");
}

static int worker_connect(hodeid_stream *s, const ProtobufCMessage *in, char *err, size_t errlen)
{
	const Hodei__ConnectRequest *m = (const void *)in;
	if (m->message_case != HODEI__CONNECT_REQUEST__MESSAGE_HELLO) {
		snprintf(err, errlen, "hello: the first message must be a hello");
		return HODEI_GRPC_INVALID_ARGUMENT;
	}
	hodeid_agent *ag = agent_auth(s->d, m->hello->worker_id, m->hello->session_token);
	if (!ag) {
		snprintf(err, errlen, "session_token: unknown worker or session; register again");
		return HODEI_GRPC_UNAUTHENTICATED;
	}
	if (ag->stream) {
		snprintf(err, errlen, "worker_id: this worker is already connected");
		return HODEI_GRPC_ALREADY_EXISTS;
	}
	ag->stream = s;
	ag->last_seen = now_ms();
	s->state = ag;
	s->on_message = agent_message;
	s->on_half_close = agent_half_close;
	s->on_close = agent_stream_closed;
	s->on_shutdown = agent_shutdown;
	Hodei__ConnectResponse msg = HODEI__CONNECT_RESPONSE__INIT;
	Hodei__WorkerWelcome welcome = HODEI__WORKER_WELCOME__INIT;
	welcome.worker_id = ag->worker_id;
	/* Back with the job it ran before the server restarted (or before it
	 * lost its stream): it is this worker's again if it was held for it.
	 * Without one, what was held for it is retried now. */
	const char *job = m->hello->running_job_id;
	if (job && *job && !ag->busy) {
		if (hodei_worker_reattach(ag->worker, job, m->hello->running_attempt) == 0) {
			snprintf(ag->job_id, sizeof ag->job_id, "%s", job);
			ag->attempt = m->hello->running_attempt;
			ag->busy = 1;
			welcome.reattached = 1;
			LOG_INFO("worker re-attached worker=%s job=%s attempt=%d", ag->worker_id, job,
			         ag->attempt);
		} else {
			LOG_INFO("worker re-attach refused worker=%s job=%s attempt=%d: %s", ag->worker_id,
			         job, m->hello->running_attempt, hodei_error_last());
		}
	}
	if (!welcome.reattached)
		hodei_worker_reattach(ag->worker, NULL, 0);
	msg.message_case = HODEI__CONNECT_RESPONSE__MESSAGE_WELCOME;
	msg.welcome = &welcome;
	stream_send(s, &msg.base);
	LOG_INFO("worker connected worker=%s", ag->worker_id);
	/* Ready: the scheduler may assign a job right away (through agent_run);
	 * a re-attached job's pending cancel goes out now. */
	hodei_worker_bind_agent(ag->worker, &agent_ops, ag);
	return 0;
}

static int list_workers(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__ListWorkersRequest *q = (const void *)in;
	hodei_worker_array *list;
	int rc = hodei_worker_list(&list, r->d->ctx);
	if (rc)
		return rpc_fail_lib(r, rc, NULL);
	ARENA_DEFER(r->a, hodei_worker_array_free, list);
	Hodei__ListWorkersResponse *resp = PB_NEW(r->a, hodei__list_workers_response);
	if (!resp)
		return rpc_nomem(r);
	/* bounded by bytes as well as by count, like ListJobs and ListProviders */
	if (pb_worker_page(r->a, list, q->page_token, q->page_size, resp))
		return rpc_nomem(r);
	*out = &resp->base;
	return 0;
}

void agents_shutdown(hodeid *d)
{
	/* Agents are not lost when the server stops: their jobs are recovered
	 * at the next start, and they register again. */
	for (hodeid_agent *ag = d->agents; ag; ag = ag->next)
		if (ag->timer)
			event_del(ag->timer);
}

void agents_revoke(hodeid *d)
{
	hodeid_agent *next;
	for (hodeid_agent *ag = d->agents; ag; ag = next) {
		next = ag->next;
		if (!ag->worker || !ag->join_token ||
		    scope_covers(join_token_scope(d, ag->join_token), ag->pool))
			continue;
		LOG_WARN("join token revoked: disconnecting worker=%s", ag->worker_id);
		if (ag->stream) /* lost when the stream closes, or when its lease ends if busy */
			stream_finish(ag->stream, HODEI_GRPC_UNAUTHENTICATED, "the join token was revoked");
		else if (!ag->broken)
			agent_drop(ag, "its join token was revoked");
	}
}

void agents_free(hodeid *d);
void agents_free(hodeid *d)
{
	while (d->agents)
		agent_unlink_free(d->agents);
}

const hodeid_method hodeid_worker_methods[] = {
	{"/hodei.WorkerAgentService/Register", &hodei__register_request__descriptor, M_PUBLIC,
	 worker_register, NULL},
	{"/hodei.WorkerAgentService/Connect", &hodei__connect_request__descriptor, M_PUBLIC, NULL,
	 worker_connect},
	{"/hodei.WorkerAgentService/ListWorkers", &hodei__list_workers_request__descriptor, 0,
	 list_workers, NULL},
	{NULL, NULL, 0, NULL, NULL},
};
