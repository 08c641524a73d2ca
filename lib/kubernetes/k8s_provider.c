/*
 * The "kubernetes" provider: one pod per worker through the core/v1 Pods
 * API, on the shared HTTP client (lib/http/httpc.c) and the context's loop.
 *
 * What it watches: one list + watch of the pods labelled
 * hodei.io/provider=<name> in its namespace.  The first list is the orphan
 * sweep (no pod can belong to this process: workers do not survive a
 * restart), so workers provisioned before it wait in `pending`.  The watch
 * resumes from the last resourceVersion; a 410 Gone (the version expired)
 * or an ERROR event lists again and reconciles.  429 waits Retry-After.
 *
 * A worker's pod: created, then Pending until it runs.  A Pending pod that
 * cannot start (InvalidImageName, CreateContainerConfigError) fails its
 * worker at once; one that waits (Unschedulable, ErrImagePull,
 * ImagePullBackOff) fails it after pending_timeout_ms with the last reason
 * seen.  A pod that ends (OOMKilled, Evicted, exit) fails its worker with
 * that reason, which becomes the job's when it had one.  Release deletes the
 * pod.  Transport errors make the provider Unhealthy (jobs wait: a worker
 * that never registered holds no job); 401/403 too, with the API's message.
 */
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s.h"
#include "../http/provkit.h"
#include "../docker/dk_module.h"

#define SHORT_TIMEOUT_MS 30000L
#define WATCH_SECONDS 240
#define RETRY_MS 2000
#define FAILS_BEFORE_UNHEALTHY 3
#define WATCH_LINE_MAX (4 * 1024 * 1024)

typedef struct k8s_prov k8s_prov;

typedef struct k8s_worker {
	k8s_prov *p;
	hodei_worker *w;   /* NULL once the library released it */
	char wid[80];
	char pod[64];      /* pod name */
	char label[64];    /* hodei.io/worker value */
	uint32_t cpu_millis;
	uint64_t memory_bytes;
	char **job_labels;
	size_t njob_labels;
	hodei__httpc_req *req; /* create / delete / log in flight */
	struct event *timer;   /* pending or registration deadline */
	bool pending;          /* waiting for the sweep */
	bool created;          /* the pod exists (201) */
	bool running;
	bool registered;
	bool removing;         /* released: delete the pod when possible */
	bool ended;            /* the pod is done; its reason is being reported */
	char last_reason[512];
	struct k8s_worker *next;
} k8s_worker;

struct k8s_prov {
	hodei_provider *prov;
	hodei_ctx *ctx;
	struct event_base *base;
	hodei__httpc *http;
	char *name;
	k8s_config c;
	uint64_t max_memory;
	uint32_t max_vcpus;
	char selector[200];   /* labelSelector, URL-escaped */
	bool swept;
	bool relist;          /* the watch said its version is gone */
	char rv[64];
	hodei__httpc_req *list_req, *watch_req, *probe_req;
	hodei__hbuf line;      /* partial watch line */
	struct event *retry;  /* list again after an error or a 429 */
	int sweep_left;
	int fail_streak;
	char *last_failure;
	char *auth_error;     /* a 401/403, until a call succeeds */
	bool reachable;
	k8s_worker *workers;
	hodei_sub *sub;
};

static void start_list(k8s_prov *p);
static void create_pod(k8s_worker *kw);
static void kw_release(k8s_worker *kw);

/* ---- health ---- */

