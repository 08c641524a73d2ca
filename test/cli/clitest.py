"""Helpers the CLI's live tests share: checks that are counted, a free port
on loopback, and running the CLI with a terminal as its standard output."""
import os
import pty
import socket

failures = []


def check(name, cond, detail=''):
    print(('ok   ' if cond else 'FAIL ') + name + ('' if cond else ': ' + str(detail)[:2000]),
          flush=True)
    if not cond:
        failures.append(name)
    return cond


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def on_tty(cli, args, env):
    """What `cli args` prints with a pseudo-terminal as its stdout."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(cli, [cli, *args], env)
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    return b''.join(chunks).decode(errors='replace')
