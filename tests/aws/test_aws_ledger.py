"""The ledger's figures: calls per operation, metrics requested (the queries of each answered
GetMetricData), traces retrieved, HTTP attempts, and the session's cost from published prices."""

from __future__ import annotations

import awsseed
import pytest
from awsfakes import Attempts, hook
from awsmoto import MotoAccount
from awsseed import seed_lambda_series as seed

from lambdatop.aws.ledger import PRICE_PER_INSIGHTS_BYTE, PRICE_PER_METRIC, PRICE_PER_TRACE, Ledger
from lambdatop.aws.pollers.metrics import MetricsPoller
from lambdatop.aws.pollers.traces import TracesPoller, trace_detail
from lambdatop.aws.session import Aws
from lambdatop.core.store import Store


def test_published_prices() -> None:
    assert pytest.approx(0.01 / 1000) == PRICE_PER_METRIC
    assert pytest.approx(0.50 / 1_000_000) == PRICE_PER_TRACE
    # The reference's worked example: 20 functions × 6 queries + 2, once a minute for an hour.
    ledger = Ledger()
    for _ in range(60):
        queries = [{"Id": f"q{i}"} for i in range(20 * 6 + 2)]
        ledger.record_call("cloudwatch", "GetMetricData", {"MetricDataQueries": queries})
        ledger.record_answer("cloudwatch", "GetMetricData", {"MetricDataQueries": queries})
    assert ledger.metrics_requested == 7_320
    assert ledger.cost_usd == pytest.approx(0.0732)


def test_queries_that_return_no_data_are_not_metrics_requested() -> None:
    ledger = Ledger()
    queries = [{"Id": "a"}, {"Id": "b", "ReturnData": False}, {"Id": "c", "ReturnData": True}]
    ledger.record_answer("cloudwatch", "GetMetricData", {"MetricDataQueries": queries})
    assert ledger.metrics_requested == 2


async def test_a_session_s_figures(moto: MotoAccount, aws: Aws) -> None:
    seed(moto, "a")
    seed(moto, "b")
    failed = awsseed.trace(moto, "a", fault=True, seed=1)
    awsseed.trace(moto, "a", fault=False, seed=2)
    awsseed.trace(moto, "b", fault=True, seed=3)
    attempts = Attempts()
    await hook(aws, "cloudwatch", "before-send", attempts)
    await hook(aws, "xray", "before-send", attempts)

    await MetricsPoller(aws, Store(), {"a", "b"}, lambda: 3600.0).tick()
    summaries = await TracesPoller(aws, "a", lambda: 3600.0, known_ids=lambda: {failed}).poll()
    assert [t.trace_id for t in summaries] == [failed]
    await trace_detail(aws, failed)

    ledger = aws.ledger
    assert dict(ledger.calls) == {
        "cloudwatch.GetMetricData": 2,  # the basic series, and percentiles (moto fails them)
        "xray.GetTraceSummaries": 2,  # with the expression (moto fails it), then without
        "xray.BatchGetTraces": 1,
    }
    assert ledger.total_calls == 5
    assert ledger.attempts == sum(attempts.counts.values()) == 5
    # 2 functions × 6 series + 2 account series answered; the failed percentiles are not billed.
    assert ledger.metrics_requested == 14
    # Scanned without the expression: the three traces in the window, and the one opened.
    assert ledger.traces_retrieved == 3 + 1
    assert ledger.cost_usd == pytest.approx(14 * PRICE_PER_METRIC + 4 * PRICE_PER_TRACE)
    lines = ledger.lines()
    assert "cloudwatch.GetMetricData: 2" in lines
    assert lines[-1] == "14 metrics requested, 4 traces retrieved: about $0.0001"


async def test_retries_are_attempts_not_calls(moto: MotoAccount) -> None:
    seed(moto, "a")
    async with Aws(moto.target(), buckets={}, max_attempts=2) as aws:
        await MetricsPoller(aws, Store(), {"a"}, lambda: 3600.0).tick()
        # moto answers percentiles with a 500, which botocore retries once.
        assert aws.ledger.calls["cloudwatch.GetMetricData"] == 2
        assert aws.ledger.attempts == 3


def test_insights_bytes_are_priced_in_the_session_s_cost() -> None:
    assert pytest.approx(0.005 / 2**30) == PRICE_PER_INSIGHTS_BYTE
    ledger = Ledger()
    ledger.record_insights(2 * 2**30)
    ledger.record_insights(2**30)
    assert ledger.insights_queries == 2
    assert ledger.cost_usd == pytest.approx(0.015)  # 3 GB at $0.005 a GB
    assert ledger.lines()[-1] == (
        "0 metrics requested, 0 traces retrieved, 3.00 GB scanned by 2 Insights queries:"
        " about $0.0150"
    )
