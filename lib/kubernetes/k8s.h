/*
 * Kubernetes provider internals (lib/kubernetes).  Nothing here is public.
 * Built into the provider module with the docker provider (lib/docker/
 * meson.build), on the same HTTP client (lib/http/httpc.c).
 *
 *   k8s_config.c    options, kubeconfig (YAML, via libyaml) and in-cluster
 *                   configuration: where the API is and how to prove who we are.
 *   k8s_pod.c       pure: the Pod body for a worker, and what a Pod's status
 *                   means for its worker (fuzzable, no I/O).
 *   k8s_provider.c  the "kubernetes" provider ops: list + watch, sweep,
 *                   one pod per worker, health.
 */
#ifndef HODEI_K8S_H
#define HODEI_K8S_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "hodei/hodei.h"
#include "../http/httpc.h"

#define K8S_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define K8S_LABEL_MANAGED "app.kubernetes.io/managed-by"
#define K8S_LABEL_PROVIDER "hodei.io/provider"
#define K8S_LABEL_WORKER "hodei.io/worker"
#define K8S_MAX_FILE (1024 * 1024) /* kubeconfig, certificates, tokens */

/* Everything the options and the cluster configuration say. */
typedef struct k8s_config {
	/* where and who */
	char *api_url;        /* "https://10.0.0.1:443", no trailing slash */
	char *namespace_;
	char *token;          /* bearer token, or NULL */
	char *token_file;     /* re-read on each probe (bound tokens rotate), or NULL */
	hodei__hbuf ca, cert, key; /* PEM */
	bool insecure;
	char *source;         /* "in-cluster", "kubeconfig /path (context x)" */
	/* the pods */
	char *image;
	char *pull_policy;
	char *server;         /* HODEI_SERVER for the agents */
	char *service_account;
	char *runtime_class;
	json_t *labels;       /* object: provider labels */
	json_t *node_selector;
	json_t *tolerations;  /* array of Toleration objects */
	json_t *pull_secrets; /* array of names */
	json_t *env;          /* array of "K=V" */
	json_t *command;      /* array, or NULL */
	int64_t run_as_user;
	bool read_only_root;
	bool ephemeral;
	int64_t pending_timeout_ms;
	int64_t register_timeout_ms;
	int grace_period_s;
	char *prefix;         /* pod name prefix, DNS-1123 */
} k8s_config;

/*
 * Read options JSON and the cluster configuration they point at.  endpoint
 * (the provider's) overrides the API server's URL.  Errors: HODEI_EINVAL /
 * HODEI_EIO naming the field ("options.kubeconfig: ..."), HODEI_ENOMEM.
 */
int hodei__k8s_config_load(k8s_config *c, const char *provider_name, const char *endpoint,
                           const char *options_json);
void hodei__k8s_config_free(k8s_config *c);
/* The client options for this configuration (pointers into c). */
void hodei__k8s_http_options(const k8s_config *c, hodei__httpc_options *o);
/* The token file again, when it changed (a rotated service account token);
 * malloc'd, or NULL when there is none or it is the same. */
char *hodei__k8s_token_reread(k8s_config *c);

/* ---- k8s_pod.c: pure ---- */
/* A DNS-1123 label from text: lower-case, [a-z0-9-], at most max chars. */
void hodei__k8s_dns_label(char *out, size_t max, const char *text);
/* Is s a valid label value (<= 63, [A-Za-z0-9._-], alphanumeric at the ends)? */
bool hodei__k8s_label_value_ok(const char *s);
/* Is s a valid label key (optional DNS prefix '/', name as a value, not empty)? */
bool hodei__k8s_label_key_ok(const char *s);

typedef struct k8s_pod_spec {
	const char *name;
	const char *provider;  /* label value */
	const char *worker;    /* label value */
	const char *token;
	const char *worker_id;
	uint32_t cpu_millis;   /* 0 = none */
	uint64_t memory_bytes; /* 0 = none */
	const char *const *job_labels; /* "k=v", may be NULL */
	size_t njob_labels;
} k8s_pod_spec;
/* The Pod JSON (malloc'd), NULL when out of memory. */
char *hodei__k8s_pod_body(const k8s_config *c, const k8s_pod_spec *s);

enum k8s_pod_phase { K8S_POD_PENDING, K8S_POD_RUNNING, K8S_POD_DONE, K8S_POD_UNKNOWN };
typedef struct k8s_pod_view {
	char name[128];
	char uid[64];
	int phase;         /* enum k8s_pod_phase */
	bool deleting;     /* metadata.deletionTimestamp */
	bool hopeless;     /* Pending for a reason that will not pass (InvalidImageName...) */
	char reason[512];  /* why it is pending or why it ended, "" when nothing to say */
	int exit_code;     /* of the container when it ended, else -1 */
	bool oom_killed;
	bool evicted;
} k8s_pod_view;
/* Read a Pod object.  -1 when it is not one (no metadata.name). */
int hodei__k8s_pod_view(const json_t *pod, k8s_pod_view *v);
/* The message of a Status reply (or the body's first line), without control
 * characters, into out. */
void hodei__k8s_status_message(const char *body, size_t len, char *out, size_t outlen);

#endif
