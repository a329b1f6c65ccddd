"""A large function's diagnosis is made on a worker thread: keys are answered meanwhile, the
sidebar shows the last diagnosis and its age until the newer one comes, and one is made at a
time. The tests make every diagnosis a large one (the model's `inline_below`) and hold the
engine back where they need one still being made (an engine passed to the app, never a patch
of lambdatop's code)."""

from __future__ import annotations

import threading
from pathlib import Path

from uidata import NOW, PAYMENTS, REGION, build_store
from uifakes import AppFactory, Clock
from uitools import PATIENCE_S, mounted, screen_text, settle, wait_until

from lambdatop.core.records import LogEvent
from lambdatop.core.sources import SourceKey
from lambdatop.core.store import Store
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus, Diagnosis
from lambdatop.diagnose.thresholds import Thresholds
from lambdatop.ui.screens.fleet import FleetScreen
from lambdatop.ui.widgets.diagnosis import DiagnosisPanel
from lambdatop.ui.widgets.log_view import LogView

SIZE = (160, 45)
STREAM = "2026/03/02/[$LATEST]feedfacefeedfacefeedfacefeedface"


class HeldEngine:
    """The engine's own `diagnose`, which waits while the test holds it (at most PATIENCE_S,
    so a test that fails does not hang)."""

    def __init__(self, held: bool = True) -> None:
        self._go = threading.Event()
        if not held:
            self._go.set()
        self.began = 0
        """Diagnoses begun."""
        self.invocations: list[int] = []
        """The invocations in the evidence of each."""

    def __call__(self, evidence: Evidence, thresholds: Thresholds) -> Diagnosis:
        self.began += 1
        self.invocations.append(len(evidence.invocations))
        self._go.wait(PATIENCE_S)
        return diagnose(evidence, thresholds)

    def hold(self) -> None:
        self._go.clear()

    def release(self) -> None:
        self._go.set()


OFF_THE_LOOP = {"inline_below": 0}
"""Every diagnosis made on a worker thread."""


def requests(count: int, at_s: float, first: int = 0) -> list[LogEvent]:
    """`count` quick requests of the payment processor, a second apart from `at_s`."""
    events = []
    for number in range(first, first + count):
        rid = f"0000beef-0000-4000-a000-{number:012d}"
        at = int((at_s + number - first) * 1000)
        events += [
            LogEvent(at, f"START RequestId: {rid} Version: $LATEST", STREAM),
            LogEvent(
                at + 40,
                f"REPORT RequestId: {rid}\tDuration: 38.20 ms\tBilled Duration: 39 ms"
                "\tMemory Size: 512 MB\tMax Memory Used: 190 MB",
                STREAM,
            ),
        ]
    return events


async def test_the_sidebar_shows_a_diagnosis_made_off_the_loop_once_the_logs_arrive(
    make_app: AppFactory,
) -> None:
    source = build_store()
    arriving = [record.event for record in source.function(PAYMENTS).tail]
    store = Store(clock=lambda: NOW - 4)
    store.region = REGION
    store.set_inventory([source.inventory[PAYMENTS]])
    app = make_app(functions=[PAYMENTS], store=store, **OFF_THE_LOOP)
    async with app.run_test(size=SIZE) as pilot:
        panel = await mounted(pilot, app.incident_screen, DiagnosisPanel)
        await wait_until(pilot, lambda: panel.diagnosis is not None)
        assert panel.diagnosis is not None
        assert panel.diagnosis.check("logs").status is CheckStatus.UNKNOWN, "no lines yet"
        store.function(PAYMENTS).add_events(arriving)
        store.record_ok(SourceKey.logs(PAYMENTS))
        await wait_until(pilot, lambda: panel.selected_id() == "connection_pool")
        shown = app.model.shown(PAYMENTS)
        assert shown.made is not None
        assert shown.made.threaded
        assert "Connection pool exhausted" in screen_text(app)


async def test_a_key_is_answered_while_the_diagnosis_is_being_made(make_app: AppFactory) -> None:
    engine = HeldEngine()
    app = make_app(functions=[PAYMENTS], engine=engine, **OFF_THE_LOOP)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: engine.began == 1)
            await settle(pilot)
            assert "Diagnosis: being made…" in screen_text(app)
            log = app.incident_screen.query_one(LogView)
            assert "wrap" not in str(log.border_subtitle)
            await pilot.press("w")
            await settle(pilot)
            assert "wrap" in str(log.border_subtitle)
            assert app.model.shown(PAYMENTS).making, "answered while the checks still run"
            engine.release()
            panel = app.incident_screen.query_one(DiagnosisPanel)
            await wait_until(pilot, lambda: panel.diagnosis is not None)
            assert "Connection pool exhausted" in screen_text(app)
    finally:
        engine.release()


