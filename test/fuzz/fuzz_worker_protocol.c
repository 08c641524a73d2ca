/*
 * Fuzz target over hodeid's side of the worker protocol
 * (tools/hodeid/svc_workers.c driving lib/worker.c): a real libhodei
 * context on a temporary store, two queued jobs, an agent registered with
 * the join token and connected; then the input's bytes choose a sequence
 * of Connect messages (started, logs, progress, result, heartbeat, hello)
 * and stream events (half-close, break, reconnect, registering again,
 * cancelling a job), with the job ids, attempts and fields they carry.
 * hodeid's transport (dispatch.c, net.c) is replaced by the fakes below:
 * what the server sends is recorded (the job it assigned), a finished
 * stream is closed at the next step, as the transport would.
 *
 * Invariants checked after every step, through the library: a job's
 * history never has a transition after a final state except by a new
 * attempt (no job finishes twice), attempts never go down, and a job the
 * library calls final stays final; a stream that breaks while its agent
 * holds a job leaves that job where it was (the lease decides).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "call.h"
#include "grpc.h"
#include "hodei/hodei.h"
#include "hodeid.h"
#include "hodei_worker_agent.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void agents_free(hodeid *d);

#define NJOBS 3
static const char *const job_ids[NJOBS] = {"j1", "j2", "j3"};
/* On tmpfs when there is one: a store per input. */
static char dir[] = "/dev/shm/hodei-fuzz-worker-XXXXXX";
static char db[sizeof(dir) + 16];

/* ---- the transport, faked: what dispatch.c does with a stream ---- */

static char assigned_job[HODEI_JOB_ID_MAX + 1];
static int assigned_attempt;

int stream_send(hodeid_stream *s, const ProtobufCMessage *msg)
{
	if (s->call->finished || s->call->closed)
		return -1;
	const Hodei__ConnectResponse *m = (const void *)msg;
	if (m->message_case == HODEI__CONNECT_RESPONSE__MESSAGE_ASSIGN) {
		snprintf(assigned_job, sizeof assigned_job, "%s", m->assign->job_id);
		assigned_attempt = m->assign->attempt;
	}
	return 0;
}

void stream_finish(hodeid_stream *s, int status, const char *message)
{
	(void)message;
	if (!s->call->finished)
		s->status = status;
	s->call->finished = 1;
}

/* ---- one run ---- */

typedef struct run {
	const uint8_t *p, *end;
	hodeid d;
	struct event_base *base;
	hodei_rpc_call call;
	hodeid_stream stream;
	int open;        /* the stream is connected (on_close not called yet) */
	int half_closed; /* the agent sent END_STREAM: no more messages */
	char worker_id[128];
	char session[128];
	int final_attempt[NJOBS]; /* attempt in which the job was last seen final, or 0 */
} run;

static unsigned next(run *r)
{
	return r->p < r->end ? *r->p++ : 0;
}

static void clean_store(void)
{
	static const char *const suffix[] = {"", "-wal", "-shm", ".lock"};
	char path[sizeof(db) + 8];
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(path, sizeof path, "%s%s", db, suffix[i]);
		unlink(path);
	}
}

static void cleanup(void)
{
	clean_store();
	rmdir(dir);
}

static int do_register(run *r, const char *previous)
{
	rpc_req req = {.d = &r->d, .a = arena_new()};
	Hodei__RegisterRequest q = HODEI__REGISTER_REQUEST__INIT;
	ProtobufCMessage *out = NULL;
	q.token = "join-token";
	q.pool = "pool";
	q.worker_name = "w1";
	q.previous_session = (char *)previous;
	int status = hodeid_worker_methods[0].unary(&req, &q.base, &out);
	if (status == 0) {
		const Hodei__RegisterResponse *resp = (const void *)out;
		snprintf(r->worker_id, sizeof r->worker_id, "%s", resp->worker_id);
		snprintf(r->session, sizeof r->session, "%s", resp->session_token);
	}
	arena_free(req.a);
	return status;
}

/* The transport is done with the stream (after a finish, or broken). */
static void stream_close(run *r)
{
	if (!r->open)
		return;
	r->open = 0;
	r->call.closed = 1;
	if (r->stream.on_close)
		r->stream.on_close(&r->stream);
}

static int job_state(run *r, const char *id, int *attempt)
{
	hodei_job *job = NULL;
	int state = 0;
	if (*id && hodei_job_get(&job, r->d.ctx, id) == 0) {
		state = job->state;
		*attempt = job->attempt;
	}
	hodei_job_free(job);
	return state;
}

/* A stream that breaks while its agent holds a job leaves the job to the
 * agent until the lease ends: the job must not move at once. */
static void break_stream(run *r)
{
	int attempt = 0, after_attempt = 0;
	int state = job_state(r, assigned_job, &attempt);
	int held = r->open && !r->half_closed && attempt == assigned_attempt &&
	           (state == HODEI_JOB_ASSIGNED || state == HODEI_JOB_RUNNING);
	stream_close(r);
	if (held && (job_state(r, assigned_job, &after_attempt) != state || after_attempt != attempt))
		abort();
}

