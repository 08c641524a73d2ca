/*
 * The machine's process-start ceiling for the tiny-jobs workload: N runs of
 * a program (`true`) with P in flight, each started by posix_spawn and
 * reaped by wait, with no queue, no store and no pipes.  Nothing that starts
 * processes can do better on the same machine; the peer suite reports it as
 * its own row, and issue 16's targets are ratios to it.
 *
 *   spawnloop N P [PROGRAM]     prints {"seconds": S, "jobs": N}
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[1]) : 0, p = argc > 2 ? atol(argv[2]) : 0;
	char *prog = argc > 3 ? argv[3] : "/bin/true";
	char *av[] = { prog, NULL };
	long started = 0, done = 0, running = 0;
	double t0;

	if (n <= 0 || p <= 0) {
		fprintf(stderr, "usage: spawnloop N P [PROGRAM]\n");
		return 2;
	}
	t0 = now_s();
	while (done < n) {
		int status, rc;
		pid_t pid;

		while (running < p && started < n) {
			if ((rc = posix_spawn(&pid, prog, NULL, NULL, av, environ)) != 0) {
				fprintf(stderr, "spawnloop: %s: %s\n", prog, strerror(rc));
				return 1;
			}
			started++;
			running++;
		}
		if (wait(&status) < 0) {
			fprintf(stderr, "spawnloop: wait: %s\n", strerror(errno));
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "spawnloop: %s failed (status %#x)\n", prog, status);
			return 1;
		}
		running--;
		done++;
	}
	printf("{\"seconds\": %.6f, \"jobs\": %ld}\n", now_s() - t0, n);
	return 0;
}
