"""Lambda's own text-format lines: START, END, REPORT in every spacing, INIT/RESTORE, extensions,
timeouts and runtime exits. And the application lines that only look like them."""

from __future__ import annotations

from typing import Any

import pytest
from core_corpus import RID, RID2, SEGMENT, TRACE, assert_fields, report_line

from lambdatop.core.parse import parse
from lambdatop.core.records import ErrorFamily, Level, LineKind

# --- START / END ------------------------------------------------------------------------------

START_END = [
    pytest.param(
        f"START RequestId: {RID} Version: $LATEST", LineKind.START, "$LATEST", id="latest"
    ),
    pytest.param(f"START RequestId: {RID} Version: 12", LineKind.START, "12", id="numbered"),
    pytest.param(f"START RequestId: {RID} Version: 7\n", LineKind.START, "7", id="alias-newline"),
    pytest.param(f"START RequestId: {RID}\tVersion: $LATEST", LineKind.START, "$LATEST", id="tab"),
    pytest.param(f"START RequestId: {RID}", LineKind.START, None, id="no-version"),
    pytest.param(f"  START RequestId: {RID} Version: 3  ", LineKind.START, "3", id="padded"),
    pytest.param(f"END RequestId: {RID}", LineKind.END, None, id="end"),
    pytest.param(f"END RequestId: {RID}\n", LineKind.END, None, id="end-newline"),
    pytest.param(f"END RequestId: {RID}\r\n", LineKind.END, None, id="end-crlf"),
]


@pytest.mark.parametrize(("message", "kind", "version"), START_END)
def test_start_and_end(message: str, kind: LineKind, version: str | None) -> None:
    line = parse(message)
    assert_fields(line, {"kind": kind, "request_id": RID, "version": version, "unhandled": False})
    assert line.classification is None


# --- REPORT -----------------------------------------------------------------------------------

WARM = {"duration_ms": 41.07, "billed_ms": 42.0, "memory_size_mb": 256, "max_memory_mb": 88}
XRAY = f"XRAY TraceId: {TRACE}\tSegmentId: {SEGMENT}\tSampled: true\t"

