/*
 * The "microvm" provider: one virtual machine per worker (see
 * man/hodei-microvm.7).  Options, the host check (VMM, kernel, modules,
 * busybox, agent, KVM), the initramfs, stale VMs, health and the ops.
 *
 * At create: VMs that a previous process left in <state>/<provider>/ are
 * killed (their pid file, checked against the process's command line), the
 * host is checked and the initramfs built (a one-off of a few MB on the loop
 * thread, like the Docker image).  Anything missing makes the provider
 * Unhealthy with what is missing and the Debian package that brings it; the
 * probe (every 10 s) checks again, so installing it heals the provider.
 */
#include <errno.h>
#include <stdarg.h>
#include <event2/event.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mv.h"
#include "dk_module.h"
#include "hodei/sys/microvm.h"

#define DEFAULT_QEMU "qemu-system-x86_64"
#define DEFAULT_FIRECRACKER "firecracker"

/* ---- options ---- */

static void strings_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void options_free(mv_prov *p)
{
	free(p->vmm);
	free(p->kernel);
	free(p->initramfs);
	free(p->modules);
	free(p->state_dir);
	free(p->server);
	free(p->worker_binary);
	free(p->busybox);
	free(p->kernel_args);
	free(p->agent_socket);
	strings_free(p->env);
}

static int opt_string(json_t *o, const char *key, const char *def, char **out)
{
	json_t *v = json_object_get(o, key);
	if (v && !json_is_string(v))
		return hodei__err(HODEI_EINVAL, "options.%s: must be a string", key);
	const char *s = v ? json_string_value(v) : def;
	if (strlen(s) > 1024)
		return hodei__err(HODEI_EINVAL, "options.%s: longer than 1024 bytes", key);
	if (strpbrk(s, "\n\r"))
		return hodei__err(HODEI_EINVAL, "options.%s: must be one line", key);
	if (!(*out = strdup(s)))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	return 0;
}

static int opt_choice(json_t *o, const char *key, const char *const *names, int def, int *out)
{
	json_t *v = json_object_get(o, key);
	*out = def;
	if (!v)
		return 0;
	for (int i = 0; v && json_is_string(v) && names[i]; i++)
		if (strcmp(json_string_value(v), names[i]) == 0) {
			*out = i;
			return 0;
		}
	return hodei__err(HODEI_EINVAL, "options.%s: must be one of %s%s%s%s%s", key, names[0],
	                  names[1] ? ", " : "", names[1] ? names[1] : "",
	                  names[1] && names[2] ? ", " : "", names[1] && names[2] ? names[2] : "");
}

/* hodeid's address as the guest sees it: the host's loopback is 10.0.2.2. */
static void guest_server(char *out, size_t len)
{
	const char *s = getenv("HODEI_SERVER");
	if (!s || !*s)
		s = "127.0.0.1:50051";
	const char *colon = strrchr(s, ':');
	int loop = colon && ((colon - s == 9 && strncmp(s, "127.0.0.1", 9) == 0) ||
	                     (colon - s == 9 && strncmp(s, "localhost", 9) == 0) ||
	                     (colon - s == 5 && strncmp(s, "[::1]", 5) == 0));
	if (loop)
		snprintf(out, len, MV_GUEST_GW "%s", colon);
	else
		snprintf(out, len, "%s", s);
}

static const char *const known_options[] = {
	"backend", "accel", "vmm", "kernel", "initramfs", "modules", "state_dir", "server",
	"worker_binary", "busybox", "kernel_args", "env", "ephemeral", "register_timeout_ms",
	"memory_mib", "network", "agent_socket", NULL
};

