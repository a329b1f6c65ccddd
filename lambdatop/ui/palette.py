"""The command palette's function switcher (ctrl+p): fuzzy-find any function and open it."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from lambdatop.ui.app import LambdatopApp


class FunctionSwitcher(Provider):
    def _names(self) -> list[str]:
        app: LambdatopApp = self.app  # type: ignore[assignment]
        return sorted(set(app.store.inventory) | set(app.store.functions))

    def _open(self, name: str) -> None:
        app: LambdatopApp = self.app  # type: ignore[assignment]
        app.open_function(name)

    async def discover(self) -> Hits:
        app: LambdatopApp = self.app  # type: ignore[assignment]
        for name in app.opened[-10:]:
            yield DiscoveryHit(f"Open {name}", partial(self._open, name), help="opened before")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name in self._names():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(f"Open {name}"), partial(self._open, name))
