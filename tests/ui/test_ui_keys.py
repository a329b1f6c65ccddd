"""Every key of lambdatop/ui/bindings.py, pressed the way a person would, checked by what they
would notice on screen (or in the clipboard, the backend, the snapshot folder)."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.command import CommandPalette
from textual.widgets import DataTable, Input
from uidata import CATALOG, ENCODER, EXPORTER, NOTIFIER, NOW, PAYMENTS, LogGroup, payment_segments
from uifakes import AppFactory, Clock, RecordingBackend
from uitools import screen_text, settle, wait_until

from lambdatop.core.store import Store
from lambdatop.core.timeutil import human_duration
from lambdatop.ui.bindings import APP_BINDINGS, FLEET_BINDINGS, HELP, INCIDENT_BINDINGS
from lambdatop.ui.screens.charts import ChartsScreen
from lambdatop.ui.screens.help import HelpScreen
from lambdatop.ui.screens.trace import TraceScreen
from lambdatop.ui.widgets.diagnosis import DiagnosisPanel
from lambdatop.ui.widgets.log_view import LogView
from lambdatop.ui.widgets.panels import MetricsPanel
from lambdatop.ui.widgets.traces import TracesTable

WIDE = (160, 45)


def fleet_names(app: object) -> list[str]:
    return list(app.fleet_screen.rows)  # type: ignore[attr-defined]


# --- quit, help, back, open ---------------------------------------------------------------------


async def test_q_quits_with_exit_code_0_and_stops_the_backend(
    make_app: AppFactory, backend: RecordingBackend
) -> None:
    app = make_app(backend=backend)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 0
    assert backend.named("stop")


async def test_q_quits_from_the_incident_view(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("q")
    assert app.return_code == 0


async def test_question_mark_opens_help_listing_every_key_and_escape_closes_it(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 80)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        for _, bindings in HELP:
            for binding in bindings:
                assert isinstance(binding, Binding)
                if binding.id and binding.id.startswith("jump_"):
                    continue
                assert (binding.tooltip or binding.description) in shown, binding.id
        assert "1-9" in shown
        assert "ctrl+p" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.fleet_screen


async def test_escape_goes_back_to_the_fleet(
    make_app: AppFactory, backend: RecordingBackend
) -> None:
    app = make_app(functions=[PAYMENTS], backend=backend)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.screen is app.incident_screen
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.fleet_screen
        assert backend.calls[-1] == ("set_focus", None) or ("set_focus", None) in backend.calls
        assert "payment-processor" in screen_text(app)


async def test_enter_opens_the_selected_function(
    make_app: AppFactory, backend: RecordingBackend
) -> None:
    app = make_app(backend=backend)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("down")
        wanted = app.fleet_screen.selected_name()
        assert wanted is not None
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.incident_screen
        assert app.incident_screen.function == wanted
        assert ("set_focus", wanted) in backend.calls
        assert screen_text(app).splitlines()[0].lstrip().startswith(wanted)


async def test_fleet_is_sorted_by_trouble_and_o_cycles_the_sort(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        names = fleet_names(app)
        assert names[0] == PAYMENTS  # fails the most requests a minute
        assert names[-1] == CATALOG  # the one healthy function with data
        await pilot.press("o")
        assert app.fleet_screen.sort_mode == "name"
        assert fleet_names(app) == sorted(names)
        assert "sorted by name" in screen_text(app)


# --- opened functions, pins ---------------------------------------------------------------------


async def test_tab_and_shift_tab_cycle_the_opened_functions(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS, ENCODER, EXPORTER])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.incident_screen.function == EXPORTER
        await pilot.press("tab")
        assert app.incident_screen.function == PAYMENTS
        await pilot.press("tab")
        assert app.incident_screen.function == ENCODER
        await pilot.press("shift+tab", "shift+tab")
        assert app.incident_screen.function == EXPORTER
        await settle(pilot)
        assert "3/3 opened" in screen_text(app)


async def test_p_pins_and_number_keys_jump_to_pinned_functions(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS, ENCODER])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("p")  # pins video-encoder as 1
        await pilot.press("tab")  # payment-processor
        await pilot.press("p")  # pins it as 2
        assert app.model.pinned == [ENCODER, PAYMENTS]
        await pilot.press("1")
        assert app.incident_screen.function == ENCODER
        await pilot.press("2")
        assert app.incident_screen.function == PAYMENTS
        await pilot.press("3")  # nothing pinned there: it says so, and stays
        assert app.incident_screen.function == PAYMENTS
        await settle(pilot)
        assert any("No function pinned at 3" in str(n.message) for n in app._notifications)
        assert f"pinned 1:{ENCODER} 2:{PAYMENTS}" in screen_text(app)
        await pilot.press("p")  # unpins
        assert app.model.pinned == [ENCODER]


async def test_p_pins_the_selected_row_in_the_fleet(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        assert app.model.pinned == [PAYMENTS]
        await pilot.press("1")
        await settle(pilot)
        assert app.screen is app.incident_screen
        assert app.incident_screen.function == PAYMENTS


# --- filter -------------------------------------------------------------------------------------


async def test_slash_filters_the_fleet_as_you_type_and_escape_clears(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        everyone = fleet_names(app)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press("e", "n", "c")
        assert fleet_names(app) == [ENCODER]
        await pilot.press("backspace", "backspace", "backspace", "r", "e", "p")
        assert fleet_names(app) == [EXPORTER]
        assert app.model.pinned == []  # `p` typed into the filter is a letter, not the pin key
        assert "1 of 7 functions" in screen_text(app)
        assert "filter “rep”" in screen_text(app)
        await pilot.press("backspace")  # "re": two left
        await pilot.press("enter")  # keeps the filter, back in the table
        assert isinstance(app.focused, DataTable)
        assert len(fleet_names(app)) > 1
        await pilot.press("escape")
        assert fleet_names(app) == everyone
        assert isinstance(app.focused, DataTable)


async def test_enter_in_the_filter_then_enter_opens_the_first_match(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down")  # the cursor was elsewhere before filtering
        await pilot.press("slash", "r", "e", "p", "enter")
        await settle(pilot)
        assert app.screen is app.fleet_screen
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.incident_screen
        assert app.model.opened == [EXPORTER]


async def test_slash_highlights_the_log_with_a_match_count_and_n_moves(
    make_app: AppFactory,
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        log = app.incident_screen.query_one(LogView)
        total = len(log.plain_lines())
        await pilot.press("slash", *"Pool", "enter")
        await settle(pilot)
        assert log.term == "Pool"
        assert not log.hide_others
        assert len(log.plain_lines()) == total  # highlight keeps every line
        count = len(log.matches)
        assert count > 3
        assert f"{count:,} matches" in screen_text(app)
        await pilot.press("n")
        assert log.match_index == 0
        await pilot.press("n")
        assert log.match_index == 1
        await pilot.press("N", "N")
        assert log.match_index == count - 1
        await settle(pilot)
        assert f"{count}/{count:,} matches" in screen_text(app)
        assert not log.follow  # moving between matches stops following


async def test_slash_plus_shows_only_matching_log_lines(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        log = app.incident_screen.query_one(LogView)
        await pilot.press("slash", *"+clients", "enter")
        await settle(pilot)
        lines = log.plain_lines()
        assert log.hide_others
        assert lines
        records = [log.entries[i] for i in log.shown]
        assert all("clients" in r.line.text.lower() for r in records)
        assert "filter “clients”" in screen_text(app)
        await pilot.press("slash", "backspace", "enter")  # the old term is selected; empty clears
        assert log.term is None
        assert len(log.shown) == len(log.entries)


async def test_a_log_search_for_rich_markup_is_shown_literally(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"[ERROR]", "enter")
        await settle(pilot)
        log = app.incident_screen.query_one(LogView)
        assert log.matches
        assert "highlight “[ERROR]”" in screen_text(app)


# --- the log: pause, wrap -----------------------------------------------------------------------


def more_lines(store: Store, count: int) -> None:
    logs = LogGroup(PAYMENTS, 99, memory_mb=512)
    stream = logs.stream(int(NOW * 1000))
    for n in range(count):
        line = f"[INFO]\t2026-03-02T09:30:00.000Z\tx\tfresh line {n}"
        logs.emit(stream, int(NOW * 1000) + n, line)
    store.function(PAYMENTS).add_events(logs.events)


async def test_space_pauses_counting_new_lines_and_resumes_following(
    make_app: AppFactory, store: Store
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        log = app.incident_screen.query_one(LogView)
        assert log.follow
        assert log.scroll_offset.y == log.max_scroll_y  # follows the tail from the start
        await pilot.press("space")
        assert not log.follow
        before = log.plain_lines()
        more_lines(store, 25)
        app._poll_log()
        await settle(pilot)
        assert log.plain_lines() == before  # counted, not shown
        assert log.waiting == 25
        assert "paused · 25 new" in screen_text(app)
        await pilot.press("space")
        await settle(pilot)
        assert log.follow
        assert log.waiting == 0
        assert log.plain_lines()[-1].endswith("fresh line 24")
        assert "fresh line 24" in screen_text(app)  # and scrolled to it
        assert "paused" not in screen_text(app)


async def test_a_paused_log_stays_paused_where_it_was_across_a_function_switch(
    make_app: AppFactory, store: Store
) -> None:
    app = make_app(functions=[ENCODER, PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.incident_screen.function == PAYMENTS
        log = app.incident_screen.query_one(LogView)
        log.scroll_to(y=10, animate=False, immediate=True)
        await pilot.press("space")
        await settle(pilot)
        reading = (log.plain_lines(), log.scroll_y)
        await pilot.press("tab")
        await settle(pilot)
        assert app.incident_screen.function == ENCODER
        assert log.follow  # the other function's log follows as it did
        more_lines(store, 5)
        await pilot.press("tab")
        await settle(pilot)
        assert app.incident_screen.function == PAYMENTS
        assert not log.follow
        assert (log.plain_lines(), log.scroll_y) == reading
        assert log.waiting == 5
        assert "paused · 5 new" in screen_text(app)


async def test_a_following_log_switched_back_to_shows_what_arrived_meanwhile_wrapped_whole(
    make_app: AppFactory, store: Store
) -> None:
    app = make_app(functions=[ENCODER, PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        log = app.incident_screen.query_one(LogView)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("tab")
        await settle(pilot)
        assert app.incident_screen.function == ENCODER
        more_lines(store, 5)
        await pilot.press("tab")
        await settle(pilot)
        assert app.incident_screen.function == PAYMENTS
        shown = log.plain_lines()
        assert any("fresh line 4" in line for line in shown)
        # Laid out from what was measured before the switch and the new lines: a row for
        # every line drawn, none wider than the view.
        assert log.virtual_size.height == len(shown)
        assert max(len(line.rstrip()) for line in shown) <= log.scrollable_content_region.width
        await pilot.press("w")
        await settle(pilot)
        assert log.virtual_size.height == len(log.plain_lines()) < len(shown)


async def test_following_log_shows_new_lines_as_they_arrive(
    make_app: AppFactory, store: Store
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        more_lines(store, 3)
        app._poll_log()
        await settle(pilot)
        assert "fresh line 2" in screen_text(app)


async def test_w_wraps_long_lines(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        log = app.incident_screen.query_one(LogView)
        unwrapped = len(log.plain_lines())
        assert "wrap" not in str(log.border_subtitle)  # the mark says the mode, not a label
        width = log.size.width
        assert max(len(line) for line in log.plain_lines()) > width
        await pilot.press("w")
        await settle(pilot)
        assert log.wrap
        assert len(log.plain_lines()) > unwrapped
        # Folded inside what shows: no character hides behind the scrollbar.
        visible = log.scrollable_content_region.width
        assert visible < width
        assert max(len(line.rstrip()) for line in log.plain_lines()) <= visible
        assert str(log.border_subtitle) == "wrap"
        await pilot.press("w")
        assert len(log.plain_lines()) == unwrapped
        assert "wrap" not in str(log.border_subtitle)


# --- traces, diagnosis, charts, copy ------------------------------------------------------------


async def test_t_focuses_traces_and_enter_opens_the_waterfall(
    make_app: AppFactory, store: Store
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        table = app.incident_screen.query_one(TracesTable)
        assert app.focused is table
        newest = table.selected_trace()
        assert newest is not None
        assert newest.trace_id in store.function(PAYMENTS).trace_details
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TraceScreen)
        shown = screen_text(app)
        assert "QueuePool checkout" in shown
        assert "TimeoutError: QueuePool limit of size 5 overflow 10 reached" in shown
        assert "HTTP 502" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.incident_screen


async def test_opening_a_trace_asks_the_backend_for_its_segments(
    make_app: AppFactory, backend: RecordingBackend, store: Store
) -> None:
    app = make_app(functions=[PAYMENTS], backend=backend)
    older = sorted(store.function(PAYMENTS).traces.values(), key=lambda t: t.start_s)[-2]
    backend.segments[older.trace_id] = payment_segments(older)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("t", "down")
        assert backend.named("open_trace") == []  # a trace is fetched when opened, not listed
        await pilot.press("enter")
        assert isinstance(app.screen, TraceScreen)
        await wait_until(pilot, lambda: "ledger-db.cluster-c9xk2" in screen_text(app))
        assert backend.named("open_trace") == [("open_trace", PAYMENTS, older.trace_id)]


async def test_d_shows_the_diagnosis_opening_on_the_cause(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        panel = app.incident_screen.query_one(DiagnosisPanel)
        # the timeouts are caused by the exhausted pool: the sidebar opens on the cause
        assert panel.selected_id() == "connection_pool"
        await pilot.press("d")
        assert app.focused is panel.checklist
        await pilot.press("up")
        await settle(pilot)
        assert panel.selected_id() == "throttling"
        # The checklist always lists "No throttling": the detail beside it must now be its own.
        detail = str(panel.detail.content)
        assert detail.startswith("No throttling\nservice plane · ok")


async def test_d_in_a_narrow_terminal_shows_the_sidebar_in_place_of_the_log(
    make_app: AppFactory,
) -> None:
    app = make_app(functions=[ENCODER])
    async with app.run_test(size=(90, 30)) as pilot:
        await settle(pilot)
        screen = app.incident_screen
        assert screen.has_class("-narrow")
        assert "ran out of memory" in screen_text(app)  # the one-line verdict
        await pilot.press("d")
        await settle(pilot)
        assert screen.has_class("-side")
        shown = screen_text(app)
        assert "service plane · fail" in shown
        assert "max memory used 1024 / 1024 MB" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.has_class("-side")
        assert app.screen is screen


async def test_g_opens_the_charts_and_escape_closes_them(make_app: AppFactory) -> None:
    app = make_app(functions=[ENCODER])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)
        shown = screen_text(app)
        assert "limit, 1024 MB" in shown
        assert "timeout line, 120 s" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.incident_screen


async def test_c_copies_the_marked_next_step_command(make_app: AppFactory) -> None:
    app = make_app(functions=[EXPORTER])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        panel = app.incident_screen.query_one(DiagnosisPanel)
        check = panel.selected()
        assert check is not None
        assert check.id == "permission"
        commands = check.commands
        assert len(commands) >= 2
        await pilot.press("c")
        # The commands themselves, not just any line the panel holds: the role's configuration,
        # then its attached policies.
        assert app.clipboard == commands[0]
        assert app.clipboard.startswith(
            f"aws lambda get-function-configuration --function-name {EXPORTER} --query Role"
        )
        await pilot.press("c")
        assert app.clipboard == commands[1]
        assert app.clipboard == f"aws iam list-attached-role-policies --role-name {EXPORTER}-role"
        app.refresh_screens(force=True)  # a refresh keeps the mark where it was
        await pilot.press("c")
        assert app.clipboard == commands[2 % len(commands)]


# --- refresh, window, snapshot ------------------------------------------------------------------


async def test_r_asks_the_backend_to_refresh_now(
    make_app: AppFactory, backend: RecordingBackend
) -> None:
    app = make_app(backend=backend)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert backend.named("refresh_now") == []  # asked by the key, not by starting up
        await pilot.press("r")
        assert backend.named("refresh_now") == [("refresh_now",)]


async def test_plus_and_minus_change_the_window_and_the_backend_hears_it(
    make_app: AppFactory, backend: RecordingBackend
) -> None:
    app = make_app(functions=[PAYMENTS], backend=backend)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert backend.named("set_window") == [("set_window", 3600.0)]
        seen = []
        for key in ("plus", "plus", "plus", "minus", "minus", "minus", "minus"):
            await pilot.press(key)
            seen.append(app.model.window)
        assert seen == ["3h", "12h", "12h", "3h", "1h", "15m", "15m"]
        assert [c[1] for c in backend.named("set_window")] == [
            3600.0,
            10800.0,
            43200.0,
            43200.0,
            10800.0,
            3600.0,
            900.0,
            900.0,
        ]
        await settle(pilot)
        assert "window 15m" in screen_text(app)


async def test_s_saves_a_snapshot_folder_with_the_screen_and_the_diagnosis(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(functions=[PAYMENTS], snapshot_dir=tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
    folder = tmp_path / "lambdatop-snapshot-20260302T093000Z"
    assert folder.is_dir()
    svg = (folder / "screen.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg")
    assert "payment-processor" in svg
    markdown = (folder / "diagnosis.md").read_text(encoding="utf-8")
    assert "payment-processor" in markdown
    assert "pool" in markdown.lower()


async def test_s_reports_a_folder_it_cannot_write(make_app: AppFactory, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    app = make_app(snapshot_dir=blocked)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert any("Could not save" in str(n.message) for n in app._notifications)
    assert app.return_code in (None, 0)


# --- palette, switching, keymap -----------------------------------------------------------------


async def test_a_misspelt_theme_is_named_with_the_valid_ones_and_the_default_is_used(
    make_app: AppFactory,
) -> None:
    app = make_app(theme="drakula")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: "Unknown theme 'drakula'" in screen_text(app))
        toast = [line for line in screen_text(app).splitlines() if "▌" in line]
        words = " ".join(line.split("▌", 1)[1].strip() for line in toast).split()
        assert "textual-dark." in words[: words.index("Themes:")]  # what it uses instead
        assert "dracula," in words[words.index("Themes:") :]  # the one meant is listed
        assert app.theme == "textual-dark"
        assert app.screen is app.fleet_screen


async def test_a_known_theme_is_used_without_a_word(make_app: AppFactory) -> None:
    app = make_app(theme="dracula")
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "dracula"
        assert "Unknown theme" not in screen_text(app)


async def test_ctrl_p_finds_a_function_by_fuzzy_name_and_opens_it(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"vidnc")
        await wait_until(pilot, lambda: "Open video-encoder" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is app.incident_screen)
        assert app.incident_screen.function == ENCODER


async def test_the_palette_finds_lambdatop_s_snapshot_not_textual_s_screenshot(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"snap")
        await wait_until(pilot, lambda: "Snapshot" in screen_text(app))
        assert "Screenshot" not in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: saved(tmp_path, "screen.svg"))
        assert saved(tmp_path, "diagnosis.md")


def saved(folder: Path, name: str) -> bool:
    """A snapshot folder holds this file."""
    return any(folder.glob(f"lambdatop-snapshot-*/{name}"))


async def test_ctrl_p_from_the_charts_opens_the_function_without_stacking_screens(
    make_app: AppFactory,
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("ctrl+p", *"notif")
        await wait_until(pilot, lambda: "Open notification-sender" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is app.incident_screen)
        assert app.incident_screen.function == NOTIFIER
        assert app.screen_stack.count(app.incident_screen) == 1
        assert not any(isinstance(s, ChartsScreen) for s in app.screen_stack)


async def test_switching_functions_reuses_the_same_screen_and_widgets(
    make_app: AppFactory,
) -> None:
    app = make_app(functions=[PAYMENTS, ENCODER])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = app.incident_screen
        widgets = [
            screen.query_one(kind) for kind in (LogView, DiagnosisPanel, MetricsPanel, TracesTable)
        ]
        before = [id(w) for w in widgets]
        assert "transcoding clip_8812.mov" in "\n".join(widgets[0].plain_lines())  # type: ignore[attr-defined]
        await pilot.press("tab")
        await settle(pilot)
        assert app.screen is screen
        assert screen.function == PAYMENTS
        after = [
            id(screen.query_one(kind))
            for kind in (LogView, DiagnosisPanel, MetricsPanel, TracesTable)
        ]
        assert after == before
        lines = "\n".join(screen.query_one(LogView).plain_lines())
        assert "charging order" in lines
        assert "transcoding" not in lines
        shown = screen_text(app)
        assert "1,593 (32.8 %)" in shown or "Errors" in shown
        assert "QueuePool" in shown


async def test_keys_remapped_in_the_settings_keymap_work(make_app: AppFactory) -> None:
    app = make_app(
        functions=[PAYMENTS],
        keys={"pin": "P", "charts": "G", "quit": "x", "help": "f1"},
    )
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        assert app.model.pinned == []
        await pilot.press("P")
        assert app.model.pinned == [PAYMENTS]
        await pilot.press("G")
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)
        await pilot.press("escape", "f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "Pin or unpin" in screen_text(app)
        await pilot.press("escape", "x")
    assert app.return_code == 0


async def test_l_returns_from_the_traces_to_the_log(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.press("l")
        assert isinstance(app.focused, LogView)


async def test_the_context_key_is_off_the_footer_with_one_context(make_app: AppFactory) -> None:
    """`x` steps through several profiles × regions (tests/aws/test_aws_contexts.py drives it
    over two accounts and regions); with one context it is not offered and does nothing."""
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        rows = app.fleet_screen.query_one("#fleet", DataTable).row_count
        assert "Context" not in screen_text(app)
        await pilot.press("x")
        await settle(pilot)
        assert app.model.context is None
        assert app.fleet_screen.query_one("#fleet", DataTable).row_count == rows


async def test_every_binding_has_a_test_here() -> None:
    """A new key needs a test in this file: the ids below are the ones covered above."""
    covered = {
        "quit", "help", "next_function", "previous_function", "pin", "refresh", "widen",
        "narrow", "snapshot", "open", "filter", "sort", "clear_filter", "back", "next_match",
        "previous_match", "follow", "wrap", "traces", "diagnosis", "log", "charts", "copy",
        "context", *(f"jump_{n}" for n in range(1, 10)),
    }  # fmt: skip
    ids = {
        b.id for b in (*APP_BINDINGS, *FLEET_BINDINGS, *INCIDENT_BINDINGS) if isinstance(b, Binding)
    }
    assert ids == covered


async def test_navigation_keys_do_nothing_behind_the_help_screen(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS, ENCODER])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark", "tab", "plus")
        assert isinstance(app.screen, HelpScreen)
        assert app.incident_screen.function == ENCODER
        assert app.model.window == "1h"


async def test_ages_in_the_panes_follow_the_clock(make_app: AppFactory, clock: Clock) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert "data 4 s old" in screen_text(app)
        clock.advance(60)
        app.refresh_screens()
        await settle(pilot)
        shown = screen_text(app)
        assert "data 64 s old" in shown
        newest = max(t.start_s for t in app.model.store.function(PAYMENTS).traces.values())
        table = app.incident_screen.query_one(TracesTable)
        assert table.get_row_at(0)[0].plain == human_duration(NOW + 60 - newest)
        assert human_duration(NOW + 60 - newest) in shown


# --- the fleet's cursor through a re-sort -------------------------------------------------------


def _catalog_starts_failing(app: object, clock: Clock) -> None:
    """The healthy catalog-search fails every request, a minute later: the next refresh
    diagnoses it again and sorts it on top."""
    from uidata import set_series

    from lambdatop.core import metrics as m

    store = app.model.store  # type: ignore[attr-defined]
    state = store.function(CATALOG)
    set_series(state, m.INVOCATIONS, [5000.0] * 60)
    set_series(state, m.ERRORS, [5000.0] * 60)
    store.touch()
    clock.advance(60)
    app.fleet_screen.refresh_data()  # type: ignore[attr-defined]


async def test_an_untouched_cursor_stays_on_the_worst_function_as_the_fleet_re_sorts(
    make_app: AppFactory, clock: Clock
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.fleet_screen.selected_name() == PAYMENTS
        _catalog_starts_failing(app, clock)
        await wait_until(pilot, lambda: fleet_names(app)[0] == CATALOG)
        assert app.fleet_screen.selected_name() == CATALOG, "enter opens what is on top"


async def test_a_function_the_cursor_was_moved_to_keeps_it_as_the_fleet_re_sorts(
    make_app: AppFactory, clock: Clock
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        chosen = app.fleet_screen.selected_name()
        assert chosen not in (None, CATALOG)
        _catalog_starts_failing(app, clock)
        await wait_until(pilot, lambda: fleet_names(app)[0] == CATALOG)
        assert app.fleet_screen.selected_name() == chosen
