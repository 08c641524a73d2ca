#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_worker_protocol: sequences of steps (see
step() and send_message() in fuzz_worker_protocol.c; a step is an op byte
then its fields).  usage: gen_corpus_worker.py OUT_DIR"""
import os
import sys

ASSIGNED, J1, J2, J3, NOPE = 3, 0, 1, 2, 4
SAME, OLDER, NEWER = 1, 0, 2


def started(job=ASSIGNED, att=SAME):
    return [0, job, att]


def logs(text=b"hello", job=ASSIGNED, att=SAME, nlines=0, stream=1, partial=0):
    return [1, job, att, nlines, stream, partial, len(text)] + list(text)


def progress(pct=10, job=ASSIGNED, att=SAME):
    return [2, job, att, pct]


def result(code=0, flags=0, job=ASSIGNED, att=SAME, nanos=0, rss=0):
    return [3, flags, job, att, code & 0xff, nanos, rss]


HEARTBEAT = [4, 7]
HELLO = [5]
HALF_CLOSE = [6]
BREAK = [7]


def connect(good=1):
    return [8, good]


def register(with_session=1):
    return [9, with_session]


def cancel(job=J2):
    return [10, job]


SUBMIT = [11]
seeds = {
    "happy": started() + logs() + progress() + HEARTBEAT + result(0),
    "two_jobs": started() + result(0) + started() + logs(b"x" * 40, nlines=1) + result(1),
    "result_twice": started() + result(0) + result(3),
    "stale_attempt": started(att=OLDER) + result(0, att=OLDER) + result(0, att=NEWER),
    "wrong_job": started(job=J3) + result(0, job=J3) + logs(job=NOPE) + result(0),
    "break_while_busy": started() + logs() + BREAK + connect() + result(0),
    "half_close_busy": started() + HALF_CLOSE + result(0) + connect() + HEARTBEAT,
    "reregister": started() + register(1) + result(0) + register(0),
    "bad_session": BREAK + connect(0) + HELLO + result(0),
    "cancel_running": started() + cancel(ASSIGNED) + result(0, flags=4) + SUBMIT + started(),
    "signal_timeout": started() + result(0, flags=1 | 2 | 16, nanos=200, rss=255),
    "spawn_error": result(127, flags=8) + started() + progress(200),
    "next_job_then_break": started() + result(0) + BREAK,
    "partial_lines": started() + logs(b"\x1b[2Jpart", partial=1, stream=2) + logs(b"", nlines=1),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes(data))
