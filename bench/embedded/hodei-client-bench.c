/*
 * hodei-client-bench: Hodei over gRPC as a system of the peer suite, driven
 * through libhodei's client API on one HTTP/2 connection (the way a program
 * talks to hodeid), so the figures are hodeid's and not a CLI's start-up.
 *
 *   hodei-client-bench tiny    ADDR N
 *   hodei-client-bench latency ADDR K BENCHJOB STAMPDIR
 *   hodei-client-bench mixed   ADDR BENCHJOB SPECFILE   (lines: "ms priority path")
 *   hodei-client-bench chatty  ADDR BENCHJOB N LINES
 *   hodei-client-bench queue   ADDR N                   (queue N `true`, no wait)
 *
 * Results are one JSON object on stdout.  "Done" is the scheduler's queue
 * status reporting nothing queued or running, polled every millisecond.
 *
 * BENCHJOB "-": the workers run where neither bench/jobs/benchjob nor the
 * stamp files are (containers of the docker provider), so the jobs are the
 * worker image's busybox applets and the times come from the server:
 * latency's start is the capture time (microseconds) of the line that
 * `echo started` prints, mixed's finish times are the jobs' finished_at
 * (milliseconds), written to the stamp paths as benchjob would; chatty runs
 * `seq 1 LINES`.
 */
#define _GNU_SOURCE
#include <hodei/client.h>
#include <hodei/hodei.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "hodei-client-bench: %s: %s (%s)\n", what, hodei_strerror(rc),
	        hodei_error_last());
	exit(1);
}

static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static hodei_client *connect_to(const char *addr)
{
	hodei_client *c;
	hodei_client_options opts = HODEI_CLIENT_OPTIONS_INIT;
	opts.token = "";
	int rc = hodei_client_open(&c, addr, &opts);
	if (rc != 0)
		die(addr, rc);
	return c;
}

static void queue(hodei_client *c, const hodei_job_spec *spec, hodei_job_id *id)
{
	int rc = hodei_client_job_queue(c, spec, id);
	if (rc != 0)
		die("queue", rc);
}

static void await_idle(hodei_client *c)
{
	for (;;) {
		hodei_queue_status st = { .version = HODEI_QUEUE_STATUS_VERSION };
		int rc = hodei_client_queue_status(&st, c, NULL);
		if (rc != 0)
			die("queue status", rc);
		if (st.queued == 0 && st.running == 0)
			return;
		pause_ms(1);
	}
}

static hodei_job_spec spec_of(const char *command, const char *const *args, size_t nargs)
{
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	spec.command = command;
	spec.args = args;
	spec.nargs = nargs;
	return spec;
}

static int cmd_tiny(hodei_client *c, long n, int wait)
{
	hodei_job_spec spec = spec_of("true", NULL, 0);
	double t0 = now_s();
	for (long i = 0; i < n; i++)
		queue(c, &spec, NULL);
	double t1 = now_s();
	if (wait)
		await_idle(c);
	printf("{\"seconds\": %.6f, \"submit_seconds\": %.6f}\n", now_s() - t0, t1 - t0);
	return 0;
}

static double read_stamp(const char *path)
{
	FILE *f = fopen(path, "r");
	long long ns = 0;
	if (!f || fscanf(f, "%lld", &ns) != 1)
		ns = 0;
	if (f)
		fclose(f);
	return (double)ns / 1e9;
}

static hodei_job *get_job(hodei_client *c, const char *id)
{
	hodei_job *j;
	int rc = hodei_client_job_get(&j, c, id);
	if (rc != 0)
		die("job get", rc);
	return j;
}

/* Capture time of a job's first stdout line (BENCHJOB "-"); its lines are
 * stored with its outcome, so a final job has it. */
static double first_line_s(hodei_client *c, const char *id)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page;
	q.job_id = id;
	q.limit = 1;
	int rc = hodei_client_log_read(&page, c, &q);
	if (rc != 0)
		die("log read", rc);
	double t = page->count ? (double)page->lines[0].ts_us / 1e6 : 0;
	hodei_log_page_free(page);
	return t;
}

static int cmd_latency(hodei_client *c, long k, const char *job, const char *dir)
{
	int remote = !strcmp(job, "-");
	printf("{\"pairs\": [");
	for (long i = 0; i < k; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/lat.%ld", dir, i);
		const char *args[] = {"stamp", path};
		const char *echo_args[] = {"started"};
		hodei_job_spec spec = remote ? spec_of("echo", echo_args, 1) : spec_of(job, args, 2);
		hodei_job_id id;
		double t0 = now_s();
		queue(c, &spec, &id);
		for (;;) {
			hodei_job *j = get_job(c, id.str);
			int final = (HODEI_STATE_BIT(j->state) & HODEI_STATES_FINAL) != 0;
			hodei_job_free(j);
			if (final)
				break;
			pause_ms(1);
		}
		double t2 = now_s();
		double t1 = remote ? first_line_s(c, id.str) : read_stamp(path);
		printf("%s[%.6f, %.6f]", i ? ", " : "", t1 - t0, t2 - t0);
	}
	printf("]}\n");
	return 0;
}

