/*
 * Providers: the type table, one instance per registered provider, the
 * operator's view (status, health log) and what provider plug-ins report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "internal.h"

static const char *const status_names[] = { NULL, "ACTIVE", "UNHEALTHY", "OFFLINE",
	                                        "MAINTENANCE" };

const char *hodei_provider_status_name(int status)
{
	return status >= 1 && status <= 4 ? status_names[status] : "UNKNOWN";
}

int hodei_provider_status_parse(const char *name, int *status)
{
	if (!status)
		return hodei__arg_null("status");
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

/* The ops of a provider that is not started (type not registered, or its
 * create failed): no functions, so the scheduler never calls it. */
static const hodei_provider_ops dormant_ops = {
	.version = HODEI_PROVIDER_OPS_VERSION,
	.type = "",
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

static unsigned int capacity_of(const hodei_provider_config *cfg)
{
	return cfg->max_workers ? cfg->max_workers : 4;
}

unsigned int hodei__provider_capacity(const hodei__provider_node *p)
{
	return capacity_of(&p->cfg);
}

bool hodei__provider_accepts(const hodei__provider_node *p, const hodei_job *job)
{
	if (!p->started || p->restart_pending || p->status != HODEI_PROVIDER_ACTIVE)
		return false;
	if (job->provider_pin && strcmp(job->provider_pin, p->cfg.name) != 0)
		return false;
	if (p->cfg.max_memory_bytes && job->memory_bytes > p->cfg.max_memory_bytes)
		return false;
	if (p->cfg.max_vcpus && job->cpu_millis > p->cfg.max_vcpus * 1000u)
		return false;
	return p->ops->provision || p->workers > 0;
}

static void cfg_free(hodei_provider_config *cfg, char ***labels)
{
	free((char *)cfg->name);
	free((char *)cfg->type);
	free((char *)cfg->endpoint);
	free((char *)cfg->token);
	free((char *)cfg->options_json);
	hodei__vec_free(*labels, cfg->nlabels);
	*labels = NULL;
	memset(cfg, 0, sizeof(*cfg));
}

/* All or nothing: HODEI_ENOMEM leaves dst and *labels empty. */
static int cfg_copy(hodei_provider_config *dst, char ***labels,
                    const hodei_provider_config *cfg)
{
	*dst = *cfg;
	dst->name = hodei__strdup(cfg->name);
	dst->type = hodei__strdup(cfg->type);
	dst->endpoint = hodei__strdup(cfg->endpoint);
	dst->token = hodei__strdup(cfg->token);
	dst->options_json = hodei__strdup(cfg->options_json);
	*labels = hodei__vec_dup(cfg->labels, cfg->nlabels);
	dst->labels = (const char *const *)*labels;
	if ((cfg->name && !dst->name) || (cfg->type && !dst->type) ||
	    (cfg->endpoint && !dst->endpoint) || (cfg->token && !dst->token) ||
	    (cfg->options_json && !dst->options_json) || !*labels) {
		if (!*labels)
			dst->nlabels = 0;
		cfg_free(dst, labels);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	return 0;
}

/* Start p under its configuration.  Returns create's result; a provider
 * that did not start stays dormant (UNHEALTHY) and is never called. */
static int instantiate(hodei_ctx *ctx, hodei__provider_node *p)
{
	const hodei_provider_ops *ops = find_type(ctx, p->cfg.type);
	int rc = 0;

	p->ops = &dormant_ops;
	p->started = false;
	p->state = NULL;
	if (!ops)
		return 0; /* dormant until its type is registered */
	if (ops->create && (rc = ops->create(&p->handle, &p->state)) != 0) {
		hodei__diag(ctx, HODEI_DIAG_ERROR, "provider %s: cannot start: %s", p->cfg.name,
		            hodei_error_last());
		p->status = HODEI_PROVIDER_UNHEALTHY;
		p->score = 0;
		p->state = NULL;
		return rc;
	}
	p->ops = ops;
	p->started = true;
	return 0;
}

static hodei__provider_node *node_new(hodei_ctx *ctx, const hodei_provider_config *cfg,
                                      int status, int score, const char *message)
{
	hodei__provider_node *p = calloc(1, sizeof(*p)), **tail = &ctx->providers;

	if (!p)
		return NULL;
	if (cfg_copy(&p->cfg, &p->labels_owned, cfg) ||
	    (message && !(p->message = strdup(message)))) {
		cfg_free(&p->cfg, &p->labels_owned);
		free(p);
		hodei__err(HODEI_ENOMEM, "out of memory");
		return NULL;
	}
	p->ops = &dormant_ops;
	p->handle.ctx = ctx;
	p->handle.node = p;
	p->status = status;
	p->score = score;
	while (*tail)
		tail = &(*tail)->next;
	*tail = p;
	return p;
}

static void node_unlink(hodei_ctx *ctx, hodei__provider_node *p)
{
	for (hodei__provider_node **pp = &ctx->providers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

static void node_free(hodei__provider_node *p);

static void node_stop(hodei_ctx *ctx, hodei__provider_node *p)
{
	hodei__worker_release_provider(ctx, p, true);
	if (p->started && p->ops->destroy)
		p->ops->destroy(p->state);
	p->ops = &dormant_ops;
	p->started = false;
	p->state = NULL;
}

static void node_free(hodei__provider_node *p)
{
	cfg_free(&p->cfg, &p->labels_owned);
	cfg_free(&p->next_cfg, &p->next_labels);
	free(p->message);
	free(p);
}

/* The type's own check of its endpoint and options (ops version 2). */
static int type_check(const hodei_provider_ops *ops, const hodei_provider_config *cfg)
{
	int rc;

	if (ops->version < 2 || !ops->check)
		return 0;
	hodei__err_clear();
	if ((rc = ops->check(cfg)) != 0 && !*hodei_error_last())
		hodei__err(rc, "options: refused by the %s provider type", ops->type);
	return rc;
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
	return type_check(find_type(ctx, cfg->type), cfg);
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

static int add_on_loop(hodei_ctx *ctx, void *arg)
{
	const hodei_provider_config *cfg = arg;
	hodei__provider_node *p;
	int rc;

	if ((rc = check_config(ctx, cfg)))
		return rc;
	if (hodei__provider_find(ctx, cfg->name))
		return hodei__err(HODEI_EEXISTS, "name: a provider named '%s' already exists",
		                  cfg->name);
	/* memory first: once the store has it, nothing can fail */
	if (!(p = node_new(ctx, cfg, HODEI_PROVIDER_ACTIVE, 100, "registered")))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if ((rc = hodei__store_provider_put(ctx->store, cfg, 1))) {
		node_unlink(ctx, p);
		node_free(p);
		return rc;
	}
	p->created_at = p->updated_at = hodei__now_ms();
	hodei__store_provider_status(ctx->store, p->cfg.name, p->status, p->score, "registered", 1);
	instantiate(ctx, p); /* one that cannot start stays UNHEALTHY and is never called */
	emit_provider(ctx, p);
	hodei__sched_unpark(ctx);
	return 0;
}

int hodei_provider_add(hodei_ctx *ctx, const hodei_provider_config *cfg)
{
	return hodei__call_with(ctx, add_on_loop, cfg, "config");
}

/* Put p's pending configuration in place and start it again. */
static void restart(hodei_ctx *ctx, hodei__provider_node *p, const char *message)
{
	node_stop(ctx, p);
	cfg_free(&p->cfg, &p->labels_owned);
	p->cfg = p->next_cfg;
	p->labels_owned = p->next_labels;
	memset(&p->next_cfg, 0, sizeof(p->next_cfg));
	p->next_labels = NULL;
	p->restart_pending = false;
	p->updated_at = hodei__now_ms();
	/* a provider that could not start and now does is healthy until its
	 * probe says otherwise; an operator's maintenance or shutdown stands */
	if (instantiate(ctx, p) == 0 && p->started && p->status == HODEI_PROVIDER_UNHEALTHY) {
		p->status = HODEI_PROVIDER_ACTIVE;
		p->score = 100;
	}
	set_status(ctx, p, p->status, p->score, message, true);
	hodei__sched_unpark(ctx);
}

static void on_restart(evutil_socket_t fd, short what, void *arg)
{
	hodei_ctx *ctx = arg;

	(void)fd;
	(void)what;
	hodei__lock(ctx);
	for (hodei__provider_node *p = ctx->providers; p; p = p->next)
		if (p->restart_pending && p->busy == 0)
			restart(ctx, p, "configuration updated (applied after its running jobs ended)");
	hodei__unlock(ctx);
}

/* From the scheduler, with the worker that ran the job still in use: the
 * restart itself waits for the loop's next turn. */
void hodei__provider_job_ended(hodei_ctx *ctx, hodei__provider_node *p)
{
	if (p->restart_pending && p->busy == 0 && ctx->restart_ev)
		event_active(ctx->restart_ev, EV_TIMEOUT, 1);
}

/*
 * Update: the new configuration is stored at once.  A provider without
 * running jobs restarts under it now.  One with running jobs keeps them
 * running under the old configuration (its instance and busy workers stay),
 * takes no new job, releases its idle workers, and restarts under the new
 * configuration when its last running job ends.
 */
static int update_on_loop(hodei_ctx *ctx, void *arg)
{
	const hodei_provider_config *cfg = arg;
	hodei_provider_config next;
	char **next_labels = NULL;
	hodei__provider_node *p;
	char msg[128];
	int rc;

	if ((rc = check_config(ctx, cfg)))
		return rc;
	if (!(p = hodei__provider_find(ctx, cfg->name)))
		return hodei__err(HODEI_ENOTFOUND, "provider '%s' not found", cfg->name);
	/* the copy first: once the store has it, nothing can fail */
	if ((rc = cfg_copy(&next, &next_labels, cfg)))
		return rc;
	if (!cfg->token && p->cfg.token && /* a NULL token keeps the stored one */
	    !(next.token = strdup(p->cfg.token))) {
		cfg_free(&next, &next_labels);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	if ((rc = hodei__store_provider_put(ctx->store, cfg, 0))) {
		cfg_free(&next, &next_labels);
		return rc;
	}
	cfg_free(&p->next_cfg, &p->next_labels);
	p->next_cfg = next;
	p->next_labels = next_labels;
	p->restart_pending = true;
	if (p->busy == 0) {
		restart(ctx, p, "configuration updated");
		return 0;
	}
	hodei__worker_release_provider(ctx, p, false);
	snprintf(msg, sizeof(msg), "configuration updated: applied when its %u running job(s) end",
	         p->busy);
	set_status(ctx, p, p->status, p->score, msg, true);
	return 0;
}

int hodei_provider_update(hodei_ctx *ctx, const hodei_provider_config *cfg)
{
	return hodei__call_with(ctx, update_on_loop, cfg, "config");
}

static int remove_on_loop(hodei_ctx *ctx, void *arg)
{
	const char *name = arg;
	hodei__provider_node *p, **pp;
	int rc;

	if (!(p = hodei__provider_find(ctx, name)))
		return hodei__err(HODEI_ENOTFOUND, "provider '%s' not found", name);
	if (p->builtin)
		return hodei__err(HODEI_EINVAL, "name: the built-in provider '%s' cannot be removed",
		                  name);
	if (p->busy)
		return hodei__err(HODEI_ESTATE, "provider '%s' has %u running job(s): put it in"
		                  " maintenance and remove it when they finish", name, p->busy);
	if ((rc = hodei__store_provider_delete(ctx->store, name)))
		return rc;
	node_stop(ctx, p);
	for (pp = &ctx->providers; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	node_free(p);
	return 0;
}

int hodei_provider_remove(hodei_ctx *ctx, const char *name)
{
	return hodei__call_with(ctx, remove_on_loop, name, "name");
}

typedef struct status_args {
	const char *name;
	int status;
	const char *message;
} status_args;

static int set_status_on_loop(hodei_ctx *ctx, void *arg)
{
	static const char *const defaults[] = { NULL, "marked healthy by an operator", NULL,
		                                    "shut down by an operator",
		                                    "put in maintenance by an operator" };
	status_args *a = arg;
	hodei__provider_node *p = hodei__provider_find(ctx, a->name);

	if (!p)
		return hodei__err(HODEI_ENOTFOUND, "provider '%s' not found", a->name);
	set_status(ctx, p, a->status, a->status == HODEI_PROVIDER_ACTIVE ? 100 : p->score,
	           a->message && *a->message ? a->message : defaults[a->status], true);
	if (a->status == HODEI_PROVIDER_OFFLINE || a->status == HODEI_PROVIDER_MAINTENANCE)
		hodei__worker_release_provider(ctx, p, false);
	return 0;
}

int hodei_provider_set_status(hodei_ctx *ctx, const char *name, int status,
                              const char *message)
{
	status_args a = { name, status, message };

	if (status < HODEI_PROVIDER_ACTIVE || status > HODEI_PROVIDER_MAINTENANCE)
		return hodei__err(HODEI_EINVAL, "status: unknown status %d", status);
	return hodei__call_with(ctx, set_status_on_loop, name ? &a : NULL, "name");
}

/* What an operator sees: the stored configuration, pending or applied. */
static const hodei_provider_config *shown_cfg(const hodei__provider_node *p)
{
	return p->restart_pending ? &p->next_cfg : &p->cfg;
}

static char *config_json(const hodei__provider_node *p)
{
	const hodei_provider_config *cfg = shown_cfg(p);
	hodei__buf b = { 0 };
	int rc = 0;

	rc |= hodei__buf_addf(&b, "{\"name\":");
	rc |= hodei__buf_json_str(&b, cfg->name);
	rc |= hodei__buf_addf(&b, ",\"type\":");
	rc |= hodei__buf_json_str(&b, cfg->type);
	rc |= hodei__buf_addf(&b, ",\"endpoint\":");
	if (cfg->endpoint)
		rc |= hodei__buf_json_str(&b, cfg->endpoint);
	else
		rc |= hodei__buf_addf(&b, "null");
	rc |= hodei__buf_addf(&b, ",\"token\":%s,\"labels\":{",
	                      cfg->token ? "\"***\"" : "null");
	for (size_t i = 0; i < cfg->nlabels; i++) {
		const char *eq = strchr(cfg->labels[i], '=');
		char *key = hodei__strndup(cfg->labels[i], (size_t)(eq - cfg->labels[i]));

		if (!key)
			rc = HODEI_ENOMEM;
		rc |= hodei__buf_addf(&b, "%s", i ? "," : "");
		rc |= hodei__buf_json_str(&b, key);
		rc |= hodei__buf_addf(&b, ":");
		rc |= hodei__buf_json_str(&b, eq + 1);
		free(key);
	}
	rc |= hodei__buf_addf(&b, "},\"max_memory_bytes\":%llu,\"max_vcpus\":%u,\"gpu\":%s,"
	                    "\"max_workers\":%u,\"options\":%s}",
	                (unsigned long long)cfg->max_memory_bytes, cfg->max_vcpus,
	                cfg->gpu ? "true" : "false", capacity_of(cfg),
	                cfg->options_json ? cfg->options_json : "null");
	if (rc) { /* out of memory: all or nothing */
		hodei__buf_free(&b);
		return NULL;
	}
	return b.data;
}

static hodei_provider_info *info_of(const hodei__provider_node *p)
{
	const hodei_provider_config *cfg = shown_cfg(p);
	hodei_provider_info *i = calloc(1, sizeof(*i));

	if (!i)
		return NULL;
	i->version = 1;
	i->name = hodei__strdup(cfg->name);
	i->type = hodei__strdup(cfg->type);
	i->endpoint = hodei__strdup(cfg->endpoint);
	i->labels = hodei__vec_dup(cfg->labels, cfg->nlabels);
	i->nlabels = cfg->nlabels;
	i->max_memory_bytes = cfg->max_memory_bytes;
	i->max_vcpus = cfg->max_vcpus;
	i->gpu = cfg->gpu;
	i->max_workers = capacity_of(cfg);
	i->has_token = cfg->token != NULL;
	i->options_json = hodei__strdup(cfg->options_json);
	i->config_json = config_json(p);
	i->status = p->status;
	i->health_score = p->score;
	i->status_message = find_type(p->handle.ctx, cfg->type)
	                        ? hodei__strdup(p->message)
	                        : hodei__sprintf("provider type '%s' is not available in this"
	                                         " process", cfg->type);
	i->current_jobs = p->busy;
	i->workers = p->workers;
	i->created_at = p->created_at;
	i->updated_at = p->updated_at;
	if ((cfg->name && !i->name) || (cfg->type && !i->type) ||
	    (cfg->endpoint && !i->endpoint) || !i->labels ||
	    (cfg->options_json && !i->options_json) || !i->config_json ||
	    (!i->status_message && (p->message || !find_type(p->handle.ctx, cfg->type)))) {
		if (!i->labels)
			i->nlabels = 0;
		hodei_provider_info_free(i);
		return NULL; /* all or nothing */
	}
	return i;
}

typedef struct get_args {
	const char *name;
	hodei_provider_info **info;
	hodei_provider_array *list;
	size_t limit;
	hodei_health_log **log;
} get_args;

static int get_on_loop(hodei_ctx *ctx, void *arg)
{
	get_args *a = arg;
	hodei__provider_node *p = hodei__provider_find(ctx, a->name);

	if (!p)
		return hodei__err(HODEI_ENOTFOUND, "provider '%s' not found", a->name);
	if (!(*a->info = info_of(p)))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	return 0;
}

int hodei_provider_get(hodei_provider_info **out, hodei_ctx *ctx, const char *name)
{
	get_args a = { name, out, NULL, 0, NULL };
	int rc;

	if ((rc = hodei__enter_out(out, ctx)))
		return rc;
	return hodei__call_with(ctx, get_on_loop, name ? &a : NULL, "name");
}

static int list_on_loop(hodei_ctx *ctx, void *arg)
{
	hodei_provider_array *l = ((get_args *)arg)->list;
	size_t n = 0;

	for (hodei__provider_node *p = ctx->providers; p; p = p->next)
		n++;
	if (!(l->items = calloc(n + 1, sizeof(*l->items))))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	for (hodei__provider_node *p = ctx->providers; p; p = p->next)
		if (!(l->items[l->count++] = info_of(p)))
			return hodei__err(HODEI_ENOMEM, "out of memory");
	return 0;
}

int hodei_provider_list(hodei_provider_array **out, hodei_ctx *ctx)
{
	get_args a = { NULL, NULL, NULL, 0, NULL };
	int rc;

	if ((rc = hodei__enter_out(out, ctx)))
		return rc;
	if (!(a.list = calloc(1, sizeof(*a.list))))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if ((rc = hodei__call(ctx, list_on_loop, &a))) {
		hodei_provider_array_free(a.list);
		return rc;
	}
	*out = a.list;
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

static int health_log_on_loop(hodei_ctx *ctx, void *arg)
{
	get_args *a = arg;

	if (!hodei__provider_find(ctx, a->name))
		return hodei__err(HODEI_ENOTFOUND, "provider '%s' not found", a->name);
	return hodei__store_health_log(ctx->store, a->name, a->limit, a->log);
}

int hodei_provider_health_log(hodei_health_log **out, hodei_ctx *ctx, const char *name,
                              size_t limit)
{
	get_args a = { name, NULL, NULL, limit, out };
	int rc;

	if ((rc = hodei__enter_out(out, ctx)))
		return rc;
	if (limit > 10000)
		return hodei__err(HODEI_EINVAL, "limit: at most 10000 entries");
	return hodei__call_with(ctx, health_log_on_loop, name ? &a : NULL, "name");
}

/* ---- sys/provider.h ---- */

static int type_register_on_loop(hodei_ctx *ctx, void *arg)
{
	const hodei_provider_ops *ops = arg;
	struct hodei__type_node *t;

	if (find_type(ctx, ops->type))
		return hodei__err(HODEI_EEXISTS, "provider type '%s' is already registered", ops->type);
	if (!(t = calloc(1, sizeof(*t))))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	t->ops = ops;
	t->next = ctx->types;
	ctx->types = t;
	/* stored providers of this type start now; one that cannot start stays
	 * dormant and UNHEALTHY (its jobs wait), it does not fail the caller */
	for (hodei__provider_node *p = ctx->providers; p; p = p->next)
		if (!p->started && strcmp(p->cfg.type, ops->type) == 0)
			instantiate(ctx, p);
	hodei__sched_unpark(ctx);
	return 0;
}

int hodei_provider_type_register(hodei_ctx *ctx, const hodei_provider_ops *ops)
{
	int rc;

	if ((rc = hodei__enter(ctx)))
		return rc;
	if (!ops || !ops->type || ops->version == 0 || ops->version > HODEI_PROVIDER_OPS_VERSION)
		return hodei__err(HODEI_EINVAL, "ops: missing type or unknown version");
	return hodei__call(ctx, type_register_on_loop, (void *)ops);
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
		if (p->started && p->ops->probe)
			p->ops->probe(p->state);
}

typedef struct load_ctx {
	hodei_ctx *ctx;
	int err; /* out of memory: the open fails */
} load_ctx;

static void load_row(void *ud, const hodei_provider_config *cfg, int status, int score,
                     const char *message, int64_t created, int64_t updated)
{
	load_ctx *lc = ud;
	hodei__provider_node *p;

	if (lc->err)
		return;
	if (!(p = node_new(lc->ctx, cfg, status, score, message))) {
		lc->err = HODEI_ENOMEM;
		return;
	}
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
		if (!(p = node_new(ctx, &cfg, HODEI_PROVIDER_ACTIVE, 100, "registered")))
			return hodei__err(HODEI_ENOMEM, "out of memory");
		if ((rc = hodei__store_provider_put(ctx->store, &cfg, 1))) {
			node_unlink(ctx, p);
			node_free(p);
			return rc;
		}
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
	load_ctx lc = { ctx, 0 };
	int rc;

	if (!(ctx->restart_ev = event_new(ctx->base, -1, 0, on_restart, ctx)))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	if ((rc = hodei_provider_type_register(ctx, &pool_ops)) ||
	    (rc = hodei_provider_type_register(ctx, hodei__local_provider_ops())))
		return rc;
	if ((rc = hodei__store_providers_scan(ctx->store, load_row, &lc)))
		return rc;
	if (lc.err)
		return hodei__err(HODEI_ENOMEM, "out of memory");
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
	if (ctx->restart_ev)
		event_free(ctx->restart_ev);
	ctx->restart_ev = NULL;
}
