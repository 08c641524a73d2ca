#!/usr/bin/python3
"""The peer comparison suite: the same five workloads on Hodei and on the
systems an operator would pick instead, on this machine, in one run.

Run through bench/run.sh (installs the peers, builds, isolates the network).
usage: suite.py --build BUILD --out DIR [--large] [--only a,b]
"""
import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {
    False: dict(tiny=2000, reps=3, lat=50, mixed=500, chatty=20, lines=100000, queued=10000),
    True: dict(tiny=10000, reps=5, lat=200, mixed=2000, chatty=20, lines=1000000, queued=50000),
}
# Slurm at its default scheduler settings starts about two jobs per
# scheduling pass (~3 s); its sizes are cut so the run stays in minutes.
SLURM = {False: dict(tiny=60, reps=1, lat=10, mixed=40, chatty=20),
         True: dict(tiny=200, reps=1, lat=30, mixed=100, chatty=20)}
PRIOS = ('LOW', 'NORMAL', 'HIGH', 'CRITICAL')  # 1..4 as in Hodei


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


def rss_kb(pid):
    try:
        for line in open('/proc/%d/status' % pid):
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def processes():
    """{pid: (ppid, comm)} of every process we can see."""
    out = {}
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                stat = open('/proc/%s/stat' % d).read()
                comm = stat[stat.index('(') + 1:stat.rindex(')')]
                fields = stat[stat.rindex(')') + 2:].split()
                if fields[0] != 'Z':
                    out[int(d)] = (int(fields[1]), comm)
            except (OSError, ValueError):
                pass
    return out


def descendants(pid):
    procs, found, todo = processes(), [], [pid]
    while todo:
        p = todo.pop()
        for c, (pp, comm) in procs.items():
            if pp == p:
                found.append((c, comm))
                todo.append(c)
    return found


def wait_until(cond, timeout, what, interval=0.01):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(interval)
    raise RuntimeError('timed out waiting for ' + what)


def read_stamp(path):
    try:
        return int(open(path).read()) / 1e9
    except (OSError, ValueError):
        return None


class Daemons:
    """Every long-running process the suite starts; stopped at the end, by pid."""

    def __init__(self, logdir):
        self.logdir, self.procs = logdir, []

    def start(self, name, argv, **kw):
        logf = open(os.path.join(self.logdir, name + '.log'), 'ab')
        p = subprocess.Popen(argv, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                             start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self):
        for p in reversed(list(self.procs)):
            self.stop(p)


class System:
    """One system under test.  Subclasses implement the workloads."""
    name = ''
    note = ''
    priorities = True

    def __init__(self, env):
        self.env = env
        self.job = env.benchjob
        self.work = os.path.join(env.out, 'work', self.name)
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)

    def size(self, key):
        return self.env.sizes[key]

    def start(self):
        pass

    def stop(self):
        pass

    def footprint(self, n):
        return None


def verify_seq_counts(chunks, jobs, lines):
    """Lines lost: every number 1..lines must appear `jobs` times over all chunks."""
    counts = [0] * (lines + 1)
    for text in chunks:
        for tok in text.split():
            i = int(tok)
            if 1 <= i <= lines:
                counts[i] += 1
    return sum(max(0, jobs - c) for c in counts[1:])


# ---------------------------------------------------------------- xargs
class Xargs(System):
    name = 'xargs'
    note = 'xargs -P2: the spawn limit, no queue'
    priorities = False

    def throughput(self, n):
        t0 = time.time()
        subprocess.run('seq %d | xargs -P2 -n1 true' % n, shell=True, check=True)
        return time.time() - t0

    def latency_one(self, path):
        t0 = time.time()
        subprocess.run(['xargs', '-n1', self.job, 'stamp'], input=path.encode(), check=True)
        return t0, time.time()

    def mixed(self, jobs):
        text = ''.join('%s %s\n' % (ms, path) for ms, prio, path in jobs)
        t0 = time.time()
        subprocess.run(['xargs', '-P2', '-n2', self.job, 'sleep'], input=text.encode(), check=True)
        return time.time() - t0

    def chatty(self, n, lines):
        d = os.path.join(self.work, 'chatty')
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        t0 = time.time()
        subprocess.run("seq %d | xargs -P2 -I{} sh -c '%s lines %d > %s/{}.out'"
                       % (n, self.job, lines, d), shell=True, check=True)
        chunks = [open(os.path.join(d, f)).read() for f in os.listdir(d)]
        t = time.time() - t0
        return t, verify_seq_counts(chunks, n, lines)


# ---------------------------------------------------------------- posix_spawn
class SpawnCeiling(System):
    name = 'posix_spawn'
    note = 'the process-start ceiling: posix_spawn of true, 2 in flight, no queue, no store, no pipes'
    priorities = False
    tiny_only = True  # a loop of spawns, not a system: only the tiny workload

    def throughput(self, n):
        r = subprocess.run([os.path.join(self.env.build, 'bench', 'spawnloop'), str(n), '2', '/bin/true'],
                           stdout=subprocess.PIPE, check=True)
        return json.loads(r.stdout)['seconds']


