/*
 * The docker provider's loader, the only part of lib/docker inside libhodei
 * (see dk_module.h).  hodei-docker.so is opened on first use: when a docker
 * provider is created, or an image is built.  It is never closed: libcurl's
 * global state and the provider's ops stay valid until the process exits.
 *
 * Where the module is: $HODEI_DOCKER_MODULE; else, when the running program
 * or libhodei.so is inside the meson build tree, the module built there;
 * else <libdir>/hodei/hodei-docker.so.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "dk_module.h"
#include "docker/dk_paths.h" /* generated: where the module is */

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const hodei__dk_module *module;
static char load_error[PATH_MAX + 256];

static int set_error(int code, const char *message)
{
	return hodei__err(code, "%s", message);
}

/* Is the file that holds this code (libhodei.so or the program) in the build tree? */
static int running_from_build_tree(void)
{
	Dl_info info;
	char self[PATH_MAX], root[PATH_MAX];
	const char *file = NULL;

	if (dladdr((void *)running_from_build_tree, &info) && info.dli_fname &&
	    info.dli_fname[0] == '/')
		file = info.dli_fname; /* a shared libhodei */
	else
		file = "/proc/self/exe"; /* linked into the program */
	if (!realpath(file, self) || !realpath(HODEI__DK_BUILD_ROOT, root))
		return 0;
	size_t n = strlen(root);
	return strncmp(self, root, n) == 0 && self[n] == '/';
}

static const char *module_path(void)
{
	const char *env = getenv("HODEI_DOCKER_MODULE");
	if (env && *env)
		return env;
	return running_from_build_tree() ? HODEI__DK_BUILD_MODULE : HODEI__DK_INSTALL_MODULE;
}

static void load(void)
{
	const char *path = module_path();
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		snprintf(load_error, sizeof(load_error), "docker provider module: %s", dlerror());
		return;
	}
	hodei__dk_module_entry_fn entry =
		(hodei__dk_module_entry_fn)dlsym(handle, HODEI__DK_MODULE_ENTRY);
	const hodei__dk_module *m = entry ? entry(set_error) : NULL;
	if (!m || m->abi != HODEI__DK_MODULE_ABI || !m->k8s_ops || strcmp(m->version, HODEI_VERSION_STRING) != 0) {
		snprintf(load_error, sizeof(load_error),
		         "docker provider module %s: not one built for libhodei %s", path,
		         HODEI_VERSION_STRING);
		dlclose(handle);
		return;
	}
	module = m;
}

/* 0 once the module is loaded; else HODEI_EUNAVAIL with the reason. */
static int load_module(void)
{
	pthread_once(&load_once, load);
	return module ? 0 : hodei__err(HODEI_EUNAVAIL, "%s", load_error);
}

/* ---- the ops the library sees: create() loads, the rest forward ----
 * One set per provider type in the module; OPS is where its table is. */

#define FORWARDERS(P, OPS)                                                                   \
	static int P##_create(hodei_provider *provider, void **state)                        \
	{                                                                                    \
		int rc = load_module();                                                      \
		return rc != 0 ? rc : (OPS)->create(provider, state);                        \
	}                                                                                    \
	static void P##_destroy(void *state)                                                 \
	{                                                                                    \
		(OPS)->destroy(state);                                                       \
	}                                                                                    \
	static int P##_provision(void *state, hodei_worker *worker,                          \
	                         const hodei_run_request *hint)                              \
	{                                                                                    \
		return (OPS)->provision(state, worker, hint);                                \
	}                                                                                    \
	static void P##_release(void *state, hodei_worker *worker)                           \
	{                                                                                    \
		(OPS)->release(state, worker);                                               \
	}                                                                                    \
	static void P##_probe(void *state)                                                   \
	{                                                                                    \
		if ((OPS)->probe)                                                            \
			(OPS)->probe(state);                                                 \
	}                                                                                    \
	/* Without the module nothing is checked here: create says why it cannot start. */ \
	static int P##_check(const hodei_provider_config *cfg)                               \
	{                                                                                    \
		if (load_module() != 0 || (OPS)->version < 2 || !(OPS)->check)               \
			return 0;                                                            \
		return (OPS)->check(cfg);                                                    \
	}                                                                                    \
	static const hodei_provider_ops P##_loader_ops = {                                   \
		.version = HODEI_PROVIDER_OPS_VERSION,                                       \
		.create = P##_create,                                                        \
		.destroy = P##_destroy,                                                      \
		.provision = P##_provision,                                                  \
		.run = NULL, /* an agent is bound to every worker of both types */           \
		.cancel = NULL,                                                              \
		.release = P##_release,                                                      \
		.probe = P##_probe,                                                          \
		.check = P##_check,                                                          \
	};

FORWARDERS(docker, module->ops)
FORWARDERS(k8s, module->k8s_ops)

/* .type cannot be set inside the macro's initialiser by name alone */
static hodei_provider_ops docker_typed, k8s_typed;
static pthread_once_t typed_once = PTHREAD_ONCE_INIT;

static void make_typed(void)
{
	docker_typed = docker_loader_ops;
	docker_typed.type = "docker";
	k8s_typed = k8s_loader_ops;
	k8s_typed.type = "kubernetes";
}

const hodei_provider_ops *hodei_docker_provider_ops(void)
{
	pthread_once(&typed_once, make_typed);
	return &docker_typed;
}

const hodei_provider_ops *hodei_kubernetes_provider_ops(void)
{
	pthread_once(&typed_once, make_typed);
	return &k8s_typed;
}

int hodei_docker_image_build(const hodei_docker_image_options *opts)
{
	int rc = load_module();
	return rc != 0 ? rc : module->image_build(opts);
}
