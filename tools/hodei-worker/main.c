/* hodei-worker: flags, environment and signals around the agent. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <event2/event.h>

#include <hodei/hodei.h>

#include "agent.h"

static const char usage[] =
	"Usage: hodei-worker [OPTION]...\n"
	"Run jobs for a Hodei server: register, keep one stream open, run what it\n"
	"assigns, stream the output back.\n"
	"\n"
	"  -s, --server ADDR        hodeid's gRPC address host:port (HODEI_SERVER;\n"
	"                           localhost:50051), https://host:port for TLS: the\n"
	"                           server is verified before any token is sent\n"
	"      --cacert FILE        the CA (PEM) that issued hodeid's certificate\n"
	"                           (HODEI_CA_FILE; else the system's trust store)\n"
	"      --tls-cert FILE      this worker's client certificate, for a server that\n"
	"                           requires mutual TLS (HODEI_TLS_CERT)\n"
	"      --tls-key FILE       its private key (HODEI_TLS_KEY)\n"
	"      --token-file FILE    one-time worker token from FILE (or\n"
	"                           HODEI_WORKER_TOKEN), issued by a provider\n"
	"      --join-token-file FILE  join token of static pools from FILE (or\n"
	"                           HODEI_JOIN_TOKEN); the agent then reconnects\n"
	"                           and registers again whenever the server is back\n"
	"  -n, --name NAME          worker name (HODEI_WORKER_NAME; the host name)\n"
	"  -p, --pool NAME          static pool to join (HODEI_WORKER_POOL; pool)\n"
	"      --heartbeat SECONDS  heartbeat at least this often (HODEI_HEARTBEAT_INTERVAL;\n"
	"                           the server's interval if that is shorter)\n"
	"      --worker-timeout SECONDS  kill the job and reconnect after this long\n"
	"                           without word from the server (HODEI_WORKER_TIMEOUT;\n"
	"                           the server's lease if that is shorter)\n"
	"      --once               exit at the first disconnect instead of reconnecting\n"
	"  -v, --verbose            log each job\n"
	"  -h, --help               this help\n"
	"  -V, --version            print the version\n"
	"\n"
	"Exit status: 0 when released by the server or stopped by SIGTERM, 1 when\n"
	"the connection is lost for good, 2 for usage errors, 3 when the token is\n"
	"refused or the server's certificate does not verify.  See hodei-worker(8).\n";

/* Out of memory at start-up: a clean error and exit, never a token taken
 * for missing. */
static char *strdup_or_exit(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		fputs("hodei-worker: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

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
		return buf[0] ? strdup_or_exit(buf) : NULL;
	}
	const char *v = getenv(env);
	return v && *v ? strdup_or_exit(v) : NULL;
}

/*
 * unsetenv() does not change /proc/PID/environ, which a job running as the
 * same user could read.  So an agent started with a token in its
 * environment starts again without it, and reads the tokens from a pipe
 * (--secrets-fd, for its own use): lines "W<worker token>" and "J<join token>".
 */
static void reexec_without_tokens(char **argv)
{
	const char *w = getenv("HODEI_WORKER_TOKEN"), *j = getenv("HODEI_JOIN_TOKEN");
	int fds[2];
	char fdarg[16];
	if ((!w || !*w) && (!j || !*j))
		return;
	if (pipe(fds) != 0)
		goto fail;
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	dprintf(fds[1], "W%s\nJ%s\n", w ? w : "", j ? j : "");
	close(fds[1]);
	unsetenv("HODEI_WORKER_TOKEN");
	unsetenv("HODEI_JOIN_TOKEN");
	size_t n = 0;
	while (argv[n])
		n++;
	char **args = calloc(n + 3, sizeof *args);
	if (!args)
		goto fail;
	snprintf(fdarg, sizeof fdarg, "%d", fds[0]);
	args[0] = argv[0];
	args[1] = "--secrets-fd";
	args[2] = fdarg;
	for (size_t i = 1; i < n; i++)
		args[i + 2] = argv[i];
	execv("/proc/self/exe", args);
fail:
	fprintf(stderr, "hodei-worker: cannot start again without the tokens in the environment: "
	                "%s\n", strerror(errno));
	exit(1);
}

