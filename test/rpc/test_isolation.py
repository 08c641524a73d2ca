#!/usr/bin/env python3
"""Attacks by a job on the host it runs on (issue 14, items 4, 5 and 7):
each test runs the attack as a real job of a real hodeid and shows it refused.

usage: test_isolation.py GROUP   (local)
HODEID and HODEI_CLI name the binaries under test.  Run as root, hodeid runs
local jobs as 'nobody'; some tests need that and say so when skipped.
"""
import os
import stat
import subprocess
import sys

from harness import Hodeid, Tests, wait_for
from test_integration import process_gone

CLI = os.environ.get('HODEI_CLI', 'hodei-jobs-cli')
API_TOKEN = 'api-token-the-job-must-not-see-7f3a'
JOIN_TOKEN = 'join-token-the-job-must-not-see-c91e'


def run_job(h, script, token=None, timeout=120):
    """Queue a shell job through the CLI, follow it; returns (exit status, output)."""
    env = dict(os.environ)
    env.pop('HODEI_API_TOKEN', None)
    if token:
        env['HODEI_API_TOKEN'] = token
    p = subprocess.run([CLI, '--server', h.addr, 'jobs', 'queue', '--shell', '--command', script,
                        '--follow'], env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def open_to_all(path):
    """The test's directories, traversable by the job's user."""
    os.chmod(os.path.dirname(path), 0o755)
    os.chmod(path, 0o755)


# A job that reads every environment of its ancestors, the data directory,
# the database and the token file, and prints whatever it got.
THIEF = r'''
echo "uid=$(id -u)"
p=$$
while [ "$p" -gt 1 ]; do
  echo "ancestor $p: $(tr '\0' ' ' < /proc/$p/environ 2>&1)"
  echo "ancestor $p mem: $(head -c 64 /proc/$p/mem 2>/dev/null | wc -c)"
  p=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2)
done
echo "data dir: $(ls -a DATA 2>&1)"
echo "db: $(head -c 15 DATA/hodei.db 2>&1)"
echo "token file: $(cat TOKENFILE 2>&1)"
'''


class Isolation(Tests):
    def test_job_reads_no_secrets(self, d):
        """Item 4: tokens, data directory and database out of a local job's reach."""
        if os.geteuid() != 0:
            print('  (not root: jobs run as this user; only the environment part is checked)')
        open_to_all(d)
        data = os.path.join(d, 'data')
        os.makedirs(data)
        os.chmod(data, 0o755)                     # looser than it must be
        db = os.path.join(data, 'hodei.db')
        open(db, 'wb').close()
        os.chmod(db, 0o644)
        token_file = os.path.join(d, 'api.token')
        with open(token_file, 'w') as f:
            f.write(API_TOKEN + '\n')
        os.chmod(token_file, 0o600)
        h = self.hodeid(d, args=['--api-token-file', token_file],
                        env={'HODEI_JOIN_TOKEN': JOIN_TOKEN})
        assert 'tightened permissions' in h.logtext(), h.logtext()
        assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
        for f in os.listdir(data):
            mode = stat.S_IMODE(os.stat(os.path.join(data, f)).st_mode)
            assert mode & 0o077 == 0, '%s is %o' % (f, mode)
        # hodeid's own environment block no longer holds the join token
        environ = open('/proc/%d/environ' % h.proc.pid, 'rb').read()
        assert JOIN_TOKEN.encode() not in environ, 'join token still in /proc/PID/environ'
        rc, out = run_job(h, THIEF.replace('DATA', data).replace('TOKENFILE', token_file),
                          token=API_TOKEN)
        assert rc == 0, out
        assert API_TOKEN not in out and JOIN_TOKEN not in out, out
        assert 'ancestor' in out, out              # it did walk its ancestors
        lines = out.splitlines()
        assert all(x.endswith(': 0') for x in lines if x.startswith('ancestor ') and ' mem: ' in x), out
        if os.geteuid() == 0:
            assert 'uid=65534' in lines, out
            assert 'SQLite format' not in out, out
            for what in ('data dir: ', 'db: ', 'token file: '):
                line = [x for x in lines if x.startswith(what)]
                assert line and 'Permission denied' in line[0], out

    def test_job_sees_no_inherited_fd(self, d):
        """Item 7: a descriptor hodeid inherited does not reach the job."""
        secret = os.path.join(d, 'inherited')
        with open(secret, 'w') as f:
            f.write('inherited secret\n')
        fd = os.open(secret, os.O_RDONLY)
        os.set_inheritable(fd, True)
        h = Hodeid(d)
        orig = subprocess.Popen

        def popen_keep_fd(*a, **kw):
            kw['pass_fds'] = (fd,)
            return orig(*a, **kw)
        subprocess.Popen = popen_keep_fd
        try:
            h.start()
        finally:
            subprocess.Popen = orig
            os.close(fd)
        self.cleanup.append(h.stop)
        assert os.path.realpath('/proc/%d/fd/%d' % (h.proc.pid, fd)) == secret
        # the shell's own descriptors, listed by a child while the shell waits
        rc, out = run_job(h, 'ls -l /proc/$$/fd/')
        assert rc == 0, out
        fds = [line.split(' -> ')[0].split()[-1] for line in out.splitlines() if ' -> ' in line]
        assert fds and set(fds) <= {'0', '1', '2'}, out
        assert secret not in out, out
        # hodeid creates its files 0600 (umask 077); jobs keep the umask it was given
        mask = os.umask(0o022)
        os.umask(mask)
        rc, out = run_job(h, 'umask')
        assert rc == 0 and '%04o' % mask in out.split(), (mask, out)

    def daemon_dies_with_job(self, d, env, agent=False):
        """Item 5: a setsid daemon and a double-forked one end with their job."""
        open_to_all(d)
        spot = os.path.join(d, 'spot')
        os.makedirs(spot)
        os.chmod(spot, 0o777)
        if agent:
            h = self.hodeid(d, args=['--no-local-provider'],
                            env=dict(env, HODEI_JOIN_TOKEN=JOIN_TOKEN))
            self.worker(h, 'pool-agent', JOIN_TOKEN, d)
        else:
            h = self.hodeid(d, env=env)
        loop = 'echo $$ > %s/$1.pid; while :; do echo x >> %s/$1.out; sleep 0.05; done' % (
            spot, spot)
        script = ("setsid sh -c '%s' sh a & (setsid sh -c '%s' sh b &) ; "
                  "while [ ! -s %s/a.pid ] || [ ! -s %s/b.pid ]; do sleep 0.05; done; echo started"
                  % (loop, loop, spot, spot))
        rc, out = run_job(h, script)
        assert rc == 0 and 'started' in out, out
        for name in ('a', 'b'):
            pid = int(open(os.path.join(spot, name + '.pid')).read())
            wait_for(lambda: process_gone(pid), 10, 'daemon %s (pid %d) to be gone' % (name, pid))
        return h

    def test_setsid_daemon_ends_with_job(self, d):
        h = self.daemon_dies_with_job(d, {})
        print('  containment: %s' % ('cgroup' if 'containment=cgroup' in h.logtext()
                                     else 'subreaper'))

    def test_daemon_of_killed_hodeid_ends_at_restart(self, d):
        """Item 5: kill -9 of hodeid mid-job; its job's setsid daemon dies at the restart."""
        open_to_all(d)
        spot = os.path.join(d, 'spot')
        os.makedirs(spot)
        os.chmod(spot, 0o777)
        h = self.hodeid(d)
        if 'containment=cgroup' not in h.logtext():
            print('  (no cgroup v2 here: a killed hodeid leaves the daemon to init)')
            return
        env = dict(os.environ)
        env.pop('HODEI_API_TOKEN', None)
        subprocess.run([CLI, '--server', h.addr, 'jobs', 'queue', '--shell', '--command',
                        "setsid sh -c 'echo $$ > %s/d.pid; while :; do sleep 1; done' & sleep 300"
                        % spot], env=env, check=True, capture_output=True, timeout=60)
        pidfile = os.path.join(spot, 'd.pid')
        wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), 30,
                 'the daemon to start')
        pid = int(open(pidfile).read())
        h.kill9()
        assert not process_gone(pid), 'the daemon died with hodeid: nothing to test'
        self.hodeid(d)
        wait_for(lambda: process_gone(pid), 10, 'the daemon (pid %d) to be gone' % pid)

    def test_setsid_daemon_ends_with_agent_job(self, d):
        self.daemon_dies_with_job(d, {}, agent=True)

    def test_setsid_daemon_ends_with_job_subreaper(self, d):
        h = self.daemon_dies_with_job(d, {'HODEI_JOB_CONTAINMENT': 'subreaper'})
        assert 'containment=subreaper' in h.logtext(), h.logtext()

    def test_worker_socket_serves_only_workers(self, d):
        """Item 2: the socket mounted into containers serves no API call."""
        h = self.hodeid(d)
        sock = os.path.join(d, 'data', 'agent', 'agent.sock')
        assert stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
        env = dict(os.environ)
        env.pop('HODEI_API_TOKEN', None)

        def cli(*args):
            p = subprocess.run([CLI, '--server', 'unix:' + sock] + list(args), env=env,
                               capture_output=True, text=True, timeout=60)
            return p.returncode, p.stdout + p.stderr
        rc, out = cli('health')
        assert rc == 0 and 'SERVING' in out, out
        for args in (['jobs', 'queue', '--command', 'true'], ['jobs', 'list'],
                     ['workers', 'list'], ['providers', 'list']):
            rc, out = cli(*args)
            assert rc != 0 and 'only the worker protocol' in out, (args, out)
        # the same calls work on the API port (no token on loopback)
        p = subprocess.run([CLI, '--server', h.addr, 'jobs', 'list'], env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr


GROUPS = {
    'local': ['job_reads_no_secrets', 'job_sees_no_inherited_fd', 'worker_socket_serves_only_workers',
              'setsid_daemon_ends_with_job', 'setsid_daemon_ends_with_job_subreaper',
              'setsid_daemon_ends_with_agent_job', 'daemon_of_killed_hodeid_ends_at_restart'],
}

if __name__ == '__main__':
    names = []
    for g in sys.argv[1:] or GROUPS:
        names += GROUPS.get(g, [g])
    sys.exit(Isolation().run(names))
