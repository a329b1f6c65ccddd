"""The whole flowchart over one function: order, the healthy function, the headline counts."""

from __future__ import annotations

import dataclasses

import pytest
from expect import config, well_formed
from lambdalogs import T0, Logs, evidence, metrics, py, py_unhandled

from lambdatop.core.records import EventSource
from lambdatop.diagnose import engine
from lambdatop.diagnose.engine import CHECK_IDS, diagnose, summarise
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.render import start_with, verdict
from lambdatop.diagnose.thresholds import Thresholds

FLOWCHART = (
    ("logs", "control"),
    ("metrics", "control"),
    ("traces", "control"),
    ("cold_start", "service"),
    ("timeout", "service"),
    ("memory", "service"),
    ("permission", "service"),
    ("throttling", "service"),
    ("connection_pool", "state"),
    ("database", "state"),
    ("vpc", "state"),
    ("event_source", "edge"),
    ("api_gateway", "edge"),
    ("invocation_errors", "edge"),
)


def healthy_function(json_format: bool = False) -> Logs:
    """Several hundred ordinary invocations across four environments: four cold starts, memory
    well inside its size, durations far from the timeout."""
    logs = Logs(json_format=json_format)
    logs.healthy(400, streams=4, memory_mb=256, used_mb=(110, 150), duration_ms=(30.0, 450.0))
    return logs


def everything_read(ev: Evidence) -> Evidence:
    """What the live monitor knows of a healthy function besides its logs."""
    ev.config = config(memory_mb=256, timeout_s=10.0, tracing="Active")
    ev.metrics = metrics(
        Invocations=[80, 80, 80, 80, 80],
        Errors=[0, 0, 0, 0, 0],
        Throttles=[0, 0, 0, 0, 0],
        Duration_Maximum=[420, 450, 390, 440, 400],
        ConcurrentExecutions=[2, 3, 2, 3, 2],
    )
    ev.account_concurrency_limit = 1000
    ev.traces = []
    ev.event_sources = [
        EventSource(
            uuid="a1",
            source_arn="arn:aws:sqs:eu-west-1:123456789012:orders",
            state="Enabled",
            batch_size=10,
            last_processing_result="No records processed",
        )
    ]
    ev.apis = []
    return ev


def test_checks_walk_the_flowchart_in_order() -> None:
    diagnosis = diagnose(evidence(healthy_function()))
    assert [(c.id, c.plane.value) for c in diagnosis.checks] == list(FLOWCHART)
    assert tuple(check_id for check_id, _ in FLOWCHART) == CHECK_IDS


@pytest.mark.parametrize("json_format", [False, True], ids=["text-format", "json-format"])
@pytest.mark.parametrize("full", [False, True], ids=["logs-only", "everything-read"])
def test_a_healthy_function_has_nothing_to_report(json_format: bool, full: bool) -> None:
    ev = evidence(healthy_function(json_format))
    if full:
        ev = everything_read(ev)
    diagnosis = diagnose(ev)
    for check in diagnosis.checks:
        well_formed(check, ev)
    statuses = {c.id: c.status for c in diagnosis.checks}
    assert CheckStatus.FAIL not in statuses.values(), statuses
    assert CheckStatus.WARN not in statuses.values(), statuses
    assert not diagnosis.failed
    if full:
        assert CheckStatus.UNKNOWN not in statuses.values(), statuses
    s = diagnosis.summary
    assert (s.invocations, s.errors, s.timeouts, s.out_of_memory, s.cold_starts) == (
        400,
        0,
        0,
        0,
        4,
    )