static void report(k8s_prov *p, int status, int score, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(k8s_prov *p, int status, int score, const char *fmt, ...)
{
	char msg[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hodei_provider_report_health(p->prov, status, score, msg);
}

static void schedule_retry(k8s_prov *p, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	if (p->retry)
		evtimer_add(p->retry, &tv);
}

static void fail_pending(k8s_prov *p, const char *reason);

static void unreachable(k8s_prov *p, const char *error)
{
	char detail[1024];
	snprintf(detail, sizeof(detail), "%s: %s", hodei__httpc_shown(p->http), error);
	p->reachable = false;
	report(p, HODEI_PROVIDER_UNHEALTHY, 0,
	       "kubernetes provider %s: cannot reach the Kubernetes API at %s", p->name, detail);
	fail_pending(p, "kubernetes provider: the API server is unreachable");
}

/* What a refused call says: the verb, the resource and the API's own words. */
static void api_error(char *out, size_t outlen, const char *what,
                      const hodei__httpc_response *r)
{
	char msg[700];
	hodei__k8s_status_message(r->body, r->len, msg, sizeof(msg));
	snprintf(out, outlen, "%s: HTTP %ld: %s", what, r->status, *msg ? msg : "no message");
}

/* 401/403: credentials or RBAC.  Unhealthy until a call succeeds. */
static bool refused(k8s_prov *p, const char *what, const hodei__httpc_response *r)
{
	if (r->status != 401 && r->status != 403)
		return false;
	char why[1024];
	api_error(why, sizeof(why), what, r);
	free(p->auth_error);
	p->auth_error = strdup(why);
	report(p, HODEI_PROVIDER_UNHEALTHY, 0,
	       "kubernetes provider %s: the API refused %s (check the credentials and the Role, "
	       "SECURITY.md)", p->name, why);
	return true;
}

static void note_failure(k8s_prov *p, const char *reason, bool at_once)
{
	free(p->last_failure);
	p->last_failure = strdup(reason);
	if (at_once || ++p->fail_streak == FAILS_BEFORE_UNHEALTHY) {
		p->fail_streak = FAILS_BEFORE_UNHEALTHY;
		report(p, HODEI_PROVIDER_UNHEALTHY, 10, "kubernetes provider %s: pods keep failing: %s", p->name,
		       reason);
	}
}

/* ---- workers ---- */

static void kw_free(k8s_worker *kw)
{
	k8s_prov *p = kw->p;
	for (k8s_worker **pp = &p->workers; *pp; pp = &(*pp)->next)
		if (*pp == kw) {
			*pp = kw->next;
			break;
		}
	if (kw->timer)
		event_free(kw->timer);
	hodei__httpc_cancel(kw->req);
	for (size_t i = 0; i < kw->njob_labels; i++)
		free(kw->job_labels[i]);
	free(kw->job_labels);
	free(kw);
}

static k8s_worker *find_pod(k8s_prov *p, const char *pod)
{
	for (k8s_worker *kw = p->workers; kw; kw = kw->next)
		if (strcmp(kw->pod, pod) == 0)
			return kw;
	return NULL;
}

/* The worker could not come up or went away: its job (if any) is retried or
 * failed with reason; the library then calls release. */
static void kw_fail(k8s_worker *kw, const char *reason)
{
	if (kw->w)
		hodei_worker_lost(kw->w, reason);
	else
		kw_release(kw);
}

static void fail_pending(k8s_prov *p, const char *reason)
{
	k8s_worker *kw = p->workers, *next;
	for (; kw; kw = next) {
		next = kw->next;
		if (kw->pending && kw->w)
			kw_fail(kw, reason);
	}
}

static void arm_timer(k8s_worker *kw, void (*fn)(evutil_socket_t, short, void *), int64_t ms)
{
	if (kw->timer)
		event_free(kw->timer);
	kw->timer = evtimer_new(kw->p->base, fn, kw);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	if (kw->timer)
		evtimer_add(kw->timer, &tv);
}

/* ---- delete ---- */

static void delete_pod(k8s_worker *kw);

static void on_retry_delete(evutil_socket_t fd, short what, void *arg)
{
	k8s_worker *kw = arg;
	if (!kw->req)
		delete_pod(kw);
}

static void on_deleted(void *ud, const hodei__httpc_response *r)
{
	k8s_worker *kw = ud;
	kw->req = NULL;
	if (r->error) {
		unreachable(kw->p, r->error); /* deleted again when the API is back (probe) */
		return;
	}
	if (r->status == 429) {
		arm_timer(kw, on_retry_delete, r->retry_after_s > 0 ? r->retry_after_s * 1000 : 1000);
		return;
	}
	if (r->status != 200 && r->status != 202 && r->status != 404) {
		char why[1024];
		if (!refused(kw->p, "delete pods", r)) {
			api_error(why, sizeof(why), "delete pods", r);
			note_failure(kw->p, why, false);
		}
		return; /* the pod stays; the next start's sweep removes it */
	}
	kw_free(kw);
}

static void delete_pod(k8s_worker *kw)
{
	char path[400];
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=%d",
	         kw->p->c.namespace_, kw->pod, kw->p->c.grace_period_s);
	kw->req = hodei__httpc_send(kw->p->http, "DELETE", path, NULL, 0, 0, NULL,
	                            SHORT_TIMEOUT_MS, NULL, on_deleted, kw);
	if (!kw->req)
		kw_free(kw); /* out of memory: the next start's sweep removes the pod */
}

static void kw_release(k8s_worker *kw)
{
	kw->w = NULL;
	kw->removing = true;
	if (kw->timer)
		evtimer_del(kw->timer);
	if (kw->req)
		return; /* its callback sees `removing` */
	if (kw->created)
		delete_pod(kw);
	else
		kw_free(kw);
}

/* ---- what pods do ---- */

static void last_line(const char *body, size_t len, char *out, size_t outlen)
{
	size_t end = len;
	out[0] = '\0';
	while (end > 0 && (body[end - 1] == '\n' || body[end - 1] == '\r' || body[end - 1] == ' '))
		end--;
	size_t start = end;
	while (start > 0 && body[start - 1] != '\n')
		start--;
	size_t n = end - start < outlen - 1 ? end - start : outlen - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)body[start + i] < 0x20 ? ' ' : body[start + i];
	out[n] = '\0';
}

