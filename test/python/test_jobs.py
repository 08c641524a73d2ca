"""Real jobs through the binding: exit codes, environment, logs, timeouts,
cancel, retry, priorities, listing, metrics."""
import os
import threading

import pytest

import hodei
from hodei import State


def test_true_succeeds(ctx):
    job = ctx.submit(name="ok", command="true")
    info = job.wait()
    assert info.state == State.SUCCEEDED == "succeeded"
    assert info.exit_code == 0
    assert info.succeeded
    assert info.name == "ok"
    assert info.attempt == 1
    assert info.finished_at is not None and info.started_at is not None
    assert job.state == State.SUCCEEDED  # reads through to job.info


def test_exit_code_fails(ctx):
    info = ctx.submit(command="sh", args=["-c", "exit 3"]).wait()
    assert info.state == State.FAILED
    assert info.exit_code == 3
    assert info.args == ["-c", "exit 3"]


def test_signal_is_recorded(ctx):
    info = ctx.submit(command="sh", args=["-c", "kill -9 $$"]).wait()
    assert info.state == State.FAILED
    assert info.term_signal == 9


def test_environment_is_exactly_env_plus_hodei_vars(ctx):
    job = ctx.submit(command="sh", args=["-c", 'echo "$FOO|$HODEI_JOB_ID|$HODEI_JOB_NAME|$HOME"'],
                     env={"FOO": "bar baz"}, name="envtest")
    info = job.wait()
    assert info.succeeded
    assert info.env == {"FOO": "bar baz"}
    assert list(job.logs()) == ["bar baz|%s|envtest|" % job.id]


def test_env_as_list_and_shell_flag(ctx):
    job = ctx.submit(command='echo "$A-$B"', shell=True, env=["A=1", "B=2"])
    assert job.wait().shell
    assert list(job.logs()) == ["1-2"]


def test_logs_in_order_with_streams_and_levels(ctx):
    script = "for i in $(seq 1 300); do echo line-$i; done; echo 'ERROR broke' >&2; echo 'WARN: careful'"
    job = ctx.submit(command="sh", args=["-c", script])
    assert job.wait().succeeded
    lines = list(job.logs())
    assert [x.seq for x in lines] == sorted(x.seq for x in lines)
    assert len({x.seq for x in lines}) == len(lines) == 302
    assert lines[0].stream == hodei.Stream.STDOUT and lines[0].level == hodei.Level.INFO
    err = next(x for x in lines if x == "ERROR broke")
    assert err.stream == hodei.Stream.STDERR and err.level == hodei.Level.ERROR
    # stdout and stderr are separate pipes: only each stream's own order is kept.
    stdout = [str(x) for x in lines if x.stream == hodei.Stream.STDOUT]
    assert stdout == ["line-%d" % i for i in range(1, 301)] + ["WARN: careful"]
    warn = next(x for x in lines if x == "WARN: careful")
    assert warn.level == hodei.Level.WARN
    assert lines[0].ts is not None and lines[0].attempt == 1


def test_logs_filters(ctx):
    job = ctx.submit(command="sh", args=["-c", "echo apple; echo 'ERROR pear'; echo apricot"])
    job.wait()
    assert list(job.logs(contains="ap")) == ["apple", "apricot"]
    assert list(job.logs(level="error")) == ["ERROR pear"]
    first = list(job.logs())[0]
    assert list(job.logs(after=first.seq)) == ["ERROR pear", "apricot"]


def test_binary_output_keeps_bytes(ctx):
    job = ctx.submit(command="printf", args=["a\\377b\\n"])
    job.wait()
    (line,) = list(job.logs())
    assert line.data == b"a\xffb"
    assert line == "a\ufffdb"


def test_follow_sees_history_then_live_lines(ctx, fifo):
    job = ctx.submit(command="sh", args=["-c", "echo one; echo two; read x < %s; echo three; exit 4"
                                         % fifo.path])
    seen = []
    for line in job.logs(follow=True):
        seen.append(str(line))
        if line == "two":
            fifo.release()  # the job can only print "three" after we saw "two"
    assert seen == ["one", "two", "three"]
    assert job.wait().exit_code == 4


def test_follow_of_finished_job_returns_history(ctx):
    job = ctx.submit(command="sh", args=["-c", "echo a; echo b"])
    job.wait()
    assert list(job.logs(follow=True)) == ["a", "b"]


def test_follow_many_lines_without_gaps(ctx, fifo):
    # Start following while the job is blocked, then let it write a lot at once.
    job = ctx.submit(command="sh", args=["-c", "echo ready; read x < %s; seq 1 5000" % fifo.path])
    lines = job.logs(follow=True)
    assert next(lines) == "ready"
    fifo.release()
    rest = [int(x) for x in lines]
    assert rest == list(range(1, 5001))


def test_timeout(ctx):
    info = ctx.submit(command="sleep", args=["60"], timeout=0.2).wait()
    assert info.state == State.TIMED_OUT
    assert info.timeout == pytest.approx(0.2)


