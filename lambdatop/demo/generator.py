"""The background thread that keeps the simulated account alive.

On start it backfills history (logs, metrics, traces) as fast as moto takes it, so a diagnosis
over the last hour shows every incident within seconds: the metrics and the newest quarter hour
first (what the monitor reads), then the older minutes, the live seconds carrying on between
them. Then, about once a second, it simulates the seconds that have just passed and writes
whatever has become due. Event timestamps are real wall-clock time; only the incident timeline
is compressed by `speed`.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from lambdatop.demo.account import Provisioned
from lambdatop.demo.formats import render_invocation
from lambdatop.demo.incidents import incident_for
from lambdatop.demo.invocation import SimulatedInvocation
from lambdatop.demo.metrics import MetricsBook
from lambdatop.demo.outbox import Outbox, Pending, PendingLogEvent, PendingTrace
from lambdatop.demo.publisher import Publisher
from lambdatop.demo.retention import prune
from lambdatop.demo.scenarios import Scenario
from lambdatop.demo.simulation import FunctionSimulator
from lambdatop.demo.timeline import Timeline
from lambdatop.demo.traces import segment_documents

logger = logging.getLogger(__name__)

DEFAULT_BACKFILL_SECONDS = 30 * 60.0
DEFAULT_RETENTION_SECONDS = 65 * 60.0
"""Longer than an hour, so a diagnosis over the last hour always has a full window."""
PRUNE_EVERY_SECONDS = 30.0
RECENT_SECONDS = 15 * 60.0
"""The history written first: the monitor's log backfill and the fleet's log scan read the last
15 minutes, so with these written (and every metric) it reads a complete window."""
STREAMS_PER_STEP = 40
"""Older history is written this many log streams at a time, the live seconds between steps."""


@dataclass(frozen=True, slots=True)
class GeneratorSettings:
    speed: float = 1.0
    seed: int = 7
    backfill_seconds: float = DEFAULT_BACKFILL_SECONDS
    retention_seconds: float = DEFAULT_RETENTION_SECONDS
    tick_seconds: float = 1.0
    """How often the live loop wakes up."""
    freeze_history: bool = False
    """Once the history is written, put every object alive out of the collector's reach
    (`gc.freeze`): an application that lives with the history in its own process asks for it."""


@dataclass(slots=True)
class GeneratorStats:
    """Counters for the soak report and for tests."""

    invocations: int = 0
    throttles: int = 0
    ticks: int = 0
    errors: int = 0
    streams_deleted: int = 0
    metric_data_dropped: int = 0
    traces_dropped: int = 0
    cpu_seconds: float = 0.0
    """CPU time used by the generator thread itself (simulation + client side of boto3)."""
    backfill_seconds: float = 0.0
    """Wall time the backfill took."""
    history_events: int = 0
    """Log events of the history (known once it is simulated)."""
    recent_events: int = 0
    """Of them, the newest RECENT_SECONDS' (written first)."""


