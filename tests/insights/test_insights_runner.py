"""Running Logs Insights queries: 50 groups a query, the parts merged, polled to the end, the
bytes scanned in the ledger and its cost, failures said in one line, and a scan limit."""

from __future__ import annotations

import asyncio
import time

import pytest
from awsmoto import MotoAccount
from insightsdouble import InsightsDouble

from lambdatop.aws.errors import QuotaFull, describe
from lambdatop.aws.insights import (
    CONCURRENT_QUERIES,
    MAX_GROUPS_PER_QUERY,
    Insights,
    QueryFailed,
    ScanEstimate,
    ScanLimit,
    ScanRefused,
)
from lambdatop.aws.session import Aws
from lambdatop.core.aggregate import parse_size
from lambdatop.core.sources import ErrorKind

NOW = int(time.time())


def _put(moto: MotoAccount, group: str, messages: list[str], at_s: int = NOW - 60) -> None:
    logs = moto.client("logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/12/07/[$LATEST]abc")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="2026/12/07/[$LATEST]abc",
        logEvents=[{"timestamp": at_s * 1000 + i, "message": m} for i, m in enumerate(messages)],
    )


def _report(i: int, duration: float) -> str:
    return (
        f"REPORT RequestId: 00000000-0000-0000-0000-{i:012d}\tDuration: {duration} ms\t"
        "Billed Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB\t"
    )


async def test_a_query_over_more_groups_than_one_query_takes_is_split_and_merged(
    moto: MotoAccount, aws: Aws
) -> None:
    groups = [f"/aws/lambda/f{i:03d}" for i in range(120)]
    for i, group in enumerate(groups):
        _put(moto, group, [_report(j, 10.0 * (i + 1)) for j in range(2)] + ["START x"])
    double = InsightsDouble()
    await double.install(aws)

    result = await Insights(aws).query(
        groups,
        'filter @type = "REPORT" | stats count() as n, max(@duration) as slowest by @log',
        NOW - 3600,
        NOW,
    )

    assert result.queries == 3  # 50 + 50 + 20
    assert sorted(len(q.groups) for q in double.queries.values()) == [20, 50, 50]
    assert all(len(q.groups) <= MAX_GROUPS_PER_QUERY for q in double.queries.values())
    assert len(result.rows) == 120
    by_group = {row["@log"].split(":", 1)[1]: row for row in result.rows}
    assert by_group["/aws/lambda/f119"] == {
        "@log": "123456789012:/aws/lambda/f119",
        "n": "2",
        "slowest": "1200",
    }
    assert aws.ledger.calls["logs.StartQuery"] == 3
    assert aws.ledger.insights_queries == 3
    assert aws.ledger.insights_bytes_scanned == result.bytes_scanned > 0


async def test_a_running_query_is_polled_until_complete(moto: MotoAccount, aws: Aws) -> None:
    _put(moto, "/aws/lambda/a", [_report(1, 5.0)])
    await InsightsDouble(running_polls=3).install(aws)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    result = await Insights(aws, sleep=sleep).query(
        ["/aws/lambda/a"], "stats count() as n", NOW - 600, NOW
    )
    assert result.rows == [{"n": "1"}]
    assert aws.ledger.calls["logs.GetQueryResults"] == 4
    assert pauses == [0.5, 1.0, 2.0]  # less often as it runs on


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "Timeout"])
async def test_a_query_that_ends_without_results_is_one_line(
    moto: MotoAccount, aws: Aws, status: str
) -> None:
    _put(moto, "/aws/lambda/a", [_report(1, 5.0)])
    await InsightsDouble(status=status).install(aws)
    with pytest.raises(QueryFailed) as failed:
        await Insights(aws).query(["/aws/lambda/a"], "stats count()", NOW - 600, NOW)
    assert describe(failed.value).message == (
        f"QueryFailed: the Logs Insights query ended {status.lower()}"
    )
    assert aws.ledger.insights_queries == 1  # what it scanned is billed all the same


async def test_a_query_past_its_deadline_is_stopped(moto: MotoAccount, aws: Aws) -> None:
    _put(moto, "/aws/lambda/a", [_report(1, 5.0)])
    double = InsightsDouble(running_polls=1_000)
    await double.install(aws)
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    insights = Insights(aws, sleep=sleep, deadline_s=30.0, clock=lambda: now[0])
    with pytest.raises(QueryFailed, match="ran over 30 s: abandoned"):
        await insights.query(["/aws/lambda/a"], "stats count()", NOW - 600, NOW)
    assert [q.stopped for q in double.queries.values()] == [True]
    assert aws.ledger.calls["logs.StopQuery"] == 1


async def test_rows_beyond_the_limit_are_said_to_be_capped(moto: MotoAccount, aws: Aws) -> None:
    _put(moto, "/aws/lambda/a", [_report(i, 5.0) for i in range(5)])
    await InsightsDouble().install(aws)
    insights = Insights(aws)
    capped = await insights.query(["/aws/lambda/a"], "fields @requestId", NOW - 600, NOW, limit=3)
    whole = await insights.query(["/aws/lambda/a"], "fields @requestId", NOW - 600, NOW, limit=10)
    assert (len(capped.rows), capped.capped) == (3, True)
    assert (len(whole.rows), whole.capped) == (5, False)


