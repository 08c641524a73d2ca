/*
 * libhodei: the "kubernetes" provider.
 *
 * STABILITY: like <hodei/sys/provider.h>, weaker than the rest of the API.
 *
 * The kubernetes provider runs one pod per worker through the Kubernetes
 * API (core/v1 Pods), in-cluster (the pod's service account) or from a
 * kubeconfig file, with the image HODEI_WORKER_IMAGE (default
 * "hodei-worker:latest", built by `hodeid image build`).  Inside, the
 * hodei-worker agent connects back to hodeid with the address in
 * HODEI_SERVER and the one-time token in HODEI_WORKER_TOKEN.  The pods are
 * confined as the "restricted" Pod Security Standard asks.  See
 * man/hodei-kubernetes.7 for the options JSON and the behaviour, and
 * deploy/kubernetes/ for hodeid itself on a cluster.
 *
 * It lives in the same loadable module as the docker provider (both use
 * libcurl); the module is opened when a provider of either type is created.
 *
 * Register the type once per context:
 *
 *     hodei_provider_type_register(ctx, hodei_kubernetes_provider_ops());
 */
#ifndef HODEI_SYS_KUBERNETES_H
#define HODEI_SYS_KUBERNETES_H

#include "provider.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The "kubernetes" provider type.  Static; never NULL. */
HODEI_EXTERN const hodei_provider_ops *hodei_kubernetes_provider_ops(void);

#ifdef __cplusplus
}
#endif
#endif
