/*
 * libhodei: providers (where workers come from) and workers, as seen by an
 * operator.  A provider has a name, a type ("local" built in; others are
 * registered through <hodei/sys/provider.h>), an endpoint, a secret token
 * (stored, never returned), labels, capacity, a status and a 0-100 health
 * score with a health log.  Providers other than the built-in "local" one
 * are persisted in the database and started again at open.  A provider
 * that cannot start (its type is not registered in this process, or its
 * start failed) is UNHEALTHY and never called: its jobs wait.
 *
 * Threads: as every call on a context (context.h); in own-loop mode the
 * work is done on the loop thread, where the providers run.
 */
#ifndef HODEI_PROVIDER_H
#define HODEI_PROVIDER_H

#include "common.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hodei_provider_status {
	HODEI_PROVIDER_ACTIVE = 1,
	HODEI_PROVIDER_UNHEALTHY = 2,
	HODEI_PROVIDER_OFFLINE = 3,     /**< shut down: provisions nothing */
	HODEI_PROVIDER_MAINTENANCE = 4  /**< takes no new jobs */
} hodei_provider_status;

HODEI_EXTERN const char *hodei_provider_status_name(int status);
HODEI_EXTERN int hodei_provider_status_parse(const char *name, int *status);

#define HODEI_PROVIDER_CONFIG_VERSION 1

/** A provider's registration.  Initialise with HODEI_PROVIDER_CONFIG_INIT. */
typedef struct hodei_provider_config {
	unsigned int version;
	const char *name;     /**< unique, [A-Za-z0-9._-], 1-64 bytes */
	const char *type;     /**< "local", "docker", ... */
	const char *endpoint; /**< URL; meaning depends on type; may be NULL */
	const char *token;    /**< secret; stored, never returned; may be NULL */
	const char *const *labels; /**< "key=value" */
	size_t nlabels;
	uint64_t max_memory_bytes; /**< 0 = unknown/unlimited */
	uint32_t max_vcpus;        /**< 0 = unknown/unlimited */
	int gpu;                   /**< non-zero: GPUs available */
	uint32_t max_workers;      /**< concurrent workers; 0 = type default */
	/** Type-specific settings as a JSON object; NULL = none. */
	const char *options_json;
} hodei_provider_config;

#define HODEI_PROVIDER_CONFIG_INIT { HODEI_PROVIDER_CONFIG_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

typedef struct hodei_provider_info {
	unsigned int version;
	char *name;
	char *type;
	char *endpoint;
	char **labels;
	size_t nlabels;
	uint64_t max_memory_bytes;
	uint32_t max_vcpus;
	int gpu;
	uint32_t max_workers;
	int has_token;     /**< a token is stored (never shown) */
	char *options_json; /**< NULL if none */
	/** The whole configuration as JSON, with the token masked as "***". */
	char *config_json;
	int status;       /**< hodei_provider_status */
	int health_score; /**< 0-100 */
	char *status_message; /**< last health message; NULL if none */
	int64_t current_jobs;
	int64_t workers;
	int64_t created_at;
	int64_t updated_at;
} hodei_provider_info;

typedef struct hodei_provider_array {
	size_t count;
	hodei_provider_info **items;
} hodei_provider_array;

/**
 * Register a provider and start it.  Its type checks its endpoint and
 * options first (the docker type refuses "ftp://nowhere" naming
 * "endpoint"); a refused configuration is not stored.  Errors: HODEI_EINVAL
 * (the message names the field; also an unknown type), HODEI_EEXISTS.
 */
HODEI_EXTERN int hodei_provider_add(hodei_ctx *ctx, const hodei_provider_config *cfg);

/**
 * Replace a provider's registration (same name).  A NULL token keeps the
 * stored one.  The configuration is checked as by hodei_provider_add(),
 * then stored and shown at once.  A provider without running jobs restarts
 * under it now.  One with running jobs keeps them running under the old
 * configuration, takes no new job, releases its idle workers, and restarts
 * when its last running job ends (status message "configuration updated:
 * applied when its N running job(s) end"): an update never stops or
 * orphans a job.  Errors: HODEI_ENOTFOUND, HODEI_EINVAL.
 */
HODEI_EXTERN int hodei_provider_update(hodei_ctx *ctx, const hodei_provider_config *cfg);

/**
 * Remove a provider: its idle workers are released; its running jobs
 * finish first.  The built-in "local" provider cannot be removed
 * (HODEI_EINVAL).  Errors: HODEI_ENOTFOUND.
 */
HODEI_EXTERN int hodei_provider_remove(hodei_ctx *ctx, const char *name);

/**
 * Operator actions: HODEI_PROVIDER_ACTIVE ("Mark Healthy"),
 * HODEI_PROVIDER_MAINTENANCE (no new jobs), HODEI_PROVIDER_OFFLINE
 * ("Shutdown": idle workers released, no new jobs).  Recorded in the health
 * log.  Errors: HODEI_ENOTFOUND, HODEI_EINVAL.
 */
HODEI_EXTERN int hodei_provider_set_status(hodei_ctx *ctx, const char *name, int status,
                                           const char *message);

HODEI_EXTERN int hodei_provider_get(hodei_provider_info **out, hodei_ctx *ctx,
                                    const char *name);
HODEI_EXTERN int hodei_provider_list(hodei_provider_array **out, hodei_ctx *ctx);
HODEI_EXTERN void hodei_provider_info_free(hodei_provider_info *info);
HODEI_EXTERN void hodei_provider_array_free(hodei_provider_array *list);

typedef struct hodei_health_entry {
	int64_t at;
	int status;
	int score;
	char *message;
} hodei_health_entry;

typedef struct hodei_health_log {
	size_t count;
	hodei_health_entry *items; /**< newest first */
} hodei_health_log;

/** The latest `limit` (0 = 100) health-log entries of a provider. */
HODEI_EXTERN int hodei_provider_health_log(hodei_health_log **out, hodei_ctx *ctx,
                                           const char *name, size_t limit);
HODEI_EXTERN void hodei_health_log_free(hodei_health_log *log);

typedef enum hodei_worker_state {
	HODEI_WORKER_STARTING = 1, /**< being provisioned */
	HODEI_WORKER_IDLE = 2,
	HODEI_WORKER_BUSY = 3,
	HODEI_WORKER_STOPPING = 4
} hodei_worker_state;

HODEI_EXTERN const char *hodei_worker_state_name(int state);

typedef struct hodei_worker_info {
	char *id;
	char *provider;
	int state;      /**< hodei_worker_state */
	char *job_id;   /**< job it runs; NULL if none */
	int64_t started_at;
	int64_t last_seen;
	int64_t jobs_run;
} hodei_worker_info;

typedef struct hodei_worker_array {
	size_t count;
	hodei_worker_info *items;
} hodei_worker_array;

/** The workers that exist now. */
HODEI_EXTERN int hodei_worker_list(hodei_worker_array **out, hodei_ctx *ctx);
HODEI_EXTERN void hodei_worker_array_free(hodei_worker_array *list);

#ifdef __cplusplus
}
#endif
#endif
