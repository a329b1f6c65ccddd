"""A line of figures that changes every refresh (an age, a count) and costs almost nothing when
it does: it repaints only when its text changed, and lays the screen out again only when the new
text needs another size.

`Static.update` lays out the whole screen by default (its `layout=True`), which then repaints
every widget on it: a refresh that only moved an age from `4 s old` to `6 s old` cost a full
frame. A readout asks for a layout only when the text's measured width or height changed.
"""

from __future__ import annotations

from rich.text import Text
from textual.css.scalar import Scalar
from textual.widgets import Static


def same_text(before: Text | None, after: Text) -> bool:
    """Same characters and the same styles: `Text.__eq__` ignores the base style."""
    return before is not None and before == after and before.style == after.style


def _auto(scalar: Scalar | None) -> bool:
    """A size that follows the content (no size set fills the space; `1fr` shares it)."""
    return scalar is not None and scalar.is_auto


class Readout(Static):
    """A Static shown from `Text` (plain data, never markup) by `show_text`."""

    def __init__(self, text: Text | str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, markup=False)
        self._text: Text | None = None

    @property
    def text(self) -> Text | None:
        """What is shown (None before the first `show_text`)."""
        return self._text

    def show_text(self, text: Text) -> None:
        if same_text(self._text, text):
            return
        self._text = text
        if not self.is_mounted or not self.content_size.width:
            self.update(text)  # not laid out yet
            return
        before = self._measure()
        self.update(text, layout=False)
        if self._measure() != before:
            self.refresh(layout=True)

    def _measure(self) -> tuple[int, int]:
        """The size the layout gives the text shown: only a width or height set `auto` follows
        the text (no size fills the space, `1fr` shares it, a number is fixed)."""
        styles = self.styles
        container = self.container_size - styles.gutter.totals
        viewport = self.app.size
        width = self.content_size.width
        return (
            self.get_content_width(container, viewport) if _auto(styles.width) else width,
            self.get_content_height(container, viewport, width) if _auto(styles.height) else 0,
        )
