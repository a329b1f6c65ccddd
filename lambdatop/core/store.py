"""The store: everything lambdatop knows, per function, bounded, with a change counter.

Pollers write into it; the UI and the diagnosis read from it. It does no I/O. Each write bumps
`version`, so a screen repaints at its own frame rate only when something changed.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lambdatop.core.fleetlogs import LogTroubleScan
from lambdatop.core.pipeline import Finding, LogPipeline
from lambdatop.core.records import (
    ApiRoute,
    EventSource,
    FunctionConfig,
    LineKind,
    LogEvent,
    LogRecord,
    MetricSeries,
    ParsedLine,
    TraceSegment,
    TraceSummary,
)
from lambdatop.core.sanitize import one_line
from lambdatop.core.sources import BANNER_ORDER, ErrorKind, InFlight, SourceKey

if TYPE_CHECKING:  # Logs Insights' figures: their module loads with the monitor's sources
    from lambdatop.core.aggregate import WindowFigures

Clock = Callable[[], float]


@dataclass(slots=True)
class SourceHealth:
    """How one data source (inventory, metrics, logs of a function, traces) is faring."""

    key: SourceKey
    last_ok_s: float | None = None
    last_attempt_s: float | None = None
    error: str | None = None
    """One line for a person, e.g. `throttled by CloudWatch Logs (ThrottlingException)`."""
    error_kind: ErrorKind | None = None
    next_retry_s: float | None = None
    """When the source is read again; None when nothing reads it again by itself (then its
    error never says "retrying")."""
    failures: int = 0

    def age_s(self, now_s: float) -> float | None:
        return None if self.last_ok_s is None else max(now_s - self.last_ok_s, 0.0)


@dataclass(slots=True)
class ApiState:
    route: ApiRoute
    metrics: dict[str, MetricSeries] = field(default_factory=dict)


class FunctionState:
    """All that is known of one function."""

    def __init__(self, name: str, tail_lines: int = 5_000, clock: Clock = time.time) -> None:
        self.name = name
        self.clock = clock
        self.config: FunctionConfig | None = None
        self.pipeline = LogPipeline()
        self.tail: deque[LogRecord] = deque(maxlen=tail_lines)
        self.tail_total = 0
        """Lines ever appended to the tail, so a view knows how many it has not seen."""
        self.tail_rebuilds = 0
        """Times the tail was laid out again in time order (`add_events_before`): a view then
        takes it afresh."""
        self.metrics: dict[str, MetricSeries] = {}
        self.traces: OrderedDict[str, TraceSummary] = OrderedDict()
        self.traces_read = False
        """X-Ray was asked at least once (an empty `traces` then means none failed)."""
        self.traces_capped = False
        """More failed traces were seen than are kept: counts of them are "at least"."""
        self.trace_details: OrderedDict[str, list[TraceSegment]] = OrderedDict()
        self.event_sources: list[EventSource] | None = None
        self.log_group_missing = False
        """The log group does not exist (yet): the function never logged, or logs elsewhere."""
        self.log_source: str | None = None
        """How the log lines come when not by polling: `Live Tail`, and whether AWS samples."""
        self.log_format_seen: str | None = None
        """`Text` or `JSON`, as the platform lines show it (emulators drop LoggingConfig)."""
        self.apis: dict[str, ApiState] | None = None
        self.window: WindowFigures | None = None
        """The window's figures from Logs Insights, when the backfill stopped short of it."""
        self.window_lines: list[tuple[int, str, str]] = []
        """The window's error-family lines Insights returned: (epoch ms, stream, message)."""
        self.scan_question: str | None = None
        """Counting the window would scan more than the limit: what to ask the person."""
        self.version = 0
        self.series_keep_s = WIDEST_SERIES_S
        """How far back from its newest minute a metric series is kept (Store.keep_series_for)."""
        self.keep_ms: int | None = None
        """How far back from now invocations, and the lines the diagnosis quotes, are kept
        (Store.keep_series_for); None: all of them, up to their counts (an export, `diagnose`)."""
        self._swept_at = 0
        """The tracker's `forgotten` when event source records were last swept."""

    def add_events(self, events: Iterable[LogEvent]) -> list[LogRecord]:
        """Parse, group and append new log events to the tail."""
        return self.add_records([self.pipeline.ingest(event) for event in events])

    def add_records(self, records: list[LogRecord]) -> list[LogRecord]:
        """Append records the pipeline made to the tail."""
        if self.log_format_seen is None:
            for record in records:
                if record.line.kind in (LineKind.START, LineKind.REPORT):
                    self.log_format_seen = "JSON" if record.line.text[:1] == "{" else "Text"
                    break
        if records:
            self.tail.extend(records)
            self.tail_total += len(records)
            self.version += 1
            if self.keep_ms is not None:
                self._forget_old(self.keep_ms)
        return records

    def _forget_old(self, keep_ms: int) -> None:
        """Forget what no window shown reaches: invocations and the lines the diagnosis quotes
        older than `keep_ms` before now (or before the newest line, if the clock runs ahead of
        the log), and the event source records only forgotten invocations named. Memory then
        stops growing once the window is full, and so does the work of each repaint: an opened
        function kept up to 50,000 invocations, about 0.8 KB each, a window of 1 h or not."""
        pipeline = self.pipeline
        newest = pipeline.last_ms
        if newest is None:
            return
        cutoff = min(int(self.clock() * 1000), newest) - keep_ms
        tracker = pipeline.tracker
        tracker.forget_before(cutoff)
        for found in pipeline.kept_lines():
            _forget_findings(found, cutoff)
        kept = tracker.invocations
        if tracker.forgotten - self._swept_at > len(kept) // 4:
            # Now and then (a quarter of the kept invocations turned over): a record is of use
            # to the diagnosis only through an invocation that named it.
            self._swept_at = tracker.forgotten
            records = pipeline.records
            for key in [key for key, named in records.items() if kept.keys().isdisjoint(named)]:
                del records[key]

    def add_events_before(self, older: Iterable[LogEvent], held: list[LogRecord]) -> None:
        """Add events older than every one added so far (`held`, their records): a backfill
        handed over newest minute first. The log is read again in time order, older events
        first, so lines are grouped into invocations as a read in order groups them; the gaps
        marked meanwhile (older lines not loaded) stay first."""
        gaps = [record for record in self.tail if record.line.kind is LineKind.GAP]
        self.pipeline = LogPipeline()
        self.log_format_seen = None
        self.tail.clear()
        self.tail.extend(gaps)
        self.tail_total -= len(held)
        self._swept_at = 0
        self.add_events(older)
        self.add_records([self.pipeline.ingest_parsed(r.event, r.line) for r in held])
        self.tail_rebuilds += 1

    def trace_ids(self) -> set[str]:
        """X-Ray trace ids the function's invocations reported."""
        return {inv.trace_id for inv in self.pipeline.tracker.invocations.values() if inv.trace_id}

    def add_gap(self, timestamp_ms: int, reason: str) -> None:
        """Mark the tail where lines may be missing."""
        text = one_line(reason)
        line = ParsedLine(kind=LineKind.GAP, text=text)
        self.tail.append(LogRecord(LogEvent(timestamp_ms, text), line))
        self.tail_total += 1
        self.version += 1

    def set_metric(self, key: str, points: dict[int, float]) -> None:
        """Merge a read of one series; the version moves only when a point did (a poll that
        brings nothing new costs no diagnosis and no repaint: issue 13)."""
        series = self.metrics.get(key)
        if series is None:
            series = self.metrics[key] = MetricSeries(key)
            self.version += 1
        if any(series.points.get(minute) != value for minute, value in points.items()):
            self.version += 1
        series.points.update(points)
        _trim_series(series, self.series_keep_s)

    def set_traces(self, traces: Iterable[TraceSummary], keep: int = 200) -> None:
        """Merge a read of trace summaries; the version moves only when one is new or changed."""
        changed = not self.traces_read
        self.traces_read = True
        for trace in traces:
            if self.traces.get(trace.trace_id) != trace:
                self.traces[trace.trace_id] = trace
                changed = True
        if not changed:
            return
        if len(self.traces) > keep:
            self.traces_capped = True  # the newest `keep` are kept: there were more
        ordered = sorted(self.traces.values(), key=lambda t: t.start_s)[-keep:]
        self.traces = OrderedDict((t.trace_id, t) for t in ordered)
        self.version += 1

    def set_trace_detail(self, trace_id: str, segments: list[TraceSegment], keep: int = 50) -> None:
        self.trace_details[trace_id] = segments
        while len(self.trace_details) > keep:
            self.trace_details.popitem(last=False)
        self.version += 1


