"""Exactly once, proven over many adversarial schedules against an oracle.

Each schedule is a log group written by a few streams (execution environments): several events in
one millisecond, batches shipped late (some past the sweep), batches overtaken within a stream,
streams that appear while the tail runs and go quiet, timestamps on whole seconds so that events
fall exactly on the sweep's edge and on a stream's cursor, pages of three events, empty pages
with a token before more ("This operation can return empty results while there are more log
events available through the token", FilterLogEvents), and
DescribeLogStreams fresh or as stale as AWS documents it may be (90 s, 10 min). The tail polls as
the monitor does; after the last batch the clock runs on until every hint has had time to land.
The oracle: every event ingested with a timestamp at or after the tail's start is delivered once,
and nothing else.

The group is the double's in-memory one (awsdouble.MemoryGroup), answered through the real
aiobotocore client's botocore stack: thousands of schedules in seconds. tests/aws/
test_aws_log_tail.py runs the same tail against moto.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from awsdouble import MemoryGroup
from awsfakes import FakeClock
from awsmoto import MotoAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdatop.aws.pollers.logs import LogTail
from lambdatop.aws.session import Aws
from lambdatop.core.records import LogEvent

GROUP = "/aws/lambda/orders"
T0 = 1_700_000_000
TAIL_BACK_MS = 20_000


@dataclass
class Batch:
    ship_s: int
    """Seconds after T0 when it is ingested."""
    stream: str
    timestamps: list[int]


Schedule = tuple[float, int, list[Batch], list[int], bool]
"""(metadata staleness s, page size, batches, extra poll times s, empty pages between pages)."""


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    stale_s = draw(st.sampled_from([0.0, 0.0, 90.0, 600.0]))
    page = draw(st.sampled_from([3, 10_000]))
    empty_pages = draw(st.booleans())
    batches: list[Batch] = []
    for index in range(draw(st.integers(1, 4))):
        name = f"2026/01/01/[$LATEST]{index:032x}"
        second = draw(st.integers(-25, 40))  # some write before the tail starts, some appear later
        shipped = -(10**9)
        newest = 0
        mine: list[Batch] = []
        for _ in range(draw(st.integers(1, 6))):
            second += draw(st.sampled_from([0, 1, 1, 2, 5, 40]))  # 40: quiet past the sweep
            offsets = draw(st.lists(st.sampled_from([0, 0, 1, 500, 999]), min_size=1, max_size=4))
            # In timestamp order within the stream; a batch may begin in its cursor's millisecond.
            stamps = sorted(max(newest, (T0 + second) * 1000 + offset) for offset in offsets)
            newest = stamps[-1]
            lag = draw(st.sampled_from([0, 1, 2, 5, 14, 31, 45, 100]))
            ship = max(shipped, second + 1 + lag)  # in order within the stream...
            shipped = ship
            mine.append(Batch(ship, name, stamps))
        if len(mine) > 1 and draw(st.booleans()):
            # ...except a batch overtaken by the next one, landing within the late window (one
            # landing after it, below the swept horizon, no reader of timestamps can find).
            at = draw(st.integers(0, len(mine) - 2))
            written_s = mine[at].timestamps[0] // 1000 - T0
            ship = min(mine[at + 1].ship_s + draw(st.sampled_from([1, 3, 20])), written_s + 25)
            if ship > mine[at + 1].ship_s:
                mine[at].ship_s = ship
        batches += mine
    polls = draw(st.lists(st.integers(0, 150), max_size=8))
    return stale_s, page, batches, polls, empty_pages


@pytest.fixture(scope="module")
def double_aws(moto_server: str) -> Iterator[tuple[asyncio.AbstractEventLoop, Aws]]:
    """One event loop and one `Aws` for every schedule (its requests never leave the process)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        loop = asyncio.new_event_loop()
        aws = Aws(MotoAccount(moto_server).target(), buckets={}, max_attempts=1)
        loop.run_until_complete(aws.client("logs"))
        yield loop, aws
        loop.run_until_complete(aws.close())
        loop.close()


