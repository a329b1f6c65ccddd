"""Where a figure comes from: CloudWatch's series where it has datapoints, else the REPORT lines
(one rule for the fleet, the sparklines and the charts); and a cold start's duration."""

from __future__ import annotations

from lambdatop.core import metrics as m
from lambdatop.core.records import Invocation, LogEvent, Status
from lambdatop.core.series import Source, per_minute
from lambdatop.core.store import FunctionState
from lambdatop.core.summary import summarise

NOW = 1_772_442_930.0  # 30 s into a minute
LAST = int(NOW) - int(NOW) % 60 - 60
"""The last complete minute."""
HOUR = 3600.0
SINCE = int(NOW - HOUR)


def report(rid: str, at_s: float, *, failed: bool = False) -> list[LogEvent]:
    ms = int(at_s * 1000)
    status = "\tStatus: error\tError Type: Runtime.Unknown" if failed else ""
    return [
        LogEvent(ms, f"START RequestId: {rid} Version: $LATEST", "s1"),
        LogEvent(
            ms + 90,
            f"REPORT RequestId: {rid}\tDuration: 80.00 ms\tBilled Duration: 80 ms\t"
            f"Memory Size: 256 MB\tMax Memory Used: 90 MB{status}",
            "s1",
        ),
    ]


def test_minutes_cloudwatch_has_not_published_yet_are_left_off_not_drawn_as_zero() -> None:
    state = FunctionState("checkout")
    published = {LAST - 60 * i: 30.0 for i in range(2, 60)}  # the last two minutes not yet
    state.set_metric(m.INVOCATIONS, published)
    full = per_minute(state.metrics, m.INVOCATIONS, [], SINCE, int(NOW))
    assert full.source is Source.CLOUDWATCH
    assert full.values[-1] == 30.0, "the line ends at the last minute CloudWatch published"
    assert len(full.values) == 60 - 2


def test_report_lines_count_while_cloudwatch_has_published_nothing_yet() -> None:
    state = FunctionState("checkout")
    state.set_metric(m.INVOCATIONS, {})  # read, nothing published yet
    reported = [
        Invocation("a", start_ms=(LAST + 5) * 1000, reported=True),
        Invocation("b", start_ms=(LAST + 9) * 1000, reported=True),
    ]
    found = per_minute(state.metrics, m.INVOCATIONS, reported, SINCE, int(NOW))
    assert found.source is Source.LOGS
    assert found.values[-1] == 2.0


def test_an_idle_function_reads_zero_from_cloudwatch() -> None:
    state = FunctionState("idle")
    state.set_metric(m.INVOCATIONS, {})
    state.set_metric(m.ERRORS, {})
    row = summarise(state, None, NOW, HOUR)
    assert (row.invocations_per_min, row.error_pct) == (0.0, 0.0)


def test_the_fleet_counts_errors_from_report_lines_while_cloudwatch_lags() -> None:
    """The row once said 0.0 % here: CloudWatch's empty read beat the failures in the logs."""
    state = FunctionState("checkout")
    state.set_metric(m.INVOCATIONS, {})
    state.set_metric(m.ERRORS, {})
    state.add_events(report("r1", LAST + 1, failed=True))
    state.add_events(report("r2", LAST + 2))
    row = summarise(state, None, NOW, HOUR)
    assert row.error_pct == 50.0


def test_throttles_show_even_while_invocations_come_from_report_lines() -> None:
    state = FunctionState("checkout")
    state.set_metric(m.INVOCATIONS, {})
    state.set_metric(m.THROTTLES, {LAST: 12.0})
    state.add_events(report("r1", LAST + 1))
    assert summarise(state, None, NOW, HOUR).throttles == 12.0


def test_a_cold_start_is_its_init_duration_even_when_it_is_zero() -> None:
    """Lambda writes `Init Duration` only on a cold start: 0.00 ms is a measured init."""
    assert Invocation("a", init_ms=0.0, restore_ms=310.0).cold_start_ms == 0.0
    assert Invocation("b", restore_ms=310.0).cold_start_ms == 310.0  # SnapStart
    assert Invocation("c", init_ms=412.0).cold_start_ms == 412.0
    warm = Invocation("d", status=Status.SUCCESS)
    assert warm.cold_start_ms is None
    assert not warm.cold
