"""Metrics against moto: one GetMetricData request a tick for every watched function, the
account and the APIs in front; percentiles in a request of their own, whose failure leaves the
basic series alone; a lookback of at least the timeout + 2 minutes."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import Any

import awsseed
import metricmath
import pytest
from awsdouble import SeriesStatus
from awsfakes import hook, parsed
from awsmoto import MotoAccount
from awsseed import SEEDED
from awsseed import seed_lambda_series as seed

from lambdatop.aws.errors import PartialAnswer, Unanswered, describe
from lambdatop.aws.pollers.inventory import function_details, list_functions
from lambdatop.aws.pollers.metrics import (
    FLEET_INSIGHTS_EVERY,
    FLEET_LABEL,
    SEARCH_SERIES,
    MetricsPoller,
    refusal,
)
from lambdatop.aws.session import Aws
from lambdatop.core import metrics as m
from lambdatop.core.records import FunctionConfig
from lambdatop.core.sources import PERCENTILES, ErrorKind
from lambdatop.core.store import ApiState, Store


class Requests:
    """The GetMetricData requests made, as their parameters (before-parameter-build)."""

    def __init__(self) -> None:
        self.made: list[dict[str, Any]] = []

    def __call__(self, params: dict[str, Any] | None = None, **_: Any) -> None:
        self.made.append(dict(params or {}))

    def stats(self, index: int) -> Counter[str]:
        return Counter(q["MetricStat"]["Stat"] for q in self.made[index]["MetricDataQueries"])

    def functions(self, index: int) -> set[str]:
        return {
            d["Value"]
            for q in self.made[index]["MetricDataQueries"]
            for d in q["MetricStat"]["Metric"]["Dimensions"]
            if d["Name"] == "FunctionName"
        }


async def watch_requests(aws: Aws) -> Requests:
    requests = Requests()
    await hook(aws, "cloudwatch", "before-parameter-build.cloudwatch.GetMetricData", requests)
    return requests


def series(points: dict[int, float], minutes: list[datetime]) -> list[float | None]:
    return [points.get(int(minute.timestamp())) for minute in minutes]


async def test_one_request_for_all_watched_functions_and_percentiles_apart(
    moto: MotoAccount, aws: Aws
) -> None:
    minutes = seed(moto, "a")
    seed(moto, "b", scale=2, minutes=minutes)
    seed(moto, "c", scale=3, minutes=minutes)
    store = Store()
    requests = await watch_requests(aws)
    poller = MetricsPoller(aws, store, {"a", "b", "c"}, lambda: 3600.0)
    await poller.tick()

    # Basic series for every function and the account in one request; percentiles in another.
    assert len(requests.made) == 2
    assert requests.functions(0) == {"a", "b", "c"}
    assert requests.stats(0) == Counter({"Sum": 9, "Average": 3, "Maximum": 3 * 2 + 2})
    assert requests.stats(1) == Counter({"p50": 3, "p99": 3})
    assert all(q["MetricStat"]["Period"] == 60 for q in requests.made[0]["MetricDataQueries"])

    # moto fails the whole request when a statistic is a percentile: the basic series stand.
    for name, scale in (("a", 1.0), ("b", 2.0), ("c", 3.0)):
        state = store.functions[name]
        for key, seeded in (
            (m.INVOCATIONS, SEEDED["Invocations"]),
            (m.ERRORS, SEEDED["Errors"]),
            (m.THROTTLES, SEEDED["Throttles"]),
            (m.DURATION_AVG, SEEDED["Duration"]),
            (m.DURATION_MAX, SEEDED["Duration"]),
            (m.CONCURRENCY, SEEDED["ConcurrentExecutions"]),
        ):
            assert series(state.metrics[key].points, minutes) == [v * scale for v in seeded], key
        assert (
            not state.metrics.get(m.DURATION_P99, None) or not state.metrics[m.DURATION_P99].points
        )
    health = store.health[PERCENTILES]
    assert health.error_kind is ErrorKind.SERVER
    assert health.error is not None
    assert "percentiles" in health.error
    assert health.next_retry_s is not None
    assert health.next_retry_s > time.time()
    # Only the answered request is billed.
    assert aws.ledger.metrics_requested == 20
    assert aws.ledger.calls["cloudwatch.GetMetricData"] == 2


async def test_percentiles_land_when_the_backend_answers_them(moto: MotoAccount, aws: Aws) -> None:
    """Percentiles are where moto cannot go: a canned answer stands in for CloudWatch's."""
    minutes = seed(moto, "a")
    requests = await watch_requests(aws)

    def percentiles(**_: Any) -> Any:
        queries = requests.made[-1]["MetricDataQueries"]
        if not any(q["MetricStat"]["Stat"].startswith("p") for q in queries):
            return None  # the basic request goes to moto
        results = [
            {
                "Id": q["Id"],
                "Label": q["MetricStat"]["Stat"],
                "Timestamps": minutes,
                "Values": [400.0, 500.0, 600.0]
                if q["MetricStat"]["Stat"] == "p99"
                else [100.0, 110.0, 120.0],
                "StatusCode": "Complete",
            }
            for q in queries
        ]
        return parsed({"MetricDataResults": results})

    await hook(aws, "cloudwatch", "before-call.cloudwatch.GetMetricData", percentiles)
    store = Store()
    await MetricsPoller(aws, store, {"a"}, lambda: 3600.0).tick()
    state = store.functions["a"]
    assert series(state.metrics[m.DURATION_P99].points, minutes) == [400.0, 500.0, 600.0]
    assert series(state.metrics[m.DURATION_P50].points, minutes) == [100.0, 110.0, 120.0]
    assert series(state.metrics[m.INVOCATIONS].points, minutes) == SEEDED["Invocations"]
    assert store.health[PERCENTILES].error is None


