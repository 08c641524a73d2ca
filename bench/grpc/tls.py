#!/usr/bin/python3
"""What TLS costs hodeid, h2c and TLS measured in one run (issue 15).

Two hodeid (--no-local-provider, 2 hodei-worker agents each, all on loopback):
one serving h2c, one serving TLS (`hodeid tls init` certificate, agents on
https:// verifying it); and two more without agents for the QueueJob calls
(their jobs stay queued, so running them takes nothing from the calls).
Interleaved repetitions of hodei-client-bench, one connection per run (so
one TLS handshake, as a client program does):
  tiny N:  N jobs of `true`, queued one QueueJob at a time, done when the
           queue status shows nothing queued or running -> jobs/s;
  queue N: N QueueJob calls -> calls/s.
Besides the wall-clock rates, the CPU time spent per job or call by hodeid,
the client and the agents (with the jobs they reap), from /proc and
getrusage: on a shared, loaded machine wall time measures the neighbours as
much as Hodei, CPU time much less so.  Medians, and TLS
relative to h2c.

usage: tls.py BUILD_DIR [REPS] [JOBS] [CALLS]   (defaults: 5 500 5000)
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

build = os.path.abspath(sys.argv[1])
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
n = int(sys.argv[3]) if len(sys.argv) > 3 else 500
calls = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
HODEID = build + '/tools/hodeid/hodeid'
WORKER = build + '/tools/hodei-worker/hodei-worker'
CLI = build + '/tools/hodei-jobs-cli/hodei-jobs-cli'
BENCH = build + '/bench/hodei-client-bench'
TICK = os.sysconf('SC_CLK_TCK')
procs = []


def cpu_of(pids):
    """utime+stime of the processes and of their reaped children, in seconds."""
    total = 0
    for pid in pids:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        total += sum(int(x) for x in fields[11:15])
    return total / TICK


def serve(tls, nagents=2):
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
    server = subprocess.Popen([HODEID, '--data-dir', w + '/data', '--grpc-listen', '127.0.0.1:0',
                               '--http-listen', 'off', '--port-file', w + '/ports',
                               '--no-local-provider', '--log-level', 'warn'] + args,
                              env=env, stderr=subprocess.DEVNULL)
    procs.append(server)
    for _ in range(600):
        if os.path.exists(w + '/ports'):
            break
        time.sleep(0.05)
    port = dict(x.split('=') for x in open(w + '/ports').read().split())['grpc']
    addr = scheme + 'localhost:' + port
    agents = []
    for i in range(nagents):
        agents.append(subprocess.Popen([WORKER, '--server', addr, '--name', 'w%d' % i], env=env,
                                       stderr=open(w + '/worker%d.log' % i, 'w')))
    procs.extend(agents)
    for _ in range(600):
        out = subprocess.run([CLI, '--server', addr, '-o', 'json', 'workers', 'list'], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
        if out.count('\n') >= nagents:
            break
        time.sleep(0.1)
    print('tls' if tls else 'h2c', addr, w, flush=True)
    return {'addr': addr, 'env': env, 'pids': [server.pid] + [a.pid for a in agents]}


def bench(mode, s, count):
    """(per second, CPU microseconds per unit) of one hodei-client-bench run:
    the CPU of hodeid, the client and the agents (with the jobs they reap)."""
    before = cpu_of(s['pids'])
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([BENCH, mode, s['addr'], str(count)], env=s['env'],
                         stdout=subprocess.PIPE, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after.ru_utime - child.ru_utime) + (after.ru_stime - child.ru_stime)
    cpu = cpu_of(s['pids']) - before + client
    return count / json.loads(out)['seconds'], 1e6 * cpu / count


systems = {'h2c': serve(False), 'tls': serve(True)}
queues = {'h2c': serve(False, 0), 'tls': serve(True, 0)}  # no agents: the jobs stay queued
res = {}
try:
    for r in range(reps):
        for name, s in systems.items():
            rate, cpu = bench('tiny', s, n)
            res.setdefault(name + ' tiny jobs/s', []).append(rate)
            res.setdefault(name + ' tiny CPU us/job', []).append(cpu)
            rate, cpu = bench('queue', queues[name], calls)
            res.setdefault(name + ' QueueJob calls/s', []).append(rate)
            res.setdefault(name + ' QueueJob CPU us/call', []).append(cpu)
        print(r, {k: round(v[-1]) for k, v in res.items()}, flush=True)
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait()
med = {k: statistics.median(v) for k, v in res.items()}
for k, v in res.items():
    print('%-26s median %8.0f  (min %.0f max %.0f)' % (k, med[k], min(v), max(v)))
for what in ('tiny jobs/s', 'QueueJob calls/s', 'tiny CPU us/job', 'QueueJob CPU us/call'):
    print('TLS vs h2c, %-22s %+.1f%%' % (what, 100 * (med['tls ' + what] / med['h2c ' + what] - 1)))