/* The tokens that reexec_without_tokens() passed on. */
static void read_secrets_fd(const char *arg, char **worker, char **join)
{
	char buf[2 * 4096 + 8];
	int fd = (int)strtol(arg, NULL, 10);
	size_t len = 0;
	ssize_t got;
	while (len < sizeof buf - 1 && (got = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)got;
	close(fd);
	buf[len] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char **to = line[0] == 'W' ? worker : line[0] == 'J' ? join : NULL;
		if (to && line[1] && !*to)
			*to = strdup_or_exit(line + 1);
	}
	explicit_bzero(buf, sizeof buf);
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

static int64_t seconds_ms(const char *text, const char *what)
{
	char *end;
	long v = text ? strtol(text, &end, 10) : 0;
	if (!text)
		return 0;
	if (*end || v < 1 || v > 3600) {
		fprintf(stderr, "hodei-worker: %s: expected 1-3600 seconds, got '%s'\n", what, text);
		exit(2);
	}
	return v * 1000LL;
}

/* Refuse a timeout that healthy heartbeats could miss (as hodeid does). */
static void check_timing(const agent_config *cfg)
{
	int64_t hb = cfg->heartbeat_ms ? cfg->heartbeat_ms : 5000;
	if (cfg->timeout_ms && cfg->timeout_ms < AGENT_TIMEOUT_MIN_HEARTBEATS * hb) {
		fprintf(stderr, "hodei-worker: the worker timeout (--worker-timeout, "
		                "HODEI_WORKER_TIMEOUT: %lld s) must be at least %d times the heartbeat "
		                "interval (--heartbeat, HODEI_HEARTBEAT_INTERVAL: %lld s)\n",
		        (long long)(cfg->timeout_ms / 1000), AGENT_TIMEOUT_MIN_HEARTBEATS,
		        (long long)(hb / 1000));
		exit(2);
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	agent_log("info", "stopping on signal %d", (int)sig);
	agent_stop();
}

int main(int argc, char **argv)
{
	enum { O_TOKEN = 256, O_JOIN, O_ONCE, O_HB, O_WT, O_SECRETS, O_CACERT, O_TLSCERT, O_TLSKEY };
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'},
		{"token-file", required_argument, NULL, O_TOKEN},
		{"join-token-file", required_argument, NULL, O_JOIN},
		{"name", required_argument, NULL, 'n'},
		{"pool", required_argument, NULL, 'p'},
		{"once", no_argument, NULL, O_ONCE},
		{"secrets-fd", required_argument, NULL, O_SECRETS},
		{"heartbeat", required_argument, NULL, O_HB},
		{"worker-timeout", required_argument, NULL, O_WT},
		{"cacert", required_argument, NULL, O_CACERT},
		{"tls-cert", required_argument, NULL, O_TLSCERT},
		{"tls-key", required_argument, NULL, O_TLSKEY},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	if (argc > 1 && strcmp(argv[1], "--job-guard") == 0)
		return guard_main(argc, argv); /* before anything else: this is a job */
	reexec_without_tokens(argv);
	/* Jobs run as our user: they must not read our memory (the tokens) through
	 * /proc/PID/mem or ptrace; this also makes /proc/PID/environ root's. */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_NAME, "hodei-worker"); /* not "exe", after reexec_without_tokens() */
	agent_config cfg = {0};
	const char *token_file = NULL, *join_file = NULL;
	char *fd_token = NULL, *fd_join = NULL;
	cfg.server = env_or("HODEI_SERVER", "localhost:50051");
	cfg.name = env_or("HODEI_WORKER_NAME", NULL);
	cfg.pool = env_or("HODEI_WORKER_POOL", NULL);
	cfg.heartbeat_ms = seconds_ms(env_or("HODEI_HEARTBEAT_INTERVAL", NULL),
	                              "HODEI_HEARTBEAT_INTERVAL");
	cfg.timeout_ms = seconds_ms(env_or("HODEI_WORKER_TIMEOUT", NULL), "HODEI_WORKER_TIMEOUT");
	int c;
	while ((c = getopt_long(argc, argv, "s:n:p:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's': cfg.server = optarg; break;
		case O_TOKEN: token_file = optarg; break;
		case O_JOIN: join_file = optarg; break;
		case 'n': cfg.name = optarg; break;
		case 'p': cfg.pool = optarg; break;
		case O_ONCE: cfg.once = 1; break;
		case O_SECRETS: read_secrets_fd(optarg, &fd_token, &fd_join); break;
		case O_HB: cfg.heartbeat_ms = seconds_ms(optarg, "--heartbeat"); break;
		case O_WT: cfg.timeout_ms = seconds_ms(optarg, "--worker-timeout"); break;
		case O_CACERT: cfg.ca_file = optarg; break;
		case O_TLSCERT: cfg.cert_file = optarg; break;
		case O_TLSKEY: cfg.key_file = optarg; break;
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
	check_timing(&cfg);
	cfg.ca_file = cfg.ca_file ? cfg.ca_file : env_or("HODEI_CA_FILE", NULL);
	cfg.cert_file = cfg.cert_file ? cfg.cert_file : env_or("HODEI_TLS_CERT", NULL);
	cfg.key_file = cfg.key_file ? cfg.key_file : env_or("HODEI_TLS_KEY", NULL);
	if (!cfg.cert_file != !cfg.key_file) {
		fprintf(stderr, "hodei-worker: --tls-cert and --tls-key (HODEI_TLS_CERT, "
		                "HODEI_TLS_KEY) go together\n");
		return 2;
	}
	cfg.token = token_file || !fd_token ? read_secret(token_file, "HODEI_WORKER_TOKEN") : fd_token;
	cfg.join_token = join_file || !fd_join ? read_secret(join_file, "HODEI_JOIN_TOKEN") : fd_join;
	if (!cfg.token && !cfg.join_token) {
		fprintf(stderr, "hodei-worker: a token is needed: HODEI_WORKER_TOKEN or "
		                "HODEI_JOIN_TOKEN (or --token-file / --join-token-file)\n");
		return 2;
	}
	if (cfg.token != fd_token)
		free(fd_token);
	if (cfg.join_token != fd_join)
		free(fd_join);
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
