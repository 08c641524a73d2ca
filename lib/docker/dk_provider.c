/*
 * The "docker" provider: options, setup (orphan sweep, image check and
 * build), health probe.  Containers themselves are in dk_container.c.
 *
 * Setup runs once before the first container is created: containers
 * labelled io.hodei.managed=true and io.hodei.provider=<name> are removed
 * (no worker of this process can own them: workers do not survive a
 * restart), then the image is looked up and, if missing and buildable,
 * built and loaded.  Workers provisioned meanwhile wait in `pending`.
 */
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_module.h"
#include "dk_provider.h"
#include "../http/provkit.h"

#define PROBE_TIMEOUT_MS 5000L
#define LOAD_TIMEOUT_MS 300000L
#define FAILS_BEFORE_UNHEALTHY 3

static void setup_step(dk_prov *p);

/* ---- health ---- */


void hodei__dk_unreachable(dk_prov *p, const char *error)
{
	char reason[1024];
	snprintf(reason, sizeof(reason), "docker provider %s: cannot reach Docker at %s: %s",
	         p->name, hodei__dk_http_endpoint(p->http), error);
	p->reachable = false;
	/* Unhealthy first, so the scheduler does not provision here again at once. */
	hodei_provider_report_health(p->prov, HODEI_PROVIDER_UNHEALTHY, 0, reason);
	hodei__dk_container_flush(p, reason);
}

void hodei__dk_note_failure(dk_prov *p, const char *reason)
{
	snprintf(p->last_failure, sizeof(p->last_failure), "%s", reason);
	if (++p->fail_streak == FAILS_BEFORE_UNHEALTHY)
	{
		char msg[1024];
		snprintf(msg, sizeof(msg), "containers keep failing: %s", reason);
		hodei_provider_report_health(p->prov, HODEI_PROVIDER_UNHEALTHY, 10, msg);
	}
}

/* Setup found the image unusable or Docker unusable: fail waiting workers. */
static void setup_failed(dk_prov *p, int score, const char *message)
{
	hodei_provider_report_health(p->prov, HODEI_PROVIDER_UNHEALTHY, score, message);
	hodei__dk_container_flush(p, message);
}

/* ---- setup: orphan sweep ---- */

static void on_orphan_deleted(void *ud, const hodei__dk_response *resp)
{
	dk_prov *p = ud;
	if (--p->sweep_left == 0) {
		p->swept = true;
		setup_step(p);
	}
}

static void on_listed(void *ud, const hodei__dk_response *resp)
{
	dk_prov *p = ud;
	p->setup_req = NULL;
	if (resp->error) {
		hodei__dk_unreachable(p, resp->error);
		return;
	}
	if (resp->status != 200 || !resp->marked) {
		char msg[512];
		snprintf(msg, sizeof(msg), "docker provider %s: %s is not a Docker Engine API "
		         "(HTTP %ld to GET /containers/json)", p->name,
		         hodei__dk_http_endpoint(p->http), resp->status);
		setup_failed(p, 0, msg);
		return;
	}
	char **ids;
	size_t n;
	if (hodei__dk_reply_ids(resp->body, resp->len, &ids, &n) != 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		char path[256];
		snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", ids[i]);
		if (hodei__dk_send(p->http, "DELETE", path, NULL, 0, 0, 30000, on_orphan_deleted, p))
			p->sweep_left++;
	}
	hodei__dk_ids_free(ids, n);
	if (p->sweep_left == 0) {
		p->swept = true;
		setup_step(p);
	}
}

