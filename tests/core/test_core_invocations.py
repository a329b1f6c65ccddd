"""Grouping lines into invocations: by request id, by the stream's order for the lines that
carry none, init-phase lines to the cold start that follows, and how each invocation ended."""

from __future__ import annotations

import json
from typing import Any

import pytest
from core_corpus import (
    RID,
    RID2,
    RID3,
    RID4,
    SEGMENT,
    STREAM_A,
    STREAM_B,
    STREAM_C,
    TRACE,
    TRACE2,
    TS,
    TS_MS,
    assert_fields,
    events,
    platform,
    report_line,
    tracing,
)

from lambdatop.core.invocations import InvocationTracker
from lambdatop.core.parse import parse
from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.records import ErrorFamily, Invocation, LineKind, LogEvent, Status

S = Status
F = ErrorFamily


def run(lines: list[Any], **kwargs: int) -> LogPipeline:
    pipeline = LogPipeline(**kwargs)
    pipeline.ingest_all(events(lines))
    return pipeline


def only(pipeline: LogPipeline) -> Invocation:
    invocations = list(pipeline.tracker.invocations.values())
    assert len(invocations) == 1, [i.request_id for i in invocations]
    return invocations[0]


def start(rid: str = RID, version: str = "$LATEST") -> str:
    return f"START RequestId: {rid} Version: {version}"


def end(rid: str = RID) -> str:
    return f"END RequestId: {rid}"


def py(msg: str, rid: str = RID, level: str = "INFO") -> str:
    return f"[{level}]\t{TS}\t{rid}\t{msg}"


def node(msg: str, rid: str = RID, level: str = "INFO") -> str:
    return f"{TS}\t{rid}\t{level}\t{msg}"


PY_TRACEBACK = (
    "[ERROR] KeyError: 'order_id'\nTraceback (most recent call last):\n"
    '  File "/var/task/app.py", line 14, in handler\n    order = event["order_id"]'
)
INIT_START = "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: arn:aws:lambda:x"
IMPORT_ERROR = (
    "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named "
    "'requests'\nTraceback (most recent call last):"
)
REPORT_OK = report_line(RID, "41.07", "42", 256, 88)

