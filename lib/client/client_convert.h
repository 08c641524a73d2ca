/*
 * Conversions between the protobuf-c messages of proto/hodei/ (generated
 * into lib/rpc) and the public structs, for the typed calls of lib/client.
 */
#ifndef HODEI_CLIENT_CONVERT_H
#define HODEI_CLIENT_CONVERT_H

#include "client_internal.h"

#include "google_protobuf_duration.pb-c.h"
#include "google_protobuf_timestamp.pb-c.h"
#include "grpc_health_v1_health.pb-c.h"
#include "hodei_job.pb-c.h"
#include "hodei_job_execution.pb-c.h"
#include "hodei_log_stream.pb-c.h"
#include "hodei_provider.pb-c.h"
#include "hodei_scheduler.pb-c.h"
#include "hodei_worker_agent.pb-c.h"

/**
 * A unary call with protobuf-c messages: *resp (free with
 * protobuf_c_message_free_unpacked()) is set only on success.
 */
int hodei__client_call_pb(hodei_client *client, const char *method,
                          const ProtobufCMessage *req,
                          const ProtobufCMessageDescriptor *resp_desc,
                          ProtobufCMessage **resp);

/** Milliseconds since the epoch; 0 for an absent or zero timestamp. */
int64_t hodei__pb_time_ms(const Google__Protobuf__Timestamp *ts);
int64_t hodei__pb_duration_us(const Google__Protobuf__Duration *d);
/** strdup of a protobuf string (never NULL in); the second gives NULL for "". */
char *hodei__pb_strdup(const char *s);
/* protobuf_c_message_unpack(); *nomem says whether NULL was out of memory. */
ProtobufCMessage *hodei__pb_unpack(const ProtobufCMessageDescriptor *desc, size_t len,
                                   const uint8_t *data, int *nomem);
/* A copy of s, or NULL for NULL or ""; -1 only when the copy failed. */
int hodei__pb_dup_opt(char **out, const char *s);
/** Map entries (any map<string,string>) as malloc'd "key=value" strings. */
int hodei__pb_entries_to_vec(char ***out, size_t *n, void *const *entries, size_t count);

/** A malloc'd hodei_job (free with hodei_job_free()) from a Job message. */
int hodei__job_from_pb(hodei_job **out, const Hodei__Job *pb);

#endif
