"""Control plane: what CloudWatch's own metrics say at a glance."""

from __future__ import annotations

from typing import NamedTuple

from lambdatop.core import metrics as m
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import ms, pct
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.thresholds import Thresholds


class MetricFigures(NamedTuple):
    read: bool
    invocations: float = 0.0
    errors: float = 0.0
    throttles: float = 0.0
    duration_max_ms: float | None = None
    concurrency_peak: float | None = None
    timeout_s: float | None = None
    unread: tuple[str, ...] = ()
    """Series of the three asked that did not come (CloudWatch failed or refused them): their
    figures are unknown, not zero."""

    @property
    def error_rate(self) -> float:
        return self.errors / self.invocations if self.invocations else 0.0

    @property
    def throttle_rate(self) -> float:
        """Of the requests Lambda received: those it ran and those it turned away."""
        asked = self.invocations + self.throttles
        return self.throttles / asked if asked else 0.0


def measure(ev: Evidence, limits: Thresholds) -> MetricFigures:
    if ev.metrics is None:
        return MetricFigures(read=False)
    return MetricFigures(
        read=True,
        unread=tuple(name for key, name in _COUNTED if key in ev.unanswered),
        invocations=ev.metric_total(m.INVOCATIONS) or 0.0,
        errors=ev.metric_total(m.ERRORS) or 0.0,
        throttles=ev.metric_total(m.THROTTLES) or 0.0,
        duration_max_ms=ev.metric_peak(m.DURATION_MAX),
        concurrency_peak=ev.metric_peak(m.CONCURRENCY),
        timeout_s=ev.timeout_s,
    )


_COUNTED = ((m.INVOCATIONS, "Invocations"), (m.ERRORS, "Errors"), (m.THROTTLES, "Throttles"))


def verdict(f: MetricFigures, limits: Thresholds) -> Verdict:
    if not f.read:
        return Verdict(CheckStatus.UNKNOWN, "CloudWatch metrics were not read (logs only)")
    if "Invocations" in f.unread:
        # Every rate is of the invocations: without them, none is known.
        unread = " and ".join(f.unread)
        return Verdict(CheckStatus.UNKNOWN, f"CloudWatch did not answer {unread}: rates unknown")
    # A series CloudWatch did not answer counts for nothing here and is said unknown.
    if f.error_rate >= limits.error_rate_fail or f.throttle_rate >= limits.throttle_ratio_fail:
        status = CheckStatus.FAIL
    elif f.error_rate >= limits.error_rate_warn or f.throttles > 0:
        status = CheckStatus.WARN
    else:
        status = CheckStatus.OK
    if f.invocations == 0 and f.throttles == 0 and not f.unread:
        return Verdict(status, "No invocations in CloudWatch metrics for the window")
    errors = "errors unknown" if "Errors" in f.unread else f"{pct(f.errors, f.invocations)} errors"
    throttles = "throttles unknown" if "Throttles" in f.unread else f"{f.throttles:,.0f} throttles"
    return Verdict(status, f"{f.invocations:,.0f} invocations, {errors}, {throttles}")


def advise(f: MetricFigures, _: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    advice = Advice(
        steps=[
            cmd.metric("Invocations", ["Sum"]),
            cmd.metric("Errors", ["Sum"]),
            cmd.metric("Duration", ["Average", "Maximum"]),
        ]
    )
    if not f.read:
        return advice
    counts = [
        f"Invocations {f.invocations:,.0f}",
        f"Errors {f.errors:,.0f} ({pct(f.errors, f.invocations)})",
        f"Throttles {f.throttles:,.0f} ({pct(f.throttles, f.invocations + f.throttles)})",
    ]
    # Not a zero: a series CloudWatch did not answer is named as such, not counted.
    read = [c for c in counts if c.split(" ", 1)[0] not in f.unread]
    advice.evidence = [", ".join(read)]
    if f.unread:
        advice.evidence[0] += f"; {' and '.join(f.unread)} not answered by CloudWatch (see notes)"
    if f.duration_max_ms is not None:
        limit = f" of {f.timeout_s:g} s timeout" if f.timeout_s else ""
        advice.evidence.append(f"Duration maximum {ms(f.duration_max_ms)}{limit}")
    if f.concurrency_peak is not None:
        advice.evidence.append(f"ConcurrentExecutions peak {f.concurrency_peak:,.0f}")
    return advice
