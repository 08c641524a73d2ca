/*
 * The docker provider against a real dockerd, with the library alone
 * (embedded loop) and fake-agent as the worker agent in the containers.
 * argv[1]: the fake-agent binary.  Each case uses its own provider name, so
 * leaked containers are counted per case.
 */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define AGENT_IMAGE "hodei-test-agent:latest"
#define MiB (1024ULL * 1024)

static const char *fake_agent;

/* Host networking: the fake agent reaches the harness on loopback over TCP (the
 * default network, hodei-workers, has no path there: SECURITY.md). */
static int add_provider(harness *h, const char *name, const char *endpoint,
                        const char *extra_options, uint64_t max_memory)
{
	char opts[1024];
	snprintf(opts, sizeof(opts),
	         "{\"image\":\"" AGENT_IMAGE "\",\"build_image\":true,\"worker_binary\":\"%s\","
	         "\"server\":\"%s\",\"network\":\"host\",\"register_timeout_ms\":20000%s}",
	         fake_agent, h->server, extra_options ? extra_options : "");
	hodei_provider_config c = HODEI_PROVIDER_CONFIG_INIT;
	c.name = name;
	c.type = "docker";
	c.endpoint = endpoint;
	c.max_workers = 4;
	c.max_memory_bytes = max_memory;
	c.options_json = opts;
	return hodei_provider_add(h->ctx, &c);
}

/* A job runs inside a container, its output is logged, the container goes. */
static void t_runs_in_container(void)
{
	harness h;
	long status;
	char *reply = NULL;
	/* Start without the image: the provider builds and loads it itself. */
	h_docker("DELETE", "/images/" AGENT_IMAGE "?force=1", NULL, &status, &reply);
	free(reply);
	CHECK(h_open(&h, "run", 300) == 0);
	CHECK(add_provider(&h, "dkrun", NULL, NULL, 0) == 0);
	CHECK(h_submit(&h, "job-in-docker",
	               "echo hello-from-job; test -f /.dockerenv && echo in-docker; "
	               "grep -q docker /proc/self/cgroup && echo cgroup-docker; echo $HODEI_JOB_ID",
	               "dkrun", 0, 0) == 0);
	int st = h_wait_job(&h, "job-in-docker", 120000);
	char *log = h_log_text(&h, "job-in-docker");
	fprintf(stderr, "job log:\n%s", log);
	CHECK(st == HODEI_JOB_SUCCEEDED);
	CHECK(strstr(log, "hello-from-job"));
	CHECK(strstr(log, "in-docker"));
	CHECK(strstr(log, "cgroup-docker"));
	free(log);
	CHECK(h.agents == 1);
	/* Idle for worker_idle_ms: released, and its container removed. */
	CHECK(h_until(&h, h_no_containers, "dkrun", 60000));
	h_close(&h);
}

/* Jobs with cpu/memory requests get those limits (read from inside). */
static void check_limits(harness *h, const char *id, uint32_t cpu, uint64_t mem)
{
	const char *script =
		"cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || "
		"cat /sys/fs/cgroup/memory.max; "
		"cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max";
	CHECK(h_submit(h, id, script, "dklim", cpu, mem) == 0);
	CHECK(h_wait_job(h, id, 120000) == HODEI_JOB_SUCCEEDED);
	char *log = h_log_text(h, id), want[64];
	fprintf(stderr, "%s limits:\n%s", id, log);
	snprintf(want, sizeof(want), "%llu\n", (unsigned long long)mem);
	CHECK(strstr(log, want));
	snprintf(want, sizeof(want), "%u", cpu * 100); /* quota over a 100 ms period */
	CHECK(strstr(log, want));
	free(log);
}

static void t_limits(void)
{
	harness h;
	CHECK(h_open(&h, "lim", 60000) == 0);
	CHECK(add_provider(&h, "dklim", NULL, ",\"ephemeral\":true", 0) == 0);
	check_limits(&h, "job-small", 500, 64 * MiB);
	/* Ephemeral: that container is gone although the idle timeout is long. */
	CHECK(h_until(&h, h_no_containers, "dklim", 60000));
	check_limits(&h, "job-large", 1500, 96 * MiB);
	CHECK(h_until(&h, h_no_containers, "dklim", 60000));
	CHECK(h.agents == 2);
	h_close(&h);
}

