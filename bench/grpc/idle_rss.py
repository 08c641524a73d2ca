#!/usr/bin/env python3
"""Idle RSS of hodeid and hodei-worker, measured as bench.py does it.

Two set-ups, each run RUNS times on a fresh data directory:
  bench:    hodeid --no-local-provider with 2 hodei-worker agents joined
            (the bench.py jobs run, measured before its jobs are queued);
  defaults: hodeid on its embedded defaults (local provider), nothing else.
Each: wait until it is up (and the workers are listed), let it settle 1 s,
read VmRSS from /proc/PID/status.  With -v, the mappings' Rss from
/proc/PID/smaps, largest first.

usage: idle_rss.py BUILD_DIR [RUNS] [-v]
"""
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'test', 'rpc'))
import harness  # noqa: E402
from harness import call, ensure_buf, wait_for  # noqa: E402

TOKEN = 'bench-join-token'


def status_kb(pid, key):
    for line in open('/proc/%d/status' % pid):
        if line.startswith(key + ':'):
            return int(line.split()[1])
    return 0


def rollup_kb(pid, key):
    for line in open('/proc/%d/smaps_rollup' % pid):
        if line.startswith(key + ':'):
            return int(line.split()[1])
    return 0


def mappings(pid):
    """{mapping name: Rss kB}, anonymous mappings under '[anon]'."""
    out, name = {}, ''
    for line in open('/proc/%d/smaps' % pid):
        fields = line.split()
        if fields and '-' in fields[0] and len(fields[0]) > 8:
            name = fields[5] if len(fields) > 5 else '[anon]'
        elif fields and fields[0] == 'Rss:':
            out[name] = out.get(name, 0) + int(fields[1])
    return out


def measure(pid):
    return {'rss': status_kb(pid, 'VmRSS'), 'anon': rollup_kb(pid, 'Anonymous'),
            'threads': status_kb(pid, 'Threads'), 'maps': mappings(pid)}


def run_bench(d):
    h = harness.Hodeid(d, args=['--no-local-provider'], env={'HODEI_JOIN_TOKEN': TOKEN}).start()
    workers = [harness.Worker(h, 'w%d' % i, TOKEN, d) for i in range(2)]
    try:
        wait_for(lambda: len(call(h.addr, 'hodei.WorkerAgentService/ListWorkers', {})
                             .get('workers', [])) == 2, what='2 workers')
        time.sleep(1.0)  # as bench.py: let both settle to idle
        return measure(h.proc.pid), measure(workers[0].proc.pid)
    finally:
        for w in workers:
            w.stop()
        h.stop()


def run_defaults(d):
    h = harness.Hodeid(d).start()
    try:
        time.sleep(1.0)
        return measure(h.proc.pid), None
    finally:
        h.stop()


def main():
    args = [a for a in sys.argv[1:] if a != '-v']
    verbose = '-v' in sys.argv[1:]
    build = os.path.abspath(args[0] if args else 'build')
    runs = int(args[1]) if len(args) > 1 else 3
    harness.HODEID = os.path.join(build, 'tools', 'hodeid', 'hodeid')
    harness.WORKER = os.path.join(build, 'tools', 'hodei-worker', 'hodei-worker')
    ensure_buf()
    tmp = tempfile.mkdtemp(prefix='hodei-rss-')
    try:
        for kind, fn in (('bench', run_bench), ('defaults', run_defaults)):
            for i in range(runs):
                d = os.path.join(tmp, '%s%d' % (kind, i))
                os.makedirs(d)
                hd, wk = fn(d)
                line = '%-8s run %d: hodeid %.1f MB (%.1f MB anon, %d threads)' % (
                    kind, i + 1, hd['rss'] / 1024, hd['anon'] / 1024, hd['threads'])
                if wk:
                    line += '; hodei-worker %.1f MB (%.1f MB anon)' % (
                        wk['rss'] / 1024, wk['anon'] / 1024)
                print(line, flush=True)
                if verbose and i == 0:
                    for name, kb in sorted(hd['maps'].items(), key=lambda kv: -kv[1]):
                        if kb:
                            print('    %6d kB  %s' % (kb, name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
