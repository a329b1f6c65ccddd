"""Group log lines into invocations.

A line with a request id belongs to that request. A line without one (a stack trace, a Go
panic, a print during init) belongs to the invocation running in its log stream at that moment:
each stream is one execution environment, which runs one request at a time. Lines written while
an environment initialises belong to the first invocation it then serves (the cold start).

An environment that runs several requests at once (Lambda Managed Instances, multi-concurrency)
shows as an earlier request writing after a later one started. In such a stream, while more
than one request is open, a line without a request id could be any one's: it is kept,
attributed to none.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from dataclasses import dataclass, field

from lambdatop.core.classify import THREAD_LIMIT
from lambdatop.core.records import (
    ErrorFamily,
    Invocation,
    LineKind,
    LogEvent,
    ParsedLine,
    Report,
    Status,
)

# Which ending wins when lines disagree: the most specific cause.
# Looked up on every line: an enum member read from its class costs more than a global.
_START = LineKind.START
_APP = LineKind.APP
_REPORT = LineKind.REPORT
_TIMEOUT = LineKind.TIMEOUT
_RUNTIME_EXIT = LineKind.RUNTIME_EXIT
_INIT_START = LineKind.INIT_START
_RESTORE_START = LineKind.RESTORE_START

_DEFAULT_ERROR_TYPE = {
    Status.TIMEOUT: "Sandbox.Timedout",
    Status.OUT_OF_MEMORY: "Runtime.OutOfMemory",
    Status.CRASHED: "Runtime.ExitError",
}


_RANK = {
    Status.RUNNING: 0,
    Status.SUCCESS: 1,
    Status.ERROR: 2,
    Status.CRASHED: 3,
    Status.TIMEOUT: 4,
    Status.OUT_OF_MEMORY: 5,
}
_STATUS_WORDS = {
    "success": Status.SUCCESS,
    "error": Status.ERROR,
    "failure": Status.ERROR,
    "timeout": Status.TIMEOUT,
}


@dataclass(slots=True)
class _PendingInit:
    """What an environment said while initialising, before its first request started."""

    init_ms: float | None = None
    restore_ms: float | None = None
    status: Status = Status.RUNNING
    error_type: str | None = None
    families: set[ErrorFamily] = field(default_factory=set)
    reports_status: bool = False
    """An INIT_REPORT or JSON event was seen: this environment's REPORT says `Status:` when the
    invocation failed, so a REPORT without one means it succeeded."""
    first_ms: int | None = None
    last_ms: int | None = None
    """When it first and last said something."""
    stopped: bool = False
    """Every line that ended it was Lambda's own SIGTERM: the platform stopped the environment
    while it started (a scale-in, a deploy), no invocation of the code failed."""


_RETRY_AFTER_MS = 1_000
"""A START of a request that already reported, this long after its end, is Lambda's retry (a
minute or more later, as a rule); sooner, it is the same line again (overlapping exports) or
an export's order within a millisecond."""
_MAX_AT_ONCE = 256
"""The most requests a stream is taken to run at once (a Managed Instances environment runs
dozens): beyond, REPORTs are missing, and the oldest starts are forgotten."""
_LONGEST_INVOCATION_MS = 900_000
"""Lambda's longest timeout (15 minutes)."""


