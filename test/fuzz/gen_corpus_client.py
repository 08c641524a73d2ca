#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_client_replies: a byte naming the client's
call (see call() in fuzz_client_replies.c), then what a server sends back:
SETTINGS, HEADERS, gRPC-framed DATA and trailers, good and bad.  Messages
are encoded by protoc from text format.
usage: gen_corpus_client.py PROTO_DIR OUT_DIR"""
import os
import struct
import subprocess
import sys

proto_dir, out_dir = sys.argv[1], sys.argv[2]
FILES = {"hodei": ["hodei/job_execution.proto", "hodei/log_stream.proto",
                   "hodei/provider.proto", "hodei/scheduler.proto",
                   "hodei/worker_agent.proto"],
         "grpc.health.v1": ["grpc/health/v1/health.proto"]}


def encode(msg, text):
    files = FILES[msg.rsplit(".", 1)[0]]
    return subprocess.run(["protoc", "-I", proto_dir, "-I", "/usr/include",
                           "--encode=" + msg] + files, input=text.encode(),
                          capture_output=True, check=True).stdout


def frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


def literal(name, value):  # literal header field without indexing, new name
    n, v = name.encode(), value.encode()
    return bytes([0, len(n)]) + n + bytes([len(v)]) + v


def headers(stream, fields, end=False):
    block = b"".join(literal(k, v) for k, v in fields)
    return frame(1, 0x4 | (0x1 if end else 0), stream, block)


def grpc(msg):
    return b"\0" + struct.pack(">I", len(msg)) + msg


# The fuzz target sends an empty SETTINGS itself and the input once the
# client's request is in (unless the call byte has 0x80: raw, from the start).
SETTINGS = frame(4, 1, 0, b"")
OK_HEADERS = [(":status", "200"), ("content-type", "application/grpc")]


def reply(msg, status="0", message=None, stream=1):
    trailers = [("grpc-status", status)] + ([("grpc-message", message)] if message else [])
    out = SETTINGS + headers(stream, OK_HEADERS)
    if msg is not None:
        out += frame(0, 0, stream, grpc(msg))
    return out + headers(stream, trailers, end=True)


JOB = 'id: "job-1" state: JOB_STATE_RUNNING attempt: 1 exit_code: -1 progress: 40 ' \
      'definition { job_id { value: "job-1" } command: "sh" arguments: "-c" ' \
      'arguments: "echo hi" } created_at { seconds: 1700000000 nanos: 5 }'
LINE = 'job_id: "job-1" sequence: %d timestamp { seconds: 1700000000 } attempt: 1 line: "%s"'
seeds = {
    "get_job": (0, reply(encode("hodei.GetJobResponse", "job { %s } history { }" % JOB))),
    "get_job_not_found": (0, reply(None, "5", "job job-1 not found")),
    "get_job_empty": (0, reply(b"")),
    "list_jobs": (1, reply(encode("hodei.ListJobsResponse",
                                  "jobs { %s } jobs { id: \"b\" } next_page_token: \"c2\" "
                                  "total_count: 2" % JOB))),
    "list_jobs_two_messages": (1, SETTINGS + headers(1, OK_HEADERS)
                               + frame(0, 0, 1, grpc(b"") + grpc(b""))
                               + headers(1, [("grpc-status", "0")], end=True)),
    "get_logs": (2, reply(encode("hodei.GetLogsResponse",
                                 "entries { %s } entries { %s } next_sequence: 3"
                                 % (LINE % (1, "hello"), LINE % (2, "\\033[2Jbye"))))),
    "follow": (3, SETTINGS + headers(1, OK_HEADERS)
               + frame(0, 0, 1, grpc(encode("hodei.SubscribeLogsResponse",
                                            "entry { %s }" % (LINE % (1, "one")))))
               + frame(0, 0, 1, grpc(encode("hodei.SubscribeLogsResponse",
                                            "entry { %s }" % (LINE % (2, "two")))))
               + headers(1, [("grpc-status", "0")], end=True)),
    "health": (4, reply(encode("grpc.health.v1.HealthCheckResponse", "status: SERVING"))),
    "health_trailers_only": (4, SETTINGS + headers(1, OK_HEADERS + [("grpc-status", "14")],
                                                   end=True)),
    "workers": (5, reply(encode("hodei.ListWorkersResponse", ""))),
    "providers": (6, reply(encode("hodei.ListProvidersResponse",
                                  'providers { name: "local" type: "local" '
                                  'labels { key: "a" value: "b" } } next_page_token: ""'))),
    "provider_get": (7, reply(encode("hodei.GetProviderResponse",
                                     'provider { name: "local" config_json: "{}" }'))),
    "queue_status": (8, reply(encode("hodei.GetQueueStatusResponse",
                                     'scheduler_name: "default" queued_jobs: 3 '
                                     'max_queue_size: 0 workers: 1'))),
    "cancel_http_503": (9, SETTINGS + headers(1, [(":status", "503")], end=True)),
    "raw_not_http2": (0x80, b"HTTP/1.1 400 Bad Request\r\n\r\n"),
    "raw_handshake": (0x84, frame(4, 0, 0, struct.pack(">HI", 4, 65535)) + frame(4, 1, 0, b"")
                      + frame(8, 0, 0, struct.pack(">I", 1 << 20))),
    "raw_early_headers": (0x80, frame(4, 0, 0, b"") + headers(1, OK_HEADERS)),
    "goaway": (1, SETTINGS + frame(7, 0, 0, struct.pack(">II", 0, 2) + b"bye")),
    "rst_stream": (2, SETTINGS + headers(1, OK_HEADERS) + frame(3, 0, 1, struct.pack(">I", 8))),
    "huge_prefix": (0, SETTINGS + headers(1, OK_HEADERS)
                    + frame(0, 0, 1, b"\0\xff\xff\xff\xff")),
    "compressed": (0, SETTINGS + headers(1, OK_HEADERS) + frame(0, 0, 1, b"\1\0\0\0\0")
                   + headers(1, [("grpc-status", "0")], end=True)),
    "wrong_content_type": (1, SETTINGS + headers(1, [(":status", "200"),
                                                     ("content-type", "text/html")])
                           + frame(0, 1, 1, b"<html>")),
}
os.makedirs(out_dir, exist_ok=True)
for name, (call, data) in seeds.items():
    with open(os.path.join(out_dir, name), "wb") as f:
        f.write(bytes([call]) + data)
