/*
 * The docker provider's state, shared by dk_provider.c (ops, options,
 * health, image, orphan sweep) and dk_container.c (one container per worker).
 */
#ifndef HODEI_DK_PROVIDER_H
#define HODEI_DK_PROVIDER_H

#include <stdbool.h>

#include "hodei/hodei.h"
#include "dk.h"

struct event;
typedef struct dk_prov dk_prov;

/* The default network, a bridge the provider creates (options.network). */
#define DK_NETWORK "hodei-workers"
/* Where the worker socket's directory is mounted in containers. */
#define DK_SOCKET_DIR "/run/hodei"


/* One worker's container.  Outlives the hodei_worker while it is removed. */
typedef struct dk_worker {
	dk_prov *p;
	hodei_worker *w;     /* NULL once the library released it */
	char wid[80];        /* the worker's id, for labels and messages */
	char *cid;           /* container id, once created */
	hodei__dk_req *req;  /* create/start/stop/delete/logs in flight */
	hodei__dk_req *wait; /* the long poll that sees the container exit */
	struct event *timer; /* registration deadline */
	int64_t memory;      /* HostConfig.Memory, 0 = none */
	int64_t nano_cpus;   /* HostConfig.NanoCpus, 0 = none */
	bool pending;        /* waiting for the image / the orphan sweep */
	bool registered;     /* its agent connected */
	bool removing;       /* release asked; remove the container when possible */
	bool wait_broken;    /* Docker went away while we waited: re-arm later */
	int exit_code;
	struct dk_worker *next;
} dk_worker;

enum dk_image_state { DK_IMAGE_UNKNOWN, DK_IMAGE_CHECKING, DK_IMAGE_READY, DK_IMAGE_MISSING };

struct dk_prov {
	hodei_provider *prov;
	hodei_ctx *ctx;
	struct event_base *base;
	hodei__dk_http *http;
	char *name;
	/* options */
	char *image;
	char *network;
	char *server;
	char *agent_socket;  /* hodeid's worker socket on the host, or "" */
	bool use_socket;     /* mount its directory at DK_SOCKET_DIR for the agents */
	char *worker_binary;
	char **cmd;  /* NULL-terminated, or NULL: the image's entrypoint */
	char **env;  /* extra "K=V", NULL-terminated */
	bool ephemeral;
	bool build_image;
	int64_t register_timeout_ms;
	int stop_timeout_s;
	uint64_t max_memory;
	uint32_t max_vcpus;
	/* state */
	bool swept;          /* orphans removed */
	bool network_ready;  /* DK_NETWORK exists (or another network was named) */
	int image_state;     /* enum dk_image_state */
	char image_error[1024]; /* why the image is unusable (no copy that could fail) */
	hodei__dk_req *setup_req; /* sweep / image check / load */
	hodei__dk_req *ping_req, *info_req;
	int sweep_left;      /* orphan deletions in flight */
	int fail_streak;     /* containers in a row that never registered */
	char last_failure[1024];
	bool reachable;
	dk_worker *workers;
	hodei_sub *sub;
};

/* dk_container.c */
int hodei__dk_container_provision(dk_prov *p, hodei_worker *w, const hodei_run_request *hint);
void hodei__dk_container_release(dk_prov *p, dk_worker *dw);
/* Create the containers of workers that were waiting for setup (or fail them). */
void hodei__dk_container_flush(dk_prov *p, const char *error);
/* After Docker came back: re-arm broken waits, finish removals. */
void hodei__dk_container_recover(dk_prov *p);
/* A worker event from the library: registration, ephemeral release. */
void hodei__dk_container_on_event(dk_prov *p, const hodei_event *ev);
/* Remove what is left, blocking (at destroy). */
void hodei__dk_container_shutdown(dk_prov *p);

/* dk_provider.c */
/* Start setup (orphan sweep, image check/build) if it is not done. */
void hodei__dk_setup(dk_prov *p);
/* A container failed to come up: count it, maybe turn Unhealthy. */
void hodei__dk_note_failure(dk_prov *p, const char *reason);
/* Docker did not answer: Unhealthy now. */
void hodei__dk_unreachable(dk_prov *p, const char *error);

#endif