class InvocationTracker:
    """Assembles invocations from lines fed in each stream's order. Bounded in memory."""

    def __init__(self, max_invocations: int = 50_000, max_streams: int = 5_000) -> None:
        self.invocations: OrderedDict[str, Invocation] = OrderedDict()
        self._current: OrderedDict[str, str] = OrderedDict()
        self._pending: dict[str, _PendingInit] = {}
        self._init_failed: dict[str, bool] = {}
        """Invocations whose failure so far is only their init phase's, and whether their
        REPORT will say `Status:` on failure. The platform's own verdict can clear it: an init
        that failed once is retried when the invocation starts, and may succeed."""
        self._open: dict[str, dict[str, int]] = {}
        """The requests of each stream that started and have not reported yet."""
        self._concurrent: set[str] = set()
        """Streams seen running requests at once: an earlier one wrote after a later began."""
        self._max_invocations = max_invocations
        self._max_streams = max_streams
        self.inherited_failures = 0
        """How many invocations took over a failed init (each one kept in `_init_failed`)."""
        self.forgotten = 0
        """Invocations forgotten so far, past the window kept or the count kept."""
        self._unnamed = 0
        """Invocations made for REPORT lines without their RequestId, so far."""

    @property
    def limits(self) -> tuple[int, int]:
        """The most invocations and the most streams (and pending init failures) it keeps."""
        return self._max_invocations, self._max_streams

    def running(self, stream: str) -> str | None:
        """The request id the stream's environment is running now, if it is known."""
        return self._current.get(stream)

    def add(self, event: LogEvent, line: ParsedLine) -> str | None:
        """Record one line; return the request id it was attributed to (None during init)."""
        return self.add_line(event.stream, event.timestamp_ms, line)

    def add_line(self, stream: str, timestamp_ms: int, line: ParsedLine) -> str | None:
        """`add` for a line whose event is known by its stream and time alone."""
        kind = line.kind
        if kind is _INIT_START or kind is _RESTORE_START:
            # A new environment: nothing before this belongs to what follows.
            self._current.pop(stream, None)
            self._open.pop(stream, None)
            self._concurrent.discard(stream)
            self._pending[stream] = _PendingInit()
            self._trim()
            return None
        request_id = line.request_id
        current = self._current
        if request_id is None:
            request_id = current.get(stream)
            if kind is _START:
                return request_id  # a start event that lost its request id: nothing to open
            if kind is _REPORT and self._ended(request_id):
                # A REPORT trimmed of its RequestId with no invocation running: it still tells
                # an invocation's duration, memory and init, its own.
                return self._report_alone(stream, timestamp_ms, line)
            if request_id is None:
                self._note_init(stream, timestamp_ms, line)
                return None
            if stream in self._concurrent:
                request_id = self._sole_running(stream, timestamp_ms, request_id)
                if request_id is None:
                    return None  # any of the requests running at once could have written it
        invocation = self.invocations.get(request_id)
        if invocation is None:
            invocation = self._begin(request_id, stream, timestamp_ms)
        if (
            kind is _START
            and invocation.reported
            and timestamp_ms >= (invocation.end_ms or 0) + _RETRY_AFTER_MS
        ):
            # The same request again, complete once already: an asynchronous retry. Its first
            # run's start stays; its REPORT tells the retry's outcome.
            invocation.attempts += 1
            # Last among the newest: it ends again now, and is forgotten in its new turn.
            self.invocations.move_to_end(request_id)
            self._pending.pop(stream, None)  # its environment's init is the retry's
            current[stream] = request_id
            current.move_to_end(stream)
        elif kind is _START:
            invocation.start_ms = timestamp_ms
            # `$LATEST` or a number, and a stream's name: one shared copy each, not one an
            # invocation (a tenth of its memory, and a function keeps 50,000)
            invocation.version = sys.intern(line.version) if line.version else invocation.version
            current[stream] = request_id
            current.move_to_end(stream)
            running = self._open.get(stream)
            if running is None:
                running = self._open[stream] = {}
                self._trim()
            running[request_id] = timestamp_ms
            if len(running) > _MAX_AT_ONCE:
                del running[next(iter(running))]  # REPORTs missing: forget the oldest
        elif line.request_id is not None and request_id != (latest := current.get(stream)):
            running = self._open.get(stream)
            if (
                kind is _APP
                and running is not None
                and request_id in running
                and latest in running
                and (later := self.invocations.get(latest or "")) is not None
                and later.start_ms is not None
                and timestamp_ms > later.start_ms
            ):
                # An earlier request's own line after a later one started (not an END or
                # REPORT of the same millisecond, as an export may order them): they overlap.
                self._concurrent.add(stream)
            current[stream] = request_id
        if kind is _REPORT and (running := self._open.get(stream)) is not None:
            running.pop(request_id, None)
        if (
            line.classification is None
            and line.report is None
            and not line.unhandled
            and kind is not _REPORT
            and kind is not _TIMEOUT
            and kind is not _RUNTIME_EXIT
        ):
            return request_id  # an ordinary line: `_apply` would change nothing
        self._apply(invocation, timestamp_ms, line)
        return request_id

    def close(self) -> dict[str, tuple[str, int | None]]:
        """Nothing more will come (the end of an export): judge what the lines show where the
        platform's own lines are missing. An export rarely holds every line.

        - An invocation whose lines tell how it failed (an unhandled error, a timeout, the
          runtime's exit) ended so, with or without its REPORT.
        - An environment whose init failed, with no request after it in the export, failed the
          invocation it was starting for: Lambda runs init for a request. Unless what ended it
          was Lambda's own SIGTERM: then the platform stopped the environment, and no
          invocation of the code failed (the check still shows the environment stopped).
        - A runtime killed by a signal in an invocation whose lines named running out of memory
          (`signal: killed` is how the platform reports the kernel's OOM kill) ran out of it.

        Returns the invocations made for failed inits: by stream, the request id given and when
        the init began (its lines, attributed to none, are that invocation's)."""
        made: dict[str, tuple[str, int | None]] = {}
        for invocation in self.invocations.values():
            if not invocation.reported and invocation.failed:
                invocation.reported = True
                invocation.end_ms = invocation.end_ms or invocation.start_ms
            _judge_kill(invocation)
        for stream, pending in list(self._pending.items()):
            if pending.status is Status.RUNNING:
                continue
            del self._pending[stream]
            if pending.stopped:
                continue  # Lambda stopped it while it started: no request was hurt
            request_id = f"{_UNNAMED_REQUEST} ({stream})" if stream else _UNNAMED_REQUEST
            invocation = Invocation(
                request_id=request_id,
                stream=stream,
                start_ms=pending.first_ms,
                end_ms=pending.last_ms,
                init_ms=pending.init_ms,
                restore_ms=pending.restore_ms,
                status=pending.status,
                error_type=pending.error_type,
                families=frozenset(pending.families),
                reported=True,
            )
            _judge_kill(invocation)
            self.invocations[request_id] = invocation
            made[stream] = (request_id, pending.first_ms)
        return made

    def _ended(self, request_id: str | None) -> bool:
        """Whether no invocation is running under `request_id` (none, or it reported)."""
        if request_id is None:
            return True
        invocation = self.invocations.get(request_id)
        return invocation is not None and invocation.reported

    def _report_alone(self, stream: str, timestamp_ms: int, line: ParsedLine) -> str:
        """An invocation of its own for a REPORT without its RequestId, given what its
        environment logged before it (an init, a failure). The lines after it are the next
        request's, not the last one's with an id: they wait for the next REPORT, as an init's."""
        self._current.pop(stream, None)
        self._unnamed += 1
        request_id = f"{_UNNAMED_REQUEST} ({stream + ', ' if stream else ''}REPORT {self._unnamed})"
        invocation = self._begin(request_id, stream, timestamp_ms)
        invocation.start_ms = None  # the REPORT's duration tells when it began
        self._apply(invocation, timestamp_ms, line)
        return request_id

    def _sole_running(self, stream: str, timestamp_ms: int, latest: str) -> str | None:
        """In a stream that runs requests at once, the one request running now, if only one
        is (else None); `latest` (the last to write) when none is known to run. A request whose
        REPORT never came stops counting after the longest a Lambda invocation runs."""
        running = self._open.get(stream)
        if not running:
            return latest
        # Requests are kept in the order they started: the stale ones are the first.
        while running:
            request_id, start = next(iter(running.items()))
            if timestamp_ms - start <= _LONGEST_INVOCATION_MS:
                break
            del running[request_id]
        if len(running) > 1:
            return None
        return next(iter(running), latest)

    def _begin(self, request_id: str, stream: str, timestamp_ms: int) -> Invocation:
        invocation = Invocation(
            request_id=request_id, stream=sys.intern(stream), start_ms=timestamp_ms
        )
        pending = self._pending.pop(stream, None)
        if pending is not None and pending.stopped:
            # An environment Lambda stopped serves no request: this one is another's (a file
            # that names no streams).
            pending = None
        if pending is not None:
            invocation.init_ms = pending.init_ms
            invocation.restore_ms = pending.restore_ms
            invocation.families |= pending.families
            if pending.status is not Status.RUNNING:
                invocation.status = pending.status
                invocation.error_type = pending.error_type
                self._init_failed[request_id] = pending.reports_status
                self.inherited_failures += 1
        self.invocations[request_id] = invocation
        if len(self.invocations) > self._max_invocations:
            evicted, _ = self.invocations.popitem(last=False)
            self._init_failed.pop(evicted, None)
            self.forgotten += 1
        self._trim()
        return invocation

    def forget_before(self, cutoff_ms: int) -> None:
        """Forget the invocations that ended (or, with no end seen, began) before `cutoff_ms`,
        oldest first: no window shown reaches them. They are kept in the order their first line
        came, so the first one that ended later stops it (a few older ones behind it wait for
        the next turn, minutes at most: an invocation runs 15 minutes at most)."""
        invocations = self.invocations
        while invocations:
            request_id, invocation = next(iter(invocations.items()))
            ended = invocation.end_ms if invocation.end_ms is not None else invocation.start_ms
            if ended is not None and ended >= cutoff_ms:
                return
            del invocations[request_id]
            self._init_failed.pop(request_id, None)
            self.forgotten += 1
            self._forget_stream(invocation.stream, request_id)

    def _forget_stream(self, stream: str, request_id: str) -> None:
        """A forgotten request was its stream's last: the environment has written nothing since
        (a line of its own would have come with a newer START), and any start still open in it
        without a REPORT is older than Lambda's longest run. Its place is forgotten with it: a
        busy function opens a dozen environments a minute."""
        if self._current.get(stream) != request_id:
            return
        running = self._open.get(stream)
        if running and any(other in self.invocations for other in running if other != request_id):
            return  # another request it started is still kept
        del self._current[stream]
        self._open.pop(stream, None)
        self._concurrent.discard(stream)

    def _trim(self) -> None:
        if len(self._current) > self._max_streams:
            self._current.popitem(last=False)
        if len(self._open) > self._max_streams:
            self._concurrent.discard(next(iter(self._open)))
            self._open.pop(next(iter(self._open)))
        if len(self._pending) > self._max_streams:
            self._pending.pop(next(iter(self._pending)))
        if len(self._init_failed) > self._max_streams:
            self._init_failed.pop(next(iter(self._init_failed)))

    def _note_init(self, stream: str, timestamp_ms: int, line: ParsedLine) -> None:
        pending = self._pending.get(stream)
        if pending is None:
            if line.kind is LineKind.APP and line.classification is None and not line.unhandled:
                return
            pending = self._pending[stream] = _PendingInit()
            self._trim()
        if pending.first_ms is None:
            pending.first_ms = timestamp_ms
        pending.last_ms = timestamp_ms
        report = line.report
        kind = line.kind
        if kind is LineKind.INIT_REPORT or kind is LineKind.RESTORE_REPORT or line.text[:1] == "{":
            pending.reports_status = True
        if report is not None:
            if report.init_ms is not None:
                pending.init_ms = report.init_ms
            if report.restore_ms is not None:
                pending.restore_ms = report.restore_ms
        if line.classification is not None:
            pending.families.add(line.classification.family)
        ending = _line_ending(line)
        if ending is not None:
            status, error_type = ending
            stopped = STOPPED_BY_LAMBDA in line.text[:_STOP_SCAN]
            pending.stopped = stopped and (pending.stopped or pending.status is Status.RUNNING)
            if _RANK[status] > _RANK[pending.status]:
                pending.status = status
                pending.error_type = error_type or _DEFAULT_ERROR_TYPE.get(status)
            elif pending.error_type is None:
                pending.error_type = error_type

    def _apply(self, invocation: Invocation, timestamp_ms: int, line: ParsedLine) -> None:
        classification = line.classification
        if classification is not None:
            invocation.families |= {classification.family}
        kind = line.kind
        report = line.report
        if kind is LineKind.REPORT:
            self._apply_report(invocation, timestamp_ms, report or Report())
            return
        if report is not None:
            if report.trace_id and (kind is LineKind.XRAY or invocation.trace_id is None):
                invocation.trace_id = report.trace_id
            if kind is LineKind.INIT_REPORT or kind is LineKind.RESTORE_REPORT:
                invocation.init_ms = report.init_ms or invocation.init_ms
                invocation.restore_ms = report.restore_ms or invocation.restore_ms
        ending = _line_ending(line)
        if ending is not None:
            self._init_failed.pop(invocation.request_id, None)
            _raise(invocation, *ending)
            if not invocation.reported:
                invocation.end_ms = timestamp_ms  # until a REPORT says when it ended
        elif kind is LineKind.RUNTIME_DONE and report is not None and report.status == "success":
            self._clear_init_failure(invocation)
        if kind is LineKind.RUNTIME_DONE and report is not None:
            invocation.runtime_ms = report.duration_ms

    def _apply_report(self, invocation: Invocation, timestamp_ms: int, report: Report) -> None:
        if invocation.reported and invocation.failed:
            # A retry's REPORT after a failed run: the failed run's figures are what the
            # diagnosis needs (a timeout's duration, not the retry's); a failed retry adds to
            # the failure, a successful one leaves it on record.
            status = _ending(report.status, report.error_type)
            if status is not None and status is not Status.SUCCESS:
                _raise(invocation, status, report.error_type)
            invocation.end_ms = timestamp_ms
            return
        invocation.reported = True
        invocation.end_ms = timestamp_ms
        invocation.duration_ms = report.duration_ms
        invocation.billed_ms = report.billed_ms
        invocation.memory_size_mb = _shared_mb(report.memory_size_mb)
        invocation.max_memory_mb = _shared_mb(report.max_memory_mb)
        if report.init_ms is not None:
            invocation.init_ms = report.init_ms
        if report.restore_ms is not None:
            invocation.restore_ms = report.restore_ms
        if report.trace_id is not None:
            invocation.trace_id = report.trace_id
        if invocation.start_ms is None and report.duration_ms is not None:
            invocation.start_ms = timestamp_ms - int(report.duration_ms)
        reports_status = self._init_failed.pop(invocation.request_id, None)
        status = _ending(report.status, report.error_type)
        if status is not None and status is not Status.SUCCESS:
            _raise(invocation, status, report.error_type)
        elif status is Status.SUCCESS or (status is None and reports_status):
            # The platform's verdict: whatever failed while initialising, the retried init and
            # the invocation succeeded.
            if reports_status is not None:
                invocation.status = Status.SUCCESS
                invocation.error_type = None
        elif (
            report.max_memory_mb is not None
            and report.memory_size_mb is not None
            and report.max_memory_mb >= report.memory_size_mb
        ):
            # Older REPORT lines carry no status: memory used at the limit is the OOM kill.
            _raise(invocation, Status.OUT_OF_MEMORY, "Runtime.OutOfMemory")
        if invocation.status is Status.TIMEOUT:
            invocation.families |= {ErrorFamily.TIMEOUT}
        elif invocation.status is Status.OUT_OF_MEMORY:
            invocation.families |= {ErrorFamily.OUT_OF_MEMORY}
        if invocation.status is Status.RUNNING:
            invocation.status = Status.SUCCESS

    def _clear_init_failure(self, invocation: Invocation) -> None:
        if self._init_failed.pop(invocation.request_id, None) is not None:
            invocation.status = Status.RUNNING
            invocation.error_type = None


