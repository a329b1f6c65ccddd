"""What every screen that shows the store shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from lambdatop.ui.app import LambdatopApp


class StoreScreen(Screen[None]):
    """A screen drawn from the app's store; `refresh_data` is called at the refresh rate."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)
        self._ready = False
        """Composed: the refresh timer can fire between a push and the compose."""

    @property
    def lapp(self) -> LambdatopApp:
        from lambdatop.ui.app import LambdatopApp

        assert isinstance(self.app, LambdatopApp)
        return self.app

    def refresh_data(self) -> None:
        """Repaint from the store (screens override)."""
