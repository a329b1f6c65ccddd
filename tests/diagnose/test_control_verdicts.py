"""The control plane's verdicts, decided from hand-built figures at their thresholds: no logs."""

from __future__ import annotations

import pytest

from lambdatop.diagnose.checks import logs, metrics, traces
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.thresholds import Thresholds

OK, WARN, FAIL, UNKNOWN = CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL, CheckStatus.UNKNOWN
LIMITS = Thresholds()


def log_figures(**changes: object) -> logs.LogFigures:
    base: dict[str, object] = {
        "read": True,
        "invoked": 100.0,
        "lines": 400,
        "error_lines": 0,
        "reported": 100,
        "environments": 3,
        "dropped_times": 0,
        "dropped_records": 0,
        "gaps": 0,
        "unfinished": 0,
        "oldest_unfinished_ms": 0,
        "timeout_ms": 30_000.0,
    }
    base.update(changes)
    return logs.LogFigures(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({}, OK, "400 log lines read, 100 invocations complete"),
        ({"read": False}, UNKNOWN, "Logs were not read"),
        ({"lines": 0}, WARN, "100 invocations in CloudWatch but no log lines"),
        ({"lines": 0, "invoked": None}, UNKNOWN, "No log events in the window"),
        ({"lines": 0, "invoked": 0.0}, UNKNOWN, "No log events in the window"),
        ({"dropped_times": 1}, WARN, "Logs incomplete: Lambda dropped log lines 1 time"),
        (
            {"dropped_times": 2, "dropped_records": 7},
            WARN,
            "Logs incomplete: Lambda dropped log lines 2 times (7 records lost)",
        ),
        ({"gaps": 1}, WARN, "Logs incomplete: the tail was interrupted 1 time"),
        ({"reported": 0}, WARN, "Logs incomplete: no REPORT lines"),
        # Unfinished invocations warn from three, and only once the oldest is past the timeout.
        ({"unfinished": 2, "oldest_unfinished_ms": 90_000}, OK, "400 log lines read"),
        ({"unfinished": 3, "oldest_unfinished_ms": 30_000}, OK, "400 log lines read"),
        (
            {"unfinished": 3, "oldest_unfinished_ms": 30_001},
            WARN,
            "3 invocations have not finished (past the timeout: their lines are missing)",
        ),
        (
            {"unfinished": 3, "oldest_unfinished_ms": 61_000, "timeout_ms": 0.0},
            WARN,
            "3 invocations have not finished",
        ),
    ],
)
def test_the_logs_verdict(changes: dict[str, object], status: CheckStatus, title: str) -> None:
    decided = logs.verdict(log_figures(**changes), LIMITS)
    assert decided.status is status
    assert title in decided.title


@pytest.mark.parametrize(
    ("invocations", "errors", "throttles", "status"),
    [
        (1000.0, 0.0, 0.0, OK),
        (1000.0, 9.0, 0.0, OK),  # 0.9 %: under the 1 % warning
        (1000.0, 10.0, 0.0, WARN),  # exactly 1 % warns
        (1000.0, 49.0, 0.0, WARN),
        (1000.0, 50.0, 0.0, FAIL),  # exactly 5 % fails
        (1000.0, 0.0, 1.0, WARN),  # any throttle warns
        (0.0, 0.0, 0.0, OK),
    ],
)
def test_the_metrics_verdict_at_its_thresholds(
    invocations: float, errors: float, throttles: float, status: CheckStatus
) -> None:
    figures = metrics.MetricFigures(True, invocations, errors, throttles)
    assert metrics.verdict(figures, LIMITS).status is status


def test_throttles_fail_the_metrics_at_their_share_of_requests() -> None:
    share = LIMITS.throttle_ratio_fail
    asked = 1000.0
    at = metrics.MetricFigures(True, asked * (1 - share), 0.0, asked * share)
    under = metrics.MetricFigures(True, asked * (1 - share) + 1, 0.0, asked * share - 1)
    assert metrics.verdict(at, LIMITS).status is FAIL
    assert metrics.verdict(under, LIMITS).status is WARN


def test_metrics_not_read_are_unknown_not_healthy() -> None:
    decided = metrics.verdict(metrics.MetricFigures(read=False), LIMITS)
    assert decided.status is UNKNOWN
    assert decided.title == "CloudWatch metrics were not read (logs only)"


@pytest.mark.parametrize(
    ("faults", "failed_runs", "status"),
    [
        (2, 0.0, WARN),  # a couple of faults in a function that does not fail: a look
        (2, 9.0, WARN),  # 0.9 % of invocations failing: still a sample's noise
        (2, 10.0, FAIL),  # 1 %: the traces show a real failure
        (0, 500.0, WARN),  # errors (4xx) alone never fail the check
    ],
)
def test_failed_traces_fail_only_with_a_real_share_of_failures(
    faults: int, failed_runs: float, status: CheckStatus
) -> None:
    figures = traces.TraceFigures(
        read=True,
        tracing=traces.Tracing.ACTIVE,
        failed=3,
        faults=faults,
        errors=3 - faults,
        invocations=1000.0,
        failed_runs=failed_runs,
        newest="1-abc",
    )
    assert traces.verdict(figures, LIMITS).status is status


@pytest.mark.parametrize(
    ("read", "tracing", "title"),
    [
        (False, traces.Tracing.OFF, "X-Ray active tracing is off"),
        (False, traces.Tracing.UNKNOWN, "X-Ray traces were not read"),
        (True, traces.Tracing.OFF, "X-Ray active tracing is off: no traces to read"),
    ],
)
def test_traces_that_cannot_be_there_are_unknown(
    read: bool, tracing: traces.Tracing, title: str
) -> None:
    decided = traces.verdict(traces.TraceFigures(read=read, tracing=tracing), LIMITS)
    assert decided.status is UNKNOWN
    assert decided.title == title
