"""Exceptions: one class per libhodei result code, all under HodeiError.

Each carries the library's code (`code`, a negative HODEI_E* value) and its
message (`message`, the text of hodei_error_last(), which names the field,
job or file concerned).  Where a built-in exception means the same thing
the class derives from it too, so `except ValueError` or
`except TimeoutError` also work.
"""


class HodeiError(Exception):
    """A libhodei call failed.  `code` is the HODEI_E* value."""

    code = -1  # HODEI_ERROR

    def __init__(self, message, code=None):
        Exception.__init__(self, message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self):
        return self.message

    def __reduce__(self):
        return (type(self), (self.message, self.code))


class NotFound(HodeiError, LookupError):
    """No job, provider or worker with that id (HODEI_ENOTFOUND)."""
    code = -2


class AlreadyExists(HodeiError):
    """A job or provider with that id already exists (HODEI_EEXISTS)."""
    code = -3


class InvalidArgument(HodeiError, ValueError):
    """An argument is invalid; the message names it (HODEI_EINVAL).

    For a batch submit, `index` is the offending spec's position."""
    code = -4
    index = None


class QueueFull(HodeiError):
    """The queue is at HODEI_MAX_QUEUE_SIZE (HODEI_EFULL)."""
    code = -5


class InvalidState(HodeiError):
    """Not allowed in the job's current state (HODEI_ESTATE)."""
    code = -6


class ContextClosed(InvalidState):
    """The Context was closed (raised by the binding itself)."""


class IOFailure(HodeiError, OSError):
    """Database or operating-system I/O failed (HODEI_EIO)."""
    code = -7


class NotADatabase(HodeiError):
    """The file is not a Hodei database (HODEI_ENOTDB)."""
    code = -8


class Timeout(HodeiError, TimeoutError):
    """A wait ran out of time (HODEI_ETIMEDOUT)."""
    code = -9


class OutOfMemory(HodeiError, MemoryError):
    """HODEI_ENOMEM."""
    code = -10


class TryAgain(HodeiError):
    """Nothing available now (HODEI_EAGAIN)."""
    code = -11


class Unavailable(HodeiError):
    """A provider or worker is not available (HODEI_EUNAVAIL)."""
    code = -12


class AuthenticationFailed(HodeiError):
    """HODEI_EAUTH."""
    code = -13


class VersionMismatch(HodeiError):
    """A struct version this library does not know (HODEI_EVERSION)."""
    code = -14


class StoreLocked(HodeiError):
    """Another process has the store open; the message names its pid
    (HODEI_ELOCKED)."""
    code = -15


class NoSpace(HodeiError, OSError):
    """The store could not write: the disk is full (HODEI_ENOSPC)."""
    code = -16


_BY_CODE = {cls.code: cls for cls in (
    HodeiError, NotFound, AlreadyExists, InvalidArgument, QueueFull, InvalidState,
    IOFailure, NotADatabase, Timeout, OutOfMemory, TryAgain, Unavailable,
    AuthenticationFailed, VersionMismatch, StoreLocked, NoSpace)}


def from_code(code, message):
    """The exception for a result code; unknown codes give HodeiError."""
    cls = _BY_CODE.get(code, HodeiError)
    return cls(message, code)
