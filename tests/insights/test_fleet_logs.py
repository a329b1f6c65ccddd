"""The fleet's log-only trouble: one Logs Insights scan every 15 minutes over the last 15 minutes
of every function nobody opened, 50 log groups a query, counted per function and family (the
query's meaning checked by the Insights evaluator over moto's events)."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest
from awsdouble import moto_streams
from awsfakes import parsed
from awsmoto import MotoAccount
from botocore.exceptions import ClientError
from insightsdouble import InsightsDouble

from lambdatop.aws.insights import MAX_GROUPS_PER_QUERY, Insights
from lambdatop.aws.pollers.fleet_logs import SCAN_EVERY_S, UNSUPPORTED_RECHECK_S, FleetLogPoller
from lambdatop.aws.session import Aws
from lambdatop.core.fleetlogs import API_CUT
from lambdatop.core.records import ErrorFamily, FunctionConfig
from lambdatop.core.store import Store

NOW = int(time.time())
RID = "8f5b3c2a-1d4e-4f6a-9b7c-0e2d4c6a8b10"


def _put(moto: MotoAccount, group: str, lines: list[tuple[int, str]]) -> None:
    logs = moto.client("logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/12/07/[$LATEST]abc")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="2026/12/07/[$LATEST]abc",
        logEvents=[
            {"timestamp": (NOW - ago) * 1000 + i, "message": message}
            for i, (ago, message) in enumerate(sorted(lines, reverse=True))
        ],
    )


async def _no_wait(_: float) -> None:
    return None


async def test_each_function_not_opened_gets_its_log_only_trouble_counted(
    moto: MotoAccount, aws: Aws
) -> None:
    pool = (
        f"2026-12-07T10:00:00.000Z\t{RID}\tERROR\tsqlalchemy.exc.TimeoutError: QueuePool limit of"
        " size 5 overflow 10 reached, connection timed out, timeout 30.00"
    )
    denied = (
        f"2026-12-07T10:00:01.000Z\t{RID}\tERROR\tAn error occurred (AccessDeniedException) when"
        " calling the GetSecretValue operation: User: arn:aws:sts::123456789012:assumed-role/x/y"
        " is not authorized to perform: secretsmanager:GetSecretValue"
    )
    timed_out = f"2026-12-07T10:00:02.000Z {RID} Task timed out after 30.03 seconds"
    long_report = (
        f"REPORT RequestId: {RID}\tDuration: 29512.33 ms\tBilled Duration: 29513 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 101 MB\t"
    )
    cannot_start = (
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named"
        " 'requests'"
    )
    _put(moto, "/aws/lambda/orders", [(60, pool), (120, pool), (180, pool), (240, denied)])
    full_tmp = (
        f"2026-12-07T10:00:03.000Z\t{RID}\tERROR\tOSError: [Errno 28] No space left on device"
    )
    _put(moto, "/aws/lambda/deployed", [(40, cannot_start), (50, cannot_start), (55, full_tmp)])
    # A line older than the scan's 15 minutes was counted by the scan before.
    _put(moto, "/aws/lambda/mailer", [(30, timed_out), (31, long_report), (20 * 60, pool)])
    _put(moto, "/aws/lambda/quiet", [(30, f"START RequestId: {RID} Version: $LATEST")])
    _put(moto, "/aws/lambda/opened", [(30, pool)])
    store = Store()
    store.set_inventory(
        FunctionConfig(n) for n in ("orders", "mailer", "quiet", "opened", "deployed")
    )
    double = InsightsDouble()
    await double.install(aws)
    poller = FleetLogPoller(Insights(aws, sleep=_no_wait), store, {"opened"}, lambda: NOW, _no_wait)

    assert await poller.tick() == SCAN_EVERY_S
    scan = store.log_trouble
    assert scan is not None
    assert scan.of("orders") == Counter({ErrorFamily.CONNECTION_POOL: 3, ErrorFamily.PERMISSION: 1})
    assert scan.of("mailer") == Counter({ErrorFamily.TIMEOUT: 1, API_CUT: 1})
    assert scan.of("deployed") == Counter(
        {ErrorFamily.INIT: 2, ErrorFamily.ENVIRONMENT_LIMIT: 1}
    ), "one count a line"
    assert scan.of("quiet") == Counter(), "scanned, nothing found"
    assert scan.of("opened") is None, "an opened function's own logs are read whole"
    assert scan.span_s == SCAN_EVERY_S
    (query,) = double.queries.values()
    assert sorted(query.groups) == [
        "/aws/lambda/deployed",
        "/aws/lambda/mailer",
        "/aws/lambda/orders",
        "/aws/lambda/quiet",
    ]
    assert query.end_s - query.start_s == SCAN_EVERY_S
    # Insights is billed by the bytes scanned: the session's cost says so.
    assert scan.bytes_scanned > 0
    assert aws.ledger.insights_bytes_scanned == scan.bytes_scanned
    assert aws.ledger.cost_usd > 0


def _report(rid: str, duration: float, used: int, init: float | None = None) -> str:
    cold = f"Init Duration: {init} ms\t" if init is not None else ""
    return (
        f"REPORT RequestId: {rid}\tDuration: {duration} ms\tBilled Duration: {int(duration) + 1}"
        f" ms\tMemory Size: 512 MB\tMax Memory Used: {used} MB\t{cold}"
    )


def _platform_report(rid: str, duration: float, used: int, init: float | None = None) -> str:
    metrics: dict[str, Any] = {
        "durationMs": duration,
        "billedDurationMs": int(duration) + 1,
        "memorySizeMB": 1024,
        "maxMemoryUsedMB": used,
    }
    if init is not None:
        metrics["initDurationMs"] = init
    record = {"requestId": rid, "metrics": metrics, "status": "success"}
    return json.dumps(
        {"time": "2026-12-07T10:00:00.000Z", "type": "platform.report", "record": record}
    )


async def test_a_function_not_opened_gets_its_memory_used_and_cold_starts_from_its_reports(
    moto: MotoAccount, aws: Aws
) -> None:
    # CloudWatch has no metric of memory used or of cold starts (without Lambda Insights): the
    # fleet's columns for a function nobody opened come from the same scan, in both log formats.
    rids = [f"8f5b3c2a-1d4e-4f6a-9b7c-0e2d4c6a8b{i:02d}" for i in range(6)]
    _put(
        moto,
        "/aws/lambda/encoder",
        [
            (50, _report(rids[0], 812.5, 488, init=930.2)),
            (40, _report(rids[1], 640.0, 501)),
            (30, _report(rids[2], 700.1, 497)),
            (20, f"2026-12-07T10:00:02.000Z {rids[3]} Task timed out after 30.03 seconds"),
            (19, _report(rids[3], 30031.0, 507)),
        ],
    )
    _put(
        moto,
        "/aws/lambda/json-api",
        [
            (40, _platform_report(rids[4], 31250.0, 212, init=1204.0)),
            (30, _platform_report(rids[5], 120.0, 230)),
        ],
    )
    _put(moto, "/aws/lambda/chatty", [(30, f"START RequestId: {RID} Version: $LATEST")])
    store = Store()
    store.set_inventory(FunctionConfig(n) for n in ("encoder", "json-api", "chatty"))
    await InsightsDouble().install(aws)
    poller = FleetLogPoller(Insights(aws, sleep=_no_wait), store, set(), lambda: NOW, _no_wait)

    await poller.tick()
    scan = store.log_trouble
    assert scan is not None
    encoder = scan.reports_of("encoder")
    assert encoder is not None
    assert (encoder.invocations, encoder.cold_starts) == (4, 1)
    assert (encoder.max_used_mb, encoder.size_mb) == (507, 512)
    assert encoder.cold_pct == 25.0
    # The 30 s timeout was cut by API Gateway too, were it behind one; its REPORT says both.
    assert scan.of("encoder") == Counter({ErrorFamily.TIMEOUT: 1, API_CUT: 1})
    json_api = scan.reports_of("json-api")
    assert json_api is not None
    assert (json_api.invocations, json_api.cold_starts) == (2, 1)
    assert (json_api.max_used_mb, json_api.size_mb) == (230, 1024)
    assert scan.of("json-api") == Counter({API_CUT: 1}), "a JSON report past 29 s is cut too"
    assert scan.reports_of("chatty") is None, "no REPORT line in the span: nothing to say"
    assert scan.of("chatty") == Counter()


async def test_a_fleet_of_120_functions_is_three_queries_of_at_most_50_groups(
    moto: MotoAccount, aws: Aws
) -> None:
    store = Store()
    store.set_inventory(FunctionConfig(f"fn-{i:03d}") for i in range(120))
    double = InsightsDouble()
    await double.install(aws)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    poller = FleetLogPoller(Insights(aws, sleep=_no_wait), store, set(), lambda: NOW, sleep)
    assert await poller.tick() == SCAN_EVERY_S
    # The three queries spread over the 15 minutes, not at once: the opened functions' tails
    # share the same CloudWatch Logs rate.
    assert slept == [SCAN_EVERY_S / 3, SCAN_EVERY_S / 3]
    sizes = sorted(len(q.groups) for q in double.queries.values())
    assert sizes == [20, MAX_GROUPS_PER_QUERY, MAX_GROUPS_PER_QUERY]
    assert aws.ledger.calls["logs.StartQuery"] == 3
    assert store.log_trouble is not None
    assert store.log_trouble.of("fn-119") == Counter()


async def test_nothing_is_scanned_before_the_functions_are_listed(aws: Aws) -> None:
    store = Store()
    poller = FleetLogPoller(Insights(aws, sleep=_no_wait), store, set(), lambda: NOW, _no_wait)
    assert await poller.tick() < 60
    assert store.log_trouble is None
    assert aws.ledger.total_calls == 0


async def test_a_backend_that_ignores_stats_gives_no_figure_rather_than_none(
    moto: MotoAccount, aws: Aws
) -> None:
    """An Insights that returns the events themselves (as moto's would) counted nothing: the
    fleet shows no figure, not "none"."""
    _put(moto, "/aws/lambda/orders", [(60, "Task timed out after 3.00 seconds")])
    store = Store()
    store.set_inventory([FunctionConfig("orders")])
    await InsightsDouble().install(aws)

    def events_only(**_: Any) -> Any:
        row = [{"field": "@timestamp", "value": "2026-12-07 10:00:00.000"}]
        row.append({"field": "@message", "value": "Task timed out after 3.00 seconds"})
        return parsed({"status": "Complete", "results": [row], "statistics": {}})

    logs = (await aws.client("logs")).meta.events
    logs.register_first("before-call.cloudwatch-logs.GetQueryResults", events_only)
    await FleetLogPoller(Insights(aws, sleep=_no_wait), store, set(), lambda: NOW, _no_wait).tick()
    assert aws.ledger.calls["logs.StartQuery"] == 1
    assert store.log_trouble is None


async def test_a_function_that_never_ran_has_no_log_group_and_costs_no_other_its_scan(
    moto: MotoAccount, aws: Aws
) -> None:
    """StartQuery fails a whole query when one of its groups does not exist ("Log group '...'
    does not exist for account ID '...'", ResourceNotFoundException): the group is left out,
    the query asked again, and the group not asked for again within the hour."""
    _put(moto, "/aws/lambda/orders", [(60, "Task timed out after 3.00 seconds")])
    store = Store()
    store.set_inventory([FunctionConfig("orders"), FunctionConfig("never-ran")])
    double = InsightsDouble()
    await double.install(aws)
    refused: list[str] = []

    def missing_groups(params: dict[str, Any] | None = None, **_: Any) -> Any:
        body = json.loads((params or {}).get("body") or b"{}")
        for group in body.get("logGroupNames") or []:
            if moto_streams(group) is None:
                refused.append(group)
                message = f"Log group '{group}' does not exist for account ID '123456789012'"
                return parsed(
                    {"Error": {"Code": "ResourceNotFoundException", "Message": message}}, 400
                )
        return None

    logs = (await aws.client("logs")).meta.events
    logs.register_first("before-call.cloudwatch-logs.StartQuery", missing_groups)
    clock = [float(NOW)]
    poller = FleetLogPoller(Insights(aws, sleep=_no_wait), store, set(), lambda: clock[0], _no_wait)
    await poller.tick()
    scan = store.log_trouble
    assert scan is not None
    assert scan.of("orders") == Counter({ErrorFamily.TIMEOUT: 1})
    assert scan.of("never-ran") is None, "not scanned: no figure"
    assert refused == ["/aws/lambda/never-ran"]
    clock[0] += SCAN_EVERY_S
    await poller.tick()
    assert refused == ["/aws/lambda/never-ran"], "known missing: not asked for again"
    assert [q.groups for q in double.queries.values()][-1] == ["/aws/lambda/orders"]


async def test_an_endpoint_that_cannot_run_the_scan_is_not_marked_failing(
    moto: MotoAccount, aws: Aws
) -> None:
    # moto's own Insights parser fails the scan's query with an HTML 500 page (the simulated
    # account of `--demo` is moto): no figure, and no "failing" for the whole session.
    _put(moto, "/aws/lambda/orders", [(60, f"START RequestId: {RID} Version: $LATEST")])
    store = Store()
    store.set_inventory([FunctionConfig("orders")])
    poller = FleetLogPoller(Insights(aws, sleep=_no_wait), store, set(), lambda: NOW, _no_wait)
    assert await poller.tick() == UNSUPPORTED_RECHECK_S
    assert store.log_trouble is None


async def test_a_server_error_from_aws_itself_is_still_trouble_to_retry(
    moto: MotoAccount, aws: Aws
) -> None:
    _put(moto, "/aws/lambda/orders", [(60, f"START RequestId: {RID} Version: $LATEST")])
    store = Store()
    store.set_inventory([FunctionConfig("orders")])

    def unavailable(**_: Any) -> Any:
        return parsed(
            {"Error": {"Code": "ServiceUnavailableException", "Message": "try again"}}, 503
        )

    (await aws.client("logs")).meta.events.register(
        "before-call.cloudwatch-logs.StartQuery", unavailable
    )
    poller = FleetLogPoller(Insights(aws, sleep=_no_wait), store, set(), lambda: NOW, _no_wait)
    with pytest.raises(ClientError):
        await poller.tick()
