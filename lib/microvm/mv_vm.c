/*
 * One VM per worker.
 *
 * Provision makes the VM's directory <state>/<provider>/<worker id> (0700)
 * with the config drive (config.img: hodeid's address as the guest sees it,
 * the one-time token, the worker id; read-only to the guest), starts the
 * VMM with its console (serial ttyS0) in console.log, writes `pid`, and
 * watches the process through a pidfd on the loop.
 *
 *   qemu         qemu-system-x86_64 -M microvm, -nographic, user networking
 *                (the host's loopback is 10.0.2.2 to the guest), the config
 *                drive as virtio-blk; TCG or KVM (mv_provider.c decides).
 *   firecracker  `firecracker --api-sock <dir>/fc.sock`, then over the API:
 *                PUT /boot-source, /machine-config, /drives/config,
 *                /network-interfaces/eth0, /actions InstanceStart.
 *
 * A VM whose agent has not registered within register_timeout_ms is killed
 * and its worker lost with the last console lines as the reason; so is one
 * whose VMM exits first.  Release kills the VMM (SIGKILL: the VM holds
 * nothing to save) and removes the directory once it is reaped.
 */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mv.h"
#include "../http/provkit.h"

extern char **environ;

#define FC_SOCKET_POLL_MS 20
#define FC_SOCKET_POLLS 500 /* 10 s for the VMM to listen */
#define FC_TIMEOUT_MS 10000L
#define TAIL_BYTES 4096
#define TAIL_LINES 6

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- files ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void hodei__mv_remove_tree(const char *dir)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void hodei__mv_console_tail(const char *dir, char *out, size_t outlen)
{
	char path[PATH_MAX], buf[TAIL_BYTES + 1];
	snprintf(path, sizeof(path), "%s/console.log", dir);
	out[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > TAIL_BYTES ? end - TAIL_BYTES : 0;
	ssize_t n = pread(fd, buf, TAIL_BYTES, from);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* the last TAIL_LINES non-blank lines, oldest first, joined by " | " */
	const char *starts[TAIL_LINES];
	size_t lens[TAIL_LINES], k = 0;
	char *end_p = buf + n;
	while (end_p > buf && k < TAIL_LINES) {
		char *e = end_p;
		while (e > buf && (e[-1] == '\n' || e[-1] == '\r'))
			e--;
		char *s = e;
		while (s > buf && s[-1] != '\n')
			s--;
		if (e > s) {
			starts[k] = s;
			lens[k++] = (size_t)(e - s);
		}
		end_p = s;
	}
	size_t o = 0;
	for (size_t i = k; i > 0 && o + 8 < outlen; i--) {
		if (o > 0) {
			memcpy(out + o, " | ", 3);
			o += 3;
		}
		for (size_t j = 0; j < lens[i - 1] && o + 1 < outlen; j++) {
			unsigned char c = (unsigned char)starts[i - 1][j];
			out[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		}
	}
	out[o] = '\0';
}

static int write_config(mv_vm *vm)
{
	mv_prov *p = vm->p;
	char cfg[MV_CONFIG_SIZE], path[PATH_MAX];
	memset(cfg, 0, sizeof(cfg));
	int n = snprintf(cfg, sizeof(cfg),
	                 "HODEI_SERVER=%s\nHODEI_WORKER_TOKEN=%s\nHODEI_WORKER_NAME=%s\n"
	                 "HODEI_GUEST_IP=%s\nHODEI_GUEST_GW=%s\n",
	                 p->server, hodei_worker_token(vm->w), vm->wid, MV_GUEST_IP, MV_GUEST_GW);
	for (size_t i = 0; p->env && p->env[i] && n > 0 && (size_t)n < sizeof(cfg); i++)
		n += snprintf(cfg + n, sizeof(cfg) - (size_t)n, "%s\n", p->env[i]);
	if (n <= 0 || (size_t)n >= sizeof(cfg))
		return hodei__err(HODEI_EINVAL, "options.env: the config drive holds at most %d bytes",
		                  MV_CONFIG_SIZE - 1);
	snprintf(path, sizeof(path), "%s/config.img", vm->dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return hodei__err(HODEI_EIO, "%s: %s", path, strerror(errno));
	ssize_t w = write(fd, cfg, sizeof(cfg));
	int bad = close(fd) != 0 || w != (ssize_t)sizeof(cfg);
	explicit_bzero(cfg, sizeof(cfg));
	return bad ? hodei__err(HODEI_EIO, "%s: write failed", path) : 0;
}

/* ---- the VM's end ---- */

static void vm_unlink_free(mv_vm *vm)
{
	for (mv_vm **pp = &vm->p->vms; *pp; pp = &(*pp)->next)
		if (*pp == vm) {
			*pp = vm->next;
			break;
		}
	if (vm->exit_ev)
		event_free(vm->exit_ev);
	if (vm->timer)
		event_free(vm->timer);
	if (vm->fc_poll)
		event_free(vm->fc_poll);
	hodei__dk_cancel(vm->fc_req);
	hodei__dk_http_free(vm->fc);
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	if (vm->dir[0])
		hodei__mv_remove_tree(vm->dir);
	free(vm);
}

/* The VM failed (or ended): its worker is lost with `why` and the console's
 * last lines.  The library then calls release. */
static void vm_fail(mv_vm *vm, const char *why)
{
	char tail[700], reason[1200];
	hodei__mv_console_tail(vm->dir, tail, sizeof(tail));
	snprintf(reason, sizeof(reason), "microvm provider %s: %s; console: %s", vm->p->name, why,
	         tail[0] ? tail : "(nothing printed)");
	snprintf(vm->p->last_failure, sizeof(vm->p->last_failure), "%s", reason);
	if (!vm->registered && ++vm->p->vm_failures == 3)
		hodei_provider_report_health(vm->p->prov, HODEI_PROVIDER_UNHEALTHY, 10, reason);
	else
		hodei__mv_report(vm->p);
	if (vm->w)
		hodei_worker_lost(vm->w, reason);
}

static void on_exit_ev(evutil_socket_t fd, short what, void *arg)
{
	mv_vm *vm = arg;
	int status = 0;
	pid_t r = waitpid(vm->pid, &status, WNOHANG);
	if (r == 0)
		return; /* not yet (spurious wake-up) */
	event_del(vm->exit_ev);
	vm->pid = 0;
	if (vm->w) {
		char why[200];
		if (r < 0)
			snprintf(why, sizeof(why), "the VMM ended (its status was lost: %s)",
			         strerror(errno));
		else if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "the VMM was killed by signal %d%s", WTERMSIG(status),
			         vm->registered ? "" : " before the agent registered");
		else
			snprintf(why, sizeof(why), "the VM stopped (VMM exit code %d)%s",
			         WEXITSTATUS(status), vm->registered ? "" : " before the agent registered");
		vm_fail(vm, why); /* the library calls release, which frees vm */
		return;
	}
	vm_unlink_free(vm);
}

static void kill_vmm(mv_vm *vm)
{
	if (vm->pid > 0) {
		if (vm->pidfd >= 0)
			syscall(SYS_pidfd_send_signal, vm->pidfd, SIGKILL, NULL, 0);
		else
			kill(vm->pid, SIGKILL);
	}
}

void hodei__mv_vm_release(mv_prov *p, mv_vm *vm)
{
	(void)p;
	vm->w = NULL;
	if (vm->timer)
		evtimer_del(vm->timer);
	hodei__dk_cancel(vm->fc_req);
	vm->fc_req = NULL;
	if (vm->pid <= 0) {
		vm_unlink_free(vm);
		return;
	}
	kill_vmm(vm); /* reaped by on_exit_ev, which frees it */
}

static void on_register_deadline(evutil_socket_t fd, short what, void *arg)
{
	mv_vm *vm = arg;
	if (!vm->w || vm->registered)
		return;
	char why[200];
	snprintf(why, sizeof(why), "the agent did not register within %lld ms (VM killed)",
	         (long long)vm->p->register_timeout_ms);
	vm_fail(vm, why);
}

/* ---- starting the VMM ---- */

static int spawn_vmm(mv_vm *vm, char *const argv[])
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/console.log", vm->dir);
	int con = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (con < 0)
		return hodei__err(HODEI_EIO, "%s: %s", path, strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, con, 1);
	posix_spawn_file_actions_adddup2(&fa, con, 2);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
	                                        POSIX_SPAWN_SETSIGDEF);
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	pid_t pid;
	int err = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(con);
	if (err != 0)
		return hodei__err(HODEI_ENOTFOUND, "cannot run %s: %s", argv[0], strerror(err));
	vm->pid = pid;
	vm->spawned_ms = mono_ms();
	vm->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	snprintf(path, sizeof(path), "%s/pid", vm->dir);
	FILE *f = fopen(path, "we");
	if (f) {
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
	}
	if (vm->pidfd < 0 ||
	    !(vm->exit_ev = event_new(vm->p->base, vm->pidfd, EV_READ | EV_PERSIST, on_exit_ev, vm)) ||
	    event_add(vm->exit_ev, NULL) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		vm->pid = 0;
		return hodei__err(HODEI_EIO, "cannot watch the VMM (pidfd_open: %s)",
		                  vm->pidfd < 0 ? strerror(errno) : "event");
	}
	return 0;
}