static void do_connect(run *r, int good_session)
{
	if (r->open)
		return;
	memset(&r->call, 0, sizeof r->call);
	memset(&r->stream, 0, sizeof r->stream);
	r->call.path = hodeid_worker_methods[1].path;
	r->stream.d = &r->d;
	r->stream.call = &r->call;
	r->stream.m = &hodeid_worker_methods[1];
	r->stream.status = -1;
	r->half_closed = 0;
	Hodei__ConnectRequest m = HODEI__CONNECT_REQUEST__INIT;
	Hodei__WorkerHello hello = HODEI__WORKER_HELLO__INIT;
	hello.worker_id = r->worker_id;
	hello.session_token = good_session ? r->session : "0000";
	m.message_case = HODEI__CONNECT_REQUEST__MESSAGE_HELLO;
	m.hello = &hello;
	char err[256];
	if (hodeid_worker_methods[1].open(&r->stream, &m.base, err, sizeof err) == 0)
		r->open = 1;
}

static const char *pick_job(run *r)
{
	unsigned b = next(r) % (NJOBS + 2);
	if (b < NJOBS)
		return job_ids[b];
	return b == NJOBS ? assigned_job : "nope";
}

static int pick_attempt(run *r)
{
	return assigned_attempt + (int)(next(r) % 4) - 1;
}

static void send_message(run *r, unsigned kind)
{
	Hodei__ConnectRequest m = HODEI__CONNECT_REQUEST__INIT;
	Hodei__JobStarted started = HODEI__JOB_STARTED__INIT;
	Hodei__LogBatch logs = HODEI__LOG_BATCH__INIT;
	Hodei__OutputLine line = HODEI__OUTPUT_LINE__INIT, *lines[2] = {&line, &line};
	Hodei__JobProgress progress = HODEI__JOB_PROGRESS__INIT;
	Hodei__JobResult result = HODEI__JOB_RESULT__INIT;
	Hodei__Heartbeat hb = HODEI__HEARTBEAT__INIT;
	Hodei__WorkerHello hello = HODEI__WORKER_HELLO__INIT;
	Google__Protobuf__Duration cpu = GOOGLE__PROTOBUF__DURATION__INIT;
	switch (kind) {
	case 0:
		started.job_id = (char *)pick_job(r);
		started.attempt = pick_attempt(r);
		m.message_case = HODEI__CONNECT_REQUEST__MESSAGE_STARTED;
		m.started = &started;
		break;
	case 1:
		logs.job_id = (char *)pick_job(r);
		logs.attempt = pick_attempt(r);
		logs.n_lines = 1 + next(r) % 2;
		logs.lines = lines;
		line.stream = (int32_t)(next(r) % 4);
		line.partial = next(r) & 1;
		line.text.len = next(r) % 64;
		if (line.text.len > (size_t)(r->end - r->p))
			line.text.len = (size_t)(r->end - r->p);
		line.text.data = (uint8_t *)r->p;
		r->p += line.text.len;
		m.message_case = HODEI__CONNECT_REQUEST__MESSAGE_LOGS;
		m.logs = &logs;
		break;
	case 2:
		progress.job_id = (char *)pick_job(r);
		progress.attempt = pick_attempt(r);
		progress.percent = (int32_t)(int8_t)next(r) * 3;
		m.message_case = HODEI__CONNECT_REQUEST__MESSAGE_PROGRESS;
		m.progress = &progress;
		break;
	case 3: {
		unsigned f = next(r);
		result.job_id = (char *)pick_job(r);
		result.attempt = pick_attempt(r);
		result.exit_code = (int32_t)(int8_t)next(r);
		result.term_signal = f & 1 ? 9 : 0;
		result.timed_out = (f >> 1) & 1;
		result.cancelled = (f >> 2) & 1;
		result.error = f & 8 ? "spawn failed" : "";
		cpu.seconds = (int64_t)(f >> 4) << 40;
		cpu.nanos = (int32_t)next(r) * 7777777;
		result.cpu_time = f & 16 ? &cpu : NULL;
		result.max_rss_bytes = (uint64_t)next(r) << 56;
		m.message_case = HODEI__CONNECT_REQUEST__MESSAGE_RESULT;
		m.result = &result;
		break;
	}
	case 4:
		hb.sequence = next(r);
		m.message_case = HODEI__CONNECT_REQUEST__MESSAGE_HEARTBEAT;
		m.heartbeat = &hb;
		break;
	default:
		hello.worker_id = r->worker_id;
		hello.session_token = r->session;
		m.message_case = HODEI__CONNECT_REQUEST__MESSAGE_HELLO;
		m.hello = &hello;
		break;
	}
	if (r->open && !r->half_closed && !r->call.finished && r->stream.on_message)
		r->stream.on_message(&r->stream, &m.base);
}

