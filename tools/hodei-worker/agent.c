/*
 * The agent's protocol: Register, then one Connect stream on which hodeid
 * assigns and cancels jobs and the agent reports acceptance, start, batched
 * output lines, heartbeats and the result, each naming job and attempt.
 *
 * Jobs run with hodei_process_spawn(), the same code as the local provider.
 * When the stream breaks the running job is killed (hodeid has declared
 * this worker lost and retries the job elsewhere), and the agent registers
 * again with backoff when it holds the join token.
 *
 * The lease: hodeid acknowledges each heartbeat.  When no heartbeat sent in
 * the last agent_timeout has been acknowledged (a partition, a server that
 * hangs), the agent kills its job and reconnects.  It counts from the
 * sending of the acknowledged heartbeat and the server from its receipt,
 * with a longer timeout: the agent always stops first, so the job never
 * runs here and on its retry at once.
 *
 * Re-attach: an agent with a join token whose stream breaks while its lease
 * runs keeps its job (and, if the job ends meanwhile, its result) and
 * reconnects; its lines wait here (bounded).  It names the job when it
 * registers and in its hello; the server, which held the job for this
 * worker (after a restart, or a broken stream), answers reattached, and the
 * lines and result follow as if nothing happened.  Otherwise, or when the
 * lease ends first, the job is killed as before.
 */
#include "agent.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <hodei/client.h>
#include <hodei/hodei.h>

#include "hodei_worker_agent.pb-c.h"

#define BATCH_LINES 256
#define BATCH_BYTES (64u * 1024)
#define BATCH_DELAY_US 20000
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000
#define SENT_RING 16 /* heartbeats in flight whose send time is kept */
#define HELD_LINES_MAX 65536 /* lines kept while disconnected; more are dropped */

typedef struct agent {
	struct event_base *base;
	const agent_config *cfg;
	hodei_client *client;
	hodei_call *call;
	struct event *io, *heartbeat, *flush, *retry;
	struct event *kick; /* drain messages the client already buffered */
	int io_fd, io_events;
	char worker_id[128];
	char session[128];
	int64_t heartbeat_ms;
	int64_t lease_ms;        /* 0: the server does not acknowledge heartbeats */
	struct event *lease;     /* fires when the lease ends */
	int64_t lease_from;      /* monotonic ms the current lease counts from */
	uint64_t hb_seq;
	int64_t hb_sent[SENT_RING]; /* send time of heartbeat seq, at seq % SENT_RING */
	hodei_process *proc;
	char job_id[HODEI_JOB_ID_MAX + 1];
	int attempt;
	Hodei__OutputLine *lines[BATCH_LINES];
	size_t nlines, batch_bytes;
	int released;
	int stopping;
	int result;
	int backoff_ms;
	/* between a broken stream and the welcome that takes the job back */
	int reattaching;
	int64_t hello_sent;
	Hodei__OutputLine **held; /* lines not sent meanwhile, in order */
	size_t nheld, capheld;
	uint64_t held_dropped;
	int has_result; /* the job ended meanwhile: its result, to send */
	hodei_run_result pending;
	char pending_error[512];
} agent;

static agent *the_agent;

void agent_log(const char *level, const char *fmt, ...)
{
	char text[1024];
	struct timespec ts;
	struct tm tm;
	char when[32];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "ts=%s.%03ldZ level=%s component=hodei-worker msg=\"%s\"\n", when,
	        ts.tv_nsec / 1000000, level, text);
}

static void disconnected(agent *a, const char *why);

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- moving bytes: the client's socket on our loop ---- */

static void on_io(evutil_socket_t fd, short what, void *arg);

static void watch_io(agent *a)
{
	if (!a->client)
		return;
	int fd = hodei_client_fd(a->client);
	int want = hodei_client_events(a->client);
	short ev = EV_PERSIST | ((want & POLLIN) ? EV_READ : 0) | ((want & POLLOUT) ? EV_WRITE : 0);
	if (a->io && fd == a->io_fd && ev == a->io_events)
		return;
	if (a->io)
		event_free(a->io);
	a->io = NULL;
	a->io_fd = fd;
	a->io_events = ev;
	if (fd >= 0) {
		a->io = event_new(a->base, fd, ev, on_io, a);
		event_add(a->io, NULL);
	}
}

