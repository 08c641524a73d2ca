#!/usr/bin/env python3
"""Answers bounded by bytes, against a live hodeid: jobs that carry megabytes
of arguments and environment, and a job that printed 1,000 lines of 5,000
characters, are read whole by `jobs list`, `jobs get`, `logs` and the C
client (client_pages), each following the server's cursors; and a job's
control characters are escaped on a terminal, raw in a pipe and with --raw.

usage: test_cli_pages.py PATH-TO-hodei-jobs-cli PATH-TO-hodeid PATH-TO-client_pages
"""
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest  # noqa: E402
from clitest import check, failures, free_port  # noqa: E402

CLI, HODEID, PAGES, FAILMALLOC = (os.path.abspath(p) for p in sys.argv[1:5])
TMP = tempfile.mkdtemp(prefix='hodei-cli-pages-')
SERVER = '127.0.0.1:%d' % free_port()
ENV = dict(os.environ, HODEI_SERVER=SERVER, HODEI_API_TOKEN='')
ENV.pop('NO_COLOR', None)


def run(argv, timeout=120, env=None):
    p = subprocess.run(argv, capture_output=True, timeout=timeout, env=env or ENV)
    return p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')


def cli(*args, **kw):
    return run([CLI, *args], **kw)


def pages(*args):
    return run([PAGES, SERVER, *args])


def on_tty(args, env):
    return clitest.on_tty(CLI, args, env)


log = open(os.path.join(TMP, 'hodeid.log'), 'w')
server = subprocess.Popen([HODEID, '--data-dir', TMP, '--grpc-listen', SERVER,
                           '--http-listen', 'off'], stdout=log, stderr=log, cwd=TMP)
for _ in range(200):
    if cli('--connect-timeout', '1', 'health')[0] == 0:
        break
    select.select([], [], [], 0.05)
else:
    raise SystemExit('hodeid did not start; see ' + log.name)

