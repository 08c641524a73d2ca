/*
 * Output helpers: JSON values (one object per line for lists, so scripts
 * never parse tables), aligned tables, times, and log lines coloured by
 * level.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* ---- text for a terminal ----------------------------------------------- */

/*
 * A terminal acts on control characters: a job's output could move the
 * cursor, retitle the window or rewrite what was printed before.  On one,
 * they are shown as \xHH (C1 controls as \u00HH), as journalctl does; tabs
 * stay.  Text the server sent is valid UTF-8; a stray byte is shown as \xHH.
 */
char *cli_escape_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(len * 6 + 1), *o = out;
	size_t i = 0, n;

	if (!out)
		return NULL;
	while (i < len) {
		if (p[i] < 0x80) {
			if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
				o += sprintf(o, "\\x%02x", p[i]);
			else
				*o++ = (char)p[i];
			i++;
			continue;
		}
		n = utf8_len(p + i, len - i);
		if (n == 0) {
			o += sprintf(o, "\\x%02x", p[i++]);
		} else if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
			o += sprintf(o, "\\u%04x", p[i + 1]);
			i += 2;
		} else {
			memcpy(o, p + i, n);
			o += n;
			i += n;
		}
	}
	*o = '\0';
	return out;
}

void cli_write_text(FILE *out, const char *s, size_t len, int escape)
{
	char *e = escape ? cli_escape_text(s, len) : NULL;

	if (e)
		fputs(e, out);
	else
		fwrite(s, 1, len, out);
	free(e);
}

int cli_is_terminal(FILE *out)
{
	return isatty(fileno(out));
}

void cli_json_str(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	fputc('"', out);
	while (i < len) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
		} else if (c == '\n') {
			fputs("\\n", out);
		} else if (c == '\t') {
			fputs("\\t", out);
		} else if (c == '\r') {
			fputs("\\r", out);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else if (c >= 0x80) {
			n = utf8_len(p + i, len - i);
			if (n == 0) {
				fputs("\\ufffd", out);
				i++;
				continue;
			}
			fwrite(p + i, 1, n, out);
			i += n;
			continue;
		} else {
			fputc(c, out);
		}
		i++;
	}
	fputc('"', out);
}

void cli_json_key(FILE *out, int *first, const char *key)
{
	if (!*first)
		fputc(',', out);
	*first = 0;
	cli_json_str(out, key, strlen(key));
	fputc(':', out);
}

void cli_json_kv_str(FILE *out, int *first, const char *key, const char *value)
{
	cli_json_key(out, first, key);
	if (value)
		cli_json_str(out, value, strlen(value));
	else
		fputs("null", out);
}

void cli_json_kv_int(FILE *out, int *first, const char *key, int64_t value)
{
	cli_json_key(out, first, key);
	fprintf(out, "%" PRId64, value);
}

void cli_json_kv_time(FILE *out, int *first, const char *key, int64_t ms)
{
	char buf[40];

	cli_json_kv_str(out, first, key, ms ? cli_format_time(ms, buf, sizeof(buf)) : NULL);
}

void cli_json_kv_strv(FILE *out, int *first, const char *key, char *const *v, size_t n)
{
	size_t i;

	cli_json_key(out, first, key);
	fputc('[', out);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		cli_json_str(out, v[i], strlen(v[i]));
	}
	fputc(']', out);
}

const char *cli_format_time(int64_t ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	if (ms <= 0 || !gmtime_r(&secs, &tm)) {
		snprintf(buf, size, "-");
		return buf;
	}
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03dZ", (int)(ms % 1000));
	return buf;
}

const char *cli_format_duration(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		snprintf(buf, size, "-");
	else if (ms < 60000)
		snprintf(buf, size, "%.1fs", (double)ms / 1000);
	else if (ms < 3600000)
		snprintf(buf, size, "%dm%02ds", (int)(ms / 60000), (int)(ms / 1000 % 60));
	else
		snprintf(buf, size, "%dh%02dm", (int)(ms / 3600000), (int)(ms / 60000 % 60));
	return buf;
}

/* ---- tables ----------------------------------------------------------- */

