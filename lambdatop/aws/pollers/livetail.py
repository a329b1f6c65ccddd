"""Live Tail: CloudWatch Logs pushes a log group's events as they are ingested (opt-in: it is
billed per minute of session). The quotes below are from the CloudWatch Logs API reference,
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartLiveTail.html.

A source with the polling tail's face (`poll()` returns the events not returned before), so the
log pane and `lambdatop tail` take either. Behind it, a task keeps one StartLiveTail session
open and opens the next when one ends. What the CloudWatch Logs documentation says, and what is
done about it:

- "Every second, a LiveTailSessionUpdate object is sent", with "as many as 500 log events. If
  the number of log events matching the request exceeds 500 per second, the log events are
  sampled down to 500": `sampled` is kept and said on screen; lines are then a sample.
- "A SessionTimeoutException object is returned when the session times out, after it has been
  kept open for three hours"; "A SessionStreamingException object is returned if an unknown
  error occurs on the server side"; "The session also ends if the established connection
  between the client and the server breaks": each is followed by a new session.
- Events ingested between two sessions are in no session. After each sessionStart, a
  FilterLogEvents read (the polling tail's first read) covers from a little before the previous
  session's last update (the late reach: events are stamped before they are ingested) to now;
  the first session's read is the history back to `start_ms`.
- Live Tail events carry no eventId, and a new session may send again what the last one sent.
  Each source pass (a session, a catch-up read) counts the events it brings by (stream,
  timestamp, ingestion time, message); an event is shown when its pass has brought it more
  often than it has been shown, so nothing is shown twice and two identical lines both show.
- "You can include up to 10 log groups" (StartLiveTail, logGroupIdentifiers), given by ARN: one
  group a session here. Concurrent sessions are an account quota (CloudWatch Logs quotas: 15
  Live Tail sessions per account); `LimitExceededException` backs off and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from lambdatop.aws.pacing import Backoff
from lambdatop.aws.pollers.logs import LogTail
from lambdatop.aws.session import Aws
from lambdatop.core.records import LogEvent

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
EventKey = tuple[str, int, int, int]
"""Stream, timestamp, ingestion time and the message's hash: Live Tail events have no id."""

MAX_LOG_GROUPS = 10
"""StartLiveTail: "You can include up to 10 log groups.\""""
SESSION_LIMIT_S = 3 * 3600
"""StartLiveTailResponseStream: "Live Tail sessions time out after three hours.\""""
EVENTS_PER_UPDATE = 500
"""LiveTailSessionUpdate: "as many as 500 log events" a second, sampled above that."""
MIN_REACH_MS = 30_000
MAX_REACH_MS = 300_000
"""A catch-up reads this far before the last update at most: the latest an event may be
ingested after its timestamp and still be caught (the polling tail's late window, too)."""
QUOTA_WAIT_S = 60.0
"""The account's concurrent sessions are in use (other people's consoles): ask again later."""
MISSING_GROUP_WAIT_S = 30.0
DENIED_WAIT_S = 300.0
DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})
PRUNE_EVERY = 30
STEADY_UPDATES = 60
"""A session that streamed this many updates (a minute) was healthy: reconnect at once again."""


@dataclass(slots=True)
class LiveTailStats:
    sessions: int = 0
    """Sessions started (sessionStart received)."""
    timeouts: int = 0
    """Sessions AWS ended at its three-hour limit."""
    drops: int = 0
    """Sessions that ended early: a SessionStreamingException or a broken connection."""
    refusals: int = 0
    """StartLiveTail calls that failed (throttling, quota, denied, missing group)."""
    live: int = 0
    """Events shown from Live Tail."""
    caught_up: int = 0
    """Events shown from the FilterLogEvents reads after each sessionStart."""
    repeated: int = 0
    """Events a pass brought again that were already shown: not shown twice."""
    sampled_updates: int = 0
    session_seconds: float = 0.0