REPORTS = [
    pytest.param(
        report_line(),
        {**WARM, "init_ms": None, "status": None, "error_type": None, "trace_id": None},
        id="warm-tabs-trailing-tab",
    ),
    pytest.param(
        report_line(RID, "41.07", "42", 256, 88, sep="\t").rstrip("\t"),
        WARM,
        id="warm-no-trailing-tab",
    ),
    pytest.param(
        report_line(RID, "1204.55", "1205", 512, 201, "Init Duration: 402.51 ms"),
        {"duration_ms": 1204.55, "billed_ms": 1205.0, "init_ms": 402.51, "max_memory_mb": 201},
        id="cold-init-duration",
    ),
    pytest.param(
        report_line(sep=" "),
        {**WARM, "init_ms": None},
        id="single-spaces",
    ),
    pytest.param(
        report_line(sep=" \t"),
        WARM,
        id="stray-space-before-tab",
    ),
    pytest.param(
        report_line(sep="\t\t"),
        WARM,
        id="double-tabs",
    ),
    pytest.param(
        report_line(RID, "41.07", "42", 256, 88, "Init Duration: 120.00 ms", sep="  "),
        {**WARM, "init_ms": 120.0},
        id="double-spaces",
    ),
    pytest.param(
        f"REPORT RequestId: {RID} Duration: 3000.00 ms Billed Duration: 3000 ms\n"
        "Init Duration: 2500.00 ms Memory Size: 512 MB Max Memory Used: 200 MB",
        {"duration_ms": 3000.0, "init_ms": 2500.0, "memory_size_mb": 512, "max_memory_mb": 200},
        id="console-copy-two-lines",
    ),
    pytest.param(
        report_line(RID, "40.55", "217", 512, 140)
        + "Restore Duration: 176.79 ms\tBilled Restore Duration: 176 ms\t",
        {
            "duration_ms": 40.55,
            "billed_ms": 217.0,
            "restore_ms": 176.79,
            "billed_restore_ms": 176.0,
            "init_ms": None,
        },
        id="snapstart-restore",
    ),
    pytest.param(
        report_line() + "\n" + XRAY,
        {**WARM, "trace_id": TRACE},
        id="xray-second-line",
    ),
    pytest.param(
        report_line() + XRAY,
        {**WARM, "trace_id": TRACE},
        id="xray-same-line",
    ),
    pytest.param(
        report_line(RID, "1204.55", "1205", 512, 201, "Init Duration: 402.51 ms") + "\n" + XRAY,
        {"init_ms": 402.51, "trace_id": TRACE},
        id="cold-with-xray",
    ),
    pytest.param(
        report_line(RID, "3000.00", "3000", 128, 50, "Status: timeout"),
        {"duration_ms": 3000.0, "status": "timeout", "error_type": None},
        id="status-timeout",
    ),
    pytest.param(
        report_line(
            RID, "812.30", "813", 128, 128, "Status: error", "Error Type: Runtime.OutOfMemory"
        ),
        {"status": "error", "error_type": "Runtime.OutOfMemory", "max_memory_mb": 128},
        id="status-error-oom",
    ),
    pytest.param(
        report_line(RID, "15.10", "16", 128, 41, "Status: error", "Error Type: Runtime.ExitError"),
        {"status": "error", "error_type": "Runtime.ExitError"},
        id="status-error-exit",
    ),
    pytest.param(
        report_line(
            RID,
            "136.02",
            "137",
            128,
            33,
            "Init Duration: 135.12 ms",
            "Status: error",
            "Error Type: Runtime.ImportModuleError",
        ),
        {"init_ms": 135.12, "status": "error", "error_type": "Runtime.ImportModuleError"},
        id="status-error-import-cold",
    ),
    pytest.param(
        report_line(RID, "3000.00", "3000", 128, 50, "Status: timeout", sep=" "),
        {"duration_ms": 3000.0, "status": "timeout", "memory_size_mb": 128},
        id="status-timeout-spaces",
    ),
    pytest.param(
        report_line(RID, "15000.00", "15000", 512, 512),
        {"memory_size_mb": 512, "max_memory_mb": 512, "status": None},
        id="old-oom-memory-at-limit",
    ),
    pytest.param(
        report_line(RID, "2.84", "3", 10240, 10240),
        {"memory_size_mb": 10240, "max_memory_mb": 10240},
        id="ten-gb-function",
    ),
    pytest.param(
        report_line().replace("\t", "\t ") + "\r\n",
        WARM,
        id="space-after-tab-crlf",
    ),
    pytest.param(
        f"REPORT RequestId: {RID}\tDuration: 0.98 ms\tBilled Duration: 1 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 72 MB\t\n",
        {"duration_ms": 0.98, "billed_ms": 1.0, "memory_size_mb": 128, "max_memory_mb": 72},
        id="sub-millisecond",
    ),
]


@pytest.mark.parametrize(("message", "expected"), REPORTS)
def test_report_fields(message: str, expected: dict[str, Any]) -> None:
    line = parse(message)
    assert line.kind is LineKind.REPORT
    assert line.request_id == RID
    assert line.report is not None
    assert_fields(line.report, expected)


@pytest.mark.parametrize(
    ("extra", "error_type"),
    [
        pytest.param(("Status: timeout",), "Sandbox.Timedout", id="timeout"),
        pytest.param(
            ("Status: error", "Error Type: Runtime.OutOfMemory"), "Runtime.OutOfMemory", id="oom"
        ),
        pytest.param(
            ("Status: error", "Error Type: Runtime.ExitError"), "Runtime.ExitError", id="exit"
        ),
        pytest.param((), None, id="success"),
    ],
)
def test_report_failure_is_named_on_the_line(
    extra: tuple[str, ...], error_type: str | None
) -> None:
    line = parse(report_line(RID, "10.00", "10", 128, 60, *extra))
    assert line.error_type == error_type


def test_report_request_ids_are_not_mixed_up() -> None:
    assert parse(report_line(RID2)).request_id == RID2


