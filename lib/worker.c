/*
 * Workers: what providers and agents report, checked against the job the
 * worker was given (attempt fencing), turned into scheduler decisions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "internal.h"

int hodei__worker_new(hodei_ctx *ctx, hodei__provider_node *p, hodei_worker **out)
{
	hodei_worker *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	/* 20 random bytes; a failing getrandom() fails the provisioning */
	if ((rc = hodei__random_hex(w->token, 20)) != 0) {
		free(w);
		return rc;
	}
	w->ctx = ctx;
	w->prov = p;
	snprintf(w->id, sizeof(w->id), "%.40s-%llu", p->cfg.name,
	         (unsigned long long)++ctx->worker_serial);
	w->state = HODEI_WORKER_STARTING;
	w->started_at = w->last_seen = hodei__now_ms();
	hodei__linebuf_init(&w->lb[0], HODEI_LOG_LINE_MAX);
	hodei__linebuf_init(&w->lb[1], HODEI_LOG_LINE_MAX);
	w->next = ctx->workers;
	ctx->workers = w;
	p->workers++;
	*out = w;
	return 0;
}

static void emit_worker(hodei_worker *w)
{
	hodei_event ev = { 0 };

	ev.version = 1;
	ev.type = HODEI_EVENT_WORKER;
	ev.worker_id = w->id;
	ev.provider = w->prov->cfg.name;
	ev.state = w->state;
	ev.at_us = hodei__now_us();
	hodei__emit(w->ctx, &ev);
}

/* Unlink and free; the provider's release op is the caller's business. */
void hodei__worker_destroy(hodei_worker *w)
{
	hodei_ctx *ctx = w->ctx;

	for (hodei_worker **pp = &ctx->workers; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->prov->workers--;
	if (w->state == HODEI_WORKER_STARTING)
		w->prov->starting = w->prov->starting ? w->prov->starting - 1 : 0;
	w->state = HODEI_WORKER_STOPPING;
	emit_worker(w);
	hodei__linebuf_free(&w->lb[0]);
	hodei__linebuf_free(&w->lb[1]);
	free(w);
}

static void release(hodei_worker *w)
{
	if (w->agent_ops && w->agent_ops->detach)
		w->agent_ops->detach(w->agent, w);
	if (w->prov->ops->release)
		w->prov->ops->release(w->prov->state, w);
	hodei__worker_destroy(w);
}

void hodei__worker_reap_idle(hodei_ctx *ctx, int64_t now_ms)
{
	hodei_worker *w = ctx->workers, *next;

	for (; w; w = next) {
		next = w->next;
		if (w->state == HODEI_WORKER_IDLE && !w->job && w->prov->ops->provision &&
		    now_ms - w->idle_since >= ctx->cfg.worker_idle_ms)
			release(w);
	}
}

void hodei__worker_release_provider(hodei_ctx *ctx, hodei__provider_node *p, bool all)
{
	hodei_worker *w = ctx->workers, *next;

	for (; w; w = next) {
		next = w->next;
		if (w->prov == p && (all || (!w->job && w->state != HODEI_WORKER_BUSY)))
			release(w);
	}
}

static int build_argv(const hodei_job *job, const char ***argv, size_t *argc)
{
	size_t n = 0;
	const char **v = calloc(job->nargs + 5, sizeof(*v));

	*argv = NULL;
	*argc = 0;
	if (!v)
		return HODEI_ENOMEM;
	if (job->flags & HODEI_JOB_SHELL) {
		v[n++] = "/bin/sh";
		v[n++] = "-c";
		v[n++] = job->command;
		if (job->nargs)
			v[n++] = "sh";
	} else {
		v[n++] = job->command;
	}
	for (size_t i = 0; i < job->nargs; i++)
		v[n++] = job->args[i];
	v[n] = NULL;
	*argv = v;
	*argc = n;
	return 0;
}

/* All or nothing: HODEI_ENOMEM leaves *envp NULL. */
static int build_envp(const hodei_job *job, char *const *secrets, size_t nsecrets, char ***envp,
                      size_t *nenv)
{
	char **v = calloc(job->nenv + nsecrets + 5, sizeof(*v));
	size_t n = 0;
	bool has_path = false;

	*envp = NULL;
	*nenv = 0;
	if (!v)
		return HODEI_ENOMEM;
	for (size_t i = 0; i < job->nenv; i++) {
		v[n++] = strdup(job->env[i]);
		has_path |= strncmp(job->env[i], "PATH=", 5) == 0;
	}
	for (size_t i = 0; i < nsecrets; i++)
		v[n++] = strdup(secrets[i]);
	if (!has_path)
		v[n++] = strdup("PATH=/usr/local/bin:/usr/bin:/bin");
	v[n++] = hodei__sprintf("HODEI_JOB_ID=%s", job->id);
	v[n++] = hodei__sprintf("HODEI_JOB_NAME=%s", job->name);
	v[n++] = hodei__sprintf("HODEI_JOB_ATTEMPT=%d", job->attempt);
	v[n] = NULL;
	for (size_t i = 0; i < n; i++)
		if (!v[i]) {
			hodei__vec_free(v, n);
			return HODEI_ENOMEM;
		}
	*envp = v;
	*nenv = n;
	return 0;
}

static void secrets_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		explicit_bzero(v[i], strlen(v[i]));
	hodei__vec_free(v, n);
}

