"""The CloudWatch console's copy of a JSON-format log shows each event twice: its time, the
event pretty-printed, a blank line, then the event as it was written, on one line. Each is one
event, read as Lambda wrote it (the family of the real-log corpus's
`node22-json-format-console-copy-handled-errors.log`, held here by lines of our own)."""

from __future__ import annotations

import json

from lambdatop.core.bulk import ingest_export
from lambdatop.core.export import read_export
from lambdatop.core.pipeline import LogPipeline

RID = "a4b3c2d1-e0f9-4a8b-97c6-d5e4f3a2b1c0"
EVENTS = [
    {
        "time": "2026-06-14T21:03:10.115Z",
        "type": "platform.initStart",
        "record": {"initializationType": "on-demand", "phase": "init"},
    },
    {
        "time": "2026-06-14T21:03:10.530Z",
        "type": "platform.start",
        "record": {"requestId": RID, "version": "14"},
    },
    {
        "timestamp": "2026-06-14T21:03:11.002Z",
        "level": "ERROR",
        "requestId": RID,
        "message": "invoice 3301 not mailed: SMTP relay refused the sender",
    },
    {
        "time": "2026-06-14T21:03:11.040Z",
        "type": "platform.report",
        "record": {
            "requestId": RID,
            "metrics": {
                "durationMs": 509.3,
                "billedDurationMs": 925,
                "memorySizeMB": 512,
                "maxMemoryUsedMB": 141,
                "initDurationMs": 415.2,
            },
            "status": "success",
        },
    },
]


def console_copy(events: list[dict[str, object]], twice: bool = True) -> str:
    lines = []
    for event in events:
        lines.append(str(event.get("time") or event.get("timestamp")))
        lines.append(json.dumps(event, indent=4))
        if twice:
            lines += ["", json.dumps(event, separators=(",", ":"))]
    return "\n".join(lines) + "\n"


def test_an_event_shown_twice_is_one_event_as_lambda_wrote_it() -> None:
    exported = read_export(console_copy(EVENTS).encode())
    assert [json.loads(event.message) for event in exported.events] == EVENTS


def test_the_invocation_is_whole_cold_and_its_error_logged() -> None:
    pipeline = LogPipeline()
    ingest_export(pipeline, read_export(console_copy(EVENTS).encode()))
    (invocation,) = pipeline.tracker.invocations.values()
    assert invocation.reported
    assert not invocation.failed
    assert (invocation.init_ms, invocation.max_memory_mb) == (415.2, 141)
    (logged,) = pipeline.errors
    assert "SMTP relay refused" in logged.line.text


def test_two_different_documents_under_one_time_stay_as_they_were() -> None:
    """Only the same event twice is folded: two documents that differ are left as written."""
    other = {**EVENTS[2], "message": "a second, different error"}
    text = (
        "2026-06-14T21:03:11.002Z\n"
        + json.dumps(EVENTS[2], indent=4)
        + "\n\n"
        + json.dumps(other, separators=(",", ":"))
        + "\n"
    )
    (event,) = read_export(text.encode()).events
    assert "a second, different error" in event.message
    assert "SMTP relay refused" in event.message