# --- INIT / RESTORE / extensions --------------------------------------------------------------

INIT_LINES = [
    pytest.param(
        "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: "
        "arn:aws:lambda:eu-west-1::runtime:7b620fc2e66107a1046b140b9d320295811af3ad5d4c6a011fad1fa6",
        {"kind": LineKind.INIT_START, "version": "python:3.12.v38", "unhandled": False},
        id="init-start-python",
    ),
    pytest.param(
        "INIT_START Runtime Version: nodejs:20.v22\tRuntime Version ARN: "
        "arn:aws:lambda:us-east-1::runtime:0e1a3b2c",
        {"kind": LineKind.INIT_START, "version": "nodejs:20.v22"},
        id="init-start-node",
    ),
    pytest.param(
        "INIT_START Runtime Version: provided:al2023.v18 Runtime Version ARN: arn:aws:lambda:x",
        {"kind": LineKind.INIT_START, "version": "provided:al2023.v18"},
        id="init-start-provided-spaces",
    ),
    pytest.param(
        "INIT_START Runtime Version: java:21.v17\tRuntime Version ARN: arn:aws:lambda:x\t",
        {"kind": LineKind.INIT_START, "version": "java:21.v17"},
        id="init-start-java",
    ),
    pytest.param(
        "RESTORE_START Runtime Version: java:21.v17\tRuntime Version ARN: arn:aws:lambda:x",
        {"kind": LineKind.RESTORE_START, "version": "java:21.v17"},
        id="restore-start",
    ),
    pytest.param(
        "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout",
        {
            "kind": LineKind.INIT_REPORT,
            "unhandled": True,
            "level": Level.ERROR,
            "error_type": "Init.timeout",
        },
        id="init-report-timeout",
    ),
    pytest.param(
        "INIT_REPORT Init Duration: 212.40 ms\tPhase: init\tStatus: error\t"
        "Error Type: Runtime.ImportModuleError",
        {
            "kind": LineKind.INIT_REPORT,
            "unhandled": True,
            "error_type": "Runtime.ImportModuleError",
        },
        id="init-report-import-error",
    ),
    pytest.param(
        "INIT_REPORT Init Duration: 3002.42 ms\tPhase: invoke\tStatus: error\t"
        "Error Type: Runtime.ExitError",
        {"kind": LineKind.INIT_REPORT, "unhandled": True, "error_type": "Runtime.ExitError"},
        id="init-report-invoke-phase-exit",
    ),
    pytest.param(
        "INIT_REPORT Init Duration: 498.01 ms Phase: init Status: error Error Type: "
        "Runtime.OutOfMemory",
        {"kind": LineKind.INIT_REPORT, "unhandled": True, "error_type": "Runtime.OutOfMemory"},
        id="init-report-oom-spaces",
    ),
    pytest.param(
        "INIT_REPORT Init Duration: 812.00 ms\tPhase: init\tStatus: success",
        {"kind": LineKind.INIT_REPORT, "unhandled": False, "error_type": None, "level": None},
        id="init-report-success",
    ),
    pytest.param(
        "RESTORE_REPORT Restore Duration: 270.47 ms",
        {"kind": LineKind.RESTORE_REPORT, "unhandled": False},
        id="restore-report",
    ),
    pytest.param(
        "RESTORE_REPORT Restore Duration: 10000.00 ms\tStatus: timeout",
        {"kind": LineKind.RESTORE_REPORT, "unhandled": True},
        id="restore-report-timeout",
    ),
    pytest.param(
        "EXTENSION\tName: datadog-agent\tState: Ready\tEvents: [INVOKE, SHUTDOWN]",
        {"kind": LineKind.EXTENSION, "unhandled": False},
        id="extension-ready",
    ),
    pytest.param(
        "EXTENSION\tName: AWSParametersAndSecretsLambdaExtension\tState: Ready\t"
        "Events: [INVOKE,SHUTDOWN]",
        {"kind": LineKind.EXTENSION},
        id="extension-params-secrets",
    ),
    pytest.param(
        "EXTENSION Name: otel-collector State: LaunchError Events: [] Error Type: UnknownError",
        {"kind": LineKind.EXTENSION},
        id="extension-launch-error",
    ),
    pytest.param(
        "TELEMETRY\tName: my-telemetry-extension\tState: Subscribed\tTypes: [Platform, Function]",
        {"kind": LineKind.EXTENSION},
        id="telemetry-subscribed",
    ),
    pytest.param(
        "LOGS\tName: datadog-agent\tState: Subscribed\tTypes: [function]",
        {"kind": LineKind.EXTENSION},
        id="logs-subscribed",
    ),
]


