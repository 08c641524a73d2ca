"""Hodei Jobs for Python: run the libhodei scheduler in-process.

    import hodei

    with hodei.Context("jobs.db") as ctx:
        job = ctx.submit(name="hello", command="echo", args=["hi"], priority="high",
                         timeout=60)
        for line in job.logs(follow=True):
            print(line)
        print(job.wait().exit_code)

See README.md beside this package.
"""
from ._native import ffi, library_path
from .context import Context
from .errors import (AlreadyExists, AuthenticationFailed, ContextClosed, HodeiError,
                     InvalidArgument, InvalidState, IOFailure, NoSpace, NotADatabase, NotFound,
                     OutOfMemory, QueueFull, StoreLocked, Timeout, TryAgain, Unavailable,
                     VersionMismatch)
from .events import Subscription
from .job import Job
from .types import (Event, EventType, JobInfo, Level, LogLine, Metrics, MetricsBucket,
                    Priority, ProviderInfo, State, Stream, Transition, WorkerInfo)

__version__ = "0.1.0"


def version():
    """The loaded libhodei's version string."""
    from ._native import lib, text
    return text(lib.hodei_version())


__all__ = [
    "Context", "Job", "Subscription", "version", "library_path", "ffi",
    "HodeiError", "NotFound", "AlreadyExists", "InvalidArgument", "QueueFull",
    "InvalidState", "ContextClosed", "IOFailure", "NotADatabase", "Timeout",
    "OutOfMemory", "TryAgain", "Unavailable", "AuthenticationFailed", "VersionMismatch",
    "StoreLocked", "NoSpace",
    "Event", "EventType", "JobInfo", "Level", "LogLine", "Metrics", "MetricsBucket",
    "Priority", "ProviderInfo", "State", "Stream", "Transition", "WorkerInfo",
]