WIDEST_SERIES_S = 13 * 3600
"""One-minute points for the widest window (12 h) and an hour, until the screens say theirs."""
SERIES_MARGIN_S = 3600
INVOCATIONS_MARGIN_S = 15 * 60
"""Invocations are kept a quarter hour past the widest window shown: a window widened later
shows that much more of the log read (its backfill reads 15 minutes), and no invocation is
forgotten while a repaint may still count it. Not an hour as for series: a busy function runs
20,000 invocations an hour, about 15 MB."""


def _forget_findings(found: deque[Finding], cutoff_ms: int) -> None:
    """Drop the lines older than `cutoff_ms` from the front (they come in the log's order)."""
    while found and found[0].timestamp_ms < cutoff_ms:
        found.popleft()


def _trim_series(series: MetricSeries, keep_s: int) -> None:
    """One-minute points for `keep_s` back from the newest; nothing older."""
    if not series.points:
        return
    newest = max(series.points)
    for stamp in [t for t in series.points if t < newest - keep_s]:
        del series.points[stamp]


def retrying_in(trouble: str, wait_s: float) -> str:
    """A trouble's words and when it is tried again, in one line the banner and `tail` share:
    `...; retrying in 4 s`, `...; slowing down, retrying in 4 s` (the words' own "retrying"
    joined, never said twice), `...; retrying now` once the try is due."""
    # Once due, the try is under way (its SDK attempts, lambdatop's pace after throttling).
    when = f"retrying in {wait_s:.0f} s" if wait_s >= 0.5 else "retrying now"
    if trouble.endswith("; retrying"):
        return f"{trouble[: -len('; retrying')]}; {when}"
    if trouble.endswith("; slowing down"):
        return f"{trouble}, {when}"
    return f"{trouble}; {when}"


