/*
 * The cost of secret masking on the log path (issue 15), in one run:
 *
 * 1. the masker alone: lines/s through hodei__mask_apply() with 1 and 10
 *    secrets against the copy the log path makes anyway without secrets
 *    (hodei__strndup), on typical ~100-byte lines;
 * 2. end to end: a job printing LINES lines, run by an embedded context
 *    with 0, 1 and 10 secret variables, from submit to all lines stored.
 *
 * usage: hodei-mask-bench [LINES]   (default 500000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const values[] = {
	"ghp_9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a", "AKIAIOSFODNN7EXAMPLE", "s3cr3t/p@ss+word",
	"xoxb-1234567890-abcdefghij", "postgres://u:pw@db:5432/x", "eyJhbGciOiJIUzI1NiJ9.e30",
	"0123456789abcdef0123456789abcdef", "correct horse battery staple", "hunter2hunter2",
	"-----BEGIN KEY-----",
};

static double micro(size_t nsecrets, size_t lines)
{
	hodei__mask *m = NULL;
	char line[160];
	double t0;
	size_t bytes = 0;

	if (nsecrets && hodei__mask_new(&m, values, nsecrets) != 0)
		abort();
	t0 = now_s();
	for (size_t i = 0; i < lines; i++) {
		int n = snprintf(line, sizeof(line), "2026-12-08T00:00:00Z INFO worker %zu: processed "
		                 "batch %zu of records from queue events-%zu in %zu ms", i % 7, i,
		                 i % 13, i % 1000);
		char *out;
		size_t len;

		if (m) {
			if (hodei__mask_apply(m, 1, line, (size_t)n, false, &out, &len))
				abort();
		} else {
			out = hodei__strndup(line, (size_t)n);
			len = (size_t)n;
		}
		bytes += len;
		free(out);
	}
	if (bytes == 0)
		abort();
	hodei__mask_free(m);
	return lines / (now_s() - t0);
}

static double end_to_end(size_t nsecrets, size_t lines)
{
	char dir[] = "/tmp/hodei-mask-bench-XXXXXX", db[64], cmd[160], entries[10][96];
	const char *secret_env[10];
	hodei_ctx *ctx;
	hodei_ctx_options o = HODEI_CTX_OPTIONS_INIT;
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job_id id;
	hodei_job *job = NULL;
	double t0, t;

	if (!mkdtemp(dir))
		abort();
	snprintf(db, sizeof(db), "%s/jobs.db", dir);
	o.db_path = db;
	if (hodei_ctx_open(&ctx, &o) != 0) {
		fprintf(stderr, "open: %s\n", hodei_error_last());
		exit(1);
	}
	for (size_t i = 0; i < nsecrets; i++) {
		snprintf(entries[i], sizeof(entries[i]), "S%zu=%s", i, values[i]);
		secret_env[i] = entries[i];
	}
	snprintf(cmd, sizeof(cmd), "seq 1 %zu | sed 's/^/2026-12-08T00:00:00Z INFO worker processed "
	         "batch of records from queue events in ms /'", lines);
	spec.command = cmd;
	spec.flags = HODEI_JOB_SHELL;
	spec.secret_env = secret_env;
	spec.nsecret_env = nsecrets;
	t0 = now_s();
	if (hodei_job_submit(ctx, &spec, &id) != 0 || hodei_job_wait(&job, ctx, id.str, -1) != 0) {
		fprintf(stderr, "job: %s\n", hodei_error_last());
		exit(1);
	}
	t = now_s() - t0;
	if (job->log_lines < (int64_t)lines)
		fprintf(stderr, "only %lld lines stored\n", (long long)job->log_lines);
	hodei_job_free(job);
	hodei_ctx_close(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return lines / t;
}

int main(int argc, char **argv)
{
	size_t lines = argc > 1 ? (size_t)atol(argv[1]) : 500000;
	static const size_t counts[] = { 0, 1, 10 };

	micro(0, lines); /* warm up the allocator and caches: not counted */
	printf("| secrets | masker alone (lines/s) | end to end, job to store (lines/s) |\n");
	printf("|--------:|-----------------------:|-----------------------------------:|\n");
	for (size_t i = 0; i < 3; i++)
		printf("| %zu | %.0f | %.0f |\n", counts[i], micro(counts[i], lines * 4),
		       end_to_end(counts[i], lines));
	return 0;
}
