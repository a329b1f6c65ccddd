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
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from itertools import starmap
from operator import attrgetter, itemgetter
from typing import Any, BinaryIO

from lambdatop.core import export
from lambdatop.core.export import EventColumns, ExportedLogs, PageHalf, read_export
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
    input, a second process reads it too and takes half the streams: a page of
    `filter-log-events` each process decodes half of (the events kept in neither: the result
    counts them, `read_elsewhere`), anything else each process reads whole, on its own.
    Raises ExportError as `read_export` does."""
    if len(data) < parallel_min * _BYTES_PER_EVENT or not _two_cores():
        return _read_alone(data, pipeline, parallel_min)
    cut = export.page_cut(data) if len(data) >= export.DECODER_MIN_BYTES else None
    try:
        if cut is None:
            peer = _Peer.fork(lambda _: _read_and_run_half(data, pipeline, parallel_min))
        else:
            peer = _Peer.fork(lambda peer: _second_half(data, cut, pipeline, parallel_min, peer))
    except OSError:
        return _read_alone(data, pipeline, parallel_min)
    if cut is not None:
        try:
            exported = _first_half(data, cut, pipeline, parallel_min, peer)
        except _PeerLost:
            peer.finish()
            return _read_alone(data, pipeline, parallel_min=_NEVER)
        if exported is not None:
            return exported
    return _read_beside(data, pipeline, parallel_min, peer)


_NEVER = 2**62
"""A `parallel_min` that keeps everything in one process."""


def _read_alone(data: bytes, pipeline: LogPipeline, parallel_min: int) -> ExportedLogs:
    exported = read_export(data)
    ingest_export(pipeline, exported, parallel_min=parallel_min)
    return exported


def _read_beside(
    data: bytes, pipeline: LogPipeline, parallel_min: int, peer: _Peer
) -> ExportedLogs:
    """`read_and_ingest` with `peer` reading the whole export too (`_read_and_run_half`)."""
    try:
        exported = read_export(data)
    except BaseException:
        peer.result()  # the child fails the same way: wait for it
        raise
    columns = exported.as_columns()
    halves = None
    if len(exported) <= pipeline.tracker.limits[0]:
        halves = _halves(pipeline, columns, parallel_min)
    if halves is None:  # the child saw it too, and stopped
        peer.result()
        ingest_export(pipeline, exported, parallel_min=parallel_min)
        return exported
    mine = _run_shard(pipeline, (columns, _indices(columns[0], halves[0]), None))
    theirs = peer.result()
    if theirs is None or not _merge(pipeline, (mine, theirs)):
        _ingest(pipeline, columns, range(len(columns[0])))
    pipeline.close()
    return exported


def _read_and_run_half(
    data: bytes, pipeline: LogPipeline, parallel_min: int
) -> _ShardResult | None:
    """The second process of `_read_beside`: the same reading, the same halves, the other half
    (None, and the first process reads it all, when it would not share)."""
    exported = read_export(data)
    if len(exported) > pipeline.tracker.limits[0]:
        return None
    columns = exported.as_columns()
    halves = _halves(pipeline, columns, parallel_min)
    return (
        None
        if halves is None
        else _run_shard(pipeline, (columns, _indices(columns[0], halves[1]), None))
    )


# --- a page read in halves: each process decodes its half of the bytes, and the two exchange
# the events of each other's streams ------------------------------------------------------------

Events = tuple[list[int], list[str], list[int], list[str]]
"""Some events of a page: their places in it, streams, times and messages."""
_Facts = tuple[int, list[int], list[str], list[tuple[str, int]]]
"""What the second half tells the first: its first event's time, its event ids' hashes, its
first messages and its events per stream (in the order the streams first appear)."""


def _first_half(
    data: bytes, cut: tuple[int, int], pipeline: LogPipeline, parallel_min: int, peer: _Peer
) -> ExportedLogs | None:
    """The first process's part of a page read in halves (`_second_half` is the other's): None
    when the page is to be read whole, beside the child (which is told so)."""
    half = export.read_page_half(data, cut, second=False)
    facts: _Facts | None = peer.receive()
    if half is None or facts is None or not half.joins(*facts[:3]):
        peer.send(None)
        return None
    counts = Counter(half.streams)
    counts.update(dict(facts[3]))  # in the order the streams first appear in the page
    total = counts.total()
    if total > pipeline.tracker.limits[0]:
        peer.send(None)  # every line is parsed (`ingest_export`): read it as it reads it
        return None
    sides = _sides(pipeline, counts) if total >= parallel_min else None
    theirs = sides[1] if sides is not None else set()
    peer.send((len(half), list(theirs)))
    leaving, staying = _parted(half.streams, theirs)
    outgoing = _pickled(_events_at(half, leaving, 0))  # while the child pickles its own
    arriving = _arrived(peer.receive())
    peer.send_pickled(outgoing)
    own: _Part = (_columns(half), staying, None)
    exported = ExportedLogs("json")
    exported.use_columns(EventColumns([], [], [], [], []))
    exported.read_elsewhere = total
    if sides is None:  # one process reads it all: this one, which now holds it all
        peer.result()
        for columns, indices, _ in (own, arriving):
            _ingest(pipeline, columns, indices)
        pipeline.close()
        return exported
    mine = _run_shard(pipeline, own, arriving)
    result = peer.result()
    if result is None or not _merge(pipeline, (mine, result)):
        return _read_alone(data, pipeline, _NEVER)
    pipeline.close()
    return exported


def _second_half(
    data: bytes, cut: tuple[int, int], pipeline: LogPipeline, parallel_min: int, peer: _Peer
) -> _ShardResult | None:
    """The second process's part of `_first_half`: its half decoded, what the first needs to
    know of it told; then its streams' events (theirs sent, its own received) read."""
    half = export.read_page_half(data, cut, second=True)
    if half is None or not half.ids_unique():
        peer.send(None)
    else:
        counts = list(Counter(half.streams).items())
        facts: _Facts = (half.timestamps[0], half.id_hashes, half.messages[:400], counts)
        peer.send(facts)
    plan: tuple[int, list[str]] | None = peer.receive()
    if plan is None:
        return _read_and_run_half(data, pipeline, parallel_min)
    assert half is not None  # the first process read it in halves: this one's was read
    offset, kept = plan
    leaving, staying = _parted(half.streams, set(kept), keep=True)
    peer.send(_events_at(half, leaving, offset))
    arriving = _arrived(peer.receive())
    if not kept:
        return None
    own: _Part = (_columns(half), staying, range(offset, offset + len(half)))
    return _run_shard(pipeline, arriving, own)


