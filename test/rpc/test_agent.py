#!/usr/bin/env python3
"""Faults and attacks on hodei-worker and the worker protocol, with real
processes (issues 13 and 14): a network partition (network namespaces and
iptables), the agent and its reaper killed together, a job looking for the
join token, and joining workers that try to take what is not theirs.

usage: test_agent.py GROUP   (lease | reaper | secrets | join | reattach)
HODEID and HODEI_WORKER_BIN name the binaries under test.  The lease group
needs root, ip(8) and iptables(8); without them it is skipped (77).
"""
import os
import shutil
import signal
import subprocess
import sys

from harness import WORKER, Tests, buf_curl, call, ensure_buf, fifo_write, wait_for
from test_integration import process_gone

FINAL = ('JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_TIMED_OUT')
TOKEN = 'join-secret-for-agent-tests'
API = 'api-secret-for-agent-tests'
AUTH = ('authorization: Bearer ' + API,)
# Short, valid timing: a heartbeat a second, lost after three (the agent's
# own lease is two).
FAST = ['--heartbeat', '1', '--worker-timeout', '3']


def api(h, method, data=None, auth=()):
    return call(h.addr, method, data or {}, auth)


def queue(h, job_id, script, auth=(), **more):
    definition = {'job_id': {'value': job_id}, 'command': 'sh', 'arguments': ['-c', script]}
    definition.update(more)
    return api(h, 'hodei.JobExecutionService/QueueJob',
               {'job_definition': definition, 'queued_by': 'test'}, auth)


def get_job(h, job_id, auth=()):
    return api(h, 'hodei.JobExecutionService/GetJob', {'job_id': job_id}, auth)


def wait_state(h, job_id, states, auth=(), timeout=60):
    def reached():
        state = get_job(h, job_id, auth)['job']['state']
        return state if state in states else None
    return wait_for(reached, timeout, '%s to reach %s' % (job_id, states))


def workers(h, auth=()):
    return api(h, 'hodei.WorkerAgentService/ListWorkers', {}, auth).get('workers', [])


def have_netns():
    if os.geteuid() != 0 or not shutil.which('ip') or not shutil.which('iptables'):
        return False
    probe = 'hodei-probe-%d' % os.getpid()
    ok = subprocess.run(['ip', 'netns', 'add', probe], capture_output=True).returncode == 0
    if ok:
        ok = subprocess.run(['ip', 'netns', 'exec', probe, 'iptables', '-L', '-n'],
                            capture_output=True).returncode == 0
        subprocess.run(['ip', 'netns', 'del', probe], capture_output=True)
    return ok


def sh(*cmd):
    subprocess.run(list(cmd), check=True, capture_output=True)


class Netns:
    """A namespace joined to this one by a veth pair: HOST_IP here, NS_IP there."""

    def __init__(self):
        n = os.getpid() % 250 + 1
        self.name = 'hodei-agent-%d' % os.getpid()
        self.host_if, self.ns_if = 'hva%d' % os.getpid(), 'hvb%d' % os.getpid()
        self.host_ip, self.ns_ip = '10.231.%d.1' % n, '10.231.%d.2' % n
        sh('ip', 'netns', 'add', self.name)
        sh('ip', 'link', 'add', self.host_if, 'type', 'veth', 'peer', 'name', self.ns_if)
        sh('ip', 'link', 'set', self.ns_if, 'netns', self.name)
        sh('ip', 'addr', 'add', self.host_ip + '/30', 'dev', self.host_if)
        sh('ip', 'link', 'set', self.host_if, 'up')
        self.run('ip', 'addr', 'add', self.ns_ip + '/30', 'dev', self.ns_if)
        self.run('ip', 'link', 'set', self.ns_if, 'up')
        self.run('ip', 'link', 'set', 'lo', 'up')

    def run(self, *cmd):
        sh('ip', 'netns', 'exec', self.name, *cmd)

    def prefix(self):
        return ['ip', 'netns', 'exec', self.name]

    def partition(self):
        """Every packet in or out of the namespace is dropped, silently."""
        self.run('iptables', '-I', 'INPUT', '-j', 'DROP')
        self.run('iptables', '-I', 'OUTPUT', '-j', 'DROP')

    def delete(self):
        subprocess.run(['ip', 'netns', 'del', self.name], capture_output=True)
        subprocess.run(['ip', 'link', 'del', self.host_if], capture_output=True)


