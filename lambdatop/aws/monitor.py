"""The monitor: runs every poller at its own cadence and writes what they read into the store.

Each poller's next tick is scheduled when its last one finished, so a slow backend never stacks
requests. Errors are data: a failing poller records what went wrong and when it will retry, backs
off (throttling doubles the wait, it never turns into a retry storm), and resumes by itself when
the cause goes away. Nothing an AWS call raises escapes a poller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from lambdatop.aws.errors import QuotaFull, describe, describe_source, retry_after_s
from lambdatop.aws.insights import (
    Insights,
    ScanEstimate,
    ScanLimit,
    ScanRefused,
    count_scan,
    count_window,
)
from lambdatop.aws.pacing import Backoff, Turns
from lambdatop.aws.pollers.fleet_logs import FleetLogPoller
from lambdatop.aws.pollers.inventory import InventoryPoller
from lambdatop.aws.pollers.linked import (
    LinkedMetricsPoller,
    linked_config,
    linked_functions,
    trace_sharing_accounts,
)
from lambdatop.aws.pollers.livetail import LiveTail
from lambdatop.aws.pollers.logs import LogTail
from lambdatop.aws.pollers.metrics import MetricsPoller
from lambdatop.aws.pollers.traces import TracesPoller, trace_detail
from lambdatop.aws.session import Aws
from lambdatop.core.fleet import ContextStore, list_every_s, split_linked
from lambdatop.core.records import LogEvent, LogRecord
from lambdatop.core.sources import (
    FLEET_LOGS,
    INSIGHTS,
    INVENTORY,
    LINKED,
    LINKED_METRICS,
    METRICS,
    SourceKey,
)
from lambdatop.core.store import FunctionState, Store
from lambdatop.core.timeutil import human_duration

log = logging.getLogger(__name__)
Clock = Callable[[], float]

BACKFILL_S = 15 * 60
"""An opened function's newest 15 min are read whatever they hold; the rest of its window only
while the rate read says it fits in `BACKFILL_EVENTS` (else Logs Insights counts the window)."""
TRACES_BEFORE_LOGS_S = 5.0
TRACES_EARLY_POLLS = 12
"""At most this many quick re-asks while a function's first logs arrive (emulators only)."""
BACKFILL_EVENTS = 50_000
FOCUSED_LOG_INTERVAL = (1.0, 5.0)
OTHER_LOG_INTERVAL = (15.0, 60.0)
"""An opened function off screen keeps following, slower: a focus change catches it up."""
OTHER_TRACES_SLOWER = 3
"""An opened function off screen asks for traces this many times less often."""
LIVE_TAIL_SESSIONS = 5
"""Live Tail sessions one lambdatop opens at most: a third of the account's default quota
("15 concurrent Live Tail sessions" per account, CloudWatch Logs quotas), which colleagues'
consoles share. Functions opened beyond it are polled."""
LIVE_TAIL_POLL_S = 1.0
"""Live Tail pushes an update a second; handing it on costs no AWS call."""
COUNT_EVERY_S = 300.0
"""How often Logs Insights counts again the window of a function whose backfill stopped short
of it: each count scans the window twice, billed by the GB."""
QUOTA_RETRY_S = 30.0
"""A count refused for Logs Insights' concurrent-query quota is asked again this soon."""


