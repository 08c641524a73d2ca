/*
 * Providers: the type table, one instance per registered provider, the
 * operator's view (status, health log) and what provider plug-ins report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char *const status_names[] = { NULL, "ACTIVE", "UNHEALTHY", "OFFLINE",
	                                        "MAINTENANCE" };

const char *hodei_provider_status_name(int status)
{
	return status >= 1 && status <= 4 ? status_names[status] : "UNKNOWN";
}

int hodei_provider_status_parse(const char *name, int *status)
{
	for (int s = 1; name && s <= 4; s++)
		if (strcasecmp(name, status_names[s]) == 0) {
			*status = s;
			return 0;
		}
	return hodei__err(HODEI_EINVAL, "status: unknown status '%s' (ACTIVE, UNHEALTHY, OFFLINE,"
	                  " MAINTENANCE)", name ? name : "(null)");
}

static const hodei_provider_ops pool_ops = {
	.version = HODEI_PROVIDER_OPS_VERSION,
	.type = "pool",
};

static const hodei_provider_ops *find_type(hodei_ctx *ctx, const char *type)
{
	for (struct hodei__type_node *t = ctx->types; t; t = t->next)
		if (strcmp(t->ops->type, type) == 0)
			return t->ops;
	return NULL;
}

hodei__provider_node *hodei__provider_find(hodei_ctx *ctx, const char *name)
{
	for (hodei__provider_node *p = ctx->providers; name && p; p = p->next)
		if (strcmp(p->cfg.name, name) == 0)
			return p;
	return NULL;
}

unsigned int hodei__provider_capacity(const hodei__provider_node *p)
{
	return p->cfg.max_workers ? p->cfg.max_workers : 4;
}

bool hodei__provider_accepts(const hodei__provider_node *p, const hodei_job *job)
{
	if (!p->ops || p->status != HODEI_PROVIDER_ACTIVE)
		return false;
	if (job->provider_pin && strcmp(job->provider_pin, p->cfg.name) != 0)
		return false;
	if (p->cfg.max_memory_bytes && job->memory_bytes > p->cfg.max_memory_bytes)
		return false;
	if (p->cfg.max_vcpus && job->cpu_millis > p->cfg.max_vcpus * 1000u)
		return false;
	return p->ops->provision || p->workers > 0;
}

static void cfg_free(hodei__provider_node *p)
{
	free((char *)p->cfg.name);
	free((char *)p->cfg.type);
	free((char *)p->cfg.endpoint);
	free((char *)p->cfg.token);
	free((char *)p->cfg.options_json);
	hodei__vec_free(p->labels_owned, p->cfg.nlabels);
	p->labels_owned = NULL;
}

static void cfg_copy(hodei__provider_node *p, const hodei_provider_config *cfg)
{
	p->cfg = *cfg;
	p->cfg.name = hodei__strdup(cfg->name);
	p->cfg.type = hodei__strdup(cfg->type);
	p->cfg.endpoint = hodei__strdup(cfg->endpoint);
	p->cfg.token = hodei__strdup(cfg->token);
	p->cfg.options_json = hodei__strdup(cfg->options_json);
	p->labels_owned = hodei__vec_dup(cfg->labels, cfg->nlabels);
	p->cfg.labels = (const char *const *)p->labels_owned;
}

static void instantiate(hodei_ctx *ctx, hodei__provider_node *p)
{
	p->ops = find_type(ctx, p->cfg.type);
	if (!p->ops)
		return; /* dormant until its type is registered */
	p->state = NULL;
	if (p->ops->create && p->ops->create(&p->handle, &p->state) != 0) {
		hodei__diag(ctx, HODEI_DIAG_ERROR, "provider %s: cannot start: %s", p->cfg.name,
		            hodei_error_last());
		p->status = HODEI_PROVIDER_UNHEALTHY;
		p->score = 0;
		p->ops = NULL;
	}
}

static hodei__provider_node *node_new(hodei_ctx *ctx, const hodei_provider_config *cfg,
                                      int status, int score, const char *message)
{
	hodei__provider_node *p = calloc(1, sizeof(*p)), **tail = &ctx->providers;

	cfg_copy(p, cfg);
	p->handle.ctx = ctx;
	p->handle.node = p;
	p->status = status;
	p->score = score;
	p->message = hodei__strdup(message);
	while (*tail)
		tail = &(*tail)->next;
	*tail = p;
	return p;
}

