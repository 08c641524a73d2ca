/*
 * The docker and kubernetes providers as one loadable module (they share
 * libcurl and the HTTP client, lib/http/httpc.c).
 *
 * The provider needs libcurl (with its TLS stacks), libarchive and
 * libcrypto: about 7 MB of shared library pages that a server with no
 * docker provider would carry for nothing.  So the provider (dk_*.c) is
 * built as hodei-docker.so, installed in <libdir>/hodei/, and libhodei
 * keeps only the loader (dk_loader.c): hodei_docker_provider_ops() returns
 * forwarding ops whose create() loads the module, and
 * hodei_docker_image_build() loads it before it builds.
 *
 * The module's only exported symbol is HODEI__DK_MODULE_ENTRY.  It calls the
 * public libhodei API (hodei_worker_*, hodei_provider_*, ...) and libevent,
 * resolved in the program at load time: from libhodei.so, or from a program
 * that links libhodei statically and exports hodei_* (module.dynlist).  The
 * library's thread-local error is set through the callback it is given.
 */
#ifndef HODEI_DK_MODULE_H
#define HODEI_DK_MODULE_H

#include "hodei/sys/docker.h"
#include "hodei/sys/kubernetes.h"
#include "hodei/sys/microvm.h"

#define HODEI__DK_MODULE_ENTRY "hodei__dk_module_entry"
#define HODEI__DK_MODULE_FILE "hodei-docker.so"
/* Bump when this struct or the callback changes. */
#define HODEI__DK_MODULE_ABI 3 /* 2: microvm_ops; 3: k8s_ops */

typedef struct hodei__dk_module {
	unsigned int abi;
	const char *version; /* HODEI_VERSION_STRING it was built with */
	const hodei_provider_ops *ops;
	int (*image_build)(const hodei_docker_image_options *opts);
	const hodei_provider_ops *microvm_ops; /* (ABI 2) lib/microvm */
	const hodei_provider_ops *k8s_ops;     /* (ABI 3) the "kubernetes" provider (lib/kubernetes) */
} hodei__dk_module;

/* Sets the library's last error message; returns code. */
typedef int (*hodei__dk_set_error_fn)(int code, const char *message);
typedef const hodei__dk_module *(*hodei__dk_module_entry_fn)(hodei__dk_set_error_fn set_error);

/* In the module (dk_provider.c, dk_image.c): what the entry hands out. */
const hodei_provider_ops *hodei__dk_provider_ops(void);
int hodei__dk_image_build(const hodei_docker_image_options *opts);
const hodei_provider_ops *hodei__mv_provider_ops(void); /* lib/microvm/mv_provider.c */
/* In the module (lib/kubernetes/k8s_provider.c). */
const hodei_provider_ops *hodei__k8s_provider_ops(void);

#endif