/* The job's secret entries (decrypted), and its log's mask made from them. */
static int load_secrets(hodei_ctx *ctx, hodei__active *a, const hodei_job *job, char ***sec,
                        size_t *nsec)
{
	const char *values[HODEI_SECRETS_MAX];
	size_t n = 0;
	int rc;

	*sec = NULL;
	*nsec = 0;
	if (job->nsecret_env == 0)
		return 0;
	if ((rc = hodei__store_job_secrets(ctx->store, job->seq, job->id, sec, nsec)))
		return rc;
	for (size_t i = 0; i < *nsec && n < HODEI_SECRETS_MAX; i++)
		values[n++] = strchr((*sec)[i], '=') ? strchr((*sec)[i], '=') + 1 : "";
	hodei__mask_free(a->mask);
	a->mask = NULL;
	if ((rc = hodei__mask_new(&a->mask, values, n))) {
		secrets_free(*sec, *nsec);
		*sec = NULL;
		*nsec = 0;
		return hodei__err(rc, "out of memory");
	}
	return 0;
}

int hodei__worker_start_job(hodei_worker *w, hodei__active *a, const hodei_job *job)
{
	char **secrets = NULL;
	size_t nsecrets = 0;
	hodei_ctx *ctx = w->ctx;
	hodei_run_request req = { 0 };
	const char **argv = NULL;
	char **envp = NULL;
	int rc;

	req.version = HODEI_RUN_REQUEST_VERSION;
	req.job_id = job->id;
	req.attempt = job->attempt;
	if ((rc = load_secrets(ctx, a, job, &secrets, &nsecrets)))
		; /* the start fails below, saying why */
	else if (build_argv(job, &argv, &req.argc) ||
	         build_envp(job, secrets, nsecrets, &envp, &req.nenv))
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	req.argv = argv;
	req.envp = (const char *const *)envp;
	req.workdir = job->workdir;
	req.timeout_ms = job->timeout_ms;
	req.kill_grace_ms = ctx->cfg.kill_grace_ms;
	req.cpu_millis = job->cpu_millis;
	req.memory_bytes = job->memory_bytes;
	req.flags = job->flags;
	if (rc == 0) { /* else out of memory: the start fails below */
		hodei__err_clear();
		if (w->agent_ops)
			rc = w->agent_ops->run(w->agent, w, &req);
		else if (w->prov->ops->run)
			rc = w->prov->ops->run(w->prov->state, w, &req);
		else
			rc = hodei__err(HODEI_EUNAVAIL, "worker %s cannot run jobs", w->id);
	}
	free(argv);
	secrets_free(envp, req.nenv);
	secrets_free(secrets, nsecrets);
	if (rc != 0 && w->job == a) {
		hodei_run_result res = HODEI_RUN_RESULT_INIT;
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", *hodei_error_last() ? hodei_error_last()
		                                                         : hodei_strerror(rc));
		res.error = msg;
		hodei__log_system(ctx, a, "could not start: %s", msg);
		w->state = HODEI_WORKER_IDLE;
		w->idle_since = hodei__mono_ms();
		hodei__sched_finished(ctx, a, &res);
	}
	return 0;
}