static void node_stop(hodei_ctx *ctx, hodei__provider_node *p)
{
	hodei__worker_release_provider(ctx, p, true);
	if (p->ops && p->ops->destroy)
		p->ops->destroy(p->state);
	p->ops = NULL;
	p->state = NULL;
}

static void node_free(hodei__provider_node *p)
{
	cfg_free(p);
	free(p->message);
	free(p);
}

static int check_config(hodei_ctx *ctx, const hodei_provider_config *cfg)
{
	int rc = 0;

	if (!cfg)
		return hodei__err(HODEI_EINVAL, "config: NULL");
	if (cfg->version == 0 || cfg->version > HODEI_PROVIDER_CONFIG_VERSION)
		return hodei__err(HODEI_EVERSION, "config: unknown version %u", cfg->version);
	if (!cfg->name || (rc = hodei__id_check("name", cfg->name, 64)))
		return cfg->name ? rc : hodei__err(HODEI_EINVAL, "name: must not be empty");
	if (!cfg->type || !*cfg->type)
		return hodei__err(HODEI_EINVAL, "type: must not be empty");
	if (!find_type(ctx, cfg->type)) {
		hodei__buf known = { 0 };

		for (struct hodei__type_node *t = ctx->types; t; t = t->next)
			hodei__buf_addf(&known, "%s%s", known.len ? ", " : "", t->ops->type);
		rc = hodei__err(HODEI_EINVAL, "type: unknown provider type '%.64s' (available: %s)",
		                cfg->type, known.data ? known.data : "none");
		hodei__buf_free(&known);
		return rc;
	}
	if (cfg->endpoint && strlen(cfg->endpoint) > 2048)
		return hodei__err(HODEI_EINVAL, "endpoint: longer than 2048 bytes");
	if (cfg->token && strlen(cfg->token) > 4096)
		return hodei__err(HODEI_EINVAL, "token: longer than 4096 bytes");
	if (cfg->nlabels > HODEI_LABELS_MAX)
		return hodei__err(HODEI_EINVAL, "labels: at most %d", HODEI_LABELS_MAX);
	for (size_t i = 0; i < cfg->nlabels; i++)
		if (!cfg->labels || !cfg->labels[i] || !strchr(cfg->labels[i], '=') ||
		    strlen(cfg->labels[i]) > HODEI_LABEL_MAX)
			return hodei__err(HODEI_EINVAL, "labels[%zu]: must be key=value, at most %d bytes", i,
			                  HODEI_LABEL_MAX);
	if (cfg->max_workers > 100000)
		return hodei__err(HODEI_EINVAL, "max_workers: at most 100000");
	if (cfg->options_json && strlen(cfg->options_json) > 65536)
		return hodei__err(HODEI_EINVAL, "options: longer than 65536 bytes");
	return 0;
}

static void emit_provider(hodei_ctx *ctx, hodei__provider_node *p)
{
	hodei_event ev = { 0 };

	ev.version = 1;
	ev.type = HODEI_EVENT_PROVIDER;
	ev.provider = p->cfg.name;
	ev.state = p->status;
	ev.reason = p->message;
	ev.at_us = hodei__now_us();
	hodei__emit(ctx, &ev);
}

static void set_status(hodei_ctx *ctx, hodei__provider_node *p, int status, int score,
                       const char *message, bool log)
{
	p->status = status;
	p->score = score;
	free(p->message);
	p->message = hodei__strdup(message);
	p->updated_at = hodei__now_ms();
	hodei__store_provider_status(ctx->store, p->cfg.name, status, score, message, log);
	emit_provider(ctx, p);
	if (status == HODEI_PROVIDER_ACTIVE)
		hodei__sched_unpark(ctx);
}

int hodei_provider_add(hodei_ctx *ctx, const hodei_provider_config *cfg)
{
	hodei__provider_node *p;
	int rc;

	hodei__err_clear();
	hodei__lock(ctx);
	if ((rc = check_config(ctx, cfg)))
		goto out;
	if (hodei__provider_find(ctx, cfg->name)) {
		rc = hodei__err(HODEI_EEXISTS, "name: a provider named '%s' already exists", cfg->name);
		goto out;
	}
	if ((rc = hodei__store_provider_put(ctx->store, cfg, 1)))
		goto out;
	p = node_new(ctx, cfg, HODEI_PROVIDER_ACTIVE, 100, "registered");
	p->created_at = p->updated_at = hodei__now_ms();
	hodei__store_provider_status(ctx->store, p->cfg.name, p->status, p->score, "registered", 1);
	instantiate(ctx, p);
	emit_provider(ctx, p);
	hodei__sched_unpark(ctx);
out:
	hodei__unlock(ctx);
	return rc;
}

