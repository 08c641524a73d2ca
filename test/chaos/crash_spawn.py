#!/usr/bin/env python3
"""Issue 13.3: hodeid killed between a job's spawn and the commit of its pid.

HODEI_TEST_CRASH_AT=spawn makes hodeid _exit right after it started a local
job's process, before ASSIGNED/RUNNING with the pid is committed: the job is
still QUEUED in the store, its first copy runs on, orphaned.  The next start
must kill that copy (it carries the store's mark, HODEI_LOCAL_RUN) before it
runs the job again, so only one copy ever works: the first copy is gone when
the second starts, and the job ends once, SUCCEEDED as attempt 1.  Run with
cgroup containment where the machine allows it and with subreapers (no
cgroup: only the mark finds the orphan).  The jobs wait on a fifo that only
the test writes: no sleeps, no timing.
"""
import os
import tempfile

from common import Hodeid, SUCCEEDED, ends, fifo_write, free_port, job_state, lines, queue, \
    read_store, wait_for

CRASH_STATUS = 86  # HODEI__TEST_CRASH_STATUS (lib/internal.h)


def dead(pid):
    """Gone, or a zombie nobody reaped (re-parented to an init that does not)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] in ('Z', 'X')
    except FileNotFoundError:
        return True


def crash_between_spawn_and_commit(d, containment):
    fifo = os.path.join(d, 'fifo')
    os.mkfifo(fifo)
    markers = os.path.join(d, 'markers')
    script = ('echo "start $HODEI_JOB_ATTEMPT $$" >>%s; read x <%s; '
              'echo "end $HODEI_JOB_ATTEMPT $$" >>%s' % (markers, fifo, markers))
    env = {'HODEI_TEST_CRASH_AT': 'spawn'}
    if containment:
        env['HODEI_JOB_CONTAINMENT'] = containment
    h = Hodeid(d, ['--local-workers', '1'], env=env, grpc_port=free_port()).start()
    queue(h.addr, 'crash-1', script)  # its answer may be lost: hodeid dies at the spawn
    h.proc.wait(30)
    assert h.proc.returncode == CRASH_STATUS, (h.proc.returncode, h.logtext())
    wait_for(lambda: len(lines(markers)) == 1, 30, 'the first copy to start')
    first = int(lines(markers)[0].split()[2])
    assert not dead(first), 'the first copy should still run: it is the orphan'

    h.env.pop('HODEI_TEST_CRASH_AT')
    h.start()
    wait_for(lambda: len(lines(markers)) == 2, 30, 'the second copy to start')
    assert dead(first), 'the first copy still runs next to the second: %s' % lines(markers)
    fifo_write(fifo)
    wait_for(lambda: (job_state(h.addr, 'crash-1') or {}).get('state') == 'SUCCEEDED', 30,
             'the job to end')
    assert h.stop() == 0
    m = lines(markers)
    second = int(m[1].split()[2])
    assert m == ['start 1 %d' % first, 'start 1 %d' % second, 'end 1 %d' % second], m
    if containment == 'subreaper':  # with cgroups, the dead spawner's cgroup went first
        assert 'killed 1 process(es) of local jobs' in h.logtext(), h.logtext()
    jobs, hist = read_store(os.path.join(d, 'data'))
    job = jobs['crash-1']
    assert job['state'] == SUCCEEDED and job['attempt'] == 1, job
    assert ends(hist[job['seq']]) == [SUCCEEDED], hist[job['seq']]


def main():
    for containment in (None, 'subreaper'):
        with tempfile.TemporaryDirectory(prefix='hodei-chaos-crash-') as d:
            crash_between_spawn_and_commit(d, containment)
            print('ok crash_between_spawn_and_commit', containment or 'default')


if __name__ == '__main__':
    main()