async def run(aws: Aws, schedule: Schedule) -> tuple[Counter[str], set[str]]:
    stale_s, page, batches, extra, empty_pages = schedule
    clock = FakeClock(float(T0))
    group = MemoryGroup(GROUP, clock, stale_s=stale_s, page_size=page, empty_pages=empty_pages)
    client = await aws.client("logs")
    handlers = [
        ("before-call.cloudwatch-logs.FilterLogEvents", group.filter_log_events),
        ("before-call.cloudwatch-logs.DescribeLogStreams", group.describe),
    ]
    for event, handler in handlers:
        client.meta.events.register(event, handler)
    try:
        start_ms = T0 * 1000 - TAIL_BACK_MS
        tail = LogTail(aws, GROUP, start_ms, clock=clock)
        expected: set[str] = set()
        serial = 0
        last = max(b.ship_s for b in batches)
        # The tail polls when batches land, the second after, at the extra times, then as the
        # monitor slows down on a quiet group, until metadata as stale as 10 min has landed.
        times = {b.ship_s for b in batches} | {b.ship_s + 1 for b in batches} | set(extra)
        times |= set(range(last, last + 700, 100))
        delivered: Counter[str] = Counter()
        pending = sorted(batches, key=lambda b: b.ship_s)
        for second in [*sorted(t for t in times if t >= 0), last + 720]:
            clock.now = float(T0 + second)
            while pending and pending[0].ship_s <= second:
                batch = pending.pop(0)
                events = []
                for timestamp in batch.timestamps:
                    serial += 1
                    message = f"m{serial}"
                    events.append((timestamp, message))
                    if timestamp >= start_ms:
                        expected.add(message)
                group.put(batch.stream, events)
            # The backfill's newest pages are handed over early, each page in time order, all
            # newer than the rest the first poll returns.
            pages: list[list[LogEvent]] = []
            rest = await tail.poll(early=pages.append)
            early = [event for handed in pages for event in handed]
            for handed in pages:
                stamps = [event.timestamp_ms for event in handed]
                assert stamps == sorted(stamps), "a page handed over out of order"
            if early and rest:
                newest_rest = max(event.timestamp_ms for event in rest)
                assert newest_rest < min(event.timestamp_ms for event in early), "older, early"
            for event in early + rest:
                delivered[event.message] += 1
        return delivered, expected
    finally:
        for event, handler in handlers:
            client.meta.events.unregister(event, handler)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(schedule=schedules())
def test_every_event_exactly_once_whatever_the_schedule(
    schedule: Schedule,
    double_aws: tuple[asyncio.AbstractEventLoop, Aws],
) -> None:
    loop, aws = double_aws
    delivered, expected = loop.run_until_complete(run(aws, schedule))
    twice = sorted(m for m, n in delivered.items() if n > 1)
    assert not twice, f"delivered twice: {twice}"
    assert not set(delivered) - expected, "delivered what is not the group's since the start"
    assert sorted(expected - set(delivered)) == [], "lost"


def test_event_exactly_at_the_sweeps_edge_found_by_the_sweep(
    double_aws: tuple[asyncio.AbstractEventLoop, Aws],
) -> None:
    """A batch overtaken within its stream is below the stream's cursor: only the sweep finds
    it. Polled every second from T0, the sweep at 25 s reads up to T0 - 5,000 ms (its horizon, 30
    s back) and the one at 40 s from T0 - 4,999 ms: the event sits on that first millisecond."""
    loop, aws = double_aws
    stream = "2026/01/01/[$LATEST]" + "e" * 32
    overtaken = Batch(ship_s=10, stream=stream, timestamps=[T0 * 1000 - 4_999])
    overtaking = Batch(ship_s=1, stream=stream, timestamps=[T0 * 1000 - 4_000])
    schedule = (0.0, 10_000, [overtaken, overtaking], list(range(0, 45)), False)
    delivered, expected = loop.run_until_complete(run(aws, schedule))
    assert len(expected) == 2
    assert delivered == Counter(expected)
