"""One X-Ray trace as a waterfall of its segments and subsegments."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from lambdatop.core.records import TraceSegment, TraceSummary
from lambdatop.core.sources import SourceKey
from lambdatop.core.timeutil import human_duration
from lambdatop.ui.model import UiModel
from lambdatop.ui.safe import safe
from lambdatop.ui.screens.base import Footer, StoreScreen
from lambdatop.ui.widgets.traces import trace_kind

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
        name = "  " * segment.depth + safe(segment.name)
        if len(name) > NAME_WIDTH:
            name = name[: NAME_WIDTH - 1] + "…"
        offset = min(int((segment.start_s - start) / span * bar_width), bar_width - 1)
        stop = round(((segment.end_s or end) - start) / span * bar_width)
        length = min(max(1, stop - offset), bar_width - offset)
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
            # under the start of its bar, so the cause reads as part of that span
            pad = NAME_WIDTH + 1 + min(offset, max(0, bar_width - 30))
            cause = safe(segment.cause, max(20, width - pad - 2))
            text.append(f"{'':<{pad}}↳ {cause}\n", "italic red")
    return text


class TraceScreen(StoreScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="trace_back")]
    DEFAULT_CSS = """
    TraceScreen #trace-title {
        height: 1; background: $primary; color: $text; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    TraceScreen VerticalScroll { height: 1fr; padding: 0 1; }
    """

    def __init__(self, model: UiModel, function: str, trace_id: str) -> None:
        super().__init__(model)
        self.function = function
        self.trace_id = trace_id

    def compose(self) -> ComposeResult:
        yield Static("", id="trace-title", markup=False)
        with VerticalScroll():
            yield Static(Text("Loading the trace…", "dim"), id="waterfall", markup=False)
        yield Footer()

    def _title(
        self, summary: TraceSummary | None, segments: list[TraceSegment] | None, now_s: float
    ) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"Trace {safe(self.trace_id, 60)}", "bold")
        text.append(f" · {safe(self.function)}")
        if summary is not None:
            parts = [f"{human_duration(max(0.0, now_s - summary.start_s))} ago"]
            duration = summary.duration_s
            if not duration and segments:  # the summary has none: the segments' span
                duration = max((s.end_s or s.start_s) for s in segments) - min(
                    s.start_s for s in segments
                )
            if duration:
                parts.append(f"{duration:.2f} s")
            if summary.http_status:
                parts.append(f"HTTP {summary.http_status}")
            parts.append(trace_kind(summary))
            if summary.root_cause:
                parts.append(safe(summary.root_cause))
            text.append(" · " + " · ".join(parts))
        return text

    def repaint(self) -> None:
        store = self.model.store
        state = store.function(self.function)
        segments = state.trace_details.get(self.trace_id)
        self.query_one("#trace-title", Static).update(
            self._title(state.traces.get(self.trace_id), segments, self.model.clock())
        )
        body = self.query_one("#waterfall", Static)
        if segments is None:
            trouble = store.health.get(SourceKey.trace(self.trace_id))
            if trouble is not None and trouble.error:
                body.update(Text(f"Could not load the trace: {safe(trouble.error)}", "red"))
            elif not self.model.live:
                body.update(Text("This trace's segments were not loaded.", "dim"))
            return
        body.update(waterfall(segments, self.size.width - 2))

    def on_mount(self) -> None:
        self._ready = True
        self.refresh_data()

    def on_resize(self) -> None:
        self.refresh_data()