static void on_log(void *ud, const hodei__httpc_response *r)
{
	k8s_worker *kw = ud;
	char line[300] = "", reason[1200];
	kw->req = NULL;
	if (!r->error && r->status == 200)
		last_line(r->body, r->len, line, sizeof(line));
	snprintf(reason, sizeof(reason), "kubernetes provider %s: pod %s ended before its agent "
	         "registered: %s%s%s", kw->p->name, kw->pod, kw->last_reason, *line ? "; log: " : "",
	         line);
	if (kw->removing) {
		kw_release(kw);
		return;
	}
	note_failure(kw->p, reason, false);
	kw_fail(kw, reason);
}

static void pod_ended(k8s_worker *kw, const k8s_pod_view *v)
{
	char reason[1200];
	kw->ended = true;
	snprintf(kw->last_reason, sizeof(kw->last_reason), "%s",
	         *v->reason ? v->reason : "it ended");
	if (!kw->registered && !kw->req) {
		char path[400];
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/log?tailLines=20",
		         kw->p->c.namespace_, kw->pod);
		kw->req = hodei__httpc_send(kw->p->http, "GET", path, NULL, 0, 0, NULL,
		                            SHORT_TIMEOUT_MS, NULL, on_log, kw);
		if (kw->req)
			return;
	}
	if (v->oom_killed)
		snprintf(reason, sizeof(reason), "kubernetes provider %s: pod %s was OOMKilled: the job "
		         "and its worker went over the pod's memory limit", kw->p->name, kw->pod);
	else if (v->evicted)
		snprintf(reason, sizeof(reason), "kubernetes provider %s: pod %s was %s", kw->p->name,
		         kw->pod, kw->last_reason);
	else
		snprintf(reason, sizeof(reason), "kubernetes provider %s: pod %s ended: %s",
		         kw->p->name, kw->pod, kw->last_reason);
	kw_fail(kw, reason);
}

static void on_pending_deadline(evutil_socket_t fd, short what, void *arg)
{
	k8s_worker *kw = arg;
	char reason[1200];
	if (!kw->w || kw->running)
		return;
	snprintf(reason, sizeof(reason), "kubernetes provider %s: pod %s stayed Pending for "
	         "%lld ms: %s", kw->p->name, kw->pod, (long long)kw->p->c.pending_timeout_ms,
	         *kw->last_reason ? kw->last_reason : "no reason given");
	note_failure(kw->p, reason, true);
	kw_fail(kw, reason);
}

static void on_register_deadline(evutil_socket_t fd, short what, void *arg)
{
	k8s_worker *kw = arg;
	char reason[1200];
	if (!kw->w || kw->registered)
		return;
	snprintf(reason, sizeof(reason), "kubernetes provider %s: the agent in pod %s did not "
	         "register within %lld ms (is HODEI_SERVER=%s reachable from the pod?)",
	         kw->p->name, kw->pod, (long long)kw->p->c.register_timeout_ms, kw->p->c.server);
	note_failure(kw->p, reason, false);
	kw_fail(kw, reason);
}

