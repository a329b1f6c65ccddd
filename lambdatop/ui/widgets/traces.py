"""Failed X-Ray traces of the function: enter opens the waterfall."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from lambdatop.core.records import TraceSummary
from lambdatop.core.timeutil import human_duration
from lambdatop.ui.safe import safe


def trace_kind(trace: TraceSummary) -> str:
    if trace.fault:
        return "fault"
    if trace.error:
        return "error"
    if trace.throttle:
        return "throttle"
    return "?"


class TracesTable(DataTable[Text]):
    DEFAULT_CSS = """
    TracesTable { height: 1fr; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.traces: list[TraceSummary] = []
        self._ages: list[str] = []
        self._subtitle = ""

    def on_mount(self) -> None:
        # What a person reads first on the left; the id (for the waterfall title) last.
        for label, key in (
            ("age", "age"),
            ("kind", "kind"),
            ("HTTP", "http"),
            ("duration", "duration"),
            ("root cause", "cause"),
            ("trace id", "id"),
        ):
            self.add_column(label, key=key)

    def show(
        self,
        traces: list[TraceSummary],
        now_s: float,
        available: bool,
        age: str,
        tracing: str | None = None,
        capped: bool = False,
    ) -> None:
        """Newest first. Every cell is plain data (a DataTable reads a `str` cell as markup)."""
        ordered = sorted(traces, key=lambda t: t.start_s, reverse=True)[:200]
        ages = [human_duration(max(0.0, now_s - t.start_s)) for t in ordered]
        if [t.trace_id for t in ordered] == [t.trace_id for t in self.traces]:
            for trace, before, after in zip(ordered, self._ages, ages, strict=True):
                if before != after:
                    self.update_cell(trace.trace_id, "age", Text(after))
        else:
            self.traces = ordered
            cursor = self.cursor_row
            self.clear()
            for trace, shown_age in zip(ordered, ages, strict=True):
                kind = trace_kind(trace)
                self.add_row(
                    Text(shown_age),
                    Text(kind, "bold red" if trace.fault else "yellow"),
                    Text(str(trace.http_status or "")),
                    # no duration (or the 0 an emulator reports) is unknown, not instant
                    Text(f"{trace.duration_s:.2f} s" if trace.duration_s else "n/a"),
                    Text(safe(trace.root_cause or "", 80), no_wrap=True, overflow="ellipsis"),
                    Text(safe(trace.trace_id, 40), style="dim"),
                    key=trace.trace_id,
                )
            if ordered:
                self.move_cursor(row=min(max(cursor, 0), len(ordered) - 1))
        self._ages = ages
        if not ordered and tracing is not None and tracing != "Active":
            subtitle = f"X-Ray tracing is off ({safe(tracing)}): no traces to show"
        elif not available:
            subtitle = "X-Ray not read yet (or tracing is off)"
        elif ordered:
            more = "+" if capped else ""  # the newest are kept; there were more
            subtitle = f"{len(ordered)}{more} failed traces · enter opens · {age}"
        else:
            subtitle = f"no failed traces in the window · {age}"
        if subtitle != self._subtitle:  # setting it repaints the whole table
            self._subtitle = subtitle
            self.border_subtitle = Text(subtitle)

    def selected_trace(self) -> TraceSummary | None:
        if not self.traces or self.cursor_row < 0 or self.cursor_row >= len(self.traces):
            return None
        return self.traces[self.cursor_row]
