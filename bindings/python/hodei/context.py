"""The Context: an open job store with its scheduler, running on a loop
thread of libhodei's own (own-loop mode), so every method is thread-safe
and blocking calls release the GIL."""
import atexit
import logging
import threading
import weakref

from . import _args, errors, types
from ._native import C, Arena, check, error_from, ffi, lib, text
from .events import Subscription, _make_destructor
from .job import Job

log = logging.getLogger("hodei")

_DIAG_TO_LOGGING = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}

# Contexts still open at interpreter exit are closed before Python shuts
# down, while the loop thread can still take the GIL for a callback.
_open_contexts = weakref.WeakSet()


@atexit.register
def _close_all():
    for ctx in list(_open_contexts):
        ctx.close()


def _diag_level(level):
    """A logging level (or None: no diagnostics) as a HODEI_DIAG_* threshold."""
    if level is None:
        return None
    for diag, py in sorted(_DIAG_TO_LOGGING.items()):
        if level <= py:
            return diag
    return C.HODEI_DIAG_ERROR


def _on_diag(level, message, userdata):
    try:
        log.log(_DIAG_TO_LOGGING.get(level, logging.WARNING), "%s", text(message))
    except BaseException:  # noqa: B902 - never unwind into C
        pass


def _seconds_ms(value, field):
    if value is None:
        return 0
    return _args.seconds_ms(value, field, positive=True)


def _option(value, field, bounds):
    """An integer option; None means 0, the library's default."""
    return 0 if value is None else _args.integer(value, field, bounds)


