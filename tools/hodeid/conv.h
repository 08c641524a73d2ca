/* Between libhodei's structs and the API's protobuf-c messages. */
#ifndef HODEID_CONV_H
#define HODEID_CONV_H

#include "google_protobuf_duration.pb-c.h"
#include "google_protobuf_timestamp.pb-c.h"
#include "hodei_job.pb-c.h"
#include "hodei_job_execution.pb-c.h"
#include "hodei_log_stream.pb-c.h"
#include "hodei_metrics.pb-c.h"
#include "hodei_provider.pb-c.h"
#include "hodei_scheduler.pb-c.h"
#include "hodei_worker_agent.pb-c.h"
#include "grpc.h"
#include "hodeid.h"

/** A message of type d, initialised, in arena a. */
void *pb_new(arena *a, const ProtobufCMessageDescriptor *d);
#define PB_NEW(a, name) pb_new((a), &name##__descriptor)

/**
 * s as a proto3 string: "" for NULL (protobuf-c wants no NULL strings), a
 * copy in a with invalid UTF-8 replaced by U+FFFD if need be, else s itself.
 * Every string of a reply built from library data goes through it.
 */
char *pb_str(arena *a, const char *s);
/** Bytes as valid UTF-8 (invalid sequences become U+FFFD). */
char *pb_utf8(arena *a, const char *text, size_t len);

/** NULL for 0 (never reached). */
Google__Protobuf__Timestamp *pb_time_ms(arena *a, int64_t ms);
Google__Protobuf__Timestamp *pb_time_us(arena *a, int64_t us);
Google__Protobuf__Duration *pb_duration_ms(arena *a, int64_t ms);
/** A Duration as ms (rounded up); -1 if negative or malformed. */
int64_t pb_duration_to_ms(const Google__Protobuf__Duration *d);

Hodei__Job *pb_job(arena *a, const hodei_job *job);
/*
 * Lists and watches send a summary of each job, so that a page is small
 * whatever its jobs carry: at most PB_SUMMARY_ITEMS arguments and
 * environment variables, each value cut to PB_SUMMARY_TEXT bytes (on a
 * character boundary).  GetJob sends the whole definition.
 */
#define PB_SUMMARY_ITEMS 16
#define PB_SUMMARY_TEXT 256
/** A summary's reason is cut to this many bytes (not flagged). */
#define PB_SUMMARY_REASON 1024
/** *s cut to at most max bytes (a copy in a), on a UTF-8 character
 *  boundary; 1 if it was cut. */
int pb_text_cut(arena *a, char **s, size_t max);
/**
 * Make job's definition a summary, in place (new text in a; the arrays
 * shrink, entries that must change are copied).  Sets
 * definition_truncated when something was left out; returns 1 then.
 */
int pb_job_summarize(arena *a, Hodei__Job *job);

/** Copy into a every string of job that pb_job() borrowed from the library's
 *  snapshot, so that the snapshot can be freed before the answer is sent. */
void pb_job_own(arena *a, Hodei__Job *job);

/** What m adds to a message as an element of a repeated field numbered
 *  below 16: its tag, its length and itself. */
size_t pb_repeated_size(const ProtobufCMessage *m);

/**
 * Every answer must fit in one message (HODEI_GRPC_MAX_MESSAGE): a page
 * stops before the element that would take it past PB_PAGE_BYTES, leaving
 * room for the rest of the message (a token, counts).
 */
#define PB_PAGE_BYTES (HODEI_GRPC_MAX_MESSAGE - 64u * 1024)

Hodei__LogEntry *pb_log_entry(arena *a, const char *job_id, const hodei_log_line *line);
Hodei__Provider *pb_provider(arena *a, const hodei_provider_info *p);
Hodei__Worker *pb_worker(arena *a, const hodei_worker_info *w);
/**
 * One ListWorkers answer into resp: list sorted by id, the workers after
 * page_token ("" or NULL: from the first), at most page_size of them (0:
 * any number) and at most PB_PAGE_BYTES; next_page_token set when more
 * follow.  0, or -1 when out of memory.
 */
int pb_worker_page(arena *a, hodei_worker_array *list, const char *page_token,
                   uint32_t page_size, Hodei__ListWorkersResponse *resp);
Hodei__AggregatedMetrics *pb_metrics(arena *a, const hodei_metrics *m,
                                     const hodei_provider_array *providers);

/**
 * "key=value" strings from a map's entries (protobuf-c map entries have
 * `key` and `value` right after `base`).  Returns the array in a.
 */
const char **pb_map_to_kv(arena *a, void *const *entries, size_t n);

#endif
