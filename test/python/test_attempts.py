"""A job queued again (a retry, automatic or on request) starts its new
attempt empty; the history keeps what happened to the earlier ones."""
import hodei


def test_retried_attempt_starts_empty(ctx, tmp_path, fifo):
    """After a retry, the running attempt shows nothing of the last one's
    run (finish time, exit code, CPU, memory); the history keeps it."""
    mark = tmp_path / "ran-once"
    script = ('if [ -e %s ]; then read x < %s; exit 0; fi; touch %s; exit 3'
              % (mark, fifo.path, mark))
    job = ctx.submit(command=script, shell=True)
    first = job.wait()
    assert first.state == hodei.State.FAILED and first.exit_code == 3
    assert first.finished_at is not None and first.started_at is not None

    with ctx.subscribe(job_id=job.id, types=hodei.EventType.JOB_STATE) as sub:
        job.retry()
        queued = job.refresh()
        assert queued.attempt == 2
        # QUEUED, or already running attempt 2: either way not finished
        assert queued.finished_at is None and queued.exit_code == -1
        while job.refresh().state != hodei.State.RUNNING:
            sub.next()
        running = job.refresh()
    assert running.attempt == 2
    assert running.started_at is not None and running.started_at >= first.finished_at
    assert running.finished_at is None and running.duration is None
    assert running.exit_code == -1 and running.term_signal == 0
    assert running.cpu_time == 0 and running.max_rss_kb == 0

    history = [(t.attempt, t.state) for t in job.history()]
    assert (1, hodei.State.FAILED) in history
    assert (2, hodei.State.RUNNING) in history
    fifo.release()
    done = job.wait()
    assert done.state == hodei.State.SUCCEEDED and done.attempt == 2
    assert done.finished_at is not None and done.exit_code == 0
