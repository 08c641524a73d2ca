"""Fixtures for the Python binding tests.

meson test sets HODEI_LIBRARY (the freshly built libhodei) and PYTHONPATH
(bindings/python); run by hand from the repository root with

    HODEI_LIBRARY=build/lib/libhodei.so PYTHONPATH=bindings/python \
        /usr/bin/python3 -m pytest test/python
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BINDINGS = os.path.join(ROOT, "bindings", "python")
if BINDINGS not in sys.path:
    sys.path.insert(0, BINDINGS)

import hodei  # noqa: E402


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "jobs.db")


@pytest.fixture
def ctx(db):
    with hodei.Context(db, read_env=False, local_workers=4, kill_grace=1) as c:
        yield c


@pytest.fixture
def fifo(tmp_path):
    """A named pipe a job blocks on (`read x < FIFO`) until release() is
    called: how tests hold a job running without sleeping."""

    class Gate:
        path = str(tmp_path / "gate")

        def release(self, n=1):
            for _ in range(n):
                with open(self.path, "w") as f:
                    f.write("go\n")

    os.mkfifo(Gate.path)
    return Gate()
