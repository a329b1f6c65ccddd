"""CloudWatch Logs Insights: aggregate questions answered where the logs already are.

`Insights(aws).query(groups, query, start_s, end_s)` runs one query over any number of log
groups: StartQuery for each 50 of them, GetQueryResults until the query ends, the rows of every
part merged, the bytes each part scanned counted in the ledger (Insights is billed by them).
`estimate(...)` says beforehand how much a window holds, and `ScanLimit` refuses a scan above a
set amount unless the user allowed it.

One `Insights` per `Aws`: its semaphore is what keeps lambdatop inside the account's quota of
concurrent queries, which the user's dashboards and colleagues share.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from lambdatop.aws.errors import QuotaFull
from lambdatop.aws.session import Aws
from lambdatop.core.aggregate import (
    FAMILY_COUNTS,
    FAMILY_LINES,
    MEMORY_BY_ENVIRONMENT,
    REPORT_FIGURES,
    WindowFigures,
    family_line,
    size,
    window_figures,
)
from lambdatop.core.timeutil import human_duration

MAX_GROUPS_PER_QUERY = 50
"""StartQuery's logGroupNames: "You can include up to 50 log groups" (API reference)."""
ACCOUNT_CONCURRENT_QUERIES = 30
"""StartQuery (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/
API_StartQuery.html): "You can have up to 30 concurrent CloudWatch Logs insights queries,
including queries that have been added to dashboards." (The console's query-history page now
says 100; the API reference's 30 is the one lambdatop builds for.) A StartQuery over it answers
LimitExceededException: throttling (errors.THROTTLE_CODES), retried on the poller's backoff."""
CONCURRENT_QUERIES = 10
"""What lambdatop allows itself of that quota: a third, the rest is the user's dashboards'."""
MAX_ROWS = 10_000
"""StartQuery's limit: "The maximum number of log events to return in the query ... The
default is 10,000" (and the most it takes)."""
ENDED = frozenset({"Complete", "Failed", "Cancelled", "Timeout"})
"""GetQueryResults' status: "Cancelled, Complete, Failed, Running, Scheduled, Timeout, and
Unknown"; the first four are final. Running's rows are never taken for the answer: "If the value
of the Status field in the output is Running, this operation returns only partial results. If
you see a value of Scheduled or Running for the status, you can retry the operation later to see
the final results" (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/
API_GetQueryResults.html); Unknown is polled on too, up to `QUERY_DEADLINE_S`."""
QUERY_DEADLINE_S = 600.0
"""AWS stops a query after 60 minutes ("Queries time out after 60 minutes of runtime"); a
person at a prompt does not wait that long: after this lambdatop abandons the query."""
POLL_FIRST_S = 0.5
POLL_MAX_S = 4.0

Sleep = Callable[[float], Awaitable[None]]


class QueryFailed(RuntimeError):
    """The query ended without results (Failed, Cancelled, Timeout, or abandoned)."""


class ScanRefused(RuntimeError):
    """The scan would exceed the limit the user set; nothing was queried."""

    def __init__(self, estimate: ScanEstimate, limit: ScanLimit) -> None:
        self.estimate = estimate
        self.limit = limit
        super().__init__(
            f"an Insights scan of about {size(estimate.bytes or 0)} (~${estimate.usd:.2f})"
            f" {estimate.over()} is above the limit of {size(limit.max_bytes)}"
        )


@dataclass(frozen=True, slots=True)
class QueryResult:
    rows: list[dict[str, str]]
    """Each row as field -> value (Insights answers every value as text); `@ptr` left out."""
    bytes_scanned: float = 0.0
    records_matched: float = 0.0
    records_scanned: float = 0.0
    capped: bool = False
    """A part returned `MAX_ROWS` rows: there may be more than were returned."""
    queries: int = 0
    """StartQuery calls made (one per 50 groups)."""

    def number(self, row: int, name: str) -> float | None:
        """A row's field as a number, or None when absent or not a number."""
        return number(self.rows[row].get(name)) if row < len(self.rows) else None