class AgentTests(Tests):

    def agent(self, d, name, server, token=TOKEN, extra=(), prefix=(), env=None,
              session=False, job_user='root'):
        """hodei-worker with the join token in its environment (unless env says otherwise).

        An agent run by root runs its jobs as 'nobody' unless told otherwise;
        job_user='root' (the default here, as harness.Worker does) lets jobs
        write into the test's private directory; None keeps the agent's default."""
        e = dict(os.environ)
        e.pop('HODEI_WORKER_TOKEN', None)
        e.pop('HODEI_JOB_USER', None)
        e['HODEI_JOIN_TOKEN'] = token
        if job_user and os.geteuid() == 0:
            e['HODEI_JOB_USER'] = job_user
        e.update(env or {})
        e = {k: v for k, v in e.items() if v is not None}
        log = open(os.path.join(d, 'worker-%s.log' % name), 'ab')
        p = subprocess.Popen(list(prefix) + [WORKER, '--server', server, '--name', name, '-v']
                             + list(extra), env=e, stdout=log, stderr=log,
                             start_new_session=session)
        p.logpath = log.name

        def stop():
            if p.poll() is None:
                p.kill()
                p.wait()
        self.cleanup.append(stop)
        return p

    # ---- issue 13.2: the agent's lease ends before the server's ----

    def test_partitioned_agent_stops_first(self, d):
        """A partitioned agent kills its job before the server starts the retry.

        Each attempt takes a lock on a file that it holds while it runs (it and
        every process it leaves): attempt 2 finds the lock free only if attempt 1
        is dead by then.  The ordering
        is the evidence, not the time anything took."""
        if not have_netns():
            print('skipped: needs root, ip and iptables (network namespaces)')
            return
        ns = Netns()
        self.cleanup.append(ns.delete)
        h = self.hodeid(d, args=['--no-local-provider', '--grpc-listen', '0.0.0.0:0',
                                 '--insecure-listen'] + FAST,
                        env={'HODEI_JOIN_TOKEN': TOKEN, 'HODEI_API_TOKEN': API})
        victim = self.agent(d, 'victim', '%s:%d' % (ns.host_ip, h.grpc_port),
                            prefix=ns.prefix())
        wait_for(lambda: workers(h, AUTH), what='the partitioned agent to register')
        lock, marks = os.path.join(d, 'lock'), os.path.join(d, 'marks')
        # Attempt 1 also leaves a daemon of its own session holding the lock:
        # the agent must end every descendant of the job, not just its group.
        escapee = os.path.join(d, 'escapee')
        self.cleanup.append(lambda: os.kill(int(open(escapee).read()), signal.SIGKILL))
        script = ('exec 9>>%s; if flock -n 9; then echo "start $HODEI_JOB_ATTEMPT alone" >> %s; '
                  'else echo "start $HODEI_JOB_ATTEMPT twice at once" >> %s; exit 1; fi; '
                  'if [ "$HODEI_JOB_ATTEMPT" = 1 ]; then setsid sleep 600 & echo $! > %s; '
                  'exec sleep 600; fi' % (lock, marks, marks, escapee))
        queue(h, 'split', script, AUTH, max_retries=0)
        wait_state(h, 'split', ('JOB_STATE_RUNNING',), AUTH)
        wait_for(lambda: os.path.exists(escapee), what='attempt 1 to take the lock')
        # A healthy agent on the server's side of the cut takes the retry.
        self.agent(d, 'rescuer', h.addr)
        wait_for(lambda: len(workers(h, AUTH)) == 2, what='the rescuer to register')
        ns.partition()
        state = wait_state(h, 'split', FINAL, AUTH)
        lines = open(marks).read().splitlines()
        assert lines == ['start 1 alone', 'start 2 alone'], lines
        job = get_job(h, 'split', AUTH)
        assert state == 'JOB_STATE_SUCCEEDED' and job['job']['workerId'] == 'rescuer', job
        assert any('heartbeats missed' in t.get('reason', '') for t in job['history']), job
        log = open(victim.logpath, errors='replace').read()
        assert 'the lease ended' in log and 'killing job=split attempt=1' in log, log
        # The rescuer, idle all along, heard the server and kept its session.
        rescuer_log = open(os.path.join(d, 'worker-rescuer.log'), errors='replace').read()
        assert 'lease ended' not in rescuer_log and 'disconnected' not in rescuer_log, rescuer_log
        assert [w['id'] for w in workers(h, AUTH)] == ['rescuer'], workers(h, AUTH)

    # ---- issue 13.5: a timeout that heartbeats could miss is refused ----

    def test_timeout_below_heartbeats_refused(self, d):
        from harness import HODEID
        for args, env in ((['--heartbeat', '2', '--worker-timeout', '5'], {}),
                          ([], {'HODEI_HEARTBEAT_INTERVAL': '5', 'HODEI_WORKER_TIMEOUT': '5'})):
            e = dict(os.environ)
            e.update(env)
            p = subprocess.run([HODEID, '--data-dir', os.path.join(d, 'data'),
                                '--grpc-listen', '127.0.0.1:0', '--http-listen', 'off'] + args,
                               env=e, capture_output=True, text=True, timeout=30)
            assert p.returncode == 2, (args, env, p.returncode, p.stderr)
            for word in ('--worker-timeout', 'HODEI_WORKER_TIMEOUT', '--heartbeat',
                         'HODEI_HEARTBEAT_INTERVAL'):
                assert word in p.stderr, (word, p.stderr)
        # Three heartbeats to a timeout is enough.
        h = self.hodeid(d, args=['--no-local-provider'] + FAST, env={'HODEI_JOIN_TOKEN': TOKEN})
        # The agent's own settings are checked the same way.
        p = subprocess.run([WORKER, '--server', h.addr, '--heartbeat', '2', '--worker-timeout', '5'],
                           env=dict(os.environ, HODEI_JOIN_TOKEN=TOKEN), capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 2, (p.returncode, p.stderr)
        for word in ('--worker-timeout', 'HODEI_WORKER_TIMEOUT', '--heartbeat',
                     'HODEI_HEARTBEAT_INTERVAL'):
            assert word in p.stderr, (word, p.stderr)
        ok = self.agent(d, 'ok', h.addr, extra=['--heartbeat', '1', '--worker-timeout', '3'])
        wait_for(lambda: workers(h), what='an agent with valid timing to register')
        assert ok.poll() is None

    # ---- issue 13.6: jobs die with the agent, even when its reaper does too ----

    def test_agent_and_reaper_killed_together(self, d):
        """kill -9 of the agent's group and of its reaper: no process of the job
        survives, not even one that left the job's group with setsid."""
        h = self.hodeid(d, args=['--no-local-provider'] + FAST, env={'HODEI_JOIN_TOKEN': TOKEN})
        # The agent's default: as root, its jobs run as nobody (in a cgroup of
        # their own where there is one), under the guard all the same.
        shared = os.path.join(d, 'shared')
        os.makedirs(shared)
        for path in (self.tmp, d):
            os.chmod(path, 0o755)
        os.chmod(shared, 0o777)
        a = self.agent(d, 'doomed', h.addr, session=True, job_user=None)
        wait_for(lambda: workers(h), what='the agent to register')
        pids = os.path.join(shared, 'pids')
        queue(h, 'orphan', 'sleep 1000 & echo $! >> %s; setsid sleep 1000 & echo $! >> %s; '
                           'echo $$ >> %s; wait' % (pids, pids, pids), max_retries=0)
        wait_state(h, 'orphan', ('JOB_STATE_RUNNING',))
        wait_for(lambda: os.path.exists(pids) and len(open(pids).read().split()) == 3,
                 what='the job to write its pids')
        job_pids = [int(x) for x in open(pids).read().split()]
        job_group = os.getpgid(job_pids[2])
        helpers = [p for p in children(a.pid) if os.getpgid(p) != job_group]
        assert helpers, 'no reaper found'
        for p in helpers:            # the reaper first, so it cannot act ...
            os.kill(p, signal.SIGKILL)
        os.killpg(a.pid, signal.SIGKILL)  # ... then the agent's whole group
        a.wait()
        for pid in job_pids:
            wait_for(lambda: process_gone(pid), what='job process %d to die' % pid)

    def test_guarded_jobs_report_as_before(self, d):
        """The guard between the agent and the job changes nothing the server sees."""
        h = self.hodeid(d, args=['--no-local-provider'] + FAST, env={'HODEI_JOIN_TOKEN': TOKEN})
        # The guard starts with the agent's LD_LIBRARY_PATH (the Docker image
        # needs it), the job with its own.
        self.agent(d, 'plain', h.addr, env={'LD_LIBRARY_PATH': '/agent-libs'})
        queue(h, 'ld-own', 'echo "ld=$LD_LIBRARY_PATH"', environment={'LD_LIBRARY_PATH': '/job'})
        queue(h, 'ld-none', 'echo "ld=${LD_LIBRARY_PATH-unset}"')
        for job_id, line in (('ld-own', 'ld=/job'), ('ld-none', 'ld=unset')):
            assert wait_state(h, job_id, FINAL) == 'JOB_STATE_SUCCEEDED'
            logs = api(h, 'hodei.LogStreamService/GetLogs', {'job_id': job_id})
            assert [e['line'] for e in logs['entries']] == [line], logs
        queue(h, 'three', 'exit 3', max_retries=0)
        queue(h, 'killed', 'kill -9 $$', max_retries=0)
        api(h, 'hodei.JobExecutionService/QueueJob',
            {'job_definition': {'job_id': {'value': 'nosuch'}, 'command': 'no-such-program'},
             'queued_by': 'test'})
        queue(h, 'cancelled', 'echo up; exec sleep 1000', max_retries=0)
        assert wait_state(h, 'three', FINAL) == 'JOB_STATE_FAILED'
        assert get_job(h, 'three')['job'].get('exitCode') == 3, get_job(h, 'three')
        assert wait_state(h, 'killed', FINAL) == 'JOB_STATE_FAILED'
        assert get_job(h, 'killed')['job'].get('termSignal') == 9, get_job(h, 'killed')
        assert wait_state(h, 'nosuch', FINAL) == 'JOB_STATE_FAILED'
        job = get_job(h, 'nosuch')['job']
        assert 'no-such-program' in job.get('reason', '') + job.get('error', ''), job
        wait_state(h, 'cancelled', ('JOB_STATE_RUNNING',))
        api(h, 'hodei.JobExecutionService/CancelJob', {'job_id': 'cancelled'})
        assert wait_state(h, 'cancelled', FINAL) == 'JOB_STATE_CANCELLED'

    def test_guard_loads_as_the_agent_job_keeps_its_env(self, d):
        """The guard is the agent's binary started for a job: it loads with the
        agent's loader variables, not the job's (here an LD_LIBRARY_PATH with a
        broken libevent, which the job's sh does not need), and the job gets
        its environment exactly, without the agent's."""
        h = self.hodeid(d, args=['--no-local-provider'] + FAST, env={'HODEI_JOIN_TOKEN': TOKEN})
        broken = os.path.join(d, 'broken-libs')
        os.makedirs(broken)
        for lib in ('libevent_core-2.1.so.7', 'libprotobuf-c.so.1', 'libnghttp2.so.14'):
            open(os.path.join(broken, lib), 'w').close()
        agent_dir = os.path.join(d, 'agent-only-libs')
        self.agent(d, 'loader', h.addr, env={'LD_LIBRARY_PATH': agent_dir})
        env = {'LD_LIBRARY_PATH': broken, 'HODEI_GUARD_JOB_LOOKALIKE': 'kept'}
        queue(h, 'own-env', 'env | grep -E "^(LD_|GLIBC_|HODEI_GUARD)" | sort', max_retries=0,
              environment=env)
        state = wait_state(h, 'own-env', FINAL)
        logs = api(h, 'hodei.LogStreamService/GetLogs', {'job_id': 'own-env'})
        assert state == 'JOB_STATE_SUCCEEDED', (get_job(h, 'own-env'), logs)
        lines = [e['line'] for e in logs.get('entries', [])]
        assert lines == ['HODEI_GUARD_JOB_LOOKALIKE=kept', 'LD_LIBRARY_PATH=' + broken], lines

    # ---- issue 14.4: no token readable by a job ----

    def test_job_cannot_read_the_join_token(self, d):
        """A job walks up its ancestors (the guard, the agent) reading their
        environ, cmdline and memory: the join token is in none of them.  The
        agent runs as nobody, as its jobs do (so they are the same user)."""
        token = 'join-token-a-job-must-not-see-%d' % os.getpid()
        h = self.hodeid(d, args=['--no-local-provider'] + FAST, env={'HODEI_JOIN_TOKEN': token})
        shared = os.path.join(d, 'shared')
        os.makedirs(shared)
        for path in (self.tmp, d):
            os.chmod(path, 0o755)
        os.chmod(shared, 0o777)
        prefix = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']
        self.agent(d, 'pool-agent', h.addr, token=token, prefix=prefix, job_user=None)
        wait_for(lambda: workers(h), what='the agent to register')
        report = os.path.join(shared, 'report')
        script = (
            'import os\n'
            'tok = os.environ["NEEDLE"][::-1].encode()\n'
            'def look(pid):\n'
            '    out = []\n'
            '    for what in ("environ", "cmdline"):\n'
            '        try:\n'
            '            out.append("%s:%s" % (what, tok in open("/proc/%d/%s" % (pid, what), "rb").read()))\n'
            '        except OSError:\n'
            '            out.append(what + ":denied")\n'
            '    try:\n'
            '        mem, hit = open("/proc/%d/mem" % pid, "rb", 0), False\n'
            '        for line in open("/proc/%d/maps" % pid):\n'
            '            span, perms = line.split()[:2]\n'
            '            a, b = (int(x, 16) for x in span.split("-"))\n'
            '            try:\n'
            '                if "r" in perms and b - a <= (1 << 30):\n'
            '                    mem.seek(a)\n'
            '                    hit = hit or tok in mem.read(b - a)\n'
            '            except (OSError, OverflowError, ValueError, MemoryError):\n'
            '                pass  # unreadable, or a sanitizer\'s shadow reservation (terabytes)\n'
            '        out.append("mem:%s" % hit)\n'
            '    except OSError:\n'
            '        out.append("mem:denied")\n'
            '    return out\n'
            'lines, pid = [], os.getppid()\n'
            'while pid > 1:\n'
            '    comm = open("/proc/%d/comm" % pid).read().strip()\n'
            '    if not comm.startswith("hodei"):\n'
            '        break\n'
            '    lines.append(" ".join([comm] + look(pid)))\n'
            '    pid = int([l for l in open("/proc/%d/status" % pid) if l.startswith("PPid:")][0].split()[1])\n'
            'open(REPORT, "w").write("\\n".join(lines) + "\\n")\n').replace('REPORT', repr(report))
        api(h, 'hodei.JobExecutionService/QueueJob',
            {'job_definition': {'job_id': {'value': 'snoop'}, 'command': 'python3',
                                'arguments': ['-c', script],
                                'environment': {'NEEDLE': token[::-1]}},
             'queued_by': 'test'})
        assert wait_state(h, "snoop", FINAL) == "JOB_STATE_SUCCEEDED", \
            api(h, "hodei.LogStreamService/GetLogs", {"job_id": "snoop"})
        lines = open(report).read().split('\n')
        comms = [x.split()[0] for x in lines if x]
        assert comms == ['hodei-job-guard', 'hodei-worker'], lines
        for line in lines:
            assert 'True' not in line, lines
        # The agent's environ and memory are closed to its jobs.
        assert lines[1].split()[1:] == ['environ:denied', 'cmdline:False', 'mem:denied'], lines

    # ---- issue 14.3: a joining worker takes nothing that is not its own ----

    def test_live_name_not_taken_over(self, d):
        """Register under a live worker's name, with the join token: refused, and
        the job (with its secrets) stays where it was."""
        h = self.hodeid(d, args=FAST, env={'HODEI_JOIN_TOKEN': TOKEN})
        self.agent(d, 'victim', h.addr)
        wait_for(lambda: any(w['id'] == 'victim' for w in workers(h)), what='victim to join')
        queue(h, 'precious', 'echo started; exec sleep 1000', max_retries=0,
              environment={'SECRET': 's3cret'}, provider='pool')
        queue(h, 'on-local', 'exec sleep 1000', max_retries=0, provider='local')
        wait_state(h, 'precious', ('JOB_STATE_RUNNING',))
        wait_state(h, 'on-local', ('JOB_STATE_RUNNING',))
        local = get_job(h, 'on-local')['job']['workerId']
        names = ['victim', local]  # an agent's name, and a local worker's id
        for name in names:
            rc, _, err = register(h, name=name)
            assert rc != 0 and 'already_exists' in err and 'worker_name' in err, (name, err)
        for job_id, worker in (('precious', 'victim'), ('on-local', local)):
            job = get_job(h, job_id)['job']
            assert job['state'] == 'JOB_STATE_RUNNING' and job['workerId'] == worker, job
            assert job['attempt'] == 1, job
        # Only the holder of the name's session may register under it again.
        rc, msgs, err = register(h, name='mine')
        assert rc == 0, err
        rc, _, err = register(h, name='mine')
        assert rc != 0 and 'already_exists' in err, err
        rc, _, err = register(h, name='mine', previous_session=msgs[0]['sessionToken'])
        assert rc == 0, err

    def test_builtin_provider_not_joined(self, d):
        h = self.hodeid(d, args=FAST, env={'HODEI_JOIN_TOKEN': TOKEN})
        before = workers(h)
        rc, _, err = register(h, name='intruder', pool='local')
        assert rc != 0 and 'permission_denied' in err and "'local'" in err, err
        assert workers(h) == before, workers(h)
        # The agent takes the refusal as final (exit status 3).
        p = self.agent(d, 'intruder', h.addr, extra=['--pool', 'local'])
        assert p.wait(30) == 3

    def test_join_tokens_scoped_rotated_revoked(self, d):
        """Tokens from a file, each for one pool; SIGHUP rotates and revokes them."""
        tokens = os.path.join(d, 'join-tokens')
        with open(tokens, 'w') as f:
            f.write('# pool token\nci ci-token-one\ngpu gpu-token\n')
        os.chmod(tokens, 0o600)
        h = self.hodeid(d, args=['--no-local-provider', '--join-tokens-file', tokens] + FAST)
        rc, _, err = register(h, 'ci-token-one', name='x', pool='gpu')
        assert rc != 0 and 'permission_denied' in err and "'ci'" in err, err
        rc, _, err = register(h, 'ci-token-one', name='y', pool='ci')
        assert rc == 0, err
        old = self.agent(d, 'ci-1', h.addr, token='ci-token-one', extra=['--pool', 'ci'])
        wait_for(lambda: any(w['id'] == 'ci-1' for w in workers(h)), what='ci-1 to join')
        # Rotate: the new token works at once, the old one is revoked.
        with open(tokens, 'w') as f:
            f.write('ci ci-token-two\ngpu gpu-token\n')
        loads = h.logtext().count('join tokens loaded')
        h.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: h.logtext().count('join tokens loaded') > loads, what='the reload')
        rc, _, err = register(h, 'ci-token-one', name='z', pool='ci')
        assert rc != 0 and 'unauthenticated' in err, err
        rc, _, err = register(h, 'ci-token-two', name='z', pool='ci')
        assert rc == 0, err
        # The agent that joined with the revoked token is cut off and cannot come back.
        assert old.wait(30) == 3
        assert not any(w['id'] == 'ci-1' for w in workers(h)), workers(h)
        # A file that does not parse keeps the tokens as they were.
        with open(tokens, 'w') as f:
            f.write('just-one-word\n')
        h.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: 'join-tokens:1: expected POOL TOKEN' in h.logtext(), what='the error')
        rc, _, err = register(h, 'ci-token-two', name='w', pool='ci')
        assert rc == 0, err

    # ---- issue 13.4: an agent's job survives a restart of the server ----

    # Long enough for a loaded machine under ASan to restart hodeid (and the
    # test to make its calls) within the agents' lease: nothing waits for it.
    SLOW = ['--heartbeat', '1', '--worker-timeout', '60']

    def reattach_setup(self, d, timeout='60'):
        """hodeid without local jobs, its agents' lease 59 s (timeout 60 s)."""
        args = ['--no-local-provider', '--heartbeat', '1', '--worker-timeout', timeout]
        return self.hodeid(d, args=args, env={'HODEI_JOIN_TOKEN': TOKEN})

    def test_reattach_after_restart(self, d):
        """kill -9 of hodeid while an agent runs a job that prints lines; the
        server restarts on the same data, the agent comes back with its job:
        it ends SUCCEEDED as attempt 1, with every line, numbered on."""
        h = self.reattach_setup(d)
        a = self.agent(d, 'keeper', h.addr,
                       extra=self.SLOW)
        wait_for(lambda: workers(h), what='the agent to register')
        fifo = os.path.join(d, 'fifo')
        os.mkfifo(fifo)
        queue(h, 'kept', 'for i in 1 2 3 4 5; do echo "line $i"; done; read x <%s; '
                         'for i in 6 7 8 9 10; do echo "line $i"; done' % fifo, max_retries=0)
        wait_state(h, 'kept', ('JOB_STATE_RUNNING',))
        # the first lines stored (log_lines counts stored lines): not lost with the server
        wait_for(lambda: int(get_job(h, 'kept')['job'].get('logLines', 0)) >= 5,
                 what='the first lines to be stored')
        h.kill9()
        h.start()
        wait_for(lambda: 're-attached job=kept attempt=1' in open(a.logpath).read(),
                 what='the agent to take its job back')
        assert [w.get('jobId') for w in workers(h)] == ['kept'], workers(h)
        assert get_job(h, 'kept')['job']['state'] == 'JOB_STATE_RUNNING'
        fifo_write(fifo)
        assert wait_state(h, 'kept', FINAL) == 'JOB_STATE_SUCCEEDED'
        job = get_job(h, 'kept')['job']
        assert job.get('attempt', 1) == 1, job
        logs = api(h, 'hodei.LogStreamService/GetLogs', {'job_id': 'kept'})['entries']
        out = [e['line'] for e in logs if e['line'].startswith('line ')]
        assert out == ['line %d' % i for i in range(1, 11)], logs
        seqs = [int(e['sequence']) for e in logs]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
        hist = get_job(h, 'kept')['history']
        assert sum(1 for t in hist if t['state'] == 'JOB_STATE_QUEUED') == 1, hist
        assert sum(1 for t in hist if t['state'] == 'JOB_STATE_SUCCEEDED') == 1, hist
        assert 'the server restarted' in ' '.join(e['line'] for e in logs), logs
        assert a.poll() is None

    def test_not_back_in_time_requeued_once(self, d):
        """The agent does not come back within the worker timeout: the job is
        retried as attempt 2, once, when the hold ends, and in its place in
        the queue: before a job of the same priority queued after it."""
        h = self.reattach_setup(d, timeout='3')
        a = self.agent(d, 'late', h.addr, extra=FAST)
        wait_for(lambda: workers(h), what='the agent to register')
        marks = os.path.join(d, 'marks')
        queue(h, 'late', 'echo "late $HODEI_JOB_ATTEMPT" >>%s; '
                         '[ "$HODEI_JOB_ATTEMPT" = 1 ] && exec sleep 600; true' % marks,
              max_retries=0)
        wait_state(h, 'late', ('JOB_STATE_RUNNING',))
        queue(h, 'behind', 'echo behind >>%s' % marks, max_retries=0)
        a.kill()  # its job dies with it (the job guard)
        a.wait()
        h.kill9()
        h.start()
        assert 'held for 3000 ms' in h.logtext(), h.logtext()

        def requeued():
            job = get_job(h, 'late')['job']
            return job['state'] == 'JOB_STATE_QUEUED' and int(job.get('attempt', 1)) == 2
        wait_for(requeued, what='attempt 2 to be queued when the hold ends')
        self.agent(d, 'late', h.addr, extra=FAST)
        assert wait_state(h, 'late', FINAL) == 'JOB_STATE_SUCCEEDED'
        assert wait_state(h, 'behind', FINAL) == 'JOB_STATE_SUCCEEDED'
        reply = get_job(h, 'late')
        assert int(reply['job']['attempt']) == 2, reply
        queued = [t for t in reply['history'] if t['state'] == 'JOB_STATE_QUEUED']
        assert len(queued) == 2 and 'did not come back' in queued[1].get('reason', ''), reply
        assert open(marks).read().split('\n')[:-1] == ['late 1', 'late 2', 'behind'], \
            open(marks).read()

    def test_cancel_reaches_reattached_job(self, d):
        """A cancel asked for while the job is held for its agent reaches the
        agent when it comes back; so does one asked for after."""
        h = self.reattach_setup(d)
        a = self.agent(d, 'back', h.addr, extra=self.SLOW)
        wait_for(lambda: workers(h), what='the agent to register')
        pids = os.path.join(d, 'pids')
        for job in ('held', 'after'):
            queue(h, job, 'echo $$ >> %s; exec sleep 600' % pids, max_retries=0)
            wait_state(h, job, ('JOB_STATE_RUNNING',))
            wait_for(lambda: os.path.exists(pids) and
                     len(open(pids).read().split()) == (1 if job == 'held' else 2),
                     what='the job to write its pid')
            if job == 'held':
                a.send_signal(signal.SIGSTOP)  # gone for the server, for now
            h.kill9()
            h.start()
            if job == 'held':
                api(h, 'hodei.JobExecutionService/CancelJob', {'job_id': job})
                assert get_job(h, job)['job']['state'] == 'JOB_STATE_RUNNING'
                a.send_signal(signal.SIGCONT)
            else:
                wait_for(lambda: 're-attached job=after' in open(a.logpath).read(),
                         what='the agent to take its job back')
                api(h, 'hodei.JobExecutionService/CancelJob', {'job_id': job})
            assert wait_state(h, job, FINAL) == 'JOB_STATE_CANCELLED', get_job(h, job)
            pid = int(open(pids).read().split()[-1])
            wait_for(lambda: process_gone(pid), what='the job process to die')


