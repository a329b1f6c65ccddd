"""UI figures for `make bench` (figures, not pass/fail): how long a key press takes to reach the
screen while 2,000 log lines a second pour into the tail, how long switching functions takes,
and how much CPU the monitor uses when nothing changes.

The app runs headless (`App.run_test`) at 160x45 on the real store, parser and widgets. A frame
"reaches the screen" when the app hands it to the terminal driver (`App._display`): the bench
watches those frames and stops the clock at the first one that shows the key's effect.

The machine may be shared: the log is fed what 2,000 lines a second owe since the start, however
late the feeding timer fires (as the monitor's log poll hands over whatever arrived), and each
key's figures are given in wall time and in the CPU time the event loop's thread spent from the
key to its frame, which other work on the machine does not stretch (a diagnosis being made on a
worker thread meanwhile is not counted in it, but holds Python's interpreter lock: it shows in
the wall time); the load average is printed beside them.

    python -m bench.ui_bench          # or as part of `make bench`
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import time
from collections.abc import Callable, Generator
from itertools import cycle, islice
from typing import Any

from textual import events
from textual.screen import Screen

from bench.corpus import events as corpus_events
from lambdatop.core import metrics as m
from lambdatop.core.records import FunctionConfig, LogEvent
from lambdatop.core.sources import INVENTORY, METRICS, SourceKey
from lambdatop.core.store import Store
from lambdatop.ui.app import LambdatopApp
from lambdatop.ui.model import DiagnosisJob
from lambdatop.ui.screens.charts import ChartsScreen
from lambdatop.ui.screens.help import HelpScreen
from lambdatop.ui.widgets.log_view import LogView

LINES_PER_S = int(os.environ.get("LAMBDATOP_BENCH_UI_RATE", "2000"))
FEED_EVERY_S = 0.05
PRESSES = int(os.environ.get("LAMBDATOP_BENCH_UI_PRESSES", "12"))
IDLE_S = float(os.environ.get("LAMBDATOP_BENCH_UI_IDLE", "10"))
SIZE = (160, 45)
FUNCTIONS = ("orders-api", "billing-worker", "search-indexer")
TIMEOUT_S = 5.0
STEADY_S = 5.0
PAUSE_S = 0.15
"""Between key presses: a fast typist, not a key-repeat storm."""

Predicate = Callable[[LambdatopApp, Any], bool]
"""Is the key's effect in this frame? (the app, the screen the frame shows)"""


def build_store() -> Store:
    store = Store()
    store.profile, store.region = "bench", "us-east-1"
    store.account_concurrency_limit = 1_000
    store.set_inventory(
        FunctionConfig(name, runtime="python3.12", memory_mb=512, timeout_s=30, log_format="Text")
        for name in FUNCTIONS
    )
    now = int(time.time())
    minutes = [now - now % 60 - 60 * i for i in range(60)]
    for name in FUNCTIONS:
        state = store.function(name)
        state.set_metric(m.INVOCATIONS, {t: 120_000.0 for t in minutes})
        state.set_metric(m.ERRORS, {t: 300.0 for t in minutes})
        state.set_metric(m.DURATION_P99, {t: 850.0 for t in minutes})
        state.set_metric(m.CONCURRENCY, {t: 40.0 for t in minutes})
        state.add_events(_events(5_000, seed=len(name)))  # a full tail to switch between
    for source in (INVENTORY, METRICS, *(SourceKey.logs(n) for n in FUNCTIONS)):
        store.record_ok(source)  # read once: from then on the ages on screen only grow
    return store


def _events(count: int, seed: int) -> list[LogEvent]:
    now_ms = int(time.time() * 1000)
    raw = list(corpus_events(count, seed=seed))
    shift = now_ms - int(str(raw[-1]["timestamp"]))
    return [
        LogEvent(
            int(str(e["timestamp"])) + shift,
            str(e["message"]),
            str(e["logStreamName"]),
            str(e["eventId"]),
        )
        for e in raw
    ]


