/*
 * hodei-jobs-cli jobs queue: queue a job, optionally wait for it (and print
 * its log) and exit with its exit code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_NAME = 256, OPT_COMMAND, OPT_ARGS, OPT_ARG, OPT_ENV, OPT_TIMEOUT, OPT_PRIORITY,
	OPT_LABEL, OPT_CPU, OPT_MEMORY, OPT_ID, OPT_RETRIES, OPT_WORKDIR, OPT_SHELL,
	OPT_PROVIDER, OPT_WAIT, OPT_SECRET, OPT_SECRET_FILE
};

static const struct option options[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "command", required_argument, NULL, OPT_COMMAND },
	{ "args", required_argument, NULL, OPT_ARGS },
	{ "arg", required_argument, NULL, OPT_ARG },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "secret-file", required_argument, NULL, OPT_SECRET_FILE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "id", required_argument, NULL, OPT_ID },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "workdir", required_argument, NULL, OPT_WORKDIR },
	{ "shell", no_argument, NULL, OPT_SHELL },
	{ "provider", required_argument, NULL, OPT_PROVIDER },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "follow", no_argument, NULL, 'f' },
	{ 0, 0, 0, 0 },
};

typedef struct queue_opts {
	hodei_job_spec spec;
	char **args, **env, **labels, **secrets;
	size_t nargs, nenv, nlabels, nsecrets;
	int wait, follow;
} queue_opts;

static int push(char ***v, size_t *n, const char *s)
{
	return cli_push_word(v, n, s) == 0 ? 0 : cli_error(CLI_EXIT_ERROR, "out of memory");
}

/* --secret-file NAME=PATH: "NAME=" and the file's content, one trailing
 * newline dropped; the value is never printed, even in an error. */
static int secret_from_file(cli_ctx *cli, const char *arg, queue_opts *q)
{
	const char *eq = strchr(arg, '=');
	char buf[HODEI_SECRET_VALUE_MAX + 2];
	size_t n, namelen = eq ? (size_t)(eq - arg) : 0;
	FILE *f;
	int rc;

	if (!eq || namelen == 0)
		return cli_usage_error(cli, "--secret-file \"%s\": expected NAME=PATH", arg);
	if (!(f = fopen(eq + 1, "re")))
		return cli_error(CLI_EXIT_ERROR, "--secret-file %s: %s", eq + 1, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	rc = ferror(f);
	fclose(f);
	if (rc)
		return cli_error(CLI_EXIT_ERROR, "--secret-file %s: cannot read it", eq + 1);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > HODEI_SECRET_VALUE_MAX || memchr(buf, '\0', n))
		return cli_usage_error(cli, "--secret-file %s: more than %d bytes, or a NUL byte",
		                       eq + 1, HODEI_SECRET_VALUE_MAX);
	char *entry = malloc(namelen + 1 + n + 1);
	if (!entry)
		return cli_error(CLI_EXIT_ERROR, "out of memory");
	memcpy(entry, arg, namelen + 1);
	memcpy(entry + namelen + 1, buf, n);
	entry[namelen + 1 + n] = '\0';
	explicit_bzero(buf, sizeof(buf));
	rc = cli_check_env(entry) != 0
	         ? cli_usage_error(cli, "--secret-file \"%.*s\": NAME made of letters, digits and _",
	                           (int)namelen, arg)
	         : push(&q->secrets, &q->nsecrets, entry);
	explicit_bzero(entry, strlen(entry));
	free(entry);
	return rc;
}

static int on_value(cli_ctx *cli, int id, const char *arg, queue_opts *q)
{
	const char *error;
	int64_t n;

	switch (id) {
	case OPT_ARGS:
		if (cli_split_words(arg, &q->args, &q->nargs, &error) != 0)
			return cli_usage_error(cli, "--args \"%s\": %s", arg, error);
		return 0;
	case OPT_ARG:
		return push(&q->args, &q->nargs, arg);
	case OPT_ENV:
		if (cli_check_env(arg) != 0)
			return cli_usage_error(cli, "--env \"%s\": expected NAME=VALUE (NAME made "
			                       "of letters, digits and _, not starting with a digit)",
			                       arg);
		return push(&q->env, &q->nenv, arg);
	case OPT_SECRET:
		if (cli_check_env(arg) != 0)
			return cli_usage_error(cli, "--secret: expected NAME=VALUE (NAME made of letters, "
			                       "digits and _, not starting with a digit)");
		return push(&q->secrets, &q->nsecrets, arg);
	case OPT_SECRET_FILE:
		return secret_from_file(cli, arg, q);
	case OPT_LABEL:
		if (cli_check_label(arg) != 0)
			return cli_usage_error(cli, "--label \"%s\": expected KEY=VALUE", arg);
		return push(&q->labels, &q->nlabels, arg);
	case OPT_RETRIES:
		if (cli_parse_int(arg, 0, HODEI_RETRIES_MAX, &n) != 0)
			return cli_usage_error(cli, "--retries: expected a number from 0 to %d, "
			                       "not '%s'", HODEI_RETRIES_MAX, arg);
		q->spec.max_retries = (int)n;
		return 0;
	default:
		return cli_usage_error(cli, "unknown option");
	}
}