def register(h, token=TOKEN, **fields):
    body = {'token': token}
    body.update({('workerName' if k == 'name' else 'previousSession' if k == 'previous_session'
                  else k): v for k, v in fields.items()})
    return buf_curl(h.addr, 'hodei.WorkerAgentService/Register', body)


def children(pid):
    out = []
    for tid in os.listdir('/proc/%d/task' % pid):
        with open('/proc/%d/task/%s/children' % (pid, tid)) as f:
            out += [int(x) for x in f.read().split()]
    return out


GROUPS = {
    'lease': ['partitioned_agent_stops_first', 'timeout_below_heartbeats_refused'],
    'reaper': ['agent_and_reaper_killed_together', 'guarded_jobs_report_as_before',
               'guard_loads_as_the_agent_job_keeps_its_env'],
    'secrets': ['job_cannot_read_the_join_token'],
    'join': ['live_name_not_taken_over', 'builtin_provider_not_joined',
             'join_tokens_scoped_rotated_revoked'],
    'reattach': ['reattach_after_restart', 'not_back_in_time_requeued_once',
                 'cancel_reaches_reattached_job'],
}

if __name__ == '__main__':
    ensure_buf()
    names = []
    for g in sys.argv[1:] or GROUPS:
        names += GROUPS.get(g, [g])
    sys.exit(AgentTests().run(names))
