"""Feed a whole export to a pipeline fast, with exactly the result of feeding it line by line.

`diagnose --logs` reads hundreds of thousands of events at once; the live tail reads a few at a
time and does not come here. Two savings, each exact:

- The ordinary lines of the request running in their stream (most lines: the application's
  INFO lines, END) are counted, not parsed: `parse.quiet_request_id` vouches that such a line
  changes nothing but the line count.
- With two cores, the log streams are shared between two processes and the halves merged.
  Grouping never looks across streams (each stream is one execution environment), so the
  halves are independent unless a request id shows in both (an asynchronous retry landing in
  another environment) or the tracker would have had to forget something (more streams or
  failed inits than it keeps): then the export is read again in one process. `read_and_ingest`
  forks before the export is even decoded and lets each process read it on its own: objects
  made before a fork are shared, and each one either process touches (a reference count is
  a write) costs a page copy.

`ingest_every_line` is the straightforward way, kept as the reference the tests hold these to.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from itertools import starmap
from operator import attrgetter, itemgetter
from typing import Any

from lambdatop.core.export import ExportedLogs, read_export
from lambdatop.core.parse import parse, quiet_request_id
from lambdatop.core.pipeline import Finding, LogPipeline
from lambdatop.core.records import Invocation, ParsedLine

PARALLEL_MIN_EVENTS = 50_000
"""Below this, a second process costs more than it saves."""

Columns = tuple[list[str], list[int], list[str], list[ParsedLine | None]]


def ingest_every_line(pipeline: LogPipeline, exported: ExportedLogs) -> None:
    """The straightforward way: parse every line and feed it to the pipeline, in order."""
    ingest = pipeline.ingest_line
    for stream, timestamp, message, parsed in exported.rows():
        ingest(stream, timestamp, parsed if parsed is not None else parse(message))
    pipeline.close()


def ingest_export(
    pipeline: LogPipeline, exported: ExportedLogs, *, parallel_min: int = PARALLEL_MIN_EVENTS
) -> None:
    """What `ingest_every_line` does to a fresh pipeline, sooner."""
    if len(exported) > pipeline.tracker.limits[0]:
        # Invocations would be evicted: a skipped line's request might be gone.
        ingest_every_line(pipeline, exported)
        return
    columns = exported.as_columns()
    halves = _halves(pipeline, columns, parallel_min) if _two_cores() else None
    if halves is None or not _ingest_in_two(pipeline, columns, halves):
        _ingest(pipeline, columns, range(len(columns[0])))
    pipeline.close()


_BYTES_PER_EVENT = 200
"""About the least an event takes in an export (raw text takes less, and is read alone)."""


def read_and_ingest(
    data: bytes, pipeline: LogPipeline, *, parallel_min: int = PARALLEL_MIN_EVENTS
) -> ExportedLogs:
    """`read_export(data)`, fed to a fresh `pipeline` as `ingest_export` feeds it. For a big
    input, a second process reads the export too, on its own, and takes half the streams.
    Raises ExportError as `read_export` does."""
    if len(data) < parallel_min * _BYTES_PER_EVENT or not _two_cores():
        exported = read_export(data)
        ingest_export(pipeline, exported, parallel_min=parallel_min)
        return exported
    try:
        collect = _in_child(lambda: _read_and_run_half(data, pipeline, parallel_min))
    except OSError:
        exported = read_export(data)
        ingest_export(pipeline, exported, parallel_min=parallel_min)
        return exported
    try:
        exported = read_export(data)
    except BaseException:
        collect()  # the child fails the same way: wait for it
        raise
    columns = exported.as_columns()
    halves = None
    if len(exported) <= pipeline.tracker.limits[0]:
        halves = _halves(pipeline, columns, parallel_min)
    if halves is None:  # the child saw it too, and stopped
        collect()
        ingest_export(pipeline, exported, parallel_min=parallel_min)
        return exported
    mine = _run_shard(pipeline, columns, halves[0])
    theirs = collect()
    if theirs is None or not _merge(pipeline, (mine, theirs)):
        _ingest(pipeline, columns, range(len(columns[0])))
    pipeline.close()
    return exported


def _read_and_run_half(
    data: bytes, pipeline: LogPipeline, parallel_min: int
) -> _ShardResult | None:
    """The second process of `read_and_ingest`: the same reading, the same halves, the other
    half (None, and the first process reads it all, when it would not share)."""
    exported = read_export(data)
    if len(exported) > pipeline.tracker.limits[0]:
        return None
    columns = exported.as_columns()
    halves = _halves(pipeline, columns, parallel_min)
    return None if halves is None else _run_shard(pipeline, columns, halves[1])


def _two_cores() -> bool:
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2


def _halves(
    pipeline: LogPipeline, columns: Columns, parallel_min: int
) -> tuple[set[str], set[str]] | None:
    """The streams shared between two processes, or None when one should read it all: too few
    events to gain, one stream only, or more streams than the tracker keeps."""
    if len(columns[0]) < parallel_min:
        return None
    streams = Counter(columns[0])
    if not 2 <= len(streams) <= pipeline.tracker.limits[1]:
        return None
    return _split(streams)


def _ingest(pipeline: LogPipeline, columns: Columns, indices: Iterable[int]) -> None:
    """Feed the events at `indices` (in export order), counting the quiet lines unparsed."""
    streams, timestamps, messages, parsed = columns
    ingest = pipeline.ingest_line
    running = pipeline.tracker.running
    shard = pipeline if isinstance(pipeline, _Shard) else None
    quiet = 0
    for index in indices:
        stream = streams[index]
        line = parsed[index]
        if line is None:
            message = messages[index]
            request_id = quiet_request_id(message)
            if request_id is not None and request_id == running(stream):
                quiet += 1
                continue
            line = parse(message)
        if shard is not None:
            shard.position = index
        ingest(stream, timestamps[index], line)
    if quiet:
        # Every event's time is some ingested line's or some quiet line's: the bounds of all
        # of them are what feeding each line would have left.
        pipeline.count_quiet(quiet, min(timestamps), max(timestamps))


def _split(streams: Counter[str]) -> tuple[set[str], set[str]]:
    """Two sets of streams with about as many events each: the busiest first, each to the
    lighter side."""
    sides: tuple[set[str], set[str]] = (set(), set())
    loads = [0, 0]
    for stream, count in streams.most_common():
        side = 0 if loads[0] <= loads[1] else 1
        sides[side].add(stream)
        loads[side] += count
    return sides


class _Shard(LogPipeline):
    """A pipeline over some streams only: it keeps each finding with its event's place in the
    export, so that the merge can record them all in the export's order."""

    def __init__(self, pipeline: LogPipeline) -> None:
        max_invocations, max_streams = pipeline.tracker.limits
        super().__init__(max_invocations=max_invocations, max_streams=max_streams)
        self.position = 0
        self.marks: list[tuple[int, Finding]] = []

    def record(self, finding: Finding) -> None:
        self.marks.append((self.position, finding))

    def reattribute(self, owner: Callable[[Finding], str | None]) -> None:
        for index, (position, finding) in enumerate(self.marks):
            if finding.request_id is None and (request_id := owner(finding)) is not None:
                self.marks[index] = (position, replace(finding, request_id=request_id))


