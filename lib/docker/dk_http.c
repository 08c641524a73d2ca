/*
 * An asynchronous HTTP client for the Docker Engine API, on libevent.
 *
 * libcurl's multi interface in socket-action mode, as in curl's
 * docs/examples/hiperfifo.c: curl tells us which sockets to watch
 * (socket_cb) and when to wake it (timer_cb); libevent tells curl when a
 * socket is ready.  Completed transfers are collected after each action and
 * their callbacks run from there, outside curl, so a callback may start or
 * cancel other requests.
 */
#include <curl/curl.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dk.h"

struct hodei__dk_req {
	hodei__dk_http *http;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	hodei__dk_buf reply;
	int is_docker;
	char errbuf[CURL_ERROR_SIZE];
	hodei__dk_done_fn done;
	void *userdata;
	hodei__dk_req *next, *prev;
};

struct hodei__dk_http {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	char *socket_path; /* unix socket, or NULL */
	char *base_url;    /* "http://localhost/v1.41" */
	char *shown;       /* endpoint for messages */
	hodei__dk_req *reqs;
	int running;
};

/* Per-socket watcher, attached to curl with curl_multi_assign. */
typedef struct dk_sock {
	struct event *ev;
	hodei__dk_http *http;
} dk_sock;

static void req_unlink(hodei__dk_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		r->http->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

static void req_free(hodei__dk_req *r)
{
	if (r->easy) {
		curl_multi_remove_handle(r->http->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->headers);
	free(r->body);
	hodei__dk_buf_free(&r->reply);
	free(r);
}

static void finish(hodei__dk_req *r, CURLcode code)
{
	hodei__dk_response resp = { 0 };
	long status = 0;
	req_unlink(r);
	if (code == CURLE_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		resp.status = status;
	} else {
		resp.error = r->errbuf[0] ? r->errbuf : curl_easy_strerror(code);
	}
	resp.body = r->reply.data ? r->reply.data : "";
	resp.len = r->reply.len;
	resp.is_docker = r->is_docker;
	r->done(r->userdata, &resp);
	req_free(r);
}

static void check_done(hodei__dk_http *http)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(http->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		hodei__dk_req *r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		finish(r, msg->data.result);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	hodei__dk_http *http = arg;
	curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &http->running);
	check_done(http);
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
	hodei__dk_http *http = arg;
	int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	             ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	curl_multi_socket_action(http->multi, fd, action, &http->running);
	/* No evtimer_del when nothing runs (as hiperfifo.c does): a callback
	 * below may start a request, whose timer must stay armed. */
	check_done(http);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	hodei__dk_http *http = userp;
	dk_sock *ds = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (ds) {
			event_free(ds->ev);
			free(ds);
			curl_multi_assign(http->multi, s, NULL);
		}
		return 0;
	}
	short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	             ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (!ds) {
		ds = calloc(1, sizeof(*ds));
		if (!ds)
			return -1;
		ds->http = http;
		curl_multi_assign(http->multi, s, ds);
	} else {
		event_free(ds->ev);
	}
	ds->ev = event_new(http->base, s, kind, on_socket, http);
	if (!ds->ev)
		return -1;
	event_add(ds->ev, NULL);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	hodei__dk_http *http = userp;
	if (timeout_ms < 0) {
		evtimer_del(http->timer);
		return 0;
	}
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	evtimer_add(http->timer, &tv);
	return 0;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	hodei__dk_req *r = userdata;
	if (hodei__dk_buf_add(&r->reply, ptr, size * nmemb) != 0)
		return 0;
	return size * nmemb;
}

static size_t header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	hodei__dk_req *r = userdata;
	if (size * nmemb > 12 && strncasecmp(ptr, "Api-Version:", 12) == 0)
		r->is_docker = 1;
	return size * nmemb;
}

static int parse_endpoint(hodei__dk_http *http, const char *endpoint)
{
	if (!endpoint || !*endpoint)
		endpoint = getenv("DOCKER_HOST");
	if (!endpoint || !*endpoint)
		endpoint = "unix://" HODEI__DK_DEFAULT_SOCKET;
	const char *path = NULL, *hostport = NULL;
	if (strncmp(endpoint, "unix://", 7) == 0)
		path = endpoint + 7;
	else if (endpoint[0] == '/')
		path = endpoint;
	else if (strncmp(endpoint, "tcp://", 6) == 0)
		hostport = endpoint + 6;
	else if (strncmp(endpoint, "http://", 7) == 0)
		hostport = endpoint + 7;
	else
		return hodei__err(HODEI_EINVAL,
		                  "endpoint: \"%s\" is not unix:///path, tcp://host:port or "
		                  "http://host:port", endpoint);
	size_t n = hostport ? strcspn(hostport, "/") : 0;
	if ((path && !*path) || (hostport && n == 0))
		return hodei__err(HODEI_EINVAL, "endpoint: \"%s\" names no socket or host", endpoint);
	http->shown = strdup(endpoint);
	if (path) {
		http->socket_path = strdup(path);
		http->base_url = strdup("http://localhost" HODEI__DK_API);
	} else {
		http->base_url = malloc(n + sizeof("http://" HODEI__DK_API));
		if (http->base_url)
			sprintf(http->base_url, "http://%.*s" HODEI__DK_API, (int)n, hostport);
	}
	if (!http->shown || !http->base_url || (path && !http->socket_path))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	return 0;
}

