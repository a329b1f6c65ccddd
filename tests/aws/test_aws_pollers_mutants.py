"""What the pollers show that a one-character change would get wrong and no other test noticed
(found by `make mutation`): whose traces are listed, whose configuration could not be read."""

from __future__ import annotations

import time
from typing import Any

import awsseed
from awsfakes import error, hook, parsed, response
from awsmoto import MotoAccount
from awsseed import seed_lambda_series as seed

from lambdatop.aws.pollers.inventory import InventoryPoller
from lambdatop.aws.pollers.metrics import MetricsPoller
from lambdatop.aws.pollers.traces import failed_traces
from lambdatop.aws.session import Aws
from lambdatop.core import metrics as m
from lambdatop.core.sources import SourceKey
from lambdatop.core.store import Store

CHECKOUT_TRACE = "1-67891233-abcdef012345678912345678"
OTHER_TRACE = "1-67891233-bbbbbbbbbbbbbbbbbbbbbbbb"


def _summary(trace_id: str, function: str) -> dict[str, Any]:
    # X-Ray names a Lambda function's services by the function's name.
    return {
        "Id": trace_id,
        "Duration": 1.2,
        "HasFault": True,
        "ServiceIds": [{"Name": function, "Type": "AWS::Lambda::Function"}],
    }


async def test_filtering_here_keeps_only_the_traces_naming_the_function(
    moto: MotoAccount, aws: Aws
) -> None:
    # moto leaves ServiceIds out; AWS fills them: answer as AWS does.
    summaries = [_summary(CHECKOUT_TRACE, "checkout"), _summary(OTHER_TRACE, "other")]
    await hook(
        aws,
        "xray",
        "before-send.xray.GetTraceSummaries",
        lambda **_: response(200, {"TraceSummaries": summaries}),
    )
    now = time.time()
    traces, _ = await failed_traces(aws, "checkout", now - 600, now, filter_expressions=False)
    assert [t.trace_id for t in traces] == [CHECKOUT_TRACE]


async def test_a_configuration_aws_refuses_is_reported_under_the_functions_name(
    moto: MotoAccount, aws: Aws
) -> None:
    awsseed.function(moto, "checkout")
    await hook(
        aws,
        "lambda",
        "before-send.lambda.GetFunctionConfiguration",
        lambda **_: error(403, "AccessDeniedException", "not authorized"),
    )
    store = Store()
    await InventoryPoller(aws, store, {"checkout"}).tick()
    assert store.health[SourceKey.config("checkout")].error == (
        "checkout: access denied (AccessDeniedException): not authorized"
    )


async def test_every_page_of_a_metrics_answer_lands(moto: MotoAccount, aws: Aws) -> None:
    """CloudWatch splits a long answer into pages (NextToken); moto never does: a canned
    answer gives the first minute on one page and the others on the next."""
    minutes = seed(moto, "a")
    asked: list[dict[str, Any]] = []
    await hook(
        aws,
        "cloudwatch",
        "before-parameter-build.cloudwatch.GetMetricData",
        lambda params=None, **_: asked.append(dict(params or {})),
    )

    def paged(**_: Any) -> Any:
        queries = asked[-1]["MetricDataQueries"]
        if any(q["MetricStat"]["Stat"].startswith("p") for q in queries):
            return None  # the percentiles go to moto
        second = asked[-1].get("NextToken") == "page-2"
        shown = minutes[1:] if second else minutes[:1]
        results = [
            {"Id": q["Id"], "Timestamps": shown, "Values": [7.0] * len(shown)} for q in queries
        ]
        return parsed({"MetricDataResults": results} | ({} if second else {"NextToken": "page-2"}))

    await hook(aws, "cloudwatch", "before-call.cloudwatch.GetMetricData", paged)
    store = Store()
    await MetricsPoller(aws, store, {"a"}, lambda: 3600.0).tick()
    points = store.functions["a"].metrics[m.INVOCATIONS].points
    assert [points.get(int(minute.timestamp())) for minute in minutes] == [7.0] * len(minutes)
