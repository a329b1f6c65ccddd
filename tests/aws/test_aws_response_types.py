"""An event source mapping's FunctionResponseTypes, read from moto over HTTP: whether Lambda
processes the function's partial batch responses (`batchItemFailures`) or ignores them."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import awsseed
from awsmoto import MotoAccount

from lambdatop.aws.pollers.inventory import function_details
from lambdatop.aws.session import Aws


def queue_mapping(moto: MotoAccount, name: str, queue: str, **settings: object) -> str:
    """An SQS queue feeding the function; returns the mapping's UUID."""
    sqs = moto.client("sqs")
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    mapping = moto.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=10, **settings
    )
    return str(mapping["UUID"])


async def test_a_mapping_that_reports_batch_item_failures_is_told_from_one_that_does_not(
    moto: MotoAccount, aws: Aws
) -> None:
    awsseed.function(moto, "orders")
    reporting = queue_mapping(
        moto, "orders", "orders-in", FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    ignoring = queue_mapping(moto, "orders", "orders-retry")
    _, sources = await function_details(aws, "orders")
    by_uuid = {source.uuid: source for source in sources}
    assert by_uuid[reporting].function_response_types == ("ReportBatchItemFailures",)
    assert by_uuid[reporting].reports_batch_item_failures is True
    # AWS leaves the field out when none is set: read, and not set.
    assert by_uuid[ignoring].function_response_types == ()
    assert by_uuid[ignoring].reports_batch_item_failures is False


def test_diagnose_says_the_records_handed_back_to_a_queue_mapping_without_it_are_lost(
    moto: MotoAccount,
) -> None:
    """The `lambdatop` command, as a subprocess: the mapping read from moto, the responses from
    the function's log."""
    awsseed.function(moto, "orders")
    uuid = queue_mapping(moto, "orders", "orders-in")
    now_ms = int(time.time() * 1000)
    events = []
    for n in range(3):
        rid = f"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c{n:02x}"
        message = f"6d1f0c2e-8b3a-4e5f-9a7b-1c2d3e4f5a{n:02x}"
        at = now_ms - 600_000 + n * 1_000
        events += [
            (at, f"START RequestId: {rid} Version: $LATEST\n"),
            (at + 5, f'{{"batchItemFailures": [{{"itemIdentifier": "{message}"}}]}}\n'),
            (at + 9, f"END RequestId: {rid}\n"),
            (
                at + 10,
                f"REPORT RequestId: {rid}\tDuration: 20.00 ms\tBilled Duration: 20 ms\t"
                "Memory Size: 128 MB\tMax Memory Used: 70 MB\t\n",
            ),
        ]
    awsseed.log_events(moto, "/aws/lambda/orders", "2026/12/08/[$LATEST]0a1b", events)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambdatop",
            "diagnose",
            "orders",
            "--format",
            "json",
            "--endpoint-url",
            moto.url,
        ],
        env=moto.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    (source,) = [c for c in json.loads(result.stdout)["checks"] if c["id"] == "event_source"]
    assert source["status"] == "fail"
    assert f"3 records failed but the mapping {uuid} does not have" in source["title"]
    assert f"aws lambda get-event-source-mapping --uuid {uuid} --query FunctionResponseTypes" in (
        "\n".join(source["next_steps"])
    )
    assert result.returncode == 1
