"""The raw lines, checked against the shapes AWS documents (no server needed)."""

from __future__ import annotations

import json

from lambdatop.demo.formats import render_invocation
from lambdatop.demo.incidents.base import (
    AppLine,
    Failure,
    FailureKind,
    InitOutcome,
    Level,
    Outcome,
    Request,
)
from lambdatop.demo.invocation import ColdStart, SimulatedInvocation, TraceIds
from lambdatop.demo.scenarios import SCENARIOS, Scenario

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
REQUEST = "3f1c2a9e-6d0b-4f7e-9a51-0c2d8e7b4a10"
T0 = 1_795_000_000.0


def invocation(
    scenario: Scenario,
    outcome: Outcome,
    cold: InitOutcome | None = None,
    traced: bool = False,
    version: str = "$LATEST",
) -> SimulatedInvocation:
    cold_start = ColdStart(T0, cold, restore=scenario.snapstart) if cold else None
    start = T0 + (cold.duration_ms / 1000.0 if cold else 0.0)
    return SimulatedInvocation(
        scenario=scenario,
        stream="2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef",
        version=version,
        request=Request(REQUEST),
        start=start,
        outcome=outcome,
        runtime_version="python:3.12.v38",
        runtime_version_arn="arn:aws:lambda:us-east-1::runtime:abc",
        environment_id="0123456789abcdef0123456789abcdef",
        cold_start=cold_start,
        trace=TraceIds("1-6b08c1c8-6522c058941f0d3a2a11cd16", "d4ddc93ae8bf4df7", "aa")
        if traced
        else None,
    )


def messages(inv: SimulatedInvocation) -> list[str]:
    lines = render_invocation(inv)
    assert [line.timestamp for line in lines] == sorted(line.timestamp for line in lines)
    return [line.message for line in lines]


def report_fields(line: str) -> dict[str, str]:
    first = line.split("\n")[0]
    assert first.startswith("REPORT RequestId: ")
    pairs = [part.split(": ", 1) for part in first.split("\t") if ": " in part]
    return {key.strip(): value.strip() for key, value in pairs}


def test_text_cold_start_has_init_start_and_init_duration_and_xray() -> None:
    scenario = BY_NAME["catalog-search"]
    outcome = Outcome(41.07, 88, lines=[AppLine(1.0, Level.INFO, "hello")])
    lines = messages(invocation(scenario, outcome, InitOutcome(212.4, memory_mb=80), traced=True))
    assert lines[0].startswith("INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: ")
    assert lines[1] == f"START RequestId: {REQUEST} Version: $LATEST\n"
    assert lines[2].startswith("[INFO]\t")
    assert lines[2].endswith(f"\t{REQUEST}\thello\n")
    assert lines[3] == f"END RequestId: {REQUEST}\n"
    fields = report_fields(lines[4])
    assert fields["Duration"] == "41.07 ms"
    assert fields["Init Duration"] == "212.40 ms"
    assert fields["Memory Size"] == "256 MB"
    assert fields["Max Memory Used"] == "88 MB"
    assert (
        "\nXRAY TraceId: 1-6b08c1c8-6522c058941f0d3a2a11cd16\tSegmentId: d4ddc93ae8bf4df7"
        in lines[4]
    )


def test_text_timeout_writes_task_timed_out_and_status() -> None:
    scenario = BY_NAME["payment-processor"]
    outcome = Outcome(30030.0, 120, failure=Failure(FailureKind.TIMEOUT, "Sandbox.Timedout"))
    lines = messages(invocation(scenario, outcome))
    assert any(f" {REQUEST} Task timed out after 30.03 seconds" in line for line in lines)
    assert report_fields(lines[-1])["Status"] == "timeout"


def test_text_out_of_memory_is_killed_at_the_limit() -> None:
    scenario = BY_NAME["video-encoder"]
    failure = Failure(FailureKind.OUT_OF_MEMORY, "Runtime.OutOfMemory", "signal: killed")
    lines = messages(invocation(scenario, Outcome(2000.0, 1024, failure=failure)))
    assert (
        f"RequestId: {REQUEST} Error: Runtime exited with error: signal: killed\n"
        "Runtime.ExitError\n" in lines
    )
    fields = report_fields(lines[-1])
    assert fields["Max Memory Used"] == fields["Memory Size"] == "1024 MB"
    assert fields["Error Type"] == "Runtime.OutOfMemory"


