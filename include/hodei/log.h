/*
 * libhodei: job logs.
 *
 * Every line a job writes to stdout or stderr is stored with a timestamp,
 * its stream, a level and a sequence number (per job, starting at 1,
 * increasing across attempts).  Lines are split at '\n'; a line longer than
 * HODEI_LOG_LINE_MAX bytes is stored in pieces with HODEI_LOG_PARTIAL set on
 * all but the last; a final line without '\n' is stored when the stream
 * closes.  Bytes are stored as written (binary output included); `text` is
 * NUL-terminated for convenience but may contain other NULs, so use `len`.
 *
 * Level rule: a line whose first word (after leading spaces, an optional
 * '[' and an optional "level=") is DEBUG/TRACE, INFO, WARN/WARNING, or
 * ERROR/ERR/FATAL/CRITICAL/PANIC (any case, followed by a non-letter) gets
 * that level; otherwise stdout lines are INFO and stderr lines are ERROR.
 * `::progress::N` lines are DEBUG.  Lines Hodei itself adds (stream SYSTEM)
 * say why a job was killed or retried.
 *
 * Lines are stored in zstd-compressed chunks of about 64 KiB, written at
 * least every 50 ms while a job prints; reads always see every line
 * captured so far.  A page's texts live in one block freed with the page.  Logs of jobs that ended more than
 * HODEI_LOG_RETENTION_DAYS ago are deleted.
 */
#ifndef HODEI_LOG_H
#define HODEI_LOG_H

#include "common.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hodei_log_level {
	HODEI_LEVEL_DEBUG = 1,
	HODEI_LEVEL_INFO = 2,
	HODEI_LEVEL_WARN = 3,
	HODEI_LEVEL_ERROR = 4
} hodei_log_level;

typedef enum hodei_stream {
	HODEI_STREAM_STDOUT = 1,
	HODEI_STREAM_STDERR = 2,
	HODEI_STREAM_SYSTEM = 3
} hodei_stream;

#define HODEI_LOG_PARTIAL 0x1u /**< line continues in the next record */

typedef struct hodei_log_line {
	int64_t seq;
	int64_t ts_us; /**< capture time, microseconds since the epoch */
	int stream;    /**< hodei_stream */
	int level;     /**< hodei_log_level */
	int attempt;
	unsigned int flags; /**< HODEI_LOG_PARTIAL */
	size_t len;
	const char *text;
} hodei_log_line;

HODEI_EXTERN const char *hodei_log_level_name(int level); /* "INFO", ... */
HODEI_EXTERN int hodei_log_level_parse(const char *name, int *level);

/**
 * The level rule above, exposed so tools classify lines the same way.
 * stream is HODEI_STREAM_STDOUT or HODEI_STREAM_STDERR.
 */
HODEI_EXTERN int hodei_log_classify(const char *text, size_t len, int stream);

#define HODEI_LOG_QUERY_VERSION 1

/** What hodei_log_read() returns.  Initialise with HODEI_LOG_QUERY_INIT. */
typedef struct hodei_log_query {
	unsigned int version;
	const char *job_id;   /**< required */
	int64_t after_seq;    /**< lines with seq > after_seq (0: from the start) */
	int min_level;        /**< 0 = every level */
	const char *contains; /**< only lines containing this text; NULL = all */
	size_t limit;         /**< 0 = 1000; at most 10000 */
} hodei_log_query;

#define HODEI_LOG_QUERY_INIT { HODEI_LOG_QUERY_VERSION, 0, 0, 0, 0, 0 }

typedef struct hodei_log_page {
	size_t count;
	hodei_log_line *lines;
	/** Pass as after_seq to continue. */
	int64_t next_seq;
	/** Non-zero when more lines matched than limit (or, from a server,
	 *  than fit in one message): read on from next_seq. */
	int more;
} hodei_log_page;

/** Read stored lines.  Errors: HODEI_ENOTFOUND (no such job), HODEI_EINVAL. */
HODEI_EXTERN int hodei_log_read(hodei_log_page **out, hodei_ctx *ctx,
                                const hodei_log_query *query);
HODEI_EXTERN void hodei_log_page_free(hodei_log_page *page);

#ifdef __cplusplus
}
#endif
#endif
