/*
 * The C side of the Python binding benchmark: submit N `true` jobs to a
 * fresh database, wait for each, and print the elapsed seconds.  The Python
 * side (bench_submit.py) does exactly the same through the binding.
 *
 *   bench-python-c DB N [WORKERS]
 */
#include <hodei/hodei.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "bench-python-c: %s: %s (%s)\n", what, hodei_error_last(),
	        hodei_strerror(rc));
	return 1;
}

static int run(hodei_ctx *ctx, size_t n)
{
	hodei_job_id *ids = calloc(n, sizeof(*ids));
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	int rc = 0;

	if (!ids)
		return 1;
	spec.command = "true";
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = hodei_job_submit(ctx, &spec, &ids[i]);
		if (rc < 0)
			rc = fail("submit", rc);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		hodei_job *job = NULL;

		rc = hodei_job_wait(&job, ctx, ids[i].str, -1);
		if (rc < 0)
			rc = fail("wait", rc);
		else if (job->state != HODEI_JOB_SUCCEEDED)
			rc = fail("job did not succeed", HODEI_ERROR);
		hodei_job_free(job);
	}
	free(ids);
	return rc;
}

int main(int argc, char **argv)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_ctx *ctx = NULL;
	double start;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DB N [WORKERS]\n", argv[0]);
		return 2;
	}
	opts.db_path = argv[1];
	opts.flags = HODEI_CTX_IGNORE_ENV;
	opts.local_workers = argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 10) : 0;
	rc = hodei_ctx_open(&ctx, &opts);
	if (rc < 0)
		return fail("open", rc);
	start = now_s();
	rc = run(ctx, strtoul(argv[2], NULL, 10));
	if (rc == 0)
		printf("%.6f\n", now_s() - start);
	hodei_ctx_close(ctx);
	return rc;
}
