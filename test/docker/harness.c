#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dk.h"
#include "harness.h"

/* ---- the fake agent's server side ---- */

typedef struct agent_conn {
	harness *h;
	struct bufferevent *bev;
	hodei_worker *worker;
	char job_id[HODEI_JOB_ID_MAX + 1];
	int attempt;
	struct agent_conn *next;
} agent_conn;

static void conn_free(agent_conn *c)
{
	for (agent_conn **pp = (agent_conn **)&c->h->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->bev)
		bufferevent_free(c->bev);
	free(c);
}

static int agent_run(void *agent, hodei_worker *w, const hodei_run_request *req)
{
	agent_conn *c = agent;
	const char *script = req->argc >= 3 && strcmp(req->argv[1], "-c") == 0 ? req->argv[2]
	                                                                       : req->argv[0];
	snprintf(c->job_id, sizeof(c->job_id), "%s", req->job_id);
	c->attempt = req->attempt;
	evbuffer_add_printf(bufferevent_get_output(c->bev), "RUN %zu\n%s", strlen(script), script);
	hodei_worker_job_started(w, req->job_id, req->attempt);
	return 0;
}

static void agent_detach(void *agent, hodei_worker *w)
{
	agent_conn *c = agent;
	c->worker = NULL;
	conn_free(c); /* the fake agent sees EOF and exits */
}

static const hodei_agent_ops fake_ops = { HODEI_AGENT_OPS_VERSION, agent_run, NULL,
	                                  agent_detach };

static void on_line(agent_conn *c, char *line)
{
	if (strncmp(line, "HELLO ", 6) == 0 && !c->worker) {
		hodei_worker *w = NULL;
		if (hodei_worker_claim(&w, c->h->ctx, line + 6) == 0) {
			c->worker = w;
			c->h->agents++;
			hodei_worker_bind_agent(w, &fake_ops, c);
		}
	} else if (strncmp(line, "OUT ", 4) == 0 && c->worker) {
		hodei_worker_job_line(c->worker, c->job_id, c->attempt, HODEI_STREAM_STDOUT, 0,
		                      line + 4, strlen(line + 4), 0);
	} else if (strncmp(line, "EXIT ", 5) == 0 && c->worker) {
		hodei_run_result res = HODEI_RUN_RESULT_INIT;
		res.exit_code = atoi(line + 5);
		hodei_worker_job_finished(c->worker, c->job_id, c->attempt, &res);
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	agent_conn *c = arg;
	char *line;
	size_t n;
	while ((line = evbuffer_readln(bufferevent_get_input(bev), &n, EVBUFFER_EOL_LF))) {
		on_line(c, line);
		free(line);
	}
}

static void on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	agent_conn *c = arg;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (c->worker) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		hodei_worker_lost(c->worker, "fake agent: connection closed"); /* detach frees c */
		return;
	}
	conn_free(c);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int len, void *arg)
{
	harness *h = arg;
	agent_conn *c = calloc(1, sizeof(*c));
	c->h = h;
	c->next = h->conns;
	h->conns = c;
	c->bev = bufferevent_socket_new(h->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, on_read, NULL, on_conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- setup ---- */

void h_need_docker(void)
{
	const char *script = getenv("HODEI_ENSURE_DOCKERD");
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s", script ? script : "test/docker/ensure-dockerd.sh");
	if (system(cmd) == 0)
		return;
	const char *req = getenv("HODEI_DOCKER_REQUIRED");
	fprintf(stderr, "SKIP: dockerd is not running and could not be started (%s)\n", cmd);
	exit(req && strcmp(req, "1") == 0 ? 1 : 77);
}

static void diag(int level, const char *message, void *userdata)
{
	fprintf(stderr, "[hodei %d] %s\n", level, message);
}

int h_open(harness *h, const char *tag, int64_t worker_idle_ms)
{
	char db[256];
	snprintf(db, sizeof(db), "/tmp/hodei-dktest-%s-%d.db", tag, (int)getpid());
	unlink(db);
	return h_open_db(h, db, worker_idle_ms);
}

int h_open_db(harness *h, const char *db, int64_t worker_idle_ms)
{
	memset(h, 0, sizeof(*h));
	h->base = event_base_new();
	struct sockaddr_in sin = { 0 };
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->listener = evconnlistener_new_bind(h->base, on_accept, h,
	                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	                                      (struct sockaddr *)&sin, sizeof(sin));
	if (!h->listener)
		return -1;
	socklen_t slen = sizeof(sin);
	getsockname(evconnlistener_get_fd(h->listener), (struct sockaddr *)&sin, &slen);
	h->port = ntohs(sin.sin_port);
	snprintf(h->server, sizeof(h->server), "127.0.0.1:%d", h->port);
	snprintf(h->db, sizeof(h->db), "%s", db);
	hodei_ctx_options o = HODEI_CTX_OPTIONS_INIT;
	o.db_path = h->db;
	o.event_base = h->base;
	o.flags = HODEI_CTX_NO_LOCAL_PROVIDER | HODEI_CTX_IGNORE_ENV;
	o.worker_idle_ms = worker_idle_ms;
	o.diag = diag;
	o.diag_level = getenv("HODEI_TEST_DEBUG") ? HODEI_DIAG_DEBUG : HODEI_DIAG_WARN;
	int rc = hodei_ctx_open(&h->ctx, &o);
	if (rc == 0)
		rc = hodei_provider_type_register(h->ctx, hodei_docker_provider_ops());
	return rc;
}

void h_close(harness *h)
{
	hodei_ctx_close(h->ctx);
	while (h->conns) /* connections that never registered (not agents) */
		conn_free(h->conns);
	evconnlistener_free(h->listener);
	event_base_free(h->base);
	unlink(h->db);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
}

bool h_until(harness *h, bool (*cond)(harness *h, void *arg), void *arg, int64_t timeout_ms)
{
	/* A periodic wake-up so conditions on Docker's side get re-checked. */
	struct event *wake = event_new(h->base, -1, EV_PERSIST, on_wake, NULL);
	struct timeval tv = { 0, 100000 };
	event_add(wake, &tv);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t deadline = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + timeout_ms;
	bool ok = cond(h, arg);
	while (!ok) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 > deadline)
			break;
		event_base_loop(h->base, EVLOOP_ONCE);
		ok = cond(h, arg);
	}
	event_free(wake);
	return ok;
}

