"""Memory ownership: run leak_script.py (many contexts opened and closed,
every path that hands C memory to Python, callbacks that raise) under a
leak checker, and fail on any lost block allocated through libhodei and on
any invalid free or access (a double free shows up as one).

In an ASan build (meson sets LD_PRELOAD to libasan) the checker is
LeakSanitizer; otherwise valgrind.  Either way only reports whose stack
passes through libhodei count: the interpreter's own allocations are not
ours.  A second run leaks one job snapshot on purpose to show the checker
does catch a leak.

Under LeakSanitizer two things make "passes through libhodei" hold for
every leak of ours, not only for those a hodei_* call allocated:
- each frame names its module (stack_trace_format ... %m): a block that a
  static callback allocated on the loop thread has no hodei_ name on its
  stack, only ../lib/<file>.c and libevent;
- the slow unwinder (fast_unwind_on_malloc=0): the fast one follows frame
  pointers, which Debian's libevent and SQLite do not keep, so a stack
  allocated through event_new() or sqlite3_*() ends before reaching the
  libhodei frames that called them."""
import glob
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BINDINGS = os.path.join(HERE, "..", "..", "bindings", "python")
ASAN = "asan" in os.environ.get("LD_PRELOAD", "")
LEAK_KINDS = ("Leak_DefinitelyLost", "Leak_IndirectlyLost", "Leak_PossiblyLost")
BAD_ACCESS = ("InvalidFree", "MismatchedFree", "InvalidRead", "InvalidWrite")

pytestmark = pytest.mark.skipif(not ASAN and shutil.which("valgrind") is None,
                                reason="neither an ASan build nor valgrind")


def _script_env(**extra):
    env = dict(os.environ, PYTHONMALLOC="malloc", **extra)
    env["PYTHONPATH"] = os.pathsep.join([BINDINGS, env.get("PYTHONPATH", "")])
    return env


def _run(cmd, env):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1100)
    return proc, proc.stdout + proc.stderr


def _valgrind(tmp_path, script_args):
    xml = tmp_path / "valgrind.xml"
    cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
           "--keep-debuginfo=yes", "--xml=yes", "--xml-file=%s" % xml,
           "--child-silent-after-fork=yes",
           sys.executable, os.path.join(HERE, "leak_script.py"), "--lenient", *script_args]
    proc, output = _run(cmd, _script_env())
    assert proc.returncode == 0 and "leak_script: ok" in proc.stdout, output
    leaks, bad = [], []
    for error in ET.parse(xml).getroot().iter("error"):
        frames = [(f.findtext("obj") or "", f.findtext("fn") or "") for f in error.iter("frame")]
        if not any("libhodei" in obj or fn.startswith("hodei_") for obj, fn in frames):
            continue
        text = ET.tostring(error, encoding="unicode")
        if error.findtext("kind") in LEAK_KINDS:
            leaks.append(text)
        elif error.findtext("kind") in BAD_ACCESS:
            bad.append(text)
    return leaks, bad


def _lsan(tmp_path, script_args):
    log = tmp_path / "lsan"
    options = ":".join(["detect_leaks=1", "fast_unwind_on_malloc=0", "log_path=%s" % log,
                        "stack_trace_format='    #%n %p %F %L in %m'"])
    cmd = [sys.executable, os.path.join(HERE, "leak_script.py"), *script_args]
    env = _script_env(ASAN_OPTIONS=options, UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    proc, output = _run(cmd, env)
    reports = "".join(open(p).read() for p in glob.glob(str(log) + ".*"))
    assert "leak_script: ok" in proc.stdout, output + reports
    bad = re.findall(r"ERROR: AddressSanitizer: [^\n]*", reports)
    blocks = re.split(r"\n(?=(?:Direct|Indirect) leak of )", reports)
    leaks = [b for b in blocks if re.match(r"(?:Direct|Indirect) leak of ", b)
             and re.search(r" in \S*libhodei\S*$", b, re.MULTILINE)]
    return leaks, bad


def run_checked(tmp_path, *script_args):
    return (_lsan if ASAN else _valgrind)(tmp_path, script_args)


def test_no_leaks_across_many_contexts(tmp_path):
    leaks, bad = run_checked(tmp_path, "--contexts", "12")
    assert bad == []
    assert leaks == [], "\n".join(leaks)


def test_checker_sees_a_deliberate_leak(tmp_path):
    leaks, bad = run_checked(tmp_path, "--contexts", "1", "--leak-on-purpose")
    assert bad == []
    # own-loop mode: hodei_job_get() hands the call to the loop thread, so the
    # snapshot's stack is the loop's, through the store's hodei__store_load_job
    assert any("hodei__store_load_job" in leak for leak in leaks)