def test_counts_are_of_invocations_not_lines() -> None:
    logs = Logs()
    logs.healthy(50)
    env = logs.stream()
    # One invocation that prints five lines about running out of memory.
    logs.invoke(
        env,
        used_mb=512,
        app=(
            py_unhandled("MemoryError", ""),
            "Runtime.OutOfMemory: Runtime exited with error: signal: killed",
            "[ERROR]\t{ts}\t{rid}\tMemoryError while resizing buffer",
            "RequestId: {rid} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
            "fatal error: runtime: out of memory",
        ),
        status="error",
        error_type="Runtime.OutOfMemory",
    )
    # One invocation that times out and says so twice.
    logs.invoke(env, timeout_s=30.0, app=("{ts} {rid} Task timed out after 30.03 seconds",))
    # Two that never finished inside the export: no REPORT, so not counted.
    logs.invoke(env, report=False)
    logs.invoke(env, report=False)
    # A SnapStart restore is a cold start.
    logs.invoke(logs.stream(), restore_ms=512.0)
    s = summarise(evidence(logs))
    assert s.invocations == 53
    assert s.out_of_memory == 1
    assert s.timeouts == 1
    assert s.errors == 2
    assert s.cold_starts == 4 + 1
    assert s.timeout_s == 30.0  # read from `Task timed out after 30.03 seconds`
    assert s.memory_size_mb == 512
    assert s.max_memory_used_mb == 512


def test_a_repeated_report_line_counts_once() -> None:
    """Overlapping exports repeat events: a request id is one invocation however often it shows."""
    logs = Logs()
    logs.healthy(10)
    logs.events.extend(list(logs.events))
    assert summarise(evidence(logs)).invocations == 10


def test_the_window_keeps_only_its_invocations() -> None:
    logs = Logs()
    logs.healthy(100, gap_ms=6_000)  # ten minutes of traffic
    whole = evidence(logs)
    last_two_minutes = evidence(logs, start_ms=logs.end_ms - 120_000)
    assert summarise(whole).invocations == 100
    assert 15 <= summarise(last_two_minutes).invocations <= 25


def test_a_broken_check_says_unknown_and_the_rest_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(ev: Evidence, limits: object) -> object:
        raise ZeroDivisionError("division by zero")

    checks = list(engine.CHECKS)
    checks[5] = dataclasses.replace(checks[5], measure=broken)
    monkeypatch.setattr(engine, "CHECKS", tuple(checks))
    diagnosis = diagnose(evidence(healthy_function()))
    memory = diagnosis.check("memory")
    assert memory.status is CheckStatus.UNKNOWN
    assert "check could not run: ZeroDivisionError" in memory.title
    assert len(diagnosis.checks) == len(FLOWCHART)


def test_the_summary_speaks_the_json_schema() -> None:
    ev = everything_read(evidence(healthy_function()))
    data = diagnose(ev).to_json()
    assert data["function"] == "checkout-api"
    assert data["region"] == "eu-west-1"
    assert data["window"]["start"].startswith("2026-03-02T09:1")
    assert data["window"]["start"].endswith("Z")
    summary = data["summary"]
    assert summary["throttles"] == 0
    assert summary["timeout_s"] == 10.0
    assert summary["memory_size_mb"] == 256
    assert 30 <= summary["duration_ms"]["p50"] <= 450
    assert summary["init_duration_ms"]["max"] < 500


def test_metrics_before_the_window_are_not_counted() -> None:
    ev = everything_read(evidence(healthy_function()))
    assert ev.metrics is not None
    # A burst of throttles an hour before the window opened.
    ev.metrics["Throttles"].points[T0 // 1000 - 3600] = 500.0
    diagnosis = diagnose(ev)
    assert diagnosis.summary.throttles == 0
    assert diagnosis.check("throttling").status is CheckStatus.OK


def test_a_deploy_that_cannot_start_leads_the_report() -> None:
    """Every invocation fails to initialise (a missing module), and the network lines its
    attempts print fail the vpc check too: the report starts with the init error."""
    logs = Logs()
    logs.healthy(5)
    for _ in range(12):
        env = logs.stream()
        logs.invoke(
            env,
            app=[
                "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': "
                "No module named 'requests'",
                py("ERROR", "getaddrinfo EAI_AGAIN telemetry.internal"),
            ],
            status="error",
            error_type="Runtime.ImportModuleError",
        )
    report = diagnose(evidence(logs), Thresholds())
    assert start_with(report) == ("invocation_errors", None)
    assert "the code cannot start" in verdict(report)
