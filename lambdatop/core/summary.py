"""One function at a glance, from whatever the store holds: the fleet table's row and the
incident view's headline numbers."""

from __future__ import annotations

from dataclasses import dataclass

from lambdatop.core import metrics as m
from lambdatop.core.fleetlogs import ReportTally
from lambdatop.core.records import FunctionConfig, Invocation
from lambdatop.core.series import from_cloudwatch
from lambdatop.core.stats import percentiles
from lambdatop.core.store import FunctionState


@dataclass(slots=True)
class FunctionSummary:
    name: str
    runtime: str | None = None
    memory_mb: int | None = None
    timeout_s: float | None = None
    invocations_per_min: float | None = None
    error_pct: float | None = None
    throttles: float | None = None
    p99_ms: float | None = None
    p99_is_max: bool = False
    """Only the maximum duration was known (no percentiles, no REPORT lines)."""
    max_memory_mb: int | None = None
    cold_pct: float | None = None
    concurrency: float | None = None
    reserved: int | None = None

    @property
    def p99_of_timeout(self) -> float | None:
        if self.p99_ms is None or not self.timeout_s:
            return None
        return self.p99_ms / (self.timeout_s * 1000)

    @property
    def memory_of_size(self) -> float | None:
        if self.max_memory_mb is None or not self.memory_mb:
            return None
        return self.max_memory_mb / self.memory_mb


def recent_invocations(state: FunctionState, since_ms: int) -> list[Invocation]:
    return [
        inv
        for inv in state.pipeline.tracker.invocations.values()
        if inv.reported and (inv.end_ms or inv.start_ms or 0) >= since_ms
    ]


def summarise(
    state: FunctionState,
    config: FunctionConfig | None,
    now_s: float,
    window_s: float,
    scanned: ReportTally | None = None,
) -> FunctionSummary:
    """Metrics where CloudWatch has them, the function's own REPORT lines otherwise (the rule
    of `series.from_cloudwatch`); for a function not opened, memory used and cold starts from
    the fleet's last scan of its REPORT lines (`scanned`), which no metric gives."""
    config = config or state.config
    summary = FunctionSummary(
        name=state.name,
        runtime=config.runtime if config else None,
        memory_mb=config.memory_mb if config else None,
        timeout_s=config.timeout_s if config else None,
        reserved=config.reserved_concurrency if config else None,
    )
    since_s = int(now_s - window_s)
    series = state.metrics
    invocations_seen = recent_invocations(state, int(since_s * 1000))
    reported = bool(invocations_seen)
    invocations = from_cloudwatch(series, m.INVOCATIONS, reported)
    if invocations is not None:
        summary.invocations_per_min = invocations.rate_per_min(now_s)
        total = invocations.total(since_s)
        if m.ERRORS in series:
            errors = series[m.ERRORS].total(since_s)
            summary.error_pct = 100 * errors / total if total else 0.0
    if m.THROTTLES in series:  # CloudWatch's alone: a throttled request writes no REPORT line
        summary.throttles = series[m.THROTTLES].total(since_s)
    if m.CONCURRENCY in series:
        summary.concurrency = series[m.CONCURRENCY].latest()
    p99 = from_cloudwatch(series, m.DURATION_P99, reported)
    if p99 is not None:
        summary.p99_ms = p99.peak(since_s)
    if invocations_seen:
        durations = [inv.duration_ms for inv in invocations_seen if inv.duration_ms is not None]
        if summary.p99_ms is None and durations:
            summary.p99_ms = percentiles(durations, 99)[0]
        used = [inv.max_memory_mb for inv in invocations_seen if inv.max_memory_mb is not None]
        summary.max_memory_mb = max(used) if used else None
        cold = sum(1 for inv in invocations_seen if inv.cold)
        summary.cold_pct = 100 * cold / len(invocations_seen)
        if summary.memory_mb is None:
            sizes = [inv.memory_size_mb for inv in invocations_seen if inv.memory_size_mb]
            summary.memory_mb = sizes[-1] if sizes else None
        if summary.error_pct is None:
            failed = sum(1 for inv in invocations_seen if inv.failed)
            summary.error_pct = 100 * failed / len(invocations_seen)
    elif scanned is not None and scanned.invocations:
        if scanned.max_used_mb is not None:
            summary.max_memory_mb = round(scanned.max_used_mb)
        summary.cold_pct = scanned.cold_pct
        if summary.memory_mb is None and scanned.size_mb:
            summary.memory_mb = round(scanned.size_mb)
    if summary.p99_ms is None and m.DURATION_MAX in series:
        summary.p99_ms = series[m.DURATION_MAX].peak(since_s)
        summary.p99_is_max = summary.p99_ms is not None
    return summary
