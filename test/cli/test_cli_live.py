#!/usr/bin/env python3
"""hodei-jobs-cli against a live hodeid: every example of the manual's "Uso de
la CLI" section as printed, and what a user would check afterwards (the job
ran, its arguments and environment arrived intact, its log printed, the exit
codes), plus unknown ids, --wait, pagination, colours and a server restart
under `logs --follow`.

usage: test_cli_live.py PATH-TO-hodei-jobs-cli PATH-TO-hodeid
"""
import json
import re
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest  # noqa: E402
from clitest import check, failures, free_port  # noqa: E402

CLI, HODEID = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TMP = tempfile.mkdtemp(prefix='hodei-cli-live-')
WORK = os.path.join(TMP, 'work')   # hodeid's (and so the local jobs') directory
DATA = os.path.join(TMP, 'data')
os.makedirs(WORK)
os.makedirs(DATA)


PORT = free_port()
SERVER = '127.0.0.1:%d' % PORT
ENV = dict(os.environ, HODEI_SERVER=SERVER)
ENV.pop('NO_COLOR', None)
ENV.pop('HODEI_API_TOKEN', None)


def cli(*args, env=None, timeout=60):
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                       env=env or ENV)
    return p.returncode, p.stdout, p.stderr


class Server:
    """hodeid on PORT with its data in DATA, run from WORK."""

    def __init__(self, extra=(), env=None):
        self.extra = list(extra)
        self.env = env or ENV  # the CLI's environment for the readiness check
        self.proc = None
        self.log = open(os.path.join(TMP, 'hodeid.log'), 'a')

    def start(self):
        self.proc = subprocess.Popen(
            [HODEID, '--data-dir', DATA, '--grpc-listen', SERVER, '--http-listen', 'off',
             *self.extra],
            cwd=WORK, stdout=self.log, stderr=self.log,
            # the manual's jobs build in this (private) directory: as root,
            # hodeid would run them as 'nobody' unless told otherwise; SIGTERM:
            # jobs do not hold it (no shutdown grace)
            env=dict(os.environ, HODEI_SHUTDOWN_GRACE='0',
                     **({'HODEI_JOB_USER': 'root'} if os.geteuid() == 0 else {})))
        # Ready when `health` answers SERVING; bounded by the attempts, each of
        # which waits for the connection rather than sleeping.
        for _ in range(200):
            rc, out, _ = cli('--connect-timeout', '1', 'health', env=self.env)
            if rc == 0:
                return
            if self.proc.poll() is not None:
                break
            select.select([], [], [], 0.05)
        raise SystemExit('hodeid did not start; see ' + self.log.name)

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=30)


def queue(*args):
    rc, out, err = cli('jobs', 'queue', *args)
    if not check('queue ' + ' '.join(args), rc == 0 and out.strip(), (rc, out, err)):
        return None
    return out.strip().splitlines()[0]


def job_json(job_id):
    rc, out, err = cli('--output', 'json', 'jobs', 'get', job_id)
    return json.loads(out) if rc == 0 else None


def wait_done(job_id):
    """Follow the log until the job ends; returns (log text, job)."""
    rc, out, err = cli('logs', job_id, '--follow', timeout=120)
    check('logs --follow %s ends' % job_id, rc == 0, (rc, err))
    return out, job_json(job_id)


def write(name, text, mode=0o644):
    path = os.path.join(WORK, name)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, mode)


write('deploy.sh', '#!/bin/sh\necho "deploying ENV=$ENV VERSION=$VERSION"\n', 0o755)
write('package.json', '{"name": "demo", "version": "1.0.0", "scripts": '
      '{"build": "echo built-by-npm"}}\n')
write('process.py', 'print("processed")\n')
write('argv.sh', '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\n', 0o755)
write('env.sh', '#!/bin/sh\nprintf "OPTS=[%s]\\nEQ=[%s]\\nPAD=[%s]\\nEMPTY=[%s]\\n" '
      '"$OPTS" "$EQ" "$PAD" "${EMPTY-unset}"\n', 0o755)

