"""GetMetricData's expressions, which moto answers with empty series: the two forms lambdatop
sends for the fleet, computed from moto's stored datapoints as CloudWatch computes them.

- `SEARCH('{AWS/Lambda,FunctionName} MetricName="M"', 'Stat', period)`: one series for each
  function that has the metric (and only the FunctionName dimension), up to 500; labelled by the
  query's dynamic label `${PROP('Dim.FunctionName')}`, i.e. the function's name.
- `SELECT AGG(M) FROM SCHEMA("AWS/Lambda", FunctionName) GROUP BY FunctionName ORDER BY AGG()
  DESC LIMIT n` (Metrics Insights): the n functions with the highest aggregate over the span,
  labelled by the function's name; at most one such query a request, as CloudWatch allows.

A request without an expression goes on to moto (or to the percentile double). Anything else in
an expression is answered as CloudWatch answers a bad query: a ValidationError.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from awsdouble import ACCOUNT, REGION
from awsfakes import parsed

SEARCH = re.compile(
    r"""^SEARCH\('\{AWS/Lambda,FunctionName\} MetricName="(\w+)"', '(\w+)', (\d+)\)$"""
)
INSIGHTS = re.compile(
    r'^SELECT (SUM|MAX|MIN|AVG)\((\w+)\) FROM SCHEMA\("AWS/Lambda", FunctionName\) '
    r"GROUP BY FunctionName ORDER BY (SUM|MAX|MIN|AVG)\(\) DESC LIMIT (\d+)$"
)
FUNCTION_LABEL = "${PROP('Dim.FunctionName')}"
_AGG = {"SUM": "Sum", "MAX": "Maximum", "MIN": "Minimum", "AVG": "Average"}


class MetricMath:
    """A `before-call` hook for GetMetricData answering the fleet's expressions."""

    def __init__(self, series_limit: int = 500) -> None:
        self.series_limit = series_limit
        self.requests: list[list[dict[str, Any]]] = []
        """The queries of each request this double answered."""
        self.expressions: Counter[str] = Counter()
        """`search` and `insights` queries answered."""

    def __call__(self, context: Any = None, **_: Any) -> Any:
        params = (context or {}).get("double_params") or {}
        queries = params.get("MetricDataQueries") or []
        if not any("Expression" in q for q in queries):
            return None
        self.requests.append(queries)
        start, end = _epoch(params["StartTime"]), _epoch(params["EndTime"])
        insights = [q for q in queries if INSIGHTS.match(str(q.get("Expression", "")))]
        if len(insights) > 1:
            return _invalid("Only one Metrics Insights query is allowed a request")
        results: list[dict[str, Any]] = []
        for query in queries:
            expression = str(query.get("Expression", ""))
            if not expression:
                return _invalid("metric statistics and expressions in one request: not doubled")
            if found := SEARCH.match(expression):
                metric, stat, period = found.group(1), found.group(2), int(found.group(3))
                self.expressions["search"] += 1
                series = _series(metric, stat, period, start, end)
                names = sorted(series)[: self.series_limit]
                results.extend(_result(query, name, series[name]) for name in names)
            elif found := INSIGHTS.match(expression):
                agg, metric, order, limit = found.groups()
                self.expressions["insights"] += 1
                period = int(query.get("Period") or 60)
                series = _series(metric, _AGG[agg], period, start, end)
                ranked = sorted(series, key=lambda name: (-_aggregate(series[name], order), name))[
                    : int(limit)
                ]
                results.extend(_result(query, name, series[name]) for name in ranked)
            else:
                return _invalid(f"unsupported expression in the test double: {expression}")
        return parsed({"MetricDataResults": results, "Messages": []})


def _series(
    metric: str, stat: str, period: int, start: float, end: float
) -> dict[str, dict[int, float]]:
    """Each function's series of `metric`, per period, from moto's stored datapoints."""
    from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum, cloudwatch_backends

    backend = cloudwatch_backends[ACCOUNT][REGION]
    buckets: dict[str, dict[int, list[tuple[float, float, float, float]]]] = {}
    for datum in backend.get_all_metrics():
        if datum.namespace != "AWS/Lambda" or datum.name != metric:
            continue
        dims = {d.name: d.value for d in datum.dimensions}
        if set(dims) != {"FunctionName"}:
            continue
        at = _epoch(datum.timestamp)
        if not start <= at < end:
            continue
        if isinstance(datum, MetricDatum):
            value = float(datum.value)
            sample = (value, 1.0, value, value)
        elif isinstance(datum, MetricAggregatedDatum):
            sample = (
                float(datum.sum),
                float(datum.sample_count),
                float(datum.min),
                float(datum.max),
            )
        else:
            continue
        per = buckets.setdefault(dims["FunctionName"], {})
        per.setdefault(int(at // period * period), []).append(sample)
    return {
        name: {stamp: _statistic(samples, stat) for stamp, samples in per.items()}
        for name, per in buckets.items()
    }


def _statistic(samples: list[tuple[float, float, float, float]], stat: str) -> float:
    total = sum(s[0] for s in samples)
    count = sum(s[1] for s in samples)
    if stat == "Sum":
        return total
    if stat == "Average":
        return total / count
    if stat == "Maximum":
        return max(s[3] for s in samples)
    if stat == "Minimum":
        return min(s[2] for s in samples)
    raise ValueError(stat)


def _aggregate(points: dict[int, float], agg: str) -> float:
    values = list(points.values())
    return {
        "SUM": sum,
        "MAX": max,
        "MIN": min,
        "AVG": lambda v: sum(v) / len(v),
    }[agg](values)


def _result(query: dict[str, Any], function: str, points: dict[int, float]) -> dict[str, Any]:
    label = query.get("Label")
    stamps = sorted(points)
    return {
        "Id": query["Id"],
        # The dynamic label names the function; a query without one is labelled by it too.
        "Label": function if label in (None, FUNCTION_LABEL) else label,
        "Timestamps": [datetime.fromtimestamp(t, UTC) for t in stamps],
        "Values": [points[t] for t in stamps],
        "StatusCode": "Complete",
    }


def _remember(params: dict[str, Any] | None = None, context: Any = None, **_: Any) -> None:
    """`before-parameter-build`: the call's parameters, for the answer."""
    if isinstance(context, dict):
        context["double_params"] = dict(params or {})


def _invalid(message: str) -> Any:
    return parsed({"Error": {"Code": "ValidationError", "Message": message}}, 400)


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return float(value)


async def install(aws: Any, double: MetricMath | None = None) -> MetricMath:
    """Answer the fleet's expressions on this `Aws`'s CloudWatch client."""
    double = double or MetricMath()
    cloudwatch = (await aws.client("cloudwatch")).meta.events
    cloudwatch.register("before-parameter-build.cloudwatch.GetMetricData", _remember)
    cloudwatch.register("before-call.cloudwatch.GetMetricData", double)
    return double