# ---------------------------------------------------------------- GNU parallel
class Parallel(System):
    name = 'parallel'
    note = 'GNU parallel -j2, one run per batch of jobs'
    priorities = False
    ARGV = ['parallel', '--will-cite', '-j2']

    def throughput(self, n):
        t0 = time.time()
        subprocess.run('seq %d | parallel --will-cite -j2 true' % n, shell=True, check=True)
        return time.time() - t0

    def latency_one(self, path):
        # One parallel run per job: a parallel reading a pipe holds a job
        # back until more input arrives, so it cannot serve as a live queue.
        t0 = time.time()
        subprocess.run(self.ARGV + [self.job, 'stamp', ':::', path], stdin=subprocess.DEVNULL, check=True)
        return t0, time.time()

    def mixed(self, jobs):
        text = ''.join('%s %s\n' % (ms, path) for ms, prio, path in jobs)
        t0 = time.time()
        subprocess.run(self.ARGV + ['--colsep', ' ', self.job, 'sleep', '{1}', '{2}'],
                       input=text.encode(), check=True)
        return time.time() - t0

    def chatty(self, n, lines):
        out = os.path.join(self.work, 'chatty.out')
        t0 = time.time()
        with open(out, 'wb') as f:
            subprocess.run('seq %d | parallel --will-cite -j2 -n0 %s lines %d' % (n, self.job, lines),
                           shell=True, stdout=f, check=True)
        text = open(out).read()
        return time.time() - t0, verify_seq_counts([text], n, lines)

    def footprint(self, n):
        p = subprocess.Popen(self.ARGV, stdin=subprocess.PIPE, start_new_session=True)
        block = '%s sleep 3600000 /dev/null\n' % self.job
        p.stdin.write((block * 2 + 'true\n' * n).encode())
        p.stdin.flush()
        time.sleep(2)  # parallel reads its input lazily; let it settle
        r = {'server': [('parallel', rss_kb(p.pid))], 'workers': [], 'queued': n}
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        return r


# ---------------------------------------------------------------- task-spooler
class Tsp(System):
    name = 'tsp'
    note = 'task-spooler, 2 slots (tsp -S 2)'
    priorities = False
    MAX_QUEUED = 900  # tsp keeps one client process and connection per job

    def start(self):
        self.envv = dict(os.environ, TS_SOCKET=os.path.join(self.work, 'tsp.sock'),
                         TMPDIR=os.path.join(self.work, 'out'), TS_MAXFINISHED='100000')
        os.makedirs(self.envv['TMPDIR'], exist_ok=True)
        self.tsp('-S', '2')

    def tsp(self, *args):
        return subprocess.run(['tsp'] + list(args), env=self.envv, check=True,
                              stdout=subprocess.PIPE).stdout.decode().strip()

    def stop(self):
        subprocess.run(['tsp', '-K'], env=self.envv, stderr=subprocess.DEVNULL)

    def wait_all(self, ids):
        for i in ids[-2:]:
            self.tsp('-w', i)
        self.tsp('-C')

    def throughput(self, n):
        t0 = time.time()
        ids = [self.tsp('true') for _ in range(n)]
        self.wait_all(ids)
        return time.time() - t0

    def latency_one(self, path):
        t0 = time.time()
        i = self.tsp(self.job, 'stamp', path)
        self.tsp('-w', i)
        return t0, time.time()

    def mixed(self, jobs):
        t0 = time.time()
        ids = [self.tsp(self.job, 'sleep', ms, path) for ms, prio, path in jobs]
        self.wait_all(ids)
        return time.time() - t0

    def chatty(self, n, lines):
        t0 = time.time()
        ids = [self.tsp(self.job, 'lines', str(lines)) for _ in range(n)]
        for i in ids:
            self.tsp('-w', i)
        chunks = [open(self.tsp('-o', i)).read() for i in ids]
        t = time.time() - t0
        self.tsp('-C')
        return t, verify_seq_counts(chunks, n, lines)

    def footprint(self, n):
        n = min(n, self.MAX_QUEUED)
        for _ in range(2):
            self.tsp(self.job, 'sleep', '3600000', '/dev/null')
        for _ in range(n):
            self.tsp('true')
        procs = processes()
        tsps = sorted(p for p, (pp, c) in procs.items() if c == 'tsp')
        srv = tsps[0] if tsps else None  # the server is forked by the first tsp call
        clients = tsps[1:]
        r = {'server': [('tsp server', rss_kb(srv) if srv else 0)],
             'workers': [('tsp client', rss_kb(p)) for p in clients if p != srv], 'queued': n,
             'note': 'each queued job is a waiting tsp client process'}
        return r


