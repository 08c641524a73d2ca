/*
 * `hodeid image build`: build the hodei-worker image (the agent, its shared
 * libraries, busybox as /bin/sh) and load it into Docker, with no registry.
 * The docker provider also does this by itself when the image is missing.
 *
 * Registered from main.c: `hodeid image ...` runs hodeid_cmd_image(argc - 1,
 * argv + 1) before the server's own flags are parsed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hodei/hodei.h>
#include <hodei/sys/docker.h>
#include <hodei/sys/microvm.h>
#include <hodei/sys/kubernetes.h>

int hodeid_cmd_image(int argc, char **argv);

static const char image_usage[] =
	"Usage: hodeid image build [OPTION]...\n"
	"Build the worker image from the hodei-worker binary, the shared libraries it\n"
	"needs and busybox, and load it into Docker (POST /images/load).\n"
	"\n"
	"  -e, --endpoint URL   Docker API: unix:///path or tcp://host:port\n"
	"                       (DOCKER_HOST; unix:///var/run/docker.sock)\n"
	"  -t, --tag NAME       image name (HODEI_WORKER_IMAGE; hodei-worker:latest)\n"
	"  -w, --worker PATH    the agent (HODEI_WORKER_BIN; hodei-worker beside hodeid,\n"
	"                       else in PATH)\n"
	"  -b, --busybox PATH   a static busybox (/bin/busybox, Debian's busybox-static)\n"
	"  -o, --output FILE    also write the image tar (docker load format) to FILE\n"
	"  -n, --no-load        only write --output; do not talk to Docker\n"
	"  -h, --help           this help\n"
	"\n"
	"See hodei-docker(7).\n";

int hodeid_cmd_image(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "endpoint", required_argument, NULL, 'e' },
		{ "tag", required_argument, NULL, 't' },
		{ "worker", required_argument, NULL, 'w' },
		{ "busybox", required_argument, NULL, 'b' },
		{ "output", required_argument, NULL, 'o' },
		{ "no-load", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	hodei_docker_image_options o = HODEI_DOCKER_IMAGE_OPTIONS_INIT;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(image_usage, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "build") != 0) {
		fputs(image_usage, stderr);
		return 2;
	}
	argc--;
	argv++;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "e:t:w:b:o:nh", longs, NULL)) != -1) {
		switch (c) {
		case 'e': o.endpoint = optarg; break;
		case 't': o.tag = optarg; break;
		case 'w': o.worker_path = optarg; break;
		case 'b': o.busybox_path = optarg; break;
		case 'o': o.output_path = optarg; break;
		case 'n': o.no_load = 1; break;
		case 'h': fputs(image_usage, stdout); return 0;
		default: fputs(image_usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hodeid image build: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	int rc = hodei_docker_image_build(&o);
	if (rc != 0) {
		fprintf(stderr, "hodeid image build: %s\n", hodei_error_last());
		return 1;
	}
	const char *tag = o.tag ? o.tag : getenv("HODEI_WORKER_IMAGE");
	printf("%s %s\n", o.no_load ? "wrote" : "loaded", tag && *tag ? tag : "hodei-worker:latest");
	return 0;
}

/*
 * Make the docker and microvm provider types available to this server's
 * context, after
 * the gRPC port is bound: docker workers on the host network reach hodeid
 * at HODEI_SERVER, which defaults to loopback and the bound port unless the
 * operator set it (bridge networks need a reachable address: hodei-docker(7)).
 */
int hodeid_docker_register(hodei_ctx *ctx, const char *grpc_listen, int grpc_port,
                           const char *data_dir);

int hodeid_docker_register(hodei_ctx *ctx, const char *grpc_listen, int grpc_port,
                           const char *data_dir)
{
	const char *set = getenv("HODEI_SERVER");
	if (!set || !*set) {
		char addr[300];
		const char *colon = strrchr(grpc_listen, ':');
		int any = !colon || colon == grpc_listen ||
		          strncmp(grpc_listen, "0.0.0.0:", 8) == 0 || strncmp(grpc_listen, "[::]:", 5) == 0;
		snprintf(addr, sizeof(addr), "%.*s:%d", any ? 9 : (int)(colon - grpc_listen),
		         any ? "127.0.0.1" : grpc_listen, grpc_port);
		setenv("HODEI_SERVER", addr, 1);
	}
	/* microVMs keep their files (pid, console, config drive, initramfs) in
	 * the data directory, where the next hodeid finds a previous run's VMs */
	const char *vmdir = getenv("HODEI_MICROVM_DIR");
	if (!vmdir || !*vmdir) {
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s/microvm", data_dir);
		setenv("HODEI_MICROVM_DIR", dir, 1);
	}
	int rc = hodei_provider_type_register(ctx, hodei_docker_provider_ops());
	if (rc == 0) /* the same module: pods for workers (hodei-kubernetes(7)) */
		rc = hodei_provider_type_register(ctx, hodei_kubernetes_provider_ops());
	return rc ? rc : hodei_provider_type_register(ctx, hodei_microvm_provider_ops());
}
