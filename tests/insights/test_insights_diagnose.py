"""`diagnose FUNCTION` over a window that holds more than is worth downloading: counted by Logs
Insights (answered by the evaluator over moto's events), its newest events read for quoting,
the same report as the raw path, the scan priced in the ledger, and a scan above the limit
refused with the flags that allow it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

import awsseed
import pytest
from awsmoto import MotoAccount
from insightsdouble import InsightsDouble
from lambdalogs import Logs, py

from lambdatop.aws.fetch import InsightsChoice, InsightsMode, fetch_window
from lambdatop.aws.insights import WINDOW_QUERIES, ScanLimit, ScanRefused
from lambdatop.aws.session import Aws
from lambdatop.commands.live import report_of
from lambdatop.diagnose.render import to_json
from lambdatop.diagnose.thresholds import Thresholds

FUNCTION = "checkout"
GROUP = f"/aws/lambda/{FUNCTION}"


def _incident(moto: MotoAccount, minutes_ago: int = 30) -> Logs:
    """A quarter of an hour of a function whose database pool runs dry early on, then times
    out, begun `minutes_ago`: written into moto, stream by stream."""
    awsseed.function(moto, FUNCTION, memory_mb=512, timeout_s=3)
    logs = Logs(function=FUNCTION, start_ms=int(time.time() * 1000) - minutes_ago * 60_000)
    pool = (
        "[ERROR]\t{ts}\t{rid}\tsqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow"
        " 10 reached, connection timed out, timeout 30"
    )
    envs = [logs.stream() for _ in range(3)]
    for i in range(30):
        logs.invoke(envs[i % 3], app=[pool], timeout_s=3, init_ms=300.0 if i < 3 else None)
    for i in range(200):
        logs.invoke(envs[i % 3], app=[py("INFO", "order accepted")], gap_ms=4_000)
    by_stream: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for event in logs.events:
        by_stream[event.stream].append((event.timestamp_ms, event.message))
    for stream, events in by_stream.items():
        awsseed.log_events(moto, GROUP, stream, events)
    return logs


def _volume(moto: MotoAccount, events: float, gigabytes: float) -> None:
    """What AWS/Logs says the group took in over the last half hour."""
    minutes = awsseed.minutes_back(1)
    dims = {"LogGroupName": GROUP}
    awsseed.metric(moto, "AWS/Logs", "IncomingLogEvents", dims, [events], minutes)
    awsseed.metric(moto, "AWS/Logs", "IncomingBytes", dims, [gigabytes * 2**30], minutes)


async def _report(
    moto: MotoAccount, aws: Aws, choice: InsightsChoice
) -> tuple[dict[str, Any], list[str]]:
    """The JSON report `diagnose` prints for the last hour, and its notes."""
    fetched = await fetch_window(aws, FUNCTION, 3600, insights=choice)
    diagnosis, notes = report_of(fetched, Thresholds())
    return json.loads(to_json(diagnosis)), notes


def _without_source(report: dict[str, Any]) -> dict[str, Any]:
    report["summary"].pop("figures_from", None)
    return report


async def test_a_window_too_big_to_download_is_counted_by_insights(
    moto: MotoAccount, aws: Aws
) -> None:
    _incident(moto)
    _volume(moto, events=3_000_000, gigabytes=1.0)
    await InsightsDouble().install(aws)
    raw, _ = await _report(moto, aws, InsightsChoice(InsightsMode.NEVER))
    assert aws.ledger.insights_queries == 0

    counted, notes = await _report(moto, aws, InsightsChoice(sample_events=200))

    assert aws.ledger.calls["logs.StartQuery"] == WINDOW_QUERIES
    assert aws.ledger.insights_bytes_scanned > 0
    source = counted["summary"]["figures_from"]
    assert source.startswith("figures over 60 min by CloudWatch Logs Insights")
    sample = int(source.split("lines quoted from the newest ")[1].split(" events, since ")[0])
    assert 200 <= sample < 1_000, "the newest minutes' events, whole minutes"
    assert counted["summary"]["invocations"] == raw["summary"]["invocations"] == 230
    assert counted["summary"]["timeouts"] == raw["summary"]["timeouts"] == 30
    # Every decision is the window's. The titles too, but for the lines read (logs) and the
    # failures' types, which only the lines tell (none of the 30 among the newest events).
    assert [c["status"] for c in counted["checks"]] == [c["status"] for c in raw["checks"]]
    titles = {c["id"]: c["title"] for c in counted["checks"]}
    expected = {c["id"]: c["title"] for c in raw["checks"]}
    assert titles["invocation_errors"] == "30 of 230 invocations failed (13 %)"
    assert expected["invocation_errors"].startswith(
        "30 of 230 invocations failed (13 %), most with"
    )
    for check in ("logs", "invocation_errors"):
        del titles[check], expected[check]
    assert titles == expected
    pool = next(c for c in counted["checks"] if c["id"] == "connection_pool")
    assert pool["status"] == "fail"  # its lines came before the newest 200 events
    assert notes == []


async def test_a_small_window_is_downloaded_not_counted(moto: MotoAccount, aws: Aws) -> None:
    _incident(moto)
    _volume(moto, events=1_200, gigabytes=0.001)
    double = InsightsDouble()
    await double.install(aws)
    report, _ = await _report(moto, aws, InsightsChoice())
    assert double.queries == {}
    assert "figures_from" not in report["summary"]
    assert report["summary"]["invocations"] == 230


async def test_a_count_above_the_scan_limit_is_refused_unless_allowed(
    moto: MotoAccount, aws: Aws
) -> None:
    _incident(moto)
    _volume(moto, events=40_000_000, gigabytes=4.0)  # four queries: 16 GB
    double = InsightsDouble()
    await double.install(aws)
    with pytest.raises(
        ScanRefused, match=r"about 16\.0 GB \(~\$0\.08\) over 60 min of 1 log group"
    ):
        await _report(moto, aws, InsightsChoice(limit=ScanLimit(5 * 2**30)))
    assert double.queries == {}, "nothing was queried"
    allowed, _ = await _report(moto, aws, InsightsChoice(limit=ScanLimit(5 * 2**30, allowed=True)))
    assert allowed["summary"]["invocations"] == 230


def test_the_command_refuses_a_scan_above_the_limit_and_names_the_flags(
    moto: MotoAccount,
) -> None:
    _incident(moto)
    _volume(moto, events=40_000_000, gigabytes=4.0)
    done = subprocess.run(
        [sys.executable, "-m", "lambdatop", "diagnose", FUNCTION, "--endpoint-url", moto.url],
        env=moto.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "lambdatop: an Insights scan of about 16.0 GB (~$0.08) over 60 min of 1 log group is above"
        " the limit of 5.0 GB: pass --allow-scan or a larger --max-scan, a shorter --since, or"
        " --insights never (the newest 1,000,000 events only)\n"
    )


def test_a_max_scan_that_is_no_size_is_a_usage_error(moto: MotoAccount) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lambdatop", "diagnose", FUNCTION, "--max-scan", "lots"],
        env=moto.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (
        2,
        "lambdatop: --max-scan: not a size: 'lots' (say 500MB, 5GB, 1TB)\n",
    )
