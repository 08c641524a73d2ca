/*
 * Shell completion.  The scripts for bash, zsh and fish are small: each asks
 * the CLI itself, `hodei-jobs-cli __complete WORD... CURRENT`, what may come
 * next (as kubectl's cobra scripts do), so commands, options and values are
 * known in one place, the table of main.c and each command's help text, and
 * job ids and provider names come from the server.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_JOB_IDS 100

static const char bash_script[] =
	"# bash completion for hodei-jobs-cli                       -*- shell-script -*-\n"
	"# Installed as share/bash-completion/completions/hodei-jobs-cli, or:\n"
	"#   source <(hodei-jobs-cli completion bash)\n"
	"# The candidates come from the CLI itself: hodei-jobs-cli __complete WORDS...\n"
	"\n"
	"_hodei_jobs_cli()\n"
	"{\n"
	"    local cur words cword\n"
	"    if declare -F _get_comp_words_by_ref >/dev/null; then\n"
	"        _get_comp_words_by_ref -n =: cur words cword\n"
	"    else\n"
	"        cur=${COMP_WORDS[COMP_CWORD]}\n"
	"        words=(\"${COMP_WORDS[@]}\")\n"
	"        cword=$COMP_CWORD\n"
	"    fi\n"
	"    local IFS=$'\\n'\n"
	"    COMPREPLY=($(\"${words[0]}\" __complete \"${words[@]:1:cword}\" 2>/dev/null))\n"
	"    if [[ ${COMPREPLY[0]} == :dir ]]; then\n"
	"        COMPREPLY=($(compgen -d -- \"$cur\"))\n"
	"    elif [[ ${COMPREPLY[0]} == :file ]]; then\n"
	"        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
	"    fi\n"
	"} &&\n"
	"    complete -F _hodei_jobs_cli hodei-jobs-cli\n";

static const char zsh_script[] =
	"#compdef hodei-jobs-cli\n"
	"# zsh completion for hodei-jobs-cli: put it in $fpath as _hodei-jobs-cli, or\n"
	"#   source <(hodei-jobs-cli completion zsh)\n"
	"# The candidates come from the CLI itself: hodei-jobs-cli __complete WORDS...\n"
	"\n"
	"_hodei_jobs_cli() {\n"
	"  local -a candidates\n"
	"  candidates=(\"${(@f)$(${words[1]} __complete \"${(@)words[2,CURRENT]}\" "
	"2>/dev/null)}\")\n"
	"  case ${candidates[1]} in\n"
	"    :dir) _files -/ ;;\n"
	"    :file) _files ;;\n"
	"    *) [[ -n ${candidates[1]} ]] && compadd -Q -- \"${candidates[@]}\" ;;\n"
	"  esac\n"
	"}\n"
	"\n"
	"if [[ $funcstack[1] == _hodei-jobs-cli ]]; then\n"
	"  _hodei_jobs_cli \"$@\"\n"
	"else\n"
	"  compdef _hodei_jobs_cli hodei-jobs-cli\n"
	"fi\n";

static const char fish_script[] =
	"# fish completion for hodei-jobs-cli: put it in\n"
	"# ~/.config/fish/completions/hodei-jobs-cli.fish, or\n"
	"#   hodei-jobs-cli completion fish | source\n"
	"# The candidates come from the CLI itself: hodei-jobs-cli __complete WORDS...\n"
	"\n"
	"function __hodei_jobs_cli_complete\n"
	"    set -l words (commandline -opc)\n"
	"    set -l cur (commandline -ct)\n"
	"    set -l out ($words[1] __complete $words[2..-1] \"$cur\" 2>/dev/null)\n"
	"    switch \"$out[1]\"\n"
	"        case :dir\n"
	"            __fish_complete_directories \"$cur\"\n"
	"        case :file\n"
	"            __fish_complete_path \"$cur\"\n"
	"        case '*'\n"
	"            printf '%s\\n' $out\n"
	"    end\n"
	"end\n"
	"\n"
	"complete -c hodei-jobs-cli -f -a '(__hodei_jobs_cli_complete)'\n";

int cli_completion_script(cli_ctx *cli, int argc, char **argv)
{
	(void)cli;
	if (argc == 2 && strcmp(argv[1], "bash") == 0)
		fputs(bash_script, stdout);
	else if (argc == 2 && strcmp(argv[1], "zsh") == 0)
		fputs(zsh_script, stdout);
	else if (argc == 2 && strcmp(argv[1], "fish") == 0)
		fputs(fish_script, stdout);
	else if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		printf("Usage: %s completion bash|zsh|fish\n\nPrint the shell's completion "
		       "script.  For example:\n  source <(%s completion bash)\n", CLI_PROG,
		       CLI_PROG);
	else
		return cli_error(CLI_EXIT_USAGE, "completion: expected bash, zsh or fish\n"
		                 "Usage: %s completion bash|zsh|fish", CLI_PROG);
	return CLI_EXIT_OK;
}

/* ---- what may come next ---- */