static void arm_deadline(mv_vm *vm)
{
	if (!vm->timer)
		vm->timer = evtimer_new(vm->p->base, on_register_deadline, vm);
	struct timeval tv = { vm->p->register_timeout_ms / 1000,
		              (vm->p->register_timeout_ms % 1000) * 1000 };
	if (vm->timer)
		evtimer_add(vm->timer, &tv);
}

/* The kernel command line: no secret in it (it shows in `ps` on the host). */
static void kernel_cmdline(const mv_prov *p, char *out, size_t len)
{
	int n = snprintf(out, len, "console=ttyS0 loglevel=4 panic=-1 reboot=t");
	if (p->tsc_khz > 0 && !p->use_kvm)
		/* TCG: the PIT calibration fails on a loaded host and the boot stalls */
		n += snprintf(out + n, len - (size_t)n,
		              " tsc_early_khz=%ld tsc=reliable no_timer_check lpj=%ld", p->tsc_khz,
		              p->tsc_khz * 4);
	if (p->kernel_args[0])
		snprintf(out + n, len - (size_t)n, " %s", p->kernel_args);
}

/* A path inside a QEMU option value: commas doubled.  0, or -1 when it does not fit. */
static int qemu_path(char *out, size_t len, const char *path)
{
	size_t o = 0;
	for (; *path; path++) {
		if (o + 3 > len)
			return -1;
		if (*path == ',')
			out[o++] = ',';
		out[o++] = *path;
	}
	out[o] = '\0';
	return 0;
}

