"""What the simulation has decided but that has not happened yet.

A simulated invocation is decided whole when it arrives, but its END and REPORT happen seconds
later: each log line and trace waits here until the wall clock reaches its timestamp, so a live
tail sees lines appear as they would on AWS, never ahead of time.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PendingLogEvent:
    group: str
    stream: str
    timestamp: int
    """Epoch milliseconds."""
    message: str


@dataclass(frozen=True, slots=True)
class PendingTrace:
    document: str


Pending = PendingLogEvent | PendingTrace


class Outbox:
    """A min-heap of pending items keyed by when they become visible (epoch seconds)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Pending]] = []
        self._counter = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def put(self, due: float, item: Pending) -> None:
        heapq.heappush(self._heap, (due, next(self._counter), item))

    def due(self, now: float) -> list[Pending]:
        """Pop everything due at or before `now`, in due order."""
        return [item for _, item in self.due_when(now)]

    def due_when(self, now: float) -> list[tuple[float, Pending]]:
        """Pop everything due at or before `now`, in due order, each with when it was due."""
        ready: list[tuple[float, Pending]] = []
        while self._heap and self._heap[0][0] <= now:
            due, _, item = heapq.heappop(self._heap)
            ready.append((due, item))
        return ready