STOPPED_BY_LAMBDA = "SIGTERM"
"""What an init error says when Lambda stopped the environment, not the code: "When Lambda is
about to shut down the runtime, it sends a SIGTERM signal to the runtime" (Extensions API,
Shutdown phase); Ruby's runtime reports it as `Init<SignalException>` "SIGTERM"."""
_STOP_SCAN = 4_000
"""How far into an error line the signal's name is looked for (a long stack follows it)."""


_MEGABYTES: dict[int, int] = {}
"""One copy of each memory figure: a function repeats its size and a few hundred `Max Memory
Used` values, and each copy past 256 is a 28-byte int an invocation."""


def _shared_mb(value: int | None) -> int | None:
    if value is None:
        return None
    # Lambda's memory is 128 to 10,240 MB: fewer distinct figures than that can be kept.
    return _MEGABYTES.setdefault(value, value) if 0 <= value <= 10_240 else value


_LAMBDA_TYPES = ("Sandbox.", "Runtime.", "Init.", "Function.")
_THREAD_HEAD = 400
"""How far into an error line its message runs: a thread limit is said on the first line."""
_UNNAMED_REQUEST = "request id not in the logs"
"""The invocation an environment's failed init was for, when the export holds no line of it."""


def _ending(status_word: str | None, error_type: str | None) -> Status | None:
    """How a phase ended, from the platform's status word and error type."""
    if error_type:
        if "OutOfMemory" in error_type:
            return Status.OUT_OF_MEMORY
        # Lambda's own `Sandbox.Timedout`; an application's `PoolTimedOut` is an error.
        if error_type.startswith(_LAMBDA_TYPES) and error_type.lower().endswith(".timedout"):
            return Status.TIMEOUT
        if "ExitError" in error_type and status_word != "success":
            return Status.CRASHED
    status = _STATUS_WORDS.get(status_word or "")
    if status is None and error_type:
        return Status.ERROR
    return status