def test_cancel_running_job(ctx, fifo):
    job = ctx.submit(command="sh", args=["-c", "echo started; read x < %s" % fifo.path])
    for line in job.logs(follow=True):
        if line == "started":
            job.cancel()
    info = job.wait()
    assert info.state == State.CANCELLED
    with pytest.raises(hodei.InvalidState) as e:
        job.cancel()
    assert e.value.code == -6 and e.value.message


def test_cancel_queued_job(db, fifo):
    with hodei.Context(db, read_env=False, local_workers=1) as ctx:
        blocker = ctx.submit(command="sh", args=["-c", "read x < %s" % fifo.path])
        queued = ctx.submit(command="true")
        queued.cancel()
        assert queued.wait(timeout=30).state == State.CANCELLED
        fifo.release()
        assert blocker.wait().succeeded


def test_retry_failed_job(ctx):
    job = ctx.submit(command="sh", args=["-c", "echo attempt $HODEI_JOB_ATTEMPT; exit 1"])
    assert job.wait().state == State.FAILED
    job.retry()
    info = job.wait()
    assert info.state == State.FAILED and info.attempt == 2
    assert list(job.logs()) == ["attempt 1", "attempt 2"]
    assert [x.attempt for x in job.logs()] == [1, 2]
    states = [t.state for t in job.history()]
    assert states.count(State.FAILED) == 2 and states[0] == State.QUEUED


def test_retry_succeeded_job_is_invalid_state(ctx):
    job = ctx.submit(command="true")
    job.wait()
    with pytest.raises(hodei.InvalidState):
        job.retry()


def test_automatic_retries(db):
    with hodei.Context(db, read_env=False, retry_backoff=0.01) as ctx:
        info = ctx.submit(command="false", max_retries=2).wait()
        assert info.state == State.FAILED
        assert info.attempt == 3
        assert info.max_retries == 2


def test_strict_priorities(db, tmp_path, fifo):
    order = tmp_path / "order.txt"
    with hodei.Context(db, read_env=False, local_workers=1) as ctx:
        blocker = ctx.submit(command="sh", args=["-c", "read x < %s" % fifo.path])
        jobs = [ctx.submit(command="sh", args=["-c", "echo %s >> %s" % (p, order)], priority=p)
                for p in ("low", "normal", "high", "critical", "normal", "high")]
        fifo.release()
        blocker.wait()
        for job in jobs:
            assert job.wait().succeeded
    assert order.read_text().split() == ["critical", "high", "high", "normal", "normal", "low"]
    assert jobs[3].info.priority == hodei.Priority.CRITICAL


def test_caller_chosen_id_and_labels(ctx):
    job = ctx.submit(id="job-001", command="true", labels={"team": "data"}, queued_by="pytest")
    assert job.id == "job-001"
    info = job.wait()
    assert info.labels == {"team": "data"}
    assert info.queued_by == "pytest"
    assert ctx.job("job-001").info.id == "job-001"


def test_list_and_count_by_state(ctx):
    ok = [ctx.submit(command="true") for _ in range(3)]
    bad = [ctx.submit(command="false", name="bad-%d" % i) for i in range(2)]
    for job in ok + bad:
        job.wait()
    failed = ctx.jobs(state="failed")
    assert sorted(j.id for j in failed) == sorted(j.id for j in bad)
    assert all(j.info.state == State.FAILED for j in failed)
    assert ctx.count(state="failed") == 2
    assert ctx.count(state=["failed", State.SUCCEEDED]) == 5
    assert len(ctx.jobs()) == 5
    assert len(ctx.jobs(limit=2)) == 2
    assert [j.id for j in ctx.jobs(search="bad-", order="oldest")] == [j.id for j in bad]
    newest = ctx.jobs(order="newest")
    assert [j.id for j in newest] == [j.id for j in reversed(ok + bad)]


def test_list_pages_through_cursor(ctx):
    jobs = ctx.submit_many([{"command": "true"} for _ in range(1205)])
    assert len(jobs) == 1205
    for job in jobs:
        job.wait()
    listed = ctx.jobs(order="oldest")
    assert [j.id for j in listed] == [j.id for j in jobs]


def test_metrics(ctx):
    ctx.submit(command="true").wait()
    ctx.submit(command="false").wait()
    m = ctx.metrics(range="24h")
    assert m.range == "24h"
    assert m.jobs_total == 2
    assert m.jobs_by_state[State.SUCCEEDED] == 1
    assert m.jobs_by_state[State.FAILED] == 1
    assert m.success_rate == pytest.approx(0.5)
    assert len(m.buckets) == 24
    assert sum(b.succeeded for b in m.buckets) == 1
    assert len(m.duration_bounds) == 12 and len(m.duration_hist) == 13
    assert ctx.metrics("1h").range == "1h"


