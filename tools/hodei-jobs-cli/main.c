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
	{ "jobs", "list", cmd_jobs_list, "[--status S] [--search TEXT] [--limit N]",
	  "list jobs, newest first",
	  "  --status STATES      only these states, comma-separated: queued, assigned,\n"
	  "                       running, succeeded (or completed), failed, cancelled,\n"
	  "                       timed_out, active, finished, all\n"
	  "  --search TEXT        jobs whose id starts with or whose name contains TEXT\n"
	  "  --limit N            show at most N jobs (default 50, 0 = all)\n"
	  "  --oldest             oldest first\n" },
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
	  "                       on a terminal (there they are shown as \\xHH)\n" },
	{ "workers", "list", cmd_workers_list, "", "list the workers that exist now", "" },
	{ "queue", "status", cmd_queue_status, "", "show the scheduler's queue", "" },
	{ "providers", "list", cmd_providers_list, "", "list providers", "" },
	{ "providers", "get", cmd_providers_get, "NAME", "show one provider", "" },
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
		fprintf(out, "%*s%s\n", n < 20 ? 20 - n : 1, "", commands[i].summary);
	}
	fprintf(out,
	        "\nOptions (accepted by every command):\n"
	        "  --server HOST:PORT     hodeid's gRPC address (default: $HODEI_SERVER,\n"
	        "                         else localhost:50051)\n"
	        "  --output, -o FORMAT    table (default) or json (one object per line)\n"
	        "  --connect-timeout DUR  give up connecting after DUR (default 5s)\n"
	        "  --help, -h             this help, or a command's help after it\n"
	        "  --version              print the version\n"
	        "\nEnvironment: HODEI_SERVER, HODEI_API_TOKEN (sent as a bearer token),\n"
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

/* Global options before the command word; returns the index of the command. */
static int parse_globals(cli_ctx *cli, int argc, char **argv, int *first)
{
	static const struct option options[] = {
		{ "server", required_argument, NULL, CLI_OPT_SERVER },
		{ "output", required_argument, NULL, CLI_OPT_OUTPUT },
		{ "connect-timeout", required_argument, NULL, CLI_OPT_CONNECT_TIMEOUT },
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
	cmd = find_command(argc - first, argv + first, &words, &known_group);
	if (!cmd) {
		if (known_group && first + 1 < argc)
			return cli_usage_error(NULL, "unknown command '%s %s'", argv[first],
			                       argv[first + 1]);
		if (known_group)
			return cli_usage_error(NULL, "'%s' needs a subcommand", argv[first]);
		return cli_usage_error(NULL, "unknown command '%s'", argv[first]);
	}
	cli.command = cmd;
	/* The command sees argv starting at its last word (as argv[0]). */
	rc = cmd->run(&cli, argc - first - words + 1, argv + first + words - 1);
	hodei_client_close(cli.client);
	if (fflush(stdout) != 0 && rc == 0)
		rc = cli_error(CLI_EXIT_ERROR, "cannot write the output");
	return rc < 0 ? CLI_EXIT_OK : rc;
}
