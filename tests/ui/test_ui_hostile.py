"""Hostile content (escape sequences, OSC 8 and 52, Rich and Textual markup, NUL bytes, very long
lines, markup in names) is shown as literal text everywhere, never drives the terminal and never
crashes the app."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from uidata import HOSTILE, HOSTILE_NAME, build_store
from uifakes import AppFactory
from uitools import assert_no_control, screen_text, settle, wait_until

from lambdatop.core.sources import METRICS, ErrorKind
from lambdatop.core.store import Store
from lambdatop.ui.screens.trace import TraceScreen
from lambdatop.ui.widgets.diagnosis import DiagnosisPanel
from lambdatop.ui.widgets.log_view import LogView

WIDE = (200, 60)


@pytest.fixture
def store() -> Store:
    return build_store(hostile=True)


async def test_the_log_view_shows_hostile_lines_literally(make_app: AppFactory) -> None:
    app = make_app(functions=[HOSTILE])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        log = app.incident_screen.query_one(LogView)
        text = "\n".join(log.plain_lines())
        assert "[bold red]x[/] markup must stay literal" in text
        assert "[link=http://x]y[/link] link markup must stay literal" in text
        assert "[/] closing tag alone" in text
        assert "red by ANSI and  cleared" in text  # the sequences are gone, the words stay
        assert "click me osc8 link" in text
        assert "ZWNobyBwd25lZA==" not in text  # an OSC 52 clipboard write is dropped whole
        assert "NULbyte and bell and backspace inside" in text
        assert "END-OF-LONG-LINE" in text
        # a JSON line decodes \u001b and \u0000 only when shown: still nothing gets through
        assert "json red [bold]j[/] nul" in text
        assert "\x1b" not in text
        assert "\x00" not in text
        shown = screen_text(app)
        assert "[bold red]x[/] markup must stay literal" in shown
        assert_no_control(app)


async def test_hostile_lines_survive_wrap_search_and_highlight(make_app: AppFactory) -> None:
    app = make_app(functions=[HOSTILE])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        log = app.incident_screen.query_one(LogView)
        await pilot.press("w")
        await settle(pilot)
        wrapped = "".join(log.plain_lines())
        assert "END-OF-LONG-LINE" in wrapped
        await pilot.press("slash", *"[/]", "enter")
        await settle(pilot)
        assert len(log.matches) >= 4
        assert "highlight “[/]”" in screen_text(app)
        await pilot.press("n", "n", "N")
        assert_no_control(app)


async def test_the_fleet_shows_a_markup_name_and_an_escape_in_a_runtime_literally(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert HOSTILE_NAME in shown
        assert "python3.12" in shown
        assert_no_control(app)
        await pilot.press("slash", *"[bold", "enter")
        await settle(pilot)
        assert app.fleet_screen.rows == [HOSTILE_NAME]
        assert "filter “[bold”" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.incident_screen.function == HOSTILE_NAME
        assert screen_text(app).splitlines()[0].lstrip().startswith(HOSTILE_NAME)
        await pilot.press("p")  # the toast names it: as data, not markup
        await settle(pilot)
        assert_no_control(app)


async def test_traces_and_the_diagnosis_show_hostile_causes_literally(
    make_app: AppFactory,
) -> None:
    app = make_app(functions=[HOSTILE])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "1-[bold]x[/]-red" in shown  # the trace id in the table
        assert "[bold red]x[/]" in shown
        assert "[link=http://x]y[/link]" in shown
        panel = app.incident_screen.query_one(DiagnosisPanel)
        await pilot.press("d")
        while panel.selected_id() != "traces":
            await pilot.press("up")
        await settle(pilot)
        detail = screen_text(app)
        assert "[bold red]x[/]" in detail
        assert_no_control(app)
        await pilot.press("c")  # a command naming the hostile trace id: copied clean
        assert app.clipboard
        assert "\x1b" not in app.clipboard
        await pilot.press("t", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TraceScreen)
        waterfall = screen_text(app)
        assert "[bold red]seg[/]" in waterfall
        assert "[link=http://x]y[/link]" in waterfall
        assert "boom" in waterfall
        assert_no_control(app)


async def test_the_palette_lists_a_markup_name_literally(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"evil")
        assert isinstance(app.screen, CommandPalette)
        await wait_until(pilot, lambda: f"Open {HOSTILE_NAME}" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.incident_screen.function == HOSTILE_NAME)


async def test_a_hostile_banner_message_is_literal(make_app: AppFactory, store: Store) -> None:
    store.record_failure(
        METRICS,
        ErrorKind.OTHER,
        "boom [bold red]x[/] \x1b]52;c;cHduZWQ=\x07 [/]",
        next_retry_s=None,
    )
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "boom [bold red]x[/]" in shown
        assert_no_control(app)
