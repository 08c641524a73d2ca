/*
 * The connection to hodeid and how library errors become messages and exit
 * codes.
 */
#include "cli.h"

int cli_exit_code(int result)
{
	switch (result) {
	case HODEI_OK:
		return CLI_EXIT_OK;
	case HODEI_EUNAVAIL:
	case HODEI_ETIMEDOUT:
		return CLI_EXIT_UNREACHABLE;
	case HODEI_ENOTFOUND:
		return CLI_EXIT_NOT_FOUND;
	case HODEI_EAUTH:
		return CLI_EXIT_AUTH;
	case HODEI_EINVAL:
		return CLI_EXIT_USAGE;
	default:
		return CLI_EXIT_ERROR;
	}
}

int cli_fail(int result, const char *what)
{
	const char *msg = hodei_error_last();

	return cli_error(cli_exit_code(result), "%s: %s", what, msg[0] ? msg
	                                                               : hodei_strerror(result));
}

int cli_open_client(cli_ctx *cli, int64_t connect_timeout_ms)
{
	hodei_client_options opts = HODEI_CLIENT_OPTIONS_INIT;

	opts.token = cli->token; /* NULL: HODEI_API_TOKEN */
	opts.connect_timeout_ms = connect_timeout_ms;
	opts.user_agent = "hodei-jobs-cli/" HODEI_VERSION_STRING;
	opts.ca_file = cli->cacert; /* NULL: HODEI_CA_FILE, else the system's store */
	return hodei_client_open(&cli->client, cli->server, &opts);
}

int cli_connect(cli_ctx *cli)
{
	int rc;

	if (cli->client)
		return 0;
	if (!cli->context_applied) {
		cli->context_applied = 1;
		if ((rc = cli_apply_context(cli)) != 0)
			return rc;
	}
	rc = cli_open_client(cli, cli->timeout_ms);
	if (rc != 0)
		return cli_error(cli_exit_code(rc), "%s", hodei_error_last());
	return 0;
}

int cli_job_action(cli_ctx *cli, int argc, char **argv,
                   int (*action)(hodei_client *client, const char *id), const char *done)
{
	int first, rc;

	if ((rc = cli_begin(cli, argc, argv, 1, "JOB-ID", &first)) != 0)
		return rc;
	rc = action(cli->client, argv[first]);
	if (rc != 0)
		return cli_fail(rc, argv[first]);
	if (cli->output == CLI_OUTPUT_JSON) {
		int key = 1;

		fputc('{', stdout);
		cli_json_kv_str(stdout, &key, "id", argv[first]);
		cli_json_kv_str(stdout, &key, "result", done);
		fputs("}\n", stdout);
	} else {
		printf("%s %s\n", argv[first], done);
	}
	return CLI_EXIT_OK;
}