def _line_ending(line: ParsedLine) -> tuple[Status, str | None] | None:
    """The failure a line other than REPORT reports, if any."""
    kind = line.kind
    classification = line.classification
    oom = classification is not None and classification.family is ErrorFamily.OUT_OF_MEMORY
    if kind is LineKind.TIMEOUT:
        return Status.TIMEOUT, line.error_type
    if kind is LineKind.RUNTIME_EXIT:
        status = _ending("error", line.error_type)
        if oom or status is Status.OUT_OF_MEMORY:
            return Status.OUT_OF_MEMORY, line.error_type
        return (status if status is Status.TIMEOUT else Status.CRASHED), line.error_type
    report = line.report
    if kind is LineKind.RUNTIME_DONE:
        if report is None or report.status in (None, "success"):
            return None
        status = _ending(report.status, report.error_type) or Status.ERROR
        return status, line.error_type
    if kind is LineKind.INIT_REPORT or kind is LineKind.RESTORE_REPORT:
        if report is None or report.status in (None, "success"):
            return None
        if report.status == "timeout" and (report.phase or "init") == "init":
            # Init ran out of its 10 s: Lambda retries it when the invocation starts, with the
            # invocation's own timeout. The invocation's REPORT tells how that went.
            return None
        return _ending(report.status, report.error_type) or Status.ERROR, line.error_type
    if not line.unhandled:
        return None
    if line.error_type is not None and line.error_type.lower() == "init.timeout":
        return None
    if oom:
        return Status.OUT_OF_MEMORY, line.error_type
    if THREAD_LIMIT.search(line.text, 0, _THREAD_HEAD) is not None:
        # The JVM's `OutOfMemoryError: unable to create native thread`: Lambda's limit of
        # threads an environment, which more memory does not raise.
        return Status.ERROR, line.error_type
    status = _ending("error", line.error_type) or Status.ERROR
    return status, line.error_type


