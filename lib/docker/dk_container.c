/*
 * One container per worker: create, start, watch (POST /wait), remove.
 *
 * Lifetime: a dk_worker exists from provision until its container is gone.
 * The library may release the worker at any time; from then on dw->w is
 * NULL and the container is stopped and removed as soon as no request is in
 * flight.  A request's callback always clears its own pointer first, since
 * the request is being finished by the HTTP layer.
 */
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_provider.h"
#include "../http/provkit.h"

#define CREATE_TIMEOUT_MS 60000L
#define SHORT_TIMEOUT_MS 30000L

static void remove_start(dk_worker *dw);

static void dw_unlink_free(dk_worker *dw)
{
	dk_prov *p = dw->p;
	for (dk_worker **pp = &p->workers; *pp; pp = &(*pp)->next)
		if (*pp == dw) {
			*pp = dw->next;
			break;
		}
	if (dw->timer)
		event_free(dw->timer);
	hodei__dk_cancel(dw->wait);
	hodei__dk_cancel(dw->req);
	free(dw->cid);
	free(dw);
}

static dk_worker *find_worker(dk_prov *p, const char *wid)
{
	for (dk_worker *dw = p->workers; dw; dw = dw->next)
		if (dw->w && strcmp(dw->wid, wid) == 0)
			return dw;
	return NULL;
}

/* The worker could not come up or went away: the library retries its job. */
static void fail(dk_worker *dw, const char *reason)
{
	if (dw->w)
		hodei_worker_lost(dw->w, reason); /* calls our release op */
	else if (!dw->req)
		remove_start(dw);
}

static void failf(dk_worker *dw, const char *what, const hodei__dk_response *resp)
{
	char *msg = hodei__dk_error_message(resp);
	char reason[1024];
	snprintf(reason, sizeof(reason), "docker provider %s: %s: %s", dw->p->name, what,
	         msg ? msg : "no reason given");
	free(msg);
	if (!resp->error)
		hodei__dk_note_failure(dw->p, reason);
	else
		hodei__dk_unreachable(dw->p, resp->error);
	fail(dw, reason);
}

/* ---- removal ---- */

static void on_deleted(void *ud, const hodei__dk_response *resp)
{
	dk_worker *dw = ud;
	dw->req = NULL;
	if (resp->error) {
		hodei__dk_unreachable(dw->p, resp->error); /* retried by recover */
		return;
	}
	dw_unlink_free(dw);
}

static void delete_container(dk_worker *dw)
{
	char path[256];
	snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", dw->cid);
	dw->req = hodei__dk_send(dw->p->http, "DELETE", path, NULL, 0, 0, SHORT_TIMEOUT_MS,
	                         on_deleted, dw);
}

static void on_stopped(void *ud, const hodei__dk_response *resp)
{
	dk_worker *dw = ud;
	dw->req = NULL;
	if (resp->error) {
		hodei__dk_unreachable(dw->p, resp->error);
		return;
	}
	delete_container(dw);
}

/* Stop (the agent gets SIGTERM and a grace period), then delete. */
static void remove_start(dk_worker *dw)
{
	hodei__dk_cancel(dw->wait);
	dw->wait = NULL;
	if (!dw->cid) {
		dw_unlink_free(dw);
		return;
	}
	if (dw->exit_code != INT32_MIN) {
		delete_container(dw); /* already exited */
		return;
	}
	char path[256];
	snprintf(path, sizeof(path), "/containers/%s/stop?t=%d", dw->cid, dw->p->stop_timeout_s);
	dw->req = hodei__dk_send(dw->p->http, "POST", path, NULL, 0, 0,
	                         SHORT_TIMEOUT_MS + dw->p->stop_timeout_s * 1000L, on_stopped, dw);
}

void hodei__dk_container_release(dk_prov *p, dk_worker *dw)
{
	dw->w = NULL;
	dw->removing = true;
	if (dw->timer)
		evtimer_del(dw->timer);
	if (dw->pending) {
		dw_unlink_free(dw);
		return;
	}
	if (!dw->req) /* else its callback sees `removing` */
		remove_start(dw);
}

/* ---- exit before registering: say why, from the container's own output ---- */

static void on_exit_logs(void *ud, const hodei__dk_response *resp)
{
	dk_worker *dw = ud;
	dw->req = NULL;
	char line[512] = "", reason[1024];
	if (!resp->error && resp->status == 200)
		hodei__dk_reply_last_line(resp->body, resp->len, line, sizeof(line));
	snprintf(reason, sizeof(reason),
	         "docker provider %s: container %.12s (image %s) exited with code %d before its "
	         "agent registered%s%s",
	         dw->p->name, dw->cid, dw->p->image, dw->exit_code, line[0] ? ": " : "", line);
	if (dw->removing) {
		remove_start(dw);
		return;
	}
	hodei__dk_note_failure(dw->p, reason);
	fail(dw, reason);
}