def _parted(
    streams: list[str], side: set[str], *, keep: bool = False
) -> tuple[list[int], list[int]]:
    """The places of the events whose stream is in `side` and of the others: those to send
    first, then those to keep (the ones in `side` are kept when `keep`)."""
    inside: list[int] = []
    outside: list[int] = []
    for index, stream in enumerate(streams):
        (inside if stream in side else outside).append(index)
    return (outside, inside) if keep else (inside, outside)


def _events_at(half: PageHalf, indices: list[int], offset: int) -> Events:
    return (
        list(map(offset.__add__, indices)),
        list(map(half.streams.__getitem__, indices)),
        list(map(half.timestamps.__getitem__, indices)),
        list(map(half.messages.__getitem__, indices)),
    )


def _columns(half: PageHalf) -> Columns:
    return half.streams, half.timestamps, half.messages, [None] * len(half)


def _arrived(events: Events) -> _Part:
    """The events the other process sent, as a part to feed a shard."""
    positions, streams, stamps, messages = events
    return (streams, stamps, messages, [None] * len(messages)), range(len(messages)), positions


class _PeerLost(Exception):
    """The other process ended (or sent nonsense) in the middle of a read in halves."""


class _Peer:
    """The other process of a read in two, over a pipe each way, a pickle a message. The child
    runs `work` and sends what it returns last; it leaves with `os._exit`: nothing of the
    parent's is flushed or cleaned up twice."""

    def __init__(self, pid: int, incoming: BinaryIO, outgoing: BinaryIO) -> None:
        self.pid = pid
        self.incoming = incoming
        self.outgoing = outgoing
        self.finished = False

    @staticmethod
    def fork(work: Callable[[_Peer], _ShardResult | None]) -> _Peer:
        down = os.pipe()  # parent to child
        try:
            up = os.pipe()  # child to parent
        except OSError:
            os.close(down[0])
            os.close(down[1])
            raise
        try:
            pid = os.fork()
        except OSError:
            for fd in (*down, *up):
                os.close(fd)
            raise
        if pid == 0:  # the child
            status = 1
            try:
                os.close(down[1])
                os.close(up[0])
                child = _Peer(0, os.fdopen(down[0], "rb"), os.fdopen(up[1], "wb"))
                child.send(work(child))
                status = 0
            finally:
                os._exit(status)
        os.close(down[0])
        os.close(up[1])
        return _Peer(pid, os.fdopen(up[0], "rb"), os.fdopen(down[1], "wb"))

    def send(self, message: object) -> None:
        self.send_pickled(_pickled(message))

    def send_pickled(self, message: bytes) -> None:
        try:
            self.outgoing.write(message)
            self.outgoing.flush()
        except OSError as error:  # the other process is gone
            raise _PeerLost from error

    def receive(self) -> Any:
        import pickle  # here: only a big export is read in two processes

        try:
            return pickle.load(self.incoming)
        except Exception as error:  # a process that died half-way: any error
            raise _PeerLost from error

    def result(self) -> _ShardResult | None:
        """The child's last message, its result (None if it failed or had none); it is waited
        for."""
        try:
            result: _ShardResult | None = self.receive()
        except _PeerLost:
            result = None
        return result if self.finish() else None

    def finish(self) -> bool:
        """Whether the child ended well; its pipes closed (a child still writing or reading
        one stops), and it waited for."""
        if self.finished:
            return False
        self.finished = True
        for pipe in (self.outgoing, self.incoming):
            with suppress(OSError):  # what was left unsent: the child is gone
                pipe.close()
        _, status = os.waitpid(self.pid, 0)
        return status == 0