async def test_stream_source_and_api_metrics_join_the_same_request(
    moto: MotoAccount, aws: Aws
) -> None:
    arn = awsseed.function(moto, "orders")["FunctionArn"]
    awsseed.kinesis_mapping(moto, "orders")
    rest_id = awsseed.rest_api(moto, arn, name="orders-api")
    http_id = awsseed.http_api(moto, arn, name="orders-http")
    minutes = awsseed.minutes_back(3)
    awsseed.metric(
        moto, "AWS/Lambda", "IteratorAge", {"FunctionName": "orders"}, [1e3, 6e5, 9e5], minutes
    )
    awsseed.metric(
        moto, "AWS/ApiGateway", "5XXError", {"ApiName": "orders-api"}, [0, 7, 9], minutes
    )
    awsseed.metric(moto, "AWS/ApiGateway", "Count", {"ApiId": http_id}, [50, 60, 70], minutes)
    store = Store()
    state = store.function("orders")
    state.config, state.event_sources = await function_details(aws, "orders")
    from lambdatop.aws.pollers.inventory import api_routes

    state.apis = {r.api_id: ApiState(r) for r in (await api_routes(aws))[arn]}
    requests = await watch_requests(aws)
    await MetricsPoller(aws, store, {"orders"}, lambda: 3600.0).tick()
    assert len(requests.made) == 2
    namespaces = Counter(
        q["MetricStat"]["Metric"]["Namespace"] for q in requests.made[0]["MetricDataQueries"]
    )
    assert namespaces == Counter({"AWS/Lambda": 6 + 1 + 2, "AWS/ApiGateway": 2 * 5})
    assert series(state.metrics[m.ITERATOR_AGE].points, minutes) == [1e3, 6e5, 9e5]
    assert series(state.apis[rest_id].metrics[m.API_5XX].points, minutes) == [0, 7, 9]
    assert series(state.apis[http_id].metrics[m.API_COUNT].points, minutes) == [50, 60, 70]


