/*
 * seed_latin1 DB: an embedder's data that is not UTF-8, stored through the
 * C API (which takes any bytes), for hodeid to serve afterwards: job
 * "latin1" and provider "latin1-pool" with Latin-1 text in their strings.
 * test_api_contract.py's stored_bad_utf8 group starts hodeid on the file.
 */
#include <stdio.h>

#include <hodei/hodei.h>

static int fail(const char *what, int rc)
{
	fprintf(stderr, "seed_latin1: %s: %s (%s)\n", what, hodei_strerror(rc), hodei_error_last());
	return 1;
}

static int seed(hodei_ctx *ctx)
{
	static const char *const args[] = {"caf\xe9", "ok", "\xff\xfe"};
	static const char *const env[] = {"GREETING=ol\xe9"};
	static const char *const labels[] = {"team=\xe9quipe"};
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	spec.id = "latin1";
	spec.name = "cr\xe8me br\xfbl\xe9" "e";
	spec.command = "echo";
	spec.args = args;
	spec.nargs = 3;
	spec.env = env;
	spec.nenv = 1;
	spec.labels = labels;
	spec.nlabels = 1;
	spec.queued_by = "Jos\xe9";
	int rc = hodei_job_submit(ctx, &spec, NULL);
	if (rc)
		return fail("hodei_job_submit", rc);
	static const char *const plabels[] = {"site=M\xe1laga"};
	hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;
	cfg.name = "latin1-pool";
	cfg.type = "pool";
	cfg.labels = plabels;
	cfg.nlabels = 1;
	rc = hodei_provider_add(ctx, &cfg);
	return rc ? fail("hodei_provider_add", rc) : 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seed_latin1 DB\n");
		return 2;
	}
	hodei_ctx_options o = HODEI_CTX_OPTIONS_INIT;
	o.db_path = argv[1];
	o.flags = HODEI_CTX_NO_LOCAL_PROVIDER | HODEI_CTX_IGNORE_ENV;
	hodei_ctx *ctx;
	int rc = hodei_ctx_open(&ctx, &o);
	if (rc)
		return fail("hodei_ctx_open", rc);
	int status = seed(ctx);
	hodei_ctx_close(ctx);
	return status;
}
