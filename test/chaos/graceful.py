#!/usr/bin/env python3
"""Graceful stops of hodeid (issue 13.4), with real processes.

- grace 0: a running job survives five SIGTERM restarts, each an orderly
  stop that queues it again as the same attempt, and ends SUCCEEDED with
  attempt 1 and its retries untouched;
- a long grace: SIGTERM refuses submits with UNAVAILABLE, starts nothing
  that is queued, and hodeid exits once the running job ended.
The job waits on a fifo that only the test writes: no sleeps, no timing.
"""
import os
import signal
import tempfile

from common import (Hodeid, QUEUED, SUCCEEDED, fifo_write, free_port, job_state, lines, queue,
                    read_store, ends, wait_for)


def graceful_setup(d):
    fifo = os.path.join(d, 'fifo')
    os.mkfifo(fifo)
    markers = os.path.join(d, 'markers')
    # The job waits on the fifo, which only this test writes.
    script = ('echo "start $HODEI_JOB_ATTEMPT $$" >>%s; read x <%s; echo "end $HODEI_JOB_ATTEMPT"'
              ' >>%s' % (markers, fifo, markers))
    return fifo, markers, script


def test_survives_sigterm_restarts(d):
    """Grace 0: five SIGTERM restarts stop the job each time; it runs
    again as the same attempt, before a job queued after it (it keeps its
    place), and ends SUCCEEDED, its retries untouched."""
    fifo, markers, script = graceful_setup(d)
    h = Hodeid(d, ['--shutdown-grace', '0', '--local-workers', '1'], grpc_port=free_port())
    h.start()
    rc, out, err = queue(h.addr, 'g-restarts', script)
    assert rc == 0, err
    wait_for(lambda: len(lines(markers)) == 1, 30, 'start 1')
    rc, out, err = queue(h.addr, 'g-behind', 'echo behind >>%s' % markers)
    assert rc == 0, err
    for i in range(1, 6):
        wait_for(lambda: len(lines(markers)) == i, 30, 'start %d' % i)
        assert h.stop() == 0
        h.start()
    wait_for(lambda: len(lines(markers)) == 6, 30, 'start 6')
    fifo_write(fifo)
    wait_for(lambda: (job_state(h.addr, 'g-behind') or {}).get('state') == 'SUCCEEDED', 30,
             'the job behind it to end')
    assert h.stop() == 0
    assert lines(markers)[-2:] == ['end 1', 'behind'], lines(markers)
    assert all(m.startswith('start 1 ') for m in lines(markers)[:-2]), lines(markers)
    jobs, hist = read_store(os.path.join(d, 'data'))
    job = jobs['g-restarts']
    assert job['state'] == SUCCEEDED and job['attempt'] == 1, job
    h6 = hist[job['seq']]
    stops = [r for r in h6 if 'orderly shutdown' in r[2]]
    assert len(stops) == 5 and all(r[0] == 1 and r[1] == QUEUED for r in stops), h6
    assert not [r for r in h6 if r[1] == 5], 'no FAILED row: %r' % h6
    assert ends(h6) == [SUCCEEDED], h6


def test_grace_lets_job_end(d):
    """A grace long enough: SIGTERM refuses new submits (UNAVAILABLE),
    starts nothing queued, and hodeid exits once the running job ended."""
    fifo, markers, script = graceful_setup(d)
    h = Hodeid(d, ['--shutdown-grace', '600', '--local-workers', '1'], grpc_port=free_port())
    h.start()
    assert queue(h.addr, 'g-running', script)[0] == 0
    wait_for(lambda: len(lines(markers)) == 1, 30, 'the job to start')
    waiting = os.path.join(d, 'waiting')
    rc, out, err = queue(h.addr, 'g-waiting', 'touch %s' % waiting)
    assert rc == 0, err
    h.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: 'waiting for running jobs' in h.logtext(), 30, 'the stop to begin')
    rc, out, err = queue(h.addr, 'g-refused', 'true')
    assert rc != 0 and 'the server is stopping' in err, (rc, err)
    assert h.alive(), 'hodeid stopped before its running job ended'
    fifo_write(fifo)
    h.proc.wait(60)
    assert h.proc.returncode == 0, h.logtext()
    assert lines(markers) == ['start 1 ' + lines(markers)[0].split()[2], 'end 1'], lines(markers)
    assert not os.path.exists(waiting), 'a queued job started during the grace'
    jobs, hist = read_store(os.path.join(d, 'data'))
    assert jobs['g-running']['state'] == SUCCEEDED, jobs['g-running']
    assert jobs['g-waiting']['state'] == QUEUED, jobs['g-waiting']
    assert 'g-refused' not in jobs
    assert 'running jobs ended' in h.logtext()


def main():
    for t in (test_survives_sigterm_restarts, test_grace_lets_job_end):
        with tempfile.TemporaryDirectory(prefix='hodei-chaos-') as d:
            t(d)
            print('ok', t.__name__)


if __name__ == '__main__':
    main()
