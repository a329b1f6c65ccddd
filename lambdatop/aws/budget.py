"""What watching a region costs: AWS requests an hour per API and estimated dollars an hour, for
a fleet of any size, against the account's quotas. Pure arithmetic over the pollers' own
cadences and batch sizes (imported, never copied), so the model moves when the code does.

The scenario is an on-call engineer's: the fleet screen open on a region of `functions`
functions, `opened` of them opened (one on screen, the rest followed off screen), logs followed
by polling (Live Tail, opt-in, is priced on a row of its own). Where the code has no figure
(how much a function logs, how many traces a read returns) the assumption is a parameter of
`Usage`, shown with the table.

Quotas and prices, per account and region (shared/reference/aws-apis.md; CloudWatch service
quotas: GetMetricData "50 TPS per Region", "10 TPS per Region for operations that include
Metrics Insights queries"; CloudWatch Logs quotas: FilterLogEvents 5 TPS, Insights 30
concurrent queries and 50 log groups a query; Lambda: 15 TPS for the control plane's reads).

Who pays: every request is billed to the account whose credentials make it, so in a CloudWatch
cross-account monitoring account (`--linked-accounts`) what lambdatop reads of the source
accounts' functions (their metrics, their log groups' listing and Insights scans) is the
monitoring account's bill, and the model counts it there (`Usage.linked_functions`). The
source accounts pay what they paid before lambdatop: `SOURCE_ACCOUNT_COSTS`, outside the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lambdatop.aws import insights
from lambdatop.aws.ledger import (
    PRICE_PER_INSIGHTS_BYTE,
    PRICE_PER_LIVE_TAIL_MINUTE,
    PRICE_PER_METRIC,
    PRICE_PER_TRACE,
)
from lambdatop.aws.monitor import (
    FOCUSED_LOG_INTERVAL,
    LIVE_TAIL_SESSIONS,
    OTHER_LOG_INTERVAL,
    OTHER_TRACES_SLOWER,
)
from lambdatop.aws.pacing import SERVICE_RATES
from lambdatop.aws.pollers import fleet_logs
from lambdatop.aws.pollers import metrics as metric_poller
from lambdatop.aws.pollers.inventory import InventoryPoller
from lambdatop.aws.pollers.logs import MAX_RUNS, NAMED_PERIOD_MS, PROBE_PERIOD_MS
from lambdatop.aws.pollers.traces import MAX_PAGES, TracesPoller
from lambdatop.core.fleet import FUNCTIONS_PAGE, list_every_s

SOURCE_ACCOUNT_COSTS = (
    "ingesting and storing their own logs, metrics and traces (lambdatop adds none)",
    "trace copies to a second and further monitoring accounts",
)
"""What lands on the source accounts, not the monitoring account lambdatop runs in: none of it
lambdatop's requests. The CloudWatch user guide (cross-account observability, Pricing): "Cross-
account observability in CloudWatch comes with no extra cost for logs and metrics, and the
first trace copy is free"; the X-Ray developer guide (cross-account tracing): copying a source
account's traces to the first monitoring account is free, copies to further monitoring
accounts are charged to each source account at standard pricing."""

HOUR_S = 3600.0
LINKED_GROUPS_PAGE = 50
"""DescribeLogGroups' page: "By default, this operation returns up to 50 log groups"."""
FLEET_SIZES = (10, 100, 1_000, 10_000)

QUOTAS_TPS: dict[str, float] = {
    "cloudwatch.GetMetricData": 50.0,
    "logs.FilterLogEvents": 5.0,
    "logs.StartQuery": 5.0,
    "logs.GetQueryResults": 5.0,
    "lambda (control plane)": 15.0,
}
"""Requests a second each API allows the whole account (the documentation's defaults).
GetMetricData with a Metrics Insights query: 10 TPS (`INSIGHTS_GET_METRIC_DATA_TPS`)."""
INSIGHTS_GET_METRIC_DATA_TPS = 10.0


@dataclass(frozen=True, slots=True)
class Usage:
    """How the region and the person behave: what the code cannot know."""

    functions: int
    opened: int = 3
    """Functions opened in this session: one on screen, the others followed off screen."""
    invocations_per_hour: float = 600.0
    """Per function, on average over the fleet (most functions of a big fleet are quiet)."""
    log_bytes_per_invocation: float = 1_000.0
    """START, END and REPORT lines (~350 bytes) and a few lines of the function's own."""
    traces_per_read: int = 20
    """Failed traces a GetTraceSummaries read returns (a failing function's minute)."""
    live_tail: bool = False
    deploys_per_hour: float = 1.0
    """Functions created, deleted or redeployed in the region an hour: each brings the next
    full listing forward (at most one a refresh)."""
    linked_functions: int = 0
    """Source accounts' functions a monitoring account lists with `--linked-accounts`: their
    log groups listed, their metrics read with AccountId and their logs scanned, all on the
    monitoring account's bill."""