static int parse_options(mv_prov *p, const char *text)
{
	static const char *const backends[] = { "qemu", "firecracker", NULL };
	static const char *const accels[] = { "tcg", "kvm", "auto", NULL };
	json_error_t jerr;
	json_t *o = text && *text ? json_loads(text, 0, &jerr) : json_object();
	if (!o)
		return hodei__err(HODEI_EINVAL, "options_json: %s (line %d)", jerr.text, jerr.line);
	const char *key;
	json_t *v;
	int rc = json_is_object(o) ? 0 : hodei__err(HODEI_EINVAL, "options_json: not an object");
	json_object_foreach(o, key, v) {
		size_t i = 0;
		while (known_options[i] && strcmp(known_options[i], key) != 0)
			i++;
		if (rc == 0 && !known_options[i])
			rc = hodei__err(HODEI_EINVAL, "options.%s: unknown option", key);
	}
	char server[600];
	const char *env_dir = getenv("HODEI_MICROVM_DIR");
	guest_server(server, sizeof(server));
	if (rc == 0)
		rc = opt_choice(o, "backend", backends, MV_QEMU, &p->backend);
	if (rc == 0)
		rc = opt_choice(o, "accel", accels,
		                p->backend == MV_FIRECRACKER ? MV_ACCEL_KVM : MV_ACCEL_TCG, &p->accel);
	if (rc == 0)
		rc = opt_string(o, "vmm", p->backend == MV_QEMU ? DEFAULT_QEMU : DEFAULT_FIRECRACKER,
		                &p->vmm);
	if (rc == 0)
		rc = opt_string(o, "kernel", "", &p->kernel);
	if (rc == 0)
		rc = opt_string(o, "initramfs", "", &p->initramfs);
	if (rc == 0)
		rc = opt_string(o, "modules", "", &p->modules);
	if (rc == 0)
		rc = opt_string(o, "state_dir", env_dir && *env_dir ? env_dir : "hodei-microvm",
		                &p->state_dir);
	static const char *const networks[] = { "isolated", "user", NULL };
	const char *sock = getenv("HODEI_AGENT_SOCKET");
	int network = 0;
	if (rc == 0)
		rc = opt_string(o, "agent_socket", sock && *sock ? sock : "", &p->agent_socket);
	/* isolated by default where hodeid has a worker socket to forward to */
	if (rc == 0)
		rc = opt_choice(o, "network", networks, p->agent_socket[0] == '/' ? 0 : 1, &network);
	p->isolated = rc == 0 && network == 0 && p->backend == MV_QEMU;
	if (rc == 0 && network == 0 && p->agent_socket[0] != '/')
		rc = hodei__err(HODEI_EINVAL, "options.network: \"isolated\" needs hodeid's worker "
		                "socket (options.agent_socket or HODEI_AGENT_SOCKET)");
	if (rc == 0)
		rc = opt_string(o, "server", p->isolated ? MV_GUEST_HODEID : server, &p->server);
	if (rc == 0)
		rc = opt_string(o, "worker_binary", "", &p->worker_binary);
	if (rc == 0)
		rc = opt_string(o, "busybox", "/bin/busybox", &p->busybox);
	if (rc == 0)
		rc = opt_string(o, "kernel_args", "", &p->kernel_args);
	json_t *env = json_object_get(o, "env");
	if (rc == 0 && env && !json_is_array(env))
		rc = hodei__err(HODEI_EINVAL, "options.env: must be an array of \"NAME=value\"");
	size_t i;
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);
		if (rc == 0 && (!s || !strchr(s, '=') || *s == '=' || strpbrk(s, "\n\r")))
			rc = hodei__err(HODEI_EINVAL, "options.env[%zu]: must be one line NAME=value", i);
	}
	if (rc == 0) {
		p->env = calloc(json_array_size(env) + 1, sizeof(char *));
		for (i = 0; p->env && i < json_array_size(env); i++)
			if (!(p->env[i] = strdup(json_string_value(json_array_get(env, i)))))
				break;
		if (!p->env || i < json_array_size(env))
			rc = hodei__err(HODEI_ENOMEM, "out of memory");
	}
	json_t *eph = json_object_get(o, "ephemeral");
	if (rc == 0 && eph && !json_is_boolean(eph))
		rc = hodei__err(HODEI_EINVAL, "options.ephemeral: must be true or false");
	p->ephemeral = !eph || json_is_true(eph);
	json_t *rt = json_object_get(o, "register_timeout_ms");
	if (rc == 0 && rt && (!json_is_integer(rt) || json_integer_value(rt) < 1000 ||
	                      json_integer_value(rt) > 3600000))
		rc = hodei__err(HODEI_EINVAL,
		                "options.register_timeout_ms: must be an integer from 1000 to 3600000");
	p->register_timeout_ms = rt ? json_integer_value(rt) : 180000;
	json_t *mem = json_object_get(o, "memory_mib");
	if (rc == 0 && mem && (!json_is_integer(mem) || json_integer_value(mem) < 128 ||
	                       json_integer_value(mem) > 65536))
		rc = hodei__err(HODEI_EINVAL, "options.memory_mib: must be an integer from 128 to 65536");
	p->memory_mib = mem ? (uint64_t)json_integer_value(mem) : 256;
	json_decref(o);
	return rc;
}