int hodei__dk_http_new(hodei__dk_http **out, struct event_base *base, const char *endpoint)
{
	*out = NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	hodei__dk_http *http = calloc(1, sizeof(*http));
	if (!http)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	http->base = base;
	int rc = parse_endpoint(http, endpoint);
	if (rc != 0) {
		hodei__dk_http_free(http);
		return rc;
	}
	http->multi = curl_multi_init();
	http->timer = evtimer_new(base, on_timer, http);
	if (!http->multi || !http->timer) {
		hodei__dk_http_free(http);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
	*out = http;
	return 0;
}

int hodei__dk_endpoint_check(const char *endpoint)
{
	hodei__dk_http *http = calloc(1, sizeof(*http));
	int rc = http ? parse_endpoint(http, endpoint) : hodei__err(HODEI_ENOMEM, "out of memory");

	hodei__dk_http_free(http);
	return rc;
}

void hodei__dk_http_free(hodei__dk_http *http)
{
	if (!http)
		return;
	while (http->reqs) {
		hodei__dk_req *r = http->reqs;
		req_unlink(r);
		req_free(r);
	}
	if (http->multi)
		curl_multi_cleanup(http->multi);
	if (http->timer)
		event_free(http->timer);
	free(http->socket_path);
	free(http->base_url);
	free(http->shown);
	free(http);
}

void hodei__dk_http_no_prefix(hodei__dk_http *http)
{
	size_t n = strlen(http->base_url), k = strlen(HODEI__DK_API);
	if (n >= k && strcmp(http->base_url + n - k, HODEI__DK_API) == 0)
		http->base_url[n - k] = '\0';
}

const char *hodei__dk_http_endpoint(const hodei__dk_http *http)
{
	return http->shown;
}

static int setup_easy(hodei__dk_req *r, const char *method, const char *path, size_t len,
                      long timeout_ms)
{
	hodei__dk_http *http = r->http;
	size_t ulen = strlen(http->base_url) + strlen(path) + 1;
	char *url = malloc(ulen);
	if (!url)
		return -1;
	snprintf(url, ulen, "%s%s", http->base_url, path);
	CURL *e = r->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	free(url); /* curl copies it */
	if (http->socket_path)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, http->socket_path);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (r->body || strcmp(method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		int tar = strncmp(path, "/images/load", 12) == 0;
		r->headers = curl_slist_append(r->headers, tar ? "Content-Type: application/x-tar"
		                                               : "Content-Type: application/json");
		r->headers = curl_slist_append(r->headers, "Expect:");
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "hodei/" HODEI_VERSION_STRING);
	return 0;
}

hodei__dk_req *hodei__dk_send(hodei__dk_http *http, const char *method, const char *path,
                              char *body, size_t len, int take_body, long timeout_ms,
                              hodei__dk_done_fn done, void *userdata)
{
	hodei__dk_req *r = calloc(1, sizeof(*r));
	if (!r) {
		if (take_body)
			free(body);
		return NULL;
	}
	r->http = http;
	r->done = done;
	r->userdata = userdata;
	if (body && take_body) {
		r->body = body;
	} else if (body) {
		r->body = malloc(len + 1);
		if (r->body) {
			memcpy(r->body, body, len);
			r->body[len] = '\0';
		}
	}
	r->easy = curl_easy_init();
	if (!r->easy || (body && !r->body) ||
	    setup_easy(r, method, path, len, timeout_ms) != 0 ||
	    curl_multi_add_handle(http->multi, r->easy) != CURLM_OK) {
		if (r->easy)
			curl_easy_cleanup(r->easy);
		r->easy = NULL;
		req_free(r);
		return NULL;
	}
	r->next = http->reqs;
	if (http->reqs)
		http->reqs->prev = r;
	http->reqs = r;
	return r;
}

void hodei__dk_cancel(hodei__dk_req *req)
{
	if (!req)
		return;
	req_unlink(req);
	req_free(req);
}

/* ---- blocking requests on a private loop ---- */

typedef struct sync_state {
	int done;
	long status;
	char *reply;
	char *error;
	int nomem; /* a copy failed: the answer is not what was received */
} sync_state;

static void sync_done(void *userdata, const hodei__dk_response *resp)
{
	sync_state *st = userdata;
	st->done = 1;
	st->status = resp->status;
	st->reply = strdup(resp->body);
	if (resp->error)
		st->error = strdup(resp->error);
	else if (resp->status > 0 && !resp->is_docker)
		st->error = strdup("the endpoint answered but is not a Docker Engine API");
	st->nomem = !st->reply || ((resp->error || (resp->status > 0 && !resp->is_docker)) &&
	                           !st->error);
}

int hodei__dk_send_sync(const char *endpoint, const char *method, const char *path,
                        char *body, size_t len, int take_body, long timeout_ms,
                        long *status, char **reply, char **error)
{
	*reply = *error = NULL;
	*status = 0;
	struct event_base *base = event_base_new();
	hodei__dk_http *http = NULL;
	int rc = base ? hodei__dk_http_new(&http, base, endpoint)
	              : hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc != 0) {
		if (take_body)
			free(body);
		if (base)
			event_base_free(base);
		return rc;
	}
	sync_state st = { 0 };
	if (!hodei__dk_send(http, method, path, body, len, take_body, timeout_ms, sync_done,
	                    &st))
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	while (rc == 0 && !st.done)
		event_base_loop(base, EVLOOP_ONCE);
	hodei__dk_http_free(http);
	event_base_free(base);
	if (rc == 0 && st.nomem) {
		free(st.reply);
		free(st.error);
		st.reply = st.error = NULL;
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	}
	*status = st.status;
	*reply = st.reply;
	*error = st.error;
	return rc;
}
