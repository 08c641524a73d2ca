/*
 * hodei-bench: Hodei embedded (libhodei in-process, own-loop mode) as a
 * system of the peer suite (bench/suite.py), and the benchmark of issue 2.
 *
 *   hodei-bench throughput DB N WORKERS single|batch
 *   hodei-bench latency    DB K BENCHJOB STAMPDIR
 *   hodei-bench mixed      DB BENCHJOB SPECFILE     (lines: "ms priority path")
 *   hodei-bench chatty     DB BENCHJOB N LINES
 *   hodei-bench logs       DB BENCHJOB BYTES OUT (issue 16: one job's output:
 *                                   the same bytes to the file OUT first, then
 *                                   through Hodei; store size; read-back rate)
 *   hodei-bench footprint  DB BENCHJOB N            (prints READY, waits for EOF)
 *   hodei-bench submit     DB N                     (durable submits/s, single and batched)
 *   hodei-bench queued-rss DB N                     (peak RSS holding N queued jobs)
 *   hodei-bench docker-provider DB NAME OPTIONS_JSON MAX_WORKERS
 *                                   (register a docker provider in DB, for hodeid)
 *
 * Results are printed as one JSON object on stdout.
 */
#define _GNU_SOURCE
#include <hodei/hodei.h>
#include <hodei/sys/docker.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "hodei-bench: %s: %s (%s)\n", what, hodei_strerror(rc), hodei_error_last());
	exit(1);
}

static hodei_ctx *open_ctx(const char *db, unsigned workers, unsigned flags)
{
	hodei_ctx_options opts = HODEI_CTX_OPTIONS_INIT;
	hodei_ctx *ctx;
	unlink(db);
	opts.db_path = db;
	opts.local_workers = workers;
	opts.flags = flags;
	int rc = hodei_ctx_open(&ctx, &opts);
	if (rc != 0)
		die(db, rc);
	return ctx;
}

static hodei_sub *open_states(hodei_ctx *ctx)
{
	hodei_sub_options so = HODEI_SUB_OPTIONS_INIT;
	hodei_sub *sub;
	so.mask = HODEI_EVENT_JOB_STATE;
	int rc = hodei_sub_open(&sub, ctx, &so);
	if (rc != 0)
		die("subscribe", rc);
	return sub;
}

static int is_final(int state)
{
	return (HODEI_STATE_BIT(state) & HODEI_STATES_FINAL) != 0;
}

/* Take state events until `want` jobs reached `state` (0: any final state). */
static void await_states(hodei_sub *sub, long want, int state)
{
	long seen = 0;
	while (seen < want) {
		hodei_event *ev;
		if (hodei_sub_next(sub, &ev) != 0) {
			hodei_sub_wait(sub, 1000);
			continue;
		}
		if (state ? ev->state == state : is_final(ev->state))
			seen++;
		hodei_event_free(ev);
	}
}

static void submit_one(hodei_ctx *ctx, const hodei_job_spec *spec, hodei_job_id *id)
{
	int rc = hodei_job_submit(ctx, spec, id);
	if (rc != 0)
		die("submit", rc);
}

static void submit_many(hodei_ctx *ctx, const hodei_job_spec *spec, long n, int batched)
{
	static hodei_job_spec specs[BATCH];
	for (long done = 0; done < n;) {
		long k = batched ? (n - done < BATCH ? n - done : BATCH) : 1;
		if (!batched) {
			submit_one(ctx, spec, NULL);
		} else {
			for (long i = 0; i < k; i++)
				specs[i] = *spec;
			int rc = hodei_job_submit_batch(ctx, specs, (size_t)k, NULL, NULL);
			if (rc != 0)
				die("submit_batch", rc);
		}
		done += k;
	}
}

