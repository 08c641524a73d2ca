/*
 * The C client against a live hodeid, for test_cli_pages.py: queue jobs that
 * carry megabytes of arguments and environment, then read every job and a
 * whole log back by following the server's cursors, whatever their size.
 *
 *   client_pages ADDRESS queue PREFIX COUNT ARG_COUNT ENV_COUNT BYTES
 *                                          -> ids PREFIX-0 ... PREFIX-(COUNT-1)
 *   client_pages ADDRESS list PAGE_SIZE    -> "jobs N pages P truncated T"
 *   client_pages ADDRESS get ID            -> "args N bytes B env N bytes B"
 *   client_pages ADDRESS logs ID LIMIT     -> "lines N bytes B pages P"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hodei/client.h>
#include <hodei/hodei.h>

static int fail(const char *what, int rc)
{
	fprintf(stderr, "%s: %s (%s)\n", what, hodei_strerror(rc), hodei_error_last());
	return 1;
}

static char *filled(char c, size_t n, const char *prefix)
{
	size_t plen = strlen(prefix);
	char *s = malloc(plen + n + 1);

	if (!s)
		exit(1);
	memcpy(s, prefix, plen);
	memset(s + plen, c, n);
	s[plen + n] = '\0';
	return s;
}

static int queue(hodei_client *c, char **argv)
{
	size_t count = strtoul(argv[1], NULL, 10), nargs = strtoul(argv[2], NULL, 10);
	size_t nenv = strtoul(argv[3], NULL, 10), bytes = strtoul(argv[4], NULL, 10), i;
	char **args = calloc(nargs + 1, sizeof(char *)), **env = calloc(nenv + 1, sizeof(char *));
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job_id id;
	int rc;

	for (i = 0; i < nargs; i++)
		args[i] = filled('a' + (char)(i % 26), bytes, "");
	for (i = 0; i < nenv; i++) {
		char name[32];

		snprintf(name, sizeof(name), "BIG_%zu=", i);
		env[i] = filled('e', bytes, name);
	}
	spec.command = "true";
	spec.args = (const char *const *)args;
	spec.nargs = nargs;
	spec.env = (const char *const *)env;
	spec.nenv = nenv;
	for (i = 0, rc = 0; i < count && rc == 0; i++) {
		char job[64];

		snprintf(job, sizeof(job), "%s-%zu", argv[0], i);
		spec.id = job;
		rc = hodei_client_job_queue(c, &spec, &id);
	}
	for (i = 0; i < nargs; i++)
		free(args[i]);
	for (i = 0; i < nenv; i++)
		free(env[i]);
	free(args);
	free(env);
	return rc ? fail("queue", rc) : 0;
}

static int list(hodei_client *c, char **argv)
{
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	char *cursor = NULL;
	size_t jobs = 0, pages = 0, truncated = 0, i;

	f.limit = strtoul(argv[0], NULL, 10);
	do {
		hodei_job_page *page;
		int rc;

		f.cursor = cursor;
		rc = hodei_client_job_list(&page, c, &f);
		free(cursor);
		cursor = NULL;
		if (rc)
			return fail("list", rc);
		pages++;
		jobs += page->count;
		for (i = 0; i < page->count; i++)
			truncated += (page->jobs[i]->flags & HODEI_JOB_TRUNCATED) != 0;
		if (page->next_cursor)
			cursor = strdup(page->next_cursor);
		hodei_job_page_free(page);
	} while (cursor);
	printf("jobs %zu pages %zu truncated %zu\n", jobs, pages, truncated);
	return 0;
}

static int get(hodei_client *c, char **argv)
{
	hodei_job *job;
	size_t abytes = 0, ebytes = 0, i;
	int rc = hodei_client_job_get(&job, c, argv[0]);

	if (rc)
		return fail("get", rc);
	for (i = 0; i < job->nargs; i++)
		abytes += strlen(job->args[i]);
	for (i = 0; i < job->nenv; i++)
		ebytes += strlen(job->env[i]);
	printf("args %zu bytes %zu env %zu bytes %zu truncated %d\n", job->nargs, abytes,
	       job->nenv, ebytes, (job->flags & HODEI_JOB_TRUNCATED) != 0);
	hodei_job_free(job);
	return 0;
}

static int logs(hodei_client *c, char **argv)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	size_t lines = 0, bytes = 0, pages = 0, i;
	int more;

	q.job_id = argv[0];
	q.limit = strtoul(argv[1], NULL, 10);
	do {
		hodei_log_page *page;
		int rc = hodei_client_log_read(&page, c, &q);

		if (rc)
			return fail("logs", rc);
		pages++;
		lines += page->count;
		for (i = 0; i < page->count; i++)
			bytes += page->lines[i].len;
		more = page->more && page->next_seq > q.after_seq;
		q.after_seq = page->next_seq;
		hodei_log_page_free(page);
	} while (more);
	printf("lines %zu bytes %zu pages %zu\n", lines, bytes, pages);
	return 0;
}

int main(int argc, char **argv)
{
	hodei_client_options o = HODEI_CLIENT_OPTIONS_INIT;
	hodei_client *c;
	int rc;

	if (argc < 4)
		return 2;
	o.token = "";
	if ((rc = hodei_client_open(&c, argv[1], &o)) != 0)
		return fail("open", rc);
	if (strcmp(argv[2], "queue") == 0 && argc == 8)
		rc = queue(c, argv + 3);
	else if (strcmp(argv[2], "list") == 0)
		rc = list(c, argv + 3);
	else if (strcmp(argv[2], "get") == 0)
		rc = get(c, argv + 3);
	else if (strcmp(argv[2], "logs") == 0 && argc == 5)
		rc = logs(c, argv + 3);
	else
		rc = 2;
	hodei_client_close(c);
	return rc;
}