typedef struct completer {
	const char *cur; /* the word being completed */
	size_t len;
} completer;

static void offer(const completer *c, const char *word)
{
	if (word && strncmp(word, c->cur, c->len) == 0)
		printf("%s\n", word);
}

/* The global options, and whether each takes a value. */
static const struct {
	const char *name;
	int value;
} globals[] = {
	{ "--server", 1 }, { "--output", 1 }, { "-o", 1 },    { "--connect-timeout", 1 },
	{ "--context", 1 }, { "--help", 0 },  { "--version", 0 },
};

#define NGLOBALS (sizeof(globals) / sizeof(globals[0]))

/*
 * The options of a command, read from its help text ("  --status STATES",
 * "  --follow, -f"): calls fn with each name and whether it takes a value.
 * Returns what fn returned when non-zero, else 0.
 */
static int each_option(const cli_command *cmd, int (*fn)(const char *name, size_t len,
                                                         int value, void *arg), void *arg)
{
	const char *p = cmd ? cmd->help : "";

	while (*p) {
		const char *line = p, *end = p + strcspn(p, "\n");

		p = *end ? end + 1 : end;
		if (strncmp(line, "  --", 4) == 0) {
			const char *name = line + 2, *q;
			size_t len = strcspn(name, " ,\n");
			int value, rc;

			q = name + len;
			if (strncmp(q, ", -", 3) == 0) /* "--follow, -f": the short form too */
				q += 3 + strcspn(q + 3, " \n");
			value = q[0] == ' ' && q[1] >= 'A' && q[1] <= 'Z';
			if ((rc = fn(name, len, value, arg)) != 0)
				return rc;
		}
	}
	return 0;
}

typedef struct option_query {
	const char *word;
	const completer *c;
} option_query;

static int option_takes_value(const char *name, size_t len, int value, void *arg)
{
	const option_query *q = arg;

	return strlen(q->word) == len && strncmp(q->word, name, len) == 0 ? 1 + value : 0;
}

/* 2 when `word` is an option of cmd (or a global one) that takes a value,
 * 1 when it takes none, 0 when it is not an option. */
static int takes_value(const cli_command *cmd, const char *word)
{
	option_query q = { word, NULL };
	size_t i;
	int rc;

	if (strchr(word, '='))
		return 1;
	for (i = 0; i < NGLOBALS; i++)
		if (strcmp(word, globals[i].name) == 0)
			return 1 + globals[i].value;
	rc = each_option(cmd, option_takes_value, &q);
	return rc;
}

static int offer_option(const char *name, size_t len, int value, void *arg)
{
	const option_query *q = arg;
	char buf[64];

	(void)value;
	if (len < sizeof(buf)) {
		memcpy(buf, name, len);
		buf[len] = '\0';
		offer(q->c, buf);
	}
	return 0;
}

/* Open a client from what the words said (--server, --context); its
 * messages go where standard error went: /dev/null. */
static int quiet_connect(cli_ctx *cli)
{
	cli->timeout_ms = 2000;
	return cli_connect(cli);
}

static void offer_job_ids(cli_ctx *cli, const completer *c)
{
	hodei_job_filter filter = HODEI_JOB_FILTER_INIT;
	hodei_job_page *page = NULL;
	size_t i;

	if (quiet_connect(cli) != 0)
		return;
	filter.limit = MAX_JOB_IDS;
	filter.search = c->len ? c->cur : NULL; /* an id prefix */
	if (hodei_client_job_list(&page, cli->client, &filter) != 0)
		return;
	for (i = 0; i < page->count; i++)
		offer(c, page->jobs[i]->id);
	hodei_job_page_free(page);
}

static void offer_providers(cli_ctx *cli, const completer *c)
{
	hodei_provider_array *list = NULL;
	size_t i;

	if (quiet_connect(cli) != 0 || hodei_client_provider_list(&list, cli->client) != 0)
		return;
	for (i = 0; i < list->count; i++)
		offer(c, list->items[i]->name);
	hodei_provider_array_free(list);
}

static void offer_contexts(cli_ctx *cli, const completer *c)
{
	char path[4096];
	size_t i;

	if (cli_config_path(path, sizeof(path)) == 0 && cli_config_load(&cli->config, path) == 0)
		for (i = 0; i < cli->config.ncontexts; i++)
			offer(c, cli->config.contexts[i].name);
}