@pytest.mark.parametrize(("message", "expected"), INIT_LINES)
def test_init_restore_and_extension_lines(message: str, expected: dict[str, Any]) -> None:
    assert_fields(parse(message), expected)


@pytest.mark.parametrize(
    ("message", "field", "value"),
    [
        pytest.param(
            "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout",
            "init_ms",
            10000.0,
            id="init-ms",
        ),
        pytest.param(
            "INIT_REPORT Init Duration: 3002.42 ms\tPhase: invoke\tStatus: error",
            "phase",
            "invoke",
            id="phase",
        ),
        pytest.param(
            "RESTORE_REPORT Restore Duration: 270.47 ms", "restore_ms", 270.47, id="restore"
        ),
        pytest.param(
            "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout",
            "status",
            "timeout",
            id="status",
        ),
    ],
)
def test_init_report_figures(message: str, field: str, value: object) -> None:
    line = parse(message)
    assert line.report is not None
    assert getattr(line.report, field) == value


@pytest.mark.parametrize(
    ("message", "family", "signature_part"),
    [
        pytest.param(
            "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout",
            ErrorFamily.INIT,
            "timed out",
            id="timeout-is-init-timed-out",
        ),
        pytest.param(
            "INIT_REPORT Init Duration: 212.40 ms\tPhase: init\tStatus: error\t"
            "Error Type: Runtime.ImportModuleError",
            ErrorFamily.INIT,
            "Runtime.ImportModuleError",
            id="import-error",
        ),
        pytest.param(
            "INIT_REPORT Init Duration: 498.01 ms\tPhase: init\tStatus: error\t"
            "Error Type: Runtime.OutOfMemory",
            ErrorFamily.OUT_OF_MEMORY,
            "Runtime.OutOfMemory",
            id="oom",
        ),
    ],
)
def test_failed_init_is_classified(message: str, family: ErrorFamily, signature_part: str) -> None:
    classification = parse(message).classification
    assert classification is not None
    assert classification.family is family
    assert signature_part in classification.signature


# --- timeouts and runtime exits ---------------------------------------------------------------

