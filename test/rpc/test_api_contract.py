#!/usr/bin/env python3
"""What hodeid's API promises beyond the happy path, on loopback: strings
with a NUL byte or invalid UTF-8 refused (and such bytes stored through the
C API served as U+FFFD), the worker-facing unary reports authenticated by the
worker's session and fenced, the documented /metrics series, and secrets kept
out of logs and replies.

usage: test_api_contract.py GROUP
       (bad_strings | stored_bad_utf8 | worker_reports | metrics | secrets)
HODEID and HODEI_WORKER_BIN name the binaries under test.
"""
import json
import os
import re
import subprocess
import sys
import urllib.request

from harness import (DATA, HEADERS, RawH2, Tests, buf_curl, call, ensure_buf, frame,
                     grpc_headers, grpc_message, pb_string, wait_for)
from test_integration import FINAL, TOKEN, history, job_state, queue, wait_state

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'README.md')
JOBS = 'hodei.JobExecutionService/'


def job_count(addr, headers=()):
    page = call(addr, JOBS + 'ListJobs', {'page_size': 1}, headers)
    return int(page.get('totalCount', 0))


def refused(addr, method, body, code, text, headers=()):
    """The call fails with status `code` and a message containing `text`."""
    rc, msgs, err = buf_curl(addr, method, body, headers)
    assert rc != 0 and not msgs, (method, body, msgs)
    try:
        reply = json.loads(err)
    except ValueError:
        raise AssertionError('%s %s: %s' % (method, body, err)) from None
    assert reply['code'] == code and text in reply.get('message', ''), (method, body, err)


def pb_len(field, payload):
    """A length-delimited protobuf field."""
    n, varint = len(payload), b''
    while n >= 0x80:
        varint += bytes([n & 0x7f | 0x80])
        n >>= 7
    return bytes([field << 3 | 2]) + varint + bytes([n]) + payload


def connect_agent(h, worker_id, session_token):
    """A worker agent's Connect stream, opened with its hello and left open:
    hodeid assigns the agent jobs (which it never runs) until it is closed."""
    hello = pb_len(1, worker_id.encode()) + pb_len(2, session_token.encode())
    c = RawH2(h.grpc_port)
    c.start()
    c.send(frame(HEADERS, 0x4, 1, grpc_headers('/hodei.WorkerAgentService/Connect')) +
           frame(DATA, 0, 1, grpc_message(pb_len(1, hello))))
    return c


def grpc_web(h, method, request):
    """One gRPC-Web call with a raw request message; the whole response body."""
    req = urllib.request.Request('http://127.0.0.1:%d/%s' % (h.http_port, method),
                                 data=grpc_message(request),
                                 headers={'Content-Type': 'application/grpc-web+proto',
                                          'X-Grpc-Web': '1'})
    return urllib.request.urlopen(req, timeout=10).read()


