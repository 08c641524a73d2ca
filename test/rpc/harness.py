"""Helpers for the gRPC integration tests: real hodeid and hodei-worker
processes on loopback, `buf curl` as the reflection-based client, and a
raw HTTP/2 writer for inputs no well-behaved client would send."""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HODEID = os.environ.get('HODEID', 'hodeid')
WORKER = os.environ.get('HODEI_WORKER_BIN', 'hodei-worker')
RPC_DIR = os.path.dirname(os.path.abspath(__file__))
BUF = os.path.join(RPC_DIR, 'node_modules', '.bin', 'buf')


def ensure_buf():
    """buf comes from npm (test/rpc/package.json); install it if needed."""
    if os.path.exists(BUF):
        return
    lock = os.path.join(RPC_DIR, '.npm-install.lock')
    import fcntl
    with open(lock, 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        if not os.path.exists(BUF):
            subprocess.run(['npm', 'ci', '--no-audit', '--no-fund'], cwd=RPC_DIR, check=True,
                           stdout=sys.stderr)


def wait_for(cond, timeout=20.0, what='condition'):
    """Poll cond() until it is true (bounded); return its value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for ' + what)
        time.sleep(0.02)


def fifo_write(path, timeout=30):
    """Release a job blocked reading the fifo (bounded: ENXIO until it reads)."""
    def opened():
        try:
            return os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return None
    fd = wait_for(opened, timeout, 'the job to open its fifo')
    os.write(fd, b'go\n')
    os.close(fd)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Hodeid:
    def __init__(self, workdir, args=(), env=None, grpc_port=0, name='hodeid'):
        self.dir = workdir
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.pop('HODEI_API_TOKEN', None)
        self.env.pop('HODEI_JOIN_TOKEN', None)
        # A stop does not wait for running jobs (--shutdown-grace) unless a test asks.
        self.env.setdefault('HODEI_SHUTDOWN_GRACE', '0')
        self.env.update(env or {})
        self.grpc_port = grpc_port
        self.name = name
        self.proc = None

    def start(self):
        ports = os.path.join(self.dir, self.name + '.ports')
        if os.path.exists(ports):
            os.unlink(ports)
        self.log = open(os.path.join(self.dir, self.name + '.log'), 'ab')
        self.proc = subprocess.Popen(
            [HODEID, '--data-dir', os.path.join(self.dir, 'data'),
             '--grpc-listen', '127.0.0.1:%d' % self.grpc_port,
             '--http-listen', '127.0.0.1:0', '--port-file', ports] + self.args,
            env=self.env, stdout=self.log, stderr=self.log)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError('hodeid exited with %s; log:\n%s' %
                                     (self.proc.returncode, self.logtext()))
            return os.path.exists(ports)
        wait_for(ready, what='hodeid to listen')
        kv = dict(line.split('=') for line in open(ports).read().split())
        self.grpc_port = int(kv['grpc'])
        self.http_port = int(kv['http'])
        return self

    def logtext(self):
        return open(os.path.join(self.dir, self.name + '.log'), errors='replace').read()

    @property
    def addr(self):
        return '127.0.0.1:%d' % self.grpc_port

    def alive(self):
        return self.proc.poll() is None

    def rss_kb(self):
        for line in open('/proc/%d/status' % self.proc.pid):
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
        return 0

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Worker:
    def __init__(self, hodeid, name, token, workdir, extra=()):
        env = dict(os.environ)
        env['HODEI_JOIN_TOKEN'] = token
        env.pop('HODEI_WORKER_TOKEN', None)
        if os.geteuid() == 0:  # jobs write pid files into the test's private dir
            env.setdefault('HODEI_JOB_USER', 'root')
        self.log = open(os.path.join(workdir, 'worker-%s.log' % name), 'ab')
        self.path = os.path.join(workdir, 'worker-%s.log' % name)
        self.proc = subprocess.Popen([WORKER, '--server', hodeid.addr, '--name', name, '-v']
                                     + list(extra), env=env, stdout=self.log, stderr=self.log)

    def logtext(self):
        return open(self.path, errors='replace').read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def buf_curl(addr, method, data=None, headers=(), extra=(), timeout=60):
    """Run buf curl; returns (rc, [json messages], stderr)."""
    cmd = [BUF, 'curl', '--protocol', 'grpc', '--http2-prior-knowledge']
    for h in headers:
        cmd += ['-H', h]
    if data is not None:
        cmd += ['-d', data if isinstance(data, str) else json.dumps(data)]
    cmd += list(extra) + ['http://%s/%s' % (addr, method)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, parse_stream(p.stdout), p.stderr


def parse_stream(text):
    """buf curl prints one pretty JSON object per message."""
    dec = json.JSONDecoder()
    out, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


def call(addr, method, data=None, headers=()):
    """A call that must succeed: its one response."""
    rc, msgs, err = buf_curl(addr, method, data, headers)
    if rc != 0:
        raise AssertionError('%s failed (%d): %s' % (method, rc, err))
    return msgs[0] if msgs else {}


def job_state(addr, job_id):
    return call(addr, 'hodei.JobExecutionService/GetJob', {'job_id': job_id})['job']['state']


# ---- raw HTTP/2 (requests only; responses are read as frames) ----

PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8


def frame(ftype, flags, stream, payload=b''):
    return struct.pack('>I', len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack('>I', stream) + payload


def hpack_int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value & 127) | 128)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack(headers):
    """Literal header fields without indexing, no Huffman: always valid."""
    out = b''
    for name, value in headers:
        n, v = name.encode(), value.encode()
        out += b'\x00' + hpack_int(len(n), 7) + n + hpack_int(len(v), 7) + v
    return out


def grpc_headers(path, ctype='application/grpc', extra=()):
    return hpack([(':method', 'POST'), (':scheme', 'http'), (':authority', 'localhost'),
                  (':path', path), ('content-type', ctype), ('te', 'trailers')] + list(extra))


def grpc_message(payload):
    return b'\x00' + struct.pack('>I', len(payload)) + payload


def pb_string(field, value):
    v = value.encode()
    return bytes([field << 3 | 2]) + hpack_int(len(v), 7) + v


def pb_bool(field, value):
    return bytes([field << 3, 1 if value else 0])


class RawH2:
    def __init__(self, port, rcvbuf=None):
        self.s = socket.socket()
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.connect(('127.0.0.1', port))
        self.s.settimeout(20)
        self.buf = b''

    def send(self, data):
        self.s.sendall(data)

    def start(self, settings=b''):
        self.send(PREFACE + frame(SETTINGS, 0, 0, settings))

    def read_frame(self):
        """(type, flags, stream, payload), or None at EOF."""
        while len(self.buf) < 9:
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        length = struct.unpack('>I', b'\x00' + self.buf[:3])[0]
        while len(self.buf) < 9 + length:
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        f = (self.buf[3], self.buf[4], struct.unpack('>I', self.buf[5:9])[0] & 0x7fffffff,
             self.buf[9:9 + length])
        self.buf = self.buf[9 + length:]
        return f

    def frames_until(self, pred, limit=100000):
        """Read frames until pred(frame) or EOF; returns (frames, matched)."""
        seen = []
        for _ in range(limit):
            try:
                f = self.read_frame()
            except (ConnectionResetError, socket.timeout):
                return seen, None
            if f is None:
                return seen, None
            seen.append(f)
            if pred(f):
                return seen, f
        return seen, None

    def close(self):
        self.s.close()


def make_web_dir(workdir):
    """A stand-in dashboard: index.html and assets/app.js."""
    web = os.path.join(workdir, 'web')
    os.makedirs(os.path.join(web, 'assets'))
    with open(os.path.join(web, 'index.html'), 'w') as f:
        f.write('<html>hodei dashboard</html>')
    with open(os.path.join(web, 'assets', 'app.js'), 'w') as f:
        f.write('console.log(1)')
    return web


class Tests:
    """Each test_* method is one test; prints 'N passed, N failed'."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='hodei-rpc-')
        self.failed = 0
        self.passed = 0

    def run(self, names):
        for name in names:
            fn = getattr(self, 'test_' + name)
            workdir = os.path.join(self.tmp, name)
            os.makedirs(workdir)
            self.cleanup = []
            t0 = time.monotonic()
            try:
                fn(workdir)
                self.passed += 1
                print('ok   %s (%.1fs)' % (name, time.monotonic() - t0), flush=True)
            except Exception as e:  # noqa: BLE001 - report and go on
                self.failed += 1
                print('FAIL %s: %s: %s' % (name, type(e).__name__, e), flush=True)
                for f in sorted(os.listdir(workdir)):
                    if f.endswith('.log'):
                        print('---- %s ----' % f)
                        print(open(os.path.join(workdir, f), errors='replace').read()[-4000:])
            finally:
                for c in reversed(self.cleanup):
                    try:
                        c()
                    except Exception:  # noqa: BLE001
                        pass
        print('%d passed, %d failed' % (self.passed, self.failed))
        if self.failed == 0:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return 1 if self.failed else 0

    def hodeid(self, workdir, *args, **kw):
        h = Hodeid(workdir, *args, **kw).start()
        self.cleanup.append(h.stop)
        return h

    def worker(self, h, name, token, workdir, extra=()):
        w = Worker(h, name, token, workdir, extra)
        self.cleanup.append(w.stop)
        return w
