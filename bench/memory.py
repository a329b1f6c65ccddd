"""Memory over a night on call, for `make bench` (a figure, not pass/fail): the real app, headless
at 160x45, with five functions opened on busy logs, for eight hours of simulated time run as
fast as the machine goes. The app's clock is the simulated one, so windows slide, invocations
age and diagnoses are remade as they would over the night; the process's resident memory is
read every simulated half hour.

    python -m bench memory                         # 8 h, 30 lines a second per function
    LAMBDATOP_BENCH_MEMORY_HOURS=2 python -m bench memory
"""

from __future__ import annotations

import asyncio
import os
import time

from bench.corpus import events as corpus_events
from lambdatop.core.records import FunctionConfig, LogEvent
from lambdatop.core.store import Store
from lambdatop.defaults import DefaultSettings
from lambdatop.ui.app import LambdatopApp

HOURS = float(os.environ.get("LAMBDATOP_BENCH_MEMORY_HOURS", "8"))
LINES_PER_S = int(os.environ.get("LAMBDATOP_BENCH_MEMORY_RATE", "30"))
"""Per function: a busy function's log (about 4 invocations a second)."""
FUNCTIONS = ("orders-api", "billing-worker", "search-indexer", "payments", "thumbnailer")
STEP_S = 60
"""Simulated seconds of logs added to each function at a time."""
SAMPLE_EVERY_S = 1800
SIZE = (160, 45)
TARGET_MB = 250


def rss_mb() -> float:
    """This process's resident memory (Linux /proc), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class SimulatedClock:
    def __init__(self, start_s: float) -> None:
        self.now_s = start_s

    def __call__(self) -> float:
        return self.now_s


def _minute_of_logs(function: int, minute: int, start_ms: int) -> list[LogEvent]:
    """One simulated minute of a function's log, each minute with fresh request ids."""
    raw = list(corpus_events(LINES_PER_S * STEP_S, seed=function * 1_000_003 + minute))
    first = int(str(raw[0]["timestamp"]))
    span = max(int(str(raw[-1]["timestamp"])) - first, 1)
    scale = STEP_S * 1000 / span  # spread over the minute, in order
    return [
        LogEvent(
            start_ms + int((int(str(e["timestamp"])) - first) * scale),
            str(e["message"]),
            str(e["logStreamName"]),
            f"{function}-{minute}-{index}",
        )
        for index, e in enumerate(raw)
    ]


async def _night() -> list[tuple[float, float]]:
    end_s = time.time()
    clock = SimulatedClock(end_s - HOURS * 3600)
    store = Store(clock=clock, tail_lines=DefaultSettings().tail_lines)
    store.set_inventory(
        FunctionConfig(name, runtime="python3.12", memory_mb=512, timeout_s=30, log_format="Text")
        for name in FUNCTIONS
    )
    app = LambdatopApp(store, None, functions=FUNCTIONS, clock=clock)
    samples: list[tuple[float, float]] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        samples.append((0.0, rss_mb()))
        minutes = int(HOURS * 3600 // STEP_S)
        for minute in range(minutes):
            start_ms = int(clock.now_s * 1000)
            for index, name in enumerate(FUNCTIONS):
                store.function(name).add_events(_minute_of_logs(index, minute, start_ms))
            clock.now_s += STEP_S
            await pilot.pause()  # the app repaints, diagnoses and polls its log meanwhile
            elapsed_s = (minute + 1) * STEP_S
            if elapsed_s % SAMPLE_EVERY_S == 0:
                await pilot.pause(0.3)
                samples.append((elapsed_s / 3600, rss_mb()))
                if elapsed_s % 3600 == 0:  # a long run says where it is
                    print(f"    {elapsed_s / 3600:g} h: {samples[-1][1]:.0f} MB", flush=True)
        kept = sum(len(store.function(n).pipeline.tracker.invocations) for n in FUNCTIONS)
        print(f"  invocations kept at the end: {kept:,} in {len(FUNCTIONS)} functions")
    return samples


def bench_memory() -> None:
    print(
        f"memory, {HOURS:g} h simulated with {len(FUNCTIONS)} functions open, {LINES_PER_S}"
        " log lines a second each (the real app, headless):"
    )
    start = time.perf_counter()
    samples = asyncio.run(_night())
    hours = "  ".join(f"{h:g} h {mb:.0f} MB" for h, mb in samples if h == int(h))
    print(f"  resident memory: {hours}")
    half = [mb for h, mb in samples if h >= HOURS / 2]
    peak = max(mb for _, mb in samples)
    growth = half[-1] - half[0] if len(half) > 1 else 0.0
    print(
        f"  {'peak':<48} {peak:>9.0f} MB   target ≤ {TARGET_MB} MB in all"
        f"   (the last half of the run grew {growth:+.0f} MB; target flat)"
    )
    print(f"  ({time.perf_counter() - start:.0f} s to run)")
