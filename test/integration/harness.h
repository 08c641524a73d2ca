/* Shared helpers for integration tests: temp dirs, contexts, quick submits. */
#ifndef HODEI_TEST_HARNESS_H
#define HODEI_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hodei/hodei.h>

typedef struct harness {
	char dir[256];
	char db[320];
	hodei_ctx *ctx;
} harness;

static inline void harness_dir(harness *h)
{
	snprintf(h->dir, sizeof(h->dir), "/tmp/hodei-test-XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	snprintf(h->db, sizeof(h->db), "%s/jobs.db", h->dir);
}

static inline void harness_open_opts(harness *h, hodei_ctx_options *opts)
{
	opts->db_path = h->db;
	opts->flags |= HODEI_CTX_IGNORE_ENV;
	if (!opts->kill_grace_ms)
		opts->kill_grace_ms = 300;
	if (!opts->retry_backoff_ms)
		opts->retry_backoff_ms = 10;
	if (hodei_ctx_open(&h->ctx, opts) != 0)
		fail_msg("hodei_ctx_open: %s", hodei_error_last());
}

static inline void harness_open(harness *h, unsigned int workers)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;

	opts.local_workers = workers;
	harness_open_opts(h, &opts);
}

static inline void harness_close(harness *h)
{
	char cmd[300];

	hodei_ctx_close(h->ctx);
	h->ctx = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", h->dir);
}

/* Queue `script` under /bin/sh -c and return its id. */
static inline void sh_job(harness *h, const char *id, const char *script, hodei_job_id *out)
{
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job_id tmp;

	spec.id = id;
	spec.command = script;
	spec.flags = HODEI_JOB_SHELL;
	if (hodei_job_submit(h->ctx, &spec, out ? out : &tmp) != 0)
		fail_msg("submit %s: %s", script, hodei_error_last());
}

static inline hodei_job *wait_job(harness *h, const char *id)
{
	hodei_job *job = NULL;

	if (hodei_job_wait(&job, h->ctx, id, 60000) != 0)
		fail_msg("wait %s: %s", id, hodei_error_last());
	return job;
}

/* All stored log text of a job, lines joined with '\n'. */
static inline char *job_output(harness *h, const char *id, int min_level)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page = NULL;
	size_t cap = 1024, len = 0;
	char *out = calloc(1, cap);
	int more;

	q.job_id = id;
	q.min_level = min_level;
	q.limit = 10000;
	do {
		assert_int_equal(hodei_log_read(&page, h->ctx, &q), 0);
		for (size_t i = 0; i < page->count; i++) {
			if (page->lines[i].stream == HODEI_STREAM_SYSTEM)
				continue;
			while (len + page->lines[i].len + 2 > cap)
				out = realloc(out, cap *= 2);
			memcpy(out + len, page->lines[i].text, page->lines[i].len);
			len += page->lines[i].len;
			out[len++] = '\n';
			out[len] = '\0';
		}
		q.after_seq = page->next_seq;
		more = page->more;
		hodei_log_page_free(page);
		page = NULL;
	} while (more);
	return out;
}

#endif
