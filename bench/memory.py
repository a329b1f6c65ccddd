"""Memory over a night on call, for `make bench` (a figure, not pass/fail): the night of
bench/night.py without the fleet or a person at the keys, eight simulated hours with a repaint
every simulated minute, for the peak against its target. `python -m bench night` is the whole
night, with CPU and the verdict on the second half.

    python -m bench memory                         # 8 h, 30 lines a second per function
    LAMBDATOP_BENCH_MEMORY_HOURS=2 python -m bench memory
"""

from __future__ import annotations

import asyncio
import os
import time

from bench.night import LINES_PER_S, OPENED, TARGET_MB, run_night

HOURS = float(os.environ.get("LAMBDATOP_BENCH_MEMORY_HOURS", "8"))


def bench_memory() -> None:
    print(
        f"memory, {HOURS:g} h simulated with {len(OPENED)} functions open, {LINES_PER_S}"
        " log lines a second each (the real app, headless):"
    )
    start = time.perf_counter()
    samples = asyncio.run(
        run_night(
            HOURS,
            refresh_s=60,
            fleet_size=len(OPENED),
            people=False,
            report=lambda hour: print(f"    {hour.hour:g} h: {hour.rss_mb:.0f} MB", flush=True),
        )
    )
    print(f"  invocations kept at the end: {samples[-1].invocations:,} in {len(OPENED)} functions")
    hours = "  ".join(f"{s.hour:g} h {s.rss_mb:.0f} MB" for s in samples)
    print(f"  resident memory: {hours}")
    half = [s.rss_mb for s in samples if s.hour >= HOURS / 2]
    peak = max(s.rss_mb for s in samples)
    growth = half[-1] - half[0] if len(half) > 1 else 0.0
    print(
        f"  {'peak':<48} {peak:>9.0f} MB   target ≤ {TARGET_MB} MB in all"
        f"   (the last half of the run grew {growth:+.0f} MB; target flat)"
    )
    print(f"  ({time.perf_counter() - start:.0f} s to run)")