/* A pod as listed or watched.  deleted: the watch said DELETED. */
static void pod_seen(k8s_prov *p, const json_t *obj, bool deleted)
{
	k8s_pod_view v;
	if (hodei__k8s_pod_view(obj, &v) != 0)
		return;
	k8s_worker *kw = find_pod(p, v.name);
	if (!kw || kw->removing || kw->ended)
		return;
	if (deleted) {
		char reason[400];
		snprintf(reason, sizeof(reason), "kubernetes provider %s: pod %s was deleted "
		         "outside Hodei", p->name, v.name);
		kw->created = false;
		if (v.phase == K8S_POD_DONE)
			pod_ended(kw, &v);
		else
			kw_fail(kw, reason);
		return;
	}
	if (v.phase == K8S_POD_DONE) {
		pod_ended(kw, &v);
	} else if (v.phase == K8S_POD_PENDING) {
		if (*v.reason)
			snprintf(kw->last_reason, sizeof(kw->last_reason), "%s", v.reason);
		if (v.hopeless) {
			char reason[1200];
			snprintf(reason, sizeof(reason), "kubernetes provider %s: pod %s cannot start: "
			         "%s", p->name, v.name, v.reason);
			note_failure(p, reason, true);
			kw_fail(kw, reason);
		}
	} else if (v.phase == K8S_POD_RUNNING && !kw->running) {
		kw->running = true;
		if (!kw->registered)
			arm_timer(kw, on_register_deadline, p->c.register_timeout_ms);
	}
}

/* ---- list and watch ---- */

static int watch_line(k8s_prov *p, const char *text, size_t len)
{
	json_t *ev = json_loadb(text, len, 0, NULL);
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *obj = json_object_get(ev, "object");
	if (!type || !obj) {
		json_decref(ev);
		return 0; /* not an event; the next one may be */
	}
	if (strcmp(type, "ERROR") == 0) {
		/* 410 Gone: resourceVersion too old.  Anything else: start over too. */
		p->relist = true;
		json_decref(ev);
		return -1;
	}
	const char *rv = json_string_value(
		json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	if (rv && strlen(rv) < sizeof(p->rv))
		snprintf(p->rv, sizeof(p->rv), "%s", rv);
	if (strcmp(type, "BOOKMARK") != 0)
		pod_seen(p, obj, strcmp(type, "DELETED") == 0);
	json_decref(ev);
	return 0;
}

static int on_watch_data(void *ud, const char *data, size_t len)
{
	k8s_prov *p = ud;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (p->line.len >= WATCH_LINE_MAX || hodei__hbuf_add(&p->line, data + i, 1) != 0)
				return -1;
			continue;
		}
		int rc = p->line.len ? watch_line(p, p->line.data, p->line.len) : 0;
		p->line.len = 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void start_watch(k8s_prov *p);

static void on_watch_done(void *ud, const hodei__httpc_response *r)
{
	k8s_prov *p = ud;
	p->watch_req = NULL;
	p->line.len = 0;
	if (p->relist || r->status == 410) {
		p->relist = false;
		start_list(p);
	} else if (r->error) {
		unreachable(p, r->error);
		schedule_retry(p, RETRY_MS);
	} else if (r->status == 429) {
		schedule_retry(p, r->retry_after_s > 0 ? r->retry_after_s * 1000 : 1000);
	} else if (refused(p, "watch pods", r)) {
		schedule_retry(p, RETRY_MS * 5);
	} else if (r->status == 200) {
		start_watch(p); /* timeoutSeconds ran out: go on from p->rv */
	} else {
		schedule_retry(p, RETRY_MS);
	}
}

static void start_watch(k8s_prov *p)
{
	char path[600];
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods?labelSelector=%s&watch=1&"
	         "resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=%d", p->c.namespace_,
	         p->selector, p->rv, WATCH_SECONDS);
	p->watch_req = hodei__httpc_send(p->http, "GET", path, NULL, 0, 0, NULL, 0, on_watch_data,
	                                 on_watch_done, p);
	if (!p->watch_req)
		schedule_retry(p, RETRY_MS);
}