static int on_option(cli_ctx *cli, int id, const char *arg, void *state)
{
	queue_opts *q = state;

	switch (id) {
	case OPT_NAME:
		q->spec.name = arg;
		return 0;
	case OPT_COMMAND:
		q->spec.command = arg;
		return 0;
	case OPT_ID:
		q->spec.id = arg;
		return 0;
	case OPT_WORKDIR:
		q->spec.workdir = arg;
		return 0;
	case OPT_PROVIDER:
		q->spec.provider = arg;
		return 0;
	case OPT_SHELL:
		q->spec.flags |= HODEI_JOB_SHELL;
		return 0;
	case OPT_WAIT:
		q->wait = 1;
		return 0;
	case 'f':
		q->follow = q->wait = 1;
		return 0;
	case OPT_TIMEOUT:
		if (cli_parse_duration_ms(arg, &q->spec.timeout_ms) != 0)
			return cli_usage_error(cli, "--timeout: expected seconds (3600) or a "
			                       "duration (90s, 15m, 2h, 1d), not '%s'", arg);
		return 0;
	case OPT_PRIORITY:
		if (hodei_priority_parse(arg, &q->spec.priority) != 0)
			return cli_usage_error(cli, "--priority: expected low, normal, high or "
			                       "critical, not '%s'", arg);
		return 0;
	case OPT_CPU:
		if (cli_parse_cpu(arg, &q->spec.cpu_millis) != 0)
			return cli_usage_error(cli, "--cpu: expected cores (2, 0.5) or millicores "
			                       "(500m), not '%s'", arg);
		return 0;
	case OPT_MEMORY:
		if (cli_parse_size(arg, &q->spec.memory_bytes) != 0)
			return cli_usage_error(cli, "--memory: expected a size such as 512M or 2G, "
			                       "not '%s'", arg);
		return 0;
	default:
		return on_value(cli, id, arg, q);
	}
}

/* The exit code that stands for how the job ended (see the manual page). */
static int job_exit_code(const hodei_job *job)
{
	if (job->state == HODEI_JOB_SUCCEEDED)
		return CLI_EXIT_OK;
	if (job->state == HODEI_JOB_TIMED_OUT)
		return CLI_EXIT_JOB_TIMED_OUT;
	if (job->state == HODEI_JOB_FAILED && job->exit_code > 0)
		return job->exit_code & 0xff;
	if (job->state == HODEI_JOB_FAILED && job->term_signal > 0)
		return 128 + (job->term_signal & 0x7f);
	return CLI_EXIT_JOB_NO_EXIT;
}

static void report_end(const hodei_job *job)
{
	char status[64] = "";

	if (job->exit_code >= 0)
		snprintf(status, sizeof(status), " (exit code %d)", job->exit_code);
	else if (job->term_signal)
		snprintf(status, sizeof(status), " (signal %d)", job->term_signal);
	fprintf(stderr, "%s: job %s %s%s%s%s\n", "hodei-jobs-cli", job->id,
	        hodei_job_state_name(job->state), status, job->reason ? ": " : "",
	        job->reason ? job->reason : "");
}

static int wait_for_job(cli_ctx *cli, const char *id, int follow)
{
	cli_follow f = { id, 0, NULL, 30000, follow, 0 };
	hodei_job *job = NULL;
	int rc = cli_follow_logs(cli, &f, &job);

	if (rc != 0)
		return rc;
	if (cli->output == CLI_OUTPUT_JSON)
		cli_print_job_json(stdout, job);
	else
		report_end(job);
	rc = job_exit_code(job);
	hodei_job_free(job);
	return rc;
}

static int queue(cli_ctx *cli, queue_opts *q)
{
	hodei_job_id id;
	hodei_job *job = NULL;
	int rc;

	q->spec.args = (const char *const *)q->args;
	q->spec.nargs = q->nargs;
	q->spec.env = (const char *const *)q->env;
	q->spec.nenv = q->nenv;
	q->spec.labels = (const char *const *)q->labels;
	q->spec.nlabels = q->nlabels;
	q->spec.secret_env = (const char *const *)q->secrets;
	q->spec.nsecret_env = q->nsecrets;
	q->spec.queued_by = getenv("USER") ? getenv("USER") : "hodei-jobs-cli";
	if ((rc = cli_connect(cli)) != 0)
		return rc;
	rc = hodei_client_job_queue(cli->client, &q->spec, &id);
	if (rc != 0)
		return cli_fail(rc, "jobs queue");
	if (cli->output == CLI_OUTPUT_TABLE) {
		printf("%s\n", id.str);
		fflush(stdout);
	} else if (!q->wait) {
		rc = hodei_client_job_get(&job, cli->client, id.str);
		if (rc != 0)
			return cli_fail(rc, id.str);
		cli_print_job_json(stdout, job);
		hodei_job_free(job);
	}
	return q->wait ? wait_for_job(cli, id.str, q->follow) : CLI_EXIT_OK;
}

int cmd_jobs_queue(cli_ctx *cli, int argc, char **argv)
{
	queue_opts q = { HODEI_JOB_SPEC_INIT, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0 };
	int first, rc;

	rc = cli_parse(cli, argc, argv, options, on_option, &q, &first);
	if (rc == 0)
		rc = cli_expect_args(cli, argc, argv, first, 0, "");
	if (rc == 0 && (!q.spec.command || !q.spec.command[0]))
		rc = cli_usage_error(cli, "--command is required");
	if (rc == 0)
		rc = queue(cli, &q);
	cli_free_words(q.args, q.nargs);
	cli_free_words(q.env, q.nenv);
	cli_free_words(q.labels, q.nlabels);
	for (size_t i = 0; i < q.nsecrets; i++)
		explicit_bzero(q.secrets[i], strlen(q.secrets[i]));
	cli_free_words(q.secrets, q.nsecrets);
	return rc;
}
