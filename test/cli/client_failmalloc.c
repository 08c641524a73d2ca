/*
 * The C client (lib/client, used by hodei-jobs-cli, hodei-worker and
 * Python) under a failing allocator, against a live hodeid that
 * test_cli_pages.py started and filled.  Linked statically with
 * -Wl,--wrap=malloc,calloc,realloc,strdup,strndup: for N = 0, 1, 2, ...
 * until a call completes without an injected failure, the Nth allocation of
 * each call (connecting included) fails, and
 *
 *   - the call returns 0 or HODEI_ENOMEM, never crashes, never another error;
 *   - right after, the same call with allocation working succeeds;
 *   - under ASan, no failure path leaks.
 *
 *   client_failmalloc ADDRESS JOB_ID  -> "calls C failures F", exit 0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hodei/client.h>
#include <hodei/hodei.h>

#define FAILMALLOC_COUNTDOWN
#include "../failmalloc.h"

static const char *address, *job_id;

/* One call of the client on a connection of its own. */
typedef int (*call_fn)(hodei_client *c);

static int c_health(hodei_client *c)
{
	int status;

	return hodei_client_health(c, "", &status);
}

static int c_job_get(hodei_client *c)
{
	hodei_job *job = NULL;
	int rc = hodei_client_job_get(&job, c, job_id);

	hodei_job_free(job);
	return rc;
}

static int c_job_list(hodei_client *c)
{
	hodei_job_filter f = HODEI_JOB_FILTER_INIT;
	hodei_job_page *page = NULL;
	int rc;

	f.limit = 5;
	rc = hodei_client_job_list(&page, c, &f);
	hodei_job_page_free(page);
	return rc;
}

static int c_log_read(hodei_client *c)
{
	hodei_log_query q = HODEI_LOG_QUERY_INIT;
	hodei_log_page *page = NULL;
	int rc;

	q.job_id = job_id;
	q.limit = 20;
	rc = hodei_client_log_read(&page, c, &q);
	hodei_log_page_free(page);
	return rc;
}

static int c_job_queue(hodei_client *c)
{
	static const char *const args[] = { "-c", "true" };
	static const char *const env[] = { "A=1", "B=2" };
	static const char *const labels[] = { "team=x" };
	hodei_job_spec spec = HODEI_JOB_SPEC_INIT;
	hodei_job_id id;

	spec.command = "sh";
	spec.args = args;
	spec.nargs = 2;
	spec.env = env;
	spec.nenv = 2;
	spec.labels = labels;
	spec.nlabels = 1;
	return hodei_client_job_queue(c, &spec, &id);
}

static int c_worker_list(hodei_client *c)
{
	hodei_worker_array *list = NULL;
	int rc = hodei_client_worker_list(&list, c);

	hodei_worker_array_free(list);
	return rc;
}

static int c_provider_list(hodei_client *c)
{
	hodei_provider_array *list = NULL;
	int rc = hodei_client_provider_list(&list, c);

	hodei_provider_array_free(list);
	return rc;
}

static int c_provider_get(hodei_client *c)
{
	hodei_provider_info *p = NULL;
	int rc = hodei_client_provider_get(&p, c, "local");

	hodei_provider_info_free(p);
	return rc;
}

static int c_queue_status(hodei_client *c)
{
	hodei_queue_status st;

	memset(&st, 0, sizeof(st));
	st.version = HODEI_QUEUE_STATUS_VERSION;
	return hodei_client_queue_status(&st, c, NULL);
}

/* Connect and call; 0, or the first error. */
static int run(call_fn fn)
{
	hodei_client_options o = HODEI_CLIENT_OPTIONS_INIT;
	hodei_client *c = NULL;
	int rc;

	o.connect_timeout_ms = 10000;
	if ((rc = hodei_client_open(&c, address, &o)) == 0)
		rc = fn(c);
	hodei_client_close(c);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		call_fn fn;
	} calls[] = {
		{ "health", c_health },           { "job_get", c_job_get },
		{ "job_list", c_job_list },       { "log_read", c_log_read },
		{ "job_queue", c_job_queue },     { "worker_list", c_worker_list },
		{ "provider_list", c_provider_list }, { "provider_get", c_provider_get },
		{ "queue_status", c_queue_status },
	};
	long failures = 0;
	int bad = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: client_failmalloc ADDRESS JOB_ID\n");
		return 2;
	}
	address = argv[1];
	job_id = argv[2];
	for (size_t k = 0; k < sizeof(calls) / sizeof(calls[0]); k++) {
		for (long n = 0;; n++) {
			int rc;

			arm(n);
			rc = run(calls[k].fn);
			disarm();
			if (!injected) {
				if (rc != 0) {
					fprintf(stderr, "%s: fails without an injected failure: %s (%s)\n",
					        calls[k].name, hodei_strerror(rc), hodei_error_last());
					bad = 1;
				}
				break;
			}
			failures++;
			if (rc != 0 && rc != HODEI_ENOMEM) {
				fprintf(stderr, "%s: allocation %ld failed: %s (%s), not ENOMEM\n",
				        calls[k].name, n, hodei_strerror(rc), hodei_error_last());
				bad = 1;
			}
			if ((rc = run(calls[k].fn)) != 0) {
				fprintf(stderr, "%s: after allocation %ld failed, the call fails: %s (%s)\n",
				        calls[k].name, n, hodei_strerror(rc), hodei_error_last());
				bad = 1;
			}
		}
	}
	printf("calls %zu failures %ld\n", sizeof(calls) / sizeof(calls[0]), failures);
	return bad;
}
