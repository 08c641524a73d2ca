"""Bad input raises the right exception, with the library's code and message."""
import pytest

import hodei


def test_hierarchy():
    for cls in (hodei.NotFound, hodei.AlreadyExists, hodei.InvalidArgument, hodei.QueueFull,
                hodei.InvalidState, hodei.IOFailure, hodei.NotADatabase, hodei.Timeout):
        assert issubclass(cls, hodei.HodeiError)
    assert issubclass(hodei.InvalidArgument, ValueError)
    assert issubclass(hodei.NotFound, LookupError)
    assert issubclass(hodei.Timeout, TimeoutError)


def test_empty_command(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.submit(command="")
    assert e.value.code == -4
    assert "command" in e.value.message
    assert str(e.value) == e.value.message


def test_missing_command(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.submit(name="no command")
    assert "command" in str(e.value)


def test_bad_env_name_names_the_entry(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.submit(command="true", env={"OK": "1", "1X": "y"})
    assert "env[1]" in e.value.message


def test_negative_timeout(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.submit(command="true", timeout=-1)
    assert "timeout" in e.value.message


def test_bad_priority_uses_library_parser(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.submit(command="true", priority="urgent")
    assert e.value.code == -4 and e.value.message


def test_bad_job_id(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.submit(id="no spaces allowed", command="true")
    assert "id" in e.value.message


def test_duplicate_id(ctx):
    ctx.submit(id="job-001", command="true")
    with pytest.raises(hodei.AlreadyExists) as e:
        ctx.submit(id="job-001", command="true")
    assert e.value.code == -3
    assert "job-001" in e.value.message


def test_unknown_job(ctx):
    with pytest.raises(hodei.NotFound) as e:
        ctx.job("nope")
    assert e.value.code == -2
    assert "nope" in e.value.message
    with pytest.raises(hodei.NotFound):
        hodei.Job(ctx, "nope").cancel()
    with pytest.raises(hodei.NotFound):
        list(hodei.Job(ctx, "nope").logs())


def test_bad_state_filter(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.jobs(state="exploded")
    assert e.value.message


def test_bad_metrics_range(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.metrics(range="2w")
    assert e.value.code == -4 and e.value.message


def test_nul_byte_in_argument(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.submit(command="echo", args=["a\0b"])
    assert "args[0]" in e.value.message


def test_args_must_be_a_list(ctx):
    with pytest.raises(hodei.InvalidArgument):
        ctx.submit(command="echo", args="hello")


def test_batch_reports_bad_index(ctx):
    with pytest.raises(hodei.InvalidArgument) as e:
        ctx.submit_many([{"command": "true"}, {"command": "true"}, {"command": ""}])
    assert e.value.index == 2
    assert ctx.count() == 0  # all or nothing


def test_validate_without_queueing(ctx):
    ctx.validate(command="true")
    with pytest.raises(hodei.InvalidArgument):
        ctx.validate(command="")
    assert ctx.count() == 0


def test_queue_full(db):
    with hodei.Context(db, read_env=False, max_queue_size=1, local_provider=False) as ctx:
        ctx.submit(command="true")
        with pytest.raises(hodei.QueueFull) as e:
            ctx.submit(command="true")
        assert e.value.code == -5 and e.value.message
        assert ctx.max_queue_size == 1


def test_store_in_use(db):
    """A second Context on a store another one holds (hodeid's, say) is
    refused at once, naming the holder's pid; the first is untouched."""
    import os
    with hodei.Context(db, read_env=False, local_provider=False) as first:
        first.submit(command="true")
        with pytest.raises(hodei.StoreLocked) as e:
            hodei.Context(db, read_env=False)
        assert e.value.code == -15
        assert "process %d " % os.getpid() in e.value.message
        assert first.count() == 1
    with hodei.Context(db, read_env=False, local_provider=False) as again:
        assert again.count() == 1


def test_not_a_database(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("this is not sqlite\n" * 100)
    with pytest.raises(hodei.NotADatabase) as e:
        hodei.Context(str(path), read_env=False)
    assert e.value.code == -8 and e.value.message


def test_unopenable_path(tmp_path):
    with pytest.raises(hodei.HodeiError) as e:
        hodei.Context(str(tmp_path / "missing-dir" / "jobs.db"), read_env=False)
    assert e.value.code in (-7, -4)


def test_bad_option(db):
    with pytest.raises(hodei.InvalidArgument):
        hodei.Context(db, kill_grace=-1)


def test_closed_context(db):
    ctx = hodei.Context(db, read_env=False)
    job = ctx.submit(command="true")
    ctx.close()
    ctx.close()  # idempotent
    assert ctx.closed
    with pytest.raises(hodei.ContextClosed):
        ctx.submit(command="true")
    with pytest.raises(hodei.ContextClosed):
        job.wait()


def test_message_is_per_call(ctx):
    with pytest.raises(hodei.InvalidArgument) as first:
        ctx.submit(command="")
    with pytest.raises(hodei.NotFound) as second:
        ctx.job("missing-job")
    assert first.value.message != second.value.message
