"""A function's partial batch responses (`batchItemFailures`) read against its event source
mappings' FunctionResponseTypes: to a mapping without ReportBatchItemFailures Lambda ignores the
list and the failed records are lost (a failure, with the command that shows it and the fix);
to one with it they are retried (a warning only when a large share failed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from expect import FAIL, OK, WARN, has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.core.records import EventSource
from lambdatop.diagnose.evidence import Evidence

sys.path.insert(0, str(Path(__file__).parent.parent / "reallogs"))
from advice import problems_of_command

UUID = "a1b2c3d4-0000-4e5f-8a9b-0c1d2e3f4a5b"
RIDS = [f"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c{n:02x}" for n in range(4)]
MESSAGES = [f"6d1f0c2e-8b3a-4e5f-9a7b-1c2d3e4f5a{n:02x}" for n in range(4)]
SEQUENCE = "49590338271490256608559692538361571095921575989136588898"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:123456789012:orders"
STREAM_ARN = f"arn:aws:kinesis:{REGION}:123456789012:stream/orders"


def invocation(rid: str, second: int, response: str) -> str:
    return (
        f"2026-06-01T10:00:{second:02d}.000Z START RequestId: {rid} Version: $LATEST\n"
        f"2026-06-01T10:00:{second:02d}.020Z\t{rid}\tINFO\t{response}\n"
        f"2026-06-01T10:00:{second:02d}.030Z END RequestId: {rid}\n"
        f"2026-06-01T10:00:{second:02d}.031Z REPORT RequestId: {rid}\tDuration: 20.00 ms\t"
        "Billed Duration: 20 ms\tMemory Size: 256 MB\tMax Memory Used: 70 MB\n"
    )


def handed_back(*items: str) -> str:
    listed = ", ".join(f'{{"itemIdentifier": "{item}"}}' for item in items)
    return f'{{"batchItemFailures": [{listed}]}}'


def with_mapping(log: str, arn: str, types: tuple[str, ...] | None) -> Evidence:
    ev = evidence_from_export(
        read_export(log.encode()), function=FUNCTION, region=REGION, since_s=None
    )
    ev.event_sources = [
        EventSource(uuid=UUID, source_arn=arn, state="Enabled", function_response_types=types)
    ]
    return ev


QUEUE_FAILED = invocation(RIDS[0], 1, handed_back(*MESSAGES[:2])) + invocation(
    RIDS[1], 2, handed_back()
)


def test_records_handed_back_to_a_queue_mapping_without_the_setting_are_lost() -> None:
    result = run(with_mapping(QUEUE_FAILED, QUEUE_ARN, ()), "event_source")
    assert result.status is FAIL
    has(
        [result.title],
        f"reports 2 records failed but the mapping {UUID} does not have"
        " ReportBatchItemFailures: Lambda ignores the list",
        "deleted from the queue",
    )
    has(result.evidence, f"sqs mapping {UUID}: the records handed back are ignored")
    # First the command that shows it, then the fix, stated as one.
    has(
        result.next_steps[:1],
        f"get-event-source-mapping --uuid {UUID} --query FunctionResponseTypes",
    )
    has(
        result.next_steps,
        f"update-event-source-mapping --uuid {UUID} --function-response-types"
        " ReportBatchItemFailures",
        "Fix: turn on ReportBatchItemFailures",
    )


def test_records_handed_back_to_a_stream_mapping_without_the_setting_are_skipped() -> None:
    log = invocation(RIDS[0], 1, handed_back(SEQUENCE))
    result = run(with_mapping(log, STREAM_ARN, ()), "event_source")
    assert result.status is FAIL
    has([result.title], "1 record failed", "the shard moves on past those records")


def test_records_handed_back_to_a_mapping_with_the_setting_are_retried() -> None:
    result = run(
        with_mapping(QUEUE_FAILED, QUEUE_ARN, ("ReportBatchItemFailures",)), "event_source"
    )
    # One batch of two handed records back: a large share, retried.
    assert result.status is WARN
    has([result.title], "2 records reported failed in 1 batch")
    lacks([result.title], "ignores")
    has(result.evidence, f"sqs mapping {UUID}: the records handed back are retried")
    lacks(result.next_steps, "--function-response-types")
    has(result.next_steps, "RedrivePolicy")


def test_a_few_records_retried_among_many_batches_leave_the_mapping_healthy() -> None:
    log = invocation(RIDS[0], 1, handed_back(MESSAGES[0])) + "".join(
        invocation(f"{RIDS[1][:-2]}{n:02x}", 2 + n, handed_back()) for n in range(30)
    )
    result = run(with_mapping(log, QUEUE_ARN, ("ReportBatchItemFailures",)), "event_source")
    assert result.status is OK


def test_a_mapping_without_the_setting_is_no_finding_when_nothing_is_handed_back() -> None:
    log = invocation(RIDS[0], 1, handed_back()) + invocation(RIDS[1], 2, "processed 3 orders")
    result = run(with_mapping(log, QUEUE_ARN, ()), "event_source")
    assert result.status is OK
    lacks(result.next_steps, "--function-response-types")


def test_a_mapping_whose_response_types_were_not_read_is_not_called_ignoring() -> None:
    result = run(with_mapping(QUEUE_FAILED, QUEUE_ARN, None), "event_source")
    assert result.status is not FAIL
    lacks([result.title], "ignores")


@pytest.mark.parametrize(
    ("arn", "log"),
    [(QUEUE_ARN, QUEUE_FAILED), (STREAM_ARN, invocation(RIDS[0], 1, handed_back(SEQUENCE)))],
    ids=["queue", "stream"],
)
def test_every_command_suggested_is_one_aws_accepts(arn: str, log: str) -> None:
    result = run(with_mapping(log, arn, ()), "event_source")
    commands = [step.text for step in result.steps if step.command]
    assert len(commands) >= 3
    for command in commands:
        assert problems_of_command(command) == [], command
