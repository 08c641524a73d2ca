/*
 * hodei-jobs-cli tokens create NAME --role ROLE | list | revoke NAME: named
 * API tokens (the CLI's own token must be an admin token).
 */
#include <string.h>
#include <time.h>

#include "cli.h"

enum { OPT_ROLE = 256 };

static const struct option create_options[] = {
	{ "role", required_argument, NULL, OPT_ROLE },
	{ 0, 0, 0, 0 },
};

static int on_role(cli_ctx *cli, int id, const char *arg, void *state)
{
	int *role = state;

	if (id != OPT_ROLE)
		return cli_usage_error(cli, "unknown option");
	if (!(*role = hodei_token_role_parse(arg)))
		return cli_usage_error(cli, "--role: expected read, submit or admin, not '%s'", arg);
	return 0;
}

int cmd_tokens_create(cli_ctx *cli, int argc, char **argv)
{
	char token[HODEI_TOKEN_LEN + 1];
	int role = 0, first, rc;

	rc = cli_parse(cli, argc, argv, create_options, on_role, &role, &first);
	if (rc == 0)
		rc = cli_expect_args(cli, argc, argv, first, 1, "NAME");
	if (rc == 0 && !role)
		rc = cli_usage_error(cli, "--role is required (read, submit or admin)");
	if (rc == 0)
		rc = cli_connect(cli);
	if (rc != 0)
		return rc;
	rc = hodei_client_token_create(cli->client, argv[first], role, token, sizeof(token));
	if (rc != 0)
		return cli_fail(rc, argv[first]);
	if (cli->output == CLI_OUTPUT_JSON) {
		int key = 1;

		fputc('{', stdout);
		cli_json_kv_str(stdout, &key, "name", argv[first]);
		cli_json_kv_str(stdout, &key, "role", hodei_token_role_name(role));
		cli_json_kv_str(stdout, &key, "token", token);
		fputs("}\n", stdout);
	} else {
		printf("%s\n", token);
		fprintf(stderr, "hodei-jobs-cli: token '%s' (%s) created; it is shown only now\n",
		        argv[first], hodei_token_role_name(role));
	}
	explicit_bzero(token, sizeof(token));
	return CLI_EXIT_OK;
}

int cmd_tokens_list(cli_ctx *cli, int argc, char **argv)
{
	static const char *const headers[] = { "NAME", "ROLE", "CREATED" };
	hodei_token_list *list = NULL;
	cli_table table;
	int first, rc;

	if ((rc = cli_begin(cli, argc, argv, 0, "", &first)) != 0)
		return rc;
	if ((rc = hodei_client_token_list(&list, cli->client)) != 0)
		return cli_fail(rc, "tokens list");
	cli_table_init(&table, 3, headers);
	for (size_t i = 0; i < list->count; i++) {
		const hodei_token_info *t = list->items[i];
		const char *role = hodei_token_role_name(t->role) ? hodei_token_role_name(t->role) : "?";
		char created[32] = "";
		time_t secs = (time_t)(t->created_at / 1000);
		struct tm tm;

		if (gmtime_r(&secs, &tm))
			strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (cli->output == CLI_OUTPUT_JSON) {
			int key = 1;

			fputc('{', stdout);
			cli_json_kv_str(stdout, &key, "name", t->name);
			cli_json_kv_str(stdout, &key, "role", role);
			cli_json_kv_str(stdout, &key, "created_at", created);
			fputs("}\n", stdout);
			continue;
		}
		const char *row[3] = { t->name, role, created };
		cli_table_add(&table, row);
	}
	if (cli->output == CLI_OUTPUT_TABLE)
		cli_table_print(&table, stdout);
	cli_table_free(&table);
	hodei_token_list_free(list);
	return CLI_EXIT_OK;
}

int cmd_tokens_revoke(cli_ctx *cli, int argc, char **argv)
{
	int first, rc;

	if ((rc = cli_begin(cli, argc, argv, 1, "NAME", &first)) != 0)
		return rc;
	if ((rc = hodei_client_token_revoke(cli->client, argv[first])) != 0)
		return cli_fail(rc, argv[first]);
	printf("%s revoked\n", argv[first]);
	return CLI_EXIT_OK;
}
