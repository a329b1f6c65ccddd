"""The log tail: every event a log group receives, delivered exactly once, cheaply.

FilterLogEvents can only select by event timestamp, and events arrive late and out of timestamp
order across streams (each stream is one execution environment, shipped in its own batches, some
of them seconds late). Re-reading a fixed overlap every poll downloads each event dozens of times;
reading only after the newest timestamp loses the late ones. This tail does neither:

1. Fast path, every poll: DescribeLogStreams (ordered by last event) names the streams whose
   `lastIngestionTime` moved since we last read them. Each is read from its own cursor (the newest
   timestamp delivered from it), however far back that is: a stream ships in order, so its cursor
   is exact, and a stream whose batches arrive 20 s late still shows them the poll after they
   land. Streams whose cursors are close share one request (`logStreamNames`); a request starts at
   its oldest member's cursor, so the grouping is chosen to download as few events twice as
   possible within a few requests a poll.
2. Safety net, the sweep: each time range is re-read group-wide once, after it is complete (older
   than the late window, learned from the ingestion lag observed), for what the fast path cannot
   see: batches overtaken within a stream, streams beyond the first Describe page, stream metadata
   that lags. A late-arrival window is re-read exactly once, never every poll.
3. De-duplication by event id above the swept horizon (memory bounded by the late window); below
   it, by each stream's cursor and the ids at the cursor, which nothing older can pass.

Measured against a simulated busy group (tests/aws/tailsim.py: 500 events/s over a dozen
streams, batches up to 20 s late, overtaken batches, streams appearing mid-tail, a 6-poll outage):
every event delivered exactly once, 2.0 downloads per event (once on the fast path, once in the
sweep), one DescribeLogStreams and 1.7 FilterLogEvents a poll, and every in-order event shown by
the first poll after it lands. The price of trusting a stream's order: a batch overtaken within
its stream shows only with the sweep, within the late window and a sweep period.

A poll that fails part-way (throttling, an outage) raises to the monitor, which backs off; what
was read before the failure is kept and handed on by the next poll, and the cursors move only
with what was read, so the next successful poll catches up from where it stopped.
"""

from __future__ import annotations

import time
from bisect import bisect_left, insort
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambdatop.aws.session import Aws
from lambdatop.core.records import LogEvent
from lambdatop.core.stats import percentile

Clock = Callable[[], float]

MIN_LATE_WINDOW_MS = 10_000
MAX_LATE_WINDOW_MS = 300_000
DESCRIBE_LIMIT = 50
STREAM_NAMES_LIMIT = 100
MAX_FAST_READS = 3
"""Requests the fast path may make in one poll (beside DescribeLogStreams)."""
READ_COST_EVENTS = 300
"""A request is worth this many events downloaded twice: the fast path splits its streams into
another request only when that saves more re-downloads than this."""
INITIAL_CHUNK_MS = 60_000
SMALL_CHUNK_EVENTS = 2_000
STREAM_MEMORY_MS = 3_600_000
"""A stream silent this long below the swept horizon is forgotten (it is an ended environment)."""
LAG_SAMPLES = 200


@dataclass(slots=True)
class TailStats:
    polls: int = 0
    calls: int = 0
    """Requests made: DescribeLogStreams and every FilterLogEvents page."""
    downloaded: int = 0
    """Events FilterLogEvents returned, duplicates included."""
    delivered: int = 0
    """Distinct events handed on."""
    sweeps: int = 0
    fast_reads: int = 0

    @property
    def downloads_per_event(self) -> float:
        return self.downloaded / self.delivered if self.delivered else 0.0


@dataclass(slots=True)
class StreamCursor:
    """What has been delivered from one log stream."""

    cursor: int = -1
    """Newest event timestamp delivered from the stream."""
    at_cursor: set[str] = field(default_factory=set)
    """Ids of the events delivered at exactly `cursor`."""
    ingested: int = -1
    """The stream's `lastIngestionTime` when it was last read."""
    recent: list[int] = field(default_factory=list)
    """Timestamps delivered above the swept horizon, sorted: what a read from further back
    would download twice."""

    def delivered_since(self, start_ms: int) -> int:
        return len(self.recent) - bisect_left(self.recent, start_ms)


