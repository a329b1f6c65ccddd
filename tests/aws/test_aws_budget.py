"""The cost and quota model: what watching 10 to 10,000 functions asks of AWS an hour, and what
it costs, from the pollers' own cadences. Requests must grow far slower than the fleet, no quota
may be exceeded at 10,000 functions, and the model must count what the pollers really send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import metricmath
import pytest
from awsfakes import hook
from awsmoto import MotoAccount

from bench.budget import BEGIN, END, block
from lambdatop.aws.budget import FLEET_SIZES, SOURCE_ACCOUNT_COSTS, Usage, budget
from lambdatop.aws.pacing import SERVICE_RATES
from lambdatop.aws.pollers.fleet_logs import SCAN_EVERY_S, scan_period_s
from lambdatop.aws.pollers.metrics import FLEET_INSIGHTS_EVERY, SEARCH_SERIES, MetricsPoller
from lambdatop.aws.session import Aws
from lambdatop.core.records import FunctionConfig
from lambdatop.core.store import Store

README = Path(__file__).resolve().parents[2] / "README.md"


def test_requests_grow_far_slower_than_the_fleet() -> None:
    small, large = budget(Usage(10)), budget(Usage(10_000))
    assert large.requests_per_hour <= 20 * small.requests_per_hour
    # Each function costs less and less as the fleet grows: the fleet is asked in batches.
    per_function = [budget(Usage(n)).requests_per_hour / n for n in FLEET_SIZES]
    assert per_function == sorted(per_function, reverse=True)
    assert per_function[-1] < per_function[0] / 100


def test_no_quota_is_exceeded_at_ten_thousand_functions() -> None:
    for opened in (1, 3, 9):
        for live_tail in (False, True):
            model = budget(Usage(10_000, opened=opened, live_tail=live_tail))
            assert model.over_quota() == [], (opened, live_tail)
            assert all(
                line.quota_share is None or line.quota_share <= 0.5 for line in model.lines
            ), "half of every quota stays for the account's other callers"
            # The tails and the fleet's Insights scan share lambdatop's CloudWatch Logs pacer.
            assert model.service_per_second("logs") <= SERVICE_RATES["logs"] + 1e-9


def test_a_big_fleet_costs_dollars_an_hour_not_tens() -> None:
    model = budget(Usage(10_000))
    assert 0.5 < model.usd_per_hour < 5.0
    by_api = {line.api: line for line in model.lines}
    assert by_api["logs.StartQuery"].usd_per_hour > 0, "Insights' bytes scanned are billed"
    live = budget(Usage(10, opened=3, live_tail=True))
    live_tail = {line.api: line for line in live.lines}["logs.StartLiveTail"]
    assert live_tail.usd_per_hour == 3 * 60 * 0.01


def test_the_readme_table_is_the_model() -> None:
    text = README.read_text(encoding="utf-8")
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")
    assert shown == "\n".join(block()), "run `python -m bench.budget README.md`"


async def _metric_requests(aws: Aws, functions: int, ticks: int) -> int:
    store = Store()
    store.set_inventory(FunctionConfig(f"fn-{i:05d}", timeout_s=3) for i in range(functions))
    sent: list[Any] = []

    def count(**kwargs: Any) -> None:
        sent.append(kwargs)

    # Counted before the double answers (the first handler that answers ends the call's hooks).
    await hook(aws, "cloudwatch", "before-call.cloudwatch.GetMetricData", count)
    await metricmath.install(aws)
    poller = MetricsPoller(aws, store, set(), lambda: 900.0)
    for _ in range(ticks):
        await poller.tick()
    return len(sent)


@pytest.mark.parametrize("functions", [20, SEARCH_SERIES + 1])
async def test_the_model_counts_the_requests_the_metrics_poller_sends(
    moto: MotoAccount, aws: Aws, functions: int
) -> None:
    """Fifteen minutes of ticks, a small fleet (SEARCH) and one beyond 500 (Metrics
    Insights): the poller's requests are the model's, to the request."""
    ticks = FLEET_INSIGHTS_EVERY
    model = {line.api: line for line in budget(Usage(functions, opened=0)).lines}
    expected = model["cloudwatch.GetMetricData"].requests_per_hour * ticks / 60
    assert await _metric_requests(aws, functions, ticks) == round(expected)


def test_a_big_fleet_s_logs_are_scanned_less_often_not_at_the_tail_s_expense() -> None:
    """The scan's queries take at most a fifth of the logs rate: a fleet of 10,000 is scanned
    every 40 minutes rather than 15, and the function on screen keeps most of its tail."""
    small, large = budget(Usage(10)), budget(Usage(10_000))
    tail = {line.api: line for line in small.lines}["logs.FilterLogEvents"].tps
    kept = {line.api: line for line in large.lines}["logs.FilterLogEvents"].tps
    assert kept >= 0.8 * tail
    assert scan_period_s(10) == SCAN_EVERY_S
    assert scan_period_s(10_000) > SCAN_EVERY_S


def test_the_control_plane_is_not_asked_more_for_a_bigger_fleet_than_for_a_thousand() -> None:
    """ListFunctions is 200 pages at 10,000 functions: listed in full every 50 minutes (and
    when the account's usage figures move), not every five, the Lambda control plane is asked
    less than twice what a fleet of 1,000 asks (it was seven times)."""
    control = [
        {line.api: line for line in budget(Usage(n)).lines}["lambda (control plane)"]
        for n in (1_000, 10_000)
    ]
    assert control[1].requests_per_hour < 2 * control[0].requests_per_hour
    assert control[1].quota_share is not None
    assert control[1].quota_share < 0.02


def test_a_monitoring_account_pays_for_what_it_reads_of_its_source_accounts() -> None:
    """With `--linked-accounts`, the source accounts' functions are read with the monitoring
    account's credentials: their metrics (a query a metric and function, with AccountId), their
    log groups' listing and their Insights scans are on the monitoring account's bill, in the
    model. What the source accounts pay (their own logs, metrics and traces, and trace copies
    past the first monitoring account) is none of lambdatop's requests, and named, not priced."""
    alone = budget(Usage(100))
    linked = budget(Usage(100, linked_functions=300))
    before = {line.api: line for line in alone.lines}
    after = {line.api: line for line in linked.lines}
    metrics_an_hour = 300 * 5 * 60 / MetricsPoller.fleet_every  # 5 fleet metrics a function
    assert after["cloudwatch.GetMetricData"].usd_per_hour == pytest.approx(
        before["cloudwatch.GetMetricData"].usd_per_hour + metrics_an_hour * 0.01 / 1000
    )
    assert after["logs.StartQuery"].usd_per_hour > before["logs.StartQuery"].usd_per_hour
    assert after["logs.DescribeLogGroups (linked)"].requests_per_hour == 12 * 6  # 50 a page
    assert "logs.DescribeLogGroups (linked)" not in before
    assert [cost.split()[0] for cost in SOURCE_ACCOUNT_COSTS] == ["ingesting", "trace"]
    # A monitoring account of 10,000 functions watching 10,000 more stays inside every quota.
    big = budget(Usage(10_000, linked_functions=10_000))
    assert big.over_quota() == []
    assert big.service_per_second("logs") <= SERVICE_RATES["logs"] + 1e-9