try:
    # Three jobs of 2.4 MB each (30 arguments and 10 variables of 60,000
    # bytes): before, any page of two of them was over 4 MiB.
    rc, out, err = pages('queue', 'big', '3', '30', '10', '60000')
    check('the C client queues three 2.4 MB jobs', rc == 0, (rc, out, err))
    # 600 jobs whose summaries (16 arguments and 16 variables of 256 bytes)
    # add up to 5 MB: even summaries need more than one page.
    rc, out, err = pages('queue', 'many', '600', '17', '17', '300')
    check('the C client queues 600 jobs of 10 KB', rc == 0, (rc, out, err))
    script = "i=0; while [ $i -lt 1000 ]; do printf '%05d%04995d\\n' $i 0; i=$((i+1)); done"
    rc, out, err = cli('jobs', 'queue', '--id', 'chatty', '--shell', '--command', script,
                       '--wait')
    check('a job prints 1,000 lines of 5,000 characters', rc == 0, (rc, out, err))
    ids = {'big-%d' % i for i in range(3)} | {'many-%d' % i for i in range(600)} | {'chatty'}

    # ---- jobs list: the CLI follows the cursors ----
    rc, out, err = cli('jobs', 'list', '--limit', '0')
    rows = out.splitlines()[1:]
    check('jobs list --limit 0 shows every job', rc == 0 and
          {r.split()[0] for r in rows} == ids, (rc, err, len(rows)))
    rc, out, err = cli('jobs', 'list')
    check('jobs list (50) works', rc == 0 and len(out.splitlines()) == 51, (rc, err))
    rc, out, err = cli('-o', 'json', 'jobs', 'list', '--limit', '0', '--search', 'big-')
    rows = [json.loads(line) for line in out.splitlines()] if rc == 0 else []
    check('jobs list -o json: big jobs as summaries, flagged',
          len(rows) == 3 and all(r['definition_truncated'] and len(r['args']) == 16 and
                                 all(len(a) == 256 for a in r['args']) and
                                 len(r['env']) == 10 for r in rows), (rc, err))
    rc, out, err = cli('-o', 'json', 'jobs', 'get', 'big-1')
    j = json.loads(out) if rc == 0 else {}
    check('jobs get: the whole definition', j.get('definition_truncated') is False and
          len(j['args']) == 30 and all(len(a) == 60000 for a in j['args']) and
          len(j['env']) == 10 and all(len(e) == 60000 + len('BIG_0=') for e in j['env']),
          (rc, err))

    # ---- the C client follows the cursors ----
    rc, out, err = pages('list', '1000')
    words = out.split()
    check('C client: 604 jobs in more than one page of 1,000 (bounded by bytes)',
          rc == 0 and words[:2] == ['jobs', '604'] and int(words[3]) > 1 and
          words[4:] == ['truncated', '603'], (rc, out, err))
    rc, out, err = pages('get', 'big-2')
    check('C client: GetJob has the whole definition',
          rc == 0 and out.split() == ['args', '30', 'bytes', str(30 * 60000), 'env', '10',
                                      'bytes', str(10 * 60006), 'truncated', '0'],
          (rc, out, err))
    rc, out, err = pages('logs', 'chatty', '1000')
    check('C client: 1,000 lines of 5,000 in two pages of at most 1,000',
          rc == 0 and out.split() == ['lines', '1000', 'bytes', '5000000', 'pages', '2'],
          (rc, out, err))
    rc, out, err = pages('logs', 'chatty', '10000')
    check('C client: limit 10,000 still pages by bytes', rc == 0 and
          out.split()[:4] == ['lines', '1000', 'bytes', '5000000'], (rc, out, err))

    # ---- logs: the CLI reads every page ----
    rc, out, err = cli('logs', 'chatty')
    lines = out.splitlines()
    check('logs: 1,000 lines of 5,000 characters, in order',
          rc == 0 and lines == ['%05d%04995d' % (i, 0) for i in range(1000)],
          (rc, err, len(lines)))

    # ---- control characters: escaped on a terminal ----
    evil = r"printf '\033]0;owned\007\033[2Jred\033[0m tab\there\n'"
    rc, out, err = cli('jobs', 'queue', '--id', 'evil', '--name', 'evil\x1b[5mname',
                       '--shell', '--command', evil, '--wait')
    check('a job prints escape sequences', rc == 0, (rc, out, err))
    plain = dict(ENV, NO_COLOR='1')
    shown = on_tty(['logs', 'evil'], plain)
    check('logs on a terminal: control characters as \\xHH, tab kept',
          shown.replace('\r\n', '\n') == '\\x1b]0;owned\\x07\\x1b[2Jred\\x1b[0m tab\there\n',
          repr(shown))
    shown = on_tty(['logs', 'evil', '--raw'], plain)
    check('logs --raw on a terminal: as written',
          '\x1b]0;owned\x07\x1b[2Jred' in shown, repr(shown))
    rc, out, err = cli('logs', 'evil')
    check('logs in a pipe: as written',
          rc == 0 and out == '\x1b]0;owned\x07\x1b[2Jred\x1b[0m tab\there\n', repr(out))
    shown = on_tty(['jobs', 'list', '--search', 'evil'], plain)
    check('jobs list on a terminal: the name escaped',
          'evil\\x1b[5mname' in shown and '\x1b' not in shown, repr(shown))
    shown = on_tty(['jobs', 'get', 'evil'], plain)
    check('jobs get on a terminal: escaped', 'evil\\x1b[5mname' in shown and
          '\x1b' not in shown, repr(shown))
    shown = on_tty(['logs', 'evil'], ENV)
    check('colours stay with escaping', '\x1b[37m\\x1b]0;owned' in shown, repr(shown))
    # ---- the C client under a failing allocator: ENOMEM, never a crash ----
    rc, out, err = run([FAILMALLOC, SERVER, 'chatty'], timeout=600)
    check('the C client: every failed allocation is ENOMEM, and the call works after',
          rc == 0 and out.startswith('calls 9 failures '), (rc, out, err[-2000:]))
finally:
    server.terminate()
    server.wait(timeout=30)

if failures:
    print('%d failed: %s\n(hodeid log: %s)' % (len(failures), ', '.join(failures), log.name))
    sys.exit(1)
shutil.rmtree(TMP, ignore_errors=True)
