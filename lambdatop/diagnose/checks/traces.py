"""Control plane: the function's failed X-Ray traces."""

from __future__ import annotations

from collections import Counter
from enum import Enum
from typing import NamedTuple

from lambdatop.core import metrics as m
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import count
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.thresholds import Thresholds

TRACING_ON = "--tracing-config Mode=Active"


class Tracing(Enum):
    ACTIVE = "active"
    OFF = "off"
    UNKNOWN = "unknown"
    """No configuration read."""


class TraceFigures(NamedTuple):
    read: bool
    tracing: Tracing
    failed: int = 0
    faults: int = 0
    errors: int = 0
    throttled: int = 0
    capped: bool = False
    """More failed traces existed than were kept: the count is a floor."""
    slowest_s: float = 0.0
    statuses: tuple[tuple[int, int], ...] = ()
    """(HTTP status, traces), the commonest first."""
    root_causes: tuple[tuple[str, int], ...] = ()
    newest: str | None = None
    invocations: float = 0.0
    failed_runs: float = 0.0
    """Invocations that failed (CloudWatch's Errors, else counted from the logs)."""


def measure(ev: Evidence, limits: Thresholds) -> TraceFigures:
    tracing = ev.config.tracing if ev.config else None
    state = (
        Tracing.UNKNOWN if tracing is None else Tracing("active" if tracing == "Active" else "off")
    )
    if ev.traces is None or not ev.traces:
        return TraceFigures(read=ev.traces is not None, tracing=state)
    failed_runs = ev.metric_total(m.ERRORS)
    if failed_runs is None:
        failed_runs = len(ev.complete.failed)
    statuses = Counter(t.http_status for t in ev.traces if t.http_status)
    causes = Counter(t.root_cause for t in ev.traces if t.root_cause)
    return TraceFigures(
        read=True,
        tracing=state,
        failed=len(ev.traces),
        faults=sum(1 for t in ev.traces if t.fault),
        errors=sum(1 for t in ev.traces if t.error and not t.fault),
        throttled=sum(1 for t in ev.traces if t.throttle),
        capped=ev.traces_capped,
        slowest_s=max((t.duration_s or 0.0) for t in ev.traces),
        statuses=tuple(statuses.most_common(4)),
        root_causes=tuple(causes.most_common(2)),
        newest=max(ev.traces, key=lambda t: t.start_s).trace_id,
        invocations=ev.metric_total(m.INVOCATIONS) or len(ev.reported),
        failed_runs=failed_runs,
    )


def verdict(f: TraceFigures, limits: Thresholds) -> Verdict:
    if not f.read:
        if f.tracing is Tracing.OFF:
            return Verdict(CheckStatus.UNKNOWN, "X-Ray active tracing is off")
        return Verdict(CheckStatus.UNKNOWN, "X-Ray traces were not read")
    if not f.failed:
        if f.tracing is Tracing.OFF:
            return Verdict(CheckStatus.UNKNOWN, "X-Ray active tracing is off: no traces to read")
        return Verdict(CheckStatus.OK, "No failed X-Ray traces in the window")
    # Traces are a sample (X-Ray keeps a few a second): faults fail the check when the function
    # fails a real share of its invocations; a couple of faults in a healthy function are worth
    # a look, not a failing report.
    failing = not f.invocations or f.failed_runs / f.invocations >= limits.error_rate_warn
    status = CheckStatus.FAIL if f.faults and failing else CheckStatus.WARN
    return Verdict(
        status,
        f"{count(f.failed, 'failed trace')} in the window"
        + (" (the newest; there were more)" if f.capped else ""),
    )


def advise(f: TraceFigures, _: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    if not f.failed:
        if f.tracing is Tracing.OFF:
            return Advice(steps=[cmd.update(TRACING_ON)])
        return Advice(steps=[cmd.traces()])
    evidence = [
        f"{count(f.faults, 'trace')} with faults (5xx), {f.errors} with errors (4xx),"
        f" {f.throttled} throttled",
        f"slowest failed trace {f.slowest_s:.1f} s",
    ]
    if f.statuses:
        evidence.append("HTTP status: " + ", ".join(f"{code} ×{n}" for code, n in f.statuses))
    evidence.extend(f"› {cause} ×{n}" for cause, n in f.root_causes)
    steps = [cmd.traces()]
    if f.newest is not None:
        steps.append(cmd.trace(f.newest))
    return Advice(evidence, steps)
