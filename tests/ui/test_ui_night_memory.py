"""Left open through a night, the monitor frees what it takes off the screen: each time a
screen's key bindings change, Textual's footer composes its keys again, and the keys it removed
must be freed (Textual kept every one of them, about 2 MB an hour through the bench's night)."""

from __future__ import annotations

import gc
import weakref

from textual.widgets._footer import FooterKey
from uidata import ENCODER, PAYMENTS
from uifakes import AppFactory
from uitools import settle

from lambdatop.ui.app import LambdatopApp

WIDE = (160, 45)


def footer_keys(app: LambdatopApp) -> set[FooterKey]:
    """The keys every screen's footer shows (the fleet's stays under the incident view)."""
    return {key for screen in app.screen_stack for key in screen.query(FooterKey)}


async def test_footer_keys_taken_off_the_screen_are_freed(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS, ENCODER])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        seen: weakref.WeakSet[FooterKey] = weakref.WeakSet()
        shown: set[FooterKey] = set()
        composed = 0
        for _ in range(6):  # the next function, a look at the fleet and back, as in the night
            for step in ("tab", "fleet", "tab"):
                if step == "fleet":
                    app.show_fleet()
                else:
                    await pilot.press(step)
                await settle(pilot)
                previous, shown = shown, footer_keys(app)
                composed += len(shown - previous)
                seen.update(shown)
        del previous, shown
        # A removed key is a reference cycle, which a sweep may have frozen while it was shown:
        # the app's deep collection frees it (lambdatop/ui/collector.py); this is its walk.
        gc.unfreeze()
        gc.collect()
        on_screen = footer_keys(app)
        assert composed > 3 * len(on_screen), "the footer was not composed again"
        # A screen set aside keeps its last layout, keys included, until it is laid out again.
        kept = [key for key in seen if key not in on_screen]
        assert len(kept) <= len(on_screen), f"{len(kept)} of {composed} keys composed were kept"