static int send_request(agent *a, Hodei__ConnectRequest *req)
{
	if (!a->call)
		return -1;
	size_t n = protobuf_c_message_get_packed_size(&req->base);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return -1;
	protobuf_c_message_pack(&req->base, buf);
	int rc = hodei_call_send(a->call, buf, n);
	free(buf);
	/* Written (with whatever else this turn queues) when the kick runs. */
	event_active(a->kick, EV_WRITE, 0);
	return rc;
}

/* ---- output lines, batched ---- */

static void free_batch(agent *a)
{
	for (size_t i = 0; i < a->nlines; i++)
		free(a->lines[i]);
	a->nlines = 0;
	a->batch_bytes = 0;
}

/* Not connected (or not yet taken back): the batch waits, up to a bound. */
static void hold_batch(agent *a)
{
	for (size_t i = 0; i < a->nlines; i++) {
		if (a->nheld == a->capheld && a->capheld < HELD_LINES_MAX) {
			size_t cap = a->capheld ? a->capheld * 2 : 256;
			Hodei__OutputLine **v = realloc(a->held, cap * sizeof *v);
			if (v) {
				a->held = v;
				a->capheld = cap;
			}
		}
		if (a->nheld < a->capheld) {
			a->held[a->nheld++] = a->lines[i];
		} else {
			free(a->lines[i]);
			a->held_dropped++;
		}
	}
	a->nlines = 0;
	a->batch_bytes = 0;
}

static void free_held(agent *a)
{
	for (size_t i = 0; i < a->nheld; i++)
		free(a->held[i]);
	a->nheld = 0;
	a->has_result = 0;
}

static void flush_logs(agent *a)
{
	if (a->nlines == 0)
		return;
	if (!a->call || a->reattaching) {
		hold_batch(a);
		return;
	}
	Hodei__ConnectRequest req = HODEI__CONNECT_REQUEST__INIT;
	Hodei__LogBatch batch = HODEI__LOG_BATCH__INIT;
	batch.job_id = a->job_id;
	batch.attempt = a->attempt;
	batch.n_lines = a->nlines;
	batch.lines = a->lines;
	req.message_case = HODEI__CONNECT_REQUEST__MESSAGE_LOGS;
	req.logs = &batch;
	send_request(a, &req);
	free_batch(a);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	flush_logs(arg);
}

/* One line: struct, timestamp and text in one allocation. */
static void on_line(void *userdata, int stream, int64_t ts_us, const char *text, size_t len,
                    unsigned int flags)
{
	agent *a = userdata;
	struct line_alloc {
		Hodei__OutputLine line;
		Google__Protobuf__Timestamp ts;
		uint8_t text[];
	} *l = malloc(sizeof *l + len);
	if (!l) {
		agent_log("error", "out of memory: a line of job %s's output was dropped", a->job_id);
		return;
	}
	Hodei__OutputLine init = HODEI__OUTPUT_LINE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	l->line = init;
	l->ts = ts;
	l->ts.seconds = ts_us / 1000000;
	l->ts.nanos = (int32_t)(ts_us % 1000000) * 1000;
	memcpy(l->text, text, len);
	l->line.stream = stream;
	l->line.timestamp = &l->ts;
	l->line.text.data = l->text;
	l->line.text.len = len;
	l->line.partial = (flags & HODEI_LOG_PARTIAL) != 0;
	a->lines[a->nlines++] = &l->line; /* the struct is the allocation's start */
	a->batch_bytes += len;
	if (a->nlines == BATCH_LINES || a->batch_bytes >= BATCH_BYTES) {
		flush_logs(a);
	} else if (!evtimer_pending(a->flush, NULL)) {
		struct timeval tv = {0, BATCH_DELAY_US};
		evtimer_add(a->flush, &tv);
	}
}

/* ---- jobs ---- */