/* BENCHJOB "-": write each job's finished_at where benchjob would have
 * written its finish time (nanoseconds). */
static void stamp_finish(hodei_client *c, const hodei_job_id *ids, char **paths, long n)
{
	for (long i = 0; i < n; i++) {
		hodei_job *j = get_job(c, ids[i].str);
		FILE *f = fopen(paths[i], "w");
		if (!f)
			die(paths[i], HODEI_EIO);
		fprintf(f, "%lld\n", (long long)j->finished_at * 1000000LL);
		fclose(f);
		hodei_job_free(j);
		free(paths[i]);
	}
}

static int cmd_mixed(hodei_client *c, const char *job, const char *specfile)
{
	FILE *f = fopen(specfile, "r");
	char ms[32], secs[40], path[4096];
	int prio, remote = !strcmp(job, "-");
	long n = 0, cap = 0;
	hodei_job_id *ids = NULL;
	char **paths = NULL;
	if (!f)
		return 1;
	double t0 = now_s();
	while (fscanf(f, "%31s %d %4095s", ms, &prio, path) == 3) {
		const char *args[] = {"sleep", ms, path};
		const char *sleep_args[] = {secs};
		snprintf(secs, sizeof secs, "%.3f", atof(ms) / 1000.0);
		hodei_job_spec spec = remote ? spec_of("sleep", sleep_args, 1) : spec_of(job, args, 3);
		spec.priority = prio;
		if (remote && n == cap) {
			cap = cap ? 2 * cap : 256;
			ids = realloc(ids, (size_t)cap * sizeof *ids);
			paths = realloc(paths, (size_t)cap * sizeof *paths);
			if (!ids || !paths)
				die("mixed", HODEI_ENOMEM);
		}
		queue(c, &spec, remote ? &ids[n] : NULL);
		if (remote)
			paths[n++] = strdup(path);
	}
	fclose(f);
	await_idle(c);
	double t = now_s() - t0;
	stamp_finish(c, ids, paths, n);
	free(ids);
	free(paths);
	printf("{\"seconds\": %.6f}\n", t);
	return 0;
}

static long count_lost(hodei_client *c, const char *id, long want)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	long expect = 1;
	q.job_id = id;
	q.limit = 10000;
	for (;;) {
		hodei_log_page *page;
		int rc = hodei_client_log_read(&page, c, &q);
		if (rc != 0)
			die("log read", rc);
		for (size_t i = 0; i < page->count; i++)
			if (page->lines[i].stream == HODEI_STREAM_STDOUT && expect <= want &&
			    strtol(page->lines[i].text, NULL, 10) == expect)
				expect++;
		int more = page->more && page->count > 0;
		q.after_seq = page->next_seq;
		hodei_log_page_free(page);
		if (!more)
			break;
	}
	return want - (expect - 1);
}

static int cmd_chatty(hodei_client *c, const char *job, long n, const char *lines)
{
	hodei_job_id *ids = calloc((size_t)n, sizeof *ids);
	const char *args[] = {"lines", lines};
	const char *seq_args[] = {"1", lines};
	hodei_job_spec spec = strcmp(job, "-") ? spec_of(job, args, 2) : spec_of("seq", seq_args, 2);
	double t0 = now_s();
	for (long i = 0; i < n; i++)
		queue(c, &spec, &ids[i]);
	await_idle(c);
	long lost = 0;
	for (long i = 0; i < n; i++)
		lost += count_lost(c, ids[i].str, strtol(lines, NULL, 10));
	printf("{\"seconds\": %.6f, \"lost\": %ld}\n", now_s() - t0, lost);
	free(ids);
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 2 ? argv[1] : "";
	if (argc < 3)
		goto usage;
	hodei_client *c = connect_to(argv[2]);
	int rc = 2;
	if (!strcmp(m, "tiny") && argc == 4)
		rc = cmd_tiny(c, atol(argv[3]), 1);
	else if (!strcmp(m, "queue") && argc == 4)
		rc = cmd_tiny(c, atol(argv[3]), 0);
	else if (!strcmp(m, "latency") && argc == 6)
		rc = cmd_latency(c, atol(argv[3]), argv[4], argv[5]);
	else if (!strcmp(m, "mixed") && argc == 5)
		rc = cmd_mixed(c, argv[3], argv[4]);
	else if (!strcmp(m, "chatty") && argc == 6)
		rc = cmd_chatty(c, argv[3], atol(argv[4]), argv[5]);
	hodei_client_close(c);
	if (rc != 2)
		return rc;
usage:
	fprintf(stderr, "usage: see the comment at the top of bench/embedded/hodei-client-bench.c\n");
	return 2;
}
