"""Shared fixtures for the core tests: request ids, ARNs, and log lines as each runtime and the
Lambda platform really write them.

Named `core_corpus` (not `corpus`) because tests/ has no `__init__.py`: pytest puts each test
folder on `sys.path`, and a module name shared with another folder would shadow it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from lambdatop.core.records import LogEvent

RID = "3f1c2a9e-6d0b-4f7e-9a51-0c2d8e7b4a10"
RID2 = "8d2b7c41-95e3-4a0f-b6c8-1e7f3a9d2c55"
RID3 = "c0a4f1e2-7b3d-4c59-8e21-6f9a0b1d3e47"
RID4 = "5e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b"
TRACE = "1-65e2f0a7-1b2c3d4e5f6a7b8c9d0e1f2a"
TRACE2 = "1-65e2f0b1-0f1e2d3c4b5a69788796a5b4"
SEGMENT = "3c4d5e6f7a8b9c0d"
ROLE = "arn:aws:sts::123456789012:assumed-role/orders-api-role/orders-api"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
TS = "2026-03-02T09:14:55.120Z"
TS_MS = 1772442895120
STREAM_A = "2026/03/02/[$LATEST]4f1c2a9e6d0b4f7e9a510c2d8e7b4a10"
STREAM_B = "2026/03/02/[$LATEST]9b8a7c6d5e4f40312a1b0c9d8e7f6a5b"
STREAM_C = "2026/03/02/[12]0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def report_line(
    rid: str = RID,
    duration: str = "41.07",
    billed: str = "42",
    size: int = 256,
    used: int = 88,
    *extra: str,
    sep: str = "\t",
) -> str:
    """A REPORT line the way Lambda writes it: tab-separated, with a trailing tab."""
    fields = [
        f"REPORT RequestId: {rid}",
        f"Duration: {duration} ms",
        f"Billed Duration: {billed} ms",
        f"Memory Size: {size} MB",
        f"Max Memory Used: {used} MB",
        *extra,
    ]
    return sep.join(fields) + sep


def platform(kind: str, record: Mapping[str, Any] | None = None, time: str = TS) -> str:
    """A JSON-format platform event (`LoggingConfig.LogFormat: JSON`)."""
    event: dict[str, Any] = {"time": time, "type": f"platform.{kind}"}
    if record is not None:
        event["record"] = dict(record)
    return json.dumps(event, separators=(",", ":"))


def tracing(trace: str = TRACE) -> dict[str, str]:
    return {
        "spanId": "54565fb41ac79632",
        "type": "X-Amzn-Trace-Id",
        "value": f"Root={trace};Parent=0efbd19962d95b05;Sampled=1",
    }


def events(
    lines: Iterable[tuple[str, str]] | Iterable[str], stream: str = STREAM_A, start_ms: int = TS_MS
) -> list[LogEvent]:
    """Log events one millisecond apart; items are messages or (stream, message) pairs."""
    out: list[LogEvent] = []
    for offset, item in enumerate(lines):
        if isinstance(item, tuple):
            item_stream, message = item
        else:
            item_stream, message = stream, item
        out.append(
            LogEvent(
                timestamp_ms=start_ms + offset,
                message=message,
                stream=item_stream,
                event_id=str(offset),
            )
        )
    return out


def assert_fields(obj: object, expected: Mapping[str, Any]) -> None:
    """Every expected attribute has the expected value; the message names all that differ."""
    wrong = {
        name: (getattr(obj, name), want)
        for name, want in expected.items()
        if getattr(obj, name) != want
    }
    assert not wrong, "  ".join(
        f"{k}: got {got!r}, want {want!r}" for k, (got, want) in wrong.items()
    )


# A mix of every family of line, for the property tests and the throughput check.
MIXED: tuple[str, ...] = (
    f"START RequestId: {RID} Version: $LATEST",
    f"END RequestId: {RID}",
    report_line(RID, "41.07", "42", 256, 88),
    report_line(RID, "1204.55", "1205", 512, 201, "Init Duration: 402.51 ms")
    + f"\nXRAY TraceId: {TRACE}\tSegmentId: {SEGMENT}\tSampled: true\t",
    f"[INFO]\t{TS}\t{RID}\tProcessed 12 records from queue",
    f"[ERROR]\t{TS}\t{RID}\tAn error occurred (AccessDeniedException) when calling the GetItem "
    f"operation: User: {ROLE} is not authorized to perform: dynamodb:GetItem on resource: {TABLE}",
    f"{TS}\t{RID}\tINFO\tfetched user profile id=42 in 12ms",
    f'{TS}\t{RID}\tERROR\tInvoke Error \t{{"errorType":"Error","errorMessage":"boom",'
    f'"stack":["Error: boom","    at handler (/var/task/index.js:3:9)"]}}',
    platform("start", {"requestId": RID, "version": "$LATEST"}),
    platform(
        "report",
        {
            "requestId": RID,
            "metrics": {
                "durationMs": 860.2,
                "billedDurationMs": 861,
                "memorySizeMB": 512,
                "maxMemoryUsedMB": 131,
            },
            "status": "success",
        },
    ),
    json.dumps(
        {
            "timestamp": TS,
            "level": "INFO",
            "message": "handled order",
            "logger": "root",
            "requestId": RID,
        }
    ),
    "handling request for tenant acme",
    "goroutine 1 [running]:",
    "    at Object.<anonymous> (/var/task/index.js:10:5)",
    '  File "/var/task/app.py", line 12, in handler',
    'level=info msg="processed batch" count=10',
    f"2026-03-02 09:14:55 {RID} INFO  com.acme.Handler - processed order 12",
    "DEBUG cache hit for key users:42",
)
