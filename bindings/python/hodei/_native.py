"""Loading libhodei and calling it: the only module that touches cffi's
`lib` directly besides the converters.

The declarations come from _cdef.py, generated from the public headers.
The library is found, in this order, at:

  1. $HODEI_LIBRARY (a path to libhodei.so; no fallback when it is set),
  2. a meson build tree of the source checkout this package sits in
     (<repo>/build*/lib/libhodei.so, the newest first; sanitizer builds
     only in a process that has the ASan runtime),
  3. the system: ctypes.util.find_library("hodei"), then the libdir that
     `pkg-config --variable=libdir libhodei` reports.

It is loaded on first use, so `import hodei` works without it.
"""
import ctypes.util
import glob
import json
import os
import subprocess
import threading

import cffi

from ._cdef import CDEF
from . import errors

ffi = cffi.FFI()
ffi.cdef(CDEF)

# Enum values and #defines of the headers, without loading libhodei.
C = ffi.dlopen(None)

_lock = threading.Lock()
_lib = None
_lib_path = None


def _sanitized(build_dir):
    """True for a meson build dir configured with -Db_sanitize=...: its
    library aborts a process that was not started with the ASan runtime."""
    try:
        with open(os.path.join(build_dir, "meson-info", "intro-buildoptions.json")) as f:
            options = json.load(f)
    except (OSError, ValueError):
        return False
    return any(o.get("name") == "b_sanitize" and o.get("value") not in ("none", [], "")
               for o in options)


def _asan_loaded():
    try:
        with open("/proc/self/maps") as f:
            return "libasan" in f.read()
    except OSError:
        return False


def _build_tree_candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", "..", ".."))
    if not os.path.isfile(os.path.join(root, "include", "hodei", "hodei.h")):
        return []
    found = glob.glob(os.path.join(root, "build*", "lib", "libhodei.so"))
    if not _asan_loaded():
        found = [p for p in found if not _sanitized(os.path.dirname(os.path.dirname(p)))]
    return sorted(found, key=os.path.getmtime, reverse=True)


def _system_candidates():
    name = ctypes.util.find_library("hodei")
    if name:
        yield name
    try:
        out = subprocess.run(["pkg-config", "--variable=libdir", "libhodei"],
                             capture_output=True, text=True, check=False)
    except OSError:
        return
    libdir = out.stdout.strip()
    if out.returncode == 0 and libdir:
        yield os.path.join(libdir, "libhodei.so")


def candidates():
    """Where the library is looked for, in order."""
    env = os.environ.get("HODEI_LIBRARY")
    if env:
        return [env]
    return _build_tree_candidates() + list(_system_candidates())


def load():
    """The loaded libhodei (cffi lib object); loads it on first call."""
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for path in candidates():
            try:
                # Never unloaded: its loop threads may outlive the lib object
                # at interpreter exit.
                lib = ffi.dlopen(path, ffi.RTLD_NOW | ffi.RTLD_NODELETE)
            except OSError as e:
                tried.append("%s: %s" % (path, e))
                continue
            _lib_path = path
            _lib = lib
            return lib
        raise OSError("libhodei not found (set HODEI_LIBRARY to its path); tried: %s"
                      % ("; ".join(tried) or "nothing"))


def library_path():
    load()
    return _lib_path


class _LazyLib:
    """`lib.hodei_x(...)` loads libhodei on first use."""

    def __getattr__(self, name):
        value = getattr(load(), name)
        setattr(self, name, value)  # later lookups skip __getattr__
        return value


lib = _LazyLib()


def error_from(code):
    """The exception for a failed call that just returned `code`.

    Must be called right after that call, on the same thread, before any
    other libhodei call: the message is the library's thread-local one."""
    message = ffi.string(_lib.hodei_error_last()).decode("utf-8", "replace")
    if not message:
        message = ffi.string(_lib.hodei_strerror(code)).decode("utf-8", "replace")
    return errors.from_code(code, message)


def check(code):
    """Raise the matching HodeiError when a libhodei call failed."""
    if code < 0:
        raise error_from(code)
    return code


def text(ptr):
    """A borrowed or owned `char *` as str (None for NULL)."""
    if ptr == ffi.NULL:
        return None
    return ffi.string(ptr).decode("utf-8", "replace")


def strings(array, count):
    return [text(array[i]) for i in range(count)]


def encode(value, field):
    """str, bytes or os.PathLike as bytes for a `const char *` argument."""
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, os.PathLike):
        data = os.fsencode(value)
    else:
        raise errors.InvalidArgument("%s: expected a string, not %s"
                                     % (field, type(value).__name__))
    if b"\0" in data:
        raise errors.InvalidArgument("%s: must not contain a NUL byte" % field)
    return data


class Arena:
    """Keeps the C copies of Python strings alive for one call."""

    def __init__(self):
        self._keep = []

    def string(self, value, field):
        if value is None:
            return ffi.NULL
        buf = ffi.new("char[]", encode(value, field))
        self._keep.append(buf)
        return buf

    def string_array(self, values, field):
        """(const char *const *, count) for a list of strings."""
        values = list(values)
        if not values:
            return ffi.NULL, 0
        bufs = [self.string(v, "%s[%d]" % (field, i)) for i, v in enumerate(values)]
        array = ffi.new("const char *[]", bufs)
        self._keep.append(array)
        return array, len(bufs)

    def keep(self, cdata):
        self._keep.append(cdata)
        return cdata
