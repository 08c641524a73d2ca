#!/usr/bin/python3
"""Issue 16's tiny-jobs benchmark: 2,000 `true` jobs, 2 at a time, each
system beside the machine's process-start ceiling in the same repetition
(interleaved, so all see the same load):
  posix_spawn  bench/spawnloop: posix_spawn + wait, 2 in flight (the ceiling)
  xargs        seq 2000 | xargs -P2 -n1 true
  embedded     hodei-bench throughput: libhodei in-process, 2 local workers,
               one durable hodei_job_submit per job
  grpc         hodeid --no-local-provider + 2 hodei-worker agents, one
               QueueJob per job awaited (hodei-client-bench tiny)
Then the figures that must not get worse, once: queue-to-start embedded,
durable submits/s, RSS of 100,000 queued jobs.  Ratios are to the ceiling's
median.  usage: issue16.py BUILD_DIR [REPS] [N]
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


def main():
    build = os.path.abspath(sys.argv[1])
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    work = tempfile.mkdtemp(prefix='hodei-issue16-')
    hb = os.path.join(build, 'bench', 'hodei-bench')
    procs = []

    def run_json(argv):
        return json.loads(subprocess.run(argv, stdout=subprocess.PIPE, check=True).stdout)

    def ceiling():
        return n / run_json([os.path.join(build, 'bench', 'spawnloop'), str(n), '2', '/bin/true'])['seconds']

    def xargs():
        t0 = time.time()
        subprocess.run('seq %d | xargs -P2 -n1 true' % n, shell=True, check=True)
        return n / (time.time() - t0)

    def embedded():
        db = os.path.join(work, 'emb.db')
        for f in (db, db + '-wal', db + '-shm'):
            if os.path.exists(f):
                os.unlink(f)
        return n / run_json([hb, 'throughput', db, str(n), '2', 'single'])['seconds']

    def start_grpc():
        w = tempfile.mkdtemp(prefix='g-', dir=work)
        open(w + '/tok', 'w').write('bench-join-token\n')
        p = subprocess.Popen([build + '/tools/hodeid/hodeid', '--data-dir', w + '/data', '--grpc-listen',
                              '127.0.0.1:0', '--http-listen', '127.0.0.1:0', '--port-file', w + '/ports',
                              '--join-token-file', w + '/tok', '--no-local-provider', '--log-level', 'warn'],
                             stderr=subprocess.DEVNULL)
        procs.append(p)
        for _ in range(600):
            if os.path.exists(w + '/ports') and 'grpc=' in open(w + '/ports').read():
                break
            time.sleep(0.05)
        kv = dict(x.split('=') for x in open(w + '/ports').read().split())
        addr = '127.0.0.1:' + kv['grpc']
        env = dict(os.environ, HODEI_JOIN_TOKEN='bench-join-token')
        for i in range(2):
            procs.append(subprocess.Popen([build + '/tools/hodei-worker/hodei-worker', '--server', addr,
                                           '--name', 'w%d' % i], env=env, stderr=subprocess.DEVNULL))
        for _ in range(600):
            out = subprocess.run([build + '/tools/hodei-jobs-cli/hodei-jobs-cli', '--server', addr, 'workers',
                                  'list', '-o', 'json'], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL).stdout.decode()
            if out.count('\n') >= 2:
                break
            time.sleep(0.1)
        return addr

    res = {}
    try:
        addr = start_grpc()

        def grpc():
            return n / run_json([build + '/bench/hodei-client-bench', 'tiny', addr, str(n)])['seconds']

        for r in range(reps):
            for name, fn in (('posix_spawn', ceiling), ('xargs', xargs), ('embedded', embedded),
                             ('grpc', grpc)):
                res.setdefault(name, []).append(fn())
            print('rep %d %s load %s' % (r, {k: round(v[-1]) for k, v in res.items()},
                                        open('/proc/loadavg').read().split()[0]), flush=True)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
    c = statistics.median(res['posix_spawn'])
    print('| what | jobs/s (median of %d) | vs posix_spawn | each repetition, ratio to the ceiling beside it |' % reps)
    print('|---|---|---|---|')
    for name, v in res.items():
        per = ', '.join('%.2f' % (x / y) for x, y in zip(v, res['posix_spawn']))
        print('| %s | %.0f | %.2f | %s |' % (name, statistics.median(v), statistics.median(v) / c, per))
    db = os.path.join(work, 'keep.db')
    lat = run_json([hb, 'latency', db, '200', os.path.join(build, 'bench', 'benchjob'), work])
    ev = [v * 1e3 for v in lat['event_start']]
    print('queue-to-start embedded (RUNNING event), 200 jobs: p50 %.2f ms, p99 %.2f ms' % (pct(ev, 50), pct(ev, 99)))
    sub = run_json([hb, 'submit', os.path.join(work, 'sub.db'), '20000'])
    print('durable submits: %.0f/s one per transaction, %.0f/s in batches of %d'
          % (sub['single_per_s'], sub['batched_per_s'], sub['batch']))
    q = run_json([hb, 'queued-rss', os.path.join(work, 'q.db'), '100000'])
    print('peak RSS holding 100,000 queued jobs: %.1f MB' % (q['peak_rss_kb'] / 1024.0))


if __name__ == '__main__':
    main()
