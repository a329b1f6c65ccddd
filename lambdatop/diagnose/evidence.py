"""What the checks look at: one function's data within a time window.

Built from a `FunctionState` of the live store or from a pipeline fed by an exported file. A
source that was not read is `None` (the checks then say `unknown`), an empty one is empty.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from itertools import compress, islice
from operator import attrgetter, le
from typing import TYPE_CHECKING, Any

from lambdatop.core.apigateway_log import ExecutionLog
from lambdatop.core.parse import parse
from lambdatop.core.pipeline import Finding, LogPipeline
from lambdatop.core.records import (
    FAILED_STATUSES,
    ErrorFamily,
    EventSource,
    FunctionConfig,
    Invocation,
    Level,
    LineKind,
    MetricSeries,
    Status,
    TraceSummary,
)

if TYPE_CHECKING:  # the live store and Insights' figures, not read by `diagnose --logs`
    from lambdatop.core.aggregate import WindowFigures
    from lambdatop.core.store import ApiState, FunctionState, Store

_TIMED_OUT_AFTER = re.compile(r"Task timed out after\s+(?P<secs>\d+(?:\.\d+)?)\s*seconds")
# `User: arn:aws:sts::123456789012:assumed-role/<role>/<session> is not authorized ...`
ASSUMED_ROLE = re.compile(
    r"arn:(?P<partition>aws[\w-]*):sts::(?P<account>\d{12}):assumed-role/(?P<role>[\w+=,.@-]{1,64})/"
)


_BELOW_ERROR = frozenset((Level.TRACE, Level.DEBUG, Level.INFO, Level.WARN))


_REQUEST_ID, _STREAM, _STATUS = attrgetter("request_id"), attrgetter("stream"), attrgetter("status")
_STARTED, _ENDED = attrgetter("start_ms"), attrgetter("end_ms")
_REPORTED = attrgetter("reported")


class CompletedInvocations:
    """The completed invocations, and what several checks read of them: worked out once a
    diagnosis, when first asked. Each check walking 50,000 invocations again for the same
    figures was most of a diagnosis's cost (issue 14). Fields are read as columns (in C,
    `attrgetter`) where a walk in Python would cost a call per invocation."""

    def __init__(self, invocations: list[Invocation]) -> None:
        self.invocations = invocations
        """In the evidence's order (time order)."""

    @cached_property
    def by_id(self) -> dict[str, Invocation]:
        invocations = self.invocations
        return dict(zip(map(_REQUEST_ID, invocations), invocations, strict=True))

    @cached_property
    def failed(self) -> list[Invocation]:
        return [inv for inv in self.invocations if inv.status in FAILED_STATUSES]

    @cached_property
    def failed_ids(self) -> set[str]:
        return set(map(_REQUEST_ID, self.failed))

    @cached_property
    def succeeded_ids(self) -> set[str]:
        """Those that did not fail (a retried request's last word counts)."""
        return {inv.request_id for inv in self.invocations if inv.status not in FAILED_STATUSES}

    @cached_property
    def cold(self) -> list[Invocation]:
        return [
            inv for inv in self.invocations if inv.init_ms is not None or inv.restore_ms is not None
        ]

    @cached_property
    def ran_out_of_memory(self) -> list[Invocation]:
        return [inv for inv in self.failed if inv.ran_out_of_memory]

    @cached_property
    def timed_out(self) -> int:
        """Those whose status is a timeout."""
        return sum(1 for inv in self.failed if inv.status is Status.TIMEOUT)

    @cached_property
    def durations(self) -> list[float]:
        """Their durations, where the REPORT gave one, in order."""
        return [inv.duration_ms for inv in self.invocations if inv.duration_ms is not None]

    @cached_property
    def sorted_durations(self) -> list[float]:
        """The same, sorted once for every percentile asked of them."""
        return sorted(self.durations)

    @cached_property
    def memory_used(self) -> list[int]:
        """The max memory used each REPORT gave, in order."""
        return [inv.max_memory_mb for inv in self.invocations if inv.max_memory_mb is not None]

    @cached_property
    def memory_sizes(self) -> set[int]:
        """The memory sizes the REPORT lines gave."""
        sizes = set(map(attrgetter("memory_size_mb"), self.invocations))
        return {size for size in sizes if size}

    @cached_property
    def known_starts(self) -> list[int] | None:
        """Their starts, in order, when every start is known; else None."""
        starts = list(map(_STARTED, self.invocations))
        return None if None in starts else starts

    @cached_property
    def started_in_order(self) -> bool:
        """Every start known, and none before the one before it."""
        starts = self.known_starts
        return starts is not None and all(map(le, starts, islice(starts, 1, None)))

    @cached_property
    def in_start_order(self) -> list[Invocation]:
        """All of them by start (an unknown start as 0), in the evidence's order where they
        tie, as a stable sort leaves them; without the sort when they are in order already
        (the evidence's order is by start)."""
        if self.started_in_order:
            return self.invocations
        return sorted(self.invocations, key=lambda inv: inv.start_ms or 0)

    @cached_property
    def by_start(self) -> list[Invocation]:
        """Those whose start is known, by start."""
        if self.known_starts is not None:
            return self.in_start_order
        return [inv for inv in self.in_start_order if inv.start_ms is not None]

    @cached_property
    def in_time_order(self) -> list[Invocation]:
        """By start (or end, when the start is not known), as a stable sort leaves them."""
        if self.started_in_order and 0 not in (self.known_starts or ()):
            return self.invocations  # the key is the start, already in order
        return sorted(self.invocations, key=lambda inv: inv.start_ms or inv.end_ms or 0)

    @cached_property
    def memory_by_stream(self) -> dict[str, list[Invocation]]:
        """Each execution environment's (log stream's) invocations that gave their max memory
        used, by start (`in_start_order`); the streams in the order they first come so in the
        evidence, those of no stream left out."""
        streams: dict[str, list[Invocation]] = {}
        for inv in self.invocations:
            if inv.max_memory_mb is not None and inv.stream:
                streams.setdefault(inv.stream, []).append(inv)
        if self.in_start_order is not self.invocations:
            for invocations in streams.values():
                invocations.sort(key=lambda inv: inv.start_ms or 0)
        return streams


