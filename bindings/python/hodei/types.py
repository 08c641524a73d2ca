"""Plain Python values for what libhodei returns: enums, job snapshots,
log lines, events, metrics.  Everything here is a copy: no C memory is
referenced after a converter returns, so the C object can be freed at once.
"""
import datetime
import enum
import functools
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ._native import C, ffi, text, strings


def _when_ms(ms):
    if not ms:
        return None
    return datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc)


def _when_us(us):
    if not us:
        return None
    return datetime.datetime.fromtimestamp(us / 1e6, datetime.timezone.utc)


@functools.lru_cache(maxsize=None)
def _by_code(cls):
    return {member.code: member for member in cls}


class _CodedEnum(str, enum.Enum):
    """A str enum whose members also know the library's integer code."""

    @classmethod
    def _prefix(cls):
        """The C enum's prefix: member X has the code of <prefix>X."""
        raise NotImplementedError

    @property
    def code(self):
        return getattr(C, self._prefix() + self.name)

    @classmethod
    def from_code(cls, code):
        member = _by_code(cls).get(code)
        if member is None:
            raise ValueError("unknown %s code %r" % (cls.__name__, code))
        return member

    def __str__(self):
        return self.value


class State(_CodedEnum):
    """A job's state.  Equal to its lower-case name: State.FAILED == "failed"."""

    QUEUED = "queued"
    ASSIGNED = "assigned"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @classmethod
    def _prefix(cls):
        return "HODEI_JOB_"

    @property
    def final(self):
        return self in (State.SUCCEEDED, State.FAILED, State.CANCELLED, State.TIMED_OUT)