void cli_table_init(cli_table *t, size_t ncols, const char *const *headers)
{
	t->ncols = ncols;
	t->nrows = 0;
	t->cells = NULL;
	cli_table_add(t, headers);
}

void cli_table_add(cli_table *t, const char *const *row)
{
	char **grown = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	size_t i;

	if (!grown) {
		fputs("out of memory\n", stderr);
		exit(CLI_EXIT_ERROR);
	}
	t->cells = grown;
	for (i = 0; i < t->ncols; i++) {
		const char *cell = row[i] && row[i][0] ? row[i] : "-";

		if (!(t->cells[t->nrows * t->ncols + i] = strdup(cell))) {
			fputs("out of memory\n", stderr);
			exit(CLI_EXIT_ERROR);
		}
	}
	t->nrows++;
}

/* Display width of a UTF-8 string (one column per code point). */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void cli_table_print(const cli_table *t, FILE *out)
{
	size_t ncells = t->nrows * t->ncols;
	size_t *width = calloc(t->ncols, sizeof(size_t));
	char **shown = calloc(ncells + 1, sizeof(char *));
	int escape = cli_is_terminal(out);
	size_t r, c, i;

	if (!width || !shown)
		goto done;
	for (i = 0; i < ncells; i++) {
		const char *cell = t->cells[i] ? t->cells[i] : "";

		shown[i] = escape ? cli_escape_text(cell, strlen(cell)) : strdup(cell);
		if (!shown[i])
			goto done;
		if (text_width(shown[i]) > width[i % t->ncols])
			width[i % t->ncols] = text_width(shown[i]);
	}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *cell = shown[r * t->ncols + c];

			fputs(cell, out);
			if (c + 1 < t->ncols)
				fprintf(out, "%*s", (int)(width[c] - text_width(cell) + 2), "");
		}
		fputc('\n', out);
	}
done:
	for (i = 0; shown && i < ncells; i++)
		free(shown[i]);
	free(shown);
	free(width);
}

void cli_table_free(cli_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

/* ---- log lines -------------------------------------------------------- */

/* ANSI colours of the manual's levels: INFO white, WARN yellow, ERROR red, DEBUG grey. */
static const char *level_color(int level)
{
	switch (level) {
	case HODEI_LEVEL_DEBUG:
		return "\033[90m";
	case HODEI_LEVEL_WARN:
		return "\033[33m";
	case HODEI_LEVEL_ERROR:
		return "\033[31m";
	default:
		return "\033[37m";
	}
}

static const char *stream_name(int stream)
{
	switch (stream) {
	case HODEI_STREAM_STDOUT:
		return "stdout";
	case HODEI_STREAM_STDERR:
		return "stderr";
	case HODEI_STREAM_SYSTEM:
		return "system";
	default:
		return "unknown";
	}
}

void cli_print_log_line(const cli_ctx *cli, const hodei_log_line *line, FILE *out)
{
	int first = 1;

	if (cli->output == CLI_OUTPUT_JSON) {
		fputc('{', out);
		cli_json_kv_int(out, &first, "seq", line->seq);
		cli_json_kv_time(out, &first, "time", line->ts_us / 1000);
		cli_json_kv_str(out, &first, "stream", stream_name(line->stream));
		cli_json_kv_str(out, &first, "level", hodei_log_level_name(line->level));
		cli_json_kv_int(out, &first, "attempt", line->attempt);
		cli_json_key(out, &first, "partial");
		fputs(line->flags & HODEI_LOG_PARTIAL ? "true" : "false", out);
		cli_json_key(out, &first, "text");
		cli_json_str(out, line->text, line->len);
		fputs("}\n", out);
	} else {
		if (cli->color)
			fputs(level_color(line->level), out);
		if (line->stream == HODEI_STREAM_SYSTEM)
			fputs("[hodei] ", out);
		cli_write_text(out, line->text, line->len, cli->escape);
		if (cli->color)
			fputs("\033[0m", out);
		if (!(line->flags & HODEI_LOG_PARTIAL))
			fputc('\n', out);
	}
	fflush(out);
}