# ---------------------------------------------------------------- Celery
class CeleryPeer(System):
    name = 'celery'
    note = 'Celery 5 + Redis, 2 prefork workers, subprocess per job, prefetch 1'
    PORT = 6399

    def start(self):
        d = self.env.daemons
        self.redis = d.start('redis', ['redis-server', '--bind', '127.0.0.1', '--port', str(self.PORT),
                                       '--dir', self.work, '--save', '', '--appendonly', 'no'])
        env = dict(os.environ, BENCH_REDIS_URL='redis://127.0.0.1:%d' % self.PORT,
                   PYTHONPATH=os.path.join(HERE, 'peers'))
        os.environ.update(BENCH_REDIS_URL=env['BENCH_REDIS_URL'])
        sys.path.insert(0, os.path.join(HERE, 'peers'))
        import celery_app
        self.app, self.task = celery_app.app, celery_app.run
        wait_until(lambda: self._redis_up(), 20, 'redis')
        self.worker = d.start('celery', ['/usr/bin/python3', '-m', 'celery', '-A', 'celery_app', 'worker',
                                         '-c', '2', '-P', 'prefork', '--without-gossip', '--without-mingle',
                                         '--without-heartbeat', '-l', 'WARNING'], env=env, cwd=self.work)
        wait_until(lambda: self.app.control.ping(timeout=0.5), 60, 'celery worker', 0.2)

    def _redis_up(self):
        import redis
        try:
            return redis.Redis(port=self.PORT).ping()
        except redis.exceptions.ConnectionError:
            return False

    def stop(self):
        # Let the AsyncResults go while redis still runs: their destructors
        # unsubscribe, and would retry against a stopped redis at exit.
        import gc
        gc.collect()
        self.env.daemons.stop(self.worker)
        self.env.daemons.stop(self.redis)

    def throughput(self, n):
        t0 = time.time()
        rs = [self.task.delay(['true']) for _ in range(n)]
        for r in rs:
            r.get(timeout=600)
        return time.time() - t0

    def latency_one(self, path):
        t0 = time.time()
        self.task.delay([self.job, 'stamp', path]).get(timeout=60)
        return t0, time.time()

    def mixed(self, jobs):
        t0 = time.time()
        rs = [self.task.apply_async(([self.job, 'sleep', ms, path],), priority=(4 - prio) * 3)
              for ms, prio, path in jobs]
        for r in rs:
            r.get(timeout=600)
        return time.time() - t0

    def chatty(self, n, lines):
        t0 = time.time()
        rs = [self.task.delay([self.job, 'lines', str(lines)], capture=True) for _ in range(n)]
        chunks = [r.get(timeout=600) for r in rs]
        return time.time() - t0, verify_seq_counts(chunks, n, lines)

    def footprint(self, n):
        for _ in range(2):
            self.task.apply_async(([self.job, 'sleep', '3600000', '/dev/null'],), ignore_result=True)
        time.sleep(1)
        with self.app.producer_or_acquire() as prod:
            for _ in range(n):
                self.task.apply_async((['true'],), producer=prod, ignore_result=True)
        time.sleep(1)
        workers = [(c, comm) for c, comm in [(self.worker.pid, 'celery')] + descendants(self.worker.pid)
                   if comm not in ('benchjob', 'true')]
        return {'server': [('redis-server', rss_kb(self.redis.pid))],
                'workers': [('celery ' + ('main' if p == self.worker.pid else 'child'), rss_kb(p))
                            for p, _ in workers], 'queued': n}


