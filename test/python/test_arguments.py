"""Every wrong argument is refused with a HodeiError subclass that names it:
never cffi's OverflowError or TypeError, Python's ValueError or
AttributeError, and never silently turned into something else (env
{"X": None} once ran the job with X=None)."""
import logging

import pytest

import hodei

# (what is called, with what, the name the message must start with)
BAD_SUBMITS = [
    ({"timeout": "10"}, "timeout"),
    ({"timeout": float("nan")}, "timeout"),
    ({"timeout": -1}, "timeout"),
    ({"timeout": True}, "timeout"),
    ({"cpu_millis": -5}, "cpu_millis"),
    ({"cpu_millis": 2 ** 32}, "cpu_millis"),
    ({"cpu_millis": "1000"}, "cpu_millis"),
    ({"memory_bytes": -1}, "memory_bytes"),
    ({"memory_bytes": 1.5}, "memory_bytes"),
    ({"max_retries": 2 ** 40}, "max_retries"),
    ({"max_retries": None}, "max_retries"),
    ({"priority": 2 ** 40}, "priority"),
    ({"priority": 1.5}, "priority"),
    ({"args": 5}, "args"),
    ({"args": "ls -l"}, "args"),
    ({"args": ["ok", None]}, "args[1]"),
    ({"env": 5}, "env"),
    ({"env": {"X": None}}, "env[0]"),
    ({"env": {"OK": "1", "X": 3}}, "env[1]"),
    ({"env": {"A=B": "C"}}, "env[0]"),
    ({"env": {"PATH=/tmp:/bin": "x"}}, "env[0]"),
    ({"env": {"": "x"}}, "env[0]"),
    ({"env": {"A\0B": "x"}}, "env[0]"),
    ({"env": {"X": "a\0b"}}, "env[0]"),
    ({"env": {5: "x"}}, "env[0]"),
    ({"env": ["A=1", None]}, "env[1]"),
    ({"labels": {"a=b": "c"}}, "labels[0]"),
    ({"labels": {"team": None}}, "labels[0]"),
    ({"name": 5}, "name"),
    ({"workdir": b"/tmp\0x"}, "workdir"),
    ({"timout": 5}, "timout"),
]


@pytest.mark.parametrize("fields,name", BAD_SUBMITS, ids=[repr(f) for f, _ in BAD_SUBMITS])
def test_submit_refuses_by_name(ctx, fields, name):
    for call in (ctx.submit, ctx.validate):
        with pytest.raises(hodei.InvalidArgument) as e:
            call(command="true", **fields)
        assert e.value.message.startswith(name + ":"), e.value.message
        assert e.value.code == -4
    assert ctx.count() == 0  # nothing was queued


def test_submit_many_names_the_spec(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.submit_many([{"command": "true"}, {"command": "true", "env": {"X": None}}])
    assert e.value.index == 1 and e.value.message.startswith("env[0]:")
    for bad, name in ((5, "specs"), ("true", "specs"), ([{"command": "true"}, 7], "specs[1]")):
        with pytest.raises(hodei.InvalidArgument) as e:
            ctx.submit_many(bad)
        assert e.value.message.startswith(name + ":"), e.value.message
    assert ctx.count() == 0


def test_env_from_a_dict_is_exactly_what_was_given(ctx, tmp_path):
    out = tmp_path / "env.txt"
    job = ctx.submit(command="sh", args=["-c", 'printf "%s|%s" "$A" "$B" > ' + str(out)],
                     env={"A": "x=y", "B": b"bytes"})
    assert job.wait().state == hodei.State.SUCCEEDED
    assert out.read_text() == "x=y|bytes"


BAD_CONTEXT = [
    ({"local_workers": -1}, "local_workers"),
    ({"local_workers": 100000}, "local_workers"),
    ({"local_workers": "4"}, "local_workers"),
    ({"local_workers": True}, "local_workers"),
    ({"max_queue_size": "10"}, "max_queue_size"),
    ({"max_queue_size": -2}, "max_queue_size"),
    ({"log_retention_days": 10 ** 12}, "log_retention_days"),
    ({"kill_grace": "1"}, "kill_grace"),
    ({"kill_grace": 0}, "kill_grace"),
    ({"worker_idle": float("inf")}, "worker_idle"),
    ({"retry_backoff": -1}, "retry_backoff"),
    ({"diagnostics": "loud"}, "diagnostics"),
]


@pytest.mark.parametrize("options,name", BAD_CONTEXT, ids=[repr(o) for o, _ in BAD_CONTEXT])
def test_context_refuses_by_name(db, options, name):
    with pytest.raises(hodei.InvalidArgument) as e:
        hodei.Context(db, read_env=False, **options)
    assert e.value.message.startswith(name + ":"), e.value.message


def test_context_accepts_the_limits(db):
    with hodei.Context(db, read_env=False, local_workers=4096, diagnostics=logging.ERROR) as c:
        assert c.count() == 0


def test_job_handles_and_queries(ctx):
    calls = [
        (lambda: ctx.job(None), "job_id"),
        (lambda: ctx.job(5), "job_id"),
        (lambda: ctx.job("a\0b"), "job_id"),
        (lambda: hodei.Job(ctx, None), "job_id"),
        (lambda: ctx.jobs(limit="10"), "limit"),
        (lambda: ctx.jobs(limit=-1), "limit"),
        (lambda: ctx.jobs(state=5.0), "state"),
        (lambda: ctx.jobs(state=-1), "state"),
        (lambda: ctx.jobs(state=2 ** 40), "state"),
        (lambda: ctx.count(state=[None]), "state"),
        (lambda: ctx.metrics(None), "range"),
        (lambda: ctx.subscribe(types="all"), "types"),
        (lambda: ctx.subscribe(max_queued=-1), "max_queued"),
        (lambda: ctx.subscribe(callback=5), "callback"),
        (lambda: ctx.subscribe(job_id=5), "job_id"),
    ]
    for call, name in calls:
        with pytest.raises(hodei.HodeiError) as e:
            call()
        assert e.value.message.startswith(name + ":"), (name, e.value.message)


def test_job_methods(ctx):
    job = ctx.submit(command="true")
    job.wait()
    calls = [
        (lambda: job.wait(timeout="10"), "timeout"),
        (lambda: job.wait(timeout=-1), "timeout"),
        (lambda: list(job.logs(after="x")), "after"),
        (lambda: list(job.logs(after=-1)), "after"),
        (lambda: list(job.logs(max_queued=-1)), "max_queued"),
        (lambda: list(job.logs(level=2 ** 40)), "level"),
        (lambda: list(job.logs(contains=5)), "contains"),
    ]
    for call, name in calls:
        with pytest.raises(hodei.HodeiError) as e:
            call()
        assert e.value.message.startswith(name + ":"), (name, e.value.message)
    with ctx.subscribe() as sub:
        for bad in ("1", float("nan")):
            with pytest.raises(hodei.InvalidArgument) as e:
                sub.wait(timeout=bad)
            assert e.value.message.startswith("timeout:")
