"""Celery peer of the Hodei suite: one task that runs a command through
subprocess, as a Celery user would wrap a shell job.

Configuration (the fair, documented setup for priorities on Redis):
  - broker and result backend on a loopback redis-server (BENCH_REDIS_URL);
  - worker_prefetch_multiplier=1 so a prefork child does not hoard queued
    tasks and priorities can take effect (Celery's own advice);
  - Redis priority steps 0,3,6,9 (kombu's default; 0 is the highest).
"""
import os
import subprocess

from celery import Celery

URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6399")

app = Celery("bench", broker=URL + "/0", backend=URL + "/1")
app.conf.update(
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    broker_transport_options={"priority_steps": [0, 3, 6, 9],
                              "queue_order_strategy": "priority"},
    result_expires=3600,
    worker_hijack_root_logger=False,
)


@app.task(name="bench.run")
def run(argv, capture=False):
    """Run argv; return its exit code, or its stdout when capture is set."""
    if capture:
        done = subprocess.run(argv, stdout=subprocess.PIPE, check=False)
        return done.stdout.decode()
    return subprocess.run(argv, check=False).returncode