static int start_qemu(mv_vm *vm)
{
	mv_prov *p = vm->p;
	char mem[32], smp[32], cmdline[1024], drive[2 * PATH_MAX + 96], net[2 * PATH_MAX + 160];
	char img[PATH_MAX], esc_img[2 * PATH_MAX], esc_sock[2 * PATH_MAX];
	snprintf(img, sizeof(img), "%s/config.img", vm->dir);
	if (qemu_path(esc_img, sizeof(esc_img), img) != 0 ||
	    qemu_path(esc_sock, sizeof(esc_sock), p->agent_socket) != 0)
		return hodei__err(HODEI_EINVAL, "options.state_dir: too long");
	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)vm->mem_mib);
	snprintf(smp, sizeof(smp), "%u", vm->vcpus);
	kernel_cmdline(p, cmdline, sizeof(cmdline));
	/* isolated: no route anywhere (restrict=on), but the guest's connections to
	 * MV_GUEST_HODEID each become a socat to hodeid's worker socket, which
	 * serves the worker protocol only */
	if (p->isolated)
		snprintf(net, sizeof(net),
		         "user,id=net0,restrict=on,guestfwd=tcp:" MV_GUEST_HODEID
		         "-cmd:socat STDIO UNIX-CONNECT:%s",
		         esc_sock);
	else
		snprintf(net, sizeof(net), "user,id=net0");
	snprintf(drive, sizeof(drive), "id=config,file=%s,format=raw,if=none,readonly=on", esc_img);
	char *argv[] = { p->vmm,
		         "-M", "microvm",
		         "-accel", p->use_kvm ? "kvm" : "tcg",
		         "-cpu", p->use_kvm ? "host" : "max",
		         "-m", mem, "-smp", smp,
		         "-nographic", "-no-reboot",
		         "-kernel", p->kernel_path, "-initrd", p->initrd_path,
		         "-append", cmdline,
		         "-netdev", net,
		         "-device", "virtio-net-device,netdev=net0",
		         "-drive", drive,
		         "-device", "virtio-blk-device,drive=config",
		         NULL };
	return spawn_vmm(vm, argv);
}

/* ---- Firecracker: its API, one request after the other ---- */

static void fc_next(mv_vm *vm);

static void on_fc_reply(void *ud, const hodei__dk_response *resp)
{
	mv_vm *vm = ud;
	vm->fc_req = NULL;
	if (!vm->w)
		return;
	if (resp->error || resp->status < 200 || resp->status > 299) {
		char *msg = hodei__dk_error_message(resp), why[900];
		snprintf(why, sizeof(why), "Firecracker refused step %d of the VM's set-up: %s",
		         vm->fc_step, msg ? msg : "no reason given");
		free(msg);
		kill_vmm(vm);
		vm_fail(vm, why);
		return;
	}
	vm->fc_step++;
	fc_next(vm);
}