def scrape(h):
    """/metrics as {series with labels: value}."""
    text = urllib.request.urlopen('http://127.0.0.1:%d/metrics' % h.http_port,
                                  timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith('#'):
            name, value = line.rsplit(' ', 1)
            out[name] = float(value)
    return out


def documented_series():
    """The series README's Prometheus paragraph lists."""
    text = open(README).read()
    start = text.index('Prometheus can scrape')
    part = text[start:text.index('`/healthz`', start)]
    return set(re.findall(r'`(hodei_[a-z_]+)', part))


class ApiContract(Tests):
    # ---- bad_strings: a NUL is refused, never cut short; so is bad UTF-8 ----

    def test_bad_strings(self, d):
        h = self.hodeid(d, args=['--no-local-provider'])
        a = h.addr
        queue(a, 'keep', 'true')
        good = {'job_id': {'value': 'nul-1'}, 'name': 'n', 'command': 'echo',
                'arguments': ['a', 'b'], 'environment': {'K': 'v'}, 'labels': {'team': 'x'},
                'working_directory': '/tmp', 'provider': 'local'}
        cases = [
            ('name', 'n\0x', 'job_definition.name'),
            ('command', 'echo\0rm -rf /', 'job_definition.command'),
            ('arguments', ['a', 'b\0c'], 'job_definition.arguments[1]'),
            ('environment', {'K\0X': 'v'}, 'job_definition.environment.key'),
            ('environment', {'K': '\0'}, 'job_definition.environment.value'),
            ('labels', {'te\0am': 'x'}, 'job_definition.labels.key'),
            ('labels', {'team': 'x\0'}, 'job_definition.labels.value'),
            ('job_id', {'value': 'keep\0'}, 'job_definition.job_id.value'),
            ('working_directory', '/tmp\0/x', 'job_definition.working_directory'),
            ('provider', 'local\0', 'job_definition.provider'),
        ]
        for field, value, path in cases:
            definition = dict(good, **{field: value})
            refused(a, JOBS + 'QueueJob', {'job_definition': definition, 'queued_by': 'me'},
                    'invalid_argument', path + ': must not contain a NUL byte')
        refused(a, JOBS + 'QueueJob', {'job_definition': good, 'queued_by': 'me\0'},
                'invalid_argument', 'queued_by: must not contain a NUL byte')
        assert job_count(a) == 1
        # Ids: "keep\0..." must not reach the library as "keep".
        for method in ('GetJob', 'CancelJob', 'RetryJob'):
            refused(a, JOBS + method, {'job_id': 'keep\0'}, 'invalid_argument',
                    'job_id: must not contain a NUL byte')
        for method in ('StartJob', 'CompleteJob'):
            refused(a, JOBS + method, {'job_id': 'keep\0', 'attempt': 1, 'worker_id': 'w'},
                    'invalid_argument', 'job_id: must not contain a NUL byte')
        refused(a, JOBS + 'WatchJobs', {'job_ids': ['keep', 'keep\0']}, 'invalid_argument',
                'job_ids[1]: must not contain a NUL byte')
        refused(a, 'hodei.LogStreamService/GetLogs', {'job_id': 'keep\0'}, 'invalid_argument',
                'job_id: must not contain a NUL byte')
        # The worker protocol: Register, and a message on the Connect stream.
        refused(a, 'hodei.WorkerAgentService/Register', {'token': 't\0', 'worker_name': 'w'},
                'invalid_argument', 'token: must not contain a NUL byte')
        refused(a, 'hodei.WorkerAgentService/Connect',
                {'hello': {'worker_id': 'w\0', 'session_token': 's'}}, 'invalid_argument',
                'hello.worker_id: must not contain a NUL byte')
        refused(a, 'hodei.ProviderService/CreateProvider',
                {'provider': {'name': 'p\0', 'type': 'pool'}}, 'invalid_argument',
                'provider.name: must not contain a NUL byte')
        assert job_state(a, 'keep') == 'JOB_STATE_QUEUED'
        # gRPC-Web takes the same path.  Invalid UTF-8 (which no JSON client
        # can send) is refused too: a reply carrying it back would be
        # undecodable for conforming clients.
        for command, message in ((b'ec\0ho', b'command: must not contain a NUL byte'),
                                 (b'ec\xffho', b'command: must be valid UTF-8'),
                                 (b'\xed\xa0\x80', b'command: must be valid UTF-8')):
            definition = bytes([0x1a, len(command)]) + command
            resp = grpc_web(h, JOBS + 'QueueJob', bytes([0x0a, len(definition)]) + definition)
            assert resp[0] == 0x80 and b'grpc-status: 3' in resp, resp
            assert b'job_definition.' + message in resp, resp
        assert job_count(a) == 1
        providers = call(a, 'hodei.ProviderService/ListProviders', {}).get('providers', [])
        assert not [p for p in providers if p['name'].startswith('p')], providers
        assert h.alive()

    # ---- stored_bad_utf8: what an embedder stored as Latin-1 is served as UTF-8 ----

    def test_stored_bad_utf8(self, d):
        os.makedirs(os.path.join(d, 'data'))
        subprocess.run([os.environ['HODEI_SEED_LATIN1'], os.path.join(d, 'data', 'hodei.db')],
                       check=True)
        h = self.hodeid(d, args=['--no-local-provider'])
        a = h.addr
        # buf curl, like every conforming client, refuses a reply with a
        # string that is not UTF-8: each byte that is not becomes U+FFFD.
        listed = call(a, JOBS + 'ListJobs', {})['jobs']
        got = call(a, JOBS + 'GetJob', {'job_id': 'latin1'})['job']
        assert [j['id'] for j in listed] == ['latin1'], listed
        for job in (listed[0], got):
            definition = job['definition']
            assert definition['name'] == 'cr\ufffdme br\ufffdl\ufffde', job
            assert definition['arguments'] == ['caf\ufffd', 'ok', '\ufffd\ufffd'], job
            assert definition['environment'] == {'GREETING': 'ol\ufffd'}, job
            assert definition['labels'] == {'team': '\ufffdquipe'}, job
            assert job['queuedBy'] == 'Jos\ufffd', job
        providers = call(a, 'hodei.ProviderService/ListProviders', {})['providers']
        pool = [p for p in providers if p['name'] == 'latin1-pool']
        got = call(a, 'hodei.ProviderService/GetProvider', {'name': 'latin1-pool'})['provider']
        for provider in pool + [got]:
            assert provider['labels'] == {'site': 'M\ufffdlaga'}, provider
        assert len(pool) == 1 and h.alive(), providers

    # ---- worker_reports: StartJob and CompleteJob, authenticated and fenced ----

    def test_worker_reports(self, d):
        api = 'api-token-for-reports'
        auth = ['Authorization: Bearer ' + api]
        h = self.hodeid(d, args=['--no-local-provider', '--worker-timeout', '3600'],
                        env={'HODEI_JOIN_TOKEN': TOKEN, 'HODEI_API_TOKEN': api})
        a = h.addr
        # Two agents played by the test, which so knows their session tokens:
        # w1 connects and is given the job, w2 only registers.
        w1, w2 = (call(a, 'hodei.WorkerAgentService/Register',
                       {'token': TOKEN, 'worker_name': name}) for name in ('w1', 'w2'))
        # A join-token worker's name becomes its id: too long or with odd
        # characters it is refused by name, never cut short.
        refused(a, 'hodei.WorkerAgentService/Register', {'token': TOKEN, 'worker_name': 'w' * 64},
                'invalid_argument', 'worker_name: longer than 63 bytes')
        refused(a, 'hodei.WorkerAgentService/Register', {'token': TOKEN, 'worker_name': 'a b'},
                'invalid_argument', "worker_name: 'a b' has a character outside [A-Za-z0-9._:-]")
        assert call(a, 'hodei.WorkerAgentService/Register',
                    {'token': TOKEN, 'worker_name': 'w' * 63})['workerId'] == 'w' * 63
        agent = connect_agent(h, w1['workerId'], w1['sessionToken'])
        self.cleanup.append(agent.close)
        call(a, JOBS + 'QueueJob', {'job_definition': {
            'job_id': {'value': 'rep'}, 'command': 'sleep', 'arguments': ['300'],
            'max_retries': 0}}, auth)

        def state():
            return call(a, JOBS + 'GetJob', {'job_id': 'rep'}, auth)

        wait_for(lambda: state()['job']['state'] == 'JOB_STATE_ASSIGNED', what='rep assigned')
        before = state()
        assert before['job']['workerId'] == 'w1', before
        start = {'job_id': 'rep', 'attempt': 1, 'worker_id': 'w1',
                 'session_token': w1['sessionToken']}
        reports = {'StartJob': start, 'CompleteJob': dict(start, exit_code=0)}
        unknown = 'session_token: unknown worker or session'
        # Refused, and nothing recorded: no API token, a wrong one; no session
        # token, a wrong one, another worker's, a worker that is not there;
        # w2's own credentials (w2 does not hold the job), an unknown job, an
        # attempt w1 does not hold.
        for method, report in reports.items():
            refused(a, JOBS + method, report, 'unauthenticated', 'API token')
            refused(a, JOBS + method, report, 'unauthenticated', 'API token',
                    ['Authorization: Bearer not-' + api])
            anonymous = {k: v for k, v in report.items() if k != 'session_token'}
            refused(a, JOBS + method, anonymous, 'unauthenticated', 'session_token: required',
                    auth)
            for wrong in ('0' * len(w1['sessionToken']), w1['sessionToken'][:-1], 'x',
                          w2['sessionToken']):
                refused(a, JOBS + method, dict(report, session_token=wrong), 'unauthenticated',
                        unknown, auth)
            refused(a, JOBS + method, dict(report, worker_id='ghost'), 'unauthenticated',
                    unknown, auth)
            refused(a, JOBS + method, dict(report, worker_id='w2'), 'unauthenticated', unknown,
                    auth)
            refused(a, JOBS + method,
                    dict(report, worker_id='w2', session_token=w2['sessionToken']),
                    'failed_precondition', "'w2' does not hold attempt 1 of job 'rep'", auth)
            refused(a, JOBS + method, dict(report, job_id='nope'), 'failed_precondition',
                    "does not hold attempt 1 of job 'nope'", auth)
            refused(a, JOBS + method, dict(report, attempt=2), 'failed_precondition',
                    "does not hold attempt 2 of job 'rep'", auth)
            refused(a, JOBS + method, dict(report, job_id=''), 'invalid_argument', 'job_id',
                    auth)
            assert state() == before, (method, state(), before)
        # w1's report with its session token: RUNNING, once (a second StartJob
        # records nothing).
        for _ in range(2):
            started = call(a, JOBS + 'StartJob', start, auth)
            assert started['job']['state'] == 'JOB_STATE_RUNNING', started
        running = state()
        states = [t['state'] for t in running['history']]
        assert states.count('JOB_STATE_RUNNING') == 1, running['history']
        assert len(running['history']) == len(before['history']) + 1, (before, running)
        # CompleteJob ends it; a second one is refused and records nothing.
        done = call(a, JOBS + 'CompleteJob', dict(start, exit_code=7), auth)
        assert done['job']['state'] == 'JOB_STATE_FAILED' and done['job']['exitCode'] == 7, done
        after = state()
        for method, report in reports.items():
            refused(a, JOBS + method, report, 'failed_precondition',
                    "does not hold attempt 1 of job 'rep'", auth)
        assert state() == after
        states = [t['state'] for t in after['history']]
        assert states.count('JOB_STATE_RUNNING') == 1 and states.count('JOB_STATE_FAILED') == 1, \
            after['history']
        assert states[-1] == 'JOB_STATE_FAILED' and after['job']['attempt'] == 1, after
        assert len(after['history']) == len(running['history']) + 1, (running, after)
        assert h.alive()

    # ---- metrics: the documented series, with values that add up ----

    def test_metrics(self, d):
        h = self.hodeid(d)
        a = h.addr
        queue(a, 'm-ok', 'sh', ['-c', 'echo one; echo two'])
        queue(a, 'm-fail', 'false')
        assert wait_state(a, 'm-ok', FINAL) == 'JOB_STATE_SUCCEEDED'
        assert wait_state(a, 'm-fail', FINAL) == 'JOB_STATE_FAILED'
        m = scrape(h)
        names = {k.split('{')[0] for k in m}
        names |= {n[:-len(s)] for n in names for s in ('_bucket', '_sum', '_count')
                  if n.endswith(s)}
        documented = documented_series()
        assert len(documented) >= 14, documented
        assert documented <= names, documented - names
        assert m['hodei_jobs{state="succeeded"}'] == 1 and m['hodei_jobs{state="failed"}'] == 1, m
        assert m['hodei_jobs{state="queued"}'] == 0 and m['hodei_queue_depth'] == 0, m
        assert m['hodei_jobs_running'] == 0, m
        assert m['hodei_log_lines_captured_total'] >= 2, m
        assert m['hodei_job_duration_seconds_count'] == 2, m
        assert m['hodei_job_duration_seconds_bucket{le="+Inf"}'] == 2, m
        buckets = [v for k, v in m.items() if k.startswith('hodei_job_duration_seconds_bucket')]
        assert buckets == sorted(buckets), buckets
        assert m['hodei_job_duration_seconds_sum'] >= 0 and m['hodei_uptime_seconds'] > 0, m
        assert m['hodei_workers'] >= 1 and 0 <= m['hodei_workers_idle'] <= m['hodei_workers'], m
        assert m['hodei_provider_status{provider="local",status="active"}'] == 1, m
        assert 0 <= m['hodei_provider_health_score{provider="local",type="local"}'] <= 100, m
        assert m['hodei_provider_jobs{provider="local"}'] == 0, m
        # One failed call between two scrapes counts once, in both counters,
        # on a connection counted while it is open.
        c = RawH2(h.grpc_port)
        c.start()
        c.send(frame(HEADERS, 0x4, 1, grpc_headers('/' + JOBS + 'GetJob')) +
               frame(DATA, 0x1, 1, grpc_message(pb_string(1, 'nope'))))
        _, trailers = c.frames_until(lambda f: f[0] == HEADERS and f[1] & 0x1 and f[2] == 1)
        assert trailers, 'no trailers for the GetJob call'
        m2 = wait_for(lambda: (lambda m2: m2 if m2['hodei_grpc_connections'] >= 1 else None)(
            scrape(h)), what='the connection counted')
        assert m2['hodei_grpc_calls_total'] - m['hodei_grpc_calls_total'] == 1, (m, m2)
        assert m2['hodei_grpc_calls_failed_total'] - m['hodei_grpc_calls_failed_total'] == 1
        assert m2['hodei_log_lines_captured_total'] == m['hodei_log_lines_captured_total']
        c.close()
        wait_for(lambda: scrape(h)['hodei_grpc_connections'] == 0, what='the connection gone')

    # ---- secrets: tokens stay out of logs and replies ----

    def test_secrets(self, d):
        api, join = 'api-SECRET-4f1c', 'join-SECRET-9b2e'
        provider_token, wrong = 'provider-SECRET-77aa', 'guess-SECRET-0d0d'
        auth = ['Authorization: Bearer ' + api]
        h = self.hodeid(d, args=['--no-local-provider', '--log-level', 'debug'],
                        env={'HODEI_JOIN_TOKEN': join, 'HODEI_API_TOKEN': api})
        a = h.addr
        replies = []

        def api_call(method, body=None):
            replies.append(json.dumps(call(a, method, body or {}, auth)))
            return json.loads(replies[-1])

        api_call('hodei.ProviderService/CreateProvider', {'provider': {
            'name': 'pool-1', 'type': 'pool', 'endpoint': 'http://x', 'token': provider_token}})
        api_call('hodei.ProviderService/UpdateProvider', {'provider': {
            'name': 'pool-1', 'type': 'pool', 'endpoint': 'http://y', 'token': provider_token}})
        got = api_call('hodei.ProviderService/GetProvider', {'name': 'pool-1'})['provider']
        assert got['hasToken'] and '***' in got['configJson'], got
        # A worker joins with the join token; a probe registers to see the
        # session secret hodeid hands out.
        self.worker(h, 'w1', join, d)
        wait_for(lambda: api_call('hodei.WorkerAgentService/ListWorkers').get('workers'),
                 what='the worker to register')
        session = call(a, 'hodei.WorkerAgentService/Register',
                       {'token': join, 'worker_name': 'probe'})['sessionToken']
        assert len(session) >= 16, session
        api_call(JOBS + 'QueueJob', {'job_definition': {
            'job_id': {'value': 's-1'}, 'command': 'sh', 'arguments': ['-c', 'echo hi']}})
        wait_for(lambda: api_call(JOBS + 'GetJob', {'job_id': 's-1'})['job']['state'] in FINAL,
                 what='s-1 to finish')
        # Wrong credentials, refused.
        for creds in (wrong, api[:-1]):
            rc, _, err = buf_curl(a, JOBS + 'ListJobs', {}, ['Authorization: Bearer ' + creds])
            assert rc != 0 and 'unauthenticated' in err, err
        rc, _, err = buf_curl(a, 'hodei.WorkerAgentService/Register',
                              {'token': wrong, 'worker_name': 'intruder'})
        assert rc != 0 and 'unauthenticated' in err, err
        # The unary worker reports carry the session token: neither a right
        # one (the probe holds no job) nor a wrong one is logged or echoed.
        for token, code in ((session, 'failed_precondition'), (wrong, 'unauthenticated')):
            rc, _, err = buf_curl(a, JOBS + 'CompleteJob', {
                'job_id': 's-1', 'attempt': 1, 'worker_id': 'probe', 'session_token': token},
                auth)
            assert rc != 0 and code in err, err
            replies.append(err)
        for method, body in (('hodei.ProviderService/ListProviders', {}),
                             ('hodei.ProviderService/GetProviderHealthLog', {'name': 'pool-1'}),
                             (JOBS + 'ListJobs', {}), (JOBS + 'GetJob', {'job_id': 's-1'}),
                             ('hodei.LogStreamService/GetLogs', {'job_id': 's-1'}),
                             ('hodei.MetricsService/GetAggregatedMetrics', {}),
                             ('hodei.SchedulerService/GetQueueStatus', {}),
                             ('hodei.WorkerAgentService/ListWorkers', {})):
            api_call(method, body)
        replies.append(urllib.request.urlopen('http://127.0.0.1:%d/metrics' % h.http_port,
                                              timeout=10).read().decode())
        h.stop()
        log = h.logtext()
        assert 'worker registered' in log and 'provider created name=pool-1' in log, log
        for secret in (api, join, provider_token, wrong, session, api[:-1]):
            assert secret not in log, 'hodeid logged a secret (%s...)' % secret[:8]
            for r in replies:
                assert secret not in r, 'a reply holds a secret (%s...): %s' % (secret[:8], r)


GROUPS = {
    'bad_strings': ['bad_strings'],
    'stored_bad_utf8': ['stored_bad_utf8'],
    'worker_reports': ['worker_reports'],
    'metrics': ['metrics'],
    'secrets': ['secrets'],
}

if __name__ == '__main__':
    ensure_buf()
    names = []
    for g in sys.argv[1:] or GROUPS:
        names += GROUPS.get(g, [g])
    sys.exit(ApiContract().run(names))
