"""Live Tail on screen: its price a minute on the status line, and the log pane saying when
AWS samples (the lines are then not all of them) or why the logs are polled instead."""

from __future__ import annotations

from uidata import PAYMENTS
from uifakes import AppFactory
from uitools import screen_text, settle

from lambdatop.core.store import Store
from lambdatop.ui.widgets.log_view import LogView


async def test_the_status_line_prices_the_open_sessions_and_the_pane_says_sampled(
    make_app: AppFactory, store: Store
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert "Live Tail" not in screen_text(app), "polling costs no minutes"
        store.live_tail_usd_per_minute = 0.01
        store.function(PAYMENTS).log_source = "Live Tail · SAMPLED by AWS: a sample shown"
        store.touch()
        app.refresh_screens()
        await settle(pilot)
        assert "+ Live Tail $0.01/min" in screen_text(app)
        title = str(app.incident_screen.query_one(LogView).border_title)
        assert "SAMPLED by AWS" in title
        store.function(PAYMENTS).log_source = "polled: Live Tail refused (AccessDeniedException)"
        store.touch()
        app.refresh_screens()
        await settle(pilot)
        title = str(app.incident_screen.query_one(LogView).border_title)
        assert "polled: Live Tail refused (AccessDeniedException)" in title
