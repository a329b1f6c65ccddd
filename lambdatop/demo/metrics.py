"""Per-minute CloudWatch metrics, aggregated from the simulated invocations.

One StatisticValues datum per metric per minute (moto's cost grows with raw samples), stamped
at the minute in which each invocation started, as Lambda does, and published once the minute
is over.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lambdatop.demo.api_gateway import api_response
from lambdatop.demo.incidents.base import FailureKind
from lambdatop.demo.invocation import SimulatedInvocation

LAMBDA = "AWS/Lambda"
API_GATEWAY = "AWS/ApiGateway"
PUBLISH_LAG_SECONDS = 10.0
"""How long after a minute ends its metrics appear (CloudWatch is never instantaneous)."""

Dimensions = tuple[tuple[str, str], ...]


@dataclass(slots=True)
class Statistic:
    count: float = 0.0
    total: float = 0.0
    minimum: float = float("inf")
    maximum: float = float("-inf")

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)


@dataclass(frozen=True, slots=True)
class MetricDatum:
    namespace: str
    name: str
    dimensions: Dimensions
    minute: int
    """Epoch seconds of the minute's start."""
    unit: str
    statistic: Statistic

    def as_boto(self) -> dict[str, Any]:
        return {
            "MetricName": self.name,
            "Dimensions": [{"Name": key, "Value": value} for key, value in self.dimensions],
            "Timestamp": datetime.fromtimestamp(self.minute, UTC),
            "StatisticValues": {
                "SampleCount": self.statistic.count,
                "Sum": self.statistic.total,
                "Minimum": self.statistic.minimum,
                "Maximum": self.statistic.maximum,
            },
            "Unit": self.unit,
        }


_Key = tuple[str, str, Dimensions, str]


class MetricsBook:
    """Accumulates minute statistics and hands over the minutes that are complete."""

    def __init__(self, api_dimensions: dict[str, dict[str, Dimensions]] | None = None) -> None:
        self._minutes: dict[int, dict[_Key, Statistic]] = defaultdict(dict)
        self._api_dimensions = api_dimensions or {}
        """Function name → {"rest" | "http": the API's metric dimensions}."""

    def _add(
        self, at: float, namespace: str, name: str, dims: Dimensions, unit: str, value: float
    ) -> None:
        minute = int(at // 60) * 60
        key = (namespace, name, dims, unit)
        bucket = self._minutes[minute]
        statistic = bucket.get(key)
        if statistic is None:
            statistic = bucket[key] = Statistic()
        statistic.add(value)

    def record_invocation(self, invocation: SimulatedInvocation) -> None:
        name = invocation.scenario.name
        dims: Dimensions = (("FunctionName", name),)
        at = invocation.cold_start.start if invocation.cold_start else invocation.start
        failure = invocation.outcome.failure
        self._add(at, LAMBDA, "Invocations", dims, "Count", 1.0)
        self._add(at, LAMBDA, "Errors", dims, "Count", 0.0 if failure is None else 1.0)
        self._add(at, LAMBDA, "Throttles", dims, "Count", 0.0)
        duration = invocation.outcome.duration_ms
        if failure is not None and failure.kind is FailureKind.TIMEOUT:
            duration = invocation.scenario.timeout_s * 1000.0
        self._add(at, LAMBDA, "Duration", dims, "Milliseconds", duration)
        self._record_api(invocation, at)

    def _record_api(self, invocation: SimulatedInvocation, at: float) -> None:
        response = api_response(invocation)
        if response is None:
            return
        dims = self._api_dimensions.get(invocation.scenario.name, {}).get(response.api)
        if dims is None:
            return
        # HTTP APIs name their error metrics 4xx/5xx; REST APIs 4XXError/5XXError
        server, client = ("5XXError", "4XXError") if response.api == "rest" else ("5xx", "4xx")
        self._add(at, API_GATEWAY, "Count", dims, "Count", 1.0)
        self._add(at, API_GATEWAY, server, dims, "Count", 1.0 if response.status >= 500 else 0.0)
        self._add(
            at, API_GATEWAY, client, dims, "Count", 1.0 if 400 <= response.status < 500 else 0.0
        )
        self._add(at, API_GATEWAY, "Latency", dims, "Milliseconds", response.latency_ms)
        self._add(
            at,
            API_GATEWAY,
            "IntegrationLatency",
            dims,
            "Milliseconds",
            response.integration_latency_ms,
        )

    def record_throttles(self, function_name: str, at: float, throttles: int) -> None:
        if throttles <= 0:
            return
        dims: Dimensions = (("FunctionName", function_name),)
        minute = int(at // 60) * 60
        key = (LAMBDA, "Throttles", dims, "Count")
        statistic = self._minutes[minute].setdefault(key, Statistic())
        statistic.count += throttles
        statistic.total += throttles
        statistic.minimum = min(statistic.minimum, 1.0)
        statistic.maximum = max(statistic.maximum, 1.0)

    def record_concurrency(self, function_name: str | None, at: float, concurrency: int) -> None:
        """A per-second sample; `function_name` None is the account-level series."""
        dims: Dimensions = () if function_name is None else (("FunctionName", function_name),)
        self._add(at, LAMBDA, "ConcurrentExecutions", dims, "Count", float(concurrency))

    def record_iterator_age(self, function_name: str, at: float, age_ms: float) -> None:
        dims: Dimensions = (("FunctionName", function_name),)
        self._add(at, LAMBDA, "IteratorAge", dims, "Milliseconds", age_ms)

    def complete(self, now: float) -> list[MetricDatum]:
        """Pop every minute that ended at least PUBLISH_LAG_SECONDS ago."""
        ready = sorted(
            minute for minute in self._minutes if minute + 60 + PUBLISH_LAG_SECONDS <= now
        )
        data: list[MetricDatum] = []
        for minute in ready:
            for (namespace, name, dims, unit), statistic in self._minutes.pop(minute).items():
                if name == "ConcurrentExecutions" and statistic.maximum <= 0:
                    continue
                data.append(MetricDatum(namespace, name, dims, minute, unit, statistic))
        return data
