/* hodei-jobs-cli queue status: the scheduler's queue. */
#include "cli.h"

int cmd_queue_status(cli_ctx *cli, int argc, char **argv)
{
	hodei_queue_status st = { HODEI_QUEUE_STATUS_VERSION, 0, 0, 0, 0, 0 };
	int first, rc;

	if ((rc = cli_begin(cli, argc, argv, 0, "", &first)) != 0)
		return rc;
	rc = hodei_client_queue_status(&st, cli->client, "default");
	if (rc != 0)
		return cli_fail(rc, "queue status");
	if (cli->output == CLI_OUTPUT_JSON) {
		int key = 1;

		fputc('{', stdout);
		cli_json_kv_str(stdout, &key, "scheduler", "default");
		cli_json_kv_int(stdout, &key, "queued", st.queued);
		cli_json_kv_int(stdout, &key, "running", st.running);
		cli_json_kv_int(stdout, &key, "max_queue_size", st.max_queue_size);
		cli_json_kv_int(stdout, &key, "workers", st.workers);
		cli_json_kv_int(stdout, &key, "idle_workers", st.workers_idle);
		fputs("}\n", stdout);
		return CLI_EXIT_OK;
	}
	printf("Scheduler:       default\n");
	printf("Queued jobs:     %lld\n", (long long)st.queued);
	printf("Running jobs:    %lld\n", (long long)st.running);
	if (st.max_queue_size < 0)
		printf("Max queue size:  unlimited\n");
	else
		printf("Max queue size:  %lld\n", (long long)st.max_queue_size);
	printf("Workers:         %lld (%lld idle)\n", (long long)st.workers,
	       (long long)st.workers_idle);
	return CLI_EXIT_OK;
}