async def test_first_tick_reads_the_window_later_ones_the_lookback(
    moto: MotoAccount, aws: Aws
) -> None:
    awsseed.function(moto, "slow", timeout_s=900)
    awsseed.function(moto, "quick", timeout_s=3)
    awsseed.function(moto, "idle")
    store = Store()
    store.set_inventory(await list_functions(aws))
    requests = await watch_requests(aws)
    await metricmath.install(aws)

    def covers(index: int, seconds: float) -> bool:
        """The request asks for the last `seconds`, rounded out to whole minutes."""
        made = requests.made[index]
        assert made["StartTime"].second == made["EndTime"].second == 0, "whole periods"
        span = (made["EndTime"] - made["StartTime"]).total_seconds()
        return seconds <= span < seconds + 120

    slow = MetricsPoller(aws, store, {"slow"}, lambda: 3 * 3600.0)
    await slow.tick()
    # Basic, percentiles, and every five ticks the fleet's few series for the others.
    assert len(requests.made) == 3
    assert all("SEARCH" in q["Expression"] for q in requests.made[2]["MetricDataQueries"])
    assert covers(0, 3 * 3600)
    assert covers(1, 3 * 3600)
    assert covers(2, 3 * 3600), "the fleet's rows total the window too"
    await slow.tick()
    assert len(requests.made) == 5
    assert covers(3, 900 + 120), "the timeout + 2 minutes: Lambda metrics fill in late"
    quick = MetricsPoller(aws, store, {"quick"}, lambda: 3600.0)
    await quick.tick()
    await quick.tick()
    assert covers(len(requests.made) - 2, 300), "never less than 5 minutes"


async def test_ticks_stamp_each_minute_once(moto: MotoAccount, aws: Aws) -> None:
    """Every tick asks for whole minutes, so a minute read twice is one point, not two."""
    minutes = seed(moto, "a")
    store = Store()
    poller = MetricsPoller(aws, store, {"a"}, lambda: 3600.0)
    await poller.tick()
    await poller.tick()
    points = store.functions["a"].metrics[m.INVOCATIONS].points
    assert sorted(points) == [int(minute.timestamp()) for minute in minutes]
    assert sum(points.values()) == sum(SEEDED["Invocations"])


async def test_a_function_without_a_stream_source_is_asked_its_async_event_age(
    moto: MotoAccount, aws: Aws
) -> None:
    awsseed.function(moto, "mailer")
    minutes = awsseed.minutes_back(3)
    awsseed.metric(
        moto, "AWS/Lambda", "AsyncEventAge", {"FunctionName": "mailer"}, [2e3, 9e4, 4e5], minutes
    )
    store = Store()
    state = store.function("mailer")
    state.config, state.event_sources = await function_details(aws, "mailer")
    assert state.event_sources == []
    requests = await watch_requests(aws)
    await MetricsPoller(aws, store, {"mailer"}, lambda: 3600.0).tick()
    names = Counter(
        q["MetricStat"]["Metric"]["MetricName"] for q in requests.made[0]["MetricDataQueries"]
    )
    assert names["AsyncEventAge"] == 1
    assert names["IteratorAge"] == 0
    assert series(state.metrics[m.ASYNC_EVENT_AGE].points, minutes) == [2e3, 9e4, 4e5]


# --- the fleet: every function of the region, by expressions ------------------------------------


async def test_the_fleet_is_read_by_one_search_a_metric_all_in_one_request(
    moto: MotoAccount, aws: Aws
) -> None:
    """Five SEARCH expressions answer for every function not opened, in one request, with the
    figures a query a function would have read."""
    for name in ("opened", "orders", "mailer", "quiet"):
        awsseed.function(moto, name)
    minutes = seed(moto, "orders")
    seed(moto, "mailer", scale=2, minutes=minutes)
    seed(moto, "opened", scale=5, minutes=minutes)
    store = Store()
    store.set_inventory(await list_functions(aws))
    double = await metricmath.install(aws)
    requests = await watch_requests(aws)
    await MetricsPoller(aws, store, {"opened"}, lambda: 3600.0).tick()

    fleet = [r for r in requests.made if any("Expression" in q for q in r["MetricDataQueries"])]
    assert len(fleet) == 1, "the whole fleet in one request"
    queries = fleet[0]["MetricDataQueries"]
    assert len(queries) == 5
    assert all(q["Expression"].startswith("SEARCH(") for q in queries)
    assert all(q["Label"] == FLEET_LABEL for q in queries)
    assert double.expressions["search"] == 5
    for name, scale in (("orders", 1.0), ("mailer", 2.0)):
        state = store.functions[name]
        for key, seeded in (
            (m.INVOCATIONS, SEEDED["Invocations"]),
            (m.ERRORS, SEEDED["Errors"]),
            (m.THROTTLES, SEEDED["Throttles"]),
            (m.DURATION_MAX, SEEDED["Duration"]),
            (m.CONCURRENCY, SEEDED["ConcurrentExecutions"]),
        ):
            assert series(state.metrics[key].points, minutes) == [v * scale for v in seeded], key
    # A function without a datapoint has no figure (not a zero); the opened one keeps its own
    # per-minute read, untouched by the fleet's.
    assert not store.functions["quiet"].metrics[m.ERRORS].points
    assert series(store.functions["opened"].metrics[m.ERRORS].points, minutes) == [
        v * 5 for v in SEEDED["Errors"]
    ]
    # Billed per series a SEARCH returned: 2 functions × 5 metrics (the opened one's SEARCH
    # series count too: CloudWatch returns them).
    watched_basic = 6 + 2
    assert aws.ledger.metrics_requested == watched_basic + 5 * 3