static void offer_words(const completer *c, const char *list)
{
	char buf[256];
	char *save = NULL, *w;

	snprintf(buf, sizeof(buf), "%s", list);
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		offer(c, w);
}

/* Values of the option `opt` (it takes one). */
static void offer_values(cli_ctx *cli, const completer *c, const char *opt)
{
	if (strcmp(opt, "--output") == 0 || strcmp(opt, "-o") == 0)
		offer_words(c, "table json");
	else if (strcmp(opt, "--priority") == 0)
		offer_words(c, "low normal high critical");
	else if (strcmp(opt, "--level") == 0)
		offer_words(c, "debug info warn error");
	else if (strcmp(opt, "--status") == 0)
		offer_words(c, "queued assigned running succeeded completed failed cancelled "
		               "timed_out active finished all");
	else if (strcmp(opt, "--provider") == 0)
		offer_providers(cli, c);
	else if (strcmp(opt, "--context") == 0)
		offer_contexts(cli, c);
	else if (strcmp(opt, "--workdir") == 0)
		printf(":dir\n");
	else if (strcmp(opt, "--token-file") == 0 || strcmp(opt, "--ca") == 0)
		printf(":file\n");
}

int cli_complete(cli_ctx *cli, int argc, char **argv)
{
	size_t ncmd, i;
	const cli_command *cmds = cli_commands(&ncmd), *cmd = NULL;
	const char *group = NULL, *first = NULL, *pending = NULL;
	int positional = 0, k, fd;
	completer c;

	if (argc < 2)
		return CLI_EXIT_OK;
	c.cur = argv[argc - 1];
	c.len = strlen(c.cur);
	/* no message of a failed lookup may reach the shell's screen */
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	/* walk the words before the current one */
	for (k = 1; k < argc - 1; k++) {
		const char *w = argv[k];

		if (pending) {
			if (strcmp(pending, "--server") == 0)
				cli->server = w;
			else if (strcmp(pending, "--context") == 0)
				cli->context_name = w;
			pending = NULL;
		} else if (w[0] == '-' && w[1]) {
			if (strncmp(w, "--server=", 9) == 0)
				cli->server = w + 9;
			else if (strncmp(w, "--context=", 10) == 0)
				cli->context_name = w + 10;
			else if (takes_value(cmd, w) == 2)
				pending = w;
		} else if (!first) {
			first = w;
			for (i = 0; i < ncmd; i++) {
				if (!cmds[i].group && strcmp(cmds[i].name, w) == 0)
					cmd = &cmds[i];
				else if (cmds[i].group && strcmp(cmds[i].group, w) == 0)
					group = w;
			}
		} else if (group && !cmd) {
			for (i = 0; i < ncmd; i++)
				if (cmds[i].group && strcmp(cmds[i].group, group) == 0 &&
				    strcmp(cmds[i].name, w) == 0)
					cmd = &cmds[i];
			if (!cmd)
				return CLI_EXIT_OK; /* an unknown subcommand: nothing to offer */
		} else {
			positional++;
		}
	}
	if (pending) {
		offer_values(cli, &c, pending);
		return CLI_EXIT_OK;
	}
	if (c.cur[0] == '-') {
		option_query q = { NULL, &c };

		each_option(cmd, offer_option, &q);
		for (i = 0; i < NGLOBALS; i++)
			if (globals[i].name[1] == '-')
				offer(&c, globals[i].name);
		return CLI_EXIT_OK;
	}
	if (!first) {
		offer(&c, "help");
		offer(&c, "completion");
		for (i = 0; i < ncmd; i++) {
			const char *w = cmds[i].group ? cmds[i].group : cmds[i].name;

			if (i == 0 || strcmp(w, cmds[i - 1].group ? cmds[i - 1].group
			                                           : cmds[i - 1].name) != 0)
				offer(&c, w);
		}
	} else if (strcmp(first, "completion") == 0) {
		offer_words(&c, "bash zsh fish");
	} else if (group && !cmd) {
		for (i = 0; i < ncmd; i++)
			if (cmds[i].group && strcmp(cmds[i].group, group) == 0)
				offer(&c, cmds[i].name);
	} else if (cmd && positional == 0 && strstr(cmd->args, "JOB-ID") == cmd->args) {
		offer_job_ids(cli, &c);
	} else if (cmd && positional == 0 && strncmp(cmd->args, "NAME", 4) == 0) {
		if (cmd->group && strcmp(cmd->group, "providers") == 0)
			offer_providers(cli, &c);
		else if (cmd->group && strcmp(cmd->group, "config") == 0)
			offer_contexts(cli, &c);
	}
	return CLI_EXIT_OK;
}
