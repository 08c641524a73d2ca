/*
 * How jobs look: one JSON object per job, a detail view for `jobs get`, and
 * a table row for `jobs list`.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static int running(const hodei_job *job)
{
	return job->state == HODEI_JOB_RUNNING || job->state == HODEI_JOB_ASSIGNED;
}

/* How long the attempt ran, or while it runs, how long it has been running. */
static int64_t run_ms(const hodei_job *job)
{
	struct timespec now;
	int64_t now_ms;

	if (!job->started_at)
		return -1;
	if (running(job) && job->finished_at < job->started_at) {
		clock_gettime(CLOCK_REALTIME, &now);
		now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
		return now_ms > job->started_at ? now_ms - job->started_at : 0;
	}
	return (job->finished_at >= job->started_at ? job->finished_at : job->started_at) -
	       job->started_at;
}

void cli_print_job_json(FILE *out, const hodei_job *job)
{
	int first = 1;

	fputc('{', out);
	cli_json_kv_str(out, &first, "id", job->id);
	cli_json_kv_str(out, &first, "name", job->name);
	cli_json_kv_str(out, &first, "state", hodei_job_state_name(job->state));
	cli_json_kv_str(out, &first, "priority", hodei_priority_name(job->priority));
	cli_json_kv_str(out, &first, "command", job->command);
	cli_json_kv_strv(out, &first, "args", job->args, job->nargs);
	cli_json_kv_strv(out, &first, "env", job->env, job->nenv);
	/* "NAME=***": the server never sends a secret's value */
	cli_json_kv_strv(out, &first, "secret_env", job->secret_env, job->nsecret_env);
	cli_json_kv_str(out, &first, "token_name", job->token_name);
	cli_json_kv_strv(out, &first, "labels", job->labels, job->nlabels);
	cli_json_kv_int(out, &first, "timeout_ms", job->timeout_ms);
	cli_json_kv_int(out, &first, "cpu_millis", job->cpu_millis);
	cli_json_kv_int(out, &first, "memory_bytes", (int64_t)job->memory_bytes);
	cli_json_kv_int(out, &first, "max_retries", job->max_retries);
	cli_json_kv_str(out, &first, "workdir", job->workdir);
	cli_json_key(out, &first, "shell");
	fputs(job->flags & HODEI_JOB_SHELL ? "true" : "false", out);
	cli_json_kv_str(out, &first, "provider_pin", job->provider_pin);
	/* From a list, args and env are a summary; `jobs get` has them all. */
	cli_json_key(out, &first, "definition_truncated");
	fputs(job->flags & HODEI_JOB_TRUNCATED ? "true" : "false", out);
	cli_json_kv_str(out, &first, "queued_by", job->queued_by);
	cli_json_kv_int(out, &first, "attempt", job->attempt);
	cli_json_key(out, &first, "exit_code");
	if (job->exit_code >= 0)
		fprintf(out, "%d", job->exit_code);
	else
		fputs("null", out);
	cli_json_kv_int(out, &first, "term_signal", job->term_signal);
	cli_json_kv_str(out, &first, "reason", job->reason);
	cli_json_kv_int(out, &first, "progress", job->progress);
	cli_json_kv_time(out, &first, "created_at", job->created_at);
	cli_json_kv_time(out, &first, "queued_at", job->queued_at);
	cli_json_kv_time(out, &first, "started_at", job->started_at);
	cli_json_kv_time(out, &first, "finished_at", job->finished_at);
	cli_json_kv_int(out, &first, "duration_ms", run_ms(job));
	cli_json_kv_int(out, &first, "cpu_time_us", job->cpu_time_us);
	cli_json_kv_int(out, &first, "max_rss_kb", job->max_rss_kb);
	cli_json_kv_str(out, &first, "worker_id", job->worker_id);
	cli_json_kv_str(out, &first, "provider", job->provider);
	cli_json_kv_int(out, &first, "log_lines", job->log_lines);
	cli_json_kv_int(out, &first, "log_lines_lost", job->log_lines_lost);
	fputs("}\n", out);
}

/* A value as shown: escaped on a terminal (cli_escape_text()). */
static void put_value(FILE *out, const char *value)
{
	cli_write_text(out, value, strlen(value), cli_is_terminal(out));
}

