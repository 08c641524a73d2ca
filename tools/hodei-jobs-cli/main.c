/*
 * hodei-jobs-cli: the command-line client of hodeid.  This file holds the
 * table of commands, global options and help; each command is a cmd_*.c.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define QUEUE_HELP                                                              \
	"  --name NAME          display name (default: the command)\n"             \
	"  --command PROGRAM    program to run, looked up in the worker's PATH\n"  \
	"  --args TEXT          arguments, split into words like a shell does\n"  \
	"                       (quotes group words; repeat to append more)\n"     \
	"  --arg WORD           one argument, taken verbatim (repeatable)\n"       \
	"  --env NAME=VALUE     environment variable (repeatable)\n"              \
	"  --secret NAME=VALUE  secret variable: stored encrypted, never shown,\n" \
	"                       masked as *** in the log (repeatable)\n"           \
	"  --secret-file NAME=PATH  a secret variable whose value is the file's\n" \
	"                       content (one trailing newline dropped)\n"          \
	"  --timeout DURATION   kill the job after this long: 3600, 90s, 15m, 2h\n" \
	"  --priority LEVEL     low, normal (default), high or critical\n"         \
	"  --label KEY=VALUE    label for scheduling and search (repeatable)\n"   \
	"  --cpu CORES          CPU to request: 2, 0.5 or 500m\n"                  \
	"  --memory SIZE        memory to request: 512M, 2G\n"                     \
	"  --id ID              choose the job id (default: generated)\n"         \
	"  --retries N          automatic retries after a failure (default 0)\n"  \
	"  --workdir DIR        working directory on the worker\n"                \
	"  --shell              run --command as a /bin/sh -c script\n"            \
	"  --provider NAME      only run on this provider\n"                      \
	"  --wait               wait for the job to end; exit with its exit code\n" \
	"  --follow, -f         print its log while waiting (implies --wait)\n"

static const cli_command commands[] = {
	{ NULL, "health", cmd_health, "", "check that the server is up and serving", "" },
	{ "jobs", "list", cmd_jobs_list, "[--status S] [--search TEXT] [--limit N] [--watch]",
	  "list jobs, newest first",
	  "  --status STATES      only these states, comma-separated: queued, assigned,\n"
	  "                       running, succeeded (or completed), failed, cancelled,\n"
	  "                       timed_out, active, finished, all\n"
	  "  --search TEXT        jobs whose id starts with or whose name contains TEXT\n"
	  "  --limit N            show at most N jobs (default 50, 0 = all)\n"
	  "  --oldest             oldest first\n"
	  "  --watch              keep watching: on a terminal the list is redrawn;\n"
	  "                       on a pipe, jobs are printed again when they change\n"
	  "  --interval DURATION  how often --watch looks (default 2s)\n" },
	{ "jobs", "get", cmd_jobs_get, "JOB-ID", "show one job", "" },
	{ "jobs", "queue", cmd_jobs_queue, "--command PROGRAM [options]", "queue a job",
	  QUEUE_HELP },
	{ "jobs", "cancel", cmd_jobs_cancel, "JOB-ID", "cancel a job that has not finished",
	  "" },
	{ "jobs", "retry", cmd_jobs_retry, "JOB-ID",
	  "queue a failed, timed-out or cancelled job again", "" },
	{ NULL, "logs", cmd_logs, "JOB-ID [--follow]", "print a job's log",
	  "  --follow, -f         keep printing new lines until the job ends\n"
	  "  --level LEVEL        only lines at this level or above (debug, info,\n"
	  "                       warn, error)\n"
	  "  --grep TEXT          only lines containing TEXT\n"
	  "  --reconnect SECS     with --follow, how long to retry a lost connection\n"
	  "                       (default 30)\n"
	  "  --raw                print control characters as the job wrote them, even\n"
	  "                       on a terminal (there they are shown as \\xHH)\n"
	  "  --tail N             only the last N stored lines\n"
	  "  --since WHEN         only lines captured since WHEN: a duration ago (10m,\n"
	  "                       2h) or a UTC time (2026-12-07T10:00:00Z)\n" },
	{ "workers", "list", cmd_workers_list, "", "list the workers that exist now", "" },
	{ "queue", "status", cmd_queue_status, "", "show the scheduler's queue", "" },
	{ "providers", "list", cmd_providers_list, "", "list providers", "" },
	{ "providers", "get", cmd_providers_get, "NAME", "show one provider", "" },
	{ "config", "get-contexts", cmd_config_get_contexts, "",
	  "list the contexts of the configuration file", "" },
	{ "config", "use-context", cmd_config_use_context, "NAME",
	  "make a context the current one", "" },
	{ "config", "set-context", cmd_config_set_context, "NAME [options]",
	  "add a context, or change one",
	  "  --context-server HOST:PORT  the context's server (also taken from --server)\n"
	  "  --token TOKEN        the API token, kept in the file (mode 0600)\n"
	  "  --token-file FILE    or a file whose first line is the token\n"
	  "  --ca FILE            CA certificates that verify an https:// server\n" },
	{ "config", "delete-context", cmd_config_delete_context, "NAME", "delete a context", "" },
	{ "tokens", "create", cmd_tokens_create, "NAME --role ROLE",
	  "create a named API token (printed once)",
	  "  --role ROLE          read (read everything), submit (queue jobs; cancel\n"
	  "                       and read its own) or admin (everything)\n" },
	{ "tokens", "list", cmd_tokens_list, "", "list the named API tokens", "" },
	{ "tokens", "revoke", cmd_tokens_revoke, "NAME", "revoke a named API token at once",
	  "" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_global_help(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: %s [--server HOST:PORT] [--output table|json] COMMAND ...\n\n"
	        "Queue, follow and inspect jobs on a Hodei server (hodeid).\n\nCommands:\n",
	        CLI_PROG);
	for (i = 0; i < NCOMMANDS; i++) {
		int n = fprintf(out, "  ");

		n += fprintf(out, "%s%s%s", commands[i].group ? commands[i].group : "",
		             commands[i].group ? " " : "", commands[i].name);
		fprintf(out, "%*s%s\n", n < 24 ? 24 - n : 2, "", commands[i].summary);
	}
	fprintf(out,
	        "\nOptions (accepted by every command):\n"
	        "  --server HOST:PORT     hodeid's gRPC address (default: $HODEI_SERVER,\n"
	        "                         else localhost:50051); https://HOST:PORT for TLS\n"
	        "  --cacert FILE          trust the server's certificate if this CA (PEM)\n"
	        "                         issued it (default: $HODEI_CA_FILE, else the\n"
	        "                         system's trust store)\n"
	        "  --output, -o FORMAT    table (default) or json (one object per line)\n"
	        "  --connect-timeout DUR  give up connecting after DUR (default 5s)\n"
	        "  --help, -h             this help, or a command's help after it\n"
	        "  --version              print the version\n"
	        "  --context NAME         use this context of the configuration file\n"
	        "\nEnvironment: HODEI_SERVER, HODEI_API_TOKEN (sent as a bearer token),\n"
	        "HODEI_CA_FILE, HODEI_TLS_CERT and HODEI_TLS_KEY (a client certificate),\n"
	        "NO_COLOR (no colours even on a terminal).\n"
	        "\nExit status: 0 ok, 1 error, 2 usage or invalid input, 3 server unreachable\n"
	        "or not a Hodei server, 4 not found, 5 not authorized; with --wait, the job's\n"
	        "exit code (124 timed out, 125 cancelled or no exit code, 128+N signal N).\n"
	        "See hodei-jobs-cli(1).\n");
}

/* The command named by argv[0] (and argv[1] for grouped ones). */
static const cli_command *find_command(int argc, char **argv, int *words, int *known_group)
{
	size_t i;

	*known_group = 0;
	for (i = 0; i < NCOMMANDS; i++) {
		const cli_command *cmd = &commands[i];

		if (!cmd->group && strcmp(argv[0], cmd->name) == 0) {
			*words = 1;
			return cmd;
		}
		if (cmd->group && strcmp(argv[0], cmd->group) == 0) {
			*known_group = 1;
			if (argc > 1 && strcmp(argv[1], cmd->name) == 0) {
				*words = 2;
				return cmd;
			}
		}
	}
	return NULL;
}

