#!/usr/bin/env python3
"""Named API tokens with roles, and secret environment values (issue 15).

usage: test_auth.py GROUP   (roles | secrets)
HODEID and HODEI_JOBS_CLI name the binaries under test.
"""
import base64
import glob
import hashlib
import os
import re
import signal
import subprocess
import sys
import urllib.parse

from harness import BUF, Tests, buf_curl, call, ensure_buf, pb_string, wait_for
from test_http_security import grpc_web, http, queue_payload

TOKEN = 'api-token-for-tests-0123456789'
JOBS = 'hodei.JobExecutionService/'
TOKENS = 'hodei.ApiTokenService/'
CLI = os.environ.get('HODEI_JOBS_CLI')
SECRET = 'Sup3r/s3cr3t+v@lue=42'


def bearer(token):
    return ['Authorization: Bearer ' + token]


def refused(addr, method, data, token, code):
    rc, _, err = buf_curl(addr, method, data, bearer(token) if token else ())
    assert rc != 0 and code in err, (method, token, err)
    return err


def definition(job_id, command='true', **extra):
    d = {'job_id': {'value': job_id}, 'name': job_id, 'command': command}
    d.update(extra)
    return d


def queue(addr, token, job_id, command='true', **extra):
    return call(addr, JOBS + 'QueueJob', {'job_definition': definition(job_id, command, **extra)},
                bearer(token))['job']


def finished(addr, job_id):
    def done():
        job = call(addr, JOBS + 'GetJob', {'job_id': job_id}, bearer(TOKEN))['job']
        return job['state'] in ('JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED')
    wait_for(done, what=job_id + ' to finish')
    return call(addr, JOBS + 'GetJob', {'job_id': job_id}, bearer(TOKEN))


def data_files(h):
    """The bytes of every file in hodeid's data directory (db, -wal, key...)."""
    out = {}
    for path in glob.glob(os.path.join(h.dir, 'data', '**'), recursive=True):
        if os.path.isfile(path):
            out[path] = open(path, 'rb').read()
    return out


