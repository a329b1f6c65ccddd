"""An opened function's backfill on screen: its newest minute shows first, and its older minutes,
read after, go above it, so the log reads in time order and follows at its newest line."""

from __future__ import annotations

from typing import Any

from uifakes import AppFactory
from uitools import screen_lines, settle, wait_until

from lambdatop.core.records import LogEvent
from lambdatop.core.store import Store

FUNCTION = "orders-backfill"


def _events(clock: Any, messages: list[str], minutes_ago: float) -> list[LogEvent]:
    start = int((clock() - minutes_ago * 60) * 1000)
    return [
        LogEvent(start + i * 1000, message, "2026/12/07/[$LATEST]00aa11", f"{minutes_ago}:{i}")
        for i, message in enumerate(messages)
    ]


def _rows(app: Any, words: list[str]) -> list[int]:
    """The screen row of each word's line (-1: not on screen)."""
    lines = screen_lines(app)
    return [next((i for i, line in enumerate(lines) if word in line), -1) for word in words]


async def test_the_older_minutes_read_after_the_newest_show_above_it(
    make_app: AppFactory, store: Store, clock: Any
) -> None:
    state = store.function(FUNCTION)
    app = make_app(functions=[FUNCTION])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        held = state.add_events(_events(clock, ["newest-one", "newest-two"], 0.5))
        await wait_until(pilot, lambda: -1 not in _rows(app, ["newest-one", "newest-two"]))
        assert 0 <= _rows(app, ["newest-one"])[0] < _rows(app, ["newest-two"])[0]
        state.add_events_before(_events(clock, ["older-one", "older-two"], 10), held)
        words = ["older-one", "older-two", "newest-one", "newest-two"]
        await wait_until(pilot, lambda: -1 not in _rows(app, words))
        rows = _rows(app, words)
        assert -1 not in rows, f"every line on screen: {dict(zip(words, rows, strict=True))}"
        assert rows == sorted(rows), "in time order, the older minutes above"
        assert len(set(rows)) == 4, "each line once"