async def test_the_last_diagnosis_stays_with_its_age_while_the_next_is_made(
    make_app: AppFactory, store: Store, clock: Clock
) -> None:
    engine = HeldEngine(held=False)
    app = make_app(functions=[PAYMENTS], engine=engine, **OFF_THE_LOOP)
    state = store.function(PAYMENTS)
    try:
        async with app.run_test(size=SIZE) as pilot:
            panel = await mounted(pilot, app.incident_screen, DiagnosisPanel)
            await wait_until(pilot, lambda: panel.diagnosis is not None)
            # Opening the function may diagnose it again (its logs now read): wait for quiet.
            await wait_until(pilot, lambda: not app.model.shown(PAYMENTS).making)
            await settle(pilot)
            first = panel.diagnosis
            base = engine.began
            assert "Made 0 s ago" in screen_text(app), "a thread's diagnosis says its age"
            engine.hold()
            clock.advance(60)  # a minute on, with new lines
            state.add_events(requests(20, NOW + 30))
            app.refresh_screens()
            await wait_until(pilot, lambda: engine.began == base + 1)
            await settle(pilot)
            assert panel.diagnosis is first
            assert "Made 60 s ago · a newer diagnosis is being made" in screen_text(app)
            # More lines and refreshes meanwhile: no second diagnosis of it beside the first.
            clock.advance(5)
            state.add_events(requests(10, NOW + 52, first=20))
            app.refresh_screens()
            await settle(pilot)
            assert engine.began == base + 1
            engine.release()
            # The one being made lands, and the newest lines are diagnosed next.
            await wait_until(pilot, lambda: engine.began == base + 2)
            await wait_until(pilot, lambda: not app.model.shown(PAYMENTS).making)
            assert engine.invocations[base + 1] == engine.invocations[base] + 10
            await settle(pilot)
            assert "Made 0 s ago" in screen_text(app)
            assert panel.diagnosis is not first
    finally:
        engine.release()


async def test_the_fleet_keeps_a_status_while_it_is_diagnosed_again(
    make_app: AppFactory, store: Store, clock: Clock
) -> None:
    engine = HeldEngine(held=False)
    app = make_app(engine=engine, **OFF_THE_LOOP)
    try:
        async with app.run_test(size=SIZE) as pilot:
            fleet = app.screen
            assert isinstance(fleet, FleetScreen)
            await wait_until(pilot, lambda: app.model.worst_status(PAYMENTS) is CheckStatus.FAIL)
            await settle(pilot)
            assert fleet.shown[PAYMENTS][0].plain == "✖"
            engine.hold()
            clock.advance(60)
            store.function(PAYMENTS).add_events(requests(5, NOW + 30))
            app.refresh_screens()
            await wait_until(pilot, lambda: app.model.shown(PAYMENTS).making)
            app.refresh_screens()
            await settle(pilot)
            assert fleet.shown[PAYMENTS][0].plain == "✖", "the last status, not unknown"
    finally:
        engine.release()


async def test_s_returns_at_once_and_saves_the_diagnosis_once_made_off_the_loop(
    make_app: AppFactory, tmp_path: Path
) -> None:
    engine = HeldEngine()
    app = make_app(functions=[PAYMENTS], engine=engine, snapshot_dir=tmp_path, **OFF_THE_LOOP)
    folder = tmp_path / "lambdatop-snapshot-20260302T093000Z"
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: engine.began == 1)  # the sidebar's, held
            await pilot.press("s")
            await wait_until(pilot, lambda: engine.began == 2)  # the snapshot's own, held too
            log = app.incident_screen.query_one(LogView)
            await pilot.press("w")
            await settle(pilot)
            assert "wrap" in str(log.border_subtitle), "keys answered while it is made"
            assert (folder / "screen.svg").is_file(), "the screen as the key found it"
            assert not (folder / "diagnosis.md").exists()
            assert not any("Snapshot saved" in str(n.title) for n in app._notifications)
            engine.release()
            await wait_until(pilot, lambda: (folder / "diagnosis.md").exists())
            await wait_until(
                pilot, lambda: any("Snapshot saved" in str(n.title) for n in app._notifications)
            )
        assert "Connection pool exhausted" in (folder / "diagnosis.md").read_text("utf-8")
    finally:
        engine.release()


async def test_s_takes_the_sidebars_diagnosis_when_it_is_current(
    make_app: AppFactory, tmp_path: Path
) -> None:
    engine = HeldEngine(held=False)
    app = make_app(functions=[PAYMENTS], engine=engine, snapshot_dir=tmp_path, **OFF_THE_LOOP)
    async with app.run_test(size=SIZE) as pilot:
        panel = await mounted(pilot, app.incident_screen, DiagnosisPanel)
        await wait_until(pilot, lambda: panel.diagnosis is not None)
        await wait_until(pilot, lambda: not app.model.shown(PAYMENTS).making)
        made = engine.began
        await pilot.press("s")
        folder = tmp_path / "lambdatop-snapshot-20260302T093000Z"
        await wait_until(pilot, lambda: (folder / "diagnosis.md").exists())
        assert engine.began == made, "no second diagnosis of the same data"
    assert "Connection pool exhausted" in (folder / "diagnosis.md").read_text("utf-8")