static void send_result(agent *a, const char *job_id, int attempt, const hodei_run_result *res)
{
	Hodei__ConnectRequest req = HODEI__CONNECT_REQUEST__INIT;
	Hodei__JobResult r = HODEI__JOB_RESULT__INIT;
	Google__Protobuf__Duration cpu = GOOGLE__PROTOBUF__DURATION__INIT;
	r.job_id = (char *)job_id;
	r.attempt = attempt;
	r.exit_code = res->exit_code;
	r.term_signal = res->term_signal;
	r.timed_out = res->timed_out != 0;
	r.cancelled = res->cancelled != 0;
	cpu.seconds = res->cpu_time_us / 1000000;
	cpu.nanos = (int32_t)(res->cpu_time_us % 1000000) * 1000;
	r.cpu_time = &cpu;
	r.max_rss_bytes = res->max_rss_kb > 0 ? (uint64_t)res->max_rss_kb * 1024 : 0;
	r.error = (char *)(res->error ? res->error : "");
	req.message_case = HODEI__CONNECT_REQUEST__MESSAGE_RESULT;
	req.result = &r;
	send_request(a, &req);
}

static void on_exit_cb(void *userdata, const hodei_run_result *res)
{
	agent *a = userdata;
	flush_logs(a);
	if (!a->call || a->reattaching) { /* sent once the server takes the job back */
		a->pending = *res;
		snprintf(a->pending_error, sizeof a->pending_error, "%s", res->error ? res->error : "");
		a->pending.error = a->pending_error[0] ? a->pending_error : NULL;
		a->has_result = 1;
		agent_log("info", "job ended while disconnected job=%s attempt=%d: its result waits for"
		          " the server", a->job_id, a->attempt);
		reaper_remove(hodei_process_pid(a->proc));
		hodei_process_free(a->proc);
		a->proc = NULL;
		return;
	}
	send_result(a, a->job_id, a->attempt, res);
	if (a->cfg->verbose)
		agent_log("info", "job done job=%s attempt=%d exit=%d", a->job_id, a->attempt,
		          res->exit_code);
	reaper_remove(hodei_process_pid(a->proc));
	hodei_process_free(a->proc);
	a->proc = NULL;
	a->job_id[0] = '\0';
}

static const hodei_process_callbacks process_cbs = {
	HODEI_PROCESS_CALLBACKS_VERSION, on_line, on_exit_cb,
};

static int64_t duration_ms(const Google__Protobuf__Duration *d)
{
	return d ? d->seconds * 1000 + d->nanos / 1000000 : 0;
}

static void send_accepted(agent *a, const Hodei__AssignJob *job)
{
	Hodei__ConnectRequest req = HODEI__CONNECT_REQUEST__INIT;
	Hodei__JobAccepted acc = HODEI__JOB_ACCEPTED__INIT;
	acc.job_id = job->job_id;
	acc.attempt = job->attempt;
	req.message_case = HODEI__CONNECT_REQUEST__MESSAGE_ACCEPTED;
	req.accepted = &acc;
	send_request(a, &req);
}

static void send_started(agent *a, const char *job_id, int attempt, int pid)
{
	Hodei__ConnectRequest req = HODEI__CONNECT_REQUEST__INIT;
	Hodei__JobStarted st = HODEI__JOB_STARTED__INIT;
	st.job_id = (char *)job_id;
	st.attempt = attempt;
	st.pid = pid;
	req.message_case = HODEI__CONNECT_REQUEST__MESSAGE_STARTED;
	req.started = &st;
	send_request(a, &req);
}

#define GUARD_ARGS 6 /* /proc/self/exe --job-guard AGENT_PID PATH LDSPEC -- */
#define LD_VAR "LD_LIBRARY_PATH="

/*
 * The guard is this binary, so it needs our LD_LIBRARY_PATH to start (the
 * Docker image sets one), and the job needs its own: the guard gets ours,
 * and LDSPEC tells it what to give the job ("-" as is, "+VALUE", "!" none).
 */
static const char *guard_env(const char **envp, size_t n, char *ours, size_t ourslen,
                             char *spec, size_t speclen)
{
	const char *agent_ld = getenv("LD_LIBRARY_PATH");
	size_t i;
	if (!agent_ld || !*agent_ld)
		return "-";
	for (i = 0; i < n && strncmp(envp[i], LD_VAR, strlen(LD_VAR)) != 0; i++)
		;
	snprintf(spec, speclen, "%s%s", i < n ? "+" : "!", i < n ? envp[i] + strlen(LD_VAR) : "");
	snprintf(ours, ourslen, LD_VAR "%s", agent_ld);
	envp[i] = ours; /* envp has room for one more */
	return spec;
}