# ---------------------------------------------------------------- Slurm
class Slurm(System):
    name = 'slurm'
    note = 'Slurm 22.05 single node, default scheduler (sched/backfill, priority/basic)'

    def size(self, key):
        return SLURM[self.env.large].get(key, self.env.sizes[key])

    def start(self):
        w, d = self.work, self.env.daemons
        for sub in ('state', 'spool'):
            os.makedirs(os.path.join(w, sub), exist_ok=True)
        conf = os.path.join(w, 'slurm.conf')
        open(conf, 'w').write(SLURM_CONF.format(work=w, cpus=os.cpu_count(),
                                                host=os.uname().nodename))
        os.environ['SLURM_CONF'] = conf
        if not os.path.exists('/run/munge/munge.socket.2'):
            subprocess.run(['install', '-d', '-o', 'munge', '-g', 'munge', '-m', '0755', '/run/munge'],
                           check=True)
            self.munge = d.start('munged', ['runuser', '-u', 'munge', '--', '/usr/sbin/munged', '-F'])
            wait_until(lambda: os.path.exists('/run/munge/munge.socket.2'), 20, 'munged')
        self.ctld = d.start('slurmctld', ['slurmctld', '-D', '-i'])
        self.slurmd = d.start('slurmd', ['slurmd', '-D'])
        wait_until(lambda: b'idle' in subprocess.run(['sinfo', '-h', '-o', '%T'], stdout=subprocess.PIPE,
                                                     stderr=subprocess.DEVNULL).stdout, 60, 'slurm', 0.2)

    def stop(self):
        for p in (self.slurmd, self.ctld, getattr(self, 'munge', None)):
            if p:
                self.env.daemons.stop(p)

    def sbatch(self, *args, out='/dev/null'):
        r = subprocess.run(['sbatch', '--parsable', '-o', out] + list(args),
                           stdout=subprocess.PIPE, check=True)
        return r.stdout.decode().strip().split(';')[0]

    def pending(self):
        r = subprocess.run(['squeue', '-h', '-o', '%i'], stdout=subprocess.PIPE, check=True)
        return len(r.stdout.split())

    def wait_empty(self):
        wait_until(lambda: self.pending() == 0, 3600, 'slurm queue', 0.05)

    def throughput(self, n):
        t0 = time.time()
        for _ in range(n):
            self.sbatch('--wrap', 'exec true')
        self.wait_empty()
        return time.time() - t0

    def latency_one(self, path):
        t0 = time.time()
        j = self.sbatch('--wrap', 'exec %s stamp %s' % (self.job, path))
        wait_until(lambda: not subprocess.run(['squeue', '-h', '-j', j], stdout=subprocess.PIPE,
                                              stderr=subprocess.DEVNULL).stdout.strip(), 600, 'job', 0.02)
        return t0, time.time()

    def mixed(self, jobs):
        t0 = time.time()
        for ms, prio, path in jobs:
            self.sbatch('--priority=%d' % (prio * 1000), '--wrap',
                        'exec %s sleep %s %s' % (self.job, ms, path))
        self.wait_empty()
        return time.time() - t0

    def chatty(self, n, lines):
        d = os.path.join(self.work, 'chatty')
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        t0 = time.time()
        for _ in range(n):
            self.sbatch('--wrap', 'exec %s lines %d' % (self.job, lines), out=d + '/%j.out')
        self.wait_empty()
        chunks = [open(os.path.join(d, f)).read() for f in os.listdir(d)]
        return time.time() - t0, verify_seq_counts(chunks, n, lines)

    def footprint(self, n):
        for _ in range(2):
            self.sbatch('--wrap', 'exec %s sleep 3600000 /dev/null' % self.job)
        subprocess.run('seq %d | xargs -P4 -I{} sbatch -Q -o /dev/null '
                       '--wrap "exec true"' % n, shell=True, check=True)
        stepds = [p for p, (pp, c) in processes().items() if c.startswith('slurmstepd')]
        r = {'server': [('slurmctld', rss_kb(self.ctld.pid))],
             'workers': [('slurmd', rss_kb(self.slurmd.pid))], 'queued': self.pending() - 2,
             'note': 'plus %d slurmstepd processes, %.1f MB in all' % (
                 len(stepds), sum(rss_kb(p) for p in stepds) / 1024.0)}
        subprocess.run(['scancel', '-u', 'root'])
        return r


