"""Group log lines into invocations.

A line with a request id belongs to that request. A line without one (a stack trace, a Go
panic, a print during init) belongs to the invocation running in its log stream at that moment:
each stream is one execution environment, which runs one request at a time. Lines written while
an environment initialises belong to the first invocation it then serves (the cold start).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

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


class InvocationTracker:
    """Assembles invocations from lines fed in each stream's order. Bounded in memory."""

    def __init__(self, max_invocations: int = 50_000, max_streams: int = 5_000) -> None:
        self.invocations: OrderedDict[str, Invocation] = OrderedDict()
        self._current: OrderedDict[str, str] = OrderedDict()
        self._pending: dict[str, _PendingInit] = {}
        self._max_invocations = max_invocations
        self._max_streams = max_streams

    def add(self, event: LogEvent, line: ParsedLine) -> str | None:
        """Record one line; return the request id it was attributed to (None during init)."""
        stream = event.stream
        kind = line.kind
        if kind is LineKind.INIT_START or kind is LineKind.RESTORE_START:
            # A new environment: nothing before this belongs to what follows.
            self._current.pop(stream, None)
            self._pending[stream] = _PendingInit()
            return None
        request_id = line.request_id
        if request_id is None:
            request_id = self._current.get(stream)
            if request_id is None:
                self._note_init(stream, line)
                return None
        invocation = self.invocations.get(request_id)
        if invocation is None:
            invocation = self._open(request_id, stream, event)
        if kind is LineKind.START:
            invocation.start_ms = event.timestamp_ms
            invocation.version = line.version
            self._current[stream] = request_id
            self._current.move_to_end(stream)
        elif request_id != self._current.get(stream) and line.request_id is not None:
            self._current[stream] = request_id
        _apply(invocation, event, line)
        return request_id

    def _open(self, request_id: str, stream: str, event: LogEvent) -> Invocation:
        invocation = Invocation(request_id=request_id, stream=stream, start_ms=event.timestamp_ms)
        pending = self._pending.pop(stream, None)
        if pending is not None:
            invocation.init_ms = pending.init_ms
            invocation.restore_ms = pending.restore_ms
            invocation.families |= pending.families
            if pending.status is not Status.RUNNING:
                invocation.status = pending.status
                invocation.error_type = pending.error_type
        self.invocations[request_id] = invocation
        if len(self.invocations) > self._max_invocations:
            self.invocations.popitem(last=False)
        if len(self._current) > self._max_streams:
            self._current.popitem(last=False)
        if len(self._pending) > self._max_streams:
            self._pending.pop(next(iter(self._pending)))
        return invocation

    def _note_init(self, stream: str, line: ParsedLine) -> None:
        pending = self._pending.get(stream)
        if pending is None:
            if line.kind is LineKind.APP and line.classification is None and not line.unhandled:
                return
            pending = self._pending[stream] = _PendingInit()
        report = line.report
        if report is not None:
            if report.init_ms is not None:
                pending.init_ms = report.init_ms
            if report.restore_ms is not None:
                pending.restore_ms = report.restore_ms
        if line.classification is not None:
            pending.families.add(line.classification.family)
        if line.unhandled and _RANK[Status.ERROR] > _RANK[pending.status]:
            pending.status = Status.ERROR
            pending.error_type = line.error_type


def _apply(invocation: Invocation, event: LogEvent, line: ParsedLine) -> None:
    classification = line.classification
    if classification is not None:
        invocation.families.add(classification.family)
    kind = line.kind
    if kind is LineKind.REPORT:
        _apply_report(invocation, event, line.report or Report())
    elif kind is LineKind.TIMEOUT:
        invocation.families.add(ErrorFamily.TIMEOUT)
        _raise(invocation, Status.TIMEOUT, line.error_type)
    elif kind is LineKind.RUNTIME_EXIT:
        oom = classification is not None and classification.family is ErrorFamily.OUT_OF_MEMORY
        _raise(invocation, Status.OUT_OF_MEMORY if oom else Status.CRASHED, line.error_type)
    elif kind is LineKind.RUNTIME_DONE and line.report is not None:
        status = _STATUS_WORDS.get(line.report.status or "")
        if status is not None:
            _raise(invocation, status, line.error_type)
        if line.report.trace_id and invocation.trace_id is None:
            invocation.trace_id = line.report.trace_id
    elif kind is LineKind.XRAY and line.report is not None:
        invocation.trace_id = line.report.trace_id or invocation.trace_id
    elif kind is LineKind.INIT_REPORT or kind is LineKind.RESTORE_REPORT:
        report = line.report
        if report is not None:
            invocation.init_ms = report.init_ms or invocation.init_ms
            invocation.restore_ms = report.restore_ms or invocation.restore_ms
        if line.unhandled:
            _raise(invocation, Status.ERROR, line.error_type)
    elif line.unhandled:
        oom = classification is not None and classification.family is ErrorFamily.OUT_OF_MEMORY
        _raise(invocation, Status.OUT_OF_MEMORY if oom else Status.ERROR, line.error_type)


def _apply_report(invocation: Invocation, event: LogEvent, report: Report) -> None:
    invocation.reported = True
    invocation.end_ms = event.timestamp_ms
    invocation.duration_ms = report.duration_ms
    invocation.billed_ms = report.billed_ms
    invocation.memory_size_mb = report.memory_size_mb
    invocation.max_memory_mb = report.max_memory_mb
    if report.init_ms is not None:
        invocation.init_ms = report.init_ms
    if report.restore_ms is not None:
        invocation.restore_ms = report.restore_ms
    if report.trace_id is not None:
        invocation.trace_id = report.trace_id
    if invocation.start_ms is None and report.duration_ms is not None:
        invocation.start_ms = event.timestamp_ms - int(report.duration_ms)
    error_type = report.error_type
    if error_type and "OutOfMemory" in error_type:
        invocation.families.add(ErrorFamily.OUT_OF_MEMORY)
        _raise(invocation, Status.OUT_OF_MEMORY, error_type)
        return
    status = _STATUS_WORDS.get(report.status or "")
    if status is Status.TIMEOUT:
        invocation.families.add(ErrorFamily.TIMEOUT)
    if status is not None and status is not Status.SUCCESS:
        _raise(invocation, status, error_type)
    elif (
        status is None
        and report.max_memory_mb is not None
        and report.memory_size_mb is not None
        and report.max_memory_mb >= report.memory_size_mb
    ):
        # Older REPORT lines carry no status: memory used at the limit is the out-of-memory kill.
        invocation.families.add(ErrorFamily.OUT_OF_MEMORY)
        _raise(invocation, Status.OUT_OF_MEMORY, "Runtime.OutOfMemory")
    if invocation.status is Status.RUNNING:
        invocation.status = Status.SUCCESS


def _raise(invocation: Invocation, status: Status, error_type: str | None) -> None:
    if _RANK[status] > _RANK[invocation.status]:
        invocation.status = status
        if error_type is not None or status is not Status.ERROR:
            invocation.error_type = error_type or invocation.error_type
    elif invocation.error_type is None and error_type is not None and status is not Status.SUCCESS:
        invocation.error_type = error_type
