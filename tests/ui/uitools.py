"""What a person sees: the rendered text of the screen on top, for assertions in pilot tests."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

W = TypeVar("W", bound=Widget)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def screen_lines(app: App[Any]) -> list[str]:
    """Every row of the screen as plain text, as the terminal would draw it."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def screen_text(app: App[Any]) -> str:
    return "\n".join(screen_lines(app))


def assert_no_control(app: App[Any]) -> None:
    """Nothing on screen could drive a terminal: no ESC, no other control character."""
    for row, line in enumerate(screen_lines(app)):
        assert CONTROL.search(line) is None, f"control character on row {row}: {line!r}"
    svg = app.export_screenshot()
    assert "\x1b" not in svg


async def settle(pilot: Pilot[Any], frames: int = 2) -> None:
    """Let timers, messages and a repaint run."""
    for _ in range(frames):
        await pilot.pause()


PATIENCE_S = 10.0


async def wait_until(pilot: Pilot[Any], ready: Callable[[], bool]) -> None:
    """For work the app does in the background (the palette's search, a worker): poll, do not
    guess a delay that a loaded machine would miss."""
    deadline = time.monotonic() + PATIENCE_S
    while not ready():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.05)


async def mounted(pilot: Pilot[Any], screen: Screen[Any], kind: type[W]) -> W:
    """A widget the screen mounts after its first frame (the incident view's panels), once it
    is there."""
    await wait_until(pilot, lambda: bool(screen.query(kind)))
    return screen.query_one(kind)