static void flush_pending(k8s_prov *p)
{
	k8s_worker *kw = p->workers, *next;
	for (; kw; kw = next) {
		next = kw->next;
		if (kw->pending && kw->w)
			create_pod(kw);
	}
}

static void on_orphan_deleted(void *ud, const hodei__httpc_response *r)
{
	k8s_prov *p = ud;
	if (--p->sweep_left == 0) {
		p->swept = true;
		flush_pending(p);
	}
}

static void delete_orphan(k8s_prov *p, const char *pod)
{
	char path[400];
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0",
	         p->c.namespace_, pod);
	if (hodei__httpc_send(p->http, "DELETE", path, NULL, 0, 0, NULL, SHORT_TIMEOUT_MS, NULL,
	                      on_orphan_deleted, p))
		p->sweep_left++;
}

/* A new list: the first is the sweep; later ones reconcile after a 410. */
static void listed(k8s_prov *p, json_t *items)
{
	size_t i;
	json_t *pod;
	json_array_foreach(items, i, pod) {
		const char *name = json_string_value(
			json_object_get(json_object_get(pod, "metadata"), "name"));
		if (!name || strlen(name) > 63)
			continue;
		k8s_worker *kw = p->swept ? find_pod(p, name) : NULL;
		if (kw)
			pod_seen(p, pod, false);
		else if (!p->swept || !json_object_get(json_object_get(pod, "metadata"),
		                                       "deletionTimestamp"))
			delete_orphan(p, name);
	}
	/* created pods the list does not have went away while we were not watching */
	for (k8s_worker *kw = p->workers, *next; p->swept && kw; kw = next) {
		next = kw->next;
		bool found = false;
		json_array_foreach(items, i, pod) {
			const char *name = json_string_value(
				json_object_get(json_object_get(pod, "metadata"), "name"));
			found = found || (name && strcmp(name, kw->pod) == 0);
		}
		if (kw->created && !found && !kw->removing && !kw->req && kw->w)
			kw_fail(kw, "kubernetes provider: the worker's pod was deleted outside Hodei");
	}
	if (!p->swept && p->sweep_left == 0) {
		p->swept = true;
		flush_pending(p);
	}
}

static void on_list(void *ud, const hodei__httpc_response *r)
{
	k8s_prov *p = ud;
	p->list_req = NULL;
	if (r->error) {
		unreachable(p, r->error);
		schedule_retry(p, RETRY_MS);
		return;
	}
	if (r->status == 429) {
		schedule_retry(p, r->retry_after_s > 0 ? r->retry_after_s * 1000 : 1000);
		return;
	}
	if (refused(p, "list pods", r)) {
		fail_pending(p, p->auth_error);
		schedule_retry(p, RETRY_MS * 5);
		return;
	}
	json_t *list = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	const char *rv = json_string_value(
		json_object_get(json_object_get(list, "metadata"), "resourceVersion"));
	if (!rv || strlen(rv) >= sizeof(p->rv)) {
		char why[1024];
		api_error(why, sizeof(why), "list pods", r);
		report(p, HODEI_PROVIDER_UNHEALTHY, 0, "kubernetes provider %s: %s", p->name, why);
		json_decref(list);
		schedule_retry(p, RETRY_MS);
		return;
	}
	snprintf(p->rv, sizeof(p->rv), "%s", rv);
	if (!p->reachable || p->auth_error) /* back: say so now, not at the next probe */
		report(p, HODEI_PROVIDER_ACTIVE, 100, "kubernetes provider %s: the API at %s answers "
		       "again", p->name, p->c.api_url);
	p->reachable = true;
	free(p->auth_error);
	p->auth_error = NULL;
	listed(p, json_object_get(list, "items"));
	json_decref(list);
	start_watch(p);
}

static void start_list(k8s_prov *p)
{
	char path[400];
	if (p->list_req || p->watch_req)
		return;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods?labelSelector=%s",
	         p->c.namespace_, p->selector);
	p->list_req = hodei__httpc_send(p->http, "GET", path, NULL, 0, 0, NULL, SHORT_TIMEOUT_MS,
	                                NULL, on_list, p);
	if (!p->list_req)
		schedule_retry(p, RETRY_MS);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	start_list(arg);
}

/* ---- create ---- */

