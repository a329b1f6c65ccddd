"""The help screen (lambdatop/ui/screens/help.py), built once and shown again at each `?`: over the
incident view it opens and closes by each of its keys, and shows every key each time."""

from __future__ import annotations

from uidata import PAYMENTS
from uifakes import AppFactory
from uitools import screen_text, settle

from lambdatop.ui.screens.help import HelpScreen


async def test_help_opens_again_after_each_of_its_closing_keys_and_lists_the_keys(
    make_app: AppFactory,
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        for close in ("escape", "question_mark", "q"):
            await pilot.press("question_mark")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            shown = screen_text(app)
            assert "Pause the log (new lines are counted) or follow it again" in shown
            assert "1-9" in shown
            await pilot.press(close)
            await settle(pilot)
            assert app.screen is app.incident_screen, close
        assert app.is_running, "q closes the help, not the app"
