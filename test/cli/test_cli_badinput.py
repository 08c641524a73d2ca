#!/usr/bin/env python3
"""hodei-jobs-cli against bad input that needs no real server: usage errors,
a server that is down, one that speaks HTTP/1, one that never answers.

usage: test_cli_badinput.py PATH-TO-hodei-jobs-cli
"""
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import free_port  # noqa: E402

CLI = os.path.abspath(sys.argv[1])
failures = []


def run(*args, env=None):
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60, env=env)
    return p.returncode, p.stdout, p.stderr


def check(name, cond, detail=''):
    print(('ok   ' if cond else 'FAIL ') + name + ('' if cond else ': ' + detail))
    if not cond:
        failures.append(name)


def expect(name, args, code, stderr_has=(), stdout_empty=True):
    rc, out, err = run(*args)
    detail = 'rc=%d stdout=%r stderr=%r' % (rc, out, err)
    ok = rc == code and all(s in err for s in stderr_has) and (out == '' or not stdout_empty)
    check(name, ok, detail)
    return rc, out, err


# ---- usage errors: exit 2, message and usage on stderr, nothing on stdout ----
expect('unknown command', ['frobnicate'], 2, ["unknown command 'frobnicate'", '--help'])
expect('unknown subcommand', ['jobs', 'frobnicate'], 2, ["unknown command 'jobs frobnicate'"])
expect('group without subcommand', ['jobs'], 2, ["'jobs' needs a subcommand", 'jobs list',
                                                  'jobs queue', 'jobs retry'])
expect('a typo gets a suggestion', ['jbos', 'list'], 2, ["did you mean 'jobs'?"])
expect('a subcommand typo gets one', ['jobs', 'lsit'], 2, ["did you mean 'jobs list'?"])
expect('an option typo gets one', ['jobs', 'list', '--stauts', 'x'], 2,
       ["did you mean '--status'?"])
expect('no suggestion for nonsense', ['xyzzyplugh'], 2, ["unknown command 'xyzzyplugh'"])
check('no suggestion is made up', 'did you mean' not in run('xyzzyplugh')[2])
for args in (['jobs', '--help'], ['providers', '--help'], ['help', 'jobs'], ['jobs', '-h']):
    rc, out, err = run(*args)
    check(' '.join(args) + ': the group commands', rc == 0 and 'Commands:' in out and
          ' list ' in out and err == '', (rc, out, err))
rc, out, err = run('help', 'logs')
check('help logs: the command\'s options', rc == 0 and '--tail N' in out, (rc, out, err))
expect('completion without a shell', ['completion'], 2, ['bash, zsh or fish'])
expect('completion of an unknown shell', ['completion', 'tcsh'], 2, ['bash, zsh or fish'])
expect('unknown flag', ['jobs', 'list', '--frobnicate'], 2,
       ["unknown option '--frobnicate'", 'Usage: hodei-jobs-cli jobs list'])
expect('unknown global flag', ['--frobnicate', 'health'], 2, ["unknown option '--frobnicate'"])
expect('flag without value', ['jobs', 'queue', '--command'], 2, ["needs a value"])
expect('queue without command', ['jobs', 'queue', '--name', 'x'], 2, ['--command is required'])
expect('env without =', ['jobs', 'queue', '--command', 'echo', '--env', 'ENV'], 2,
       ['--env "ENV": expected NAME=VALUE', 'Usage: hodei-jobs-cli jobs queue'])
expect('env with bad name', ['jobs', 'queue', '--command', 'echo', '--env', '1X=y'], 2,
       ['expected NAME=VALUE'])
expect('non-numeric timeout', ['jobs', 'queue', '--command', 'echo', '--timeout', 'abc'], 2,
       ["--timeout: expected seconds (3600) or a duration", "'abc'"])
expect('negative timeout', ['jobs', 'queue', '--command', 'echo', '--timeout', '-5'], 2,
       ['--timeout'])
expect('unterminated quote in --args', ['jobs', 'queue', '--command', 'echo', '--args', "'a b"],
       2, ['unterminated single quote'])
expect('bad priority', ['jobs', 'queue', '--command', 'echo', '--priority', 'urgent'], 2,
       ['--priority'])
expect('bad output format', ['--output', 'yaml', 'health'], 2, ["'table' or 'json'"])
expect('get without id', ['jobs', 'get'], 2, ['missing JOB-ID'])
expect('get with two ids', ['jobs', 'get', 'a', 'b'], 2, ["unexpected argument 'b'"])
expect('bad --limit', ['jobs', 'list', '--limit', 'ten'], 2, ['--limit'])
expect('bad --status', ['jobs', 'list', '--status', 'sleeping'], 2, ['--status'])
expect('logs bad level', ['logs', 'x', '--level', 'loud'], 2, ['--level'])
expect('https with an unreadable --cacert', ['--server', 'https://example.com:443', '--cacert',
                                            '/nonexistent/ca.pem', 'health'], 2,
       ['cannot load /nonexistent/ca.pem'])
rc, out, err = run('--help')
check('--help exits 0 on stdout', rc == 0 and 'jobs queue' in out and err == '', err)
rc, out, err = run('jobs', 'queue', '--help')
check('command --help', rc == 0 and '--args TEXT' in out and '--wait' in out, out)

# ---- a server that is down: exit 3 with a clear message ----
port = free_port()
for args in (['health'], ['jobs', 'list'], ['logs', 'job-1', '--follow'], ['queue', 'status']):
    expect('server down: ' + ' '.join(args), ['--server', '127.0.0.1:%d' % port, *args], 3,
           ['cannot connect to 127.0.0.1:%d' % port, 'Connection refused'])
rc, out, err = run('health', env={'HODEI_SERVER': '127.0.0.1:%d' % port, 'PATH': '/usr/bin:/bin'})
check('HODEI_SERVER is used', rc == 3 and '127.0.0.1:%d' % port in err, err)


# ---- an HTTP/1.1 server: "not a Hodei server", exit 3 ----
def http1_server(sock):
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        conn.recv(4096)
        conn.sendall(b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')
        conn.close()


s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(8)
threading.Thread(target=http1_server, args=(s,), daemon=True).start()
expect('HTTP/1 server', ['--server', '127.0.0.1:%d' % s.getsockname()[1], 'jobs', 'list'], 3,
       ['is not a Hodei (gRPC over HTTP/2) server', 'HTTP/1.1 400 Bad Request'])

# ---- a server that accepts and never answers: bounded wait, exit 3 ----
silent = socket.socket()
silent.bind(('127.0.0.1', 0))
silent.listen(8)  # never accept(): the kernel completes the TCP handshake
expect('silent server', ['--server', '127.0.0.1:%d' % silent.getsockname()[1],
                         '--connect-timeout', '500ms', 'health'], 3,
       ['did not answer the HTTP/2 handshake'])

# ---- a server that closes at once ----
def closer(sock):
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        conn.close()


c = socket.socket()
c.bind(('127.0.0.1', 0))
c.listen(8)
threading.Thread(target=closer, args=(c,), daemon=True).start()
expect('server closes the connection', ['--server', '127.0.0.1:%d' % c.getsockname()[1],
                                        'health'], 3, ['is not a Hodei'])

if failures:
    print('%d failed: %s' % (len(failures), ', '.join(failures)))
    sys.exit(1)