static void on_waited(void *ud, const hodei__dk_response *resp)
{
	dk_worker *dw = ud;
	dw->wait = NULL;
	if (resp->error) {
		dw->wait_broken = true;
		hodei__dk_unreachable(dw->p, resp->error);
		return;
	}
	dw->exit_code = hodei__dk_reply_exit_code(resp->body, resp->len);
	if (!dw->w)
		return;
	if (resp->status == 404) {
		fail(dw, "docker provider: the worker's container was removed outside Hodei");
		return;
	}
	if (!dw->registered && !dw->req) {
		char path[256];
		snprintf(path, sizeof(path), "/containers/%s/logs?stdout=1&stderr=1&tail=20", dw->cid);
		dw->req = hodei__dk_send(dw->p->http, "GET", path, NULL, 0, 0, SHORT_TIMEOUT_MS,
		                         on_exit_logs, dw);
		if (dw->req)
			return;
	}
	char reason[512];
	snprintf(reason, sizeof(reason), "docker provider %s: container %.12s exited with code %d",
	         dw->p->name, dw->cid, dw->exit_code);
	fail(dw, reason);
}

static void arm_wait(dk_worker *dw)
{
	char path[256];
	snprintf(path, sizeof(path), "/containers/%s/wait", dw->cid);
	dw->wait_broken = false;
	dw->wait = hodei__dk_send(dw->p->http, "POST", path, NULL, 0, 0, 0, on_waited, dw);
}

static void on_register_deadline(evutil_socket_t fd, short what, void *arg)
{
	dk_worker *dw = arg;
	if (!dw->w || dw->registered)
		return;
	char reason[1024];
	snprintf(reason, sizeof(reason),
	         "docker provider %s: the agent in container %.12s did not register within %lld ms "
	         "(is HODEI_SERVER=%s reachable from network %s?)",
	         dw->p->name, dw->cid, (long long)dw->p->register_timeout_ms, dw->p->server,
	         dw->p->network);
	hodei__dk_note_failure(dw->p, reason);
	fail(dw, reason);
}

/* ---- create and start ---- */

static void on_started(void *ud, const hodei__dk_response *resp)
{
	dk_worker *dw = ud;
	dw->req = NULL;
	if (dw->removing) {
		remove_start(dw);
		return;
	}
	if (resp->error || (resp->status != 204 && resp->status != 304)) {
		failf(dw, "cannot start the container", resp);
		return;
	}
	arm_wait(dw);
	if (!dw->timer)
		dw->timer = evtimer_new(dw->p->base, on_register_deadline, dw);
	struct timeval tv = { dw->p->register_timeout_ms / 1000,
		              (dw->p->register_timeout_ms % 1000) * 1000 };
	if (dw->timer)
		evtimer_add(dw->timer, &tv);
}

static void on_created(void *ud, const hodei__dk_response *resp)
{
	dk_worker *dw = ud;
	dw->req = NULL;
	if (!resp->error && resp->status == 201)
		dw->cid = hodei__dk_reply_id(resp->body, resp->len);
	if (dw->removing) {
		remove_start(dw);
		return;
	}
	if (!resp->error && resp->status == 404 && dw->p->image_state == DK_IMAGE_READY) {
		dw->p->image_state = DK_IMAGE_UNKNOWN; /* removed behind our back */
		dw->pending = true;
		hodei__dk_setup(dw->p);
		return;
	}
	if (!dw->cid) {
		failf(dw, "cannot create the container", resp);
		return;
	}
	char path[256];
	snprintf(path, sizeof(path), "/containers/%s/start", dw->cid);
	dw->req = hodei__dk_send(dw->p->http, "POST", path, NULL, 0, 0, SHORT_TIMEOUT_MS,
	                         on_started, dw);
}

