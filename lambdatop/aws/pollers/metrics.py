"""Metrics: one GetMetricData request a tick for every function watched, the account and the
APIs in front, at one-minute resolution; percentiles in a second request, so a backend that
refuses them cannot blank the rest.

Lambda stamps a metric with the invocation's start, so the newest minutes fill in late (up to
the function's timeout): each tick re-reads a lookback of at least timeout + 2 minutes. The
first tick reads the whole window for the charts. Ratios are computed by the reader.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lambdatop.aws.errors import describe
from lambdatop.aws.session import Aws
from lambdatop.core import metrics as m
from lambdatop.core.records import MetricSeries
from lambdatop.core.sources import PERCENTILES
from lambdatop.core.store import Store

Clock = Callable[[], float]
PERIOD_S = 60
MAX_QUERIES = 500
FLEET_LOOKBACK_S = 15 * 60
LISTING_RETRY_S = 5.0

# key -> (metric name, statistic)
_FUNCTION_METRICS = {
    m.INVOCATIONS: ("Invocations", "Sum"),
    m.ERRORS: ("Errors", "Sum"),
    m.THROTTLES: ("Throttles", "Sum"),
    m.DURATION_AVG: ("Duration", "Average"),
    m.DURATION_MAX: ("Duration", "Maximum"),
    m.CONCURRENCY: ("ConcurrentExecutions", "Maximum"),
}
_FLEET_METRICS = (m.INVOCATIONS, m.ERRORS, m.THROTTLES, m.DURATION_MAX, m.CONCURRENCY)
_PERCENTILES = {m.DURATION_P50: ("Duration", "p50"), m.DURATION_P99: ("Duration", "p99")}
_ACCOUNT_METRICS = {
    m.ACCOUNT_CONCURRENCY: ("ConcurrentExecutions", "Maximum"),
    m.ACCOUNT_UNRESERVED: ("UnreservedConcurrentExecutions", "Maximum"),
}
# HTTP APIs publish their errors as `4xx`/`5xx` (dimension ApiId); REST APIs as 4XXError/5XXError.
_HTTP_API_NAMES = {"5XXError": "5xx", "4XXError": "4xx"}
_API_METRICS = {
    m.API_COUNT: ("Count", "Sum"),
    m.API_5XX: ("5XXError", "Sum"),
    m.API_4XX: ("4XXError", "Sum"),
    m.API_LATENCY: ("Latency", "Maximum"),
    m.API_INTEGRATION_LATENCY: ("IntegrationLatency", "Maximum"),
}


@dataclass(slots=True, frozen=True)
class Target:
    """Where a query's answer goes: a function's, an API's or the account's series."""

    kind: str
    """`function`, `api` or `account`."""
    name: str
    key: str


class Batch:
    """Queries with ids, and where each answer goes."""

    def __init__(self) -> None:
        self.queries: list[dict[str, Any]] = []
        self.targets: dict[str, Target] = {}

    def add(
        self,
        target: Target,
        namespace: str,
        metric: str,
        stat: str,
        dimensions: list[dict[str, str]],
    ) -> None:
        qid = f"q{len(self.queries)}"
        self.queries.append(_query(qid, namespace, metric, stat, dimensions))
        self.targets[qid] = target


def _query(
    qid: str, namespace: str, metric: str, stat: str, dimensions: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
            "Period": PERIOD_S,
            "Stat": stat,
        },
        "ReturnData": True,
    }


class MetricsPoller:
    """Every minute for the watched functions; every five for the rest of the fleet."""

    interval_s = 60.0
    fleet_every = 5

    def __init__(
        self,
        aws: Aws,
        store: Store,
        watched: set[str],
        window_s: Callable[[], float],
        clock: Clock = time.time,
    ) -> None:
        self.aws = aws
        self.store = store
        self.watched = watched
        self.window_s = window_s
        self.clock = clock
        self.ticks = 0
        self._filled: set[str] = set()
        self._fleet_read: set[str] = set()
        self._fleet_filled: set[str] = set()
        self._fleet_window = 0.0
        self._filled_window = 0.0

    def _lookback_s(self, names: list[str]) -> float:
        timeouts = [
            (self.store.inventory[n].timeout_s or 0.0) for n in names if n in self.store.inventory
        ]
        return max(max(timeouts, default=0.0) + 120.0, 300.0)

    def watched_queries(self) -> tuple[Batch, Batch]:
        """Queries for the watched functions, their APIs and the account; and percentiles."""
        basic, pct = Batch(), Batch()
        for name in sorted(self.watched):
            dims = [{"Name": "FunctionName", "Value": name}]
            for key, (metric, stat) in _FUNCTION_METRICS.items():
                basic.add(Target("function", name, key), "AWS/Lambda", metric, stat, dims)
            for key, (metric, stat) in _PERCENTILES.items():
                pct.add(Target("function", name, key), "AWS/Lambda", metric, stat, dims)
            state = self.store.functions.get(name)
            if state is None:
                continue
            if state.event_sources and any(s.is_stream for s in state.event_sources):
                basic.add(
                    Target("function", name, m.ITERATOR_AGE),
                    "AWS/Lambda",
                    "IteratorAge",
                    "Maximum",
                    dims,
                )
            elif state.event_sources is not None:
                # No stream feeds it: asynchronous callers (S3, SNS, EventBridge) may, and their
                # events can wait in Lambda's own queue.
                basic.add(
                    Target("function", name, m.ASYNC_EVENT_AGE),
                    "AWS/Lambda",
                    "AsyncEventAge",
                    "Maximum",
                    dims,
                )
            for api_id, api in (state.apis or {}).items():
                route = api.route
                api_dims = (
                    [{"Name": "ApiName", "Value": route.name}]
                    if route.kind == "REST"
                    else [{"Name": "ApiId", "Value": route.api_id}]
                )
                for key, (metric, stat) in _API_METRICS.items():
                    if route.kind != "REST":
                        metric = _HTTP_API_NAMES.get(metric, metric)
                    target = Target("api", f"{name}\0{api_id}", key)
                    basic.add(target, "AWS/ApiGateway", metric, stat, api_dims)
        for key, (metric, stat) in _ACCOUNT_METRICS.items():
            basic.add(Target("account", "", key), "AWS/Lambda", metric, stat, [])
        return basic, pct

    def fleet_queries(self) -> Batch:
        """The few series the fleet table needs, for every function not watched."""
        fleet = Batch()
        for name in sorted(set(self.store.inventory) - self.watched):
            dims = [{"Name": "FunctionName", "Value": name}]
            for key in _FLEET_METRICS:
                metric, stat = _FUNCTION_METRICS[key]
                fleet.add(Target("function", name, key), "AWS/Lambda", metric, stat, dims)
        return fleet

    async def tick(self) -> float:
        now = self.clock()
        names = sorted(self.watched)
        window = self.window_s()
        # The first read of a function (or of a wider window) fills the charts; later reads only
        # refresh the minutes that may still be filling in.
        fill = bool(self.watched - self._filled) or window > self._filled_window
        back = max(window if fill else 0.0, self._lookback_s(names))
        basic, pct = self.watched_queries()
        await self._fetch(basic, now - back, now)
        self._filled = set(self.watched)
        if fill:
            self._filled_window = window
        if pct.queries and names:
            try:
                await self._fetch(pct, now - back, now)
            except Exception as error:
                trouble = describe(error, "percentiles")
                if trouble.kind.cuts_off_aws:
                    raise
                self.store.record_failure(
                    PERCENTILES, trouble.kind, trouble.message, now + self.interval_s
                )
            else:
                self.store.record_ok(PERCENTILES)
        # The fleet's few series every few minutes, and at once for functions just listed. The
        # first read (and one after the window widens) covers the whole window, as the rows'
        # totals do; later ones the minutes still filling in.
        listed = set(self.store.inventory) - self.watched
        fleet_fill = bool(listed - self._fleet_filled) or window > self._fleet_window
        if self.ticks % self.fleet_every == 0 or listed - self._fleet_read or fleet_fill:
            fleet = self.fleet_queries()
            if fleet.queries:
                back_fleet = max(window, FLEET_LOOKBACK_S) if fleet_fill else FLEET_LOOKBACK_S
                await self._fetch(fleet, now - back_fleet, now)
            self._fleet_read = listed
            self._fleet_filled |= listed
            self._fleet_window = max(self._fleet_window, window)
        self.ticks += 1
        if not self.store.inventory_complete:
            return LISTING_RETRY_S  # the fleet's rows follow as soon as the functions are listed
        return self.interval_s

    async def _fetch(self, batch_of: Batch, start: float, end: float) -> None:
        queries, targets = batch_of.queries, batch_of.targets
        # Whole periods, as CloudWatch advises: every tick then stamps a minute the same way
        # (a backend that does not round, as moto does not, would otherwise shift each tick's
        # points by the seconds of its start and count a minute twice).
        start = start // PERIOD_S * PERIOD_S
        end = -(-end // PERIOD_S) * PERIOD_S
        results: dict[str, dict[int, float]] = {}
        for offset in range(0, len(queries), MAX_QUERIES):
            batch = queries[offset : offset + MAX_QUERIES]
            token: str | None = None
            while True:
                params: dict[str, Any] = {
                    "MetricDataQueries": batch,
                    "StartTime": datetime.fromtimestamp(start, UTC),
                    "EndTime": datetime.fromtimestamp(end, UTC),
                    "ScanBy": "TimestampAscending",
                }
                if token:
                    params["NextToken"] = token
                response = await self.aws.call("cloudwatch", "GetMetricData", **params)
                for result in response.get("MetricDataResults") or ():
                    points = results.setdefault(str(result.get("Id")), {})
                    for stamp, value in zip(
                        result.get("Timestamps") or (), result.get("Values") or (), strict=False
                    ):
                        points[int(_epoch(stamp))] = float(value)
                next_token = response.get("NextToken")
                if not next_token or next_token == token:
                    break
                token = next_token
        self._store(results, targets)

    def _store(self, results: dict[str, dict[int, float]], targets: dict[str, Target]) -> None:
        for qid, target in targets.items():
            points = results.get(qid, {})
            if target.kind == "function":
                self.store.function(target.name).set_metric(target.key, points)
            elif target.kind == "account":
                series = self.store.account_metrics.setdefault(target.key, MetricSeries(target.key))
                series.points.update(points)
            else:
                function, api_id = target.name.split("\0", 1)
                state = self.store.function(function)
                if state.apis and api_id in state.apis:
                    api = state.apis[api_id]
                    series = api.metrics.setdefault(target.key, MetricSeries(target.key))
                    series.points.update(points)
                    state.version += 1
        self.store.touch()


def _epoch(stamp: Any) -> float:
    if isinstance(stamp, datetime):
        return stamp.timestamp()
    return float(stamp)
