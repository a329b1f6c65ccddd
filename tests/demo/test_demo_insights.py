"""Logs Insights in the simulated account: the fleet's log scan and the window's count that
lambdatop sends get AWS's answers, computed from the account's own events (moto's Insights
parser fails `stats` queries with a bare HTTP 500)."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdatop.aws.insights import Insights, count_window
from lambdatop.aws.pollers.fleet_logs import TROUBLE_QUERY, FleetLogPoller
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.core.aggregate import (
    FAMILY_COUNTS,
    FAMILY_LINES,
    MEMORY_BY_ENVIRONMENT,
    REPORT_FIGURES,
    window_figures,
)
from lambdatop.core.fleetlogs import API_CUT
from lambdatop.core.records import ErrorFamily, FunctionConfig
from lambdatop.core.store import Store
from lambdatop.demo.simulated_account import SimulatedAccount

sys.path.insert(0, str(Path(__file__).parent.parent / "insights"))
from evaluator import Event, evaluate  # the tests' own reading of the language

PERCENTILES = ("P50", "P99")
"""Insights documents `pct` only as "the relative standing of a value": the demo and the tests'
evaluator may pick neighbouring values."""


@pytest.fixture
async def product(account: SimulatedAccount) -> AsyncIterator[Aws]:
    aws = Aws(AwsTarget(region=account.region, endpoint_url=account.endpoint_url), buckets={})
    try:
        yield aws
    finally:
        await aws.close()


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


async def _no_wait(_: float) -> None:
    return None


async def test_the_fleet_scan_shows_each_incident_only_the_logs_tell(
    account: SimulatedAccount, product: Aws
) -> None:
    store = Store()
    store.set_inventory(FunctionConfig(name) for name in account.function_names)
    poller = FleetLogPoller(Insights(product, sleep=_no_wait), store, set(), sleep=_no_wait)

    await poller.tick()

    scan = store.log_trouble
    assert scan is not None, "a column that stays empty all session"
    assert scan.scanned == frozenset(account.function_names)
    assert scan.bytes_scanned > 0, "Insights is billed by the bytes scanned"
    pool = scan.of("payment-processor")
    assert pool is not None
    assert pool[ErrorFamily.CONNECTION_POOL] > 0
    assert pool[ErrorFamily.TIMEOUT] > 0
    denied = scan.of("report-exporter")
    assert denied is not None
    assert denied[ErrorFamily.PERMISSION] > 0
    memory = scan.of("video-encoder")
    assert memory is not None
    assert memory[ErrorFamily.OUT_OF_MEMORY] > 0
    cut = scan.of("checkout-api")
    assert cut is not None
    assert cut[API_CUT] > 0
    deploy = scan.of("webhook-relay")
    assert deploy is not None
    assert deploy[ErrorFamily.INIT] > 0, "a bad deploy's errors are only `none` to the metrics"
    assert scan.of("catalog-search") == {}, "the healthy function has none"


def _events(aws: Any, group: str, start_s: int, end_s: int) -> list[Event]:
    logs = aws("logs")
    events: list[Event] = []
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, startTime=start_s * 1000, endTime=end_s * 1000 + 999
    )
    for page in pages:
        events.extend(
            Event(group, e["logStreamName"], e["timestamp"], e["message"]) for e in page["events"]
        )
    return events


def _asked(aws: Any, groups: list[str], query: str, start_s: int, end_s: int) -> dict[str, Any]:
    logs = aws("logs")
    started = logs.start_query(
        logGroupNames=groups, startTime=start_s, endTime=end_s, queryString=query
    )
    return logs.get_query_results(queryId=started["queryId"])


def _without_percentiles(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if not k.endswith(PERCENTILES)} for row in rows]


@pytest.mark.parametrize(
    "query", [REPORT_FIGURES, FAMILY_LINES, MEMORY_BY_ENVIRONMENT, TROUBLE_QUERY]
)
def test_each_query_lambdatop_sends_is_answered_as_the_insights_evaluator_reads_it(
    account: SimulatedAccount, aws: Any, query: str
) -> None:
    end = int(time.time()) - 60  # the generator writes the last seconds late
    start = end - 10 * 60
    groups = ["/aws/lambda/payment-processor", "/aws/lambda/video-encoder"]
    answer = _asked(aws, groups, query, start, end)
    events = [e for g in groups for e in _events(aws, g, start, end)]

    rows = [{c["field"]: c["value"] for c in row} for row in answer["results"]]
    expected = evaluate(query, events)
    assert answer["status"] == "Complete"
    assert rows, "the incidents are in these groups' last 10 minutes"
    if query in (TROUBLE_QUERY, MEMORY_BY_ENVIRONMENT):  # groups come in no documented order
        rows.sort(key=str)
        expected.sort(key=str)
    assert _without_percentiles(rows) == _without_percentiles(expected)
    assert answer["statistics"]["recordsScanned"] == len(events)
    assert answer["statistics"]["bytesScanned"] == sum(len(e.message.encode()) for e in events)


def test_the_family_counts_are_the_demo_s_as_the_evaluator_counts_them(
    account: SimulatedAccount, aws: Any
) -> None:
    """`FAMILY_COUNTS` groups the lines by what the classifier reads of them (`parse` with
    `(?i)` and `(?i:...)` groups, a lookbehind, `concat` of `coalesce`s): the demo's Insights and
    the tests' evaluator give the same groups over the same events, so the same lines of each
    error family, and the incidents' families are among them."""
    end = int(time.time()) - 60  # the generator writes the last seconds late
    start = end - 10 * 60
    groups = ["/aws/lambda/payment-processor", "/aws/lambda/video-encoder"]
    answer = _asked(aws, groups, FAMILY_COUNTS, start, end)
    events = [e for g in groups for e in _events(aws, g, start, end)]

    rows = [{c["field"]: c["value"] for c in row} for row in answer["results"]]
    expected = evaluate(FAMILY_COUNTS, events)
    assert answer["status"] == "Complete"

    def families(rows: list[dict[str, str]]) -> dict[ErrorFamily, int]:
        figures = window_figures([], [], start_ms=start * 1000, end_ms=end * 1000, family_rows=rows)
        return {family: figures.family(family).lines for family in figures.families}

    counted = families(rows)
    assert counted == families(expected)
    assert counted[ErrorFamily.CONNECTION_POOL] > 0, "payment-processor's pool runs dry"
    assert counted[ErrorFamily.OUT_OF_MEMORY] > 0, "video-encoder is killed at its limit"
    # Group by group: rows of equal counts come in no documented order.
    assert sorted(rows, key=str) == sorted(expected, key=str)