@dataclass(frozen=True, slots=True)
class ScanEstimate:
    """What a window of some log groups holds, from AWS/Logs' own metrics."""

    bytes: float | None
    """IncomingBytes: "The volume of log events in uncompressed bytes uploaded to CloudWatch
    Logs" (the volume Insights scans); None when CloudWatch has no datapoints."""
    events: float | None
    """IncomingLogEvents: "The number of log events uploaded"."""
    span_s: float = 0.0
    groups: int = 0

    @property
    def usd(self) -> float:
        from lambdatop.aws.ledger import PRICE_PER_INSIGHTS_BYTE

        return (self.bytes or 0.0) * PRICE_PER_INSIGHTS_BYTE

    def over(self) -> str:
        groups = f"{self.groups:,} log groups" if self.groups != 1 else "1 log group"
        return f"over {human_duration(self.span_s)} of {groups}"


@dataclass(frozen=True, slots=True)
class ScanLimit:
    """The most one question may scan unless the user allowed more (`--max-scan`,
    `--allow-scan`; the TUI asks)."""

    max_bytes: float = 5 * 2**30
    allowed: bool = False

    def permits(self, estimate: ScanEstimate) -> bool:
        """Unknown volumes are permitted: the metric lags ingestion by minutes, and a window
        CloudWatch has no figure for holds little."""
        return self.allowed or estimate.bytes is None or estimate.bytes <= self.max_bytes

    def check(self, estimate: ScanEstimate) -> None:
        if not self.permits(estimate):
            raise ScanRefused(estimate, self)


def number(value: object) -> float | None:
    try:
        result = float(str(value))
    except ValueError:
        return None
    return result if math.isfinite(result) else None


