"""The fleet's logs column: what the last Logs Insights scan of every function's logs found that
metrics cannot show, with the scan's age and span; a function whose logs show trouble ranks
with the warnings, whatever its metrics say."""

from __future__ import annotations

from uidata import ENCODER, NOW, PAYMENTS
from uifakes import AppFactory
from uitools import screen_text, settle

from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.render import GLYPHS
from lambdatop.ui.screens.fleet import COLUMNS

WIDE = (200, 45)
LOGS = [key for key, _ in COLUMNS].index("logs")


async def test_each_row_says_what_the_fleet_s_logs_show(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = app.fleet_screen
        assert screen.shown["invoice-renderer"][LOGS].plain == "12 pool"
        assert screen.shown["pricing-engine"][LOGS].plain == "3 denied · 1 timeout"
        assert screen.shown[ENCODER][LOGS].plain == "none", "scanned, nothing found"
        text = screen_text(app)
        assert "logs 15m" in text
        assert "logs 4 min old, last 15 min" in text, "a scan, not live: its age and span"


async def test_log_trouble_ranks_a_function_with_the_warnings(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = app.fleet_screen
        rows = screen.rows
        quiet = [
            name
            for name in rows
            if app.model.worst_status(name) in (CheckStatus.OK, CheckStatus.UNKNOWN)
            and name not in ("invoice-renderer", "pricing-engine")
        ]
        assert quiet, "the fixture has quiet functions"
        for name in quiet:
            assert rows.index("invoice-renderer") < rows.index(name)
            assert rows.index("pricing-engine") < rows.index(name)
        screen.sort_mode = "logs"
        screen.refresh_data()
        await settle(pilot)
        assert screen.rows[:2] == ["invoice-renderer", "pricing-engine"]
        assert screen.rows.index(PAYMENTS) > 1


async def test_a_function_whose_logs_show_trouble_is_marked_as_a_warning(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = app.fleet_screen
        for name in ("invoice-renderer", "pricing-engine"):
            diagnosed = app.model.worst_status(name)
            glyph = screen.shown[name][0].plain
            if diagnosed in (CheckStatus.OK, CheckStatus.UNKNOWN):
                assert glyph == GLYPHS[CheckStatus.WARN], f"{name}: {glyph} beside its log trouble"
            else:
                assert glyph == GLYPHS[diagnosed]
        assert screen.shown[ENCODER][0].plain == GLYPHS[app.model.worst_status(ENCODER)], (
            "nothing in its logs: its own status"
        )


async def test_a_newer_scan_redraws_the_column(make_app: AppFactory) -> None:
    from collections import Counter

    from lambdatop.core.fleetlogs import LogTroubleScan
    from lambdatop.core.records import ErrorFamily

    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        store = app.model.store
        assert store.log_trouble is not None
        store.log_trouble = LogTroubleScan(
            end_s=NOW,
            span_s=900.0,
            scanned=store.log_trouble.scanned,
            counts={ENCODER: Counter({ErrorFamily.OUT_OF_MEMORY: 2})},
        )
        store.touch()
        app.fleet_screen.refresh_data()
        await settle(pilot)
        assert app.fleet_screen.shown[ENCODER][LOGS].plain == "2 OOM"
        assert app.fleet_screen.shown["invoice-renderer"][LOGS].plain == "none"


async def test_a_cell_that_grows_after_the_first_paint_is_shown_whole(
    make_app: AppFactory,
) -> None:
    # A column is as wide as its cells when the row is added: figures that arrive later (the
    # first metrics, a scan with more to say) must widen it, not be cut.
    from collections import Counter

    from lambdatop.core.fleetlogs import LogTroubleScan
    from lambdatop.core.records import ErrorFamily

    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        store = app.model.store
        assert store.log_trouble is not None
        assert app.fleet_screen.shown[ENCODER][LOGS].plain == "none"
        store.log_trouble = LogTroubleScan(
            end_s=NOW,
            span_s=900.0,
            scanned=store.log_trouble.scanned,
            counts={
                ENCODER: Counter(
                    {
                        ErrorFamily.CONNECTION_POOL: 140,
                        ErrorFamily.PERMISSION: 31,
                        ErrorFamily.OUT_OF_MEMORY: 2,
                        ErrorFamily.TIMEOUT: 1,
                    }
                )
            },
        )
        store.touch()
        app.fleet_screen.refresh_data()
        await settle(pilot)
        cell = app.fleet_screen.shown[ENCODER][LOGS].plain
        assert len(cell) > len("logs 15m"), cell
        assert cell in screen_text(app)


async def test_a_function_not_opened_shows_memory_and_cold_starts_from_the_scan(
    make_app: AppFactory,
) -> None:
    # No CloudWatch metric says memory used or cold starts: for a function nobody opened, the
    # fleet's columns come from the REPORT lines the scan counted, and say so by the title's span.
    from lambdatop.core.fleetlogs import LogTroubleScan, ReportTally

    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        columns = [key for key, _ in COLUMNS]
        used, cold = columns.index("used"), columns.index("cold")
        row = app.fleet_screen.shown["invoice-renderer"]
        assert (row[used].plain, row[cold].plain) == ("·", "·"), "not opened, not yet scanned"
        store = app.model.store
        assert store.log_trouble is not None
        store.log_trouble = LogTroubleScan(
            end_s=NOW - 30,
            span_s=900.0,
            scanned=store.log_trouble.scanned,
            counts=store.log_trouble.counts,
            reports={"invoice-renderer": ReportTally(240, 6, 1480.0, 1536.0)},
        )
        store.touch()
        app.fleet_screen.refresh_data()
        await settle(pilot)
        row = app.fleet_screen.shown["invoice-renderer"]
        assert row[used].plain == "1480 / 1536 MB"
        assert "red" in str(row[used].style), "96 % of its memory: as red as an opened one's"
        assert row[cold].plain == "2.5"
        assert "1480 / 1536 MB" in screen_text(app)
        app.fleet_screen.sort_mode = "used"
        app.fleet_screen.refresh_data()
        await settle(pilot)
        rows = app.fleet_screen.rows
        unknown = [n for n in rows if app.model.summary(n, app.model.clock()).max_memory_mb is None]
        assert unknown, "the fixture has functions with no memory figure"
        assert all(rows.index("invoice-renderer") < rows.index(n) for n in unknown), (
            "sorted by memory, it ranks with the figures, not the dots"
        )
