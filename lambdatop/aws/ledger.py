"""Count every AWS call and estimate what the session costs, from the published prices."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# US dollars, us-east-1 list prices (see shared/reference/aws-apis.md).
PRICE_PER_METRIC = 0.01 / 1000
"""GetMetricData: per metric requested (each query of a call), no free tier."""
PRICE_PER_TRACE = 0.50 / 1_000_000
"""X-Ray: per trace retrieved or scanned (after a free million a month; not deducted here)."""
PRICE_PER_LIVE_TAIL_MINUTE = 0.01
"""Live Tail: "Live Tail sessions incur charges by session usage time, per minute" (the AWS CLI
reference for start-live-tail); $0.01 a minute on the CloudWatch pricing page, after "1,800
minutes of Live Tail usage per month" free (not deducted here)."""
PRICE_PER_INSIGHTS_BYTE = 0.005 / 2**30
"""Logs Insights: $0.005 per GB of data scanned (shared/reference/aws-apis.md); a GB as AWS
bills it, 2^30 bytes."""


@dataclass(slots=True)
class Ledger:
    calls: Counter[str] = field(default_factory=Counter)
    """Calls per `service.Operation`, as lambdatop made them (retries not counted)."""
    attempts: int = 0
    """HTTP requests sent, retries included."""
    metrics_requested: int = 0
    """GetMetricData queries answered (each is a metric billed)."""
    traces_retrieved: int = 0
    events_downloaded: int = 0
    """Log events returned by FilterLogEvents, duplicates included."""
    live_tail_seconds: float = 0.0
    """Time Live Tail sessions were open, all sessions summed."""
    live_tail_sessions: int = 0
    """Live Tail sessions open now."""
    insights_queries: int = 0
    """Logs Insights queries that ended (each StartQuery's, whatever its status)."""
    insights_bytes_scanned: float = 0.0
    """What they scanned (`statistics.bytesScanned`), the figure Insights is billed by."""

    def record_call(self, service: str, operation: str, params: dict[str, object]) -> None:
        self.calls[f"{service}.{operation}"] += 1

    def record_answer(self, service: str, operation: str, params: dict[str, object]) -> None:
        """A call succeeded: what it is billed for (a failed GetMetricData is not)."""
        if operation == "GetMetricData":
            queries = params.get("MetricDataQueries")
            if isinstance(queries, list):
                self.metrics_requested += sum(
                    1 for q in queries if isinstance(q, dict) and q.get("ReturnData", True)
                )

    def record_attempt(self) -> None:
        self.attempts += 1

    def record_traces(self, n: int) -> None:
        self.traces_retrieved += n

    def record_events(self, n: int) -> None:
        self.events_downloaded += n

    def record_insights(self, bytes_scanned: float) -> None:
        self.insights_queries += 1
        self.insights_bytes_scanned += bytes_scanned

    def record_live_tail(self, seconds: float) -> None:
        self.live_tail_seconds += seconds

    def live_tail_opened(self) -> None:
        self.live_tail_sessions += 1

    def live_tail_closed(self) -> None:
        self.live_tail_sessions = max(0, self.live_tail_sessions - 1)

    @property
    def live_tail_usd_per_minute(self) -> float:
        """What the sessions open now cost, each minute they stay open."""
        return self.live_tail_sessions * PRICE_PER_LIVE_TAIL_MINUTE

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def cost_usd(self) -> float:
        return (
            self.metrics_requested * PRICE_PER_METRIC
            + self.traces_retrieved * PRICE_PER_TRACE
            + self.live_tail_seconds / 60 * PRICE_PER_LIVE_TAIL_MINUTE
            + self.insights_bytes_scanned * PRICE_PER_INSIGHTS_BYTE
        )

    def lines(self) -> list[str]:
        """A summary for a person: calls per operation and the estimated cost."""
        out = [f"{name}: {n:,}" for name, n in sorted(self.calls.items())]
        live = ""
        if self.live_tail_seconds:
            live = f", {self.live_tail_seconds / 60:,.1f} min of Live Tail"
        if self.insights_queries:
            live += (
                f", {self.insights_bytes_scanned / 2**30:,.2f} GB scanned by"
                f" {self.insights_queries:,} Insights queries"
            )
        out.append(
            f"{self.metrics_requested:,} metrics requested, {self.traces_retrieved:,} traces "
            f"retrieved{live}: about ${self.cost_usd:.4f}"
        )
        return out
