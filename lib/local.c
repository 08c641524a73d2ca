/*
 * The built-in "local" provider: workers are execution slots in this
 * process, each running one job at a time as a child process group
 * (hodei_process_spawn).  Provisioning a slot is immediate; its capacity is
 * HODEI_LOCAL_WORKERS (default: the number of CPUs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

typedef struct local_run {
	hodei_worker *worker;
	hodei_ctx *ctx;
	hodei_process *proc;
	char job_id[HODEI_JOB_ID_MAX + 1];
	int attempt;
} local_run;

static int local_create(hodei_provider *provider, void **state)
{
	*state = hodei_provider_ctx(provider);
	return 0;
}

static int local_provision(void *state, hodei_worker *w, const hodei_run_request *hint)
{
	(void)state;
	(void)hint;
	return hodei_worker_ready(w);
}

static void on_line(void *ud, int stream, int64_t ts_us, const char *text, size_t len,
                    unsigned int flags)
{
	local_run *r = ud;

	hodei_worker_job_line(r->worker, r->job_id, r->attempt, stream, ts_us, text, len, flags);
}

static void on_exit_cb(void *ud, const hodei_run_result *res)
{
	local_run *r = ud;
	hodei_ctx *ctx = r->ctx;

	hodei__lock(ctx);
	hodei_worker_set_data(r->worker, NULL);
	hodei_worker_job_finished(r->worker, r->job_id, r->attempt, res);
	hodei_process_free(r->proc);
	free(r);
	hodei__unlock(ctx);
}

static const hodei_process_callbacks local_callbacks = {
	HODEI_PROCESS_CALLBACKS_VERSION, on_line, on_exit_cb,
};

/*
 * The job's environment plus HODEI_LOCAL_RUN=<store id>/<job id>/<attempt>:
 * the mark by which the next open finds this process if we die before its
 * pid is stored (hodei__sched_recover).  NULL: out of memory.
 */
static const char **marked_envp(hodei_ctx *ctx, const hodei_run_request *req, char **mark)
{
	const char **v = calloc(req->nenv + 2, sizeof(*v));

	*mark = hodei__sprintf(HODEI__LOCAL_RUN_VAR "=%s/%s/%d", hodei__store_id(ctx->store),
	                       req->job_id, req->attempt);
	if (!v || !*mark) {
		free(v);
		free(*mark);
		*mark = NULL;
		return NULL;
	}
	for (size_t i = 0; i < req->nenv; i++)
		v[i] = req->envp[i];
	v[req->nenv] = *mark;
	return v;
}

static int local_run_job(void *state, hodei_worker *w, const hodei_run_request *req)
{
	hodei_ctx *ctx = state;
	local_run *r = calloc(1, sizeof(*r));
	hodei_run_request marked = *req;
	const char **envp;
	char *mark = NULL;
	int rc;

	if (!r || !(envp = marked_envp(ctx, req, &mark))) {
		free(r);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	marked.envp = envp;
	marked.nenv = req->nenv + 1;
	r->worker = w;
	r->ctx = ctx;
	snprintf(r->job_id, sizeof(r->job_id), "%s", req->job_id);
	r->attempt = req->attempt;
	rc = hodei_process_spawn(&r->proc, ctx->base, &marked, &local_callbacks, r);
	free(envp);
	free(mark);
	if (rc) {
		free(r);
		return rc;
	}
	/* the fault point of test/chaos/crash_spawn.py: dead between the spawn
	 * and the commit of the pid (HODEI_TEST_CRASH_AT=spawn) */
	if (ctx->cfg.test_crash_at_spawn)
		_exit(HODEI__TEST_CRASH_STATUS);
	hodei_worker_set_data(w, r);
	hodei__worker_note_pid(w, hodei_process_pid(r->proc));
	return hodei_worker_job_started(w, req->job_id, req->attempt);
}

static void local_cancel(void *state, hodei_worker *w)
{
	local_run *r = hodei_worker_data(w);

	(void)state;
	if (r)
		hodei_process_cancel(r->proc);
}

static void local_release(void *state, hodei_worker *w)
{
	local_run *r = hodei_worker_data(w);

	(void)state;
	if (r) {
		hodei_process_free(r->proc);
		free(r);
		hodei_worker_set_data(w, NULL);
	}
}

static const hodei_provider_ops local_ops = {
	.version = HODEI_PROVIDER_OPS_VERSION,
	.type = "local",
	.create = local_create,
	.provision = local_provision,
	.run = local_run_job,
	.cancel = local_cancel,
	.release = local_release,
};

const hodei_provider_ops *hodei__local_provider_ops(void)
{
	return &local_ops;
}