class Priority(_CodedEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"

    @classmethod
    def _prefix(cls):
        return "HODEI_PRIORITY_"

    @classmethod
    def from_code(cls, code):
        if code == C.HODEI_PRIORITY_DEFAULT:
            return cls.NORMAL
        return super().from_code(code)


class Stream(_CodedEnum):
    STDOUT = "stdout"
    STDERR = "stderr"
    SYSTEM = "system"

    @classmethod
    def _prefix(cls):
        return "HODEI_STREAM_"


class Level(_CodedEnum):
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"

    @classmethod
    def _prefix(cls):
        return "HODEI_LEVEL_"


class EventType(enum.IntFlag):
    JOB_STATE = C.HODEI_EVENT_JOB_STATE
    JOB_PROGRESS = C.HODEI_EVENT_JOB_PROGRESS
    JOB_LOG = C.HODEI_EVENT_JOB_LOG
    WORKER = C.HODEI_EVENT_WORKER
    PROVIDER = C.HODEI_EVENT_PROVIDER
    OVERFLOW = C.HODEI_EVENT_OVERFLOW
    ALL = C.HODEI_EVENT_ALL


def _enum_or_none(cls, code):
    try:
        return cls.from_code(code)
    except ValueError:
        return None


class LogLine(str):
    """One captured line.  It is the line's text (decoded as UTF-8, bad bytes
    replaced); the exact bytes are `data`.  Also: seq, ts (datetime),
    stream, level, attempt, partial."""

    seq: int
    ts_us: int
    stream: Optional[Stream]
    level: Optional[Level]
    attempt: int
    partial: bool
    data: bytes

    def __new__(cls, data, seq=0, ts_us=0, stream=None, level=None, attempt=0,
                partial=False):
        self = str.__new__(cls, data.decode("utf-8", "replace"))
        self.data = data
        self.seq = seq
        self.ts_us = ts_us
        self.stream = stream
        self.level = level
        self.attempt = attempt
        self.partial = partial
        return self

    @property
    def ts(self):
        return _when_us(self.ts_us)

    def __repr__(self):
        return "LogLine(%d, %s, %s)" % (self.seq, self.stream, str.__repr__(self))

    def __reduce__(self):
        return (LogLine, (self.data, self.seq, self.ts_us, self.stream, self.level,
                          self.attempt, self.partial))


def log_line(c):
    """Copy a hodei_log_line (by value or pointer)."""
    data = ffi.unpack(c.text, c.len) if c.text != ffi.NULL else b""
    return LogLine(data, c.seq, c.ts_us, _enum_or_none(Stream, c.stream),
                   _enum_or_none(Level, c.level), c.attempt,
                   bool(c.flags & C.HODEI_LOG_PARTIAL))


def _pairs(items):
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = value
    return out


@dataclass(frozen=True)
class JobInfo:
    """A snapshot of a job (hodei_job), copied out of the library."""

    id: str
    name: str
    command: str
    args: List[str]
    env: Dict[str, str]
    labels: Dict[str, str]
    priority: Priority
    state: State
    timeout: Optional[float]  # seconds; None = no timeout
    cpu_millis: int
    memory_bytes: int
    max_retries: int
    workdir: Optional[str]
    queued_by: Optional[str]
    shell: bool
    provider_pin: Optional[str]
    attempt: int
    exit_code: int
    term_signal: int
    reason: Optional[str]
    progress: Optional[int]
    created_at: Optional[datetime.datetime]
    queued_at: Optional[datetime.datetime]
    started_at: Optional[datetime.datetime]
    finished_at: Optional[datetime.datetime]
    cpu_time: float  # seconds
    max_rss_kb: int
    worker_id: Optional[str]
    provider: Optional[str]
    log_lines: int
    seq: int
    last_log_seq: int = 0  # number of the newest stored log line
    log_lines_lost: int = 0  # beyond HODEI_MAX_LOG_BYTES, or not storable (disk full)
    log_bytes: int = 0  # log text stored, all attempts
    secret_env: Dict[str, str] = field(default_factory=dict)  # values are always "***"
    token_name: Optional[str] = None  # the API token that queued it (hodeid)

    @property
    def succeeded(self):
        return self.state == State.SUCCEEDED

    @property
    def duration(self):
        """Run time in seconds of this attempt, or None until it has finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def job_info(j):
    """Copy a hodei_job *."""
    return JobInfo(
        id=text(j.id), name=text(j.name), command=text(j.command),
        args=strings(j.args, j.nargs), env=_pairs(strings(j.env, j.nenv)),
        labels=_pairs(strings(j.labels, j.nlabels)),
        priority=_enum_or_none(Priority, j.priority), state=_enum_or_none(State, j.state),
        timeout=j.timeout_ms / 1000.0 if j.timeout_ms > 0 else None,
        cpu_millis=j.cpu_millis, memory_bytes=j.memory_bytes, max_retries=j.max_retries,
        workdir=text(j.workdir), queued_by=text(j.queued_by),
        shell=bool(j.flags & C.HODEI_JOB_SHELL), provider_pin=text(j.provider_pin),
        attempt=j.attempt, exit_code=j.exit_code, term_signal=j.term_signal,
        reason=text(j.reason), progress=j.progress if j.progress >= 0 else None,
        created_at=_when_ms(j.created_at), queued_at=_when_ms(j.queued_at),
        started_at=_when_ms(j.started_at), finished_at=_when_ms(j.finished_at),
        cpu_time=j.cpu_time_us / 1e6, max_rss_kb=j.max_rss_kb,
        worker_id=text(j.worker_id), provider=text(j.provider),
        log_lines=j.log_lines, seq=j.seq, last_log_seq=j.last_log_seq,
        log_lines_lost=j.log_lines_lost, log_bytes=j.log_bytes,
        secret_env=_pairs(strings(j.secret_env, j.nsecret_env)),
        token_name=text(j.token_name))


@dataclass(frozen=True)
class Transition:
    attempt: int
    state: State
    at: Optional[datetime.datetime]
    reason: Optional[str]


def transitions(lst):
    return [Transition(t.attempt, _enum_or_none(State, t.state), _when_ms(t.at),
                       text(t.reason))
            for t in (lst.items[i] for i in range(lst.count))]


@dataclass(frozen=True)
class Event:
    """An event of a subscription (hodei_event), copied."""

    type: EventType
    job_id: Optional[str] = None
    state: Optional[State] = None
    old_state: Optional[State] = None
    attempt: int = 0
    progress: int = 0
    reason: Optional[str] = None
    line: Optional[LogLine] = None
    worker_id: Optional[str] = None
    provider: Optional[str] = None
    dropped: int = 0
    at_us: int = 0

    @property
    def at(self):
        return _when_us(self.at_us)


def event(e):
    """Copy a hodei_event *."""
    kind = EventType(e.type) if e.type in EventType._value2member_map_ else e.type
    is_state = e.type == C.HODEI_EVENT_JOB_STATE
    return Event(
        type=kind, job_id=text(e.job_id),
        state=_enum_or_none(State, e.state) if is_state else None,
        old_state=_enum_or_none(State, e.old_state) if is_state else None,
        attempt=e.attempt, progress=e.progress, reason=text(e.reason),
        line=log_line(e.line) if e.type == C.HODEI_EVENT_JOB_LOG else None,
        worker_id=text(e.worker_id), provider=text(e.provider),
        dropped=e.dropped, at_us=e.at_us)


@dataclass(frozen=True)
class MetricsBucket:
    start: Optional[datetime.datetime]
    succeeded: int
    failed: int
    cancelled: int


@dataclass(frozen=True)
class Metrics:
    """hodei_metrics, copied.  Per-state counts are keyed by State."""

    range: str
    range_start: Optional[datetime.datetime]
    range_end: Optional[datetime.datetime]
    jobs_by_state: Dict[State, int]
    jobs_total: int
    range_by_state: Dict[State, int]
    range_total: int
    success_rate: float
    avg_duration_ms: float
    load: tuple
    ncpu: int
    uptime: float  # seconds
    queue_depth: int
    running: int
    workers: int
    workers_idle: int
    log_lines_captured: int
    duration_bounds: List[float]
    duration_hist: List[int]
    duration_sum: float
    bucket_ms: int
    buckets: List[MetricsBucket] = field(default_factory=list)


def metrics(m, range_name, bounds):
    by_state = {s: m.jobs_by_state[s.code] for s in State}
    in_range = {s: m.range_by_state[s.code] for s in State}
    return Metrics(
        range=range_name, range_start=_when_ms(m.range_start_ms),
        range_end=_when_ms(m.range_end_ms), jobs_by_state=by_state,
        jobs_total=m.jobs_total, range_by_state=in_range, range_total=m.range_total,
        success_rate=m.success_rate, avg_duration_ms=m.avg_duration_ms,
        load=(m.load1, m.load5, m.load15), ncpu=m.ncpu, uptime=m.uptime_ms / 1000.0,
        queue_depth=m.queue_depth, running=m.running, workers=m.workers,
        workers_idle=m.workers_idle, log_lines_captured=m.log_lines_captured,
        duration_bounds=bounds,
        duration_hist=[m.duration_hist[i] for i in range(C.HODEI_DURATION_BUCKETS + 1)],
        duration_sum=m.duration_sum_s, bucket_ms=m.bucket_ms,
        buckets=[MetricsBucket(_when_ms(b.start_ms), b.succeeded, b.failed, b.cancelled)
                 for b in (m.buckets[i] for i in range(m.nbuckets))])


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    type: str
    endpoint: Optional[str]
    labels: Dict[str, str]
    max_memory_bytes: int
    max_vcpus: int
    gpu: bool
    max_workers: int
    has_token: bool
    options_json: Optional[str]
    config_json: Optional[str]
    status: Optional[str]
    health_score: int
    status_message: Optional[str]
    current_jobs: int
    workers: int
    created_at: Optional[datetime.datetime]
    updated_at: Optional[datetime.datetime]


def provider_info(p, status_name):
    return ProviderInfo(
        name=text(p.name), type=text(p.type), endpoint=text(p.endpoint),
        labels=_pairs(strings(p.labels, p.nlabels)), max_memory_bytes=p.max_memory_bytes,
        max_vcpus=p.max_vcpus, gpu=bool(p.gpu), max_workers=p.max_workers,
        has_token=bool(p.has_token), options_json=text(p.options_json),
        config_json=text(p.config_json), status=status_name(p.status),
        health_score=p.health_score, status_message=text(p.status_message),
        current_jobs=p.current_jobs, workers=p.workers,
        created_at=_when_ms(p.created_at), updated_at=_when_ms(p.updated_at))


@dataclass(frozen=True)
class WorkerInfo:
    id: str
    provider: Optional[str]
    state: Optional[str]
    job_id: Optional[str]
    started_at: Optional[datetime.datetime]
    last_seen: Optional[datetime.datetime]
    jobs_run: int


def worker_info(w, state_name):
    return WorkerInfo(id=text(w.id), provider=text(w.provider), state=state_name(w.state),
                      job_id=text(w.job_id), started_at=_when_ms(w.started_at),
                      last_seen=_when_ms(w.last_seen), jobs_run=w.jobs_run)
