"""A night on call, for `make bench` (figures, not pass/fail): the real app, headless at 160x45,
the fleet listed behind five functions opened on busy logs, through twelve hours of simulated
time run as fast as the machine goes. The app's clock is the simulated one: windows slide,
invocations age out and diagnoses are remade as they would be over the night.

Each step is what the monitor does in `REFRESH_S` seconds of the night: every opened function
gets that span of its log (30 lines a second each, about 4 invocations), the sources answer, the
app repaints and polls its log. Each simulated minute the opened functions' metrics arrive, and
every five the fleet's few series (as aws/pollers/metrics.py reads them). The person at the
screen tabs to the next function every five minutes and looks at the fleet every half hour.
Resident memory and the process's CPU time are read at every simulated hour.

    python -m bench night                               # 12 h, a repaint every 30 s simulated
    LAMBDATOP_BENCH_NIGHT_HOURS=4 python -m bench night
    LAMBDATOP_BENCH_NIGHT_TRACE=1 python -m bench night # what grew over the second half, by line
    LAMBDATOP_BENCH_NIGHT_TRACE=types python -m bench night  # ... by type only, at full speed

The monitor's pollers and the simulated account's server are not in it (they run in real time):
the store is fed directly, as the pollers would feed it.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.corpus import events as corpus_events
from lambdatop.core import metrics as m
from lambdatop.core.records import FunctionConfig, LogEvent
from lambdatop.core.sources import INVENTORY, METRICS, SourceKey
from lambdatop.core.store import Store
from lambdatop.defaults import DefaultSettings
from lambdatop.demo.soak import rss_mb
from lambdatop.ui.app import LambdatopApp

HOURS = float(os.environ.get("LAMBDATOP_BENCH_NIGHT_HOURS", "12"))
REFRESH_S = int(os.environ.get("LAMBDATOP_BENCH_NIGHT_REFRESH", "30"))
"""Simulated seconds between two repaints (the app's own refresh is every 2 s: see the README
for what this speed-up leaves out)."""
FLEET_SIZE = int(os.environ.get("LAMBDATOP_BENCH_NIGHT_FLEET", "100"))
TRACE = os.environ.get("LAMBDATOP_BENCH_NIGHT_TRACE", "") not in ("", "0")
TRACE_LINES = TRACE and os.environ.get("LAMBDATOP_BENCH_NIGHT_TRACE") != "types"
"""tracemalloc slows the night about 10×; counting objects by type costs a second or two."""
LINES_PER_S = int(os.environ.get("LAMBDATOP_BENCH_MEMORY_RATE", "30"))
"""Per opened function: a busy function's log (about 4 invocations a second)."""
OPENED = ("orders-api", "billing-worker", "search-indexer", "payments", "thumbnailer")
SIZE = (160, 45)
MINUTE_S = 60
FLEET_EVERY_S = 300
"""The fleet's series are read every five minutes, 15 minutes back (aws/pollers/metrics.py)."""
FLEET_METRICS = (m.INVOCATIONS, m.ERRORS, m.THROTTLES, m.DURATION_MAX, m.CONCURRENCY)
TAB_EVERY_S = 300
FLEET_GLANCE_EVERY_S = 1800
TARGET_MB = 250
FLAT_MB = 10.0
"""The second half is flat when resident memory moved less than this over it."""
FLAT_CPU = 0.25
"""... and when no hour of it used more than this share above the half's first hour."""


class SimulatedClock:
    def __init__(self, start_s: float) -> None:
        self.now_s = start_s

    def __call__(self) -> float:
        return self.now_s


@dataclass(frozen=True, slots=True)
class Hour:
    """What one simulated hour cost the process."""

    hour: float
    rss_mb: float
    cpu_s: float
    """CPU time this process used over the hour (all threads)."""
    wall_s: float
    refreshes: int
    invocations: int
    """Invocations the opened functions keep at the hour's end."""
    frozen: int = 0
    """Objects out of the garbage collector's walks (lambdatop/ui/collector.py): a reference
    cycle dropped among them stays until the next deep collection, so a leak there grows this."""
    deep: int = 0
    """The app's deep collections so far (everything unfrozen, collected, frozen again)."""


def minute_of_logs(function: int, minute: int, start_ms: int, lines_per_s: int) -> list[LogEvent]:
    """One simulated minute of a function's log, each minute with fresh request ids."""
    raw = list(corpus_events(lines_per_s * MINUTE_S, seed=function * 1_000_003 + minute))
    first = int(str(raw[0]["timestamp"]))
    span = max(int(str(raw[-1]["timestamp"])) - first, 1)
    scale = MINUTE_S * 999 / span  # spread over the minute, in order
    return [
        LogEvent(
            start_ms + int((int(str(e["timestamp"])) - first) * scale),
            str(e["message"]),
            str(e["logStreamName"]),
            f"{function}-{minute}-{index}",
        )
        for index, e in enumerate(raw)
    ]


