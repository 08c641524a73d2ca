/*
 * One job process: started by spawn.c into its own process group,
 * stdout/stderr on pipes split into lines, exit noticed through a pidfd,
 * timeout and cancel by SIGTERM then SIGKILL to the whole group, and the
 * rest of what it started killed by contain.c.  See process.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "internal.h"

#define DRAIN_GRACE_MS 2000 /* pipes held open by escaped children */
#define READ_CHUNK 65536

typedef struct pipe_state {
	struct hodei_process *proc;
	int fd;
	int stream;
	struct event *ev;
	hodei__linebuf lb;
} pipe_state;

struct hodei_process {
	struct event_base *base;
	hodei_process_callbacks cb;
	void *ud;
	pid_t pid;
	int pidfd;
	struct event *exit_ev;
	struct event *timeout_ev;
	struct event *kill_ev;
	struct event *drain_ev;
	pipe_state out, err;
	hodei__contain box;
	int64_t kill_grace_ms;
	bool exited, timed_out, cancelled, finished, freed;
	int wait_errno; /* wait4 failed (ECHILD: someone else reaped it): status unknown */
	int busy;
	int status;
	struct rusage ru;
};

static const char default_path[] = "/usr/local/bin:/usr/bin:/bin";

static const char *env_path(const hodei_run_request *req)
{
	for (size_t i = 0; req->envp && req->envp[i]; i++)
		if (strncmp(req->envp[i], "PATH=", 5) == 0)
			return req->envp[i] + 5;
	return default_path;
}

/* Resolve argv[0] against the job's PATH (not the host's). */
static int resolve(const hodei_run_request *req, char **out)
{
	const char *prog = req->argv[0], *p = env_path(req);
	struct stat sb;

	if (strchr(prog, '/')) {
		if (access(prog, X_OK) != 0 || stat(prog, &sb) != 0 || S_ISDIR(sb.st_mode))
			return hodei__err(HODEI_ENOTFOUND, "command: '%s' is not an executable file: %s",
			                  prog, errno ? strerror(errno) : "is a directory");
		if (!(*out = strdup(prog)))
			return hodei__err(HODEI_ENOMEM, "out of memory");
		return 0;
	}
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char *cand = hodei__sprintf("%.*s/%s", (int)n, n ? p : ".", prog);

		if (!cand)
			return hodei__err(HODEI_ENOMEM, "out of memory");
		if ( access(cand, X_OK) == 0 && stat(cand, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
			*out = cand;
			return 0;
		}
		free(cand);
		p += n + (colon ? 1 : 0);
	}
	return hodei__err(HODEI_ENOTFOUND, "command: '%s' not found in PATH (%s)", prog,
	                  env_path(req));
}

static void maybe_free(hodei_process *p);

