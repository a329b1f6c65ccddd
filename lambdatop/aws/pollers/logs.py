"""The log tail: every event a log group receives, delivered exactly once, promptly and cheaply.

FilterLogEvents can only select by event timestamp, and events arrive late and out of timestamp
order across streams (each stream is one execution environment, shipped in its own batches, some
of them seconds late). Re-reading a fixed overlap every poll downloads each event dozens of times;
reading only after the newest timestamp loses the late ones. Stream metadata cannot be trusted to
say which streams moved: DescribeLogStreams' `lastEventTimestamp` and `lastIngestionTime` "update
on an eventual consistency basis; typically in less than an hour from ingestion, but in rare
situations might take longer" (CloudWatch Logs API reference, LogStream), and a new stream carries
neither for a while. So the tail learns the streams from the events themselves:

1. Every poll, each stream that delivered lately is read from its own cursor (the newest
   timestamp delivered from it): a stream ships in order, so its cursor is exact, and a stream
   whose batches land 20 s late still shows them the poll after they land. The streams, sorted by
   cursor, are split into runs (the split that downloads fewest events twice): the newest run is
   read group-wide from its oldest cursor (the head read, which also finds streams not known
   yet), the older runs by name (`logStreamNames`) up to where the head read begins, every other
   poll. A stream that stops writing is read less and less often.
2. A stream first seen in a group-wide read is read by name from the start the next poll, so
   its earlier events follow one poll later. A thin group-wide probe a few seconds deep finds
   new streams whose events land later than the head read reaches.
3. The sweep, the safety net: each time range is re-read group-wide once, after it is complete
   (older than the late window, learned from the ingestion lag observed), for what the reads by
   cursor cannot see: batches overtaken within a stream, and streams no read found yet.
4. DescribeLogStreams is a hint, never the source of freshness: a stream whose metadata moved is
   read from its cursor (that is how a stream quiet for longer than the late window is followed
   when its late batches land below the swept horizon); stale metadata only delays that. Once
   three answers in a row agree with the ingestion times the events carry, metadata is trusted
   as fresh: only the streams it says moved are read, and the probe is skipped.
5. De-duplication by event id above the swept horizon (memory bounded by the late window); below
   it, by each stream's cursor and the ids at the cursor, which nothing older can pass, and the
   ids a group-wide read delivered above a stream's cursor until the stream's own read reaches
   them.

The figures (README, `make bench`, bench/tail_bench.py): 500 events/s over 12 streams, some 4-14
s late, metadata fresh: every event exactly once, 2.2 downloads per event (one by cursor, one by
the sweep), 1.9 FilterLogEvents requests a second, p95 ingestion to output 2.0 s (a poll a
second); metadata 90 s or 10 min stale: exactly once, 2.5 downloads per event, 2.2 requests a
second, p95 2.2 s.

A poll that fails part-way (throttling, an outage) raises to the monitor, which backs off; what
was read before the failure is kept and handed on by the next poll, and the cursors move only
with what was read contiguously, so the next successful poll catches up from where it stopped.

The backfill (the first poll) is read newest minute first; `poll(early=...)` hands that minute
over page by page as it is read, before the older minutes are read, so a person sees the newest
lines after one request rather than after the whole backfill. Every event is still handed over
once: through `early` or in what the poll returns (the older ones, which belong before).
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
Handover = Callable[[list[LogEvent]], object]

MIN_LATE_WINDOW_MS = 10_000
MAX_LATE_WINDOW_MS = 300_000
DESCRIBE_LIMIT = 50
"""DescribeLogStreams' page: "limit: The maximum number of items returned. If you don't specify a
value, the default is up to 50 items" (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/
APIReference/API_DescribeLogStreams.html). Only the first page is read: it is a hint of which
streams moved (point 4 above), a stream beyond it is found by the head read and the sweep."""
STREAM_NAMES_LIMIT = 100
MAX_RUNS = 3
"""Runs the streams are split into: the head read and up to two reads by name."""
NAMED_PERIOD_MS = 1_500
"""The reads by name wait this long after the last ones (every other poll at a poll a second):
they read the late streams, whose batches a second's wait hardly delays, and so the head read,
the reads by name, the probe and the sweep stay about 1.9 FilterLogEvents a second, inside
lambdatop's 2.5."""
READ_COST_EVENTS = 150
"""A request is worth this many events downloaded twice: the streams are split into another
request only when that saves more re-downloads than this."""
PROBE_PERIOD_MS = 5_000
PROBE_WIDTH_MS = 1_000
"""The probe reads 1 s of every 5 (a fifth of a download per event): a new stream writing an event
a second is found within the probe's depth and 5 s."""
MIN_PROBE_DEPTH_MS = 4_000
FRESH_CHECKS = 3
"""DescribeLogStreams answers in a row that must agree with the ingestion seen in the events
before metadata is trusted as fresh: then the probe is skipped (new streams show there) and
only the streams whose metadata moved are read by name, every poll."""
INITIAL_CHUNK_MS = 60_000
SMALL_CHUNK_EVENTS = 2_000
STREAM_MEMORY_MS = 3_600_000
"""A stream silent this long below the swept horizon is forgotten (it is an ended environment)."""
LAG_SAMPLES = 200
IDLE_READS = 3
IDLE_BACKOFF_MS = 1_000
MAX_IDLE_BACKOFF_MS = 8_000
"""A stream that stops writing is read from its cursor less and less often (after three reads
that found nothing, by name, 1 s later, then 2, 4, 8): reading it with the head read every poll
would download its last events again each time."""


