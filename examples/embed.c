/*
 * Embed the Hodei scheduler: queue jobs of different priorities, print their
 * log lines as they arrive, exit when all are done.
 *
 *   embed [DB_PATH]
 */
#include <stdio.h>
#include <stdlib.h>

#include <hodei/hodei.h>

static void on_event(const hodei_event *ev, void *userdata)
{
	int *remaining = userdata;

	if (ev->type == HODEI_EVENT_JOB_LOG)
		printf("[%s] %-5s %.*s\n", ev->job_id, hodei_log_level_name(ev->line.level),
		       (int)ev->line.len, ev->line.text);
	else if (ev->type == HODEI_EVENT_JOB_STATE)
		printf("[%s] -> %s%s%s\n", ev->job_id, hodei_job_state_name(ev->state),
		       ev->reason ? ": " : "", ev->reason ? ev->reason : "");
	if (ev->type == HODEI_EVENT_JOB_STATE && ev->state >= HODEI_JOB_SUCCEEDED)
		(*remaining)--;
}

static int submit(hodei_ctx *ctx, const char *name, int priority, const char *script)
{
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job_id id;
	int rc;

	spec.name = name;
	spec.command = script;
	spec.flags = HODEI_JOB_SHELL;
	spec.priority = priority;
	spec.timeout_ms = 60000;
	rc = hodei_job_submit(ctx, &spec, &id);
	if (rc)
		fprintf(stderr, "submit %s: %s\n", name, hodei_error_last());
	return rc;
}

int main(int argc, char **argv)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_sub_options sopts = HODEI_SUB_OPTIONS_INIT;
	hodei_ctx *ctx;
	hodei_sub *sub;
	hodei_event *ev;
	int remaining = 3;

	opts.db_path = argc > 1 ? argv[1] : "embed-example.db";
	opts.local_workers = 1; /* one at a time, so priority order shows */
	if (hodei_ctx_open(&ctx, &opts) != 0) {
		fprintf(stderr, "hodei: %s\n", hodei_error_last());
		return 1;
	}
	/* a queue subscription: events arrive on our thread, in order */
	sopts.mask = HODEI_EVENT_JOB_STATE | HODEI_EVENT_JOB_LOG;
	hodei_sub_open(&sub, ctx, &sopts);
	if (submit(ctx, "low", HODEI_PRIORITY_LOW, "echo low priority done") ||
	    submit(ctx, "normal", HODEI_PRIORITY_NORMAL, "echo normal; echo 'WARN careful' >&2") ||
	    submit(ctx, "critical", HODEI_PRIORITY_CRITICAL, "echo '::progress::50'; echo 'urgent job done'")) {
		hodei_ctx_close(ctx);
		return 1;
	}
	while (remaining > 0 && hodei_sub_wait(sub, 60000) == 0)
		while (hodei_sub_next(sub, &ev) == 0) {
			on_event(ev, &remaining);
			hodei_event_free(ev);
		}
	hodei_sub_close(sub);
	hodei_ctx_close(ctx);
	return remaining == 0 ? 0 : 1;
}
