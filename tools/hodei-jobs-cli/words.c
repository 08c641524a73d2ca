/*
 * Parsing of command-line values that needs no server: shell-like word
 * splitting for --args, durations, sizes, CPU amounts, NAME=value checks.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_push_word(char ***words, size_t *nwords, const char *s)
{
	char **grown = realloc(*words, (*nwords + 2) * sizeof(char *));

	if (!grown)
		return -1;
	*words = grown;
	if (!(grown[*nwords] = strdup(s)))
		return -1;
	grown[++*nwords] = NULL;
	return 0;
}

void cli_free_words(char **words, size_t nwords)
{
	size_t i;

	for (i = 0; words && i < nwords; i++)
		free(words[i]);
	free(words);
}

/* Characters that keep their backslash-escape meaning inside double quotes. */
static int dquote_escapable(char c)
{
	return c == '"' || c == '\\' || c == '$' || c == '`';
}

int cli_split_words(const char *text, char ***words, size_t *nwords, const char **error)
{
	char *word = malloc(strlen(text) + 1);
	size_t len = 0;
	int in_word = 0;
	const char *p = text;

	*error = NULL;
	if (!word) {
		*error = "out of memory";
		return -1;
	}
	while (*p) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			if (in_word) {
				word[len] = '\0';
				if (cli_push_word(words, nwords, word) != 0)
					goto nomem;
				len = 0;
				in_word = 0;
			}
			p++;
			continue;
		}
		in_word = 1;
		if (*p == '\'') {
			const char *end = strchr(p + 1, '\'');

			if (!end) {
				*error = "unterminated single quote";
				goto fail;
			}
			memcpy(word + len, p + 1, (size_t)(end - p - 1));
			len += (size_t)(end - p - 1);
			p = end + 1;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && dquote_escapable(p[1]))
					p++;
				word[len++] = *p;
			}
			if (*p != '"') {
				*error = "unterminated double quote";
				goto fail;
			}
			p++;
		} else if (*p == '\\') {
			if (!p[1]) {
				*error = "backslash at the end";
				goto fail;
			}
			word[len++] = p[1];
			p += 2;
		} else {
			word[len++] = *p++;
		}
	}
	if (in_word) {
		word[len] = '\0';
		if (cli_push_word(words, nwords, word) != 0)
			goto nomem;
	}
	free(word);
	return 0;
nomem:
	*error = "out of memory";
fail:
	free(word);
	return -1;
}

int cli_parse_int(const char *text, int64_t min, int64_t max, int64_t *value)
{
	char *end;
	long long v;

	if (!text || !*text || isspace((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*value = v;
	return 0;
}

/* A non-negative decimal number with an optional fraction, then a suffix. */
static int parse_number(const char *text, double *value, const char **suffix)
{
	char *end;

	if (!text || !isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	*value = strtod(text, &end);
	if (errno || !isfinite(*value) || end == text)
		return -1;
	/* strtod accepts hex and exponents; we do not. */
	if (strspn(text, "0123456789.") != (size_t)(end - text))
		return -1;
	*suffix = end;
	return 0;
}

int cli_parse_duration_ms(const char *text, int64_t *ms)
{
	static const struct {
		const char *suffix;
		double ms;
	} units[] = { { "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 },
	              { "h", 3600000 }, { "d", 86400000 } };
	const char *suffix;
	double v;
	size_t i;

	if (parse_number(text, &v, &suffix) != 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(suffix, units[i].suffix) == 0) {
			double total = v * units[i].ms;

			if (total > (double)HODEI_TIMEOUT_MAX_MS)
				return -1;
			*ms = (int64_t)llround(total);
			return 0;
		}
	}
	return -1;
}

int cli_parse_size(const char *text, uint64_t *bytes)
{
	static const char units[] = "KMGT";
	const char *suffix, *unit;
	double v, mult = 1;

	if (parse_number(text, &v, &suffix) != 0)
		return -1;
	if (*suffix) {
		unit = strchr(units, toupper((unsigned char)*suffix));
		if (!unit)
			return -1;
		mult = pow(1024, (double)(unit - units + 1));
		suffix++;
		if (strcmp(suffix, "") != 0 && strcmp(suffix, "i") != 0 &&
		    strcmp(suffix, "iB") != 0 && strcmp(suffix, "B") != 0)
			return -1;
	}
	if (v * mult > 1.8e19)
		return -1;
	*bytes = (uint64_t)llround(v * mult);
	return 0;
}

int cli_parse_cpu(const char *text, uint32_t *millis)
{
	const char *suffix;
	double v;

	if (parse_number(text, &v, &suffix) != 0)
		return -1;
	if (strcmp(suffix, "m") == 0)
		v /= 1000;
	else if (*suffix)
		return -1;
	if (v * 1000 > 4e9 || (v > 0 && v * 1000 < 1))
		return -1;
	*millis = (uint32_t)llround(v * 1000);
	return 0;
}

int cli_check_env(const char *text)
{
	const char *eq = strchr(text, '=');
	const char *p;

	if (!eq || eq == text || isdigit((unsigned char)text[0]))
		return -1;
	for (p = text; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return -1;
	return 0;
}

int cli_check_label(const char *text)
{
	const char *eq = strchr(text, '=');

	return eq && eq != text ? 0 : -1;
}

char *cli_shell_quote(const char *word)
{
	size_t n = 0;
	const char *p;
	char *out, *o;

	if (word[0] && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                            "0123456789_-./=:,+@%") == strlen(word))
		return strdup(word);
	for (p = word; *p; p++)
		n += *p == '\'' ? 4 : 1;
	out = malloc(n + 3);
	if (!out)
		return NULL;
	o = out;
	*o++ = '\'';
	for (p = word; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* Optimal string alignment distance (Levenshtein plus transpositions) of a
 * and b, capped: words longer than 63 bytes are "far". */
size_t cli_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[64][64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *cli_closest(const char *word, const char *const *candidates, size_t n)
{
	size_t i, best = SIZE_MAX, len = strlen(word);
	/* a third of the word, at least 1 and at most 3 edits: "lsit" -> "list",
	 * but "x" suggests nothing */
	size_t limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
	const char *found = NULL;

	if (len < 2)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t d;

		if (!candidates[i])
			continue;
		d = strncmp(candidates[i], word, len) == 0 ? 1 : cli_edit_distance(word,
		                                                                    candidates[i]);
		if (d <= limit && d < best) {
			best = d;
			found = candidates[i];
		}
	}
	return found;
}
