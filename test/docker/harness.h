/*
 * Test harness for the docker provider with the library alone: a context on
 * our own libevent loop, a TCP listener that plays hodeid's part for
 * fake-agent (token check with hodei_worker_claim, hodei_worker_bind_agent,
 * jobs sent as shell scripts) and helpers to wait on conditions.
 */
#ifndef HODEI_TEST_DOCKER_HARNESS_H
#define HODEI_TEST_DOCKER_HARNESS_H

#include <hodei/hodei.h>
#include <hodei/sys/docker.h>
#include <stdbool.h>

#include "check.h"

struct event_base;

typedef struct harness {
	struct event_base *base;
	hodei_ctx *ctx;
	struct evconnlistener *listener;
	int port;
	char server[64]; /* "127.0.0.1:port" for HODEI_SERVER */
	int agents;      /* connections that registered */
	void *conns;     /* open agent_conn list */
	char db[256];
} harness;

/* Skip (exit 77) with a reason, or fail when HODEI_DOCKER_REQUIRED=1. */
void h_need_docker(void);
int h_open(harness *h, const char *tag, int64_t worker_idle_ms);
/* Open (or reopen, keeping what is stored) the context on db. */
int h_open_db(harness *h, const char *db, int64_t worker_idle_ms);
void h_close(harness *h);
/* Dispatch the loop until cond(arg) or timeout_ms; returns cond's last value. */
bool h_until(harness *h, bool (*cond)(harness *h, void *arg), void *arg, int64_t timeout_ms);
/* Submit a shell job (pinned to provider when not NULL). */
int h_submit(harness *h, const char *id, const char *script, const char *provider,
             uint32_t cpu_millis, uint64_t memory_bytes);
/* Wait for the job to end; returns its final state (0 on timeout). */
int h_wait_job(harness *h, const char *id, int64_t timeout_ms);
/* All of a job's log text, lines joined by '\n' (malloc'd). */
char *h_log_text(harness *h, const char *id);
/* Containers labelled io.hodei.provider=name (any state), or -1. */
int h_count_containers(const char *provider);
bool h_no_containers(harness *h, void *provider_name);
/* Wait until the provider's status is `status` and its message contains `text`. */
bool h_wait_status(harness *h, const char *provider, int status, const char *text,
                   int64_t timeout_ms);
int h_docker(const char *method, const char *path, const char *body, long *status,
             char **reply);

#endif