static int cmd_throughput(const char *db, long n, unsigned workers, int batched)
{
	hodei_ctx *ctx = open_ctx(db, workers, 0);
	hodei_sub *sub = open_states(ctx);
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	spec.command = "true";
	double t0 = now_s();
	submit_many(ctx, &spec, n, batched);
	double t1 = now_s();
	await_states(sub, n, 0);
	double t2 = now_s();
	printf("{\"seconds\": %.6f, \"submit_seconds\": %.6f, \"jobs\": %ld}\n", t2 - t0, t1 - t0, n);
	hodei_sub_close(sub);
	hodei_ctx_close(ctx);
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

static void print_list(const char *name, const double *v, long n, const char *sep)
{
	printf("\"%s\": [", name);
	for (long i = 0; i < n; i++)
		printf("%s%.6f", i ? ", " : "", v[i]);
	printf("]%s", sep);
}

static int cmd_latency(const char *db, long k, const char *benchjob, const char *dir)
{
	hodei_ctx *ctx = open_ctx(db, 1, 0);
	hodei_sub *sub = open_states(ctx);
	double *start = calloc((size_t)k, sizeof *start), *done = calloc((size_t)k, sizeof *done);
	double *ev_start = calloc((size_t)k, sizeof *ev_start);
	for (long i = 0; i < k; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/lat.%ld", dir, i);
		const char *args[] = {"stamp", path};
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
		spec.command = benchjob;
		spec.args = args;
		spec.nargs = 2;
		double t0 = now_s();
		submit_one(ctx, &spec, NULL);
		for (int final = 0; !final;) {
			hodei_event *ev;
			if (hodei_sub_next(sub, &ev) != 0) {
				hodei_sub_wait(sub, 1000);
				continue;
			}
			if (ev->state == HODEI_JOB_RUNNING)
				ev_start[i] = (double)ev->at_us / 1e6 - t0;
			final = is_final(ev->state);
			hodei_event_free(ev);
		}
		done[i] = now_s() - t0;
		start[i] = read_stamp(path) - t0;
	}
	printf("{");
	print_list("start", start, k, ", ");
	print_list("event_start", ev_start, k, ", ");
	print_list("complete", done, k, "}\n");
	hodei_sub_close(sub);
	hodei_ctx_close(ctx);
	return 0;
}

static int cmd_mixed(const char *db, const char *benchjob, const char *specfile)
{
	FILE *f = fopen(specfile, "r");
	if (!f)
		return 1;
	hodei_ctx *ctx = open_ctx(db, 2, 0);
	hodei_sub *sub = open_states(ctx);
	char ms[32], path[4096];
	int prio;
	long n = 0;
	double t0 = now_s();
	while (fscanf(f, "%31s %d %4095s", ms, &prio, path) == 3) {
		const char *args[] = {"sleep", ms, path};
		hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
		spec.command = benchjob;
		spec.args = args;
		spec.nargs = 3;
		spec.priority = prio;
		submit_one(ctx, &spec, NULL);
		n++;
	}
	fclose(f);
	await_states(sub, n, 0);
	printf("{\"seconds\": %.6f, \"jobs\": %ld}\n", now_s() - t0, n);
	hodei_sub_close(sub);
	hodei_ctx_close(ctx);
	return 0;
}

/* Read job `id`'s stored stdout; return how many of the lines 1..want are missing. */
static long count_lost(hodei_ctx *ctx, const char *id, long want)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	long expect = 1;
	q.job_id = id;
	q.limit = 10000;
	for (;;) {
		hodei_log_page *page;
		int rc = hodei_log_read(&page, ctx, &q);
		if (rc != 0)
			die("log_read", rc);
		for (size_t i = 0; i < page->count; i++) {
			const hodei_log_line *l = &page->lines[i];
			if (l->stream == HODEI_STREAM_STDOUT && expect <= want &&
			    strtol(l->text, NULL, 10) == expect)
				expect++;
		}
		int more = page->more && page->count > 0;
		q.after_seq = page->next_seq;
		hodei_log_page_free(page);
		if (!more)
			break;
	}
	return want - (expect - 1);
}

static int cmd_chatty(const char *db, const char *benchjob, long n, const char *lines)
{
	hodei_ctx *ctx = open_ctx(db, 2, 0);
	hodei_sub *sub = open_states(ctx);
	hodei_job_id *ids = calloc((size_t)n, sizeof *ids);
	const char *args[] = {"lines", lines};
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	spec.command = benchjob;
	spec.args = args;
	spec.nargs = 2;
	double t0 = now_s();
	for (long i = 0; i < n; i++)
		submit_one(ctx, &spec, &ids[i]);
	await_states(sub, n, 0);
	long lost = 0;
	for (long i = 0; i < n; i++)
		lost += count_lost(ctx, ids[i].str, strtol(lines, NULL, 10));
	printf("{\"seconds\": %.6f, \"lost\": %ld}\n", now_s() - t0, lost);
	hodei_sub_close(sub);
	hodei_ctx_close(ctx);
	free(ids);
	return 0;
}

