"""Exercise the binding across many contexts, for test_leaks.py to run
under a leak checker (valgrind, or LeakSanitizer in an ASan build).  Every
path that hands C memory to Python is taken: job snapshots, lists, logs
(plain and followed), events (queued, callbacks that raise), metrics,
errors.  --leak-on-purpose leaks one job snapshot, so the
test can check that the checker does see leaks.  --lenient: do not check
what the jobs printed (under valgrind 3.19, which lacks pidfd_open, libhodei
cannot start them; every binding path is still taken)."""
import argparse
import asyncio
import os
import sys
import tempfile

import hodei
from hodei._native import ffi, lib


def one_context(path, i, lenient):
    with hodei.Context(path, read_env=False, local_workers=2) as ctx:
        raised = []

        def bad_callback(ev):
            raised.append(ev)
            raise RuntimeError("callback raises on purpose")

        cb_sub = ctx.subscribe(bad_callback)
        queued = ctx.subscribe(types=hodei.EventType.JOB_STATE)
        job = ctx.submit(name="leak-%d" % i, command="sh",
                         args=["-c", "echo hello; echo 'ERROR x' >&2; exit %d" % (i % 2)],
                         env={"A": "1"}, labels={"k": "v"}, timeout=30)
        lines = list(job.logs(follow=True))
        info = job.wait()
        if not lenient:
            assert [str(x) for x in lines] == ["hello", "ERROR x"], lines
            assert info.exit_code == i % 2
        if info.state == hodei.State.FAILED:
            job.retry()
            asyncio.run(job.wait_async())
        queued.drain()
        ctx.jobs()
        ctx.count(state="failed")
        job.history()
        ctx.metrics("1h")
        ctx.providers()
        ctx.workers()
        for bad in (lambda: ctx.submit(command=""), lambda: ctx.job("missing"),
                    lambda: ctx.metrics("2w")):
            try:
                bad()
            except hodei.HodeiError:
                pass
        # Left open on purpose: close() of the context must close them.
        assert not cb_sub.closed and not queued.closed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--contexts", type=int, default=10)
    ap.add_argument("--leak-on-purpose", action="store_true")
    # Under valgrind 3.19 jobs cannot start (no pidfd_open): check no results.
    ap.add_argument("--lenient", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.contexts):
            one_context(os.path.join(tmp, "jobs-%d.db" % (i % 3)), i, args.lenient)
        if args.leak_on_purpose:
            with hodei.Context(os.path.join(tmp, "x.db"), read_env=False) as ctx:
                job = ctx.submit(command="true")
                job.wait()
                out = ffi.new("hodei_job **")
                lib.hodei_job_get(out, ctx._ptr(), job.id.encode())  # never freed
    print("leak_script: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