# (lines, expected fields of the one invocation, families it must show)
SESSIONS = [
    pytest.param(
        [start(), py("Processed 12 records"), py("done"), end(), REPORT_OK],
        {
            "status": S.SUCCESS,
            "error_type": None,
            "reported": True,
            "duration_ms": 41.07,
            "max_memory_mb": 88,
            "memory_size_mb": 256,
            "version": "$LATEST",
            "cold": False,
            "stream": STREAM_A,
        },
        set(),
        id="python-warm-success",
    ),
    pytest.param(
        [
            INIT_START,
            "[INFO]\t2026-03-02T09:14:55.120Z\t\tLoading config",
            start(RID, "12"),
            py("ok"),
            end(),
            report_line(RID, "1204.55", "1205", 512, 201, "Init Duration: 402.51 ms"),
        ],
        {"status": S.SUCCESS, "cold": True, "init_ms": 402.51, "version": "12"},
        set(),
        id="python-cold-start",
    ),
    pytest.param(
        [start(), py("charging"), PY_TRACEBACK, end(), REPORT_OK],
        {"status": S.ERROR, "error_type": "KeyError", "reported": True},
        set(),
        id="python-unhandled-old-report",
    ),
    pytest.param(
        [
            start(),
            PY_TRACEBACK,
            end(),
            report_line(RID, "12.00", "12", 128, 60, "Status: error", "Error Type: KeyError"),
        ],
        {"status": S.ERROR, "error_type": "KeyError"},
        set(),
        id="python-unhandled-new-report",
    ),
    pytest.param(
        [
            start(),
            node("fetching"),
            node(
                'Invoke Error \t{"errorType":"TypeError","errorMessage":"x is undefined"}',
                level="ERROR",
            ),
            end(),
            REPORT_OK,
        ],
        {"status": S.ERROR, "error_type": "TypeError"},
        set(),
        id="node-invoke-error",
    ),
    pytest.param(
        [
            start(),
            py("calling partner"),
            f"2026-03-02T09:14:58.120Z {RID} Task timed out after 3.00 seconds",
            end(),
            report_line(RID, "3000.00", "3000", 128, 60, "Status: timeout"),
        ],
        {"status": S.TIMEOUT, "error_type": "Sandbox.Timedout", "duration_ms": 3000.0},
        {F.TIMEOUT},
        id="timeout-line-and-status",
    ),
    pytest.param(
        [start(), "Task timed out after 3.00 seconds", end(), report_line(RID, "3000.00", "3000")],
        {"status": S.TIMEOUT, "error_type": "Sandbox.Timedout"},
        {F.TIMEOUT},
        id="timeout-bare-old-report",
    ),
    pytest.param(
        [start(), end(), report_line(RID, "3000.00", "3000", 128, 60, "Status: timeout")],
        {"status": S.TIMEOUT, "error_type": "Sandbox.Timedout"},
        {F.TIMEOUT},
        id="timeout-report-status-only",
    ),
    pytest.param(
        [
            start(),
            end(),
            report_line(
                RID, "1500.00", "1500", 128, 60, "Status: error", "Error Type: PoolTimedOut"
            ),
        ],
        {"status": S.ERROR, "error_type": "PoolTimedOut"},
        set(),
        id="an-application-error-type-saying-timedout-is-an-error-not-a-timeout",
    ),
    pytest.param(
        [
            start(),
            end(),
            report_line(
                RID, "812.30", "813", 128, 128, "Status: error", "Error Type: Runtime.OutOfMemory"
            ),
        ],
        {"status": S.OUT_OF_MEMORY, "error_type": "Runtime.OutOfMemory"},
        {F.OUT_OF_MEMORY},
        id="oom-new-report",
    ),
    pytest.param(
        [
            start(),
            f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
            end(),
            report_line(RID, "15000.00", "15000", 512, 512),
        ],
        {"status": S.OUT_OF_MEMORY, "error_type": "Runtime.OutOfMemory"},
        {F.OUT_OF_MEMORY},
        id="oom-signal-killed-old-report",
    ),
    pytest.param(
        [
            start(),
            f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
            end(),
            report_line(
                RID, "812.30", "813", 128, 128, "Status: error", "Error Type: Runtime.OutOfMemory"
            ),
        ],
        {"status": S.OUT_OF_MEMORY, "error_type": "Runtime.OutOfMemory"},
        {F.OUT_OF_MEMORY},
        id="oom-signal-killed-new-report",
    ),
    pytest.param(
        [start(), end(), report_line(RID, "15000.00", "15000", 512, 512)],
        {"status": S.OUT_OF_MEMORY, "error_type": "Runtime.OutOfMemory"},
        {F.OUT_OF_MEMORY},
        id="oom-memory-at-limit-only",
    ),
    pytest.param(
        [
            start(),
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            end(),
            REPORT_OK,
        ],
        {"status": S.OUT_OF_MEMORY},
        {F.OUT_OF_MEMORY},
        id="oom-node-heap",
    ),
    pytest.param(
        [start(), "fatal error: runtime: out of memory", end(), REPORT_OK],
        {"status": S.OUT_OF_MEMORY},
        {F.OUT_OF_MEMORY},
        id="oom-go",
    ),
    pytest.param(
        [start(), "[ERROR] MemoryError\nTraceback (most recent call last):", end(), REPORT_OK],
        {"status": S.OUT_OF_MEMORY, "error_type": "MemoryError"},
        {F.OUT_OF_MEMORY},
        id="oom-python-memoryerror",
    ),
    pytest.param(
        [
            start(),
            f"RequestId: {RID} Error: Runtime exited with error: exit status 1\nRuntime.ExitError",
            end(),
            REPORT_OK,
        ],
        {"status": S.CRASHED, "error_type": "Runtime.ExitError"},
        set(),
        id="crash-exit-status",
    ),
    pytest.param(
        [
            start(),
            end(),
            report_line(
                RID, "15.10", "16", 128, 41, "Status: error", "Error Type: Runtime.ExitError"
            ),
        ],
        {"status": S.CRASHED, "error_type": "Runtime.ExitError"},
        set(),
        id="crash-report-only",
    ),
    pytest.param(
        [start(), f"RequestId: {RID} Process exited before completing request", end(), REPORT_OK],
        {"status": S.CRASHED, "error_type": "Runtime.ExitError"},
        set(),
        id="crash-process-exited",
    ),
    pytest.param(
        [
            start(),
            "panic: runtime error: index out of range [3] with length 3",
            "",
            "goroutine 1 [running]:",
            "main.handler(...)",
            f"RequestId: {RID} Error: Runtime exited with error: exit status 2\nRuntime.ExitError",
            end(),
            REPORT_OK,
        ],
        {"status": S.CRASHED, "error_type": "Runtime.ExitError"},
        set(),
        id="go-panic",
    ),
    pytest.param(
        [
            INIT_START,
            IMPORT_ERROR,
            "INIT_REPORT Init Duration: 212.40 ms\tPhase: init\tStatus: error\t"
            "Error Type: Runtime.ImportModuleError",
            IMPORT_ERROR,
            "INIT_REPORT Init Duration: 135.12 ms\tPhase: invoke\tStatus: error\t"
            "Error Type: Runtime.ImportModuleError",
            start(),
            end(),
            report_line(
                RID,
                "136.02",
                "137",
                128,
                33,
                "Status: error",
                "Error Type: Runtime.ImportModuleError",
            ),
        ],
        {"status": S.ERROR, "error_type": "Runtime.ImportModuleError", "cold": True},
        {F.INIT},
        id="import-error-before-start",
    ),
    pytest.param(
        [
            INIT_START,
            IMPORT_ERROR,
            start(),
            IMPORT_ERROR,
            end(),
            report_line(RID, "1.47", "2", 128, 33),
        ],
        {"status": S.ERROR, "error_type": "Runtime.ImportModuleError"},
        {F.INIT},
        id="import-error-old-format",
    ),
    pytest.param(
        [
            INIT_START,
            IMPORT_ERROR,
            start(),
            "INIT_REPORT Init Duration: 135.12 ms\tPhase: invoke\tStatus: error\t"
            "Error Type: Runtime.ImportModuleError",
            end(),
            report_line(RID, "136.02", "137", 128, 33),
        ],
        {
            "status": S.ERROR,
            "error_type": "Runtime.ImportModuleError",
            "init_ms": 135.12,
            "cold": True,
        },
        {F.INIT},
        id="invoke-phase-init-report-after-start",
    ),
    pytest.param(
        [
            INIT_START,
            "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout",
            start(),
            py("connected on retry"),
            end(),
            report_line(RID, "2100.00", "2100", 512, 180, "Init Duration: 2050.00 ms"),
        ],
        {"status": S.SUCCESS, "cold": True},
        {F.INIT},
        id="init-timeout-then-retried-init-succeeds",
    ),
    pytest.param(
        [
            INIT_START,
            "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout",
            start(),
            "INIT_REPORT Init Duration: 3000.00 ms\tPhase: invoke\tStatus: timeout",
            end(),
            report_line(RID, "3000.00", "3000", 512, 180, "Status: timeout"),
        ],
        {"status": S.TIMEOUT, "cold": True},
        {F.INIT, F.TIMEOUT},
        id="init-timeout-twice",
    ),
    pytest.param(
        [
            "RESTORE_START Runtime Version: java:21.v17\tRuntime Version ARN: arn:aws:lambda:x",
            "RESTORE_REPORT Restore Duration: 270.47 ms",
            start(),
            end(),
            report_line(
                RID,
                "40.55",
                "217",
                512,
                140,
                "Restore Duration: 176.79 ms",
                "Billed Restore Duration: 176 ms",
            ),
        ],
        {"status": S.SUCCESS, "cold": True, "restore_ms": 176.79, "init_ms": None},
        set(),
        id="snapstart-restore-is-cold",
    ),
    pytest.param(
        [
            start(),
            end(),
            REPORT_OK + f"\nXRAY TraceId: {TRACE}\tSegmentId: {SEGMENT}\tSampled: true\t",
        ],
        {"trace_id": TRACE},
        set(),
        id="xray-second-line",
    ),
    pytest.param(
        [start(), end(), REPORT_OK + f"XRAY TraceId: {TRACE}\tSegmentId: {SEGMENT}\tSampled: true"],
        {"trace_id": TRACE},
        set(),
        id="xray-same-line",
    ),
    pytest.param(
        [start(), end(), REPORT_OK, f"XRAY TraceId: {TRACE}\tSegmentId: {SEGMENT}\tSampled: true"],
        {"trace_id": TRACE},
        set(),
        id="xray-own-event",
    ),
    pytest.param(
        [start(), py("a"), py("b"), py("c"), node("d"), "raw line", end(), REPORT_OK, REPORT_OK],
        {"status": S.SUCCESS, "duration_ms": 41.07},
        set(),
        id="counted-once",
    ),
    pytest.param(
        [py("mid-invocation line, tail started late"), end(), REPORT_OK],
        {"status": S.SUCCESS, "reported": True},
        set(),
        id="tail-starts-mid-invocation",
    ),
    pytest.param(
        [start(), py("no report yet")],
        {"status": S.RUNNING, "reported": False},
        set(),
        id="still-running",
    ),
    pytest.param(
        [
            start(),
            py(
                "An error occurred (AccessDeniedException) when calling the GetItem operation: "
                "User: x is not authorized to perform: dynamodb:GetItem on resource: y",
                level="ERROR",
            ),
            py("Returning 500"),
            end(),
            REPORT_OK,
        ],
        {"status": S.SUCCESS},
        {F.PERMISSION},
        id="logged-error-is-not-a-failure",
    ),
]


