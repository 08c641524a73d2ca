/*
 * The shared asynchronous HTTP client (httpc.h), on libevent.
 *
 * libcurl's multi interface in socket-action mode, as in curl's
 * docs/examples/hiperfifo.c: curl tells us which sockets to watch
 * (socket_cb) and when to wake it (timer_cb); libevent tells curl when a
 * socket is ready.  Completed transfers are collected after each action and
 * their callbacks run from there, outside curl, so a callback may start or
 * cancel other requests.
 */
#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hodei/common.h"
#include "httpc.h"

struct hodei__httpc_req {
	hodei__httpc *http;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	hodei__hbuf reply;
	int marked;
	long retry_after_s;
	char errbuf[CURL_ERROR_SIZE];
	hodei__httpc_data_fn data;
	hodei__httpc_done_fn done;
	void *userdata;
	hodei__httpc_req *next, *prev;
};

struct hodei__httpc {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	char *socket_path;
	char *base_url;
	char *shown;
	char *auth_header; /* "Authorization: Bearer ..." */
	char *marker;
	size_t marker_len;
	struct curl_blob ca, cert, key;
	int insecure;
	long connect_timeout_ms;
	hodei__httpc_req *reqs;
	hodei__httpc_stats stats;
	int running;
};

typedef struct httpc_sock {
	struct event *ev;
	hodei__httpc *http;
} httpc_sock;

/* ---- buffers ---- */

int hodei__hbuf_add(hodei__hbuf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *p = realloc(b->data, cap);
		if (!p)
			return -1;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

void hodei__hbuf_free(hodei__hbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int hodei__hbuf_read_file(hodei__hbuf *b, const char *path, size_t max, const char *field)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return hodei__err(HODEI_EIO, "%s: cannot read %s: %s", field, path, strerror(errno));
	char chunk[4096];
	size_t got;
	int rc = 0;
	while (rc == 0 && (got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + got > max)
			rc = hodei__err(HODEI_EINVAL, "%s: %s is larger than %zu bytes", field, path, max);
		else if (hodei__hbuf_add(b, chunk, got) != 0)
			rc = hodei__err(HODEI_ENOMEM, "out of memory");
	}
	if (rc == 0 && ferror(f))
		rc = hodei__err(HODEI_EIO, "%s: cannot read %s: %s", field, path, strerror(errno));
	fclose(f);
	if (rc == 0 && b->len == 0)
		rc = hodei__err(HODEI_EINVAL, "%s: %s is empty", field, path);
	return rc;
}

/* ---- the loop side ---- */

static void req_unlink(hodei__httpc_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		r->http->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

static void req_free(hodei__httpc_req *r)
{
	if (r->easy) {
		curl_multi_remove_handle(r->http->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->headers);
	free(r->body);
	hodei__hbuf_free(&r->reply);
	free(r);
}

static void finish(hodei__httpc_req *r, CURLcode code)
{
	hodei__httpc_response resp = { 0 };
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
	resp.marked = r->marked;
	resp.retry_after_s = r->retry_after_s;
	r->http->stats.bytes_received += r->reply.len;
	r->done(r->userdata, &resp);
	req_free(r);
}

static void check_done(hodei__httpc *http)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(http->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		hodei__httpc_req *r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		finish(r, msg->data.result);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	hodei__httpc *http = arg;
	curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &http->running);
	check_done(http);
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
	hodei__httpc *http = arg;
	int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	             ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	curl_multi_socket_action(http->multi, fd, action, &http->running);
	/* No evtimer_del when nothing runs (as hiperfifo.c does): a callback
	 * below may start a request, whose timer must stay armed. */
	check_done(http);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	hodei__httpc *http = userp;
	httpc_sock *ds = socketp;
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
	hodei__httpc *http = userp;
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
	hodei__httpc_req *r = userdata;
	size_t n = size * nmemb;
	long status = 0;
	if (r->data) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			r->http->stats.bytes_received += n;
			return r->data(r->userdata, ptr, n) == 0 ? n : 0;
		}
	}
	return hodei__hbuf_add(&r->reply, ptr, n) == 0 ? n : 0;
}

