"""Binding overhead: N `true` jobs submitted and awaited through the C API
(bench-python-c) and through the Python binding (bench_submit.py), in
alternating rounds of one run, each on a fresh database.  Prints a markdown
table and, with --output, writes it to RESULTS.md.

    run_bench.py --c BUILD/bench/python/bench-python-c [--jobs 2000] [--rounds 3]

Ratio = C time / Python time: 1.0 means the binding costs nothing; the
target is at least 0.9.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, env):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit("run_bench.py: %s failed:\n%s" % (" ".join(cmd), out.stderr))
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--c", required=True, help="path of the bench-python-c program")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=0, help="local workers (0: CPUs)")
    ap.add_argument("--output", help="write the markdown here (e.g. RESULTS.md)")
    args = ap.parse_args()
    env = dict(os.environ)
    # The library of the build the C program belongs to, unless told.
    env.setdefault("HODEI_LIBRARY", os.path.join(
        os.path.dirname(os.path.abspath(args.c)), "..", "..", "lib", "libhodei.so"))
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(HERE, "..", "..", "bindings", "python"), env.get("PYTHONPATH", "")])
    c_times, py_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            extra = [str(args.workers)] if args.workers else []
            c_times.append(timed([args.c, os.path.join(tmp, "c-%d.db" % r), str(args.jobs)]
                                 + extra, env))
            py_times.append(timed([args.python, os.path.join(HERE, "bench_submit.py"),
                                   os.path.join(tmp, "py-%d.db" % r), str(args.jobs)] + extra,
                                  env))
    c_med, py_med = statistics.median(c_times), statistics.median(py_times)
    ratio = c_med / py_med
    lines = [
        "# Python binding benchmark",
        "",
        "%d `true` jobs submitted, then each awaited, on a fresh database, through the C API "
        "(`bench/python/bench_submit.c`) and through the Python binding "
        "(`bench/python/bench_submit.py`); %d alternating rounds in one run, median shown. "
        "Ratio = C time / Python time (target >= 0.9)." % (args.jobs, args.rounds),
        "",
        "| | median s | jobs/s | rounds (s) |",
        "|---|---|---|---|",
        "| C | %.3f | %.0f | %s |" % (c_med, args.jobs / c_med,
                                      ", ".join("%.3f" % t for t in c_times)),
        "| Python | %.3f | %.0f | %s |" % (py_med, args.jobs / py_med,
                                           ", ".join("%.3f" % t for t in py_times)),
        "",
        "**Ratio: %.3f** (%s)" % (ratio, "meets the 0.9 target" if ratio >= 0.9
                                  else "BELOW the 0.9 target"),
        "",
        "Machine: %s, %d CPUs, Python %s; measured %s UTC." % (
            platform.platform(), os.cpu_count(), platform.python_version(),
            time.strftime("%Y-%m-%d %H:%M", time.gmtime())),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
