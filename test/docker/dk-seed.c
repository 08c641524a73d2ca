/*
 * Register a docker (or microvm, or kubernetes) provider in a Hodei database (the way an
 * operator's RegisterProvider call would), for tests that then start hodeid
 * on it.  The provider's check runs as for RegisterProvider: a refusal is
 * printed (the field named) and the exit status is 1.
 * Usage: dk-seed DB NAME OPTIONS_JSON [MAX_WORKERS [TYPE [ENDPOINT]]]
 */
#include <hodei/hodei.h>
#include <hodei/sys/docker.h>
#include <hodei/sys/microvm.h>
#include <hodei/sys/kubernetes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: dk-seed DB NAME OPTIONS_JSON [MAX_WORKERS [TYPE [ENDPOINT]]]\n");
		return 2;
	}
	hodei_ctx_options o = HODEI_CTX_OPTIONS_INIT;
	o.db_path = argv[1];
	o.flags = HODEI_CTX_NO_LOCAL_PROVIDER | HODEI_CTX_IGNORE_ENV;
	hodei_ctx *ctx = NULL;
	hodei_provider_config c = HODEI_PROVIDER_CONFIG_INIT;
	c.name = argv[2];
	c.type = argc > 5 ? argv[5] : "docker";
	c.endpoint = argc > 6 ? argv[6] : NULL;
	c.options_json = argv[3];
	c.max_workers = argc > 4 ? (uint32_t)atoi(argv[4]) : 0;
	int rc = hodei_ctx_open(&ctx, &o);
	if (rc == 0)
		rc = hodei_provider_type_register(ctx, hodei_docker_provider_ops());
	if (rc == 0)
		rc = hodei_provider_type_register(ctx, hodei_microvm_provider_ops());
	if (rc == 0)
		rc = hodei_provider_type_register(ctx, hodei_kubernetes_provider_ops());
	if (rc == 0)
		rc = hodei_provider_add(ctx, &c);
	if (rc != 0)
		fprintf(stderr, "dk-seed: %s\n", hodei_error_last());
	hodei_ctx_close(ctx);
	return rc != 0;
}
