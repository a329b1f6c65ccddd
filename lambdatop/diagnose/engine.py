"""Walk the guide's flowchart: every check, in its order, over one function's evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambdatop.core import metrics as m
from lambdatop.core.sanitize import one_line
from lambdatop.core.stats import percentiles
from lambdatop.core.timeutil import human_duration, iso
from lambdatop.diagnose.checks import (
    api_gateway,
    cold_start,
    connection_pool,
    database,
    event_source,
    invocation_errors,
    logs,
    memory,
    metrics,
    permission,
    throttling,
    timeout,
    traces,
    vpc,
)
from lambdatop.diagnose.checks.base import Check
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import (
    CheckResult,
    CheckStatus,
    Diagnosis,
    Percentiles,
    Plane,
    Summary,
)
from lambdatop.diagnose.thresholds import Thresholds

if TYPE_CHECKING:  # Insights' figures: not loaded by `diagnose --logs`
    from lambdatop.core.aggregate import WindowFigures

CHECKS: tuple[Check[Any], ...] = (
    # control plane: are the logs, metrics and traces there, and what do they say at a glance
    Check("logs", Plane.CONTROL, logs.measure, logs.verdict, logs.advise),
    Check("metrics", Plane.CONTROL, metrics.measure, metrics.verdict, metrics.advise),
    Check("traces", Plane.CONTROL, traces.measure, traces.verdict, traces.advise),
    # service plane: cold starts, timeouts, memory, permissions, throttling
    Check("cold_start", Plane.SERVICE, cold_start.measure, cold_start.verdict, cold_start.advise),
    Check("timeout", Plane.SERVICE, timeout.measure, timeout.verdict, timeout.advise),
    Check("memory", Plane.SERVICE, memory.measure, memory.verdict, memory.advise),
    Check("permission", Plane.SERVICE, permission.measure, permission.verdict, permission.advise),
    Check("throttling", Plane.SERVICE, throttling.measure, throttling.verdict, throttling.advise),
    # state plane: connection pools, databases, the network
    Check(
        "connection_pool",
        Plane.STATE,
        connection_pool.measure,
        connection_pool.verdict,
        connection_pool.advise,
    ),
    Check("database", Plane.STATE, database.measure, database.verdict, database.advise),
    Check("vpc", Plane.STATE, vpc.measure, vpc.verdict, vpc.advise),
    # edge plane: event sources, API Gateway, the invocation's own errors
    Check(
        "event_source",
        Plane.EDGE,
        event_source.measure,
        event_source.verdict,
        event_source.advise,
    ),
    Check("api_gateway", Plane.EDGE, api_gateway.measure, api_gateway.verdict, api_gateway.advise),
    Check(
        "invocation_errors",
        Plane.EDGE,
        invocation_errors.measure,
        invocation_errors.verdict,
        invocation_errors.advise,
    ),
)
"""The flowchart, declared once: each check's id, plane and place, in the guide's order."""

CHECK_IDS = tuple(check.id for check in CHECKS)


def diagnose(evidence: Evidence, thresholds: Thresholds | None = None) -> Diagnosis:
    """Run every check. A check that breaks reports `unknown`; the others still run."""
    limits = thresholds or Thresholds()
    evidence.forget_figures()
    results: list[CheckResult] = []
    for check in CHECKS:
        try:
            result = check.run(evidence, limits)
        except Exception as error:  # noqa: BLE001 - one broken check must not hide the rest
            result = CheckResult(
                check.id,
                check.plane,
                CheckStatus.UNKNOWN,
                f"check could not run: {one_line(type(error).__name__ + ': ' + str(error), 160)}",
            )
        results.append(result)
    return Diagnosis(
        function=evidence.function,
        region=evidence.region,
        window_start=iso(evidence.start_ms),
        window_end=iso(evidence.end_ms),
        summary=summarise(evidence),
        checks=results,
    )


def summarise(evidence: Evidence) -> Summary:
    """The headline numbers: counted over completed invocations (those with a REPORT), by Logs
    Insights over the whole window when the lines read are a sample of it."""
    if evidence.window is not None:
        return _window_summary(evidence, evidence.window)
    complete = evidence.complete
    reported = complete.invocations
    # A SnapStart restore is no init (billed and bounded apart): each is counted as itself.
    inits = [inv.init_ms for inv in complete.cold if inv.init_ms is not None]
    restores = [inv.restore_ms for inv in complete.cold if inv.init_ms is None]
    used = complete.memory_used
    d50, d99, dmax = percentiles(complete.sorted_durations, 50, 99, 100)
    i50, i99, imax = percentiles(inits, 50, 99, 100)
    r50, r99, rmax = percentiles([v for v in restores if v is not None], 50, 99, 100)
    throttles = evidence.metric_total(m.THROTTLES)
    return Summary(
        invocations=len(reported),
        errors=len(complete.failed),
        cold_starts=len(complete.cold),
        timeouts=complete.timed_out,
        out_of_memory=len(complete.ran_out_of_memory),
        throttles=None if throttles is None else int(throttles),
        duration_ms=Percentiles(d50, d99, dmax),
        init_duration_ms=Percentiles(i50, i99, imax),
        restore_duration_ms=Percentiles(r50, r99, rmax),
        memory_size_mb=evidence.memory_size_mb,
        max_memory_used_mb=max(used) if used else None,
        timeout_s=evidence.timeout_s,
    )


def _window_summary(evidence: Evidence, w: WindowFigures) -> Summary:
    throttles = evidence.metric_total(m.THROTTLES)
    used = w.memory_used_mb.max
    return Summary(
        invocations=w.invocations,
        errors=w.errors,
        cold_starts=w.cold_starts,
        timeouts=w.timeouts,
        out_of_memory=w.out_of_memory,
        throttles=None if throttles is None else int(throttles),
        duration_ms=Percentiles(w.duration_ms.p50, w.duration_ms.p99, w.duration_ms.max),
        init_duration_ms=Percentiles(w.init_only_ms.p50, w.init_only_ms.p99, w.init_only_ms.max),
        restore_duration_ms=Percentiles(w.restore_ms.p50, w.restore_ms.p99, w.restore_ms.max),
        memory_size_mb=evidence.memory_size_mb or w.memory_size_mb,
        max_memory_used_mb=None if used is None else int(used),
        timeout_s=evidence.timeout_s,
        figures_from=figures_from(w),
    )


def figures_from(w: WindowFigures) -> str:
    """`figures over 12.0 h by CloudWatch Logs Insights (3.2 GB scanned); lines quoted from the
    newest 50,000 events, since 09:58:12 UTC`."""
    from lambdatop.core.aggregate import size

    scanned = f" ({size(w.bytes_scanned)} scanned)" if w.bytes_scanned else ""
    said = f"figures over {human_duration((w.end_ms - w.start_ms) / 1000)} by {w.source}{scanned}"
    if w.sample_start_ms is None:
        return f"{said}; lines quoted from all {w.sample_events:,} events"
    since = iso(w.sample_start_ms)
    return f"{said}; lines quoted from the newest {w.sample_events:,} events, since {since}"