/* ---- the host: what the backend needs ---- */

static char *path_of(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	const char *path = getenv("PATH");
	for (; path && *path;) {
		size_t n = strcspn(path, ":");
		char buf[PATH_MAX];
		if (n > 0 && snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name) <
		                     (int)sizeof(buf) && access(buf, X_OK) == 0)
			return strdup(buf);
		path += n + (path[n] == ':');
	}
	return NULL;
}

/* Can this process run KVM guests?  0, or why not. */
static const char *kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? "no /dev/kvm (no KVM module loaded, or not exposed to this "
		                         "host)"
		                       : "/dev/kvm cannot be opened (permissions: the kvm group)";
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	return v == KVM_API_VERSION ? NULL : "/dev/kvm answers an unknown API version";
}

static long host_tsc_khz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	double mhz = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "cpu MHz", 7) == 0 && sscanf(strchr(line, ':') + 1, "%lf", &mhz) == 1)
			break;
	if (f)
		fclose(f);
	return (long)(mhz * 1000);
}

__attribute__((format(printf, 2, 3))) static void set_missing(mv_prov *p, const char *fmt, ...)
{
	char msg[1400];
	va_list ap;
	int n = snprintf(msg, sizeof(msg), "microvm provider %s (backend %s): ", p->name,
	                 p->backend == MV_QEMU ? "qemu" : "firecracker");
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	free(p->missing);
	p->missing = strdup(msg);
	if (!p->missing)
		p->missing = strdup("out of memory");
}