class WindowInvocations:
    """Every invocation of the evidence, complete or not, and what checks read of them."""

    def __init__(self, invocations: list[Invocation]) -> None:
        self.invocations = invocations

    @cached_property
    def complete(self) -> CompletedInvocations:
        invocations = self.invocations
        return CompletedInvocations(list(compress(invocations, map(_REPORTED, invocations))))

    @cached_property
    def environments(self) -> int:
        """The execution environments (log streams) they ran in."""
        streams = set(map(_STREAM, self.invocations))
        streams.discard("")
        return len(streams)


@dataclass(slots=True)
class Evidence:
    function: str | None
    region: str | None
    start_ms: int | None
    end_ms: int | None
    config: FunctionConfig | None = None
    invocations: list[Invocation] = field(default_factory=list)
    """Invocations that started in the window, complete or not, in time order."""
    findings: dict[ErrorFamily, list[Finding]] = field(default_factory=dict)
    failures: list[Finding] = field(default_factory=list)
    dropped: list[Finding] = field(default_factory=list)
    logged_errors: list[Finding] = field(default_factory=list)
    """ERROR lines of no family that did not end their invocation (see LogPipeline.errors)."""
    extensions: list[Finding] = field(default_factory=list)
    """Lambda's `EXTENSION Name: ... State: ...` lines (see LogPipeline.extensions)."""
    batch_responses: list[Finding] = field(default_factory=list)
    """Lines holding a partial batch response (see LogPipeline.batch_responses)."""
    lines: int = 0
    error_lines: int = 0
    gaps: int = 0
    """Places the live tail marked as possibly missing lines."""
    logs_read: bool = True
    json_logs: bool = False
    """The function logs in the JSON format: REPORT fields are searched as `platform.report`."""
    metrics: dict[str, MetricSeries] | None = None
    unanswered: frozenset[str] = frozenset()
    """Metric series asked for and not answered (CloudWatch failed or refused them): unknown,
    never zero, where an absent series of a read is none."""
    account_metrics: dict[str, MetricSeries] | None = None
    account_concurrency_limit: int | None = None
    traces: list[TraceSummary] | None = None
    traces_capped: bool = False
    """More failed traces existed than were kept: the count is a floor."""
    event_sources: list[EventSource] | None = None
    apis: list[ApiState] | None = None
    records: dict[str, set[str]] = field(default_factory=dict)
    """Event source records the lines named (`messageid=...`), and the invocations naming each."""
    api_events: frozenset[tuple[str, str | None]] = frozenset()
    """The APIs (id, stage) whose API Gateway events lines quote (`LogPipeline.api_events`)."""
    inferred_timeout_s: float | None = None
    """The timeout a `Task timed out after N seconds` line reveals, when no configuration says."""
    window: WindowFigures | None = None
    """The whole window's figures from Logs Insights, when the events read are a sample of it:
    the checks count from these, and quote lines from the sample."""
    export_form: str | None = None
    """How a file carried the lines (`ExportedLogs.form`: text, json, jsonl, subscription,
    insights, table, csv); None when they were read from the log group itself. A file holds
    what was selected into it: a query's answer, a filter's matches, a cut copy."""

    api_log: ExecutionLog | None = None
    """API Gateway's execution log, when that is what was read: what the API saw of each
    request to the function (its timeouts, malformed answers, denials, throttles)."""

    _reported: tuple[tuple[int, int], WindowInvocations] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def completed(self) -> int:
        """Invocations that completed in the window: all of them, even when only a sample's
        lines were read."""
        return self.window.invocations if self.window is not None else len(self.reported)

    @property
    def shared(self) -> WindowInvocations:
        """The invocations and the figures several checks read of them, worked out once
        (until `forget_figures`, or another list of invocations)."""
        key = (id(self.invocations), len(self.invocations))
        if self._reported is None or self._reported[0] != key:
            self._reported = (key, WindowInvocations(self.invocations))
        return self._reported[1]

    @property
    def complete(self) -> CompletedInvocations:
        """The completed invocations and their shared figures; every check asks."""
        return self.shared.complete

    @property
    def reported(self) -> list[Invocation]:
        """The completed invocations."""
        return self.complete.invocations

    def forget_figures(self) -> None:
        """A diagnosis begins: the invocations may have changed since the last one."""
        self._reported = None

    @property
    def timeout_s(self) -> float | None:
        if self.config is not None and self.config.timeout_s is not None:
            return self.config.timeout_s
        return self.inferred_timeout_s

    @property
    def memory_size_mb(self) -> int | None:
        if self.config is not None and self.config.memory_mb is not None:
            return self.config.memory_mb
        # The last size given: looked for from the end, where it usually is at once.
        return next(
            (inv.memory_size_mb for inv in reversed(self.invocations) if inv.memory_size_mb), None
        )

    source_arn: str | None = None
    """A source account's function, seen from a monitoring account: its ARN, which its
    commands name it by (the monitoring account may have a function of the same name)."""
    log_group_name: str | None = None
    """The log group an export named (Insights' `@log`, a subscription record), which may be
    a custom one (LoggingConfig.LogGroup) rather than `/aws/lambda/<function>`."""

    @property
    def log_group(self) -> str:
        if self.config is not None:
            return self.config.effective_log_group
        if self.log_group_name:
            return self.log_group_name
        return f"/aws/lambda/{self.function or '<function>'}"

    @property
    def role_arn(self) -> str | None:
        """The execution role: from the configuration, else from the role a denial names."""
        if self.config is not None and self.config.role_arn:
            return self.config.role_arn
        for finding in self.family(ErrorFamily.PERMISSION):
            match = ASSUMED_ROLE.search(finding.line.text)
            if match is not None:
                return (
                    f"arn:{match.group('partition')}:iam::{match.group('account')}"
                    f":role/{match.group('role')}"
                )
        return None

    @property
    def start_s(self) -> int | None:
        return None if self.start_ms is None else self.start_ms // 1000

    def logged_outside(self) -> list[Finding]:
        """Lines at ERROR or FATAL level, of no family and ending nothing, that no completed
        invocation of the window owns (the invocation checks judge those)."""
        owned = {inv.request_id for inv in self.complete.invocations}
        return [f for f in self.logged_errors if f.request_id is None or f.request_id not in owned]

    def family(self, family: ErrorFamily) -> list[Finding]:
        return self.findings.get(family, [])

    def family_lines(self, family: ErrorFamily) -> int:
        """The window's lines of `family`: Logs Insights' count of the whole window where it
        counted them, else the lines read (`family`, which the checks quote)."""
        read = len(self.family(family))
        if self.window is None or self.window.family_groups is None:
            return read
        return max(read, self.window.family(family).lines)

    def coped(self, found: list[Finding]) -> bool:
        """Whether the function coped with these lines: none hurt an invocation. A line hurts
        unless it was logged below ERROR, or with no level at all (Go's `log`, a `print`), by an
        invocation that then completed without failing
        (a retry, a fallback, the app's own access rule), or logged before its invocation began
        (init, an extension starting) by one that then succeeded, or outside every invocation
        while none failed. Such lines are a risk to watch, not a failure."""
        complete = self.complete
        if not found or not complete.invocations:
            return False
        by_id = complete.by_id
        for finding in found:
            if finding.request_id is None:
                if complete.failed:
                    return False
                continue
            inv = by_id.get(finding.request_id)
            if inv is None or inv.failed:
                return False  # an invocation that never completed may yet fail
            before_start = inv.start_ms is not None and finding.timestamp_ms < inv.start_ms
            level = finding.line.level
            if level is not None and level not in _BELOW_ERROR and not before_start:
                return False
        return True

    def metric_total(self, key: str) -> float | None:
        if self.metrics is None or key not in self.metrics or key in self.unanswered:
            return None
        return self.metrics[key].total(self.start_s)

    def metric_peak(self, key: str) -> float | None:
        if self.metrics is None or key not in self.metrics or key in self.unanswered:
            return None
        return self.metrics[key].peak(self.start_s)