/* Containers a dead process left behind are removed when the provider starts. */
static void t_orphans(void)
{
	long status = 0;
	char *reply = NULL;
	const char *body = "{\"Image\":\"" AGENT_IMAGE "\",\"Entrypoint\":[\"/bin/sleep\",\"600\"],"
	                   "\"Labels\":{\"io.hodei.managed\":\"true\",\"io.hodei.provider\":\"dkorph\","
	                   "\"io.hodei.worker\":\"dkorph-1\"}}";
	CHECK(h_docker("POST", "/containers/create", body, &status, &reply) == 0 && status == 201);
	free(reply);
	CHECK(h_count_containers("dkorph") == 1);
	harness h;
	CHECK(h_open(&h, "orph", 60000) == 0);
	CHECK(add_provider(&h, "dkorph", NULL, NULL, 0) == 0);
	CHECK(h_until(&h, h_no_containers, "dkorph", 30000));
	h_close(&h);
}

/* Bad endpoints and images: a clear provider error, nothing leaked, no job lost. */
static void t_bad_input(void)
{
	harness h;
	CHECK(h_open(&h, "bad", 60000) == 0);
	CHECK(add_provider(&h, "dknosock", "unix:///nonexistent/docker.sock", NULL, 0) == 0);
	CHECK(h_wait_status(&h, "dknosock", HODEI_PROVIDER_UNHEALTHY, "cannot reach Docker", 30000));
	/* An HTTP server that is not Docker: our own agent listener speaks no HTTP,
	 * so use a TCP port with something else: the loopback port of the harness. */
	char endpoint[96];
	snprintf(endpoint, sizeof(endpoint), "tcp://%s", h.server);
	CHECK(add_provider(&h, "dknotdocker", endpoint, NULL, 0) == 0);
	CHECK(h_wait_status(&h, "dknotdocker", HODEI_PROVIDER_UNHEALTHY, "Docker", 30000));

	/* A missing image that we are not asked to build. */
	hodei_provider_config c = HODEI_PROVIDER_CONFIG_INIT;
	c.name = "dknoimage";
	c.type = "docker";
	c.options_json = "{\"image\":\"hodei-no-such-image:0\"}";
	CHECK(hodei_provider_add(h.ctx, &c) == 0);
	CHECK(h_wait_status(&h, "dknoimage", HODEI_PROVIDER_UNHEALTHY, "not found", 30000));

	/* Bad options: the provider does not start (the library logs the field). */
	c.name = "dkbadopt";
	c.options_json = "{\"ephemeral\":\"yes\"}";
	int rc = hodei_provider_add(h.ctx, &c);
	hodei_provider_info *info = NULL;
	CHECK(rc == HODEI_EINVAL || (rc == 0 && hodei_provider_get(&info, h.ctx, "dkbadopt") == 0 &&
	                             info->status == HODEI_PROVIDER_UNHEALTHY));
	hodei_provider_info_free(info);

	/* More memory than the provider offers: the job fails, clearly. */
	CHECK(add_provider(&h, "dksmall", NULL, NULL, 64 * MiB) == 0);
	CHECK(h_submit(&h, "job-too-big", "true", "dksmall", 0, 1024 * MiB) == 0);
	int st = h_wait_job(&h, "job-too-big", 30000);
	fprintf(stderr, "job-too-big: %s\n", hodei_job_state_name(st));
	CHECK(st == HODEI_JOB_FAILED);
	hodei_job *j = NULL;
	CHECK(hodei_job_get(&j, h.ctx, "job-too-big") == 0);
	fprintf(stderr, "job-too-big: %s\n", j->reason ? j->reason : "(no reason)");
	CHECK(j->reason && strstr(j->reason, "memory"));
	hodei_job_free(j);
	CHECK(h_count_containers("dksmall") == 0);
	h_close(&h);
}

