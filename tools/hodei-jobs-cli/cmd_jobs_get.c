/* hodei-jobs-cli jobs get JOB-ID: one job in detail. */
#include "cli.h"

int cmd_jobs_get(cli_ctx *cli, int argc, char **argv)
{
	hodei_job *job = NULL;
	int first, rc;

	if ((rc = cli_begin(cli, argc, argv, 1, "JOB-ID", &first)) != 0)
		return rc;
	rc = hodei_client_job_get(&job, cli->client, argv[first]);
	if (rc != 0)
		return cli_fail(rc, argv[first]);
	if (cli->output == CLI_OUTPUT_JSON)
		cli_print_job_json(stdout, job);
	else
		cli_print_job_details(stdout, job);
	hodei_job_free(job);
	return CLI_EXIT_OK;
}