const cli_command *cli_commands(size_t *n)
{
	*n = NCOMMANDS;
	return commands;
}

/* "Usage: hodei-jobs-cli jobs COMMAND" and the group's commands. */
static void print_group_help(FILE *out, const char *group)
{
	size_t i;

	fprintf(out, "Usage: %s %s COMMAND [options]\n\nCommands:\n", CLI_PROG, group);
	for (i = 0; i < NCOMMANDS; i++) {
		if (commands[i].group && strcmp(commands[i].group, group) == 0) {
			int n = fprintf(out, "  %s %s", group, commands[i].name);

			fprintf(out, "%*s%s\n", n < 22 ? 22 - n : 1, "", commands[i].summary);
		}
	}
	fprintf(out, "\nRun '%s %s COMMAND --help' for a command's options.\n", CLI_PROG, group);
}

/* The words a mistyped first word (group = NULL) or subcommand could have
 * meant; at most NCOMMANDS + 2 of them. */
static size_t command_words(const char *group, const char **out)
{
	size_t i, j, n = 0;

	if (!group) {
		out[n++] = "help";
		out[n++] = "completion";
	}
	for (i = 0; i < NCOMMANDS; i++) {
		const char *w = group ? (commands[i].group && strcmp(commands[i].group, group) == 0
		                                 ? commands[i].name : NULL)
		                      : (commands[i].group ? commands[i].group : commands[i].name);

		for (j = 0; w && j < n; j++)
			if (strcmp(out[j], w) == 0)
				w = NULL;
		if (w)
			out[n++] = w;
	}
	return n;
}

