/* Unit tests of hodeid's pure helpers: conversions, secrets, the arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conv.h"

#define FAILMALLOC_COUNTDOWN
#include "../failmalloc.h"

static void test_utf8_sanitized(void **state)
{
	arena *a = arena_new();
	assert_string_equal(pb_utf8(a, "plain", 5), "plain");
	assert_string_equal(pb_utf8(a, "caf\xc3\xa9", 5), "caf\xc3\xa9");
	/* Invalid bytes, overlong forms, surrogates and NULs become U+FFFD. */
	assert_string_equal(pb_utf8(a, "a\xff" "b", 3), "a\xef\xbf\xbd" "b");
	assert_string_equal(pb_utf8(a, "\xc0\xaf", 2), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(pb_utf8(a, "\xed\xa0\x80", 3),
	                    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(pb_utf8(a, "x\0y", 3), "x\xef\xbf\xbdy");
	assert_string_equal(pb_utf8(a, "\xe2\x82", 2), "\xef\xbf\xbd\xef\xbf\xbd"); /* cut short */
	assert_string_equal(pb_utf8(a, "\xf0\x9f\x98\x80", 4), "\xf0\x9f\x98\x80");
	arena_free(a);
}

/* What the library stored from an embedder, whatever the bytes, goes out as UTF-8. */
static void test_job_strings_sanitized(void **state)
{
	arena *a = arena_new();
	const char *plain = "caf\xc3\xa9";
	assert_ptr_equal(pb_str(a, plain), plain); /* valid: not copied */
	assert_string_equal(pb_str(a, NULL), "");
	char *args[] = {"caf\xe9", "ok"};
	char *env[] = {"K\xe9Y=v\xe9"};
	hodei_job j = {.id = "j", .name = "cr\xe8me", .command = "echo", .args = args, .nargs = 2,
	               .env = env, .nenv = 1, .queued_by = "Jos\xe9"};
	Hodei__Job *p = pb_job(a, &j);
	assert_string_equal(p->definition->name, "cr\xef\xbf\xbdme");
	assert_string_equal(p->definition->arguments[0], "caf\xef\xbf\xbd");
	assert_string_equal(p->definition->arguments[1], "ok");
	assert_string_equal(p->definition->environment[0]->key, "K\xef\xbf\xbdY");
	assert_string_equal(p->definition->environment[0]->value, "v\xef\xbf\xbd");
	assert_string_equal(p->queued_by, "Jos\xef\xbf\xbd");
	assert_string_equal(args[0], "caf\xe9"); /* the library's copy is left alone */
	arena_free(a);
}

static void test_durations(void **state)
{
	Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
	assert_int_equal(pb_duration_to_ms(NULL), 0);
	d.seconds = 3600;
	assert_int_equal(pb_duration_to_ms(&d), 3600000);
	d.seconds = 0;
	d.nanos = 1; /* rounded up: a timeout is never shortened */
	assert_int_equal(pb_duration_to_ms(&d), 1);
	d.nanos = -1;
	assert_int_equal(pb_duration_to_ms(&d), -1);
	d.nanos = 1000000000;
	assert_int_equal(pb_duration_to_ms(&d), -1);
	d.nanos = 0;
	d.seconds = -5;
	assert_int_equal(pb_duration_to_ms(&d), -1);
	arena *a = arena_new();
	Google__Protobuf__Duration *back = pb_duration_ms(a, 1500);
	assert_int_equal(back->seconds, 1);
	assert_int_equal(back->nanos, 500000000);
	assert_null(pb_time_ms(a, 0));
	Google__Protobuf__Timestamp *t = pb_time_us(a, 1700000000123456LL);
	assert_int_equal(t->seconds, 1700000000);
	assert_int_equal(t->nanos, 123456000);
	arena_free(a);
}

static void test_secrets(void **state)
{
	assert_true(secret_equal("s3cret", "s3cret"));
	assert_false(secret_equal("s3cre", "s3cret"));
	assert_false(secret_equal("s3cretX", "s3cret"));
	assert_false(secret_equal("", "s3cret"));
	assert_false(secret_equal("S3cret", "s3cret"));
	hodeid d;
	memset(&d, 0, sizeof d);
	assert_true(bearer_ok(&d, NULL)); /* no token configured: open */
	d.cfg.api_token = "tok";
	assert_true(bearer_ok(&d, "Bearer tok"));
	assert_true(bearer_ok(&d, "bearer tok"));
	assert_false(bearer_ok(&d, "Bearer tok2"));
	assert_false(bearer_ok(&d, "Basic tok"));
	assert_false(bearer_ok(&d, "tok"));
	assert_false(bearer_ok(&d, NULL));
}

/* The one table of who may call what (auth.c). */
static void test_roles(void **state)
{
	static const char jobs[] = "/hodei.JobExecutionService/";
	char path[128];
#define ALLOWS(method, role) \
	(snprintf(path, sizeof path, "%s%s", jobs, method), auth_allows(path, role))
	assert_true(ALLOWS("QueueJob", HODEI_ROLE_SUBMIT));
	assert_false(ALLOWS("QueueJob", HODEI_ROLE_READ));
	assert_true(ALLOWS("GetJob", HODEI_ROLE_READ));
	assert_true(ALLOWS("CancelJob", HODEI_ROLE_SUBMIT));
	assert_false(ALLOWS("CancelJob", HODEI_ROLE_READ));
	assert_false(ALLOWS("RetryJob", HODEI_ROLE_SUBMIT));
	assert_true(ALLOWS("RetryJob", HODEI_ROLE_ADMIN));
	assert_false(auth_allows("/hodei.ApiTokenService/CreateApiToken", HODEI_ROLE_SUBMIT));
	assert_false(auth_allows("/hodei.ApiTokenService/ListApiTokens", HODEI_ROLE_READ));
	assert_true(auth_allows("/hodei.ApiTokenService/RevokeApiToken", HODEI_ROLE_ADMIN));
	assert_false(auth_allows("/hodei.ProviderService/CreateProvider", HODEI_ROLE_SUBMIT));
	assert_true(auth_allows("/hodei.ProviderService/ListProviders", HODEI_ROLE_SUBMIT));
	assert_true(auth_allows("/hodei.SchedulerService/GetQueueStatus", HODEI_ROLE_SUBMIT));
	assert_false(auth_allows("/hodei.MetricsService/GetAggregatedMetrics", HODEI_ROLE_SUBMIT));
	assert_false(auth_allows("/hodei.Unknown/Method", HODEI_ROLE_READ)); /* admin only */
	hodeid d;
	memset(&d, 0, sizeof d);
	assert_true(auth_owns(&d, HODEI_ROLE_READ, "r", "other"));
	assert_true(auth_owns(&d, HODEI_ROLE_SUBMIT, "ci", "ci"));
	assert_false(auth_owns(&d, HODEI_ROLE_SUBMIT, "ci", "other"));
	assert_false(auth_owns(&d, HODEI_ROLE_SUBMIT, "ci", NULL));
#undef ALLOWS
}

static void test_arena_and_maps(void **state)
{
	arena *a = arena_new();
	char *big = arena_alloc(a, 100000); /* larger than a block */
	memset(big, 1, 100000);
	assert_string_equal(arena_printf(a, "%s=%d", "x", 42), "x=42");
	Hodei__JobDefinition__EnvironmentEntry e1 = HODEI__JOB_DEFINITION__ENVIRONMENT_ENTRY__INIT;
	Hodei__JobDefinition__EnvironmentEntry e2 = HODEI__JOB_DEFINITION__ENVIRONMENT_ENTRY__INIT;
	e1.key = "A";
	e1.value = "1=2";
	e2.key = "B";
	e2.value = "";
	void *entries[] = {&e1, &e2};
	const char **kv = pb_map_to_kv(a, entries, 2);
	assert_string_equal(kv[0], "A=1=2");
	assert_string_equal(kv[1], "B=");
	arena_free(a);
}

/* Lists send summaries: few, short arguments and variables, cut on a
 * character boundary, flagged only when something was left out. */
static void test_job_summary(void **state)
{
	arena *a = arena_new();
	char *args[20], *env[20];
	char big[300], euro[300];
	memset(big, 'x', 299);
	big[299] = '\0';
	/* 85 three-byte characters: 255 bytes, then one more that must not be split. */
	for (int i = 0; i < 86; i++)
		memcpy(euro + 3 * i, "\xe2\x82\xac", 3);
	euro[258] = '\0';
	for (int i = 0; i < 20; i++) {
		args[i] = i == 1 ? euro : big;
		env[i] = arena_printf(a, "V%d=%s", i, big);
	}
	char *one[] = {"short"};
	hodei_job small = {.id = "j", .command = "echo", .args = one, .nargs = 1};
	Hodei__Job *p = pb_job(a, &small);
	assert_int_equal(pb_job_summarize(a, p), 0);
	assert_false(p->definition_truncated);
	assert_string_equal(p->definition->arguments[0], "short");

	hodei_job j = {.id = "j", .command = "echo", .args = args, .nargs = 20, .env = env,
	               .nenv = 20};
	p = pb_job(a, &j);
	Hodei__JobDefinition__EnvironmentEntry *first = p->definition->environment[0];
	assert_int_equal(pb_job_summarize(a, p), 1);
	assert_true(p->definition_truncated);
	assert_int_equal(p->definition->n_arguments, PB_SUMMARY_ITEMS);
	assert_int_equal(p->definition->n_environment, PB_SUMMARY_ITEMS);
	assert_int_equal(strlen(p->definition->arguments[0]), PB_SUMMARY_TEXT);
	assert_int_equal(strlen(p->definition->arguments[1]), 255); /* whole characters */
	assert_int_equal(strlen(p->definition->environment[0]->value), PB_SUMMARY_TEXT);
	assert_string_equal(p->definition->environment[0]->key, "V0");
	assert_int_equal(strlen(first->value), 299); /* the original entry is untouched */
	assert_true(pb_repeated_size(&p->base) < 16 * 1024);
	arena_free(a);
}

/*
 * ListWorkers pages: 100 workers with 50 KB ids (5 MB) do not fit in one
 * 4 MiB answer.  Each page stays under the bound, the pages follow one
 * another by id with none twice and none missed, and page_size bounds the
 * count as well.
 */
static void test_worker_pages(void **state)
{
	enum { N = 100, ID = 50 * 1024 }; /* a token (an id) fits in the room a page leaves */
	hodei_worker_array list = {N, calloc(N, sizeof(hodei_worker_info))};
	char token[ID + 1] = "";
	size_t seen = 0, pages = 0;
	assert_non_null(list.items);
	for (size_t i = 0; i < N; i++) {
		list.items[i].id = malloc(ID + 1);
		assert_non_null(list.items[i].id);
		memset(list.items[i].id, 'w', ID);
		snprintf(list.items[i].id, ID + 1, "%02zu", (N - 1 - i) * 7 % N); /* unsorted */
		list.items[i].id[2] = 'w';
		list.items[i].id[ID] = '\0';
		list.items[i].provider = "local";
	}
	do {
		arena *a = arena_new();
		Hodei__ListWorkersResponse resp = HODEI__LIST_WORKERS_RESPONSE__INIT;
		assert_int_equal(pb_worker_page(a, &list, token, 0, &resp), 0);
		assert_true(resp.n_workers > 0);
		assert_true(protobuf_c_message_get_packed_size(&resp.base) <= HODEI_GRPC_MAX_MESSAGE);
		for (size_t i = 0; i < resp.n_workers; i++, seen++) {
			char want[3];
			snprintf(want, sizeof want, "%02zu", seen);
			assert_memory_equal(resp.workers[i]->id, want, 2);
		}
		snprintf(token, sizeof token, "%s", resp.next_page_token ? resp.next_page_token : "");
		pages++;
		arena_free(a);
	} while (token[0]);
	assert_int_equal(seen, N);
	assert_true(pages >= 2);
	arena *a = arena_new();
	Hodei__ListWorkersResponse resp = HODEI__LIST_WORKERS_RESPONSE__INIT;
	assert_int_equal(pb_worker_page(a, &list, NULL, 3, &resp), 0);
	assert_int_equal(resp.n_workers, 3);
	assert_string_equal(resp.next_page_token, resp.workers[2]->id);
	arena_free(a);
	for (size_t i = 0; i < N; i++)
		free(list.items[i].id);
	free(list.items);
}

/*
 * hodeid's answers under a failing allocator: for N = 0, 1, 2, ... the Nth
 * allocation of building a job, a worker page and a provider fails.  A
 * builder then returns NULL (or -1) and the arena says it failed, so the
 * answer is refused; it never crashes, and it never hands back a message
 * with holes.  With nothing failing, the arena has not failed.
 */
static void test_builders_out_of_memory(void **state)
{
	char *args[] = {"a", "b"}, *env[] = {"K=v"}, *labels[] = {"team=x"};
	hodei_job j = {.id = "j", .name = "n", .command = "echo", .args = args, .nargs = 2,
	               .env = env, .nenv = 1, .labels = labels, .nlabels = 1, .reason = "r",
	               .timeout_ms = 1000, .cpu_millis = 10, .created_at = 1};
	hodei_worker_info w[2] = {{.id = "w2", .provider = "p", .job_id = "j", .started_at = 5},
	                          {.id = "w1", .provider = "p"}};
	hodei_provider_info p = {.name = "p", .type = "local", .labels = labels, .nlabels = 1,
	                         .created_at = 1};
	long injections = 0;
	for (int what = 0; what < 3; what++) {
		for (long n = 0;; n++) {
			arm(n);
			arena *a = arena_new();
			int ok;
			if (what == 0) {
				ok = pb_job(a, &j) != NULL;
			} else if (what == 1) {
				hodei_worker_array list = {2, w};
				Hodei__ListWorkersResponse resp = HODEI__LIST_WORKERS_RESPONSE__INIT;
				ok = a && pb_worker_page(a, &list, NULL, 0, &resp) == 0;
				assert_true(!ok || resp.n_workers == 2);
			} else {
				ok = pb_provider(a, &p) != NULL;
			}
			disarm();
			assert_int_equal(ok, !arena_failed(a)); /* failed: refused, never a hole */
			arena_free(a);
			if (!injected) {
				assert_true(ok);
				break;
			}
			injections++;
		}
	}
	assert_true(injections > 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_sanitized),
		cmocka_unit_test(test_job_strings_sanitized),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_arena_and_maps),
		cmocka_unit_test(test_job_summary),
		cmocka_unit_test(test_worker_pages),
		cmocka_unit_test(test_builders_out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