SESSIONS += [
    pytest.param(
        [
            "INIT_START Runtime Version: nodejs:20.v22\tRuntime Version ARN: arn:aws:lambda:x",
            f"{TS}\tundefined\tINFO\tLoading function",
            f"{TS}\tundefined\tERROR\tUncaught Exception \t"
            '{"errorType":"Runtime.ImportModuleError",'
            '"errorMessage":"Error: Cannot find module \'axios\'"}',
            start(),
            end(),
            report_line(RID, "90.00", "90", 128, 60),
        ],
        {"status": S.ERROR, "error_type": "Runtime.ImportModuleError"},
        {F.INIT},
        id="node-import-error-during-init",
    ),
    pytest.param(
        [
            start(),
            f"I, [2026-03-02T09:14:55.120000 #8]  INFO -- {RID}: charging",
            '{"errorMessage":"undefined method `[]\' for nil:NilClass","errorType":'
            '"Function<NoMethodError>","stackTrace":["/var/task/function.rb:5:in `handler\'"]}',
            end(),
            REPORT_OK,
        ],
        {"status": S.ERROR, "error_type": "Function<NoMethodError>"},
        set(),
        id="ruby-unhandled",
    ),
    pytest.param(
        [
            start(),
            f"{TS}\t{RID}\tinfo\tProcessing order 12",
            f"{TS}\t{RID}\tfail\tSystem.InvalidOperationException: order is closed",
            end(),
            report_line(
                RID, "20.00", "20", 256, 90, "Status: error", "Error Type: Runtime.Unknown"
            ),
        ],
        # the exception the runtime logged names the error better than the REPORT's
        {"status": S.ERROR, "error_type": "System.InvalidOperationException"},
        set(),
        id="dotnet-report-status",
    ),
    pytest.param(
        [
            start(),
            f"2026-03-02 09:14:55 {RID} INFO  OrderHandler - started",
            "\tat com.acme.OrderHandler.handleRequest(OrderHandler.java:42)",
            '{"errorMessage":"Java heap space","errorType":"java.lang.OutOfMemoryError"}',
            end(),
            report_line(RID, "900.00", "900", 512, 509),
        ],
        {"status": S.OUT_OF_MEMORY, "error_type": "java.lang.OutOfMemoryError"},
        {F.OUT_OF_MEMORY},
        id="java-unhandled-oom",
    ),
    pytest.param(
        [
            start(),
            f"{RID}\tINFO\tcalling partner",
            f"{RID} Task timed out after 6.01 seconds",
            end(),
            report_line(RID, "6000.00", "6000"),
        ],
        {"status": S.TIMEOUT},
        {F.TIMEOUT},
        id="timestamps-stripped-by-a-tool",
    ),
]