class Monitor:
    """Polls AWS for the store. Start with `start()`, stop with `await stop()`."""

    def __init__(
        self,
        aws: Aws,
        store: Store,
        *,
        window_s: float = 3600.0,
        clock: Clock = time.time,
        rng: random.Random | None = None,
        live_tail: bool = False,
        scan_limit: ScanLimit | None = None,
        backfill_events: int = BACKFILL_EVENTS,
        linked_accounts: bool = False,
    ) -> None:
        self.aws = aws
        self.scan_limit = scan_limit or ScanLimit()
        """What one count of a window may scan before the person is asked (`allow_scan`)."""
        self.backfill_events = backfill_events
        self._counts: dict[str, asyncio.Task[None]] = {}
        self._scans_allowed: set[str] = set()
        self._sample_start: dict[str, int] = {}
        self.live_tail = live_tail
        """Follow logs with Live Tail sessions (billed per minute) rather than by polling."""
        self._live_tails: dict[str, LiveTail] = {}
        self.store = store
        self.window_s = window_s
        self.clock = clock
        self.rng = rng or random.Random()
        self.watched: set[str] = set()
        self.focus: str | None = None
        self._wakes: dict[SourceKey, asyncio.Event] = {}
        """Each polling loop's wake-up, by its key: `r` wakes all, a focus change one."""
        self._stopping = False
        self._tasks: dict[SourceKey, asyncio.Task[None]] = {}
        self._log_shown: dict[str, asyncio.Event] = {}
        self._inventory = InventoryPoller(aws, store, self.watched)
        self._metrics = MetricsPoller(aws, store, self.watched, lambda: self.window_s, clock)
        self.insights = Insights(aws)
        """The one Insights runner of this account: its semaphore is lambdatop's share of the
        account's concurrent queries."""
        self._fleet_logs = FleetLogPoller(self.insights, store, self.watched, clock)
        self._linked: LinkedMetricsPoller | None = None
        """The source accounts' functions (CloudWatch cross-account observability), when this
        context is a monitoring account's and `--linked-accounts` asks for them."""
        if linked_accounts and isinstance(store, ContextStore):
            self._linked = LinkedMetricsPoller(
                aws, store, self.watched, lambda: self.window_s, clock
            )
        aws.in_flight = store.in_flight  # said on screen while they wait (issue 13)
        store.region = aws.region
        store.profile = aws.target.profile
        store.endpoint_url = aws.target.endpoint_url

    # --- control ---

    def start(self) -> None:
        # Each source's trouble names it on the banner: which read AWS throttles or fails.
        self._spawn(INVENTORY, self._inventory.tick, what="function list")
        self._spawn(METRICS, self._metrics.tick, what="metrics")
        self._spawn(FLEET_LOGS, self._fleet_logs.tick, what="fleet logs")
        if self._linked is not None:
            self._spawn(LINKED, self._list_linked, what="source accounts' functions")
            self._spawn(LINKED_METRICS, self._linked.tick, what="source accounts' metrics")

    def watch(self, name: str) -> FunctionState:
        """Follow a function's logs, metrics and traces (idempotent); its data stays afterwards."""
        state = self.store.function(name)
        bare, source_account = split_linked(name)
        if name not in self.watched and source_account is not None:
            # A source account's: its log group and metrics, and its traces where its link
            # shares them (aws/pollers/linked.py); its configuration is that account's to read.
            self.watched.add(name)
            if name not in self.store.inventory:  # named at start, not listed in a fleet
                state.config = self.store.inventory[name] = linked_config(
                    self.aws.region, bare, source_account
                )
            if self._linked is None:
                self._linked = LinkedMetricsPoller(
                    self.aws, self.store, self.watched, lambda: self.window_s, self.clock
                )
                self._spawn(LINKED_METRICS, self._linked.tick, what="source accounts' metrics")
            self._spawn(SourceKey.logs(name), self._log_ticker(state))
            self._wake_up(LINKED_METRICS)
            if source_account in (getattr(self.store, "trace_accounts", None) or ()):
                traces = TracesPoller(
                    self.aws,
                    bare,
                    lambda: self.window_s,
                    self.clock,
                    known_ids=state.trace_ids,
                    account=source_account,
                )
                self._spawn(
                    SourceKey.traces(name), self._trace_ticker(state, traces), what=f"{name} traces"
                )
        elif name not in self.watched:
            self.watched.add(name)
            self._spawn(SourceKey.logs(name), self._log_ticker(state), what=f"{name} logs")
            traces = TracesPoller(
                self.aws, name, lambda: self.window_s, self.clock, known_ids=state.trace_ids
            )
            self._spawn(
                SourceKey.traces(name), self._trace_ticker(state, traces), what=f"{name} traces"
            )
            self._spawn(SourceKey.config(name), self._detail_once(name), what=name)
            self._wake_up(METRICS)  # its charts come with the next metrics read
        return state

    def log_shown(self, name: str) -> asyncio.Event:
        """Set once the function's first log lines are in the store, or its first log read
        ended without any (it failed, there is no log group, nothing was logged)."""
        return self._log_shown.setdefault(name, asyncio.Event())

    def set_focus(self, name: str | None) -> None:
        """The function on screen gets the fastest log polling. Only its own log poll is
        hurried: switching between opened functions costs no other function's calls."""
        self.focus = name
        if name is not None:
            self.watch(name)
            self._wake_up(SourceKey.logs(name))
            traces = self.store.health.get(SourceKey.traces(name))
            last = traces.last_ok_s if traces is not None else None
            if last is not None and self.clock() - last >= TracesPoller.interval_s:
                self._wake_up(SourceKey.traces(name))  # read less often while off screen

    def allow_scan(self, name: str) -> None:
        """The person said yes: count the function's window whatever it scans."""
        self._scans_allowed.add(name)
        state = self.store.function(name)
        state.scan_question = None
        self._count_soon(state, again=True)

    def set_window(self, seconds: float) -> None:
        self.window_s = seconds
        self.refresh_now()
        # The figures are of the window counted: count the new one; and a window now wider
        # than the lines read is counted too, never the lines said to be the whole of it.
        begins = int((self.clock() - seconds) * 1000)
        wider = {name for name, begun in self._sample_start.items() if begun > begins + 1000}
        for name in set(self._counts) | wider:
            self._count_soon(self.store.function(name), again=True)

    def refresh_now(self) -> None:
        """Wake every poller now (the `r` key), and the counts the query quota held back."""
        self._wake_up(*self._wakes)
        held = self.store.health.get(INSIGHTS)
        if held is not None and held.error is not None:
            for name in list(self._counts):
                self._count_soon(self.store.function(name), again=True)

    def _wake_up(self, *keys: SourceKey) -> None:
        for key in keys:
            woken = self._wakes.get(key)
            if woken is not None:
                self._wakes[key] = asyncio.Event()
                woken.set()

    async def open_trace(self, name: str, trace_id: str) -> None:
        """Fetch one trace's segments for the waterfall; trouble lands in the store."""
        state = self.store.function(name)
        if trace_id in state.trace_details:
            return
        try:
            segments = await trace_detail(self.aws, trace_id)
        except Exception as error:  # noqa: BLE001 - shown as the source's trouble
            trouble = describe(error, "X-Ray")
            # Read again only when the waterfall is opened again: no "retrying".
            self.store.record_failure(SourceKey.trace(trace_id), trouble.kind, trouble.final, None)
            return
        state.set_trace_detail(trace_id, segments)
        self.store.record_ok(SourceKey.trace(trace_id))
        self._sync_ledger()

    def alive(self) -> set[SourceKey]:
        """The polling loops still running (a loop ends only when its job is done, e.g. a
        function's one-off configuration read; trouble never ends one)."""
        return {key for key, task in self._tasks.items() if not task.done()}

    async def stop(self) -> None:
        self._stopping = True
        tasks = [*self._tasks.values(), *self._counts.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            # A cancellation can be swallowed where it meets a wake-up (asyncio.wait_for in
            # Python 3.11 returns the waited result instead): ask until the task is done.
            while not task.done():
                await asyncio.wait({task}, timeout=0.5)
                if not task.done():
                    task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                task.result()
        self._tasks.clear()
        self._counts.clear()
        for live in self._live_tails.values():
            await live.close()
        self._live_tails.clear()
        await self.aws.close()

    # --- loops ---

    def _spawn(
        self, source: SourceKey, tick: Callable[[], Awaitable[float | None]], what: str = ""
    ) -> None:
        """One polling loop per source: its health is recorded under the same key, its trouble
        prefixed with `what` (the function, where the banner would not say which)."""
        if source in self._tasks and not self._tasks[source].done():
            return
        self._wakes.setdefault(source, asyncio.Event())
        self._tasks[source] = asyncio.create_task(
            self._loop(source, tick, what), name=f"lambdatop:{source}"
        )

    async def _loop(
        self, source: SourceKey, tick: Callable[[], Awaitable[float | None]], what: str
    ) -> None:
        backoff = Backoff(rng=self.rng)
        turns = Turns.of_this_task(held=lambda wait_s: self._held(source, wait_s))
        while True:
            wake = self._wakes[source]
            delay: float | None
            turns.next_try()
            try:
                delay = await tick()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - errors are data, never a crash
                trouble = describe_source(error, what)
                delay = backoff.next_delay()
                if not trouble.retry_soon:
                    delay = max(delay, 30.0)
                delay = max(delay, retry_after_s(error) or 0.0)  # AWS said how long to wait
                self.store.record_failure(
                    source, trouble.kind, trouble.message, self.clock() + turns.retry_in(delay)
                )
                log.debug("%s failed: %s", source, trouble.message)
            else:
                backoff.success()
                self.store.record_ok(source)
            self._sync_ledger()
            if delay is None:
                return
            if self._stopping:
                return
            # asyncio.timeout, not wait_for: it never mistakes a stop for a wake-up.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await wake.wait()

    def _held(self, source: SourceKey, wait_s: float) -> None:
        """The pacer holds the source's request `wait_s` (other requests took their turns
        first): a failing source is retried then, and the banner counts down to it."""
        health = self.store.health.get(source)
        if health is None or health.error is None:
            return  # nothing on the banner to put off
        health.next_retry_s = max(health.next_retry_s or 0.0, self.clock() + wait_s)
        self.store.touch()

    async def _list_linked(self) -> float:
        """The source accounts' functions, again as often as a fleet of their number is listed
        (DescribeLogGroups pages hold 50 groups, as ListFunctions' hold 50 functions): the
        requests an hour stay flat however many there are, and the tails keep the logs rate."""
        store = self.store
        assert isinstance(store, ContextStore)  # only then is it started
        if store.account is None:  # its own account, to tell its log groups from the sources'
            identity = await self.aws.call("sts", "GetCallerIdentity")
            store.account = str(identity.get("Account") or "") or None
        store.trace_accounts = await trace_sharing_accounts(self.aws)
        linked = await linked_functions(self.aws, store.account)
        store.set_linked(linked)
        return list_every_s(len(linked))

    def _sync_ledger(self) -> None:
        self.store.api_calls = self.aws.ledger.total_calls
        self.store.cost_usd = self.aws.ledger.cost_usd
        self.store.live_tail_usd_per_minute = self.aws.ledger.live_tail_usd_per_minute

    async def _log_source(self, name: str, group: str, start_ms: int) -> LogTail | LiveTail:
        """Live Tail when asked for and a session is free; else the polling tail."""
        old = self._live_tails.pop(name, None)
        if old is not None:
            await old.close()  # the function now logs elsewhere: its session ends
        # A source account's group (by ARN) is polled: Live Tail is the monitoring account's.
        if (
            self.live_tail
            and not group.startswith("arn:")
            and len(self._live_tails) < LIVE_TAIL_SESSIONS
        ):
            live = LiveTail(
                self.aws,
                group,
                start_ms,
                clock=self.clock,
                max_initial_events=self.backfill_events,
            )
            self._live_tails[name] = live
            return live
        return LogTail(
            self.aws,
            group,
            start_ms,
            clock=self.clock,
            max_initial_events=self.backfill_events,
            sure_ms=BACKFILL_S * 1000,
        )

    def _count_soon(self, state: FunctionState, again: bool = False) -> None:
        """Count the function's window with Logs Insights, then every `COUNT_EVERY_S`."""
        running = self._counts.get(state.name)
        if running is not None and not running.done():
            if not again:
                return
            running.cancel()
        self._counts[state.name] = asyncio.create_task(
            self._counting(state), name=f"lambdatop:count:{state.name}"
        )

    async def _counting(self, state: FunctionState) -> None:
        while not self._stopping:
            pause = COUNT_EVERY_S
            try:
                await self._count(state)
            except asyncio.CancelledError:
                raise
            except QuotaFull as error:
                # Others' queries hold the account's quota: said, as it stops every count, and
                # tried again as soon as one of them may have ended.
                pause = QUOTA_RETRY_S
                trouble = describe(error)  # its words name Logs Insights
                retry = self.clock() + pause
                self.store.record_failure(INSIGHTS, trouble.kind, trouble.message, retry)
            except Exception as error:  # noqa: BLE001 - errors are data, never a crash
                # The diagnosis stays the lines read, said to be a sample by the log's gap.
                log.debug("counting %s failed: %s", state.name, describe(error).message)
            else:
                if INSIGHTS in self.store.health:
                    self.store.record_ok(INSIGHTS)
            self._sync_ledger()
            await asyncio.sleep(pause)

    async def _count(self, state: FunctionState) -> None:
        group = state.config.effective_log_group if state.config else f"/aws/lambda/{state.name}"
        now = self.clock()
        start_s = now - self.window_s
        try:
            volume = await self.insights.estimate([group], start_s, now)
        except Exception:  # noqa: BLE001 - an unknown volume: its count is permitted
            volume = ScanEstimate(None, None, now - start_s, 1)
        limit = ScanLimit(self.scan_limit.max_bytes, allowed=state.name in self._scans_allowed)
        scan = count_scan(volume)
        if not limit.permits(scan):
            refused = str(ScanRefused(scan, limit))
            state.scan_question = (
                f"Count {state.name}'s whole window with Logs Insights?"
                f" {refused[:1].upper()}{refused[1:]}."
            )
            state.version += 1
            return
        figures, lines = await count_window(
            self.insights, group, int(start_s * 1000), int(now * 1000)
        )
        state.window = replace(
            figures,
            sample_events=state.pipeline.lines,  # every line read is of the sample's span
            sample_start_ms=self._sample_start.get(state.name),
        )
        state.window_lines = lines
        state.scan_question = None
        state.version += 1

    def _detail_once(self, name: str) -> Callable[[], Awaitable[float | None]]:
        """Read a function's configuration until it is read: its failure is retried on the
        loop's backoff like any source's, so the banner's "retrying" is kept (issue 13)."""

        async def tick() -> float | None:
            failed = await self._inventory.detail({name})
            if name in failed:
                raise failed[name]
            return None

        return tick

    def _log_ticker(self, state: FunctionState) -> Callable[[], Awaitable[float]]:
        tail: LogTail | LiveTail | None = None
        outage_since: float | None = None
        quiet = 0
        newest: list[LogRecord] = []
        """The backfill's newest minute, on screen before its older minutes are read."""

        def show_newest(events: list[LogEvent]) -> None:
            newest.extend(state.add_events(events))
            self.log_shown(state.name).set()

        async def tick() -> float:
            nonlocal tail, outage_since, quiet
            group = (
                state.config.effective_log_group if state.config else f"/aws/lambda/{state.name}"
            )
            if tail is None or tail.log_group != group:
                # The whole window when it is small, else its newest 15 min (`sure_ms`) and
                # Logs Insights counts the window: never 15 min said to be the hour.
                start = int((self.clock() - self.window_s) * 1000)
                tail = await self._log_source(state.name, group, start)
                self._sample_start[state.name] = start
            try:
                if isinstance(tail, LogTail) and not tail.started:
                    events = await tail.poll(early=show_newest)
                else:
                    events = await tail.poll()
            except Exception:
                if outage_since is None:
                    outage_since = self.clock()
                raise
            finally:
                self.log_shown(state.name).set()  # or its first read ended without lines
            if outage_since is not None:
                gap = self.clock() - outage_since
                state.add_gap(
                    int(self.clock() * 1000),
                    f"logs unreachable for {human_duration(gap)}; lines since then caught up below",
                )
                outage_since = None
            if tail.truncated_before_ms is not None:
                state.add_gap(
                    tail.truncated_before_ms,
                    f"older lines not loaded (the window holds more than {self.backfill_events:,}):"
                    " the window is counted by Logs Insights",
                )
                self._sample_start[state.name] = tail.truncated_before_ms
                tail.truncated_before_ms = None
                self._count_soon(state)
            if newest:  # the older minutes go before it
                state.add_events_before(events, newest)
                newest.clear()
            else:
                state.add_events(events)
            state.log_group_missing = not tail.group_exists
            if isinstance(tail, LiveTail):
                state.log_source = _live_tail_note(tail)
                if not tail.polling:
                    return LIVE_TAIL_POLL_S
            low, high = FOCUSED_LOG_INTERVAL if self.focus == state.name else OTHER_LOG_INTERVAL
            quiet = 0 if events else quiet + 1
            return min(high, low * (1.5**quiet))

        return tick

    def _trace_ticker(
        self, state: FunctionState, poller: TracesPoller
    ) -> Callable[[], Awaitable[float]]:
        soon = TRACES_EARLY_POLLS

        async def tick() -> float:
            nonlocal soon
            known = len(state.trace_ids())
            state.set_traces(await poller.poll())
            # Traces are told apart by the ids the logs carry: while the first logs are still
            # arriving (none yet, or more ids since the ask), ask again shortly.
            arriving = state.tail_total == 0 or len(state.trace_ids()) > known
            if poller.filtered_here and soon > 0 and arriving:
                soon -= 1
                return TRACES_BEFORE_LOGS_S
            if self.focus != state.name:
                return poller.interval_s * OTHER_TRACES_SLOWER
            return poller.interval_s

        return tick


def _live_tail_note(tail: LiveTail) -> str:
    """What the log pane says of its Live Tail: sampled, or polled while refused."""
    if tail.polling:
        return f"polled: Live Tail refused ({tail.refused})"
    if tail.sampled:
        return "Live Tail · SAMPLED by AWS: over 500 lines/s, a sample shown"
    return "Live Tail"
