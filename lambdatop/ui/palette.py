"""The command palette's function switcher (ctrl+p): fuzzy-find any function and open it."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from lambdatop.ui.messages import OpenFunction
from lambdatop.ui.model import HasModel, UiModel
from lambdatop.ui.safe import safe

PROMPT = "Open "


def literal_highlight(matcher: Matcher, name: str) -> Content:
    """`Open <name>` with the matched letters highlighted. (`matcher.highlight` reads its
    candidate as markup; a name is data, so this builds it plainly.)"""
    content = Content(PROMPT + name)
    score, offsets = matcher.fuzzy_search.match(matcher.query, name)
    if score:
        for offset in offsets:
            if not name[offset].isspace():
                start = len(PROMPT) + offset
                content = content.stylize(matcher.match_style, start, start + 1)
    return content


class FunctionSwitcher(Provider):
    @property
    def model(self) -> UiModel:
        app = self.app
        # Textual builds providers itself: the model comes through the app that owns it.
        assert isinstance(app, HasModel), "the function switcher needs lambdatop's app"
        return app.model

    def _names(self) -> list[str]:
        store = self.model.store
        return sorted(set(store.inventory) | set(store.functions))

    def _open(self, name: str) -> None:
        self.app.post_message(OpenFunction(name))

    async def discover(self) -> Hits:
        for name in reversed(self.model.opened[-10:]):
            shown = PROMPT + safe(name)
            yield DiscoveryHit(Content(shown), partial(self._open, name), text=shown)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name in self._names():
            shown = safe(name)
            score = matcher.match(shown)
            if score > 0:
                yield Hit(
                    score,
                    literal_highlight(matcher, shown),
                    partial(self._open, name),
                    text=PROMPT + shown,
                )
