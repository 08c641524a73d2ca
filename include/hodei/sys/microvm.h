/*
 * libhodei: the "microvm" provider.
 *
 * STABILITY: like <hodei/sys/provider.h>, weaker than the rest of the API.
 *
 * The microvm provider starts one virtual machine per worker: QEMU's
 * `microvm` machine (backend "qemu", KVM or TCG software emulation) or
 * Firecracker driven over its API socket (backend "firecracker").  The guest
 * boots a kernel (Debian's linux-image-amd64 by default) with an initramfs
 * that the provider builds itself: hodei-worker with its libraries, busybox
 * and the kernel modules the guest needs.  The agent inside reaches hodeid
 * over the VM's user network (the host's loopback is 10.0.2.2) with the
 * one-time token from a read-only config drive.  See man/hodei-microvm.7 for
 * the options JSON and its behaviour.
 *
 * The provider lives in the docker module (hodei-docker.so), loaded when a
 * provider of this type is created.  Register the type once per context:
 *
 *     hodei_provider_type_register(ctx, hodei_microvm_provider_ops());
 */
#ifndef HODEI_SYS_MICROVM_H
#define HODEI_SYS_MICROVM_H

#include "provider.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The "microvm" provider type.  Static; never NULL. */
HODEI_EXTERN const hodei_provider_ops *hodei_microvm_provider_ops(void);

#ifdef __cplusplus
}
#endif
#endif
