/* Unit tests of hodei-jobs-cli's value parsing (tools/hodei-jobs-cli/words.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

/* Split and compare with the expected words (NULL-terminated). */
static void check_split(const char *text, const char *const *want)
{
	char **words = NULL;
	size_t n = 0, i;
	const char *error = NULL;

	assert_int_equal(cli_split_words(text, &words, &n, &error), 0);
	assert_null(error);
	for (i = 0; want[i]; i++) {
		assert_true(i < n);
		assert_string_equal(words[i], want[i]);
	}
	assert_int_equal(n, i);
	cli_free_words(words, n);
}

static void check_split_fails(const char *text)
{
	char **words = NULL;
	size_t n = 0;
	const char *error = NULL;

	assert_int_equal(cli_split_words(text, &words, &n, &error), -1);
	assert_non_null(error);
	cli_free_words(words, n);
}

static void test_split_manual_examples(void **state)
{
	check_split("run build", (const char *const[]){ "run", "build", NULL });
	check_split("Hello", (const char *const[]){ "Hello", NULL });
	check_split("process.py", (const char *const[]){ "process.py", NULL });
}

static void test_split_quotes(void **state)
{
	check_split("-m 'fix it'", (const char *const[]){ "-m", "fix it", NULL });
	check_split("\"Hello World\"", (const char *const[]){ "Hello World", NULL });
	check_split("a\"b c\"d", (const char *const[]){ "ab cd", NULL });
	check_split("'it''s'", (const char *const[]){ "its", NULL });
	check_split("\"say \\\"hi\\\" \\$HOME \\n\"",
	            (const char *const[]){ "say \"hi\" $HOME \\n", NULL });
	check_split("'$HOME' \"*\" ~", (const char *const[]){ "$HOME", "*", "~", NULL });
	check_split("a\\ b c\\'d", (const char *const[]){ "a b", "c'd", NULL });
	check_split("''", (const char *const[]){ "", NULL });
	check_split("x '' y", (const char *const[]){ "x", "", "y", NULL });
}

static void test_split_blanks(void **state)
{
	check_split("", (const char *const[]){ NULL });
	check_split("   \t ", (const char *const[]){ NULL });
	check_split("  a\t\tb \n c  ", (const char *const[]){ "a", "b", "c", NULL });
}

static void test_split_errors(void **state)
{
	check_split_fails("'open");
	check_split_fails("\"open");
	check_split_fails("a 'b");
	check_split_fails("trailing\\");
}

static void test_split_appends(void **state)
{
	char **words = NULL;
	size_t n = 0;
	const char *error;

	assert_int_equal(cli_split_words("run", &words, &n, &error), 0);
	assert_int_equal(cli_split_words("build --prod", &words, &n, &error), 0);
	assert_int_equal(n, 3);
	assert_string_equal(words[0], "run");
	assert_string_equal(words[1], "build");
	assert_string_equal(words[2], "--prod");
	assert_null(words[3]);
	cli_free_words(words, n);
}