FAILURES = [
    pytest.param(
        f"2026-03-02T09:14:55.120Z {RID} Task timed out after 30.03 seconds",
        LineKind.TIMEOUT,
        RID,
        "Sandbox.Timedout",
        id="timeout-ts-rid-spaces",
    ),
    pytest.param(
        f"2026-03-02T09:14:55.120Z\t{RID}\tTask timed out after 900.10 seconds",
        LineKind.TIMEOUT,
        RID,
        "Sandbox.Timedout",
        id="timeout-ts-rid-tabs",
    ),
    pytest.param(
        "Task timed out after 3.00 seconds",
        LineKind.TIMEOUT,
        None,
        "Sandbox.Timedout",
        id="timeout-bare",
    ),
    pytest.param(
        f"{RID} Task timed out after 6.01 seconds",
        LineKind.TIMEOUT,
        RID,
        "Sandbox.Timedout",
        id="timeout-rid-only-prefix",
    ),
    pytest.param(
        "c0a4f1e2-7b3d-4c59-8e21-6f9a0b1d3e47\tTask timed out after 6.01 seconds",
        LineKind.TIMEOUT,
        "c0a4f1e2-7b3d-4c59-8e21-6f9a0b1d3e47",
        "Sandbox.Timedout",
        id="timeout-letter-rid-prefix",
    ),
    pytest.param(
        "Task timed out after 3.00 seconds\n",
        LineKind.TIMEOUT,
        None,
        "Sandbox.Timedout",
        id="timeout-bare-newline",
    ),
    pytest.param(
        f"RequestId: {RID} Error: Task timed out after 15.02 seconds",
        LineKind.TIMEOUT,
        RID,
        "Sandbox.Timedout",
        id="timeout-requestid-error",
    ),
    pytest.param(
        f"2026-03-02T12:00:00.000Z TIMEOUT RequestId: {RID}",
        LineKind.TIMEOUT,
        RID,
        "Sandbox.Timedout",
        id="guide-style-timeout",
    ),
    pytest.param(
        f"TIMEOUT RequestId: {RID}",
        LineKind.TIMEOUT,
        RID,
        "Sandbox.Timedout",
        id="timeout-word-with-requestid",
    ),
    pytest.param(
        f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
        LineKind.RUNTIME_EXIT,
        RID,
        "Runtime.ExitError",
        id="signal-killed",
    ),
    pytest.param(
        f"RequestId: {RID} Error: Runtime exited with error: signal: killed\r\nRuntime.ExitError",
        LineKind.RUNTIME_EXIT,
        RID,
        "Runtime.ExitError",
        id="signal-killed-crlf",
    ),
    pytest.param(
        f"RequestId: {RID} Error: Runtime exited with error: exit status 1\nRuntime.ExitError",
        LineKind.RUNTIME_EXIT,
        RID,
        "Runtime.ExitError",
        id="exit-status-1",
    ),
    pytest.param(
        f"RequestId: {RID} Error: Runtime exited with error: exit status 2 Runtime.ExitError",
        LineKind.RUNTIME_EXIT,
        RID,
        "Runtime.ExitError",
        id="exit-status-2-one-line",
    ),
    pytest.param(
        f"RequestId: {RID} Error: Runtime exited without providing a reason\nRuntime.ExitError",
        LineKind.RUNTIME_EXIT,
        RID,
        "Runtime.ExitError",
        id="without-reason",
    ),
    pytest.param(
        f"RequestId: {RID} Error: Runtime exited with error: signal: segmentation fault "
        "(core dumped)\nRuntime.ExitError",
        LineKind.RUNTIME_EXIT,
        RID,
        "Runtime.ExitError",
        id="segfault",
    ),
    pytest.param(
        f"RequestId: {RID} Error: Runtime exited with error: signal: aborted (core dumped)\n"
        "Runtime.ExitError",
        LineKind.RUNTIME_EXIT,
        RID,
        "Runtime.ExitError",
        id="aborted",
    ),
    pytest.param(
        f"RequestId: {RID} Process exited before completing request",
        LineKind.RUNTIME_EXIT,
        RID,
        "Runtime.ExitError",
        id="process-exited",
    ),
    pytest.param(
        "Process exited before completing request",
        LineKind.RUNTIME_EXIT,
        None,
        "Runtime.ExitError",
        id="process-exited-bare",
    ),
    pytest.param(
        "Error: Runtime exited with error: exit status 1\nRuntime.ExitError",
        LineKind.RUNTIME_EXIT,
        None,
        "Runtime.ExitError",
        id="init-exit-no-rid",
    ),
    pytest.param(
        "Runtime exited with error: exit status 129",
        LineKind.RUNTIME_EXIT,
        None,
        "Runtime.ExitError",
        id="bare-exit",
    ),
    pytest.param(
        "Runtime.ExitError", LineKind.RUNTIME_EXIT, None, "Runtime.ExitError", id="type-alone"
    ),
    pytest.param(
        "Runtime.OutOfMemory: Runtime exited with error: signal: killed",
        LineKind.RUNTIME_EXIT,
        None,
        "Runtime.OutOfMemory",
        id="oom-type-first",
    ),
    pytest.param(
        f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.OutOfMemory",
        LineKind.RUNTIME_EXIT,
        RID,
        "Runtime.OutOfMemory",
        id="signal-killed-oom-type",
    ),
    pytest.param(
        "Unknown application error occurred\nRuntime.Unknown",
        LineKind.RUNTIME_EXIT,
        None,
        "Runtime.Unknown",
        id="unknown-application-error",
    ),
]