static size_t header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	hodei__httpc_req *r = userdata;
	hodei__httpc *http = r->http;
	size_t n = size * nmemb;
	if (http->marker && n > http->marker_len && ptr[http->marker_len] == ':' &&
	    strncasecmp(ptr, http->marker, http->marker_len) == 0)
		r->marked = 1;
	if (n > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0) {
		char value[32];
		snprintf(value, sizeof(value), "%.*s", (int)(n - 12), ptr + 12);
		char *end;
		long s = strtol(value, &end, 10);
		r->retry_after_s = (end != value && s >= 0) ? (s > 3600 ? 3600 : s) : 1;
	}
	return n;
}

/* ---- the client ---- */

static int blob_copy(struct curl_blob *b, const char *data, size_t len)
{
	if (!data || !len)
		return 0;
	b->data = malloc(len);
	if (!b->data)
		return -1;
	memcpy(b->data, data, len);
	b->len = len;
	b->flags = CURL_BLOB_NOCOPY;
	return 0;
}

static int copy_options(hodei__httpc *http, const hodei__httpc_options *o)
{
	if (!o->base_url || !*o->base_url)
		return hodei__err(HODEI_EINVAL, "endpoint: no URL");
	http->base_url = strdup(o->base_url);
	http->shown = strdup(o->shown ? o->shown : o->base_url);
	if (o->unix_socket)
		http->socket_path = strdup(o->unix_socket);
	if (o->bearer_token && *o->bearer_token) {
		size_t n = strlen(o->bearer_token) + sizeof("Authorization: Bearer ");
		http->auth_header = malloc(n);
		if (http->auth_header)
			snprintf(http->auth_header, n, "Authorization: Bearer %s", o->bearer_token);
	}
	if (o->marker_header) {
		http->marker = strdup(o->marker_header);
		http->marker_len = strlen(o->marker_header);
	}
	http->insecure = o->insecure;
	http->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
	if (!http->base_url || !http->shown || (o->unix_socket && !http->socket_path) ||
	    (o->bearer_token && *o->bearer_token && !http->auth_header) ||
	    (o->marker_header && !http->marker) || blob_copy(&http->ca, o->ca_pem, o->ca_len) ||
	    blob_copy(&http->cert, o->cert_pem, o->cert_len) ||
	    blob_copy(&http->key, o->key_pem, o->key_len))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	return 0;
}

