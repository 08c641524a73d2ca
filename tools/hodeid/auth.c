/*
 * Who a call runs as, and what it may do.  Callers present a bearer token:
 * hodeid's own (--api-token / HODEI_API_TOKEN, named "api", role admin), or
 * a named token created through ApiTokenService, kept here as its SHA-256
 * hash (loaded from the store at start and after every change) and
 * compared in constant time.  The dashboard's session carries the name of
 * the token it was opened with, so it has that token's role.
 *
 * Every method's roles are in one table below; a method not in it is for
 * admin only.  "Own" methods let a submit token touch only the jobs it
 * queued (checked by the handlers through auth_owns()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hodeid.h"

typedef struct token {
	char name[HODEI_TOKEN_NAME_MAX + 1];
	int role;
	uint8_t hash[HODEI_TOKEN_HASH_LEN];
} token;

struct hodeid_tokens {
	token *v;
	size_t n;
};

#define R(x) (1u << HODEI_ROLE_##x)
#define ANY_ROLE (R(READ) | R(SUBMIT) | R(ADMIN))
#define READERS (R(READ) | R(ADMIN))

static const struct {
	const char *path;
	unsigned int roles;
} method_roles[] = {
	{"/hodei.JobExecutionService/QueueJob", R(SUBMIT) | R(ADMIN)},
	{"/hodei.JobExecutionService/CancelJob", R(SUBMIT) | R(ADMIN)},     /* submit: own */
	{"/hodei.JobExecutionService/GetJob", ANY_ROLE},                    /* submit: own */
	{"/hodei.JobExecutionService/ListJobs", ANY_ROLE},                  /* submit: own */
	{"/hodei.JobExecutionService/WatchJobs", ANY_ROLE},                 /* submit: own */
	{"/hodei.LogStreamService/GetLogs", ANY_ROLE},                      /* submit: own */
	{"/hodei.LogStreamService/SubscribeLogs", ANY_ROLE},                /* submit: own */
	{"/hodei.ProviderService/ListProviders", ANY_ROLE},
	{"/hodei.ProviderService/GetProvider", ANY_ROLE},
	{"/hodei.ProviderService/GetProviderHealthLog", ANY_ROLE},
	{"/hodei.SchedulerService/GetQueueStatus", ANY_ROLE},
	{"/hodei.MetricsService/GetAggregatedMetrics", READERS},
	{"/hodei.MetricsService/WatchMetrics", READERS},
	{"/hodei.WorkerAgentService/ListWorkers", READERS},
	{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", ANY_ROLE},
	{"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", ANY_ROLE},
	/* everything else (job retries, worker reports, provider changes,
	 * ApiTokenService): admin only */
};

int auth_allows(const char *path, int role)
{
	if (role == HODEI_ROLE_ADMIN)
		return 1;
	for (size_t i = 0; i < sizeof method_roles / sizeof method_roles[0]; i++)
		if (strcmp(method_roles[i].path, path) == 0)
			return (method_roles[i].roles & (1u << role)) != 0;
	return 0;
}

int auth_load(hodeid *d)
{
	hodei_token_list *l;
	if (hodei_token_list_get(&l, d->ctx) != 0) {
		LOG_ERROR("cannot read the API tokens: %s", hodei_error_last());
		return -1;
	}
	token *v = calloc(l->count ? l->count : 1, sizeof *v);
	if (!v) {
		hodei_token_list_free(l);
		LOG_ERROR("cannot read the API tokens: out of memory");
		return -1;
	}
	for (size_t i = 0; i < l->count; i++) {
		snprintf(v[i].name, sizeof v[i].name, "%s", l->items[i]->name);
		v[i].role = l->items[i]->role;
		memcpy(v[i].hash, l->items[i]->hash, sizeof v[i].hash);
	}
	size_t n = l->count;
	hodei_token_list_free(l);
	struct hodeid_tokens *t = calloc(1, sizeof *t);
	if (!t) {
		free(v);
		LOG_ERROR("cannot read the API tokens: out of memory");
		return -1;
	}
	auth_free(d);
	t->v = v;
	t->n = n;
	d->tokens = t;
	return 0;
}

void auth_free(hodeid *d)
{
	if (!d->tokens)
		return;
	explicit_bzero(d->tokens->v, d->tokens->n * sizeof *d->tokens->v);
	free(d->tokens->v);
	free(d->tokens);
	d->tokens = NULL;
}

int auth_required(const hodeid *d)
{
	return d->cfg.api_token || (d->tokens && d->tokens->n > 0);
}

int auth_token(const hodeid *d, const char *presented, const char **name, int *role)
{
	*name = NULL;
	*role = 0;
	if (!presented)
		return -1;
	if (d->cfg.api_token && secret_equal(presented, d->cfg.api_token)) {
		*name = HODEID_API_TOKEN_NAME;
		*role = HODEI_ROLE_ADMIN;
	}
	uint8_t hash[HODEI_TOKEN_HASH_LEN];
	if (!d->tokens || hodei_token_hash(presented, hash) != 0)
		return *name ? 0 : -1;
	for (size_t i = 0; i < d->tokens->n; i++) {
		volatile uint8_t diff = 0; /* every byte of every hash: constant time */
		for (size_t k = 0; k < sizeof hash; k++)
			diff |= hash[k] ^ d->tokens->v[i].hash[k];
		if (diff == 0 && !*name) {
			*name = d->tokens->v[i].name;
			*role = d->tokens->v[i].role;
		}
	}
	return *name ? 0 : -1;
}

int auth_bearer(const hodeid *d, const char *authorization, const char **name, int *role)
{
	static const char prefix[] = "Bearer ";
	*name = NULL;
	*role = 0;
	if (!authorization || strncasecmp(authorization, prefix, sizeof prefix - 1) != 0)
		return -1;
	return auth_token(d, authorization + sizeof prefix - 1, name, role);
}

int auth_name_role(const hodeid *d, const char *name)
{
	if (d->cfg.api_token && strcmp(name, HODEID_API_TOKEN_NAME) == 0)
		return HODEI_ROLE_ADMIN;
	for (size_t i = 0; d->tokens && i < d->tokens->n; i++)
		if (strcmp(d->tokens->v[i].name, name) == 0)
			return d->tokens->v[i].role;
	return 0;
}

int auth_owns(const hodeid *d, int role, const char *principal, const char *job_token)
{
	if (role != HODEI_ROLE_SUBMIT)
		return 1;
	return job_token && principal && strcmp(job_token, principal) == 0;
}

int bearer_ok(const hodeid *d, const char *authorization)
{
	const char *name;
	int role;
	return !auth_required(d) || auth_bearer(d, authorization, &name, &role) == 0;
}
