"""The AWS CLI's `--output table` of `aws logs get-log-events` and `filter-log-events`: a box
per list, its rows between `||` borders, its columns the keys A to Z, read a row an event."""

from __future__ import annotations

from lambdatop.core.bulk import ingest_export
from lambdatop.core.export import read_export
from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.records import Status

RID = "0c9e3a57-2b1d-4f6e-9a8c-7d5e4f3a2b1c"
START = f"START RequestId: {RID} Version: $LATEST"
FAILED = (
    f"2026-03-02T09:14:05.210Z\t{RID}\tERROR\tInvoke Error \t"
    '{"errorType":"TypeError","errorMessage":"x is undefined"}'
)
END = f"END RequestId: {RID}"
REPORT = (
    f"REPORT RequestId: {RID}\tDuration: 41.07 ms\tBilled Duration: 42 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 88 MB\t"
)


def _box(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(cell) for cell in column) + 2 for column in zip(header, *rows, strict=True)]
    inner = sum(widths) + len(widths) - 1
    rule = "|+" + "+".join("-" * width for width in widths) + "+|"

    def row(cells: list[str]) -> str:
        return (
            "||"
            + "|".join(f" {cell:<{w - 1}}" for cell, w in zip(cells, widths, strict=True))
            + "||"
        )

    return "\n".join(
        [
            "-" * (inner + 4),
            "|" + "GetLogEvents".center(inner + 2) + "|",
            "+" + "-" * (inner + 2) + "+",
            "|| " + "nextForwardToken".ljust(inner - 3) + " ||",
            "||" + title.center(inner) + "||",
            rule,
            row(header),
            rule,
            *(row(cells) for cells in rows),
            rule,
        ]
    )


def test_get_log_events_as_a_table_is_read_a_row_an_event_with_its_time() -> None:
    stamps = ["1772442845100", "1772442845210", "1772442845250", "1772442845251"]
    lines = [START, FAILED, END, REPORT.rstrip()]
    text = _box(
        "events",
        ["ingestionTime", "message", "timestamp"],
        [[str(int(stamp) + 40), line, stamp] for stamp, line in zip(stamps, lines, strict=True)],
    )
    exported = read_export(text.encode())
    assert [event.message for event in exported.events] == lines
    assert [event.timestamp_ms for event in exported.events] == [int(s) for s in stamps]
    pipeline = LogPipeline()
    ingest_export(pipeline, exported)
    (invocation,) = pipeline.tracker.invocations.values()
    assert invocation.status is Status.ERROR
    assert invocation.error_type == "TypeError"
    assert invocation.max_memory_mb == 88


def test_filter_log_events_as_a_table_names_each_events_stream() -> None:
    stream = "2026/03/02/[$LATEST]4d6f0a1b2c3d4e5f6a7b8c9d0e1f2a3b"
    text = _box(
        "events",
        ["eventId", "ingestionTime", "logStreamName", "message", "timestamp"],
        [["3792", "1772442845140", stream, START, "1772442845100"]],
    )
    (event,) = read_export(text.encode()).events
    assert event.message == START
    assert event.stream == stream