@pytest.mark.parametrize(("lines", "expected", "families"), SESSIONS)
def test_text_sessions(
    lines: list[str], expected: dict[str, Any], families: set[ErrorFamily]
) -> None:
    invocation = only(run(lines))
    assert invocation.request_id == RID
    assert_fields(invocation, expected)
    assert families <= invocation.families, invocation.families
    if not families:
        assert not (invocation.families - {F.PERMISSION, F.INIT}), invocation.families


def j_start(rid: str = RID, **extra: Any) -> str:
    return platform("start", {"requestId": rid, "version": "$LATEST", **extra})


def j_report(rid: str = RID, status: str | None = "success", **metrics: Any) -> str:
    record: dict[str, Any] = {
        "requestId": rid,
        "metrics": {
            "durationMs": 860.2,
            "billedDurationMs": 861,
            "memorySizeMB": 512,
            "maxMemoryUsedMB": 131,
            **metrics,
        },
    }
    if status is not None:
        record["status"] = status
    return platform("report", record)


def j_done(rid: str = RID, status: str = "success", **extra: Any) -> str:
    return platform("runtimeDone", {"requestId": rid, "status": status, **extra})


def j_app(message: str, rid: str = RID, level: str = "INFO", **extra: Any) -> str:
    return json.dumps(
        {"timestamp": TS, "level": level, "message": message, "requestId": rid, **extra}
    )


J_INIT = [
    platform(
        "initStart",
        {"initializationType": "on-demand", "phase": "init", "runtimeVersion": "python:3.12.v38"},
    ),
    platform(
        "initRuntimeDone", {"initializationType": "on-demand", "phase": "init", "status": "success"}
    ),
    platform(
        "initReport",
        {"initializationType": "on-demand", "phase": "init", "metrics": {"durationMs": 402.5}},
    ),
]

