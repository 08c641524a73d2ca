"""The Python side of the binding benchmark: submit N `true` jobs to a fresh
database through the binding, wait for each, print the elapsed seconds.

    bench_submit.py DB N [WORKERS]
"""
import sys
import time

import hodei


def main():
    db, n = sys.argv[1], int(sys.argv[2])
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else None
    with hodei.Context(db, read_env=False, local_workers=workers) as ctx:
        start = time.monotonic()
        jobs = [ctx.submit(command="true") for _ in range(n)]
        for job in jobs:
            if job.wait().state != hodei.State.SUCCEEDED:
                print("bench_submit.py: job %s did not succeed" % job.id, file=sys.stderr)
                return 1
        print("%.6f" % (time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
