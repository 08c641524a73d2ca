#!/usr/bin/env python3
"""The manual's CLI installation ("Uso de la CLI" -> "Instalacion"), as
printed, from the repository root:

    cargo install --path crates/cli
    cargo run --bin hodei-jobs-cli -- <comando>

(here with --offline, an install root, CARGO_HOME and CARGO_TARGET_DIR in a
temporary directory). The installed program is checked against a live hodeid
and against the meson-built C CLI: same help, exit codes, SIGPIPE; and that
it needs no libhodei.so. Done with each cargo there is: the one on PATH and
Debian's /usr/bin/cargo (scripts/deps.txt), when they differ.

usage: test_cargo.py REPO-ROOT PATH-TO-hodeid PATH-TO-hodei-jobs-cli(meson)
"""
import glob
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'rpc'))
from harness import free_port  # noqa: E402

ROOT, HODEID, C_CLI = (os.path.abspath(a) for a in sys.argv[1:4])
TMP = tempfile.mkdtemp(prefix='hodei-cargo-')
passed, failures = 0, []


def check(name, cond, detail=''):
    global passed
    print(('ok   ' if cond else 'FAIL ') + name + ('' if cond else ': ' + str(detail)[:3000]),
          flush=True)
    if cond:
        passed += 1
    else:
        failures.append(name)
    return cond


SERVER = '127.0.0.1:%d' % free_port()
ENV = dict(os.environ, HODEI_SERVER=SERVER)
for v in ('NO_COLOR', 'HODEI_API_TOKEN', 'CARGO_HOME', 'CARGO_TARGET_DIR', 'RUSTFLAGS',
          'LD_LIBRARY_PATH'):
    ENV.pop(v, None)


