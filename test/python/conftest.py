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


def _gate(path):
    """A named pipe a job blocks on (`read x < FIFO`) until release() is
    called: how tests hold a job running without sleeping.  One read per
    gate: a second `read < FIFO` could open it while the first writer is
    still there and see end of file."""

    class Gate:

        def release(self, n=1):
            for _ in range(n):
                with open(self.path, "w") as f:
                    f.write("go\n")

    Gate.path = str(path)
    os.mkfifo(Gate.path)
    return Gate()


@pytest.fixture
def fifo(tmp_path):
    return _gate(tmp_path / "gate")


@pytest.fixture
def fifo2(tmp_path):
    return _gate(tmp_path / "gate2")
