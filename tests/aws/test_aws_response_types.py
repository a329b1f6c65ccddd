"""An event source mapping's FunctionResponseTypes, read from moto over HTTP: whether Lambda
processes the function's partial batch responses (`batchItemFailures`) or ignores them."""

from __future__ import annotations

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