JSON_SESSIONS = [
    pytest.param(
        [*J_INIT, j_start(), j_app("hello"), j_done(), j_report(initDurationMs=402.5)],
        {"status": S.SUCCESS, "cold": True, "init_ms": 402.5, "duration_ms": 860.2},
        set(),
        id="json-cold-success",
    ),
    pytest.param(
        [*J_INIT, j_start(), j_report(status="success")],
        {"status": S.SUCCESS, "cold": True, "init_ms": 402.5},
        set(),
        id="json-init-report-only-makes-it-cold",
    ),
    pytest.param(
        [j_start(tracing=tracing()), j_done(), j_report()],
        {"trace_id": TRACE, "cold": False},
        set(),
        id="json-trace-on-start",
    ),
    pytest.param(
        [j_start(), j_done(tracing=tracing(TRACE2)), j_report()],
        {"trace_id": TRACE2},
        set(),
        id="json-trace-on-runtime-done",
    ),
    pytest.param(
        [
            j_start(),
            platform(
                "report",
                {
                    "requestId": RID,
                    "metrics": {"durationMs": 1},
                    "tracing": tracing(),
                    "status": "success",
                },
            ),
        ],
        {"trace_id": TRACE},
        set(),
        id="json-trace-on-report",
    ),
    pytest.param(
        [j_start(), j_done(status="timeout"), j_report(status="timeout", durationMs=30000.0)],
        {"status": S.TIMEOUT, "error_type": "Sandbox.Timedout", "duration_ms": 30000.0},
        {F.TIMEOUT},
        id="json-timeout",
    ),
    pytest.param(
        [
            j_start(),
            json.dumps(
                {
                    "timestamp": TS,
                    "log_level": "ERROR",
                    "errorMessage": "'order_id'",
                    "errorType": "KeyError",
                    "requestId": RID,
                    "stackTrace": [],
                }
            ),
            j_done(status="error", errorType="KeyError"),
            platform(
                "report",
                {
                    "requestId": RID,
                    "metrics": {"durationMs": 5.0},
                    "status": "error",
                    "errorType": "KeyError",
                },
            ),
        ],
        {"status": S.ERROR, "error_type": "KeyError"},
        set(),
        id="json-unhandled",
    ),
    pytest.param(
        [
            j_start(),
            j_done(status="error", errorType="Runtime.OutOfMemory"),
            platform(
                "report",
                {
                    "requestId": RID,
                    "metrics": {"durationMs": 800.0, "memorySizeMB": 128, "maxMemoryUsedMB": 128},
                    "status": "error",
                    "errorType": "Runtime.OutOfMemory",
                },
            ),
        ],
        {"status": S.OUT_OF_MEMORY, "error_type": "Runtime.OutOfMemory"},
        {F.OUT_OF_MEMORY},
        id="json-oom",
    ),
    pytest.param(
        [j_start(), j_done(status="error", errorType="Runtime.OutOfMemory")],
        {"status": S.OUT_OF_MEMORY, "reported": False},
        {F.OUT_OF_MEMORY},
        id="json-oom-runtime-done-only",
    ),
    pytest.param(
        [
            j_start(),
            j_done(status="failure", errorType="Runtime.ExitError"),
            j_report(status="failure"),
        ],
        {"status": S.CRASHED, "error_type": "Runtime.ExitError"},
        set(),
        id="json-failure-exit",
    ),
    pytest.param(
        [j_start(), j_report(status=None, memorySizeMB=512, maxMemoryUsedMB=512)],
        {"status": S.OUT_OF_MEMORY},
        {F.OUT_OF_MEMORY},
        id="json-report-without-status-at-limit",
    ),
    pytest.param(
        [j_start(), j_report(status="success", memorySizeMB=512, maxMemoryUsedMB=512)],
        {"status": S.SUCCESS},
        set(),
        id="json-success-at-limit-is-success",
    ),
    pytest.param(
        [
            platform("initStart", {"phase": "init"}),
            platform(
                "initReport",
                {
                    "phase": "init",
                    "status": "error",
                    "errorType": "Runtime.ExitError",
                    "metrics": {"durationMs": 900.0},
                },
            ),
            j_start(),
            j_done(),
            j_report(status="success"),
        ],
        {"status": S.SUCCESS, "error_type": None, "cold": True},
        {F.INIT},
        id="json-failed-init-retried-successfully",
    ),
    pytest.param(
        [
            platform("initStart", {"phase": "init"}),
            platform(
                "initRuntimeDone",
                {"phase": "init", "status": "error", "errorType": "Runtime.ImportModuleError"},
            ),
            platform(
                "initReport",
                {
                    "phase": "init",
                    "status": "error",
                    "errorType": "Runtime.ImportModuleError",
                    "metrics": {"durationMs": 90.0},
                },
            ),
            j_start(),
            j_done(status="error", errorType="Runtime.ImportModuleError"),
            platform(
                "report",
                {
                    "requestId": RID,
                    "metrics": {"durationMs": 91.0},
                    "status": "error",
                    "errorType": "Runtime.ImportModuleError",
                },
            ),
        ],
        {"status": S.ERROR, "error_type": "Runtime.ImportModuleError", "cold": True},
        {F.INIT},
        id="json-import-error",
    ),
]


