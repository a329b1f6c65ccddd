"""The log tail contract against moto: every event exactly once, across many streams, late and
out-of-order arrivals, streams that appear mid-tail and outages included, at a measured cost.

Time is a fake clock shared by the tail and by moto's log ingestion (see tailsim.py), so each
test says exactly when every batch lands and when the tail polls.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest
from awsfakes import FakeClock, error, hook
from awsmoto import MotoAccount
from tailsim import GROUP, Simulation, patch_moto_clock

from lambdatop.aws.pollers.logs import LogTail
from lambdatop.aws.session import Aws
from lambdatop.core.records import LogEvent


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(float(int(time.time())))


class Group:
    """A log group written at fake times (moto stamps ingestion with the fake clock)."""

    def __init__(self, moto: MotoAccount, clock: FakeClock, monkeypatch: pytest.MonkeyPatch):
        patch_moto_clock(clock, monkeypatch)
        self.logs = moto.client("logs")
        self.clock = clock
        self.t0_ms = int(clock() * 1000)
        self.serial = 0
        self.logs.create_log_group(logGroupName=GROUP)
        self.streams: set[str] = set()

    def put(self, stream: str, *offsets_ms: int) -> list[str]:
        """Events at T0 + each offset, ingested now; returns their messages."""
        if stream not in self.streams:
            self.logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
            self.streams.add(stream)
        messages = []
        for _ in offsets_ms:
            self.serial += 1
            messages.append(f"m{self.serial:05d} from {stream}")
        self.logs.put_log_events(
            logGroupName=GROUP,
            logStreamName=stream,
            logEvents=[
                {"timestamp": self.t0_ms + offset, "message": message}
                for offset, message in sorted(zip(offsets_ms, messages, strict=True))
            ],
        )
        return messages

    def at(self, second: float) -> None:
        self.clock.now = self.t0_ms / 1000 + second


class Delivered:
    """What a tail handed on, poll by poll."""

    def __init__(self, tail: LogTail) -> None:
        self.tail = tail
        self.counts: Counter[str] = Counter()
        self.poll_of: dict[str, int] = {}
        self.polls = 0

    async def poll(self) -> list[str]:
        self.polls += 1
        messages = [event.message for event in await self.tail.poll()]
        for message in messages:
            self.counts[message] += 1
            self.poll_of.setdefault(message, self.polls)
        return messages

    def exactly_once(self, expected: list[str]) -> None:
        assert not [m for m, n in self.counts.items() if n > 1], "delivered twice"
        assert sorted(self.counts) == sorted(expected)


async def test_busy_group_every_event_once_about_twice_downloaded_and_prompt(
    moto: MotoAccount,
    aws: Aws,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Any,
) -> None:
    """500 events/s over 12 streams; batches up to 20 s late; 6 batches overtaken within their
    stream; 4 streams appear mid-tail (one during the outage); the endpoint is down for 6
    polls. The figures are measured from what FilterLogEvents returned."""
    simulation = Simulation(moto, aws, clock)
    simulation.patch_moto_clock(monkeypatch)
    simulation.create()
    tail = LogTail(aws, GROUP, simulation.tail_start_ms, clock=clock)
    figures = await simulation.run(tail)
    record_property("tail_figures", figures.summary())
    print(f"\ntail: {figures.summary()}")

    assert figures.events > 20_000
    assert figures.failed_polls == 6, "the outage must make polls fail"
    # Exactly once.
    assert figures.missing == 0
    assert figures.duplicates == 0
    assert figures.unexpected == 0, "events older than the tail's start must not show"
    assert figures.delivered == figures.events
    # Thrift: on average no event downloaded more than 3 times (measured, not estimated).
    assert figures.downloads == aws.ledger.events_downloaded == tail.stats.downloaded
    assert figures.downloads_per_event <= 3.0, figures.summary()
    # The most any one event is downloaded: the head read, the reads by name across their runs,
    # the probe and the sweep.
    assert figures.max_downloads <= 24, figures.summary()
    # Within lambdatop's own pacing (2.5 requests/s each, half the quotas) at a 1 s cadence.
    assert figures.busy_per_poll("DescribeLogStreams") == 1.0, figures.summary()
    assert figures.busy_per_poll("FilterLogEvents") <= 2.5, figures.summary()
    # Promptness: most in-order events show in the first poll after they land, late or not, the
    # rest within a few (the late streams are read by name every other poll, a stream that
    # paused is read again after a backoff)...
    assert figures.within_one_poll >= 0.8, figures.summary()
    assert max(figures.latency_polls) <= 4, figures.summary()
    # ...events that landed during the outage in the first poll after it...
    assert set(figures.outage_latency_polls) == {0}, figures.summary()
    # ...and overtaken batches by the sweep, within the late window and a sweep period.
    assert figures.out_of_order_latency_s
    bound_s = (figures.late_window_ms + figures.sweep_period_ms) / 1000 + 2
    assert max(figures.out_of_order_latency_s) <= bound_s, figures.summary()
    # De-duplication memory stays bounded by the window, not by the events seen.
    assert 0 < figures.max_seen_ids < 500 * bound_s


async def test_stream_far_behind_shows_after_the_sweep_passed_its_events(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = Group(moto, clock, monkeypatch)
    tail = LogTail(aws, GROUP, group.t0_ms - 5_000, clock=clock, late_window_ms=10_000)
    seen = Delivered(tail)
    expected = group.put("a", -1_000) + group.put("b", -900)
    await seen.poll()
    for second in range(1, 41):
        group.at(second)
        expected += group.put("a", second * 1000 - 500)
        await seen.poll()
    assert tail.swept_until_ms > group.t0_ms + 20_000
    # Environment b's batches for seconds 5-10 land 30 s late, behind the swept horizon.
    group.at(41)
    late = group.put("b", *range(5_000, 10_000, 250))
    assert late[0] in (await seen.poll())
    seen.exactly_once(expected + late)
    assert all(seen.poll_of[m] == seen.polls for m in late), "late events show at once"


async def test_stream_appearing_with_old_events_is_read_from_its_first_event(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = Group(moto, clock, monkeypatch)
    tail = LogTail(aws, GROUP, group.t0_ms - 5_000, clock=clock, late_window_ms=10_000)
    seen = Delivered(tail)
    expected = group.put("a", 0)
    for second in range(1, 40):
        group.at(second)
        expected += group.put("a", second * 1000)
        await seen.poll()
    # A new environment whose first batch is 35 s old when it lands.
    group.at(40)
    newcomer = group.put("c", 5_000, 5_001, 6_000)
    await seen.poll()
    seen.exactly_once(expected + newcomer)
    assert {seen.poll_of[m] for m in newcomer} == {seen.polls}


async def test_overtaken_batch_is_delivered_once_by_the_sweep(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = Group(moto, clock, monkeypatch)
    tail = LogTail(aws, GROUP, group.t0_ms, clock=clock, late_window_ms=10_000)
    seen = Delivered(tail)
    await seen.poll()
    expected: list[str] = []
    overtaken: list[str] = []
    for second in range(1, 45):
        group.at(second)
        expected += group.put("a", (second - 1) * 1000 + 300)
        if second == 13:
            # Part of stream a's second 10 lands after its seconds 10 and 11 were read.
            overtaken = group.put("a", 10_100, 10_200)
            expected += overtaken
        await seen.poll()
    seen.exactly_once(expected)
    # The fast path reads a from its cursor (second 12), so only the sweep can find them.
    assert tail.stats.sweeps >= 2
    assert seen.poll_of[overtaken[0]] > 14


async def test_stream_beyond_the_first_describe_page_is_caught_by_the_sweep(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = Group(moto, clock, monkeypatch)
    tail = LogTail(aws, GROUP, group.t0_ms, clock=clock, late_window_ms=10_000)
    seen = Delivered(tail)
    await seen.poll()
    group.at(1)
    expected = [m for index in range(51) for m in group.put(f"busy-{index:02d}", 1_000)]
    await seen.poll()
    # A stream whose newest event is older than 51 others' ranks beyond the 50 Describe lists.
    group.at(2)
    hidden = group.put("hidden", 500)
    assert not await seen.poll()
    for second in range(3, 30):
        group.at(second)
        await seen.poll()
    seen.exactly_once(expected + hidden)
    assert seen.poll_of[hidden[0]] > 3, "found by the sweep, not the fast path"


async def test_poll_failing_part_way_loses_nothing_and_resumes(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = Group(moto, clock, monkeypatch)
    tail = LogTail(aws, GROUP, group.t0_ms, clock=clock, late_window_ms=10_000)
    seen = Delivered(tail)
    await seen.poll()
    failures = {"sweep": 0, "throttle": 0}

    def sweep_fails(request: Any = None, **_: Any) -> Any:
        body = request.body if isinstance(request.body, bytes) else b""
        is_sweep = b'"endTime"' in body and b"logStreamNames" not in body
        if is_sweep and failures["sweep"] < 1:
            failures["sweep"] += 1
            return error(503, "ServiceUnavailableException", "try again")
        if failures["throttle"] and failures["throttle"] < 4:
            failures["throttle"] += 1
            return error(400, "ThrottlingException", "Rate exceeded")
        return None

    await hook(aws, "logs", "before-send.cloudwatch-logs.FilterLogEvents", sweep_fails)
    expected: list[str] = []
    raised: list[str] = []
    for second in range(1, 40):
        group.at(second)
        expected += group.put("a", second * 1000 - 200) + group.put("b", second * 1000 - 100)
        if second == 25:
            failures["throttle"] = 1  # the next three reads are throttled
        try:
            await seen.poll()
        except Exception as problem:  # noqa: BLE001 - the injected faults
            raised.append(type(problem).__name__)
    assert failures["sweep"] == 1
    assert raised == ["ServiceUnavailableException"] + ["ThrottlingException"] * 3
    seen.exactly_once(expected)


async def test_missing_group_is_no_error_and_is_followed_once_created(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    patch_moto_clock(clock, monkeypatch)
    t0 = int(clock() * 1000)
    tail = LogTail(aws, GROUP, t0 - 60_000, clock=clock)
    assert await tail.poll() == []
    assert not tail.group_exists
    assert tail.stats.calls == 1, "no reads of a group that does not exist"
    clock.advance(1)
    group = Group(moto, clock, monkeypatch)
    messages = group.put("a", -500, 0)
    events = await tail.poll()
    assert tail.group_exists
    assert [e.message for e in events] == messages


async def test_every_page_is_followed(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = Group(moto, clock, monkeypatch)
    # moto answers at most 10,000 events a page, as AWS does.
    first = group.put("a", *range(-50_000, 0, 8))
    second = group.put("b", *range(-49_999, 0, 8))
    tail = LogTail(aws, GROUP, group.t0_ms - 55_000, clock=clock)
    seen = Delivered(tail)
    await seen.poll()
    seen.exactly_once(first + second)
    assert tail.stats.downloaded == len(first) + len(second)
    assert tail.stats.calls >= 3, "DescribeLogStreams and two pages at least"


async def test_filter_term_reaches_filter_log_events(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = Group(moto, clock, monkeypatch)
    group.logs.create_log_stream(logGroupName=GROUP, logStreamName="a")
    group.streams.add("a")
    group.logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="a",
        logEvents=[
            {"timestamp": group.t0_ms - 300, "message": "INFO all good"},
            {"timestamp": group.t0_ms - 200, "message": "ERROR connection reset"},
        ],
    )
    tail = LogTail(aws, GROUP, group.t0_ms - 5_000, clock=clock, filter_pattern="ERROR")
    events = await tail.poll()
    assert [e.message for e in events] == ["ERROR connection reset"]


async def test_backfill_hands_over_its_newest_minute_before_reading_older_ones(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a function shows its newest lines after one request: the double holds every read
    after the first until the tail has handed something over (a tail that hands over only the
    whole backfill never gets past it)."""
    group = Group(moto, clock, monkeypatch)
    older = group.put("a", *range(-14 * 60_000, -60_000, 10_000))
    newest = group.put("a", *range(-59_000, 0, 1_000)) + group.put("b", -500)
    handed: list[list[str]] = []
    first_batch = asyncio.Event()
    sent = 0

    def early(events: list[LogEvent]) -> None:
        handed.append([event.message for event in events])
        first_batch.set()

    async def hold_later_reads(**_: Any) -> None:
        nonlocal sent
        sent += 1
        if sent > 1:
            async with asyncio.timeout(20):  # fails the test rather than hang it
                await first_batch.wait()

    await hook(aws, "logs", "before-send.cloudwatch-logs.FilterLogEvents", hold_later_reads)
    tail = LogTail(aws, GROUP, group.t0_ms - 15 * 60_000, clock=clock)
    rest = [event.message for event in await tail.poll(early=early)]

    assert sent > 1, "the older minutes are read after"
    assert handed == [newest], "the newest minute, in time order"
    assert rest == older
    group.at(1)
    after = group.put("b", 700)
    assert [event.message for event in await tail.poll(early=early)] == after
    assert len(handed) == 1, "only the backfill is handed over early"


async def test_backfill_failing_after_its_newest_minute_hands_nothing_twice(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = Group(moto, clock, monkeypatch)
    older = group.put("a", *range(-10 * 60_000, -60_000, 30_000))
    newest = group.put("a", -30_000, -20_000)
    sent = 0

    def second_read_fails(**_: Any) -> Any:
        nonlocal sent
        sent += 1
        return error(503, "ServiceUnavailableException") if sent == 2 else None

    await hook(aws, "logs", "before-send.cloudwatch-logs.FilterLogEvents", second_read_fails)
    tail = LogTail(aws, GROUP, group.t0_ms - 15 * 60_000, clock=clock)
    handed: list[str] = []
    with pytest.raises(Exception, match="ServiceUnavailable"):
        await tail.poll(early=lambda events: handed.extend(e.message for e in events))
    assert handed == newest
    # The next poll reads the backfill again: the newest minute is not handed over twice.
    group.at(2)
    later = group.put("a", 1_000)
    rest = await tail.poll(early=lambda events: handed.extend(e.message for e in events))
    assert handed == newest + later
    assert [event.message for event in rest] == older