/*
 * Spawn what the server assigned, under the job guard (guard.c): argv and
 * envp are NULL-terminated copies.  A program that is not found is refused
 * here, with the local provider's message, so the job is not started.
 */
static int spawn(agent *a, const Hodei__AssignJob *job, char *err, size_t errlen)
{
	char path[4096], agent_pid[16], ld_ours[4096], ld_spec[4096];
	const char **argv = calloc(job->n_argv + GUARD_ARGS + 1, sizeof *argv);
	const char **envp = calloc(job->n_env + 2, sizeof *envp);
	if (!argv || !envp || job->n_argv == 0) {
		free(argv);
		free(envp);
		snprintf(err, errlen, "%s", job->n_argv ? "out of memory" : "argv: empty");
		return -1;
	}
	for (size_t i = 0; i < job->n_env; i++)
		envp[i] = job->env[i];
	if (guard_find_program(job->argv[0], envp, path, sizeof path) != 0) {
		snprintf(err, errlen, "command: '%s' not found in PATH or not executable",
		         job->argv[0]);
		free(argv);
		free(envp);
		return -1;
	}
	snprintf(agent_pid, sizeof agent_pid, "%d", (int)getpid());
	argv[0] = "/proc/self/exe";
	argv[1] = "--job-guard";
	argv[2] = agent_pid;
	argv[3] = path;
	argv[4] = guard_env(envp, job->n_env, ld_ours, sizeof ld_ours, ld_spec, sizeof ld_spec);
	argv[5] = "--";
	for (size_t i = 0; i < job->n_argv; i++)
		argv[GUARD_ARGS + i] = job->argv[i];
	hodei_run_request run = {0};
	run.version = HODEI_RUN_REQUEST_VERSION;
	run.job_id = job->job_id;
	run.attempt = job->attempt;
	run.argv = argv;
	run.argc = job->n_argv + GUARD_ARGS;
	run.envp = envp;
	run.nenv = job->n_env + (envp[job->n_env] != NULL);
	run.workdir = job->working_directory && *job->working_directory ? job->working_directory : NULL;
	run.timeout_ms = duration_ms(job->timeout);
	run.kill_grace_ms = duration_ms(job->kill_grace);
	run.cpu_millis = job->cpu_millis;
	run.memory_bytes = job->memory_bytes;
	int rc = hodei_process_spawn(&a->proc, a->base, &run, &process_cbs, a);
	if (rc)
		snprintf(err, errlen, "%s", hodei_error_last());
	free(argv);
	free(envp);
	return rc;
}

static void start_job(agent *a, const Hodei__AssignJob *job)
{
	hodei_run_result fail = HODEI_RUN_RESULT_INIT;
	if (a->proc || a->job_id[0]) {
		fail.error = "the worker is busy with another job";
		send_result(a, job->job_id, job->attempt, &fail);
		return;
	}
	snprintf(a->job_id, sizeof a->job_id, "%s", job->job_id);
	a->attempt = job->attempt;
	char err[512];
	send_accepted(a, job);
	if (spawn(a, job, err, sizeof err) != 0) {
		fail.error = err;
		send_result(a, job->job_id, job->attempt, &fail);
		a->proc = NULL;
		a->job_id[0] = '\0';
		return;
	}
	reaper_add(hodei_process_pid(a->proc));
	send_started(a, job->job_id, job->attempt, hodei_process_pid(a->proc));
	if (a->cfg->verbose)
		agent_log("info", "job started job=%s attempt=%d pid=%d", job->job_id, job->attempt,
		          hodei_process_pid(a->proc));
}

static void kill_job(agent *a, const char *why)
{
	if (a->proc) {
		agent_log("warn", "killing job=%s attempt=%d: %s", a->job_id, a->attempt, why);
		int pgid = hodei_process_pid(a->proc);
		guard_stop(pgid);            /* every descendant, setsid ones too */
		hodei_process_free(a->proc); /* SIGKILL to the group, no on_exit */
		reaper_remove(pgid);
		a->proc = NULL;
	}
	free_batch(a);
	free_held(a);
	a->reattaching = 0;
	a->job_id[0] = '\0';
}