/* ---- reports from providers and agents ---- */

static hodei__active *fenced(hodei_worker *w, const char *job_id, int attempt)
{
	hodei__active *a = w ? w->job : NULL;

	if (!a || strcmp(a->id, job_id) != 0 || a->attempt != attempt) {
		hodei__err(HODEI_ESTATE, "worker %s is not running job '%s' attempt %d",
		           w ? w->id : "(null)", job_id, attempt);
		return NULL;
	}
	w->last_seen = hodei__now_ms();
	return a;
}

const char *hodei_worker_id(hodei_worker *w)
{
	return w->id;
}

hodei_provider *hodei_worker_provider(hodei_worker *w)
{
	return &w->prov->handle;
}

void *hodei_worker_data(hodei_worker *w)
{
	return w->data;
}

void hodei_worker_set_data(hodei_worker *w, void *data)
{
	w->data = data;
}

const char *hodei_worker_token(hodei_worker *w)
{
	return w->token;
}

int hodei_worker_ready(hodei_worker *w)
{
	hodei_ctx *ctx = w->ctx;

	hodei__lock(ctx);
	if (w->state == HODEI_WORKER_STARTING || w->state == HODEI_WORKER_BUSY) {
		if (!w->job)
			w->state = HODEI_WORKER_IDLE;
		w->idle_since = hodei__mono_ms();
		w->last_seen = hodei__now_ms();
		emit_worker(w);
		/* A provider without provision (a static pool) accepts jobs only
		 * while it has workers: jobs parked for lack of one may run now. */
		hodei__sched_unpark(ctx);
	}
	hodei__unlock(ctx);
	return 0;
}

int hodei_worker_claim(hodei_worker **out, hodei_ctx *ctx, const char *token)
{
	int rc = hodei__err(HODEI_EAUTH, "unknown or already used worker token");

	*out = NULL;
	hodei__lock(ctx);
	for (hodei_worker *w = ctx->workers; token && w; w = w->next)
		if (!w->token_used && hodei__secret_equal(token, w->token)) {
			w->token_used = true;
			*out = w;
			rc = 0;
			break;
		}
	hodei__unlock(ctx);
	return rc;
}

/* Another worker than self has this id. */
static bool id_taken(hodei_ctx *ctx, const char *id, const hodei_worker *self)
{
	for (hodei_worker *w = ctx->workers; w; w = w->next)
		if (w != self && strcmp(w->id, id) == 0)
			return true;
	return false;
}

/* Who may join p: only a static pool, never a built-in or a provisioning provider. */
static int check_joinable(hodei__provider_node *p)
{
	if (strcmp(p->cfg.type, "pool") != 0)
		return hodei__err(HODEI_EAUTH, "pool: '%s' is a provider of type %s, not a static "
		                  "pool: agents cannot join it", p->cfg.name, p->cfg.type);
	return 0;
}

typedef struct attach_args {
	hodei_worker **out;
	const char *provider_name;
	const char *worker_name;
} attach_args;

