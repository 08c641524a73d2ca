/*
 * Writes the seed corpus of fuzz_h2server: what real clients send (an
 * nghttp2 client session's bytes) for each kind of request, good and bad.
 * usage: gen_corpus DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "grpc.h"
#include "grpc_health_v1_health.pb-c.h"
#include "grpc_reflection_v1_reflection.pb-c.h"
#include "hodei_job_execution.pb-c.h"
#include "hodei_log_stream.pb-c.h"
#include "hodei_scheduler.pb-c.h"

struct body {
	uint8_t data[1 << 16];
	size_t len, off;
};

static ssize_t body_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct body *b = src->ptr;
	size_t n = b->len - b->off < length ? b->len - b->off : length;
	memcpy(buf, b->data + b->off, n);
	b->off += n;
	if (b->off == b->len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static size_t frame_message(uint8_t *out, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_pack(m, out + 5);
	hodei__grpc_prefix(out, (uint32_t)n, 0);
	return n + 5;
}

static int32_t request(nghttp2_session *ng, const char *path, const char *ctype,
                       struct body *b)
{
	nghttp2_nv nv[] = {
		{(uint8_t *)":method", (uint8_t *)"POST", 7, 4, 0},
		{(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0},
		{(uint8_t *)":authority", (uint8_t *)"localhost:50051", 10, 15, 0},
		{(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0},
		{(uint8_t *)"content-type", (uint8_t *)ctype, 12, strlen(ctype), 0},
		{(uint8_t *)"te", (uint8_t *)"trailers", 2, 8, 0},
		{(uint8_t *)"grpc-timeout", (uint8_t *)"5S", 12, 2, 0},
	};
	nghttp2_data_provider prd = {.source.ptr = b, .read_callback = body_read};
	return nghttp2_submit_request(ng, NULL, nv, 7, b ? &prd : NULL, NULL);
}

static void write_session(nghttp2_session *ng, const char *dir, const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	const uint8_t *data;
	ssize_t n;
	while ((n = nghttp2_session_mem_send(ng, &data)) > 0)
		fwrite(data, 1, (size_t)n, f);
	fclose(f);
}

static nghttp2_session *client(void)
{
	nghttp2_session_callbacks *cbs;
	nghttp2_session *ng;
	nghttp2_session_callbacks_new(&cbs);
	nghttp2_session_client_new(&ng, cbs, NULL);
	nghttp2_session_callbacks_del(cbs);
	nghttp2_submit_settings(ng, NGHTTP2_FLAG_NONE, NULL, 0);
	return ng;
}

/* A request whose packed form has its first '#' turned into a NUL byte. */
static void seed_nul(const char *dir, const char *name, const char *path,
                     const ProtobufCMessage *m)
{
	static struct body b;
	nghttp2_session *ng = client();
	b.off = 0;
	b.len = frame_message(b.data, m);
	uint8_t *hash = memchr(b.data, '#', b.len);
	if (hash)
		*hash = '\0';
	request(ng, path, "application/grpc", &b);
	write_session(ng, dir, name);
	nghttp2_session_del(ng);
}

static void seed(const char *dir, const char *name, const char *path, const char *ctype,
                 const ProtobufCMessage *m)
{
	static struct body b;
	nghttp2_session *ng = client();
	b.off = 0;
	b.len = m ? frame_message(b.data, m) : 0;
	request(ng, path, ctype, &b);
	write_session(ng, dir, name);
	nghttp2_session_del(ng);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	Hodei__JobId id = HODEI__JOB_ID__INIT;
	id.value = "job-001";
	Hodei__JobDefinition def = HODEI__JOB_DEFINITION__INIT;
	char *args[] = {"Hello World"};
	def.job_id = &id;
	def.name = "Test Job";
	def.command = "echo";
	def.n_arguments = 1;
	def.arguments = args;
	Hodei__QueueJobRequest q = HODEI__QUEUE_JOB_REQUEST__INIT;
	q.job_definition = &def;
	q.queued_by = "user";
	seed(dir, "queue_job", "/hodei.JobExecutionService/QueueJob", "application/grpc", &q.base);
	/* Strings with a NUL byte or invalid UTF-8: INVALID_ARGUMENT. */
	args[0] = "Hello#World";
	seed_nul(dir, "queue_job_nul", "/hodei.JobExecutionService/QueueJob", &q.base);
	args[0] = "Hello\xffWorld";
	seed(dir, "queue_job_bad_utf8", "/hodei.JobExecutionService/QueueJob", "application/grpc",
	     &q.base);
	args[0] = "Hello World";
	Hodei__GetJobRequest gj = HODEI__GET_JOB_REQUEST__INIT;
	gj.job_id = "job-001#";
	seed_nul(dir, "get_job_nul", "/hodei.JobExecutionService/GetJob", &gj.base);

	Hodei__GetQueueStatusRequest gq = HODEI__GET_QUEUE_STATUS_REQUEST__INIT;
	gq.scheduler_name = "default";
	seed(dir, "queue_status", "/hodei.SchedulerService/GetQueueStatus", "application/grpc+proto",
	     &gq.base);

	Hodei__SubscribeLogsRequest sl = HODEI__SUBSCRIBE_LOGS_REQUEST__INIT;
	sl.job_id = "job-001";
	sl.include_history = 1;
	seed(dir, "subscribe_logs", "/hodei.LogStreamService/SubscribeLogs", "application/grpc",
	     &sl.base);

	Grpc__Reflection__V1__ServerReflectionRequest rr =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
	rr.message_request_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
	rr.list_services = "";
	seed(dir, "reflection_list", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
	     "application/grpc", &rr.base);

	Grpc__Health__V1__HealthCheckRequest hc = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	hc.service = "";
	seed(dir, "health_check", "/grpc.health.v1.Health/Check", "application/grpc", &hc.base);
	seed(dir, "unknown_method", "/hodei.Nope/Nothing", "application/grpc", &hc.base);
	seed(dir, "wrong_content_type", "/grpc.health.v1.Health/Check", "text/html", &hc.base);
	seed(dir, "empty_body", "/hodei.JobExecutionService/ListJobs", "application/grpc", NULL);

	/* Several streams on one connection, one of them reset. */
	nghttp2_session *ng = client();
	static struct body bodies[10];
	for (int i = 0; i < 10; i++) {
		bodies[i].len = frame_message(bodies[i].data, &gq.base);
		int32_t sid = request(ng, "/hodei.SchedulerService/GetQueueStatus", "application/grpc",
		                      &bodies[i]);
		if (i == 5)
			nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, sid, NGHTTP2_CANCEL);
	}
	write_session(ng, dir, "many_streams");
	nghttp2_session_del(ng);

	/* A prefix announcing more than 4 MiB, and a truncated message. */
	static struct body big;
	ng = client();
	hodei__grpc_prefix(big.data, HODEI_GRPC_MAX_MESSAGE + 1, 0);
	big.len = 5 + 100;
	request(ng, "/hodei.JobExecutionService/QueueJob", "application/grpc", &big);
	write_session(ng, dir, "too_big");
	nghttp2_session_del(ng);

	ng = client();
	big.off = 0;
	big.len = frame_message(big.data, &q.base) - 4;
	request(ng, "/hodei.JobExecutionService/QueueJob", "application/grpc", &big);
	write_session(ng, dir, "truncated");
	nghttp2_session_del(ng);

	char path[1024];
	snprintf(path, sizeof path, "%s/http1_garbage", dir);
	FILE *f = fopen(path, "wb");
	fputs("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", f);
	fclose(f);
	return 0;
}