async def test_a_fleet_beyond_a_search_is_asked_for_its_worst_with_metrics_insights(
    moto: MotoAccount, aws: Aws
) -> None:
    """Over 500 functions a SEARCH would leave some out: Metrics Insights sorts them all and
    returns the worst 500 per metric, one query a request, every 15 minutes."""
    minutes = awsseed.minutes_back(3)
    for name, errors in (("fn-0007", [9, 9, 9]), ("fn-0100", [1, 0, 0])):
        awsseed.metric(moto, "AWS/Lambda", "Errors", {"FunctionName": name}, errors, minutes)
    store = Store()
    store.set_inventory(
        FunctionConfig(f"fn-{i:04d}", timeout_s=3) for i in range(SEARCH_SERIES + 1)
    )
    double = await metricmath.install(aws, metricmath.MetricMath())
    requests = await watch_requests(aws)
    poller = MetricsPoller(aws, store, set(), lambda: 3600.0)
    await poller.tick()

    def fleet_requests() -> list[list[dict[str, Any]]]:
        made = [r["MetricDataQueries"] for r in requests.made]
        return [queries for queries in made if "Expression" in queries[0]]

    insights = fleet_requests()
    assert len(insights) == 5
    assert all(len(q) == 1 for q in insights)
    assert all(q[0]["Expression"].startswith("SELECT ") for q in insights)
    assert double.expressions["insights"] == 5
    assert series(store.functions["fn-0007"].metrics[m.ERRORS].points, minutes) == [9, 9, 9]
    assert series(store.functions["fn-0100"].metrics[m.ERRORS].points, minutes) == [1, 0, 0]
    assert not store.functions["fn-0000"].metrics[m.ERRORS].points
    # Billed as every metric each query analyses: the whole fleet, five times.
    account = 2
    assert aws.ledger.metrics_requested == account + 5 * (SEARCH_SERIES + 1)
    for _ in range(FLEET_INSIGHTS_EVERY - 1):
        await poller.tick()
    assert len(fleet_requests()) == 5, "not again before 15 minutes"
    await poller.tick()
    assert len(fleet_requests()) == 10


async def test_an_emulator_that_does_not_run_search_is_read_a_query_a_function(
    moto: MotoAccount, aws: Aws
) -> None:
    """moto answers a SEARCH with one empty series labelled as asked: the fleet's rows are then
    read a query a function, as before, and stay filled."""
    for name in ("orders", "mailer"):
        awsseed.function(moto, name)
    minutes = seed(moto, "orders")
    store = Store()
    store.set_inventory(await list_functions(aws))
    requests = await watch_requests(aws)
    poller = MetricsPoller(aws, store, set(), lambda: 3600.0)
    await poller.tick()
    assert not poller.expressions_evaluated
    assert requests.functions(len(requests.made) - 1) == {"orders", "mailer"}
    assert series(store.functions["orders"].metrics[m.ERRORS].points, minutes) == SEEDED["Errors"]