int h_submit(harness *h, const char *id, const char *script, const char *provider,
             uint32_t cpu_millis, uint64_t memory_bytes)
{
	hodei_job_spec s = HODEI_JOB_SPEC_INIT;
	s.id = id;
	s.command = script;
	s.flags = HODEI_JOB_SHELL;
	s.provider = provider;
	s.cpu_millis = cpu_millis;
	s.memory_bytes = memory_bytes;
	hodei_job_id jid;
	return hodei_job_submit(h->ctx, &s, &jid);
}

static int job_state(harness *h, const char *id)
{
	hodei_job *j = NULL;
	int st = hodei_job_get(&j, h->ctx, id) == 0 ? j->state : 0;
	hodei_job_free(j);
	return st;
}

static bool job_final(harness *h, void *id)
{
	return HODEI_STATE_BIT(job_state(h, id)) & HODEI_STATES_FINAL;
}

int h_wait_job(harness *h, const char *id, int64_t timeout_ms)
{
	if (!h_until(h, job_final, (void *)id, timeout_ms))
		return 0;
	return job_state(h, id);
}

char *h_log_text(harness *h, const char *id)
{
	hodei__hbuf b = { 0 };
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page = NULL;
	q.job_id = id;
	hodei__hbuf_add(&b, "", 0);
	if (hodei_log_read(&page, h->ctx, &q) == 0) {
		for (size_t i = 0; i < page->count; i++) {
			hodei__hbuf_add(&b, page->lines[i].text, page->lines[i].len);
			hodei__hbuf_add(&b, "\n", 1);
		}
	}
	hodei_log_page_free(page);
	return b.data;
}

int h_docker(const char *method, const char *path, const char *body, long *status,
             char **reply)
{
	char *error = NULL;
	int rc = hodei__dk_send_sync(NULL, method, path, (char *)body, body ? strlen(body) : 0, 0,
	                             60000, status, reply, &error);
	if (rc == 0 && error)
		rc = -1;
	free(error);
	return rc;
}

int h_count_containers(const char *provider)
{
	char path[512];
	long status = 0;
	char *reply = NULL;
	snprintf(path, sizeof(path),
	         "/containers/json?all=1&filters=%%7B%%22label%%22%%3A%%5B%%22io.hodei.provider%%3D"
	         "%s%%22%%5D%%7D",
	         provider);
	if (h_docker("GET", path, NULL, &status, &reply) != 0 || status != 200) {
		free(reply);
		return -1;
	}
	json_t *j = json_loads(reply, 0, NULL);
	int n = json_is_array(j) ? (int)json_array_size(j) : -1;
	json_decref(j);
	free(reply);
	return n;
}

bool h_no_containers(harness *h, void *provider_name)
{
	return h_count_containers(provider_name) == 0;
}

typedef struct status_want {
	const char *provider, *text;
	int status;
} status_want;

static bool status_is(harness *h, void *arg)
{
	status_want *want = arg;
	hodei_provider_info *info = NULL;
	bool ok = hodei_provider_get(&info, h->ctx, want->provider) == 0 &&
	          info->status == want->status &&
	          (!want->text || (info->status_message && strstr(info->status_message, want->text)));
	hodei_provider_info_free(info);
	return ok;
}

bool h_wait_status(harness *h, const char *provider, int status, const char *text,
                   int64_t timeout_ms)
{
	status_want want = { provider, text, status };
	bool ok = h_until(h, status_is, &want, timeout_ms);
	if (!ok) {
		hodei_provider_info *info = NULL;
		if (hodei_provider_get(&info, h->ctx, provider) == 0)
			fprintf(stderr, "provider %s: status %s, message: %s\n", provider,
			        hodei_provider_status_name(info->status),
			        info->status_message ? info->status_message : "(none)");
		hodei_provider_info_free(info);
	}
	return ok;
}