def test_waits_from_many_threads(ctx):
    jobs = [ctx.submit(command="sh", args=["-c", "exit %d" % (i % 3)]) for i in range(12)]
    results = {}

    def wait(job):
        results[job.id] = job.wait().exit_code

    threads = [threading.Thread(target=wait, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[j.id] for j in jobs] == [i % 3 for i in range(12)]


def test_wait_timeout_raises(ctx, fifo):
    job = ctx.submit(command="sh", args=["-c", "read x < %s" % fifo.path])
    with pytest.raises(hodei.Timeout) as e:
        job.wait(timeout=0.05)
    assert isinstance(e.value, TimeoutError)
    fifo.release()
    assert job.wait().succeeded


def test_jobs_survive_reopen(db):
    with hodei.Context(db, read_env=False) as ctx:
        job_id = ctx.submit(command="echo", args=["persisted"]).id
        ctx.job(job_id).wait()
    with hodei.Context(db, read_env=False) as ctx:
        job = ctx.job(job_id)
        assert job.info.succeeded
        assert list(job.logs()) == ["persisted"]


def test_subscription_callback_sees_states(ctx):
    seen = []
    done = threading.Event()

    def on_event(ev):
        seen.append(ev.state)
        if ev.state is not None and ev.state.final:
            done.set()

    job = None
    with ctx.subscribe(on_event, types=hodei.EventType.JOB_STATE):
        job = ctx.submit(command="true")
        job.wait()
        assert done.wait(30)
    assert seen[-1] == State.SUCCEEDED
    assert State.RUNNING in seen


def test_subscription_callback_that_raises_is_logged(ctx, caplog):
    calls = []

    def boom(ev):
        calls.append(ev)
        raise RuntimeError("callback failure")

    with ctx.subscribe(boom, types=hodei.EventType.JOB_STATE):
        ctx.submit(command="true").wait()
        with ctx.subscribe(types=hodei.EventType.JOB_STATE) as q:
            ctx.submit(command="true").wait()
            assert q.next(timeout=30) is not None
    assert len(calls) >= 2  # still called after raising
    assert "callback failure" in caplog.text


def test_queue_subscription_next_and_iteration(ctx):
    with ctx.subscribe(types=hodei.EventType.JOB_STATE) as sub:
        assert sub.fileno() >= 0
        assert sub.poll() is None
        job = ctx.submit(command="true")
        states = []
        for ev in sub:
            assert ev.job_id == job.id
            states.append(ev.state)
            if ev.state.final:
                break
    assert states[0] in (State.QUEUED, State.ASSIGNED)
    assert states[-1] == State.SUCCEEDED
    assert sub.closed


def test_follow_recovers_lines_dropped_by_a_full_queue(ctx, fifo, fifo2):
    """With a tiny live queue that overflows while we are not reading, the
    missed lines come back from the store: all, once, in order."""
    job = ctx.submit(command="sh", args=["-c", "read x < %s; echo ready; read x < %s; seq 1 3000"
                                         % (fifo.path, fifo2.path)])
    lines = job.logs(follow=True, max_queued=8)
    opener = threading.Thread(target=fifo.release)
    opener.start()  # the job prints "ready" only once we are following live
    assert next(lines) == "ready"
    opener.join()
    fifo2.release()
    assert job.wait().succeeded  # all 3000 lines are out before we read on
    assert [int(x) for x in lines] == list(range(1, 3001))


def test_progress_is_reported(ctx):
    job = ctx.submit(command="sh", args=["-c", "echo ::progress::40; echo done"])
    info = job.wait()
    assert info.progress == 40
    progress_line = next(x for x in job.logs() if "::progress::" in x)
    assert progress_line.level == hodei.Level.DEBUG
    assert ctx.submit(command="true").wait().progress is None


def test_follow_spans_automatic_retries(db):
    with hodei.Context(db, read_env=False, retry_backoff=0.01) as ctx:
        job = ctx.submit(command="sh", args=["-c", "echo try $HODEI_JOB_ATTEMPT; exit 1"],
                         max_retries=2)
        lines = list(job.logs(follow=True))
        assert [str(x) for x in lines if x.stream == hodei.Stream.STDOUT] == [
            "try 1", "try 2", "try 3"]
        assert job.wait(timeout=30).attempt == 3


def test_secret_env_masked_and_encrypted(ctx, db):
    secret = "py-s3cret/value"
    job = ctx.submit(command='echo "got $S"; echo "$S" | base64', shell=True,
                     env={"PLAIN": "x"}, secret_env={"S": secret})
    info = job.wait()
    assert info.succeeded
    assert info.secret_env == {"S": "***"}
    assert "S=" + secret not in str(info)
    lines = list(job.logs())
    assert lines[0] == "got ***", lines
    assert all(secret not in line for line in lines)
    key = str(db) + ".key"
    assert os.stat(key).st_mode & 0o777 == 0o600
    for path in (str(db), str(db) + "-wal", key):
        if os.path.exists(path):
            assert secret.encode() not in open(path, "rb").read(), path