def run(cmd, env=None, timeout=60, cwd=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       env=env or ENV, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def sigpipe_status(prog):
    """Exit status of `prog --help` writing into a pipe nobody reads."""
    r, w = os.pipe()
    os.close(r)
    p = subprocess.Popen([prog, '--help'], stdout=w, stderr=subprocess.DEVNULL, env=ENV)
    os.close(w)
    return p.wait(timeout=60)


# hodeid, ready when the C CLI's `health` answers (bounded attempts, each
# waiting for the connection).
data = os.path.join(TMP, 'data')
os.makedirs(data)
log = open(os.path.join(TMP, 'hodeid.log'), 'w')
hodeid = subprocess.Popen([HODEID, '--data-dir', data, '--grpc-listen', SERVER,
                           '--http-listen', 'off'], cwd=TMP, stdout=log, stderr=log)
for _ in range(200):
    if run([C_CLI, '--connect-timeout', '1', 'health'])[0] == 0:
        break
    if hodeid.poll() is not None:
        break
    select.select([], [], [], 0.05)
else:
    hodeid.kill()
    raise SystemExit('hodeid did not start; see ' + log.name)

c_help = run([C_CLI, '--help'])
c_version = run([C_CLI, '--version'])
c_bad = run([C_CLI, '--bogus'])
c_sigpipe = sigpipe_status(C_CLI)

cargos = []
for c in (shutil.which('cargo'), '/usr/bin/cargo'):
    if c and os.access(c, os.X_OK) and os.path.realpath(c) not in map(os.path.realpath, cargos):
        cargos.append(c)
check('a cargo is installed (scripts/deps.txt: cargo)', cargos, os.environ.get('PATH'))

lock = os.path.join(ROOT, 'Cargo.lock')
with open(lock, 'rb') as f:
    lock_before = f.read()
had_target = os.path.exists(os.path.join(ROOT, 'target'))

for n, cargo in enumerate(cargos):
    rc, out, err = run([cargo, '--version'])
    tag = '[%s] ' % (out.strip() or cargo)
    home = os.path.join(TMP, 'cargo%d' % n)
    env = dict(ENV, CARGO_HOME=os.path.join(home, 'home'),
               CARGO_TARGET_DIR=os.path.join(home, 'target'), CARGO_BUILD_JOBS='2')

    # ---- cargo install --path crates/cli ----
    rc, out, err = run([cargo, 'install', '--offline', '--path', 'crates/cli',
                        '--root', os.path.join(home, 'root')], env=env, timeout=1200, cwd=ROOT)
    cli = os.path.join(home, 'root', 'bin', 'hodei-jobs-cli')
    if not check(tag + 'cargo install --path crates/cli', rc == 0 and os.access(cli, os.X_OK),
                 (rc, out, err)):
        continue

    # The C program it embeds links libhodei statically.
    embedded = glob.glob(os.path.join(home, 'target', 'release', 'build',
                                      'hodei-jobs-cli-*', 'out', 'hodei-jobs-cli'))
    rc, out, err = run(['ldd', embedded[0]]) if len(embedded) == 1 else (-1, '', embedded)
    check(tag + 'the embedded C CLI needs no libhodei.so',
          rc == 0 and 'libnghttp2' in out and 'libhodei' not in out, (rc, out, err))

    rc, out, err = run([cli, '--help'])
    check(tag + '--help: exit 0, lists the commands',
          rc == 0 and 'jobs queue' in out and 'health' in out and 'logs' in out, (rc, out, err))
    check(tag + '--help is the C CLI\'s', (rc, out, err) == c_help, (out, c_help[1]))
    check(tag + '--version is the C CLI\'s', run([cli, '--version']) == c_version)
    rc, out, err = run([cli, '--bogus'])
    check(tag + 'unknown option: exit 2', rc == 2 and '--bogus' in err, (rc, out, err))
    check(tag + 'unknown option as the C CLI', (rc, out, err) == c_bad, (err, c_bad))
    st = sigpipe_status(cli)
    check(tag + 'output into a closed pipe: SIGPIPE as the C CLI',
          st == c_sigpipe == -signal.SIGPIPE, (st, c_sigpipe))

    rc, out, err = run([cli, '--server', SERVER, 'health'], env=dict(ENV, HODEI_SERVER='x:1'))
    check(tag + 'health --server against hodeid', rc == 0 and 'SERVING' in out, (rc, out, err))

    rc, out, err = run([cli, 'jobs', 'queue', '--name', 'from cargo', '--command', 'echo',
                        '--args', 'hello from cargo'])
    job = out.strip().splitlines()[0] if rc == 0 and out.strip() else None
    if check(tag + 'jobs queue (HODEI_SERVER)', job, (rc, out, err)):
        rc, out, err = run([cli, 'logs', job, '--follow'], timeout=120)
        check(tag + 'logs --follow', rc == 0 and out == 'hello from cargo\n', (rc, out, err))
        rc, out, err = run([cli, 'jobs', 'get', job])
        check(tag + 'jobs get shows SUCCEEDED',
              rc == 0 and job in out and 'SUCCEEDED' in out and 'from cargo' in out,
              (rc, out, err))
    rc, out, err = run([cli, 'jobs', 'queue', '--command', 'sh', '--args', "-c 'exit 7'",
                        '--wait'], timeout=120)
    check(tag + 'jobs queue --wait: the job\'s exit code 7', rc == 7, (rc, out, err))
    rc, out, err = run([cli, '--server', '127.0.0.1:%d' % free_port(),
                        '--connect-timeout', '2', 'health'])
    check(tag + 'no server there: exit 3', rc == 3, (rc, out, err))

    # ---- cargo run --bin hodei-jobs-cli -- <comando> ----
    rc, out, err = run([cargo, 'run', '--offline', '--bin', 'hodei-jobs-cli', '--', '--help'],
                       env=env, timeout=1200, cwd=ROOT)
    check(tag + 'cargo run --bin hodei-jobs-cli -- --help', rc == 0 and out == c_help[1],
          (rc, out, err))
    rc, out, err = run([cargo, 'run', '--offline', '--bin', 'hodei-jobs-cli', '--', 'health'],
                       env=env, timeout=600, cwd=ROOT)
    check(tag + 'cargo run --bin hodei-jobs-cli -- health', rc == 0 and 'SERVING' in out,
          (rc, out, err))

with open(lock, 'rb') as f:
    check('Cargo.lock unchanged (readable by every cargo)', f.read() == lock_before)
check('no target/ left in the repository', had_target or
      not os.path.exists(os.path.join(ROOT, 'target')))

hodeid.send_signal(signal.SIGTERM)
hodeid.wait(timeout=30)
print('%d passed, %d failed' % (passed, len(failures)))
if failures:
    print('failed: %s\n(files in %s)' % (', '.join(failures), TMP))
    sys.exit(1)
shutil.rmtree(TMP, ignore_errors=True)
