"""What every screen that shows the store shares."""

from __future__ import annotations

from textual import widgets
from textual.css.query import NoMatches
from textual.screen import Screen

from lambdatop.ui.model import UiModel


class Footer(widgets.Footer):
    """Textual's footer, freeing the keys it composes again each time the bindings change."""

    async def recompose(self) -> None:
        await super().recompose()
        # Each key composed watches the footer's `compact`, and Textual forgets a removed key's
        # watcher only when `compact` changes (Textual issue #6666): it never does here, so
        # every key ever composed was kept, about 2 MB an hour through a night (bench/night.py).
        # Setting it again (to the same value) lets Textual drop the removed keys' watchers.
        self.mutate_reactive(widgets.Footer.compact)


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