/* The server took the job back: what waited goes now, in order. */
static void reattached(agent *a)
{
	agent_log("info", "re-attached job=%s attempt=%d: %zu line(s) and %s waited",
	          a->job_id, a->attempt, a->nheld, a->has_result ? "its result" : "no result");
	if (a->held_dropped)
		agent_log("warn", "job=%s: %llu line(s) beyond %d were dropped while disconnected",
		          a->job_id, (unsigned long long)a->held_dropped, HELD_LINES_MAX);
	a->held_dropped = 0;
	a->reattaching = 0;
	/* its start again: a server that died before it stored RUNNING has it
	 * ASSIGNED (one that has it RUNNING ignores this) */
	if (a->proc)
		send_started(a, a->job_id, a->attempt, hodei_process_pid(a->proc));
	for (size_t i = 0; i < a->nheld;) {
		size_t n = a->nheld - i < BATCH_LINES ? a->nheld - i : BATCH_LINES;
		Hodei__ConnectRequest req = HODEI__CONNECT_REQUEST__INIT;
		Hodei__LogBatch batch = HODEI__LOG_BATCH__INIT;
		batch.job_id = a->job_id;
		batch.attempt = a->attempt;
		batch.n_lines = n;
		batch.lines = a->held + i;
		req.message_case = HODEI__CONNECT_REQUEST__MESSAGE_LOGS;
		req.logs = &batch;
		send_request(a, &req);
		i += n;
	}
	for (size_t i = 0; i < a->nheld; i++)
		free(a->held[i]);
	a->nheld = 0;
	flush_logs(a);
	if (a->has_result) {
		a->has_result = 0;
		send_result(a, a->job_id, a->attempt, &a->pending);
		a->job_id[0] = '\0';
	}
}

/* ---- the lease ---- */

static void on_lease_end(evutil_socket_t fd, short what, void *arg)
{
	agent *a = arg;
	char why[160];
	snprintf(why, sizeof why, "no heartbeat acknowledged for %lld ms: the lease ended",
	         (long long)a->lease_ms);
	disconnected(a, why);
}

/* The server heard something sent at `from`: the lease runs lease_ms from there. */
static void renew_lease(agent *a, int64_t from)
{
	if (!a->lease_ms || from < a->lease_from)
		return;
	a->lease_from = from;
	int64_t left = from + a->lease_ms - mono_ms();
	if (left < 0)
		left = 0;
	struct timeval tv = {left / 1000, (left % 1000) * 1000};
	evtimer_add(a->lease, &tv);
}

static void heartbeat_acked(agent *a, uint64_t seq)
{
	if (seq == 0 || seq > a->hb_seq || a->hb_seq - seq >= SENT_RING)
		return; /* not one of ours, or too old to matter */
	renew_lease(a, a->hb_sent[seq % SENT_RING]);
}

/* ---- the stream ---- */

