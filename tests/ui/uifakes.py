"""Fakes the UI tests inject: a clock that moves only when told, and a recording Backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uidata import NOW

from lambdatop.core.records import TraceSegment
from lambdatop.core.store import Store
from lambdatop.ui.app import LambdatopApp


class Clock:
    """A wall clock that only moves when a test moves it."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingBackend:
    """The Backend protocol, recording every call; `open_trace` serves prepared segments."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[tuple[Any, ...]] = []
        self.segments: dict[str, list[TraceSegment]] = {}

    def named(self, call: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == call]

    def start(self) -> None:
        self.calls.append(("start",))

    def set_focus(self, name: str | None) -> None:
        self.calls.append(("set_focus", name))
        if name is not None:
            self.store.function(name)

    def set_window(self, seconds: float) -> None:
        self.calls.append(("set_window", seconds))

    def refresh_now(self) -> None:
        self.calls.append(("refresh_now",))

    def allow_scan(self, name: str) -> None:
        self.calls.append(("allow_scan", name))

    async def open_trace(self, name: str, trace_id: str) -> None:
        self.calls.append(("open_trace", name, trace_id))
        if trace_id in self.segments:
            self.store.function(name).set_trace_detail(trace_id, self.segments[trace_id])

    async def stop(self) -> None:
        self.calls.append(("stop",))


AppFactory = Callable[..., LambdatopApp]