SLURM_CONF = """ClusterName=bench
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={work}/state
SlurmdSpoolDir={work}/spool
SlurmctldPidFile={work}/slurmctld.pid
SlurmdPidFile={work}/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MaxJobCount=200000
ReturnToService=2
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=bench Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


# ---------------------------------------------------------------- Hodei embedded
class HodeiEmbedded(System):
    name = 'hodei-embedded'
    note = 'libhodei in-process, 2 local workers, one durable submit per job'

    def run(self, *args, **kw):
        r = subprocess.run([self.env.hodei_bench] + [str(a) for a in args], stdout=subprocess.PIPE,
                           check=True, **kw)
        return json.loads(r.stdout)

    def db(self):
        return os.path.join(self.work, 'hodei.db')

    def throughput(self, n):
        return self.run('throughput', self.db(), n, 2, 'single')['seconds']

    def latencies(self, k, stampdir):
        r = self.run('latency', self.db(), k, self.job, stampdir)
        return list(zip(r['start'], r['complete']))

    def mixed(self, jobs):
        spec = os.path.join(self.work, 'mixed.txt')
        open(spec, 'w').write(''.join('%s %d %s\n' % j for j in jobs))
        return self.run('mixed', self.db(), self.job, spec)['seconds']

    def chatty(self, n, lines):
        r = self.run('chatty', self.db(), self.job, n, lines)
        return r['seconds'], r['lost']

    def footprint(self, n):
        p = subprocess.Popen([self.env.hodei_bench, 'footprint', self.db(), self.job, str(n)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        p.stdout.readline()
        kids = [(c, comm) for c, comm in descendants(p.pid) if comm != 'benchjob']
        r = {'server': [('embedding process', rss_kb(p.pid))],
             'workers': [(comm, rss_kb(c)) for c, comm in kids], 'queued': n}
        p.stdin.close()
        p.wait()
        return r



# ---------------------------------------------------------------- Hodei over gRPC
class HodeiGrpc(System):
    name = 'hodei-grpc'
    note = 'hodeid + 2 hodei-worker agents on loopback; libhodei client API, one connection'

    def __init__(self, env):
        super().__init__(env)
        b = env.build
        self.hodeid = os.path.join(b, 'tools', 'hodeid', 'hodeid')
        self.agent = os.path.join(b, 'tools', 'hodei-worker', 'hodei-worker')
        self.cli_bin = os.path.join(b, 'tools', 'hodei-jobs-cli', 'hodei-jobs-cli')
        self.client_bench = os.path.join(b, 'bench', 'hodei-client-bench')
        if not all(os.access(x, os.X_OK) for x in (self.hodeid, self.agent, self.cli_bin, self.client_bench)):
            self.skip = 'tools/hodeid, hodei-worker or hodei-jobs-cli not built'

    def start(self):
        d, w = self.env.daemons, self.work
        tok = os.path.join(w, 'join.token')
        open(tok, 'w').write('bench-join-token\n')
        ports = os.path.join(w, 'ports')
        self.server = d.start('hodeid', [self.hodeid, '--data-dir', os.path.join(w, 'data'),
                                         '--grpc-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0',
                                         '--port-file', ports, '--join-token-file', tok,
                                         '--no-local-provider', '--log-level', 'warn'])
        wait_until(lambda: os.path.exists(ports), 30, 'hodeid')
        kv = dict(x.split('=') for x in open(ports).read().split())
        self.addr, self.http = '127.0.0.1:' + kv['grpc'], int(kv['http'])
        env = dict(os.environ, HODEI_JOIN_TOKEN='bench-join-token')
        self.agents = [d.start('hodei-worker-%d' % i, [self.agent, '--server', self.addr, '--name', 'w%d' % i],
                               env=env) for i in range(2)]
        wait_until(lambda: self.cli('workers', 'list', '-o', 'json').count('\n') >= 2, 30, 'agents', 0.1)

    def stop(self):
        for p in self.agents + [self.server]:
            self.env.daemons.stop(p)

    def cli(self, *args, check=True):
        r = subprocess.run([self.cli_bin, '--server', self.addr] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, check=check)
        return r.stdout.decode()

    def bench(self, *args):
        r = subprocess.run([self.client_bench, args[0], self.addr] + [str(x) for x in args[1:]],
                           stdout=subprocess.PIPE, check=True)
        return json.loads(r.stdout)

    def throughput(self, n):
        return self.bench('tiny', n)['seconds']

    def latencies(self, k, stampdir):
        return self.bench('latency', k, self.job, stampdir)['pairs']

    def mixed(self, jobs):
        spec = os.path.join(self.work, 'mixed.txt')
        open(spec, 'w').write(''.join('%s %d %s\n' % j for j in jobs))
        return self.bench('mixed', self.job, spec)['seconds']

    def chatty(self, n, lines):
        r = self.bench('chatty', self.job, n, lines)
        return r['seconds'], r['lost']

    def footprint(self, n):
        for _ in range(2):
            self.cli('jobs', 'queue', '--command', self.job, '--arg', 'sleep', '--arg', '3600000',
                     '--arg', '/dev/null')
        self.bench('queue', n)
        return {'server': [('hodeid', rss_kb(self.server.pid))],
                'workers': [('hodei-worker', rss_kb(a.pid)) for a in self.agents], 'queued': n}


# ---------------------------------------------------------------- Hodei with the Docker provider
HOST_NET = '/proc/self/fd/9'  # run.sh opens the host's network namespace there


class HodeiDocker(HodeiGrpc):
    """hodeid with one docker provider (2 containers, kept warm); no agents of
    our own.  The containers use Docker's default "host" network, so hodeid
    and its clients run in the host's network namespace (nsenter on the fd
    run.sh left open), not in the suite's private one; the PID namespace is
    the suite's, so hodeid still ends with it.  Jobs are the image's busybox
    applets (benchjob and the stamp files are not in the containers): see
    BENCHJOB "-" in hodei-client-bench.c."""
    name = 'hodei-docker'
    note = 'hodeid + docker provider, 2 warm containers of hodei-worker:bench; libhodei client API'
    PROVIDER, IMAGE = 'bench-suite', 'hodei-worker:bench'

    def __init__(self, env):
        super().__init__(env)
        if getattr(self, 'skip', None):
            return
        if not os.path.exists(HOST_NET):
            self.skip = 'no handle on the host network namespace (run through bench/run.sh)'
        elif not shutil.which('docker'):
            self.skip = 'docker is not installed'
        self.job = '-'

    @staticmethod
    def docker_up():
        return subprocess.run(['docker', 'version'], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0

    def host(self, argv):
        return ['nsenter', '--net=' + HOST_NET] + argv

    def start(self):
        d, w = self.env.daemons, self.work
        # run.sh started dockerd if none answered; on a shared machine another
        # test may be restarting it right now.
        wait_until(self.docker_up, 120, 'dockerd (test/docker/ensure-dockerd.sh)', 1)
        subprocess.run([self.hodeid, 'image', 'build', '-t', self.IMAGE, '-w', self.agent],
                       stdout=subprocess.DEVNULL, check=True)
        data = os.path.join(w, 'data')
        os.makedirs(data, exist_ok=True)
        subprocess.run([self.env.hodei_bench, 'docker-provider', os.path.join(data, 'hodei.db'),
                        self.PROVIDER, json.dumps({'image': self.IMAGE}), '2'], check=True)
        ports = os.path.join(w, 'ports')
        env = {k: v for k, v in os.environ.items() if k != 'HODEI_SERVER'}
        self.server = d.start('hodeid-docker', self.host(
            [self.hodeid, '--data-dir', data, '--grpc-listen', '127.0.0.1:0', '--http-listen', 'off',
             '--port-file', ports, '--no-local-provider', '--log-level', 'warn']),
            env=env, pass_fds=(9,))
        wait_until(lambda: os.path.exists(ports), 30, 'hodeid')
        kv = dict(x.split('=') for x in open(ports).read().split())
        self.addr, self.agents = '127.0.0.1:' + kv['grpc'], []
        self.warm()

    def warm(self):
        """Both containers up and idle before a timed workload (they stay for
        the library's 60 s worker idle time)."""
        for _ in range(2):
            self.cli('jobs', 'queue', '--command', 'sleep', '--arg', '0.3')
        wait_until(lambda: not self.cli('-o', 'json', 'jobs', 'list', '--status', 'active',
                                        '--limit', '0').strip(), 120, 'warm containers', 0.05)

    def containers(self):
        return subprocess.run(['docker', 'ps', '-q', '--filter', 'label=io.hodei.provider=' + self.PROVIDER],
                              stdout=subprocess.PIPE, check=True).stdout.decode().split()

    def stop(self):
        self.env.daemons.stop(self.server)
        ids = subprocess.run(['docker', 'ps', '-aq', '--filter', 'label=io.hodei.provider=' + self.PROVIDER],
                             stdout=subprocess.PIPE).stdout.decode().split()
        if ids:
            subprocess.run(['docker', 'rm', '-f'] + ids, stdout=subprocess.DEVNULL)

    def cli(self, *args, check=True):
        r = subprocess.run(self.host([self.cli_bin, '--server', self.addr] + list(args)),
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=check, pass_fds=(9,))
        return r.stdout.decode()

    def bench(self, *args):
        if args[0] != 'queue':  # every timed workload starts on warm containers
            self.warm()
        r = subprocess.run(self.host([self.client_bench, args[0], self.addr] + [str(x) for x in args[1:]]),
                           stdout=subprocess.PIPE, check=True, pass_fds=(9,))
        return json.loads(r.stdout)

    def footprint(self, n):
        self.warm()
        for _ in range(2):
            self.cli('jobs', 'queue', '--command', 'sleep', '--arg', '3600000')
        wait_until(lambda: self.cli('-o', 'json', 'jobs', 'list', '--status', 'running').count('\n') >= 2,
                   120, 'two sleeping jobs', 0.05)
        self.bench('queue', n)
        # Per container: the agent (counted, as the gRPC row counts its
        # agents) and its reaper child (noted); `docker top` runs ps on the host.
        workers, reapers = [], []
        for c in self.containers():
            top = subprocess.run(['docker', 'top', c, '-o', 'pid,ppid,rss,comm'], stdout=subprocess.PIPE,
                                 check=True).stdout.decode().split('\n')[1:]
            rows = [t.split() for t in top if len(t.split()) == 4 and t.split()[3] == 'hodei-worker']
            agents = {r[0] for r in rows}
            for pid, ppid, rss, _ in rows:
                (reapers if ppid in agents else workers).append(('hodei-worker (container)', int(rss)))
        return {'server': [('hodeid', rss_kb(self.server.pid))], 'workers': workers, 'queued': n,
                'note': 'plus a reaper process per agent, %.1f MB in all' % (sum(kb for _, kb in reapers) / 1024.0)}


# ---------------------------------------------------------------- the run
def make_mixed(n, d):
    rng = random.Random(42)
    os.makedirs(d, exist_ok=True)
    return [(str(rng.randint(0, 50)), rng.randint(1, 4), os.path.join(d, 'm.%d' % i)) for i in range(n)]


def inversions(jobs, finish):
    """Share of (higher, lower) priority pairs where the higher one finished later."""
    bad = total = 0
    for i, (_, pi, _) in enumerate(jobs):
        for j, (_, pj, _) in enumerate(jobs):
            if pi > pj:
                total += 1
                bad += finish[i] > finish[j]
    return bad / total if total else 0.0


def run_system(sysobj, env):
    s, r = sysobj, {'system': sysobj.name, 'note': sysobj.note}
    reps = s.size('reps')
    log('== %s: start' % s.name)
    s.start()
    try:
        n = s.size('tiny')
        # xargs runs the same n jobs before each repetition, so the ratio
        # compares runs seconds apart (the shared machine's load moves within
        # a suite run); xargs' own row is its first block.
        # The posix_spawn ceiling likewise (issue 16's ratios).
        times, base, ceil = [], [], []
        for _ in range(reps):
            if s.name != 'xargs':
                base.append(env.xargs.throughput(n))
            if s.name != 'posix_spawn':
                ceil.append(env.ceiling.throughput(n))
            times.append(s.throughput(n))
        r['tiny'] = dict(jobs=n, reps=reps, seconds=statistics.median(times),
                         rate=n / statistics.median(times))
        if base:
            r['tiny']['xargs_rate'] = n / statistics.median(base)
        if ceil:
            r['tiny']['ceiling_rate'] = n / statistics.median(ceil)
        log('   throughput %.0f jobs/s%s%s' % (r['tiny']['rate'], ', xargs alongside %.0f' % r['tiny']['xargs_rate']
                                               if base else '', ', posix_spawn alongside %.0f'
                                               % r['tiny']['ceiling_rate'] if ceil else ''))
        if getattr(s, 'tiny_only', False):
            return r

        k, d = s.size('lat'), os.path.join(s.work, 'lat')
        os.makedirs(d, exist_ok=True)
        if hasattr(s, 'latencies'):
            pairs = s.latencies(k, d)
        else:
            pairs = []
            for i in range(k):
                path = os.path.join(d, 'lat.%d' % i)
                t0, t2 = s.latency_one(path)
                pairs.append((read_stamp(path) - t0, t2 - t0))
        st, co = [a for a, b in pairs], [b for a, b in pairs]
        r['latency'] = dict(samples=k, start_p50=pct(st, 50), start_p99=pct(st, 99),
                            complete_p50=pct(co, 50), complete_p99=pct(co, 99))
        log('   latency p50 start %.2f ms' % (r['latency']['start_p50'] * 1e3))

        m = s.size('mixed')
        runs = []
        for rep in range(reps):
            jobs = make_mixed(m, os.path.join(s.work, 'mixed%d' % rep))
            t = s.mixed(jobs)
            finish = [read_stamp(p) for _, _, p in jobs]
            lost = sum(f is None for f in finish)
            finish = [f or 1e20 for f in finish]
            means = {}
            for p in range(1, 5):
                fs = [f for (_, pr, _), f in zip(jobs, finish) if pr == p]
                means[PRIOS[p - 1]] = statistics.mean(fs) - min(finish)
            order = all(means[PRIOS[p]] < means[PRIOS[p - 1]] for p in range(1, 4))
            runs.append(dict(seconds=t, inversions=inversions(jobs, finish), order_ok=order,
                             mean_finish=means, missing=lost))
        runs.sort(key=lambda x: x['seconds'])
        r['mixed'] = dict(jobs=m, reps=reps, priorities=s.priorities, **runs[len(runs) // 2])
        log('   mixed %.2f s, inversions %.1f%%' % (r['mixed']['seconds'], r['mixed']['inversions'] * 100))

        nc, lines = s.size('chatty'), s.size('lines')
        res = [s.chatty(nc, lines) for _ in range(min(reps, 3))]
        r['chatty'] = dict(jobs=nc, lines=lines, seconds=statistics.median([t for t, _ in res]),
                           lost=max(lost for _, lost in res))
        log('   chatty %.2f s, lost %d' % (r['chatty']['seconds'], r['chatty']['lost']))

        fp = s.footprint(s.size('queued'))
        r['footprint'] = fp
        if fp:
            log('   footprint %s' % fp['server'])
    finally:
        s.stop()
    return r


class Env:
    pass


def fmt_ms(x):
    return '%.1f' % (x * 1e3) if x < 10 else '%.0f' % (x * 1e3)


def table(results):
    base = next((r for r in results if r['system'] == 'xargs' and 'tiny' in r), None)
    rows = ['| system | tiny jobs/s (n) | vs xargs (xargs/s alongside) | vs posix_spawn (its /s alongside) '
            '| start p50 / p99 ms | complete p50 / p99 ms '
            '| mixed s (n) | prio inversions | chatty s | lines lost | server RSS MB | worker RSS MB (count) |',
            '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for r in results:
        if 'tiny' not in r:
            rows.append('| %s | skipped: %s ||||||||||' % (r['system'], r.get('error', '')))
            continue
        t, fp = r['tiny'], r.get('footprint')
        xr = t.get('xargs_rate') or (base['tiny']['rate'] if base else float('nan'))
        ratio = t['rate'] / xr
        cr = t.get('ceiling_rate')
        vs_ceiling = '%.2f (%.0f)' % (t['rate'] / cr, cr) if cr else '1.00'
        if 'latency' not in r:  # posix_spawn: the tiny workload only
            rows.append('| %s | %.0f (%d) | %.2f (%.0f) | %s | - | - | - | - | - | - | no queue | - |' % (
                r['system'], t['rate'], t['jobs'], ratio, xr, vs_ceiling))
            continue
        la, mx, ch = r['latency'], r['mixed'], r['chatty']
        if fp:
            srv = '%.1f' % (sum(kb for _, kb in fp['server']) / 1024.0)
            ws = [kb for _, kb in fp['workers']]
            wk = '%.1f (%d)' % (statistics.mean(ws) / 1024.0, len(ws)) if ws else '-'
            if fp['queued'] != r.get('queued_target'):
                srv += ' (%d queued)' % fp['queued']
        else:
            srv, wk = 'no queue', '-'
        inv = '%.1f%%%s' % (mx['inversions'] * 100, '' if mx['priorities'] else ' (no priorities)')
        rows.append('| %s | %s (%d) | %.2f%s | %s | %s / %s | %s / %s | %.2f (%d) | %s | %.2f | %d | %s | %s |' % (
            r['system'], ('%.0f' if t['rate'] >= 10 else '%.2f') % t['rate'], t['jobs'], ratio,
            ' (%.0f)' % xr if 'xargs_rate' in t else '', vs_ceiling, fmt_ms(la['start_p50']), fmt_ms(la['start_p99']),
            fmt_ms(la['complete_p50']), fmt_ms(la['complete_p99']), mx['seconds'], mx['jobs'], inv,
            ch['seconds'], ch['lost'], srv, wk))
    return '\n'.join(rows)


def plot(results, out):
    dat = os.path.join(out, 'suite.dat')
    with open(dat, 'w') as f:
        for r in results:
            if 'latency' in r:
                f.write('"%s" %.1f %.4f %.4f %.1f\n' % (r['system'], r['tiny']['rate'],
                                                        r['latency']['start_p50'] * 1e3,
                                                        r['latency']['complete_p50'] * 1e3,
                                                        r['tiny'].get('xargs_rate', r['tiny']['rate'])))
    png = os.path.join(out, 'suite.png')
    subprocess.run(['gnuplot', '-e', 'dat="%s"; png="%s"' % (dat, png), os.path.join(HERE, 'suite.gp')],
                   check=True)
    return png


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--large', action='store_true')
    ap.add_argument('--only', default='')
    a = ap.parse_args()
    env = Env()
    env.large, env.sizes, env.out = a.large, SIZES[a.large], os.path.abspath(a.out)
    if os.environ.get('BENCH_SMOKE'):  # a quick check of the suite itself
        env.sizes = dict(tiny=100, reps=1, lat=5, mixed=20, chatty=3, lines=1000, queued=100)
        SLURM[a.large] = dict(tiny=4, reps=1, lat=2, mixed=6, chatty=2)
    os.makedirs(os.path.join(env.out, 'logs'), exist_ok=True)
    env.daemons = Daemons(os.path.join(env.out, 'logs'))
    env.benchjob = os.path.join(os.path.abspath(a.build), 'bench', 'benchjob')
    env.hodei_bench = os.path.join(os.path.abspath(a.build), 'bench', 'hodei-bench')
    systems = [Xargs, SpawnCeiling, Parallel, Tsp, CeleryPeer, Slurm, HodeiEmbedded]
    env.build = os.path.abspath(a.build)
    env.xargs = Xargs(env)  # the baseline beside every system's tiny runs
    env.ceiling = SpawnCeiling(env)  # and the ceiling
    systems += [HodeiGrpc, HodeiDocker]
    only = [x for x in a.only.split(',') if x]
    results = []
    try:
        for cls in systems:
            if only and cls.name not in only and cls.name not in ('xargs', 'posix_spawn'):
                continue
            try:
                s = cls(env)
                skip = getattr(s, 'skip', None)
                if skip:
                    results.append(dict(system=cls.name, error=skip))
                    continue
                r = run_system(s, env)
                r['queued_target'] = s.size('queued')
                results.append(r)
            except Exception as e:  # one broken peer must not lose the others' figures
                log('!! %s failed: %r' % (cls.name, e))
                results.append(dict(system=cls.name, error=repr(e)[:200]))
    finally:
        env.daemons.stop_all()
    json.dump(dict(sizes=env.sizes, results=results), open(os.path.join(env.out, 'suite.json'), 'w'), indent=1)
    t = table(results)
    open(os.path.join(env.out, 'suite.md'), 'w').write(t + '\n')
    print(t)
    try:
        print('plot: %s' % plot(results, env.out))
    except (OSError, subprocess.CalledProcessError) as e:
        log('plot failed: %r' % e)


if __name__ == '__main__':
    main()
