"""Metrics: one GetMetricData request a tick for every function watched, the account and the
APIs in front, at one-minute resolution; percentiles in a second request, so a backend that
refuses them cannot blank the rest.

Lambda stamps a metric with the invocation's start, so the newest minutes fill in late (up to
the function's timeout): each tick re-reads a lookback of at least timeout + 2 minutes. ("When
your AWS Lambda function finishes processing an event, Lambda automatically sends metrics about
the invocation to Amazon CloudWatch ... in 1-minute intervals", https://docs.aws.amazon.com/
lambda/latest/dg/monitoring-metrics.html: an invocation still running has sent nothing yet.) The
first tick reads the whole window for the charts. Ratios are computed by the reader.

The rest of the fleet (every function of the region) is read with expressions, not a query per
function: one SEARCH per metric answers for up to 500 functions, several SEARCHes to a request;
a larger fleet is asked with Metrics Insights, its worst 500 functions per metric, one query to a
request and every `FLEET_INSIGHTS_EVERY` ticks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lambdatop.aws.errors import FORBIDDEN, PartialAnswer, Unanswered, describe
from lambdatop.aws.session import Aws
from lambdatop.core import metrics as m
from lambdatop.core.records import MetricSeries
from lambdatop.core.sanitize import one_line
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
SEARCH_SERIES = 500
"""A SEARCH "can return up to 500 time series" (the CDK's SearchExpression reference; the
CloudWatch guide: "A graph can display as many as 500 time series"); the series a request's
SEARCHes return count against its 500 metrics, as the queries of metric math do ("These quotas
include all metrics retrieved for use in metric math functions", CloudWatch service quotas)."""
INSIGHTS_METRICS = 10_000
"""Metrics Insights: "A single query can process no more than 10,000 metrics" and "can return
no more than 500 time series. ... If you use an ORDER BY clause, then all the metrics being
processed are sorted, and the 500 that have the highest or lowest values ... are returned"."""
INSIGHTS_SPAN_S = 3 * 3600
"""Metrics Insights: "you can query only the most recent three hours of data"."""
FLEET_INSIGHTS_EVERY = 15
"""Ticks between reads of a fleet larger than a SEARCH answers: Metrics Insights is billed for
every metric it analyses (up to 10,000 a query), so a big fleet is read every 15 minutes."""
FLEET_LABEL = "${PROP('Dim.FunctionName')}"
"""A dynamic label ("You can put dynamic expressions into a label", MetricDataQuery): each
series a SEARCH returns is labelled with its function's name."""
_INSIGHTS_STATS = {"Sum": "SUM", "Maximum": "MAX", "Average": "AVG", "Minimum": "MIN"}


def fleet_search(key: str) -> str:
    """Every function's series of one metric, by one SEARCH."""
    metric, stat = _FUNCTION_METRICS[key]
    return f"SEARCH('{{AWS/Lambda,FunctionName}} MetricName=\"{metric}\"', '{stat}', {PERIOD_S})"


def fleet_insights(key: str) -> str:
    """The 500 functions with the most of one metric, by a Metrics Insights query."""
    metric, stat = _FUNCTION_METRICS[key]
    agg = _INSIGHTS_STATS[stat]
    return (
        f'SELECT {agg}({metric}) FROM SCHEMA("AWS/Lambda", FunctionName) '
        f"GROUP BY FunctionName ORDER BY {agg}() DESC LIMIT {SEARCH_SERIES}"
    )


def watched_queries(functions: int) -> tuple[int, int]:
    """Queries a minute for `functions` opened ones (no API in front): the basic request's (an
    iterator or async-event age each, and the account's) and the percentiles'."""
    basic = functions * (len(_FUNCTION_METRICS) + 1) + len(_ACCOUNT_METRICS)
    return basic, functions * len(_PERCENTILES)


def fleet_requests(functions: int) -> int:
    """GetMetricData requests one read of a fleet of `functions` makes."""
    if functions > SEARCH_SERIES:
        return len(_FLEET_METRICS)  # one Metrics Insights query a request
    per_request = max(1, SEARCH_SERIES // max(functions, 1))
    return -(-len(_FLEET_METRICS) // per_request)


def fleet_metrics_billed(functions: int) -> int:
    """Metrics one read of the fleet is billed for: each series a SEARCH returns; every metric a
    Metrics Insights query analyses (an upper bound: the pricing page bills it "per metric
    analyzed")."""
    if functions > SEARCH_SERIES:
        return len(_FLEET_METRICS) * min(functions, INSIGHTS_METRICS)
    return len(_FLEET_METRICS) * functions


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
        self.per_request = MAX_QUERIES
        """Queries a request may hold: fewer where each returns many series."""

    def add_expression(self, key: str, expression: str, label: str | None = None) -> None:
        """An expression whose series are the fleet's functions, each by its label."""
        qid = f"q{len(self.queries)}"
        query: dict[str, Any] = {"Id": qid, "Expression": expression, "ReturnData": True}
        if label:
            query["Label"] = label
        else:
            query["Period"] = PERIOD_S  # a Metrics Insights query states its period
        self.queries.append(query)
        self.targets[qid] = Target("fleet", "", key)

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
        self.expressions_evaluated = True
        """False once the backend answered a SEARCH unevaluated (moto: "metric math returns
        empty series"): the fleet is then read a query a function."""

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
        """The few series the fleet table needs, for every function of the region: a SEARCH
        per metric while one answers for the whole fleet; beyond, Metrics Insights' worst 500."""
        fleet = Batch()
        functions = len(self.store.inventory)
        listed = sorted(set(self.store.inventory) - self.watched)
        if not listed:
            return fleet
        if not self.expressions_evaluated:
            # A query a function, as before expressions (an emulator that does not run them).
            for name in listed:
                dims = [{"Name": "FunctionName", "Value": name}]
                for key in _FLEET_METRICS:
                    metric, stat = _FUNCTION_METRICS[key]
                    fleet.add(Target("function", name, key), "AWS/Lambda", metric, stat, dims)
            return fleet
        for key in _FLEET_METRICS:
            if functions > SEARCH_SERIES:
                fleet.add_expression(key, fleet_insights(key))
            else:
                fleet.add_expression(key, fleet_search(key), FLEET_LABEL)
        fleet.per_request = -(-len(_FLEET_METRICS) // fleet_requests(functions))
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
        partial: PartialAnswer | None = None
        try:
            await self._fetch(basic, now - back, now)
        except PartialAnswer as answer:
            partial = answer  # the series that came are stored; the rest of the tick goes on
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
        every = self.fleet_every
        if len(self.store.inventory) > SEARCH_SERIES:
            every = FLEET_INSIGHTS_EVERY
        if self.ticks % every == 0 or listed - self._fleet_read or fleet_fill:
            fleet = self.fleet_queries()
            if fleet.queries:
                back_fleet = max(window, FLEET_LOOKBACK_S) if fleet_fill else FLEET_LOOKBACK_S
                if len(self.store.inventory) > SEARCH_SERIES:
                    back_fleet = min(back_fleet, INSIGHTS_SPAN_S)
                await self._fetch(fleet, now - back_fleet, now)
                if not self.expressions_evaluated and any(
                    t.kind == "fleet" for t in fleet.targets.values()
                ):
                    await self._fetch(self.fleet_queries(), now - back_fleet, now)
            self._fleet_read = listed
            self._fleet_filled |= listed
            self._fleet_window = max(self._fleet_window, window)
        self.ticks += 1
        if partial is not None:
            raise partial
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
        # An expression's many series share its id: they are told apart by their label.
        results: dict[tuple[str, str], dict[int, float]] = {}
        answers: dict[str, dict[str, Any]] = {}
        """Each query's StatusCode and Messages as its last page said them."""
        await self._read(queries, batch_of.per_request, start, end, results, answers)
        # MetricDataResult: "InternalError indicates that an error occurred. Retry your request
        # using NextToken, if present": with no NextToken left, the failed series are asked
        # once more on their own (PartialData left over, with no NextToken to follow, too).
        again = [q for q in queries if _status(answers, q["Id"]) in _RETRIED]
        if again:
            for key in [key for key in results if key[0] in {q["Id"] for q in again}]:
                del results[key]
            await self._read(again, batch_of.per_request, start, end, results, answers)
        if self._unevaluated(results, batch_of):
            self.expressions_evaluated = False
            return
        self._bill_expressions(results, targets)
        # What is still not Complete keeps what it showed (InternalError) or is refused
        # (Forbidden: "Valid Values: Complete | InternalError | PartialData | Forbidden");
        # the rest land, and the read says which series did not come.
        failed = {qid for qid in answers if _status(answers, qid) != "Complete"}
        self._store(
            {key: points for key, points in results.items() if key[0] not in failed},
            {qid: target for qid, target in targets.items() if qid not in failed},
        )
        if failed:
            unanswered = tuple(
                Unanswered(
                    _owner(targets[qid]),
                    targets[qid].key,
                    _series_name(targets[qid].key),
                    _status(answers, qid),
                    _detail(answers[qid]),
                )
                for qid in sorted(failed, key=lambda q: int(q[1:]) if q[1:].isdigit() else 0)
                if qid in targets
            )
            raise PartialAnswer(_unanswered_words(unanswered, len(queries)), unanswered)

    async def _read(
        self,
        queries: list[dict[str, Any]],
        per_request: int,
        start: float,
        end: float,
        results: dict[tuple[str, str], dict[int, float]],
        answers: dict[str, dict[str, Any]],
    ) -> None:
        """Every page of the queries' answers, into `results` and `answers`."""
        targets = {q["Id"]: self._target_kind(q) for q in queries}
        step = min(MAX_QUERIES, per_request)
        for offset in range(0, len(queries), step):
            batch = queries[offset : offset + step]
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
                    qid = str(result.get("Id"))
                    answers[qid] = result
                    fleet = targets.get(qid) == "fleet"
                    label = str(result.get("Label") or "") if fleet else ""
                    points = results.setdefault((qid, label), {})
                    for stamp, value in zip(
                        result.get("Timestamps") or (), result.get("Values") or (), strict=False
                    ):
                        points[int(_epoch(stamp))] = float(value)
                # MetricDataResult's StatusCode (https://docs.aws.amazon.com/AmazonCloudWatch/
                # latest/APIReference/API_MetricDataResult.html): "PartialData means that an
                # incomplete set of data points were returned. You can use the NextToken value
                # that was returned and repeat your request to get more data points". Pages
                # come at MaxDatapoints ("the default of 100,800"): a long window's charts do.
                next_token = response.get("NextToken")
                if not next_token or next_token == token:
                    break
                token = next_token

    @staticmethod
    def _target_kind(query: dict[str, Any]) -> str:
        """`fleet` for an expression (its series told apart by label), else `series`."""
        return "fleet" if "Expression" in query else "series"

    def _unevaluated(
        self, results: dict[tuple[str, str], dict[int, float]], batch_of: Batch
    ) -> bool:
        """CloudWatch labels a SEARCH's series by their function (the dynamic label resolved)
        and a Metrics Insights query's by the group; a backend that answers one series labelled
        as asked, or by the query's id, did not evaluate the expression."""
        for query in batch_of.queries:
            if "Expression" not in query:
                continue
            answers = [
                (label, points) for (qid, label), points in results.items() if qid == query["Id"]
            ]
            if len(answers) == 1 and answers[0][0] in (query.get("Label"), query["Id"], ""):
                return not answers[0][1] or "Label" not in query
        return False

    def _bill_expressions(
        self, results: dict[tuple[str, str], dict[int, float]], targets: dict[str, Target]
    ) -> None:
        """The ledger bills a query as one metric: a SEARCH is billed for each series it
        returns, a Metrics Insights query for each metric it analyses (estimated as the fleet)."""
        functions = len(self.store.inventory)
        for qid, target in targets.items():
            if target.kind != "fleet":
                continue
            if functions > SEARCH_SERIES:
                billed = min(functions, INSIGHTS_METRICS)
            else:
                billed = sum(1 for got, _ in results if got == qid)
            self.aws.ledger.metrics_requested += max(0, billed - 1)

    def _store(
        self, results: dict[tuple[str, str], dict[int, float]], targets: dict[str, Target]
    ) -> None:
        listed = set(self.store.inventory) - self.watched
        for (qid, label), points in results.items():
            target = targets.get(qid)
            if target is None:
                continue
            if target.kind == "fleet":
                if label in listed:
                    self.store.function(label).set_metric(target.key, points)
            elif target.kind == "function":
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
        for qid, target in targets.items():
            if target.kind == "function" and (qid, "") not in results:
                self.store.function(target.name).set_metric(target.key, {})
            elif target.kind == "fleet":
                # A function no series came back for had none of it in the span read (or, in a
                # fleet beyond a SEARCH, is not among the worst 500): no figure, not a zero.
                answered = {label for got, label in results if got == qid}
                for name in listed - answered:
                    self.store.function(name).set_metric(target.key, {})
        self.store.touch()


_RETRIED = ("InternalError", "PartialData")


def _status(answers: dict[str, dict[str, Any]], qid: str) -> str:
    return str(answers.get(qid, {}).get("StatusCode") or "Complete")


def _detail(answer: dict[str, Any]) -> str:
    """CloudWatch's MessageData for a series ("Forbidden" and "Authentication too complex to
    retrieve cross region data", MessageData's reference), one line."""
    said = [str(m.get("Value") or "") for m in answer.get("Messages") or () if m.get("Value")]
    return one_line("; ".join(said), 160)


def _owner(target: Target) -> str:
    return target.name.split("\0", 1)[0] if target.kind in ("function", "api") else ""


_SERIES_NAMES = {
    **{key: metric for key, (metric, _) in _FUNCTION_METRICS.items()},
    m.DURATION_AVG: "Duration (Average)",
    m.DURATION_MAX: "Duration (Maximum)",
    m.DURATION_P50: "Duration (p50)",
    m.DURATION_P99: "Duration (p99)",
}


def _series_name(key: str) -> str:
    """The series as CloudWatch's console names it: the metric, and its statistic if needed."""
    return _SERIES_NAMES.get(key, key.replace(":", " "))


def _unanswered_words(unanswered: tuple[Unanswered, ...], asked: int) -> str:
    """One line: which series did not come, and why."""
    failed = [u for u in unanswered if u.status != FORBIDDEN]
    refused = [u for u in unanswered if u.status == FORBIDDEN]
    parts = []
    if failed:
        codes = "/".join(sorted({u.status for u in failed}))
        parts.append(
            f"CloudWatch answered {codes} for {_names(failed)} ({len(failed)} of {asked} series),"
            " again when retried once"
        )
    if refused:
        detail = next((u.detail for u in refused if u.detail), "")
        parts.append(
            f"CloudWatch refused {_names(refused)} (StatusCode Forbidden"
            f"{f': {detail}' if detail else ''}): {refusal(refused)}"
        )
    return "; ".join(parts)


def refusal(refused: list[Unanswered]) -> str:
    """Whose permission a Forbidden series lacks. Forbidden came with cross-account metrics
    (CloudWatch's change of 2022-11-28, "Adds cross-account support to the GetMetricData API");
    a source account's series (`NAME@ACCOUNT`) is refused when its link does not share
    AWS::CloudWatch::Metric; the caller's own, when its credentials may not read it."""
    if all("@" in u.owner for u in refused):
        return (
            "the source account's link to this monitoring account may not share its metrics"
            " (AWS::CloudWatch::Metric); not a permission of the function"
        )
    return (
        "lambdatop's own credentials may not read it (grant them cloudwatch:GetMetricData);"
        " not a permission of the function"
    )


def _names(unanswered: list[Unanswered], shown: int = 3) -> str:
    names = [f"{u.name} of {u.owner}" if u.owner else f"the account's {u.name}" for u in unanswered]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _epoch(stamp: Any) -> float:
    if isinstance(stamp, datetime):
        return stamp.timestamp()
    return float(stamp)
