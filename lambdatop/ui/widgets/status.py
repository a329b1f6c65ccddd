"""The trouble banner and the status line: where lambdatop is looking and what it costs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from lambdatop.core.sources import SourceKey
from lambdatop.core.store import Store
from lambdatop.core.timeutil import human_duration
from lambdatop.ui.safe import safe
from lambdatop.ui.widgets.readout import Readout


def source_age(store: Store, source: SourceKey, now_s: float) -> str:
    """How old one source's data is, for a pane's border: `4 s old`, `not read yet`."""
    health = store.health.get(source)
    if health is None or health.last_ok_s is None:
        return "failing" if health is not None and health.error else "not read yet"
    age = f"{human_duration(max(0.0, now_s - health.last_ok_s))} old"
    return f"{age}, failing" if health.error else age


class Banner(Readout):
    """Shown only while a data source is in trouble: what, and when it is retried."""

    DEFAULT_CSS = """
    Banner { height: auto; background: $error; color: $text; padding: 0 1; display: none; }
    Banner.-visible { display: block; }
    """

    def show(self, store: Store, now_s: float) -> None:
        line = store.banner(now_s)
        self.set_class(line is not None, "-visible")
        if line is not None:
            self.show_text(Text(f"⚠ {line}", "bold"))


class StatusLine(Horizontal):
    """Where lambdatop looks, the window, what it has cost; and, always visible at the right
    however narrow the terminal, how to find the keys."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    StatusLine > #status-text { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusLine > #status-keys { width: auto; padding-left: 1; color: $text; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = Readout(id="status-text")

    def compose(self) -> ComposeResult:
        yield self.text
        keys = Text()
        keys.append("?", "bold")
        keys.append(" keys · ")
        keys.append("q", "bold")
        keys.append(" quit")
        yield Static(keys, markup=False, id="status-keys")

    def show(self, store: Store, window: str, extra: str = "") -> None:
        where = store.endpoint_url or (store.profile or "default profile")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{safe(where)} · {safe(store.region or '?')}", "bold")
        text.append(f" · window {window} (+/-)")
        if extra:
            text.append(f" · {extra}")  # where the user is first: the cost may be cut off
        # An estimate from list prices (free tiers not deducted), Insights' bytes scanned included.
        text.append(f" · {store.api_calls:,} API calls · ~${store.cost_usd:.4f} this session")
        if store.live_tail_usd_per_minute:
            text.append(f" + Live Tail ${store.live_tail_usd_per_minute:.2f}/min")
        self.text.show_text(text)