@dataclass(slots=True)
class TailStats:
    polls: int = 0
    calls: int = 0
    """Requests made: DescribeLogStreams and every FilterLogEvents page."""
    reads: int = 0
    """FilterLogEvents requests (pages) alone."""
    downloaded: int = 0
    """Events FilterLogEvents returned, duplicates included."""
    delivered: int = 0
    """Distinct events handed on."""
    sweeps: int = 0
    probes: int = 0
    fast_reads: int = 0

    @property
    def downloads_per_event(self) -> float:
        return self.downloaded / self.delivered if self.delivered else 0.0


@dataclass(slots=True)
class StreamCursor:
    """What has been delivered from one log stream."""

    cursor: int = -1
    """Newest event timestamp delivered from the stream by reads that reached it from the
    stream's previous cursor: everything ingested before it, at or below it, was delivered."""
    at_cursor: set[str] = field(default_factory=set)
    """Ids of the events delivered at exactly `cursor`."""
    ahead: dict[str, int] = field(default_factory=dict)
    """Ids (with timestamps) a group-wide read delivered above `cursor` without reaching back to
    it: the stream's own read from its cursor will download them again."""
    ingested: int = -1
    """The stream's `lastIngestionTime` when it was last read (a hint, possibly stale)."""
    newest_ingestion: int = -1
    """The newest `ingestionTime` of the events delivered from it: metadata older than this
    is stale."""
    idle: int = 0
    """Reads from its cursor in a row that found nothing new."""
    due_ms: int = 0
    """An idle stream is read from its cursor again at this time (a stream that writes again
    above the head read's start is read at once)."""
    recent: list[int] = field(default_factory=list)
    """Timestamps delivered above the swept horizon, sorted: what a read from further back
    would download twice."""

    def delivered_since(self, start_ms: int) -> int:
        return len(self.recent) - bisect_left(self.recent, start_ms)

    def advance(self, timestamp: int, key: str) -> None:
        if timestamp > self.cursor:
            self.cursor = timestamp
            self.at_cursor = {key}
            if self.ahead:
                self.at_cursor |= {k for k, ts in self.ahead.items() if ts == timestamp}
                self.ahead = {k: ts for k, ts in self.ahead.items() if ts > timestamp}
        elif timestamp == self.cursor:
            self.at_cursor.add(key)


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
        sure_ms: int | None = None,
    ) -> None:
        self.aws = aws
        self.log_group = log_group
        self.start_ms = start_ms
        self.filter_pattern = filter_pattern
        self.clock = clock
        self.late_window_ms = late_window_ms
        self.max_initial_events = max_initial_events
        self.sure_ms = sure_ms
        """The backfill's newest span, read whatever it holds; beyond it the backfill goes on
        only while the rate read so far says the rest of the history fits in
        `max_initial_events` (a quiet function's hour is read, a busy one's is counted)."""
        self.truncated_before_ms: int | None = None
        """Set when the first read stopped at `max_initial_events` (or would have, at the rate
        read over `sure_ms`): older lines not loaded."""
        self.stats = TailStats()
        self.started = False
        self.swept_until_ms = start_ms - 1
        """Every event at or before this was read group-wide after its late window had passed."""
        self.probed_ms = start_ms
        self.named_read_ms = start_ms
        self.streams: dict[str, StreamCursor] = {}
        self.seen: dict[str, int] = {}
        """Ids delivered above the swept horizon, with their timestamps."""
        self.forgotten_before_ms = start_ms - 1
        """Streams with nothing delivered after this may have been forgotten: no read of an
        unknown stream reaches back to it."""
        self.group_exists = True
        self.lag_p90_ms = 0
        self.fresh_checks = 0
        """DescribeLogStreams answers in a row that agreed with the events (see FRESH_CHECKS)."""
        self._fresh_streams: set[str] = set()
        """Streams that delivered something in this poll's reads by cursor."""
        self._pending: list[LogEvent] = []
        self._lags: list[float] = []

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @property
    def floor_ms(self) -> int:
        """`seen` holds every id delivered at or after this."""
        return self.swept_until_ms + 1

    async def poll(self, early: Handover | None = None) -> list[LogEvent]:
        """One poll: the events not delivered before, in timestamp order.

        `early`, while the backfill is read (the first poll, until one succeeds), receives its
        newest minute a page at a time as each page is read, in timestamp order; the poll then
        returns the rest, all older than what `early` received."""
        self.stats.polls += 1
        now = self._now_ms()
        if not self.started:
            await self._first_poll(now, early)
        else:
            hinted = await self._changed_streams()
            read = await self._read_by_cursor(now, hinted) if self.group_exists else set(hinted)
            # A hinted stream whose read waits for the next poll stays hinted.
            self._mark_read({name: at for name, at in hinted.items() if name in read})
            if self.group_exists:
                await self._probe(now)
            horizon = now - self.late_window_ms
            if self.group_exists and horizon - self.swept_until_ms >= self._sweep_period_ms():
                self._accept(await self._read(self.floor_ms, horizon, None), self.floor_ms)
                self.stats.sweeps += 1
                self.swept_until_ms = horizon
                self._forget()
        found, self._pending = self._pending, []
        found.sort(key=lambda e: e.timestamp_ms)
        return found

    async def _first_poll(self, now: int, early: Handover | None) -> None:
        changed = await self._changed_streams()
        events = await self._initial_read(now, early) if self.group_exists else []
        if self.truncated_before_ms is not None:
            self.forgotten_before_ms = max(self.forgotten_before_ms, self.truncated_before_ms - 1)
        # The initial read reached every stream from the start (or the truncation).
        self._accept(events, self.forgotten_before_ms + 1)
        self._mark_read(changed)
        self.started = True
        self.swept_until_ms = max(self.swept_until_ms, now - self.late_window_ms)
        self.probed_ms = now

    async def _initial_read(self, now: int, early: Handover | None) -> list[dict[str, Any]]:
        """History back to `start_ms`, newest first, up to `max_initial_events`; returns what
        was not handed to `early`.

        Chunks start at a minute and grow while they come back small, so a quiet function's
        hour costs a few requests and a busy one's newest minutes arrive first. The newest
        chunk is accepted page by page as it is read (and handed to `early`): it reaches every
        stream from the tail's start, as the whole read does, since no older event of a stream
        can move its cursor past the newest ones.
        """
        chunks: list[list[dict[str, Any]]] = []
        total = 0
        end: int | None = None
        upper = now
        size = INITIAL_CHUNK_MS
        while upper > self.start_ms:
            begin = max(self.start_ms, upper - size)
            downloaded = self.stats.downloaded
            if chunks:
                chunks.append(await self._read(begin, end, None))
            else:
                await self._read(begin, end, None, self._handover(early))
                chunks.append([])  # accepted as read
            if not self.group_exists:
                return []
            read = self.stats.downloaded - downloaded
            total += read
            end = begin - 1
            upper = begin
            if read < SMALL_CHUNK_EVENTS:
                size *= 4 if read < SMALL_CHUNK_EVENTS // 8 else 2
            if self._backfill_full(total, now, upper):
                if upper > self.start_ms:
                    self.truncated_before_ms = upper
                break
        return [event for chunk in reversed(chunks) for event in chunk]

    def _backfill_full(self, total: int, now: int, upper: int) -> bool:
        """The backfill stops: `max_initial_events` read, or, past `sure_ms`, the events read so
        far over the span read say the history left holds more than the rest of them."""
        limit = self.max_initial_events
        if limit is None:
            return False
        if total >= limit:
            return True
        read_ms = now - upper
        if self.sure_ms is None or read_ms < self.sure_ms or upper <= self.start_ms:
            return False
        return total + total * (upper - self.start_ms) / max(read_ms, 1) > limit

    def _handover(self, early: Handover | None) -> Callable[[list[dict[str, Any]]], None]:
        """Accept each page of the backfill's newest chunk as it is read, and hand it over."""

        def page_read(page: list[dict[str, Any]]) -> None:
            self._accept(page, self.forgotten_before_ms + 1)
            if early is not None and self._pending:
                found, self._pending = self._pending, []
                found.sort(key=lambda e: e.timestamp_ms)
                early(found)

        return page_read

    def _sweep_period_ms(self) -> int:
        return max(self.late_window_ms // 2, 10_000)

    def _base(self, known: StreamCursor | None) -> int:
        """Everything of the stream at or before this was delivered (or is not ours to)."""
        if known is None or known.cursor < 0:
            return self.forgotten_before_ms
        return known.cursor

    def _read_start(self, known: StreamCursor | None) -> int:
        """Where a read of the stream by its cursor begins (at the cursor: several events may
        share its millisecond)."""
        if known is None or known.cursor < 0:
            return self.forgotten_before_ms + 1
        return known.cursor

    async def _read_by_cursor(self, now: int, hinted: dict[str, int]) -> set[str]:
        """Read every live stream from its own cursor: the newest run group-wide, the rest by
        name up to where the group-wide read begins. Returns the streams read to the end."""
        live_since = self.floor_ms - self.late_window_ms
        fresh = self.metadata_fresh
        starts: dict[str, int] = {}
        idle: list[str] = []
        for name, known in self.streams.items():
            if fresh and not known.ahead and name not in hinted:
                continue  # fresh metadata says nothing landed since it was read
            if (
                known.ahead
                or name in hinted
                or (known.cursor >= live_since and known.idle < IDLE_READS)
            ):
                starts[name] = self._read_start(known)
            elif known.cursor >= live_since and known.due_ms <= now:
                idle.append(name)  # read by name, never dragging the head read back
        for name in hinted:
            starts.setdefault(name, self._read_start(self.streams.get(name)))
        # With no stream writing, the head read begins just above the newest event delivered.
        newest = max((known.cursor for known in self.streams.values()), default=-1)
        idle_head = max(self.floor_ms, min(now, newest + 1))
        head, runs = self._plan_reads(starts, idle_head)
        if idle:
            starts.update((name, self._read_start(self.streams[name])) for name in idle)
            runs.append(idle)
        self._fresh_streams.clear()
        covered: set[str] = set()
        if now - self.named_read_ms < NAMED_PERIOD_MS:
            runs = runs[:1]
        elif len(runs) > 1:
            self.named_read_ms = now
        for run in runs[1:]:
            names = [name for name in run if starts[name] < head]
            for i in range(0, len(names), STREAM_NAMES_LIMIT):
                chunk = names[i : i + STREAM_NAMES_LIMIT]
                begin = min(starts[name] for name in chunk)
                self._accept(await self._read(begin, head - 1, chunk), begin, set(chunk))
                self.stats.fast_reads += 1
                covered.update(chunk)
        self._accept(await self._read(head, None, None), head, covered)
        self.stats.fast_reads += 1
        reached = covered.union(runs[0])
        reached.update(name for name, start in starts.items() if start >= head)
        for name in reached:
            read = self.streams.get(name)
            if read is None:
                continue
            if name in self._fresh_streams:
                read.idle, read.due_ms = 0, now
            else:
                read.idle += 1
                backoff = read.idle - IDLE_READS
                wait = IDLE_BACKOFF_MS << min(backoff, 6) if backoff >= 0 else 0
                read.due_ms = now + min(wait, MAX_IDLE_BACKOFF_MS)
        return reached

    async def _probe(self, now: int) -> None:
        """A thin group-wide slice a few seconds deep, now and then: finds a new stream whose
        events land later than the head read reaches, long before the sweep would."""
        if now - self.probed_ms < PROBE_PERIOD_MS or self.metadata_fresh:
            return
        self.probed_ms = now
        depth = max(MIN_PROBE_DEPTH_MS, self.lag_p90_ms)
        end = now - depth
        begin = max(end - PROBE_WIDTH_MS + 1, self.floor_ms)
        if end < begin:
            return
        self._accept(await self._read(begin, end, None), begin)
        self.stats.probes += 1

    def _plan_reads(self, starts: dict[str, int], idle_head: int) -> tuple[int, list[list[str]]]:
        """Where the head read begins, and the streams read by name, in at most MAX_RUNS - 1
        runs.

        Sorted newest cursor first, the streams the head read serves are a prefix of that order
        (the head read begins at the oldest one's cursor, or at `idle_head` when it serves none);
        the rest are split into runs, each read by name from its oldest member's cursor. A read
        downloads again what it delivered since it begins: for the head read, from every stream,
        for a read by name, from its members. The split that costs least (those events plus
        READ_COST_EVENTS a request) is found by dynamic programming over the split points.
        """
        order = sorted(starts, key=lambda name: starts[name], reverse=True)
        n = len(order)
        # run_cost[a][b]: order[a..b] read together by name from order[b]'s start.
        run_cost = [[0] * n for _ in range(n)]
        for b in range(n):
            begin = starts[order[b]]
            total = READ_COST_EVENTS
            for a in range(b, -1, -1):
                known = self.streams.get(order[a])
                total += known.delivered_since(begin) if known else 0
                run_cost[a][b] = total
        infinity = float("inf")
        named = MAX_RUNS - 1
        # rest[k][a]: order[a..] in at most k runs by name; cut[k][a]: where the first one ends.
        rest = [[infinity] * (n + 1) for _ in range(named + 1)]
        cut = [[n] * (n + 1) for _ in range(named + 1)]
        for k in range(named + 1):
            rest[k][n] = 0
            if k == 0:
                continue
            for a in range(n - 1, -1, -1):
                for b in range(a, n):
                    cost = run_cost[a][b] + rest[k - 1][b + 1]
                    if cost < rest[k][a]:
                        rest[k][a], cut[k][a] = cost, b + 1
        best = (infinity, 0, idle_head)
        for j in range(n + 1):
            head = starts[order[j - 1]] if j else idle_head
            cost = READ_COST_EVENTS + sum(
                known.delivered_since(head) for known in self.streams.values()
            )
            if cost + rest[named][j] < best[0]:
                best = (cost + rest[named][j], j, head)
        _, j, head = best
        runs = [order[:j]]
        k, a = named, j
        while a < n:
            b = cut[k][a]
            runs.append(order[a:b])
            a, k = b, k - 1
        return head, runs

    @property
    def metadata_fresh(self) -> bool:
        return self.fresh_checks >= FRESH_CHECKS

    async def _changed_streams(self) -> dict[str, int]:
        """Streams whose metadata says data was ingested since we read them (a hint: it may be
        stale), with that ingestion time."""
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
        changed: dict[str, int] = {}
        agreed, stale = 0, False
        for stream in response.get("logStreams") or ():
            name = stream.get("logStreamName")
            if not isinstance(name, str):
                continue
            ingested = int(stream.get("lastIngestionTime") or stream.get("lastEventTimestamp") or 0)
            seen = self.streams.get(name)
            if seen is not None and seen.newest_ingestion >= 0:
                if ingested < seen.newest_ingestion:
                    stale = True  # behind what its own events say
                else:
                    agreed += 1
            if ingested < self.start_ms or ingested <= self.forgotten_before_ms:
                continue  # no events yet, or none since the tail's start
            known = self.streams.get(name)
            if known is not None and ingested <= known.ingested:
                continue
            changed[name] = ingested
        listed = {str(stream.get("logStreamName")) for stream in response.get("logStreams") or ()}
        if any(known.ahead and name not in listed for name, known in self.streams.items()):
            stale = True  # a stream that wrote is missing from the newest fifty
        self.fresh_checks = 0 if stale or not agreed else self.fresh_checks + 1
        return changed

    def _mark_read(self, streams: dict[str, int]) -> None:
        for name, ingested in streams.items():
            known = self.streams.get(name)
            if known is None:
                known = self.streams[name] = StreamCursor()
            known.ingested = max(known.ingested, ingested)

    async def _read(
        self,
        start_ms: int,
        end_ms: int | None,
        streams: list[str] | None,
        page_read: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Every page of one FilterLogEvents read; `page_read` takes each page as it comes (and
        then the pages are not returned). FilterLogEvents (https://docs.aws.amazon.com/
        AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html): "returns as many log
        events as can fit in 1 MB (up to 10,000 log events) ... If the results include a token,
        that means there are more log events available ... This operation can return empty
        results while there are more log events available through the token": an empty page
        ends nothing, only a page without a token does. `searchedLogStreams` "returns an empty
        list" since 2020: never read."""
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
                    # A named stream may have been deleted since we read it: forget it.
                    for name in streams or ():
                        self.streams.pop(name, None)
                    return events
                raise
            finally:
                self.stats.calls += 1
                self.stats.reads += 1
            page = response.get("events") or []
            self.stats.downloaded += len(page)
            self.aws.ledger.record_events(len(page))
            if page_read is not None:
                page_read(page)
            else:
                events.extend(page)
            next_token = response.get("nextToken")
            if not next_token or next_token == token:
                return events
            token = next_token

    def _is_new(self, key: str, timestamp: int, stream: str) -> bool:
        if timestamp < self.start_ms:
            return False
        if timestamp >= self.floor_ms:
            return key not in self.seen
        # At or below the swept horizon only the stream's own cursor can tell: everything
        # delivered from a stream is at or before its cursor, or held in `ahead`.
        known = self.streams.get(stream)
        if known is not None and key in known.ahead:
            return False
        if known is None or known.cursor < 0:
            return timestamp > self.forgotten_before_ms
        if timestamp != known.cursor:
            return timestamp > known.cursor
        return key not in known.at_cursor

    def _accept(
        self, events: list[dict[str, Any]], start_ms: int, covered: set[str] | None = None
    ) -> None:
        """Hand on the new events of a read that began at `start_ms`. A stream's cursor moves
        only when the read reached back to it (or, `covered`, when an earlier read of this poll
        ended just where this one began)."""
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
            known = self.streams.get(stream)
            reached = start_ms <= self._base(known) + 1 or (
                covered is not None and stream in covered
            )
            if not self._is_new(key, timestamp, stream):
                if reached and known is not None:
                    known.advance(timestamp, key)  # delivered before, now reached in order
                continue
            if known is None:
                known = self.streams[stream] = StreamCursor()
            if reached:
                known.advance(timestamp, key)
            else:
                known.ahead[key] = timestamp
            if timestamp >= floor:
                self.seen[key] = timestamp
                insort(known.recent, timestamp)
            self._fresh_streams.add(stream)
            ingestion = item.get("ingestionTime")
            if isinstance(ingestion, int | float):
                self._learn_lag(float(ingestion) - timestamp)
                known.newest_ingestion = max(known.newest_ingestion, int(ingestion))
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
        self.lag_p90_ms = int(percentile(self._lags, 90) or 0.0)
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
            if known.ahead:
                continue  # its own read has not caught up yet
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


def no_log_group(group: str) -> str:
    """A group that is not there is a function that never logged, not an error: "By default,
    CloudWatch automatically creates a log group named /aws/lambda/<function name> for your
    function when it's first invoked" (Lambda guide, Configuring CloudWatch log groups); "If
    there's no log group after invoking the function, it's usually because there's an issue
    with the function's AWS Identity and Access Management (IAM) permissions" (Knowledge
    Center, lambda-cloudwatch-log-streams-error)."""
    return (
        f"log group {group} does not exist yet: CloudWatch creates it when the function is first"
        " invoked (never invoked, or its role may not create log groups)"
    )
