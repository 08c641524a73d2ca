/*
 * hodeid: the Hodei Jobs server.  Flags and environment, the loop, and a
 * graceful stop on SIGTERM: running jobs may end first (--shutdown-grace),
 * then GOAWAY, in-flight calls finish, streams end.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "hodeid.h"
#include "internal.h" /* hodei__parse_int() and the settings' ranges (lib/config.c) */

#ifndef HODEID_WEB_DIR
#define HODEID_WEB_DIR "/usr/local/share/hodei/web"
#endif
#ifndef HODEID_SOURCE_WEB_DIR
#define HODEID_SOURCE_WEB_DIR "web/dist"
#endif

void grpc_close_all(hodeid *d);
void agents_free(hodeid *d);
int hodeid_cmd_image(int argc, char **argv);                                  /* cmd_image.c */
int hodeid_docker_register(hodei_ctx *ctx, const char *grpc_listen, int grpc_port,
                           const char *data_dir);

static const char usage[] =
	"Usage: hodeid [OPTION]...\n"
	"       hodeid image build [OPTION]...   (the worker image; see hodei-docker(7))\n"
	"       hodeid tls init|issue-client ... (a CA and certificates; hodeid tls --help)\n"
	"The Hodei Jobs server: libhodei behind a gRPC API (h2c, or h2 over TLS),\n"
	"gRPC-Web, /metrics and the web dashboard.\n"
	"\n"
	"  -d, --data-dir DIR         job store directory (HODEI_DATA_DIR; ./hodei-data)\n"
	"  -g, --grpc-listen ADDR     gRPC host:port (HODEI_GRPC_LISTEN; 127.0.0.1:50051)\n"
	"  -H, --http-listen ADDR     HTTP host:port, or 'off' (HODEI_HTTP_LISTEN;\n"
	"                             127.0.0.1:8080)\n"
	"  -w, --web-dir DIR          dashboard files (HODEI_WEB_DIR; the installed\n"
	"                             share/hodei/web, else web/dist)\n"
	"      --api-token-file FILE  read the API token from FILE (or HODEI_API_TOKEN);\n"
	"                             required when listening beyond loopback\n"
	"      --tls-cert FILE        serve both ports over TLS (1.2 or newer) with this\n"
	"                             PEM certificate chain (HODEI_TLS_CERT); required\n"
	"                             when listening beyond loopback\n"
	"      --tls-key FILE         its private key (HODEI_TLS_KEY); both files are read\n"
	"                             again on SIGHUP and when they change\n"
	"      --tls-client-ca FILE   mutual TLS: workers on the gRPC port must present a\n"
	"                             certificate issued by this CA (HODEI_TLS_CLIENT_CA)\n"
	"      --insecure-listen      allow listening beyond loopback without TLS\n"
	"                             (HODEI_INSECURE_LISTEN=1): tokens, job environments\n"
	"                             and logs cross the network readable\n"
	"      --join-token-file FILE read the worker join token from FILE (or\n"
	"                             HODEI_JOIN_TOKEN), good for any static pool; without\n"
	"                             join tokens, static pools are closed\n"
	"      --join-tokens-file FILE  join tokens scoped to pools, one 'POOL TOKEN' a\n"
	"                             line (HODEI_JOIN_TOKENS_FILE); read again on SIGHUP\n"
	"      --local-workers N      local provider capacity, 0-4096 (HODEI_LOCAL_WORKERS;\n"
	"                             0: CPUs)\n"
	"      --job-user USER        run local jobs as USER or uid[:gid] (HODEI_JOB_USER;\n"
	"                             'nobody' when hodeid runs as root, else hodeid's user)\n"
	"      --no-local-provider    run jobs on remote workers only\n"
	"      --heartbeat SECONDS    agent heartbeat interval (HODEI_HEARTBEAT_INTERVAL; 5)\n"
	"      --worker-timeout SECONDS  silence before an agent is lost\n"
	"                             (HODEI_WORKER_TIMEOUT; 15)\n"
	"      --public-host NAMES    more Host names the HTTP port answers to, comma-\n"
	"                             separated, NAME or NAME:PORT (HODEI_HTTP_HOSTS)\n"
	"      --dev-origin ORIGIN    allow this origin cross-origin, e.g. Vite's\n"
	"                             http://localhost:5173 (HODEI_DEV_ORIGIN; none)\n"
	"      --protect-metrics      /metrics and reflection need the API token too\n"
	"      --max-connections-per-address N  on each port (HODEI_MAX_CONNS_PER_ADDRESS; 64)\n"
	"      --shutdown-grace SECONDS  on SIGTERM, wait this long for running jobs,\n"
	"                             0-86400 (HODEI_SHUTDOWN_GRACE; 30); jobs still\n"
	"                             running then run again after the restart as the\n"
	"                             same attempt\n"
	"      --count-cap N          a search's total stops at N matches, shown as\n"
	"                             'N+' (HODEI_COUNT_CAP; 10000; 0: exact totals)\n"
	"      --port-file FILE       write the bound ports there (grpc=N, http=N)\n"
	"      --log-level LEVEL      debug, info, warn or error (HODEI_LOG_LEVEL; info)\n"
	"  -h, --help                 this help\n"
	"  -V, --version              print the version\n"
	"\n"
	"Also read from the environment: HODEI_MAX_QUEUE_SIZE (unlimited),\n"
	"HODEI_LOG_RETENTION_DAYS (7), HODEI_SYNC (normal|full), HODEI_MAX_LOG_BYTES\n"
	"(1 GiB per job), HODEI_WORKER_IMAGE, HODEI_JOB_CONTAINMENT (auto|subreaper).\n"
	"Logs go to stderr, one logfmt line per event.  See hodeid(8).\n";

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

