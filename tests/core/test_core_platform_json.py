"""Lambda's JSON log format (`LoggingConfig.LogFormat: JSON`): Telemetry-API-shaped platform
events, with the fields that can be missing missing and the numbers as ints or floats."""

from __future__ import annotations

import json
from typing import Any

import pytest
from core_corpus import RID, TRACE, TS, TS_MS, assert_fields, platform, tracing

from lambdatop.core.parse import parse
from lambdatop.core.records import ErrorFamily, Level, LineKind

METRICS = {
    "durationMs": 860.2,
    "billedDurationMs": 861,
    "memorySizeMB": 512,
    "maxMemoryUsedMB": 131,
}

CASES = [
    # start
    pytest.param(
        platform("start", {"requestId": RID, "version": "$LATEST"}),
        {"kind": LineKind.START, "request_id": RID, "version": "$LATEST", "timestamp_ms": TS_MS},
        None,
        id="start",
    ),
    pytest.param(
        platform("start", {"requestId": RID, "version": "14", "tracing": tracing()}),
        {"kind": LineKind.START, "version": "14"},
        {"trace_id": TRACE},
        id="start-tracing",
    ),
    pytest.param(
        platform("start", {"requestId": RID}),
        {"kind": LineKind.START, "request_id": RID, "version": None},
        None,
        id="start-no-version",
    ),
    pytest.param(
        platform("start"),
        {"kind": LineKind.START, "request_id": None},
        None,
        id="start-no-record",
    ),
    # report
    pytest.param(
        platform("report", {"requestId": RID, "metrics": METRICS, "status": "success"}),
        {"kind": LineKind.REPORT, "request_id": RID, "error_type": None},
        {
            "duration_ms": 860.2,
            "billed_ms": 861.0,
            "memory_size_mb": 512,
            "max_memory_mb": 131,
            "init_ms": None,
            "status": "success",
        },
        id="report-warm",
    ),
    pytest.param(
        platform(
            "report",
            {
                "requestId": RID,
                "metrics": {**METRICS, "initDurationMs": 402.5},
                "status": "success",
            },
        ),
        {"kind": LineKind.REPORT},
        {"init_ms": 402.5},
        id="report-cold",
    ),
    pytest.param(
        platform(
            "report",
            {
                "requestId": RID,
                "metrics": {
                    "durationMs": 40,
                    "billedDurationMs": 217,
                    "memorySizeMB": 512,
                    "maxMemoryUsedMB": 140,
                    "restoreDurationMs": 176,
                    "billedRestoreDurationMs": 176,
                },
                "status": "success",
            },
        ),
        {"kind": LineKind.REPORT},
        {"restore_ms": 176.0, "billed_restore_ms": 176.0, "duration_ms": 40.0, "init_ms": None},
        id="report-snapstart-ints",
    ),
    pytest.param(
        platform(
            "report",
            {"requestId": RID, "metrics": METRICS, "tracing": tracing(), "status": "success"},
        ),
        {"kind": LineKind.REPORT},
        {"trace_id": TRACE},
        id="report-tracing",
    ),
    pytest.param(
        platform(
            "report",
            {
                "requestId": RID,
                "metrics": {**METRICS, "maxMemoryUsedMB": 512},
                "status": "error",
                "errorType": "Runtime.OutOfMemory",
            },
        ),
        {"kind": LineKind.REPORT, "error_type": "Runtime.OutOfMemory"},
        {"status": "error", "error_type": "Runtime.OutOfMemory", "max_memory_mb": 512},
        id="report-oom",
    ),
    pytest.param(
        platform(
            "report",
            {"requestId": RID, "metrics": {**METRICS, "durationMs": 30000.0}, "status": "timeout"},
        ),
        {"kind": LineKind.REPORT, "error_type": "Sandbox.Timedout"},
        {"status": "timeout", "duration_ms": 30000.0},
        id="report-timeout",
    ),
    pytest.param(
        platform("report", {"requestId": RID, "metrics": METRICS}),
        {"kind": LineKind.REPORT, "error_type": None},
        {"status": None, "duration_ms": 860.2},
        id="report-no-status",
    ),
    pytest.param(
        platform("report", {"requestId": RID}),
        {"kind": LineKind.REPORT, "request_id": RID},
        {"duration_ms": None, "memory_size_mb": None},
        id="report-no-metrics",
    ),
    pytest.param(
        platform("report", {"requestId": RID, "metrics": None, "status": None}),
        {"kind": LineKind.REPORT},
        {"duration_ms": None, "status": None},
        id="report-null-metrics",
    ),
    pytest.param(
        platform(
            "report",
            {"requestId": RID, "metrics": {"durationMs": "860.2", "memorySizeMB": "512"}},
        ),
        {"kind": LineKind.REPORT},
        {"duration_ms": 860.2, "memory_size_mb": 512},
        id="report-metrics-as-strings",
    ),
    pytest.param(
        platform(
            "report",
            {"requestId": RID, "metrics": {"durationMs": True, "memorySizeMB": [1]}},
        ),
        {"kind": LineKind.REPORT},
        {"duration_ms": None, "memory_size_mb": None},
        id="report-metrics-wrong-types",
    ),
    pytest.param(
        platform("report", {"requestId": RID, "metrics": METRICS, "status": "SUCCESS"}),
        {"kind": LineKind.REPORT, "error_type": None},
        {"status": "success"},
        id="report-status-upper",
    ),
    # runtimeDone
    pytest.param(
        platform(
            "runtimeDone",
            {
                "requestId": RID,
                "status": "success",
                "metrics": {"durationMs": 140.0, "producedBytes": 16},
            },
        ),
        {"kind": LineKind.RUNTIME_DONE, "unhandled": False, "level": None, "error_type": None},
        {"duration_ms": 140.0, "status": "success"},
        id="runtime-done-success",
    ),
    pytest.param(
        platform(
            "runtimeDone",
            {
                "requestId": RID,
                "status": "timeout",
                "metrics": {"durationMs": 30000.0, "producedBytes": 0},
            },
        ),
        {
            "kind": LineKind.RUNTIME_DONE,
            "unhandled": True,
            "level": Level.ERROR,
            "error_type": "Sandbox.Timedout",
        },
        {"status": "timeout"},
        id="runtime-done-timeout",
    ),
    pytest.param(
        platform("runtimeDone", {"requestId": RID, "status": "error", "errorType": "KeyError"}),
        {"kind": LineKind.RUNTIME_DONE, "unhandled": True, "error_type": "KeyError"},
        {"status": "error", "error_type": "KeyError"},
        id="runtime-done-error",
    ),
    pytest.param(
        platform(
            "runtimeDone",
            {"requestId": RID, "status": "failure", "errorType": "Runtime.ExitError"},
        ),
        {"kind": LineKind.RUNTIME_DONE, "unhandled": True, "error_type": "Runtime.ExitError"},
        {"status": "failure"},
        id="runtime-done-failure",
    ),
    pytest.param(
        platform("runtimeDone", {"requestId": RID, "status": "failure"}),
        {"kind": LineKind.RUNTIME_DONE, "unhandled": True, "error_type": "failure"},
        None,
        id="runtime-done-failure-untyped",
    ),
    pytest.param(
        platform(
            "runtimeDone",
            {
                "requestId": RID,
                "status": "success",
                "tracing": tracing(),
                "spans": [
                    {"name": "responseLatency", "start": TS, "durationMs": 23.02},
                    {"name": "responseDuration", "start": TS, "durationMs": 0.5},
                ],
            },
        ),
        {"kind": LineKind.RUNTIME_DONE},
        {"trace_id": TRACE},
        id="runtime-done-spans-tracing",
    ),
    # init and restore
    pytest.param(
        platform(
            "initStart",
            {
                "initializationType": "on-demand",
                "phase": "init",
                "runtimeVersion": "python:3.12.v38",
                "runtimeVersionArn": "arn:aws:lambda:eu-west-1::runtime:7b62",
                "functionName": "orders-api",
                "functionVersion": "$LATEST",
            },
        ),
        {"kind": LineKind.INIT_START, "version": "python:3.12.v38", "request_id": None},
        None,
        id="init-start",
    ),
    pytest.param(
        platform("initStart", {"initializationType": "snap-start", "phase": "init"}),
        {"kind": LineKind.INIT_START, "version": None},
        None,
        id="init-start-minimal",
    ),
    pytest.param(
        platform(
            "initRuntimeDone",
            {"initializationType": "on-demand", "phase": "init", "status": "success"},
        ),
        {"kind": LineKind.PLATFORM, "unhandled": False},
        None,
        id="init-runtime-done",
    ),
    pytest.param(
        platform(
            "initRuntimeDone",
            {
                "initializationType": "on-demand",
                "phase": "init",
                "status": "error",
                "errorType": "Runtime.ImportModuleError",
            },
        ),
        {"kind": LineKind.PLATFORM, "unhandled": True, "error_type": "Runtime.ImportModuleError"},
        None,
        id="init-runtime-done-error",
    ),
    pytest.param(
        platform(
            "initReport",
            {
                "initializationType": "on-demand",
                "phase": "init",
                "status": "success",
                "metrics": {"durationMs": 125.33},
            },
        ),
        {"kind": LineKind.INIT_REPORT, "unhandled": False, "classification": None},
        {"init_ms": 125.33, "phase": "init", "status": "success"},
        id="init-report",
    ),
    pytest.param(
        platform(
            "initReport",
            {
                "initializationType": "provisioned-concurrency",
                "phase": "init",
                "status": "success",
                "metrics": {"durationMs": 7000.0},
            },
        ),
        {"kind": LineKind.INIT_REPORT, "unhandled": False},
        {"init_ms": None, "status": "success"},
        id="init-report-provisioned-concurrency-is-not-a-cold-start",
    ),
    pytest.param(
        platform(
            "initReport",
            {"initializationType": "on-demand", "phase": "init", "metrics": {"durationMs": 90}},
        ),
        {"kind": LineKind.INIT_REPORT, "unhandled": False},
        {"init_ms": 90.0},
        id="init-report-int-no-status",
    ),
    pytest.param(
        platform(
            "initReport",
            {
                "initializationType": "on-demand",
                "phase": "init",
                "status": "timeout",
                "metrics": {"durationMs": 10000.0},
            },
        ),
        {"kind": LineKind.INIT_REPORT, "unhandled": True, "error_type": "Init.timeout"},
        {"status": "timeout", "init_ms": 10000.0},
        id="init-report-timeout",
    ),
    pytest.param(
        platform(
            "initReport",
            {
                "initializationType": "on-demand",
                "phase": "invoke",
                "status": "error",
                "errorType": "Runtime.ExitError",
                "metrics": {"durationMs": 3002.42},
            },
        ),
        {"kind": LineKind.INIT_REPORT, "unhandled": True, "error_type": "Runtime.ExitError"},
        {"phase": "invoke"},
        id="init-report-invoke-phase",
    ),
    pytest.param(
        platform("restoreStart", {"runtimeVersion": "java:21.v17", "functionName": "f"}),
        {"kind": LineKind.RESTORE_START, "version": "java:21.v17"},
        None,
        id="restore-start",
    ),
    pytest.param(
        platform("restoreRuntimeDone", {"status": "success"}),
        {"kind": LineKind.PLATFORM, "unhandled": False},
        None,
        id="restore-runtime-done",
    ),
    pytest.param(
        platform("restoreReport", {"status": "success", "metrics": {"durationMs": 270.47}}),
        {"kind": LineKind.RESTORE_REPORT, "unhandled": False},
        {"restore_ms": 270.47, "init_ms": None},
        id="restore-report",
    ),
    pytest.param(
        platform("restoreReport", {"status": "failure", "errorType": "Runtime.ExitError"}),
        {"kind": LineKind.RESTORE_REPORT, "unhandled": True, "error_type": "Runtime.ExitError"},
        {"restore_ms": None},
        id="restore-report-failure",
    ),
    # the rest
    pytest.param(
        platform(
            "extension",
            {"name": "datadog-agent", "state": "Ready", "events": ["INVOKE", "SHUTDOWN"]},
        ),
        {"kind": LineKind.EXTENSION, "unhandled": False},
        None,
        id="extension",
    ),
    pytest.param(
        platform(
            "telemetrySubscription", {"name": "otel", "state": "Subscribed", "types": ["platform"]}
        ),
        {"kind": LineKind.PLATFORM},
        None,
        id="telemetry-subscription",
    ),
    pytest.param(
        platform(
            "logsDropped",
            {
                "droppedBytes": 12345,
                "droppedRecords": 123,
                "reason": "Consumer seems to have fallen behind as it has not "
                "acknowledged receipt.",
            },
        ),
        {"kind": LineKind.LOGS_DROPPED, "level": Level.WARN},
        None,
        id="logs-dropped",
    ),
    pytest.param(
        platform("fancyNewThing", {"requestId": RID, "whatever": [1, 2, 3]}),
        {"kind": LineKind.PLATFORM, "request_id": RID, "unhandled": False},
        None,
        id="unknown-platform-type",
    ),
    pytest.param(
        json.dumps({"time": "not a time", "type": "platform.start", "record": {"requestId": RID}}),
        {"kind": LineKind.START, "timestamp_ms": None},
        None,
        id="bad-time",
    ),
    pytest.param(
        json.dumps({"time": TS, "type": "platform.report", "record": "not an object"}),
        {"kind": LineKind.REPORT, "request_id": None},
        {"duration_ms": None},
        id="record-not-object",
    ),
    pytest.param(
        json.dumps({"time": TS, "type": "platform.start", "record": {"requestId": 12345}}),
        {"kind": LineKind.START, "request_id": "12345"},
        None,
        id="request-id-number",
    ),
]