/* The newest /boot/vmlinuz-*, or "". */
static void default_kernel(char *out, size_t len)
{
	glob_t g;
	out[0] = '\0';
	if (glob("/boot/vmlinuz-*", 0, NULL, &g) == 0 && g.gl_pathc > 0)
		snprintf(out, len, "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
}

static void check_host(mv_prov *p)
{
	free(p->missing);
	p->missing = NULL;
	char *vmm = path_of(p->vmm);
	if (!vmm) {
		if (p->backend == MV_QEMU)
			set_missing(p, "%s not found: install the Debian package qemu-system-x86 (or set "
			               "options.vmm)", p->vmm);
		else
			set_missing(p, "%s not found: Firecracker has no Debian package; put its release "
			               "binary on PATH or set options.vmm (or use backend qemu)", p->vmm);
		return;
	}
	free(vmm);
	char *socat = p->isolated ? path_of("socat") : NULL;
	if (p->isolated && !socat) {
		set_missing(p, "socat not found (network \"isolated\" forwards the guest's one "
		               "connection to hodeid's worker socket with it): install the Debian "
		               "package socat, or set options.network to \"user\"");
		return;
	}
	free(socat);
	struct stat sst;
	if (p->isolated && (stat(p->agent_socket, &sst) != 0 || !S_ISSOCK(sst.st_mode))) {
		set_missing(p, "hodeid's worker socket %s is not there (network \"isolated\")",
		            p->agent_socket);
		return;
	}
	if (p->kernel[0])
		snprintf(p->kernel_path, sizeof(p->kernel_path), "%s", p->kernel);
	else
		default_kernel(p->kernel_path, sizeof(p->kernel_path));
	if (!p->kernel_path[0] || access(p->kernel_path, R_OK) != 0) {
		set_missing(p, "no kernel%s%s: install the Debian package linux-image-amd64 (its "
		               "/boot/vmlinuz-*), or set options.kernel", p->kernel_path[0] ? " " : "",
		            p->kernel_path);
		return;
	}
	const char *why_kvm = kvm_usable();
	/* Firecracker always runs on KVM; its accel "tcg" only skips the check, for a
	 * stand-in VMM (test/microvm/fc-standin.py) */
	p->use_kvm = p->accel == MV_ACCEL_KVM || (p->accel == MV_ACCEL_AUTO && !why_kvm);
	if (p->use_kvm && why_kvm) {
		set_missing(p, "KVM is needed (%s) but %s; use backend qemu with accel tcg",
		            p->backend == MV_FIRECRACKER ? "Firecracker runs only on KVM" : "accel kvm",
		            why_kvm);
		return;
	}
	snprintf(p->accel_note, sizeof(p->accel_note), "%s%s%s",
	         p->use_kvm                     ? "KVM"
	         : p->backend == MV_FIRECRACKER ? "none checked (a stand-in VMM: accel tcg)"
	                                        : "TCG (software emulation)",
	         p->accel == MV_ACCEL_AUTO ? ", chosen by accel auto" : ", from options.accel",
	         !p->use_kvm && why_kvm ? "; KVM not usable here" : "");
	if (p->initramfs[0]) {
		snprintf(p->initrd_path, sizeof(p->initrd_path), "%s", p->initramfs);
		if (access(p->initrd_path, R_OK) != 0)
			set_missing(p, "initramfs %s: %s (unset options.initramfs to have it built)",
			            p->initrd_path, strerror(errno));
		return;
	}
	char modules[PATH_MAX];
	const char *base = strrchr(p->kernel_path, '/');
	base = base ? base + 1 : p->kernel_path;
	if (p->modules[0])
		snprintf(modules, sizeof(modules), "%s", p->modules);
	else
		if (snprintf(modules, sizeof(modules), "/lib/modules/%s",
		             strncmp(base, "vmlinuz-", 8) == 0 ? base + 8 : base) >= (int)sizeof(modules))
			modules[0] = '\0';
	struct stat st;
	if (stat(modules, &st) != 0 || !S_ISDIR(st.st_mode)) {
		set_missing(p, "no kernel modules at %s: install the linux-image package of the kernel "
		               "%s (linux-image-amd64), or set options.modules", modules,
		            p->kernel_path);
		return;
	}
	if (access(p->busybox, X_OK) != 0) {
		set_missing(p, "%s not found: install the Debian package busybox-static (or set "
		               "options.busybox)", p->busybox);
		return;
	}
	char *worker = hodei__dk_find_worker(p->worker_binary);
	if (!worker) {
		set_missing(p, "hodei-worker not found: set HODEI_WORKER_BIN or "
		               "options.worker_binary");
		return;
	}
	snprintf(p->initrd_path, sizeof(p->initrd_path), "%s/initramfs.cpio", p->dir);
	int rc = hodei__mv_initramfs_build(p->initrd_path, worker, p->busybox, modules,
	                                   &p->nmodules, &p->initrd_bytes);
	free(worker);
	if (rc != 0)
		set_missing(p, "cannot build the initramfs: %s", hodei_error_last());
}

/* ---- health ---- */

void hodei__mv_report(mv_prov *p)
{
	if (p->missing) {
		hodei_provider_report_health(p->prov, HODEI_PROVIDER_UNHEALTHY, 0, p->missing);
		return;
	}
	if (p->vm_failures >= 3)
		return; /* vm_fail reported it; the next probe gives it another chance */
	size_t n = 0;
	for (mv_vm *vm = p->vms; vm; vm = vm->next)
		n += vm->w != NULL;
	char msg[4 * PATH_MAX], stale[64] = "";
	if (p->stale_killed)
		snprintf(stale, sizeof(stale), ", killed %d VMs of a previous run", p->stale_killed);
	snprintf(msg, sizeof(msg),
	         "%s %s, accel %s, network %s, kernel %s, initramfs %s (%zu KiB, %zu modules), %zu VMs%s%s%s",
	         p->backend == MV_QEMU ? "qemu" : "firecracker", p->vmm, p->accel_note,
	         p->backend == MV_FIRECRACKER ? "tap hodei-tap0 (the operator's)"
	         : p->isolated                ? "isolated (only hodeid's worker socket)"
	                                      : "user (host loopback and internet reachable)",
	         p->kernel_path, p->initrd_path, p->initrd_bytes / 1024, p->nmodules, n, stale,
	         p->last_failure[0] ? "; last failure: " : "", p->last_failure);
	hodei_provider_report_health(p->prov, HODEI_PROVIDER_ACTIVE, 100, msg);
}

static void mv_probe(void *state)
{
	mv_prov *p = state;
	if (p->missing)
		check_host(p);
	if (p->vm_failures >= 3)
		p->vm_failures = 2; /* one more try */
	hodei__mv_report(p);
}

/* ---- ops ---- */

static void on_event(const hodei_event *ev, void *userdata)
{
	hodei__mv_vm_on_event(userdata, ev);
}

static void mv_destroy(void *state);

static int make_dirs(mv_prov *p)
{
	if (mkdir(p->state_dir, 0700) != 0 && errno != EEXIST)
		return hodei__err(HODEI_EIO, "options.state_dir: %s: %s", p->state_dir,
		                  strerror(errno));
	if (snprintf(p->dir, sizeof(p->dir), "%s/%s", p->state_dir, p->name) >=
	    (int)sizeof(p->dir))
		return hodei__err(HODEI_EINVAL, "options.state_dir: too long");
	if (mkdir(p->dir, 0700) != 0 && errno != EEXIST)
		return hodei__err(HODEI_EIO, "%s: %s", p->dir, strerror(errno));
	return 0;
}

static int mv_create(hodei_provider *provider, void **state)
{
	const hodei_provider_config *cfg = hodei_provider_config_of(provider);
	mv_prov *p = calloc(1, sizeof(*p));
	if (!p)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	p->prov = provider;
	p->ctx = hodei_provider_ctx(provider);
	p->base = hodei_ctx_event_base(p->ctx);
	p->max_memory = cfg->max_memory_bytes;
	p->max_vcpus = cfg->max_vcpus;
	p->tsc_khz = host_tsc_khz();
	p->name = strdup(hodei_provider_name(provider));
	int rc = p->name ? parse_options(p, cfg->options_json)
	                 : hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc == 0)
		rc = make_dirs(p);
	if (rc == 0) {
		hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
		so.mask = HODEI_EVENT_WORKER;
		so.callback = on_event;
		so.userdata = p;
		rc = hodei_sub_open(&p->sub, p->ctx, &so);
	}
	if (rc != 0) {
		mv_destroy(p);
		return rc;
	}
	/* before anything of ours is in the directory: what is there is a previous run's */
	p->stale_killed = hodei__mv_sweep_stale(p->dir);
	check_host(p);
	hodei__mv_report(p);
	*state = p;
	return 0;
}

