/*
 * The "microvm" provider's internals (lib/microvm).  Nothing here is public.
 * Built into the docker module (hodei-docker.so), whose archive writer,
 * dependency finder and HTTP client it shares (lib/docker/dk.h).
 *
 *   mv_initramfs.c  the guest's initramfs (cpio newc): hodei-worker with its
 *                   libraries, busybox, the kernel modules it needs, /init
 *   mv_vm.c         one VM per worker: the VMM process (QEMU, or Firecracker
 *                   driven over its API socket), its console, its end
 *   mv_provider.c   options, host checks and health, stale VMs, the ops
 */
#ifndef HODEI_MV_H
#define HODEI_MV_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hodei/hodei.h"
#include "dk.h"

struct event;
typedef struct mv_prov mv_prov;

enum mv_backend { MV_QEMU, MV_FIRECRACKER };
enum mv_accel { MV_ACCEL_TCG, MV_ACCEL_KVM, MV_ACCEL_AUTO };

/* The guest's view of user networking (QEMU's slirp defaults). */
#define MV_GUEST_IP "10.0.2.15/24"
#define MV_GUEST_GW "10.0.2.2"
/* network "isolated": the only address the guest reaches, forwarded by QEMU
 * (a socat per connection) to hodeid's worker socket */
#define MV_GUEST_HODEID "10.0.2.100:50051"
/* The config drive: KEY=VALUE lines padded with NULs to this size. */
#define MV_CONFIG_SIZE 4096

/* One VM.  Outlives its hodei_worker until the VMM process is reaped. */
typedef struct mv_vm {
	mv_prov *p;
	hodei_worker *w;        /* NULL once the library released it */
	char wid[80];
	char dir[PATH_MAX - 64]; /* <state>/<provider>/<worker id> */
	pid_t pid;              /* the VMM; 0 before it started */
	int pidfd;
	struct event *exit_ev;  /* the VMM ended */
	struct event *timer;    /* registration deadline */
	struct event *fc_poll;  /* Firecracker: waiting for its API socket */
	int fc_polls;
	hodei__dk_http *fc;     /* Firecracker: its API */
	hodei__dk_req *fc_req;
	int fc_step;
	uint64_t mem_mib;
	unsigned int vcpus;
	bool registered;
	int64_t spawned_ms;
	struct mv_vm *next;
} mv_vm;

struct mv_prov {
	hodei_provider *prov;
	hodei_ctx *ctx;
	struct event_base *base;
	char *name;
	/* options */
	int backend;           /* enum mv_backend */
	int accel;             /* enum mv_accel (QEMU) */
	char *vmm;             /* qemu-system-x86_64 / firecracker: path or name */
	char *kernel;          /* "" = the newest /boot/vmlinuz-* */
	char *initramfs;       /* "" = built by the provider */
	char *modules;         /* "" = /lib/modules/<the kernel's version> */
	char *state_dir;
	char *server;          /* hodeid as the guest reaches it */
	char *worker_binary;
	char *busybox;
	char *kernel_args;     /* appended to the kernel command line */
	bool isolated;         /* QEMU restrict=on, only hodeid's worker socket forwarded */
	char *agent_socket;    /* hodeid's worker socket (HODEI_AGENT_SOCKET) */
	char **env;            /* extra "K=V" for the agent, NULL-terminated */
	bool ephemeral;
	int64_t register_timeout_ms;
	uint64_t memory_mib;   /* when the job asks for none */
	uint64_t max_memory;
	uint32_t max_vcpus;
	/* state */
	char dir[PATH_MAX - 128];  /* <state>/<provider> */
	char kernel_path[PATH_MAX];
	char initrd_path[PATH_MAX];
	size_t initrd_bytes;
	size_t nmodules;
	char *missing;         /* why VMs cannot start, and how to fix it; NULL = ready */
	bool use_kvm;
	char accel_note[160];
	long tsc_khz;
	int stale_killed;
	int vm_failures;       /* VMs in a row that never registered */
	char last_failure[1200];
	mv_vm *vms;
	hodei_sub *sub;
};

/* mv_initramfs.c */
/* Build the initramfs into `out` (written whole, then renamed): rootfs from
 * the agent and busybox, the modules (and their dependencies) from
 * modules_dir, /init.  *nmodules: how many modules went in.
 * Errors: HODEI_ENOTFOUND (a file), HODEI_EIO, HODEI_ENOMEM. */
int hodei__mv_initramfs_build(const char *out, const char *worker, const char *busybox,
                              const char *modules_dir, size_t *nmodules, size_t *bytes);

/* mv_provider.c: report health (Unhealthy with what is missing, else Active
 * with the backend, acceleration, network, files, VMs and the last failure) */
void hodei__mv_report(mv_prov *p);

/* mv_vm.c */
int hodei__mv_vm_provision(mv_prov *p, hodei_worker *w, const hodei_run_request *hint);
void hodei__mv_vm_release(mv_prov *p, mv_vm *vm);
void hodei__mv_vm_on_event(mv_prov *p, const hodei_event *ev);
/* Kill and reap every VM, blocking briefly (destroy). */
void hodei__mv_vm_shutdown(mv_prov *p);
/* Kill the VMs a previous process left in dir; returns how many. */
int hodei__mv_sweep_stale(const char *dir);
/* The last lines of a VM's console, one line, control characters dropped. */
void hodei__mv_console_tail(const char *dir, char *out, size_t outlen);
/* rm -r dir (files and directories below it, no links followed). */
void hodei__mv_remove_tree(const char *dir);

#endif
