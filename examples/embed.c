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

static void job(hodei_job_spec *spec, const char *name, int priority, const char *script)
{
	spec->name = name;
	spec->command = script;
	spec->flags = HODEI_JOB_SHELL;
	spec->priority = priority;
	spec->timeout_ms = 60000;
}

/* One batch: all three are queued before the worker takes the first. */
static int submit_all(hodei_ctx *ctx)
{
	hodei_job_spec specs[3] = { HODEI_JOB_SPEC_INIT, HODEI_JOB_SPEC_INIT, HODEI_JOB_SPEC_INIT };

	job(&specs[0], "low", HODEI_PRIORITY_LOW, "echo low priority done");
	job(&specs[1], "normal", HODEI_PRIORITY_NORMAL, "echo normal; echo 'WARN careful' >&2");
	job(&specs[2], "critical", HODEI_PRIORITY_CRITICAL,
	    "echo '::progress::50'; echo 'urgent job done'");
	if (hodei_job_submit_batch(ctx, specs, 3, NULL, NULL) == 0)
		return 0;
	fprintf(stderr, "submit: %s\n", hodei_error_last());
	return 1;
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
	if (hodei_sub_open(&sub, ctx, &sopts) != 0) {
		fprintf(stderr, "hodei: %s\n", hodei_error_last());
		hodei_ctx_close(ctx);
		return 1;
	}
	if (submit_all(ctx) != 0) {
		hodei_sub_close(sub);
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