/* JSON string contents: the paths are ours, but quote them properly anyway. */
static void json_escape(char *out, size_t len, const char *s)
{
	size_t o = 0;
	for (; *s && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

static void fc_next(mv_vm *vm)
{
	mv_prov *p = vm->p;
	char body[6 * PATH_MAX], path[64], a[PATH_MAX * 2], b[PATH_MAX * 2], cmdline[1024], c[2048];
	switch (vm->fc_step) {
	case 0:
		kernel_cmdline(p, cmdline, sizeof(cmdline));
		json_escape(a, sizeof(a), p->kernel_path);
		json_escape(b, sizeof(b), p->initrd_path);
		json_escape(c, sizeof(c), cmdline);
		snprintf(path, sizeof(path), "/boot-source");
		snprintf(body, sizeof(body),
		         "{\"kernel_image_path\":\"%s\",\"initrd_path\":\"%s\",\"boot_args\":\"%s\"}",
		         a, b, c);
		break;
	case 1:
		snprintf(path, sizeof(path), "/machine-config");
		snprintf(body, sizeof(body), "{\"vcpu_count\":%u,\"mem_size_mib\":%llu}", vm->vcpus,
		         (unsigned long long)vm->mem_mib);
		break;
	case 2: {
		char img[PATH_MAX];
		snprintf(img, sizeof(img), "%s/config.img", vm->dir);
		json_escape(a, sizeof(a), img);
		snprintf(path, sizeof(path), "/drives/config");
		snprintf(body, sizeof(body),
		         "{\"drive_id\":\"config\",\"path_on_host\":\"%s\",\"is_root_device\":false,"
		         "\"is_read_only\":true}",
		         a);
		break;
	}
	case 3:
		snprintf(path, sizeof(path), "/network-interfaces/eth0");
		snprintf(body, sizeof(body), "{\"iface_id\":\"eth0\",\"host_dev_name\":\"hodei-tap0\"}");
		break;
	case 4:
		snprintf(path, sizeof(path), "/actions");
		snprintf(body, sizeof(body), "{\"action_type\":\"InstanceStart\"}");
		break;
	default:
		return; /* started: now the registration deadline runs */
	}
	vm->fc_req = hodei__dk_send(vm->fc, "PUT", path, body, strlen(body), 0, FC_TIMEOUT_MS,
	                            on_fc_reply, vm);
	if (!vm->fc_req) {
		kill_vmm(vm);
		vm_fail(vm, "out of memory");
	}
}

static void on_fc_poll(evutil_socket_t fd, short what, void *arg)
{
	mv_vm *vm = arg;
	char sock[PATH_MAX];
	struct stat st;
	if (!vm->w)
		return;
	snprintf(sock, sizeof(sock), "%s/fc.sock", vm->dir);
	if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
		char endpoint[PATH_MAX + 8];
		snprintf(endpoint, sizeof(endpoint), "unix://%s", sock);
		if (hodei__dk_http_new_raw(&vm->fc, vm->p->base, endpoint) != 0) {
			kill_vmm(vm);
			vm_fail(vm, hodei_error_last());
			return;
		}
		fc_next(vm);
		return;
	}
	if (++vm->fc_polls >= FC_SOCKET_POLLS) {
		kill_vmm(vm);
		vm_fail(vm, "Firecracker did not open its API socket within 10 s");
		return;
	}
	struct timeval tv = { 0, FC_SOCKET_POLL_MS * 1000 };
	evtimer_add(vm->fc_poll, &tv);
}

static int start_firecracker(mv_vm *vm)
{
	char sock[PATH_MAX];
	snprintf(sock, sizeof(sock), "%s/fc.sock", vm->dir);
	char *argv[] = { vm->p->vmm, "--api-sock", sock, NULL };
	int rc = spawn_vmm(vm, argv);
	if (rc != 0)
		return rc;
	if (!(vm->fc_poll = evtimer_new(vm->p->base, on_fc_poll, vm)))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	struct timeval tv = { 0, FC_SOCKET_POLL_MS * 1000 };
	evtimer_add(vm->fc_poll, &tv);
	return 0;
}

/* ---- provision ---- */

int hodei__mv_vm_provision(mv_prov *p, hodei_worker *w, const hodei_run_request *hint)
{
	if (p->missing)
		return hodei__err(HODEI_EUNAVAIL, "%s", p->missing);
	uint64_t mem = hint ? hint->memory_bytes : 0;
	uint32_t cpu = hint ? hint->cpu_millis : 0;
	if (hodei__prov_fits(p->name, p->max_memory, p->max_vcpus, hint) != 0)
		return HODEI_EINVAL;
	mv_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	vm->p = p;
	vm->w = w;
	vm->pidfd = -1;
	snprintf(vm->wid, sizeof(vm->wid), "%s", hodei_worker_id(w));
	/* the job's memory plus room for the guest kernel and the agent */
	vm->mem_mib = mem ? (mem + (1u << 20) - 1) / (1u << 20) + 64 : p->memory_mib;
	if (vm->mem_mib < 128)
		vm->mem_mib = 128;
	vm->vcpus = cpu ? (cpu + 999) / 1000 : 1;
	if (snprintf(vm->dir, sizeof(vm->dir), "%s/%s", p->dir, vm->wid) >= (int)sizeof(vm->dir)) {
		free(vm);
		return hodei__err(HODEI_EINVAL, "options.state_dir: too long");
	}
	if (mkdir(vm->dir, 0700) != 0) {
		int rc = hodei__err(HODEI_EIO, "%s: %s", vm->dir, strerror(errno));
		free(vm);
		return rc;
	}
	vm->next = p->vms;
	p->vms = vm;
	int rc = write_config(vm);
	if (rc == 0)
		rc = p->backend == MV_FIRECRACKER ? start_firecracker(vm) : start_qemu(vm);
	if (rc != 0) {
		kill_vmm(vm);
		if (vm->pid > 0)
			waitpid(vm->pid, NULL, 0);
		vm->pid = 0;
		vm_unlink_free(vm);
		return rc;
	}
	hodei_worker_set_data(w, vm);
	arm_deadline(vm);
	return 0;
}

/* ---- registration and ephemeral VMs ---- */

static mv_vm *find_vm(mv_prov *p, const char *wid)
{
	for (mv_vm *vm = p->vms; vm; vm = vm->next)
		if (vm->w && strcmp(vm->wid, wid) == 0)
			return vm;
	return NULL;
}

void hodei__mv_vm_on_event(mv_prov *p, const hodei_event *ev)
{
	if (ev->type != HODEI_EVENT_WORKER || !ev->worker_id || !ev->provider ||
	    strcmp(ev->provider, p->name) != 0)
		return;
	mv_vm *vm = find_vm(p, ev->worker_id);
	if (!vm)
		return;
	if ((ev->state == HODEI_WORKER_IDLE || ev->state == HODEI_WORKER_BUSY) && !vm->registered) {
		vm->registered = true;
		p->vm_failures = 0;
		if (vm->timer)
			evtimer_del(vm->timer);
	}
	if (p->ephemeral && ev->state == HODEI_WORKER_IDLE)
		hodei__prov_retire_used(p->ctx, vm->w, vm->wid, "ephemeral worker: one job per VM");
}

/* ---- shutdown and stale VMs ---- */

void hodei__mv_vm_shutdown(mv_prov *p)
{
	while (p->vms) {
		mv_vm *vm = p->vms;
		if (vm->pid > 0) {
			kill_vmm(vm);
			waitpid(vm->pid, NULL, 0);
		}
		vm_unlink_free(vm);
	}
}

/* Is pid a process whose command line names dir (one of our VMMs)? */
static int is_vmm_of(pid_t pid, const char *dir)
{
	char path[64], buf[8192];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, dir) != NULL;
}

int hodei__mv_sweep_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int killed = 0;
	while (d && (e = readdir(d))) {
		char sub[PATH_MAX], pidf[PATH_MAX + 8];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (lstat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(pidf, sizeof(pidf), "%s/pid", sub);
		FILE *f = fopen(pidf, "re");
		int pid = 0;
		if (f) {
			if (fscanf(f, "%d", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid > 1 && is_vmm_of(pid, sub)) {
			int fd = (int)syscall(SYS_pidfd_open, pid, 0);
			kill(pid, SIGKILL);
			killed++;
			if (fd >= 0) { /* gone before its files are, bounded */
				struct pollfd pfd = { fd, POLLIN, 0 };
				poll(&pfd, 1, 2000);
				close(fd);
			}
			waitpid(pid, NULL, WNOHANG);
		}
		hodei__mv_remove_tree(sub);
	}
	if (d)
		closedir(d);
	return killed;
}