@pytest.mark.parametrize(("lines", "expected", "families"), JSON_SESSIONS)
def test_json_sessions(
    lines: list[str], expected: dict[str, Any], families: set[ErrorFamily]
) -> None:
    invocation = only(run(lines))
    assert_fields(invocation, expected)
    assert families <= invocation.families, invocation.families


# --- attribution ------------------------------------------------------------------------------


def test_lines_without_request_id_follow_their_stream() -> None:
    lines = [
        (STREAM_A, start(RID)),
        (STREAM_B, start(RID2)),
        (STREAM_A, "panic: boom"),
        (STREAM_B, "goroutine 7 [running]: healthy background work"),
        (STREAM_A, "goroutine 1 [running]:"),
        (STREAM_B, f"2026/03/02 09:14:55 processed batch for {RID2[:8]}"),
        (
            STREAM_A,
            f"RequestId: {RID} Error: Runtime exited with error: exit status 2\nRuntime.ExitError",
        ),
        (STREAM_B, end(RID2)),
        (STREAM_A, end(RID)),
        (STREAM_B, report_line(RID2)),
        (STREAM_A, report_line(RID)),
    ]
    pipeline = LogPipeline()
    records = [pipeline.ingest(event) for event in events(lines)]
    assert [r.request_id for r in records] == [
        RID,
        RID2,
        RID,
        RID2,
        RID,
        RID2,
        RID,
        RID2,
        RID,
        RID2,
        RID,
    ]
    invocations = pipeline.tracker.invocations
    assert invocations[RID].status is S.CRASHED
    assert invocations[RID].stream == STREAM_A
    assert invocations[RID2].status is S.SUCCESS
    assert invocations[RID2].stream == STREAM_B


def test_three_streams_interleaved_each_keep_their_own_failures() -> None:
    lines = []
    rids = {STREAM_A: RID, STREAM_B: RID2, STREAM_C: RID3}
    for stream, rid in rids.items():
        lines.append((stream, start(rid)))
    for step in range(5):
        for stream, rid in rids.items():
            lines.append((stream, f"java raw line {step} of {rid[:4]}"))
    lines.append((STREAM_B, "Task timed out after 3.00 seconds"))
    lines.append(
        (STREAM_C, '{"errorMessage":"boom","errorType":"java.lang.IllegalStateException"}')
    )
    for stream, rid in rids.items():
        lines.append((stream, end(rid)))
        lines.append((stream, report_line(rid)))
    invocations = run(lines).tracker.invocations
    assert len(invocations) == 3
    assert invocations[RID].status is S.SUCCESS
    assert invocations[RID2].status is S.TIMEOUT
    assert invocations[RID3].status is S.ERROR
    assert invocations[RID3].error_type == "java.lang.IllegalStateException"


def test_next_start_takes_over_the_stream() -> None:
    lines = [
        start(RID),
        end(RID),
        report_line(RID),
        start(RID2),
        "raw line for the second",
        end(RID2),
    ]
    pipeline = LogPipeline()
    records = [pipeline.ingest(e) for e in events(lines)]
    assert records[4].request_id == RID2


def test_init_lines_belong_to_the_first_invocation_of_the_environment() -> None:
    lines = [
        f"RequestId: {RID} Error: Runtime exited with error: exit status 1\nRuntime.ExitError",
        end(RID),
        report_line(RID),
        INIT_START,
        IMPORT_ERROR,
        start(RID2),
        end(RID2),
        report_line(RID2),
    ]
    pipeline = LogPipeline()
    records = [pipeline.ingest(e) for e in events(lines)]
    assert (
        records[3].request_id is None
    )  # INIT_START: the environment's next request is unknown yet
    assert records[4].request_id is None
    first, second = pipeline.tracker.invocations[RID], pipeline.tracker.invocations[RID2]
    assert first.status is S.CRASHED
    assert second.status is S.ERROR
    assert second.error_type == "Runtime.ImportModuleError"
    assert F.INIT in second.families
    assert F.INIT not in first.families


def test_init_error_goes_to_its_own_stream_only() -> None:
    lines = [
        (STREAM_A, INIT_START),
        (STREAM_B, start(RID2)),
        (STREAM_A, IMPORT_ERROR),
        (STREAM_B, end(RID2)),
        (STREAM_B, report_line(RID2)),
        (STREAM_A, start(RID)),
        (STREAM_A, end(RID)),
        (STREAM_A, report_line(RID)),
    ]
    invocations = run(lines).tracker.invocations
    assert invocations[RID].status is S.ERROR
    assert invocations[RID2].status is S.SUCCESS


def test_lines_before_any_start_are_not_invented_into_invocations() -> None:
    pipeline = run(["raw line", "another", "[INFO]\t2026-03-02T09:14:55.120Z\t\tinit print"])
    assert pipeline.tracker.invocations == {}
    assert pipeline.lines == 3