server = Server()
server.start()

# ---- "Comandos Disponibles", as printed ----
rc, out, err = cli('--help')
check('--help', rc == 0 and 'jobs queue' in out and 'logs' in out, (rc, out, err))

rc, out, err = cli('health')
check('health', rc == 0 and 'SERVING' in out, (rc, out, err))

job = queue('--name', 'Mi Job', '--command', 'echo', '--args', 'Hello')
log, j = wait_done(job)
check('Mi Job printed Hello', log == 'Hello\n', repr(log))
check('Mi Job succeeded with its name and args',
      j and j['state'] == 'SUCCEEDED' and j['name'] == 'Mi Job' and j['args'] == ['Hello']
      and j['exit_code'] == 0, j)

rc, out, err = cli('jobs', 'list')
check('jobs list shows the job', rc == 0 and job in out and 'Mi Job' in out
      and out.splitlines()[0].split()[:3] == ['ID', 'NAME', 'STATE'], (rc, out, err))

rc, out, err = cli('jobs', 'get', job)
check('jobs get', rc == 0 and job in out and 'SUCCEEDED' in out and 'echo' in out,
      (rc, out, err))

rc, out, err = cli('logs', job)
check('logs (stored)', rc == 0 and out == 'Hello\n', (rc, out, err))

rc, out, err = cli('workers', 'list')
check('workers list', rc == 0, (rc, out, err))

rc, out, err = cli('queue', 'status')
check('queue status', rc == 0 and 'Queued jobs:' in out and 'Running jobs:' in out,
      (rc, out, err))

long_job = queue('--name', 'sleeper', '--command', 'sleep', '--args', '300')
rc, out, err = cli('jobs', 'cancel', long_job)
check('jobs cancel', rc == 0, (rc, out, err))
log, j = wait_done(long_job)
check('cancelled job is CANCELLED', j and j['state'] == 'CANCELLED', j)
rc, out, err = cli('jobs', 'cancel', long_job)
check('cancel a finished job: exit 1', rc == 1 and long_job in err, (rc, out, err))

# ---- "Ejemplos", as printed ----
build = queue('--name', 'Build Project', '--command', 'npm', '--args', 'run build')
log, j = wait_done(build)
check('Build Project: args ["run", "build"]', j and j['args'] == ['run', 'build'], j)
check('Build Project: npm ran the build script (npm is in scripts/deps.txt)',
      'built-by-npm' in log and j and j['state'] == 'SUCCEEDED', (log, j))

deploy = queue('--name', 'Deploy', '--command', './deploy.sh', '--env', 'ENV=production',
               '--env', 'VERSION=1.0.0')
log, j = wait_done(deploy)
check('Deploy: environment arrived', 'deploying ENV=production VERSION=1.0.0' in log, log)
check('Deploy: env stored', j and 'ENV=production' in j['env'] and
      'VERSION=1.0.0' in j['env'] and j['state'] == 'SUCCEEDED', j)

long_task = queue('--name', 'Long Task', '--command', 'python', '--args', 'process.py',
                  '--timeout', '3600')
log, j = wait_done(long_task)
check('Long Task: timeout 3600 s and args', j and j['timeout_ms'] == 3600000 and
      j['args'] == ['process.py'], j)
# Debian has `python` only with python-is-python3 (in scripts/deps.txt).
check('Long Task ran process.py and succeeded', log == 'processed\n' and j and
      j['state'] == 'SUCCEEDED' and j['exit_code'] == 0, (log, j))

# ---- arguments arrive intact ----
job = queue('--command', 'printf', '--args', "'[%s]\\n' 'a b' \"c \\\"d\\\"\" e\\ f '$HOME' *",
            '--arg', 'g h')
log, j = wait_done(job)
check('quoted args arrive as words', log == '[a b]\n[c "d"]\n[e f]\n[$HOME]\n[*]\n[g h]\n',
      repr(log))

