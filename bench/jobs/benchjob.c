/*
 * benchjob: the job every system of the peer suite runs, so that all of
 * them are timed by the same clock in the same way.
 *
 *   benchjob stamp FILE       write the wall clock (ns since epoch) to FILE
 *   benchjob sleep MS FILE    sleep MS milliseconds, then write the clock
 *   benchjob lines N          print "1".."N", one per line (like seq N)
 *   benchjob text BYTES       print BYTES of ordinary log lines (a timestamp,
 *                             a level, a request with its id, path, status,
 *                             size and time; pseudo-random, the same each run)
 *
 * FILE is written with one write() to a temporary name and renamed, so a
 * reader never sees a partial stamp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int write_stamp(const char *path, long long ns)
{
	char tmp[4096], buf[32];
	int len = snprintf(buf, sizeof buf, "%lld\n", ns);
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return 1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, (size_t)len) != len || close(fd) != 0) {
		fprintf(stderr, "benchjob: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	return rename(tmp, path) == 0 ? 0 : 1;
}

static int sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		if (errno != EINTR)
			return 1;
	return 0;
}

static int print_lines(long n)
{
	for (long i = 1; i <= n; i++)
		printf("%ld\n", i);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int print_text(long long bytes)
{
	static const char *const levels[] = { "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR" };
	static const char *const paths[] = { "/api/v1/jobs", "/api/v1/jobs/", "/healthz",
	                                     "/api/v1/workers/", "/metrics" };
	unsigned int x = 12345;
	long long done = 0, n = 0;
	char path[64];

	while (done < bytes) {
		x = x * 1103515245u + 12345u;
		const char *p = paths[(x >> 8) % 5];
		if (p[strlen(p) - 1] == '/')
			snprintf(path, sizeof path, "%s%u", p, (x >> 4) % 100000);
		else
			snprintf(path, sizeof path, "%s", p);
		int len = printf("2026-12-08T00:%02lld:%02lld.%06lldZ %-5s request id=%08x %s status=%d"
		                 " bytes=%u in %u ms\n", n / 60000000 % 60, n / 1000000 % 60,
		                 n % 1000000, levels[(x >> 16) % 6], x, path, (x >> 20) % 7 ? 200 : 500,
		                 (x >> 3) % 65536, (x >> 11) % 900);
		if (len < 0)
			return 1;
		done += len;
		n += 37;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "stamp") == 0)
		return write_stamp(argv[2], now_ns());
	if (argc == 4 && strcmp(argv[1], "sleep") == 0) {
		if (sleep_ms(strtol(argv[2], NULL, 10)) != 0)
			return 1;
		return write_stamp(argv[3], now_ns());
	}
	if (argc == 3 && strcmp(argv[1], "lines") == 0)
		return print_lines(strtol(argv[2], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "text") == 0)
		return print_text(strtoll(argv[2], NULL, 10));
	fprintf(stderr, "usage: benchjob stamp FILE | sleep MS FILE | lines N | text BYTES\n");
	return 2;
}
