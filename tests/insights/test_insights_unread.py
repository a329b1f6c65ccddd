"""Error families over a window counted by Logs Insights, on the wire (`diagnose FUNCTION`'s
fetch against moto, Insights answered by the evaluator): the VPC check's network lines are the
window's, grouped as the classifier reads them, telemetry set apart; the invocations are those
of the lines read, a floor ('at least'); and a family of which no line was read (network, a
pool, denials, a database) is said so: not 'none', not another family's title, no crash.

Queries here return at most 40 rows (AWS: 10,000), so the window holds more error lines than
the family lines query returns, as a busy function's does."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Any

import awsseed
import pytest
from awsmoto import MotoAccount
from evaluator import Event, evaluate
from insightsdouble import InsightsDouble
from lambdalogs import Logs, py

from lambdatop.aws.fetch import InsightsChoice, InsightsMode, fetch_window
from lambdatop.aws.session import Aws
from lambdatop.commands.live import report_of
from lambdatop.core.aggregate import FAMILY_LINES
from lambdatop.diagnose.render import to_json
from lambdatop.diagnose.thresholds import Thresholds

FUNCTION = "checkout"
GROUP = f"/aws/lambda/{FUNCTION}"
ROWS = 40
STS = py(
    "ERROR",
    "botocore.exceptions.ConnectTimeoutError: Connect timeout on endpoint URL:"
    ' "https://sts.eu-west-1.amazonaws.com/"',
)
XRAY = py(
    "ERROR",
    "Failed to send segment to daemon at 169.254.79.129:2000: [Errno 111] Connection refused",
)
POOL = py(
    "ERROR",
    "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection"
    " timed out, timeout 30",
)
DENIED = py(
    "ERROR",
    "botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when calling"
    " the PutItem operation: User: arn:aws:sts::123456789012:assumed-role/checkout-role/checkout"
    " is not authorized to perform: dynamodb:PutItem on resource:"
    " arn:aws:dynamodb:us-east-1:123456789012:table/orders",
)
DATABASE = py(
    "ERROR",
    "psycopg2.OperationalError: could not connect to server: Connection refused\n\tIs the"
    ' server running on host "orders-db.cluster-c9x2.eu-west-1.rds.amazonaws.com" (10.0.3.17)'
    " and accepting TCP/IP connections on port 5432?",
)
THROTTLED = py(
    "ERROR",
    "botocore.exceptions.ClientError: An error occurred (ThrottlingException) when calling"
    " the PutEvents operation (reached max retries: 4): Rate exceeded",
)


def _written(moto: MotoAccount, runs: list[tuple[int, str, str | None]]) -> Logs:
    """Half an hour ago on: each (invocations, line, status) run in turn over three
    environments, then 200 healthy invocations; written into moto, stream by stream, and
    AWS/Logs saying the group took in more than is worth downloading."""
    awsseed.function(moto, FUNCTION, memory_mb=512, timeout_s=30)
    logs = Logs(function=FUNCTION, start_ms=int(time.time() * 1000) - 30 * 60_000)
    envs = [logs.stream() for _ in range(3)]
    for invocations, line, status in runs:
        for i in range(invocations):
            logs.invoke(envs[i % 3], app=[line], status=status, gap_ms=2_000)
    for i in range(200):
        logs.invoke(envs[i % 3], app=[py("INFO", "order accepted")], gap_ms=4_000)
    by_stream: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for event in logs.events:
        by_stream[event.stream].append((event.timestamp_ms, event.message))
    for stream, events in by_stream.items():
        awsseed.log_events(moto, GROUP, stream, events)
    minutes = awsseed.minutes_back(1)
    dims = {"LogGroupName": GROUP}
    awsseed.metric(moto, "AWS/Logs", "IncomingLogEvents", dims, [3_000_000], minutes)
    awsseed.metric(moto, "AWS/Logs", "IncomingBytes", dims, [2**30], minutes)
    return logs


def _returned(logs: Logs, words: str) -> int:
    """Of the error lines the family query returns (the oldest `ROWS`), those holding `words`
    (a few others hold a family's word by chance: `403` in a START line's request id)."""
    events = [Event(GROUP, e.stream, e.timestamp_ms, e.message) for e in logs.events]
    return sum(words in row["@message"] for row in evaluate(FAMILY_LINES, events)[:ROWS])


async def _check(aws: Aws, choice: InsightsChoice, check_id: str = "vpc") -> dict[str, Any]:
    """A check (the VPC's) of the JSON report `diagnose` prints for the last hour."""
    fetched = await fetch_window(aws, FUNCTION, 3600, insights=choice)
    report = json.loads(to_json(report_of(fetched, Thresholds())[0]))
    check: dict[str, Any] = next(c for c in report["checks"] if c["id"] == check_id)
    return check


async def test_the_window_s_network_lines_beyond_the_lines_read_are_counted(
    moto: MotoAccount, aws: Aws
) -> None:
    logs = _written(moto, [(45, STS, "error"), (30, XRAY, None)])
    await InsightsDouble(rows_at_most=ROWS).install(aws)
    raw = await _check(aws, InsightsChoice(InsightsMode.NEVER))

    counted = await _check(aws, InsightsChoice(sample_events=200))

    assert raw["evidence"][0] == "45 lines in 45 invocations (16 % of 275)"
    # The 45 lines are the window's; the 30 of the X-Ray daemon, network errors too, are not
    # the function's network (the lines the query returned are of the 45 and of no others).
    read = _returned(logs, "ConnectTimeoutError")
    assert 30 < read < 45
    assert counted["evidence"][0].startswith(f"45 lines in at least {read} invocations (at least")
    assert (counted["status"], counted["title"]) == (raw["status"], raw["title"])
    assert counted["title"] == (
        "Connections to sts time out from the function: no route to the AWS endpoint"
    )


UNREAD = [
    pytest.param(
        "vpc",
        STS,
        "Connections to sts time out",
        "Network errors in the window, none among the lines read",
        "20 lines in the window, none read",
        id="network",
    ),
    pytest.param(
        "connection_pool",
        POOL,
        "Connection pool exhausted: QueuePool limit",
        # It said 'The database refuses new connections: too many clients', which no line said.
        "Connection pool exhausted in the window, none of it among the lines read",
        "20 lines in the window, none read",
        id="pool",
    ),
    pytest.param(
        "permission",
        DENIED,
        "Access denied: dynamodb:PutItem",
        # It said 'No access denied in the logs'.
        "Access denied in the window, none of it among the lines read",
        "20 denials in the window, none read",
        id="permission",
    ),
    pytest.param(
        "database",
        DATABASE,
        "Database errors: could not connect to server",
        # The check could not run (it titled itself by the commonest line read).
        "Database errors in the window, none among the lines read",
        "20 lines in the window, none read",
        id="database",
    ),
]


@pytest.mark.parametrize(("check_id", "line", "raw_title", "title", "evidence"), UNREAD)
async def test_a_family_the_window_holds_none_of_it_read_is_said_so(
    moto: MotoAccount, aws: Aws, check_id: str, line: str, raw_title: str, title: str, evidence: str
) -> None:
    """The query returns the oldest error lines: here the throttling's, then the X-Ray
    daemon's (network errors, not the function's network); the family's 20 lines come after
    them and before the newest events downloaded. Its check says what the window holds, at the
    raw path's status, and names nothing it did not read."""
    _written(moto, [(50, THROTTLED, "error"), (30, XRAY, None), (20, line, "error")])
    await InsightsDouble(rows_at_most=ROWS).install(aws)
    raw = await _check(aws, InsightsChoice(InsightsMode.NEVER), check_id)

    counted = await _check(aws, InsightsChoice(sample_events=200), check_id)

    assert raw["title"].startswith(raw_title)
    assert counted["status"] == raw["status"] == "fail"
    assert (counted["title"], counted["evidence"][0]) == (title, evidence)
    assert not [said for said in counted["evidence"] if "sts" in said or "orders" in said]
