"""Jobs: a handle on one job of a Context, and its logs (history then live,
without gaps or duplicates, as include/hodei/event.h describes)."""
import asyncio

from . import _args, types
from ._native import C, Arena, check, ffi, lib
from .events import WAIT_SLICE_MS, Subscription
from .types import EventType

_LOG_PAGE = 1000


class Job:
    """A job of a Context, by id.

    `info` is the last snapshot taken (by refresh(), wait(), or the listing
    that returned this Job); attributes of JobInfo (state, exit_code, ...)
    read through to it, taking a first snapshot if there is none yet.
    """

    def __init__(self, ctx, job_id, info=None):
        self.ctx = ctx
        self.id = _args.job_id(job_id)
        self.info = info

    def __repr__(self):
        state = self.info.state.value if self.info else "?"
        return "<hodei.Job %s %s>" % (self.id, state)

    def __eq__(self, other):
        return isinstance(other, Job) and other.ctx is self.ctx and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __getattr__(self, name):
        if name.startswith("_") or name not in types.JobInfo.__dataclass_fields__:
            raise AttributeError(name)
        info = self.__dict__.get("info") or self.refresh()
        return getattr(info, name)

    def _id(self):
        return self.id.encode("utf-8", "surrogateescape")

    def _take(self, out):
        try:
            self.info = types.job_info(out[0])
        finally:
            lib.hodei_job_free(out[0])
        return self.info

    def refresh(self):
        """A fresh snapshot (JobInfo); also stored in `info`."""
        out = ffi.new("hodei_job **")
        check(lib.hodei_job_get(out, self.ctx._ptr(), self._id()))
        return self._take(out)

    def _wait_ms(self, timeout_ms):
        """One hodei_job_wait(); the JobInfo, or None when it timed out."""
        out = ffi.new("hodei_job **")
        rc = lib.hodei_job_wait(out, self.ctx._ptr(), self._id(), timeout_ms)
        if rc == C.HODEI_ETIMEDOUT:
            return None
        check(rc)
        return self._take(out)

    def done(self):
        """True when the job is final and will not be retried automatically."""
        return self._wait_ms(0) is not None

    def wait(self, timeout=None):
        """Block until the job is final (and not about to be retried);
        returns its JobInfo.  Raises Timeout after `timeout` seconds."""
        if timeout is not None:
            info = self._wait_ms(_args.seconds_ms(timeout, "timeout"))
            if info is None:
                raise _timeout(self.id, timeout)
            return info
        while True:
            info = self._wait_ms(WAIT_SLICE_MS)
            if info is not None:
                return info

    async def wait_async(self, timeout=None):
        """asyncio version of wait(), driven by a subscription's fd."""
        if timeout is not None:
            _args.seconds_ms(timeout, "timeout")
        with Subscription(self.ctx, job_id=self.id, types_mask=EventType.JOB_STATE) as sub:
            async def until_done():
                while True:
                    info = self._wait_ms(0)
                    if info is not None:
                        return info
                    await sub.drain_async()
            try:
                return await asyncio.wait_for(until_done(), timeout)
            except asyncio.TimeoutError:
                raise _timeout(self.id, timeout) from None

    def cancel(self):
        """Cancel it (InvalidState if it already finished)."""
        check(lib.hodei_job_cancel(self.ctx._ptr(), self._id()))

    def retry(self):
        """Queue a FAILED, TIMED_OUT or CANCELLED job again (attempt + 1)."""
        check(lib.hodei_job_retry(self.ctx._ptr(), self._id()))

    def history(self):
        """Every state transition, oldest first (list of Transition)."""
        out = ffi.new("hodei_transition_list **")
        check(lib.hodei_job_history(out, self.ctx._ptr(), self._id()))
        try:
            return types.transitions(out[0])
        finally:
            lib.hodei_transition_list_free(out[0])

    def logs(self, follow=False, *, after=0, level=None, contains=None, max_queued=0):
        """Iterate over the job's log lines (LogLine, a str with seq,
        stream, level...).  With follow=True, the stored history first,
        then live lines until the job is final; nothing is missed or
        repeated.  `after` skips lines with seq <= after; `level` is a
        minimum level; `contains` filters by text.  `max_queued` bounds the
        live queue (0: the library's default); past it, missed lines are
        read back from the store, so none is lost."""
        reader = _LogReader(self, after, level, contains, max_queued)
        if not follow:
            return iter(reader.read_stored())
        return reader.follow()

    def logs_async(self, follow=True, *, after=0, level=None, contains=None, max_queued=0):
        """`async for line in job.logs_async():` as logs(), for asyncio."""
        return _LogReader(self, after, level, contains, max_queued).follow_async(follow)