# Repeated --args add their words in order; "--verbose" is a value, not an option.
job = queue('--command', './argv.sh', '--args', 'run build', '--args', '--verbose')
log, j = wait_done(job)
check('repeated --args: the job got exactly run, build, --verbose',
      log == 'run\nbuild\n--verbose\n' and j and j['args'] == ['run', 'build', '--verbose']
      and j['state'] == 'SUCCEEDED', (log, j))

# --env splits at the first "=" only and keeps spaces.
env_values = {'OPTS': '--level=3 --name=a b', 'EQ': '==', 'PAD': '  two  spaces  ',
              'EMPTY': ''}
job = queue('--command', './env.sh', *[a for name, value in env_values.items()
                                      for a in ('--env', '%s=%s' % (name, value))])
log, j = wait_done(job)
check('--env values with "=" and spaces arrive intact',
      log == ''.join('%s=[%s]\n' % kv for kv in env_values.items()), repr(log))
check('--env values stored intact', j and all('%s=%s' % kv in j['env']
                                              for kv in env_values.items()), j)

# ---- workers list while a job runs on a local worker ----
busy = queue('--name', 'busy', '--command', 'sh', '--args', "-c 'echo started; exec sleep 300'")
follower = subprocess.Popen([CLI, 'logs', busy, '--follow'], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)
first = follower.stdout.readline()  # the job is running once it has printed
check('busy job printing', first == 'started\n', first)
rc, out, err = cli('workers', 'list')
lines = out.splitlines()
check('workers list: a local worker row runs the job', rc == 0 and lines and
      lines[0].split()[:4] == ['ID', 'PROVIDER', 'STATE', 'JOB'] and
      any(line.split()[1:4] == ['local', 'BUSY', busy] for line in lines[1:]),
      (rc, out, err))
rc, out, err = cli('-o', 'json', 'workers', 'list')
rows = [json.loads(line) for line in out.splitlines()] if rc == 0 else []
mine = [w for w in rows if w.get('job_id') == busy]
w = mine[0] if mine else {}
check('workers list --output json: the documented fields',
      rc == 0 and len(mine) == 1 and
      set(w) == {'id', 'provider', 'state', 'job_id', 'started_at', 'last_seen', 'jobs_run'}
      and w['id'] and w['provider'] == 'local' and w['state'] == 'BUSY' and
      w['started_at'].endswith('Z') and w['last_seen'].endswith('Z') and
      isinstance(w['jobs_run'], int) and w['jobs_run'] >= 0 and
      all(set(r) == set(w) for r in rows), (rc, out, err))
rc, out, err = cli('jobs', 'get', busy)
check('jobs get of a running job: elapsed time, not 0.0s or 0 KiB',
      rc == 0 and 'so far (running)' in out and 'Duration:  0.0s' not in out and
      '0 KiB' not in out and 'measured when the attempt ends' in out, (rc, out, err))
rc, out, err = cli('jobs', 'cancel', busy)
out, err = follower.communicate(timeout=60)
check('busy job cancelled, follower ended', rc == 0 and follower.returncode == 0 and
      job_json(busy)['state'] == 'CANCELLED', (rc, follower.returncode, err))

# ---- --wait, exit codes, options ----
rc, out, err = cli('jobs', 'queue', '--command', 'sh', '--args', "-c 'echo out; exit 3'",
                   '--wait')
check('--wait exits with the job exit code', rc == 3 and 'FAILED' in err, (rc, out, err))
rc, out, err = cli('jobs', 'queue', '--command', 'sh', '--args', "-c 'echo followed'",
                   '--wait', '--follow')
lines = out.splitlines()
check('--wait --follow prints the log, exit 0', rc == 0 and lines[1:] == ['followed'],
      (rc, out, err))
rc, out, err = cli('jobs', 'queue', '--command', 'sleep', '--args', '30', '--timeout', '1',
                   '--wait')
check('--wait on a timed-out job: 124', rc == 124, (rc, out, err))
rc, out, err = cli('jobs', 'queue', '--id', 'cli-fixed-id', '--command', 'true',
                   '--priority', 'high', '--label', 'team=ci', '--cpu', '0.5',
                   '--memory', '64M', '--retries', '2', '--name', 'opts')
