"""Memory ownership: run leak_script.py under valgrind and fail on any
definitely/indirectly/possibly lost block allocated through libhodei, and
on any invalid free or invalid access (a double free shows up as one)."""
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
LEAK_KINDS = ("Leak_DefinitelyLost", "Leak_IndirectlyLost", "Leak_PossiblyLost")
BAD_ACCESS = ("InvalidFree", "MismatchedFree", "InvalidRead", "InvalidWrite")

pytestmark = [
    pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed"),
    pytest.mark.skipif("asan" in os.environ.get("LD_PRELOAD", ""),
                       reason="an ASan build cannot run under valgrind"),
]


def _frames(error):
    for frame in error.iter("frame"):
        yield (frame.findtext("obj") or "", frame.findtext("fn") or "")


def _involves_hodei(error):
    return any("libhodei" in obj or fn.startswith("hodei_") for obj, fn in _frames(error))


def run_under_valgrind(tmp_path, *script_args):
    xml = tmp_path / "valgrind.xml"
    env = dict(os.environ, PYTHONMALLOC="malloc")
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(HERE, "..", "..", "bindings", "python"),
                                         env.get("PYTHONPATH", "")])
    cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
           "--xml=yes", "--xml-file=%s" % xml, "--child-silent-after-fork=yes",
           sys.executable, os.path.join(HERE, "leak_script.py"), *script_args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "leak_script: ok" in proc.stdout
    root = ET.parse(xml).getroot()
    leaks, bad = [], []
    for error in root.iter("error"):
        kind = error.findtext("kind")
        if kind in LEAK_KINDS and _involves_hodei(error):
            leaks.append(ET.tostring(error, encoding="unicode"))
        elif kind in BAD_ACCESS and _involves_hodei(error):
            bad.append(ET.tostring(error, encoding="unicode"))
    return leaks, bad


def test_no_leaks_across_many_contexts(tmp_path):
    leaks, bad = run_under_valgrind(tmp_path, "--contexts", "12")
    assert bad == []
    assert leaks == []


def test_checker_sees_a_deliberate_leak(tmp_path):
    leaks, bad = run_under_valgrind(tmp_path, "--contexts", "1", "--leak-on-purpose")
    assert bad == []
    assert any("hodei_job_get" in leak for leak in leaks)
