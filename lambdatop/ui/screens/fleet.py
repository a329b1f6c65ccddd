"""The fleet: every function in the region, worst first, like `top`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Input

from lambdatop.core.fleet import LIST_EVERY_S, key_parts, list_every_s
from lambdatop.core.fleetlogs import trouble_text
from lambdatop.core.sources import FLEET_LOGS, METRICS
from lambdatop.core.store import Store
from lambdatop.core.summary import FunctionSummary
from lambdatop.core.timeutil import human_duration
from lambdatop.diagnose.format import ms
from lambdatop.diagnose.model import STATUS_SEVERITY, CheckStatus
from lambdatop.diagnose.render import GLYPHS
from lambdatop.ui.bindings import FLEET_BINDINGS
from lambdatop.ui.messages import OpenFunction
from lambdatop.ui.model import UiModel
from lambdatop.ui.safe import safe
from lambdatop.ui.screens.base import Footer, StoreScreen
from lambdatop.ui.widgets.diagnosis import STATUS_STYLES, DiagnosisMade, diagnose_due
from lambdatop.ui.widgets.readout import Readout
from lambdatop.ui.widgets.status import Banner, StatusLine, source_age

COLUMNS = (
    ("status", ""),
    ("name", "function"),
    ("invocations", "inv/min"),
    ("errors", "err %"),
    ("throttles", "throttles"),
    ("p99", "p99 / timeout"),
    ("used", "max mem / size"),
    ("cold", "cold %"),
    ("concurrency", "concurrency"),
    ("logs", "logs 15m"),
    ("runtime", "runtime"),
    ("memory", "memory"),
)
"""The trouble columns first, so they stay on screen in an 80-column terminal."""
WHERE_COLUMNS = (("region", "region"), ("account", "account"))
"""After the name, in a fleet of several contexts: which of two same-named functions is which."""
REBUILD_OVER = 100
"""Removing more rows than this one by one costs more than building the table again."""
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
    "logs",
)


def _num(value: float | None, spec: str = ",.0f", suffix: str = "") -> str:
    return "·" if value is None else f"{value:{spec}}{suffix}"


def failing_per_min(summary: FunctionSummary, window_s: float) -> float:
    """Requests a minute that end badly: errors at the current rate, plus throttles."""
    errors = (summary.error_pct or 0.0) / 100 * (summary.invocations_per_min or 0.0)
    return errors + (summary.throttles or 0.0) / max(window_s / 60, 1.0)


def log_lines(counts: Counter[str] | None) -> int:
    """Lines of log-only trouble the last scan found (0 when none or not scanned)."""
    return sum(counts.values()) if counts else 0


def row_status(status: CheckStatus, logs: Counter[str] | None) -> CheckStatus:
    """The row's status: its diagnosis, and at least a warning when its logs show trouble the
    metrics cannot (a pool exhausted with no error counted); a tick beside 244 timeouts lies."""
    if log_lines(logs) and STATUS_SEVERITY[status] < STATUS_SEVERITY[CheckStatus.WARN]:
        return CheckStatus.WARN
    return status


def severity(status: CheckStatus, logs: Counter[str] | None) -> int:
    """The row's rank, as its glyph shows it."""
    return STATUS_SEVERITY[row_status(status, logs)]


Row = tuple[FunctionSummary, CheckStatus, "Counter[str] | None"]