static double cpu_s(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/*
 * One job printing BYTES of ordinary log lines.  Baseline: the same job with
 * its stdout on the file OUT (what `cat`/`dd` to a file would cost: the
 * bytes made and written), and `cat OUT > OUT.copy`.  Then Hodei: the job
 * through the pipeline into the store, this process's CPU (libhodei; in
 * hodeid the same code) per 100 MB, the store's size, and every line read
 * back in pages of 10,000.
 */
static int cmd_logs(const char *db, const char *benchjob, const char *bytes, const char *out)
{
	double mb = (double)strtoll(bytes, NULL, 10) / 1e6, t0 = now_s();
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "'%s' text %s > '%s'", benchjob, bytes, out);
	if (system(cmd) != 0)
		die("baseline job", HODEI_ERROR);
	double t_file = now_s() - t0;
	snprintf(cmd, sizeof cmd, "cat '%s' > '%s.copy'", out, out);
	t0 = now_s();
	if (system(cmd) != 0)
		die("cat", HODEI_ERROR);
	double t_cat = now_s() - t0;
	snprintf(cmd, sizeof cmd, "%s.copy", out);
	unlink(cmd);
	long long raw = file_size(out);

	hodei_ctx *ctx = open_ctx(db, 1, 0);
	hodei_sub *sub = open_states(ctx);
	const char *args[] = {"text", bytes};
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job_id id;
	spec.command = benchjob;
	spec.args = args;
	spec.nargs = 2;
	double c0 = cpu_s(RUSAGE_SELF);
	t0 = now_s();
	submit_one(ctx, &spec, &id);
	await_states(sub, 1, 0);
	double t_store = now_s() - t0, cpu = cpu_s(RUSAGE_SELF) - c0;
	hodei_job *job;
	int rc = hodei_job_get(&job, ctx, id.str);
	if (rc)
		die("job", rc);
	long long lines = job->log_lines, lost = job->log_lines_lost, stored = job->log_bytes;
	hodei_job_free(job);

	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	long long read = 0;
	q.job_id = id.str;
	q.limit = 10000;
	t0 = now_s();
	double c1 = cpu_s(RUSAGE_SELF);
	for (;;) {
		hodei_log_page *page;
		if ((rc = hodei_log_read(&page, ctx, &q)))
			die("read", rc);
		read += (long long)page->count;
		int more = page->more;
		q.after_seq = page->next_seq;
		hodei_log_page_free(page);
		if (!more)
			break;
	}
	double t_read = now_s() - t0, cpu_read = cpu_s(RUSAGE_SELF) - c1;
	hodei_sub_close(sub);
	hodei_ctx_close(ctx);
	snprintf(cmd, sizeof cmd, "%s-wal", db);
	long long store = file_size(db) + file_size(cmd);
	printf("{\"raw_bytes\": %lld, \"lines\": %lld, \"lost\": %lld, \"stored_bytes\": %lld,"
	       " \"file_s\": %.3f, \"file_mb_s\": %.1f, \"cat_s\": %.3f, \"cat_mb_s\": %.1f,"
	       " \"hodei_s\": %.3f, \"hodei_mb_s\": %.1f, \"cpu_s_per_100mb\": %.3f,"
	       " \"store_bytes\": %lld, \"store_ratio\": %.3f, \"read_lines\": %lld,"
	       " \"read_s\": %.3f, \"read_cpu_s\": %.3f, \"read_lines_s\": %.0f}\n",
	       raw, lines, lost, stored, t_file, mb / t_file, t_cat, mb / t_cat, t_store,
	       mb / t_store, cpu * 100 / mb, store, (double)store / (double)raw, read, t_read,
	       cpu_read, (double)read / t_read);
	unlink(out);
	return 0;
}

