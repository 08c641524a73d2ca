"""The cffi declarations match the headers; the package installs offline."""
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BINDINGS = os.path.join(ROOT, "bindings", "python")


@pytest.mark.skipif(shutil.which(os.environ.get("CC", "cc")) is None, reason="no C compiler")
def test_cdef_matches_headers():
    """_cdef.py is what gen_cdef.py makes from include/hodei: no drift."""
    proc = subprocess.run([sys.executable, os.path.join(BINDINGS, "gen_cdef.py"), "--check",
                           "--include", os.path.join(ROOT, "include")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _headers_of_hodei_h():
    """hodei.h and the headers it includes, transitively (the embedding API
    the binding covers; client.h, the gRPC client, is not part of it)."""
    import re
    seen, todo = [], [os.path.join(ROOT, "include", "hodei", "hodei.h")]
    while todo:
        path = os.path.normpath(todo.pop())
        if path in seen:
            continue
        seen.append(path)
        with open(path) as f:
            for name in re.findall(r'#include "([^"]+)"', f.read()):
                todo.append(os.path.join(os.path.dirname(path), name))
    return seen


def test_every_public_function_is_declared():
    """Each HODEI_EXTERN function of hodei.h's headers is callable through cffi."""
    import re

    import hodei
    from hodei._native import lib
    names = set()
    for path in _headers_of_hodei_h():
        with open(path) as f:
            names.update(re.findall(r"HODEI_EXTERN[^(;]*?\b(hodei_\w+)\s*\(", f.read()))
    assert len(names) > 50
    missing = [n for n in sorted(names) if not hasattr(lib, n)]
    assert missing == []
    assert hodei.version() == "0.1.0"


def test_library_path_honours_env():
    import hodei
    assert os.path.samefile(hodei.library_path(), os.environ["HODEI_LIBRARY"])


def test_pip_install_offline(tmp_path):
    # pip builds in the source directory: build a copy, not the checkout.
    source = tmp_path / "src"
    shutil.copytree(BINDINGS, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target",
                           str(target), str(source)], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The installed copy works on its own (library from HODEI_LIBRARY).
    check = ("import hodei, sys; "
             "assert hodei.__file__.startswith(sys.argv[1]), hodei.__file__; "
             "print(hodei.version())")
    env = dict(os.environ, PYTHONPATH=str(target))
    proc = subprocess.run([sys.executable, "-c", check, str(target)], capture_output=True,
                          text=True, env=env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0.1.0"


@pytest.mark.skipif(shutil.which(os.environ.get("CC", "cc")) is None, reason="no C compiler")
def test_struct_layouts_match_the_compiler(tmp_path):
    """cffi's ABI-mode layout of every public struct (size, each field's
    offset) is what the C compiler gives."""
    import re

    from hodei._cdef import CDEF
    from hodei._native import ffi
    names = sorted(set(re.findall(r"typedef struct (\w+) \{", CDEF)))
    assert "hodei_job_spec" in names and "hodei_event" in names
    checks = []
    expected = []
    for name in names:
        checks.append('printf("%%s %%zu\\n", "%s", sizeof(%s));' % (name, name))
        expected.append("%s %d" % (name, ffi.sizeof(name)))
        for field, _ in ffi.typeof(name).fields:
            checks.append('printf("%%s.%%s %%zu\\n", "%s", "%s", offsetof(%s, %s));'
                          % (name, field, name, field))
            expected.append("%s.%s %d" % (name, field, ffi.offsetof(name, field)))
    source = tmp_path / "layout.c"
    source.write_text("#include <stddef.h>\n#include <stdio.h>\n#include <hodei/hodei.h>\n"
                      "int main(void)\n{\n%s\nreturn 0;\n}\n" % "\n".join(checks))
    exe = tmp_path / "layout"
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-I", os.path.join(ROOT, "include"), "-o", str(exe), str(source)],
                   check=True)
    got = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    assert got.splitlines() == expected
