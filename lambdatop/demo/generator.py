"""The background thread that keeps the simulated account alive.

On start it backfills history (logs, metrics, traces) as fast as moto takes it, so a diagnosis
over the last hour shows every incident within seconds; then, about once a second, it simulates
the seconds that have just passed and writes whatever has become due. Event timestamps are real
wall-clock time; only the incident timeline is compressed by `speed`.
"""

from __future__ import annotations

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
from lambdatop.demo.outbox import Outbox, PendingLogEvent, PendingTrace
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


@dataclass(frozen=True, slots=True)
class GeneratorSettings:
    speed: float = 1.0
    seed: int = 7
    backfill_seconds: float = DEFAULT_BACKFILL_SECONDS
    retention_seconds: float = DEFAULT_RETENTION_SECONDS
    tick_seconds: float = 1.0
    """How often the live loop wakes up."""


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


class Generator:
    """Simulates every scenario and writes its output into the account, in its own thread."""

    def __init__(
        self,
        endpoint_url: str,
        scenarios: tuple[Scenario, ...],
        provisioned: Provisioned,
        settings: GeneratorSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
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
        self.publisher = Publisher(endpoint_url)
        self.stats = GeneratorStats()
        self.backfilled = threading.Event()
        """Set once the history is written (also if writing it failed: see the log)."""
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
            self.advance(self._clock())
        except Exception:
            self.stats.errors += 1
            logger.exception("backfill failed; the live loop carries on")
        finally:
            self.stats.backfill_seconds = time.monotonic() - began
            self.stats.cpu_seconds = time.thread_time()
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
        events: list[PendingLogEvent] = []
        documents: list[str] = []
        for item in self.outbox.due(now):
            if isinstance(item, PendingLogEvent):
                events.append(item)
            else:
                documents.append(item.document)
        if events:
            self.publisher.write_logs(events)
        if documents:
            self.publisher.write_traces(documents)
