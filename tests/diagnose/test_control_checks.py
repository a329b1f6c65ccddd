"""Control plane: are the logs, metrics and traces there, and what do they say at a glance."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from _pytest.mark import ParameterSet
from expect import FAIL, OK, UNKNOWN, WARN, Case, config, has, logs_not_read, run, table
from lambdalogs import T0, Logs, evidence, metrics, py

from lambdatop.core.records import TraceSummary
from lambdatop.diagnose.evidence import Evidence


def healthy(count: int = 300) -> Logs:
    logs = Logs()
    logs.healthy(count)
    return logs


def dropped() -> Evidence:
    logs = healthy(100)
    env = logs.stream()
    at = logs.clock_ms
    logs.emit(
        env,
        at,
        json.dumps(
            {
                "time": "2026-03-02T09:20:00.000Z",
                "type": "platform.logsDropped",
                "record": {
                    "reason": "Consumer seems to have fallen behind as it has not acknowledged "
                    "receipt of logs.",
                    "droppedRecords": 4121,
                    "droppedBytes": 1234567,
                },
            }
        ),
    )
    return evidence(logs)


def without_reports() -> Evidence:
    logs = Logs()
    env = logs.stream()
    for _ in range(20):
        logs.invoke(env, report=False, app=["[INFO]\t{ts}\t{rid}\tprocessed"])
    return evidence(logs)


def silent_but_invoked() -> Evidence:
    ev = evidence(Logs())
    ev.metrics = metrics(Invocations=[40, 50])
    return ev


def interrupted() -> Evidence:
    ev = evidence(healthy(50))
    ev.gaps = 2
    return ev


LOGS = [
    pytest.param(
        Case(
            lambda: evidence(healthy()),
            OK,
            ("log lines read, 300 invocations complete",),
            ("lines, 300 completed invocations across 4 execution environments",),
            ("aws logs start-query --log-group-name /aws/lambda/checkout-api",),
        ),
        id="ok",
    ),
    pytest.param(Case(logs_not_read, UNKNOWN, ("Logs were not read",)), id="unknown-not-read"),
    pytest.param(
        Case(lambda: evidence(Logs()), UNKNOWN, ("No log events in the window",)),
        id="unknown-empty",
    ),
    pytest.param(
        Case(
            silent_but_invoked,
            WARN,
            ("90 invocations in CloudWatch but no log lines",),
            ("logs:CreateLogStream",),
            ("--query LoggingConfig",),
        ),
        id="warn-no-lines",
    ),
    pytest.param(
        Case(
            dropped,
            WARN,
            ("Logs incomplete: Lambda dropped log lines 1 time (4,121 records lost)",),
            ("platform.logsDropped", "droppedRecords"),
        ),
        id="warn-dropped",
    ),
    pytest.param(
        Case(without_reports, WARN, ("no REPORT lines",), ("SystemLogLevel",)),
        id="warn-no-report-lines",
    ),
    pytest.param(
        Case(interrupted, WARN, ("the tail was interrupted 2 times",)), id="warn-interrupted"
    ),
]


def with_metrics(**series: list[float]) -> Callable[[], Evidence]:
    def build() -> Evidence:
        ev = evidence(healthy())
        ev.config = config(timeout_s=30.0)
        ev.metrics = metrics(**series)
        return ev

    return build


METRICS = [
    pytest.param(
        Case(lambda: evidence(healthy()), UNKNOWN, ("CloudWatch metrics were not read",)),
        id="unknown",
    ),
    pytest.param(
        Case(
            with_metrics(
                Invocations=[100, 100, 100],
                Errors=[0, 0, 0],
                Throttles=[0, 0, 0],
                Duration_Maximum=[900, 1_400, 800],
                ConcurrentExecutions=[3, 4, 3],
            ),
            OK,
            ("300 invocations, 0.0 % errors, 0 throttles",),
            (
                "Invocations 300, Errors 0",
                "Duration maximum 1.4 s of 30 s timeout",
                "ConcurrentExecutions peak 4",
            ),
            ("--metric-name Invocations", "--metric-name Errors", "--metric-name Duration"),
        ),
        id="ok",
    ),
    pytest.param(Case(with_metrics(), OK, ("No invocations in CloudWatch metrics",)), id="ok-idle"),
    pytest.param(
        Case(
            with_metrics(Invocations=[100, 100, 100], Errors=[0, 6, 0]),
            WARN,
            ("300 invocations, 2.0 % errors",),
        ),
        id="warn-errors",
    ),
    pytest.param(
        Case(
            with_metrics(Invocations=[100, 100, 100], Errors=[0], Throttles=[0, 2, 0]),
            WARN,
            ("2 throttles",),
        ),
        id="warn-throttles",
    ),
    pytest.param(
        Case(
            with_metrics(Invocations=[100, 100, 100], Errors=[5, 20, 15]),
            FAIL,
            ("300 invocations, 13 % errors",),
            ("Errors 40 (13 %)",),
        ),
        id="fail-errors",
    ),
]


def traces(
    *found: TraceSummary, tracing: str | None = None, invocations: int = 100, failed: int = 10
) -> Callable[[], Evidence]:
    def build() -> Evidence:
        logs = healthy(invocations)
        env = logs.stream()
        for _ in range(failed):
            logs.invoke(env, status="error", error_type="TimeoutError")
        ev = evidence(logs)
        ev.traces = list(found)
        if tracing is not None:
            ev.config = config(tracing=tracing)
        return ev

    return build


def trace(n: int, **fields: object) -> TraceSummary:
    return TraceSummary(
        trace_id=f"1-69a55b{n:02x}-3c9d1e0f5a7b2c4d6e8f0a1b",
        start_s=T0 / 1000 + 60 * n,
        **fields,  # type: ignore[arg-type]
    )


def tracing_off() -> Evidence:
    ev = evidence(healthy())
    ev.config = config(tracing="PassThrough")
    return ev


TRACES = [
    pytest.param(
        Case(lambda: evidence(healthy()), UNKNOWN, ("X-Ray traces were not read",)), id="unknown"
    ),
    pytest.param(
        Case(
            tracing_off,
            UNKNOWN,
            ("X-Ray active tracing is off",),
            (),
            ("--tracing-config Mode=Active",),
        ),
        id="unknown-tracing-off",
    ),
    pytest.param(Case(traces(), OK, ("No failed X-Ray traces",)), id="ok"),
    pytest.param(
        Case(
            traces(trace(1, error=True, http_status=404, duration_s=0.2)),
            WARN,
            ("1 failed trace in the window",),
            ("0 traces with faults (5xx), 1 with errors (4xx)", "HTTP status: 404 ×1"),
        ),
        id="warn-client-errors",
    ),
    pytest.param(
        Case(
            traces(
                trace(1, fault=True, http_status=502, duration_s=29.1, root_cause="RDS: timeout"),
                trace(2, fault=True, http_status=502, duration_s=12.0, root_cause="RDS: timeout"),
                trace(3, error=True, http_status=429, throttle=True, duration_s=0.1),
            ),
            FAIL,
            ("3 failed traces in the window",),
            (
                "2 traces with faults (5xx)",
                "1 throttled",
                "slowest failed trace 29.1 s",
                "RDS: timeout ×2",
            ),
            ("aws xray batch-get-traces --trace-ids 1-69a55b03-", "get-trace-summaries"),
        ),
        id="fail-faults",
    ),
    pytest.param(
        Case(
            traces(
                trace(1, fault=True, http_status=502, duration_s=29.1, root_cause="RDS: timeout"),
                trace(2, fault=True, http_status=502, duration_s=12.0, root_cause="RDS: timeout"),
                invocations=2_000,
                failed=2,
            ),
            WARN,
            ("2 failed traces in the window",),
            ("2 traces with faults (5xx)",),
        ),
        id="warn-two-faults-among-thousands",
    ),
]


@pytest.mark.parametrize(
    ("check_id", "case"),
    table("logs", LOGS) + table("metrics", METRICS) + table("traces", TRACES),
)
def test_control_check(check_id: str, case: Case) -> None:
    ev = case.build()
    result = run(ev, check_id)
    assert result.status is case.status, (result.title, result.evidence)
    has([result.title], *case.title)
    has(result.evidence, *case.evidence)
    has(result.next_steps, *case.steps)


@pytest.mark.parametrize(
    ("cases", "statuses"),
    [
        (LOGS, {OK, WARN, UNKNOWN}),
        (METRICS, {OK, WARN, FAIL, UNKNOWN}),
        (TRACES, {OK, WARN, FAIL, UNKNOWN}),
    ],
)
def test_tables_reach_every_status(cases: list[ParameterSet], statuses: set[object]) -> None:
    assert {p.values[0].status for p in cases} == statuses  # type: ignore[union-attr]


def test_invocations_that_started_and_never_reported_are_said() -> None:
    """Twelve requests started in the export's last ten minutes and none has ended: hung (the
    timeout is unknown), or the export was cut; either way a person must know."""
    logs = Logs()
    logs.healthy(30)
    env = logs.stream()
    for _ in range(12):
        logs.invoke(env, report=False, app=[py("INFO", "calling the ledger")], gap_ms=50_000)
    logs.healthy(3, gap_ms=30_000)
    result = run(evidence(logs), "logs")
    assert result.status is WARN
    has([result.title], "12 invocations have not finished")
    has(result.evidence, "12 invocations started with no REPORT by the newest line")


def test_a_trace_count_at_the_cap_says_there_were_more() -> None:
    from lambdatop.core.records import TraceSummary
    from lambdatop.core.store import FunctionState

    state = FunctionState("checkout")
    state.set_traces(
        [TraceSummary(f"1-{n:08x}-{n:024x}", float(n), fault=True) for n in range(250)]
    )
    assert len(state.traces) == 200
    assert state.traces_capped
    ev = evidence(Logs())
    ev.traces = list(state.traces.values())
    ev.traces_capped = state.traces_capped
    result = run(ev, "traces")
    has([result.title], "200 failed traces in the window (the newest; there were more)")


def test_a_one_line_export_says_one_log_line() -> None:
    logs = Logs()
    logs.emit(
        logs.stream(),
        T0,
        "2026-03-02T09:15:01.120Z\tundefined\tERROR\tUncaught Exception\t"
        '{"errorType":"Runtime.UserCodeSyntaxError","errorMessage":"SyntaxError: Unexpected'
        " token '}'\"}",
    )
    result = run(evidence(logs), "logs")
    has(result.evidence, "1 line, 0 completed invocations", "1 line at ERROR or FATAL level")
    report = Logs()
    report.emit(
        report.stream(),
        T0,
        "REPORT RequestId: 5d1f0c7e-2b6a-4c1e-9f3a-0a8b7c6d5e4f\tDuration: 41.20 ms\t"
        "Billed Duration: 42 ms\tMemory Size: 256 MB\tMax Memory Used: 71 MB",
    )
    assert run(evidence(report), "logs").title == "1 log line read, 1 invocation complete"
