/* hodei-worker: flags, environment and signals around the agent. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <hodei/hodei.h>

#include "agent.h"

static const char usage[] =
	"Usage: hodei-worker [OPTION]...\n"
	"Run jobs for a Hodei server: register, keep one stream open, run what it\n"
	"assigns, stream the output back.\n"
	"\n"
	"  -s, --server ADDR        hodeid's gRPC address host:port (HODEI_SERVER;\n"
	"                           localhost:50051)\n"
	"      --token-file FILE    one-time worker token from FILE (or\n"
	"                           HODEI_WORKER_TOKEN), issued by a provider\n"
	"      --join-token-file FILE  join token of static pools from FILE (or\n"
	"                           HODEI_JOIN_TOKEN); the agent then reconnects\n"
	"                           and registers again whenever the server is back\n"
	"  -n, --name NAME          worker name (HODEI_WORKER_NAME; the host name)\n"
	"  -p, --pool NAME          static pool to join (HODEI_WORKER_POOL; pool)\n"
	"      --once               exit at the first disconnect instead of reconnecting\n"
	"  -v, --verbose            log each job\n"
	"  -h, --help               this help\n"
	"  -V, --version            print the version\n"
	"\n"
	"Exit status: 0 when released by the server or stopped by SIGTERM, 1 when\n"
	"the connection is lost for good, 2 for usage errors, 3 when the token is\n"
	"refused.  See hodei-worker(8).\n";

static char *read_secret(const char *file, const char *env)
{
	char buf[4096];
	if (file) {
		FILE *f = fopen(file, "r");
		if (!f || !fgets(buf, sizeof buf, f)) {
			fprintf(stderr, "hodei-worker: cannot read %s: %s\n", file, strerror(errno));
			exit(2);
		}
		fclose(f);
		buf[strcspn(buf, "\r\n")] = '\0';
		return buf[0] ? strdup(buf) : NULL;
	}
	const char *v = getenv(env);
	return v && *v ? strdup(v) : NULL;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	agent_log("info", "stopping on signal %d", (int)sig);
	agent_stop();
}

int main(int argc, char **argv)
{
	enum { O_TOKEN = 256, O_JOIN, O_ONCE };
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'},
		{"token-file", required_argument, NULL, O_TOKEN},
		{"join-token-file", required_argument, NULL, O_JOIN},
		{"name", required_argument, NULL, 'n'},
		{"pool", required_argument, NULL, 'p'},
		{"once", no_argument, NULL, O_ONCE},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	agent_config cfg = {0};
	const char *token_file = NULL, *join_file = NULL;
	cfg.server = env_or("HODEI_SERVER", "localhost:50051");
	cfg.name = env_or("HODEI_WORKER_NAME", NULL);
	cfg.pool = env_or("HODEI_WORKER_POOL", NULL);
	int c;
	while ((c = getopt_long(argc, argv, "s:n:p:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's': cfg.server = optarg; break;
		case O_TOKEN: token_file = optarg; break;
		case O_JOIN: join_file = optarg; break;
		case 'n': cfg.name = optarg; break;
		case 'p': cfg.pool = optarg; break;
		case O_ONCE: cfg.once = 1; break;
		case 'v': cfg.verbose = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("hodei-worker %s\n", hodei_version()); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hodei-worker: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	cfg.token = read_secret(token_file, "HODEI_WORKER_TOKEN");
	cfg.join_token = read_secret(join_file, "HODEI_JOIN_TOKEN");
	if (!cfg.token && !cfg.join_token) {
		fprintf(stderr, "hodei-worker: a token is needed: HODEI_WORKER_TOKEN or "
		                "HODEI_JOIN_TOKEN (or --token-file / --join-token-file)\n");
		return 2;
	}
	/* Tokens are for this process only: jobs must not inherit them. */
	unsetenv("HODEI_WORKER_TOKEN");
	unsetenv("HODEI_JOIN_TOKEN");
	signal(SIGPIPE, SIG_IGN);
	if (reaper_start() != 0)
		agent_log("warn", "no reaper: jobs may outlive a killed agent");
	/* Jobs: another user when we are root ('nobody' unless HODEI_JOB_USER), no new
	 * privileges, and nothing of theirs left running (after the reaper: not ours to kill). */
	hodei_process_policy pol = HODEI_PROCESS_POLICY_INIT;
	pol.flags = HODEI_PROCESS_NO_NEW_PRIVS | HODEI_PROCESS_CONTAIN;
	pol.user = env_or("HODEI_JOB_USER", NULL);
	if (hodei_process_policy_set(&pol) != 0) {
		fprintf(stderr, "hodei-worker: HODEI_JOB_USER: %s\n", hodei_error_last());
		return 2;
	}
	struct event_base *base = event_base_new();
	struct event *term = evsignal_new(base, SIGTERM, on_signal, NULL);
	struct event *intr = evsignal_new(base, SIGINT, on_signal, NULL);
	event_add(term, NULL);
	event_add(intr, NULL);
	int rc = agent_run(base, &cfg);
	event_free(term);
	event_free(intr);
	event_base_free(base);
	free((char *)cfg.token);
	free((char *)cfg.join_token);
	return rc;
}
