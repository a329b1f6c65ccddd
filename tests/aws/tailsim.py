"""A deterministic simulation of a busy Lambda log group, written into moto, for the tail contract.

A dozen log streams (execution environments) write about 500 events a second between them, each
shipping one batch a second the way Lambda's log shipping does. Most batches are ingested within
0.2-2 s; a few streams lag, their batches arriving 4-20 s late (still in order within the stream);
a handful of batches overtake one another within a stream (out of timestamp order). Streams appear
while the tail runs, one of them during an outage of the endpoint. Time is a fake clock: moto is
made to stamp ingestion with it too, so `ingestionTime` and `lastIngestionTime` mean what they mean
on AWS (moto would otherwise stamp wall-clock time, which a fake clock runs far ahead of).

Every FilterLogEvents answer the tail receives is counted per event, so the figures are measured,
not estimated: downloads per delivered event, calls per poll, and delivery latency in polls.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from awsdouble import install_stale_streams
from awsfakes import FakeClock, hook
from awsmoto import MotoAccount
from botocore.exceptions import EndpointConnectionError

from lambdatop.aws.pollers.logs import LogTail
from lambdatop.aws.session import Aws
from lambdatop.core.stats import percentile

GROUP = "/aws/lambda/checkout-api"


def patch_moto_clock(clock: FakeClock, monkeypatch: Any) -> None:
    """Make moto stamp log ingestion with the fake clock, as AWS stamps it with its own."""
    import moto.logs.models as logs_models

    def utcnow() -> datetime:
        return datetime.fromtimestamp(clock(), UTC).replace(tzinfo=None)

    monkeypatch.setattr(logs_models, "utcnow", utcnow)


@dataclass
class Batch:
    stream: int
    events: list[tuple[int, str]]
    """(timestamp ms, message), in timestamp order."""
    ship_s: float
    """Fake time (seconds from the start) at which the batch is ingested."""
    out_of_order: bool = False
    sent: bool = False


@dataclass
class Figures:
    events: int = 0
    delivered: int = 0
    duplicates: int = 0
    missing: int = 0
    unexpected: int = 0
    downloads: int = 0
    max_downloads: int = 0
    polls: int = 0
    failed_polls: int = 0
    calls: int = 0
    latency_polls: Counter[int] = field(default_factory=Counter)
    """For events ingested while the endpoint was up, in order within their stream: polls
    between ingestion and delivery (0: the first poll after ingestion delivered it)."""
    outage_latency_polls: Counter[int] = field(default_factory=Counter)
    """For events ingested during the outage: polls after it ended until delivery."""
    out_of_order_latency_s: list[float] = field(default_factory=list)
    """For events of overtaken batches: seconds from ingestion to delivery."""
    latency_s: list[float] = field(default_factory=list)
    """For every event ingested while the endpoint was up: seconds from its ingestion to the
    poll that delivered it (polls are a second apart, so a prompt event waits up to 1 s)."""
    busy_polls: int = 0
    busy_calls: Counter[str] = field(default_factory=Counter)
    """Polls, and requests per operation, while the group was being written to (the outage
    and the catch-up poll after it excluded)."""
    late_window_ms: int = 0
    sweep_period_ms: int = 0
    max_seen_ids: int = 0
    """The most event ids the tail remembered at once: its de-duplication memory."""

    @property
    def downloads_per_event(self) -> float:
        return self.downloads / self.delivered if self.delivered else 0.0

    @property
    def calls_per_poll(self) -> float:
        return self.calls / self.polls if self.polls else 0.0

    def busy_per_poll(self, operation: str) -> float:
        return self.busy_calls[operation] / self.busy_polls if self.busy_polls else 0.0

    def latency_p(self, q: float) -> float:
        return percentile(self.latency_s, q) or 0.0

    @property
    def reads_per_second(self) -> float:
        """FilterLogEvents requests a second while the group was written to (a poll a second)."""
        return self.busy_per_poll("FilterLogEvents")

    def line(self) -> str:
        """The figures the issue's table asks for, on one line."""
        share = self.delivered / self.events if self.events else 0.0
        return (
            f"delivered {share:.1%} ({self.duplicates} duplicates), "
            f"{self.downloads_per_event:.2f} downloads/event, "
            f"{self.reads_per_second:.2f} FilterLogEvents/s, "
            f"ingestion → output p50 {self.latency_p(50):.1f} s, p95 {self.latency_p(95):.1f} s, "
            f"max {max(self.latency_s, default=0.0):.0f} s"
        )

    @property
    def within_one_poll(self) -> float:
        total = sum(self.latency_polls.values())
        return self.latency_polls[0] / total if total else 0.0

    def summary(self) -> str:
        return (
            f"{self.delivered:,} of {self.events:,} events delivered once "
            f"({self.duplicates} duplicates, {self.missing} missing); "
            f"{self.downloads:,} downloaded = {self.downloads_per_event:.2f} per event "
            f"(max {self.max_downloads}); {self.polls} polls ({self.failed_polls} failed), "
            f"{self.calls} calls = {self.calls_per_poll:.2f} per poll "
            f"(while busy {self.busy_per_poll('DescribeLogStreams'):.2f} DescribeLogStreams + "
            f"{self.busy_per_poll('FilterLogEvents'):.2f} FilterLogEvents); "
            f"{self.within_one_poll:.1%} within one poll of ingestion, latency "
            f"{dict(sorted(self.latency_polls.items()))}; after the outage "
            f"{dict(sorted(self.outage_latency_polls.items()))}; overtaken batches within "
            f"{max(self.out_of_order_latency_s, default=0):.0f} s; late window "
            f"{self.late_window_ms} ms; at most {self.max_seen_ids:,} ids remembered"
        )


