"""The monitor's Textual app: it renders the store at a steady frame rate and never calls AWS;
the backend (the AWS monitor, or nothing for a fixed snapshot) fills the store."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.app import App, ScreenStackError, SystemCommand
from textual.screen import Screen
from textual.timer import Timer

from lambdatop.core.store import Store
from lambdatop.core.summary import FunctionSummary, summarise
from lambdatop.core.timeutil import parse_duration
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import from_state
from lambdatop.diagnose.model import CheckStatus, Diagnosis, Plane
from lambdatop.diagnose.render import to_markdown
from lambdatop.diagnose.thresholds import Thresholds
from lambdatop.ui.backend import Backend
from lambdatop.ui.bindings import APP_BINDINGS
from lambdatop.ui.palette import FunctionSwitcher
from lambdatop.ui.safe import safe
from lambdatop.ui.screens.charts import ChartsScreen
from lambdatop.ui.screens.fleet import FleetScreen
from lambdatop.ui.screens.help import HelpScreen
from lambdatop.ui.screens.incident import IncidentScreen
from lambdatop.ui.screens.trace import TraceScreen

WINDOWS = ("15m", "1h", "3h", "12h")
LOG_FPS = 10
DIAGNOSIS_EVERY_S = 2.0
DIAGNOSES_PER_REFRESH = 40
"""The fleet re-diagnoses at most this many changed functions a refresh, so 2,000 stay smooth."""


def headline(diagnosis: Diagnosis) -> CheckStatus:
    """The fleet's status: fail, else warn, else ok; unknown when nothing could be told (no
    logs, metrics or traces read yet: a configuration alone does not make a function healthy)."""
    sources = [check for check in diagnosis.checks if check.plane is Plane.CONTROL]
    if sources and all(check.status is CheckStatus.UNKNOWN for check in sources):
        return CheckStatus.UNKNOWN
    statuses = {check.status for check in diagnosis.checks}
    for status in (CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.OK):
        if status in statuses:
            return status
    return CheckStatus.UNKNOWN


@dataclass(slots=True)
class _Cached:
    version: int
    minute: int
    """The window slides each minute, as the header's figures do: a diagnosis is made again."""
    at: float
    logs_read: bool
    """Opening a function makes its (empty) logs evidence: a diagnosis made before is stale."""
    value: Diagnosis


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
        theme: str = "textual-dark",
        clock: Callable[[], float] = time.time,
        snapshot_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.backend = backend
        self.initial = list(functions)
        self.refresh_s = refresh_s
        self.window = window if window in WINDOWS else "1h"
        self.thresholds = thresholds or Thresholds()
        self.keys = dict(keys or {})
        self.theme_name = theme
        self.clock = clock
        self.snapshot_dir = snapshot_dir or Path.cwd()
        self.opened: list[str] = []
        self.pinned: list[str] = []
        self._seen_version = -1
        self._diagnoses: dict[str, _Cached] = {}
        self._summaries: dict[str, tuple[tuple[int, int, float, int], FunctionSummary]] = {}
        self._budget = DIAGNOSES_PER_REFRESH
        self.fleet_screen = FleetScreen()
        self.charts_screen: ChartsScreen | None = None
        self.help_screen: HelpScreen | None = None
        self.incident_screen = IncidentScreen()
        self._repaint_timers: list[Timer] = []

    NAVIGATION = frozenset({"next_function", "previous_function", "pin", "jump", "refresh"})
    """Actions that would act behind a dialog (help, the command palette): off while one is up."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.NAVIGATION or action in ("widen", "narrow", "snapshot"):
            base = self.screen
            if not isinstance(base, Screen) or base.is_modal:
                return False
        return True

    @property
    def window_s(self) -> float:
        return parse_duration(self.window)

    # --- life ---

    async def on_mount(self) -> None:
        with contextlib.suppress(Exception):
            self.theme = self.theme_name
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
        if self.backend is not None:
            self.backend.set_window(self.window_s)
            self.backend.start()
        for name in self.initial:
            self.open_function(name)
        self._repaint_timers = [
            self.set_interval(self.refresh_s, self.refresh_screens),
            self.set_interval(1 / LOG_FPS, self._poll_log),
        ]

    crash: BaseException | None = None
    """An error no handler caught: the app stops, and the command says so in one line."""

    def _handle_exception(self, error: Exception) -> None:
        if self.crash is None:
            self.crash = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Stop without printing Textual's traceback on the user's terminal: the command
        prints one line and keeps the traceback in a file (see commands/monitor.py)."""
        self._close_messages_no_wait()

    def exit(
        self, result: int | None = None, return_code: int = 0, message: object | None = None
    ) -> None:
        """Stop repainting first: a refresh firing while the screens are being torn down would
        turn a clean quit into a traceback."""
        for timer in self._repaint_timers:
            timer.stop()
        # Textual's driver re-enters application mode on SIGCONT (the resume after ctrl+z).
        # The kernel sends SIGCONT right after SIGHUP when the terminal closes: once leaving, a
        # SIGCONT must only continue the process, or teardown races a second start (a writer
        # thread on a dead terminal, the terminal left in application mode).
        with contextlib.suppress(ValueError):  # signal.signal works in the main thread only
            signal.signal(signal.SIGCONT, signal.SIG_DFL)
        super().exit(result, return_code, message)  # type: ignore[arg-type]

    async def on_unmount(self) -> None:
        if self.backend is not None:
            with contextlib.suppress(Exception):
                await self.backend.stop()

    def refresh_screens(self, force: bool = False) -> None:
        """Repaint the screen on show when the store moved (or ages ticked)."""
        version = self.store.version
        changed = version != self._seen_version
        self._seen_version = version
        self._budget = DIAGNOSES_PER_REFRESH
        screen = self._top_screen()
        refresh = getattr(screen, "refresh_data", None)
        # Ages and retry countdowns move even when the data does not: repaint every tick.
        if callable(refresh) and (changed or force or screen is not None):
            refresh()

    def _poll_log(self) -> None:
        if self._top_screen() is self.incident_screen:
            self.incident_screen.poll_log()

    def _top_screen(self) -> Screen[object] | None:
        """The screen on top, or None while the app starts or shuts down (timers still fire)."""
        try:
            return self.screen
        except ScreenStackError:
            return None

    # --- model for the screens ---

    def summary(self, name: str, now: float) -> FunctionSummary:
        """The fleet row's figures, recomputed only when the function's data, its
        configuration, the window or the minute changed (2,000 rows stay cheap)."""
        state = self.store.function(name)
        config = self.store.inventory.get(name)
        key = (state.version, id(config), self.window_s, int(now // 60))
        cached = self._summaries.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        summary = summarise(state, config, now, self.window_s)
        self._summaries[name] = (key, summary)
        return summary

    def diagnosis(self, name: str) -> Diagnosis | None:
        state = self.store.functions.get(name)
        if state is None:
            return None
        now = self.clock()
        logs_read = name in self.opened or bool(state.tail)
        cached = self._diagnoses.get(name)
        if (
            cached is not None
            and cached.logs_read == logs_read
            and (
                (cached.version == state.version and cached.minute == int(now // 60))
                or now - cached.at < DIAGNOSIS_EVERY_S
            )
        ):
            return cached.value
        evidence = from_state(
            state,
            self.store,
            start_ms=int((now - self.window_s) * 1000),
            end_ms=int(now * 1000),
            logs_read=logs_read,
        )
        result = diagnose(evidence, self.thresholds)
        self._diagnoses[name] = _Cached(state.version, int(now // 60), now, logs_read, result)
        return result

    def worst_status(self, name: str) -> CheckStatus:
        """The fleet's status column: cached diagnoses, a few refreshed each tick."""
        cached = self._diagnoses.get(name)
        state = self.store.functions.get(name)
        if state is None:
            return CheckStatus.UNKNOWN
        if cached is None or (cached.version, cached.minute) != (
            state.version,
            int(self.clock() // 60),
        ):
            if self._budget <= 0:
                return headline(cached.value) if cached is not None else CheckStatus.UNKNOWN
            self._budget -= 1
            found = self.diagnosis(name)
            return headline(found) if found is not None else CheckStatus.UNKNOWN
        return headline(cached.value)

    # --- navigation ---

    def open_function(self, name: str) -> None:
        if name not in self.opened:
            self.opened.append(name)
        if self.backend is not None:
            self.backend.set_focus(name)
        else:
            self.store.function(name)
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
            self.charts_screen = ChartsScreen(name)
            self.install_screen(self.charts_screen, "charts")
        else:
            self.charts_screen.function = name
        self.push_screen("charts")

    def show_trace(self, name: str, trace_id: str) -> None:
        self.push_screen(TraceScreen(name, trace_id))
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
        if not self.opened:
            return
        current = self.incident_screen.function if self.screen is self.incident_screen else None
        index = self.opened.index(current) if current in self.opened else -step
        self.open_function(self.opened[(index + step) % len(self.opened)])

    def action_next_function(self) -> None:
        self._cycle(1)

    def action_previous_function(self) -> None:
        self._cycle(-1)

    def action_pin(self) -> None:
        name = self.current_function()
        if name is None:
            return
        if name in self.pinned:
            self.pinned.remove(name)
            self.notify(f"Unpinned {safe(name)}", markup=False)
        elif len(self.pinned) >= 9:
            self.notify("Nine functions are pinned already: unpin one first", severity="warning")
            return
        else:
            self.pinned.append(name)
            self.notify(f"Pinned {safe(name)} as {len(self.pinned)}", markup=False)
        self.refresh_screens(force=True)

    def action_jump(self, number: int) -> None:
        if 1 <= number <= len(self.pinned):
            self.open_function(self.pinned[number - 1])
        else:
            pinned = len(self.pinned)
            self.notify(
                f"No function pinned at {number} ({pinned} pinned; p pins the one on screen)",
                timeout=3,
                markup=False,
            )

    def action_refresh(self) -> None:
        if self.backend is not None:
            self.backend.refresh_now()
        self._diagnoses.clear()
        self.refresh_screens(force=True)
        self.notify("Refreshing now", timeout=1.5)

    def _set_window(self, step: int) -> None:
        index = min(max(WINDOWS.index(self.window) + step, 0), len(WINDOWS) - 1)
        self.window = WINDOWS[index]
        if self.backend is not None:
            self.backend.set_window(self.window_s)
        self._diagnoses.clear()
        self.refresh_screens(force=True)
        self.notify(f"Window {self.window}", timeout=1.5)

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

    def action_snapshot(self) -> None:
        stamp = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y%m%dT%H%M%SZ")
        folder = self.snapshot_dir / f"lambdatop-snapshot-{stamp}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.save_screenshot(filename="screen.svg", path=str(folder))
            name = self.current_function()
            diagnosis = self.diagnosis(name) if name else None
            if diagnosis is not None:
                (folder / "diagnosis.md").write_text(to_markdown(diagnosis), encoding="utf-8")
        except OSError as error:
            self.notify(
                f"Could not save the snapshot: {error.strerror or error}",
                severity="error",
                markup=False,
            )
            return
        self.notify(str(folder), title="Snapshot saved", timeout=5, markup=False)
