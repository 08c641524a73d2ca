/*
 * The docker provider module (lib/docker/dk_module.h), no daemon needed:
 *   lazy     libcurl is not mapped until a docker provider is created; then
 *            the module is loaded and the provider starts.
 *   missing  with HODEI_DOCKER_MODULE naming no file, the provider cannot
 *            start (Unhealthy) and an image build fails saying why; the
 *            context works on.
 * Usage: test_dk_module lazy|missing DIR
 */
#include <hodei/hodei.h>
#include <hodei/sys/docker.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

/* Is a library whose file name contains `name` mapped into this process? */
static int mapped(const char *name)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	CHECK(f != NULL);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, name) != NULL;
	fclose(f);
	return found;
}

static hodei_ctx *open_ctx(const char *dir)
{
	char db[4096];
	snprintf(db, sizeof(db), "%s/module-%d.db", dir, (int)getpid());
	remove(db);
	hodei_ctx_options o = HODEI_CTX_OPTIONS_INIT;
	o.db_path = db;
	o.flags = HODEI_CTX_NO_LOCAL_PROVIDER | HODEI_CTX_IGNORE_ENV;
	hodei_ctx *ctx = NULL;
	CHECK(hodei_ctx_open(&ctx, &o) == 0);
	CHECK(hodei_provider_type_register(ctx, hodei_docker_provider_ops()) == 0);
	return ctx;
}

static int add_docker(hodei_ctx *ctx)
{
	hodei_provider_config c = HODEI_PROVIDER_CONFIG_INIT;
	c.name = "dk";
	c.type = "docker";
	c.endpoint = "unix:///nonexistent/docker.sock";
	CHECK(hodei_provider_add(ctx, &c) == 0);
	hodei_provider_info *info = NULL;
	CHECK(hodei_provider_get(&info, ctx, "dk") == 0);
	int status = info->status;
	hodei_provider_info_free(info);
	return status;
}

static void lazy(const char *dir)
{
	hodei_ctx *ctx = open_ctx(dir);
	CHECK(!mapped("hodei-docker.so") && !mapped("libcurl"));
	/* Its status depends on how soon it finds no Docker at the endpoint. */
	add_docker(ctx);
	CHECK(mapped("hodei-docker.so") && mapped("libcurl"));
	hodei_ctx_close(ctx);
}

static void missing(const char *dir)
{
	hodei_ctx *ctx = open_ctx(dir);
	CHECK(add_docker(ctx) == HODEI_PROVIDER_UNHEALTHY);
	hodei_docker_image_options o = HODEI_DOCKER_IMAGE_OPTIONS_INIT;
	o.no_load = 1;
	o.output_path = "/nonexistent/image.tar";
	CHECK(hodei_docker_image_build(&o) == HODEI_EUNAVAIL);
	CHECK(strstr(hodei_error_last(), "docker provider module") != NULL);
	CHECK(strstr(hodei_error_last(), "/nonexistent/hodei-docker.so") != NULL);
	CHECK(!mapped("libcurl"));
	/* The rest of the library is unaffected. */
	hodei_job_spec s = HODEI_JOB_SPEC_INIT;
	s.command = "true";
	CHECK(hodei_job_submit(ctx, &s, NULL) == 0);
	hodei_ctx_close(ctx);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_dk_module lazy|missing DIR\n");
		return 2;
	}
	if (strcmp(argv[1], "lazy") == 0)
		lazy(argv[2]);
	else if (strcmp(argv[1], "missing") == 0)
		missing(argv[2]);
	else
		return 2;
	printf("ok %s\n", argv[1]);
	return 0;
}
