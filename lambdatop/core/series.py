"""Figures over the window, and where they come from: CloudWatch's series where it has
datapoints, else counted from the function's REPORT lines.

The fleet's rows, the incident view's sparklines and the charts follow this one rule
(`from_cloudwatch`), so a figure never reads one source on one screen and another elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from lambdatop.core import metrics as m
from lambdatop.core.records import Invocation, MetricSeries
from lambdatop.core.stats import percentiles

MINUTE = 60
CLOUDWATCH_LAG_MINUTES = 3
"""CloudWatch publishes a minute's datapoint a minute or three after it ends."""
COUNTS = frozenset({m.INVOCATIONS, m.ERRORS, m.THROTTLES})
"""Series of counts: points in the same minute add up (the others keep the largest)."""

Counted = Literal["invocations", "errors", "p50", "p99", "cold"]
"""What `counted_from_reports` can count from REPORT lines."""
COUNTED_AS: dict[str, Counted] = {
    m.INVOCATIONS: "invocations",
    m.ERRORS: "errors",
    m.DURATION_P50: "p50",
    m.DURATION_P99: "p99",
}
"""The CloudWatch series the REPORT lines can stand in for, and how."""


class Source(StrEnum):
    CLOUDWATCH = "CloudWatch"
    LOGS = "logs"


def from_cloudwatch(
    series: Mapping[str, MetricSeries], key: str, reported: bool
) -> MetricSeries | None:
    """CloudWatch's series of `key` when it has datapoints; None when the figure is to be
    counted from the REPORT lines instead: CloudWatch was not read, or has published nothing
    yet while the logs (`reported`: REPORT lines in the window) show invocations. With
    neither, CloudWatch's empty read stands: it publishes no datapoint for a minute without
    invocations, so nothing published is zero."""
    found = series.get(key)
    if found is None or (not found.points and reported):
        return None
    return found


def minute_series(
    values: Mapping[int, float],
    since_s: int,
    now_s: int,
    fill: float = 0.0,
    total: bool = False,
    lag_minutes: int = 0,
) -> list[float]:
    """One value a minute from `since_s` to the last complete minute, missing minutes filled.
    The minute under way is left out (its count is partial), and so are up to `lag_minutes`
    trailing minutes with no datapoint yet: not yet published is not zero, and drawn as zero
    every chart would end in a drop that never happened. Points off the minute (some backends
    keep the datum's own timestamp) land in their minute: summed for counts, else the
    largest."""
    start = since_s - since_s % MINUTE
    buckets: dict[int, float] = {}
    for stamp, value in values.items():
        minute = stamp - stamp % MINUTE
        if minute in buckets:
            buckets[minute] = buckets[minute] + value if total else max(buckets[minute], value)
        else:
            buckets[minute] = value
    end = now_s - now_s % MINUTE - MINUTE  # the last complete minute
    for _ in range(lag_minutes):
        if end < start or end in buckets:
            break
        end -= MINUTE
    return [buckets.get(stamp, fill) for stamp in range(start, end + 1, MINUTE)]


def counted_from_reports(invocations: list[Invocation], what: Counted) -> dict[int, float]:
    """One value a minute counted from REPORT lines, by the minute each invocation started."""
    buckets: dict[int, list[Invocation]] = {}
    for inv in invocations:
        stamp = int((inv.start_ms or inv.end_ms or 0) / 1000)
        buckets.setdefault(stamp - stamp % MINUTE, []).append(inv)
    out: dict[int, float] = {}
    for stamp, group in buckets.items():
        if what == "invocations":
            out[stamp] = float(len(group))
        elif what == "errors":
            out[stamp] = float(sum(1 for inv in group if inv.failed))
        elif what in ("p50", "p99"):
            durations = [inv.duration_ms for inv in group if inv.duration_ms is not None]
            value = percentiles(durations, 50 if what == "p50" else 99)[0]
            if value is not None:
                out[stamp] = value
        elif what == "cold":
            out[stamp] = float(sum(1 for inv in group if inv.cold))
    return out


@dataclass(frozen=True, slots=True)
class PerMinute:
    values: list[float]
    """One a minute over the window, oldest first, up to the last minute published."""
    source: Source


def per_minute(
    series: Mapping[str, MetricSeries],
    key: str,
    reported: list[Invocation],
    since_s: int,
    now_s: int,
) -> PerMinute:
    """A sparkline's or a chart's values of `key`, by the rule of `from_cloudwatch`; minutes
    CloudWatch has not published yet are left off the end (up to its lag)."""
    total = key in COUNTS
    cloudwatch = from_cloudwatch(series, key, bool(reported))
    if cloudwatch is not None or key not in COUNTED_AS:
        points = cloudwatch.points if cloudwatch is not None else {}
        values = minute_series(
            points, since_s, now_s, total=total, lag_minutes=CLOUDWATCH_LAG_MINUTES
        )
        return PerMinute(values, Source.CLOUDWATCH)
    counted = counted_from_reports(reported, COUNTED_AS[key])
    return PerMinute(minute_series(counted, since_s, now_s, total=total), Source.LOGS)