check('queue with --id prints that id', rc == 0 and out.strip() == 'cli-fixed-id',
      (rc, out, err))
j = job_json('cli-fixed-id')
check('options arrived', j and j['priority'] == 'HIGH' and 'team=ci' in j['labels'] and
      j['cpu_millis'] == 500 and j['memory_bytes'] == 64 << 20 and j['max_retries'] == 2, j)
rc, out, err = cli('jobs', 'queue', '--id', 'cli-fixed-id', '--command', 'true')
check('duplicate --id: exit 1', rc == 1 and 'cli-fixed-id' in err, (rc, out, err))
rc, out, err = cli('jobs', 'queue', '--command', 'true', '--output', 'json')
check('queue --output json', rc == 0 and json.loads(out)['command'] == 'true', (rc, out))

# ---- retry ----
rc, out, err = cli('jobs', 'queue', '--id', 'cli-retry', '--command', 'false', '--wait')
check('failing job: exit 1 from the job', rc == 1, (rc, out, err))
rc, out, err = cli('jobs', 'retry', 'cli-retry')
check('jobs retry', rc == 0, (rc, out, err))
log, j = wait_done('cli-retry')
check('retried job ran a second attempt', j and j['attempt'] == 2, j)
rc, out, err = cli('jobs', 'retry', 'cli-fixed-id')
check('retry a job that succeeded: exit 1', rc == 1, (rc, out, err))

# ---- unknown ids: exit 4 ----
for args in (['jobs', 'get', 'no-such-job'], ['jobs', 'cancel', 'no-such-job'],
             ['jobs', 'retry', 'no-such-job'], ['logs', 'no-such-job'],
             ['logs', 'no-such-job', '--follow'], ['providers', 'get', 'no-such-provider']):
    rc, out, err = cli(*args)
    check('unknown id: ' + ' '.join(args), rc == 4 and 'no-such' in err and out == '',
          (rc, out, err))

# ---- lists: filters, pagination, JSON Lines ----
for i in range(7):
    queue('--name', 'page-%d' % i, '--id', 'page-%d' % i, '--command', 'true')
rc, out, err = cli('--output', 'json', 'jobs', 'list', '--search', 'page-', '--limit', '5')
rows = [json.loads(line) for line in out.splitlines()]
check('--limit 5 gives 5 JSON lines', rc == 0 and len(rows) == 5 and
      all(r['id'].startswith('page-') for r in rows), (rc, out, err))
rc, out, err = cli('-o', 'json', 'jobs', 'list', '--search', 'page-', '--limit', '0')
ids = [json.loads(line)['id'] for line in out.splitlines()]
check('--limit 0 pages through all', rc == 0 and sorted(ids) ==
      ['page-%d' % i for i in range(7)], ids)
rc, out, err = cli('-o', 'json', 'jobs', 'list', '--status', 'cancelled')
states = {json.loads(line)['state'] for line in out.splitlines()}
check('--status cancelled', rc == 0 and states == {'CANCELLED'}, (rc, out, err))
rc, out, err = cli('-o', 'json', 'health')
check('health --output json', rc == 0 and json.loads(out)['status'] == 'SERVING', out)
rc, out, err = cli('-o', 'json', 'queue', 'status')
q = json.loads(out) if rc == 0 else {}
check('queue status --output json', q.get('max_queue_size') == -1 and 'queued' in q, out)
rc, out, err = cli('-o', 'json', 'logs', 'page-0')
check('logs --output json (no lines)', rc == 0 and out == '', (rc, out, err))
rc, out, err = cli('providers', 'list')
check('providers list shows local', rc == 0 and 'local' in out, (rc, out, err))
rc, out, err = cli('-o', 'json', 'providers', 'get', 'local')
check('providers get local', rc == 0 and json.loads(out)['name'] == 'local', (rc, out, err))
rc, out, err = cli('-o', 'json', 'workers', 'list')
check('workers list --output json', rc == 0 and all(json.loads(line)['id']
                                                     for line in out.splitlines()), out)

