"""What every screen that shows the store shares."""

from __future__ import annotations

from textual.css.query import NoMatches
from textual.screen import Screen

from lambdatop.ui.model import UiModel


class StoreScreen(Screen[None]):
    """A screen drawn from the model the app hands it; the app calls `refresh_data` at the
    refresh rate, and the screen posts a message (lambdatop/ui/messages.py) to go elsewhere."""

    def __init__(self, model: UiModel, name: str | None = None) -> None:
        super().__init__(name=name)
        self.model = model
        self._ready = False
        """Composed and not yet taken down: the refresh timer can fire between a push and the
        compose, and while the app shuts down."""

    def refresh_data(self) -> None:
        """Repaint from the model, once the screen is composed."""
        if not self._ready:
            return
        try:
            self.repaint()
        except NoMatches:
            return  # the app is shutting down and the widgets are gone

    def repaint(self) -> None:
        """Draw the model's data (screens override)."""

    def on_unmount(self) -> None:
        self._ready = False