static void test_duration(void **state)
{
	int64_t ms = -7;

	assert_int_equal(cli_parse_duration_ms("3600", &ms), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(cli_parse_duration_ms("90s", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(cli_parse_duration_ms("15m", &ms), 0);
	assert_int_equal(ms, 900000);
	assert_int_equal(cli_parse_duration_ms("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(cli_parse_duration_ms("1d", &ms), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(cli_parse_duration_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(cli_parse_duration_ms("1.5", &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(cli_parse_duration_ms("0", &ms), 0);
	assert_int_equal(ms, 0);
	ms = -7;
	assert_int_equal(cli_parse_duration_ms("abc", &ms), -1);
	assert_int_equal(cli_parse_duration_ms("", &ms), -1);
	assert_int_equal(cli_parse_duration_ms("-5", &ms), -1);
	assert_int_equal(cli_parse_duration_ms("10x", &ms), -1);
	assert_int_equal(cli_parse_duration_ms("1e3", &ms), -1);
	assert_int_equal(cli_parse_duration_ms("0x10", &ms), -1);
	assert_int_equal(cli_parse_duration_ms(" 5", &ms), -1);
	assert_int_equal(cli_parse_duration_ms("31d", &ms), -1);
	assert_int_equal(ms, -7);
}

static void test_size_and_cpu(void **state)
{
	uint64_t bytes = 0;
	uint32_t millis = 0;

	assert_int_equal(cli_parse_size("512M", &bytes), 0);
	assert_int_equal(bytes, 512ull << 20);
	assert_int_equal(cli_parse_size("2G", &bytes), 0);
	assert_int_equal(bytes, 2ull << 30);
	assert_int_equal(cli_parse_size("1Gi", &bytes), 0);
	assert_int_equal(bytes, 1ull << 30);
	assert_int_equal(cli_parse_size("1.5k", &bytes), 0);
	assert_int_equal(bytes, 1536);
	assert_int_equal(cli_parse_size("100", &bytes), 0);
	assert_int_equal(bytes, 100);
	assert_int_equal(cli_parse_size("5X", &bytes), -1);
	assert_int_equal(cli_parse_size("M", &bytes), -1);
	assert_int_equal(cli_parse_size("1Mx", &bytes), -1);

	assert_int_equal(cli_parse_cpu("2", &millis), 0);
	assert_int_equal(millis, 2000);
	assert_int_equal(cli_parse_cpu("0.5", &millis), 0);
	assert_int_equal(millis, 500);
	assert_int_equal(cli_parse_cpu("250m", &millis), 0);
	assert_int_equal(millis, 250);
	assert_int_equal(cli_parse_cpu("two", &millis), -1);
	assert_int_equal(cli_parse_cpu("1g", &millis), -1);
}

static void test_int(void **state)
{
	int64_t v;

	assert_int_equal(cli_parse_int("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(cli_parse_int("101", 0, 100, &v), -1);
	assert_int_equal(cli_parse_int("-1", 0, 100, &v), -1);
	assert_int_equal(cli_parse_int("4 2", 0, 100, &v), -1);
	assert_int_equal(cli_parse_int("", 0, 100, &v), -1);
}

static void test_env_and_labels(void **state)
{
	assert_int_equal(cli_check_env("ENV=production"), 0);
	assert_int_equal(cli_check_env("VERSION=1.0.0"), 0);
	assert_int_equal(cli_check_env("EMPTY="), 0);
	assert_int_equal(cli_check_env("_X=a=b"), 0);
	assert_int_equal(cli_check_env("ENV"), -1);
	assert_int_equal(cli_check_env("=x"), -1);
	assert_int_equal(cli_check_env("1X=y"), -1);
	assert_int_equal(cli_check_env("A-B=y"), -1);
	assert_int_equal(cli_check_label("team=ci"), 0);
	assert_int_equal(cli_check_label("team"), -1);
	assert_int_equal(cli_check_label("=ci"), -1);
}

static void test_shell_quote(void **state)
{
	char *q;

	q = cli_shell_quote("build");
	assert_string_equal(q, "build");
	free(q);
	q = cli_shell_quote("fix it");
	assert_string_equal(q, "'fix it'");
	free(q);
	q = cli_shell_quote("it's");
	assert_string_equal(q, "'it'\\''s'");
	free(q);
	q = cli_shell_quote("");
	assert_string_equal(q, "''");
	free(q);
}

static void test_states(void **state)
{
	unsigned int mask = 0;

	assert_int_equal(cli_parse_states("running,failed", &mask), 0);
	assert_int_equal(mask, HODEI_STATE_BIT(HODEI_JOB_RUNNING) |
	                       HODEI_STATE_BIT(HODEI_JOB_FAILED));
	assert_int_equal(cli_parse_states("completed", &mask), 0);
	assert_int_equal(mask, HODEI_STATE_BIT(HODEI_JOB_SUCCEEDED));
	assert_int_equal(cli_parse_states("active", &mask), 0);
	assert_int_equal(mask, HODEI_STATES_ACTIVE);
	assert_int_equal(cli_parse_states("RUNNING", &mask), 0);
	assert_int_equal(cli_parse_states("sleeping", &mask), -1);
	assert_int_equal(cli_parse_states("running,", &mask), 0);
	assert_int_equal(cli_parse_states(",", &mask), -1);
}

static void test_closest(void **state)
{
	static const char *const words[] = { "list", "get", "queue", "cancel", "retry" };
	static const char *const options[] = { "status", "search", "limit", "server" };

	(void)state;
	assert_int_equal(cli_edit_distance("lsit", "list"), 1); /* a swap is one edit */
	assert_int_equal(cli_edit_distance("", "abc"), 3);
	assert_int_equal(cli_edit_distance("kitten", "sitting"), 3);
	assert_string_equal(cli_closest("lsit", words, 5), "list");
	assert_string_equal(cli_closest("qeue", words, 5), "queue");
	assert_string_equal(cli_closest("canc", words, 5), "cancel"); /* a prefix */
	assert_string_equal(cli_closest("stauts", options, 4), "status");
	assert_null(cli_closest("x", words, 5));        /* too short to guess */
	assert_null(cli_closest("frobnicate", words, 5)); /* nothing close */
	assert_null(cli_closest("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
	                        words, 5));
}

static void test_config_file(void **state)
{
	cli_config cfg;
	const cli_context *c;

	(void)state;
	assert_int_equal(cli_config_parse(&cfg, "# comment\ncurrent-context = b\n\n"
	                                        "[context a]\nserver = h:1\n"
	                                        "[context b]\n  server=h:2  \ntoken-file = /t\n"
	                                        "ca = /ca.pem\n", "f"), 0);
	assert_int_equal(cfg.ncontexts, 2);
	assert_string_equal(cfg.current, "b");
	c = cli_config_find(&cfg, "b");
	assert_non_null(c);
	assert_string_equal(c->server, "h:2");
	assert_string_equal(c->token_file, "/t");
	assert_string_equal(c->ca, "/ca.pem");
	assert_null(c->token);
	assert_null(cli_config_find(&cfg, "c"));
	cli_config_free(&cfg);
	/* refused, with the line named: unknown key, key outside a section, bad section */
	assert_int_equal(cli_config_parse(&cfg, "[context a]\nport = 1\n", "f"), CLI_EXIT_USAGE);
	assert_int_equal(cli_config_parse(&cfg, "server = h:1\n", "f"), CLI_EXIT_USAGE);
	assert_int_equal(cli_config_parse(&cfg, "[context a b]\n", "f"), CLI_EXIT_USAGE);
	assert_int_equal(cli_config_parse(&cfg, "[ctx a]\n", "f"), CLI_EXIT_USAGE);
	assert_int_equal(cli_config_parse(&cfg, "[context a]\nserver\n", "f"), CLI_EXIT_USAGE);
	assert_true(cli_config_valid_name("prod-1.eu_west"));
	assert_false(cli_config_valid_name(""));
	assert_false(cli_config_valid_name("a b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_manual_examples),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_blanks),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_split_appends),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size_and_cpu),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_env_and_labels),
		cmocka_unit_test(test_shell_quote),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_closest),
		cmocka_unit_test(test_config_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
