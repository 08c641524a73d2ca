/*
 * The log-level rule and the progress convention (pure).  See log.h.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const struct {
	const char *word;
	int level;
} level_words[] = {
	{ "DEBUG", HODEI_LEVEL_DEBUG }, { "TRACE", HODEI_LEVEL_DEBUG },
	{ "INFO", HODEI_LEVEL_INFO },   { "WARNING", HODEI_LEVEL_WARN },
	{ "WARN", HODEI_LEVEL_WARN },   { "ERROR", HODEI_LEVEL_ERROR },
	{ "ERR", HODEI_LEVEL_ERROR },   { "FATAL", HODEI_LEVEL_ERROR },
	{ "CRITICAL", HODEI_LEVEL_ERROR }, { "PANIC", HODEI_LEVEL_ERROR },
};

static const char *const level_names[] = { NULL, "DEBUG", "INFO", "WARN", "ERROR" };

const char *hodei_log_level_name(int level)
{
	return level >= 1 && level <= 4 ? level_names[level] : "UNKNOWN";
}

int hodei_log_level_parse(const char *name, int *level)
{
	if (!level)
		return hodei__arg_null("level");
	for (size_t i = 0; name && i < sizeof(level_words) / sizeof(level_words[0]); i++)
		if (strcasecmp(name, level_words[i].word) == 0) {
			*level = level_words[i].level;
			return 0;
		}
	return hodei__err(HODEI_EINVAL, "level: unknown level '%s' (DEBUG, INFO, WARN, ERROR)",
	                  name ? name : "(null)");
}

static const char *const progress_prefix = "::progress::";

int hodei__progress_parse(const char *text, size_t len)
{
	size_t plen = strlen(progress_prefix), i;
	int value = 0;

	if (len <= plen || memcmp(text, progress_prefix, plen) != 0)
		return -1;
	for (i = plen; i < len && i < plen + 3; i++) {
		if (!isdigit((unsigned char)text[i]))
			return -1;
		value = value * 10 + (text[i] - '0');
	}
	while (i < len && (text[i] == ' ' || text[i] == '%' || text[i] == '\r'))
		i++;
	return i == len && value <= 100 ? value : -1;
}

int hodei_log_classify(const char *text, size_t len, int stream)
{
	size_t i = 0;

	if (!text) /* no text: the stream's default level */
		len = 0;

	if (hodei__progress_parse(text, len) >= 0)
		return HODEI_LEVEL_DEBUG;
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	if (i < len && text[i] == '[')
		i++;
	if (len - i > 6 && strncasecmp(text + i, "level=", 6) == 0)
		i += 6;
	for (size_t w = 0; w < sizeof(level_words) / sizeof(level_words[0]); w++) {
		size_t wl = strlen(level_words[w].word);

		if (len - i >= wl && strncasecmp(text + i, level_words[w].word, wl) == 0 &&
		    (len - i == wl || !isalpha((unsigned char)text[i + wl])))
			return level_words[w].level;
	}
	return stream == HODEI_STREAM_STDERR ? HODEI_LEVEL_ERROR : HODEI_LEVEL_INFO;
}
