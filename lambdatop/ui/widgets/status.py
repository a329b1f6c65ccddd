"""The trouble banner and the status line: where lambdatop is looking and what it costs."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from lambdatop.core.store import Store


class Banner(Static):
    """Shown only while a data source is in trouble: what, and when it is retried."""

    DEFAULT_CSS = """
    Banner { height: auto; background: $error; color: $text; padding: 0 1; display: none; }
    Banner.-visible { display: block; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def show(self, store: Store, now_s: float) -> None:
        line = store.banner(now_s)
        self.set_class(line is not None, "-visible")
        if line is not None:
            self.update(Text(f"⚠ {line}", "bold"))


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def show(self, store: Store, window: str, extra: str = "") -> None:
        where = store.endpoint_url or (store.profile or "default profile")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{where} · {store.region or '?'}", "bold")
        text.append(f" · window {window}")
        text.append(f" · {store.api_calls:,} API calls · ~${store.cost_usd:.4f}")
        if extra:
            text.append(f" · {extra}")
        self.update(text)