static json_t *string_array(char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/*
 * What confines a worker (SECURITY.md, "Jobs and containers"): its own
 * network, no new privileges, and only the capabilities the agent needs to
 * run jobs as another user (SETUID, SETGID), to kill them (KILL) and to
 * reach the worker socket whatever user owns it (DAC_OVERRIDE).  Jobs drop
 * all of them when the agent switches to the job user.
 */
static json_t *host_config(dk_prov *p)
{
	json_t *host = json_pack("{s:s, s:[s], s:[s], s:[s,s,s,s]}", "NetworkMode", p->network,
	                         "SecurityOpt", "no-new-privileges", "CapDrop", "ALL", "CapAdd",
	                         "SETUID", "SETGID", "KILL", "DAC_OVERRIDE");
	if (host && p->use_socket) {
		char bind[1024];
		size_t dir = (size_t)(strrchr(p->agent_socket, '/') - p->agent_socket);
		snprintf(bind, sizeof(bind), "%.*s:" DK_SOCKET_DIR ":ro", (int)dir, p->agent_socket);
		json_object_set_new(host, "Binds", json_pack("[s]", bind));
	}
	return host;
}

static char *create_body(dk_worker *dw)
{
	dk_prov *p = dw->p;
	char server[512], token[256], wid[128];
	snprintf(server, sizeof(server), "HODEI_SERVER=%s", p->server);
	snprintf(token, sizeof(token), "HODEI_WORKER_TOKEN=%s", hodei_worker_token(dw->w));
	snprintf(wid, sizeof(wid), "HODEI_WORKER_ID=%s", dw->wid);
	json_t *env = string_array(p->env);
	json_array_append_new(env, json_string(server));
	json_array_append_new(env, json_string(token));
	json_array_append_new(env, json_string(wid));
	if (p->ephemeral)
		json_array_append_new(env, json_string("HODEI_WORKER_EPHEMERAL=1"));
	json_t *host = host_config(p);
	if (dw->memory > 0)
		json_object_set_new(host, "Memory", json_integer(dw->memory));
	if (dw->nano_cpus > 0)
		json_object_set_new(host, "NanoCpus", json_integer(dw->nano_cpus));
	json_t *body = json_pack("{s:s, s:o, s:{s:s, s:s, s:s}, s:o}", "Image", p->image, "Env",
	                         env, "Labels", "io.hodei.managed", "true", "io.hodei.provider",
	                         p->name, "io.hodei.worker", dw->wid, "HostConfig", host);
	if (body && p->cmd)
		json_object_set_new(body, "Cmd", string_array(p->cmd));
	char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	return s;
}

static void create_container(dk_worker *dw)
{
	dw->pending = false;
	char *body = create_body(dw);
	if (body)
		dw->req = hodei__dk_send(dw->p->http, "POST", "/containers/create", body,
		                         strlen(body), 1, CREATE_TIMEOUT_MS, on_created, dw);
	if (!dw->req)
		fail(dw, "docker provider: out of memory");
}

int hodei__dk_container_provision(dk_prov *p, hodei_worker *w, const hodei_run_request *hint)
{
	int rc = hodei__prov_fits(p->name, p->max_memory, p->max_vcpus, hint);
	if (rc != 0)
		return rc;
	uint64_t mem = hint ? hint->memory_bytes : 0;
	uint32_t cpu = hint ? hint->cpu_millis : 0;
	dk_worker *dw = calloc(1, sizeof(*dw));
	if (!dw)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	dw->p = p;
	dw->w = w;
	dw->exit_code = INT32_MIN;
	snprintf(dw->wid, sizeof(dw->wid), "%s", hodei_worker_id(w));
	dw->memory = (int64_t)mem;
	dw->nano_cpus = (int64_t)cpu * 1000000;
	dw->next = p->workers;
	p->workers = dw;
	hodei_worker_set_data(w, dw);
	if (!p->swept || p->image_state != DK_IMAGE_READY) {
		dw->pending = true;
		hodei__dk_setup(p);
	} else {
		create_container(dw);
	}
	return 0;
}

void hodei__dk_container_flush(dk_prov *p, const char *error)
{
	dk_worker *dw = p->workers, *next;
	for (; dw; dw = next) {
		next = dw->next;
		if (!dw->pending)
			continue;
		if (error)
			fail(dw, error);
		else
			create_container(dw);
	}
}

void hodei__dk_container_recover(dk_prov *p)
{
	for (dk_worker *dw = p->workers; dw; dw = dw->next) {
		if (dw->req || dw->pending)
			continue;
		if (dw->removing)
			remove_start(dw);
		else if (dw->wait_broken && dw->cid)
			arm_wait(dw);
	}
}

void hodei__dk_container_on_event(dk_prov *p, const hodei_event *ev)
{
	if (ev->type != HODEI_EVENT_WORKER || !ev->worker_id || !ev->provider ||
	    strcmp(ev->provider, p->name) != 0)
		return;
	dk_worker *dw = find_worker(p, ev->worker_id);
	if (!dw)
		return;
	if ((ev->state == HODEI_WORKER_IDLE || ev->state == HODEI_WORKER_BUSY) && !dw->registered) {
		dw->registered = true;
		p->fail_streak = 0;
		if (dw->timer)
			evtimer_del(dw->timer);
	}
	if (p->ephemeral && ev->state == HODEI_WORKER_IDLE)
		hodei__prov_retire_used(p->ctx, dw->w, dw->wid, "ephemeral worker: one job per container");
}

void hodei__dk_container_shutdown(dk_prov *p)
{
	const char *endpoint = hodei__dk_http_endpoint(p->http);
	while (p->workers) {
		dk_worker *dw = p->workers;
		if (dw->cid) {
			char path[256], *reply = NULL, *error = NULL;
			long status;
			snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", dw->cid);
			hodei__dk_send_sync(endpoint, "DELETE", path, NULL, 0, 0, 10000, &status, &reply,
			                    &error);
			free(reply);
			free(error);
		}
		dw_unlink_free(dw);
	}
}