@dataclass(slots=True)
class ApiLine:
    api: str
    requests_per_hour: float
    usd_per_hour: float = 0.0
    quota_tps: float | None = None
    billed: str = ""
    """What the dollars are for: `12,000 metrics`, `0.6 GB scanned`."""

    @property
    def tps(self) -> float:
        return self.requests_per_hour / HOUR_S

    @property
    def quota_share(self) -> float | None:
        """The share of the account's quota lambdatop uses on average (1.0 = all of it)."""
        return None if not self.quota_tps else self.tps / self.quota_tps


@dataclass(slots=True)
class Budget:
    usage: Usage
    lines: list[ApiLine] = field(default_factory=list)
    insights_concurrency: int = 0
    """Logs Insights queries lambdatop runs at once at most."""

    @property
    def requests_per_hour(self) -> float:
        return sum(line.requests_per_hour for line in self.lines)

    @property
    def usd_per_hour(self) -> float:
        return sum(line.usd_per_hour for line in self.lines)

    def service_per_second(self, service: str) -> float:
        """Requests a second to one service (`logs`): what its pacer bucket must carry."""
        return sum(line.tps for line in self.lines if line.api.startswith(f"{service}."))

    def over_quota(self) -> list[str]:
        """The APIs whose average rate would exceed the account's quota, and the concurrency."""
        over = [
            line.api
            for line in self.lines
            if line.quota_share is not None and line.quota_share > 1.0
        ]
        if self.insights_concurrency > insights.ACCOUNT_CONCURRENT_QUERIES:
            over.append("logs.StartQuery (concurrent queries)")
        return over


def log_requests_per_second(interval_s: float) -> float:
    """One polling tail's FilterLogEvents a second at a poll every `interval_s`: the head read
    each poll, the reads by name (up to MAX_RUNS - 1) every NAMED_PERIOD_MS at most, the probe
    every PROBE_PERIOD_MS."""
    named = (MAX_RUNS - 1) / max(interval_s, NAMED_PERIOD_MS / 1000)
    probe = 1 / max(interval_s, PROBE_PERIOD_MS / 1000)
    return 1 / interval_s + named + probe