/* Words joined with spaces, each quoted for a shell when it needs it. */
static void print_quoted(FILE *out, char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *q = cli_shell_quote(words[i]);

		fputs(i ? " " : "", out);
		put_value(out, q ? q : words[i]);
		free(q);
	}
}

static void print_field(FILE *out, const char *name, const char *value)
{
	fprintf(out, "%-12s ", name);
	put_value(out, value && value[0] ? value : "-");
	fputc('\n', out);
}

static void print_list_field(FILE *out, const char *name, char *const *v, size_t n)
{
	size_t i;

	if (n == 0)
		print_field(out, name, NULL);
	for (i = 0; i < n; i++)
		print_field(out, i ? "" : name, v[i]);
}

void cli_print_job_details(FILE *out, const hodei_job *job)
{
	char buf[64], buf2[64];

	print_field(out, "ID:", job->id);
	print_field(out, "Name:", job->name);
	print_field(out, "State:", hodei_job_state_name(job->state));
	if (job->reason)
		print_field(out, "Reason:", job->reason);
	print_field(out, "Priority:", hodei_priority_name(job->priority));
	print_field(out, "Command:", job->command);
	fprintf(out, "%-12s ", "Arguments:");
	print_quoted(out, job->args, job->nargs);
	fprintf(out, "%s\n", job->nargs ? "" : "-");
	print_list_field(out, "Environment:", job->env, job->nenv);
	print_list_field(out, "Secrets:", job->secret_env, job->nsecret_env);
	print_list_field(out, "Labels:", job->labels, job->nlabels);
	snprintf(buf, sizeof(buf), "%d", job->attempt);
	print_field(out, "Attempt:", buf);
	if (job->exit_code >= 0)
		snprintf(buf, sizeof(buf), "%d", job->exit_code);
	else if (job->term_signal)
		snprintf(buf, sizeof(buf), "killed by signal %d", job->term_signal);
	else
		snprintf(buf, sizeof(buf), "-");
	print_field(out, "Exit code:", buf);
	if (job->progress >= 0) {
		snprintf(buf, sizeof(buf), "%d%%", job->progress);
		print_field(out, "Progress:", buf);
	}
	print_field(out, "Timeout:", job->timeout_ms
	            ? cli_format_duration(job->timeout_ms, buf, sizeof(buf)) : "none");
	print_field(out, "Created:", cli_format_time(job->created_at, buf, sizeof(buf)));
	print_field(out, "Started:", cli_format_time(job->started_at, buf, sizeof(buf)));
	print_field(out, "Finished:", cli_format_time(job->finished_at, buf, sizeof(buf)));
	cli_format_duration(run_ms(job), buf, sizeof(buf));
	if (running(job) && job->started_at)
		strncat(buf, " so far (running)", sizeof(buf) - strlen(buf) - 1);
	print_field(out, "Duration:", buf);
	snprintf(buf, sizeof(buf), "%s", job->cpu_millis ? "" : "any");
	if (job->cpu_millis)
		snprintf(buf, sizeof(buf), "%.3g cores requested", job->cpu_millis / 1000.0);
	print_field(out, "CPU:", buf);
	snprintf(buf2, sizeof(buf2), "%s", "any");
	if (job->memory_bytes)
		snprintf(buf2, sizeof(buf2), "%.1f MiB requested",
		         (double)job->memory_bytes / (1024 * 1024));
	print_field(out, "Memory:", buf2);
	if (job->started_at && running(job) && !job->cpu_time_us && !job->max_rss_kb) {
		print_field(out, "Used:", "measured when the attempt ends");
	} else if (job->started_at) {
		snprintf(buf, sizeof(buf), "%.2fs CPU, %lld KiB peak memory",
		         (double)job->cpu_time_us / 1e6, (long long)job->max_rss_kb);
		print_field(out, "Used:", buf);
	}
	print_field(out, "Worker:", job->worker_id);
	print_field(out, "Provider:", job->provider);
	print_field(out, "Queued by:", job->queued_by);
	print_field(out, "Token:", job->token_name);
	snprintf(buf, sizeof(buf), "%lld stored", (long long)job->log_lines);
	if (job->log_lines_lost)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ", %lld LOST (see the log)",
		         (long long)job->log_lines_lost);
	print_field(out, "Log lines:", buf);
}