class Simulation:
    def __init__(
        self,
        moto: MotoAccount,
        aws: Aws,
        clock: FakeClock,
        *,
        rate: float = 500.0,
        streams: int = 12,
        laggy: tuple[int, ...] = (2, 5, 9),
        joins: dict[int, int] | None = None,
        write_s: int = 40,
        history_s: int = 20,
        tail_back_s: int = 15,
        outage: tuple[int, int] = (22, 28),
        swapped_batches: int = 6,
        seed: int = 20,
        late_s: tuple[float, float] = (4.0, 20.0),
        older_streams: int = 0,
        stale_s: float | None = None,
    ) -> None:
        self.moto = moto
        self.aws = aws
        self.clock = clock
        self.t0_ms = int(clock() * 1000)
        self.rng = random.Random(seed)
        self.streams = [
            f"2026/01/01/[$LATEST]{self.rng.getrandbits(128):032x}" for _ in range(streams)
        ]
        # Four environments start while the tail runs; the last one during the outage.
        self.joins = joins if joins is not None else {8: 6, 9: 12, 10: 18, 11: 24}
        self.laggy = set(laggy)
        self.outage = outage
        self.write_s = write_s
        self.late_s = late_s
        self.older_streams = older_streams
        self.stale_s = stale_s
        """DescribeLogStreams answered `stale_s` behind, as AWS documents it (awsdouble.py);
        None: as moto answers, fresh."""
        self.tail_start_ms = self.t0_ms - tail_back_s * 1000
        self.batches = self._plan(rate, history_s, swapped_batches)
        self.expected = {
            message.split(" ", 1)[0]: (batch, ts)
            for batch in self.batches
            for ts, message in batch.events
            if ts >= self.tail_start_ms
        }
        self.downloads: Counter[str] = Counter()
        self.delivered_at: dict[str, int] = {}
        self.delivered: Counter[str] = Counter()
        self.ingested_at: dict[str, int] = {}
        self.down = False
        self.requests: Counter[str] = Counter()

    # --- the workload ---

    def _plan(self, rate: float, history_s: int, swapped: int) -> list[Batch]:
        per_stream = rate / len(self.streams)
        batches: list[Batch] = []
        serial = 0
        for index in range(len(self.streams)):
            first = self.joins.get(index, -history_s)
            shipped = -1e9
            mine: list[Batch] = []
            for second in range(first, self.write_s):
                count = int(per_stream) + (self.rng.random() < per_stream % 1)
                base = self.t0_ms + second * 1000
                stamps = sorted(base + self.rng.randrange(1000) for _ in range(count))
                events = []
                for ts in stamps:
                    serial += 1
                    events.append((ts, f"e{serial:07d} s{index:02d} {'x' * 60}"))
                if index in self.laggy:
                    delay = self.rng.uniform(*self.late_s)
                else:
                    delay = self.rng.uniform(0.2, 2.0)
                # Within a stream, batches are shipped in order...
                ship = max(shipped, second + 1 + delay)
                shipped = ship
                mine.append(Batch(index, events, ship))
            batches += mine
        # ...except a few that are overtaken by the next one (out of timestamp order).
        prompt = [
            i
            for i, b in enumerate(batches[:-1])
            if b.stream not in self.laggy
            and batches[i + 1].stream == b.stream
            and 0 < b.ship_s < self.write_s - 5
        ]
        for i in self.rng.sample(prompt, swapped):
            batches[i].ship_s = batches[i + 1].ship_s + self.rng.uniform(1.0, 6.0)
            batches[i].out_of_order = True
        return batches

    # --- moto ---

    def patch_moto_clock(self, monkeypatch: Any) -> None:
        patch_moto_clock(self.clock, monkeypatch)

    def create(self) -> None:
        logs = self.moto.client("logs")
        now = self.clock.now
        # Ended environments: an hour old, with a few events each (before the tail's start).
        self.clock.now = now - 3600
        logs.create_log_group(logGroupName=GROUP)
        for index in range(self.older_streams):
            name = f"2026/01/01/[$LATEST]{self.rng.getrandbits(128):032x}"
            logs.create_log_stream(logGroupName=GROUP, logStreamName=name)
            base = int((now - 3600 - index) * 1000)
            logs.put_log_events(
                logGroupName=GROUP,
                logStreamName=name,
                logEvents=[{"timestamp": base + i, "message": f"old{index} {i}"} for i in range(3)],
            )
        self.clock.now = now - 60
        for name in self.streams:
            logs.create_log_stream(logGroupName=GROUP, logStreamName=name)
        self.clock.now = now

    def ship(self, tick: int) -> None:
        """Put every batch due by this tick; consecutive batches of a stream go in one request."""
        due = sorted(
            (b for b in self.batches if b.ship_s <= tick and not b.sent),
            key=lambda b: (b.stream, b.ship_s),
        )
        logs = self.moto.client("logs")
        pending: list[tuple[int, str]] = []
        stream = None
        for batch in due:
            batch.sent = True
            if stream is not None and (batch.stream != stream or batch.out_of_order):
                self._put(logs, stream, pending)
                pending = []
            stream = batch.stream
            pending += batch.events
            for _, message in batch.events:
                self.ingested_at[message.split(" ", 1)[0]] = tick
            if batch.out_of_order:
                self._put(logs, stream, pending)
                pending, stream = [], None
        if stream is not None and pending:
            self._put(logs, stream, pending)

    def _put(self, logs: Any, stream: int, events: list[tuple[int, str]]) -> None:
        events = sorted(events)
        logs.put_log_events(
            logGroupName=GROUP,
            logStreamName=self.streams[stream],
            logEvents=[{"timestamp": ts, "message": message} for ts, message in events],
        )

    # --- the tail ---

    async def instrument(self) -> None:
        def count(parsed: dict[str, Any] | None = None, **_: Any) -> None:
            for event in (parsed or {}).get("events") or ():
                self.downloads[str(event.get("message", "")).split(" ", 1)[0]] += 1

        def outage(event_name: str = "", **_: Any) -> None:
            self.requests[event_name.rsplit(".", 1)[-1]] += 1
            if self.down:
                raise EndpointConnectionError(endpoint_url=self.moto.url)

        await hook(self.aws, "logs", "after-call.cloudwatch-logs.FilterLogEvents", count)
        await hook(self.aws, "logs", "before-send.cloudwatch-logs", outage)
        if self.stale_s is not None:
            await install_stale_streams(self.aws, self.clock, self.stale_s)

    async def run(self, tail: LogTail, max_ticks: int = 200) -> Figures:
        await self.instrument()
        figures = Figures(events=len(self.expected))
        last_ts = max(ts for _, ts in self.expected.values())
        tick = 0
        for tick in range(max_ticks):
            self.clock.now = self.t0_ms / 1000 + tick
            self.ship(tick)
            self.down = self._outage(tick)
            requests_before = Counter(self.requests)
            try:
                events = await tail.poll()
            except Exception:  # noqa: BLE001 - the outage; the tail must carry on after it
                assert self.down, "the tail failed while the endpoint was up"
                figures.failed_polls += 1
                continue
            if tick < self.write_s and tick != self.outage[1]:
                figures.busy_polls += 1
                figures.busy_calls += self.requests - requests_before
            figures.max_seen_ids = max(figures.max_seen_ids, len(tail.seen))
            for event in events:
                key = event.message.split(" ", 1)[0]
                self.delivered[key] += 1
                self.delivered_at.setdefault(key, tick)
            shipped_all = all(b.sent for b in self.batches)
            if tick > self.write_s and shipped_all and tail.swept_until_ms >= last_ts:
                break
        figures.polls = tick + 1
        figures.calls = tail.stats.calls + figures.failed_polls
        figures.late_window_ms = tail.late_window_ms
        figures.sweep_period_ms = tail._sweep_period_ms()
        self._score(figures)
        return figures

    def _outage(self, tick: float) -> bool:
        return self.outage[0] <= tick < self.outage[1]

    def _score(self, figures: Figures) -> None:
        expected = set(self.expected)
        figures.delivered = sum(1 for key in self.delivered if key in expected)
        figures.duplicates = sum(n - 1 for n in self.delivered.values() if n > 1)
        figures.missing = len(expected - set(self.delivered))
        figures.unexpected = len(set(self.delivered) - expected)
        figures.downloads = sum(self.downloads.values())
        figures.max_downloads = max(self.downloads.values(), default=0)
        for key, (batch, _ts) in self.expected.items():
            if key not in self.delivered_at:
                continue
            ingested = self.ingested_at.get(key, -1)
            if ingested >= 0 and not self._outage(ingested):
                figures.latency_s.append(self.delivered_at[key] - batch.ship_s)
            if batch.out_of_order:
                seconds = self.delivered_at[key] - batch.ship_s
                figures.out_of_order_latency_s.append(seconds)
            elif self.outage[0] <= ingested < self.outage[1]:
                figures.outage_latency_polls[self.delivered_at[key] - self.outage[1]] += 1
            elif ingested >= 0:
                figures.latency_polls[self.delivered_at[key] - ingested] += 1
