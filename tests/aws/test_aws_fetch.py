"""The headless commands' read of one function's window: logs from the group the configuration
names, optional sources that fail become notes, and what stops the report is one line."""

from __future__ import annotations

import time
from typing import Any

import awsseed
import pytest
from awsdouble import SeriesStatus
from awsfakes import error, hook, response
from awsmoto import MotoAccount
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from lambdatop.aws.fetch import FetchError, fetch_window
from lambdatop.aws.session import Aws
from lambdatop.commands.live import report_of
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.thresholds import Thresholds


async def test_logs_come_from_the_group_the_configuration_names(
    moto: MotoAccount, aws: Aws
) -> None:
    awsseed.function(moto, "billing", memory_mb=512, timeout_s=30)
    now_ms = int(time.time() * 1000)
    awsseed.log_events(moto, "/shared/billing", "s1", [(now_ms - 5_000, "from the shared group")])
    awsseed.log_events(moto, "/aws/lambda/billing", "s1", [(now_ms - 5_000, "not here")])

    def logging_config(**_: Any) -> Any:
        config = moto.client("lambda").get_function_configuration(FunctionName="billing")
        body = {k: v for k, v in config.items() if isinstance(v, str | int)}
        body["LoggingConfig"] = {"LogGroup": "/shared/billing", "LogFormat": "Text"}
        return response(200, body)

    await hook(aws, "lambda", "before-send.lambda.GetFunctionConfiguration", logging_config)
    fetched = await fetch_window(aws, "billing", 3600)
    assert [r.event.message for r in fetched.state.tail] == ["from the shared group"]
    assert fetched.state.config is not None
    assert fetched.state.config.timeout_s == 30
    assert fetched.state.event_sources == []
    assert fetched.state.apis == {}
    assert fetched.store.account_concurrency_limit is None, "moto has no account settings"


async def test_the_function_s_tmp_size_is_read_with_its_configuration(
    moto: MotoAccount, aws: Aws
) -> None:
    # A full /tmp is advised a bigger one: from the size the function has.
    awsseed.function(moto, "renderer", tmp_mb=4096)
    fetched = await fetch_window(aws, "renderer", 3600)
    assert fetched.state.config is not None
    assert fetched.state.config.ephemeral_storage_mb == 4096


async def test_an_optional_source_failing_is_a_note(moto: MotoAccount, aws: Aws) -> None:
    awsseed.function(moto, "checkout")
    await hook(
        aws,
        "apigateway",
        "before-send.api-gateway.GetRestApis",
        lambda **_: error(403, "AccessDeniedException", "no apigateway:GET"),
    )
    fetched = await fetch_window(aws, "checkout", 3600)
    assert fetched.state.apis is None, "not read: the check says unknown"
    assert any(n.startswith("API Gateway: access denied") for n in fetched.notes)
    assert (
        "log group /aws/lambda/checkout does not exist yet: CloudWatch creates it when the"
        " function is first invoked (never invoked, or its role may not create log groups)"
    ) in fetched.notes


async def test_unreachable_aws_stops_the_report_with_one_line(moto: MotoAccount, aws: Aws) -> None:
    awsseed.function(moto, "checkout")

    def down(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9/xray")

    await hook(aws, "xray", "before-send", down)
    with pytest.raises(FetchError) as raised:
        await fetch_window(aws, "checkout", 3600)
    # The account's trouble, not X-Ray's: said alone, as the monitor's banner says it.
    assert str(raised.value) == "cannot reach the AWS endpoint http://127.0.0.1:9"


async def test_unknown_function(moto: MotoAccount, aws: Aws) -> None:
    with pytest.raises(FetchError, match="function 'ghost' not found in us-east-1"):
        await fetch_window(aws, "ghost", 3600)


async def test_one_slow_source_is_a_note_not_the_end_of_the_report(
    moto: MotoAccount, aws: Aws
) -> None:
    """A week of metrics that does not come back in time: the logs were read, AWS answers."""
    awsseed.function(moto, "checkout")

    def slow(**_: Any) -> None:
        raise ReadTimeoutError(endpoint_url="http://127.0.0.1/monitoring")

    await hook(aws, "cloudwatch", "before-send", slow)
    fetched = await fetch_window(aws, "checkout", 7 * 86400)
    assert any(
        n.startswith("CloudWatch metrics: the AWS endpoint http://127.0.0.1 did not answer in time")
        for n in fetched.notes
    )


@pytest.mark.parametrize(
    ("status", "note"),
    [
        (
            "InternalError",
            "metric series Throttles: CloudWatch answered InternalError, and again when asked"
            " once more; the checks that need it say unknown",
        ),
        (
            "Forbidden",
            "metric series Throttles: CloudWatch answered Forbidden: lambdatop's own credentials"
            " may not read it (grant them cloudwatch:GetMetricData); not a permission of the"
            " function; the checks that need it say unknown",
        ),
    ],
)
async def test_one_series_cloudwatch_did_not_answer_leaves_the_others_and_is_unknown_alone(
    moto: MotoAccount, aws: Aws, status: str, note: str
) -> None:
    """MetricDataResult: "InternalError indicates that an error occurred" (asked again once, it
    failed again) or Forbidden: the other series are the report's evidence; the checks that need
    the missing one say unknown, not zero, and the note names it and what to do."""
    awsseed.function(moto, "orders", timeout_s=30)
    for name, value in (("Invocations", 100.0), ("Errors", 30.0), ("Throttles", 0.0)):
        awsseed.lambda_metric(moto, "orders", name, [value] * 5)
    await SeriesStatus("Throttles", status).install(aws)
    fetched = await fetch_window(aws, "orders", 3600)
    diagnosis, notes = report_of(fetched, Thresholds())
    assert note in notes
    verdicts = {check.id: check for check in diagnosis.checks}
    assert verdicts["throttling"].status is CheckStatus.UNKNOWN
    assert verdicts["throttling"].title.startswith("CloudWatch did not answer the Throttles")
    assert verdicts["metrics"].status is CheckStatus.FAIL, "30% errors, still read"
    assert verdicts["metrics"].title == "500 invocations, 30 % errors, throttles unknown"
    assert diagnosis.summary.throttles is None
    assert verdicts["metrics"].evidence == [
        "Invocations 500, Errors 150 (30 %); Throttles not answered by CloudWatch (see notes)"
    ]
