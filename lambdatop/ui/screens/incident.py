"""One function, everything on one screen: what it is doing now and what is wrong with it.

One instance serves every function: switching re-points the same widgets at another function's
state, so nothing is rebuilt or re-fetched that the store already holds.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from lambdatop.core.fleet import arn_account
from lambdatop.core.sources import METRICS, SourceKey
from lambdatop.core.timeutil import human_duration
from lambdatop.diagnose.model import CheckResult
from lambdatop.diagnose.render import GLYPHS
from lambdatop.ui.bindings import INCIDENT_BINDINGS
from lambdatop.ui.messages import ShowCharts, ShowFleet, ShowTrace
from lambdatop.ui.model import UiModel
from lambdatop.ui.safe import safe
from lambdatop.ui.screens.base import Footer, StoreScreen
from lambdatop.ui.widgets.diagnosis import (
    STATUS_STYLES,
    DiagnosisMade,
    DiagnosisPanel,
    age_note,
    diagnose_due,
)
from lambdatop.ui.widgets.log_view import LogView
from lambdatop.ui.widgets.panels import MemoryPanel, MetricsPanel
from lambdatop.ui.widgets.readout import Readout
from lambdatop.ui.widgets.status import Banner, StatusLine, source_age
from lambdatop.ui.widgets.traces import TracesTable


def verdict(check: CheckResult | None) -> Text:
    """The diagnosis in one line, for a terminal too narrow for the sidebar."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if check is None:
        text.append("Diagnosis: waiting for data", "dim")
        return text
    text.append("Diagnosis ", "bold")
    text.append(f"{GLYPHS[check.status]} {safe(check.title)}", STATUS_STYLES[check.status])
    text.append("  (d: details)", "dim")
    return text


