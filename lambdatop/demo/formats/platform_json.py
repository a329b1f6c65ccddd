"""Lambda's own lines in the JSON log format: telemetry-API-shaped `platform.*` events."""

from __future__ import annotations

import json
from typing import Any

from lambdatop.demo.formats.clock import billed_ms, iso_ms


def _event(at: float, event_type: str, record: dict[str, Any]) -> str:
    return json.dumps(
        {"time": iso_ms(at), "type": event_type, "record": record}, separators=(",", ":")
    )


def tracing(trace_id: str, segment_id: str) -> dict[str, str]:
    return {
        "spanId": segment_id,
        "type": "X-Amzn-Trace-Id",
        "value": f"Root={trace_id};Parent={segment_id};Sampled=1",
    }


def init_start(
    at: float,
    runtime_version: str,
    runtime_version_arn: str,
    function_name: str,
    version: str,
    memory_mb: int,
    phase: str = "init",
) -> str:
    return _event(
        at,
        "platform.initStart",
        {
            "initializationType": "on-demand",
            "phase": phase,
            "runtimeVersion": runtime_version,
            "runtimeVersionArn": runtime_version_arn,
            "functionName": function_name,
            "functionVersion": version,
            "instanceMaxMemory": memory_mb,
        },
    )


def restore_start(
    at: float, runtime_version: str, runtime_version_arn: str, function_name: str, version: str
) -> str:
    return _event(
        at,
        "platform.restoreStart",
        {
            "runtimeVersion": runtime_version,
            "runtimeVersionArn": runtime_version_arn,
            "functionName": function_name,
            "functionVersion": version,
        },
    )


def restore_report(at: float, duration_ms: float) -> str:
    return _event(
        at,
        "platform.restoreReport",
        {"status": "success", "metrics": {"durationMs": round(duration_ms, 3)}},
    )


def init_runtime_done(at: float, phase: str, error_type: str | None) -> str:
    record: dict[str, Any] = {
        "initializationType": "on-demand",
        "phase": phase,
        "status": "error" if error_type else "success",
    }
    if error_type:
        record["errorType"] = error_type
    return _event(at, "platform.initRuntimeDone", record)


def init_report(at: float, duration_ms: float, phase: str, error_type: str | None) -> str:
    record: dict[str, Any] = {
        "initializationType": "on-demand",
        "phase": phase,
        "status": "error" if error_type else "success",
        "metrics": {"durationMs": round(duration_ms, 3)},
    }
    if error_type:
        record["errorType"] = error_type
    return _event(at, "platform.initReport", record)


def start(at: float, request_id: str, version: str, trace: dict[str, str] | None) -> str:
    record: dict[str, Any] = {"requestId": request_id, "version": version}
    if trace is not None:
        record["tracing"] = trace
    return _event(at, "platform.start", record)


def runtime_done(
    at: float,
    request_id: str,
    status: str,
    error_type: str | None,
    duration_ms: float,
    trace: dict[str, str] | None,
) -> str:
    record: dict[str, Any] = {"requestId": request_id, "status": status}
    if error_type:
        record["errorType"] = error_type
    record["metrics"] = {"durationMs": round(duration_ms, 3), "producedBytes": 0}
    if trace is not None:
        record["tracing"] = trace
    return _event(at, "platform.runtimeDone", record)


def report(
    at: float,
    request_id: str,
    duration_ms: float,
    memory_size_mb: int,
    max_memory_used_mb: int,
    status: str,
    init_duration_ms: float | None = None,
    restore_duration_ms: float | None = None,
    error_type: str | None = None,
    trace: dict[str, str] | None = None,
) -> str:
    billed = duration_ms + (init_duration_ms or 0.0)
    metrics: dict[str, Any] = {
        "durationMs": round(duration_ms, 3),
        "billedDurationMs": billed_ms(billed),
        "memorySizeMB": memory_size_mb,
        "maxMemoryUsedMB": max_memory_used_mb,
    }
    if init_duration_ms is not None:
        metrics["initDurationMs"] = round(init_duration_ms, 3)
    if restore_duration_ms is not None:
        metrics["restoreDurationMs"] = round(restore_duration_ms, 3)
        metrics["billedRestoreDurationMs"] = billed_ms(restore_duration_ms * 0.55)
    record: dict[str, Any] = {"requestId": request_id, "metrics": metrics}
    if trace is not None:
        record["tracing"] = trace
    record["status"] = status
    if error_type:
        record["errorType"] = error_type
    return _event(at, "platform.report", record)
