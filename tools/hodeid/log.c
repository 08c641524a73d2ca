/* Structured logs: one logfmt line per event on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hodeid.h"

static int threshold = HODEI_DIAG_INFO;

void hodeid_log_init(int level)
{
	threshold = level;
}

static const char *level_name(int level)
{
	switch (level) {
	case HODEI_DIAG_DEBUG: return "debug";
	case HODEI_DIAG_INFO: return "info";
	case HODEI_DIAG_WARN: return "warn";
	default: return "error";
	}
}

/* msg="..." with quotes, backslashes and control bytes escaped. */
static void put_quoted(FILE *f, const char *text)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void emit(int level, const char *component, const char *text)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	flockfile(stderr);
	fprintf(stderr, "ts=%s.%03ldZ level=%s component=%s msg=", when, ts.tv_nsec / 1000000,
	        level_name(level), component);
	put_quoted(stderr, text);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void hodeid_log(int level, const char *fmt, ...)
{
	if (level < threshold)
		return;
	char text[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	emit(level, "hodeid", text);
}

void hodeid_diag(int level, const char *message, void *userdata)
{
	if (level >= threshold)
		emit(level, "libhodei", message);
}