@dataclass(slots=True)
class Insights:
    """Runs Insights queries for one `Aws`, at most `concurrency` at a time."""

    aws: Aws
    concurrency: int = CONCURRENT_QUERIES
    sleep: Sleep = asyncio.sleep
    deadline_s: float = QUERY_DEADLINE_S
    clock: Callable[[], float] = time.monotonic
    _slots: asyncio.Semaphore = field(init=False, repr=False)
    running: int = field(init=False, default=0)
    """lambdatop's own queries started and not ended: its share of the account's quota."""

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(min(self.concurrency, ACCOUNT_CONCURRENT_QUERIES))

    async def query(
        self,
        groups: Sequence[str],
        query: str,
        start_s: float,
        end_s: float,
        limit: int = MAX_ROWS,
    ) -> QueryResult:
        """Run `query` over `groups` between two epoch seconds (StartQuery takes seconds), 50
        groups a part, the parts at once within the semaphore; rows concatenated in part order.
        Raises QueryFailed, or what botocore raises (see errors.describe)."""
        names = list(dict.fromkeys(groups))
        if not names:
            return QueryResult([])
        parts = [
            names[i : i + MAX_GROUPS_PER_QUERY] for i in range(0, len(names), MAX_GROUPS_PER_QUERY)
        ]
        limit = max(1, min(limit, MAX_ROWS))
        results = await asyncio.gather(
            *(self._part(part, query, int(start_s), math.ceil(end_s), limit) for part in parts)
        )
        return QueryResult(
            rows=[row for result in results for row in result.rows],
            bytes_scanned=sum(r.bytes_scanned for r in results),
            records_matched=sum(r.records_matched for r in results),
            records_scanned=sum(r.records_scanned for r in results),
            capped=any(r.capped for r in results),
            queries=len(parts),
        )

    async def _part(
        self, groups: list[str], query: str, start_s: int, end_s: int, limit: int
    ) -> QueryResult:
        async with self._slots:
            try:
                started = await self.aws.call(
                    "logs",
                    "StartQuery",
                    **_groups_parameter(groups),
                    startTime=start_s,
                    endTime=max(end_s, start_s),
                    queryString=query,
                    limit=limit,
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "LimitExceededException":
                    raise QuotaFull(self._quota_words()) from error
                raise
            query_id = str(started["queryId"])
            self.running += 1
            try:
                answer = await self._wait(query_id)
            except BaseException:
                # Abandoned (deadline, Ctrl-C, the screen closed): stop it, so it does not hold
                # one of the account's concurrent queries for up to an hour. StopQuery changes
                # nothing the account holds (no log, no setting): it ends lambdatop's own query.
                await self._stop(query_id)
                raise
            finally:
                self.running -= 1
        statistics = answer.get("statistics") or {}
        scanned = number(statistics.get("bytesScanned")) or 0.0
        self.aws.ledger.record_insights(scanned)
        status = str(answer.get("status"))
        if status != "Complete":
            raise QueryFailed(f"the Logs Insights query ended {status.lower()}")
        rows = [_row(fields) for fields in answer.get("results") or []]
        return QueryResult(
            rows=rows,
            bytes_scanned=scanned,
            records_matched=number(statistics.get("recordsMatched")) or 0.0,
            records_scanned=number(statistics.get("recordsScanned")) or 0.0,
            capped=len(rows) >= limit,
            queries=1,
        )

    def _quota_words(self) -> str:
        """StartQuery's LimitExceededException, as the quota it is: "You can have up to 30
        concurrent CloudWatch Logs insights queries, including queries that have been added to
        dashboards" (API_StartQuery); lambdatop knows its own share, not who holds the rest."""
        mine = self.running
        whose = f": {mine} by lambdatop, the rest" if mine else ""
        return (
            f"Logs Insights allows {ACCOUNT_CONCURRENT_QUERIES} concurrent queries per account and"
            f" region and {self.aws.region}'s are all taken{whose} by others (colleagues,"
            " dashboards)"
        )

    async def _wait(self, query_id: str) -> dict[str, Any]:
        """GetQueryResults until the query ends, polling less often as it runs on."""
        deadline = self.clock() + self.deadline_s
        pause = POLL_FIRST_S
        while True:
            answer = await self.aws.call("logs", "GetQueryResults", queryId=query_id)
            if str(answer.get("status")) in ENDED:
                return answer
            if self.clock() >= deadline:
                raise QueryFailed(
                    f"the Logs Insights query ran over {human_duration(self.deadline_s)}:"
                    " abandoned (a shorter window scans less)"
                )
            await self.sleep(pause)
            pause = min(POLL_MAX_S, pause * 2)

    async def _stop(self, query_id: str) -> None:
        try:
            await asyncio.shield(self.aws.call("logs", "StopQuery", queryId=query_id))
        except Exception:  # noqa: BLE001 - best effort: AWS ends it within the hour anyway
            return

    async def estimate(self, groups: Sequence[str], start_s: float, end_s: float) -> ScanEstimate:
        """The bytes and events the groups took in over the window: AWS/Logs' IncomingBytes and
        IncomingLogEvents (Sum, dimension LogGroupName), one GetMetricData for up to 250
        groups. Stamped at ingestion, they are close to (not exactly) what a query of event
        times scans. Raises what botocore raises."""
        names = list(dict.fromkeys(groups))
        span = max(60, math.ceil((end_s - start_s) / 60) * 60)
        totals = {"IncomingBytes": 0.0, "IncomingLogEvents": 0.0}
        seen = {"IncomingBytes": False, "IncomingLogEvents": False}
        for first in range(0, len(names), 250):
            queries = [
                _volume_query(
                    f"{'b' if metric == 'IncomingBytes' else 'e'}{first + i}", name, metric, span
                )
                for i, name in enumerate(names[first : first + 250])
                for metric in totals
            ]
            token: str | None = None
            while True:
                extra = {"NextToken": token} if token else {}
                answer = await self.aws.call(
                    "cloudwatch",
                    "GetMetricData",
                    MetricDataQueries=queries,
                    StartTime=int(start_s),
                    EndTime=int(start_s) + span,
                    **extra,
                )
                for series in answer.get("MetricDataResults") or []:
                    metric = (
                        "IncomingBytes"
                        if str(series.get("Id", "")).startswith("b")
                        else ("IncomingLogEvents")
                    )
                    values = [number(v) or 0.0 for v in series.get("Values") or []]
                    if values:
                        seen[metric] = True
                        totals[metric] += sum(values)
                token = answer.get("NextToken")
                if not token:
                    break
        return ScanEstimate(
            bytes=totals["IncomingBytes"] if seen["IncomingBytes"] else None,
            events=totals["IncomingLogEvents"] if seen["IncomingLogEvents"] else None,
            span_s=end_s - start_s,
            groups=len(names),
        )


def _groups_parameter(groups: list[str]) -> dict[str, list[str]]:
    """StartQuery's groups: by name, or, where one is a source account's (given by its ARN),
    all as identifiers. StartQuery's logGroupIdentifiers: "You can specify them by the log
    group name or ARN. If a log group that you're querying is in a source account and you're
    using a monitoring account, you must specify the ARN of the log group here", "Don't include
    an * at the end"; and "A StartQuery operation must include exactly one of the following
    parameters: logGroupName, logGroupNames, or logGroupIdentifiers" (API reference)."""
    if any(group.startswith("arn:") for group in groups):
        return {"logGroupIdentifiers": [group.removesuffix(":*") for group in groups]}
    return {"logGroupNames": groups}


def _volume_query(query_id: str, group: str, metric: str, span: int) -> dict[str, Any]:
    """AWS/Logs' metric of a group: a source account's (by ARN) in its account, by AccountId:
    "If you are performing a GetMetricData operation in a monitoring account, use this to
    specify which account to retrieve this metric from" (MetricDataQuery)."""
    dimension = group
    account: dict[str, str] = {}
    if group.startswith("arn:"):
        # arn:partition:logs:region:account:log-group:NAME
        parts = group.removesuffix(":*").split(":", 6)
        dimension, account = parts[-1], {"AccountId": parts[4]}
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Logs",
                "MetricName": metric,
                "Dimensions": [{"Name": "LogGroupName", "Value": dimension}],
            },
            "Period": span,
            "Stat": "Sum",
        },
        **account,
    }