static void mv_destroy(void *state)
{
	mv_prov *p = state;
	hodei_sub_close(p->sub);
	hodei__mv_vm_shutdown(p);
	free(p->name);
	free(p->missing);
	options_free(p);
	free(p);
}

static int mv_provision(void *state, hodei_worker *worker, const hodei_run_request *hint)
{
	return hodei__mv_vm_provision(state, worker, hint);
}

static void mv_release(void *state, hodei_worker *worker)
{
	mv_vm *vm = hodei_worker_data(worker);
	hodei_worker_set_data(worker, NULL);
	if (vm)
		hodei__mv_vm_release(state, vm);
}

static int mv_check(const hodei_provider_config *cfg)
{
	mv_prov p;
	memset(&p, 0, sizeof(p));
	int rc = parse_options(&p, cfg->options_json);
	options_free(&p);
	return rc;
}

static const hodei_provider_ops microvm_ops = {
	.version = HODEI_PROVIDER_OPS_VERSION,
	.type = "microvm",
	.create = mv_create,
	.destroy = mv_destroy,
	.provision = mv_provision,
	.run = NULL, /* an agent is bound to every microVM worker */
	.cancel = NULL,
	.release = mv_release,
	.probe = mv_probe,
	.check = mv_check,
};

const hodei_provider_ops *hodei__mv_provider_ops(void)
{
	return &microvm_ops;
}