static int attach_on_loop(hodei_ctx *ctx, void *arg)
{
	attach_args *a = arg;
	const char *provider_name = a->provider_name, *worker_name = a->worker_name;
	hodei_worker **out = a->out;
	hodei__provider_node *p;
	hodei_worker *w = NULL;
	bool named = worker_name && *worker_name;
	int rc = 0;

	hodei__lock(ctx);
	p = hodei__provider_find(ctx, provider_name);
	if (!p) {
		hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;

		cfg.name = provider_name;
		cfg.type = "pool";
		rc = hodei_provider_add(ctx, &cfg);
		p = hodei__provider_find(ctx, provider_name);
	}
	if (!rc && p)
		rc = check_joinable(p);
	if (!rc && named && id_taken(ctx, worker_name, NULL))
		rc = hodei__err(HODEI_EEXISTS, "worker_name: '%s' is the id of a live worker",
		                worker_name);
	if (!rc && p && (rc = hodei__worker_new(ctx, p, &w)) == 0) {
		if (named)
			snprintf(w->id, sizeof(w->id), "%s", worker_name);
		while (!named && id_taken(ctx, w->id, w)) /* a joined name took it */
			snprintf(w->id, sizeof(w->id), "%.40s-%llu", p->cfg.name,
			         (unsigned long long)++ctx->worker_serial);
		w->token_used = true;
	}
	*out = w;
	hodei__unlock(ctx);
	return rc;
}

int hodei_worker_attach(hodei_worker **out, hodei_ctx *ctx, const char *provider_name,
                        const char *worker_name)
{
	attach_args a = { out, provider_name, worker_name };
	int rc;

	if (!out)
		return hodei__arg_null("out");
	*out = NULL;
	if (!ctx)
		return hodei__arg_null("ctx");
	if (!provider_name)
		return hodei__arg_null("provider_name");
	if (worker_name && *worker_name &&
	    (rc = hodei__id_check("worker_name", worker_name,
	                        sizeof(((hodei_worker *)0)->id) - 1)))
		return rc;
	/* it may create the pool (hodei_provider_add): on the loop thread, as every
	 * change to the context */
	return hodei__call(ctx, attach_on_loop, &a);
}

int hodei_worker_bind_agent(hodei_worker *w, const hodei_agent_ops *ops, void *agent)
{
	hodei_ctx *ctx = w->ctx;
	int rc;

	hodei__lock(ctx);
	w->agent_ops = ops;
	w->agent = agent;
	rc = hodei_worker_ready(w);
	/* a job re-attached (hodei_worker_reattach) whose cancel was asked for
	 * while it was held: the agent hears of it now */
	if (w->job && w->job->cancel_requested && ops && ops->cancel)
		ops->cancel(agent, w);
	hodei__unlock(ctx);
	return rc;
}

void hodei__worker_note_pid(hodei_worker *w, int pid)
{
	if (w->job)
		w->job->pid = pid;
}

int hodei_worker_job_started(hodei_worker *w, const char *job_id, int attempt)
{
	hodei_ctx *ctx = w->ctx;
	hodei__active *a;
	int rc = 0;

	hodei__lock(ctx);
	if (!(a = fenced(w, job_id, attempt))) {
		rc = HODEI_ESTATE;
	} else if (a->state == HODEI_JOB_ASSIGNED) {
		hodei__jobupd u = { 0 };

		u.state = HODEI_JOB_RUNNING;
		u.attempt = attempt;
		u.at = hodei__now_ms();
		a->started_at = u.at;
		if (a->pid > 0) {
			u.set_pid = 1;
			u.pid = a->pid;
			u.pid_start = hodei__proc_starttime((int)a->pid);
		}
		rc = hodei__sched_running(ctx, a, &u); /* with the pending ASSIGNED */
	}
	hodei__unlock(ctx);
	return rc;
}

typedef struct line_ctx {
	hodei_ctx *ctx;
	hodei__active *a;
	int stream;
} line_ctx;

static void raw_line(void *ud, const char *text, size_t len, unsigned int flags)
{
	line_ctx *lc = ud;

	hodei__log_line(lc->ctx, lc->a, lc->stream, hodei__now_us(), text, len, flags);
}