/* A copy of a secret; out of memory stops hodeid rather than run without it. */
static char *secret_dup(const char *s)
{
	char *copy = strdup(s);
	if (!copy) {
		fprintf(stderr, "hodeid: out of memory\n");
		exit(1);
	}
	return copy;
}

/* A secret from a file (first line) or the environment; never logged. */
static char *read_secret(const char *file, const char *env)
{
	char buf[4096];
	if (file) {
		FILE *f = fopen(file, "r");
		if (!f || !fgets(buf, sizeof buf, f)) {
			fprintf(stderr, "hodeid: cannot read %s: %s\n", file, strerror(errno));
			exit(2);
		}
		struct stat st;
		if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
			fprintf(stderr, "hodeid: warning: %s is readable by others (mode %04o): "
			                "chmod 600 it\n", file, (unsigned)(st.st_mode & 0777));
		fclose(f);
		buf[strcspn(buf, "\r\n")] = '\0';
		return buf[0] ? secret_dup(buf) : NULL;
	}
	const char *v = getenv(env);
	return v && *v ? secret_dup(v) : NULL;
}

/*
 * A numeric flag or variable, by the library's parser (lib/config.c): a flag
 * and its HODEI_* variable take the same text and give the same message.
 */
static int64_t parse_number(const char *name, const char *text, int64_t min, int64_t max)
{
	int64_t v;
	if (hodei__parse_int(name, text, min, max, &v) != 0) {
		fprintf(stderr, "hodeid: %s\n", hodei_error_last());
		exit(2);
	}
	return v;
}

static int64_t parse_seconds_ms(const char *name, const char *text)
{
	return 1000 * parse_number(name, text, 1, 3600);
}

static unsigned int parse_count(const char *text, const char *what)
{
	return (unsigned int)parse_number(what, text, 1, 65536);
}

static int parse_level(const char *text)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++)
		if (strcmp(text, names[i]) == 0)
			return HODEI_DIAG_DEBUG + i;
	fprintf(stderr, "hodeid: --log-level: expected debug, info, warn or error\n");
	exit(2);
}

/* 127.0.0.0/8, ::1 and localhost. */
static int is_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strncmp(addr, "[::1]:", 6) == 0 ||
	       strncmp(addr, "localhost:", 10) == 0;
}

