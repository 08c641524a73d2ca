/* Settings: one parser for the HODEI_* variables and hodeid's flags, and
 * the same ranges for the options of hodei_ctx_open(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void expect_refused(const char *text, int64_t min, int64_t max, const char *message)
{
	int64_t v = 42;

	assert_int_equal(hodei__parse_int("--local-workers", text, min, max, &v), HODEI_EINVAL);
	assert_int_equal(v, 42); /* untouched */
	if (strcmp(hodei_error_last(), message) != 0)
		fail_msg("for '%s': message '%s', expected '%s'", text ? text : "(null)",
		         hodei_error_last(), message);
}

static void parse_int_refuses_what_is_not_a_number_in_range(void **state)
{
	static const char *const bad[] = { "abc", "-1", "100000", "", " 5", "5 ", "+5", "5x",
	                                   "0x10", "1e3", "-", "99999999999999999999" };
	char message[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(message, sizeof message,
		         "--local-workers: must be an integer from 0 to 4096, got '%s'", bad[i]);
		expect_refused(bad[i], 0, HODEI__LOCAL_WORKERS_MAX, message);
	}
	expect_refused(NULL, 0, 10, "--local-workers: must be an integer from 0 to 10, got ''");
	/* the overflow is refused even where the range is the whole int64 */
	expect_refused("9223372036854775808", 0, INT64_MAX,
	               "--local-workers: must be an integer from 0 to 9223372036854775807, got "
	               "'9223372036854775808'");
}

static void parse_int_takes_the_range_inclusive(void **state)
{
	int64_t v = -1;

	(void)state;
	assert_int_equal(hodei__parse_int("X", "0", 0, 4096, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(hodei__parse_int("X", "4096", 0, 4096, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(hodei__parse_int("X", "-3", -3, 3, &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(hodei__parse_int("X", "9223372036854775807", 0, INT64_MAX, &v), 0);
	assert_true(v == INT64_MAX);
}

/* The variable goes through the same parser: the same text, the same message. */
static void variable_and_option_ranges(void **state)
{
	hodei_ctx_options o;
	hodei__config cfg;

	(void)state;
	hodei_ctx_options_init(&o, HODEI_CTX_OPTIONS_VERSION);
	setenv("HODEI_LOCAL_WORKERS", "100000", 1);
	assert_int_equal(hodei__config_resolve(&cfg, &o), HODEI_EINVAL);
	assert_string_equal(hodei_error_last(),
	                    "HODEI_LOCAL_WORKERS: must be an integer from 0 to 4096, got '100000'");
	setenv("HODEI_LOCAL_WORKERS", "3", 1);
	assert_int_equal(hodei__config_resolve(&cfg, &o), 0);
	assert_int_equal(cfg.local_workers, 3);
	unsetenv("HODEI_LOCAL_WORKERS");

	o.flags = HODEI_CTX_IGNORE_ENV;
	o.local_workers = HODEI__LOCAL_WORKERS_MAX + 1;
	assert_int_equal(hodei__config_resolve(&cfg, &o), HODEI_EINVAL);
	assert_string_equal(hodei_error_last(), "local_workers: must be from 0 to 4096");
	o.local_workers = HODEI__LOCAL_WORKERS_MAX;
	assert_int_equal(hodei__config_resolve(&cfg, &o), 0);
	o.log_retention_days = HODEI__LOG_RETENTION_DAYS_MAX + 1;
	assert_int_equal(hodei__config_resolve(&cfg, &o), HODEI_EINVAL);
	assert_string_equal(hodei_error_last(), "log_retention_days: must be from 0 to 36500");
}

static void agent_hold_and_crash_point(void **state)
{
	hodei_ctx_options o;
	hodei__config cfg;

	(void)state;
	hodei_ctx_options_init(&o, HODEI_CTX_OPTIONS_VERSION);
	assert_int_equal(hodei__config_resolve(&cfg, &o), 0);
	assert_int_equal(cfg.agent_hold_ms, 15000); /* 0: the default */
	assert_false(cfg.test_crash_at_spawn);
	o.agent_hold_ms = -1;
	assert_int_equal(hodei__config_resolve(&cfg, &o), 0);
	assert_int_equal(cfg.agent_hold_ms, 0); /* none: lost at once */
	o.agent_hold_ms = -2;
	assert_int_equal(hodei__config_resolve(&cfg, &o), HODEI_EINVAL);
	assert_string_equal(hodei_error_last(), "agent_hold_ms: must be -1, 0 or positive");
	o.agent_hold_ms = 4000;
	assert_int_equal(hodei__config_resolve(&cfg, &o), 0);
	assert_int_equal(cfg.agent_hold_ms, 4000);

	setenv("HODEI_TEST_CRASH_AT", "spawn", 1);
	assert_int_equal(hodei__config_resolve(&cfg, &o), 0);
	assert_true(cfg.test_crash_at_spawn);
	setenv("HODEI_TEST_CRASH_AT", "later", 1);
	assert_int_equal(hodei__config_resolve(&cfg, &o), HODEI_EINVAL);
	assert_string_equal(hodei_error_last(), "HODEI_TEST_CRASH_AT: must be 'spawn', got 'later'");
	unsetenv("HODEI_TEST_CRASH_AT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_int_refuses_what_is_not_a_number_in_range),
		cmocka_unit_test(parse_int_takes_the_range_inclusive),
		cmocka_unit_test(variable_and_option_ranges),
		cmocka_unit_test(agent_hold_and_crash_point),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
