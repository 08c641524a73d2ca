#!/usr/bin/python3
"""gRPC tiny-job throughput before/after (hodeid --no-local-provider + 2 hodei-worker agents each,
hodei-client-bench tiny: one QueueJob per job on one connection, done when GetQueueStatus shows
nothing queued or running), interleaved with xargs; medians.  usage: compare.py REPS NAME=BUILD_DIR...  (e.g. before=... after=...)"""
import json, os, statistics, subprocess, sys, tempfile, time
reps = int(sys.argv[1]); systems = [a.split('=', 1) for a in sys.argv[2:]]
procs = []
def start(d):
    w = tempfile.mkdtemp(prefix='gcmp-')
    open(w + '/tok', 'w').write('bench-join-token\n')
    p = subprocess.Popen([d + '/tools/hodeid/hodeid', '--data-dir', w + '/data', '--grpc-listen', '127.0.0.1:0',
                          '--http-listen', '127.0.0.1:0', '--port-file', w + '/ports', '--join-token-file', w + '/tok',
                          '--no-local-provider', '--log-level', 'warn'], stderr=subprocess.DEVNULL)
    procs.append(p)
    for _ in range(300):
        if os.path.exists(w + '/ports') and os.path.getsize(w + '/ports'): break
        time.sleep(0.05)
    time.sleep(0.1)
    kv = dict(x.split('=') for x in open(w + '/ports').read().split())
    addr = '127.0.0.1:' + kv['grpc']
    env = dict(os.environ, HODEI_JOIN_TOKEN='bench-join-token')
    for i in range(2):
        procs.append(subprocess.Popen([d + '/tools/hodei-worker/hodei-worker', '--server', addr, '--name', 'w%d' % i],
                                      env=env, stderr=subprocess.DEVNULL))
    for _ in range(300):
        out = subprocess.run([d + '/tools/hodei-jobs-cli/hodei-jobs-cli', '--server', addr, 'workers', 'list', '-o', 'json'],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
        if out.count('\n') >= 2: break
        time.sleep(0.1)
    return addr
addrs = {name: start(d) for name, d in systems}
res = {}
try:
    for r in range(reps):
        t0 = time.time(); subprocess.run('seq 2000 | xargs -P2 -n1 true', shell=True, check=True)
        res.setdefault('xargs', []).append(2000 / (time.time() - t0))
        for name, d in systems:
            out = json.loads(subprocess.run([d + '/bench/hodei-client-bench', 'tiny', addrs[name], '2000'],
                                            stdout=subprocess.PIPE, check=True).stdout)
            res.setdefault(name, []).append(2000 / out['seconds'])
            res.setdefault(name + ' submit s', []).append(out['submit_seconds'])
        print(r, {k: round(v[-1], 2) for k, v in res.items()}, flush=True)
finally:
    for p in procs: p.terminate()
    for p in procs: p.wait()
x = statistics.median(res['xargs'])
for k, v in res.items():
    m = statistics.median(v)
    if k.endswith(' s'): print('%-22s median %.3f s' % (k, m))
    else: print('%-22s median %6.0f jobs/s  ratio %.2f  (min %.0f max %.0f)' % (k, m, m / x, min(v), max(v)))
