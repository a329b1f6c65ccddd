"""SVG snapshots of the screens, from the fixed store and clock of `uidata`: regenerate with
`pytest tests/ui --snapshot-update` and look at the SVGs before accepting them."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from uidata import ENCODER, EXPORTER, HOSTILE, NOTIFIER, NOW, PAYMENTS, build_store
from uifakes import AppFactory

from lambdatop.core.sources import ErrorKind, SourceKey
from lambdatop.ui.app import LambdatopApp

WIDE = (160, 45)

SnapCompare = Any


def test_fleet(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=WIDE)


def test_fleet_filtered(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), press=["slash", "p", "r", "o", "enter"], terminal_size=WIDE)


def test_incident_timeouts_and_pool_exhaustion(
    snap_compare: SnapCompare, make_app: AppFactory
) -> None:
    assert snap_compare(make_app(functions=[PAYMENTS]), terminal_size=WIDE)


def test_incident_memory_leak_and_out_of_memory(
    snap_compare: SnapCompare, make_app: AppFactory
) -> None:
    assert snap_compare(make_app(functions=[ENCODER]), terminal_size=WIDE)


def test_incident_access_denied_json_logs(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(functions=[EXPORTER]), terminal_size=WIDE)


def test_incident_throttled_metrics_only(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(functions=[NOTIFIER]), terminal_size=WIDE)


def test_incident_log_search_highlight(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(
        make_app(functions=[PAYMENTS]),
        press=["slash", *"Pool", "enter", "n"],
        terminal_size=WIDE,
    )


def test_trace_waterfall(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(functions=[PAYMENTS]), press=["t", "enter"], terminal_size=WIDE)


def test_charts(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(functions=[ENCODER]), press=["g"], terminal_size=WIDE)


def test_help(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), press=["question_mark"], terminal_size=(120, 50))


def test_incident_80x24(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(functions=[PAYMENTS]), terminal_size=(80, 24))


def test_incident_80x24_diagnosis(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(functions=[PAYMENTS]), press=["d"], terminal_size=(80, 24))


def test_incident_with_a_failing_source(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    async def expire_the_credentials(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, LambdatopApp)
        app.model.store.record_failure(
            SourceKey.logs(ENCODER),
            ErrorKind.CREDENTIALS,
            "credentials expired (ExpiredTokenException): run `aws sso login`",
            next_retry_s=NOW + 25,
        )
        app.refresh_screens(force=True)

    assert snap_compare(
        make_app(functions=[ENCODER]), terminal_size=(120, 40), run_before=expire_the_credentials
    )


def test_fleet_80x24(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_hostile_content_is_literal(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    app = make_app(functions=[HOSTILE], store=build_store(hostile=True))
    assert snap_compare(app, terminal_size=WIDE)