/* "unknown command 'jbos'" with ", did you mean 'jobs'?" when one is close. */
static int unknown_command(const char *group, const char *word)
{
	const char *words[NCOMMANDS + 2];
	const char *near = cli_closest(word, words, command_words(group, words));

	if (group)
		fprintf(stderr, "%s: unknown command '%s %s'", CLI_PROG, group, word);
	else
		fprintf(stderr, "%s: unknown command '%s'", CLI_PROG, word);
	if (near)
		fprintf(stderr, "; did you mean '%s%s%s'?", group ? group : "", group ? " " : "",
		        near);
	fputc('\n', stderr);
	if (group)
		print_group_help(stderr, group);
	else
		fprintf(stderr, "Try '%s --help'.\n", CLI_PROG);
	return CLI_EXIT_USAGE;
}

static int is_help(const char *word)
{
	return strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0;
}

/* hodei-jobs-cli help [GROUP [COMMAND]] */
static int cmd_help(cli_ctx *cli, int argc, char **argv)
{
	const cli_command *cmd;
	int words, known_group;

	if (argc < 2) {
		print_global_help(stdout);
		return CLI_EXIT_OK;
	}
	cmd = find_command(argc - 1, argv + 1, &words, &known_group);
	if (cmd) {
		cli->command = cmd;
		cli_print_command_help(cli, stdout);
		return CLI_EXIT_OK;
	}
	if (known_group && argc == 2) {
		print_group_help(stdout, argv[1]);
		return CLI_EXIT_OK;
	}
	return unknown_command(known_group ? argv[1] : NULL, known_group ? argv[2] : argv[1]);
}

/* Global options before the command word; returns the index of the command. */
static int parse_globals(cli_ctx *cli, int argc, char **argv, int *first)
{
	static const struct option options[] = {
		{ "server", required_argument, NULL, CLI_OPT_SERVER },
		{ "output", required_argument, NULL, CLI_OPT_OUTPUT },
		{ "connect-timeout", required_argument, NULL, CLI_OPT_CONNECT_TIMEOUT },
		{ "context", required_argument, NULL, CLI_OPT_CONTEXT },
		{ "cacert", required_argument, NULL, CLI_OPT_CACERT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	int id, rc;

	opterr = 0;
	optind = 0;
	while ((id = getopt_long(argc, argv, "+:ho:V", options, NULL)) != -1) {
		if (id == 'h') {
			print_global_help(stdout);
			return -1;
		} else if (id == 'V') {
			printf("%s %s\n", CLI_PROG, hodei_version());
			return -1;
		} else if (id == '?') {
			return optopt ? cli_usage_error(NULL, "unknown option '-%c'", optopt)
			              : cli_usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
		} else if (id == ':') {
			return cli_usage_error(NULL, "option '%s' needs a value", argv[optind - 1]);
		} else if ((rc = cli_global_option(cli, id, optarg)) != 0) {
			return rc;
		}
	}
	*first = optind;
	return 0;
}

static void init_cli(cli_ctx *cli)
{
	const char *no_color = getenv("NO_COLOR");

	memset(cli, 0, sizeof(*cli));
	cli->prog = CLI_PROG;
	cli->output = CLI_OUTPUT_TABLE;
	cli->color = isatty(STDOUT_FILENO) && !(no_color && no_color[0]);
	cli->escape = isatty(STDOUT_FILENO);
}

int main(int argc, char **argv)
{
	const cli_command *cmd;
	int first = 1, words = 0, known_group, rc;
	cli_ctx cli;

	init_cli(&cli);
	rc = parse_globals(&cli, argc, argv, &first);
	if (rc != 0)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (first >= argc) {
		print_global_help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[first], "help") == 0)
		return cmd_help(&cli, argc - first, argv + first);
	if (strcmp(argv[first], "completion") == 0)
		return cli_completion_script(&cli, argc - first, argv + first);
	if (strcmp(argv[first], "__complete") == 0)
		return cli_complete(&cli, argc - first, argv + first);
	cmd = find_command(argc - first, argv + first, &words, &known_group);
	if (!cmd) {
		if (known_group && first + 1 < argc && is_help(argv[first + 1])) {
			print_group_help(stdout, argv[first]);
			return CLI_EXIT_OK;
		}
		if (known_group && first + 1 < argc)
			return unknown_command(argv[first], argv[first + 1]);
		if (known_group) {
			fprintf(stderr, "%s: '%s' needs a subcommand\n", CLI_PROG, argv[first]);
			print_group_help(stderr, argv[first]);
			return CLI_EXIT_USAGE;
		}
		return unknown_command(NULL, argv[first]);
	}
	cli.command = cmd;
	/* The command sees argv starting at its last word (as argv[0]). */
	rc = cmd->run(&cli, argc - first - words + 1, argv + first + words - 1);
	hodei_client_close(cli.client);
	cli_config_free(&cli.config);
	free(cli.token);
	if (fflush(stdout) != 0 && rc == 0)
		rc = cli_error(CLI_EXIT_ERROR, "cannot write the output");
	return rc < 0 ? CLI_EXIT_OK : rc;
}
