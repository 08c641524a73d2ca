"""Helpers of the chaos suite: the CLI, the store read after a stop."""
import json
import os
import sqlite3
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'rpc'))
from harness import Hodeid, fifo_write, wait_for, free_port  # noqa: E402,F401

CLI = os.environ.get('HODEI_JOBS_CLI', 'hodei-jobs-cli')
# The suite's jobs write markers into the test's private directory: as root,
# hodeid would run them as 'nobody' (SECURITY.md) unless told otherwise.
if os.geteuid() == 0:
    os.environ.setdefault('HODEI_JOB_USER', 'root')
FINAL = (4, 5, 6, 7)
QUEUED, SUCCEEDED, FAILED = 1, 4, 5


def cli(addr, *args, timeout=30):
    p = subprocess.run([CLI, '--server', addr, '--connect-timeout', '2s'] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def queue(addr, job_id, script, env=(), retries=0, script_args=()):
    cmd = ['jobs', 'queue', '--id', job_id, '--shell', '--command', script,
           '--retries', str(retries)]
    for kv in env:
        cmd += ['--env', kv]
    for a in script_args:
        cmd += ['--arg', a]
    return cli(addr, *cmd)


def job_state(addr, job_id):
    rc, out, err = cli(addr, '-o', 'json', 'jobs', 'get', job_id)
    if rc != 0:
        return None
    return json.loads(out.splitlines()[0])


def read_store(data_dir):
    """The store after hodeid stopped: jobs and their histories."""
    db = sqlite3.connect('file:%s/hodei.db?mode=ro' % data_dir, uri=True)
    jobs = {r[0]: {'seq': r[1], 'state': r[2], 'attempt': r[3], 'reason': r[4],
                   'max_retries': r[5]}
            for r in db.execute('SELECT id, seq, state, attempt, reason, max_retries FROM jobs')}
    hist = {}
    for seq, attempt, state, reason in db.execute(
            'SELECT job_seq, attempt, state, reason FROM transitions ORDER BY rowid'):
        hist.setdefault(seq, []).append((attempt, state, reason or ''))
    db.close()
    return jobs, hist


def ends(history):
    """Final states in a history that no QUEUED follows (the job's ends)."""
    out = []
    for i, (_, state, _) in enumerate(history):
        nxt = history[i + 1][1] if i + 1 < len(history) else None
        if state in FINAL and nxt != QUEUED:
            out.append(state)
    return out



def lines(path):
    return open(path).read().split('\n')[:-1] if os.path.exists(path) else []
