/*
 * hodei-worker: the agent that runs jobs for hodeid on a remote machine
 * (a container, pod, microVM or a host in a static pool).
 */
#ifndef HODEI_WORKER_AGENT_H
#define HODEI_WORKER_AGENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

typedef struct agent_config {
	const char *server;     /* host:port of hodeid, or https://host:port */
	const char *ca_file;    /* --cacert: the CA that issued hodeid's certificate */
	const char *cert_file;  /* --tls-cert/--tls-key: ours, for mutual TLS */
	const char *key_file;
	const char *token;      /* one-time worker token, or NULL */
	const char *join_token; /* join token of static pools, or NULL */
	const char *name;       /* worker name; default: the host name */
	const char *pool;       /* static pool to join */
	int64_t heartbeat_ms;   /* own heartbeat interval; 0: the server's */
	int64_t timeout_ms;     /* own lease; 0: the server's */
	int once;               /* exit after the first disconnect (tests) */
	int verbose;
} agent_config;

/* The worker timeout spans at least this many heartbeat intervals. */
#define AGENT_TIMEOUT_MIN_HEARTBEATS 3

/** Run until released (0), or until it cannot go on (non-zero). */
int agent_run(struct event_base *base, const agent_config *cfg);

/** Ask a running agent to stop (from a signal handler context on the loop). */
void agent_stop(void);

/*
 * The reaper (reaper.c) kills the jobs' process groups if the agent dies
 * without doing it itself.  Start it before anything else.
 */
int reaper_start(void);
void reaper_add(int pgid);
void reaper_remove(int pgid);

/*
 * The job guard (guard.c): every job's first process, so that jobs die with
 * the agent even when its reaper is killed too.  guard_main() runs when the
 * binary is started as `hodei-worker --job-guard ...`.
 */
int guard_main(int argc, char **argv);
/* The agent asks a guard to end its job with this signal (also its death signal). */
#define GUARD_SIGNAL (SIGRTMIN + 1)
/**
 * End the job under the guard pid: the guard kills every descendant, those
 * that left the job's process group included, and exits.  Waits for that (2 s
 * at most) without reaping the guard.
 */
void guard_stop(int pid);
/** Look prog up in the PATH of envp; 0 and the path in out, or -1. */
int guard_find_program(const char *prog, const char *const *envp, char *out, size_t outlen);

void agent_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
