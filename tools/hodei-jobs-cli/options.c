/*
 * Option parsing shared by every command: the command's own options plus
 * the global ones (--server, --output, --connect-timeout, --help), which are
 * accepted before the command words too.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_error(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", CLI_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void cli_print_synopsis(const cli_command *cmd, FILE *out)
{
	fprintf(out, "%s%s%s%s%s", cmd->group ? cmd->group : "", cmd->group ? " " : "",
	        cmd->name, cmd->args[0] ? " " : "", cmd->args);
}

void cli_print_command_help(const cli_ctx *cli, FILE *out)
{
	const cli_command *cmd = cli->command;

	fprintf(out, "Usage: %s ", CLI_PROG);
	cli_print_synopsis(cmd, out);
	fprintf(out, "\n\n%s.\n", cmd->summary);
	if (cmd->help[0])
		fprintf(out, "\nOptions:\n%s", cmd->help);
	fprintf(out, "\nGlobal options: --server HOST:PORT, --output table|json, "
	        "--connect-timeout DURATION, --cacert FILE.\n");
}

int cli_usage_error(const cli_ctx *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", CLI_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cli && cli->command) {
		fprintf(stderr, "Usage: %s ", CLI_PROG);
		cli_print_synopsis(cli->command, stderr);
		fprintf(stderr, "\nTry '%s %s%s%s --help'.\n", CLI_PROG,
		        cli->command->group ? cli->command->group : "",
		        cli->command->group ? " " : "", cli->command->name);
	} else {
		fprintf(stderr, "Try '%s --help'.\n", CLI_PROG);
	}
	return CLI_EXIT_USAGE;
}

static const struct option global_options[] = {
	{ "server", required_argument, NULL, CLI_OPT_SERVER },
	{ "output", required_argument, NULL, CLI_OPT_OUTPUT },
	{ "connect-timeout", required_argument, NULL, CLI_OPT_CONNECT_TIMEOUT },
	{ "cacert", required_argument, NULL, CLI_OPT_CACERT },
	{ "help", no_argument, NULL, CLI_OPT_HELP },
	{ "context", required_argument, NULL, CLI_OPT_CONTEXT },
};

#define NGLOBAL (sizeof(global_options) / sizeof(global_options[0]))

int cli_global_option(cli_ctx *cli, int id, const char *arg)
{
	switch (id) {
	case CLI_OPT_SERVER:
		if (!arg[0])
			return cli_usage_error(cli, "--server: must not be empty");
		cli->server = arg;
		return 0;
	case CLI_OPT_CACERT:
		if (!arg[0])
			return cli_usage_error(cli, "--cacert: must not be empty");
		cli->cacert = arg;
		return 0;
	case 'o':
	case CLI_OPT_OUTPUT:
		if (strcmp(arg, "table") == 0)
			cli->output = CLI_OUTPUT_TABLE;
		else if (strcmp(arg, "json") == 0)
			cli->output = CLI_OUTPUT_JSON;
		else
			return cli_usage_error(cli, "--output: expected 'table' or 'json', not '%s'", arg);
		return 0;
	case CLI_OPT_CONNECT_TIMEOUT:
		if (cli_parse_duration_ms(arg, &cli->timeout_ms) != 0 || cli->timeout_ms <= 0)
			return cli_usage_error(cli, "--connect-timeout: expected a duration such as "
			                       "5 or 500ms, not '%s'", arg);
		return 0;
	case CLI_OPT_CONTEXT:
		if (!arg[0])
			return cli_usage_error(cli, "--context: must not be empty");
		cli->context_name = arg;
		return 0;
	default:
		return cli_usage_error(cli, "unexpected option");
	}
}

/* "ho:" plus the short forms of the command's options. */
static void short_options(char *buf, size_t size, const struct option *options)
{
	size_t n = 0;

	buf[n++] = ':'; /* report a missing value as ':' */
	buf[n++] = 'h';
	buf[n++] = 'o';
	buf[n++] = ':';
	for (; options && options->name && n + 3 < size; options++) {
		if (options->val > 0 && options->val < 128) {
			buf[n++] = (char)options->val;
			if (options->has_arg == required_argument)
				buf[n++] = ':';
		}
	}
	buf[n] = '\0';
}

static struct option *merge_options(const struct option *options)
{
	size_t n = 0;
	struct option *all;

	while (options && options[n].name)
		n++;
	all = calloc(n + NGLOBAL + 1, sizeof(*all));
	if (!all)
		return NULL;
	if (n)
		memcpy(all, options, n * sizeof(*all));
	memcpy(all + n, global_options, sizeof(global_options));
	return all;
}

/* "unknown option '--stauts'; did you mean '--status'?" */
static int unknown_option(const cli_ctx *cli, const char *word, const struct option *all)
{
	const char *names[64];
	char buf[80];
	const char *near;
	size_t n = 0, len = strcspn(word, "=");

	for (; all->name && n < 64; all++)
		names[n++] = all->name;
	if (strncmp(word, "--", 2) != 0 || len - 2 >= sizeof(buf))
		return cli_usage_error(cli, "unknown option '%s'", word);
	memcpy(buf, word + 2, len - 2);
	buf[len - 2] = '\0';
	near = cli_closest(buf, names, n);
	return near ? cli_usage_error(cli, "unknown option '%s'; did you mean '--%s'?", word, near)
	            : cli_usage_error(cli, "unknown option '%s'", word);
}

int cli_parse(cli_ctx *cli, int argc, char **argv, const struct option *options,
              int (*on_option)(cli_ctx *cli, int id, const char *arg, void *state), void *state,
              int *first_arg)
{
	struct option *all = merge_options(options);
	char shortopts[64];
	int id, rc = 0;

	if (!all)
		return cli_error(CLI_EXIT_ERROR, "out of memory");
	short_options(shortopts, sizeof(shortopts), options);
	opterr = 0;
	optind = 0; /* glibc: full re-initialisation */
	while (rc == 0 && (id = getopt_long(argc, argv, shortopts, all, NULL)) != -1) {
		if (id == '?') {
			rc = optopt ? cli_usage_error(cli, "unknown option '-%c'", optopt)
			            : unknown_option(cli, argv[optind - 1], all);
		} else if (id == ':') {
			rc = cli_usage_error(cli, "option '%s' needs a value", argv[optind - 1]);
		} else if (id == 'h' || id == CLI_OPT_HELP) {
			cli_print_command_help(cli, stdout);
			rc = -1;
		} else if (id == 'o' || id >= CLI_OPT_SERVER) {
			rc = cli_global_option(cli, id, optarg);
		} else {
			rc = on_option ? on_option(cli, id, optarg, state)
			               : cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
		}
	}
	free(all);
	*first_arg = optind;
	return rc;
}

int cli_expect_args(const cli_ctx *cli, int argc, char **argv, int first, int want,
                    const char *what)
{
	if (argc - first < want)
		return cli_usage_error(cli, "missing %s", what);
	if (argc - first > want)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[first + want]);
	return 0;
}

int cli_begin(cli_ctx *cli, int argc, char **argv, int nargs, const char *what, int *first)
{
	int rc = cli_parse(cli, argc, argv, NULL, NULL, NULL, first);

	if (rc == 0)
		rc = cli_expect_args(cli, argc, argv, *first, nargs, what);
	if (rc == 0)
		rc = cli_connect(cli);
	return rc;
}