int hodei_provider_update(hodei_ctx *ctx, const hodei_provider_config *cfg)
{
	hodei__provider_node *p;
	char *token = NULL;
	int rc;

	hodei__err_clear();
	hodei__lock(ctx);
	if ((rc = check_config(ctx, cfg)))
		goto out;
	if (!(p = hodei__provider_find(ctx, cfg->name))) {
		rc = hodei__err(HODEI_ENOTFOUND, "provider '%s' not found", cfg->name);
		goto out;
	}
	if ((rc = hodei__store_provider_put(ctx->store, cfg, 0)))
		goto out;
	node_stop(ctx, p);
	token = cfg->token ? NULL : hodei__strdup(p->cfg.token);
	cfg_free(p);
	cfg_copy(p, cfg);
	if (token) {
		p->cfg.token = token;
	}
	p->updated_at = hodei__now_ms();
	instantiate(ctx, p);
	hodei__store_provider_status(ctx->store, p->cfg.name, p->status, p->score,
	                             "configuration updated", 1);
	emit_provider(ctx, p);
	hodei__sched_unpark(ctx);
out:
	hodei__unlock(ctx);
	return rc;
}

int hodei_provider_remove(hodei_ctx *ctx, const char *name)
{
	hodei__provider_node *p, **pp;
	int rc = 0;

	hodei__err_clear();
	hodei__lock(ctx);
	if (!(p = hodei__provider_find(ctx, name))) {
		rc = hodei__err(HODEI_ENOTFOUND, "provider '%s' not found", name ? name : "(null)");
	} else if (p->builtin) {
		rc = hodei__err(HODEI_EINVAL, "name: the built-in provider '%s' cannot be removed", name);
	} else if (p->busy) {
		rc = hodei__err(HODEI_ESTATE, "provider '%s' has %u running job(s): put it in"
		                " maintenance and remove it when they finish", name, p->busy);
	} else if (!(rc = hodei__store_provider_delete(ctx->store, name))) {
		node_stop(ctx, p);
		for (pp = &ctx->providers; *pp != p; pp = &(*pp)->next)
			;
		*pp = p->next;
		node_free(p);
	}
	hodei__unlock(ctx);
	return rc;
}

int hodei_provider_set_status(hodei_ctx *ctx, const char *name, int status,
                              const char *message)
{
	hodei__provider_node *p;
	int rc = 0;

	hodei__err_clear();
	if (status < HODEI_PROVIDER_ACTIVE || status > HODEI_PROVIDER_MAINTENANCE)
		return hodei__err(HODEI_EINVAL, "status: unknown status %d", status);
	hodei__lock(ctx);
	if (!(p = hodei__provider_find(ctx, name))) {
		rc = hodei__err(HODEI_ENOTFOUND, "provider '%s' not found", name ? name : "(null)");
	} else {
		static const char *const defaults[] = { NULL, "marked healthy by an operator", NULL,
			                                    "shut down by an operator",
			                                    "put in maintenance by an operator" };

		set_status(ctx, p, status, status == HODEI_PROVIDER_ACTIVE ? 100 : p->score,
		           message && *message ? message : defaults[status], true);
		if (status == HODEI_PROVIDER_OFFLINE || status == HODEI_PROVIDER_MAINTENANCE)
			hodei__worker_release_provider(ctx, p, false);
	}
	hodei__unlock(ctx);
	return rc;
}

static char *config_json(const hodei__provider_node *p)
{
	hodei__buf b = { 0 };

	hodei__buf_addf(&b, "{\"name\":");
	hodei__buf_json_str(&b, p->cfg.name);
	hodei__buf_addf(&b, ",\"type\":");
	hodei__buf_json_str(&b, p->cfg.type);
	hodei__buf_addf(&b, ",\"endpoint\":");
	if (p->cfg.endpoint)
		hodei__buf_json_str(&b, p->cfg.endpoint);
	else
		hodei__buf_addf(&b, "null");
	hodei__buf_addf(&b, ",\"token\":%s,\"labels\":{", p->cfg.token ? "\"***\"" : "null");
	for (size_t i = 0; i < p->cfg.nlabels; i++) {
		const char *eq = strchr(p->cfg.labels[i], '=');
		char *key = hodei__strndup(p->cfg.labels[i], (size_t)(eq - p->cfg.labels[i]));

		hodei__buf_addf(&b, "%s", i ? "," : "");
		hodei__buf_json_str(&b, key);
		hodei__buf_addf(&b, ":");
		hodei__buf_json_str(&b, eq + 1);
		free(key);
	}
	hodei__buf_addf(&b, "},\"max_memory_bytes\":%llu,\"max_vcpus\":%u,\"gpu\":%s,"
	                    "\"max_workers\":%u,\"options\":%s}",
	                (unsigned long long)p->cfg.max_memory_bytes, p->cfg.max_vcpus,
	                p->cfg.gpu ? "true" : "false", hodei__provider_capacity(p),
	                p->cfg.options_json ? p->cfg.options_json : "null");
	return b.data;
}

