#!/usr/bin/env python3
"""TLS on hodeid's ports and in its clients (issue 15), with real processes
on loopback: `hodeid tls init` / `issue-client`, openssl s_client (TLS 1.2
or newer only, ALPN h2), buf curl with --cacert, the HTTP port over https,
the CLI and the agent refusing an expired certificate and a wrong host name,
mutual TLS for workers, and a certificate reloaded without a restart.

usage: test_tls.py GROUP   (server | clients)
HODEID, HODEI_WORKER_BIN and HODEI_JOBS_CLI name the binaries under test;
openssl(1) comes from Debian's openssl package (scripts/deps.txt).
"""
import hashlib
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import urllib.error
import urllib.request

from harness import BUF, HODEID, WORKER, Tests, ensure_buf, parse_stream, wait_for

CLI = os.environ.get('HODEI_JOBS_CLI', 'hodei-jobs-cli')
JOIN = 'join-secret-for-tls-tests'
PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'proto')
API = 'api-secret-for-tls-tests'


def tls_init(data, hosts='localhost,127.0.0.1'):
    p = subprocess.run([HODEID, 'tls', 'init', '--data-dir', data, '--host', hosts],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return os.path.join(data, 'tls')


def tls_args(tls):
    return ['--tls-cert', os.path.join(tls, 'server.pem'),
            '--tls-key', os.path.join(tls, 'server.key')]


def expired_pair(d, tls):
    """A server certificate for localhost from the test CA, valid only in 2020
    (openssl ca: the one openssl(1) command that takes dates in the past)."""
    ca_dir = os.path.join(d, 'ca-db')
    os.makedirs(ca_dir)
    open(os.path.join(ca_dir, 'index.txt'), 'w').close()
    with open(os.path.join(ca_dir, 'serial'), 'w') as f:
        f.write('1000\n')
    cnf = os.path.join(ca_dir, 'ca.cnf')
    with open(cnf, 'w') as f:
        f.write('[ca]\ndefault_ca = own\n[own]\ndatabase = %s/index.txt\nnew_certs_dir = %s\n'
                'certificate = %s/ca.pem\nprivate_key = %s/ca.key\nserial = %s/serial\n'
                'default_md = sha256\npolicy = any\ncopy_extensions = copy\nunique_subject = no\n'
                '[any]\ncommonName = supplied\n' % (ca_dir, ca_dir, tls, tls, ca_dir))
    key, csr, cert = (os.path.join(d, n) for n in ('old.key', 'old.csr', 'old.pem'))
    subprocess.run(['openssl', 'req', '-new', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr,
                    '-subj', '/CN=localhost', '-addext',
                    'subjectAltName=DNS:localhost,IP:127.0.0.1'], check=True,
                   capture_output=True)
    subprocess.run(['openssl', 'ca', '-batch', '-config', cnf, '-in', csr, '-out', cert,
                    '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-notext'],
                   check=True, capture_output=True)
    return cert, key


def s_client(port, *args):
    p = subprocess.run(['openssl', 's_client', '-connect', '127.0.0.1:%d' % port] + list(args),
                       input='', capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def served_cert(port, ca):
    """The SHA-256 of the certificate a new connection is served."""
    ctx = ssl.create_default_context(cafile=ca)
    with socket.create_connection(('127.0.0.1', port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname='localhost') as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()


def cli(h, *args, server=None, env=None):
    e = dict(os.environ)
    e.pop('HODEI_CA_FILE', None)
    e['HODEI_API_TOKEN'] = API
    e.update(env or {})
    p = subprocess.run([CLI, '--server', server or 'https://localhost:%d' % h.grpc_port]
                       + list(args), capture_output=True, text=True, timeout=60, env=e)
    return p.returncode, p.stdout, p.stderr


def buf(url, method, extra=()):
    p = subprocess.run([BUF, 'curl', '--protocol', 'grpc', '-H', 'authorization: Bearer ' + API,
                        '--schema', PROTO, '-d', '{}'] + list(extra) + [url + '/' + method],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, parse_stream(p.stdout) if p.returncode == 0 else [], p.stderr


class TlsTests(Tests):

    def server(self, d, tls, more=(), env=None):
        e = {'HODEI_API_TOKEN': API, 'HODEI_JOIN_TOKEN': JOIN}
        e.update(env or {})
        return self.hodeid(d, args=tls_args(tls) + list(more), env=e)

    def agent(self, d, name, server, extra=(), once=True):
        e = dict(os.environ)
        e.pop('HODEI_WORKER_TOKEN', None)
        e['HODEI_JOIN_TOKEN'] = JOIN
        if os.geteuid() == 0:
            e['HODEI_JOB_USER'] = 'root'
        log = open(os.path.join(d, 'worker-%s.log' % name), 'ab')
        p = subprocess.Popen([WORKER, '--server', server, '--name', name, '-v']
                             + (['--once'] if once else []) + list(extra),
                             env=e, stdout=log, stderr=log)
        p.logpath = log.name

        def stop():
            if p.poll() is None:
                p.terminate()
                p.wait(20)
        self.cleanup.append(stop)
        return p

    # ---- server ----

    def test_init_writes_private_keys(self, d):
        data = os.path.join(d, 'data')
        tls = tls_init(data, 'localhost,127.0.0.1,::1')
        ca_before = open(os.path.join(tls, 'ca.pem')).read()
        for key in ('ca.key', 'server.key'):
            assert stat.S_IMODE(os.stat(os.path.join(tls, key)).st_mode) == 0o600, key
        text = subprocess.run(['openssl', 'x509', '-in', os.path.join(tls, 'server.pem'),
                               '-noout', '-text'], capture_output=True, text=True).stdout
        assert 'DNS:localhost' in text and 'IP Address:127.0.0.1' in text, text
        assert 'TLS Web Server Authentication' in text, text
        p = subprocess.run([HODEID, 'tls', 'issue-client', 'w1', '--pool', 'ci', '--data-dir',
                            data], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        client = os.path.join(tls, 'clients', 'w1.pem')
        assert stat.S_IMODE(os.stat(os.path.join(tls, 'clients', 'w1.key')).st_mode) == 0o600
        v = subprocess.run(['openssl', 'verify', '-CAfile', os.path.join(tls, 'ca.pem'),
                            '-purpose', 'sslclient', client], capture_output=True, text=True)
        assert v.returncode == 0, v.stdout + v.stderr
        # A second init keeps the CA (issued client certificates stay valid).
        tls_init(data)
        assert open(os.path.join(tls, 'ca.pem')).read() == ca_before
        p = subprocess.run([HODEID, 'tls', 'issue-client', '../x', '--data-dir', data],
                           capture_output=True, text=True)
        assert p.returncode == 2 and 'NAME' in p.stderr, p.stderr
        p = subprocess.run([HODEID, 'tls', 'init', '--data-dir', data, '--host', 'a b;c'],
                           capture_output=True, text=True)
        assert p.returncode != 0 and '--host' in p.stderr, p.stderr

    def test_openssl_s_client(self, d):
        tls = tls_init(os.path.join(d, 'data'))
        h = self.server(d, tls)
        ca = os.path.join(tls, 'ca.pem')
        rc, out = s_client(h.grpc_port, '-alpn', 'h2', '-CAfile', ca, '-verify_return_error')
        assert rc == 0 and 'ALPN protocol: h2' in out and 'TLSv1.3' in out, out
        assert 'Verify return code: 0 (ok)' in out, out
        rc, out = s_client(h.grpc_port, '-tls1_2', '-alpn', 'h2', '-CAfile', ca)
        assert rc == 0 and 'New, TLSv1.2,' in out and 'ALPN protocol: h2' in out, out
        # TLS 1.1 is refused by the server, even by a client that allows it.
        rc, out = s_client(h.grpc_port, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0')
        assert rc != 0 and ('protocol version' in out or 'unsupported protocol' in out), out
        # A client that offers only HTTP/1.1 by ALPN is refused on the gRPC port.
        rc, out = s_client(h.grpc_port, '-alpn', 'http/1.1')
        assert rc != 0 and 'no application protocol' in out, out
        # The HTTP port agrees on http/1.1, and also refuses TLS 1.1.
        rc, out = s_client(h.http_port, '-alpn', 'h2,http/1.1', '-CAfile', ca)
        assert rc == 0 and 'ALPN protocol: http/1.1' in out, out
        rc, out = s_client(h.http_port, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0')
        assert rc != 0, out
        assert 'TLS handshake failed: unsupported protocol' in h.logtext(), h.logtext()

    def test_buf_curl_cacert(self, d):
        tls = tls_init(os.path.join(d, 'data'))
        h = self.server(d, tls)
        url = 'https://localhost:%d' % h.grpc_port
        ca = os.path.join(tls, 'ca.pem')
        rc, msgs, err = buf(url, 'hodei.SchedulerService/GetQueueStatus', ['--cacert', ca])
        assert rc == 0 and 'schedulerName' in msgs[0], err
        rc, _, err = buf(url, 'hodei.SchedulerService/GetQueueStatus')
        assert rc != 0 and 'certificate' in err, err  # not trusted without the CA
        # Clear text on the TLS port gets nowhere.
        rc, _, err = buf('http://localhost:%d' % h.grpc_port,
                         'hodei.SchedulerService/GetQueueStatus', ['--http2-prior-knowledge'])
        assert rc != 0, err

    def test_http_port_https(self, d):
        tls = tls_init(os.path.join(d, 'data'))
        h = self.server(d, tls, ['--web-dir', os.path.join(d, 'web')])
        os.makedirs(os.path.join(d, 'web'))
        with open(os.path.join(d, 'web', 'index.html'), 'w') as f:
            f.write('<html>hodei dashboard</html>')
        ctx = ssl.create_default_context(cafile=os.path.join(tls, 'ca.pem'))
        base = 'https://localhost:%d' % h.http_port
        assert urllib.request.urlopen(base + '/healthz', context=ctx, timeout=10).read() == b'ok\n'
        assert b'hodei_jobs' in urllib.request.urlopen(base + '/metrics', context=ctx,
                                                       timeout=10).read()
        assert b'dashboard' in urllib.request.urlopen(base + '/', context=ctx, timeout=10).read()
        # Sign-in over https: the session cookie is Secure.
        req = urllib.request.Request(base + '/api/session', method='POST', data=b'',
                                     headers={'authorization': 'Bearer ' + API,
                                              'x-hodei-csrf': '1'})
        r = urllib.request.urlopen(req, context=ctx, timeout=10)
        assert '; Secure' in r.headers['Set-Cookie'], r.headers['Set-Cookie']
        # The same origin over https is this server's own; http:// is not.
        req = urllib.request.Request(base + '/api/session', method='POST', data=b'',
                                     headers={'authorization': 'Bearer ' + API,
                                              'x-hodei-csrf': '1',
                                              'Origin': 'http://localhost:%d' % h.http_port})
        try:
            urllib.request.urlopen(req, context=ctx, timeout=10)
            raise AssertionError('an http:// Origin was accepted on https')
        except urllib.error.HTTPError as e:
            assert e.code == 403, e.code
        # Clear-text HTTP on the port: no answer in clear.
        try:
            urllib.request.urlopen('http://localhost:%d/healthz' % h.http_port, timeout=10)
            raise AssertionError('clear text answered')
        except (urllib.error.URLError, ConnectionError, OSError):
            pass

    def test_reload_without_restart(self, d):
        data = os.path.join(d, 'data')
        tls = tls_init(data)
        ca = os.path.join(tls, 'ca.pem')
        h = self.server(d, tls)
        first = served_cert(h.grpc_port, ca)
        assert served_cert(h.http_port, ca) == first
        rc, out, err = cli(h, '--cacert', ca, 'health')
        assert rc == 0, err
        # A new certificate (same CA), and SIGHUP: new connections get it.
        tls_init(data)
        h.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: served_cert(h.grpc_port, ca) != first, what='the new certificate')
        assert served_cert(h.http_port, ca) != first
        second = served_cert(h.grpc_port, ca)
        rc, out, err = cli(h, '--cacert', ca, 'health')
        assert rc == 0, err
        # A broken pair keeps the certificate loaded before.
        with open(os.path.join(tls, 'server.key'), 'w') as f:
            f.write('not a key\n')
        h.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: 'keeping the certificate loaded before' in h.logtext(),
                 what='the reload error')
        assert served_cert(h.grpc_port, ca) == second
        # A changed file is picked up without a signal (hodeid watches them).
        tls_init(data)
        wait_for(lambda: served_cert(h.grpc_port, ca) != second, timeout=30,
                 what='the watched files to be reloaded')
        assert h.alive()

    def test_beyond_loopback_needs_tls(self, d):
        env = dict(os.environ, HODEI_API_TOKEN=API)
        base = [HODEID, '--data-dir', os.path.join(d, 'x'), '--grpc-listen', '0.0.0.0:0',
                '--http-listen', 'off', '--port-file', os.path.join(d, 'ports')]
        p = subprocess.run(base, capture_output=True, text=True, env=env, timeout=30)
        assert p.returncode == 2 and 'needs TLS' in p.stderr and '--insecure-listen' in p.stderr, \
            p.stderr
        p = subprocess.run(base + ['--tls-cert', 'x.pem'], capture_output=True, text=True,
                           env=env, timeout=30)
        assert p.returncode == 2 and 'go together' in p.stderr, p.stderr
        p = subprocess.run(base + ['--tls-cert', '/nonexistent.pem', '--tls-key', '/x.key'],
                           capture_output=True, text=True, env=env, timeout=30)
        assert p.returncode == 1 and '--tls-cert /nonexistent.pem' in p.stderr, p.stderr
        # --insecure-listen starts, and says so loudly.
        h = self.hodeid(d, args=['--grpc-listen', '0.0.0.0:0', '--insecure-listen'],
                        env={'HODEI_API_TOKEN': API})
        assert 'level=warn' in h.logtext() and 'INSECURE' in h.logtext(), h.logtext()

    # ---- clients ----

    def test_cli_refuses_expired_and_wrong_name(self, d):
        data = os.path.join(d, 'data')
        tls = tls_init(data)
        ca = os.path.join(tls, 'ca.pem')
        cert, key = expired_pair(d, tls)
        h = self.hodeid(d, args=['--tls-cert', cert, '--tls-key', key],
                        env={'HODEI_API_TOKEN': API})
        rc, out, err = cli(h, '--cacert', ca, 'health')
        assert rc == 5 and 'failed verification: certificate has expired' in err, (rc, err)
        rc, out, err = cli(h, 'health', env={'HODEI_CA_FILE': ca})
        assert rc == 5 and 'certificate has expired' in err, (rc, err)
        h.stop()
        # A valid certificate for other names only.
        other = tls_init(os.path.join(d, 'other'), 'other.example')
        h2 = self.hodeid(d, args=tls_args(other), env={'HODEI_API_TOKEN': API}, name='h2')
        oca = os.path.join(other, 'ca.pem')
        rc, out, err = cli(h2, '--cacert', oca, 'health')
        assert rc == 5 and 'hostname mismatch' in err and 'not issued for this name' in err, err
        rc, out, err = cli(h2, '--cacert', oca, 'health',
                           server='https://127.0.0.1:%d' % h2.grpc_port)
        assert rc == 5 and 'IP address mismatch' in err, err
        # Untrusted CA, and clear text to a TLS port: said as such.
        rc, out, err = cli(h2, 'health')
        assert rc == 5 and '--cacert' in err, err
        rc, out, err = cli(h2, 'health', server='localhost:%d' % h2.grpc_port)
        assert rc == 3 and 'https://' in err, err
        assert API not in h2.logtext()

    def test_agent_refuses_expired_and_wrong_name(self, d):
        data = os.path.join(d, 'data')
        tls = tls_init(data)
        ca = os.path.join(tls, 'ca.pem')
        cert, key = expired_pair(d, tls)
        h = self.hodeid(d, args=['--tls-cert', cert, '--tls-key', key, '--no-local-provider'],
                        env={'HODEI_API_TOKEN': API, 'HODEI_JOIN_TOKEN': JOIN})
        a = self.agent(d, 'old', 'https://localhost:%d' % h.grpc_port, ['--cacert', ca])
        assert a.wait(30) == 3
        log = open(a.logpath).read()
        assert 'refusing the server' in log and 'certificate has expired' in log, log
        h.stop()
        other = tls_init(os.path.join(d, 'other'), 'other.example')
        h2 = self.hodeid(d, args=tls_args(other) + ['--no-local-provider'],
                         env={'HODEI_API_TOKEN': API, 'HODEI_JOIN_TOKEN': JOIN}, name='h2')
        a = self.agent(d, 'wrong', 'https://localhost:%d' % h2.grpc_port,
                       ['--cacert', os.path.join(other, 'ca.pem')])
        assert a.wait(30) == 3
        log = open(a.logpath).read()
        assert 'hostname mismatch' in log, log
        # Verified before any token: no registration reached the server.
        assert 'worker registered' not in h2.logtext() and JOIN not in h2.logtext()

    def test_mutual_tls_for_workers(self, d):
        data = os.path.join(d, 'data')
        tls = tls_init(data)
        ca = os.path.join(tls, 'ca.pem')
        p = subprocess.run([HODEID, 'tls', 'issue-client', 'w1', '--data-dir', data],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        h = self.server(d, tls, ['--tls-client-ca', ca, '--no-local-provider'])
        url = 'https://localhost:%d' % h.grpc_port
        assert 'tls=mutual' in h.logtext()
        # Without a client certificate: refused, with the reason.
        a = self.agent(d, 'nocert', url, ['--cacert', ca])
        assert a.wait(30) == 3
        log = open(a.logpath).read()
        assert 'mutual TLS' in log and 'client certificate' in log, log
        # A certificate of another CA does not even complete the handshake.
        stranger = tls_init(os.path.join(d, 'stranger'))
        subprocess.run([HODEID, 'tls', 'issue-client', 's1', '--data-dir',
                        os.path.join(d, 'stranger')], check=True, capture_output=True)
        a = self.agent(d, 'stranger', url, ['--cacert', ca, '--tls-cert',
                                            os.path.join(stranger, 'clients', 's1.pem'),
                                            '--tls-key',
                                            os.path.join(stranger, 'clients', 's1.key')])
        assert a.wait(30) == 3
        log = open(a.logpath).read()
        assert "refused this client's certificate (alert unknown ca)" in log, log
        # With hodeid's certificate: registers and runs a job.
        self.agent(d, 'w1', url, ['--cacert', ca, '--tls-cert',
                                  os.path.join(tls, 'clients', 'w1.pem'), '--tls-key',
                                  os.path.join(tls, 'clients', 'w1.key')], once=False)

        def listed():
            rc, out, err = cli(h, '--cacert', ca, '-o', 'json', 'workers', 'list')
            return rc == 0 and '"w1"' in out
        wait_for(listed, what='w1 to register')
        rc, out, err = cli(h, '--cacert', ca, 'jobs', 'queue', '--id', 'mtls-1', '--wait',
                           '--shell', '--command', 'echo over-mtls')
        assert rc == 0, (rc, out, err)
        # API clients still need no certificate (they use the token).
        rc, out, err = cli(h, '--cacert', ca, 'jobs', 'get', 'mtls-1')
        assert rc == 0 and 'SUCCEEDED' in out, (out, err)


GROUPS = {
    'server': ['init_writes_private_keys', 'openssl_s_client', 'buf_curl_cacert',
               'http_port_https', 'reload_without_restart', 'beyond_loopback_needs_tls'],
    'clients': ['cli_refuses_expired_and_wrong_name', 'agent_refuses_expired_and_wrong_name',
                'mutual_tls_for_workers'],
}

if __name__ == '__main__':
    ensure_buf()
    names = []
    for g in sys.argv[1:] or GROUPS:
        names += GROUPS.get(g, [g])
    sys.exit(TlsTests().run(names))