class LiveTail:
    """Follows one log group through Live Tail sessions from `start_ms`; `poll()` returns the
    events not returned before, `close()` ends the session."""

    def __init__(
        self,
        aws: Aws,
        log_group: str,
        start_ms: int,
        *,
        filter_pattern: str | None = None,
        clock: Clock = time.time,
        max_initial_events: int | None = None,
        sleep: Sleep = asyncio.sleep,
        backoff: Backoff | None = None,
    ) -> None:
        self.aws = aws
        self.log_group = log_group
        self.start_ms = start_ms
        self.filter_pattern = filter_pattern
        self.clock = clock
        self.max_initial_events = max_initial_events
        self.sleep = sleep
        self.backoff = backoff or Backoff(base=1.0, cap=60.0)
        self.stats = LiveTailStats()
        self.group_exists = True
        self.truncated_before_ms: int | None = None
        """Set when a catch-up read stopped at `max_initial_events`: older lines not loaded."""
        self.sampled = False
        """The last update said AWS sampled it (more than 500 matching events a second)."""
        self.open = False
        """A session is streaming now (sessionStart received, not ended)."""
        self.trouble: BaseException | None = None
        """Why no session is open, until one is: raised by `poll()` for the monitor to show."""
        self.changed = asyncio.Event()
        """Set whenever events arrive or the session's state changes (a waiter clears it)."""
        self._pending: list[LogEvent] = []
        self._shown: dict[EventKey, int] = {}
        self._last_seen_ms: int | None = None
        """When lines were last known complete: the last update, or the last poll while polling."""
        self._fallback: LogTail | None = None
        self._fallback_counts: Counter[EventKey] = Counter()
        self.refused: str | None = None
        """Why StartLiveTail was refused, while the group is polled instead."""
        self._reach_ms = MIN_REACH_MS
        self._task: asyncio.Task[None] | None = None
        self._catch_ups: set[asyncio.Task[None]] = set()
        self._arn: str | None = None
        self._updates = 0

    # --- the polling tail's face ---

    async def poll(self) -> list[LogEvent]:
        """The events not returned before, each batch in timestamp order; raises the reason
        no session is open (once there is nothing to hand on), so the monitor shows it. While
        StartLiveTail is refused (no permission, the account's sessions in use), the group is
        polled."""
        self.start()
        fallback = self._fallback
        if fallback is not None:
            events = await fallback.poll()
            self._last_seen_ms = int(self.clock() * 1000)
            self.group_exists = fallback.group_exists
            if fallback.truncated_before_ms is not None:
                self.truncated_before_ms, fallback.truncated_before_ms = (
                    fallback.truncated_before_ms,
                    None,
                )
            self._accept(events, self._fallback_counts)
            self._updates += 1
            if self._updates % PRUNE_EVERY == 0:
                self._prune()
        if self._catch_ups and self.trouble is None:
            # Lines that came live wait for the older ones the catch-up is reading, so the
            # pane reads in time order (as the polling tail hands each poll on).
            return []
        found, self._pending = self._pending, []
        if not found and self.trouble is not None and fallback is None:
            raise self.trouble
        found.sort(key=lambda event: event.timestamp_ms)
        return found

    @property
    def polling(self) -> bool:
        """StartLiveTail was refused: lines come from the polling tail until a session opens."""
        return self._fallback is not None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"livetail:{self.log_group}")

    async def close(self) -> None:
        tasks = [t for t in (self._task, *self._catch_ups) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    @property
    def done(self) -> bool:
        """The task ended (only by `close()`, or a bug: it is kept alive otherwise)."""
        return self._task is not None and self._task.done()

    # --- sessions ---

    async def _run(self) -> None:
        while True:
            try:
                delay = await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - shown by poll(), then tried again
                delay = self._after_failure(error)
            self.open = False
            self._notify()
            if delay > 0:
                await self.sleep(delay)

    async def _session(self) -> float:
        """One session, start to end; how long to wait before the next."""
        identifiers = [await self._group_arn()]
        params: dict[str, Any] = {"logGroupIdentifiers": identifiers[:MAX_LOG_GROUPS]}
        if self.filter_pattern:
            params["logEventFilterPattern"] = self.filter_pattern
        response = await self.aws.call("logs", "StartLiveTail", **params)
        stream = response["responseStream"]
        counts: Counter[EventKey] = Counter()
        self._updates = 0
        opened_s: float | None = None
        accounted_s = 0.0
        try:
            async for message in stream:
                now = self.clock()
                if "sessionStart" in message:
                    opened_s = accounted_s = now
                    self._session_started()
                elif "sessionUpdate" in message and opened_s is not None:
                    self._charge(now - accounted_s)
                    accounted_s = now
                    self._on_update(message["sessionUpdate"], counts)
        except Exception as error:
            if _code(error) != "SessionTimeoutException":
                raise
            self.stats.timeouts += 1
            return 0.0  # the documented end of a session: the next one at once
        finally:
            if opened_s is not None:
                self._charge(self.clock() - accounted_s)
                self.aws.ledger.live_tail_closed()
            with contextlib.suppress(Exception):
                stream.close()
        # The stream ended without a word: the connection broke.
        self.stats.drops += 1
        return self.backoff.next_delay()

    def _session_started(self) -> None:
        self.stats.sessions += 1
        self.aws.ledger.live_tail_opened()
        self.open = True
        self.group_exists = True
        self.trouble = None
        self.refused = None
        self._fallback = None  # the catch-up below reaches back over what it polled
        self._fallback_counts = Counter()
        since = self.start_ms
        if self._last_seen_ms is not None:
            since = max(self.start_ms, self._last_seen_ms - self._reach_ms)
        task = asyncio.create_task(self._catch_up(since), name="livetail:catch-up")
        self._catch_ups.add(task)
        task.add_done_callback(self._catch_ups.discard)
        self._notify()

    def _on_update(self, update: dict[str, Any], counts: Counter[EventKey]) -> None:
        sampled = bool((update.get("sessionMetadata") or {}).get("sampled"))
        if sampled:
            self.stats.sampled_updates += 1
        self.sampled = sampled
        self._last_seen_ms = int(self.clock() * 1000)
        if self._updates >= STEADY_UPDATES:
            self.backoff.success()  # only a session that lasted resets it: no reconnect storm
        events = [_live_event(item) for item in update.get("sessionResults") or ()]
        self.stats.live += self._accept(events, counts)
        self._updates += 1
        if self._updates % PRUNE_EVERY == 0:
            self._prune()
        self._notify()

    async def _catch_up(self, since_ms: int) -> None:
        """What no session saw: the history on the first session, the gap on a later one.
        Tried until it succeeds (the session streams meanwhile); its failures are shown."""
        backoff = Backoff(base=self.backoff.base, cap=self.backoff.cap)
        while True:
            reader = LogTail(
                self.aws,
                self.log_group,
                since_ms,
                filter_pattern=self.filter_pattern,
                clock=self.clock,
                max_initial_events=self.max_initial_events,
            )
            try:
                events = await reader.poll()
                break
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - shown by poll(), read again
                self.trouble = error
                self._notify()
                await self.sleep(backoff.next_delay())
        if self.open:
            self.trouble = None
        if reader.truncated_before_ms is not None:
            self.truncated_before_ms = reader.truncated_before_ms
        self.stats.caught_up += self._accept(events, Counter())
        # Done before it is said: the live lines held for it are handed on with its own.
        self._catch_ups.discard(asyncio.current_task())
        self._notify()

    def _after_failure(self, error: BaseException) -> float:
        code = _code(error)
        if self.open:
            # The session ended early (SessionStreamingException, a broken or silent
            # connection): the next one is opened at once; trouble only if that fails.
            self.stats.drops += 1
            return self.backoff.next_delay()
        self.trouble = error
        self.stats.refusals += 1
        if code == "ResourceNotFoundException":
            # The group does not exist yet (a function that never logged): not a trouble.
            self.group_exists = False
            self.trouble = None
            return MISSING_GROUP_WAIT_S
        self._poll_instead(code or type(error).__name__)
        if code in DENIED_CODES:
            return DENIED_WAIT_S  # the policy lacks logs:StartLiveTail: ask again now and then
        if code == "LimitExceededException":
            return max(QUOTA_WAIT_S, self.backoff.next_delay())
        return max(self.backoff.next_delay(), 1.0)

    def _poll_instead(self, why: str) -> None:
        """Lines keep coming while no session can be opened: the polling tail, from where
        the lines were last complete."""
        self.refused = why
        if self._fallback is None:
            since = self.start_ms
            if self._last_seen_ms is not None:
                since = max(self.start_ms, self._last_seen_ms - self._reach_ms)
            self._fallback = LogTail(
                self.aws,
                self.log_group,
                since,
                filter_pattern=self.filter_pattern,
                clock=self.clock,
                max_initial_events=self.max_initial_events,
            )
            self._fallback_counts = Counter()

    # --- exactly once ---

    def _accept(self, events: list[LogEvent], counts: Counter[EventKey]) -> int:
        """Hand on the events this pass brings more often than they were shown."""
        fresh = 0
        for item in events:
            key = _key(item)
            counts[key] += 1
            if counts[key] <= self._shown.get(key, 0):
                self.stats.repeated += 1
                continue
            self._shown[key] = counts[key]
            if item.ingestion_ms is not None:
                lag = item.ingestion_ms - item.timestamp_ms
                self._reach_ms = min(MAX_REACH_MS, max(self._reach_ms, 2 * lag))
            self._pending.append(item)
            fresh += 1
        return fresh

    def _prune(self) -> None:
        """Forget what no later pass can bring: older than a catch-up reaches."""
        if self._last_seen_ms is None:
            return
        floor = self._last_seen_ms - MAX_REACH_MS
        self._shown = {key: n for key, n in self._shown.items() if key[1] >= floor}

    # --- helpers ---

    def _charge(self, seconds: float) -> None:
        if seconds > 0:
            self.stats.session_seconds += seconds
            self.aws.ledger.record_live_tail(seconds)

    def _notify(self) -> None:
        self.changed.set()

    async def _group_arn(self) -> str:
        """StartLiveTail: "Specify each log group by its ARN.\""""
        if self._arn is None and self.log_group.startswith("arn:"):
            self._arn = self.log_group  # a source account's group, from a monitoring account
        if self._arn is None:
            identity = await self.aws.call("sts", "GetCallerIdentity")
            account = str(identity.get("Account") or "")
            self._arn = log_group_arn(self.aws.region, account, self.log_group)
        return self._arn


def log_group_arn(region: str, account: str, group: str) -> str:
    partition = "aws"
    if region.startswith("cn-"):
        partition = "aws-cn"
    elif region.startswith("us-gov-"):
        partition = "aws-us-gov"
    return f"arn:{partition}:logs:{region}:{account}:log-group:{group}"


def _live_event(item: dict[str, Any]) -> LogEvent:
    stream = str(item.get("logStreamName") or "")
    timestamp = int(item.get("timestamp") or 0)
    ingestion = item.get("ingestionTime")
    message = str(item.get("message") or "")
    ingestion_ms = int(ingestion) if isinstance(ingestion, int | float) else None
    return LogEvent(
        timestamp_ms=timestamp,
        message=message,
        stream=stream,
        event_id=f"{stream}:{timestamp}:{ingestion_ms}:{hash(message)}",
        ingestion_ms=ingestion_ms,
    )


def _key(event: LogEvent) -> EventKey:
    return (event.stream, event.timestamp_ms, event.ingestion_ms or 0, hash(event.message))


def _code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code") or "")
