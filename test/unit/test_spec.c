/* Job spec validation: each bad input names its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

typedef struct limit_case {
	size_t max;         /* the field's limit in bytes */
	const char *prefix; /* the value starts so, to be valid otherwise */
	void (*set)(hodei_job_spec *s, const char **one, const char *v);
	const char *message; /* of the value one byte over */
} limit_case;

static void set_name(hodei_job_spec *s, const char **one, const char *v)
{
	(void)one;
	s->name = v;
}

static void set_arg(hodei_job_spec *s, const char **one, const char *v)
{
	one[0] = v;
	s->args = one;
	s->nargs = 1;
}

static void set_env(hodei_job_spec *s, const char **one, const char *v)
{
	one[0] = v;
	s->env = one;
	s->nenv = 1;
}

static void set_label(hodei_job_spec *s, const char **one, const char *v)
{
	one[0] = v;
	s->labels = one;
	s->nlabels = 1;
}

static void set_workdir(hodei_job_spec *s, const char **one, const char *v)
{
	(void)one;
	s->workdir = v;
}

static void set_id(hodei_job_spec *s, const char **one, const char *v)
{
	(void)one;
	s->id = v;
}

/* A value of n bytes: `prefix`, then 'x's (caller frees). */
static char *filled(size_t n, const char *prefix)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	memset(p, 'x', n);
	memcpy(p, prefix, strlen(prefix));
	p[n] = '\0';
	return p;
}

/* Each length limit: exactly the limit is accepted, one byte more is refused with the field. */
static void length_limits(void **state)
{
	static const limit_case cases[] = {
		{ HODEI_NAME_MAX, "", set_name, "name: longer than 256 bytes" },
		{ HODEI_ARG_MAX, "", set_arg, "args[0]: longer than 65536 bytes" },
		/* NAME=value counts as a whole */
		{ HODEI_ENV_VALUE_MAX, "V=", set_env, "env[0]: longer than 65536 bytes" },
		{ HODEI_LABEL_MAX, "l=", set_label, "labels[0]: longer than 256 bytes" },
		{ HODEI_PATH_MAX, "/", set_workdir, "workdir: longer than 4096 bytes" },
		{ HODEI_JOB_ID_MAX, "", set_id, "id: longer than 128 bytes" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const limit_case *c = &cases[i];
		char *at = filled(c->max, c->prefix), *over = filled(c->max + 1, c->prefix);
		const char *one[1];
		hodei_job_spec s = base_spec();

		c->set(&s, one, at);
		if (hodei_job_spec_validate(&s) != 0)
			fail_msg("%zu bytes refused: %s", c->max, hodei_error_last());
		c->set(&s, one, over);
		expect_invalid(&s, c->message);
		free(at);
		free(over);
	}
}

/* Too many env variables or labels; numeric fields at and past their bounds. */
static void count_and_range_limits(void **state)
{
	hodei_job_spec s;
	size_t n = HODEI_ENV_MAX + 1;
	char **env = calloc(n, sizeof(char *));
	const char *labels[HODEI_LABELS_MAX + 1];

	(void)state;
	assert_non_null(env);
	for (size_t i = 0; i < n; i++) {
		env[i] = malloc(32);
		assert_non_null(env[i]);
		snprintf(env[i], 32, "V%zu=x", i);
	}
	s = base_spec();
	s.env = (const char *const *)env;
	s.nenv = HODEI_ENV_MAX;
	assert_int_equal(hodei_job_spec_validate(&s), 0);
	s.nenv = n;
	expect_invalid(&s, "env: 1025 entries, at most 1024 allowed");
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);

	for (size_t i = 0; i <= HODEI_LABELS_MAX; i++)
		labels[i] = "k=v";
	s = base_spec();
	s.labels = labels;
	s.nlabels = HODEI_LABELS_MAX;
	assert_int_equal(hodei_job_spec_validate(&s), 0);
	s.nlabels = HODEI_LABELS_MAX + 1;
	expect_invalid(&s, "labels: 65 entries, at most 64 allowed");

	s = base_spec();
	s.timeout_ms = HODEI_TIMEOUT_MAX_MS;
	assert_int_equal(hodei_job_spec_validate(&s), 0);
	s.timeout_ms = HODEI_TIMEOUT_MAX_MS + 1;
	expect_invalid(&s, "timeout: more than 30 days");
	s = base_spec();
	s.max_retries = HODEI_RETRIES_MAX;
	assert_int_equal(hodei_job_spec_validate(&s), 0);
	s.max_retries = HODEI_RETRIES_MAX + 1;
	expect_invalid(&s, "max_retries: must be 0 to 100");
	s = base_spec();
	s.flags = 0x80;
	expect_invalid(&s, "flags: unknown bits 0x80");
	s = base_spec();
	s.provider = "no spaces allowed";
	expect_invalid(&s, "provider");
}

/* A map key checked before it is joined into "KEY=value" (the gRPC map and
 * the Python dict): "A=B" would otherwise become A with the value "B=C". */
static void expect_key_invalid(int rc, const char *needle)
{
	assert_int_equal(rc, HODEI_EINVAL);
	if (!strstr(hodei_error_last(), needle))
		fail_msg("message '%s' does not mention '%s'", hodei_error_last(), needle);
}

static void map_keys_checked_before_joining(void **state)
{
	static const char nul_name[] = "PA\0TH";

	(void)state;
	assert_int_equal(hodei_job_spec_env_name_validate("env[0]", "PATH", 4), 0);
	assert_int_equal(hodei_job_spec_env_name_validate(NULL, "_x9", 3), 0);
	expect_key_invalid(hodei_job_spec_env_name_validate("env[3]", "A=B", 3),
	                   "env[3]: invalid variable name 'A=B'");
	expect_key_invalid(hodei_job_spec_env_name_validate(NULL, "", 0), "env: invalid variable");
	expect_key_invalid(hodei_job_spec_env_name_validate("env", nul_name, sizeof nul_name - 1),
	                   "env: variable name 'PA' contains a NUL byte");
	expect_key_invalid(hodei_job_spec_env_name_validate("env", "1X", 2), "env: invalid");
	expect_key_invalid(hodei_job_spec_env_name_validate("env", NULL, 0), "env: NULL");

	assert_int_equal(hodei_job_spec_label_key_validate("labels[0]", "team.a/b c", 10), 0);
	expect_key_invalid(hodei_job_spec_label_key_validate(NULL, "a=b", 3),
	                   "labels: key 'a=b' contains '='");
	expect_key_invalid(hodei_job_spec_label_key_validate("labels[1]", "", 0),
	                   "labels[1]: empty key");
	expect_key_invalid(hodei_job_spec_label_key_validate("labels", nul_name, 5),
	                   "labels: key 'PA' contains a NUL byte");
	/* a success clears the message of an earlier failure */
	assert_int_equal(hodei_job_spec_label_key_validate(NULL, "k", 1), 0);
	assert_string_equal(hodei_error_last(), "");
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
		cmocka_unit_test(length_limits),
		cmocka_unit_test(count_and_range_limits),
		cmocka_unit_test(map_keys_checked_before_joining),
		cmocka_unit_test(generated_ids_are_unique_and_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