/* An image whose entrypoint exits at once: the provider says why, leaks nothing. */
static void t_image_without_agent(void)
{
	hodei_docker_image_options o = HODEI_DOCKER_IMAGE_OPTIONS_INIT;
	o.tag = "hodei-test-noagent:latest";
	o.worker_path = "/bin/false";
	CHECK(hodei_docker_image_build(&o) == 0);
	harness h;
	CHECK(h_open(&h, "noagent", 60000) == 0);
	hodei_provider_config c = HODEI_PROVIDER_CONFIG_INIT;
	c.name = "dknoagent";
	c.type = "docker";
	c.max_workers = 1;
	c.options_json = "{\"image\":\"hodei-test-noagent:latest\"}";
	CHECK(hodei_provider_add(h.ctx, &c) == 0);
	CHECK(h_submit(&h, "job-no-agent", "true", "dknoagent", 0, 0) == 0);
	CHECK(h_wait_status(&h, "dknoagent", HODEI_PROVIDER_UNHEALTHY,
	                    "exited with code 1 before its agent registered", 60000));
	hodei_job *j = NULL;
	CHECK(hodei_job_get(&j, h.ctx, "job-no-agent") == 0);
	CHECK(j->state == HODEI_JOB_QUEUED); /* waits, is not lost */
	hodei_job_free(j);
	CHECK(hodei_job_cancel(h.ctx, "job-no-agent") == 0);
	CHECK(h_until(&h, h_no_containers, "dknoagent", 30000));
	h_close(&h);
}


static bool is_running(harness *h, void *id)
{
	hodei_job *j = NULL;
	bool ok = hodei_job_get(&j, h->ctx, id) == 0 && j->state == HODEI_JOB_RUNNING;
	hodei_job_free(j);
	return ok;
}

