"""Subscriptions (hodei_sub_*): events delivered to a Python callback or
queued and read with next(), iteration, or asyncio.

A queue subscription's file descriptor (hodei_sub_fd) is readable while
events wait; asyncio watches it with loop.add_reader() and drains the queue
with hodei_sub_next().  Every event is copied into a Python Event and freed
at once, so nothing is held across a raise.
"""
import asyncio
import logging

from . import _args, types
from ._native import C, Arena, check, ffi, lib

log = logging.getLogger("hodei")

# Blocking waits are cut in slices so that Ctrl-C (KeyboardInterrupt) is
# seen by the main thread; a slice ends early as soon as an event arrives.
WAIT_SLICE_MS = 1000


def _make_destructor(close, keepalive):
    """A destructor for ffi.gc that keeps `keepalive` (callbacks, the
    parent context's handle) alive until the C object is gone."""

    def destroy(ptr):
        close(ptr)
        keepalive.clear()

    return destroy


class Subscription:
    """Events of one context, optionally of one job and some types.

    Without `callback`, events queue up: read them with next(), poll(),
    drain(), plain or async iteration, or watch fileno().  With `callback`,
    it is called with each Event on the library's loop thread; an exception
    it raises is logged (logger "hodei") and does not stop the
    subscription.  Close with close() or a `with` block.
    """

    def __init__(self, ctx, *, job_id=None, types_mask=types.EventType.ALL,
                 callback=None, max_queued=0):
        self._ctx = ctx
        arena = Arena()
        opts = ffi.new("hodei_sub_options *")
        opts.version = C.HODEI_SUB_OPTIONS_VERSION
        opts.mask = _args.integer(types_mask, "types", _args.UINT)
        opts.job_id = arena.string(None if job_id is None else _args.job_id(job_id), "job_id")
        opts.max_queued = _args.integer(max_queued, "max_queued", _args.SIZE)
        _args.callback(callback, "callback")
        keepalive = [ctx._handle_ref()]
        if callback is not None:
            c_callback = ffi.callback("hodei_event_fn", self._trampoline(callback))
            opts.callback = c_callback
            keepalive.append(c_callback)
        out = ffi.new("hodei_sub **")
        check(lib.hodei_sub_open(out, ctx._ptr(), opts))
        self._sub = ffi.gc(out[0], _make_destructor(lib.hodei_sub_close, keepalive))
        self._fd = lib.hodei_sub_fd(self._sub)
        ctx._track(self)

    @staticmethod
    def _trampoline(callback):
        def on_event(c_event, userdata):
            try:
                callback(types.event(c_event))
            except BaseException:  # noqa: B902 - never unwind into C
                log.exception("hodei: subscription callback raised")
        return on_event

    def _ptr(self):
        if self._sub is None:
            raise self._ctx._closed_error("subscription is closed")
        return self._sub

    @property
    def closed(self):
        return self._sub is None

    def fileno(self):
        """The fd that is readable while events are queued (-1 for callbacks)."""
        return self._fd

    def close(self):
        """End the subscription (idempotent).  No callback runs after this."""
        sub, self._sub = self._sub, None
        if sub is not None:
            ffi.release(sub)
            self._ctx._untrack(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def poll(self):
        """The next queued Event, or None when the queue is empty."""
        out = ffi.new("hodei_event **")
        rc = lib.hodei_sub_next(self._ptr(), out)
        if rc == C.HODEI_EAGAIN:
            return None
        check(rc)
        try:
            return types.event(out[0])
        finally:
            lib.hodei_event_free(out[0])

    def drain(self):
        """Every Event queued now (possibly none)."""
        events = []
        while True:
            ev = self.poll()
            if ev is None:
                return events
            events.append(ev)

    def wait(self, timeout=None):
        """Block until an event is queued.  False if `timeout` (seconds) passed."""
        remaining = None if timeout is None else _args.seconds_ms(timeout, "timeout")
        while True:
            ms = WAIT_SLICE_MS if remaining is None else min(remaining, WAIT_SLICE_MS)
            rc = lib.hodei_sub_wait(self._ptr(), ms)
            if rc == 0:
                return True
            if rc != C.HODEI_ETIMEDOUT:
                check(rc)
            if remaining is not None:
                remaining -= ms
                if remaining <= 0:
                    return False

    def next(self, timeout=None):
        """The next Event, blocking up to `timeout` seconds (None: forever);
        None when the time ran out."""
        while True:
            ev = self.poll()
            if ev is not None:
                return ev
            if not self.wait(timeout):
                return None

    def __iter__(self):
        while True:
            yield self.next()

    async def drain_async(self):
        """Wait (asyncio) until at least one event is queued; return them all."""
        events = self.drain()
        if events:
            return events
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def readable():
            if future.done():
                return
            got = self.drain()
            if got:
                future.set_result(got)

        fd = self.fileno()
        loop.add_reader(fd, readable)
        try:
            return await future
        finally:
            loop.remove_reader(fd)

    def __aiter__(self):
        return self._aiter()

    async def _aiter(self):
        while True:
            for ev in await self.drain_async():
                yield ev