_INVOCATION_FIELDS = attrgetter(*Invocation.__slots__)


_RESULT_REST = (
    "marks",
    "lines",
    "error_lines",
    "first_ms",
    "last_ms",
    "inherited_failures",
    "json_logs",
    "records",
    "api_events",
)


@dataclass(slots=True)
class _ShardResult:
    """What one process found."""

    invocations: list[Invocation]
    marks: list[tuple[int, Finding]]
    lines: int
    error_lines: int
    first_ms: int | None
    last_ms: int | None
    inherited_failures: int
    json_logs: bool
    records: dict[str, set[str]]
    api_events: set[tuple[str, str | None]]

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Across the pipe, each invocation as the tuple of its fields: pickling slotted
        # objects one by one is several times slower.
        fields = list(map(_INVOCATION_FIELDS, self.invocations))
        return _unpickle_result, (fields, *(getattr(self, name) for name in _RESULT_REST))


def _unpickle_result(fields: list[tuple[Any, ...]], *rest: Any) -> _ShardResult:
    return _ShardResult(list(starmap(Invocation, fields)), *rest)


def _run_shard(pipeline: LogPipeline, columns: Columns, side: set[str]) -> _ShardResult:
    shard = _Shard(pipeline)
    streams = columns[0]
    _ingest(shard, columns, [i for i, stream in enumerate(streams) if stream in side])
    shard.close()  # its streams are whole: what their lines show is judged where it is known
    return _ShardResult(
        invocations=list(shard.tracker.invocations.values()),
        marks=shard.marks,
        lines=shard.lines,
        error_lines=shard.error_lines,
        first_ms=shard.first_ms,
        last_ms=shard.last_ms,
        inherited_failures=shard.tracker.inherited_failures,
        json_logs=shard.json_logs,
        records=shard.records,
        api_events=shard.api_events,
    )


