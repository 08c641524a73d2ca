/* hodei-jobs-cli workers list: the workers that exist now. */
#include "cli.h"

static void print_json(const hodei_worker_info *w)
{
	int first = 1;

	fputc('{', stdout);
	cli_json_kv_str(stdout, &first, "id", w->id);
	cli_json_kv_str(stdout, &first, "provider", w->provider);
	cli_json_kv_str(stdout, &first, "state", hodei_worker_state_name(w->state));
	cli_json_kv_str(stdout, &first, "job_id", w->job_id);
	cli_json_kv_time(stdout, &first, "started_at", w->started_at);
	cli_json_kv_time(stdout, &first, "last_seen", w->last_seen);
	cli_json_kv_int(stdout, &first, "jobs_run", w->jobs_run);
	fputs("}\n", stdout);
}

int cmd_workers_list(cli_ctx *cli, int argc, char **argv)
{
	static const char *const headers[] = { "ID", "PROVIDER", "STATE", "JOB",
	                                       "STARTED", "LAST SEEN", "JOBS RUN" };
	hodei_worker_array *list = NULL;
	cli_table table;
	size_t i;
	int first, rc;

	if ((rc = cli_begin(cli, argc, argv, 0, "", &first)) != 0)
		return rc;
	rc = hodei_client_worker_list(&list, cli->client);
	if (rc != 0)
		return cli_fail(rc, "workers list");
	cli_table_init(&table, 7, headers);
	for (i = 0; i < list->count; i++) {
		const hodei_worker_info *w = &list->items[i];
		char started[40], seen[40], jobs[24];
		const char *row[7];

		if (cli->output == CLI_OUTPUT_JSON) {
			print_json(w);
			continue;
		}
		snprintf(jobs, sizeof(jobs), "%lld", (long long)w->jobs_run);
		row[0] = w->id;
		row[1] = w->provider;
		row[2] = hodei_worker_state_name(w->state);
		row[3] = w->job_id;
		row[4] = cli_format_time(w->started_at, started, sizeof(started));
		row[5] = cli_format_time(w->last_seen, seen, sizeof(seen));
		row[6] = jobs;
		cli_table_add(&table, row);
	}
	if (cli->output == CLI_OUTPUT_TABLE) {
		if (list->count)
			cli_table_print(&table, stdout);
		else
			fprintf(stderr, "no workers (they are started when jobs are queued)\n");
	}
	cli_table_free(&table);
	hodei_worker_array_free(list);
	return CLI_EXIT_OK;
}
