"""`make screenshots`: SVGs of the main screens, taken from the simulated account.

The simulated account (moto on 127.0.0.1 and the incident generator) is started, lambdatop's
real AWS monitor reads it through the same code as a real account, and the Textual app runs
headless over the store it fills. Each screen is saved as `screenshots/<name>.svg` once the data
it shows has arrived.

    python -m bench.screenshots [OUTPUT_FOLDER]
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from lambdatop.aws.monitor import Monitor
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.core import metrics as m
from lambdatop.core.store import FunctionState, Store
from lambdatop.ui.app import LambdatopApp
from lambdatop.ui.screens.trace import TraceScreen

OUTPUT = Path("screenshots")
SIZE = (160, 45)
WAIT_S = 90.0

INCIDENTS = (
    ("incident-timeouts-pool", "payment-processor", "timeouts waiting on an exhausted pool"),
    ("incident-memory-leak", "video-encoder", "a memory leak killed at 1024 MB"),
    ("incident-access-denied", "report-exporter", "AccessDenied on s3:GetObject"),
    ("incident-throttled", "notification-sender", "throttled at reserved concurrency"),
)


PROGRESS = sys.stderr
"""Progress goes here even while the emulator's own chatter on stderr is silenced."""


def say(message: str) -> None:
    print(message, file=PROGRESS, flush=True)


async def wait_for(what: str, ready: Callable[[], bool], pilot: Pilot[Any]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not ready():
        if time.monotonic() > deadline:
            say(f"  (gave up waiting for {what}; taking the screenshot anyway)")
            return
        await pilot.pause(0.5)


def function_ready(store: Store, name: str) -> Callable[[], bool]:
    """Configuration, metrics, a tail with complete invocations, and X-Ray read."""

    def ready() -> bool:
        state = store.functions.get(name)
        return (
            state is not None
            and state.config is not None
            and m.INVOCATIONS in state.metrics
            and state.tail_total > 100
            and any(inv.reported for inv in state.pipeline.tracker.invocations.values())
            and (state.traces_read or state.config.tracing != "Active")
        )

    return ready


def has_traces(state: FunctionState) -> Callable[[], bool]:
    return lambda: bool(state.traces)


async def shoot(endpoint_url: str, region: str, out: Path) -> list[Path]:
    store = Store()
    monitor = Monitor(Aws(AwsTarget(profile=None, region=region, endpoint_url=endpoint_url)), store)
    app = LambdatopApp(store, monitor, refresh_s=1.0, snapshot_dir=out)
    saved: list[Path] = []

    async def save(name: str) -> None:
        app.refresh_screens(force=True)
        await pilot.pause(0.3)
        app.save_screenshot(filename=f"{name}.svg", path=str(out))
        saved.append(out / f"{name}.svg")
        say(f"  {name}.svg")

    async with app.run_test(size=SIZE) as pilot:
        await wait_for("the function list", lambda: store.inventory_complete, pilot)
        for shot, name, _ in INCIDENTS:
            app.open_function(name)
            await wait_for(name, function_ready(store, name), pilot)
            state = store.function(name)
            if state.config is not None and state.config.tracing == "Active":
                await wait_for(f"{name}'s failed traces", has_traces(state), pilot)
            await pilot.pause(2.5)  # a few more polls: the freshest lines and metrics
            await save(shot)

        app.open_function("video-encoder")
        await pilot.press("g")
        await pilot.pause(1.0)
        await save("charts")
        await pilot.press("escape")

        app.open_function("payment-processor")
        await pilot.pause(0.5)
        state = store.function("payment-processor")
        await wait_for("a failed trace", lambda: bool(state.traces), pilot)
        await pilot.press("t", "enter")
        screen = app.screen
        if isinstance(screen, TraceScreen):
            trace_id = screen.trace_id
            await wait_for("the trace", lambda: trace_id in state.trace_details, pilot)
        await save("trace-waterfall")
        await pilot.press("escape")

        # The fleet's numbers for functions nobody opened come from a slower fleet-wide poll;
        # follow every function so the picture shows the whole account within a minute.
        for name in list(store.inventory):
            monitor.watch(name)
        await wait_for(
            "the fleet's numbers",
            lambda: all(
                m.INVOCATIONS in store.function(name).metrics
                and store.function(name).tail_total > 0
                for name in store.inventory
            ),
            pilot,
        )
        await pilot.pause(3.0)
        app.show_fleet()
        await pilot.pause(0.5)
        await save("fleet")

        await pilot.press("question_mark")
        await pilot.pause(0.5)
        await save("help")
        await pilot.press("escape")

        await pilot.resize_terminal(80, 24)
        app.open_function("payment-processor")
        await pilot.pause(1.5)
        await save("incident-80x24")
        await pilot.press("escape")
        await pilot.pause(0.5)
        await save("fleet-80x24")
    return saved


def main() -> int:
    from lambdatop.demo.simulated_account import SimulatedAccount

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").disabled = True
    logging.getLogger("botocore").setLevel(logging.CRITICAL)
    account = SimulatedAccount()
    say("Starting the simulated account and writing its last half hour…")
    started = time.monotonic()
    account.start(port=0)
    try:
        if not account.wait_until_backfilled(timeout=300):
            say("the simulated account did not finish its backfill in 5 minutes")
            return 1
        say(f"  backfilled in {time.monotonic() - started:.0f} s; taking screenshots into {out}/")
        os.environ.setdefault("AWS_ACCESS_KEY_ID", account.access_key_id)
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", account.secret_access_key)
        os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
        # moto prints to stderr from its threads; the app draws nothing (headless), so only the
        # progress lines above should reach the terminal.
        with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
            saved = asyncio.run(shoot(account.endpoint_url, account.region, out))
    finally:
        account.stop()
    say(f"{len(saved)} screenshots in {out}/ ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
