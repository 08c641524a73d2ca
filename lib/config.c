/*
 * Configuration: every HODEI_* environment variable libhodei reads is read
 * here, and only here.  Explicit options win over the environment, which
 * wins over the built-in defaults.  A number is parsed by hodei__parse_int()
 * here, and hodeid parses its flags with it too, so that a flag and its
 * variable take the same text and give the same message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

/* A job's log, all attempts, unless HODEI_MAX_LOG_BYTES says otherwise. */
#define HODEI__MAX_LOG_BYTES (1024LL * 1024 * 1024)

int hodei__parse_int(const char *name, const char *text, int64_t min, int64_t max, int64_t *out)
{
	const char *first = text && text[0] == '-' ? text + 1 : text; /* the first digit */
	bool digits = first && *first >= '0' && *first <= '9';
	char *end = NULL;
	long long n = 0;

	if (digits) {
		errno = 0;
		n = strtoll(text, &end, 10);
	}
	/* no sign but '-', no blanks, nothing after the digits, no overflow */
	if (!digits || *end != '\0' || errno == ERANGE || n < min || n > max)
		return hodei__err(HODEI_EINVAL, "%s: must be an integer from %lld to %lld, got '%.64s'",
		                  name, (long long)min, (long long)max, text ? text : "");
	*out = n;
	return 0;
}

/* A numeric variable; unset or empty leaves *out at 0 (the default). */
static int env_int(const char *name, int64_t min, int64_t max, int64_t *out)
{
	const char *v = getenv(name);

	*out = 0;
	if (!v || !*v)
		return 0;
	return hodei__parse_int(name, v, min, max, out);
}

static int read_env(hodei__config *env)
{
	int64_t v;
	const char *sync, *crash;
	int rc;

	if ((rc = env_int("HODEI_MAX_QUEUE_SIZE", 0, INT64_MAX, &v)))
		return rc;
	env->max_queue_size = v;
	if ((rc = env_int("HODEI_LOG_RETENTION_DAYS", 0, HODEI__LOG_RETENTION_DAYS_MAX, &v)))
		return rc;
	env->log_retention_days = (int)v;
	if ((rc = env_int("HODEI_LOCAL_WORKERS", 0, HODEI__LOCAL_WORKERS_MAX, &v)))
		return rc;
	env->local_workers = (unsigned int)v;
	if ((rc = env_int("HODEI_MAX_LOG_BYTES", -1, INT64_MAX, &v)))
		return rc;
	env->max_log_bytes = v;
	/* Tests only: die (_exit) at a named point, as a kill -9 there would.
	 * "spawn": right after the first local job's process started, before
	 * its pid is committed (test/chaos/crash_spawn.py). */
	crash = getenv("HODEI_TEST_CRASH_AT");
	if (crash && *crash) {
		if (strcmp(crash, "spawn") != 0)
			return hodei__err(HODEI_EINVAL, "HODEI_TEST_CRASH_AT: must be 'spawn', got '%.64s'",
			                  crash);
		env->test_crash_at_spawn = true;
	}
	sync = getenv("HODEI_SYNC");
	if (sync && *sync) {
		if (strcasecmp(sync, "full") == 0)
			env->sync_full = 1;
		else if (strcasecmp(sync, "normal") != 0)
			return hodei__err(HODEI_EINVAL, "HODEI_SYNC: must be 'normal' or 'full', got '%s'",
			                  sync);
	}
	return 0;
}

int hodei__config_resolve(hodei__config *cfg, const hodei_ctx_options *opts)
{
	hodei__config env = { 0 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t hold;
	int rc;

	if (!(opts->flags & HODEI_CTX_IGNORE_ENV) && (rc = read_env(&env)))
		return rc;
	if (opts->max_queue_size < -1)
		return hodei__err(HODEI_EINVAL, "max_queue_size: must be -1, 0 or positive");
	if (opts->log_retention_days < 0 || opts->log_retention_days > HODEI__LOG_RETENTION_DAYS_MAX)
		return hodei__err(HODEI_EINVAL, "log_retention_days: must be from 0 to %d",
		                  HODEI__LOG_RETENTION_DAYS_MAX);
	if (opts->local_workers > HODEI__LOCAL_WORKERS_MAX)
		return hodei__err(HODEI_EINVAL, "local_workers: must be from 0 to %d",
		                  HODEI__LOCAL_WORKERS_MAX);
	cfg->max_queue_size = opts->max_queue_size ? opts->max_queue_size
	                      : env.max_queue_size ? env.max_queue_size : -1;
	cfg->log_retention_days = opts->log_retention_days ? opts->log_retention_days
	                          : env.log_retention_days ? env.log_retention_days : 7;
	cfg->local_workers = opts->local_workers ? opts->local_workers
	                     : env.local_workers ? env.local_workers
	                     : (unsigned int)(ncpu > 0 ? ncpu : 1);
	cfg->sync_full = env.sync_full;
	cfg->test_crash_at_spawn = env.test_crash_at_spawn;
	/* -1 (or 0 from the environment means "unset"): unlimited */
	cfg->max_log_bytes = env.max_log_bytes < 0 ? 0
	                     : env.max_log_bytes ? env.max_log_bytes : HODEI__MAX_LOG_BYTES;
	cfg->kill_grace_ms = opts->kill_grace_ms > 0 ? opts->kill_grace_ms : 5000;
	cfg->worker_idle_ms = opts->worker_idle_ms > 0 ? opts->worker_idle_ms : 60000;
	cfg->retry_backoff_ms = opts->retry_backoff_ms > 0 ? opts->retry_backoff_ms : 1000;
	hold = opts->version >= 2 ? opts->agent_hold_ms : 0; /* a version 1 struct has none */
	if (hold < -1)
		return hodei__err(HODEI_EINVAL, "agent_hold_ms: must be -1, 0 or positive");
	cfg->agent_hold_ms = hold > 0 ? hold : hold == 0 ? 15000 : 0;
	return 0;
}
