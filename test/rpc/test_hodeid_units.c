/* Unit tests of hodeid's pure helpers: conversions, secrets, the arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conv.h"

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