async def test_the_window_count_of_the_monitor_works_on_the_demo(
    account: SimulatedAccount, product: Aws
) -> None:
    end_ms = int(time.time() * 1000)
    start_ms = end_ms - 30 * 60_000
    figures, lines = await count_window(
        Insights(product, sleep=_no_wait), "/aws/lambda/inventory-sync", start_ms, end_ms
    )
    assert figures.invocations > 0
    assert figures.timeouts > 0, "inventory-sync's tasks time out"
    assert figures.family(ErrorFamily.TIMEOUT).lines > 0
    assert figures.bytes_scanned > 0
    assert any("Task timed out" in message for _, _, message in lines)


def test_a_missing_group_and_a_query_outside_the_language_are_refused_as_aws_does(
    account: SimulatedAccount, aws: Any
) -> None:
    now = int(time.time())
    with pytest.raises(ClientError) as missing:
        _asked(aws, ["/aws/lambda/never-ran"], TROUBLE_QUERY, now - 60, now)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "Log group '/aws/lambda/never-ran' does not exist" in str(missing.value)
    with pytest.raises(ClientError) as malformed:
        _asked(aws, ["/aws/lambda/payment-processor"], "stats frobnicate(x)", now - 60, now)
    assert malformed.value.response["Error"]["Code"] == "MalformedQueryException"
    with pytest.raises(ClientError) as too_many:
        _asked(aws, [f"/aws/lambda/f{i}" for i in range(51)], TROUBLE_QUERY, now - 60, now)
    assert too_many.value.response["Error"]["Code"] == "InvalidParameterException"