static void step(run *r, unsigned op)
{
	switch (op % 12) {
	case 6: /* the agent closes its side */
		if (r->open && !r->half_closed && r->stream.on_half_close) {
			r->half_closed = 1;
			r->stream.on_half_close(&r->stream);
		}
		break;
	case 7: /* the connection breaks */
		break_stream(r);
		break;
	case 8:
		do_connect(r, next(r) & 1);
		break;
	case 9: /* registering again, with the session or without */
		if (do_register(r, next(r) & 1 ? r->session : NULL) == 0)
			do_connect(r, 1);
		break;
	case 10:
		hodei_job_cancel(r->d.ctx, pick_job(r));
		break;
	case 11: {
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
		spec.command = "true";
		hodei_job_submit(r->d.ctx, &spec, NULL);
		break;
	}
	default:
		send_message(r, op % 12);
		break;
	}
	if (r->call.finished)
		stream_close(r);
	event_base_loop(r->base, EVLOOP_NONBLOCK);
}

static int is_final(int state)
{
	return (HODEI_STATE_BIT(state) & HODEI_STATES_FINAL) != 0;
}

static void check(run *r)
{
	for (size_t i = 0; i < NJOBS; i++) {
		hodei_transition_list *h = NULL;
		hodei_job *job = NULL;
		if (hodei_job_get(&job, r->d.ctx, job_ids[i]) != 0)
			abort();
		if (hodei_job_history(&h, r->d.ctx, job_ids[i]) != 0)
			abort();
		for (size_t t = 1; t < h->count; t++) {
			if (h->items[t].attempt < h->items[t - 1].attempt)
				abort(); /* attempts go down */
			if (is_final(h->items[t - 1].state) && h->items[t].attempt == h->items[t - 1].attempt)
				abort(); /* a transition after a final state, same attempt */
		}
		if (r->final_attempt[i] && job->attempt == r->final_attempt[i] && !is_final(job->state))
			abort(); /* final, then not */
		if (is_final(job->state))
			r->final_attempt[i] = job->attempt;
		hodei_transition_list_free(h);
		hodei_job_free(job);
	}
}

static void report(run *r)
{
	fprintf(stderr, "assigned %s attempt %d:", assigned_job, assigned_attempt);
	for (size_t i = 0; i < NJOBS; i++) {
		hodei_job *job = NULL;
		if (hodei_job_get(&job, r->d.ctx, job_ids[i]) == 0)
			fprintf(stderr, " %s %s/%d", job->id, hodei_job_state_name(job->state),
			        job->attempt);
		hodei_job_free(job);
	}
	fputc('\n', stderr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (!mkdtemp(dir) && !mkdtemp(memcpy(dir, "/tmp/hodei-fuzz-worker-XXXXXX", 30)))
			abort();
		snprintf(db, sizeof db, "%s/hodei.db", dir);
		atexit(cleanup);
		hodeid_log_init(HODEI_DIAG_ERROR + 1);
		ready = 1;
	}
	run r = {.p = data, .end = data + size};
	r.base = event_base_new();
	hodei_ctx_options o = HODEI_CTX_OPTIONS_INIT;
	o.db_path = db;
	o.event_base = r.base;
	o.flags = HODEI_CTX_NO_LOCAL_PROVIDER | HODEI_CTX_IGNORE_ENV;
	if (!r.base || hodei_ctx_open(&r.d.ctx, &o) != 0)
		abort();
	r.d.base = r.base;
	r.d.cfg.join_token = "join-token";
	r.d.cfg.heartbeat_ms = 1000;
	r.d.cfg.worker_timeout_ms = 60000;
	if (join_tokens_load(&r.d) != 0)
		abort();
	for (size_t i = 0; i < NJOBS; i++) {
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
		spec.id = job_ids[i];
		spec.command = "true";
		spec.max_retries = (int)i;
		if (hodei_job_submit(r.d.ctx, &spec, NULL) != 0)
			abort();
	}
	assigned_job[0] = '\0';
	assigned_attempt = 0;
	if (do_register(&r, NULL) == 0)
		do_connect(&r, 1);
	event_base_loop(r.base, EVLOOP_NONBLOCK);
	for (int n = 0; r.p < r.end && n < 256; n++) {
		step(&r, next(&r));
		check(&r);
	}

	stream_close(&r);
	event_base_loop(r.base, EVLOOP_NONBLOCK);
	check(&r);
	if (getenv("HODEI_FUZZ_VERBOSE")) /* with the replay test: where the jobs ended */
		report(&r);
	r.d.shutting_down = 1;
	agents_shutdown(&r.d);
	hodei_ctx_close(r.d.ctx);
	agents_free(&r.d);
	join_tokens_free(&r.d);
	event_base_free(r.base);
	clean_store();
	return 0;
}