class FrameWatch:
    """Times frames handed to the driver, and the first frame that satisfies a predicate."""

    def __init__(self, app: LambdatopApp) -> None:
        self.app = app
        self.frames = 0
        self.waiting: tuple[Predicate, asyncio.Future[tuple[float, float]]] | None = None
        self.queued = 0
        """The most messages seen waiting in the app's or the screen's queue at a frame: a key
        waits behind those (the log must not send one a line)."""
        display = app._display

        def watched(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is None:
                return
            self.frames += 1
            # Private: Textual has no public count of a message pump's queue.
            queued = app._message_queue.qsize() + screen._message_queue.qsize()
            self.queued = max(self.queued, queued)
            if self.waiting is not None:
                predicate, future = self.waiting
                stamp = time.perf_counter(), time.thread_time()
                if not future.done() and predicate(self.app, screen):
                    future.set_result(stamp)

        app._display = watched  # type: ignore[method-assign]

    async def latency(
        self, key: str, character: str | None, predicate: Predicate
    ) -> tuple[float, float]:
        """Seconds from the key event reaching the app to the first frame showing its effect:
        wall time, and the CPU time the event loop's thread used meanwhile."""
        future: asyncio.Future[tuple[float, float]] = asyncio.get_running_loop().create_future()
        self.waiting = (predicate, future)
        driver = self.app._driver
        assert driver is not None
        start, cpu = time.perf_counter(), time.thread_time()
        driver.send_message(events.Key(key, character))
        try:
            shown, shown_cpu = await asyncio.wait_for(future, TIMEOUT_S)
        finally:
            self.waiting = None
        return shown - start, shown_cpu - cpu


def subtitle_has(word: str, present: bool) -> Predicate:
    """The log pane's border (`paused`, `wrap`) in a frame of the incident view."""

    def check(app: LambdatopApp, screen: Any) -> bool:
        if screen is not app.incident_screen:
            return False
        subtitle = str(app.incident_screen.query_one(LogView).border_subtitle or "")
        return (word in subtitle) is present

    return check


def on_screen(kind: type[Screen[Any]]) -> Predicate:
    return lambda app, screen: isinstance(screen, kind)


def showing(function: str) -> Predicate:
    """A frame of the incident view with the function's own log in it."""

    def check(app: LambdatopApp, screen: Any) -> bool:
        incident = app.incident_screen
        log = incident.query_one(LogView)
        return (
            screen is incident
            and incident.function == function
            and log.state is app.model.store.functions.get(function)
        )

    return check


def _percentile(ms: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    return ms[min(len(ms) - 1, max(0, round(share * len(ms) + 0.5) - 1))]


def _spread(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return (
        f"p50 {statistics.median(ms):4.0f} · p95 {_percentile(ms, 0.95):4.0f}"
        f" · p99 {_percentile(ms, 0.99):4.0f} ms"
    )


def _summary(name: str, samples: list[tuple[float, float]]) -> str:
    walls = [wall for wall, _ in samples]
    cpus = [cpu for _, cpu in samples]
    return f"  {name:<34} wall {_spread(walls)}   CPU {_spread(cpus)}   ({len(samples)} presses)"


class LoopTime:
    """The CPU time each suspect spends on its thread (the event loop's, but for the worker
    thread's diagnosis), call by call: a key waits for whatever runs on the loop when it
    arrives, so the longest blocks, not the totals, are what hold keys back."""

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = {}
        self._undo: list[Callable[[], None]] = []

    def watch(self, owner: Any, attribute: str, label: str) -> None:
        original = getattr(owner, attribute)
        spent = self.calls.setdefault(label, [])

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent.append(time.thread_time() - began)

        setattr(owner, attribute, timed)
        self._undo.append(lambda: setattr(owner, attribute, original))

    def watch_steps(self, owner: Any, attribute: str, label: str) -> None:
        """A function that returns a generator run a step at a time: each step is a call."""
        original = getattr(owner, attribute)
        spent = self.calls.setdefault(label, [])

        def stepped(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            steps = original(*args, **kwargs)
            while True:
                began = time.thread_time()
                try:
                    next(steps)
                except StopIteration as done:
                    spent.append(time.thread_time() - began)
                    return done.value
                spent.append(time.thread_time() - began)
                yield

        setattr(owner, attribute, stepped)
        self._undo.append(lambda: setattr(owner, attribute, original))

    def watch_collector(self) -> None:
        """Python's garbage collector, which stops every thread while it runs: its full
        collections walk every object not frozen (lambdatop/ui/collector.py)."""
        began: dict[int, float] = {}

        def collecting(phase: str, info: dict[str, int]) -> None:
            generation = info["generation"]
            if phase == "start":
                began[generation] = time.thread_time()
            elif generation in began:
                spent = self.calls.setdefault(f"garbage collection, generation {generation}", [])
                spent.append(time.thread_time() - began.pop(generation))

        gc.callbacks.append(collecting)
        self._undo.append(lambda: gc.callbacks.remove(collecting))

    def reset(self) -> None:
        for spent in self.calls.values():
            spent.clear()

    def undo(self) -> None:
        for undo in reversed(self._undo):
            undo()

    def full_collections(self, wall_s: float, deep: int) -> str:
        """How often a key may meet a full collection, and how long it would wait."""
        ms = sorted(s * 1000 for s in self.calls.get("garbage collection, generation 2", []))
        if not ms:
            return f"  full garbage collections: none in {wall_s:.0f} s"
        return (
            f"  full garbage collections: {len(ms)} in {wall_s:.0f} s ({deep} deep: everything"
            f" unfrozen and walked), pause p50 {statistics.median(ms):.0f} · p95"
            f" {_percentile(ms, 0.95):.0f} · max {ms[-1]:.0f} ms CPU"
        )

    def report(self, wall_s: float) -> None:
        print("  where the event loop's CPU went meanwhile (per call; the longest hold keys):")
        for label, spent in self.calls.items():
            if not spent:
                continue
            ms = sorted(s * 1000 for s in spent)
            print(
                f"    {label:<40} {len(ms) / wall_s:5.1f} calls/s, {sum(ms) / wall_s / 10:4.1f} %"
                f" of a core; p50 {statistics.median(ms):5.1f} · max {ms[-1]:6.1f} ms"
            )


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


async def _under_load() -> None:
    store = build_store()
    app = LambdatopApp(store, None, functions=FUNCTIONS, refresh_s=2.0)
    # Plain (message, stream) tuples, which the collector untracks: the monitor keeps nothing
    # of what it hands over, and 60,000 LogEvent objects held here would be walked by every
    # full collection (a third of its work, not the app's).
    feed = cycle([(e.message, e.stream) for e in _events(60_000, seed=7)])
    fed = 0
    began = 0.0
    target = FUNCTIONS[-1]

    def pour() -> None:
        """What LINES_PER_S owe since the feeding began, however late this timer fires."""
        nonlocal fed
        owed = int((time.perf_counter() - began) * LINES_PER_S) - fed
        if owed <= 0:
            return
        now_ms = int(time.time() * 1000)
        batch = [
            LogEvent(now_ms, message, stream, f"{fed + i}")
            for i, (message, stream) in enumerate(islice(feed, owed))
        ]
        began_cpu = time.thread_time()
        store.function(target).add_events(batch)
        loop_time.calls["feeding the store (the monitor's part)"].append(
            time.thread_time() - began_cpu
        )
        fed += len(batch)

    loop_time = LoopTime()
    loop_time.calls["feeding the store (the monitor's part)"] = []
    loop_time.watch(app, "refresh_screens", "refresh (repaint, diagnosis)")
    loop_time.watch(app.model, "make_now", "  of which small diagnoses, on the loop")
    loop_time.watch_steps(app.model, "copying", "copying a large one's data (a slice a call)")
    loop_time.watch(DiagnosisJob, "make", "the checks (a large one on the worker thread)")
    loop_time.watch(app.incident_screen, "poll_log", "log view: take the new lines")
    loop_time.watch(Screen, "_refresh_layout", "layout and render (Textual)")
    loop_time.watch_collector()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        watch = FrameWatch(app)
        began = time.perf_counter()
        app.set_interval(FEED_EVERY_S, pour)
        await asyncio.sleep(1.0)
        cpu0, wall0, frames0, fed0 = time.process_time(), time.perf_counter(), watch.frames, fed
        await asyncio.sleep(STEADY_S)
        wall = time.perf_counter() - wall0
        print(
            f"tailing {LINES_PER_S:,} lines/s, no keys pressed: fed {(fed - fed0) / wall:,.0f}"
            f" lines/s, {(watch.frames - frames0) / wall:.0f} frames/s,"
            f" CPU {100 * (time.process_time() - cpu0) / wall:.0f} % of a core; {_load()}"
        )
        cpu0, wall0, frames0, fed0 = time.process_time(), time.perf_counter(), watch.frames, fed
        loop_time.reset()
        deep0 = app._long_lived.deep
        results: dict[str, list[tuple[float, float]]] = {}
        for _ in range(PRESSES):
            for label, key, character, predicate in (
                ("space: pause the log", "space", " ", subtitle_has("paused", True)),
                ("space: follow again", "space", " ", subtitle_has("paused", False)),
                ("w: wrap on", "w", "w", subtitle_has("wrap", True)),
                ("w: wrap off", "w", "w", subtitle_has("wrap", False)),
                ("g: open the charts", "g", "g", on_screen(ChartsScreen)),
                ("escape: back from the charts", "escape", None, showing(target)),
                ("?: help", "question_mark", "?", on_screen(HelpScreen)),
                ("escape: close help", "escape", None, showing(target)),
            ):
                results.setdefault(label, []).append(await watch.latency(key, character, predicate))
                await asyncio.sleep(PAUSE_S)
        for _ in range(PRESSES // 2):
            for label, key, character, name in (
                ("tab: switch function (5,000 lines)", "tab", None, FUNCTIONS[0]),
                ("shift+tab: switch back", "shift+tab", None, target),
            ):
                results.setdefault(label, []).append(
                    await watch.latency(key, character, showing(name))
                )
                await asyncio.sleep(PAUSE_S)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        print(
            f"key press to screen, tailing {LINES_PER_S:,} lines/s, a key every {PAUSE_S:g} s"
            f" (fed {(fed - fed0) / wall:,.0f} lines/s, {(watch.frames - frames0) / wall:.0f}"
            f" frames/s, CPU {100 * cpu / wall:.0f} % of a core; {_load()}); target p99"
            " ≤ 100 ms:"
        )
        for label, samples in results.items():
            print(_summary(label, samples))
        print(_summary("every key", [s for samples in results.values() for s in samples]))
        invocations = len(store.function(target).pipeline.tracker.invocations)
        print(loop_time.full_collections(wall, app._long_lived.deep - deep0))
        print(f"  messages waiting at a frame (the app's and the screen's): at most {watch.queued}")
        loop_time.report(wall)
        print(f"    (the tailed function holds {invocations:,} invocations at the end)")
    loop_time.undo()


async def _idle() -> None:
    store = build_store()
    for label, functions in (("fleet", ()), ("incident view", FUNCTIONS[:1])):
        app = LambdatopApp(store, None, functions=functions, refresh_s=2.0)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(1.0)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(IDLE_S)
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - wall0
        print(
            f"  idle CPU, {label:<14} {100 * cpu / wall:5.1f} % of a core over {wall:.0f} s"
            "   target ≤ 1 %"
        )


def bench_keys() -> None:
    asyncio.run(_under_load())


def bench_idle() -> None:
    print("CPU when nothing changes (refresh every 2 s, log polled 10×/s):")
    asyncio.run(_idle())


def main() -> None:
    bench_keys()
    bench_idle()


if __name__ == "__main__":
    main()
