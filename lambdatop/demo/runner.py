"""`lambdatop demo`: list the scenarios, or run the simulated account until interrupted."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any, TextIO

from lambdatop.demo.scenarios import REGION, SCENARIOS, Scenario, select_scenarios
from lambdatop.demo.simulated_account import SimulatedAccount


def describe_scenarios(scenarios: tuple[Scenario, ...] = SCENARIOS) -> list[str]:
    """One aligned line per function: name, runtime, and the incident it lives through."""
    name_width = max(len(s.name) for s in scenarios)
    runtime_width = max(len(s.runtime) for s in scenarios)
    return [
        f"{s.name:<{name_width}}  {s.runtime:<{runtime_width}}  {s.incident}" for s in scenarios
    ]


def connection_help(account: SimulatedAccount) -> list[str]:
    """How to point lambdatop and the AWS CLI at the running account, from another terminal."""
    url = account.endpoint_url
    # Suggest a function with an incident: the healthy one makes a dull first diagnosis
    troubled = [s.name for s in account.scenarios if not s.healthy] or account.function_names
    first = troubled[0] if troubled else "payment-processor"
    flags = f"--endpoint-url {url} --region {REGION}"
    env = account.environment()
    return [
        f"Simulated AWS account {account.account_id} listening on {url} (region {REGION})",
        f"Functions: {', '.join(account.function_names)}",
        "",
        "From another terminal, either pass the flags (the account takes any credentials;"
        " with none configured, export the two keys below first):",
        f"  lambdatop {flags}",
        f"  lambdatop diagnose {first} {flags}",
        f"  lambdatop tail {first} --follow {flags}",
        f"  aws lambda list-functions {flags}",
        "",
        "or export the environment:",
        *(f"  export {key}={value}" for key, value in env.items() if key != "AWS_DEFAULT_REGION"),
        f"  lambdatop diagnose {first}",
        "",
        "Press Ctrl-C to stop.",
    ]


def run_demo_command(
    port: int,
    speed: float,
    scenarios: list[str] | None,
    no_ui: bool,
    list_only: bool,
    out: TextIO,
    stop: threading.Event | None = None,
) -> int:
    """Implements `lambdatop demo [--port N] [--speed X] [--scenario NAME ...] [--no-ui] [--list]`.

    Raises ValueError for an unknown scenario name (the CLI turns it into exit status 2).
    `no_ui` is accepted for the CLI; until the TUI exists the demo always runs headless.
    `stop` lets an embedding caller (or a test) end the run without a signal.
    """
    selected = select_scenarios(scenarios)
    if list_only:
        for line in describe_scenarios(selected):
            print(line, file=out)
        return 0
    stop = stop or threading.Event()
    previous = _install_stop_handlers(stop)
    account = SimulatedAccount()
    try:
        account.start(port=port, speed=speed, scenarios=[s.name for s in selected])
        print(
            f"Writing the last {account.generator.settings.backfill_seconds / 60:.0f} minutes "
            "of history...",
            file=out,
        )
        out.flush()
        account.wait_until_backfilled(timeout=None)
        for line in connection_help(account):
            print(line, file=out)
        out.flush()
        stop.wait()
    finally:
        account.stop()
        _restore_handlers(previous)
    print("Simulated account stopped.", file=out)
    return 0


def _install_stop_handlers(stop: threading.Event) -> dict[int, Any]:
    """SIGINT/SIGTERM set `stop`; only possible from the main thread (tests may run elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, handle)
    return previous


def _restore_handlers(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