def _sort_key(mode: str, window_s: float = 3600.0) -> Callable[[Row], Any]:
    def neg(value: float | None) -> float:
        return -(value if value is not None else -1.0)

    if mode == "name":
        return lambda row: row[0].name
    if mode == "logs":
        return lambda row: (-log_lines(row[2]), row[0].name)
    if mode == "trouble":
        # Worst first; among equals, the one failing the most requests right now.
        return lambda row: (
            -severity(row[1], row[2]),
            -failing_per_min(row[0], window_s),
            -log_lines(row[2]),
            neg(row[0].error_pct),
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


def fleet_row(
    summary: FunctionSummary, status: CheckStatus, logs: Counter[str] | None = None
) -> list[Text]:
    """The table's cells, all `Text`: a DataTable reads a `str` cell as markup. `logs` is what
    the last scan of the fleet's logs counted (None: not scanned, e.g. an opened function)."""
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
    concurrency = _num(summary.concurrency)
    if summary.reserved is not None:
        concurrency += f" / {summary.reserved}"
    at_reserved = (
        summary.reserved is not None
        and summary.concurrency is not None
        and summary.concurrency >= summary.reserved
    )
    shown = row_status(status, logs)
    return [
        Text(GLYPHS[shown], STATUS_STYLES[shown]),
        Text(safe(summary.name, 64), "bold" if status is CheckStatus.FAIL else ""),
        Text(_num(summary.invocations_per_min, ",.1f")),
        Text(
            _num(summary.error_pct, ".1f"),
            "bold red" if (summary.error_pct or 0) >= 5 else "",
        ),
        Text(_num(summary.throttles), "bold red" if (summary.throttles or 0) > 0 else ""),
        Text(p99, "bold red" if ratio is not None and ratio >= 0.8 else ""),
        Text(used, "bold red" if memory_ratio is not None and memory_ratio >= 0.9 else ""),
        Text(_num(summary.cold_pct, ".1f")),
        Text(concurrency, "bold red" if at_reserved else ""),
        Text(trouble_text(logs), "bold red" if log_lines(logs) else ""),
        Text(safe(summary.runtime, 24) if summary.runtime else "·"),
        Text(_num(summary.memory_mb, "d", " MB") if summary.memory_mb else "·"),
    ]


def _where_cells(key: str) -> tuple[str, str, str]:
    """A fleet key's name, region and account as their cells show them."""
    name, region, account = key_parts(key)
    return safe(name, 64), safe(region, 24), safe(account, 24)


class FleetScreen(StoreScreen):
    BINDINGS = FLEET_BINDINGS
    DEFAULT_CSS = """
    FleetScreen #fleet-title {
        height: 1; background: $primary; color: $text; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    FleetScreen #fleet-filter { display: none; }
    FleetScreen #fleet-filter.-visible { display: block; }
    FleetScreen DataTable { height: 1fr; }
    """

    def __init__(self, model: UiModel) -> None:
        super().__init__(model, name="fleet")
        self.term = ""
        self.sort_mode = "trouble"
        self.rows: list[str] = []
        self.shown: dict[str, list[Text]] = {}
        """The cells on screen, so a refresh only touches what changed."""
        self.drawn: dict[str, tuple[int, CheckStatus, float | None]] = {}
        """Which summary object, status and log scan each row was last drawn from."""
        self.columns: tuple[tuple[str, str], ...] = COLUMNS

    def compose(self) -> ComposeResult:
        yield Readout(id="fleet-title")
        yield Banner(id="banner")
        yield Input(placeholder="filter functions (escape clears)", id="fleet-filter")
        table: DataTable[Text] = DataTable(id="fleet", cursor_type="row", zebra_stripes=True)
        yield table
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#fleet", DataTable)
        if self.model.contexts:
            self.columns = (*COLUMNS[:2], *WHERE_COLUMNS, *COLUMNS[2:])
        for key, label in self.columns:
            table.add_column(label, key=key)
        self._ready = True
        self.refresh_data()

    def on_screen_resume(self) -> None:
        if self._ready:
            self.refresh_data()
            self.query_one("#fleet", DataTable).focus()

    def repaint(self) -> None:
        model = self.model
        store = model.store
        now = model.clock()
        # A function AWS says does not exist (a misspelt name on the command line) is no row:
        # its incident view says "not found".
        names = set(store.inventory) | {n for n in store.functions if not store.missing(n)}
        if model.context is not None:  # `x`: one context alone
            names = {name for name in names if model.in_view(name)}
        term = self.term.lower()
        summaries = [model.summary(name, now) for name in names if not term or term in name.lower()]
        # Diagnoses are budgeted per refresh: spend the budget on the worst-looking first.
        summaries.sort(key=lambda summary: -failing_per_min(summary, model.window_s))
        for summary in summaries:
            diagnose_due(self, model, summary.name, budgeted=True)
        scan = store.log_trouble
        scanned = scan.end_s if scan is not None else None
        rows: list[Row] = [
            (
                summary,
                model.worst_status(summary.name),
                scan.of(summary.name) if scan is not None else None,
            )
            for summary in summaries
        ]
        rows.sort(key=_sort_key(self.sort_mode, model.window_s))
        table: DataTable[Text] = self.query_one("#fleet", DataTable)
        order = [summary.name for summary, _, _ in rows]
        selected = self.selected_name()
        added: set[str] = set()
        if order != self.rows:
            on_top = table.cursor_row <= 0
            added = self._reorder(table, rows, order)
            # On the top row the cursor stays on top, on whichever function is now the worst (the
            # fleet's first rows arrive in listing order, then sort as figures come in); moved
            # down, it stays on the function the person chose.
            if selected in order and not on_top:
                table.move_cursor(row=order.index(selected))
            else:
                table.move_cursor(row=0)
        # Rows that stay may have changed too (a status that came from a worker moved them).
        for summary, status, logs in rows:
            if summary.name in added or self.drawn.get(summary.name) == (
                id(summary),
                status,
                scanned,
            ):
                continue  # just drawn, or the same figures as on screen: nothing to redraw
            cells = self._cells(summary, status, logs)
            before = self.shown.get(summary.name, [])
            for index, ((column, _), value) in enumerate(zip(self.columns, cells, strict=True)):
                if index >= len(before) or before[index] != value:
                    # A column is as wide as its cells were when the row was added (often
                    # `·`, before the first metrics): figures that come later widen it.
                    table.update_cell(summary.name, column, value, update_width=True)
            self.shown[summary.name] = cells
        self.drawn = {summary.name: (id(summary), status, scanned) for summary, status, _ in rows}
        total = len(names)
        shown = f"{len(rows)} of {total}" if term else f"{total}"
        loading = "" if store.inventory_complete else " (listing…)"
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f"lambdatop · {shown} functions{loading}", "bold")
        title.append(f" · sorted by {self.sort_mode} (o)")
        shown_store = model.context or store
        metrics_of: Store = store
        if model.contexts:
            title.append(f" · {self._context_title()}")
            # The stalest context's metrics, merged: no row is fresher than the title says.
            metrics_of = model.context or min(
                model.contexts,
                key=lambda each: getattr(each.health.get(METRICS), "last_ok_s", None) or 0.0,
            )
        title.append(f" · metrics {source_age(metrics_of, METRICS, now)}")
        # A big fleet's list is read in full less often (aws/pollers/inventory.py): say so.
        listed: list[Store] = [model.context] if model.context else [*model.contexts] or [store]
        every = max(list_every_s(len(each.inventory)) for each in listed)
        if every > LIST_EVERY_S:
            title.append(f" · list every {human_duration(every)}")
        # The logs column is a periodic scan, not live: say how old and over what span.
        span = f", last {human_duration(scan.span_s)}" if scan is not None else ""
        title.append(f" · logs {source_age(store, FLEET_LOGS, now)}{span}")
        if term:
            title.append(f" · filter “{safe(self.term)}” (escape clears)")
        self.query_one("#fleet-title", Readout).show_text(title)
        self.query_one("#banner", Banner).show(shown_store, now)
        self.query_one("#status", StatusLine).show(shown_store, model.window)

    def on_diagnosis_made(self, message: DiagnosisMade) -> None:
        self.model.made(message.made)
        if self.is_current:
            self.refresh_data()

    def _context_title(self) -> str:
        """Which contexts the rows come from, and the key that switches."""
        model = self.model
        context = model.context
        if len(model.contexts) == 1:  # one monitoring account and its linked source accounts
            return f"context {safe(str(model.contexts[0].context))}"
        if context is None:
            # A context cut off (an expired SSO login) is said here too, not only in the banner.
            failing = sum(
                1
                for each in model.contexts
                if any(t.error_kind and t.error_kind.cuts_off_aws for t in each.troubles())
            )
            trouble = f", {failing} cut off" if failing else ""
            return f"all {len(model.contexts)} contexts{trouble} (x: one at a time)"
        index = model.contexts.index(context) + 1
        return f"context {safe(str(context.context))} ({index}/{len(model.contexts)}, x: next)"

    def _cells(
        self, summary: FunctionSummary, status: CheckStatus, logs: Counter[str] | None
    ) -> list[Text]:
        """A row's cells; in a fleet of several, the bare name, then its region and account."""
        cells = fleet_row(summary, status, logs)
        if self.columns is not COLUMNS:
            name, region, account = _where_cells(summary.name)
            cells[1] = Text(name, cells[1].style)
            cells[2:2] = [Text(region), Text(account)]
        return cells

    def _reorder(self, table: DataTable[Text], rows: list[Row], order: list[str]) -> set[str]:
        """Rows in a new order or subset: remove, add and sort only what moved; rebuilding 2,000
        rows would stall a key press. Returns the rows added."""
        wanted = set(order)
        gone = [name for name in self.rows if name not in wanted]
        if len(gone) > REBUILD_OVER:
            table.clear()
            self.shown = {}
        else:
            for name in gone:
                table.remove_row(name)
                self.shown.pop(name, None)
        added: set[str] = set()
        for summary, status, logs in rows:
            if summary.name not in self.shown:
                cells = self._cells(summary, status, logs)
                table.add_row(*cells, key=summary.name)
                self.shown[summary.name] = cells
                added.add(summary.name)
        # DataTable sorts by cell values: the name cell (as shown) stands for the row; in a
        # fleet of several, with its region and account (two regions may share a name).
        if self.columns is COLUMNS:
            position = {safe(name, 64): index for index, name in enumerate(order)}
            table.sort("name", key=lambda cell: position.get(cell.plain, len(position)))
        else:
            where = {_where_cells(key): index for index, key in enumerate(order)}
            table.sort(
                "name",
                "region",
                "account",
                key=lambda cells: where.get(tuple(c.plain for c in cells), len(where)),
            )
        self.rows = order
        return added

    def selected_name(self) -> str | None:
        if not self._ready:
            return None
        table = self.query_one("#fleet", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # --- actions ---

    def action_open(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.post_message(OpenFunction(name))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        self.sort_mode = key if key in SORTS else "trouble"
        self.refresh_data()

    def action_next_context(self) -> None:
        """All contexts merged → each alone in turn → all merged (as k9s's :ctx)."""
        self.model.next_context()
        self.refresh_data()
        context = self.model.context
        self.notify(
            f"Context {context.context}" if context is not None else "All contexts",
            timeout=1.5,
            markup=False,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The context key only where there are several (else it is off the footer)."""
        if action == "next_context":
            return len(self.model.contexts) > 1
        return True

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
        """Enter keeps the filter and goes back to the table, on its first match (as k9s
        does): enter again opens it."""
        table = self.query_one("#fleet", DataTable)
        table.focus()
        if table.row_count:
            table.move_cursor(row=0)

    def action_clear_filter(self) -> None:
        box = self.query_one("#fleet-filter", Input)
        box.value = ""
        box.remove_class("-visible")
        self.term = ""
        self.refresh_data()
        self.query_one("#fleet", DataTable).focus()