def _timeout(job_id, timeout):
    from .errors import Timeout
    return Timeout("job %s: not finished after %gs" % (job_id, timeout), C.HODEI_ETIMEDOUT)


class _LogReader:
    """The follow algorithm of event.h, shared by the sync and async forms:
    subscribe first, read the store until exhausted, then take live lines
    with seq > the last one seen; read the store again on a gap, an
    overflow, and once the job is final."""

    def __init__(self, job, after, level, contains, max_queued=0):
        self.job = job
        self.max_queued = _args.integer(max_queued, "max_queued", _args.SIZE)
        self.last = _args.integer(after, "after", _args.INT64, minimum=0)
        self.min_level = 0 if level is None else job.ctx._parse_level(level)
        self.contains = contains

    def _wanted(self, line):
        if self.min_level and line.level is not None and line.level.code < self.min_level:
            return False
        return self.contains is None or self.contains in line

    def read_stored(self):
        """Stored lines after self.last, matching the filters."""
        arena = Arena()
        query = ffi.new("hodei_log_query *")
        query.version = C.HODEI_LOG_QUERY_VERSION
        query.job_id = arena.string(self.job.id, "job_id")
        query.min_level = self.min_level
        query.contains = arena.string(self.contains, "contains")
        query.limit = _LOG_PAGE
        out = ffi.new("hodei_log_page **")
        lines = []
        while True:
            query.after_seq = self.last
            check(lib.hodei_log_read(out, self.job.ctx._ptr(), query))
            page = out[0]
            try:
                for i in range(page.count):
                    lines.append(types.log_line(page.lines[i]))
                more = page.more
                next_seq = page.next_seq
            finally:
                lib.hodei_log_page_free(page)
            if lines:
                self.last = max(self.last, lines[-1].seq)
            if next_seq > self.last:
                self.last = next_seq
            if not more:
                return lines

    def absorb(self, events):
        """Lines to yield for a batch of events, and whether a state changed."""
        lines = []
        state_changed = False
        for ev in events:
            if ev.type == EventType.JOB_STATE:
                state_changed = True
            elif ev.type == EventType.OVERFLOW:
                lines.extend(self.read_stored())
            elif ev.type == EventType.JOB_LOG and ev.line.seq > self.last:
                if ev.line.seq > self.last + 1:
                    lines.extend(self.read_stored())
                if ev.line.seq > self.last:
                    self.last = ev.line.seq
                    if self._wanted(ev.line):
                        lines.append(ev.line)
        return lines, state_changed

    def _subscribe(self):
        mask = EventType.JOB_LOG | EventType.JOB_STATE | EventType.OVERFLOW
        return Subscription(self.job.ctx, job_id=self.job.id, types_mask=mask,
                            max_queued=self.max_queued)

    def follow(self):
        """Subscribes and reads the history now, so that the iterator
        follows from the moment logs() was called; lines come as it is read."""
        sub = self._subscribe()
        return self._follow(sub, self.read_stored())

    def _follow(self, sub, history):
        with sub:
            yield from history
            check_done = True
            while True:
                if check_done and self.job.done():
                    yield from self.read_stored()
                    return
                sub.wait()
                lines, check_done = self.absorb(sub.drain())
                yield from lines

    def follow_async(self, follow):
        if not follow:
            return self._replay_async(self.read_stored())
        sub = self._subscribe()
        return self._follow_async(sub, self.read_stored())

    @staticmethod
    async def _replay_async(lines):
        for line in lines:
            yield line

    async def _follow_async(self, sub, history):
        with sub:
            for line in history:
                yield line
            check_done = True
            while True:
                if check_done and self.job.done():
                    for line in self.read_stored():
                        yield line
                    return
                lines, check_done = self.absorb(await sub.drain_async())
                for line in lines:
                    yield line