static void on_retry_create(evutil_socket_t fd, short what, void *arg)
{
	k8s_worker *kw = arg;
	if (kw->w && kw->pending && !kw->req)
		create_pod(kw);
}

static void on_created(void *ud, const hodei__httpc_response *r)
{
	k8s_worker *kw = ud;
	k8s_prov *p = kw->p;
	kw->req = NULL;
	kw->created = !r->error && r->status == 201;
	if (kw->removing) {
		kw_release(kw);
		return;
	}
	if (kw->created) {
		p->reachable = true;
		arm_timer(kw, on_pending_deadline, p->c.pending_timeout_ms);
		return;
	}
	char why[1024];
	if (r->error) {
		unreachable(p, r->error);
		kw_fail(kw, "kubernetes provider: the API server is unreachable");
		return;
	}
	if (r->status == 429) { /* too many requests: the same pod, after Retry-After */
		kw->pending = true;
		arm_timer(kw, on_retry_create, r->retry_after_s > 0 ? r->retry_after_s * 1000 : 1000);
		return;
	}
	if (refused(p, "create pods", r)) {
		kw_fail(kw, p->auth_error);
		return;
	}
	api_error(why, sizeof(why), "create pods", r);
	char reason[1200];
	snprintf(reason, sizeof(reason), "kubernetes provider %s: %s", p->name, why);
	note_failure(p, reason, r->status == 404 || r->status == 422);
	kw_fail(kw, reason);
}

static void create_pod(k8s_worker *kw)
{
	k8s_prov *p = kw->p;
	char path[300];
	kw->pending = false;
	k8s_pod_spec s = { kw->pod, p->c.prefix, kw->label, hodei_worker_token(kw->w), kw->wid,
		           kw->cpu_millis, kw->memory_bytes,
		           (const char *const *)kw->job_labels, kw->njob_labels };
	char *body = hodei__k8s_pod_body(&p->c, &s);
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", p->c.namespace_);
	if (body)
		kw->req = hodei__httpc_send(p->http, "POST", path, body, strlen(body), 1, NULL,
		                            SHORT_TIMEOUT_MS, NULL, on_created, kw);
	if (!kw->req)
		kw_fail(kw, "kubernetes provider: out of memory");
}

static void copy_job_labels(k8s_worker *kw, const char *job_id)
{
	hodei_job *j = NULL;
	if (!job_id || hodei_job_get(&j, kw->p->ctx, job_id) != 0)
		return;
	kw->job_labels = calloc(j->nlabels + 1, sizeof(char *));
	for (size_t i = 0; kw->job_labels && i < j->nlabels; i++)
		if ((kw->job_labels[kw->njob_labels] = strdup(j->labels[i])))
			kw->njob_labels++;
	hodei_job_free(j);
}

static int k8s_provision(void *state, hodei_worker *w, const hodei_run_request *hint)
{
	k8s_prov *p = state;
	int rc = hodei__prov_fits(p->name, p->max_memory, p->max_vcpus, hint);
	if (rc != 0)
		return rc;
	k8s_worker *kw = calloc(1, sizeof(*kw));
	if (!kw)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	kw->p = p;
	kw->w = w;
	kw->cpu_millis = hint ? hint->cpu_millis : 0;
	kw->memory_bytes = hint ? hint->memory_bytes : 0;
	snprintf(kw->wid, sizeof(kw->wid), "%s", hodei_worker_id(w));
	char dns[64];
	hodei__k8s_dns_label(dns, sizeof(dns), kw->wid);
	snprintf(kw->label, sizeof(kw->label), "%s", dns);
	snprintf(kw->pod, sizeof(kw->pod), "hodei-%.56s", dns);
	copy_job_labels(kw, hint ? hint->job_id : NULL);
	kw->next = p->workers;
	p->workers = kw;
	hodei_worker_set_data(w, kw);
	if (!p->swept) {
		kw->pending = true;
		start_list(p);
	} else {
		create_pod(kw);
	}
	return 0;
}

static void k8s_release(void *state, hodei_worker *w)
{
	k8s_worker *kw = hodei_worker_data(w);
	hodei_worker_set_data(w, NULL);
	if (kw)
		kw_release(kw);
}

/* ---- events: registration, ephemeral retirement ---- */