static void handle(agent *a, const uint8_t *data, size_t len)
{
	Hodei__ConnectResponse *m = hodei__connect_response__unpack(NULL, len, data);
	if (!m) {
		disconnected(a, "malformed message from the server");
		return;
	}
	switch (m->message_case) {
	case HODEI__CONNECT_RESPONSE__MESSAGE_WELCOME:
		agent_log("info", "connected worker=%s server=%s", a->worker_id, a->cfg->server);
		a->backoff_ms = 0;
		if (a->reattaching && m->welcome->reattached) {
			renew_lease(a, a->hello_sent);
			reattached(a);
		} else if (a->reattaching) {
			kill_job(a, "the server did not take it back");
		}
		break;
	case HODEI__CONNECT_RESPONSE__MESSAGE_ASSIGN:
		start_job(a, m->assign);
		break;
	case HODEI__CONNECT_RESPONSE__MESSAGE_CANCEL:
		if (a->proc && !a->reattaching && strcmp(a->job_id, m->cancel->job_id) == 0 &&
		    a->attempt == m->cancel->attempt)
			hodei_process_cancel(a->proc);
		break;
	case HODEI__CONNECT_RESPONSE__MESSAGE_HEARTBEAT_ACK:
		heartbeat_acked(a, m->heartbeat_ack->sequence);
		break;
	case HODEI__CONNECT_RESPONSE__MESSAGE_SHUTDOWN:
		agent_log("info", "released by the server: %s", m->shutdown->reason);
		a->released = 1;
		break;
	default:
		break;
	}
	hodei__connect_response__free_unpacked(m, NULL);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	agent *a = arg;
	if (!a->client || !a->call)
		return;
	hodei_client_process(a->client, 0);
	for (;;) {
		void *msg = NULL;
		size_t len = 0;
		int rc = hodei_call_recv(a->call, &msg, &len, 0);
		if (rc == HODEI_EAGAIN)
			break;
		if (rc != 0 || !msg) {
			const char *why = NULL;
			char reason[256];
			hodei_call_status(a->call, &why);
			/* Copied: the call, which owns the message, is about to go. */
			snprintf(reason, sizeof reason, "%s",
			         rc ? (why && *why ? why : hodei_strerror(rc)) : "the server ended the stream");
			disconnected(a, reason);
			return;
		}
		handle(a, msg, len);
		hodei_free(msg);
		if (!a->call)
			return;
	}
	watch_io(a);
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	agent *a = arg;
	Hodei__ConnectRequest req = HODEI__CONNECT_REQUEST__INIT;
	Hodei__Heartbeat hb = HODEI__HEARTBEAT__INIT;
	hb.job_id = a->job_id;
	hb.attempt = a->proc ? a->attempt : 0;
	hb.sequence = ++a->hb_seq;
	a->hb_sent[hb.sequence % SENT_RING] = mono_ms();
	req.message_case = HODEI__CONNECT_REQUEST__MESSAGE_HEARTBEAT;
	req.heartbeat = &hb;
	send_request(a, &req);
}

/* ---- registering and connecting ---- */

static int call_unary(agent *a, const char *method, const ProtobufCMessage *req, void **resp,
                      size_t *resp_len)
{
	hodei_call *call;
	int rc = hodei_call_open(&call, a->client, method, 10000);
	if (rc)
		return rc;
	size_t n = protobuf_c_message_get_packed_size(req);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		hodei_call_free(call);
		return HODEI_ENOMEM;
	}
	protobuf_c_message_pack(req, buf);
	rc = hodei_call_send(call, buf, n);
	free(buf);
	if (rc == 0)
		rc = hodei_call_close_send(call);
	*resp = NULL;
	if (rc == 0)
		rc = hodei_call_recv(call, resp, resp_len, -1);
	if (rc == 0 && *resp) {
		void *end = NULL;
		size_t end_len;
		rc = hodei_call_recv(call, &end, &end_len, -1);
		hodei_free(end);
	}
	hodei_call_free(call);
	return rc;
}

#define E_TIMING 1000 /* the server's timing is unsafe: a configuration error */

/*
 * The heartbeat interval and the lease: the server's, or this agent's own
 * when they are shorter (sending more often and stopping sooner are safe).
 */
static int agent_timing(agent *a, int64_t hb_ms, int64_t timeout_ms, int64_t lease_ms)
{
	const agent_config *cfg = a->cfg;
	if (hb_ms > 0 && timeout_ms > 0 && timeout_ms < AGENT_TIMEOUT_MIN_HEARTBEATS * hb_ms) {
		agent_log("error", "the server's worker timeout (HODEI_WORKER_TIMEOUT: %lld ms) is "
		          "less than %d times its heartbeat interval (HODEI_HEARTBEAT_INTERVAL: %lld "
		          "ms): healthy agents would be declared lost; fix hodeid's settings",
		          (long long)timeout_ms, AGENT_TIMEOUT_MIN_HEARTBEATS, (long long)hb_ms);
		return E_TIMING;
	}
	a->heartbeat_ms = hb_ms > 0 ? hb_ms : 5000;
	if (cfg->heartbeat_ms > 0 && cfg->heartbeat_ms < a->heartbeat_ms)
		a->heartbeat_ms = cfg->heartbeat_ms;
	a->lease_ms = lease_ms;
	if (lease_ms <= 0) {
		agent_log("warn", "the server does not acknowledge heartbeats: no lease, so a "
		          "partition is noticed only when the connection breaks");
	} else if (cfg->timeout_ms > 0 && cfg->timeout_ms < lease_ms) {
		a->lease_ms = cfg->timeout_ms;
	}
	return 0;
}

