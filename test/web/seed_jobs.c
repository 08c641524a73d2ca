/*
 * seed-jobs: store many jobs in a Hodei database, for measuring how the
 * dashboard's job list behaves with a million jobs stored.
 *
 *   seed-jobs DB_PATH COUNT
 *
 * The jobs are pinned to a provider that does not exist, so they stay
 * QUEUED when hodeid later opens the database: the store holds COUNT jobs
 * and the machine is not busy running them while the list is measured.
 */
#include <hodei/hodei.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 5000

static int submit_batch(hodei_ctx *ctx, long first, size_t n)
{
	static hodei_job_spec specs[BATCH];
	static char names[BATCH][48];
	static const char *const args[] = {"seeded"};

	for (size_t i = 0; i < n; i++) {
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
		snprintf(names[i], sizeof names[i], "seed job %ld", first + (long)i);
		spec.name = names[i];
		spec.command = "echo";
		spec.args = args;
		spec.nargs = 1;
		spec.queued_by = "seed-jobs";
		spec.provider = "seed-nowhere";
		specs[i] = spec;
	}
	return hodei_job_submit_batch(ctx, specs, n, NULL, NULL);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: seed-jobs DB_PATH COUNT\n");
		return 2;
	}
	long count = strtol(argv[2], NULL, 10);
	if (count <= 0) {
		fprintf(stderr, "seed-jobs: COUNT must be positive\n");
		return 2;
	}

	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	opts.db_path = argv[1];
	opts.flags = HODEI_CTX_NO_LOCAL_PROVIDER | HODEI_CTX_IGNORE_ENV;
	hodei_ctx *ctx = NULL;
	int rc = hodei_ctx_open(&ctx, &opts);
	if (rc != 0) {
		fprintf(stderr, "seed-jobs: open %s: %s\n", argv[1], hodei_error_last());
		return 1;
	}

	for (long done = 0; done < count && rc == 0; done += BATCH) {
		size_t n = (size_t)(count - done < BATCH ? count - done : BATCH);
		rc = submit_batch(ctx, done + 1, n);
	}
	if (rc != 0)
		fprintf(stderr, "seed-jobs: submit: %s\n", hodei_error_last());

	int64_t stored = 0;
	hodei_job_filter filter = HODEI_JOB_FILTER_INIT;
	if (rc == 0)
		rc = hodei_job_count(ctx, &filter, &stored);
	hodei_ctx_close(ctx);
	if (rc != 0)
		return 1;
	printf("seed-jobs: %lld jobs stored in %s\n", (long long)stored, argv[1]);
	return stored >= count ? 0 : 1;
}