int hodei_worker_job_output(hodei_worker *w, const char *job_id, int attempt, int stream,
                            const char *data, size_t len)
{
	hodei_ctx *ctx = w->ctx;
	hodei__active *a;
	line_ctx lc;

	if (stream != HODEI_STREAM_STDOUT && stream != HODEI_STREAM_STDERR)
		return hodei__err(HODEI_EINVAL, "stream: must be stdout or stderr");
	hodei__lock(ctx);
	if (!(a = fenced(w, job_id, attempt))) {
		hodei__unlock(ctx);
		return HODEI_ESTATE;
	}
	lc.ctx = ctx;
	lc.a = a;
	lc.stream = stream;
	hodei__linebuf_feed(&w->lb[stream - 1], data, len, raw_line, &lc);
	hodei__unlock(ctx);
	return 0;
}

int hodei_worker_job_line(hodei_worker *w, const char *job_id, int attempt, int stream,
                          int64_t ts_us, const char *text, size_t len, unsigned int flags)
{
	hodei_ctx *ctx = w->ctx;
	hodei__active *a;

	if (stream < HODEI_STREAM_STDOUT || stream > HODEI_STREAM_SYSTEM)
		return hodei__err(HODEI_EINVAL, "stream: unknown stream %d", stream);
	hodei__lock(ctx);
	if (!(a = fenced(w, job_id, attempt))) {
		hodei__unlock(ctx);
		return HODEI_ESTATE;
	}
	hodei__log_line(ctx, a, stream, ts_us ? ts_us : hodei__now_us(), text, len,
	                flags & HODEI_LOG_PARTIAL);
	hodei__unlock(ctx);
	return 0;
}

int hodei_worker_job_finished(hodei_worker *w, const char *job_id, int attempt,
                              const hodei_run_result *res)
{
	hodei_ctx *ctx = w->ctx;
	hodei__active *a;

	hodei__lock(ctx);
	if (!(a = fenced(w, job_id, attempt))) {
		hodei__unlock(ctx);
		return HODEI_ESTATE;
	}
	/* the outcome and the next job's start in one commit: see sched.c */
	hodei__sched_batch_begin(ctx);
	for (int s = 0; s < 2; s++) {
		line_ctx lc = { ctx, a, s + 1 };

		hodei__linebuf_finish(&w->lb[s], raw_line, &lc);
	}
	w->state = HODEI_WORKER_IDLE;
	w->idle_since = hodei__mono_ms();
	w->jobs_run++;
	hodei__sched_finished(ctx, a, res);
	emit_worker(w);
	hodei__sched_batch_end(ctx);
	hodei__unlock(ctx);
	return 0;
}

void hodei_worker_lost(hodei_worker *w, const char *reason)
{
	hodei_ctx *ctx = w->ctx;

	hodei__lock(ctx);
	/* A worker without a job (an ephemeral container retired after its job,
	 * an idle agent gone) costs nothing: worth a warning only with a job. */
	if (w->job)
		hodei__diag(ctx, HODEI_DIAG_WARN, "worker %s lost with job %s: %s", w->id,
		            w->job->id, reason ? reason : "unknown");
	else
		hodei__diag(ctx, HODEI_DIAG_INFO, "worker %s released: %s", w->id,
		            reason ? reason : "unknown");
	if (w->job) {
		hodei__active *a = w->job;

		hodei__sched_lost(ctx, a, reason ? reason : "unknown");
	}
	release(w);
	hodei__sched_kick(ctx);
	hodei__unlock(ctx);
}