static const char *default_web_dir(void)
{
	struct stat st;
	if (stat(HODEID_WEB_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return HODEID_WEB_DIR;
	return HODEID_SOURCE_WEB_DIR;
}

static void parse_args(hodeid_config *cfg, int argc, char **argv)
{
	enum { O_API = 256, O_JOIN, O_JOINS, O_LOCAL, O_NOLOCAL, O_HB, O_WT, O_PORTS, O_LEVEL, O_HOSTS,
	       O_DEV, O_PROTECT, O_PERPEER, O_JOBUSER, O_GRACE, O_TLSCERT, O_TLSKEY, O_TLSCA,
	       O_INSECURE, O_COUNTCAP };
	static const struct option longopts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"grpc-listen", required_argument, NULL, 'g'},
		{"http-listen", required_argument, NULL, 'H'},
		{"web-dir", required_argument, NULL, 'w'},
		{"api-token-file", required_argument, NULL, O_API},
		{"join-token-file", required_argument, NULL, O_JOIN},
		{"join-tokens-file", required_argument, NULL, O_JOINS},
		{"local-workers", required_argument, NULL, O_LOCAL},
		{"no-local-provider", no_argument, NULL, O_NOLOCAL},
		{"job-user", required_argument, NULL, O_JOBUSER},
		{"heartbeat", required_argument, NULL, O_HB},
		{"worker-timeout", required_argument, NULL, O_WT},
		{"port-file", required_argument, NULL, O_PORTS},
		{"log-level", required_argument, NULL, O_LEVEL},
		{"public-host", required_argument, NULL, O_HOSTS},
		{"dev-origin", required_argument, NULL, O_DEV},
		{"protect-metrics", no_argument, NULL, O_PROTECT},
		{"max-connections-per-address", required_argument, NULL, O_PERPEER},
		{"shutdown-grace", required_argument, NULL, O_GRACE},
		{"tls-cert", required_argument, NULL, O_TLSCERT},
		{"tls-key", required_argument, NULL, O_TLSKEY},
		{"tls-client-ca", required_argument, NULL, O_TLSCA},
		{"insecure-listen", no_argument, NULL, O_INSECURE},
		{"count-cap", required_argument, NULL, O_COUNTCAP},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *api_file = NULL, *join_file = NULL;
	cfg->data_dir = env_or("HODEI_DATA_DIR", "./hodei-data");
	cfg->grpc_listen = env_or("HODEI_GRPC_LISTEN", "127.0.0.1:50051");
	cfg->http_listen = env_or("HODEI_HTTP_LISTEN", "127.0.0.1:8080");
	cfg->web_dir = env_or("HODEI_WEB_DIR", NULL);
	cfg->join_tokens_file = env_or("HODEI_JOIN_TOKENS_FILE", NULL);
	cfg->heartbeat_ms = parse_seconds_ms("HODEI_HEARTBEAT_INTERVAL",
	                                     env_or("HODEI_HEARTBEAT_INTERVAL", "5"));
	cfg->worker_timeout_ms = parse_seconds_ms("HODEI_WORKER_TIMEOUT",
	                                          env_or("HODEI_WORKER_TIMEOUT", "15"));
	cfg->job_user = env_or("HODEI_JOB_USER", NULL);
	cfg->log_level = parse_level(env_or("HODEI_LOG_LEVEL", "info"));
	cfg->shutdown_grace_ms = 10000;
	cfg->job_grace_ms = 1000 * parse_number("HODEI_SHUTDOWN_GRACE",
	                                        env_or("HODEI_SHUTDOWN_GRACE", "30"), 0, 86400);
	cfg->count_cap = parse_number("HODEI_COUNT_CAP", env_or("HODEI_COUNT_CAP", "10000"), 0,
	                              INT32_MAX);
	cfg->public_hosts = env_or("HODEI_HTTP_HOSTS", NULL);
	cfg->dev_origin = env_or("HODEI_DEV_ORIGIN", NULL);
	cfg->tls_cert = env_or("HODEI_TLS_CERT", NULL);
	cfg->tls_key = env_or("HODEI_TLS_KEY", NULL);
	cfg->tls_client_ca = env_or("HODEI_TLS_CLIENT_CA", NULL);
	cfg->insecure_listen = strcmp(env_or("HODEI_INSECURE_LISTEN", "0"), "0") != 0;
	cfg->protect_metrics = strcmp(env_or("HODEI_PROTECT_METRICS", "0"), "0") != 0;
	cfg->max_per_peer = parse_count(env_or("HODEI_MAX_CONNS_PER_ADDRESS", "64"),
	                                "HODEI_MAX_CONNS_PER_ADDRESS");
	int c;
	while ((c = getopt_long(argc, argv, "d:g:H:w:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg->data_dir = optarg; break;
		case 'g': cfg->grpc_listen = optarg; break;
		case 'H': cfg->http_listen = optarg; break;
		case 'w': cfg->web_dir = optarg; break;
		case O_API: api_file = optarg; break;
		case O_JOIN: join_file = optarg; break;
		case O_JOINS: cfg->join_tokens_file = optarg; break;
		case O_LOCAL:
			cfg->local_workers = (unsigned)parse_number("--local-workers", optarg, 0,
			                                            HODEI__LOCAL_WORKERS_MAX);
			break;
		case O_NOLOCAL: cfg->no_local = 1; break;
		case O_JOBUSER: cfg->job_user = optarg; break;
		case O_HB: cfg->heartbeat_ms = parse_seconds_ms("--heartbeat", optarg); break;
		case O_WT: cfg->worker_timeout_ms = parse_seconds_ms("--worker-timeout", optarg); break;
		case O_PORTS: cfg->port_file = optarg; break;
		case O_LEVEL: cfg->log_level = parse_level(optarg); break;
		case O_HOSTS: cfg->public_hosts = optarg; break;
		case O_DEV: cfg->dev_origin = optarg; break;
		case O_PROTECT: cfg->protect_metrics = 1; break;
		case O_PERPEER:
			cfg->max_per_peer = parse_count(optarg, "--max-connections-per-address");
			break;
		case O_GRACE:
			cfg->job_grace_ms = 1000 * parse_number("--shutdown-grace", optarg, 0, 86400);
			break;
		case O_TLSCERT: cfg->tls_cert = optarg; break;
		case O_TLSKEY: cfg->tls_key = optarg; break;
		case O_TLSCA: cfg->tls_client_ca = optarg; break;
		case O_INSECURE: cfg->insecure_listen = 1; break;
		case O_COUNTCAP:
			cfg->count_cap = parse_number("--count-cap", optarg, 0, INT32_MAX);
			break;
		case 'h': fputs(usage, stdout); exit(0);
		case 'V': printf("hodeid %s\n", hodei_version()); exit(0);
		default: fputs(usage, stderr); exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hodeid: unexpected argument '%s'\n%s", argv[optind], usage);
		exit(2);
	}
	if (cfg->worker_timeout_ms < WORKER_TIMEOUT_MIN_HEARTBEATS * cfg->heartbeat_ms) {
		fprintf(stderr, "hodeid: the worker timeout (--worker-timeout, HODEI_WORKER_TIMEOUT: "
		                "%lld s) must be at least %d times the heartbeat interval (--heartbeat, "
		                "HODEI_HEARTBEAT_INTERVAL: %lld s), or healthy agents are declared lost\n",
		        (long long)(cfg->worker_timeout_ms / 1000), WORKER_TIMEOUT_MIN_HEARTBEATS,
		        (long long)(cfg->heartbeat_ms / 1000));
		exit(2);
	}
	cfg->api_token = read_secret(api_file, "HODEI_API_TOKEN");
	cfg->join_token = read_secret(join_file, "HODEI_JOIN_TOKEN");
	if (!cfg->web_dir)
		cfg->web_dir = default_web_dir();
	if (!cfg->tls_cert != !cfg->tls_key) {
		fprintf(stderr, "hodeid: --tls-cert and --tls-key (HODEI_TLS_CERT, HODEI_TLS_KEY) "
		                "go together\n");
		exit(2);
	}
	if (cfg->tls_client_ca && !cfg->tls_cert) {
		fprintf(stderr, "hodeid: --tls-client-ca (HODEI_TLS_CLIENT_CA) needs --tls-cert and "
		                "--tls-key: mutual TLS is TLS\n");
		exit(2);
	}
	int http_on = *cfg->http_listen && strcmp(cfg->http_listen, "off") != 0;
	int beyond = !is_loopback(cfg->grpc_listen) || (http_on && !is_loopback(cfg->http_listen));
	if (beyond && !cfg->api_token) {
		fprintf(stderr, "hodeid: listening beyond loopback needs an API token "
		                "(HODEI_API_TOKEN or --api-token-file)\n");
		exit(2);
	}
	if (beyond && !cfg->tls_cert && !cfg->insecure_listen) {
		fprintf(stderr, "hodeid: listening beyond loopback needs TLS (--tls-cert and "
		                "--tls-key; `hodeid tls init` makes them), or --insecure-listen to "
		                "send tokens, job environments and logs in clear text\n");
		exit(2);
	}
	if (!beyond)
		cfg->insecure_listen = 0; /* nothing insecure to announce */
}

static hodeid server;

/* One descriptor per connection: allow as many as the hard limit does. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void stop_check(evutil_socket_t fd, short what, void *arg)
{
	hodeid *d = arg;
	if (grpc_connections(d) == 0 || now_ms() - d->started_ms > d->cfg.shutdown_grace_ms)
		event_base_loopexit(d->base, NULL);
}

/* The second part of a stop: GOAWAY, and a grace period for calls in flight. */
static void stop_serving(hodeid *d)
{
	LOG_INFO("stopping connections=%zu running=%lld", grpc_connections(d),
	         (long long)hodei_ctx_running(d->ctx));
	d->shutting_down = 1;
	d->started_ms = now_ms(); /* from now on: the grace period */
	dispatch_shutdown_streams(d);
	agents_shutdown(d);
	grpc_shutdown(d);
	if (d->drain_timer)
		event_del(d->drain_timer);
	struct timeval tv = {0, 50000};
	d->shutdown_timer = event_new(d->base, -1, EV_PERSIST, stop_check, d);
	event_add(d->shutdown_timer, &tv);
}

/* The first part: running jobs end, while nothing new starts. */
static void drain_check(evutil_socket_t fd, short what, void *arg)
{
	hodeid *d = arg;
	int64_t running = hodei_ctx_running(d->ctx);
	if (running == 0) {
		LOG_INFO("running jobs ended");
	} else if (now_ms() - d->started_ms >= d->cfg.job_grace_ms) {
		LOG_WARN("shutdown grace over running=%lld: they run again after the restart as the "
		         "same attempt", (long long)running);
	} else {
		return;
	}
	stop_serving(d);
}

static void start_drain(hodeid *d)
{
	d->draining = 1;
	d->started_ms = now_ms();
	hodei_ctx_drain(d->ctx);
	LOG_INFO("waiting for running jobs running=%lld grace_s=%lld",
	         (long long)hodei_ctx_running(d->ctx), (long long)(d->cfg.job_grace_ms / 1000));
	struct timeval tv = {0, 50000};
	d->drain_timer = event_new(d->base, -1, EV_PERSIST, drain_check, d);
	event_add(d->drain_timer, &tv);
	drain_check(-1, 0, d);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	hodeid *d = arg;
	if (d->shutting_down) {
		LOG_WARN("second signal: stopping now");
		event_base_loopexit(d->base, NULL);
		return;
	}
	if (d->draining) {
		LOG_WARN("second signal: not waiting for running jobs");
		stop_serving(d);
		return;
	}
	LOG_INFO("stop requested signal=%d", (int)sig);
	start_drain(d);
}

static void on_hangup(evutil_socket_t sig, short what, void *arg)
{
	hodeid *d = arg;
	LOG_INFO("reloading join tokens on SIGHUP");
	if (join_tokens_load(d) == 0)
		agents_revoke(d);
	if (d->tls) {
		LOG_INFO("reloading the TLS certificate on SIGHUP");
		tls_reload(d);
	}
}

static void write_port_file(hodeid *d)
{
	if (!d->cfg.port_file)
		return;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", d->cfg.port_file);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "grpc=%d\nhttp=%d\n", d->grpc_port, d->http_port);
	fclose(f);
	rename(tmp, d->cfg.port_file); /* appears whole, for tests polling it */
}

static int open_context(hodeid *d)
{
	char db[4096];
	if (hodeid_harden(d) != 0) /* data directory 0700, tokens out of reach of jobs */
		return -1;
	snprintf(db, sizeof db, "%s/hodei.db", d->cfg.data_dir);
	hodei_ctx_options o = HODEI_CTX_OPTIONS_INIT;
	hodei_ctx_options_init(&o, HODEI_CTX_OPTIONS_VERSION);
	o.db_path = db;
	o.event_base = d->base;
	o.diag = hodeid_diag;
	o.diag_level = d->cfg.log_level;
	o.local_workers = d->cfg.local_workers;
	/* agents' jobs wait this long after a restart for their agents to come
	 * back: longer than the agents' lease, so a job is never retried while
	 * an agent that will not come back still runs it */
	o.agent_hold_ms = d->cfg.worker_timeout_ms;
	if (d->cfg.no_local)
		o.flags |= HODEI_CTX_NO_LOCAL_PROVIDER;
	int rc = hodei_ctx_open(&d->ctx, &o);
	if (rc) {
		LOG_ERROR("cannot open %s: %s", db, hodei_error_last());
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	hodeid *d = &server;
	if (argc > 1 && strcmp(argv[1], "image") == 0)
		return hodeid_cmd_image(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "tls") == 0)
		return hodeid_cmd_tls(argc - 1, argv + 1);
	parse_args(&d->cfg, argc, argv);
	hodeid_log_init(d->cfg.log_level);
	/* before anything listens (and before --port-file says it does) */
	if (d->cfg.insecure_listen)
		LOG_WARN("INSECURE: listening beyond loopback WITHOUT TLS (--insecure-listen): the API "
		         "token, join tokens, job environments and logs cross the network in clear "
		         "text, and agents cannot tell hodeid from an impostor");
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	if (reflection_init() != 0) {
		LOG_ERROR("the embedded descriptor set is unreadable");
		return 1;
	}
	d->base = event_base_new();
	if (join_tokens_load(d) != 0)
		return 1;
	if (!d->base || tls_init(d) != 0 || open_context(d) != 0)
		return 1;
	if (auth_load(d) != 0) {
		hodei_ctx_close(d->ctx);
		return 1;
	}
	if (grpc_listen(d) != 0 || http_listen(d) != 0) {
		hodei_ctx_close(d->ctx);
		return 1;
	}
	if (worker_listener_open(d) != 0)
		LOG_WARN("no worker socket: docker workers need the provider's 'server' option");
	if (hodeid_docker_register(d->ctx, d->cfg.grpc_listen, d->grpc_port, d->cfg.data_dir) != 0)
		LOG_WARN("docker, kubernetes and microvm provider types: %s", hodei_error_last());
	write_port_file(d);
	struct event *sigterm = evsignal_new(d->base, SIGTERM, on_signal, d);
	struct event *sigint = evsignal_new(d->base, SIGINT, on_signal, d);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	struct event *sighup = evsignal_new(d->base, SIGHUP, on_hangup, d);
	event_add(sighup, NULL);
	d->started_ms = now_ms();
	LOG_INFO("hodeid %s started grpc=%s grpc_port=%d http=%s http_port=%d data_dir=%s "
	         "web_dir=%s api_token=%s join_token=%s tls=%s containment=%s",
	         hodei_version(), d->cfg.grpc_listen, d->grpc_port,
	         d->http ? d->cfg.http_listen : "off", d->http_port, d->cfg.data_dir, d->cfg.web_dir,
	         d->cfg.api_token ? "set" : "none", join_tokens_any(d) ? "set" : "none",
	         !d->tls ? "off" : d->cfg.tls_client_ca ? "mutual" : "on",
	         hodei_process_containment());

	event_base_dispatch(d->base);

	LOG_INFO("closing connections=%zu", grpc_connections(d));
	d->shutting_down = 1;
	grpc_close_all(d);
	worker_listener_close(d);
	http_close(d);
	sessions_free(d);
	hodei_ctx_close(d->ctx);
	agents_free(d);
	if (d->shutdown_timer)
		event_free(d->shutdown_timer);
	if (d->drain_timer)
		event_free(d->drain_timer);
	event_free(sigterm);
	event_free(sigint);
	event_free(sighup);
	join_tokens_free(d);
	tls_free(d);
	auth_free(d);
	event_base_free(d->base);
	LOG_INFO("stopped");
	return 0;
}
