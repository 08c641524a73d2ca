"""Context settings, providers, workers, log sweep, library lookup."""
import pytest

import hodei


def test_settings(db):
    with hodei.Context(db, read_env=False, log_retention_days=3) as ctx:
        assert ctx.log_retention_days == 3
        assert ctx.max_queue_size is None  # unlimited
    with hodei.Context(db, read_env=False, max_queue_size=5) as ctx:
        assert ctx.max_queue_size == 5


def test_environment_is_read_unless_told_not_to(db, monkeypatch):
    monkeypatch.setenv("HODEI_LOG_RETENTION_DAYS", "9")
    with hodei.Context(db) as ctx:
        assert ctx.log_retention_days == 9
    with hodei.Context(db, read_env=False) as ctx:
        assert ctx.log_retention_days == 7


def test_local_provider_and_its_workers(ctx):
    names = [p.name for p in ctx.providers()]
    assert "local" in names
    local = next(p for p in ctx.providers() if p.name == "local")
    assert local.type == "local"
    job = ctx.submit(command="true")
    job.wait()
    assert job.info.provider == "local"
    for worker in ctx.workers():
        assert worker.provider == "local"
        assert worker.id


def test_no_local_provider_leaves_jobs_queued(db):
    with hodei.Context(db, read_env=False, local_provider=False) as ctx:
        job = ctx.submit(command="true")
        assert "local" not in [p.name for p in ctx.providers()]
        assert job.refresh().state == hodei.State.QUEUED
        with pytest.raises(hodei.Timeout):
            job.wait(timeout=0)


def test_sweep_keeps_recent_logs(ctx):
    job = ctx.submit(command="echo", args=["kept"])
    job.wait()
    assert ctx.sweep_logs() == 0
    assert list(job.logs()) == ["kept"]


def test_path_like_database(tmp_path):
    with hodei.Context(tmp_path / "jobs.db", read_env=False) as ctx:
        assert ctx.submit(command="true").wait().succeeded
    assert (tmp_path / "jobs.db").exists()
