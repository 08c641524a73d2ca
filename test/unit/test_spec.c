/* Job spec validation: each bad input names its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static hodei_job_spec base_spec(void)
{
	hodei_job_spec s = HODEI_JOB_SPEC_INIT;

	s.command = "echo";
	return s;
}

static void expect_invalid(const hodei_job_spec *s, const char *needle)
{
	assert_int_equal(hodei_job_spec_validate(s), HODEI_EINVAL);
	if (!strstr(hodei_error_last(), needle))
		fail_msg("message '%s' does not mention '%s'", hodei_error_last(), needle);
}

static void valid_minimal(void **state)
{
	hodei_job_spec s = base_spec();

	(void)state;
	assert_int_equal(hodei_job_spec_validate(&s), 0);
}

static void bad_fields(void **state)
{
	hodei_job_spec s;
	const char *args[] = { "a", NULL };
	const char *env_bad_name[] = { "1X=y" };
	const char *env_no_eq[] = { "NOEQUALS" };
	const char *env_dup[] = { "A=1", "B=2", "A=3" };
	const char *labels[] = { "=x" };
	char *huge = malloc(HODEI_COMMAND_MAX + 2);

	(void)state;
	s = base_spec();
	s.command = "";
	expect_invalid(&s, "command");
	s = base_spec();
	memset(huge, 'c', HODEI_COMMAND_MAX + 1);
	huge[HODEI_COMMAND_MAX + 1] = '\0';
	s.command = huge;
	expect_invalid(&s, "command: longer");
	s = base_spec();
	s.id = "has space";
	expect_invalid(&s, "id");
	s = base_spec();
	s.args = args;
	s.nargs = 2; /* args[1] is NULL */
	expect_invalid(&s, "args[1]");
	s = base_spec();
	s.nargs = HODEI_ARGS_MAX + 1;
	s.args = (const char *const *)calloc(HODEI_ARGS_MAX + 1, sizeof(char *));
	expect_invalid(&s, "args");
	free((void *)s.args);
	s = base_spec();
	s.env = env_bad_name;
	s.nenv = 1;
	expect_invalid(&s, "env[0]: invalid variable name '1X'");
	s.env = env_no_eq;
	expect_invalid(&s, "env[0]");
	s.env = env_dup;
	s.nenv = 3;
	expect_invalid(&s, "env[2]: variable 'A' given twice");
	s = base_spec();
	s.priority = 9;
	expect_invalid(&s, "priority");
	s = base_spec();
	s.timeout_ms = -1;
	expect_invalid(&s, "timeout");
	s = base_spec();
	s.max_retries = -2;
	expect_invalid(&s, "max_retries");
	s = base_spec();
	s.workdir = "relative/dir";
	expect_invalid(&s, "workdir");
	s = base_spec();
	s.labels = labels;
	s.nlabels = 1;
	expect_invalid(&s, "labels[0]");
	s = base_spec();
	s.version = 99;
	assert_int_equal(hodei_job_spec_validate(&s), HODEI_EVERSION);
	free(huge);
}

static void generated_ids_are_unique_and_valid(void **state)
{
	hodei_job_id a, b;

	(void)state;
	hodei__id_generate(&a);
	hodei__id_generate(&b);
	assert_string_not_equal(a.str, b.str);
	assert_int_equal(hodei__id_check("id", a.str, HODEI_JOB_ID_MAX), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_minimal),
		cmocka_unit_test(bad_fields),
		cmocka_unit_test(generated_ids_are_unique_and_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