@pytest.mark.parametrize(("message", "expected", "report"), CASES)
def test_platform_json(
    message: str, expected: dict[str, Any], report: dict[str, Any] | None
) -> None:
    line = parse(message)
    assert_fields(line, expected)
    assert line.text == message
    if report is not None:
        assert line.report is not None
        assert_fields(line.report, report)


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(json.dumps({"type": 7, "record": {}}), id="type-not-string"),
        pytest.param(
            json.dumps({"type": "function", "record": "[INFO] hello"}), id="telemetry-function"
        ),
        pytest.param("[1, 2, 3]", id="array"),
        pytest.param('{"type": "platform.report", "record": {', id="truncated"),
        pytest.param("{not json at all}", id="braces"),
        pytest.param("{}", id="empty-object"),
        pytest.param('{"type": "platform.report"} trailing', id="trailing-text"),
    ],
)
def test_json_that_is_not_a_platform_event_is_an_app_line(message: str) -> None:
    line = parse(message)
    assert line.kind is LineKind.APP
    assert line.text == message


@pytest.mark.parametrize(
    ("record", "family"),
    [
        pytest.param(
            {"phase": "init", "status": "timeout", "metrics": {"durationMs": 10000.0}},
            ErrorFamily.INIT,
            id="timeout",
        ),
        pytest.param(
            {"phase": "init", "status": "error", "errorType": "Runtime.UserCodeSyntaxError"},
            ErrorFamily.INIT,
            id="syntax",
        ),
        pytest.param(
            {"phase": "init", "status": "error", "errorType": "Runtime.OutOfMemory"},
            ErrorFamily.OUT_OF_MEMORY,
            id="oom",
        ),
    ],
)
def test_failed_init_report_is_classified(record: dict[str, Any], family: ErrorFamily) -> None:
    classification = parse(platform("initReport", record)).classification
    assert classification is not None
    assert classification.family is family


def test_timed_out_runtime_done_is_a_timeout_finding() -> None:
    line = parse(platform("runtimeDone", {"requestId": RID, "status": "timeout"}))
    assert line.classification is not None
    assert line.classification.family is ErrorFamily.TIMEOUT


def test_a_lambda_insights_performance_record_opens_no_invocation() -> None:
    """Lambda Insights writes one of these per invocation to /aws/lambda-insights: a metric
    with a request id, not a line the function logged (an export of them alone would read as
    invocations that never finished)."""
    record = json.dumps(
        {
            "type": "Performance",
            "function_name": "orders",
            "request_id": "d76d4330-f144-4bea-b0c1-1fdecb91ce37",
            "duration": 60.0,
            "memory_utilization": 97,
            "total_memory": 512,
            "used_memory_max": 497,
        }
    )
    line = parse(record)
    assert line.kind is LineKind.PLATFORM
    assert line.request_id is None