@pytest.mark.parametrize(("message", "kind", "request_id", "error_type"), FAILURES)
def test_timeouts_and_runtime_exits(
    message: str, kind: LineKind, request_id: str | None, error_type: str | None
) -> None:
    line = parse(message)
    assert_fields(line, {"kind": kind, "request_id": request_id, "error_type": error_type})
    if kind is not LineKind.APP:
        assert line.unhandled
        assert line.level is Level.ERROR


@pytest.mark.parametrize(
    ("message", "family"),
    [
        pytest.param("Task timed out after 3.00 seconds", ErrorFamily.TIMEOUT, id="timeout"),
        pytest.param(
            f"{'2026-03-02T09:14:55.120Z'} {RID} Task timed out after 30.03 seconds",
            ErrorFamily.TIMEOUT,
            id="timeout-prefixed",
        ),
        pytest.param(
            f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
            ErrorFamily.OUT_OF_MEMORY,
            id="killed-is-oom",
        ),
        pytest.param(
            "Runtime.OutOfMemory: Runtime exited with error: signal: killed",
            ErrorFamily.OUT_OF_MEMORY,
            id="oom-type",
        ),
    ],
)
def test_failure_lines_carry_their_family(message: str, family: ErrorFamily) -> None:
    classification = parse(message).classification
    assert classification is not None
    assert classification.family is family


def test_exit_status_is_a_crash_not_an_error_family() -> None:
    line = parse(
        f"RequestId: {RID} Error: Runtime exited with error: exit status 1\nRuntime.ExitError"
    )
    assert line.classification is None


# --- application lines that look like platform lines ------------------------------------------

LOOKALIKES = [
    pytest.param("START processing batch 3 of 12", id="start-word"),
    pytest.param("END of stream reached, 0 records left", id="end-word"),
    pytest.param("REPORT generated for tenant acme", id="report-word"),
    pytest.param("REPORTING 3 metrics to statsd", id="reporting"),
    pytest.param("EXTENSION loaded from /opt/extensions", id="extension-word"),
    pytest.param("LOGS shipped to s3://audit-bucket", id="logs-word"),
    pytest.param("TELEMETRY flush took 3ms", id="telemetry-word"),
    pytest.param("XRAY segment sent", id="xray-word"),
    pytest.param("TIMEOUT set to 30s for downstream calls", id="timeout-word"),
    pytest.param(f"RequestId: {RID} processed with 0 errors", id="requestid-ok"),
    pytest.param("RequestId: 42 processed", id="requestid-short"),
    pytest.param("Runtime.getRuntime().availableProcessors() = 2", id="java-runtime-call"),
    pytest.param("Runtime version check passed", id="runtime-word"),
    pytest.param("Runtime.Version 17.0.2 detected", id="runtime-dot-word"),
    pytest.param("Sandbox.Mode enabled for tests", id="sandbox-dot-word"),
    pytest.param("Processed 12 records", id="processed"),
    pytest.param("INIT complete, warming caches", id="init-word"),
    pytest.param("STARTED job 12", id="started"),
    pytest.param("Error: nothing to do", id="error-colon"),
]


@pytest.mark.parametrize("message", LOOKALIKES)
def test_lookalikes_are_application_lines(message: str) -> None:
    line = parse(message)
    assert line.kind is LineKind.APP
    assert line.text == message
    assert not line.unhandled
    assert line.error_type is None


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(
            f"2026-03-02T09:14:55.120Z {RID} Task timed out after 30.03 seconds", id="space"
        ),
        pytest.param(
            f"2026-03-02T09:14:55.120Z\t{RID}\tTask timed out after 30.03 seconds", id="tab"
        ),
        pytest.param(f"2026-03-02T09:14:55.120Z TIMEOUT RequestId: {RID}", id="guide"),
    ],
)
def test_timeout_line_keeps_its_own_timestamp(message: str) -> None:
    """In a plain-text export with no envelope times, the line's own time is all there is."""
    assert parse(message).timestamp_ms == 1772442895120
