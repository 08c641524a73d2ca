/*
 * The docker provider's loader, the only part of lib/docker inside libhodei
 * (see dk_module.h).  The module holds the microvm provider too (lib/microvm:
 * it shares the archive writer and the HTTP client); its ops are forwarded
 * the same way.  hodei-docker.so is opened on first use: when a docker
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
#include "hodei/sys/microvm.h"
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
	if (!m || m->abi != HODEI__DK_MODULE_ABI || !m->k8s_ops || !m->microvm_ops || strcmp(m->version, HODEI_VERSION_STRING) != 0) {
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

/* One provider instance of a type in the module: its ops and its state. */
typedef struct fwd {
	const hodei_provider_ops *ops;
	void *state;
} fwd;

static int fwd_create_with(const hodei_provider_ops *(*which)(void), hodei_provider *provider,
                           void **state)
{
	int rc = load_module();
	if (rc != 0)
		return rc;
	fwd *f = calloc(1, sizeof(*f));
	if (!f)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	f->ops = which();
	if (!f->ops) {
		free(f);
		return hodei__err(HODEI_EUNAVAIL, "provider module: type not built in");
	}
	rc = f->ops->create(provider, &f->state);
	if (rc != 0) {
		free(f);
		return rc;
	}
	*state = f;
	return 0;
}

static void fwd_destroy(void *state)
{
	fwd *f = state;
	f->ops->destroy(f->state);
	free(f);
}

static int fwd_provision(void *state, hodei_worker *worker, const hodei_run_request *hint)
{
	fwd *f = state;
	return f->ops->provision(f->state, worker, hint);
}

static int fwd_run(void *state, hodei_worker *worker, const hodei_run_request *req)
{
	fwd *f = state;
	if (!f->ops->run)
		return hodei__err(HODEI_EUNAVAIL, "worker %s cannot run jobs", hodei_worker_id(worker));
	return f->ops->run(f->state, worker, req);
}

static void fwd_cancel(void *state, hodei_worker *worker)
{
	fwd *f = state;
	if (f->ops->cancel)
		f->ops->cancel(f->state, worker);
}

static void fwd_release(void *state, hodei_worker *worker)
{
	fwd *f = state;
	f->ops->release(f->state, worker);
}

static void fwd_probe(void *state)
{
	fwd *f = state;
	if (f->ops->probe)
		f->ops->probe(f->state);
}

/* Without the module nothing is checked here: create says why it cannot start. */
static int fwd_check_with(const hodei_provider_ops *(*which)(void),
                          const hodei_provider_config *cfg)
{
	const hodei_provider_ops *ops = load_module() == 0 ? which() : NULL;
	if (!ops || ops->version < 2 || !ops->check)
		return 0;
	return ops->check(cfg);
}

static const hodei_provider_ops *docker_of_module(void)
{
	return module->ops;
}

static const hodei_provider_ops *microvm_of_module(void)
{
	return module->microvm_ops;
}

static const hodei_provider_ops *k8s_of_module(void)
{
	return module->k8s_ops;
}

static int fwd_create_docker(hodei_provider *provider, void **state)
{
	return fwd_create_with(docker_of_module, provider, state);
}

static int fwd_check_docker(const hodei_provider_config *cfg)
{
	return fwd_check_with(docker_of_module, cfg);
}

static int fwd_create_microvm(hodei_provider *provider, void **state)
{
	return fwd_create_with(microvm_of_module, provider, state);
}

static int fwd_check_microvm(const hodei_provider_config *cfg)
{
	return fwd_check_with(microvm_of_module, cfg);
}

static int fwd_create_k8s(hodei_provider *provider, void **state)
{
	return fwd_create_with(k8s_of_module, provider, state);
}

static int fwd_check_k8s(const hodei_provider_config *cfg)
{
	return fwd_check_with(k8s_of_module, cfg);
}

static const hodei_provider_ops loader_ops = {
	.version = HODEI_PROVIDER_OPS_VERSION,
	.type = "docker",
	.create = fwd_create_docker,
	.destroy = fwd_destroy,
	.provision = fwd_provision,
	.run = fwd_run,
	.cancel = fwd_cancel,
	.release = fwd_release,
	.probe = fwd_probe,
	.check = fwd_check_docker,
};

static const hodei_provider_ops microvm_loader_ops = {
	.version = HODEI_PROVIDER_OPS_VERSION,
	.type = "microvm",
	.create = fwd_create_microvm,
	.destroy = fwd_destroy,
	.provision = fwd_provision,
	.run = fwd_run,
	.cancel = fwd_cancel,
	.release = fwd_release,
	.probe = fwd_probe,
	.check = fwd_check_microvm,
};

static const hodei_provider_ops k8s_loader_ops = {
	.version = HODEI_PROVIDER_OPS_VERSION,
	.type = "kubernetes",
	.create = fwd_create_k8s,
	.destroy = fwd_destroy,
	.provision = fwd_provision,
	.run = fwd_run,
	.cancel = fwd_cancel,
	.release = fwd_release,
	.probe = fwd_probe,
	.check = fwd_check_k8s,
};

const hodei_provider_ops *hodei_microvm_provider_ops(void)
{
	return &microvm_loader_ops;
}

const hodei_provider_ops *hodei_kubernetes_provider_ops(void)
{
	return &k8s_loader_ops;
}

const hodei_provider_ops *hodei_docker_provider_ops(void)
{
	return &loader_ops;
}

int hodei_docker_image_build(const hodei_docker_image_options *opts)
{
	int rc = load_module();
	return rc != 0 ? rc : module->image_build(opts);
}