/* Field 22 of /proc/PID/stat: tells a pid apart from a later reuse of it. */
int64_t hodei__proc_starttime(int pid)
{
	char path[64], buf[1024];
	ssize_t n;
	char *p;
	long long start = 0;
	int fd;

	/* open/read/close: no stdio buffer, it runs once per job */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (!(p = strrchr(buf, ')')))
		return 0;
	/* the space before field k is the (k-2)th after ')'; starttime is field 22 */
	for (int field = 3; field <= 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoll(p + 1, NULL, 10);
	return start;
}

static void finish(hodei_process *p)
{
	hodei_run_result res = HODEI_RUN_RESULT_INIT;

	if (p->finished || !p->exited || p->out.fd >= 0 || p->err.fd >= 0)
		return;
	p->finished = true;
	if (p->wait_errno)
		res.error = p->wait_errno == ECHILD
			? "its exit status was taken by another waiter (ECHILD: is SIGCHLD ignored?)"
			: "its exit status could not be read";
	else if (WIFEXITED(p->status))
		res.exit_code = WEXITSTATUS(p->status);
	else if (WIFSIGNALED(p->status))
		res.term_signal = WTERMSIG(p->status);
	res.timed_out = p->timed_out;
	res.cancelled = p->cancelled;
	res.cpu_time_us = (int64_t)p->ru.ru_utime.tv_sec * 1000000 + p->ru.ru_utime.tv_usec +
	                  (int64_t)p->ru.ru_stime.tv_sec * 1000000 + p->ru.ru_stime.tv_usec;
	res.max_rss_kb = p->ru.ru_maxrss;
	if (p->timeout_ev)
		event_del(p->timeout_ev);
	if (p->kill_ev)
		event_del(p->kill_ev);
	if (p->drain_ev)
		event_del(p->drain_ev);
	if (p->cb.on_exit)
		p->cb.on_exit(p->ud, &res);
}

static void emit_line(void *ud, const char *text, size_t len, unsigned int flags)
{
	pipe_state *ps = ud;
	hodei_process *p = ps->proc;

	if (p->freed || !p->cb.on_line)
		return;
	p->busy++;
	p->cb.on_line(p->ud, ps->stream, hodei__now_us(), text, len, flags);
	p->busy--;
}

static void close_pipe(pipe_state *ps)
{
	if (ps->fd < 0)
		return;
	hodei__linebuf_finish(&ps->lb, emit_line, ps);
	event_free(ps->ev);
	ps->ev = NULL;
	close(ps->fd);
	ps->fd = -1;
}

static void on_pipe(evutil_socket_t fd, short what, void *arg)
{
	pipe_state *ps = arg;
	hodei_process *p = ps->proc;
	char buf[READ_CHUNK];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	p->busy++;
	if (n > 0) {
		hodei__linebuf_feed(&ps->lb, buf, (size_t)n, emit_line, ps);
	} else {
		close_pipe(ps);
		finish(p);
	}
	p->busy--;
	maybe_free(p);
}

static void signal_group(hodei_process *p, int sig)
{
	if (kill(-p->pid, sig) != 0 && errno == ESRCH && !p->exited)
		kill(p->pid, sig);
}

static void on_kill(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	signal_group(arg, SIGKILL);
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	hodei_process *p = arg;

	(void)fd;
	(void)what;
	p->busy++;
	close_pipe(&p->out);
	close_pipe(&p->err);
	finish(p);
	p->busy--;
	maybe_free(p);
}

static void on_exit_ready(evutil_socket_t fd, short what, void *arg)
{
	hodei_process *p = arg;
	struct timeval tv = { DRAIN_GRACE_MS / 1000, (DRAIN_GRACE_MS % 1000) * 1000 };
	pid_t r = wait4(p->pid, &p->status, WNOHANG, &p->ru);

	(void)fd;
	(void)what;
	if (r == 0 || (r < 0 && errno == EINTR))
		return;
	p->wait_errno = r < 0 ? errno : 0;
	p->exited = true;
	event_del(p->exit_ev);
	/* the job is its group: whatever it left behind goes with it */
	kill(-p->pid, SIGKILL);
	hodei__contain_end(&p->box, p->pid);
	if (p->out.fd >= 0 || p->err.fd >= 0)
		event_add(p->drain_ev, &tv);
	p->busy++;
	finish(p);
	p->busy--;
	maybe_free(p);
}

static void start_kill(hodei_process *p)
{
	struct timeval tv = { p->kill_grace_ms / 1000, (p->kill_grace_ms % 1000) * 1000 };

	if (p->exited)
		return;
	signal_group(p, SIGTERM);
	event_add(p->kill_ev, &tv);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	hodei_process *p = arg;

	(void)fd;
	(void)what;
	p->timed_out = true;
	start_kill(p);
}

void hodei_process_cancel(hodei_process *p)
{
	if (!p || p->exited || p->cancelled)
		return;
	p->cancelled = true;
	start_kill(p);
}

int hodei_process_pid(hodei_process *p)
{
	return p ? p->pid : -1;
}

static void really_free(hodei_process *p)
{
	if (!p->exited && p->pid > 0) {
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		hodei__contain_end(&p->box, p->pid);
	}
	for (pipe_state *ps = &p->out; ps; ps = ps == &p->out ? &p->err : NULL) {
		if (ps->ev)
			event_free(ps->ev);
		if (ps->fd >= 0)
			close(ps->fd);
		hodei__linebuf_free(&ps->lb);
	}
	if (p->exit_ev)
		event_free(p->exit_ev);
	if (p->timeout_ev)
		event_free(p->timeout_ev);
	if (p->kill_ev)
		event_free(p->kill_ev);
	if (p->drain_ev)
		event_free(p->drain_ev);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
}

static void maybe_free(hodei_process *p)
{
	if (p->freed && p->busy == 0)
		really_free(p);
}

void hodei_process_free(hodei_process *p)
{
	if (!p || p->freed)
		return;
	p->freed = true;
	maybe_free(p);
}

static int check_workdir(const hodei_run_request *req)
{
	struct stat sb;

	if (!req->workdir || !*req->workdir)
		return 0;
	if (stat(req->workdir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return hodei__err(HODEI_EIO, "workdir: '%s' is not a directory", req->workdir);
	return 0;
}

static int spawn(hodei_process *p, const hodei_run_request *req, const char *path, int out[2],
                 int err[2])
{
	hodei__spawn_plan plan = { 0 };
	int rc;

	plan.path = path;
	plan.argv = (char *const *)req->argv;
	plan.envp = (char *const *)req->envp;
	plan.workdir = req->workdir;
	plan.out_fd = out[1];
	plan.err_fd = err[1];
	rc = hodei__contain_prepare(&p->box, &plan);
	if (rc == 0) {
		hodei__contain_lock();
		rc = hodei__spawn(&p->pid, &plan);
		hodei__contain_started(&plan, rc == 0 ? p->pid : -1);
		hodei__contain_unlock();
		if (rc != 0)
			hodei__contain_end(&p->box, -1);
	}
	close(out[1]);
	close(err[1]);
	if (rc != 0) {
		close(out[0]);
		close(err[0]);
	}
	return rc;
}

static void init_pipe(hodei_process *p, pipe_state *ps, int fd, int stream)
{
	ps->proc = p;
	ps->fd = fd;
	ps->stream = stream;
	hodei__linebuf_init(&ps->lb, HODEI_LOG_LINE_MAX);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ps->ev = event_new(p->base, fd, EV_READ | EV_PERSIST, on_pipe, ps);
	event_add(ps->ev, NULL);
}

int hodei_process_spawn(hodei_process **out, struct event_base *base,
                        const hodei_run_request *req, const hodei_process_callbacks *cb,
                        void *ud)
{
	hodei_process *p;
	char *path = NULL;
	int po[2], pe[2], rc;

	hodei__err_clear();
	if (!out)
		return hodei__arg_null("out");
	*out = NULL;
	if (!base)
		return hodei__arg_null("base");
	if (!cb)
		return hodei__arg_null("callbacks");
	if (!req || !req->argv || !req->argv[0] || !*req->argv[0])
		return hodei__err(HODEI_EINVAL, "argv: empty");
	if ((rc = check_workdir(req)) || (rc = resolve(req, &path)))
		return rc;
	if (pipe2(po, O_CLOEXEC) != 0) {
		free(path);
		return hodei__err(HODEI_EIO, "pipe: %s", strerror(errno));
	}
	if (pipe2(pe, O_CLOEXEC) != 0) {
		close(po[0]);
		close(po[1]);
		free(path);
		return hodei__err(HODEI_EIO, "pipe: %s", strerror(errno));
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		free(path);
		return hodei__err(HODEI_ENOMEM, "out of memory");
	}
	p->base = base;
	p->cb = *cb;
	p->ud = ud;
	p->pidfd = -1;
	p->out.fd = p->err.fd = -1;
	p->kill_grace_ms = req->kill_grace_ms > 0 ? req->kill_grace_ms : 5000;
	rc = spawn(p, req, path, po, pe);
	free(path);
	if (rc) {
		free(p);
		return rc;
	}
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	/* ESRCH: it exited and someone else reaped it already (SIGCHLD ignored):
	 * a run that ended, whose status wait4 reports as lost (ECHILD) */
	bool reaped_elsewhere = p->pidfd < 0 && errno == ESRCH;
	if (p->pidfd < 0 && !reaped_elsewhere) {
		rc = hodei__err(HODEI_EIO, "pidfd_open: %s (Linux 5.3 or later is needed)",
		                strerror(errno));
		close(po[0]);
		close(pe[0]);
		p->freed = true;
		really_free(p);
		return rc;
	}
	init_pipe(p, &p->out, po[0], HODEI_STREAM_STDOUT);
	init_pipe(p, &p->err, pe[0], HODEI_STREAM_STDERR);
	p->exit_ev = reaped_elsewhere
	             ? event_new(base, -1, 0, on_exit_ready, p)
	             : event_new(base, p->pidfd, EV_READ | EV_PERSIST, on_exit_ready, p);
	p->kill_ev = evtimer_new(base, on_kill, p);
	p->drain_ev = evtimer_new(base, on_drain, p);
	event_add(p->exit_ev, NULL);
	if (reaped_elsewhere)
		event_active(p->exit_ev, EV_TIMEOUT, 0); /* its end, from the loop as usual */
	if (req->timeout_ms > 0) {
		struct timeval tv = { req->timeout_ms / 1000, (req->timeout_ms % 1000) * 1000 };

		p->timeout_ev = evtimer_new(base, on_timeout, p);
		event_add(p->timeout_ev, &tv);
	}
	*out = p;
	return 0;
}