def test_a_new_environment_in_the_same_stream_is_cold_again() -> None:
    lines = [
        INIT_START,
        start(RID),
        f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
        end(RID),
        report_line(RID, "900.00", "900", 128, 128, "Init Duration: 300.00 ms"),
        INIT_START,
        start(RID2),
        end(RID2),
        report_line(RID2, "100.00", "100", 128, 60, "Init Duration: 310.00 ms"),
        start(RID3),
        end(RID3),
        report_line(RID3),
    ]
    invocations = run(lines).tracker.invocations
    assert invocations[RID].status is S.OUT_OF_MEMORY
    assert [invocations[r].cold for r in (RID, RID2, RID3)] == [True, True, False]
    assert invocations[RID2].status is S.SUCCESS


def test_max_invocations_bounds_memory() -> None:
    tracker = InvocationTracker(max_invocations=10)
    for index in range(50):
        rid = f"00000000-0000-4000-8000-{index:012d}"
        for message in (start(rid), end(rid), report_line(rid)):
            tracker.add(LogEvent(TS_MS + index, message, STREAM_A), parse(message))
    assert len(tracker.invocations) == 10
    assert "00000000-0000-4000-8000-000000000049" in tracker.invocations
    assert "00000000-0000-4000-8000-000000000000" not in tracker.invocations


def test_many_streams_are_bounded_too() -> None:
    tracker = InvocationTracker(max_invocations=100, max_streams=20)
    for index in range(200):
        stream = f"2026/03/02/[$LATEST]{index:032x}"
        tracker.add(LogEvent(TS_MS, INIT_START, stream), parse(INIT_START))
        tracker.add(LogEvent(TS_MS, IMPORT_ERROR, stream), parse(IMPORT_ERROR))
    assert len(tracker._pending) <= 21
    assert len(tracker._current) <= 21


def test_a_report_without_start_backdates_the_start() -> None:
    pipeline = run([report_line(RID, "500.00", "500")])
    invocation = only(pipeline)
    assert invocation.end_ms == TS_MS
    assert invocation.start_ms == TS_MS  # first seen; the REPORT's own time


def test_start_and_end_times() -> None:
    invocation = only(run([start(), py("x"), end(), REPORT_OK]))
    assert invocation.start_ms == TS_MS
    assert invocation.end_ms == TS_MS + 3


# --- the pipeline's findings ------------------------------------------------------------------


def test_pipeline_keeps_findings_failures_and_dropped_logs() -> None:
    lines = [
        start(RID),
        py(
            "An error occurred (ThrottlingException) when calling the PutItem operation",
            level="ERROR",
        ),
        py("QueuePool limit of size 5 overflow 10 reached, connection timed out", level="ERROR"),
        py("Processed 12 records"),
        f"2026-03-02T09:14:58.120Z {RID} Task timed out after 3.00 seconds",
        end(RID),
        report_line(RID, "3000.00", "3000", 128, 60, "Status: timeout"),
        platform("logsDropped", {"droppedBytes": 1, "droppedRecords": 1, "reason": "slow"}),
    ]
    pipeline = run(lines)
    assert [f.request_id for f in pipeline.findings[F.THROTTLING]] == [RID]
    assert len(pipeline.findings[F.CONNECTION_POOL]) == 1
    assert len(pipeline.findings[F.TIMEOUT]) == 1
    assert [f.line.kind for f in pipeline.failures] == [LineKind.TIMEOUT]
    assert len(pipeline.dropped) == 1
    assert pipeline.lines == len(lines)
    assert pipeline.error_lines == 3
    assert pipeline.first_ms == TS_MS
    assert pipeline.last_ms == TS_MS + len(lines) - 1


def test_findings_are_bounded() -> None:
    pipeline = LogPipeline(max_findings=5)
    pipeline.ingest_all(events([start()] + [py("AccessDenied", level="ERROR")] * 50))
    assert len(pipeline.findings[F.PERMISSION]) == 5


def test_out_of_order_timestamps_widen_the_window() -> None:
    pipeline = LogPipeline()
    pipeline.ingest(LogEvent(TS_MS + 100, "late", STREAM_A))
    pipeline.ingest(LogEvent(TS_MS, "early", STREAM_B))
    assert (pipeline.first_ms, pipeline.last_ms) == (TS_MS, TS_MS + 100)


def test_ingest_returns_the_parsed_record() -> None:
    record = LogPipeline().ingest(LogEvent(TS_MS, start(RID4), STREAM_A))
    assert record.line.kind is LineKind.START
    assert record.request_id == RID4
    assert record.event.stream == STREAM_A


