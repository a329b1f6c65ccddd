"""One X-Ray trace as a waterfall of its segments and subsegments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from lambdatop.core.records import TraceSegment

if TYPE_CHECKING:
    from lambdatop.ui.app import LambdatopApp

NAME_WIDTH = 34


def waterfall(segments: list[TraceSegment], width: int) -> Text:
    """Each (sub)segment on a line: indented name, a bar on the trace's time axis, duration."""
    text = Text()
    if not segments:
        text.append("No segments in this trace.", "dim")
        return text
    start = min(s.start_s for s in segments)
    end = max((s.end_s or s.start_s) for s in segments)
    span = max(end - start, 1e-6)
    bar_width = max(10, width - NAME_WIDTH - 22)
    text.append(f"{'segment':<{NAME_WIDTH}} {'0 s':<{bar_width // 2}}", "dim")
    text.append(f"{span:>{bar_width - bar_width // 2}.2f} s\n", "dim")
    for segment in segments:
        name = ("  " * segment.depth + segment.name)[:NAME_WIDTH]
        offset = int((segment.start_s - start) / span * bar_width)
        length = max(1, int(((segment.end_s or end) - segment.start_s) / span * bar_width))
        length = min(length, bar_width - offset) if offset < bar_width else 1
        colour = (
            "red" if segment.fault else "yellow" if segment.error or segment.throttle else "green"
        )
        text.append(f"{name:<{NAME_WIDTH}} ")
        text.append(" " * offset)
        text.append("█" * length, colour)
        text.append(" " * max(0, bar_width - offset - length))
        duration = segment.duration_s
        status = f" {segment.http_status}" if segment.http_status else ""
        flag = (
            " fault"
            if segment.fault
            else " error"
            if segment.error
            else " throttle"
            if segment.throttle
            else ""
        )
        text.append(f" {duration:7.3f} s" if duration is not None else "   open", "bold")
        text.append(f"{status}{flag}\n", colour if flag else "dim")
        if segment.cause:
            text.append(f"{'':<{NAME_WIDTH}}   ↳ {segment.cause}\n", "italic red")
    return text


class TraceScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="trace_back")]
    DEFAULT_CSS = """
    TraceScreen #trace-title { height: 1; background: $primary; color: $text; padding: 0 1; }
    TraceScreen VerticalScroll { height: 1fr; padding: 0 1; }
    """

    def __init__(self, function: str, trace_id: str) -> None:
        super().__init__()
        self.function = function
        self.trace_id = trace_id

    @property
    def lapp(self) -> LambdatopApp:
        from lambdatop.ui.app import LambdatopApp

        assert isinstance(self.app, LambdatopApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Trace {self.trace_id} · {self.function}", "bold"), id="trace-title")
        with VerticalScroll():
            yield Static(Text("Loading the trace…", "dim"), id="waterfall", markup=False)
        yield Footer()

    def refresh_data(self) -> None:
        state = self.lapp.store.function(self.function)
        segments = state.trace_details.get(self.trace_id)
        body = self.query_one("#waterfall", Static)
        if segments is None:
            trouble = self.lapp.store.health.get(f"trace:{self.trace_id}")
            if trouble is not None and trouble.error:
                body.update(Text(f"Could not load the trace: {trouble.error}", "red"))
            return
        body.update(waterfall(segments, self.size.width - 2))

    def on_mount(self) -> None:
        self.refresh_data()
