#!/usr/bin/python3
"""What TLS costs hodeid, h2c and TLS measured in one run (issue 15).

Two hodeid (--no-local-provider, 2 hodei-worker agents each, all on loopback):
one serving h2c, one serving TLS (`hodeid tls init` certificate, agents on
https:// verifying it).  Interleaved repetitions of hodei-client-bench on one
connection each:
  tiny N:  N jobs of `true`, queued one QueueJob at a time, done when the
           queue status shows nothing queued or running -> jobs/s;
  queue N: N QueueJob calls, no waiting for the jobs -> calls/s.
Medians, and TLS as a fraction of h2c.  The connection (and so the TLS
handshake) is opened once per run, as a client program does.

usage: tls.py BUILD_DIR [REPS] [N]        (e.g. bench/grpc/tls.py build 5 2000)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

build = os.path.abspath(sys.argv[1])
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
HODEID = build + '/tools/hodeid/hodeid'
WORKER = build + '/tools/hodei-worker/hodei-worker'
CLI = build + '/tools/hodei-jobs-cli/hodei-jobs-cli'
BENCH = build + '/bench/hodei-client-bench'
procs = []


def serve(tls):
    w = tempfile.mkdtemp(prefix='tlsbench-')
    args = []
    env = dict(os.environ, HODEI_JOIN_TOKEN='bench-join-token')
    env.pop('HODEI_CA_FILE', None)
    scheme = 'http://'
    if tls:
        subprocess.run([HODEID, 'tls', 'init', '--data-dir', w + '/data', '--host',
                        'localhost,127.0.0.1'], check=True, stdout=subprocess.DEVNULL)
        args = ['--tls-cert', w + '/data/tls/server.pem', '--tls-key', w + '/data/tls/server.key']
        env['HODEI_CA_FILE'] = w + '/data/tls/ca.pem'
        scheme = 'https://'
    procs.append(subprocess.Popen([HODEID, '--data-dir', w + '/data', '--grpc-listen', '127.0.0.1:0',
                                   '--http-listen', 'off', '--port-file', w + '/ports',
                                   '--no-local-provider', '--log-level', 'warn'] + args,
                                  env=env, stderr=subprocess.DEVNULL))
    for _ in range(600):
        if os.path.exists(w + '/ports'):
            break
        time.sleep(0.05)
    port = dict(x.split('=') for x in open(w + '/ports').read().split())['grpc']
    addr = scheme + 'localhost:' + port
    for i in range(2):
        procs.append(subprocess.Popen([WORKER, '--server', addr, '--name', 'w%d' % i],
                                      env=env, stderr=open(w + '/worker%d.log' % i, 'w')))
    for _ in range(600):
        out = subprocess.run([CLI, '--server', addr, '-o', 'json', 'workers', 'list'], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
        if out.count('\n') >= 2:
            break
        time.sleep(0.1)
    print(name_of(tls), addr, w, flush=True)
    return addr, env


def name_of(tls):
    return 'tls' if tls else 'h2c'


def bench(mode, addr, env):
    out = subprocess.run([BENCH, mode, addr, str(n)], env=env, stdout=subprocess.PIPE,
                         check=True).stdout
    return n / json.loads(out)['seconds']


systems = {'h2c': serve(False), 'tls': serve(True)}
res = {}
try:
    for r in range(reps):
        for name, (addr, env) in systems.items():
            res.setdefault(name + ' tiny jobs/s', []).append(bench('tiny', addr, env))
            res.setdefault(name + ' QueueJob calls/s', []).append(bench('queue', addr, env))
            subprocess.run([BENCH, 'tiny', addr, '1'], env=env, check=True,
                           stdout=subprocess.DEVNULL)  # the queued jobs end before going on
        print(r, {k: round(v[-1]) for k, v in res.items()}, flush=True)
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait()
med = {k: statistics.median(v) for k, v in res.items()}
for k, v in res.items():
    print('%-24s median %7.0f  (min %.0f max %.0f)' % (k, med[k], min(v), max(v)))
for what in ('tiny jobs/s', 'QueueJob calls/s'):
    print('TLS cost, %-16s %+.1f%%' % (what, 100 * (med['tls ' + what] / med['h2c ' + what] - 1)))
