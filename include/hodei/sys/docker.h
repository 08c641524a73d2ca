/*
 * libhodei: the "docker" provider and its worker image.
 *
 * STABILITY: like <hodei/sys/provider.h>, weaker than the rest of the API.
 *
 * The docker provider starts one container per worker through the Docker
 * Engine API (v1.41) on a unix socket or a TCP endpoint, from the image
 * HODEI_WORKER_IMAGE (default "hodei-worker:latest").  Inside, the
 * hodei-worker agent connects back to hodeid with the address in
 * HODEI_SERVER and the one-time token in HODEI_WORKER_TOKEN.  See
 * man/hodei-docker.7 for the provider's options JSON and its behaviour.
 *
 * Register the type once per context:
 *
 *     hodei_provider_type_register(ctx, hodei_docker_provider_ops());
 */
#ifndef HODEI_SYS_DOCKER_H
#define HODEI_SYS_DOCKER_H

#include "provider.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The "docker" provider type.  Static; never NULL. */
HODEI_EXTERN const hodei_provider_ops *hodei_docker_provider_ops(void);

#define HODEI_DOCKER_IMAGE_OPTIONS_VERSION 1

/** Options for hodei_docker_image_build().  Initialise with ..._INIT. */
typedef struct hodei_docker_image_options {
	unsigned int version;
	/** Docker endpoint; NULL = DOCKER_HOST, else unix:///var/run/docker.sock. */
	const char *endpoint;
	/** Image name; NULL = HODEI_WORKER_IMAGE, else "hodei-worker:latest". */
	const char *tag;
	/** The agent; NULL = HODEI_WORKER_BIN, beside the running program, or PATH. */
	const char *worker_path;
	/** A static shell; NULL = /bin/busybox (Debian's busybox-static). */
	const char *busybox_path;
	/** Also (or, with no_load, only) write the image tar to this file. */
	const char *output_path;
	int no_load; /**< non-zero: do not load it into Docker */
} hodei_docker_image_options;

#define HODEI_DOCKER_IMAGE_OPTIONS_INIT { HODEI_DOCKER_IMAGE_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0 }

/**
 * Build the worker image (the agent, the shared libraries it needs and
 * busybox as /bin/sh) and load it into Docker with POST /images/load.
 * Blocks the calling thread: for tools, not for a loop thread.  (The
 * provider builds the image itself when it is missing: it assembles the tar
 * on its loop thread, a one-off of about 0.1 s, and uploads it without
 * blocking.)
 * Errors: HODEI_ENOTFOUND (agent or busybox not found), HODEI_EIO (files,
 * Docker unreachable or refusing the image; the message says which),
 * HODEI_EINVAL, HODEI_EVERSION.
 */
HODEI_EXTERN int hodei_docker_image_build(const hodei_docker_image_options *opts);

#ifdef __cplusplus
}
#endif
#endif
