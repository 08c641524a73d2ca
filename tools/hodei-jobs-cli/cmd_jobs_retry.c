/* hodei-jobs-cli jobs retry JOB-ID: queue a failed, timed-out or cancelled job again. */
#include "cli.h"

int cmd_jobs_retry(cli_ctx *cli, int argc, char **argv)
{
	return cli_job_action(cli, argc, argv, hodei_client_job_retry, "queued again");
}
