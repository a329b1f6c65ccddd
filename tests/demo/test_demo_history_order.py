"""The demo's monitor starts before the simulated account's whole history is written (issue 14):
what it reads first (every metric, the newest quarter hour of logs) is complete when it starts,
and the older minutes follow behind it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config

from lambdatop.demo.generator import RECENT_SECONDS
from lambdatop.demo.simulated_account import SimulatedAccount

BACKFILL = 25 * 60.0
"""Ten minutes older than the quarter hour written first."""


class HeldClock:
    """The wall clock, held on the generator's first look at it after the newest history is
    written (its third call: the start, the backfill's `now`, then between older steps)."""

    def __init__(self) -> None:
        self.calls = 0
        self.backfill_now = 0.0
        self.held = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> float:
        self.calls += 1
        now = time.time()
        if self.calls == 2:
            self.backfill_now = now
        if self.calls == 3:
            self.held.set()
            self.release.wait(120)
        return now


@pytest.fixture
def held() -> Iterator[tuple[SimulatedAccount, HeldClock]]:
    clock = HeldClock()
    account = SimulatedAccount()
    account.start(port=0, backfill_seconds=BACKFILL, seed=11, clock=clock)
    try:
        yield account, clock
    finally:
        clock.release.set()
        account.stop()


def _client(account: SimulatedAccount, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=account.endpoint_url,
        region_name=account.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def _events(logs: Any, account: SimulatedAccount, start_s: float, end_s: float) -> int:
    """Log events of every function stamped in [start_s, end_s)."""
    count = 0
    for scenario in account.scenarios:
        paginator = logs.get_paginator("filter_log_events")
        for page in paginator.paginate(
            logGroupName=scenario.log_group,
            startTime=int(start_s * 1000),
            endTime=int(end_s * 1000) - 1,
        ):
            count += len(page["events"])
    return count


def _invocations(cloudwatch: Any, account: SimulatedAccount, start_s: float, end_s: float) -> float:
    total = 0.0
    for name in account.function_names:
        answer = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName="Invocations",
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            StartTime=datetime.fromtimestamp(start_s, UTC),
            EndTime=datetime.fromtimestamp(end_s, UTC),
            Period=60,
            Statistics=["SampleCount"],
        )
        total += sum(point["SampleCount"] for point in answer["Datapoints"])
    return total


def test_the_monitor_starts_on_a_complete_quarter_hour_and_the_older_minutes_follow(
    held: tuple[SimulatedAccount, HeldClock],
) -> None:
    account, clock = held
    assert account.wait_until_recent(timeout=120)
    assert clock.held.wait(120)
    now = clock.backfill_now
    start = now - BACKFILL
    boundary = now - RECENT_SECONDS
    logs, cloudwatch = _client(account, "logs"), _client(account, "cloudwatch")

    # What the monitor reads first, when it starts
    recent_first = _events(logs, account, boundary + 60, now - 60)
    older_first = _events(logs, account, start, boundary - 60)
    invocations_first = _invocations(cloudwatch, account, start, now - 120)
    assert not account.generator.backfilled.is_set()

    clock.release.set()
    assert account.wait_until_backfilled(timeout=120)

    recent_whole = _events(logs, account, boundary + 60, now - 60)
    older_whole = _events(logs, account, start, boundary - 60)
    # The quarter hour was complete when the monitor could start, and so were the metrics (a
    # partial history never reads as a quiet function)...
    assert recent_first == recent_whole > 0
    assert invocations_first == _invocations(cloudwatch, account, start, now - 120) > 0
    # ... and the older minutes were still being written behind it
    assert older_first < older_whole
