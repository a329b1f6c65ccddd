"""Python's garbage collector, paced for a screen that must answer keys while thousands of log
lines a second arrive.

A full collection walks every object the collector tracks, and the event loop waits meanwhile
(about 200 ms of CPU at a time, tailing 2,000 lines a second: issue 14). Most of those objects
live as long as the app: the modules, Textual's widgets and styles, the AWS SDK's service models,
a backfill's invocations. `LongLived.settle` moves what exists at such a moment out of the
collector's generations (`gc.freeze`), so full collections walk only what came since: after the
first frame, and when a source answers for the first time (the function list, a backfill), at
most once every `SETTLE_EVERY_S`.

Then the app makes its full collections itself, between frames (`maybe`, ten times a second),
and Python's own are off. A sweep collects everything and freezes what survives, so each walks
only what came since the last one (the tail's new lines, Textual's render caches, the widgets a
screen switch threw away): a few tens of milliseconds, not two hundred. A frozen object is
still freed when its last reference goes (reference counting), but garbage in a reference
cycle among frozen objects stays: the widgets Textual drops (a footer's keys, styles' virtual
nodes) are such cycles. A deep collection frees them: everything is unfrozen, collected and
frozen again. It walks every object (as long as a full collection walked before), so it is made
when the user has not pressed a key for `DEEP_IDLE_S` and the frozen objects grew by
`DEEP_GROWTH` since the last (after Python's own rule for its full collections), and while keys
keep coming only once they tripled.

In a process where something else froze many objects before the app's first frame (`lambdatop
--demo`: its simulated account's history, 641,000 objects when the monitor starts, more later),
a deep collection would walk them all: there the app only freezes at `settle` and full
collections are Python's, made rarer (`FULL_AFTER_YOUNG`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

SETTLE_EVERY_S = 10.0
"""A burst of first answers (a fleet's configurations) is settled once, not once each."""
FULL_AFTER_YOUNG = 100
"""In a process the app does not own: middle-generation collections before a full one
(Python's default: 10). Textual's rendering keeps tens of thousands of objects (strips,
segments, their caches) that a full collection still walks: at 2,000 lines a second one came
every 2.5 s; then one every 20 s or so."""
SWEEP_AFTER_YOUNG = 10
"""Middle-generation collections between two sweeps: Python's own pace for full collections
(about one a second at 2,000 lines a second)."""
SWEEP_HOLD_S = 0.1
"""A key or a click this recent may still be waiting for its frame: the sweep waits a tick
(unless three are owed)."""
DEEP_GROWTH = 0.125
"""The frozen objects grew by this share since the last deep collection: the next one is due.
Python makes a full collection when a quarter more objects are long-lived; the cycles waiting
for a deep one cost memory: a 3-hour night at 30 lines a second was 210 and 236 MB at 1 and 2 h
with a quarter, 193 and 221 MB with an eighth (202 and 226 MB before the app made its own)."""
DEEP_BOUND = 2.0
"""... and made even while keys keep coming once they grew by this share (tripled: a minute of
keys without a pause at 2,000 lines a second)."""
DEEP_IDLE_S = 2.0
"""No key or mouse event for this long: the user is reading, not waiting for a key's answer."""
FROZEN_BEFORE_LIMIT = 250_000
"""Objects frozen by others before the app's first frame that a deep collection may walk
(about a microsecond each)."""
_NEVER = 1_000_000_000
"""A threshold Python's own full collections never reach."""


def middle_collections() -> int:
    """Collections of the middle generation so far: the pace at which objects are made."""
    return int(gc.get_stats()[1]["collections"])


class LongLived:
    """When to freeze what the app holds, and when to collect: asked at every moment that may
    call for it."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        young: Callable[[], int] = middle_collections,
    ) -> None:
        self._clock = clock
        self._young = young
        self._settled_at: float | None = None
        self._owed = False
        """A moment came too soon after the last freeze: the next `maybe` settles it."""
        self._owner: bool | None = None
        """Nothing else froze objects in this process: the app makes the full collections."""
        self._thresholds = gc.get_threshold()
        self._swept_at = 0
        """`young()` at the last sweep."""
        self._frozen = 0
        """Objects frozen after the last sweep or settle."""
        self._deep_frozen = 0
        """... after the last deep collection (or the first settle)."""
        self._input_at = float("-inf")
        self.sweeps = 0
        self.deep = 0
        """How many of each were made (the bench prints them)."""

    def settle(self) -> None:
        """Now: what exists is long-lived (the first frame is up, a backfill was read)."""
        if self._owner is None:
            self._owner = gc.get_freeze_count() <= FROZEN_BEFORE_LIMIT
            self._thresholds = gc.get_threshold()
        gc.collect(1)  # young garbage freed, not frozen
        gc.freeze()
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, _NEVER if self._owner else FULL_AFTER_YOUNG)
        if self._owner:
            self._frozen = gc.get_freeze_count()
            self._deep_frozen = self._deep_frozen or self._frozen
        self._swept_at = self._young()
        self._settled_at = self._clock()
        self._owed = False

    def due(self) -> None:
        """Something long-lived arrived: settle now, or at the first `maybe` allowed."""
        self._owed = True
        self.maybe()

    def touched(self) -> None:
        """A key or the mouse: the user may be waiting for the screen."""
        self._input_at = self._clock()

    def maybe(self) -> None:
        """Between frames: settle what is owed, if the last freeze is old enough; collect what
        is due."""
        if self._owed:
            settled = self._settled_at
            if settled is None or self._clock() - settled >= SETTLE_EVERY_S:
                self.settle()
        if not self._owner:
            return
        grown = self._frozen - self._deep_frozen
        idle = self._clock() - self._input_at >= DEEP_IDLE_S
        if grown >= DEEP_BOUND * self._deep_frozen or (
            idle and grown >= DEEP_GROWTH * self._deep_frozen
        ):
            self._collect_all()
            return
        young = self._young() - self._swept_at
        answering = self._clock() - self._input_at < SWEEP_HOLD_S
        if young >= SWEEP_AFTER_YOUNG and (not answering or young >= 3 * SWEEP_AFTER_YOUNG):
            self._sweep()

    def release(self) -> None:
        """The app is gone: Python paces full collections again (what is frozen stays so)."""
        gc.set_threshold(*self._thresholds)
        self._owner = None

    def _sweep(self) -> None:
        gc.collect()
        gc.freeze()
        self._swept_at = self._young()
        self._frozen = gc.get_freeze_count()  # counted along a list: once a sweep, not a tick
        self.sweeps += 1

    def _collect_all(self) -> None:
        gc.unfreeze()
        self._sweep()
        self._deep_frozen = self._frozen
        self.deep += 1
