/*
 * A stand-in for hodei-worker inside a container, for testing the docker
 * provider with the library alone.  It connects to HODEI_SERVER (host:port,
 * TCP), says "HELLO <HODEI_WORKER_TOKEN>", then runs each
 * "RUN <len>\n<script>" with /bin/sh -c, answering "OUT <line>" per output
 * line and "EXIT <code>".  It exits when the server closes the connection.
 * Deliberately tiny and blocking: it is a test double, not the agent.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int connect_to(const char *server)
{
	char host[256];
	const char *colon = strrchr(server, ':');
	if (!colon || (size_t)(colon - server) >= sizeof(host))
		return -1;
	memcpy(host, server, (size_t)(colon - server));
	host[colon - server] = '\0';
	struct addrinfo hints = { 0 }, *ai;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int run(FILE *out, const char *script)
{
	int fds[2];
	if (pipe(fds) != 0)
		return 127;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	char line[4096];
	while (in && fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		fprintf(out, "OUT %s\n", line);
		fflush(out);
	}
	if (in)
		fclose(in);
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void)
{
	const char *server = getenv("HODEI_SERVER");
	const char *token = getenv("HODEI_WORKER_TOKEN");
	if (!server || !token) {
		fprintf(stderr, "fake-agent: HODEI_SERVER and HODEI_WORKER_TOKEN are required\n");
		return 2;
	}
	int fd = connect_to(server);
	if (fd < 0) {
		fprintf(stderr, "fake-agent: cannot connect to %s\n", server);
		return 3;
	}
	FILE *in = fdopen(fd, "r"), *out = fdopen(dup(fd), "w");
	fprintf(out, "HELLO %s\n", token);
	fflush(out);
	char line[256];
	while (fgets(line, sizeof(line), in)) {
		size_t len = 0;
		if (sscanf(line, "RUN %zu", &len) != 1 || len > 1000000)
			continue;
		char *script = calloc(1, len + 1);
		if (!script || fread(script, 1, len, in) != len)
			return 4;
		fprintf(out, "EXIT %d\n", run(out, script));
		fflush(out);
		free(script);
	}
	return 0;
}
