/*
 * Subscriptions: events to callbacks on the loop, or into bounded queues
 * that signal an eventfd (see event.h for the overflow rule).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct hodei_sub {
	struct hodei_sub *next;
	hodei_ctx *ctx;
	unsigned int mask;
	char *job_id;
	hodei_event_fn callback;
	void *userdata;
	size_t max_queued;
	int fd;
	hodei_event **q; /* ring */
	size_t head, len, cap;
	int64_t dropped;
	bool dropping;
	bool closed; /* closed inside an emit loop: unlinked and freed after it */
	/* The queue (q, head, len, cap, dropped, dropping) is read by the
	 * consumer's thread: mu guards it, cond signals it. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
};

static hodei_event *event_copy(const hodei_event *ev)
{
	hodei_event *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	*c = *ev;
	c->job_id = hodei__strdup(ev->job_id);
	c->reason = hodei__strdup(ev->reason);
	c->worker_id = hodei__strdup(ev->worker_id);
	c->provider = hodei__strdup(ev->provider);
	if (ev->type == HODEI_EVENT_JOB_LOG)
		c->line.text = hodei__strndup(ev->line.text, ev->line.len);
	if ((ev->job_id && !c->job_id) || (ev->reason && !c->reason) ||
	    (ev->worker_id && !c->worker_id) || (ev->provider && !c->provider) ||
	    (ev->type == HODEI_EVENT_JOB_LOG && !c->line.text)) {
		hodei_event_free(c);
		return NULL;
	}
	return c;
}

void hodei_event_free(hodei_event *ev)
{
	if (!ev)
		return;
	free((char *)ev->job_id);
	free((char *)ev->reason);
	free((char *)ev->worker_id);
	free((char *)ev->provider);
	if (ev->type == HODEI_EVENT_JOB_LOG)
		free((char *)ev->line.text);
	free(ev);
}

/* Takes ev on success; out of memory (or ev NULL): the caller keeps it. */
static int push(hodei_sub *s, hodei_event *ev)
{
	if (!ev)
		return HODEI_ENOMEM;
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		hodei_event **q = calloc(cap, sizeof(*q));

		if (!q)
			return HODEI_ENOMEM;
		for (size_t i = 0; i < s->len; i++)
			q[i] = s->q[(s->head + i) % s->cap];
		free(s->q);
		s->q = q;
		s->head = 0;
		s->cap = cap;
	}
	s->q[(s->head + s->len++) % s->cap] = ev;
	if (s->len == 1) {
		uint64_t one = 1;

		if (write(s->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			return 0;
	}
	pthread_cond_broadcast(&s->cond);
	return 0;
}

static int push_overflow(hodei_sub *s)
{
	hodei_event *c;
	hodei_event ev = { 0 };

	ev.version = 1;
	ev.type = HODEI_EVENT_OVERFLOW;
	ev.job_id = s->job_id;
	ev.dropped = s->dropped;
	ev.at_us = hodei__now_us();
	if (push(s, c = event_copy(&ev))) {
		hodei_event_free(c);
		return HODEI_ENOMEM;
	}
	s->dropped = 0;
	s->dropping = false;
	return 0;
}

/* An event the subscriber cannot have (full queue, out of memory): counted,
 * and told as an OVERFLOW event before the next one it gets. */
static void drop(hodei_sub *s)
{
	s->dropped++;
	s->dropping = true;
	if (s->len == 0) { /* wake the consumer: hodei_sub_next() tells it */
		uint64_t one = 1;

		if (s->fd >= 0 && write(s->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			return;
		pthread_cond_broadcast(&s->cond);
	}
}

static void enqueue(hodei_sub *s, const hodei_event *ev)
{
	bool is_log = ev->type == HODEI_EVENT_JOB_LOG;
	hodei_event *c;

	if (is_log && s->len >= s->max_queued) {
		drop(s);
		return;
	}
	if (s->dropping && push_overflow(s)) {
		drop(s);
		return;
	}
	if (push(s, c = event_copy(ev))) {
		hodei_event_free(c);
		drop(s);
	}
}

/* An event nobody can have (out of memory before it was copied). */
static void drop_for_all(hodei_ctx *ctx, const hodei_event *ev)
{
	for (hodei_sub *s = ctx->subs; s; s = s->next) {
		if (s->closed || s->callback || !(s->mask & (unsigned int)ev->type))
			continue;
		if (s->job_id && (!ev->job_id || strcmp(s->job_id, ev->job_id) != 0))
			continue;
		pthread_mutex_lock(&s->mu);
		drop(s);
		pthread_mutex_unlock(&s->mu);
	}
}

static void sub_free(hodei_sub *s);

/* Free what was closed during emit loops, once none runs. */
static void sweep_closed(hodei_ctx *ctx)
{
	hodei_sub **pp = &ctx->subs;

	ctx->subs_dead = false;
	while (*pp) {
		hodei_sub *s = *pp;

		if (s->closed) {
			*pp = s->next;
			sub_free(s);
		} else {
			pp = &s->next;
		}
	}
}

/* A callback may close any subscription, itself included, or open new ones
 * (at the head, so they hear the next event): closed ones stay linked, and
 * skipped, until the outermost emit loop ends. */
static void emit_now(hodei_ctx *ctx, const hodei_event *ev)
{
	ctx->emitting++;
	for (hodei_sub *s = ctx->subs; s; s = s->next) {
		if (s->closed || !(s->mask & (unsigned int)ev->type))
			continue;
		if (s->job_id && (!ev->job_id || strcmp(s->job_id, ev->job_id) != 0))
			continue;
		if (s->callback) {
			s->callback(ev, s->userdata);
		} else {
			pthread_mutex_lock(&s->mu);
			enqueue(s, ev);
			pthread_mutex_unlock(&s->mu);
		}
	}
	if (--ctx->emitting == 0 && ctx->subs_dead)
		sweep_closed(ctx);
}

/* Inside a transaction, events wait for its commit (hodei__emit_deferred):
 * nobody hears of a state the store could still lose. */
void hodei__emit(hodei_ctx *ctx, const hodei_event *ev)
{
	hodei_event *c;

	if (!ctx->subs)
		return;
	if (ctx->txdepth == 0) {
		emit_now(ctx, ev);
		return;
	}
	if (hodei__array_grow(&ctx->deferred, &ctx->deferred_cap, ctx->ndeferred,
	                      sizeof(*ctx->deferred), 16)) {
		drop_for_all(ctx, ev);
		return;
	}
	if ((c = event_copy(ev)))
		ctx->deferred[ctx->ndeferred++] = c;
	else
		drop_for_all(ctx, ev);
}

void hodei__emit_deferred(hodei_ctx *ctx)
{
	hodei_event **v = ctx->deferred;
	size_t n = ctx->ndeferred;

	if (!n)
		return;
	/* a callback may open (and flush) transactions of its own meanwhile */
	ctx->deferred = NULL;
	ctx->ndeferred = ctx->deferred_cap = 0;
	for (size_t i = 0; i < n; i++) {
		emit_now(ctx, v[i]);
		hodei_event_free(v[i]);
	}
	if (!ctx->deferred) {
		ctx->deferred = v;
		ctx->deferred_cap = n;
	} else {
		free(v);
	}
}

static int sub_open_on_loop(hodei_ctx *ctx, void *arg)
{
	hodei_sub *s = arg;

	s->next = ctx->subs;
	ctx->subs = s;
	return 0;
}

int hodei_sub_open(hodei_sub **out, hodei_ctx *ctx, const hodei_sub_options *opts)
{
	pthread_condattr_t ca;
	hodei_sub *s;
	int rc;

	if ((rc = hodei__enter_out(out, ctx)))
		return rc;
	if (!opts)
		return hodei__arg_null("options");
	if (opts->version == 0 || opts->version > HODEI_SUB_OPTIONS_VERSION)
		return hodei__err(HODEI_EVERSION, "options: unknown version %u", opts->version);
	if (opts->mask & ~(unsigned int)HODEI_EVENT_ALL)
		return hodei__err(HODEI_EINVAL, "mask: unknown event bits 0x%x", opts->mask);
	if (!(s = calloc(1, sizeof(*s))))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	s->ctx = ctx;
	s->mask = opts->mask ? opts->mask : HODEI_EVENT_ALL;
	s->mask |= HODEI_EVENT_OVERFLOW;
	if (opts->job_id && !(s->job_id = strdup(opts->job_id))) {
		free(s);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	s->callback = opts->callback;
	s->userdata = opts->userdata;
	s->max_queued = opts->max_queued ? opts->max_queued : 65536;
	s->fd = -1;
	if (!s->callback && (s->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		free(s->job_id);
		free(s);
		return hodei__err(HODEI_EIO, "eventfd: %s", strerror(errno));
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	hodei__call(ctx, sub_open_on_loop, s);
	*out = s;
	return 0;
}

static void sub_free(hodei_sub *s)
{
	for (size_t i = 0; i < s->len; i++)
		hodei_event_free(s->q[(s->head + i) % s->cap]);
	free(s->q);
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cond);
	free(s->job_id);
	free(s);
}

static int sub_close_on_loop(hodei_ctx *ctx, void *arg)
{
	hodei_sub *s = arg;

	if (ctx->emitting) { /* an emit loop holds it (or its neighbour) */
		s->closed = true;
		ctx->subs_dead = true;
		return 0;
	}
	for (hodei_sub **pp = &ctx->subs; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	sub_free(s);
	return 0;
}

void hodei_sub_close(hodei_sub *s)
{
	if (s)
		hodei__call(s->ctx, sub_close_on_loop, s);
}

void hodei__subs_close_all(hodei_ctx *ctx)
{
	while (ctx->subs) {
		hodei_sub *s = ctx->subs;

		ctx->subs = s->next;
		sub_free(s);
	}
	for (size_t i = 0; i < ctx->ndeferred; i++)
		hodei_event_free(ctx->deferred[i]);
	free(ctx->deferred);
	ctx->deferred = NULL;
	ctx->ndeferred = ctx->deferred_cap = 0;
}

int hodei_sub_fd(hodei_sub *s)
{
	return s ? s->fd : -1;
}

int hodei_sub_next(hodei_sub *s, hodei_event **out)
{
	int rc = HODEI_EAGAIN;

	hodei__err_clear();
	if (!out)
		return hodei__arg_null("out");
	*out = NULL;
	if (!s)
		return hodei__arg_null("sub");
	pthread_mutex_lock(&s->mu);
	/* events were dropped (full queue, or out of memory when they came):
	 * the OVERFLOW goes after what the queue holds, and now if it is empty */
	if (s->dropping && s->len < s->max_queued && push_overflow(s) && s->len == 0)
		rc = hodei__err(HODEI_ENOMEM, "out of memory");
	if (s->len > 0) {
		*out = s->q[s->head];
		s->head = (s->head + 1) % s->cap;
		s->len--;
		rc = 0;
	}
	if (s->len == 0 && s->fd >= 0 && !s->dropping) {
		uint64_t v;

		if (read(s->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			rc = rc ? rc : 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int hodei_sub_wait(hodei_sub *s, int64_t timeout_ms)
{
	struct timespec deadline;
	int rc = 0;

	hodei__err_clear();
	if (!s)
		return hodei__arg_null("sub");
	if (!s->ctx->own_base || s->callback)
		return hodei__err(HODEI_EINVAL, "hodei_sub_wait: needs an own-loop context and a"
		                                " queue subscription");
	hodei__deadline(&deadline, timeout_ms >= 0 ? timeout_ms : 0);
	pthread_mutex_lock(&s->mu);
	while (s->len == 0 && !s->dropping && rc == 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&s->cond, &s->mu);
		else if (pthread_cond_timedwait(&s->cond, &s->mu, &deadline) == ETIMEDOUT)
			rc = s->len || s->dropping ? 0 : hodei__err(HODEI_ETIMEDOUT, "no event within %lld ms",
			                             (long long)timeout_ms);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}
