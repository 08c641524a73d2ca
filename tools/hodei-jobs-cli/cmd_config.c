/*
 * hodei-jobs-cli config ...: the named contexts of the configuration file
 * (config.c): list them, pick the current one, add or change one, delete
 * one.  None of these talks to a server.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_SERVER = 256, OPT_TOKEN, OPT_TOKEN_FILE, OPT_CA };

/* Load the file, or print why not; *path receives its name. */
static int load(cli_ctx *cli, char *path, size_t size)
{
	if (cli_config_path(path, size) != 0)
		return cli_error(CLI_EXIT_USAGE, "no configuration file: set HODEI_CONFIG or HOME");
	return cli_config_load(&cli->config, path);
}

int cmd_config_get_contexts(cli_ctx *cli, int argc, char **argv)
{
	char path[4096];
	cli_table t;
	size_t i;
	int first, rc;
	static const char *const headers[] = { "CURRENT", "NAME", "SERVER", "TOKEN", "CA" };

	if ((rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = cli_expect_args(cli, argc, argv, first, 0, "")) != 0 ||
	    (rc = load(cli, path, sizeof(path))) != 0)
		return rc;
	cli_table_init(&t, 5, headers);
	for (i = 0; i < cli->config.ncontexts; i++) {
		const cli_context *c = &cli->config.contexts[i];
		int current = cli->config.current && strcmp(cli->config.current, c->name) == 0;
		/* the token itself is never printed */
		const char *token = c->token ? "(in the file)" : c->token_file;

		if (cli->output == CLI_OUTPUT_JSON) {
			int key = 1;

			fputc('{', stdout);
			cli_json_kv_str(stdout, &key, "name", c->name);
			cli_json_kv_int(stdout, &key, "current", current);
			cli_json_kv_str(stdout, &key, "server", c->server);
			cli_json_kv_str(stdout, &key, "token_file", c->token_file);
			cli_json_kv_int(stdout, &key, "has_token", c->token != NULL);
			cli_json_kv_str(stdout, &key, "ca", c->ca);
			fputs("}\n", stdout);
		} else {
			const char *row[] = { current ? "*" : "", c->name, c->server, token, c->ca };

			cli_table_add(&t, row);
		}
	}
	if (cli->output == CLI_OUTPUT_TABLE) {
		if (cli->config.ncontexts)
			cli_table_print(&t, stdout);
		else
			fprintf(stderr, "no contexts in %s\n", path);
	}
	cli_table_free(&t);
	return 0;
}

int cmd_config_use_context(cli_ctx *cli, int argc, char **argv)
{
	char path[4096];
	int first, rc;

	if ((rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = cli_expect_args(cli, argc, argv, first, 1, "NAME")) != 0 ||
	    (rc = load(cli, path, sizeof(path))) != 0)
		return rc;
	if (!cli_config_find(&cli->config, argv[first]))
		return cli_error(CLI_EXIT_NOT_FOUND, "no context '%s' in %s", argv[first], path);
	if (cli_config_set(&cli->config.current, argv[first]) != 0)
		return cli_error(CLI_EXIT_ERROR, "out of memory");
	if ((rc = cli_config_save(&cli->config, path)) != 0)
		return rc;
	printf("current context: %s\n", argv[first]);
	return 0;
}

typedef struct set_opts {
	const char *server, *token, *token_file, *ca;
} set_opts;

static int on_set_option(cli_ctx *cli, int id, const char *arg, void *state)
{
	set_opts *o = state;

	switch (id) {
	case OPT_SERVER:
		o->server = arg;
		return 0;
	case OPT_TOKEN:
		o->token = arg;
		return 0;
	case OPT_TOKEN_FILE:
		o->token_file = arg;
		return 0;
	case OPT_CA:
		o->ca = arg;
		return 0;
	default:
		return cli_usage_error(cli, "unknown option");
	}
}

/* A value for the file: one line, bounded. */
static int check_value(const cli_ctx *cli, const char *what, const char *v)
{
	if (v && (strpbrk(v, "\r\n") || strlen(v) > 4000))
		return cli_usage_error(cli, "%s: must be one line of at most 4000 bytes", what);
	return 0;
}

int cmd_config_set_context(cli_ctx *cli, int argc, char **argv)
{
	/* --server is global: the context's own server is --context-server */
	static const struct option options[] = {
		{ "context-server", required_argument, NULL, OPT_SERVER },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
		{ "ca", required_argument, NULL, OPT_CA },
		{ 0, 0, 0, 0 },
	};
	set_opts o = { NULL, NULL, NULL, NULL };
	char path[4096];
	cli_context *c;
	int first, rc;

	if ((rc = cli_parse(cli, argc, argv, options, on_set_option, &o, &first)) != 0 ||
	    (rc = cli_expect_args(cli, argc, argv, first, 1, "NAME")) != 0)
		return rc;
	if (!cli_config_valid_name(argv[first]))
		return cli_usage_error(cli, "NAME: use 1-64 of A-Z a-z 0-9 . _ -");
	if (cli->server)
		o.server = o.server ? o.server : cli->server;
	if ((rc = check_value(cli, "--context-server", o.server)) ||
	    (rc = check_value(cli, "--token", o.token)) ||
	    (rc = check_value(cli, "--token-file", o.token_file)) ||
	    (rc = check_value(cli, "--ca", o.ca)))
		return rc;
	if (o.token && o.token_file)
		return cli_usage_error(cli, "--token and --token-file: give one of them");
	if ((rc = load(cli, path, sizeof(path))) != 0)
		return rc;
	if (!(c = cli_config_add(&cli->config, argv[first])))
		return cli_error(CLI_EXIT_ERROR, "out of memory");
	if ((o.server && cli_config_set(&c->server, o.server)) ||
	    (o.token && (cli_config_set(&c->token, o.token) || cli_config_set(&c->token_file, ""))) ||
	    (o.token_file &&
	     (cli_config_set(&c->token_file, o.token_file) || cli_config_set(&c->token, ""))) ||
	    (o.ca && cli_config_set(&c->ca, o.ca)) ||
	    (!cli->config.current && cli_config_set(&cli->config.current, c->name)))
		return cli_error(CLI_EXIT_ERROR, "out of memory");
	if ((rc = cli_config_save(&cli->config, path)) != 0)
		return rc;
	printf("context %s saved in %s\n", argv[first], path);
	return 0;
}

int cmd_config_delete_context(cli_ctx *cli, int argc, char **argv)
{
	char path[4096];
	cli_context *c;
	int first, rc;

	if ((rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, &first)) != 0 ||
	    (rc = cli_expect_args(cli, argc, argv, first, 1, "NAME")) != 0 ||
	    (rc = load(cli, path, sizeof(path))) != 0)
		return rc;
	if (!(c = cli_config_find(&cli->config, argv[first])))
		return cli_error(CLI_EXIT_NOT_FOUND, "no context '%s' in %s", argv[first], path);
	free(c->name);
	free(c->server);
	free(c->token);
	free(c->token_file);
	free(c->ca);
	memmove(c, c + 1, (size_t)(cli->config.contexts + cli->config.ncontexts - c - 1) * sizeof(*c));
	cli->config.ncontexts--;
	if (cli->config.current && strcmp(cli->config.current, argv[first]) == 0)
		cli_config_set(&cli->config.current, NULL);
	if ((rc = cli_config_save(&cli->config, path)) != 0)
		return rc;
	printf("context %s deleted\n", argv[first]);
	return 0;
}
