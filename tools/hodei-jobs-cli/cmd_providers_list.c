/* hodei-jobs-cli providers list: every provider with its status and health. */
#include "cli.h"

int cmd_providers_list(cli_ctx *cli, int argc, char **argv)
{
	static const char *const headers[] = { "NAME", "TYPE", "STATUS", "HEALTH",
	                                       "JOBS", "WORKERS", "ENDPOINT" };
	hodei_provider_array *list = NULL;
	cli_table table;
	size_t i;
	int first, rc;

	if ((rc = cli_begin(cli, argc, argv, 0, "", &first)) != 0)
		return rc;
	rc = hodei_client_provider_list(&list, cli->client);
	if (rc != 0)
		return cli_fail(rc, "providers list");
	cli_table_init(&table, 7, headers);
	for (i = 0; i < list->count; i++) {
		const hodei_provider_info *p = list->items[i];
		char health[16], jobs[24], workers[24];
		const char *row[7];

		if (cli->output == CLI_OUTPUT_JSON) {
			cli_print_provider_json(stdout, p);
			continue;
		}
		snprintf(health, sizeof(health), "%d", p->health_score);
		snprintf(jobs, sizeof(jobs), "%lld", (long long)p->current_jobs);
		snprintf(workers, sizeof(workers), "%lld", (long long)p->workers);
		row[0] = p->name;
		row[1] = p->type;
		row[2] = hodei_provider_status_name(p->status);
		row[3] = health;
		row[4] = jobs;
		row[5] = workers;
		row[6] = p->endpoint;
		cli_table_add(&table, row);
	}
	if (cli->output == CLI_OUTPUT_TABLE)
		cli_table_print(&table, stdout);
	cli_table_free(&table);
	hodei_provider_array_free(list);
	return CLI_EXIT_OK;
}