def _row(fields: object) -> dict[str, str]:
    """[{"field": "@duration", "value": "41.07"}, ...] -> {"@duration": "41.07", ...}."""
    row: dict[str, str] = {}
    if isinstance(fields, list):
        for cell in fields:
            if isinstance(cell, dict) and cell.get("field") not in (None, "@ptr"):
                row[str(cell["field"])] = str(cell.get("value", ""))
    return row


WINDOW_QUERIES = 4
"""Queries a window's count takes (`core.aggregate`): each scans the whole window."""


def count_scan(volume: ScanEstimate) -> ScanEstimate:
    """What counting a window of this volume scans: the window once per query."""
    scans = None if volume.bytes is None else volume.bytes * WINDOW_QUERIES
    return ScanEstimate(scans, volume.events, volume.span_s, volume.groups)


async def count_window(
    insights: Insights, group: str, start_ms: int, end_ms: int
) -> tuple[WindowFigures, list[tuple[int, str, str]]]:
    """One log group's window counted by Insights: its figures (memory per environment, the
    lines of each error family, too), and its error families' lines (epoch ms, stream,
    message), the oldest 10,000, for quoting. Raises QueryFailed, or what
    botocore raises."""
    start_s, end_s = start_ms / 1000, end_ms / 1000
    answers = await asyncio.gather(
        *(
            insights.query([group], query, start_s, end_s)
            for query in (REPORT_FIGURES, FAMILY_LINES, MEMORY_BY_ENVIRONMENT, FAMILY_COUNTS)
        )
    )
    report, lines, memory, counts = answers
    family = [line for row in lines.rows if (line := family_line(row)) is not None]
    figures = window_figures(
        report.rows,
        [message for _, _, message in family],
        start_ms=start_ms,
        end_ms=end_ms,
        family_lines_matched=int(lines.records_matched),
        bytes_scanned=sum(answer.bytes_scanned for answer in answers),
        environment_rows=memory.rows,
        family_rows=counts.rows,
    )
    return figures, family