class Auth(Tests):
    def create(self, h, name, role):
        got = call(h.addr, TOKENS + 'CreateApiToken', {'name': name, 'role': role}, bearer(TOKEN))
        assert re.fullmatch(r'hodei_[0-9a-f]{64}', got['token']), got
        assert got['apiToken']['name'] == name, got
        return got['token']

    def test_roles(self, d):
        h = self.hodeid(d, env={'HODEI_API_TOKEN': TOKEN})
        a = h.addr
        sub = self.create(h, 'ci', 'API_TOKEN_ROLE_SUBMIT')
        ro = self.create(h, 'viewer', 'API_TOKEN_ROLE_READ')
        adm = self.create(h, 'ops', 'API_TOKEN_ROLE_ADMIN')
        refused(a, TOKENS + 'CreateApiToken', {'name': 'ci', 'role': 'API_TOKEN_ROLE_READ'},
                TOKEN, 'already_exists')
        refused(a, TOKENS + 'CreateApiToken', {'name': 'x y', 'role': 'API_TOKEN_ROLE_READ'},
                TOKEN, 'invalid_argument')
        listed = call(a, TOKENS + 'ListApiTokens', {}, bearer(adm))['apiTokens']
        assert [(t['name'], t['role']) for t in listed] == [
            ('ci', 'API_TOKEN_ROLE_SUBMIT'), ('ops', 'API_TOKEN_ROLE_ADMIN'),
            ('viewer', 'API_TOKEN_ROLE_READ')], listed
        assert sub not in str(listed) and 'hodei_' not in str(listed), listed

        # No token, a wrong one: nobody.
        refused(a, JOBS + 'ListJobs', {}, None, 'unauthenticated')
        refused(a, JOBS + 'ListJobs', {}, 'hodei_' + '0' * 64, 'unauthenticated')

        # submit: queue, read and cancel its own jobs; providers, queue status.
        mine = queue(a, sub, 'mine', 'sleep 60', shell=True)
        assert mine['tokenName'] == 'ci', mine
        theirs = queue(a, TOKEN, 'theirs', 'sleep 60', shell=True)
        assert theirs['tokenName'] == 'api', theirs
        assert call(a, JOBS + 'GetJob', {'job_id': 'mine'}, bearer(sub))['job']['tokenName'] == 'ci'
        refused(a, JOBS + 'GetJob', {'job_id': 'theirs'}, sub, 'permission_denied')
        refused(a, JOBS + 'CancelJob', {'job_id': 'theirs'}, sub, 'permission_denied')
        refused(a, 'hodei.LogStreamService/GetLogs', {'job_id': 'theirs'}, sub,
                'permission_denied')
        ids = [j['id'] for j in call(a, JOBS + 'ListJobs', {}, bearer(sub))['jobs']]
        assert ids == ['mine'], ids
        call(a, 'hodei.SchedulerService/GetQueueStatus', {}, bearer(sub))
        call(a, 'hodei.ProviderService/ListProviders', {}, bearer(sub))
        for method, data in ((TOKENS + 'ListApiTokens', {}),
                             (TOKENS + 'CreateApiToken', {'name': 'x', 'role': 2}),
                             (JOBS + 'RetryJob', {'job_id': 'mine'}),
                             ('hodei.MetricsService/GetAggregatedMetrics', {}),
                             ('hodei.ProviderService/DeleteProvider', {'name': 'local'})):
            err = refused(a, method, data, sub, 'permission_denied')
            assert "submit token 'ci' may not call" in err, err
        call(a, JOBS + 'CancelJob', {'job_id': 'mine'}, bearer(sub))

        # read: everything readable, nothing changed.
        ids = sorted(j['id'] for j in call(a, JOBS + 'ListJobs', {}, bearer(ro))['jobs'])
        assert ids == ['mine', 'theirs'], ids
        assert call(a, JOBS + 'GetJob', {'job_id': 'theirs'}, bearer(ro))['job']['id'] == 'theirs'
        call(a, 'hodei.MetricsService/GetAggregatedMetrics', {}, bearer(ro))
        call(a, 'hodei.WorkerAgentService/ListWorkers', {}, bearer(ro))
        refused(a, JOBS + 'QueueJob', {'job_definition': definition('ro')}, ro,
                'permission_denied')
        refused(a, JOBS + 'CancelJob', {'job_id': 'theirs'}, ro, 'permission_denied')
        refused(a, TOKENS + 'RevokeApiToken', {'name': 'ci'}, ro, 'permission_denied')

        # admin (a created one): everything, other tokens' jobs included.
        call(a, JOBS + 'CancelJob', {'job_id': 'theirs'}, bearer(adm))

        # The dashboard: a session opened with a token has that token's role.
        p = h.http_port
        own = 'Origin: http://127.0.0.1:%d' % p
        status, hdrs, _ = http(p, 'POST', '/api/session', [own, 'x-hodei-csrf: 1'] + bearer(sub))
        assert status == 200, status
        jar = 'Cookie: ' + hdrs['set-cookie'][0].split(';')[0]
        status, _, text = http(p, 'GET', '/api/session', [jar])
        assert b'"token_name":"ci"' in text and b'"role":"submit"' in text, text
        status, grpc, _ = grpc_web(p, '/' + JOBS + 'QueueJob', queue_payload('from-web'),
                                   headers=[jar, own, 'x-hodei-csrf: 1'])
        assert (status, grpc) == (200, 0), (status, grpc)
        assert call(a, JOBS + 'GetJob', {'job_id': 'from-web'},
                    bearer(TOKEN))['job']['tokenName'] == 'ci'
        status, grpc, _ = grpc_web(p, '/' + TOKENS + 'ListApiTokens', b'',
                                   headers=[jar, own, 'x-hodei-csrf: 1'])
        assert grpc == 7, grpc  # PERMISSION_DENIED

        # Revoked: refused at once, its session too; hodeid's own token stays.
        refused(a, TOKENS + 'RevokeApiToken', {'name': 'api'}, TOKEN, 'failed_precondition')
        call(a, TOKENS + 'RevokeApiToken', {'name': 'ci'}, bearer(TOKEN))
        refused(a, JOBS + 'ListJobs', {}, sub, 'unauthenticated')
        status, grpc, _ = grpc_web(p, '/hodei.SchedulerService/GetQueueStatus', pb_string(1, 'x'),
                                   headers=[jar, own, 'x-hodei-csrf: 1'])
        assert grpc == 16, grpc
        refused(a, TOKENS + 'RevokeApiToken', {'name': 'ci'}, TOKEN, 'not_found')
        call(a, JOBS + 'ListJobs', {}, bearer(ro))

        # Stored hashed: no token in any file; the hashes survive a restart.
        h.stop()
        for path, data in data_files(h).items():
            for t in (sub, ro, adm):
                assert t.encode() not in data, path
        h.start()
        call(a, JOBS + 'ListJobs', {}, bearer(ro))
        refused(a, JOBS + 'ListJobs', {}, sub, 'unauthenticated')

        # The CLI: tokens create, list, revoke; jobs get shows the token.
        env = dict(os.environ, HODEI_API_TOKEN=TOKEN)
        cli = [CLI, '--server', h.addr]
        out = subprocess.run(cli + ['tokens', 'create', 'deploy', '--role', 'submit'], env=env,
                             capture_output=True, text=True, check=True).stdout
        dep = re.search(r'hodei_[0-9a-f]{64}', out).group(0)
        out = subprocess.run(cli + ['tokens', 'list'], env=env, capture_output=True, text=True,
                             check=True).stdout
        assert re.search(r'deploy\s+submit', out) and dep not in out, out
        env2 = dict(os.environ, HODEI_API_TOKEN=dep)
        subprocess.run(cli + ['jobs', 'queue', '--id', 'by-cli', '--command', 'true'], env=env2,
                       capture_output=True, text=True, check=True)
        out = subprocess.run(cli + ['jobs', 'get', 'by-cli'], env=env, capture_output=True,
                             text=True, check=True).stdout
        assert re.search(r'Token:\s+deploy', out), out
        subprocess.run(cli + ['tokens', 'revoke', 'deploy'], env=env, capture_output=True,
                       text=True, check=True)
        p = subprocess.run(cli + ['jobs', 'list'], env=env2, capture_output=True, text=True)
        assert p.returncode != 0, p

    def test_secrets(self, d):
        h = self.hodeid(d, args=['--log-level', 'debug'], env={'HODEI_API_TOKEN': TOKEN})
        a = h.addr
        b64 = base64.b64encode(SECRET.encode()).decode()
        url = urllib.parse.quote(SECRET, safe='')
        assert url != SECRET
        watch = subprocess.Popen(
            [BUF, 'curl', '--protocol', 'grpc', '--http2-prior-knowledge', '-H',
             'Authorization: Bearer ' + TOKEN, '-d', '{}',
             'http://%s/%sWatchJobs' % (a, JOBS)], stdout=subprocess.PIPE, text=True,
            start_new_session=True)
        digest = hashlib.sha256(SECRET.encode()).hexdigest()
        script = (
            'test "$(printf %%s "$SEC" | sha256sum | cut -c1-64)" = %s && echo match; '
            'echo "plain $SEC end"; printf %%s "$SEC" | base64 -w0; echo; '
            'python3 -c \'import os,urllib.parse;print(urllib.parse.quote(os.environ["SEC"],safe=""))\'; '
            'python3 -c \'import os,sys;sys.stdout.write("x"*65530+os.environ["SEC"]+"y\\n")\'; '
            'echo "PUBLIC=$PUBLIC"; exit 3' % digest)  # failed: it can be retried
        job = queue(a, TOKEN, 'sec', script, shell=True,
                    environment={'PUBLIC': 'shown'},
                    secret_environment={'SEC': SECRET})
        assert job['definition']['secretEnvironment'] == {'SEC': '***'}, job
        got = finished(a, 'sec')
        os.killpg(watch.pid, signal.SIGKILL)  # buf and the binary it runs
        watched = watch.communicate(timeout=20)[0]
        assert 'sec' in watched
        job = got['job']
        assert job['definition']['secretEnvironment'] == {'SEC': '***'}, job
        lines = call(a, 'hodei.LogStreamService/GetLogs', {'job_id': 'sec'},
                     bearer(TOKEN)).get('entries', [])
        text = '\n'.join(e.get('line', '') for e in lines)
        joined = ''.join(e.get('line', '') for e in lines)
        assert 'PUBLIC=shown' in text, text[-2000:]
        assert 'plain *** end' in text, text[-2000:]
        for form in (SECRET, b64[:-4], url):
            assert form not in text and form not in joined, form
        assert 'x' * 100 + '***y' in joined, 'split secret not masked'
        listed = call(a, JOBS + 'ListJobs', {}, bearer(TOKEN))
        # dashboard: the same answers over gRPC-Web
        _, _, web = http(h.http_port, 'POST', '/' + JOBS + 'GetJob',
                         ['Content-Type: application/grpc-web+proto', 'X-Grpc-Web: 1'] +
                         bearer(TOKEN), b'\0\0\0\0\x05' + pb_string(1, 'sec'))
        assert b'***' in web
        for where, blob in (('GetJob', str(got)), ('ListJobs', str(listed)),
                            ('WatchJobs', watched), ('gRPC-Web', web.decode('latin-1'))):
            assert SECRET not in blob, where
        # the job's environment did get it (only there)
        h.stop()
        assert SECRET not in h.logtext() and b64[:-4] not in h.logtext()
        files = data_files(h)
        assert any(p.endswith('.key') for p in files), files.keys()
        for path, data in files.items():
            assert SECRET.encode() not in data and b64.encode()[:-4] not in data, path
            if path.endswith('.key'):
                assert os.stat(path).st_mode & 0o077 == 0, oct(os.stat(path).st_mode)
        h.start()  # the key opens the secrets again: a retry still gets the value
        call(a, JOBS + 'RetryJob', {'job_id': 'sec'}, bearer(TOKEN))
        finished(a, 'sec')
        lines = call(a, 'hodei.LogStreamService/GetLogs', {'job_id': 'sec'},
                     bearer(TOKEN)).get('entries', [])
        matches = [e for e in lines if e.get('line', '') == 'match']
        assert len(matches) == 2, lines[:6]
        # the CLI: --secret and --secret-file; get shows ***
        env = dict(os.environ, HODEI_API_TOKEN=TOKEN)
        sf = os.path.join(d, 'secret.txt')
        with open(sf, 'w') as f:
            f.write('from-a-file-value\n')
        subprocess.run([CLI, '--server', a, 'jobs', 'queue', '--id', 'cli-sec', '--secret',
                        'A=' + SECRET, '--secret-file', 'B=' + sf, '--shell', '--command',
                        'echo "$A $B"'], env=env, capture_output=True, text=True, check=True)
        finished(a, 'cli-sec')
        out = subprocess.run([CLI, '--server', a, 'jobs', 'get', 'cli-sec'], env=env,
                             capture_output=True, text=True, check=True).stdout
        assert 'A=***' in out and 'B=***' in out and SECRET not in out, out
        out = subprocess.run([CLI, '--server', a, 'logs', 'cli-sec'], env=env,
                             capture_output=True, text=True, check=True).stdout
        assert '*** ***' in out and 'from-a-file-value' not in out, out


GROUPS = {'roles': ['roles'], 'secrets': ['secrets']}

if __name__ == '__main__':
    ensure_buf()
    names = []
    for g in sys.argv[1:] or GROUPS:
        names += GROUPS.get(g, [g])
    sys.exit(Auth().run(names))
