"""A thrown value that is not an Error (`callback("card declined")`): Node.js runtimes up to
6.10 logged the invocation's error as `{"errorMessage": ...}` alone, no type; today's runtime
names its type `typeof error`, `string`. Either way the invocation failed."""

from __future__ import annotations

from lambdatop.core.bulk import ingest_export
from lambdatop.core.export import read_export
from lambdatop.core.parse import parse
from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.records import Status

RID = "8d2c4b6a-1e3f-4a5b-9c7d-0e2f4a6b8c1d"
STAMP = "2017-08-21T16:02:11.507Z"


def _failed(text: str) -> list[str | None]:
    pipeline = LogPipeline()
    ingest_export(pipeline, read_export(text.encode()))
    return [
        invocation.error_type
        for invocation in pipeline.tracker.invocations.values()
        if invocation.status is Status.ERROR
    ]


def test_a_bare_error_message_ends_its_invocation_as_a_string_thrown() -> None:
    line = parse(f'{STAMP}\t{RID}\t{{"errorMessage":"card declined"}}')
    assert line.unhandled
    assert line.error_type == "string"


def test_pretty_printed_between_start_and_end_it_still_fails_the_invocation() -> None:
    text = (
        f"START RequestId: {RID} Version: $LATEST\n"
        f"{STAMP}\t{RID}\n"
        "{\n"
        '    "errorMessage": "card declined"\n'
        "}\n"
        f"END RequestId: {RID}\n"
        f"REPORT RequestId: {RID}\tDuration: 40.51 ms\tBilled Duration: 100 ms \t"
        "Memory Size: 128 MB\tMax Memory Used: 31 MB\t\n"
    )
    assert _failed(text) == ["string"]


def test_a_log_record_that_carries_an_error_message_is_not_a_failure() -> None:
    record = f'{STAMP}\t{RID}\t{{"level":"warn","errorMessage":"retrying","attempt":2}}'
    assert not parse(record).unhandled
    assert not parse('{"errorMessage": "retrying", "requestId": "x", "attempt": 2}').unhandled
