"""Before a Logs Insights count that would scan more than the limit, the TUI asks: yes lets the
monitor count the window, no keeps the diagnosis of the lines read; each question is asked once."""

from __future__ import annotations

from uidata import PAYMENTS
from uifakes import AppFactory, RecordingBackend
from uitools import screen_text, settle, wait_until

from lambdatop.ui.screens.incident import IncidentScreen
from lambdatop.ui.screens.scan import ScanQuestion

WIDE = (160, 45)
QUESTION = (
    "Count payments's whole window with Logs Insights? An Insights scan of about 8.0 GB (~$0.04)"
    " over 60 min of 1 log group is above the limit of 5.0 GB."
)


async def test_yes_lets_the_monitor_count_the_window(
    make_app: AppFactory, backend: RecordingBackend
) -> None:
    app = make_app(functions=[PAYMENTS], backend=backend)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        state = app.model.store.function(PAYMENTS)
        state.scan_question = QUESTION
        state.version += 1
        await wait_until(pilot, lambda: isinstance(app.screen, ScanQuestion))
        await settle(pilot)
        assert "about 8.0 GB (~$0.04)" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert backend.named("allow_scan") == [("allow_scan", PAYMENTS)]
        assert isinstance(app.screen, IncidentScreen)


async def test_no_keeps_the_lines_read_and_is_not_asked_again(
    make_app: AppFactory, backend: RecordingBackend
) -> None:
    app = make_app(functions=[PAYMENTS], backend=backend)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        state = app.model.store.function(PAYMENTS)
        state.scan_question = QUESTION
        state.version += 1
        await wait_until(pilot, lambda: isinstance(app.screen, ScanQuestion))
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        state.version += 1  # the store moves on: the same question is not asked again
        app.refresh_screens()
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        assert backend.named("allow_scan") == []