async def test_a_series_cloudwatch_failed_twice_keeps_its_chart_and_the_read_says_it_retries(
    moto: MotoAccount, aws: Aws
) -> None:
    """MetricDataResult: "InternalError indicates that an error occurred. Retry your request
    using NextToken, if present" (none here): the failed series is asked once more on its own;
    failed again, the other series land, it keeps what it showed, and the read fails as a
    passing server trouble that names it, retried soon."""
    minutes = seed(moto, "a")
    store = Store()
    poller = MetricsPoller(aws, store, {"a"}, lambda: 3600.0)
    await poller.tick()
    errors_before = dict(store.functions["a"].metrics[m.ERRORS].points)
    failing = SeriesStatus("Errors", "InternalError")
    await failing.install(aws)
    seed(moto, "a", scale=2, minutes=minutes)  # the minutes filled in since
    with pytest.raises(PartialAnswer) as raised:
        await poller.tick()
    assert failing.requests_for_the_metric_alone() == 1, "retried once, the series alone"
    trouble = describe(raised.value, "metrics")
    assert trouble.kind is ErrorKind.SERVER
    assert trouble.retry_soon
    assert trouble.message == (
        "metrics: CloudWatch answered InternalError for Errors of a (1 of 8 series),"
        " again when retried once; retrying"
    )
    state = store.functions["a"]
    assert state.metrics[m.ERRORS].points == errors_before, "the chart kept, not blanked"
    assert series(state.metrics[m.INVOCATIONS].points, minutes) == [
        v * 3 for v in SEEDED["Invocations"]
    ]


async def test_a_series_cloudwatch_failed_once_lands_from_the_retry(
    moto: MotoAccount, aws: Aws
) -> None:
    """One InternalError, then Complete when the series is asked again: no trouble at all."""
    minutes = seed(moto, "a")
    failing = SeriesStatus("Throttles", "InternalError", times=1)
    await failing.install(aws)
    store = Store()
    await MetricsPoller(aws, store, {"a"}, lambda: 3600.0).tick()
    assert failing.requests_for_the_metric_alone() == 1
    throttles = store.functions["a"].metrics[m.THROTTLES].points
    assert series(throttles, minutes) == SEEDED["Throttles"]


async def test_a_series_cloudwatch_refuses_is_the_callers_permission_not_no_data(
    moto: MotoAccount, aws: Aws
) -> None:
    """MetricDataResult's StatusCode "Valid Values: Complete | InternalError | PartialData |
    Forbidden"; MessageData: "a code of Forbidden and a value of Authentication too complex to
    retrieve cross region data". A refused series is not an empty one: it stays unread (the
    checks say unknown), and the line says whose permission is missing, and which action."""
    minutes = seed(moto, "a")
    refused = SeriesStatus(
        "Throttles", "Forbidden", message="Authentication too complex to retrieve cross region data"
    )
    await refused.install(aws)
    store = Store()
    with pytest.raises(PartialAnswer) as raised:
        await MetricsPoller(aws, store, {"a"}, lambda: 3600.0).tick()
    assert refused.requests_for_the_metric_alone() == 0, "a refusal is not retried at once"
    trouble = describe(raised.value, "metrics")
    assert trouble.kind is ErrorKind.DENIED
    assert not trouble.retry_soon
    assert trouble.final == (
        "metrics: CloudWatch refused Throttles of a (StatusCode Forbidden: Authentication too"
        " complex to retrieve cross region data): lambdatop's own credentials may not read it"
        " (grant them cloudwatch:GetMetricData); not a permission of the function"
    )
    state = store.functions["a"]
    assert m.THROTTLES not in state.metrics, "unread, not read as no data"
    assert series(state.metrics[m.ERRORS].points, minutes) == SEEDED["Errors"]


def test_a_source_accounts_refused_series_is_its_links_sharing_not_the_callers_iam() -> None:
    """Forbidden came with cross-account metrics (CloudWatch, 2022-11-28: "Adds cross-account
    support to the GetMetricData API"): a source account's series (`NAME@ACCOUNT`) refused
    points at the link's shared resource types, the caller's own at its IAM."""
    linked = [Unanswered("orders@222222222222", m.THROTTLES, "Throttles", "Forbidden")]
    own = [Unanswered("orders", m.THROTTLES, "Throttles", "Forbidden")]
    assert "link to this monitoring account may not share its metrics" in refusal(linked)
    assert "AWS::CloudWatch::Metric" in refusal(linked)
    assert "grant them cloudwatch:GetMetricData" in refusal(own)