class Store:
    """Every function lambdatop tracks, the account, and the health of each data source."""

    def __init__(self, clock: Clock = time.time, tail_lines: int = 5_000) -> None:
        self.clock = clock
        self.tail_lines = tail_lines
        self.inventory: dict[str, FunctionConfig] = {}
        """Every function in the region, from ListFunctions."""
        self.inventory_complete = False
        self.functions: dict[str, FunctionState] = {}
        """Functions whose logs, metrics and traces are being followed."""
        self.account_concurrency_limit: int | None = None
        self.account_unreserved_limit: int | None = None
        self.account_metrics: dict[str, MetricSeries] = {}
        self.log_trouble: LogTroubleScan | None = None
        """The last scan of the fleet's logs for trouble only the logs show."""
        self.health: dict[SourceKey, SourceHealth] = {}
        self.in_flight = InFlight(clock)
        """The AWS requests not answered yet (the monitor's client fills it)."""
        self.api_calls = 0
        self.cost_usd = 0.0
        self.live_tail_usd_per_minute = 0.0
        """What the Live Tail sessions open now add each minute."""
        self.profile: str | None = None
        self.region: str | None = None
        self.endpoint_url: str | None = None
        self._version = 0
        self._series_keep_s = WIDEST_SERIES_S
        self._widest_window_s = 0.0
        self._keep_ms: int | None = None

    @property
    def version(self) -> int:
        """Bumps whenever anything changed: a screen repaints only when it moved."""
        return self._version + sum(state.version for state in self.functions.values())

    def touch(self) -> None:
        self._version += 1

    def keep_series_for(self, window_s: float) -> None:
        """The screens show a window this wide: metric series are kept for the widest window
        shown this session and an hour, not 13 h (a fleet of 2,000 functions grew about 60 MB
        an hour through a night keeping 13 h of five series each). Never narrower than a window
        already shown: the metrics poller reads the whole window again only when it widens past
        what it has read (aws/pollers/metrics.py), so a narrowed window keeps what it had.

        An opened function's invocations, and the lines its diagnosis quotes, are kept for the
        same widest window and a quarter hour (`INVOCATIONS_MARGIN_S`): older ones are forgotten
        as new lines come, so memory and the work of a repaint stop growing once the window is
        full. Until told, all are kept (up to 50,000 invocations)."""
        self._widest_window_s = max(self._widest_window_s, window_s)
        self._series_keep_s = int(self._widest_window_s) + SERIES_MARGIN_S
        self._keep_ms = int((self._widest_window_s + INVOCATIONS_MARGIN_S) * 1000)
        for state in self.functions.values():
            state.series_keep_s = self._series_keep_s
            state.keep_ms = self._keep_ms

    def function(self, name: str) -> FunctionState:
        state = self.functions.get(name)
        if state is None:
            state = self.functions[name] = FunctionState(name, self.tail_lines, self.clock)
            state.series_keep_s = self._series_keep_s
            state.keep_ms = self._keep_ms
            state.config = self.inventory.get(name)
            self.touch()
        return state

    def set_inventory(self, configs: Iterable[FunctionConfig], complete: bool = True) -> None:
        self.inventory = {config.name: config for config in configs}
        self.inventory_complete = complete
        for name, state in self.functions.items():
            if name in self.inventory:
                state.config = self.inventory[name]
        self.touch()

    def source(self, key: SourceKey) -> SourceHealth:
        health = self.health.get(key)
        if health is None:
            health = self.health[key] = SourceHealth(key)
        return health

    def record_ok(self, key: SourceKey) -> None:
        health = self.source(key)
        now = self.clock()
        health.last_ok_s = now
        health.last_attempt_s = now
        health.error = None
        health.error_kind = None
        health.next_retry_s = None
        health.failures = 0
        self.touch()

    def record_failure(
        self, key: SourceKey, kind: ErrorKind, message: str, next_retry_s: float | None
    ) -> None:
        health = self.source(key)
        health.last_attempt_s = self.clock()
        health.error = one_line(message, 300)
        health.error_kind = kind
        health.next_retry_s = next_retry_s
        health.failures += 1
        self.touch()

    def missing(self, name: str) -> bool:
        """AWS said the function does not exist (a misspelt name, another region)."""
        health = self.health.get(SourceKey.config(name))
        missing = health is not None and health.error_kind is ErrorKind.MISSING
        return missing and name not in self.inventory

    def banner(self, now_s: float) -> str | None:
        """One line for the worst trouble, with when it is retried, and the request waiting
        longest if one has waited a few seconds; None when all is well."""
        troubles = self.troubles()
        hanging = self.in_flight.longest(now_s)
        waiting = hanging.waiting(now_s) if hanging is not None else None
        if not troubles:
            return waiting
        worst = troubles[0]
        error = worst.error or ""
        if worst.next_retry_s is not None:
            error = retrying_in(error, worst.next_retry_s - now_s)
        more = f" +{len(troubles) - 1} more" if len(troubles) > 1 else ""
        also = f" · {waiting}" if waiting else ""
        return one_line(f"{error}{more}{also}", 200)

    def troubles(self, include_optional: bool = False) -> list[SourceHealth]:
        """Sources currently failing, worst first. Optional extras (percentiles, API Gateway,
        one opened trace) do not raise the banner: what they feed says it is unavailable."""
        failing = [
            h
            for h in self.health.values()
            if h.error is not None and (include_optional or not h.key.optional)
        ]
        order = {kind: rank for rank, kind in enumerate(BANNER_ORDER)}
        return sorted(
            failing,
            key=lambda h: (order.get(h.error_kind, 9) if h.error_kind else 9, str(h.key)),
        )
