/* hodei-jobs-cli providers get NAME: one provider's configuration and health. */
#include "cli.h"

int cmd_providers_get(cli_ctx *cli, int argc, char **argv)
{
	hodei_provider_info *p = NULL;
	int first, rc;

	if ((rc = cli_begin(cli, argc, argv, 1, "NAME", &first)) != 0)
		return rc;
	rc = hodei_client_provider_get(&p, cli->client, argv[first]);
	if (rc != 0)
		return cli_fail(rc, argv[first]);
	if (cli->output == CLI_OUTPUT_JSON)
		cli_print_provider_json(stdout, p);
	else
		cli_print_provider_details(stdout, p);
	hodei_provider_info_free(p);
	return CLI_EXIT_OK;
}
