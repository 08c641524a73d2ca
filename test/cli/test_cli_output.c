/*
 * Unit tests of hodei-jobs-cli's output (JSON, tables, log lines) and option
 * parsing (tools/hodei-jobs-cli/output.c, options.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

/* Output of fn(out, arg) as a string (malloc'd). */
typedef struct capture {
	char *text;
	size_t len;
	FILE *out;
} capture;

static void capture_start(capture *c)
{
	c->text = NULL;
	c->len = 0;
	c->out = open_memstream(&c->text, &c->len);
	assert_non_null(c->out);
}

static char *capture_end(capture *c)
{
	fclose(c->out);
	return c->text;
}

static void check_json_str(const char *in, size_t len, const char *want)
{
	capture c;
	char *got;

	capture_start(&c);
	cli_json_str(c.out, in, len);
	got = capture_end(&c);
	assert_string_equal(got, want);
	free(got);
}

static void test_json_strings(void **state)
{
	check_json_str("plain", 5, "\"plain\"");
	check_json_str("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_json_str("l1\nl2\tx\r", 8, "\"l1\\nl2\\tx\\r\"");
	check_json_str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	check_json_str("caf\xc3\xa9 \xe2\x82\xac", 9, "\"caf\xc3\xa9 \xe2\x82\xac\"");
	/* Invalid UTF-8: a lone continuation byte, a truncated sequence, overlong. */
	check_json_str("a\x80z", 3, "\"a\\ufffdz\"");
	check_json_str("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
	check_json_str("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	/* An embedded NUL is data, not the end. */
	check_json_str("a\0b", 3, "\"a\\u0000b\"");
}

static void test_json_object(void **state)
{
	char *const v[] = { "run", "build" };
	capture c;
	char *got;
	int first = 1;

	capture_start(&c);
	fputc('{', c.out);
	cli_json_kv_str(c.out, &first, "id", "job-1");
	cli_json_kv_str(c.out, &first, "reason", NULL);
	cli_json_kv_int(c.out, &first, "n", -3);
	cli_json_kv_strv(c.out, &first, "args", v, 2);
	cli_json_kv_time(c.out, &first, "t", 1700000000123);
	cli_json_kv_time(c.out, &first, "never", 0);
	fputc('}', c.out);
	got = capture_end(&c);
	assert_string_equal(got, "{\"id\":\"job-1\",\"reason\":null,\"n\":-3,"
	                         "\"args\":[\"run\",\"build\"],"
	                         "\"t\":\"2023-11-14T22:13:20.123Z\",\"never\":null}");
	free(got);
}

static void test_table(void **state)
{
	static const char *const headers[] = { "ID", "NAME", "STATE" };
	static const char *const row1[] = { "job-1", "Build Project", "RUNNING" };
	static const char *const row2[] = { "j2", NULL, "" };
	cli_table t;
	capture c;
	char *got;

	cli_table_init(&t, 3, headers);
	cli_table_add(&t, row1);
	cli_table_add(&t, row2);
	capture_start(&c);
	cli_table_print(&t, c.out);
	got = capture_end(&c);
	assert_string_equal(got, "ID     NAME           STATE\n"
	                         "job-1  Build Project  RUNNING\n"
	                         "j2     -              -\n");
	free(got);
	cli_table_free(&t);
}

static void test_durations_and_times(void **state)
{
	char buf[40];

	assert_string_equal(cli_format_duration(1500, buf, sizeof(buf)), "1.5s");
	assert_string_equal(cli_format_duration(125000, buf, sizeof(buf)), "2m05s");
	assert_string_equal(cli_format_duration(3723000, buf, sizeof(buf)), "1h02m");
	assert_string_equal(cli_format_duration(-1, buf, sizeof(buf)), "-");
	assert_string_equal(cli_format_time(0, buf, sizeof(buf)), "-");
	assert_string_equal(cli_format_time(86400000, buf, sizeof(buf)),
	                    "1970-01-02T00:00:00.000Z");
}

static void print_line(const cli_ctx *cli, int level, int stream, const char *text,
                       char **got)
{
	hodei_log_line line;
	capture c;

	memset(&line, 0, sizeof(line));
	line.seq = 7;
	line.ts_us = 1000000;
	line.level = level;
	line.stream = stream;
	line.attempt = 1;
	line.text = text;
	line.len = strlen(text);
	capture_start(&c);
	cli_print_log_line(cli, &line, c.out);
	*got = capture_end(&c);
}

static void test_log_lines(void **state)
{
	cli_ctx cli;
	char *got;

	memset(&cli, 0, sizeof(cli));
	print_line(&cli, HODEI_LEVEL_ERROR, HODEI_STREAM_STDERR, "boom", &got);
	assert_string_equal(got, "boom\n"); /* no colour when not asked */
	free(got);
	cli.color = 1;
	print_line(&cli, HODEI_LEVEL_ERROR, HODEI_STREAM_STDERR, "boom", &got);
	assert_string_equal(got, "\033[31mboom\033[0m\n");
	free(got);
	print_line(&cli, HODEI_LEVEL_WARN, HODEI_STREAM_STDOUT, "careful", &got);
	assert_string_equal(got, "\033[33mcareful\033[0m\n");
	free(got);
	cli.color = 0;
	print_line(&cli, HODEI_LEVEL_INFO, HODEI_STREAM_SYSTEM, "killed", &got);
	assert_string_equal(got, "[hodei] killed\n");
	free(got);
	cli.output = CLI_OUTPUT_JSON;
	print_line(&cli, HODEI_LEVEL_INFO, HODEI_STREAM_STDOUT, "Hello", &got);
	assert_string_equal(got, "{\"seq\":7,\"time\":\"1970-01-01T00:00:01.000Z\","
	                         "\"stream\":\"stdout\",\"level\":\"INFO\",\"attempt\":1,"
	                         "\"partial\":false,\"text\":\"Hello\"}\n");
	free(got);
}

/* ---- option parsing ---- */

static int fake_run(cli_ctx *cli, int argc, char **argv)
{
	return 0;
}

static const cli_command fake = { "jobs", "fake", fake_run, "[--flag X]", "a test", "" };

static int seen_flag;

static int on_option(cli_ctx *cli, int id, const char *arg, void *state)
{
	seen_flag = id == 300 && strcmp(arg, "v") == 0;
	return 0;
}

static int parse(cli_ctx *cli, int argc, char **argv, int *first)
{
	static const struct option options[] = {
		{ "flag", required_argument, NULL, 300 },
		{ 0, 0, 0, 0 },
	};

	memset(cli, 0, sizeof(*cli));
	cli->command = &fake;
	return cli_parse(cli, argc, argv, options, on_option, NULL, first);
}

static void test_parse_ok(void **state)
{
	char *argv[] = { "fake", "ID", "--flag", "v", "--output", "json", "--server",
	                 "h:1", NULL };
	cli_ctx cli;
	int first;

	seen_flag = 0;
	assert_int_equal(parse(&cli, 8, argv, &first), 0);
	assert_true(seen_flag);
	assert_int_equal(cli.output, CLI_OUTPUT_JSON);
	assert_string_equal(cli.server, "h:1");
	assert_string_equal(argv[first], "ID"); /* options after arguments are allowed */
	assert_int_equal(cli_expect_args(&cli, 8, argv, first, 1, "JOB-ID"), 0);
}

static void test_parse_errors(void **state)
{
	char *unknown[] = { "fake", "--bogus", NULL };
	char *missing[] = { "fake", "--flag", NULL };
	char *output[] = { "fake", "-o", "yaml", NULL };
	char *extra[] = { "fake", "a", "b", NULL };
	cli_ctx cli;
	int first;

	assert_int_equal(parse(&cli, 2, unknown, &first), CLI_EXIT_USAGE);
	assert_int_equal(parse(&cli, 2, missing, &first), CLI_EXIT_USAGE);
	assert_int_equal(parse(&cli, 3, output, &first), CLI_EXIT_USAGE);
	assert_int_equal(parse(&cli, 3, extra, &first), 0);
	assert_int_equal(cli_expect_args(&cli, 3, extra, first, 1, "JOB-ID"), CLI_EXIT_USAGE);
	assert_int_equal(cli_expect_args(&cli, 3, extra, 3, 1, "JOB-ID"), CLI_EXIT_USAGE);
}

static void test_exit_codes(void **state)
{
	assert_int_equal(cli_exit_code(HODEI_OK), CLI_EXIT_OK);
	assert_int_equal(cli_exit_code(HODEI_EUNAVAIL), CLI_EXIT_UNREACHABLE);
	assert_int_equal(cli_exit_code(HODEI_ENOTFOUND), CLI_EXIT_NOT_FOUND);
	assert_int_equal(cli_exit_code(HODEI_EAUTH), CLI_EXIT_AUTH);
	assert_int_equal(cli_exit_code(HODEI_EINVAL), CLI_EXIT_USAGE);
	assert_int_equal(cli_exit_code(HODEI_ESTATE), CLI_EXIT_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_json_object),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_durations_and_times),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_exit_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
