#!/usr/bin/env python3
"""hodeid's numeric flags go through the same parser and range as their
HODEI_* variables (lib/config.c): a bad value stops hodeid at once with
exit status 2 and a message naming the flag, worded as the variable's.

HODEID names the binary under test. No server is left running: every case
is refused before hodeid opens its store or listens, and in case one is not,
its gRPC address (127.0.0.1:none) does not parse, so it stops there (exit 1)
instead of serving.
"""
import os
import subprocess
import sys
import tempfile

HODEID = os.environ['HODEID']
# flag, its variable, the range they share
NUMERIC = [
    ('--local-workers', 'HODEI_LOCAL_WORKERS', '0 to 4096'),
    ('--heartbeat', 'HODEI_HEARTBEAT_INTERVAL', '1 to 3600'),
    ('--worker-timeout', 'HODEI_WORKER_TIMEOUT', '1 to 3600'),
    ('--shutdown-grace', 'HODEI_SHUTDOWN_GRACE', '0 to 86400'),
]
BAD = ['abc', '-1', '100000', '', ' 5', '5s', '+5', '99999999999999999999']


def run(args, env=None):
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run([HODEID, '--data-dir', tmp, '--grpc-listen', '127.0.0.1:none',
                            '--http-listen', 'off'] + args,
                           env=dict(os.environ, **(env or {})), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    return p.returncode, p.stderr


def main():
    failures = []
    for flag, var, bounds in NUMERIC:
        for value in BAD:
            expected = "must be an integer from %s, got '%s'" % (bounds, value)
            rc, err = run([flag, value])
            if rc != 2 or '%s: %s' % (flag, expected) not in err:
                failures.append('%s %r: exit %d, stderr %r' % (flag, value, rc, err))
            if value == '':
                continue  # an empty variable means "unset": the default
            rc, err = run([], {var: value})
            if rc == 0 or '%s: %s' % (var, expected) not in err:
                failures.append('%s=%r: exit %d, stderr %r' % (var, value, rc, err))
    # a good value passes the flag check and stops only at the bad address
    rc, err = run(['--local-workers', '4096', '--heartbeat', '1', '--worker-timeout', '3600'])
    if rc != 1 or 'must be an integer' in err:
        failures.append('good values: exit %d, stderr %r' % (rc, err))
    for f in failures:
        print('FAIL', f)
    print('%d failures' % len(failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
