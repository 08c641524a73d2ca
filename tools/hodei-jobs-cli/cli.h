/*
 * hodei-jobs-cli: shared declarations.  Each subcommand is one cmd_*.c file
 * registered in the table of main.c; they share option parsing, output and
 * connection helpers declared here.
 */
#ifndef HODEI_CLI_H
#define HODEI_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include <hodei/client.h>
#include <hodei/hodei.h>

#define CLI_PROG "hodei-jobs-cli"

/* Exit codes (documented in man/hodei-jobs-cli.1). */
#define CLI_EXIT_OK 0
#define CLI_EXIT_ERROR 1       /* the server refused the request, or another failure */
#define CLI_EXIT_USAGE 2       /* bad command line */
#define CLI_EXIT_UNREACHABLE 3 /* no Hodei server at the address, or it went away */
#define CLI_EXIT_NOT_FOUND 4   /* no such job or provider */
#define CLI_EXIT_AUTH 5        /* the server refused the token */
/* With --wait, the job's own result: */
#define CLI_EXIT_JOB_TIMED_OUT 124
#define CLI_EXIT_JOB_NO_EXIT 125 /* cancelled, or ended without an exit status */

enum cli_output { CLI_OUTPUT_TABLE, CLI_OUTPUT_JSON };

/** One named context of the configuration file (config.c). */
typedef struct cli_context {
	char *name;
	char *server;     /* HOST:PORT, or NULL */
	char *token;      /* the API token itself, or NULL */
	char *token_file; /* or a file whose first line is the token */
	char *ca;         /* CA file that verifies the server (https://) */
} cli_context;

typedef struct cli_config {
	char *current; /* current-context, or NULL */
	cli_context *contexts;
	size_t ncontexts;
} cli_config;

/** Options every command accepts, and what they resolve to. */
typedef struct cli {
	const char *prog;    /* "hodei-jobs-cli" */
	const char *server;  /* --server, else HODEI_SERVER, else the default */
	const char *cacert;  /* --cacert, else HODEI_CA_FILE, else the system's store */
	int output;          /* enum cli_output */
	int color;           /* colour log lines by level */
	int escape;          /* show control characters in log lines as \xHH */
	int64_t timeout_ms;  /* --connect-timeout */
	const char *context_name; /* --context */
	int context_applied;      /* cli_apply_context() ran */
	cli_config config;        /* the configuration file, once read */
	char *token;              /* from the context, else NULL: HODEI_API_TOKEN */
	const struct cli_command *command;
	hodei_client *client; /* opened on demand by cli_connect() */
} cli_ctx;

typedef struct cli_command {
	const char *group; /* "jobs", or NULL for a top-level command */
	const char *name;
	int (*run)(cli_ctx *cli, int argc, char **argv);
	const char *args;    /* synopsis after the command words */
	const char *summary; /* one line for --help */
	const char *help;    /* the command's options, for its --help */
} cli_command;