int hodei__httpc_new(hodei__httpc **out, struct event_base *base,
                     const hodei__httpc_options *opts)
{
	*out = NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	hodei__httpc *http = calloc(1, sizeof(*http));
	if (!http)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	http->base = base;
	int rc = copy_options(http, opts);
	if (rc != 0) {
		hodei__httpc_free(http);
		return rc;
	}
	http->multi = curl_multi_init();
	http->timer = evtimer_new(base, on_timer, http);
	if (!http->multi || !http->timer) {
		hodei__httpc_free(http);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
	*out = http;
	return 0;
}

static void blob_free(struct curl_blob *b)
{
	if (b->data)
		explicit_bzero(b->data, b->len); /* the key, and the others alike */
	free(b->data);
}

void hodei__httpc_free(hodei__httpc *http)
{
	if (!http)
		return;
	while (http->reqs) {
		hodei__httpc_req *r = http->reqs;
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
	if (http->auth_header)
		explicit_bzero(http->auth_header, strlen(http->auth_header));
	free(http->auth_header);
	free(http->marker);
	blob_free(&http->ca);
	blob_free(&http->cert);
	blob_free(&http->key);
	free(http);
}

int hodei__httpc_set_bearer(hodei__httpc *http, const char *token)
{
	size_t n = strlen(token) + sizeof("Authorization: Bearer ");
	char *h = malloc(n);
	if (!h)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	snprintf(h, n, "Authorization: Bearer %s", token);
	if (http->auth_header)
		explicit_bzero(http->auth_header, strlen(http->auth_header));
	free(http->auth_header);
	http->auth_header = h;
	return 0;
}

const char *hodei__httpc_shown(const hodei__httpc *http)
{
	return http->shown;
}

const hodei__httpc_stats *hodei__httpc_stats_of(const hodei__httpc *http)
{
	return &http->stats;
}

static void setup_tls(hodei__httpc *http, CURL *e)
{
	if (http->ca.data)
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &http->ca);
	if (http->cert.data) {
		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &http->cert);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (http->key.data) {
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &http->key);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (http->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static int setup_easy(hodei__httpc_req *r, const char *method, const char *path, size_t len,
                      const char *content_type, long timeout_ms)
{
	hodei__httpc *http = r->http;
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
	setup_tls(http, e);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (r->body || strcmp(method, "POST") == 0) {
		char ct[128];
		snprintf(ct, sizeof(ct), "Content-Type: %s",
		         content_type ? content_type : "application/json");
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		r->headers = curl_slist_append(r->headers, ct);
		r->headers = r->headers ? curl_slist_append(r->headers, "Expect:") : NULL;
		if (!r->headers)
			return -1;
	}
	if (http->auth_header) {
		struct curl_slist *h = curl_slist_append(r->headers, http->auth_header);
		if (!h)
			return -1;
		r->headers = h;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, http->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "hodei/" HODEI_VERSION_STRING);
	return 0;
}

hodei__httpc_req *hodei__httpc_send(hodei__httpc *http, const char *method, const char *path,
                                    char *body, size_t len, int take_body,
                                    const char *content_type, long timeout_ms,
                                    hodei__httpc_data_fn data, hodei__httpc_done_fn done,
                                    void *userdata)
{
	hodei__httpc_req *r = calloc(1, sizeof(*r));
	if (!r) {
		if (take_body)
			free(body);
		return NULL;
	}
	r->http = http;
	r->data = data;
	r->done = done;
	r->userdata = userdata;
	r->retry_after_s = -1;
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
	    setup_easy(r, method, path, len, content_type, timeout_ms) != 0 ||
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
	http->stats.requests++;
	http->stats.bytes_sent += body ? len : 0;
	return r;
}

void hodei__httpc_cancel(hodei__httpc_req *req)
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
	int marked;
} sync_state;

static void sync_done(void *userdata, const hodei__httpc_response *resp)
{
	sync_state *st = userdata;
	st->done = 1;
	st->status = resp->status;
	st->marked = resp->marked;
	st->reply = strdup(resp->body);
	if (resp->error)
		st->error = strdup(resp->error);
}

int hodei__httpc_send_sync(const hodei__httpc_options *opts, const char *method,
                           const char *path, char *body, size_t len, int take_body,
                           const char *content_type, long timeout_ms, long *status,
                           int *marked, char **reply, char **error)
{
	*reply = *error = NULL;
	*status = 0;
	struct event_base *base = event_base_new();
	hodei__httpc *http = NULL;
	int rc = base ? hodei__httpc_new(&http, base, opts)
	              : hodei__err(HODEI_ENOMEM, "out of memory");
	if (rc != 0) {
		if (take_body)
			free(body);
		if (base)
			event_base_free(base);
		return rc;
	}
	sync_state st = { 0 };
	if (!hodei__httpc_send(http, method, path, body, len, take_body, content_type, timeout_ms,
	                       NULL, sync_done, &st))
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	while (rc == 0 && !st.done)
		event_base_loop(base, EVLOOP_ONCE);
	hodei__httpc_free(http);
	event_base_free(base);
	if (rc == 0 && !st.reply)
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	if (marked)
		*marked = st.marked;
	*status = st.status;
	*reply = st.reply;
	*error = st.error;
	return rc;
}

/* ---- base64 ---- */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

char *hodei__base64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text);
	char *out = malloc(n / 4 * 3 + 4);
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '=' || c == '\n' || c == '\r' || c == ' ')
			continue;
		int v = b64_value(c);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}
