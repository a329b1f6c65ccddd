"""What the monitor's screens read: the store, the clock, the window, the opened and pinned
functions, and the caches that keep 2,000 fleet rows cheap.

The app owns one model and hands it to every screen it builds; a screen reads it, and asks the
app for anything else by posting a message (lambdatop/ui/messages.py). Nothing here draws.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from lambdatop.core.fleet import ContextStore, FleetStore
from lambdatop.core.sources import SourceKey
from lambdatop.core.store import Store
from lambdatop.core.summary import FunctionSummary, summarise
from lambdatop.core.timeutil import WINDOWS, parse_duration
from lambdatop.diagnose.evidence import from_state, with_window
from lambdatop.diagnose.model import CheckStatus, Diagnosis, Plane
from lambdatop.diagnose.thresholds import Thresholds

DEFAULT_WINDOW = "1h"
DIAGNOSIS_EVERY_S = 2.0
"""A function whose data keeps moving is diagnosed again at most this often."""
DIAGNOSIS_SHARE = 10
"""...and at most once in this many times its last diagnosis took: a diagnosis runs on the event
loop (keys wait for it), and one of 50,000 invocations takes about half a second of CPU."""
DIAGNOSES_PER_REFRESH = 40
"""The fleet re-diagnoses at most this many changed functions a refresh, so 2,000 stay smooth."""
MAX_PINNED = 9
"""Pins are reached with the keys 1 to 9."""


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


@dataclass(slots=True)
class _Cached:
    version: int
    minute: int
    """The window slides each minute, as the header's figures do: a diagnosis is made again."""
    at: float
    logs_read: bool
    """Opening a function makes its (empty) logs evidence: a diagnosis made before is stale."""
    value: Diagnosis
    cost_s: float = 0.0
    """The CPU time it took."""

    def fresh(self, now: float) -> bool:
        return now - self.at < max(DIAGNOSIS_EVERY_S, DIAGNOSIS_SHARE * self.cost_s)


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
        self._diagnoses: dict[str, _Cached] = {}
        self._summaries: dict[str, tuple[tuple[int, int, float, int], FunctionSummary]] = {}
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
        """The next look diagnoses again (a new window, `r`)."""
        self._diagnoses.clear()

    def forget_opened_diagnoses(self) -> None:
        """The opened functions are diagnosed again at the next look (a source's first answer
        arrived), not after `DIAGNOSIS_EVERY_S`; the fleet's other rows keep theirs."""
        for name in self.opened:
            self._diagnoses.pop(name, None)

    def new_refresh(self) -> None:
        """A refresh begins: the fleet may diagnose a few more functions."""
        self._budget = DIAGNOSES_PER_REFRESH

    def summary(self, name: str, now: float) -> FunctionSummary:
        """The fleet row's figures, recomputed only when the function's data, its
        configuration, the window or the minute changed (2,000 rows stay cheap)."""
        state = self.store.function(name)
        config = self.store.inventory.get(name)
        key = (state.version, id(config), self.window_s, int(now // 60))
        cached = self._summaries.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        summary = summarise(state, config, now, self.window_s)
        summary.name = name  # the fleet's key: in a fleet of several, name · region · account
        self._summaries[name] = (key, summary)
        return summary

    def diagnosis(self, name: str) -> Diagnosis | None:
        state = self.store.functions.get(name)
        if state is None or self._nothing_read(name):
            return None
        # The checks load with the first data: not before the first frame.
        from lambdatop.diagnose.engine import diagnose

        now = self.clock()
        logs_read = name in self.opened or bool(state.tail)
        cached = self._diagnoses.get(name)
        if (
            cached is not None
            and cached.logs_read == logs_read
            and (
                (cached.version == state.version and cached.minute == int(now // 60))
                or cached.fresh(now)
            )
        ):
            return cached.value
        began = time.process_time()
        evidence = from_state(
            state,
            self.locate(name)[0],
            start_ms=int((now - self.window_s) * 1000),
            end_ms=int(now * 1000),
            logs_read=logs_read,
        )
        counted = state.window
        if (
            counted is not None
            and abs(counted.end_ms - counted.start_ms - self.window_s * 1000) < 1000
        ):
            # The backfill stopped short of the window: Logs Insights counted all of it.
            evidence = with_window(evidence, counted, state.window_lines)
        result = diagnose(evidence, self.thresholds)
        cost = time.process_time() - began
        self._diagnoses[name] = _Cached(state.version, int(now // 60), now, logs_read, result, cost)
        return result

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
        """The fleet's status column: cached diagnoses, a few refreshed each tick."""
        cached = self._diagnoses.get(name)
        state = self.store.functions.get(name)
        if state is None:
            return CheckStatus.UNKNOWN
        if cached is None or (cached.version, cached.minute) != (
            state.version,
            int(self.clock() // 60),
        ):
            if self._budget <= 0:
                return headline(cached.value) if cached is not None else CheckStatus.UNKNOWN
            self._budget -= 1
            found = self.diagnosis(name)
            return headline(found) if found is not None else CheckStatus.UNKNOWN
        return headline(cached.value)


@runtime_checkable
class HasModel(Protocol):
    """An app that owns a model: how a part Textual builds itself (a command palette provider)
    reaches it without importing the app, which imports every screen."""

    model: UiModel
