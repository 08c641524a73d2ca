/* hodei-jobs-cli jobs cancel JOB-ID: cancel a job that has not finished. */
#include "cli.h"

int cmd_jobs_cancel(cli_ctx *cli, int argc, char **argv)
{
	return cli_job_action(cli, argc, argv, hodei_client_job_cancel, "cancelled");
}