/* ---- options.c: messages, usage and option parsing ---- */
/** Print "prog: message" on stderr and return `code`. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** A usage error: message, the command's usage, exit code 2. */
int cli_usage_error(const cli_ctx *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_print_command_help(const cli_ctx *cli, FILE *out);
/** "jobs queue --command PROGRAM [options]" */
void cli_print_synopsis(const cli_command *cmd, FILE *out);

/** Ids for the options every command accepts (beyond a command's own). */
enum {
	CLI_OPT_SERVER = 1000,
	CLI_OPT_OUTPUT,
	CLI_OPT_HELP,
	CLI_OPT_CONNECT_TIMEOUT,
	CLI_OPT_CONTEXT,
	CLI_OPT_CACERT
};

/**
 * getopt_long over argv with the command's options plus the global ones.
 * on_option is called for the command's own options; it returns 0 or an
 * exit code.  Returns 0 with *first_arg at the first positional argument,
 * -1 when --help was printed (exit 0), or an exit code.
 */
int cli_parse(cli_ctx *cli, int argc, char **argv, const struct option *options,
              int (*on_option)(cli_ctx *cli, int id, const char *arg, void *state), void *state,
              int *first_arg);
/** Apply a global option (also used before the command word). */
int cli_global_option(cli_ctx *cli, int id, const char *arg);
/** Exactly `want` positional arguments, named for the error message. */
int cli_expect_args(const cli_ctx *cli, int argc, char **argv, int first, int want,
                    const char *what);

/**
 * For commands without options of their own: parse, check for exactly
 * `nargs` positional arguments (named `what`), connect.  0 or an exit code
 * (-1 after --help).
 */
int cli_begin(cli_ctx *cli, int argc, char **argv, int nargs, const char *what, int *first);

/** Run a job action (cancel, retry) on argv's JOB-ID and report it. */
int cli_job_action(cli_ctx *cli, int argc, char **argv,
                   int (*action)(hodei_client *client, const char *id), const char *done);

/* ---- words.c: parsing that needs no server ---- */
/**
 * Split `text` into words like a POSIX shell does, without expansions:
 * blanks separate words; 'single quotes' keep everything; "double quotes"
 * keep everything but \" \\ \$ \`, which lose the backslash; a backslash
 * outside quotes keeps the next character.  Appends to *words (malloc'd).
 * Returns 0, or -1 with *error set (static text) for an unterminated quote
 * or a trailing backslash.
 */
int cli_split_words(const char *text, char ***words, size_t *nwords, const char **error);
void cli_free_words(char **words, size_t nwords);
/** Append one malloc'd copy of s; -1 on ENOMEM. */
int cli_push_word(char ***words, size_t *nwords, const char *s);

/** "3600", "90s", "15m", "2h", "1d", "500ms" -> ms.  -1 if malformed. */
int cli_parse_duration_ms(const char *text, int64_t *ms);
/** "512", "512K", "512M", "1G", "2Gi", "1.5G" (powers of 1024) -> bytes. */
int cli_parse_size(const char *text, uint64_t *bytes);
/** "2" (cores), "0.5", "500m" (millicores) -> millicores. */
int cli_parse_cpu(const char *text, uint32_t *millis);
/** A decimal integer within [min, max]. */
int cli_parse_int(const char *text, int64_t min, int64_t max, int64_t *value);
/** NAME=value with NAME a valid variable name ([A-Za-z_][A-Za-z0-9_]*). */
int cli_check_env(const char *text);
/** key=value with a non-empty key. */
int cli_check_label(const char *text);
/** Quote a word for a shell if it needs it (malloc'd). */
char *cli_shell_quote(const char *word);
/** Edits (insert, delete, replace, swap two neighbours) from a to b. */
size_t cli_edit_distance(const char *a, const char *b);
/**
 * The candidate closest to a mistyped word ("lsit" -> "list", "--stauts" ->
 * "--status"), or NULL when none is close enough to suggest.  A candidate
 * that starts with the word counts as one edit away.
 */
const char *cli_closest(const char *word, const char *const *candidates, size_t n);

/* ---- output.c ---- */
/**
 * s with the control characters a terminal would act on shown as \xHH (C1
 * as \u00HH; tabs kept), malloc'd; NULL on ENOMEM.
 */
char *cli_escape_text(const char *s, size_t len);
/** Write s as it is, or through cli_escape_text() when `escape`. */
void cli_write_text(FILE *out, const char *s, size_t len, int escape);
/** out is a terminal: tables and job details escape what they show there. */
int cli_is_terminal(FILE *out);
/** Write s as a JSON string literal; invalid UTF-8 becomes U+FFFD. */
void cli_json_str(FILE *out, const char *s, size_t len);
void cli_json_key(FILE *out, int *first, const char *key);
void cli_json_kv_str(FILE *out, int *first, const char *key, const char *value);
void cli_json_kv_int(FILE *out, int *first, const char *key, int64_t value);
void cli_json_kv_time(FILE *out, int *first, const char *key, int64_t ms);
void cli_json_kv_strv(FILE *out, int *first, const char *key, char *const *v, size_t n);
/** "2026-11-26T19:40:01.123Z", or "-" for 0; buf of at least 32 bytes. */
const char *cli_format_time(int64_t ms, char *buf, size_t size);
/** "1.2s", "3m04s", "2h03m" or "-". */
const char *cli_format_duration(int64_t ms, char *buf, size_t size);

/** A table printed with aligned columns once every row is in. */
typedef struct cli_table {
	size_t ncols;
	size_t nrows;
	char **cells; /* nrows * ncols, malloc'd */
} cli_table;

void cli_table_init(cli_table *t, size_t ncols, const char *const *headers);
/** Add a row of ncols cells (copied; NULL prints as "-"). */
void cli_table_add(cli_table *t, const char *const *row);
/** Print the rows with aligned columns; on a terminal, control characters
 *  in cells are escaped (cli_escape_text()). */
void cli_table_print(const cli_table *t, FILE *out);
void cli_table_free(cli_table *t);

/** Print one log line: raw text, or escaped when cli->escape (a terminal,
 *  unless --raw), coloured by level when cli->color. */
void cli_print_log_line(const cli_ctx *cli, const hodei_log_line *line, FILE *out);

/* ---- render.c: jobs, workers, providers as tables or JSON ---- */
void cli_print_job_json(FILE *out, const hodei_job *job);
/** The detail view; on a terminal, control characters are escaped. */
void cli_print_job_details(FILE *out, const hodei_job *job);
void cli_table_init_jobs(cli_table *t);
void cli_table_add_job(cli_table *t, const hodei_job *job);
void cli_print_provider_json(FILE *out, const hodei_provider_info *provider);
void cli_print_provider_details(FILE *out, const hodei_provider_info *provider);

/* ---- connect.c ---- */
/** Open cli->client with the CLI's options; a HODEI_E* code, nothing printed. */
int cli_open_client(cli_ctx *cli, int64_t connect_timeout_ms);
/** Open cli->client (once).  Returns 0 or an exit code, message printed. */
int cli_connect(cli_ctx *cli);
/** Exit code for a libhodei result code. */
int cli_exit_code(int result);
/** Print "prog: what: <hodei_error_last()>" and return the exit code. */
int cli_fail(int result, const char *what);

/* ---- follow.c ---- */
typedef struct cli_follow {
	const char *job_id;
	int min_level;        /* 0: every level */
	const char *contains; /* NULL: every line */
	int64_t reconnect_ms; /* how long to retry a lost connection */
	int print;            /* print the lines (else only wait for the end) */
	int64_t last_seq;     /* the last line seen; the next follow starts after it */
} cli_follow;

/**
 * Print the job's log from f->last_seq on until the job has ended (across
 * automatic retries), reconnecting when the connection to the server is
 * lost, for up to f->reconnect_ms each time.  *final (may be NULL) receives
 * the ended job.  Returns 0 or an exit code (message printed).
 */
int cli_follow_logs(cli_ctx *cli, cli_follow *f, hodei_job **final);
/** Final, and no automatic retry will follow. */
int cli_job_done(const hodei_job *job);

/* ---- config.c: named contexts ---- */
/** The configuration file's path ($HODEI_CONFIG, XDG, ~/.config); -1 if none. */
int cli_config_path(char *buf, size_t size);
/** Parse the file's text (path names it in messages): 0 or an exit code,
 *  message printed. */
int cli_config_parse(cli_config *cfg, const char *text, const char *path);
/** Read the file; a missing file is an empty configuration. */
int cli_config_load(cli_config *cfg, const char *path);
/** Write it back atomically, mode 0600. */
int cli_config_save(const cli_config *cfg, const char *path);
void cli_config_free(cli_config *cfg);
/** A context name: 1-64 of A-Z a-z 0-9 . _ - */
int cli_config_valid_name(const char *s);
cli_context *cli_config_find(const cli_config *cfg, const char *name);
/** The context named `name`, added empty if missing; NULL on ENOMEM. */
cli_context *cli_config_add(cli_config *cfg, const char *name);
/** *field = copy of value ("" or NULL clears); -1 on ENOMEM. */
int cli_config_set(char **field, const char *value);
/**
 * Resolve --context (or the file's current context) into cli->server,
 * cli->token and cli->cacert.  Precedence: --server (--cacert), then an
 * explicit --context, then HODEI_SERVER / HODEI_API_TOKEN / HODEI_CA_FILE,
 * then the current context.
 */
int cli_apply_context(cli_ctx *cli);

/* ---- complete.c: shell completion ---- */
/** hodei-jobs-cli completion bash|zsh|fish: print the script. */
int cli_completion_script(cli_ctx *cli, int argc, char **argv);
/** hodei-jobs-cli __complete WORD... CURRENT: the candidates, one a line. */
int cli_complete(cli_ctx *cli, int argc, char **argv);
/** The table of commands (main.c). */
const cli_command *cli_commands(size_t *n);

/* ---- cmd_jobs_list.c ---- */
/** "running,failed" (also all, active, finished, completed) -> state mask. */
int cli_parse_states(const char *text, unsigned int *mask);

/* ---- the commands ---- */
int cmd_health(cli_ctx *cli, int argc, char **argv);
int cmd_jobs_list(cli_ctx *cli, int argc, char **argv);
int cmd_jobs_get(cli_ctx *cli, int argc, char **argv);
int cmd_jobs_queue(cli_ctx *cli, int argc, char **argv);
int cmd_jobs_cancel(cli_ctx *cli, int argc, char **argv);
int cmd_jobs_retry(cli_ctx *cli, int argc, char **argv);
int cmd_logs(cli_ctx *cli, int argc, char **argv);
int cmd_workers_list(cli_ctx *cli, int argc, char **argv);
int cmd_queue_status(cli_ctx *cli, int argc, char **argv);
int cmd_providers_list(cli_ctx *cli, int argc, char **argv);
int cmd_tokens_create(cli_ctx *cli, int argc, char **argv);
int cmd_tokens_list(cli_ctx *cli, int argc, char **argv);
int cmd_tokens_revoke(cli_ctx *cli, int argc, char **argv);
int cmd_providers_get(cli_ctx *cli, int argc, char **argv);
int cmd_config_get_contexts(cli_ctx *cli, int argc, char **argv);
int cmd_config_use_context(cli_ctx *cli, int argc, char **argv);
int cmd_config_set_context(cli_ctx *cli, int argc, char **argv);
int cmd_config_delete_context(cli_ctx *cli, int argc, char **argv);

#endif
