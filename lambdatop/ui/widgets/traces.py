"""Failed X-Ray traces of the function: enter opens the waterfall."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from lambdatop.core.records import TraceSummary
from lambdatop.core.timeutil import human_duration


class TracesTable(DataTable[Text | str]):
    DEFAULT_CSS = """
    TracesTable { height: 1fr; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.traces: list[TraceSummary] = []

    def on_mount(self) -> None:
        self.add_columns("trace id", "age", "duration", "HTTP", "kind", "root cause")

    def show(self, traces: list[TraceSummary], now_s: float, available: bool) -> None:
        ordered = sorted(traces, key=lambda t: t.start_s, reverse=True)[:200]
        if [t.trace_id for t in ordered] == [t.trace_id for t in self.traces]:
            return
        self.traces = ordered
        cursor = self.cursor_row
        self.clear()
        for trace in ordered:
            kind = (
                "fault"
                if trace.fault
                else "error"
                if trace.error
                else "throttle"
                if trace.throttle
                else "?"
            )
            style = "bold red" if trace.fault else "yellow"
            self.add_row(
                trace.trace_id,
                human_duration(max(0.0, now_s - trace.start_s)),
                f"{trace.duration_s:.2f} s" if trace.duration_s is not None else "n/a",
                str(trace.http_status or ""),
                Text(kind, style),
                Text(trace.root_cause or "", no_wrap=True, overflow="ellipsis"),
                key=trace.trace_id,
            )
        if ordered:
            self.move_cursor(row=min(cursor, len(ordered) - 1))
        self.border_subtitle = (
            f"{len(ordered)} failed traces" if available else "X-Ray not read (tracing off?)"
        )

    def selected_trace(self) -> TraceSummary | None:
        if not self.traces or self.cursor_row < 0 or self.cursor_row >= len(self.traces):
            return None
        return self.traces[self.cursor_row]
