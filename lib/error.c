/* Result codes and the thread-local error message. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static _Thread_local char last_message[1024];

int hodei__err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	return code;
}

int hodei__arg_null(const char *name)
{
	return hodei__err(HODEI_EINVAL, "%s: must not be NULL", name);
}

void hodei__err_clear(void)
{
	last_message[0] = '\0';
}

const char *hodei_error_last(void)
{
	return last_message;
}

const char *hodei_strerror(int code)
{
	switch (code) {
	case HODEI_OK: return "success";
	case HODEI_ENOTFOUND: return "not found";
	case HODEI_EEXISTS: return "already exists";
	case HODEI_EINVAL: return "invalid argument";
	case HODEI_EFULL: return "queue is full";
	case HODEI_ESTATE: return "not allowed in the current state";
	case HODEI_EIO: return "I/O or database error";
	case HODEI_ENOTDB: return "not a Hodei database";
	case HODEI_ETIMEDOUT: return "timed out";
	case HODEI_ENOMEM: return "out of memory";
	case HODEI_EAGAIN: return "try again";
	case HODEI_EUNAVAIL: return "unavailable";
	case HODEI_EAUTH: return "authentication failed";
	case HODEI_EVERSION: return "unsupported struct version";
	case HODEI_ELOCKED: return "the store is in use by another process";
	case HODEI_ENOSPC: return "no space left to store it";
	default: return "error";
	}
}

const char *hodei_version(void)
{
	return HODEI_VERSION_STRING;
}

void hodei_free(void *ptr)
{
	free(ptr);
}