static void on_event(const hodei_event *ev, void *userdata)
{
	k8s_prov *p = userdata;
	if (ev->type != HODEI_EVENT_WORKER || !ev->worker_id || !ev->provider ||
	    strcmp(ev->provider, p->name) != 0)
		return;
	k8s_worker *kw = p->workers;
	while (kw && !(kw->w && strcmp(kw->wid, ev->worker_id) == 0))
		kw = kw->next;
	if (!kw)
		return;
	if ((ev->state == HODEI_WORKER_IDLE || ev->state == HODEI_WORKER_BUSY) && !kw->registered) {
		kw->registered = true;
		p->fail_streak = 0;
		if (kw->timer)
			evtimer_del(kw->timer);
	}
	if (p->c.ephemeral && ev->state == HODEI_WORKER_IDLE)
		hodei__prov_retire_used(p->ctx, kw->w, kw->wid, "ephemeral worker: one job per pod");
}

/* ---- probe ---- */

static void on_probe(void *ud, const hodei__httpc_response *r)
{
	k8s_prov *p = ud;
	char detail[1024];
	p->probe_req = NULL;
	if (r->error) {
		unreachable(p, r->error);
		return;
	}
	if (refused(p, "list pods", r))
		return;
	if (r->status != 200) {
		api_error(detail, sizeof(detail), "list pods", r);
		report(p, HODEI_PROVIDER_UNHEALTHY, 0, "kubernetes provider %s: %s", p->name, detail);
		return;
	}
	p->reachable = true;
	free(p->auth_error);
	p->auth_error = NULL;
	if (p->fail_streak >= FAILS_BEFORE_UNHEALTHY) {
		report(p, HODEI_PROVIDER_UNHEALTHY, 10, "kubernetes provider %s: pods keep failing: %s", p->name,
		       p->last_failure ? p->last_failure : "?");
		p->fail_streak = FAILS_BEFORE_UNHEALTHY - 1; /* one more try after this probe */
	} else {
		snprintf(detail, sizeof(detail), "Kubernetes API at %s (%s), namespace %s, image %s",
		         p->c.api_url, p->c.source, p->c.namespace_, p->c.image);
		report(p, HODEI_PROVIDER_ACTIVE, 100 - p->fail_streak * 20, "kubernetes provider %s: %s", p->name,
		       detail);
	}
	/* back after an outage: list (and watch) again, delete what waited */
	start_list(p);
	for (k8s_worker *kw = p->workers; kw; kw = kw->next)
		if (kw->removing && !kw->req && kw->created)
			delete_pod(kw);
}

static void k8s_probe(void *state)
{
	k8s_prov *p = state;
	char path[400];
	if (p->probe_req)
		return;
	char *token = hodei__k8s_token_reread(&p->c);
	if (token) {
		hodei__httpc_set_bearer(p->http, token);
		explicit_bzero(token, strlen(token));
		free(token);
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods?labelSelector=%s&limit=1",
	         p->c.namespace_, p->selector);
	p->probe_req = hodei__httpc_send(p->http, "GET", path, NULL, 0, 0, NULL, 5000, NULL,
	                                 on_probe, p);
}

/* ---- create / destroy / check ---- */

static void k8s_destroy(void *state);

static void make_selector(k8s_prov *p)
{
	/* hodei.io/provider=<prefix>, escaped: '/' and '=' */
	snprintf(p->selector, sizeof(p->selector), "hodei.io%%2Fprovider%%3D%s", p->c.prefix);
}

static int k8s_create(hodei_provider *provider, void **state)
{
	const hodei_provider_config *cfg = hodei_provider_config_of(provider);
	k8s_prov *p = calloc(1, sizeof(*p));
	if (!p)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	p->prov = provider;
	p->ctx = hodei_provider_ctx(provider);
	p->base = hodei_ctx_event_base(p->ctx);
	p->max_memory = cfg->max_memory_bytes;
	p->max_vcpus = cfg->max_vcpus;
	p->reachable = true; /* until a call says otherwise */
	p->name = strdup(hodei_provider_name(provider));
	int rc = p->name ? hodei__k8s_config_load(&p->c, p->name, cfg->endpoint, cfg->options_json)
	                 : hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc == 0) {
		hodei__httpc_options o;
		hodei__k8s_http_options(&p->c, &o);
		rc = hodei__httpc_new(&p->http, p->base, &o);
	}
	if (rc == 0 && !(p->retry = evtimer_new(p->base, on_retry, p)))
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc == 0) {
		hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
		so.mask = HODEI_EVENT_WORKER;
		so.callback = on_event;
		so.userdata = p;
		rc = hodei_sub_open(&p->sub, p->ctx, &so);
	}
	if (rc != 0) {
		k8s_destroy(p);
		return rc;
	}
	make_selector(p);
	start_list(p); /* sweep orphans now, not at the first job */
	*state = p;
	return 0;
}

