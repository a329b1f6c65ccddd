"""The monitor's Textual app: it renders the store at a steady frame rate and never calls AWS;
the backend (the AWS monitor, or nothing for a fixed snapshot) fills the store."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from textual import events
from textual.app import App, ScreenStackError, SystemCommand
from textual.driver import Driver
from textual.filter import LineFilter
from textual.screen import Screen
from textual.timer import Timer

from lambdatop.core.redact import redact
from lambdatop.core.store import Store
from lambdatop.diagnose.model import Diagnosis
from lambdatop.diagnose.render import to_markdown
from lambdatop.diagnose.thresholds import Thresholds
from lambdatop.ui.backend import Backend
from lambdatop.ui.bindings import APP_BINDINGS
from lambdatop.ui.collector import LongLived
from lambdatop.ui.messages import AllowScan, OpenFunction, ShowCharts, ShowFleet, ShowTrace
from lambdatop.ui.model import INLINE_BELOW, MAX_PINNED, Engine, UiModel, run_checks
from lambdatop.ui.palette import FunctionSwitcher
from lambdatop.ui.redacting import RedactFilter
from lambdatop.ui.safe import safe
from lambdatop.ui.screens.base import StoreScreen
from lambdatop.ui.screens.fleet import FleetScreen
from lambdatop.ui.screens.help import HelpScreen
from lambdatop.ui.screens.incident import IncidentScreen
from lambdatop.ui.screens.scan import ScanQuestion
from lambdatop.ui.screens.trace import TraceScreen
from lambdatop.ui.widgets.diagnosis import made_off_the_loop

if TYPE_CHECKING:
    from lambdatop.ui.screens.charts import ChartsScreen

LOG_FPS = 10
DEFAULT_THEME = "textual-dark"


def unknown_theme(name: str, themes: Iterable[str]) -> str:
    """One line for a `theme` setting that names no theme: the bad value and the good ones."""
    return (
        f"Unknown theme {name!r} (the `theme` setting): using {DEFAULT_THEME}."
        f" Themes: {', '.join(themes)}"
    )


class LambdatopApp(App[int]):
    """`top` for Lambda."""

    TITLE = "lambdatop"
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {FunctionSwitcher}
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        store: Store,
        backend: Backend | None = None,
        *,
        functions: Iterable[str] = (),
        refresh_s: float = 2.0,
        window: str = "1h",
        thresholds: Thresholds | None = None,
        keys: dict[str, str] | None = None,
        theme: str = DEFAULT_THEME,
        clock: Callable[[], float] = time.time,
        snapshot_dir: Path | None = None,
        redact: bool = False,
        engine: Engine = run_checks,
        inline_below: int = INLINE_BELOW,
    ) -> None:
        super().__init__()
        self.redact = redact
        """Mask account ids, IPs and hosts on screen and in snapshots (--redact)."""
        self._redact_filter = RedactFilter()
        self.model = UiModel(
            store,
            clock=clock,
            window=window,
            thresholds=thresholds,
            live=backend is not None,
            engine=engine,
            inline_below=inline_below,
        )
        """What every screen reads; the app alone changes it."""
        self.backend = backend
        self.initial = list(functions)
        self.refresh_s = refresh_s
        self.keys = dict(keys or {})
        self.theme_name = theme
        self.snapshot_dir = snapshot_dir or Path.cwd()
        self._seen_version = -1
        self._asked: set[tuple[str, str]] = set()
        """Scan questions asked already (a function's, as worded): each is asked once."""
        self.fleet_screen = FleetScreen(self.model)
        self.charts_screen: ChartsScreen | None = None
        self.help_screen: HelpScreen | None = None
        self.incident_screen = IncidentScreen(self.model)
        self._repaint_timers: list[Timer] = []
        self._arrived: tuple[int, bool, int] = (0, False, 0)
        """What has been read so far (functions listed, sources read once): see `_poll_log`."""
        self._backfilled = 0
        """The opened functions' tails laid out again in time order (a backfill's minutes)."""
        self._long_lived = LongLived()
        """Out of the garbage collector's walks once it is built: see ui/collector.py."""

    NAVIGATION = frozenset({"next_function", "previous_function", "pin", "jump", "refresh"})
    """Actions that would act behind a dialog (help, the command palette): off while one is up."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.NAVIGATION or action in ("widen", "narrow", "snapshot"):
            base = self.screen
            if not isinstance(base, Screen) or base.is_modal:
                return False
        return True

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this platform; on Linux and macOS, one that survives its
        terminal going away (see ui/terminal.py)."""
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver":  # its module imports termios: POSIX only
            from lambdatop.ui.terminal import TerminalDriver

            return TerminalDriver
        return driver

    # --- life ---

    async def on_mount(self) -> None:
        if self.theme_name in self.available_themes:
            self.theme = self.theme_name
        else:
            self.notify(
                unknown_theme(self.theme_name, sorted(self.available_themes)),
                severity="warning",
                timeout=20,
                markup=False,
            )
        if self.keys:
            self.set_keymap(self.keys)
        self.install_screen(self.fleet_screen, "fleet")
        self.install_screen(self.incident_screen, "incident")
        if not self.initial:
            await self.push_screen("fleet")
        # else `lambdatop NAME`: the incident view comes up first; the fleet is composed only
        # when escape asks for it
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.exit)
        if self._stop_asked:
            self.exit()  # a signal came while the app was starting
            return
        if self.backend is not None:
            self.backend.set_window(self.model.window_s)
            self.backend.start()
        for name in self.initial:
            self.open_function(name)
        self._repaint_timers = [
            self.set_interval(self.refresh_s, self.refresh_screens),
            self.set_interval(1 / LOG_FPS, self._poll_log),
        ]
        self.call_after_refresh(self._long_lived.settle)  # the screens and modules, built

    crash: BaseException | None = None
    """An error no handler caught: the app stops, and the command says so in one line."""
    _stop_asked = False

    def stop_asked(self) -> None:
        """SIGTERM or SIGHUP before the app's own handlers were in: it exits as it mounts (or
        at once, if it already has)."""
        self._stop_asked = True
        if self.is_running and self._repaint_timers:
            self.call_later(self.exit)

    # Textual has no public hook for an exception no handler caught: this private one is the
    # only place to keep it for the one-line report.
    def _handle_exception(self, error: Exception) -> None:
        if self.crash is None:
            self.crash = error
        super()._handle_exception(error)

    # Private too, for want of a public way to replace the traceback Textual prints on exit.
    def _fatal_error(self) -> None:
        """Stop without printing Textual's traceback on the user's terminal: the command
        prints one line and keeps the traceback in a file (see commands/monitor.py)."""
        self.panic()  # with nothing to show: it only closes the app, as Textual's own does

    def exit(
        self,
        result: int | None = None,
        return_code: int = 0,
        message: RenderableType | None = None,
    ) -> None:
        """Stop repainting first: a refresh firing while the screens are being torn down would
        turn a clean quit into a traceback."""
        for timer in self._repaint_timers:
            timer.stop()
        super().exit(result, return_code, message)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._long_lived.touched()  # no deep collection while the user waits for a key
        await super().on_event(event)

    async def on_unmount(self) -> None:
        self._long_lived.release()
        if self.backend is not None:
            with contextlib.suppress(Exception):
                await self.backend.stop()

    def refresh_screens(self, force: bool = False) -> None:
        """Repaint the screen on show when the store moved (or ages ticked)."""
        version = self.model.store.version
        changed = version != self._seen_version
        self._seen_version = version
        self.model.new_refresh()
        screen = self._top_screen()
        # Ages and retry countdowns move even when the data does not: repaint every tick.
        if isinstance(screen, StoreScreen) and (changed or force or screen is not None):
            screen.refresh_data()
        if changed and screen is self.incident_screen:
            self._ask_before_scanning(self.incident_screen.function)

    def _ask_before_scanning(self, name: str | None) -> None:
        """A count of the function's window would scan more than the limit: ask, once."""
        state = self.model.store.functions.get(name) if name else None
        question = state.scan_question if state is not None else None
        if name is None or question is None or (name, question) in self._asked:
            return
        self._asked.add((name, question))
        self.push_screen(ScanQuestion(name, question))

    def on_allow_scan(self, message: AllowScan) -> None:
        if self.backend is not None:
            self.backend.allow_scan(message.function)

    def _poll_log(self) -> None:
        # The function list, a source's first answer (metrics, a log backfill) is painted at
        # once, with a fresh diagnosis, not at the next refresh up to `refresh_s` later.
        store = self.model.store
        arrived = (
            len(store.inventory),
            store.inventory_complete,
            sum(1 for health in store.health.values() if health.last_ok_s is not None),
        )
        functions = store.functions
        backfilled = sum(functions[n].tail_rebuilds for n in self.model.opened if n in functions)
        if arrived != self._arrived or backfilled != self._backfilled:
            self._long_lived.due()  # a function list, a backfill: kept as long as the app
        else:
            self._long_lived.maybe()
        self._backfilled = backfilled
        if arrived != self._arrived:
            self._arrived = arrived
            self.model.forget_opened_diagnoses()  # else one made just before is kept seconds
            self.refresh_screens(force=True)
        if self._top_screen() is self.incident_screen:
            self.incident_screen.poll_log()

    def _top_screen(self) -> Screen[object] | None:
        """The screen on top, or None while the app starts or shuts down (timers still fire)."""
        try:
            return self.screen
        except ScreenStackError:
            return None

    # --- navigation ---

    def on_open_function(self, message: OpenFunction) -> None:
        self.open_function(message.name)

    def on_show_fleet(self, message: ShowFleet) -> None:
        self.show_fleet()

    def on_show_charts(self, message: ShowCharts) -> None:
        self.show_charts(message.function)

    def on_show_trace(self, message: ShowTrace) -> None:
        self.show_trace(message.function, message.trace_id)

    def open_function(self, name: str) -> None:
        self.model.open(name)
        if self.backend is not None:
            self.backend.set_focus(name)
        else:
            self.model.store.function(name)
        self.incident_screen.show_function(name)
        self._surface(self.incident_screen, "incident")

    def show_fleet(self) -> None:
        if self.backend is not None:
            self.backend.set_focus(None)
        self._surface(self.fleet_screen, "fleet")  # it repaints itself when it comes up

    def _surface(self, screen: Screen[None], name: str) -> None:
        """Bring the fleet or the incident view to the top: close what is over it (charts, a
        trace, help), then swap one for the other; the stack never holds either twice."""
        stack = self.screen_stack
        bases = (self.fleet_screen, self.incident_screen)
        depth = max((i for i, s in enumerate(stack) if s in bases), default=-1)
        if depth >= 0:
            for _ in range(len(stack) - 1 - depth):
                self.pop_screen()
            if stack[depth] is not screen:
                self.switch_screen(name)
        else:
            self.push_screen(name)

    def show_charts(self, name: str) -> None:
        """One charts screen, re-pointed at the function: built once, it opens at once."""
        if self.charts_screen is None:
            # plotext loads here, on the first `g`, not before the first frame
            from lambdatop.ui.screens.charts import ChartsScreen

            self.charts_screen = ChartsScreen(self.model, name)
            self.install_screen(self.charts_screen, "charts")
        else:
            self.charts_screen.function = name
        self.push_screen("charts")

    def show_trace(self, name: str, trace_id: str) -> None:
        self.push_screen(TraceScreen(self.model, name, trace_id))
        if self.backend is not None:
            backend = self.backend

            async def load() -> None:
                await backend.open_trace(name, trace_id)
                self.refresh_screens(force=True)

            self.run_worker(load(), group="traces", exit_on_error=False, description="open trace")

    def current_function(self) -> str | None:
        if self.screen is self.incident_screen:
            return self.incident_screen.function
        if self.screen is self.fleet_screen:
            return self.fleet_screen.selected_name()
        return None

    # --- actions ---

    def action_help(self) -> None:
        if self.help_screen is None:
            self.help_screen = HelpScreen(dict(self.keys))
            self.install_screen(self.help_screen, "help")
        self.push_screen("help")

    def _cycle(self, step: int) -> None:
        opened = self.model.opened
        if not opened:
            return
        current = self.incident_screen.function if self.screen is self.incident_screen else None
        index = opened.index(current) if current in opened else -step
        self.open_function(opened[(index + step) % len(opened)])

    def action_next_function(self) -> None:
        self._cycle(1)

    def action_previous_function(self) -> None:
        self._cycle(-1)

    def action_pin(self) -> None:
        name = self.current_function()
        if name is None:
            return
        pinned = self.model.pinned
        if name in pinned:
            pinned.remove(name)
            self.notify(f"Unpinned {safe(name)}", markup=False)
        elif len(pinned) >= MAX_PINNED:
            self.notify("Nine functions are pinned already: unpin one first", severity="warning")
            return
        else:
            pinned.append(name)
            self.notify(f"Pinned {safe(name)} as {len(pinned)}", markup=False)
        self.refresh_screens(force=True)

    def action_jump(self, number: int) -> None:
        if 1 <= number <= len(self.model.pinned):
            self.open_function(self.model.pinned[number - 1])
        else:
            pinned = len(self.model.pinned)
            self.notify(
                f"No function pinned at {number} ({pinned} pinned; p pins the one on screen)",
                timeout=3,
                markup=False,
            )

    def action_refresh(self) -> None:
        if self.backend is not None:
            self.backend.refresh_now()
        self.model.forget_diagnoses()
        self.refresh_screens(force=True)
        self.notify("Refreshing now", timeout=1.5)

    def _set_window(self, step: int) -> None:
        self.model.step_window(step)
        if self.backend is not None:
            self.backend.set_window(self.model.window_s)
        self.refresh_screens(force=True)
        self.notify(f"Window {self.model.window}", timeout=1.5)

    def action_widen(self) -> None:
        self._set_window(1)

    def action_narrow(self) -> None:
        self._set_window(-1)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's palette commands, with lambdatop's own snapshot (an SVG and the diagnosis
        in a new folder) in place of Textual's screenshot, and the keys worth finding by name."""
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command
        yield SystemCommand(
            "Snapshot",
            "Save an SVG of the screen and the diagnosis as Markdown (s)",
            self.action_snapshot,
        )
        yield SystemCommand("Refresh", "Poll AWS now (r)", self.action_refresh)
        yield SystemCommand("Wider window", "15m → 1h → 3h → 12h (+)", self.action_widen)
        yield SystemCommand("Narrower window", "12h → 3h → 1h → 15m (-)", self.action_narrow)
        yield SystemCommand("Help", "Every key (?)", self.action_help)

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, and the masks of --redact over every line drawn."""
        filters = super().get_line_filters()
        return [*filters, self._redact_filter] if self.redact else filters

    def action_snapshot(self) -> None:
        """The screen as the key found it, and the diagnosis as of now: the last one made if it
        is current, else one made as the sidebar's are (a large one off the event loop: the key
        returns at once, and the folder is announced once the diagnosis is in it)."""
        model = self.model
        stamp = datetime.fromtimestamp(model.clock(), UTC).strftime("%Y%m%dT%H%M%SZ")
        folder = self.snapshot_dir / f"lambdatop-snapshot-{stamp}"
        name = self.current_function()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.save_screenshot(filename="screen.svg", path=str(folder))
        except OSError as error:
            self._snapshot_failed(error)
            return
        job = model.fresh_job(name) if name else None
        if job is None:  # the last diagnosis is current, or there is none to make
            self._snapshot_saved(folder, model.current(name) if name else None)
            return
        if job.inline:  # a few milliseconds
            self._snapshot_saved(folder, model.make_now(job).value)
            return

        async def save_when_made() -> None:
            try:
                made = await made_off_the_loop(model, job)
            except Exception as error:  # noqa: BLE001 - the checks broke: the screen is saved
                self.notify(
                    f"Snapshot saved without its diagnosis ({type(error).__name__}): {folder}",
                    severity="warning",
                    markup=False,
                )
                return
            model.made(made)
            self._snapshot_saved(folder, made.value)

        self.run_worker(
            save_when_made(), group="snapshot", exit_on_error=False, description="snapshot"
        )

    def _snapshot_saved(self, folder: Path, diagnosis: Diagnosis | None) -> None:
        if diagnosis is not None:
            report = to_markdown(diagnosis)
            try:
                (folder / "diagnosis.md").write_text(
                    redact(report) if self.redact else report, encoding="utf-8"
                )
            except OSError as error:
                self._snapshot_failed(error)
                return
        self.notify(str(folder), title="Snapshot saved", timeout=5, markup=False)

    def _snapshot_failed(self, error: OSError) -> None:
        self.notify(
            f"Could not save the snapshot: {error.strerror or error}",
            severity="error",
            markup=False,
        )