def _judge_kill(invocation: Invocation) -> None:
    """A runtime that crashed where its lines named running out of memory ran out of it."""
    if invocation.status is Status.CRASHED and ErrorFamily.OUT_OF_MEMORY in invocation.families:
        _raise(invocation, Status.OUT_OF_MEMORY, "Runtime.OutOfMemory")


def _raise(invocation: Invocation, status: Status, error_type: str | None) -> None:
    """Record a failure; the most specific cause wins, and its most specific error type."""
    if status is Status.OUT_OF_MEMORY:
        invocation.families |= {ErrorFamily.OUT_OF_MEMORY}
    elif status is Status.TIMEOUT:
        invocation.families |= {ErrorFamily.TIMEOUT}
    if _RANK[status] > _RANK[invocation.status]:
        invocation.status = status
        if error_type is not None or status is not Status.ERROR:
            invocation.error_type = error_type or _DEFAULT_ERROR_TYPE.get(status)
    elif _better_type(invocation, status, error_type):
        invocation.error_type = error_type


def _better_type(invocation: Invocation, status: Status, error_type: str | None) -> bool:
    """Fill a missing error type; an OOM kill first seen as `signal: killed` is best named by
    `Runtime.OutOfMemory` when the REPORT says so."""
    if error_type is None or status is Status.SUCCESS:
        return False
    if invocation.error_type is None:
        return True
    return status is invocation.status is Status.OUT_OF_MEMORY and "OutOfMemory" in error_type