class LogTail:
    """Follows one log group from `start_ms`; each `poll()` returns the events not returned
    before."""

    def __init__(
        self,
        aws: Aws,
        log_group: str,
        start_ms: int,
        *,
        filter_pattern: str | None = None,
        clock: Clock = time.time,
        late_window_ms: int = 30_000,
        max_initial_events: int | None = None,
    ) -> None:
        self.aws = aws
        self.log_group = log_group
        self.start_ms = start_ms
        self.filter_pattern = filter_pattern
        self.clock = clock
        self.late_window_ms = late_window_ms
        self.max_initial_events = max_initial_events
        self.truncated_before_ms: int | None = None
        """Set when the first read stopped at `max_initial_events`: older lines not loaded."""
        self.stats = TailStats()
        self.started = False
        self.swept_until_ms = start_ms - 1
        """Every event at or before this was read group-wide after its late window had passed."""
        self.streams: dict[str, StreamCursor] = {}
        self.seen: dict[str, int] = {}
        """Ids delivered above the swept horizon, with their timestamps."""
        self.forgotten_before_ms = start_ms - 1
        """Streams with nothing delivered after this may have been forgotten: no read of an
        unknown stream reaches back to it."""
        self.group_exists = True
        self._pending: list[LogEvent] = []
        self._lags: list[float] = []

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @property
    def floor_ms(self) -> int:
        """`seen` holds every id delivered at or after this."""
        return self.swept_until_ms + 1

    async def poll(self) -> list[LogEvent]:
        """One poll: the events not delivered before, in timestamp order."""
        self.stats.polls += 1
        now = self._now_ms()
        if not self.started:
            await self._first_poll(now)
        else:
            await self._fast_path()
            horizon = now - self.late_window_ms
            if horizon - self.swept_until_ms >= self._sweep_period_ms():
                self._accept(await self._read(self.floor_ms, horizon, None))
                self.stats.sweeps += 1
                self.swept_until_ms = horizon
                self._forget()
        found, self._pending = self._pending, []
        found.sort(key=lambda e: e.timestamp_ms)
        return found

    async def _first_poll(self, now: int) -> None:
        # Stream metadata first, so the fast path starts from what the first read covers.
        changed = await self._changed_streams()
        events = await self._initial_read(now) if self.group_exists else []
        if self.truncated_before_ms is not None:
            self.forgotten_before_ms = max(self.forgotten_before_ms, self.truncated_before_ms - 1)
        self._accept(events)
        self._mark_read(changed)
        self.started = True
        self.swept_until_ms = max(self.swept_until_ms, now - self.late_window_ms)

    async def _initial_read(self, now: int) -> list[dict[str, Any]]:
        """History back to `start_ms`, newest first, up to `max_initial_events`.

        Chunks start at a minute and grow while they come back small, so a quiet function's
        hour costs a few requests and a busy one's newest minutes arrive first.
        """
        chunks: list[list[dict[str, Any]]] = []
        total = 0
        end: int | None = None
        upper = now
        size = INITIAL_CHUNK_MS
        while upper > self.start_ms:
            begin = max(self.start_ms, upper - size)
            chunk = await self._read(begin, end, None)
            if not self.group_exists:
                return []
            chunks.append(chunk)
            total += len(chunk)
            end = begin - 1
            upper = begin
            if len(chunk) < SMALL_CHUNK_EVENTS:
                size *= 4 if len(chunk) < SMALL_CHUNK_EVENTS // 8 else 2
            if self.max_initial_events is not None and total >= self.max_initial_events:
                if upper > self.start_ms:
                    self.truncated_before_ms = upper
                break
        return [event for chunk in reversed(chunks) for event in chunk]

    def _sweep_period_ms(self) -> int:
        return max(self.late_window_ms // 2, 10_000)

    async def _fast_path(self) -> None:
        """Read the streams that changed, each from its own cursor, in a few shared requests."""
        changed = await self._changed_streams()
        for start, names in self._plan_reads({name: s for name, (s, _) in changed.items()}):
            events = await self._read(start, None, names)
            self.stats.fast_reads += 1
            # Accept and mark together, so a failure in a later request loses nothing.
            self._accept(events)
            self._mark_read({name: changed[name] for name in names})

    def _plan_reads(self, starts: dict[str, int]) -> list[tuple[int, list[str]]]:
        """Group the changed streams into at most MAX_FAST_READS requests.

        A request starts at its oldest member's start, so each younger member downloads again
        what it delivered since then. Sorted by start, the best grouping is a split of that order
        into runs; the split that costs least (events downloaded twice, plus READ_COST_EVENTS a
        request) is found by dynamic programming over the split points.
        """
        if not starts:
            return []
        order = sorted(starts, key=lambda name: starts[name], reverse=True)
        n = len(order)
        # run_cost[a][b]: order[a..b] read together from order[b]'s start.
        run_cost = [[0] * n for _ in range(n)]
        for b in range(n):
            begin = starts[order[b]]
            total = READ_COST_EVENTS
            for a in range(b, -1, -1):
                known = self.streams.get(order[a])
                total += known.delivered_since(begin) if known else 0
                run_cost[a][b] = total
        infinity = float("inf")
        reads = min(MAX_FAST_READS, n)
        # best[k][b]: order[0..b] in k+1 runs; cut[k][b]: where the last run begins.
        best = [[infinity] * n for _ in range(reads)]
        cut = [[0] * n for _ in range(reads)]
        for b in range(n):
            best[0][b] = run_cost[0][b]
        for k in range(1, reads):
            for b in range(k, n):
                for a in range(k, b + 1):
                    cost = best[k - 1][a - 1] + run_cost[a][b]
                    if cost < best[k][b]:
                        best[k][b], cut[k][b] = cost, a
        k = min(range(reads), key=lambda j: best[j][n - 1])
        runs: list[list[str]] = []
        b = n - 1
        while k >= 0:
            a = cut[k][b] if k > 0 else 0
            runs.append(order[a : b + 1])
            b, k = a - 1, k - 1
        plan: list[tuple[int, list[str]]] = []
        for run in reversed(runs):
            for i in range(0, len(run), STREAM_NAMES_LIMIT):
                names = run[i : i + STREAM_NAMES_LIMIT]
                plan.append((min(starts[name] for name in names), names))
        return plan

    async def _changed_streams(self) -> dict[str, tuple[int, int]]:
        """Streams with data ingested since we read them: where to read from, and the ingestion."""
        try:
            response = await self.aws.call(
                "logs",
                "DescribeLogStreams",
                logGroupName=self.log_group,
                orderBy="LastEventTime",
                descending=True,
                limit=DESCRIBE_LIMIT,
            )
        except Exception as error:
            if _not_found(error):
                self.group_exists = False
                return {}
            raise
        finally:
            self.stats.calls += 1
        self.group_exists = True
        changed: dict[str, tuple[int, int]] = {}
        for stream in response.get("logStreams") or ():
            name = stream.get("logStreamName")
            if not isinstance(name, str):
                continue
            ingested = int(stream.get("lastIngestionTime") or stream.get("lastEventTimestamp") or 0)
            if not ingested:
                continue  # no events yet
            known = self.streams.get(name)
            if known is not None and ingested <= known.ingested:
                continue
            if known is not None and known.cursor >= 0:
                start = known.cursor
            else:
                # Nothing delivered from it: everything it holds in the window is new to us.
                first = int(stream.get("firstEventTimestamp") or 0)
                start = max(first, self.start_ms, self.forgotten_before_ms + 1)
            changed[name] = (start, ingested)
        return changed

    def _mark_read(self, streams: dict[str, tuple[int, int]]) -> None:
        for name, (_, ingested) in streams.items():
            known = self.streams.get(name)
            if known is None:
                known = self.streams[name] = StreamCursor()
            known.ingested = max(known.ingested, ingested)

    async def _read(
        self, start_ms: int, end_ms: int | None, streams: list[str] | None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "logGroupName": self.log_group,
            "startTime": max(start_ms, self.start_ms, 0),
            "interleaved": True,
        }
        if end_ms is not None:
            params["endTime"] = end_ms
        if streams:
            params["logStreamNames"] = streams
        if self.filter_pattern:
            params["filterPattern"] = self.filter_pattern
        events: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            if token:
                params["nextToken"] = token
            try:
                response = await self.aws.call("logs", "FilterLogEvents", **params)
            except Exception as error:
                if _not_found(error):
                    if not streams:
                        self.group_exists = False
                    # A named stream may have been deleted since Describe listed it: the next
                    # Describe will not list it again.
                    return events
                raise
            finally:
                self.stats.calls += 1
            page = response.get("events") or []
            self.stats.downloaded += len(page)
            self.aws.ledger.record_events(len(page))
            events.extend(page)
            next_token = response.get("nextToken")
            if not next_token or next_token == token:
                return events
            token = next_token

    def _is_new(self, key: str, timestamp: int, stream: str) -> bool:
        if timestamp >= self.floor_ms:
            return key not in self.seen
        # At or below the swept horizon only the stream's own cursor can tell: everything
        # delivered from a stream is at or before its cursor.
        known = self.streams.get(stream)
        if known is None or known.cursor < 0:
            return timestamp > self.forgotten_before_ms and timestamp >= self.start_ms
        if timestamp != known.cursor:
            return timestamp > known.cursor
        return key not in known.at_cursor

    def _accept(self, events: list[dict[str, Any]]) -> None:
        fresh: list[LogEvent] = []
        floor = self.floor_ms
        for item in events:
            event_id = item.get("eventId")
            timestamp = int(item.get("timestamp") or 0)
            stream = str(item.get("logStreamName") or "")
            key = (
                str(event_id)
                if event_id is not None
                else f"{stream}:{timestamp}:{hash(item.get('message'))}"
            )
            if not self._is_new(key, timestamp, stream):
                continue
            known = self.streams.get(stream)
            if known is None:
                known = self.streams[stream] = StreamCursor()
            if timestamp > known.cursor:
                known.cursor = timestamp
                known.at_cursor = {key}
            elif timestamp == known.cursor:
                known.at_cursor.add(key)
            if timestamp >= floor:
                self.seen[key] = timestamp
                insort(known.recent, timestamp)
            ingestion = item.get("ingestionTime")
            if isinstance(ingestion, int | float):
                self._learn_lag(float(ingestion) - timestamp)
            fresh.append(
                LogEvent(
                    timestamp_ms=timestamp,
                    message=str(item.get("message") or ""),
                    stream=stream,
                    event_id=key,
                    ingestion_ms=int(ingestion) if isinstance(ingestion, int | float) else None,
                )
            )
        self.stats.delivered += len(fresh)
        self._pending.extend(fresh)

    def _learn_lag(self, lag_ms: float) -> None:
        """The late window follows the ingestion lag actually seen: twice its p99, growing at
        once and shrinking gently (a quiet spell must not close the window on a late batch)."""
        if lag_ms < 0:
            return  # clock skew between the writer and CloudWatch: says nothing about lag
        self._lags.append(lag_ms)
        if len(self._lags) < LAG_SAMPLES:
            return
        p99 = percentile(self._lags, 99) or 0.0
        self._lags.clear()
        wanted = int(2 * p99)
        if wanted < self.late_window_ms:
            wanted = max(wanted, int(self.late_window_ms * 0.9))
        self.late_window_ms = min(max(wanted, MIN_LATE_WINDOW_MS), MAX_LATE_WINDOW_MS)

    def _forget(self) -> None:
        """Drop what no later read can return twice: ids below the swept horizon, and streams
        that ended long ago."""
        floor = self.floor_ms
        self.seen = {key: ts for key, ts in self.seen.items() if ts >= floor}
        ended = floor - STREAM_MEMORY_MS
        for name, known in list(self.streams.items()):
            if known.recent and known.recent[0] < floor:
                del known.recent[: bisect_left(known.recent, floor)]
            if 0 <= known.cursor < ended:
                self.forgotten_before_ms = max(self.forgotten_before_ms, known.cursor)
                del self.streams[name]
            elif known.cursor < 0 and known.ingested < ended:
                del self.streams[name]  # listed once, nothing delivered from it in the window


def _not_found(error: BaseException) -> bool:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    return bool(response.get("Error", {}).get("Code") == "ResourceNotFoundException")
