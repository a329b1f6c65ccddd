"""AWS API answers as core records. Every field is optional: emulators and old APIs omit some."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from lambdatop.core.records import (
    EventSource,
    FunctionConfig,
    TraceSegment,
    TraceSummary,
    VpcConfig,
)
from lambdatop.core.sanitize import one_line


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return one_line(str(value)) if value not in (None, "") else None


def _strings(value: Any) -> list[str]:
    """The strings of a list from AWS; nothing of anything else."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def function_config(item: dict[str, Any]) -> FunctionConfig:
    """A ListFunctions item or a GetFunctionConfiguration answer."""
    logging = _dict(item.get("LoggingConfig"))
    vpc = _dict(item.get("VpcConfig"))
    snapstart = _dict(item.get("SnapStart"))
    tracing = _dict(item.get("TracingConfig"))
    subnets = tuple(str(s) for s in vpc.get("SubnetIds") or ())
    return FunctionConfig(
        name=str(item.get("FunctionName") or "?"),
        arn=_str(item.get("FunctionArn")),
        runtime=_str(item.get("Runtime"))
        or ("image" if item.get("PackageType") == "Image" else None),
        memory_mb=_int(item.get("MemorySize")),
        ephemeral_storage_mb=_int(_dict(item.get("EphemeralStorage")).get("Size")),
        timeout_s=_float(item.get("Timeout")),
        log_group=_str(logging.get("LogGroup")),
        log_format=_str(logging.get("LogFormat")),
        vpc=VpcConfig(
            subnet_ids=subnets,
            security_group_ids=tuple(str(s) for s in vpc.get("SecurityGroupIds") or ()),
            vpc_id=_str(vpc.get("VpcId")),
        )
        if subnets
        else None,
        code_size_bytes=_int(item.get("CodeSize")),
        snapstart=snapstart.get("ApplyOn") == "PublishedVersions",
        tracing=_str(tracing.get("Mode")),
        role_arn=_str(item.get("Role")),
        handler=_str(item.get("Handler")),
        architectures=tuple(str(a) for a in item.get("Architectures") or ()),
        last_modified=_str(item.get("LastModified")),
        package_type=_str(item.get("PackageType")),
        state=_str(item.get("State")),
        last_update_status=_str(item.get("LastUpdateStatus")),
    )


def event_source(item: dict[str, Any]) -> EventSource:
    destination = _dict(_dict(_dict(item.get("DestinationConfig")).get("OnFailure")))
    bisect = item.get("BisectBatchOnFunctionError")
    types = item.get("FunctionResponseTypes")
    return EventSource(
        uuid=str(item.get("UUID") or "?"),
        source_arn=str(item.get("EventSourceArn") or item.get("SelfManagedEventSource") or "?"),
        state=_str(item.get("State")),
        batch_size=_int(item.get("BatchSize")),
        last_processing_result=_str(item.get("LastProcessingResult")),
        starting_position=_str(item.get("StartingPosition")),
        maximum_retry_attempts=_int(item.get("MaximumRetryAttempts")),
        bisect_on_error=bisect if isinstance(bisect, bool) else None,
        on_failure_destination=_str(destination.get("Destination")),
        # AWS returns `["ReportBatchItemFailures"]` or leaves the field out: absent is none set.
        function_response_types=tuple(one_line(kind) for kind in _strings(types)),
    )


def trace_start(trace_id: str) -> float | None:
    """X-Ray trace ids carry their start: `1-<8 hex epoch seconds>-<24 hex>`."""
    parts = trace_id.split("-")
    if len(parts) >= 2:
        try:
            return float(int(parts[1], 16))
        except ValueError:
            return None
    return None


def _root_cause(summary: dict[str, Any]) -> str | None:
    """The first exception X-Ray names as a root cause: `service: entity: Name message`.

    Exceptions sit on the entities of a root-cause service's `EntityPath` (the service itself,
    then the calls it made); response-time root causes name entities without exceptions.
    """
    for key in ("FaultRootCauses", "ErrorRootCauses", "ResponseTimeRootCauses"):
        for cause in summary.get(key) or ():
            for service in _dict(cause).get("Services") or ():
                service = _dict(service)
                where = str(service.get("Name") or "?")
                for entity in service.get("EntityPath") or ():
                    entity = _dict(entity)
                    for exception in entity.get("Exceptions") or ():
                        exception = _dict(exception)
                        name = exception.get("Name") or ""
                        message = exception.get("Message") or ""
                        place = where
                        if entity.get("Name") and entity.get("Name") != where:
                            place = f"{where}: {entity.get('Name')}"
                        what = " ".join(str(part) for part in (name, message) if part)
                        return one_line(f"{place}: {what}", 200)
                if key == "ResponseTimeRootCauses" and service.get("EntityPath"):
                    path = [str(_dict(e).get("Name") or "?") for e in service["EntityPath"]]
                    return one_line(f"slow: {' → '.join(path)}", 200)
    return None


def trace_summary(item: dict[str, Any]) -> TraceSummary:
    trace_id = str(item.get("Id") or "?")
    start = _float(item.get("StartTime"))
    if start is None:
        start = trace_start(trace_id) or 0.0
    http = _dict(item.get("Http"))
    return TraceSummary(
        trace_id=trace_id,
        start_s=start,
        duration_s=_float(item.get("Duration")),
        response_time_s=_float(item.get("ResponseTime")),
        http_status=_int(http.get("HttpStatus")),
        error=bool(item.get("HasError")),
        fault=bool(item.get("HasFault")),
        throttle=bool(item.get("HasThrottle")),
        root_cause=_root_cause(item),
    )


def trace_segments(trace: dict[str, Any]) -> list[TraceSegment]:
    """The segments and subsegments of one BatchGetTraces trace, flattened for a waterfall."""
    out: list[TraceSegment] = []
    documents = []
    for segment in trace.get("Segments") or ():
        try:
            documents.append(json.loads(_dict(segment).get("Document") or "{}"))
        except ValueError:
            continue
    documents.sort(key=lambda d: _float(_dict(d).get("start_time")) or 0.0)
    for document in documents:
        _flatten(_dict(document), None, 0, out)
    return out


def _flatten(doc: dict[str, Any], parent: str | None, depth: int, out: list[TraceSegment]) -> None:
    start = _float(doc.get("start_time"))
    if start is None:
        return
    response = _dict(_dict(doc.get("http")).get("response"))
    cause = _dict(doc.get("cause"))
    exceptions = cause.get("exceptions") or ()
    cause_text = None
    if exceptions:
        first = _dict(exceptions[0])
        cause_text = one_line(
            f"{first.get('type') or ''} {first.get('message') or ''}".strip(), 200
        )
    out.append(
        TraceSegment(
            segment_id=str(doc.get("id") or "?"),
            name=one_line(str(doc.get("name") or "?"), 80),
            start_s=start,
            end_s=_float(doc.get("end_time")),
            parent_id=_str(doc.get("parent_id")) or parent,
            depth=depth,
            origin=_str(doc.get("origin")),
            namespace=_str(doc.get("namespace")),
            http_status=_int(response.get("status")),
            error=bool(doc.get("error")),
            fault=bool(doc.get("fault")),
            throttle=bool(doc.get("throttle")),
            cause=cause_text,
        )
    )
    children: Iterable[Any] = doc.get("subsegments") or ()
    for child in sorted(children, key=lambda c: _float(_dict(c).get("start_time")) or 0.0):
        _flatten(_dict(child), str(doc.get("id") or ""), depth + 1, out)