# ---- colours: on a terminal only, never with NO_COLOR ----
job = queue('--command', 'sh', '--args', "-c 'echo ERROR: bad; echo fine'")
wait_done(job)


def on_tty(args, env):
    return clitest.on_tty(CLI, args, env)


tty_out = on_tty(['logs', job], ENV)
check('colours on a terminal', '\033[31mERROR: bad' in tty_out, repr(tty_out))
tty_out = on_tty(['logs', job], dict(ENV, NO_COLOR='1'))
check('no colours with NO_COLOR', '\033[' not in tty_out and 'ERROR: bad' in tty_out,
      repr(tty_out))
rc, out, err = cli('logs', job)
check('no colours in a pipe', rc == 0 and out == 'ERROR: bad\nfine\n', repr(out))

# ---- logs --tail and --since ----
job = queue('--id', 'cli-tail', '--command', 'sh', '--args',
            "-c 'for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; done'", '--wait')
rc, out, err = cli('logs', 'cli-tail', '--tail', '3')
check('logs --tail 3: the last three lines', rc == 0 and
      out == 'line 8\nline 9\nline 10\n', (rc, out, err))
rc, out, err = cli('logs', 'cli-tail', '--tail', '0')
check('logs --tail 0: nothing, exit 0', rc == 0 and out == '', (rc, out, err))
rc, out, err = cli('logs', 'cli-tail', '--tail', '3', '--grep', 'line 1')
check('logs --tail with --grep: the last matching lines', rc == 0 and
      out == 'line 1\nline 10\n', (rc, out, err))
rc, out, err = cli('logs', 'cli-tail', '--since', '1h')
check('logs --since 1h: every line', rc == 0 and out.count('\n') == 10, (rc, out, err))
rc, out, err = cli('logs', 'cli-tail', '--since', '2999-01-01T00:00:00Z')
check('logs --since the future: no line', rc == 0 and out == '', (rc, out, err))
rc, out, err = cli('logs', 'cli-tail', '--since', 'yesterday')
check('logs --since garbage: usage error naming the flag', rc == 2 and '--since' in err,
      (rc, err))
rc, out, err = cli('logs', 'cli-tail', '--tail', '-1')
check('logs --tail -1: usage error', rc == 2 and '--tail' in err, (rc, err))
rc, out, err = cli('logs', 'cli-tail', '--tail', '2', '--follow')
check('logs --tail with --follow: usage error', rc == 2 and '--follow' in err, (rc, err))

