"""Pruning keeps moto bounded: driven by a fake clock, so an hour passes in seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from moto.cloudwatch.models import cloudwatch_backends
from moto.logs.models import LogEvent
from moto.xray.models import xray_backends

from lambdatop.demo.account import client, create_account
from lambdatop.demo.generator import PRUNE_EVERY_SECONDS, Generator, GeneratorSettings
from lambdatop.demo.scenarios import select_scenarios
from lambdatop.demo.server import MotoServer, reset_moto

RETENTION = 300.0
"""Longer than a metric minute takes to be published (60 s + lag), so the newest minute is kept
whatever second of the minute the test starts at."""


@pytest.fixture
def server() -> Iterator[MotoServer]:
    moto = MotoServer()
    moto.start()
    try:
        reset_moto(moto.endpoint_url)
        yield moto
    finally:
        moto.stop()


def test_pruning_bounds_streams_metrics_and_traces(server: MotoServer) -> None:
    scenarios = select_scenarios(["report-exporter", "webhook-relay"])
    provisioned = create_account(server.endpoint_url, scenarios)
    start = time.time() - 3600.0
    now = [start]
    settings = GeneratorSettings(speed=10.0, backfill_seconds=0.0, retention_seconds=RETENTION)
    generator = Generator(
        server.endpoint_url, scenarios, provisioned, settings, clock=lambda: now[0]
    )
    while now[0] < start + 900.0:
        now[0] += 5.0
        generator.advance(now[0])

    assert generator.stats.streams_deleted > 0
    oldest_allowed = (now[0] - RETENTION - PRUNE_EVERY_SECONDS - 5.0) * 1000
    logs = client("logs", server.endpoint_url)
    for scenario in scenarios:
        streams = logs.describe_log_streams(logGroupName=scenario.log_group)["logStreams"]
        assert streams
        assert all(s["lastEventTimestamp"] >= oldest_allowed for s in streams)

    cutoff = datetime.fromtimestamp(oldest_allowed / 1000, UTC).replace(tzinfo=None)
    # Whichever account and region moto filed them under, what it holds is recent.
    metric_data = [d for _, _, b in cloudwatch_backends.iter_backends() for d in b.metric_data]
    assert metric_data
    assert all(d.timestamp >= cutoff for d in metric_data)
    traces = {
        trace_id: trace
        for _, _, backend in xray_backends.iter_backends()
        for trace_id, trace in backend._segment_collection._traces.items()
    }
    local_cutoff = datetime.fromtimestamp(oldest_allowed / 1000)
    assert traces
    assert all(t["end_date"] >= local_cutoff for t in traces.values())
    # moto's registry of every instance it created is trimmed too (it would pin every event)
    tracked = LogEvent.instances_tracked  # type: ignore[attr-defined]
    assert len(tracked) < generator.publisher.events_written / 2
    # What the generator itself holds stays small too
    assert len(generator.outbox) < 500