def _ingest_in_two(
    pipeline: LogPipeline, columns: Columns, halves: tuple[set[str], set[str]]
) -> bool:
    """Half the streams in a child process (sharing the columns read here), half here, merged
    into `pipeline`; False (and `pipeline` untouched) when the halves could have interacted or
    the child failed."""
    try:
        collect = _in_child(lambda: _run_shard(pipeline, columns, halves[1]))
    except OSError:
        return False
    mine = _run_shard(pipeline, columns, halves[0])
    theirs = collect()
    if theirs is None:
        return False
    return _merge(pipeline, (mine, theirs))


def _in_child(work: Callable[[], _ShardResult | None]) -> Callable[[], _ShardResult | None]:
    """Start `work` in a forked process; the function returned waits for its result (None if
    the child failed or had none). The child leaves with `os._exit`: nothing of the parent's
    is flushed or cleaned up twice."""
    import pickle  # here: only a big export is read in two processes

    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read_fd)
            result = work()
            with os.fdopen(write_fd, "wb") as pipe:
                if result is not None:
                    pipe.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)

    def collect() -> _ShardResult | None:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return None
        try:
            result: _ShardResult = pickle.loads(data)
        except Exception:  # noqa: BLE001 - a child that died half-way: read it all here
            return None
        return result

    return collect


def _merge(pipeline: LogPipeline, results: tuple[_ShardResult, ...]) -> bool:
    """Both halves into `pipeline`, as if it had read every line itself; False when the halves
    could have interacted (the caller then reads the export in one process)."""
    _, max_streams = pipeline.tracker.limits
    request_ids = [{inv.request_id for inv in result.invocations} for result in results]
    if len(set().union(*request_ids)) != sum(map(len, request_ids)):
        return False  # a request in both halves: its lines must meet in one invocation
    if sum(result.inherited_failures for result in results) > max_streams:
        return False  # the tracker would have forgotten some failed inits on the way
    invocations = pipeline.tracker.invocations
    for result in results:
        for invocation in result.invocations:
            invocations[invocation.request_id] = invocation
    marks = sorted((mark for result in results for mark in result.marks), key=itemgetter(0))
    for _, finding in marks:
        pipeline.record(finding)
    pipeline.lines = sum(result.lines for result in results)
    pipeline.error_lines = sum(result.error_lines for result in results)
    pipeline.json_logs = any(result.json_logs for result in results)
    for result in results:
        for record, named in result.records.items():
            pipeline.records.setdefault(record, set()).update(named)
        pipeline.api_events.update(result.api_events)
    firsts = [result.first_ms for result in results if result.first_ms is not None]
    lasts = [result.last_ms for result in results if result.last_ms is not None]
    pipeline.first_ms = min(firsts) if firsts else None
    pipeline.last_ms = max(lasts) if lasts else None
    return True