void hodei_worker_lost_held(hodei_worker *w, const char *reason)
{
	hodei_ctx *ctx = w->ctx;
	hodei__active *a = w->job;

	hodei__lock(ctx);
	if (a && ctx->cfg.agent_hold_ms > 0 && hodei__sched_hold(ctx, a, w->id) == 0) {
		hodei__diag(ctx, HODEI_DIAG_INFO, "worker %s gone with job %s (%s): held %lld ms for it"
		            " to come back", w->id, a->id, reason ? reason : "unknown",
		            (long long)ctx->cfg.agent_hold_ms);
		hodei__log_system(ctx, a, "worker %s went away (%s); it may come back with attempt %d"
		                  " within %lld ms", w->id, reason ? reason : "unknown", a->attempt,
		                  (long long)ctx->cfg.agent_hold_ms);
		w->job = NULL;
		w->prov->busy--;
		hodei__provider_job_ended(ctx, w->prov);
		release(w);
		hodei__sched_kick(ctx);
	} else {
		hodei_worker_lost(w, reason);
	}
	hodei__unlock(ctx);
}

int hodei_worker_reattach(hodei_worker *w, const char *job_id, int attempt)
{
	hodei_ctx *ctx;
	hodei__active *a;
	int rc = 0;

	if (!w)
		return hodei__arg_null("worker");
	ctx = w->ctx;
	hodei__lock(ctx);
	if (!job_id) { /* it holds none: what was held for it is lost now */
		hodei__active *next;
		char why[160];

		snprintf(why, sizeof(why), "worker %.63s came back without it", w->id);
		for (a = ctx->active; a; a = next) {
			next = a->next;
			if (a->held_for && strcmp(a->held_for, w->id) == 0) {
				hodei__sched_hold_end(ctx, a, why);
				next = ctx->active;
			}
		}
		hodei__unlock(ctx);
		return 0;
	}
	a = hodei__active_find_id(ctx, job_id);
	if (!a || !a->held_for || strcmp(a->held_for, w->id) != 0 || a->attempt != attempt ||
	    w->job) {
		rc = hodei__err(HODEI_ESTATE, "worker %s: job '%s' attempt %d is not held for it",
		                w->id, job_id, attempt);
	} else {
		free(a->held_for);
		a->held_for = NULL;
		a->held_until = 0;
		a->worker = w;
		w->job = a;
		w->state = HODEI_WORKER_BUSY;
		w->prov->busy++;
		w->last_seen = hodei__now_ms();
		hodei__log_system(ctx, a, "worker %s came back: attempt %d goes on", w->id, attempt);
		emit_worker(w);
	}
	hodei__unlock(ctx);
	return rc;
}

static const char *const worker_state_names[] = { NULL, "STARTING", "IDLE", "BUSY",
	                                              "STOPPING" };

const char *hodei_worker_state_name(int state)
{
	return state >= 1 && state <= 4 ? worker_state_names[state] : "UNKNOWN";
}

static int worker_list_on_loop(hodei_ctx *ctx, void *arg)
{
	hodei_worker_array *l = arg;
	size_t n = 0;

	for (hodei_worker *w = ctx->workers; w; w = w->next)
		n++;
	if (!(l->items = calloc(n + 1, sizeof(*l->items))))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	for (hodei_worker *w = ctx->workers; w; w = w->next) {
		hodei_worker_info *i = &l->items[l->count++];

		i->id = strdup(w->id);
		i->provider = strdup(w->prov->cfg.name);
		i->state = w->state;
		i->job_id = w->job ? strdup(w->job->id) : NULL;
		if (!i->id || !i->provider || (w->job && !i->job_id))
			return hodei__err(HODEI_ENOMEM, "out of memory"); /* the caller frees l */
		i->started_at = w->started_at;
		i->last_seen = w->last_seen;
		i->jobs_run = w->jobs_run;
	}
	return 0;
}

int hodei_worker_list(hodei_worker_array **out, hodei_ctx *ctx)
{
	hodei_worker_array *l;
	int rc;

	if ((rc = hodei__enter_out(out, ctx)))
		return rc;
	if (!(l = calloc(1, sizeof(*l))))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if ((rc = hodei__call(ctx, worker_list_on_loop, l))) {
		hodei_worker_array_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void hodei_worker_array_free(hodei_worker_array *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].id);
		free(l->items[i].provider);
		free(l->items[i].job_id);
	}
	free(l->items);
	free(l);
}
