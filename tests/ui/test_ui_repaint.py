"""What a refresh with nothing new costs and shows: the ages move, nothing else does, and the
screen is not laid out again for it (each layout repaints every widget: it was most of the
incident view's idle CPU). New data after quiet refreshes still reaches the screen."""

from __future__ import annotations

import re
from typing import Any

from uidata import NOW, PAYMENTS, LogGroup
from uifakes import AppFactory, Clock
from uitools import screen_lines, screen_text, settle

from lambdatop.core.sources import METRICS, ErrorKind, SourceKey
from lambdatop.core.store import Store
from lambdatop.ui.app import LambdatopApp

WIDE = (160, 45)
AGE = re.compile(r"\b\d+(?:\.\d+)? (?:s|min|h|d)\b")
"""An age as `human_duration` writes it (`4 s`, `12 min`): the only thing a quiet refresh moves."""


def layouts(app: LambdatopApp) -> list[Any]:
    """Every layout of the screen on top from now on (Textual signals each one)."""
    seen: list[Any] = []
    app.screen.screen_layout_refresh_signal.subscribe(app.screen, seen.append)
    return seen


def read_again(store: Store, *sources: SourceKey) -> None:
    """A poll that found nothing new: the source answered, so its age starts again."""
    for source in sources:
        store.record_ok(source)


async def test_a_refresh_with_nothing_new_moves_only_the_ages(
    make_app: AppFactory, clock: Clock
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        clock.advance(8)  # off the minute (the window keeps its first minute) and two digits
        app.refresh_screens()
        await settle(pilot)
        before = screen_lines(app)
        laid_out = layouts(app)
        clock.advance(2)
        app.refresh_screens()
        await settle(pilot)
        after = screen_lines(app)
        moved = [row for row, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert moved, "the ages did not move"
        for row in moved:
            assert AGE.sub("AGE", before[row]) == AGE.sub("AGE", after[row]), row
        assert "data 14 s old" in "\n".join(after)
        log_title = next(line for line in after if "times UTC" in line)
        assert "times UTC · 14 s old" in log_title  # the log's border, repainted alone
        assert laid_out == []


async def test_ages_that_start_again_repaint_without_a_layout(
    make_app: AppFactory, store: Store, clock: Clock
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        store.clock = clock
        laid_out = layouts(app)
        for _ in range(5):  # polls every 2 s that find nothing new, as on a quiet night
            clock.advance(2)
            read_again(store, METRICS, SourceKey.logs(PAYMENTS))
            app.refresh_screens()
            await settle(pilot)
        assert "data 0 s old" in screen_text(app)
        assert laid_out == []


async def test_new_data_after_quiet_refreshes_still_shows(
    make_app: AppFactory, store: Store, clock: Clock
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        for _ in range(3):
            clock.advance(2)
            app.refresh_screens()
            await settle(pilot)
        logs = LogGroup(PAYMENTS, 7, memory_mb=512)
        stream = logs.stream(int(NOW * 1000))
        logs.emit(stream, int(clock.now * 1000), "[ERROR]\t2026-03-02T09:30:00.000Z\tx\tlate news")
        store.function(PAYMENTS).add_events(logs.events)
        store.record_failure(
            SourceKey.logs(PAYMENTS), ErrorKind.THROTTLED, "AWS is throttling", clock.now + 30
        )
        app._poll_log()
        app.refresh_screens()
        await settle(pilot)
        shown = screen_text(app)
        assert "late news" in shown
        assert "⚠ AWS is throttling" in shown


async def test_an_age_that_needs_one_more_column_gets_it(
    make_app: AppFactory, clock: Clock
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        clock.advance(5)
        app.refresh_screens()
        await settle(pilot)
        assert screen_lines(app)[0].rstrip().endswith("data 9 s old")
        clock.advance(1)
        app.refresh_screens()
        await settle(pilot)
        title = screen_lines(app)[0]
        assert title.rstrip().endswith("data 10 s old")  # laid out again: not cut to `10 s ol`
        assert title.startswith(" payment-processor · timeout 30 s")