static int do_register(agent *a)
{
	Hodei__RegisterRequest req = HODEI__REGISTER_REQUEST__INIT;
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	req.token = (char *)(a->cfg->token ? a->cfg->token : a->cfg->join_token);
	req.worker_name = (char *)(a->cfg->name ? a->cfg->name : host);
	req.pool = (char *)(a->cfg->pool ? a->cfg->pool : "");
	req.version = (char *)hodei_version();
	/* Our name may still be held by our last session (its lease): we prove
	 * that it was ours, and that its job is dead (killed before this). */
	req.previous_session = a->session;
	/* and the job we still run (or hold the result of): held for our hello */
	if (a->job_id[0]) {
		req.running_job_id = a->job_id;
		req.running_attempt = a->attempt;
	}
	req.cpu_millis = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN) * 1000;
	req.memory_bytes = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	void *resp;
	size_t len;
	int rc = call_unary(a, "/hodei.WorkerAgentService/Register", &req.base, &resp, &len);
	if (rc)
		return rc;
	Hodei__RegisterResponse *r = hodei__register_response__unpack(NULL, len, resp);
	hodei_free(resp);
	if (!r)
		return HODEI_ERROR;
	snprintf(a->worker_id, sizeof a->worker_id, "%s", r->worker_id);
	snprintf(a->session, sizeof a->session, "%s", r->session_token);
	rc = agent_timing(a, duration_ms(r->heartbeat_interval), duration_ms(r->heartbeat_timeout),
	                  duration_ms(r->agent_timeout));
	hodei__register_response__free_unpacked(r, NULL);
	return rc;
}

static int do_connect(agent *a)
{
	int rc = hodei_call_open(&a->call, a->client, "/hodei.WorkerAgentService/Connect", 0);
	if (rc)
		return rc;
	Hodei__ConnectRequest req = HODEI__CONNECT_REQUEST__INIT;
	Hodei__WorkerHello hello = HODEI__WORKER_HELLO__INIT;
	hello.worker_id = a->worker_id;
	hello.session_token = a->session;
	if (a->job_id[0]) { /* taken back if the server held it for us */
		hello.running_job_id = a->job_id;
		hello.running_attempt = a->attempt;
		a->reattaching = 1;
	}
	req.message_case = HODEI__CONNECT_REQUEST__MESSAGE_HELLO;
	req.hello = &hello;
	a->hello_sent = mono_ms();
	if (send_request(a, &req) != 0)
		return HODEI_EUNAVAIL;
	/* The welcome answers the hello.  A job still running keeps the lease it
	 * had until the server says it has the job again. */
	if (!a->proc) {
		a->lease_from = 0;
		renew_lease(a, a->hello_sent);
	}
	struct timeval tv = {a->heartbeat_ms / 1000, (a->heartbeat_ms % 1000) * 1000};
	a->heartbeat = event_new(a->base, -1, EV_PERSIST, on_heartbeat, a);
	event_add(a->heartbeat, &tv);
	return 0;
}

static void schedule_retry(agent *a)
{
	a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (a->backoff_ms > BACKOFF_MAX_MS)
		a->backoff_ms = BACKOFF_MAX_MS;
	struct timeval tv = {a->backoff_ms / 1000, (a->backoff_ms % 1000) * 1000};
	evtimer_add(a->retry, &tv);
}

static void close_connection(agent *a)
{
	if (a->heartbeat)
		event_free(a->heartbeat);
	a->heartbeat = NULL;
	if (a->io)
		event_free(a->io);
	a->io = NULL;
	if (!a->proc) /* a job kept for re-attach is killed when its lease ends */
		evtimer_del(a->lease);
	hodei_call_free(a->call);
	a->call = NULL;
	hodei_client_close(a->client);
	a->client = NULL;
}

