"""Trouble banners, data ages, and a layout that adapts from 80x24 to a very large terminal."""

from __future__ import annotations

import pytest
from uidata import (
    CATALOG,
    ENCODER,
    EXPORTER,
    MINUTE,
    NOTIFIER,
    NOW,
    PAYMENTS,
    LogGroup,
    build_store,
)
from uifakes import AppFactory, Clock
from uitools import screen_lines, screen_text, settle

from lambdatop.core.sources import INVENTORY, METRICS, ErrorKind, SourceKey
from lambdatop.core.store import Store
from lambdatop.diagnose.model import CheckStatus
from lambdatop.ui.screens.fleet import FleetScreen
from lambdatop.ui.widgets.diagnosis import DiagnosisPanel
from lambdatop.ui.widgets.log_view import LogView
from lambdatop.ui.widgets.panels import MemoryPanel, MetricsPanel
from lambdatop.ui.widgets.status import Banner
from lambdatop.ui.widgets.traces import TracesTable


async def test_a_failing_source_shows_a_banner_with_the_retry_countdown_until_it_recovers(
    make_app: AppFactory, store: Store, clock: Clock
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        banner = app.incident_screen.query_one(Banner)
        assert not banner.display
        store.record_failure(
            SourceKey.logs(PAYMENTS),
            ErrorKind.CREDENTIALS,
            "credentials expired (ExpiredTokenException): refresh them, lambdatop retries",
            next_retry_s=NOW + 30,
        )
        app.refresh_screens()
        await settle(pilot)
        assert banner.display
        assert "⚠ credentials expired (ExpiredTokenException)" in screen_text(app)
        assert "lambdatop retries; retrying in 30 s" in screen_text(app)
        clock.advance(12)
        app.refresh_screens()
        await settle(pilot)
        assert "; retrying in 18 s" in screen_text(app)
        assert "failing" in str(app.incident_screen.query_one(LogView).border_title)
        store.record_ok(SourceKey.logs(PAYMENTS))
        app.refresh_screens()
        await settle(pilot)
        assert not banner.display
        assert "retrying in" not in screen_text(app)


async def test_the_fleet_shows_the_banner_too_and_counts_every_trouble(
    make_app: AppFactory, store: Store
) -> None:
    store.record_failure(INVENTORY, ErrorKind.UNREACHABLE, "endpoint unreachable", NOW + 5)
    store.record_failure(METRICS, ErrorKind.THROTTLED, "throttled by CloudWatch", NOW + 40)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "⚠ endpoint unreachable; retrying in 5 s +1 more" in shown


async def test_80x24_keeps_the_numbers_the_log_and_a_verdict_on_screen(
    make_app: AppFactory,
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.incident_screen
        assert screen.has_class("-narrow")
        assert screen.has_class("-short")
        lines = screen_lines(app)
        assert len(lines) == 24
        assert lines[0].lstrip().startswith(PAYMENTS)
        assert "data 4 s old" in lines[0]
        shown = "\n".join(lines)
        for figure in ("Invocations", "Errors", "Throttles", "Concurrency", "Duration"):
            assert figure in shown
        assert "Memory" in shown
        assert "/ 512 MB" in shown
        assert "Diagnosis ✖ Connection pool exhausted" in shown
        log = screen.query_one(LogView)
        assert log.region.height >= 8
        assert "REPORT" in shown
        assert "? keys · q quit" in lines[-2]
        assert not screen.query_one(TracesTable).display
        await pilot.press("t")
        await settle(pilot)
        assert screen.query_one(TracesTable).display
        assert "QueuePool limit" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.query_one(TracesTable).display
        assert app.screen is screen


async def test_80x24_fleet_keeps_the_trouble_columns_visible(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = screen_lines(app)[1]
        for column in ("function", "inv/min", "err %", "throttles", "p99 / timeout"):
            assert column in header


@pytest.mark.parametrize("size", [(60, 16), (100, 30), (240, 70)])
async def test_every_screen_renders_at_any_size_without_crashing(
    make_app: AppFactory, size: tuple[int, int]
) -> None:
    app = make_app(functions=[ENCODER, PAYMENTS])
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert screen_text(app)
        for keys in (("d", "escape"), ("t", "enter"), ("escape", "g"), ("escape",)):
            await pilot.press(*keys)
            assert screen_text(app)
        for _ in range(3):  # escape closes what is open (traces on a short screen), then goes back
            if app.screen is app.fleet_screen:
                break
            await pilot.press("escape")
            await settle(pilot)
        assert app.screen is app.fleet_screen
        await pilot.press("question_mark")
        await settle(pilot)
        assert "Anywhere" in screen_text(app)


async def test_resizing_a_running_app_adapts_the_layout(make_app: AppFactory) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        screen = app.incident_screen
        assert not screen.has_class("-narrow")
        assert screen.query_one(DiagnosisPanel).region.width > 0
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert screen.has_class("-narrow")
        assert screen.has_class("-short")
        log = screen.query_one(LogView)
        assert log.scroll_offset.y == log.max_scroll_y  # still following the tail
        await pilot.resize_terminal(200, 60)
        await settle(pilot)
        assert not screen.has_class("-narrow")
        assert not screen.has_class("-short")
        assert screen.query_one(MemoryPanel).region.height >= 2


async def test_a_function_opened_directly_is_shown_before_any_data_arrives(
    make_app: AppFactory,
) -> None:
    empty = Store(clock=lambda: NOW)
    app = make_app(functions=["brand-new-fn"], store=empty)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "brand-new-fn · configuration loading…" in shown
        assert "waiting for data" in shown
        assert "not read yet" in shown
        assert "n/a" in shown
        app.refresh_screens(force=True)
        await settle(pilot)


async def test_an_empty_account_shows_an_empty_fleet(make_app: AppFactory) -> None:
    app = make_app(store=Store(clock=lambda: NOW))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "0 functions (listing…)" in screen_text(app)
        await pilot.press("enter", "p", "tab", "1", "s")
        await settle(pilot)
        assert app.screen is app.fleet_screen


async def test_the_incident_view_reads_numbers_with_units_and_limits(
    make_app: AppFactory,
) -> None:
    app = make_app(functions=[ENCODER])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        metrics = screen_text(app)
        assert "p99 51.0 s of 120 s" in metrics
        assert "1024 / 1024 MB (100 %)" in metrics
        assert "✖ 4 out of memory" in metrics
        assert "Concurrency 2 / 1,000" in metrics
        assert "↗ environment …" in metrics  # the leak, per environment
        assert "init p50" in metrics
        assert screen_text(app).count("\n") == 44
        assert app.incident_screen.query_one(MetricsPanel).region.height == 10


async def test_a_big_fleet_is_listed_and_filtered(make_app: AppFactory) -> None:
    big = build_store(filler=400)
    app = make_app(store=big)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert len(app.fleet_screen.rows) == 407
        assert app.fleet_screen.rows[0] == PAYMENTS
        await pilot.press("slash", *"0399")
        assert app.fleet_screen.rows == ["svc-0399-worker"]


async def test_diagnosis_of_the_exporter_opens_on_the_denied_permission(
    make_app: AppFactory,
) -> None:
    app = make_app(functions=[EXPORTER])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert app.incident_screen.query_one(DiagnosisPanel).selected_id() == "permission"
        shown = screen_text(app)
        assert "[denied]" in shown
        assert "s3:GetObject" in shown


async def test_opening_a_function_diagnoses_it_again_with_its_logs(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        # the fleet diagnosed the throttled function without reading its logs...
        before = app.model.diagnosis(NOTIFIER)
        assert before is not None
        assert before.check("logs").status is CheckStatus.UNKNOWN
        app.open_function(NOTIFIER)
        await settle(pilot)
        # ...opened, its (empty) tail is evidence: no lines for 22,872 invocations is a warning
        after = app.model.diagnosis(NOTIFIER)
        assert after is not None
        assert after.check("logs").status is CheckStatus.WARN
        assert "22,872 invocations in CloudWatch but no" in screen_text(app)


async def test_a_refresh_between_opening_a_screen_and_composing_it_is_harmless(
    make_app: AppFactory, store: Store
) -> None:
    """The refresh timer can fire right after a push, before the screen has its widgets."""
    app = make_app(functions=[PAYMENTS])
    newest = max(store.function(PAYMENTS).traces.values(), key=lambda t: t.start_s)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        for show in (
            lambda: app.show_charts(PAYMENTS),
            lambda: app.show_trace(PAYMENTS, newest.trace_id),
            app.show_fleet,
            lambda: app.open_function(ENCODER),
        ):
            show()
            app.refresh_screens(force=True)
            app._poll_log()
            await settle(pilot)
        assert app.incident_screen.function == ENCODER
    # leaving run_test tears the screens down with the timers still running: no error either


async def test_no_color_shows_every_screen_in_monochrome(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR=1 (read when the app starts) renders through Textual's monochrome filter,
    which every piece of text must survive: opening a function used to end the app."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(functions=["no-lines-yet"])  # an empty log's placeholder first
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.is_running
        assert "no log lines yet" in screen_text(app)
        for key in ("w", "t", "d", "g", "escape", "escape", "question_mark", "escape", "escape"):
            await pilot.press(key)
            await settle(pilot)
            assert app.is_running, key
        assert "payment-processor" in screen_text(app)  # the fleet
        assert app.return_code in (None, 0)


async def test_an_error_no_handler_caught_stops_the_app_without_a_traceback_on_screen(
    make_app: AppFactory,
) -> None:
    """The command then prints one line (commands/monitor.py); Textual's traceback, which
    would land on the user's terminal, is not rendered."""
    app = make_app(functions=[PAYMENTS])

    async def run_into_a_bug() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            app.call_later(lambda: 1 / 0)
            await settle(pilot)

    with pytest.raises(ZeroDivisionError):  # the test harness re-raises it
        await run_into_a_bug()
    assert isinstance(app.crash, ZeroDivisionError)
    assert app._exit_renderables == []


async def test_a_function_aws_does_not_know_says_not_found_and_is_no_fleet_row(
    make_app: AppFactory, store: Store
) -> None:
    store.record_failure(
        SourceKey.config("nosuchfn"),
        ErrorKind.MISSING,
        "nosuchfn: not found: Function not found: arn:aws:lambda:eu-west-1:123:function:nosuchfn",
        None,
    )
    app = make_app(functions=["nosuchfn"])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert "nosuchfn · not found in eu-west-1: check the name or --region" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        fleet = app.screen
        assert isinstance(fleet, FleetScreen)
        rows = fleet.rows  # the fleet's functions, in order
        assert PAYMENTS in rows
        assert "nosuchfn" not in rows
        assert "⚠ nosuchfn: not found" in screen_text(app)  # the banner still says why


async def test_the_diagnosis_slides_with_the_window_as_the_header_does(
    make_app: AppFactory, clock: Clock
) -> None:
    """No new data (an endpoint down), but the minutes pass: the header's window moves on, and
    the diagnosis must count the same window, not the one it was made on."""
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        before = app.model.diagnosis(PAYMENTS)
        assert before is not None
        clock.advance(30 * 60)  # half the 1 h window has slid past, no new data
        after = app.model.diagnosis(PAYMENTS)
        assert after is not None
        assert before.check("metrics").title != after.check("metrics").title


async def test_the_fleet_says_how_old_its_figures_are(make_app: AppFactory, clock: Clock) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert "metrics 4 s old" in screen_text(app)
        clock.advance(120)
        app.refresh_screens()
        await settle(pilot)
        assert "metrics 2 min old" in screen_text(app)


async def test_a_snapstart_restore_is_told_as_a_restore_not_an_init(make_app: AppFactory) -> None:
    store = build_store()
    logs = LogGroup(CATALOG, 43, memory_mb=256, runtime_version="java21.v18")
    at = int((NOW - 2 * MINUTE) * 1000)
    stream = logs.stream(at)
    rid = logs.request_id()
    restore = (
        "RESTORE_START Runtime Version: java:21.v18\t"
        "Runtime Version ARN: arn:aws:lambda:eu-west-1::runtime:0b1e"
    )
    for offset, line in (
        (-600, restore),
        (-2, "RESTORE_REPORT Restore Duration: 587.31 ms"),
        (0, f"START RequestId: {rid} Version: 7"),
        (90, f"END RequestId: {rid}"),
        (
            90,
            f"REPORT RequestId: {rid}\tDuration: 90.12 ms\tBilled Duration: 234 ms\t"
            "Memory Size: 256 MB\tMax Memory Used: 141 MB\tRestore Duration: 587.31 ms\t"
            "Billed Restore Duration: 143 ms",
        ),
    ):
        logs.emit(stream, at + offset, line)
    store.function(CATALOG).add_events(logs.events)
    app = make_app(store=store, functions=[CATALOG])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        metrics = screen_text(app)
        assert "restore p50 587 ms" in metrics
        assert "init p50" in metrics, "the catalog's own cold starts are inits"