def from_pipeline(
    pipeline: LogPipeline,
    *,
    function: str | None,
    region: str | None,
    start_ms: int | None,
    end_ms: int | None,
    config: FunctionConfig | None = None,
    logs_read: bool = True,
) -> Evidence:
    """The evidence in a pipeline's invocations and findings between start and end."""
    return _windowed(
        pipeline.tracker.invocations.values(),
        LogsCopy.of(pipeline),
        function=function,
        region=region,
        start_ms=start_ms,
        end_ms=end_ms,
        config=config,
        logs_read=logs_read,
    )


def _windowed(
    invocations: Iterable[Invocation],
    logs: LogsCopy,
    *,
    function: str | None,
    region: str | None,
    start_ms: int | None,
    end_ms: int | None,
    config: FunctionConfig | None,
    logs_read: bool,
) -> Evidence:
    def inside(timestamp: int | None) -> bool:
        return _inside(timestamp, start_ms, end_ms)

    kept = [
        inv for inv in invocations if inside(inv.end_ms if inv.end_ms is not None else inv.start_ms)
    ]
    kept.sort(key=lambda inv: (inv.start_ms or 0, inv.request_id))
    findings = {
        family: [f for f in found if inside(f.timestamp_ms)]
        for family, found in logs.findings.items()
    }
    failures = [f for f in logs.failures if inside(f.timestamp_ms)]
    evidence = Evidence(
        function=function,
        region=region,
        start_ms=start_ms,
        end_ms=end_ms,
        config=config,
        invocations=kept,
        findings=findings,
        failures=failures,
        dropped=[f for f in logs.dropped if inside(f.timestamp_ms)],
        logged_errors=[f for f in logs.errors if inside(f.timestamp_ms)],
        extensions=[f for f in logs.extensions if inside(f.timestamp_ms)],
        batch_responses=[f for f in logs.batch_responses if inside(f.timestamp_ms)],
        lines=logs.lines,
        error_lines=logs.error_lines,
        logs_read=logs_read,
        json_logs=logs.json_logs or (config is not None and config.log_format == "JSON"),
        records=logs.records,
        api_events=frozenset(logs.api_events),
    )
    evidence.inferred_timeout_s = _timeout_from_lines(failures)
    return evidence