static void try_connect(evutil_socket_t fd, short what, void *arg)
{
	agent *a = arg;
	hodei_client_options o = HODEI_CLIENT_OPTIONS_INIT;
	o.token = ""; /* workers prove themselves with worker tokens */
	o.ca_file = a->cfg->ca_file;
	o.cert_file = a->cfg->cert_file;
	o.key_file = a->cfg->key_file;
	int rc = hodei_client_open(&a->client, a->cfg->server, &o);
	if (rc == HODEI_EAUTH || rc == HODEI_EINVAL) {
		/* The server failed verification (TLS) or our TLS files are unusable:
		 * no token went out, and trying again would change nothing. */
		agent_log("error", "refusing the server %s: %s", a->cfg->server, hodei_error_last());
		a->result = 3;
		event_base_loopexit(a->base, NULL);
		return;
	}
	if (rc == 0)
		rc = do_register(a);
	if (rc == E_TIMING) {
		a->result = 2;
		close_connection(a);
		event_base_loopexit(a->base, NULL);
		return;
	}
	if (rc == HODEI_EAUTH) {
		agent_log("error", "registration refused by %s: %s", a->cfg->server,
		          hodei_error_last());
		a->result = 3;
		close_connection(a);
		event_base_loopexit(a->base, NULL);
		return;
	}
	if (rc == 0)
		rc = do_connect(a);
	if (rc != 0) {
		agent_log("warn", "cannot register with %s: %s; retrying", a->cfg->server,
		          hodei_error_last());
		close_connection(a);
		if (a->cfg->once) {
			a->result = 1;
			event_base_loopexit(a->base, NULL);
			return;
		}
		schedule_retry(a);
	}
}

/* Keep the job through a lost stream, to take it back on reconnecting? */
static int keep_job(agent *a)
{
	if (!a->job_id[0] || a->stopping || a->released || a->cfg->once || !a->cfg->join_token ||
	    !a->lease_ms)
		return 0;
	/* a running job only while our lease runs: the server waits longer */
	return !a->proc || evtimer_pending(a->lease, NULL);
}

static void disconnected(agent *a, const char *why)
{
	if (keep_job(a)) {
		if (a->nlines)
			hold_batch(a);
		a->reattaching = 0;
		agent_log("warn", "lost the stream with job=%s attempt=%d %s: reconnecting to take it"
		          " back", a->job_id, a->attempt, a->proc ? "running (until the lease ends)"
		          : "ended");
	} else {
		kill_job(a, a->stopping ? "the agent is stopping" : "the server connection is gone");
	}
	if (a->stopping && a->call && hodei_call_close_send(a->call) == 0)
		hodei_client_process(a->client, 0); /* the job is dead: the server may requeue it now */
	close_connection(a);
	if (a->released || a->stopping) {
		event_base_loopexit(a->base, NULL);
		return;
	}
	agent_log("warn", "disconnected from %s: %s", a->cfg->server, why);
	if (a->cfg->once || !a->cfg->join_token) {
		/* A one-time token cannot register twice. */
		a->result = 1;
		event_base_loopexit(a->base, NULL);
		return;
	}
	schedule_retry(a);
}

void agent_stop(void)
{
	agent *a = the_agent;
	if (!a)
		return;
	a->stopping = 1;
	disconnected(a, "stopping");
}

int agent_run(struct event_base *base, const agent_config *cfg)
{
	agent a = {0};
	a.base = base;
	a.cfg = cfg;
	a.io_fd = -1;
	a.flush = evtimer_new(base, on_flush, &a);
	a.retry = evtimer_new(base, try_connect, &a);
	a.kick = event_new(base, -1, 0, on_io, &a);
	a.lease = evtimer_new(base, on_lease_end, &a);
	the_agent = &a;
	try_connect(-1, 0, &a);
	if (!a.result && (a.client || evtimer_pending(a.retry, NULL)))
		event_base_dispatch(base);
	close_connection(&a);
	kill_job(&a, "the agent is stopping");
	free(a.held);
	event_free(a.flush);
	event_free(a.retry);
	event_free(a.kick);
	event_free(a.lease);
	the_agent = NULL;
	return a.result;
}