def budget(usage: Usage) -> Budget:
    """Requests and dollars an hour, per API, for one fleet."""
    n = max(usage.functions, 0)
    linked = max(usage.linked_functions, 0)
    opened = min(usage.opened, n)
    off_screen = max(opened - 1, 0)
    result = Budget(usage)
    lines = result.lines

    # Lambda's control plane: the account's limits and usage (the change detector) and each
    # opened function's configuration, concurrency and event sources every refresh; the whole
    # listing (pages of FUNCTIONS_PAGE) less often as the fleet grows. A change the usage
    # figures show brings a listing forward: a deploy an hour costs one listing more.
    refreshes = HOUR_S / InventoryPoller.interval_s
    pages = max(1, math.ceil(n / FUNCTIONS_PAGE))
    listings = min(HOUR_S / list_every_s(n) + usage.deploys_per_hour, refreshes)
    lines.append(
        ApiLine(
            "lambda (control plane)",
            refreshes * (1 + 3 * opened) + listings * pages,
            quota_tps=QUOTAS_TPS["lambda (control plane)"],
        )
    )

    # GetMetricData: the opened functions every minute (basic and percentiles), the rest of
    # the fleet by expressions every few minutes.
    ticks = HOUR_S / metric_poller.MetricsPoller.interval_s
    watched_metrics, percentile_metrics = metric_poller.watched_queries(opened)
    watched_requests = math.ceil(watched_metrics / metric_poller.MAX_QUERIES) + (1 if opened else 0)
    fleet_size = n - opened
    big = n > metric_poller.SEARCH_SERIES
    every = metric_poller.FLEET_INSIGHTS_EVERY if big else metric_poller.MetricsPoller.fleet_every
    fleet_reads = ticks / every if fleet_size else 0.0
    fleet_requests = metric_poller.fleet_requests(n) * fleet_reads
    fleet_billed = metric_poller.fleet_metrics_billed(n) * fleet_reads
    if linked:
        # LinkedMetricsPoller: a query a metric a source account's function (no SEARCH reaches
        # another account), as often as the context's fleet is read.
        linked_every = (
            every
            if n + linked <= metric_poller.SEARCH_SERIES
            else (metric_poller.FLEET_INSIGHTS_EVERY)
        )
        linked_metrics = linked * len(metric_poller._FLEET_METRICS)
        fleet_requests += (
            ticks / linked_every * math.ceil(linked_metrics / metric_poller.MAX_QUERIES)
        )
        fleet_billed += ticks / linked_every * linked_metrics
    billed = ticks * (watched_metrics + percentile_metrics) + fleet_billed
    lines.append(
        ApiLine(
            "cloudwatch.GetMetricData",
            ticks * watched_requests + fleet_requests,
            billed * PRICE_PER_METRIC,
            INSIGHTS_GET_METRIC_DATA_TPS if big else QUOTAS_TPS["cloudwatch.GetMetricData"],
            f"{billed:,.0f} metrics",
        )
    )

    # Logs Insights first: the fleet's log-only trouble, every log group once a period (15
    # minutes, longer for a big fleet), its queries spread over the period; a source account's
    # groups are scanned with the monitoring account's own.
    groups = n + linked
    period = fleet_logs.scan_period_s(groups) if groups else float(fleet_logs.SCAN_EVERY_S)
    scans = HOUR_S / period
    queries = math.ceil(groups / insights.MAX_GROUPS_PER_QUERY) if groups else 0
    scanned = groups * usage.invocations_per_hour * usage.log_bytes_per_invocation
    scanned *= period / HOUR_S * scans
    scan_rate = scans * queries * (1 + fleet_logs.result_polls()) / HOUR_S
    # The source accounts' functions listed by their log groups (DescribeLogGroups with
    # includeLinkedAccounts, 50 a page), as often as a fleet of their number is listed.
    listing_rate = 0.0
    if linked:
        listing_rate = math.ceil(linked / LINKED_GROUPS_PAGE) / list_every_s(linked)

    # The opened functions' logs: polled, the one on screen fastest, within what the pacer's
    # CloudWatch Logs rate leaves after the scan's share.
    if not usage.live_tail:
        per_second = 0.0
        if opened:
            per_second = log_requests_per_second(FOCUSED_LOG_INTERVAL[0])
            per_second += off_screen * log_requests_per_second(OTHER_LOG_INTERVAL[0])
        per_second = min(per_second, SERVICE_RATES["logs"] - scan_rate - listing_rate)
        lines.append(
            ApiLine(
                "logs.FilterLogEvents",
                per_second * HOUR_S,
                quota_tps=QUOTAS_TPS["logs.FilterLogEvents"],
            )
        )
    else:
        sessions = min(opened, LIVE_TAIL_SESSIONS)
        minutes = sessions * HOUR_S / 60
        lines.append(
            ApiLine(
                "logs.StartLiveTail",
                0.0,
                minutes * PRICE_PER_LIVE_TAIL_MINUTE,
                billed=f"{minutes:,.0f} session minutes",
            )
        )

    # X-Ray: the opened functions' failed traces, every minute on screen, slower off it.
    reads = (HOUR_S / TracesPoller.interval_s) * (
        (1 if opened else 0) + off_screen / OTHER_TRACES_SLOWER
    )
    traces = reads * usage.traces_per_read
    lines.append(
        ApiLine(
            "xray.GetTraceSummaries",
            reads * min(MAX_PAGES, max(1, math.ceil(usage.traces_per_read / 100))),
            traces * PRICE_PER_TRACE,
            billed=f"{traces:,.0f} traces",
        )
    )

    lines.append(
        ApiLine(
            "logs.StartQuery",
            scans * queries,
            scanned * PRICE_PER_INSIGHTS_BYTE,
            QUOTAS_TPS["logs.StartQuery"],
            f"{scanned / 2**30:,.2f} GB scanned",
        )
    )
    lines.append(
        ApiLine(
            "logs.GetQueryResults",
            scans * queries * fleet_logs.result_polls(),
            quota_tps=QUOTAS_TPS["logs.GetQueryResults"],
        )
    )
    if linked:
        lines.append(ApiLine("logs.DescribeLogGroups (linked)", listing_rate * HOUR_S))
    # Spread over the period, a query rarely waits for another: at most the runner's share.
    result.insights_concurrency = min(queries, insights.CONCURRENT_QUERIES)
    return result


def table(sizes: tuple[int, ...] = FLEET_SIZES, **assumptions: object) -> list[str]:
    """The model as a Markdown table: requests and dollars an hour per API, per fleet size."""
    budgets = [budget(Usage(functions=n, **assumptions)) for n in sizes]  # type: ignore[arg-type]
    head = "| API (quota) | " + " | ".join(f"{n:,} functions" for n in sizes) + " |"
    out = [head, "|---|" + "---:|" * len(sizes)]
    for index, first in enumerate(budgets[0].lines):
        quota = f" ({first.quota_tps:g} TPS)" if first.quota_tps else ""
        cells = []
        for each in budgets:
            line = each.lines[index]
            cell = f"{line.requests_per_hour:,.0f}/h"
            if line.quota_share is not None:
                cell += f", {line.quota_share:.0%} of quota"
            if line.usd_per_hour:
                cell += f", ${line.usd_per_hour:.3f}/h ({line.billed})"
            cells.append(cell)
        out.append(f"| {first.api}{quota} | " + " | ".join(cells) + " |")
    out.append(
        "| **all** | "
        + " | ".join(f"**{b.requests_per_hour:,.0f}/h, ~${b.usd_per_hour:.3f}/h**" for b in budgets)
        + " |"
    )
    return out