def _pickled(message: object) -> bytes:
    import pickle  # here: only a big export is read in two processes

    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def _two_cores() -> bool:
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2


def _halves(
    pipeline: LogPipeline, columns: Columns, parallel_min: int
) -> tuple[set[str], set[str]] | None:
    """The streams shared between two processes, or None when one should read it all: too few
    events to gain, one stream only, or more streams than the tracker keeps."""
    if len(columns[0]) < parallel_min:
        return None
    return _sides(pipeline, Counter(columns[0]))


def _sides(pipeline: LogPipeline, streams: Counter[str]) -> tuple[set[str], set[str]] | None:
    """`_halves` of the events counted per stream (in the order the streams first appear)."""
    if not 2 <= len(streams) <= pipeline.tracker.limits[1]:
        return None
    return _split(streams)


def _indices(streams: list[str], side: set[str]) -> list[int]:
    return [i for i, stream in enumerate(streams) if stream in side]


def _ingest(
    pipeline: LogPipeline,
    columns: Columns,
    indices: Iterable[int],
    positions: Sequence[int] | None = None,
) -> None:
    """Feed the events at `indices` (in export order), counting the quiet lines unparsed; a
    shard notes each finding's place in the export: `positions[index]`, else `index`."""
    streams, timestamps, messages, parsed = columns
    places = range(len(streams)) if positions is None else positions
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
            shard.position = places[index]
        ingest(stream, timestamps[index], line)
    if quiet:
        # Every event's time is some ingested line's or some quiet line's: the bounds of all
        # of them are what feeding each line would have left. (The columns may hold other
        # events, fed to another shard: the merged bounds are the same.)
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


_Part = tuple[Columns, Iterable[int], Sequence[int] | None]
"""Events to feed a shard: columns, the indices of the events in them (in the export's order)
and their places in the export (None: the indices are)."""


def _run_shard(pipeline: LogPipeline, *parts: _Part) -> _ShardResult:
    """A shard fed the `parts` in turn (each after the one before in the export), closed."""
    shard = _Shard(pipeline)
    for columns, indices, positions in parts:
        _ingest(shard, columns, indices, positions)
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
    streams = columns[0]
    try:
        other: _Part = (columns, _indices(streams, halves[1]), None)
        peer = _Peer.fork(lambda _: _run_shard(pipeline, other))
    except OSError:
        return False
    mine = _run_shard(pipeline, (columns, _indices(streams, halves[0]), None))
    theirs = peer.result()
    if theirs is None:
        return False
    return _merge(pipeline, (mine, theirs))


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