async def test_the_estimate_reads_what_the_groups_took_in(moto: MotoAccount, aws: Aws) -> None:
    cloudwatch = moto.client("cloudwatch")
    for group, volume in (("/aws/lambda/a", 3 * 2**30), ("/aws/lambda/b", 2**30)):
        for metric, value in (("IncomingBytes", volume), ("IncomingLogEvents", volume / 500)):
            cloudwatch.put_metric_data(
                Namespace="AWS/Logs",
                MetricData=[
                    {
                        "MetricName": metric,
                        "Dimensions": [{"Name": "LogGroupName", "Value": group}],
                        "Timestamp": NOW - 300,
                        "Value": value,
                    }
                ],
            )
    estimate = await Insights(aws).estimate(["/aws/lambda/a", "/aws/lambda/b"], NOW - 3600, NOW)
    assert estimate.bytes == 4 * 2**30
    assert estimate.events == 4 * 2**30 / 500
    assert estimate.usd == pytest.approx(0.02)
    assert aws.ledger.calls == {"cloudwatch.GetMetricData": 1}

    nothing = await Insights(aws).estimate(["/aws/lambda/quiet"], NOW - 3600, NOW)
    assert (nothing.bytes, nothing.events) == (None, None)


def test_the_scan_limit_refuses_above_its_amount_unless_allowed() -> None:
    big = ScanEstimate(bytes=8 * 2**30, events=4e7, span_s=12 * 3600, groups=1)
    small = ScanEstimate(bytes=2**30, events=5e6, span_s=3600, groups=1)
    unknown = ScanEstimate(bytes=None, events=None, span_s=3600, groups=1)
    limit = ScanLimit(max_bytes=parse_size("5GB"))
    assert limit.permits(small)
    assert limit.permits(unknown)
    assert not limit.permits(big)
    assert ScanLimit(limit.max_bytes, allowed=True).permits(big)
    with pytest.raises(ScanRefused) as refused:
        limit.check(big)
    assert str(refused.value) == (
        "an Insights scan of about 8.0 GB (~$0.04) over 12.0 h of 1 log group"
        " is above the limit of 5.0 GB"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5GB", 5 * 2**30), ("500 MB", 500 * 2**20), ("1.5tb", 1.5 * 2**40), ("2048", 2048.0)],
)
def test_sizes_are_read_as_people_write_them(text: str, expected: float) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "5 GBs", "-1GB", "five"])
def test_a_size_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


async def test_a_running_query_s_partial_results_are_never_taken_for_its_answer(
    moto: MotoAccount, aws: Aws
) -> None:
    """GetQueryResults: "If the value of the Status field in the output is Running, this
    operation returns only partial results. If you see a value of Scheduled or Running for the
    status, you can retry the operation later to see the final results"; Unknown ends nothing."""
    _put(moto, "/aws/lambda/a", [_report(i, 5.0 + i) for i in range(6)])
    await InsightsDouble(statuses_before=("Scheduled", "Running", "Unknown", "Running")).install(
        aws
    )

    async def sleep(seconds: float) -> None:
        return None

    result = await Insights(aws, sleep=sleep).query(
        ["/aws/lambda/a"], "fields @message", NOW - 600, NOW
    )
    assert len(result.rows) == 6, "every row of the finished query, not the partial three"
    assert aws.ledger.calls["logs.GetQueryResults"] == 5


async def test_the_account_s_concurrent_queries_are_shared_and_a_full_quota_slows_down(
    moto: MotoAccount, aws: Aws
) -> None:
    """The account's 30 concurrent queries include its dashboards': lambdatop runs at most its
    share at once, and a StartQuery refused for the quota (LimitExceededException) is said as
    AWS slowing it down, retried later, not a failure of the logs."""
    double = InsightsDouble(statuses_before=("Running",))
    await double.install(aws)

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(0)  # every part's query gets to start before any ends

    groups = [f"/aws/lambda/f{i}" for i in range(MAX_GROUPS_PER_QUERY * 12)]
    result = await Insights(aws, sleep=sleep).query(groups, "stats count()", NOW - 600, NOW)
    assert result.queries == 12
    assert double.most_running == CONCURRENT_QUERIES < double.concurrent_quota
    double.others_running = double.concurrent_quota  # colleagues' queries fill the quota
    with pytest.raises(QuotaFull) as refused:
        await Insights(aws, sleep=sleep).query(groups[:1], "stats count()", NOW - 600, NOW)
    trouble = describe(refused.value, "fleet logs")
    assert trouble.message == (
        "fleet logs: Logs Insights allows 30 concurrent queries per account and region and"
        " us-east-1's are all taken by others (colleagues, dashboards); retrying"
    )
    assert trouble.kind is ErrorKind.THROTTLED
    assert trouble.retry_soon
    # With lambdatop's own queries running, its share is said.
    double.others_running = double.concurrent_quota - 2
    insights = Insights(aws, sleep=sleep)
    with pytest.raises(QuotaFull) as refused:
        await insights.query(groups[: MAX_GROUPS_PER_QUERY * 3], "stats count()", NOW - 600, NOW)
    assert "all taken: 2 by lambdatop, the rest by others (colleagues, dashboards)" in str(
        refused.value
    )