def test_a_start_event_without_request_id_changes_nothing() -> None:
    lines = [start(RID), py("working"), platform("start", {"version": "$LATEST"}), end(), REPORT_OK]
    pipeline = LogPipeline()
    records = [pipeline.ingest(e) for e in events(lines)]
    invocation = only(pipeline)
    assert records[2].request_id == RID
    assert invocation.start_ms == TS_MS
    assert invocation.status is S.SUCCESS


DENIED_NO_RID = (
    "[ERROR] ClientError: An error occurred (AccessDenied) when calling the GetObject operation:"
    ' Access Denied\nTraceback (most recent call last):\n  File "/var/task/app.py", line 9'
)


def test_requests_running_at_once_in_one_environment_keep_a_line_without_id_unattributed() -> None:
    """Lambda Managed Instances run several requests in one environment: once an earlier
    request writes after a later one started, a line without a request id could be either's."""
    pipeline = run(
        [
            start(RID),
            start(RID2),
            py("processing order 1", RID),  # RID writes after RID2 started: they overlap
            DENIED_NO_RID,
            end(RID2),
            report_line(
                RID2, "60.00", "61", 512, 90, "Status: error", "Error Type: Runtime.Unknown"
            ),
            end(RID),
            report_line(RID, "70.00", "70", 512, 90),
        ]
    )
    invocations = pipeline.tracker.invocations
    assert invocations[RID].status is S.SUCCESS
    assert invocations[RID2].status is S.ERROR
    (finding,) = pipeline.findings[F.PERMISSION]
    assert finding.request_id is None
    # once one of them reported, the stream runs one request: lines are its again
    later = run(
        [
            start(RID),
            start(RID2),
            py("processing order 1", RID),
            end(RID),
            report_line(RID, "70.00", "70", 512, 90),
            PY_TRACEBACK,
            end(RID2),
            report_line(RID2, "60.00", "61", 512, 90),
        ]
    )
    assert later.tracker.invocations[RID2].status is S.ERROR


def test_a_start_without_its_report_alone_is_no_sign_of_requests_at_once() -> None:
    """An export filtered to START and ERROR lines has no REPORTs: the error still belongs to
    the request running in its stream."""
    pipeline = run([start(RID), start(RID2), PY_TRACEBACK])
    (finding,) = pipeline.failures
    assert finding.request_id == RID2


def test_an_asynchronous_retry_under_the_same_id_keeps_the_failed_run() -> None:
    """Lambda retries a failed asynchronous event under the same request id a minute later,
    often in a new environment: the timeout's 15 s stay the invocation's, not the retry's
    120 ms cold run, and the retry's init is no later request's cold start."""
    timed_out = f"{TS} {RID} Task timed out after 15.00 seconds"
    first = [
        (STREAM_A, start(RID)),
        (STREAM_A, timed_out),
        (STREAM_A, end(RID)),
        (STREAM_A, report_line(RID, "15000.00", "15000", 256, 80, "Status: timeout")),
    ]
    retry = [
        (STREAM_B, INIT_START),
        (STREAM_B, start(RID)),
        (STREAM_B, end(RID)),
        (STREAM_B, report_line(RID, "120.00", "120", 256, 80, "Init Duration: 800.00 ms")),
        (STREAM_B, start(RID2)),
        (STREAM_B, end(RID2)),
        (STREAM_B, report_line(RID2, "100.00", "100", 256, 80)),
    ]
    pipeline = LogPipeline()
    pipeline.ingest_all(events(first) + events(retry, start_ms=TS_MS + 60_000))
    invocation = pipeline.tracker.invocations[RID]
    assert (invocation.status, invocation.duration_ms, invocation.attempts) == (
        S.TIMEOUT,
        15000.0,
        2,
    )
    assert invocation.init_ms is None
    assert not pipeline.tracker.invocations[RID2].cold


def test_the_same_lines_twice_are_no_retry() -> None:
    """Overlapping exports without event ids repeat an invocation's lines at once."""
    once = [start(RID), PY_TRACEBACK, end(RID), report_line(RID, "20.00", "20", 256, 80)]
    pipeline = LogPipeline()
    pipeline.ingest_all(events(once) + events(once))
    invocation = pipeline.tracker.invocations[RID]
    assert (invocation.status, invocation.attempts) == (S.ERROR, 1)


def test_requests_whose_report_never_came_stop_counting_as_running() -> None:
    """In an environment running requests at once, a request that never reported (an export
    filtered to START and ERROR) is not running 15 minutes later: a line without a request id
    then belongs to the one request that is."""
    overlap = [start(RID), start(RID2), py("still on order 1", RID)]
    later = [start(RID3), PY_TRACEBACK]
    pipeline = LogPipeline()
    pipeline.ingest_all(events(overlap) + events(later, start_ms=TS_MS + 16 * 60_000))
    (failure,) = pipeline.failures
    assert failure.request_id == RID3