static int dockerd_pid(void)
{
	FILE *f = fopen("/var/run/docker.pid", "r");
	int pid = 0;
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

static bool dockerd_gone(harness *h, void *pid)
{
	return kill(*(int *)pid, 0) != 0;
}

/* dockerd stops mid-run: the provider turns Unhealthy, a job queued meanwhile
 * waits, and both jobs complete once it is back (the killed one is retried). */
static void t_dockerd_restart(void)
{
	harness h;
	CHECK(h_open(&h, "restart", 60000) == 0);
	CHECK(add_provider(&h, "dkrestart", NULL, NULL, 0) == 0);
	hodei_job_spec s = HODEI_JOB_SPEC_INIT;
	s.id = "job-during-stop";
	s.command = "sleep 2; echo survived";
	s.flags = HODEI_JOB_SHELL;
	s.provider = "dkrestart";
	s.max_retries = 2;
	hodei_job_id jid;
	CHECK(hodei_job_submit(h.ctx, &s, &jid) == 0);
	CHECK(h_until(&h, is_running, "job-during-stop", 60000));
	int pid = dockerd_pid();
	CHECK(pid > 0);
	CHECK(kill(pid, SIGTERM) == 0);
	CHECK(h_until(&h, dockerd_gone, &pid, 60000));
	CHECK(h_wait_status(&h, "dkrestart", HODEI_PROVIDER_UNHEALTHY, "cannot reach Docker", 60000));
	CHECK(h_submit(&h, "job-while-down", "echo after-restart", "dkrestart", 0, 0) == 0);
	hodei_job *j = NULL;
	CHECK(hodei_job_get(&j, h.ctx, "job-while-down") == 0 && j->state == HODEI_JOB_QUEUED);
	hodei_job_free(j);
	h_need_docker(); /* start it again */
	CHECK(h_wait_status(&h, "dkrestart", HODEI_PROVIDER_ACTIVE, NULL, 60000));
	CHECK(h_wait_job(&h, "job-while-down", 120000) == HODEI_JOB_SUCCEEDED);
	CHECK(h_wait_job(&h, "job-during-stop", 120000) == HODEI_JOB_SUCCEEDED);
	char *log = h_log_text(&h, "job-during-stop");
	CHECK(strstr(log, "survived"));
	free(log);
	h_close(&h);
	CHECK(h_count_containers("dkrestart") == 0);
}

/* The id of the one container of a provider, or "" (static buffer). */
static const char *container_of(const char *provider)
{
	static char id[80];
	char path[256], *reply = NULL;
	long status = 0;
	id[0] = '\0';
	snprintf(path, sizeof(path),
	         "/containers/json?all=1&filters=%%7B%%22label%%22%%3A%%5B%%22io.hodei.provider%%3D"
	         "%s%%22%%5D%%7D",
	         provider);
	if (h_docker("GET", path, NULL, &status, &reply) == 0 && status == 200) {
		const char *p = strstr(reply, "\"Id\":\"");
		if (p)
			snprintf(id, sizeof(id), "%.64s", p + 6);
	}
	free(reply);
	return id;
}

static bool container_gone(harness *h, void *id)
{
	char path[128], *reply = NULL;
	long status = 0;
	snprintf(path, sizeof(path), "/containers/%s/json", (char *)id);
	bool gone = h_docker("GET", path, NULL, &status, &reply) == 0 && status == 404;
	free(reply);
	return gone;
}

/* kill -9 of the process that owns the containers: the next one removes them,
 * and the job that was running is run again to the end. */
static void t_kill9_no_orphans(void)
{
	char db[128];
	snprintf(db, sizeof(db), "/tmp/hodei-dktest-kill9-%d.db", (int)getpid());
	unlink(db);
	int ready[2];
	CHECK(pipe(ready) == 0);
	pid_t child = fork();
	if (child == 0) {
		harness h;
		CHECK(h_open_db(&h, db, 60000) == 0);
		CHECK(add_provider(&h, "dkkill", NULL, NULL, 0) == 0);
		CHECK(h_submit(&h, "job-orphaned", "sleep 3; echo second-run", "dkkill", 0, 0) == 0);
		CHECK(h_until(&h, is_running, "job-orphaned", 60000));
		CHECK(write(ready[1], "r", 1) == 1);
		for (;;)
			event_base_loop(h.base, EVLOOP_ONCE);
	}
	char c;
	close(ready[1]);
	CHECK(read(ready[0], &c, 1) == 1);
	CHECK(kill(child, SIGKILL) == 0);
	waitpid(child, NULL, 0);
	char orphan[80];
	snprintf(orphan, sizeof(orphan), "%s", container_of("dkkill"));
	CHECK(orphan[0]); /* left behind */
	harness h;
	CHECK(h_open_db(&h, db, 300) == 0); /* the provider is stored: it starts again */
	CHECK(h_until(&h, container_gone, orphan, 30000));
	/* The stored provider still names the dead process's address: point it here. */
	char opts[512];
	snprintf(opts, sizeof(opts),
	         "{\"image\":\"" AGENT_IMAGE "\",\"worker_binary\":\"%s\",\"server\":\"%s\","
	         "\"network\":\"host\"}",
	         fake_agent, h.server);
	hodei_provider_config cfg = HODEI_PROVIDER_CONFIG_INIT;
	cfg.name = "dkkill";
	cfg.type = "docker";
	cfg.max_workers = 4;
	cfg.options_json = opts;
	CHECK(hodei_provider_update(h.ctx, &cfg) == 0);
	CHECK(h_wait_job(&h, "job-orphaned", 120000) == HODEI_JOB_SUCCEEDED);
	/* The second attempt's output is stored after the restart recovery. */
	char *log = h_log_text(&h, "job-orphaned");
	fprintf(stderr, "job-orphaned log:\n%s", log);
	CHECK(strstr(log, "second-run"));
	free(log);
	CHECK(h_until(&h, h_no_containers, "dkkill", 60000));
	h_close(&h);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FAKE_AGENT [case]\n", argv[0]);
		return 2;
	}
	fake_agent = argv[1];
	signal(SIGPIPE, SIG_IGN); /* agents go away mid-write; hodeid ignores it too */
	h_need_docker();
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "runs_in_container", t_runs_in_container },
		{ "limits", t_limits },
		{ "orphans", t_orphans },
		{ "bad_input", t_bad_input },
		{ "image_without_agent", t_image_without_agent },
		{ "kill9_no_orphans", t_kill9_no_orphans },
		{ "dockerd_restart", t_dockerd_restart },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (argc > 2 && strcmp(argv[2], cases[i].name) != 0)
			continue;
		fprintf(stderr, "== %s\n", cases[i].name);
		cases[i].fn();
		fprintf(stderr, "ok %s\n", cases[i].name);
	}
	return 0;
}
