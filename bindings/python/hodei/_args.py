"""Checking what callers pass before it reaches C.

Every function here either returns a value that fits the C type it is
meant for, or raises InvalidArgument naming the argument: a wrong type or
range never surfaces as cffi's OverflowError or TypeError, nor as Python's
ValueError from a conversion.  What the library itself checks (a job id's
characters, the timeout's upper bound, an environment name) is left to it,
so the rules and messages are the library's.
"""
import math
import operator

from . import errors
from ._native import C, encode, error_from, ffi, lib

INT = (-2 ** 31, 2 ** 31 - 1)
UINT = (0, 2 ** 32 - 1)
INT64 = (-2 ** 63, 2 ** 63 - 1)
UINT64 = (0, 2 ** 64 - 1)
SIZE = (0, 2 ** (8 * ffi.sizeof("size_t")) - 1)


def invalid(message):
    return errors.InvalidArgument(message, C.HODEI_EINVAL)


def _kind(value):
    return type(value).__name__


def integer(value, field, bounds=INT, minimum=None):
    """An int for a C integer of `bounds` (and >= minimum if given).
    bool is refused: True is not a number of workers."""
    if isinstance(value, bool):
        raise invalid("%s: expected an integer, not bool" % field)
    try:
        n = operator.index(value)
    except TypeError:
        raise invalid("%s: expected an integer, not %s" % (field, _kind(value))) from None
    lo, hi = bounds
    if minimum is not None:
        lo = max(lo, minimum)
    if not lo <= n <= hi:
        raise invalid("%s: must be from %d to %d, not %d" % (field, lo, hi, n))
    return n


def seconds_ms(value, field, *, positive=False):
    """A duration in seconds (int or float) as int64 milliseconds, rounded
    up so that a positive duration never becomes 0.  NaN, infinities and
    negative values are refused (and 0 when `positive`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid("%s: expected a number of seconds, not %s" % (field, _kind(value)))
    if not math.isfinite(value):
        raise invalid("%s: must be a finite number of seconds, not %r" % (field, value))
    if value < 0 or (positive and value == 0):
        raise invalid("%s: must be %s, not %r"
                      % (field, "positive" if positive else "0 or more", value))
    ms = math.ceil(value * 1000)
    if ms > INT64[1]:
        raise invalid("%s: too large: %r seconds" % (field, value))
    return ms


def callback(value, field):
    if value is not None and not callable(value):
        raise invalid("%s: expected a callable, not %s" % (field, _kind(value)))
    return value


def sequence(value, field):
    """Any iterable as a list."""
    try:
        return list(value)
    except TypeError:
        raise invalid("%s: expected a list, not %s" % (field, _kind(value))) from None


def strings(value, field):
    """A list of str/bytes; not one string (a str is iterable, but
    args="ls -l" is a mistake, not ["l", "s", ...])."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        raise invalid("%s: expected a list of strings, not a string" % field)
    try:
        items = list(value)
    except TypeError:
        raise invalid("%s: expected a list of strings, not %s" % (field, _kind(value))) from None
    for i, item in enumerate(items):
        if not isinstance(item, (str, bytes)):
            raise invalid("%s[%d]: expected a string, not %s" % (field, i, _kind(item)))
    return items


def assignments(value, field, check_key):
    """A dict {KEY: value}, or a list of "KEY=value", as a list of
    "KEY=value" (str or bytes).  A dict's keys are checked by the library
    (check_key: hodei_job_spec_env_name_validate or ..._label_key_validate)
    before they are joined: {"A=B": "C"} would otherwise mean A="B=C".
    Values must be strings: {"X": None} is refused, not run as X=None."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return strings(value, field)
    out = []
    for i, (key, val) in enumerate(value.items()):
        entry = "%s[%d]" % (field, i)
        if not isinstance(key, (str, bytes)):
            raise invalid("%s: expected a string key, not %s" % (entry, _kind(key)))
        if not isinstance(val, (str, bytes)):
            raise invalid("%s: the value of %r must be a string, not %s"
                          % (entry, key, _kind(val)))
        k = key.encode("utf-8", "surrogateescape") if isinstance(key, str) else key
        rc = check_key(entry.encode(), k, len(k))
        if rc < 0:
            raise error_from(rc)
        v = encode(val, entry)
        out.append(k + b"=" + v)
    return out


def env(value):
    return assignments(value, "env", lib.hodei_job_spec_env_name_validate)


def labels(value):
    return assignments(value, "labels", lib.hodei_job_spec_label_key_validate)


def job_id(value, field="job_id"):
    """A job id as str (bytes are decoded); its characters are the
    library's to check."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    if not isinstance(value, str):
        raise invalid("%s: expected a string, not %s" % (field, _kind(value)))
    encode(value, field)  # refuses a NUL byte
    return value