class IncidentScreen(StoreScreen):
    BINDINGS = INCIDENT_BINDINGS
    DEFAULT_CSS = """
    IncidentScreen #title-bar { height: 1; background: $primary; color: $text; padding: 0 1; }
    IncidentScreen #incident-title { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    IncidentScreen #verdict {
        height: 1; padding: 0 1; display: none; text-wrap: nowrap; text-overflow: ellipsis;
    }
    IncidentScreen.-narrow #verdict { display: block; }
    IncidentScreen.-narrow.-side #verdict { display: none; }
    IncidentScreen #incident-where { width: auto; padding-left: 1; }
    IncidentScreen #body { height: 1fr; }
    IncidentScreen #main { width: 1fr; }
    IncidentScreen #side {
        width: 40%; min-width: 40; max-width: 80; border-left: solid $primary-darken-2;
    }
    IncidentScreen #log { height: 1fr; border: round $primary-darken-2; border-title-align: left; }
    IncidentScreen #log:focus { border: round $accent; }
    IncidentScreen #traces { height: 8; border: round $primary-darken-2; }
    IncidentScreen #traces:focus { border: round $accent; }
    IncidentScreen #log-filter { display: none; }
    IncidentScreen #log-filter.-visible { display: block; }
    IncidentScreen.-short #traces { display: none; }
    IncidentScreen.-short.-traces #traces { display: block; }
    IncidentScreen.-short SparkRow { layout: horizontal; height: 1; }
    IncidentScreen.-short SparkRow > Static { width: 1fr; }
    IncidentScreen.-short SparkRow > Sparkline { width: 30%; max-width: 40; }
    IncidentScreen.-narrow #side { display: none; }
    IncidentScreen.-narrow.-side #side { display: block; width: 100%; }
    IncidentScreen.-narrow.-side #main { display: none; }
    IncidentScreen.-narrow.-side DiagnosisPanel > OptionList { max-height: 50%; }
    """

    def __init__(self, model: UiModel) -> None:
        super().__init__(model, name="incident")
        self.function: str | None = None
        self._log: LogView | None = None
        self._complete = False
        """The panels the first frame leaves out are mounted (`_mount_the_rest`)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="title-bar"):
            yield Readout(id="incident-title")
            yield Readout(id="incident-where")
        yield Banner(id="banner")
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield Readout(id="verdict")
                log = self._log = LogView(id="log")
                log.border_title = "Log"
                yield log
            yield Vertical(id="side")
        yield Input(
            placeholder="highlight: text · show only matching lines: +text · empty clears",
            id="log-filter",
        )
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self._ready = True
        self._adapt()
        if self.function is not None:
            self.show_function(self.function)
        # The app's own callbacks run once its first frame is written (as the backend's do).
        self.app.call_after_refresh(self._mount_the_rest)

    async def _mount_the_rest(self) -> None:
        """The metrics, memory, traces and diagnosis panels, mounted once the first frame is
        on screen: Textual mounting and styling them was 55 ms of the 110 ms before it (they
        have nothing to show yet then: no source has answered)."""
        if not self.is_attached:
            return  # the app closed at once
        main, side = self.query_one("#main", Vertical), self.query_one("#side", Vertical)
        traces = TracesTable(id="traces")
        traces.border_title = "Failed X-Ray traces"
        await main.mount(MetricsPanel(id="metrics"), MemoryPanel(id="memory"), before=0)
        await main.mount(traces)
        await side.mount(DiagnosisPanel(id="diagnosis"))
        self._complete = True
        self.refresh_data()

    def on_resize(self) -> None:
        self._adapt()

    def _adapt(self) -> None:
        width, height = self.size
        self.set_class(width < 110, "-narrow")
        self.set_class(height < 34, "-short")

    # --- data ---

    def show_function(self, name: str) -> None:
        """Point every widget at another function."""
        self.function = name
        if not self._ready:
            return  # on_mount shows it
        state = self.model.store.function(name)
        log = self.query_one(LogView)
        log.point_at(state)
        log.focus()
        self.remove_class("-side", "-traces")
        if self._complete:
            self.query_one(DiagnosisPanel).reset()
        self.refresh_data()

    def repaint(self) -> None:
        function = self.function
        if function is None:
            return
        model = self.model
        store = model.store
        state = store.function(function)
        now = model.clock()
        diagnose_due(self, model, function)
        shown = model.shown(function)
        diagnosis = shown.value
        self.query_one("#incident-title", Readout).show_text(self._title())
        self.query_one("#incident-where", Readout).show_text(self._where(now))
        self.query_one("#banner", Banner).show(store, now)
        if self._complete:
            home, _ = model.locate(function)  # its context's account limits and metrics
            self.query_one(MetricsPanel).show(
                state,
                home.account_concurrency_limit,
                now,
                model.window_s,
                source_age(home, METRICS, now),
            )
            self.query_one(MemoryPanel).show(state, diagnosis, now, model.window_s)
            self.query_one(TracesTable).show(
                list(state.traces.values()),
                now,
                state.traces_read,
                source_age(store, SourceKey.traces(function), now),
                state.config.tracing if state.config else None,
                capped=state.traces_capped,
            )
            panel = self.query_one(DiagnosisPanel)
            panel.show(diagnosis, age_note(shown, now), shown.making)
            self.query_one("#verdict", Readout).show_text(verdict(panel.selected()))
        else:
            self.query_one("#verdict", Readout).show_text(verdict(None))
        pinned = model.pinned
        position = ""
        if function in model.opened:
            position = f"{model.opened.index(function) + 1}/{len(model.opened)} opened"
        pins = " ".join(f"{i + 1}:{safe(name, 30)}" for i, name in enumerate(pinned[:9]))
        self.query_one("#status", StatusLine).show(
            store,
            model.window,
            " · ".join(p for p in (position, f"pinned {pins}" if pins else "") if p),
        )
        log = self.query_one(LogView)
        group = state.config.effective_log_group if state.config else f"/aws/lambda/{function}"
        title = f"Log · {safe(group)}"
        if state.log_group_missing:
            title += " (no such log group yet)"
        if state.log_source:
            title += f" · {state.log_source}"
        title += f" · times UTC · {source_age(store, SourceKey.logs(function), now)}"
        log.show_title(Text(title))

    def on_diagnosis_made(self, message: DiagnosisMade) -> None:
        self.model.made(message.made)
        if self.is_current:
            self.refresh_data()

    def poll_log(self) -> None:
        # The log timer fires while the screen is still being composed and while the app shuts
        # down (its widgets already removed): there is then nothing to poll. Ten times a
        # second: the log kept from compose, not a query that walks the whole screen.
        log = self._log
        if self._ready and log is not None and log.is_attached:
            log.poll()

    def _title(self) -> Text:
        """The function and its configuration; it gives way (ellipsis) before `_where` does."""
        name = self.function or "?"
        store = self.model.store
        state = store.function(name)
        config = state.config
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(safe(name), "bold")
        if config is not None and config.from_log_group:
            # A source account's function: unknown is said, never a default ("no VPC").
            context, _ = self.model.locate(name)
            account = arn_account(config.arn)
            shared = account in (getattr(context, "trace_accounts", None) or ())
            text.append(" · configuration not readable from the monitoring account")
            if not shared:
                text.append(" · traces not shared with it")
            if state.log_format_seen:
                text.append(f" · {safe(state.log_format_seen)} logs")
        elif config is not None:
            parts = [
                f"timeout {config.timeout_s:g} s" if config.timeout_s else "timeout ?",
                f"{config.memory_mb} MB" if config.memory_mb else "memory ?",
                safe(config.runtime, 24) if config.runtime else "runtime ?",
                "VPC" if config.in_vpc else "no VPC",
            ]
            if config.reserved_concurrency is not None:
                parts.append(f"reserved concurrency {config.reserved_concurrency}")
            if config.snapstart:
                parts.append("SnapStart")
            log_format = config.log_format or state.log_format_seen or "Text"
            parts.append(f"{safe(log_format)} logs")
            text.append(" · " + " · ".join(parts))
        elif store.missing(name):
            region = self.model.locate(name)[0].region or "this region"
            text.append(f" · not found in {safe(region)}: check the name or --region", "bold red")
        else:
            text.append(" · configuration loading…", "dim")
        return text

    def _where(self, now: float) -> Text:
        """Where the data comes from and how old it is: always on screen."""
        key = self.function or "?"
        store, name = self.model.locate(key)  # its context's, in a fleet of several
        text = Text(no_wrap=True)
        text.append(f"{safe(store.profile or 'default')}/{safe(store.region or '?')}")
        # The live sources; one-shot reads (the configuration) would only ever grow older.
        ages = [
            health.age_s(now)
            for key in (SourceKey.logs(name), METRICS)
            if (health := store.health.get(key)) is not None
        ]
        known = [a for a in ages if a is not None]
        if known:
            text.append(f" · data {human_duration(max(known))} old")
        else:
            text.append(" · waiting for data")
        return text

    # --- actions ---

    def action_back(self) -> None:
        """Escape closes what is open (the filter box, the sidebar, the traces), else goes back
        to the fleet."""
        box = self.query_one("#log-filter", Input)
        if box.has_class("-visible"):
            box.remove_class("-visible")
            self.query_one(LogView).focus()
            return
        if self.has_class("-side") or (self.has_class("-short") and self.has_class("-traces")):
            self.remove_class("-side", "-traces")
            self.query_one(LogView).focus()
            return
        self.post_message(ShowFleet())

    def action_filter(self) -> None:
        box = self.query_one("#log-filter", Input)
        box.add_class("-visible")
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        hide = value.startswith("+")
        term = value[1:].strip() if hide else value
        log = self.query_one(LogView)
        log.set_term(term or None, hide)
        event.input.remove_class("-visible")
        log.focus()

    def action_next_match(self) -> None:
        self.query_one(LogView).jump_match(1)

    def action_previous_match(self) -> None:
        self.query_one(LogView).jump_match(-1)

    def action_toggle_follow(self) -> None:
        log = self.query_one(LogView)
        if log.follow:
            log.follow = False
        else:
            log.resume()

    def action_toggle_wrap(self) -> None:
        log = self.query_one(LogView)
        log.wrap = not log.wrap

    def action_traces(self) -> None:
        if not self._complete:
            return  # in the first tenth of a second: the table is being mounted
        self.remove_class("-side")
        self.add_class("-traces")
        self.query_one(TracesTable).focus()

    def action_log(self) -> None:
        self.remove_class("-side", "-traces")
        self.query_one(LogView).focus()

    def action_diagnosis(self) -> None:
        if not self._complete:
            return
        self.add_class("-side")
        self.query_one(DiagnosisPanel).checklist.focus()

    def action_charts(self) -> None:
        if self.function is not None:
            self.post_message(ShowCharts(self.function))

    def action_copy(self) -> None:
        command = self.query_one(DiagnosisPanel).next_command() if self._complete else None
        if command is None:
            self.notify("No command for this check", severity="warning")
            return
        self.app.copy_to_clipboard(command)
        # OSC 52 asks the terminal to take it; whether it did cannot be known (tmux needs
        # `set -g set-clipboard on`), so the command is shown in full to select by hand too.
        self.notify(
            command,
            title="Sent to the clipboard (if the terminal accepts OSC 52)",
            timeout=6,
            markup=False,
        )

    def on_data_table_row_selected(self, event: TracesTable.RowSelected) -> None:
        if not isinstance(event.data_table, TracesTable) or self.function is None:
            return
        trace = event.data_table.selected_trace()
        if trace is not None:
            self.post_message(ShowTrace(self.function, trace.trace_id))
