"""The log tail: every event a log group receives, delivered exactly once, cheaply.

FilterLogEvents can only select by event timestamp, and events arrive late and out of timestamp
order across streams (each stream is one execution environment, shipped in its own batches).
Re-reading a fixed overlap every poll downloads each event dozens of times; reading only after
the newest timestamp loses the late ones. This tail does neither:

1. Fast path, every poll: DescribeLogStreams (ordered by last event) names the streams whose
   `lastIngestionTime` moved since we last read them. FilterLogEvents then reads only those
   streams, from the oldest of their own cursors (the newest timestamp already read from each).
   Events within one stream arrive in order, so a stream's cursor is exact: an event is usually
   downloaded once, and shows within one poll of its ingestion.
2. Safety net, a sweep: each time range is re-read group-wide once, after it is complete (older
   than the late window, learned from observed ingestion lag), to catch anything the fast path
   missed (more streams than one Describe page, eventual consistency of stream metadata).
3. De-duplication by event id, in memory bounded by the late window: ids older than the sweep
   horizon can never be read again and are forgotten.

Throttling and outages raise to the monitor, which backs off; the cursors do not move, so the
next successful poll catches up from where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lambdatop.aws.session import Aws
from lambdatop.core.records import LogEvent
from lambdatop.core.stats import percentile

Clock = Callable[[], float]

MIN_LATE_WINDOW_MS = 10_000
MAX_LATE_WINDOW_MS = 300_000
DESCRIBE_LIMIT = 50
STREAM_NAMES_LIMIT = 100
STALE_READS_PER_POLL = 3
INITIAL_CHUNK_MS = 60_000
SMALL_CHUNK_EVENTS = 2_000


@dataclass(slots=True)
class TailStats:
    polls: int = 0
    calls: int = 0
    downloaded: int = 0
    """Events FilterLogEvents returned, duplicates included."""
    delivered: int = 0
    """Distinct events handed on."""
    sweeps: int = 0

    @property
    def downloads_per_event(self) -> float:
        return self.downloaded / self.delivered if self.delivered else 0.0


class LogTail:
    """Follows one log group from `start_ms`, handing each new event to `deliver` once."""

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
        self.swept_until_ms = start_ms
        self.cursors: dict[str, int] = {}
        """Newest event timestamp read from each stream."""
        self.ingested: dict[str, int] = {}
        """Each stream's lastIngestionTime when we last read it."""
        self.seen: dict[str, int] = {}
        """Event ids delivered, with their timestamps, back to the sweep horizon."""
        self._lags: list[float] = []
        self.group_exists = True

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @property
    def floor_ms(self) -> int:
        """No query reaches below this: ids older than it are forgotten."""
        return self.swept_until_ms - 1000

    async def poll(self) -> list[LogEvent]:
        """One poll: the events not delivered before, in the order they were found."""
        self.stats.polls += 1
        now = self._now_ms()
        if not self.started:
            # Stream metadata first, so the fast path starts from what this read covers.
            changed = await self._changed_streams()
            events = await self._initial_read(now)
            self._mark_read(changed)
            self.started = True
            self.swept_until_ms = max(self.start_ms, now - self.late_window_ms)
            return self._accept(events, learn=False)
        found = self._accept(await self._fast_path(now), learn=True)
        horizon = now - self.late_window_ms
        if horizon - self.swept_until_ms >= self._sweep_period_ms():
            found += self._accept(await self._read(self.floor_ms, horizon, None), learn=False)
            self.stats.sweeps += 1
            self.swept_until_ms = horizon
            self._forget_below(self.floor_ms)
        return found

    async def _initial_read(self, now: int) -> list[dict[str, Any]]:
        """History back to `start_ms`, newest first, up to `max_initial_events`.

        Chunks start at a minute and double while they come back small, so a quiet function's
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
            chunks.append(chunk)
            total += len(chunk)
            end = begin - 1
            upper = begin
            if len(chunk) < SMALL_CHUNK_EVENTS:
                size *= 2
            if self.max_initial_events is not None and total >= self.max_initial_events:
                if upper > self.start_ms:
                    self.truncated_before_ms = upper
                break
        return [event for chunk in reversed(chunks) for event in chunk]

    def _sweep_period_ms(self) -> int:
        return max(self.late_window_ms // 2, 10_000)

    async def _fast_path(self, now: int) -> list[dict[str, Any]]:
        """Read the streams that changed, each from its own cursor."""
        changed = await self._changed_streams()
        if not changed:
            return []
        # Streams read recently share one request; one coming back after a long pause is read
        # on its own, so it does not drag everyone's start back with it.
        recent_cut = now - 2 * self.late_window_ms
        recent = [name for name, (start, _) in changed.items() if start >= recent_cut]
        stale = [name for name, (start, _) in changed.items() if start < recent_cut]
        batches = [
            recent[i : i + STREAM_NAMES_LIMIT] for i in range(0, len(recent), STREAM_NAMES_LIMIT)
        ]
        batches += [[name] for name in stale[:STALE_READS_PER_POLL]]
        events: list[dict[str, Any]] = []
        for names in batches:
            start = min(changed[name][0] for name in names)
            events += await self._read(max(start, self.floor_ms), None, names)
            self._mark_read({name: changed[name] for name in names})
        return events

    async def _changed_streams(self) -> dict[str, tuple[int, int]]:
        """Streams with data ingested since we read them: where to start, and the ingestion."""
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
        self.stats.calls += 1
        self.group_exists = True
        changed: dict[str, tuple[int, int]] = {}
        floor = self.floor_ms
        for stream in response.get("logStreams") or ():
            name = stream.get("logStreamName")
            if not isinstance(name, str):
                continue
            last_event = int(stream.get("lastEventTimestamp") or 0)
            ingested = int(stream.get("lastIngestionTime") or last_event)
            if ingested <= self.ingested.get(name, 0):
                continue
            if name in self.cursors:
                start = self.cursors[name]
            else:
                if last_event and last_event < floor:
                    continue
                start = int(stream.get("firstEventTimestamp") or floor)
            changed[name] = (start, ingested)
        return changed

    def _mark_read(self, streams: dict[str, tuple[int, int]]) -> None:
        for name, (_, ingested) in streams.items():
            self.ingested[name] = ingested

    async def _read(
        self, start_ms: int, end_ms: int | None, streams: list[str] | None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "logGroupName": self.log_group,
            "startTime": max(start_ms, 0),
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
                    self.group_exists = False
                    return events
                raise
            self.stats.calls += 1
            page = response.get("events") or []
            self.stats.downloaded += len(page)
            self.aws.ledger.record_events(len(page))
            events.extend(page)
            next_token = response.get("nextToken")
            if not next_token or next_token == token:
                return events
            token = next_token

    def _accept(self, events: list[dict[str, Any]], *, learn: bool) -> list[LogEvent]:
        fresh: list[LogEvent] = []
        for item in events:
            event_id = item.get("eventId")
            timestamp = int(item.get("timestamp") or 0)
            stream = str(item.get("logStreamName") or "")
            key = (
                str(event_id)
                if event_id is not None
                else f"{stream}:{timestamp}:{hash(item.get('message'))}"
            )
            if key in self.seen:
                continue
            self.seen[key] = timestamp
            if timestamp > self.cursors.get(stream, 0):
                self.cursors[stream] = timestamp
            ingestion = item.get("ingestionTime")
            if learn and isinstance(ingestion, int | float):
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
        fresh.sort(key=lambda e: e.timestamp_ms)
        self.stats.delivered += len(fresh)
        return fresh

    def _learn_lag(self, lag_ms: float) -> None:
        """The late window follows the ingestion lag actually seen: twice its p99."""
        self._lags.append(lag_ms)
        if len(self._lags) >= 200:
            p99 = percentile(self._lags, 99) or 0.0
            self._lags.clear()
            wanted = int(2 * p99)
            self.late_window_ms = min(max(wanted, MIN_LATE_WINDOW_MS), MAX_LATE_WINDOW_MS)

    def _forget_below(self, floor: int) -> None:
        self.seen = {key: ts for key, ts in self.seen.items() if ts >= floor}
        self.cursors = {name: ts for name, ts in self.cursors.items() if ts >= floor - 3_600_000}
        self.ingested = {name: ts for name, ts in self.ingested.items() if name in self.cursors}


def _not_found(error: BaseException) -> bool:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    return bool(response.get("Error", {}).get("Code") == "ResourceNotFoundException")