# ---- jobs list --watch: a job queued later shows up, without a restart ----
watcher = subprocess.Popen([CLI, 'jobs', 'list', '--watch', '--interval', '200ms',
                            '--status', 'finished', '-o', 'json'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
first = watcher.stdout.readline()
check('jobs list --watch prints the list', first.startswith('{'), first)
queue('--id', 'cli-watched', '--command', 'true', '--wait')
seen = None
for line in watcher.stdout:  # bounded by the test's timeout, no sleeping
    if '"cli-watched"' in line:
        seen = json.loads(line)
        break
watcher.kill()
watcher.wait()
check('jobs list --watch shows the new job once it changes', seen and seen['id'] ==
      'cli-watched', seen)

# ---- completion of job ids, from the server, in bash, zsh and fish ----
cli_dir = os.path.dirname(CLI)
shell_env = dict(ENV, PATH=cli_dir + ':' + os.environ['PATH'])
rc, out, err = cli('__complete', 'logs', 'cli-ta')
check('__complete offers job ids from the server', out.split() == ['cli-tail'], (rc, out, err))
rc, out, err = cli('__complete', 'jobs', 'queue', '--provider', '')
check('__complete offers provider names', 'local' in out.split(), (rc, out, err))
for sh, script, line in (
        ('bash', 'source <(hodei-jobs-cli completion bash); '
                 'COMP_WORDS=(hodei-jobs-cli logs cli-ta); COMP_CWORD=2; _hodei_jobs_cli; '
                 'printf "%s\\n" "${COMPREPLY[@]}"', None),
        ('zsh', 'compdef() { :; }; compadd() { shift 2; print -l -- "$@"; }; '
                'source <(hodei-jobs-cli completion zsh); '
                'words=(hodei-jobs-cli logs cli-ta); CURRENT=3; _hodei_jobs_cli', None),
        ('fish', 'hodei-jobs-cli completion fish | source; '
                 'complete --do-complete "hodei-jobs-cli logs cli-ta"', None)):
    if not check('%s is installed (scripts/deps.txt)' % sh, shutil.which(sh), sh):
        continue
    p = subprocess.run([sh, '-c', script], capture_output=True, text=True, env=shell_env,
                       timeout=60)
    check('%s completes a job id from the server' % sh,
          [w.split('\t')[0] for w in p.stdout.split()] == ['cli-tail'], (p.stdout, p.stderr))

# ---- named contexts: server, token and which is current ----
conf = os.path.join(TMP, 'config')
cenv = dict(ENV, HODEI_CONFIG=conf)
cenv.pop('HODEI_SERVER')
rc, out, err = cli('config', 'set-context', 'here', '--server', SERVER, env=cenv)
check('config set-context', rc == 0 and os.stat(conf).st_mode & 0o777 == 0o600,
      (rc, out, err))
rc, out, err = cli('config', 'set-context', 'nowhere', '--server',
                   '127.0.0.1:%d' % free_port(), env=cenv)
rc, out, err = cli('config', 'get-contexts', env=cenv)
check('config get-contexts: the first context is current',
      rc == 0 and re.search(r'^\*\s+here\s', out, re.M) and 'nowhere' in out, (rc, out, err))
rc, out, err = cli('logs', 'cli-tail', '--tail', '1', env=cenv)
check('the current context gives the server', rc == 0 and out == 'line 10\n', (rc, out, err))
rc, out, err = cli('--context', 'nowhere', 'jobs', 'list', env=cenv)
check('--context picks another context', rc == 3, (rc, err))
rc, out, err = cli('config', 'use-context', 'nowhere', env=cenv)
rc, out, err = cli('jobs', 'list', env=cenv)
check('use-context changes the current one', rc == 3, (rc, err))
rc, out, err = cli('jobs', 'list', env=dict(cenv, HODEI_SERVER=SERVER))
check('HODEI_SERVER wins over the current context', rc == 0, (rc, err))
rc, out, err = cli('--context', 'missing', 'jobs', 'list', env=cenv)
check('an unknown --context is a usage error', rc == 2 and "no context 'missing'" in err,
      (rc, err))
rc, out, err = cli('config', 'set-context', 'bad name', env=cenv)
check('a bad context name is refused', rc == 2 and 'NAME' in err, (rc, err))
rc, out, err = cli('config', 'delete-context', 'nowhere', env=cenv)
rc, out, err = cli('config', 'get-contexts', env=cenv)
check('config delete-context', rc == 0 and 'nowhere' not in out, (rc, out))
with open(conf, 'a') as f:
    f.write('\n[context broken\n')
rc, out, err = cli('jobs', 'list', env=cenv)
check('a broken configuration file is named with its line', rc == 2 and conf in err and
      'expected [context NAME]' in err, (rc, err))

# ---- logs --follow while the server restarts ----
script = 'i=0; while [ $i -lt 100 ]; do echo tick $i; i=$((i+1)); sleep 0.05; done'
job = queue('--id', 'cli-restart', '--command', 'sh', '--args', '-c "%s"' % script,
            '--retries', '3')
follower = subprocess.Popen([CLI, 'logs', job, '--follow', '--reconnect', '60'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ENV)
first = follower.stdout.readline()
check('follower printing', first.startswith('tick'), first)
server.kill(signal.SIGKILL)
server.start()
out, err = follower.communicate(timeout=120)
seqs = [first] + out.splitlines(True)
check('follower reconnected and ended', follower.returncode == 0 and
      'lost the log stream' in err and 'reconnected' in err, (follower.returncode, err))
check('no line printed twice in a row', all(a != b for a, b in zip(seqs, seqs[1:])),
      seqs[:20])

follower = subprocess.Popen([CLI, 'logs', queue('--command', 'sh', '--args',
                                               "-c 'echo started; sleep 60'"),
                             '--follow', '--reconnect', '1'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ENV)
first = follower.stdout.readline()  # the follower is connected and streaming
check('second follower printing', first == 'started\n', first)
server.kill(signal.SIGKILL)
out, err = follower.communicate(timeout=60)
check('server gone for good: follow gives up, exit 3', follower.returncode == 3 and
      'gave up' in err, (follower.returncode, err))

# ---- a server that is down ----
rc, out, err = cli('jobs', 'list')
check('server down: exit 3', rc == 3 and 'cannot connect' in err, (rc, err))

# ---- a log deleted by the retention sweep: said so, exit 4 ----
import sqlite3  # noqa: E402
db = sqlite3.connect(os.path.join(DATA, 'hodei.db'))
# finished 30 days ago, and the sweep's mark set back: as if a month had passed
db.execute("UPDATE jobs SET finished_at = ? WHERE id = 'cli-tail'",
           (int(time.time() * 1000) - 30 * 86400000,))
db.execute("DELETE FROM meta WHERE key = 'logs_swept_to'")
db.commit()
db.close()
server = Server()
server.start()  # the first sweep runs a second after the start
for _ in range(600):
    rc, out, err = cli('logs', 'cli-tail')
    if rc != 0 or out == '':
        break
    select.select([], [], [], 0.05)
check('logs of an expired log: says so, exit 4', rc == 4 and out == '' and
      'has expired' in err and '10 lines' in err, (rc, out, err))
rc, out, err = cli('logs', 'cli-tail', '--grep', 'nothing-matches')
check('a filter that matches nothing is not "expired"', rc == 0 and out == '', (rc, err))
server.kill(signal.SIGTERM)

# ---- a server that wants an API token ----
token_file = os.path.join(TMP, 'token')
with open(token_file, 'w') as f:
    f.write('s3cret-token\n')
with_token = dict(ENV, HODEI_API_TOKEN='s3cret-token')
server = Server(['--api-token-file', token_file], env=with_token)
server.start()
rc, out, err = cli('jobs', 'list', env=with_token)
check('token from HODEI_API_TOKEN accepted', rc == 0, (rc, err))
rc, out, err = cli('jobs', 'list')
check('no token: exit 5', rc == 5, (rc, err))
rc, out, err = cli('jobs', 'list', env=dict(ENV, HODEI_API_TOKEN='wrong'))
check('wrong token: exit 5', rc == 5, (rc, err))
tconf = os.path.join(TMP, 'config-token')
tenv = dict(ENV, HODEI_CONFIG=tconf)
cli('config', 'set-context', 'secure', '--server', SERVER, '--token-file', token_file, env=tenv)
cli('config', 'set-context', 'inline', '--server', SERVER, '--token', 's3cret-token', env=tenv)
rc, out, err = cli('jobs', 'list', env=tenv)
check('a context token-file is sent', rc == 0, (rc, err))
rc, out, err = cli('--context', 'inline', 'jobs', 'list', env=tenv)
check('a context token is sent', rc == 0, (rc, err))
rc, out, err = cli('config', 'get-contexts', env=tenv)
check('get-contexts never prints a token', 's3cret' not in out, out)
rc, out, err = cli('--context', 'inline', 'jobs', 'list',
                   env=dict(tenv, HODEI_API_TOKEN='wrong'))
check('an explicit --context wins over HODEI_API_TOKEN', rc == 0, (rc, err))
server.kill(signal.SIGTERM)

if failures:
    print('%d failed: %s\n(hodeid log: %s)' % (len(failures), ', '.join(failures),
                                               os.path.join(TMP, 'hodeid.log')))
    sys.exit(1)
shutil.rmtree(TMP, ignore_errors=True)
