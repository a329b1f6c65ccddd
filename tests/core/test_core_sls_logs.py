"""`sls logs` (the Serverless Framework) prints the runtime's lines with their time rewritten as
local time and its offset in brackets (`2026-06-01 10:00:00.200 (+02:00)`), the request id and
the level after it: read as the runtime's own lines, at the instant they name."""

from __future__ import annotations

from lambdatop.core.bulk import ingest_export
from lambdatop.core.export import read_export
from lambdatop.core.parse import parse
from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.records import Level, Status
from lambdatop.core.timeutil import to_epoch_ms

RID = "3e1f0a9b-8c7d-4e6f-a5b4-c3d2e1f0a9b8"


def test_the_bracketed_offset_is_the_instant_it_names() -> None:
    assert to_epoch_ms("2026-06-01 10:00:00.200 (+02:00)") == to_epoch_ms(
        "2026-06-01T08:00:00.200Z"
    )
    assert to_epoch_ms("2026-06-01 01:30:00.000 (-05:00)") == to_epoch_ms(
        "2026-06-01T06:30:00.000Z"
    )


def test_a_python_logger_line_keeps_its_request_id_level_and_time() -> None:
    line = parse(f"2026-06-01 10:00:00.200 (+02:00)\t{RID}\t[WARNING]\tretrying the ledger write")
    assert line.request_id == RID
    assert line.level is Level.WARN
    assert line.timestamp_ms == to_epoch_ms("2026-06-01T08:00:00.200Z")


def test_a_node_invoke_error_in_sls_logs_fails_its_invocation() -> None:
    text = "\n".join(
        [
            f"START RequestId: {RID} Version: $LATEST",
            f"2026-06-01 10:00:00.200 (+02:00)\t{RID}\tERROR\tInvoke Error \t"
            '{"errorType":"RangeError","errorMessage":"Invalid array length"}',
            f"END RequestId: {RID}",
            f"REPORT RequestId: {RID}\tDuration: 12.50 ms\tBilled Duration: 13 ms\t"
            "Memory Size: 128 MB\tMax Memory Used: 61 MB\t",
        ]
    )
    pipeline = LogPipeline()
    ingest_export(pipeline, read_export(text.encode()))
    (invocation,) = pipeline.tracker.invocations.values()
    assert invocation.status is Status.ERROR
    assert invocation.error_type == "RangeError"
