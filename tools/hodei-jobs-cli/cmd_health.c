/* hodei-jobs-cli health: is the server up and serving? (grpc.health.v1) */
#include "cli.h"

static const char *health_name(int status)
{
	switch (status) {
	case HODEI_HEALTH_SERVING:
		return "SERVING";
	case HODEI_HEALTH_NOT_SERVING:
		return "NOT_SERVING";
	case HODEI_HEALTH_SERVICE_UNKNOWN:
		return "SERVICE_UNKNOWN";
	default:
		return "UNKNOWN";
	}
}

int cmd_health(cli_ctx *cli, int argc, char **argv)
{
	int first, rc, status;

	if ((rc = cli_begin(cli, argc, argv, 0, "", &first)) != 0)
		return rc;
	rc = hodei_client_health(cli->client, "", &status);
	if (rc != 0)
		return cli_fail(rc, "health");
	if (cli->output == CLI_OUTPUT_JSON) {
		int first_key = 1;

		fputc('{', stdout);
		cli_json_kv_str(stdout, &first_key, "server", hodei_client_address(cli->client));
		cli_json_kv_str(stdout, &first_key, "status", health_name(status));
		fputs("}\n", stdout);
	} else {
		printf("%s: %s\n", hodei_client_address(cli->client), health_name(status));
	}
	return status == HODEI_HEALTH_SERVING ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}
