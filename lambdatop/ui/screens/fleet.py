"""The fleet: every function in the region, worst first, like `top`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from lambdatop.core.summary import FunctionSummary
from lambdatop.diagnose.format import ms
from lambdatop.diagnose.model import STATUS_SEVERITY, CheckStatus
from lambdatop.diagnose.render import GLYPHS
from lambdatop.ui.bindings import FLEET_BINDINGS
from lambdatop.ui.widgets.diagnosis import STATUS_STYLES
from lambdatop.ui.widgets.status import Banner, StatusLine

if TYPE_CHECKING:
    from lambdatop.ui.app import LambdatopApp

COLUMNS = (
    ("status", ""),
    ("name", "function"),
    ("runtime", "runtime"),
    ("memory", "memory"),
    ("invocations", "inv/min"),
    ("errors", "err %"),
    ("throttles", "throttles"),
    ("p99", "p99 / timeout"),
    ("used", "max mem / size"),
    ("cold", "cold %"),
    ("concurrency", "concurrency"),
)
SORTS = (
    "trouble",
    "name",
    "invocations",
    "errors",
    "throttles",
    "p99",
    "used",
    "cold",
    "concurrency",
)


def _num(value: float | None, spec: str = ",.0f", suffix: str = "") -> str:
    return "·" if value is None else f"{value:{spec}}{suffix}"


def _sort_key(mode: str) -> Callable[[tuple[FunctionSummary, CheckStatus]], Any]:
    def neg(value: float | None) -> float:
        return -(value if value is not None else -1.0)

    if mode == "name":
        return lambda row: row[0].name
    if mode == "trouble":
        return lambda row: (
            -STATUS_SEVERITY[row[1]],
            neg(row[0].error_pct),
            neg(row[0].throttles),
            neg(row[0].invocations_per_min),
            row[0].name,
        )
    field = {
        "invocations": "invocations_per_min",
        "errors": "error_pct",
        "throttles": "throttles",
        "p99": "p99_of_timeout",
        "used": "memory_of_size",
        "cold": "cold_pct",
        "concurrency": "concurrency",
    }[mode]
    return lambda row: (neg(getattr(row[0], field)), row[0].name)


def fleet_row(summary: FunctionSummary, status: CheckStatus) -> list[Text | str]:
    p99 = "·"
    if summary.p99_ms is not None:
        p99 = ms(summary.p99_ms) + (" max" if summary.p99_is_max else "")
        if summary.timeout_s:
            p99 += f" / {summary.timeout_s:g} s"
    used = "·"
    if summary.max_memory_mb is not None and summary.memory_mb:
        used = f"{summary.max_memory_mb} / {summary.memory_mb} MB"
    ratio = summary.p99_of_timeout
    memory_ratio = summary.memory_of_size
    return [
        Text(GLYPHS[status], STATUS_STYLES[status]),
        Text(summary.name, "bold" if status is CheckStatus.FAIL else ""),
        summary.runtime or "·",
        _num(summary.memory_mb, "d", " MB") if summary.memory_mb else "·",
        _num(summary.invocations_per_min, ",.1f"),
        Text(
            _num(summary.error_pct, ".1f"),
            "bold red" if (summary.error_pct or 0) >= 5 else "",
        ),
        Text(_num(summary.throttles), "bold red" if (summary.throttles or 0) > 0 else ""),
        Text(p99, "bold red" if ratio is not None and ratio >= 0.8 else ""),
        Text(used, "bold red" if memory_ratio is not None and memory_ratio >= 0.9 else ""),
        _num(summary.cold_pct, ".1f"),
        _num(summary.concurrency)
        + (f" / {summary.reserved}" if summary.reserved is not None else ""),
    ]


class FleetScreen(Screen[None]):
    BINDINGS = FLEET_BINDINGS
    DEFAULT_CSS = """
    FleetScreen #fleet-title { height: 1; background: $primary; color: $text; padding: 0 1; }
    FleetScreen #fleet-filter { display: none; }
    FleetScreen #fleet-filter.-visible { display: block; }
    FleetScreen DataTable { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__(name="fleet")
        self.term = ""
        self.sort_mode = "trouble"
        self.rows: list[str] = []
        self.shown: dict[str, list[Text | str]] = {}
        """The cells on screen, so a refresh only touches what changed."""

    @property
    def lapp(self) -> LambdatopApp:
        from lambdatop.ui.app import LambdatopApp

        assert isinstance(self.app, LambdatopApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static("", id="fleet-title", markup=False)
        yield Banner(id="banner")
        yield Input(placeholder="filter functions (escape clears)", id="fleet-filter")
        table: DataTable[Text | str] = DataTable(id="fleet", cursor_type="row", zebra_stripes=True)
        yield table
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#fleet", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.refresh_data()

    def on_screen_resume(self) -> None:
        self.refresh_data()
        self.query_one("#fleet", DataTable).focus()

    def refresh_data(self) -> None:
        app = self.lapp
        store = app.store
        now = app.clock()
        rows: list[tuple[FunctionSummary, CheckStatus]] = []
        names = set(store.inventory) | set(store.functions)
        term = self.term.lower()
        for name in names:
            if term and term not in name.lower():
                continue
            rows.append((app.summary(name, now), app.worst_status(name)))
        rows.sort(key=_sort_key(self.sort_mode))
        table: DataTable[Text | str] = self.query_one("#fleet", DataTable)
        order = [summary.name for summary, _ in rows]
        selected = self.selected_name()
        if order != self.rows:
            table.clear()
            self.shown = {}
            for summary, status in rows:
                cells = fleet_row(summary, status)
                table.add_row(*cells, key=summary.name)
                self.shown[summary.name] = cells
            self.rows = order
            if selected in order:
                table.move_cursor(row=order.index(selected))
        else:
            for summary, status in rows:
                cells = fleet_row(summary, status)
                before = self.shown.get(summary.name, [])
                for index, ((column, _), value) in enumerate(zip(COLUMNS, cells, strict=True)):
                    if index >= len(before) or before[index] != value:
                        table.update_cell(summary.name, column, value)
                self.shown[summary.name] = cells
        total = len(names)
        shown = f"{len(rows)} of {total}" if term else f"{total}"
        loading = "" if store.inventory_complete else " (listing…)"
        self.query_one("#fleet-title", Static).update(
            Text(
                f"lambdatop · {shown} functions{loading} · sorted by {self.sort_mode}"
                + (f" · filter “{self.term}”" if term else ""),
                "bold",
            )
        )
        self.query_one("#banner", Banner).show(store, now)
        self.query_one("#status", StatusLine).show(store, app.window)

    def selected_name(self) -> str | None:
        table = self.query_one("#fleet", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # --- actions ---

    def action_open(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.lapp.open_function(name)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        self.sort_mode = key if key in SORTS else "trouble"
        self.refresh_data()

    def action_cycle_sort(self) -> None:
        self.sort_mode = SORTS[(SORTS.index(self.sort_mode) + 1) % len(SORTS)]
        self.refresh_data()

    def action_filter(self) -> None:
        box = self.query_one("#fleet-filter", Input)
        box.add_class("-visible")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.term = event.value.strip()
        self.refresh_data()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#fleet", DataTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#fleet-filter", Input)
        box.value = ""
        box.remove_class("-visible")
        self.term = ""
        self.refresh_data()
        self.query_one("#fleet", DataTable).focus()
