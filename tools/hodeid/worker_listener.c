/*
 * The worker socket: a unix socket in the data directory
 * (<data-dir>/agent/agent.sock) that serves only the worker protocol
 * (hodei.WorkerAgentService's public methods) and health.  The docker
 * provider bind-mounts its directory into each container, so agents there
 * reach hodeid without any network path to the API: a container needs no
 * route to the host, and a job that finds the socket can queue nothing.
 * The directory is 0700 and the socket 0600, both hodeid's user's: a job
 * running as another user without capabilities cannot even connect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/listener.h>

#include "hodeid.h"

int worker_listener_allows(const char *path)
{
	static const char health[] = "/grpc.health.v1.Health/";
	if (strncmp(path, health, sizeof health - 1) == 0)
		return 1;
	return worker_protocol_method(path); /* not ListWorkers: that is the API */
}

int worker_protocol_method(const char *path)
{
	static const char worker[] = "/hodei.WorkerAgentService/";
	const hodeid_method *m = strncmp(path, worker, sizeof worker - 1) == 0
	                             ? hodeid_method_find(path) : NULL;
	return m && (m->flags & M_PUBLIC);
}

static int bind_socket(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path); /* a previous hodeid's */
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 || chmod(path, 0600) != 0 ||
	    listen(fd, 64) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int worker_listener_open(hodeid *d)
{
	char dir[4096], *abs = realpath(d->cfg.data_dir, NULL);
	if (!abs) {
		LOG_ERROR("data directory %s: %s", d->cfg.data_dir, strerror(errno));
		return -1;
	}
	/* absolute: dockerd resolves the bind mount's source on its own */
	snprintf(dir, sizeof dir, "%s/agent", abs);
	free(abs);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		LOG_ERROR("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	chmod(dir, 0700);
	if (asprintf(&d->worker_socket, "%s/agent.sock", dir) < 0) {
		d->worker_socket = NULL;
		return -1;
	}
	int fd = bind_socket(d->worker_socket);
	if (fd < 0 || !(d->worker_listener = grpc_listen_socket(d, fd))) {
		LOG_ERROR("worker socket %s: %s", d->worker_socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(d->worker_socket);
		d->worker_socket = NULL;
		return -1;
	}
	/* what the docker provider mounts into its containers */
	setenv("HODEI_AGENT_SOCKET", d->worker_socket, 1);
	return 0;
}

void worker_listener_close(hodeid *d)
{
	if (d->worker_listener)
		evconnlistener_free(d->worker_listener);
	d->worker_listener = NULL;
	if (d->worker_socket)
		unlink(d->worker_socket);
	free(d->worker_socket);
	d->worker_socket = NULL;
}