/* Delete what is left, blocking (hodeid is stopping). */
static void shutdown_pods(k8s_prov *p)
{
	hodei__httpc_options o;
	hodei__k8s_http_options(&p->c, &o);
	while (p->workers) {
		k8s_worker *kw = p->workers;
		if (kw->created || kw->req) {
			char path[400], *reply = NULL, *error = NULL;
			long status;
			snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0",
			         p->c.namespace_, kw->pod);
			hodei__httpc_send_sync(&o, "DELETE", path, NULL, 0, 0, NULL, 10000, &status, NULL,
			                       &reply, &error);
			free(reply);
			free(error);
		}
		kw_free(kw);
	}
}

static void k8s_destroy(void *state)
{
	k8s_prov *p = state;
	hodei_sub_close(p->sub);
	if (p->http) {
		hodei__httpc_cancel(p->list_req);
		hodei__httpc_cancel(p->watch_req);
		hodei__httpc_cancel(p->probe_req);
		shutdown_pods(p);
		hodei__httpc_free(p->http);
	}
	if (p->retry)
		event_free(p->retry);
	hodei__hbuf_free(&p->line);
	hodei__k8s_config_free(&p->c);
	free(p->name);
	free(p->last_failure);
	free(p->auth_error);
	free(p);
}

/*
 * Everything create would refuse, and a namespace that does not exist: a
 * server-side dry run of a worker's pod (POST ...?dryRun=All) answers 404
 * for a missing namespace and 422 for a pod the API would not take, with
 * only the "create pods" the Role grants anyway.  An API that does not
 * answer (5 s) is no reason to refuse: the provider is then Unhealthy.
 */
static int k8s_check(const hodei_provider_config *cfg)
{
	k8s_config c;
	int rc = hodei__k8s_config_load(&c, cfg->name ? cfg->name : "hodei", cfg->endpoint,
	                                 cfg->options_json);
	if (rc != 0)
		return rc;
	k8s_pod_spec s = { "hodei-dry-run", c.prefix, "dry-run", "x", "dry-run", 0, 0, NULL, 0 };
	char *body = hodei__k8s_pod_body(&c, &s), path[300], *reply = NULL, *error = NULL;
	long status = 0;
	hodei__httpc_options o;
	hodei__k8s_http_options(&c, &o);
	o.connect_timeout_ms = 3000;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods?dryRun=All", c.namespace_);
	rc = body ? hodei__httpc_send_sync(&o, "POST", path, body, strlen(body), 1, NULL, 5000,
	                                   &status, NULL, &reply, &error)
	          : hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc == 0 && !error && (status == 404 || status == 422)) {
		char msg[700];
		hodei__k8s_status_message(reply, strlen(reply), msg, sizeof(msg));
		rc = status == 404 ? hodei__err(HODEI_ENOTFOUND, "options.namespace: %s", msg)
		                   : hodei__err(HODEI_EINVAL, "options: the API refuses the worker "
		                                              "pod: %s", msg);
	}
	free(reply);
	free(error);
	hodei__k8s_config_free(&c);
	return rc;
}

static const hodei_provider_ops kubernetes_ops = {
	.version = HODEI_PROVIDER_OPS_VERSION,
	.type = "kubernetes",
	.create = k8s_create,
	.destroy = k8s_destroy,
	.provision = k8s_provision,
	.run = NULL, /* an agent is bound to every pod's worker */
	.cancel = NULL,
	.release = k8s_release,
	.probe = k8s_probe,
	.check = k8s_check,
};

const hodei_provider_ops *hodei__k8s_provider_ops(void)
{
	return &kubernetes_ops;
}
