/*
 * libhodei: common definitions, result codes and error reporting.
 *
 * Every libhodei function that can fail returns an int: 0 (HODEI_OK) on
 * success or one of the negative HODEI_E* codes below.  The code says what
 * kind of failure it was; hodei_error_last() gives a message for a person,
 * naming the field, job or file concerned (for example
 * "command: must not be empty").  The message is thread-local and stays
 * valid until the next libhodei call on the same thread.
 *
 * Ownership: anything returned through a `T **out` parameter belongs to the
 * caller and is released with the matching hodei_T_free(); every destructor
 * accepts NULL.  A pointer returned as a value is borrowed from its parent.
 */
#ifndef HODEI_COMMON_H
#define HODEI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(HODEI_BUILDING_LIBRARY) && defined(__GNUC__)
#define HODEI_EXTERN __attribute__((visibility("default")))
#else
#define HODEI_EXTERN
#endif

#define HODEI_VERSION_MAJOR 0
#define HODEI_VERSION_MINOR 1
#define HODEI_VERSION_PATCH 0
#define HODEI_VERSION_STRING "0.1.0"

/** Result codes.  New codes may be added; treat unknown ones as HODEI_ERROR. */
typedef enum hodei_result {
	HODEI_OK = 0,
	HODEI_ERROR = -1,     /**< unexpected failure (see message) */
	HODEI_ENOTFOUND = -2, /**< no job, provider or worker with that id */
	HODEI_EEXISTS = -3,   /**< a job or provider with that id already exists */
	HODEI_EINVAL = -4,    /**< an argument is invalid; the message names it */
	HODEI_EFULL = -5,     /**< the queue is full (HODEI_MAX_QUEUE_SIZE) */
	HODEI_ESTATE = -6,    /**< not allowed in the job's current state */
	HODEI_EIO = -7,       /**< database or operating-system I/O failed */
	HODEI_ENOTDB = -8,    /**< the file is not a Hodei database */
	HODEI_ETIMEDOUT = -9, /**< a wait ran out of time */
	HODEI_ENOMEM = -10,   /**< out of memory */
	HODEI_EAGAIN = -11,   /**< nothing available now; try again later */
	HODEI_EUNAVAIL = -12, /**< a provider or worker is not available */
	HODEI_EAUTH = -13,    /**< authentication failed */
	HODEI_EVERSION = -14, /**< a struct version this library does not know */
	HODEI_ELOCKED = -15,  /**< another process has the store open (message: its pid) */
	HODEI_ENOSPC = -16    /**< the store could not write: disk or file system full */
} hodei_result;

/** Limits enforced on every input (the message names the field). */
#define HODEI_JOB_ID_MAX 128        /**< bytes in a job id */
#define HODEI_NAME_MAX 256          /**< bytes in a job or provider name */
#define HODEI_COMMAND_MAX 4096      /**< bytes in a command */
#define HODEI_ARG_MAX 65536         /**< bytes in one argument */
#define HODEI_ARGS_MAX 1024         /**< arguments in one job */
#define HODEI_ENV_MAX 1024          /**< environment variables in one job */
#define HODEI_ENV_VALUE_MAX 65536   /**< bytes in one NAME=value */
#define HODEI_SECRETS_MAX 64        /**< secret variables in one job */
#define HODEI_SECRET_VALUE_MAX 4096 /**< bytes in one secret value (masking looks for it) */
#define HODEI_LABELS_MAX 64         /**< labels on a job or provider */
#define HODEI_LABEL_MAX 256         /**< bytes in one key=value label */
#define HODEI_PATH_MAX 4096         /**< bytes in a working directory */
#define HODEI_TIMEOUT_MAX_MS (30LL * 24 * 3600 * 1000) /**< 30 days */
#define HODEI_RETRIES_MAX 100       /**< max_retries of one job */
#define HODEI_LOG_LINE_MAX 65536    /**< longer lines are split (flagged) */

/** Static English text for a result code; never NULL. */
HODEI_EXTERN const char *hodei_strerror(int code);

/**
 * The message of the last failed libhodei call on this thread, or "" when
 * there is none.  Borrowed: valid until the next libhodei call on this thread.
 */
HODEI_EXTERN const char *hodei_error_last(void);

/** The library's version, e.g. "0.1.0". */
HODEI_EXTERN const char *hodei_version(void);

/** Release memory that libhodei allocated and documented as plain malloc'd. */
HODEI_EXTERN void hodei_free(void *ptr);

#ifdef __cplusplus
}
#endif
#endif