def test_node_unhandled_error_is_invoke_error_json() -> None:
    scenario = BY_NAME["checkout-api"]
    failure = Failure(
        FailureKind.UNHANDLED, "TypeError", "boom", ("    at main (/var/task/a.js:1:1)",)
    )
    lines = messages(invocation(scenario, Outcome(10.0, 90, failure=failure)))
    error = next(line for line in lines if "Invoke Error" in line)
    timestamp, request_id, level, label, body = error.rstrip("\n").split("\t")
    assert timestamp.endswith("Z")
    assert request_id == REQUEST
    assert level == "ERROR"
    assert label == "Invoke Error "
    assert json.loads(body)["errorType"] == "TypeError"


def test_snapstart_reports_restore_not_init() -> None:
    scenario = BY_NAME["invoice-renderer"]
    lines = messages(invocation(scenario, Outcome(500.0, 400), InitOutcome(402.55), version="1"))
    assert lines[0].startswith("RESTORE_START Runtime Version: ")
    assert any(line.startswith("RESTORE_REPORT Restore Duration: 402.55 ms") for line in lines)
    assert f"START RequestId: {REQUEST} Version: 1\n" in lines
    fields = report_fields(lines[-1])
    assert fields["Restore Duration"] == "402.55 ms"
    assert "Billed Restore Duration" in fields
    assert "Init Duration" not in fields


def test_import_error_fails_init_twice_then_reports_error() -> None:
    scenario = BY_NAME["webhook-relay"]
    failure = Failure(
        FailureKind.INIT_ERROR,
        "Runtime.ImportModuleError",
        "Unable to import module 'app': No module named 'requests'",
    )
    cold = InitOutcome(300.0, error_type="Runtime.ImportModuleError", memory_mb=35)
    lines = messages(invocation(scenario, Outcome(320.0, 36, failure=failure), cold))
    reports = [line for line in lines if line.startswith("INIT_REPORT")]
    assert [("Phase: init" in r, "Phase: invoke" in r) for r in reports] == [
        (True, False),
        (False, True),
    ]
    assert all("Status: error\tError Type: Runtime.ImportModuleError" in r for r in reports)
    assert (
        sum(
            line.startswith(
                "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': "
                "No module named 'requests'"
            )
            for line in lines
        )
        == 2
    )
    fields = report_fields(lines[-1])
    assert fields["Error Type"] == "Runtime.ImportModuleError"
    assert "Init Duration" not in fields


def test_json_format_platform_events_and_unhandled_error() -> None:
    scenario = BY_NAME["report-exporter"]
    failure = Failure(FailureKind.UNHANDLED, "ClientError", "AccessDenied", ("  File x\n",))
    outcome = Outcome(150.0, 110, lines=[AppLine(1.0, Level.INFO, "exporting")], failure=failure)
    lines = messages(invocation(scenario, outcome, InitOutcome(400.0, memory_mb=90), traced=True))
    records = [json.loads(line) for line in lines]
    types = [record.get("type") for record in records]
    assert types[0] == "platform.initStart"
    assert "platform.start" in types
    assert types[-1] == "platform.report"
    report = records[-1]["record"]
    assert report["status"] == "error"
    assert report["metrics"]["initDurationMs"] == 400.0
    assert report["tracing"]["value"].startswith("Root=1-6b08c1c8-")
    app = next(record for record in records if record.get("message") == "exporting")
    assert app["level"] == "INFO"
    assert app["requestId"] == REQUEST
    unhandled = next(record for record in records if "errorMessage" in record)
    assert unhandled["log_level"] == "ERROR"
    assert "level" not in unhandled
    assert unhandled["errorType"] == "ClientError"


def test_go_lines_have_no_prefix() -> None:
    scenario = BY_NAME["clickstream-consumer"]
    outcome = Outcome(100.0, 30, lines=[AppLine(1.0, Level.INFO, "shardId-000000000001: ok")])
    assert "shardId-000000000001: ok\n" in messages(invocation(scenario, outcome))