class Generator:
    """Simulates every scenario and writes its output into the account, in its own thread."""

    def __init__(
        self,
        endpoint_url: str,
        scenarios: tuple[Scenario, ...],
        provisioned: Provisioned,
        settings: GeneratorSettings | None = None,
        clock: Callable[[], float] = time.time,
        traces_seen: Callable[[list[str]], object] | None = None,
        quiet: Callable[[], object] | None = None,
    ) -> None:
        """`traces_seen` is told every trace segment written (see Publisher); `quiet` returns
        at a quiet moment of the server, for the older minutes to be written in."""
        self.settings = settings or GeneratorSettings()
        self._clock = clock
        start = clock()
        self.timeline = Timeline(anchor=start, speed=self.settings.speed)
        self.simulators = [
            FunctionSimulator(
                scenario,
                incident_for(scenario),
                self.timeline,
                self.settings.seed,
                provisioned.versions.get(scenario.name, "$LATEST"),
            )
            for scenario in scenarios
        ]
        self.metrics = MetricsBook(provisioned.api_dimensions)
        self.outbox = Outbox()
        self.publisher = Publisher(endpoint_url, traces_seen)
        self._quiet = quiet
        self.stats = GeneratorStats()
        self.backfilled = threading.Event()
        """Set once the history is written (also if writing it failed: see the log)."""
        self.recent_written = threading.Event()
        """Set once every metric and the newest RECENT_SECONDS of logs and traces are written
        (or writing failed): a monitor reads complete figures; older minutes follow."""
        self._next_second = math.floor(start - self.settings.backfill_seconds)
        self._last_prune = start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- thread lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("generator already started")
        self._thread = threading.Thread(
            target=self._run, name="lambdatop-demo-generator", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        began = time.monotonic()
        try:
            self._backfill(self._clock())
        except Exception:
            self.stats.errors += 1
            logger.exception("backfill failed; the live loop carries on")
        finally:
            self.stats.backfill_seconds = time.monotonic() - began
            self.stats.cpu_seconds = time.thread_time()
            if self.settings.freeze_history:
                gc.freeze()
            self.recent_written.set()
            self.backfilled.set()
        while not self._stop.wait(self.settings.tick_seconds):
            try:
                self.advance(self._clock())
            except Exception:
                # A generator that dies leaves a frozen demo: log, count, and try again next tick
                self.stats.errors += 1
                logger.exception("generator tick failed")
            self.stats.cpu_seconds = time.thread_time()

    # -- one tick -----------------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Simulate every whole second before `now` and write whatever is due by `now`."""
        self.stats.ticks += 1
        until = math.floor(now)
        for second in range(self._next_second, until):
            if self._stop.is_set():
                return
            self._simulate_second(float(second))
        self._next_second = max(self._next_second, until)
        self._flush(now)
        self.publisher.write_metrics(self.metrics.complete(now))
        if now - self._last_prune >= PRUNE_EVERY_SECONDS:
            self._last_prune = now
            report = prune(self.publisher, now, self.settings.retention_seconds)
            self.stats.streams_deleted += report.streams_deleted
            self.stats.metric_data_dropped += report.metric_data_dropped
            self.stats.traces_dropped += report.traces_dropped

    def _backfill(self, now: float) -> None:
        """The history up to `now`: simulated in time order (the simulation has state), written
        newest first, as `advance` would have written it in one go."""
        self.stats.ticks += 1
        until = math.floor(now)
        for second in range(self._next_second, until):
            if self._stop.is_set():
                return
            self._simulate_second(float(second))
        self._next_second = max(self._next_second, until)
        self.publisher.write_metrics(self.metrics.complete(now))
        history = self.outbox.due_when(now)
        boundary = now - RECENT_SECONDS
        recent = [item for due, item in history if due >= boundary]
        older = [item for due, item in history if due < boundary]
        self.stats.recent_events = sum(isinstance(item, PendingLogEvent) for item in recent)
        self.stats.history_events = self.stats.recent_events + sum(
            isinstance(item, PendingLogEvent) for item in older
        )
        self._write(recent)
        self.recent_written.set()
        for step in _by_streams(older, STREAMS_PER_STEP):
            if self._quiet is not None:
                # The monitor's first reads come as the newest minutes are written: answered
                # first, they were twice as slow beside the older minutes' writing (issue 14)
                self._quiet()
            if self._stop.is_set():
                return
            self._write(step)
            # The live seconds go on while the older minutes are written: no frozen minute
            if self._clock() >= self._next_second + self.settings.tick_seconds:
                self.advance(self._clock())

    def _simulate_second(self, second: float) -> None:
        account_concurrency = 0
        for simulator in self.simulators:
            name = simulator.scenario.name
            result = simulator.step(second)
            for invocation in result.invocations:
                self._record(invocation)
            for age in result.iterator_ages:
                self.metrics.record_iterator_age(name, second, age)
            self.metrics.record_throttles(name, second, result.throttles)
            if result.concurrency or result.invocations:
                self.metrics.record_concurrency(name, second, result.concurrency)
            account_concurrency += result.concurrency
            self.stats.throttles += result.throttles
        self.metrics.record_concurrency(None, second, account_concurrency)

    def _record(self, invocation: SimulatedInvocation) -> None:
        self.stats.invocations += 1
        group = invocation.scenario.log_group
        for line in render_invocation(invocation):
            event = PendingLogEvent(group, invocation.stream, line.timestamp, line.message)
            self.outbox.put(line.timestamp / 1000.0, event)
        for document in segment_documents(invocation):
            self.outbox.put(invocation.end, PendingTrace(document))
        self.metrics.record_invocation(invocation)

    def _flush(self, now: float) -> None:
        self._write(self.outbox.due(now))

    def _write(self, items: list[Pending]) -> None:
        events: list[PendingLogEvent] = []
        documents: list[str] = []
        for item in items:
            if isinstance(item, PendingLogEvent):
                events.append(item)
            else:
                documents.append(item.document)
        if events:
            self.publisher.write_logs(events)
        if documents:
            self.publisher.write_traces(documents)


def _by_streams(items: list[Pending], streams: int) -> list[list[Pending]]:
    """The items in steps of `streams` log streams each (a stream's events in one step, as one
    PutLogEvents call takes them), the traces spread over the steps; newest streams first."""
    by_stream: dict[tuple[str, str], list[Pending]] = {}
    traces: list[Pending] = []
    for item in reversed(items):
        if isinstance(item, PendingLogEvent):
            by_stream.setdefault((item.group, item.stream), []).append(item)
        else:
            traces.append(item)
    groups = list(by_stream.values())
    count = max(1, math.ceil(len(groups) / streams))
    per_step = math.ceil(len(traces) / count)
    return [
        [
            *(item for group in groups[index * streams : (index + 1) * streams] for item in group),
            *traces[index * per_step : (index + 1) * per_step],
        ]
        for index in range(count)
    ]