def fleet_names(size: int) -> list[str]:
    others = [f"fleet-{index:03d}" for index in range(max(size - len(OPENED), 0))]
    return [*OPENED, *others]


def _minute_points(name: str, key: str, minutes: Sequence[int]) -> dict[int, float]:
    """A steady series, different for each function and metric."""
    base = 10 + zlib.crc32(f"{name}/{key}".encode()) % 90
    return {stamp: float(base + stamp // 60 % 7) for stamp in minutes}


def read_metrics(store: Store, names: Sequence[str], keys: Sequence[str], back_s: int) -> None:
    """What a GetMetricData tick merges: the settled minutes of the last `back_s` seconds."""
    now = int(store.clock())
    last = now - now % 60 - 60
    minutes = range(last - back_s + 60, last + 1, 60)
    for name in names:
        state = store.function(name)
        for key in keys:
            state.set_metric(key, _minute_points(name, key, minutes))
    store.record_ok(METRICS)


async def run_night(
    hours: float,
    *,
    refresh_s: int,
    fleet_size: int,
    people: bool,
    lines_per_s: int = LINES_PER_S,
    trace: bool = False,
    report: Callable[[Hour], None] = lambda hour: None,
) -> list[Hour]:
    """The night, sampled at every simulated hour (and at its start, hour 0)."""
    end_s = time.time()
    clock = SimulatedClock(end_s - hours * 3600)
    store = Store(clock=clock, tail_lines=DefaultSettings().tail_lines)
    store.profile, store.region = "bench", "us-east-1"
    store.account_concurrency_limit = 1_000
    names = fleet_names(fleet_size)
    store.set_inventory(
        FunctionConfig(name, runtime="python3.12", memory_mb=512, timeout_s=30, log_format="Text")
        for name in names
    )
    store.record_ok(INVENTORY)
    app = LambdatopApp(store, None, functions=OPENED, clock=clock)
    samples: list[Hour] = []
    halfway_types: Counter[str] | None = None
    steps_per_minute = MINUTE_S // refresh_s
    async with app.run_test(size=SIZE) as pilot:
        if people:  # the fleet came first, then the functions opened from it
            app.show_fleet()
            await pilot.pause()
            for name in OPENED:
                app.open_function(name)
        await pilot.pause(0.5)
        kept = sum(len(store.function(n).pipeline.tracker.invocations) for n in OPENED)
        samples.append(Hour(0.0, rss_mb(), 0.0, 0.0, 0, kept))
        cpu0, wall0, refreshes, halfway = time.process_time(), time.perf_counter(), 0, None
        minutes = int(hours * 3600 // MINUTE_S)
        for minute in range(minutes):
            elapsed_s = minute * MINUTE_S
            read_metrics(store, OPENED, (*FLEET_METRICS, m.DURATION_P99), 5 * MINUTE_S)
            if elapsed_s % FLEET_EVERY_S == 0:
                read_metrics(store, names[len(OPENED) :], FLEET_METRICS, 15 * MINUTE_S)
            start_ms = int(clock.now_s * 1000)
            logs = [
                minute_of_logs(index, minute, start_ms, lines_per_s) for index in range(len(OPENED))
            ]
            for step in range(steps_per_minute):
                since_ms = start_ms + step * refresh_s * 1000
                upto_ms = since_ms + refresh_s * 1000
                for name, events in zip(OPENED, logs, strict=True):
                    state = store.function(name)
                    state.add_events([e for e in events if since_ms <= e.timestamp_ms < upto_ms])
                    store.record_ok(SourceKey.logs(name))
                clock.now_s += refresh_s
                app.refresh_screens()
                app._poll_log()  # the log's 10-a-second look, once a repaint here
                refreshes += 1
                await pilot.pause()
            elapsed_s += MINUTE_S
            if people and elapsed_s % TAB_EVERY_S == 0:
                app.action_next_function()
                await pilot.pause()
            if people and elapsed_s % FLEET_GLANCE_EVERY_S == 0:
                app.show_fleet()
                await pilot.pause()
                app.action_next_function()
                await pilot.pause()
            if trace and halfway_types is None and elapsed_s >= hours * 3600 / 2:
                halfway_types = _object_types()
                if tracemalloc.is_tracing():
                    halfway = tracemalloc.take_snapshot()
            if elapsed_s % 3600 == 0:
                await pilot.pause(0.2)
                kept = sum(len(store.function(n).pipeline.tracker.invocations) for n in OPENED)
                cpu, wall = time.process_time(), time.perf_counter()
                hour = Hour(
                    elapsed_s / 3600,
                    rss_mb(),
                    cpu - cpu0,
                    wall - wall0,
                    refreshes,
                    kept,
                    gc.get_freeze_count(),
                    app._long_lived.deep,
                )
                samples.append(hour)
                report(hour)
                cpu0, wall0, refreshes = cpu, wall, 0
        if halfway_types is not None:
            _print_types(halfway_types, _object_types())
        if halfway is not None:
            _print_growth(halfway, tracemalloc.take_snapshot())
    return samples


def _object_types() -> Counter[str]:
    """The objects the collector follows, by type (what found the footer's keys kept)."""
    gc.collect()
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


def _print_types(before: Counter[str], after: Counter[str]) -> None:
    """The types of which more objects were alive at the end than halfway, most first."""
    grew = sorted(((after[k] - before[k], k) for k in after.keys() | before.keys()), reverse=True)
    print("  objects that grew over the second half, by type (the collector's, not str or int):")
    for count, name in grew[:12]:
        if count > 0:
            print(f"    {count:+8,}  {name}")


def _print_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> None:
    """Where the second half's allocations that stayed were made (tracemalloc), biggest first."""
    print("  what grew over the second half (tracemalloc, by the line that allocated it):")
    for stat in after.compare_to(before, "traceback")[:12]:
        frames = [f"{f.filename.split('site-packages/')[-1]}:{f.lineno}" for f in stat.traceback]
        print(f"    {stat.size_diff / 1e6:+7.2f} MB {stat.count_diff:+8,} blocks  {frames[-1]}")
        for frame in reversed(frames[:-1][-4:]):
            print(f"        from {frame}")


def verdict(samples: Sequence[Hour], hours: float) -> tuple[bool, str]:
    """Flat over the second half: resident memory moved less than `FLAT_MB` from its middle to
    its end, and no hour of it used `FLAT_CPU` more CPU than its first hour."""
    middle = [s for s in samples if s.hour >= hours / 2]
    later = [s for s in samples if s.hour > hours / 2]
    if len(middle) < 2 or not later:
        return False, "too short to judge (no hour sampled in the second half)"
    grew = middle[-1].rss_mb - middle[0].rss_mb
    cpu_first = later[0].cpu_s
    cpu_worst = max(s.cpu_s for s in later)
    memory_flat = abs(grew) <= FLAT_MB
    cpu_flat = cpu_worst <= cpu_first * (1 + FLAT_CPU)
    said = (
        f"memory {middle[0].rss_mb:.0f} → {middle[-1].rss_mb:.0f} MB ({grew:+.0f} MB; flat within"
        f" ±{FLAT_MB:.0f} MB), CPU {cpu_first:.0f} s in its first hour, at most {cpu_worst:.0f} s"
        f" in any (flat within +{FLAT_CPU:.0%})"
    )
    return memory_flat and cpu_flat, said


def _row(hour: Hour) -> str:
    per_refresh = 1000 * hour.cpu_s / hour.refreshes if hour.refreshes else 0.0
    return (
        f"  {hour.hour:>5g} h  {hour.rss_mb:>7.0f} MB  {hour.cpu_s:>8.1f} s  {per_refresh:>8.1f} ms"
        f"  {hour.invocations:>11,}  {hour.wall_s:>7.0f} s  {hour.frozen:>9,}  {hour.deep:>4}"
    )


def bench_night() -> None:
    if REFRESH_S <= 0 or MINUTE_S % REFRESH_S:
        print(
            f"LAMBDATOP_BENCH_NIGHT_REFRESH={REFRESH_S}: a repaint every 1 to 60 s"
            " that divides a minute"
        )
        return
    print(
        f"a night on call: {HOURS:g} h simulated, the fleet of {FLEET_SIZE} behind"
        f" {len(OPENED)} functions opened, {LINES_PER_S} log lines a second each; a repaint every"
        f" {REFRESH_S} s simulated (the real app, headless):"
    )
    print("   hour   resident   CPU/hour  /repaint  invocations   wall     frozen  deep")
    if TRACE_LINES:
        tracemalloc.start(6)
    started = time.perf_counter()
    samples = asyncio.run(
        run_night(
            HOURS,
            refresh_s=REFRESH_S,
            fleet_size=FLEET_SIZE,
            people=True,
            trace=TRACE,
            report=lambda hour: print(_row(hour), flush=True),
        )
    )
    wall = time.perf_counter() - started
    flat, said = verdict(samples, HOURS)
    peak = max(s.rss_mb for s in samples)
    print(
        f"  speed-up {HOURS * 3600 / wall:.0f}× ({wall / 60:.0f} min for {HOURS:g} h); peak"
        f" {peak:.0f} MB, target ≤ {TARGET_MB} MB"
    )
    print(f"  second half: {said}: {'flat' if flat else 'NOT flat'}")
