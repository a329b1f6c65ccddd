"""Logs Insights over a source account's log group, from a monitoring account: StartQuery names
the group by its ARN in `logGroupIdentifiers` (never mixed with `logGroupNames`), and the scan
estimate reads its AWS/Logs metrics in its own account (the query's AccountId).

moto has no links between accounts and answers StartQuery for its own groups only: the request
as it goes on the wire is read by a botocore `before-send` hook, which answers it as AWS would.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from awsfakes import hook, parsed, response
from awsmoto import ACCOUNT, MotoAccount

from lambdatop.aws.insights import Insights
from lambdatop.aws.pollers.fleet_logs import FleetLogPoller
from lambdatop.aws.pollers.linked import linked_config
from lambdatop.aws.pollers.livetail import log_group_arn
from lambdatop.aws.session import Aws
from lambdatop.core.records import ErrorFamily, FunctionConfig
from lambdatop.core.store import Store

SOURCE = "222222222222"
OWN_GROUP = "/aws/lambda/billing"
SOURCE_GROUP = log_group_arn("us-east-1", SOURCE, "/aws/lambda/checkout")


class QueryLog:
    """StartQuery's bodies as sent, each answered with a query that completes at once."""

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []

    def start(self, request: Any = None, **_: Any) -> Any:
        self.started.append(json.loads(request.body))
        return response(200, {"queryId": f"q{len(self.started)}"})

    def results(self, request: Any = None, **_: Any) -> Any:
        row = [{"field": "lines", "value": "7"}]
        statistics = {"bytesScanned": 2048.0, "recordsMatched": 7.0, "recordsScanned": 90.0}
        return response(200, {"status": "Complete", "results": [row], "statistics": statistics})


async def _installed(aws: Aws) -> QueryLog:
    log = QueryLog()
    await hook(aws, "logs", "before-send.cloudwatch-logs.StartQuery", log.start)
    await hook(aws, "logs", "before-send.cloudwatch-logs.GetQueryResults", log.results)
    return log


async def test_a_source_account_s_group_is_queried_by_its_arn(moto: MotoAccount, aws: Aws) -> None:
    log = await _installed(aws)
    result = await Insights(aws).query([SOURCE_GROUP], "stats count() as lines", 0, 3600)
    assert log.started[0]["logGroupIdentifiers"] == [SOURCE_GROUP]
    assert "logGroupNames" not in log.started[0]
    assert result.rows == [{"lines": "7"}]
    assert aws.ledger.insights_bytes_scanned == 2048.0


async def test_a_query_of_both_accounts_groups_names_them_all_one_way(
    moto: MotoAccount, aws: Aws
) -> None:
    """A part with a source account's group sends every group as an identifier (a name is one
    too); a part of the monitoring account's groups alone is sent by name, as before."""
    log = await _installed(aws)
    await Insights(aws).query([OWN_GROUP, f"{SOURCE_GROUP}:*"], "stats count()", 0, 3600)
    await Insights(aws).query([OWN_GROUP], "stats count()", 0, 3600)
    mixed, own = log.started
    assert mixed["logGroupIdentifiers"] == [OWN_GROUP, SOURCE_GROUP], "no trailing :*"
    assert "logGroupNames" not in mixed
    assert own["logGroupNames"] == [OWN_GROUP]
    assert "logGroupIdentifiers" not in own


async def test_the_scan_estimate_reads_a_source_account_s_volume_in_its_account(
    moto: MotoAccount, aws: Aws
) -> None:
    asked: list[dict[str, Any]] = []

    def metric_data(params: dict[str, Any], **_: Any) -> Any:
        queries = json.loads(params["body"])["MetricDataQueries"]  # the request as sent
        asked.extend(queries)
        values = [{"Id": q["Id"], "Values": [1024.0]} for q in queries]
        return parsed({"MetricDataResults": values})

    await hook(aws, "cloudwatch", "before-call.monitoring.GetMetricData", metric_data)
    estimate = await Insights(aws).estimate([OWN_GROUP, SOURCE_GROUP], 0, 3600)
    by_group = {
        (q["MetricStat"]["Metric"]["Dimensions"][0]["Value"], q.get("AccountId")) for q in asked
    }
    assert by_group == {(OWN_GROUP, None), ("/aws/lambda/checkout", SOURCE)}
    assert estimate.bytes == 2048.0


async def test_the_fleet_s_log_scan_counts_a_source_account_s_function_under_its_name(
    moto: MotoAccount, aws: Aws
) -> None:
    """A monitoring account's fleet scan names the source account's group by ARN, and a row's
    `@log` (`account-id:log-group-name`) finds the function again, beside the monitoring
    account's own function of the same name."""
    log = QueryLog()

    def results(request: Any = None, **_: Any) -> Any:
        rows = [
            [
                {"field": "@log", "value": f"{at}:/aws/lambda/checkout"},
                {"field": "trouble", "value": "AccessDenied"},
                {"field": "lines", "value": str(lines)},
            ]
            for at, lines in ((SOURCE, 3), (ACCOUNT, 1))
        ]
        return response(200, {"status": "Complete", "results": rows, "statistics": {}})

    await hook(aws, "logs", "before-send.cloudwatch-logs.StartQuery", log.start)
    await hook(aws, "logs", "before-send.cloudwatch-logs.GetQueryResults", results)
    store = Store()
    linked = linked_config("us-east-1", "checkout", SOURCE)
    store.set_inventory([FunctionConfig("checkout"), linked])

    async def no_wait(_: float) -> None:
        return None

    poller = FleetLogPoller(Insights(aws, sleep=no_wait), store, set(), lambda: 1e9, no_wait)
    await poller.tick()
    (started,) = log.started
    assert sorted(started["logGroupIdentifiers"]) == ["/aws/lambda/checkout", SOURCE_GROUP]
    scan = store.log_trouble
    assert scan is not None
    assert scan.of(linked.name) == Counter({ErrorFamily.PERMISSION: 3})
    assert scan.of("checkout") == Counter({ErrorFamily.PERMISSION: 1})