def _inside(timestamp: int | None, start_ms: int | None, end_ms: int | None) -> bool:
    if timestamp is None:
        return start_ms is None
    if start_ms is not None and timestamp < start_ms:
        return False
    return end_ms is None or timestamp <= end_ms


_INVOCATION_FIELDS = tuple(f.name for f in fields(Invocation))
_invocation_row = attrgetter(*_INVOCATION_FIELDS)
"""An invocation's fields as a tuple, read in C: copying 50,000 costs milliseconds."""
_START, _END = _INVOCATION_FIELDS.index("start_ms"), _INVOCATION_FIELDS.index("end_ms")


@dataclass(frozen=True, slots=True)
class LogsCopy:
    """What the checks read of a log pipeline. As a copy (`of(pipeline)`), nothing in it is
    shared with the pipeline but values it never changes: the invocations as rows of their
    fields (the tracker changes an invocation in place as its lines arrive), the findings as
    lists (a finding is frozen), the records' sets copied."""

    invocations: list[tuple[Any, ...]]
    findings: Mapping[ErrorFamily, Sequence[Finding]]
    failures: Sequence[Finding]
    dropped: Sequence[Finding]
    errors: Sequence[Finding]
    records: dict[str, set[str]]
    lines: int
    error_lines: int
    json_logs: bool
    api_events: frozenset[tuple[str, str | None]]
    extensions: Sequence[Finding] = ()
    batch_responses: Sequence[Finding] = ()

    @classmethod
    def of(cls, pipeline: LogPipeline, rows: list[tuple[Any, ...]] | None = None) -> LogsCopy:
        """A copy, with the invocations' `rows` (`invocation_rows`); without them, a view of
        the pipeline's own findings and records, for a pipeline no one writes to any more."""
        if rows is None:
            return cls(
                [],
                pipeline.findings,
                pipeline.failures,
                pipeline.dropped,
                pipeline.errors,
                pipeline.records,
                pipeline.lines,
                pipeline.error_lines,
                pipeline.json_logs,
                frozenset(pipeline.api_events),
                pipeline.extensions,
                pipeline.batch_responses,
            )
        records = pipeline.records
        return cls(
            rows,
            {family: list(found) for family, found in pipeline.findings.items()},
            list(pipeline.failures),
            list(pipeline.dropped),
            list(pipeline.errors),
            dict(zip(records, map(set, records.values()), strict=True)),
            pipeline.lines,
            pipeline.error_lines,
            pipeline.json_logs,
            frozenset(pipeline.api_events),
            list(pipeline.extensions),
            list(pipeline.batch_responses),
        )

    def inside(self, start_ms: int | None, end_ms: int | None) -> list[Invocation]:
        """The invocations (new objects) that ended, or began when they have not ended, in
        the window."""
        return [
            Invocation(*row)
            for row in self.invocations
            if _inside(row[_END] if row[_END] is not None else row[_START], start_ms, end_ms)
        ]