static void url_escape(char *out, size_t outlen, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s && o + 4 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

static void start_sweep(dk_prov *p)
{
	char filters[512], esc[1600], path[1700];
	snprintf(filters, sizeof(filters),
	         "{\"label\":[\"io.hodei.managed=true\",\"io.hodei.provider=%s\"]}", p->name);
	url_escape(esc, sizeof(esc), filters);
	snprintf(path, sizeof(path), "/containers/json?all=1&filters=%s", esc);
	p->setup_req = hodei__dk_send(p->http, "GET", path, NULL, 0, 0, 30000, on_listed, p);
}

/* ---- setup: the workers' network ---- */

static void on_network(void *ud, const hodei__dk_response *resp)
{
	dk_prov *p = ud;
	p->setup_req = NULL;
	if (resp->error) {
		hodei__dk_unreachable(p, resp->error);
		return;
	}
	/* 200: it exists; 201: created; 409: someone created it meanwhile */
	if (resp->status == 200 || resp->status == 201 || resp->status == 409) {
		p->network_ready = true;
		setup_step(p);
		return;
	}
	char *msg = hodei__dk_error_message(resp), why[1024];
	snprintf(why, sizeof(why), "docker provider %s: cannot create network %s: %s", p->name,
	         p->network, msg ? msg : "no reason given");
	free(msg);
	setup_failed(p, 20, why);
}

static void on_network_lookup(void *ud, const hodei__dk_response *resp)
{
	dk_prov *p = ud;
	if (resp->error || resp->status != 404) {
		on_network(ud, resp);
		return;
	}
	/* A bridge of its own: containers reach neither the host's loopback (where
	 * the API listens by default) nor each other (no inter-container traffic). */
	json_t *body = json_pack("{s:s, s:s, s:b, s:{s:s}, s:{s:s}}", "Name", p->network, "Driver",
	                         "bridge", "CheckDuplicate", 1, "Labels", "io.hodei.managed", "true",
	                         "Options", "com.docker.network.bridge.enable_icc", "false");
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	p->setup_req = text ? hodei__dk_send(p->http, "POST", "/networks/create", text,
	                                     strlen(text), 1, 30000, on_network, p)
	                    : NULL;
	if (!p->setup_req)
		setup_failed(p, 20, "docker provider: out of memory");
}

static void ensure_network(dk_prov *p)
{
	char path[300];
	snprintf(path, sizeof(path), "/networks/%s", p->network);
	p->setup_req = hodei__dk_send(p->http, "GET", path, NULL, 0, 0, 30000, on_network_lookup, p);
}

/* ---- setup: the image ---- */

static void image_missing(dk_prov *p, const char *why)
{
	char msg[1024];
	p->image_state = DK_IMAGE_MISSING;
	snprintf(msg, sizeof(msg), "docker provider %s: image %s: %s", p->name, p->image, why);
	snprintf(p->image_error, sizeof(p->image_error), "%s", msg);
	setup_failed(p, 20, msg);
}

static void on_loaded(void *ud, const hodei__dk_response *resp)
{
	dk_prov *p = ud;
	p->setup_req = NULL;
	if (resp->error) {
		p->image_state = DK_IMAGE_UNKNOWN;
		hodei__dk_unreachable(p, resp->error);
		return;
	}
	if (resp->status != 200 || strstr(resp->body, "\"error")) {
		char *msg = hodei__dk_error_message(resp);
		char why[768];
		snprintf(why, sizeof(why), "docker refused the built image: %s", msg ? msg : "");
		free(msg);
		image_missing(p, why);
		return;
	}
	p->image_state = DK_IMAGE_READY;
	setup_step(p);
}

/* Assembling the tar reads a few MB of files on the loop thread; the upload is async. */
static void build_and_load(dk_prov *p)
{
	char *worker = hodei__dk_find_worker(p->worker_binary);
	if (!worker) {
		image_missing(p, "not found, and no hodei-worker binary to build it from (set "
		                 "HODEI_WORKER_BIN or options.worker_binary)");
		return;
	}
	hodei__hbuf tar = { 0 };
	int rc = hodei__dk_image_tar(p->image, worker, hodei__dk_find_busybox(NULL), &tar);
	free(worker);
	if (rc != 0) {
		char why[768];
		snprintf(why, sizeof(why), "not found, and building it failed: %s",
		         hodei_error_last());
		hodei__hbuf_free(&tar);
		image_missing(p, why);
		return;
	}
	p->setup_req = hodei__dk_send(p->http, "POST", "/images/load?quiet=1", tar.data, tar.len,
	                              1, LOAD_TIMEOUT_MS, on_loaded, p);
	if (!p->setup_req)
		image_missing(p, "out of memory");
}

static void on_image(void *ud, const hodei__dk_response *resp)
{
	dk_prov *p = ud;
	p->setup_req = NULL;
	if (resp->error) {
		p->image_state = DK_IMAGE_UNKNOWN;
		hodei__dk_unreachable(p, resp->error);
		return;
	}
	if (resp->status == 200) {
		p->image_state = DK_IMAGE_READY;
		setup_step(p);
	} else if (resp->status == 404 && p->build_image) {
		build_and_load(p);
	} else if (resp->status == 404) {
		image_missing(p, "not found (build it with `hodeid image build`, or point "
		                 "HODEI_WORKER_IMAGE/options.image at an image with hodei-worker)");
	} else {
		char *msg = hodei__dk_error_message(resp);
		image_missing(p, msg ? msg : "lookup failed");
		free(msg);
	}
}

static void setup_step(dk_prov *p)
{
	if (p->setup_req || p->sweep_left > 0)
		return;
	if (!p->swept) {
		start_sweep(p);
	} else if (!p->network_ready) {
		ensure_network(p);
	} else if (p->image_state == DK_IMAGE_UNKNOWN) {
		char path[600];
		p->image_state = DK_IMAGE_CHECKING;
		snprintf(path, sizeof(path), "/images/%s/json", p->image);
		p->setup_req = hodei__dk_send(p->http, "GET", path, NULL, 0, 0, 30000, on_image, p);
		if (!p->setup_req)
			p->image_state = DK_IMAGE_UNKNOWN;
	} else if (p->image_state == DK_IMAGE_READY) {
		hodei__dk_container_flush(p, NULL);
	} else if (p->image_state == DK_IMAGE_MISSING) {
		hodei__dk_container_flush(p, p->image_error);
	}
}

void hodei__dk_setup(dk_prov *p)
{
	setup_step(p);
}

/* ---- probe ---- */

static void on_info(void *ud, const hodei__dk_response *resp)
{
	dk_prov *p = ud;
	p->info_req = NULL;
	if (resp->error || resp->status != 200) {
		hodei__dk_unreachable(p, resp->error ? resp->error : "GET /info failed");
		return;
	}
	char *version = hodei__dk_reply_version(resp->body, resp->len);
	char msg[1024];
	int status = HODEI_PROVIDER_ACTIVE, score = 100;
	if (p->fail_streak >= FAILS_BEFORE_UNHEALTHY) {
		status = HODEI_PROVIDER_UNHEALTHY;
		score = 10;
		snprintf(msg, sizeof(msg), "containers keep failing: %.960s", p->last_failure);
		p->fail_streak = FAILS_BEFORE_UNHEALTHY - 1; /* one more try after this probe */
	} else if (p->image_state == DK_IMAGE_MISSING) {
		status = HODEI_PROVIDER_UNHEALTHY;
		score = 20;
		snprintf(msg, sizeof(msg), "%s", p->image_error);
		p->image_state = DK_IMAGE_UNKNOWN; /* look again next time */
	} else {
		score -= p->fail_streak * 20;
		snprintf(msg, sizeof(msg), "Docker %s at %s, image %s%s", version ? version : "?",
		         hodei__dk_http_endpoint(p->http), p->image,
		         p->image_state == DK_IMAGE_READY ? " ready" : " not checked yet");
	}
	free(version);
	p->reachable = true;
	hodei_provider_report_health(p->prov, status, score, msg);
	hodei__dk_container_recover(p);
	if (status == HODEI_PROVIDER_ACTIVE)
		setup_step(p);
}

static void on_ping(void *ud, const hodei__dk_response *resp)
{
	dk_prov *p = ud;
	p->ping_req = NULL;
	if (resp->error) {
		hodei__dk_unreachable(p, resp->error);
		return;
	}
	if (resp->status != 200 || !resp->marked) {
		char msg[512];
		snprintf(msg, sizeof(msg), "docker provider %s: %s is not a Docker Engine API "
		         "(HTTP %ld to GET /_ping%s)", p->name, hodei__dk_http_endpoint(p->http),
		         resp->status, resp->marked ? "" : ", no Api-Version header");
		setup_failed(p, 0, msg);
		return;
	}
	p->info_req = hodei__dk_send(p->http, "GET", "/info", NULL, 0, 0, PROBE_TIMEOUT_MS,
	                             on_info, p);
}

static void dk_probe(void *state)
{
	dk_prov *p = state;
	if (p->ping_req || p->info_req)
		return; /* the last probe is still out */
	p->ping_req = hodei__dk_send(p->http, "GET", "/_ping", NULL, 0, 0, PROBE_TIMEOUT_MS,
	                             on_ping, p);
}

/* ---- options ---- */

static void strings_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* What parse_options() allocated: one list, so that a new option is freed
 * wherever options are (a check, an update, destroy). */
static void options_free(dk_prov *p)
{
	free(p->image);
	free(p->network);
	free(p->server);
	free(p->agent_socket);
	free(p->worker_binary);
	strings_free(p->cmd);
	strings_free(p->env);
}

/* All or nothing: NULL when out of memory. */
static char **strings_of(json_t *a)
{
	char **v = calloc(json_array_size(a) + 1, sizeof(*v));
	size_t i;
	json_t *s;
	if (!v)
		return NULL;
	json_array_foreach(a, i, s) {
		if (!(v[i] = strdup(json_string_value(s) ? json_string_value(s) : ""))) {
			strings_free(v);
			return NULL;
		}
	}
	return v;
}

static int check_strings(json_t *a, const char *field)
{
	size_t i;
	json_t *s;
	if (a && !json_is_array(a))
		return hodei__err(HODEI_EINVAL, "options.%s: must be an array of strings", field);
	json_array_foreach(a, i, s) if (!json_is_string(s)) return hodei__err(
		HODEI_EINVAL, "options.%s[%zu]: must be a string", field, i);
	return 0;
}

static const char *const known_options[] = { "image", "network", "server", "ephemeral",
	                                     "build_image", "worker_binary", "command", "env",
	                                     "register_timeout_ms", "stop_timeout_s",
	                                     "agent_socket", NULL };

static int parse_options(dk_prov *p, const char *text)
{
	json_error_t jerr;
	json_t *o = text && *text ? json_loads(text, 0, &jerr) : json_object();
	if (!o)
		return hodei__err(HODEI_EINVAL, "options_json: %s (line %d)", jerr.text, jerr.line);
	const char *key;
	json_t *v;
	int rc = json_is_object(o) ? 0 : hodei__err(HODEI_EINVAL, "options_json: not an object");
	json_object_foreach(o, key, v) {
		size_t i = 0;
		while (known_options[i] && strcmp(known_options[i], key) != 0)
			i++;
		if (rc == 0 && !known_options[i])
			rc = hodei__err(HODEI_EINVAL, "options.%s: unknown option", key);
	}
	const char *env_server = getenv("HODEI_SERVER");
	const char *def_image = hodei__dk_default_image();
	if (rc == 0)
		rc = hodei__opt_string(o, "image", def_image, &p->image);
	const char *env_socket = getenv("HODEI_AGENT_SOCKET");
	if (rc == 0)
		rc = hodei__opt_string(o, "network", DK_NETWORK, &p->network);
	if (rc == 0)
		rc = hodei__opt_string(o, "agent_socket", env_socket ? env_socket : "", &p->agent_socket);
	/* The worker socket when there is one and no server was named: agents
	 * then need no network path to hodeid at all. */
	p->use_socket = rc == 0 && p->agent_socket[0] == '/' && !json_object_get(o, "server");
	char in_container[600];
	snprintf(in_container, sizeof(in_container), "unix:" DK_SOCKET_DIR "/%s",
	         p->use_socket ? strrchr(p->agent_socket, '/') + 1 : "");
	if (rc == 0)
		rc = hodei__opt_string(o, "server",
		                p->use_socket ? in_container
		                : env_server && *env_server ? env_server : "127.0.0.1:50051",
		                &p->server);
	if (rc == 0)
		rc = hodei__opt_string(o, "worker_binary", "", &p->worker_binary);
	if (rc == 0)
		rc = hodei__opt_bool(o, "ephemeral", false, &p->ephemeral);
	/* Build only the image we know how to build, unless told otherwise. */
	if (rc == 0)
		rc = hodei__opt_bool(o, "build_image", strcmp(p->image, def_image) == 0, &p->build_image);
	if (rc == 0)
		rc = check_strings(json_object_get(o, "command"), "command");
	if (rc == 0)
		rc = check_strings(json_object_get(o, "env"), "env");
	json_t *rt = json_object_get(o, "register_timeout_ms");
	json_t *st = json_object_get(o, "stop_timeout_s");
	if (rc == 0 && rt && (!json_is_integer(rt) || json_integer_value(rt) <= 0))
		rc = hodei__err(HODEI_EINVAL, "options.register_timeout_ms: must be a positive integer");
	if (rc == 0 && st && (!json_is_integer(st) || json_integer_value(st) < 0))
		rc = hodei__err(HODEI_EINVAL, "options.stop_timeout_s: must be an integer >= 0");
	if (rc == 0) {
		json_t *cmd = json_object_get(o, "command");
		p->cmd = cmd && json_array_size(cmd) ? strings_of(cmd) : NULL;
		p->env = strings_of(json_object_get(o, "env"));
		if ((cmd && json_array_size(cmd) && !p->cmd) || !p->env)
			rc = hodei__err(HODEI_ENOMEM, "out of memory"); /* the caller frees p */
		p->register_timeout_ms = rt ? json_integer_value(rt) : 60000;
		p->stop_timeout_s = st ? (int)json_integer_value(st) : 2;
	}
	json_decref(o);
	return rc;
}

/* ---- ops ---- */

static void on_event(const hodei_event *ev, void *userdata)
{
	hodei__dk_container_on_event(userdata, ev);
}

static void dk_destroy(void *state);

static int dk_create(hodei_provider *provider, void **state)
{
	const hodei_provider_config *cfg = hodei_provider_config_of(provider);
	dk_prov *p = calloc(1, sizeof(*p));
	if (!p)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	p->prov = provider;
	p->ctx = hodei_provider_ctx(provider);
	p->base = hodei_ctx_event_base(p->ctx);
	p->name = strdup(hodei_provider_name(provider));
	p->max_memory = cfg->max_memory_bytes;
	p->max_vcpus = cfg->max_vcpus;
	int rc = p->name ? parse_options(p, cfg->options_json)
	                 : hodei__err(HODEI_ENOMEM, "out of memory");
	/* only the network Hodei names is Hodei's to create */
	p->network_ready = rc == 0 && strcmp(p->network, DK_NETWORK) != 0;
	if (rc == 0)
		rc = hodei__dk_http_new(&p->http, p->base, cfg->endpoint);
	if (rc == 0) {
		hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
		so.mask = HODEI_EVENT_WORKER;
		so.callback = on_event;
		so.userdata = p;
		rc = hodei_sub_open(&p->sub, p->ctx, &so);
	}
	if (rc != 0) {
		dk_destroy(p);
		return rc;
	}
	setup_step(p); /* sweep orphans now, not at the first job */
	*state = p;
	return 0;
}

static void dk_destroy(void *state)
{
	dk_prov *p = state;
	hodei_sub_close(p->sub);
	if (p->http) {
		hodei__dk_cancel(p->setup_req);
		hodei__dk_cancel(p->ping_req);
		hodei__dk_cancel(p->info_req);
		hodei__dk_container_shutdown(p);
		hodei__dk_http_free(p->http);
	}
	free(p->name);
	options_free(p);
	free(p);
}

static int dk_provision(void *state, hodei_worker *worker, const hodei_run_request *hint)
{
	return hodei__dk_container_provision(state, worker, hint);
}

static void dk_release(void *state, hodei_worker *worker)
{
	dk_worker *dw = hodei_worker_data(worker);
	hodei_worker_set_data(worker, NULL);
	if (dw)
		hodei__dk_container_release(state, dw);
}

/* Everything create would refuse, without creating anything. */
static int dk_check(const hodei_provider_config *cfg)
{
	dk_prov p = { 0 };
	int rc = parse_options(&p, cfg->options_json);

	if (rc == 0)
		rc = hodei__dk_endpoint_check(cfg->endpoint);
	options_free(&p);
	return rc;
}

static const hodei_provider_ops docker_ops = {
	.version = HODEI_PROVIDER_OPS_VERSION,
	.type = "docker",
	.create = dk_create,
	.destroy = dk_destroy,
	.provision = dk_provision,
	.run = NULL, /* an agent is bound to every docker worker */
	.cancel = NULL,
	.release = dk_release,
	.probe = dk_probe,
	.check = dk_check,
};

const hodei_provider_ops *hodei__dk_provider_ops(void)
{
	return &docker_ops;
}