static hodei_provider_info *info_of(const hodei__provider_node *p)
{
	hodei_provider_info *i = calloc(1, sizeof(*i));

	i->version = 1;
	i->name = hodei__strdup(p->cfg.name);
	i->type = hodei__strdup(p->cfg.type);
	i->endpoint = hodei__strdup(p->cfg.endpoint);
	i->labels = hodei__vec_dup(p->cfg.labels, p->cfg.nlabels);
	i->nlabels = p->cfg.nlabels;
	i->max_memory_bytes = p->cfg.max_memory_bytes;
	i->max_vcpus = p->cfg.max_vcpus;
	i->gpu = p->cfg.gpu;
	i->max_workers = hodei__provider_capacity(p);
	i->has_token = p->cfg.token != NULL;
	i->options_json = hodei__strdup(p->cfg.options_json);
	i->config_json = config_json(p);
	i->status = p->status;
	i->health_score = p->score;
	i->status_message = p->ops ? hodei__strdup(p->message)
	                           : hodei__sprintf("provider type '%s' is not available in this"
	                                            " process", p->cfg.type);
	i->current_jobs = p->busy;
	i->workers = p->workers;
	i->created_at = p->created_at;
	i->updated_at = p->updated_at;
	return i;
}

int hodei_provider_get(hodei_provider_info **out, hodei_ctx *ctx, const char *name)
{
	hodei__provider_node *p;
	int rc = 0;

	hodei__err_clear();
	*out = NULL;
	hodei__lock(ctx);
	if (!(p = hodei__provider_find(ctx, name)))
		rc = hodei__err(HODEI_ENOTFOUND, "provider '%s' not found", name ? name : "(null)");
	else
		*out = info_of(p);
	hodei__unlock(ctx);
	return rc;
}

int hodei_provider_list(hodei_provider_array **out, hodei_ctx *ctx)
{
	hodei_provider_array *l = calloc(1, sizeof(*l));
	size_t n = 0;

	hodei__lock(ctx);
	for (hodei__provider_node *p = ctx->providers; p; p = p->next)
		n++;
	l->items = calloc(n + 1, sizeof(*l->items));
	for (hodei__provider_node *p = ctx->providers; p; p = p->next)
		l->items[l->count++] = info_of(p);
	hodei__unlock(ctx);
	*out = l;
	return 0;
}

void hodei_provider_info_free(hodei_provider_info *i)
{
	if (!i)
		return;
	free(i->name);
	free(i->type);
	free(i->endpoint);
	hodei__vec_free(i->labels, i->nlabels);
	free(i->options_json);
	free(i->config_json);
	free(i->status_message);
	free(i);
}

void hodei_provider_array_free(hodei_provider_array *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		hodei_provider_info_free(l->items[i]);
	free(l->items);
	free(l);
}

int hodei_provider_health_log(hodei_health_log **out, hodei_ctx *ctx, const char *name,
                              size_t limit)
{
	int rc;

	hodei__err_clear();
	*out = NULL;
	if (limit > 10000)
		return hodei__err(HODEI_EINVAL, "limit: at most 10000 entries");
	hodei__lock(ctx);
	if (!hodei__provider_find(ctx, name))
		rc = hodei__err(HODEI_ENOTFOUND, "provider '%s' not found", name ? name : "(null)");
	else
		rc = hodei__store_health_log(ctx->store, name, limit, out);
	hodei__unlock(ctx);
	return rc;
}

/* ---- sys/provider.h ---- */

