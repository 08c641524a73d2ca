#!/usr/bin/python3
"""Issue 2's benchmark of the embedded library (bench/embedded/hodei-bench):
2,000 `true` jobs with 2 local workers against `seq 2000 | xargs -P2 -n1 true`,
queue-to-start latency with an idle worker, durable submits/s single and
batched, and RSS of a process holding 100,000 queued jobs.

usage: issue2.py BUILD_DIR [WORKDIR]
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPS = 5


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


def main():
    build = os.path.abspath(sys.argv[1])
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix='hodei-issue2-')
    os.makedirs(work, exist_ok=True)
    hb = os.path.join(build, 'bench', 'hodei-bench')
    job = os.path.join(build, 'bench', 'benchjob')
    db = os.path.join(work, 'bench.db')

    def run(*args):
        out = subprocess.run([hb] + [str(a) for a in args], stdout=subprocess.PIPE, check=True).stdout
        return json.loads(out)

    def xargs():
        t0 = time.time()
        subprocess.run('seq 2000 | xargs -P2 -n1 true', shell=True, check=True)
        return 2000 / (time.time() - t0)

    rows = []
    xr, single, batch = [], [], []
    for _ in range(REPS):  # interleaved, so both see the same machine
        xr.append(xargs())
        single.append(2000 / run('throughput', db, 2000, 2, 'single')['seconds'])
        batch.append(2000 / run('throughput', db, 2000, 2, 'batch')['seconds'])
    x, s, b = statistics.median(xr), statistics.median(single), statistics.median(batch)
    rows.append(('`seq 2000 \\| xargs -P2 -n1 true` (median of %d)' % REPS, '%.0f jobs/s' % x, ''))
    rows.append(('2,000 `true`, embedded, 2 local workers, one hodei_job_submit per job',
                 '%.0f jobs/s (%.2f of xargs)' % (s, s / x), '>= 0.8'))
    rows.append(('same, queued with hodei_job_submit_batch', '%.0f jobs/s (%.2f of xargs)' % (b, b / x), '>= 0.8'))
    lat = run('latency', db, 200, job, work)
    ev, st = [v * 1e3 for v in lat['event_start']], [v * 1e3 for v in lat['start']]
    rows.append(('queue-to-start, idle worker, 200 jobs: RUNNING event p50 / p99',
                 '%.2f / %.2f ms' % (pct(ev, 50), pct(ev, 99)), 'p50 < 1 ms'))
    rows.append(('queue-to-start as seen by the job (its first instruction) p50 / p99',
                 '%.2f / %.2f ms' % (pct(st, 50), pct(st, 99)), ''))
    sub = run('submit', db, 20000)
    rows.append(('durable submits, one per transaction (20,000)', '%.0f jobs/s' % sub['single_per_s'], ''))
    rows.append(('durable submits, batches of %d' % sub['batch'], '%.0f jobs/s' % sub['batched_per_s'],
                 '>= 20,000'))
    q = run('queued-rss', db, 100000)
    rows.append(('peak RSS of a process holding 100,000 queued jobs', '%.1f MB' % (q['peak_rss_kb'] / 1024.0),
                 '< 50 MB'))
    print('| what | measured | target |\n|---|---|---|')
    for r in rows:
        print('| %s | %s | %s |' % r)


if __name__ == '__main__':
    main()
