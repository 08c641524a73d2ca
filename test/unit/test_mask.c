/* Secret masking (lib/mask.c): values, their encodings, split pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* Mask one whole line; the result in buf. */
static const char *masked(hodei__mask *m, const char *line, char *buf, size_t buflen)
{
	char *out;
	size_t n;

	assert_int_equal(hodei__mask_apply(m, HODEI_STREAM_STDOUT, line, strlen(line), false, &out,
	                                   &n), 0);
	assert_true(n < buflen);
	memcpy(buf, out, n + 1);
	free(out);
	return buf;
}

static void plain_value(void **state)
{
	const char *v[] = { "hunter2-s3cret" };
	hodei__mask *m;
	char buf[256];

	(void)state;
	assert_int_equal(hodei__mask_new(&m, v, 1), 0);
	assert_non_null(m);
	assert_string_equal(masked(m, "token=hunter2-s3cret.", buf, sizeof buf), "token=***.");
	assert_string_equal(masked(m, "hunter2-s3crethunter2-s3cret", buf, sizeof buf), "******");
	assert_string_equal(masked(m, "nothing here", buf, sizeof buf), "nothing here");
	assert_string_equal(masked(m, "", buf, sizeof buf), "");
	assert_string_equal(masked(m, "hunter2-s3cre", buf, sizeof buf), "hunter2-s3cre");
	hodei__mask_free(m);
}

static void encoded_forms(void **state)
{
	const char *v[] = { "p@ss w/rd:42!" };
	hodei__mask *m;
	char buf[256];

	(void)state;
	assert_int_equal(hodei__mask_new(&m, v, 1), 0);
	/* base64 -w0 <<< 'p@ss w/rd:42!' (no newline): cEBzcyB3L3JkOjQyIQ== */
	assert_string_equal(masked(m, "b64 cEBzcyB3L3JkOjQyIQ== end", buf, sizeof buf),
	                    "b64 ***Q== end"); /* all but what depends on the next byte */
	/* inside a longer base64 text, at offsets 1 and 2: "A" + v, "AB" + v */
	assert_string_equal(masked(m, "QXBAc3Mgdy9yZDo0MiE=", buf, sizeof buf), "QX***E=");
	assert_string_equal(masked(m, "QUJwQHNzIHcvcmQ6NDIh", buf, sizeof buf), "QUJ***");
	/* URL-encoded, upper and lower case */
	assert_string_equal(masked(m, "u=p%40ss%20w%2Frd%3A42%21&x", buf, sizeof buf), "u=***&x");
	assert_string_equal(masked(m, "u=p%40ss%20w%2frd%3a42%21&x", buf, sizeof buf), "u=***&x");
	hodei__mask_free(m);
}

static void several_values_longest_first(void **state)
{
	const char *v[] = { "abcd", "abcdefgh", "zzzz" };
	hodei__mask *m;
	char buf[256];

	(void)state;
	assert_int_equal(hodei__mask_new(&m, v, 3), 0);
	assert_string_equal(masked(m, "[abcdefgh][abcd][zzzz]", buf, sizeof buf), "[***][***][***]");
	hodei__mask_free(m);
}

static void multi_line_value(void **state)
{
	const char *v[] = { "-----BEGIN KEY-----\nMIIEsecretline\n-----END KEY-----" };
	hodei__mask *m;
	char buf[256];

	(void)state;
	assert_int_equal(hodei__mask_new(&m, v, 1), 0);
	assert_string_equal(masked(m, "MIIEsecretline", buf, sizeof buf), "***");
	hodei__mask_free(m);
}

static void empty_values_mask_nothing(void **state)
{
	const char *v[] = { "" };
	hodei__mask *m = (hodei__mask *)1;

	(void)state;
	assert_int_equal(hodei__mask_new(&m, v, 1), 0);
	assert_null(m);
	assert_int_equal(hodei__mask_new(&m, NULL, 0), 0);
	assert_null(m);
}

/* A value split across pieces of one long line: never shown in part. */
static void split_across_pieces(void **state)
{
	const char *v[] = { "SPLITSECRET123" };
	hodei__mask *m;
	char *out;
	size_t n;
	char all[256] = "";

	(void)state;
	assert_int_equal(hodei__mask_new(&m, v, 1), 0);
	assert_int_equal(hodei__mask_apply(m, 1, "aaaaSPLIT", 9, true, &out, &n), 0);
	assert_string_equal(out, "aaaa"); /* "SPLIT" held back */
	strcat(all, out);
	free(out);
	/* stderr has its own carry */
	assert_int_equal(hodei__mask_apply(m, 2, "err", 3, false, &out, &n), 0);
	assert_string_equal(out, "err");
	free(out);
	assert_int_equal(hodei__mask_apply(m, 1, "SEC", 3, true, &out, &n), 0);
	assert_int_equal(n, 0); /* all of it may still be the secret */
	free(out);
	assert_int_equal(hodei__mask_apply(m, 1, "RET123bbbb", 10, false, &out, &n), 0);
	assert_string_equal(out, "***bbbb");
	strcat(all, out);
	free(out);
	assert_string_equal(all, "aaaa***bbbb");
	/* a held tail that turns out not to be the secret comes back */
	assert_int_equal(hodei__mask_apply(m, 1, "xxSPL", 5, true, &out, &n), 0);
	assert_string_equal(out, "xx");
	free(out);
	assert_int_equal(hodei__mask_apply(m, 1, "ENDID", 5, false, &out, &n), 0);
	assert_string_equal(out, "SPLENDID");
	free(out);
	hodei__mask_free(m);
}

static void pattern_count(void **state)
{
	const char *v[] = { "plainvalue" };
	hodei__mask *m;

	(void)state;
	assert_int_equal(hodei__mask_new(&m, v, 1), 0);
	/* itself and three base64 alignments (nothing to URL-encode) */
	assert_int_equal(hodei__mask_patterns(m), 4);
	hodei__mask_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_value),
		cmocka_unit_test(encoded_forms),
		cmocka_unit_test(several_values_longest_first),
		cmocka_unit_test(multi_line_value),
		cmocka_unit_test(empty_values_mask_nothing),
		cmocka_unit_test(split_across_pieces),
		cmocka_unit_test(pattern_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