class Context:
    """An open Hodei job store (hodei_ctx_open), used as

        with hodei.Context("jobs.db") as ctx:
            job = ctx.submit(command="echo", args=["hi"])
            job.wait()

    Options (None or 0 means the library's default, itself from the
    HODEI_* environment unless read_env=False): local_workers (concurrent
    local jobs), max_queue_size (-1 unlimited), log_retention_days,
    kill_grace / worker_idle / retry_backoff (seconds),
    local_provider=False to run no local provider, recovery=False to skip
    crash recovery, diagnostics: the lowest logging level of the library's
    own messages sent to the "hodei" logger (None: none).
    """

    def __init__(self, path, *, local_workers=None, max_queue_size=None,
                 log_retention_days=None, kill_grace=None, worker_idle=None,
                 retry_backoff=None, local_provider=True, read_env=True, recovery=True,
                 diagnostics=logging.WARNING):
        self.path = path
        self._lock = threading.Lock()
        self._subs = weakref.WeakSet()
        arena = Arena()
        opts = ffi.new("hodei_ctx_options *")
        check(lib.hodei_ctx_options_init(opts, C.HODEI_CTX_OPTIONS_VERSION))
        opts.db_path = arena.string(path, "db_path")
        keepalive = []
        threshold = _diag_level(None if diagnostics is None
                                else _args.integer(diagnostics, "diagnostics"))
        if threshold is not None:
            diag = ffi.callback("hodei_diag_fn", _on_diag)
            keepalive.append(diag)
            opts.diag = diag
            opts.diag_level = threshold
        opts.flags = ((0 if local_provider else C.HODEI_CTX_NO_LOCAL_PROVIDER)
                      | (0 if read_env else C.HODEI_CTX_IGNORE_ENV)
                      | (0 if recovery else C.HODEI_CTX_NO_RECOVERY))
        opts.max_queue_size = _option(max_queue_size, "max_queue_size", _args.INT64)
        opts.log_retention_days = _option(log_retention_days, "log_retention_days", _args.INT)
        opts.local_workers = _option(local_workers, "local_workers", _args.UINT)
        opts.kill_grace_ms = _seconds_ms(kill_grace, "kill_grace")
        opts.worker_idle_ms = _seconds_ms(worker_idle, "worker_idle")
        opts.retry_backoff_ms = _seconds_ms(retry_backoff, "retry_backoff")
        out = ffi.new("hodei_ctx **")
        check(lib.hodei_ctx_open(out, opts))
        self._ctx = ffi.gc(out[0], _make_destructor(lib.hodei_ctx_close, keepalive))
        _open_contexts.add(self)

    # -- life cycle -----------------------------------------------------

    def _ptr(self):
        ctx = self._ctx
        if ctx is None:
            raise self._closed_error("context is closed")
        return ctx

    def _handle_ref(self):
        return self._ptr()

    def _closed_error(self, message):
        return errors.ContextClosed(message, C.HODEI_ESTATE)

    def _track(self, sub):
        self._subs.add(sub)

    def _untrack(self, sub):
        self._subs.discard(sub)

    @property
    def closed(self):
        return self._ctx is None

    def close(self):
        """Close subscriptions, stop the scheduler and close the store.
        Idempotent.  Do not call it while another thread waits on this context."""
        with self._lock:
            ctx, self._ctx = self._ctx, None
            if ctx is None:
                return
            for sub in list(self._subs):
                sub.close()
            ffi.release(ctx)
            _open_contexts.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<hodei.Context %r%s>" % (self.path, " closed" if self.closed else "")

    # -- parsing through the library (its messages for bad names) --------

    def _parse(self, parse, value, enum_cls, field):
        if isinstance(value, enum_cls):
            return value.code
        if isinstance(value, int) and not isinstance(value, bool):
            return _args.integer(value, field)  # the library says if it is known
        out = ffi.new("int *")
        check(parse(Arena().string(value, field), out))
        return out[0]

    def _parse_state(self, value):
        return self._parse(lib.hodei_job_state_parse, value, types.State, "state")

    def _parse_priority(self, value):
        return self._parse(lib.hodei_priority_parse, value, types.Priority, "priority")

    def _parse_level(self, value):
        return self._parse(lib.hodei_log_level_parse, value, types.Level, "level")

    # -- jobs ------------------------------------------------------------

    def _fill_spec(self, spec, arena, command, fields):
        """Fill a hodei_job_spec from submit()'s fields; a field that is not
        one of them, or a value of the wrong type or range, is an
        InvalidArgument naming it."""
        unknown = sorted(set(fields) - _SPEC_FIELDS)
        if unknown:
            raise _args.invalid("%s: not a job field (%s)"
                                % (unknown[0], ", ".join(sorted(_SPEC_FIELDS))))
        get = fields.get
        spec.version = C.HODEI_JOB_SPEC_VERSION
        spec.id = arena.string(get("id"), "id")
        spec.name = arena.string(get("name"), "name")
        spec.command = arena.string(command, "command")
        spec.args, spec.nargs = arena.string_array(_args.strings(get("args"), "args"), "args")
        spec.env, spec.nenv = arena.string_array(_args.env(get("env")), "env")
        spec.secret_env, spec.nsecret_env = arena.string_array(
            _args.env(get("secret_env")), "secret_env")
        spec.labels, spec.nlabels = arena.string_array(_args.labels(get("labels")), "labels")
        priority = get("priority")
        spec.priority = 0 if priority is None else self._parse_priority(priority)
        timeout = get("timeout")
        spec.timeout_ms = 0 if timeout is None else _args.seconds_ms(timeout, "timeout")
        spec.max_retries = _args.integer(get("max_retries", 0), "max_retries")
        spec.workdir = arena.string(get("workdir"), "workdir")
        spec.queued_by = arena.string(get("queued_by"), "queued_by")
        spec.flags = C.HODEI_JOB_SHELL if get("shell") else 0
        spec.cpu_millis = _args.integer(get("cpu_millis", 0), "cpu_millis", _args.UINT)
        spec.memory_bytes = _args.integer(get("memory_bytes", 0), "memory_bytes", _args.UINT64)
        spec.provider = arena.string(get("provider"), "provider")

    def submit(self, command=None, args=(), **fields):
        """Queue a job and return its Job.  Fields: command (required),
        args (list), env (dict or "NAME=value" list), name, id, priority
        ("low" .. "critical"), timeout (seconds), labels (dict or list),
        max_retries, workdir, queued_by, shell (run command with /bin/sh -c),
        cpu_millis, memory_bytes, provider, secret_env (dict or "NAME=value"
        list: given to the job like env, stored encrypted, shown as "***",
        masked as *** in its log)."""
        arena = Arena()
        spec = ffi.new("hodei_job_spec *")
        self._fill_spec(spec, arena, command, dict(fields, args=args))
        job_id = ffi.new("hodei_job_id *")
        check(lib.hodei_job_submit(self._ptr(), spec, job_id))
        return Job(self, ffi.string(job_id.str).decode("utf-8", "surrogateescape"))

    def submit_many(self, specs):
        """Queue several jobs in one transaction (all or none); `specs` are
        dicts of submit()'s fields.  On InvalidArgument or AlreadyExists the
        exception's `index` names the offending spec."""
        if isinstance(specs, (str, bytes, dict)):
            raise _args.invalid("specs: expected a list of dicts, not %s" % type(specs).__name__)
        try:
            specs = list(specs)
        except TypeError:
            raise _args.invalid("specs: expected a list of dicts, not %s"
                                % type(specs).__name__) from None
        if not specs:
            return []
        arena = Arena()
        c_specs = ffi.new("hodei_job_spec[]", len(specs))
        for i, fields in enumerate(specs):
            if not isinstance(fields, dict):
                raise _args.invalid("specs[%d]: expected a dict, not %s"
                                    % (i, type(fields).__name__))
            fields = dict(fields)
            try:
                self._fill_spec(c_specs[i], arena, fields.pop("command", None), fields)
            except errors.InvalidArgument as e:
                e.index = i
                raise
        ids = ffi.new("hodei_job_id[]", len(specs))
        bad = ffi.new("size_t *", len(specs))
        rc = lib.hodei_job_submit_batch(self._ptr(), c_specs, len(specs), ids, bad)
        if rc < 0:
            error = error_from(rc)
            if bad[0] < len(specs):
                error.index = bad[0]
            raise error
        return [Job(self, ffi.string(ids[i].str).decode("utf-8", "surrogateescape"))
                for i in range(len(specs))]

    def validate(self, command=None, args=(), **fields):
        """Check a job spec without queueing it (InvalidArgument if bad)."""
        arena = Arena()
        spec = ffi.new("hodei_job_spec *")
        self._fill_spec(spec, arena, command, dict(fields, args=args))
        check(lib.hodei_job_spec_validate(spec))

    def job(self, job_id):
        """The Job with this id, with a fresh snapshot (NotFound if none)."""
        job = Job(self, _args.job_id(job_id))
        job.refresh()
        return job

    def _filter(self, arena, state, search, order):
        flt = ffi.new("hodei_job_filter *")
        flt.version = C.HODEI_JOB_FILTER_VERSION
        if state is not None:
            states = [state] if isinstance(state, (str, bytes, int)) else _args.sequence(
                state, "state")
            for s in states:
                code = self._parse_state(s)
                if not 0 <= code < 32:
                    raise _args.invalid("state: unknown state %d" % code)
                flt.state_mask |= 1 << code
        flt.search = arena.string(search, "search")
        if order in ("newest", None):
            flt.order = C.HODEI_ORDER_NEWEST
        elif order == "oldest":
            flt.order = C.HODEI_ORDER_OLDEST
        else:
            raise errors.InvalidArgument("order: must be 'newest' or 'oldest', not %r"
                                         % (order,), C.HODEI_EINVAL)
        return flt

    def jobs(self, state=None, *, search=None, limit=None, order="newest"):
        """Jobs as a list of Job (each with its snapshot in `info`).
        state: a name or State, or several; search: id prefix or text in the
        name; limit: at most this many (None: all); order: newest/oldest."""
        arena = Arena()
        flt = self._filter(arena, state, search, order)
        if limit is not None:
            limit = _args.integer(limit, "limit", _args.INT64, minimum=0)
        jobs = []
        out = ffi.new("hodei_job_page **")
        while limit is None or len(jobs) < limit:
            flt.limit = 1000 if limit is None else min(1000, limit - len(jobs))
            check(lib.hodei_job_list(out, self._ptr(), flt))
            page = out[0]
            try:
                for i in range(page.count):
                    info = types.job_info(page.jobs[i])
                    jobs.append(Job(self, info.id, info))
                if page.next_cursor == ffi.NULL:  # a page may be empty: go on
                    break
                flt.cursor = arena.keep(ffi.new("char[]", ffi.string(page.next_cursor)))
            finally:
                lib.hodei_job_page_free(page)
        return jobs

    def count(self, state=None, *, search=None):
        """Number of jobs matching state/search."""
        arena = Arena()
        flt = self._filter(arena, state, search, "newest")
        n = ffi.new("int64_t *")
        check(lib.hodei_job_count(self._ptr(), flt, n))
        return n[0]

    # -- events ----------------------------------------------------------

    def subscribe(self, callback=None, *, job_id=None, types=types.EventType.ALL,
                  max_queued=0):
        """A Subscription to events (of one job if job_id).  With callback,
        it is called with each Event on the library's thread."""
        return Subscription(self, job_id=job_id, types_mask=types, callback=callback,
                            max_queued=max_queued)

    # -- metrics, providers, workers, maintenance --------------------------

    def metrics(self, range="24h"):
        """Metrics over "1h", "24h", "7d" or "30d"."""
        code = ffi.new("int *")
        check(lib.hodei_range_parse(Arena().string(range, "range"), code))
        out = ffi.new("hodei_metrics **")
        check(lib.hodei_metrics_get(out, self._ptr(), code[0]))
        bounds = ffi.unpack(lib.hodei_metrics_duration_bounds(), C.HODEI_DURATION_BUCKETS)
        try:
            return types.metrics(out[0], str(range).lower(), bounds)
        finally:
            lib.hodei_metrics_free(out[0])

    def providers(self):
        """Registered providers (list of ProviderInfo)."""
        out = ffi.new("hodei_provider_array **")
        check(lib.hodei_provider_list(out, self._ptr()))
        try:
            lst = out[0]
            return [types.provider_info(lst.items[i], _provider_status_name)
                    for i in range(lst.count)]
        finally:
            lib.hodei_provider_array_free(out[0])

    def workers(self):
        """Workers that exist now (list of WorkerInfo)."""
        out = ffi.new("hodei_worker_array **")
        check(lib.hodei_worker_list(out, self._ptr()))
        try:
            lst = out[0]
            return [types.worker_info(lst.items[i], _worker_state_name)
                    for i in range(lst.count)]
        finally:
            lib.hodei_worker_array_free(out[0])

    @property
    def max_queue_size(self):
        """Effective queue limit; None when unlimited."""
        n = lib.hodei_ctx_max_queue_size(self._ptr())
        return None if n < 0 else n

    @property
    def log_retention_days(self):
        return lib.hodei_ctx_log_retention_days(self._ptr())

    def sweep_logs(self):
        """Run the log-retention sweep now; returns the lines deleted."""
        n = ffi.new("int64_t *")
        check(lib.hodei_ctx_sweep_logs(self._ptr(), n))
        return n[0]


_SPEC_FIELDS = frozenset((
    "args", "env", "name", "id", "priority", "timeout", "labels", "max_retries", "workdir",
    "queued_by", "shell", "cpu_millis", "memory_bytes", "provider", "secret_env"))


def _provider_status_name(code):
    return text(lib.hodei_provider_status_name(code))


def _worker_state_name(code):
    return text(lib.hodei_worker_state_name(code))
