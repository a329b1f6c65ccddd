"""Python's garbage collector, paced for a screen that must answer keys while thousands of log
lines a second arrive.

A full collection walks every object the collector tracks, and the event loop waits meanwhile
(about 200 ms of CPU at a time, every 3.5 s, tailing 2,000 lines a second: issue 14). Most of
those objects live as long as the app: the modules, Textual's widgets and styles, the AWS SDK's
service models, a backfill's invocations. `LongLived.settle` moves what exists at such a moment
out of the collector's generations (`gc.freeze`), so full collections walk only what came
since. A frozen object is still freed when its last reference goes (reference counting); only
garbage in a reference cycle would stay, so the young generations are collected first (a few
milliseconds) and freezes are few: after the first frame, and when a source answers for the
first time (the function list, a backfill), at most once every `SETTLE_EVERY_S`. What is not
long-lived (the tail, Textual's render caches) is walked by full collections made rarer
(`FULL_AFTER_YOUNG`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

SETTLE_EVERY_S = 10.0
"""A burst of first answers (a fleet's configurations) is settled once, not once each."""
FULL_AFTER_YOUNG = 100
"""Collections of the middle generation before a full one (Python's default: 10). Textual's
rendering keeps tens of thousands of objects (strips, segments, their caches) that a full
collection still walks: at 2,000 lines a second one came every 2.5 s; now one every 20 s or
so, and the few reference cycles left as garbage wait that long to be freed."""


class LongLived:
    """When to freeze what the app holds: asked at every moment that may call for it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._settled_at: float | None = None
        self._owed = False
        """A moment came too soon after the last freeze: the next `maybe` settles it."""

    def settle(self) -> None:
        """Now: what exists is long-lived (the first frame is up, a backfill was read)."""
        gc.collect(1)  # young garbage freed, not frozen
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_AFTER_YOUNG)
        self._settled_at = self._clock()
        self._owed = False

    def due(self) -> None:
        """Something long-lived arrived: settle now, or at the first `maybe` allowed."""
        self._owed = True
        self.maybe()

    def maybe(self) -> None:
        """Settle what is owed, if the last freeze is old enough."""
        if not self._owed:
            return
        settled = self._settled_at
        if settled is None or self._clock() - settled >= SETTLE_EVERY_S:
            self.settle()