static int cmd_footprint(const char *db, const char *benchjob, long n)
{
	hodei_ctx *ctx = open_ctx(db, 2, 0);
	hodei_sub *sub = open_states(ctx);
	const char *args[] = {"sleep", "3600000", "/dev/null"};
	hodei_job_spec blocker = HODEI_JOB_SPEC_INIT, tiny = HODEI_JOB_SPEC_INIT;
	blocker.command = benchjob;
	blocker.args = args;
	blocker.nargs = 3;
	tiny.command = "true";
	submit_many(ctx, &blocker, 2, 0);
	await_states(sub, 2, HODEI_JOB_RUNNING);
	submit_many(ctx, &tiny, n, 1);
	printf("READY %ld\n", n);
	fflush(stdout);
	char buf[64];
	while (fread(buf, 1, sizeof buf, stdin) > 0)
		;
	hodei_sub_close(sub);
	hodei_ctx_close(ctx);
	return 0;
}

static int cmd_submit(const char *db, long n)
{
	hodei_ctx *ctx = open_ctx(db, 1, HODEI_CTX_NO_LOCAL_PROVIDER);
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	spec.command = "true";
	double t0 = now_s();
	submit_many(ctx, &spec, n, 0);
	double t1 = now_s();
	submit_many(ctx, &spec, n, 1);
	double t2 = now_s();
	printf("{\"single_per_s\": %.1f, \"batched_per_s\": %.1f, \"jobs\": %ld, \"batch\": %d}\n",
	       (double)n / (t1 - t0), (double)n / (t2 - t1), n, BATCH);
	hodei_ctx_close(ctx);
	return 0;
}

static long vm_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static int cmd_queued_rss(const char *db, long n)
{
	hodei_ctx *ctx = open_ctx(db, 1, HODEI_CTX_NO_LOCAL_PROVIDER);
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	spec.command = "true";
	submit_many(ctx, &spec, n, 1);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"jobs\": %ld, \"rss_kb\": %ld, \"peak_rss_kb\": %ld}\n", n, vm_rss_kb(), ru.ru_maxrss);
	hodei_ctx_close(ctx);
	return 0;
}

/* The suite's hodei-docker system: hodeid then runs jobs on this provider. */
static int cmd_docker_provider(const char *db, const char *name, const char *options,
                               long max_workers)
{
	hodei_ctx_options o = HODEI_CTX_OPTIONS_INIT;
	hodei_provider_config pc = HODEI_PROVIDER_CONFIG_INIT;
	hodei_ctx *ctx;
	o.db_path = db;
	o.flags = HODEI_CTX_NO_LOCAL_PROVIDER | HODEI_CTX_IGNORE_ENV;
	pc.name = name;
	pc.type = "docker";
	pc.options_json = options;
	pc.max_workers = (uint32_t)max_workers;
	int rc = hodei_ctx_open(&ctx, &o);
	if (rc != 0)
		die(db, rc);
	rc = hodei_provider_type_register(ctx, hodei_docker_provider_ops());
	if (rc == 0)
		rc = hodei_provider_add(ctx, &pc);
	if (rc != 0)
		die(name, rc);
	hodei_ctx_close(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 2 ? argv[1] : "";
	if (!strcmp(m, "throughput") && argc == 6)
		return cmd_throughput(argv[2], atol(argv[3]), (unsigned)atoi(argv[4]),
		                      !strcmp(argv[5], "batch"));
	if (!strcmp(m, "latency") && argc == 6)
		return cmd_latency(argv[2], atol(argv[3]), argv[4], argv[5]);
	if (!strcmp(m, "mixed") && argc == 5)
		return cmd_mixed(argv[2], argv[3], argv[4]);
	if (!strcmp(m, "chatty") && argc == 6)
		return cmd_chatty(argv[2], argv[3], atol(argv[4]), argv[5]);
	if (!strcmp(m, "logs") && argc == 6)
		return cmd_logs(argv[2], argv[3], argv[4], argv[5]);
	if (!strcmp(m, "footprint") && argc == 5)
		return cmd_footprint(argv[2], argv[3], atol(argv[4]));
	if (!strcmp(m, "submit") && argc == 4)
		return cmd_submit(argv[2], atol(argv[3]));
	if (!strcmp(m, "queued-rss") && argc == 4)
		return cmd_queued_rss(argv[2], atol(argv[3]));
	if (!strcmp(m, "docker-provider") && argc == 6)
		return cmd_docker_provider(argv[2], argv[3], argv[4], atol(argv[5]));
	fprintf(stderr, "usage: see the comment at the top of bench/embedded/hodei-bench.c\n");
	return 2;
}
