"""One-shot reads for the headless commands: everything about one function over a window, read
by the same pollers the monitor runs, into a store of its own."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeVar

from lambdatop.aws.errors import FORBIDDEN, PartialAnswer, Trouble, describe, describe_source
from lambdatop.aws.insights import Insights, ScanEstimate, ScanLimit, count_scan, count_window
from lambdatop.aws.pollers.inventory import account_limits, api_routes, function_details
from lambdatop.aws.pollers.linked import (
    CONFIGURATION_UNREADABLE,
    LinkedMetricsPoller,
    not_shared,
    source_function,
    trace_sharing_accounts,
    traces_unshared,
)
from lambdatop.aws.pollers.logs import LogTail, no_log_group
from lambdatop.aws.pollers.metrics import MetricsPoller, refusal
from lambdatop.aws.pollers.traces import failed_traces
from lambdatop.aws.session import Aws
from lambdatop.core.aggregate import WindowFigures
from lambdatop.core.fleet import split_linked
from lambdatop.core.records import FunctionConfig, LogEvent
from lambdatop.core.sources import PERCENTILES, ErrorKind
from lambdatop.core.store import ApiState, FunctionState, Store

Clock = Callable[[], float]
T = TypeVar("T")
MAX_WINDOW_EVENTS = 1_000_000
"""Events `diagnose` downloads from a window; a window holding more is counted by Insights."""
SAMPLE_EVENTS = 50_000
"""Events downloaded for quoting when Insights counts the window (the monitor's backfill)."""


class InsightsMode(StrEnum):
    AUTO = "auto"
    """When the window holds more than `MAX_WINDOW_EVENTS` (AWS/Logs IncomingLogEvents says
    so beforehand, or the download stops there)."""
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class InsightsChoice:
    mode: InsightsMode = InsightsMode.AUTO
    limit: ScanLimit = field(default_factory=ScanLimit)
    sample_events: int = SAMPLE_EVENTS


class FetchError(RuntimeError):
    """The function cannot be read at all; the message is one line for a person."""


@dataclass(slots=True)
class Fetched:
    store: Store
    state: FunctionState
    start_ms: int
    end_ms: int
    notes: list[str] = field(default_factory=list)
    """What could not be read (the diagnosis says unknown there), one line each."""
    logs_truncated: bool = False
    window: WindowFigures | None = None
    """The whole window's figures from Logs Insights: the events read are then a sample."""
    family_lines: list[tuple[int, str, str]] = field(default_factory=list)
    """The window's lines of the error families, (ms, stream, message), from Insights."""
    unanswered: set[str] = field(default_factory=set)
    """The function's metric series CloudWatch did not answer: unknown to the checks."""


async def fetch_window(
    aws: Aws,
    function: str,
    since_s: float,
    clock: Clock = time.time,
    insights: InsightsChoice | None = None,
) -> Fetched:
    """Configuration, logs, metrics and traces of one function for the last `since_s` seconds;
    a window of more events than are worth downloading is counted by Logs Insights, and its
    newest events are read for quoting. Raises FetchError, and ScanRefused when the count would
    scan more than the limit allows."""
    choice = insights or InsightsChoice()
    now = clock()
    store = Store(clock=clock)
    store.region = aws.region
    try:
        # `NAME@ACCOUNT`: a source account's, read through this monitoring account.
        source = await source_function(aws, function)
    except Exception as error:  # noqa: BLE001 - becomes one line and exit 2
        raise FetchError(describe(error).final) from None
    if source is None:
        function = split_linked(function)[0]  # the credentials' own account's: read whole
    state = store.function(function)
    fetched = Fetched(store, state, int((now - since_s) * 1000), int(now * 1000))
    if source is None:
        config = await _configuration(aws, fetched, function)
    else:
        config = state.config = store.inventory[function] = source
        fetched.notes.append(CONFIGURATION_UNREADABLE.format(name=function))

    group = config.effective_log_group
    counter = Insights(aws)
    volume = ScanEstimate(None, None, since_s, 1)
    if choice.mode is not InsightsMode.NEVER:
        volume = (
            await _optional(fetched, "log volume", counter.estimate([group], now - since_s, now))
            or volume
        )
    counted = choice.mode is InsightsMode.ALWAYS or (
        choice.mode is InsightsMode.AUTO and (volume.events or 0) > MAX_WINDOW_EVENTS
    )
    if counted:
        _check_scan(volume, choice.limit)
    tail = LogTail(
        aws,
        group,
        fetched.start_ms,
        clock=clock,
        max_initial_events=choice.sample_events if counted else MAX_WINDOW_EVENTS,
    )
    try:
        events = await tail.poll()
    except Exception as error:  # noqa: BLE001 - becomes one line and exit 2
        # Credentials or the network, met mid-run: the account's trouble, said alone (as the
        # banner and `tail` say it), not the log read's.
        raise FetchError(describe_source(error, "CloudWatch Logs").final) from None
    state.add_events(events)
    if not tail.group_exists and source is not None:
        raise FetchError(not_shared(function, group))
    if not tail.group_exists:
        fetched.notes.append(no_log_group(group))
    fetched.logs_truncated = tail.truncated_before_ms is not None
    if fetched.logs_truncated and choice.mode is InsightsMode.AUTO and not counted:
        # More than the metric said (it lags ingestion): judged from what was downloaded.
        counted = True
        _check_scan(_extrapolated(volume, events, fetched), choice.limit)
    if counted and tail.group_exists:
        await _count_window(counter, fetched, group, len(events), tail.truncated_before_ms)

    poller = MetricsPoller if source is None else LinkedMetricsPoller
    metrics = poller(aws, store, {function}, lambda: since_s, clock)
    try:
        read = await _optional(fetched, "CloudWatch metrics", metrics.tick())
    except PartialAnswer as partial:
        # The series that came are the evidence; each missing one is named, and the checks
        # that need it say unknown (it is absent from the store, not empty).
        fetched.notes.extend(_unanswered_notes(partial, function))
        fetched.unanswered = {u.key for u in partial.unanswered if u.owner == function}
    else:
        if read is None:
            state.metrics.clear()
    if PERCENTILES in store.health and store.health[PERCENTILES].error:
        fetched.notes.append("duration percentiles unavailable from CloudWatch")

    bare, account = split_linked(function)
    if account is not None:
        sharing = await _optional(fetched, "X-Ray links", trace_sharing_accounts(aws))
        unshared = traces_unshared(account, sharing)
        if unshared is not None:
            fetched.notes.append(unshared)
            return fetched
    traces = await _optional(
        fetched,
        "X-Ray",
        failed_traces(aws, bare, now - since_s, now, known_ids=state.trace_ids(), account=account),
    )
    if traces is not None:
        state.set_traces(traces[0])
    return fetched


async def _configuration(aws: Aws, fetched: Fetched, function: str) -> FunctionConfig:
    """The function's configuration, event sources, API Gateway routes and the account's
    limits, into the fetched store; raises FetchError when the function cannot be read."""
    store, state = fetched.store, fetched.state
    try:
        config, sources = await function_details(aws, function)
    except Exception as error:  # noqa: BLE001 - becomes one line and exit 2
        trouble = describe(error)
        if trouble.kind is ErrorKind.MISSING:
            raise FetchError(f"function {function!r} not found in {aws.region}") from None
        raise FetchError(trouble.final) from None
    state.config = config
    store.inventory[function] = config
    state.event_sources = sources
    limits = await _optional(fetched, "account settings", account_limits(aws))
    store.account_concurrency_limit, store.account_unreserved_limit = limits or (None, None)
    routes = await _optional(fetched, "API Gateway", api_routes(aws))
    state.apis = {r.api_id: ApiState(r) for r in (routes or {}).get(config.arn or "", [])}
    if routes is None:
        state.apis = None
    return config


def _check_scan(volume: ScanEstimate, limit: ScanLimit) -> None:
    """Refused above the limit (ScanRefused)."""
    limit.check(count_scan(volume))


def _extrapolated(volume: ScanEstimate, events: list[LogEvent], fetched: Fetched) -> ScanEstimate:
    """The window's bytes, from those of the newest events read and the span they cover."""
    if volume.bytes is not None or not events:
        return volume
    read = sum(len(e.message.encode()) for e in events)
    stamps = [e.timestamp_ms for e in events]
    covered = max(max(stamps) - min(stamps), 1)
    whole = fetched.end_ms - fetched.start_ms
    return ScanEstimate(read * max(1.0, whole / covered), volume.events, volume.span_s, 1)


async def _count_window(
    counter: Insights, fetched: Fetched, group: str, sampled: int, sample_start: int | None
) -> None:
    """The window's figures from Insights; the events read stay as the sample they are."""
    try:
        figures, family = await count_window(counter, group, fetched.start_ms, fetched.end_ms)
    except Exception as error:  # noqa: BLE001 - the sample's report, said to be one
        fetched.notes.append(
            describe(error, "Logs Insights").final
            + ": the figures below are of the newest events read, not the whole window"
        )
        return
    fetched.window = replace(figures, sample_events=sampled, sample_start_ms=sample_start)
    fetched.family_lines = family
    if figures.families_floor is not None:
        fetched.notes.append(figures.families_floor)


def _unanswered_notes(partial: PartialAnswer, function: str) -> list[str]:
    """A line for each kind of series that did not come: which, why, and what to do."""
    notes = []
    for status in sorted({u.status for u in partial.unanswered}):
        missing = [u for u in partial.unanswered if u.status == status]
        names = ", ".join(
            u.name if u.owner == function else f"the account's {u.name}" for u in missing
        )
        series, it = ("series", "it") if len(missing) == 1 else ("series", "them")
        unknown = f"the checks that need {it} say unknown"
        if status == FORBIDDEN:
            detail = next((f" ({u.detail})" for u in missing if u.detail), "")
            notes.append(
                f"metric {series} {names}: CloudWatch answered Forbidden{detail}:"
                f" {refusal(missing)}; {unknown}"
            )
        else:
            notes.append(
                f"metric {series} {names}: CloudWatch answered {status}, and again when asked"
                f" once more; {unknown}"
            )
    return notes


async def _optional(fetched: Fetched, what: str, call: Awaitable[T]) -> T | None:
    """An optional source: its trouble becomes a note, unless AWS is unreachable altogether;
    a read AWS answered in part (PartialAnswer) is the caller's to word."""
    try:
        return await call
    except PartialAnswer:
        raise
    except Exception as error:  # noqa: BLE001 - optional sources never stop the report
        trouble: Trouble = describe(error, what)
        # The logs were read: AWS answers. One slow source (a week of metrics) is a note on
        # the report, not the end of it.
        if trouble.kind in (ErrorKind.CREDENTIALS, ErrorKind.UNREACHABLE):
            raise FetchError(describe_source(error, what).final) from None
        fetched.notes.append(trouble.final)
        return None
