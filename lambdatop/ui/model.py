"""What the monitor's screens read: the store, the clock, the window, the opened and pinned
functions, and the caches that keep 2,000 fleet rows cheap.

The app owns one model and hands it to every screen it builds; a screen reads it, and asks the
app for anything else by posting a message (lambdatop/ui/messages.py). Nothing here draws.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from lambdatop.core.fleet import ContextStore, FleetStore
from lambdatop.core.sources import SourceKey
from lambdatop.core.store import Store
from lambdatop.core.summary import FunctionSummary, summarise
from lambdatop.core.timeutil import WINDOWS, parse_duration
from lambdatop.diagnose.evidence import (
    Evidence,
    StateCopy,
    copy_state,
    copying,
    from_copy,
    with_window,
)
from lambdatop.diagnose.model import CheckStatus, Diagnosis, Plane
from lambdatop.diagnose.thresholds import Thresholds

DEFAULT_WINDOW = "1h"
DIAGNOSIS_EVERY_S = 2.0
"""A function whose data keeps moving is diagnosed again at most this often."""
DIAGNOSIS_SHARE = 10
"""...and at most once in this many times its last diagnosis took: made on a worker thread, a
diagnosis still holds Python's interpreter lock, and one of 50,000 invocations takes about a
third of a second of CPU."""
DIAGNOSES_PER_REFRESH = 40
"""The fleet re-diagnoses at most this many changed functions a refresh, so 2,000 stay smooth."""
INLINE_BELOW = 1_000
"""A function keeping fewer invocations than this is diagnosed on the event loop, at once (a
few milliseconds): a thread would only show it later. Above, on a worker thread."""
MAX_PINNED = 9
"""Pins are reached with the keys 1 to 9."""

Engine = Callable[[Evidence, Thresholds], Diagnosis]
"""What makes a diagnosis of the evidence: the engine's `diagnose` (a test may pass a slower
one, to press keys while it runs)."""
Freshness = tuple[int, int, bool]
"""What a diagnosis was made of: the function's data version, the minute, whether its logs
were read."""


def headline(diagnosis: Diagnosis) -> CheckStatus:
    """The fleet's status: fail, else warn, else ok; unknown when nothing could be told (no
    logs, metrics or traces read yet: a configuration alone does not make a function healthy)."""
    sources = [check for check in diagnosis.checks if check.plane is Plane.CONTROL]
    if sources and all(check.status is CheckStatus.UNKNOWN for check in sources):
        return CheckStatus.UNKNOWN
    statuses = {check.status for check in diagnosis.checks}
    for status in (CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.OK):
        if status in statuses:
            return status
    return CheckStatus.UNKNOWN


@dataclass(frozen=True, slots=True)
class MadeDiagnosis:
    """A diagnosis, and what and when it was made of."""

    function: str
    value: Diagnosis
    made_of: Freshness
    ticket: int
    """Which job made it: `UiModel.forget_diagnoses` makes those before stale."""
    at: float
    """The clock when its data was taken from the store."""
    cost_s: float
    """The CPU time it took (the thread's own)."""
    threaded: bool
    """Made on a worker thread (a large function): the screen says its age."""

    def fresh(self, now: float) -> bool:
        return now - self.at < max(DIAGNOSIS_EVERY_S, DIAGNOSIS_SHARE * self.cost_s)


@dataclass(frozen=True, slots=True)
class DiagnosisJob:
    """One function's diagnosis to make: `UiModel.copying` copies its data from the store on
    the event loop; `make` runs the checks over the copy, on any thread."""

    function: str
    made_of: Freshness
    ticket: int
    at: float
    start_ms: int
    end_ms: int
    whole_window: bool
    """The Logs Insights count covers the window asked: its figures are the diagnosis's."""
    invocations: int
    """Kept in the store when asked."""
    inline: bool
    """Made on the event loop, at once (small), else on a worker thread."""
    engine: Engine
    thresholds: Thresholds

    def make(self, copied: StateCopy) -> MadeDiagnosis:
        began = time.thread_time()
        evidence = from_copy(
            copied, start_ms=self.start_ms, end_ms=self.end_ms, logs_read=self.made_of[2]
        )
        if self.whole_window and copied.window is not None:
            # The backfill stopped short of the window: Logs Insights counted all of it.
            evidence = with_window(evidence, copied.window, copied.window_lines)
        value = self.engine(evidence, self.thresholds)
        return MadeDiagnosis(
            self.function,
            value,
            self.made_of,
            self.ticket,
            self.at,
            time.thread_time() - began,
            threaded=not self.inline,
        )


@dataclass(frozen=True, slots=True)
class ShownDiagnosis:
    """What the screens show of a function's diagnosis: the last one made, and whether a newer
    one is being made."""

    made: MadeDiagnosis | None
    making: bool

    @property
    def value(self) -> Diagnosis | None:
        return self.made.value if self.made is not None else None


def run_checks(evidence: Evidence, thresholds: Thresholds) -> Diagnosis:
    # The checks load with the first data: not before the first frame.
    from lambdatop.diagnose.engine import diagnose

    return diagnose(evidence, thresholds)


class UiModel:
    """The screens' shared state; the app changes it, the screens read it."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        window: str = DEFAULT_WINDOW,
        thresholds: Thresholds | None = None,
        live: bool = False,
        engine: Engine = run_checks,
        inline_below: int = INLINE_BELOW,
    ) -> None:
        self.store = store
        self.clock = clock
        self.window = window if window in WINDOWS else DEFAULT_WINDOW
        store.keep_series_for(self.window_s)
        self.thresholds = thresholds or Thresholds()
        self.live = live
        """A backend fills the store (else it is a fixed snapshot: nothing more will come)."""
        self.opened: list[str] = []
        """Functions opened this session, in the order they were first opened."""
        self.pinned: list[str] = []
        """Functions pinned to the keys 1-9, in order."""
        self.context_index: int | None = None
        """The one context the fleet shows (`x` steps through them), or None: all merged."""
        self.engine = engine
        """What makes a diagnosis (a test passes one it can hold back)."""
        self.inline_below = inline_below
        """Functions keeping fewer invocations are diagnosed on the event loop (0: none is)."""
        self._diagnoses: dict[str, MadeDiagnosis] = {}
        """The last diagnosis made of each function (older than its data, perhaps)."""
        self._tickets = 0
        """Jobs handed out so far: each gets the next number."""
        self._forgotten_up_to = 0
        """`forget_diagnoses`: diagnoses of jobs up to this one are shown, but made again."""
        self._forgotten: dict[str, int] = {}
        """The same for one function (`forget_opened_diagnoses`)."""
        self._making: dict[str, DiagnosisJob] = {}
        """Diagnoses being made, one a function."""
        self._summaries: dict[
            str, tuple[tuple[int, int, float, int, float | None], FunctionSummary]
        ] = {}
        self._budget = DIAGNOSES_PER_REFRESH

    @property
    def window_s(self) -> float:
        return parse_duration(self.window)

    @property
    def contexts(self) -> list[ContextStore]:
        """The contexts (profile × region) of a fleet of several; empty for one."""
        return self.store.contexts if isinstance(self.store, FleetStore) else []

    @property
    def context(self) -> ContextStore | None:
        """The context the fleet shows alone, or None when it shows them all."""
        contexts = self.contexts
        index = self.context_index
        return contexts[index] if index is not None and index < len(contexts) else None

    def next_context(self) -> None:
        """All merged → the first context alone → the next → … → all merged (as k9s's :ctx)."""
        index = -1 if self.context_index is None else self.context_index
        self.context_index = index + 1 if index + 1 < len(self.contexts) else None

    def locate(self, name: str) -> tuple[Store, str]:
        """The store that holds a function as its monitor wrote it, and its name there: the
        context's own (its region, account limits, sources' health) in a fleet of several."""
        if isinstance(self.store, FleetStore) and (home := self.store.locate(name)) is not None:
            return home
        return self.store, name

    def in_view(self, name: str) -> bool:
        """Whether a function is in the fleet as shown: every context, or the one chosen."""
        context = self.context
        return context is None or self.locate(name)[0] is context

    def open(self, name: str) -> None:
        if name not in self.opened:
            self.opened.append(name)

    def step_window(self, step: int) -> None:
        """Widen (+1) or narrow (-1) the window, within 15m … 12h."""
        index = min(max(WINDOWS.index(self.window) + step, 0), len(WINDOWS) - 1)
        self.window = WINDOWS[index]
        self.store.keep_series_for(self.window_s)
        self.forget_diagnoses()

    def forget_diagnoses(self) -> None:
        """The next look diagnoses again (a new window, `r`); the last diagnosis is shown
        meanwhile."""
        self._forgotten_up_to = self._tickets
        self._forgotten.clear()

    def forget_opened_diagnoses(self) -> None:
        """The opened functions are diagnosed again at the next look (a source's first answer
        arrived), not after `DIAGNOSIS_EVERY_S`; the fleet's other rows keep theirs."""
        for name in self.opened:
            self._forgotten[name] = self._tickets

    def new_refresh(self) -> None:
        """A refresh begins: the fleet may diagnose a few more functions."""
        self._budget = DIAGNOSES_PER_REFRESH

    def summary(self, name: str, now: float) -> FunctionSummary:
        """The fleet row's figures, recomputed only when the function's data, its
        configuration, the window, the minute or the fleet's log scan changed (2,000 rows stay
        cheap)."""
        state = self.store.function(name)
        config = self.store.inventory.get(name)
        scan = self.store.log_trouble
        scanned_at = scan.end_s if scan is not None else None
        key = (state.version, id(config), self.window_s, int(now // 60), scanned_at)
        cached = self._summaries.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        scanned = scan.reports_of(name) if scan is not None else None
        summary = summarise(state, config, now, self.window_s, scanned)
        summary.name = name  # the fleet's key: in a fleet of several, name · region · account
        self._summaries[name] = (key, summary)
        return summary

    def diagnosis(self, name: str) -> Diagnosis | None:
        """The function's diagnosis as of now, made on the caller's thread if the last one is
        stale (a headless reader); the screens use `due` and `shown` instead, a snapshot
        `current` and `fresh_job`."""
        job = self._job(name)
        if job is None:
            return self.current(name)
        return self.make_now(job).value

    def current(self, name: str) -> Diagnosis | None:
        """The last diagnosis made of the function, if it is still current (the data it was
        made of unchanged, or it is recent: `MadeDiagnosis.fresh`)."""
        last = self._diagnoses.get(name)
        return last.value if last is not None and self._current(name, last) else None

    def fresh_job(self, name: str) -> DiagnosisJob | None:
        """A diagnosis to make now for someone who asked (a snapshot), even while the screens'
        is being made; None when the last one is current (`current`) or nothing was read."""
        return self._job(name)

    def shown(self, name: str) -> ShownDiagnosis:
        """The last diagnosis made of the function, and whether a newer one is being made."""
        return ShownDiagnosis(self._diagnoses.get(name), name in self._making)

    def due(self, name: str, budgeted: bool = False) -> DiagnosisJob | None:
        """A diagnosis to make now, if the function's is stale and none is being made: the
        caller makes it (`make_now`, or `copying` then `DiagnosisJob.make` on a thread) and
        hands it to `made`, or calls `abandon`. A large one waits while another large one is
        being made: two threads would only share one interpreter lock. `budgeted`: the fleet's
        rows, a few a refresh."""
        if name in self._making or (budgeted and self._budget <= 0):
            return None
        job = self._job(name)
        if job is None:
            return None
        if not job.inline and any(not other.inline for other in self._making.values()):
            return None
        if budgeted:
            self._budget -= 1
        self._making[name] = job
        return job

    def copying(self, job: DiagnosisJob) -> Generator[None, None, StateCopy]:
        """Copy the job's function from the store, a step at a time (on the event loop)."""
        return copying(self.store.function(job.function), self.locate(job.function)[0])

    def make_now(self, job: DiagnosisJob) -> MadeDiagnosis:
        """Make it here and now (a small one, or one asked for synchronously)."""
        made = job.make(copy_state(self.store.function(job.function), self.locate(job.function)[0]))
        self.made(made)
        return made

    def made(self, made: MadeDiagnosis) -> None:
        """A diagnosis was made: shown, unless a newer one already is."""
        name = made.function
        self._making.pop(name, None)
        last = self._diagnoses.get(name)
        if last is None or made.ticket >= last.ticket:
            self._diagnoses[name] = made

    def abandon(self, job: DiagnosisJob) -> None:
        """The job will not be made (the app is closing, the checks broke): ask again later."""
        if self._making.get(job.function) is job:
            del self._making[job.function]

    def _current(self, name: str, made: MadeDiagnosis) -> bool:
        """Made of the function's data as it is (or recently enough: `MadeDiagnosis.fresh`)."""
        state = self.store.functions.get(name)
        if state is None:
            return False
        now = self.clock()
        if made.ticket <= max(self._forgotten_up_to, self._forgotten.get(name, 0)):
            return False
        logs_read = name in self.opened or bool(state.tail)
        if made.made_of[2] != logs_read:
            return False  # opening a function makes its (empty) logs evidence
        return made.made_of[:2] == (state.version, int(now // 60)) or made.fresh(now)

    def _job(self, name: str) -> DiagnosisJob | None:
        """The diagnosis to make, when the last one is not current."""
        state = self.store.functions.get(name)
        if state is None or self._nothing_read(name):
            return None
        last = self._diagnoses.get(name)
        if last is not None and self._current(name, last):
            return None
        now = self.clock()
        counted = state.window
        invocations = len(state.pipeline.tracker.invocations)
        self._tickets += 1
        return DiagnosisJob(
            function=name,
            made_of=(state.version, int(now // 60), name in self.opened or bool(state.tail)),
            ticket=self._tickets,
            at=now,
            start_ms=int((now - self.window_s) * 1000),
            end_ms=int(now * 1000),
            whole_window=counted is not None
            and abs(counted.end_ms - counted.start_ms - self.window_s * 1000) < 1000,
            invocations=invocations,
            inline=invocations < self.inline_below,
            engine=self.engine,
            thresholds=self.thresholds,
        )

    def _nothing_read(self, name: str) -> bool:
        """Nothing about the function has been read (nor failed to be): the screen says it
        waits for data rather than diagnose an empty function."""
        state = self.store.functions[name]
        health = self.store.health
        return (
            state.version == 0
            and state.config is None
            and SourceKey.config(name) not in health
            and SourceKey.logs(name) not in health
        )

    def worst_status(self, name: str) -> CheckStatus:
        """The fleet's status column: the last diagnosis made (the fleet asks for newer ones,
        a few a refresh: `due`)."""
        last = self._diagnoses.get(name)
        return headline(last.value) if last is not None else CheckStatus.UNKNOWN


@runtime_checkable
class HasModel(Protocol):
    """An app that owns a model: how a part Textual builds itself (a command palette provider)
    reaches it without importing the app, which imports every screen."""

    model: UiModel
