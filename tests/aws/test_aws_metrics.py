"""Metrics against moto: one GetMetricData request a tick for every watched function, the
account and the APIs in front; percentiles in a request of their own, whose failure leaves the
basic series alone; a lookback of at least the timeout + 2 minutes."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import Any

import awsseed
from awsfakes import hook, parsed
from awsmoto import MotoAccount
from awsseed import SEEDED
from awsseed import seed_lambda_series as seed

from lambdatop.aws.pollers.inventory import function_details, list_functions
from lambdatop.aws.pollers.metrics import MetricsPoller
from lambdatop.aws.session import Aws
from lambdatop.core import metrics as m
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
    assert requests.functions(2) == {"quick", "idle"}
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