@dataclass(frozen=True, slots=True)
class StateCopy:
    """What the checks read of one function in the live store, copied where the store is
    written (the event loop), so that the checks can run on another thread: nothing in it is
    shared with the store but values the store never changes in place."""

    function: str
    region: str | None
    config: FunctionConfig | None
    logs: LogsCopy
    metrics: dict[str, MetricSeries]
    account_metrics: dict[str, MetricSeries]
    account_concurrency_limit: int | None
    traces: list[TraceSummary] | None
    """None when X-Ray was not read."""
    traces_capped: bool
    event_sources: list[EventSource] | None
    apis: list[ApiState] | None
    gaps_ms: list[int]
    """When the live tail marked places where lines may be missing."""
    window: WindowFigures | None
    window_lines: list[tuple[int, str, str]]


ROWS_PER_STEP = 2_000
"""Invocations `copying` copies between two yields: a few milliseconds."""


def copying(
    state: FunctionState, store: Store, rows_per_step: int = ROWS_PER_STEP
) -> Generator[None, None, StateCopy]:
    """Copy what the checks read of a function, on the thread that writes the store, a step
    at a time: the generator yields between steps (the event loop answers a key meanwhile) and
    returns the copy. Everything but the invocations is copied at the first step; the
    invocations then kept, a slice a step, each as it is when its slice is copied (one that
    changes meanwhile is seen a little later than the rest: the next diagnosis catches up)."""
    from lambdatop.core.store import ApiState

    invocations = list(state.pipeline.tracker.invocations.values())
    rows: list[tuple[Any, ...]] = []
    copied = StateCopy(
        function=state.name,
        region=store.region,
        config=replace(state.config) if state.config is not None else None,
        logs=LogsCopy.of(state.pipeline, rows),
        metrics=_copy_series(state.metrics),
        account_metrics=_copy_series(store.account_metrics),
        account_concurrency_limit=store.account_concurrency_limit,
        traces=list(state.traces.values()) if state.traces_read else None,
        traces_capped=state.traces_capped,
        event_sources=list(state.event_sources) if state.event_sources is not None else None,
        apis=(
            [ApiState(api.route, _copy_series(api.metrics)) for api in state.apis.values()]
            if state.apis is not None
            else None
        ),
        gaps_ms=[
            record.event.timestamp_ms for record in state.tail if record.line.kind is LineKind.GAP
        ],
        window=state.window,
        window_lines=list(state.window_lines),
    )
    for at in range(0, len(invocations), rows_per_step):
        if at:
            yield
        rows.extend(map(_invocation_row, invocations[at : at + rows_per_step]))
    return copied