void cli_table_init_jobs(cli_table *t)
{
	static const char *const headers[] = { "ID", "NAME", "STATE", "PRIORITY",
	                                       "CREATED", "DURATION", "EXIT" };

	cli_table_init(t, 7, headers);
}

void cli_table_add_job(cli_table *t, const hodei_job *job)
{
	char created[40], duration[32], exit_code[16];
	const char *row[7];

	if (job->exit_code >= 0)
		snprintf(exit_code, sizeof(exit_code), "%d", job->exit_code);
	else if (job->term_signal)
		snprintf(exit_code, sizeof(exit_code), "sig%d", job->term_signal);
	else
		exit_code[0] = '\0';
	row[0] = job->id;
	row[1] = job->name;
	row[2] = hodei_job_state_name(job->state);
	row[3] = hodei_priority_name(job->priority);
	row[4] = cli_format_time(job->created_at, created, sizeof(created));
	row[5] = cli_format_duration(run_ms(job), duration, sizeof(duration));
	row[6] = exit_code;
	cli_table_add(t, row);
}

void cli_print_provider_json(FILE *out, const hodei_provider_info *p)
{
	int first = 1;

	fputc('{', out);
	cli_json_kv_str(out, &first, "name", p->name);
	cli_json_kv_str(out, &first, "type", p->type);
	cli_json_kv_str(out, &first, "endpoint", p->endpoint);
	cli_json_kv_strv(out, &first, "labels", p->labels, p->nlabels);
	cli_json_kv_str(out, &first, "status", hodei_provider_status_name(p->status));
	cli_json_kv_int(out, &first, "health_score", p->health_score);
	cli_json_kv_str(out, &first, "status_message", p->status_message);
	cli_json_kv_int(out, &first, "current_jobs", p->current_jobs);
	cli_json_kv_int(out, &first, "workers", p->workers);
	cli_json_kv_int(out, &first, "max_memory_bytes", (int64_t)p->max_memory_bytes);
	cli_json_kv_int(out, &first, "max_vcpus", p->max_vcpus);
	cli_json_key(out, &first, "gpu");
	fputs(p->gpu ? "true" : "false", out);
	cli_json_kv_int(out, &first, "max_workers", p->max_workers);
	cli_json_key(out, &first, "has_token");
	fputs(p->has_token ? "true" : "false", out);
	cli_json_kv_time(out, &first, "created_at", p->created_at);
	cli_json_kv_time(out, &first, "updated_at", p->updated_at);
	/* The server's own JSON of the configuration, embedded as is. */
	cli_json_key(out, &first, "config");
	fputs(p->config_json && p->config_json[0] == '{' ? p->config_json : "null", out);
	fputs("}\n", out);
}

void cli_print_provider_details(FILE *out, const hodei_provider_info *p)
{
	char buf[64];

	print_field(out, "Name:", p->name);
	print_field(out, "Type:", p->type);
	print_field(out, "Status:", hodei_provider_status_name(p->status));
	snprintf(buf, sizeof(buf), "%d/100", p->health_score);
	print_field(out, "Health:", buf);
	print_field(out, "Message:", p->status_message);
	print_field(out, "Endpoint:", p->endpoint);
	print_list_field(out, "Labels:", p->labels, p->nlabels);
	snprintf(buf, sizeof(buf), "%lld", (long long)p->current_jobs);
	print_field(out, "Jobs:", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)p->workers);
	print_field(out, "Workers:", buf);
	if (p->max_vcpus)
		snprintf(buf, sizeof(buf), "%u", p->max_vcpus);
	print_field(out, "Max vCPUs:", p->max_vcpus ? buf : "unlimited");
	if (p->max_memory_bytes)
		snprintf(buf, sizeof(buf), "%.1f GiB",
		         (double)p->max_memory_bytes / (1024.0 * 1024 * 1024));
	print_field(out, "Max memory:", p->max_memory_bytes ? buf : "unlimited");
	print_field(out, "GPU:", p->gpu ? "yes" : "no");
	print_field(out, "Token:", p->has_token ? "set (hidden)" : "none");
	print_field(out, "Created:", cli_format_time(p->created_at, buf, sizeof(buf)));
	print_field(out, "Config:", p->config_json);
}