int hodei_provider_type_register(hodei_ctx *ctx, const hodei_provider_ops *ops)
{
	struct hodei__type_node *t;

	if (!ops || !ops->type || ops->version == 0 || ops->version > HODEI_PROVIDER_OPS_VERSION)
		return hodei__err(HODEI_EINVAL, "ops: missing type or unknown version");
	hodei__lock(ctx);
	if (find_type(ctx, ops->type)) {
		hodei__unlock(ctx);
		return hodei__err(HODEI_EEXISTS, "provider type '%s' is already registered", ops->type);
	}
	t = calloc(1, sizeof(*t));
	t->ops = ops;
	t->next = ctx->types;
	ctx->types = t;
	for (hodei__provider_node *p = ctx->providers; p; p = p->next)
		if (!p->ops && strcmp(p->cfg.type, ops->type) == 0)
			instantiate(ctx, p);
	hodei__sched_unpark(ctx);
	hodei__unlock(ctx);
	return 0;
}

hodei_ctx *hodei_provider_ctx(hodei_provider *provider)
{
	return provider->ctx;
}

const char *hodei_provider_name(hodei_provider *provider)
{
	return provider->node->cfg.name;
}

const hodei_provider_config *hodei_provider_config_of(hodei_provider *provider)
{
	return &provider->node->cfg;
}

void hodei_provider_report_health(hodei_provider *provider, int status, int score,
                                  const char *message)
{
	hodei_ctx *ctx = provider->ctx;
	hodei__provider_node *p = provider->node;
	bool changed;

	if (score < 0)
		score = 0;
	if (score > 100)
		score = 100;
	hodei__lock(ctx);
	/* an operator's maintenance or shutdown stands until the operator lifts it */
	if (p->status == HODEI_PROVIDER_MAINTENANCE || p->status == HODEI_PROVIDER_OFFLINE)
		status = p->status;
	changed = status != p->status ||
	          (message && (!p->message || strcmp(message, p->message) != 0));
	if (changed || score != p->score)
		set_status(ctx, p, status, score, message, changed);
	hodei__unlock(ctx);
}

void hodei__providers_probe(hodei_ctx *ctx)
{
	for (hodei__provider_node *p = ctx->providers; p; p = p->next)
		if (p->ops && p->ops->probe)
			p->ops->probe(p->state);
}

typedef struct load_ctx {
	hodei_ctx *ctx;
} load_ctx;

static void load_row(void *ud, const hodei_provider_config *cfg, int status, int score,
                     const char *message, int64_t created, int64_t updated)
{
	load_ctx *lc = ud;
	hodei__provider_node *p = node_new(lc->ctx, cfg, status, score, message);

	p->created_at = created;
	p->updated_at = updated;
}

static int ensure_local(hodei_ctx *ctx)
{
	hodei__provider_node *p = hodei__provider_find(ctx, "local");
	hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;
	int rc;

	cfg.name = "local";
	cfg.type = "local";
	cfg.max_workers = ctx->cfg.local_workers;
	if (!p) {
		if ((rc = hodei__store_provider_put(ctx->store, &cfg, 1)))
			return rc;
		p = node_new(ctx, &cfg, HODEI_PROVIDER_ACTIVE, 100, "registered");
		p->created_at = p->updated_at = hodei__now_ms();
	} else {
		p->cfg.max_workers = ctx->cfg.local_workers;
		hodei__store_provider_put(ctx->store, &p->cfg, 0);
	}
	p->builtin = true;
	return 0;
}

int hodei__providers_init(hodei_ctx *ctx)
{
	load_ctx lc = { ctx };
	int rc;

	hodei_provider_type_register(ctx, &pool_ops);
	hodei_provider_type_register(ctx, hodei__local_provider_ops());
	if ((rc = hodei__store_providers_scan(ctx->store, load_row, &lc)))
		return rc;
	if (!(ctx->opts.flags & HODEI_CTX_NO_LOCAL_PROVIDER) && (rc = ensure_local(ctx)))
		return rc;
	for (hodei__provider_node *p = ctx->providers; p; p = p->next) {
		if (!(ctx->opts.flags & HODEI_CTX_NO_LOCAL_PROVIDER) || strcmp(p->cfg.type, "local"))
			instantiate(ctx, p);
	}
	return 0;
}

void hodei__providers_fini(hodei_ctx *ctx)
{
	while (ctx->providers) {
		hodei__provider_node *p = ctx->providers;

		node_stop(ctx, p);
		ctx->providers = p->next;
		node_free(p);
	}
	while (ctx->types) {
		struct hodei__type_node *t = ctx->types;

		ctx->types = t->next;
		free(t);
	}
}