def copy_state(state: FunctionState, store: Store) -> StateCopy:
    """`copying` in one step."""
    steps = copying(state, store, rows_per_step=max(len(state.pipeline.tracker.invocations), 1))
    while True:
        try:
            next(steps)
        except StopIteration as done:
            copied: StateCopy = done.value
            return copied


def _copy_series(series: dict[str, MetricSeries]) -> dict[str, MetricSeries]:
    return {key: MetricSeries(one.name, dict(one.points)) for key, one in series.items()}


def from_copy(copied: StateCopy, *, start_ms: int, end_ms: int, logs_read: bool = True) -> Evidence:
    """The evidence of a copy of a function's state (`copy_state`), on any thread."""
    config, function, log_group, source_arn = copied.config, copied.function, None, None
    if config is not None and config.from_log_group:
        from lambdatop.core.fleet import split_linked

        # Only what a log group tells (a source account's function): every check that needs
        # the configuration says unknown; its log group and metrics know it by its bare name.
        function, log_group, source_arn = split_linked(config.name)[0], config.log_group, config.arn
        config = None
    evidence = _windowed(
        copied.logs.inside(start_ms, end_ms),
        copied.logs,
        function=function,
        region=copied.region,
        start_ms=start_ms,
        end_ms=end_ms,
        config=config,
        logs_read=logs_read,
    )
    evidence.log_group_name = log_group
    evidence.source_arn = source_arn
    evidence.metrics = copied.metrics or None
    evidence.account_metrics = copied.account_metrics or None
    evidence.account_concurrency_limit = copied.account_concurrency_limit
    evidence.traces = (
        [t for t in copied.traces if t.start_s * 1000 >= start_ms]
        if copied.traces is not None
        else None
    )
    evidence.traces_capped = copied.traces_capped
    evidence.event_sources = copied.event_sources
    evidence.apis = copied.apis
    evidence.gaps = sum(1 for at in copied.gaps_ms if at >= start_ms)
    return evidence


def from_state(
    state: FunctionState,
    store: Store,
    *,
    start_ms: int,
    end_ms: int,
    logs_read: bool = True,
) -> Evidence:
    """The evidence the live store holds for one function."""
    return from_copy(
        copy_state(state, store), start_ms=start_ms, end_ms=end_ms, logs_read=logs_read
    )


def with_window(
    evidence: Evidence, figures: WindowFigures, lines: Iterable[tuple[int, str, str]]
) -> Evidence:
    """The evidence of a sample of the window, with the whole window's figures, and the family
    lines (timestamp, stream, message) Insights found before the sample began: each parsed as
    the pipeline parses it, so the families are the window's, not the sample's."""
    start = figures.sample_start_ms
    early = LogPipeline(max_invocations=1, max_findings=1_000_000)
    for timestamp, stream, message in lines:
        if start is None or timestamp >= start:
            continue  # the sample holds it, attributed to its invocation
        line = parse(message)
        if line.classification is not None or line.unhandled or line.kind is LineKind.LOGS_DROPPED:
            early.record(Finding(timestamp, stream, line.request_id, line))
    for family, found in early.findings.items():
        if found:
            evidence.findings[family] = [*found, *evidence.findings.get(family, [])]
    evidence.failures = [*early.failures, *evidence.failures]
    evidence.dropped = [*early.dropped, *evidence.dropped]
    evidence.window = figures
    return evidence


def _timeout_from_lines(failures: Iterable[Finding]) -> float | None:
    """`Task timed out after 30.03 seconds` reveals a 30 s timeout."""
    for finding in failures:
        if finding.line.kind is LineKind.TIMEOUT:
            match = _TIMED_OUT_AFTER.search(finding.line.text)
            if match is not None:
                return float(int(float(match.group("secs"))))
    return None
