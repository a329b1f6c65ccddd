"""`make bench`: figures, not pass/fail, each with its target beside it. Every part runs alone:

python -m bench                 # all of them, in this order
python -m bench startup         # --version, --help, diagnose --logs on a small export
python -m bench monitor         # first frame, the fleet's names, an opened function's lines
python -m bench demo            # `lambdatop --demo`: its history's cost, first frame, figures
python -m bench pipeline        # parse, classify and group throughput
python -m bench export          # diagnose --logs on a 300,000-event export, against the floor
python -m bench keys            # a key press to the screen while the log pours in
python -m bench idle            # CPU when nothing changes
python -m bench memory          # memory over eight hours with five functions open
python -m bench night           # a night on call: memory and CPU per hour over twelve hours
python -m bench insights        # a 1,000,000-event window: every event, or 50,000 + Insights
python -m bench budget          # requests and dollars an hour for 10 to 10,000 functions
python -m bench contexts        # several profiles × regions: connecting, merging 10,000
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.corpus import events, export
from lambdatop.core.parse import parse
from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.records import LogEvent

LINES = int(os.environ.get("LAMBDATOP_BENCH_LINES", "1000000"))
EXPORT_EVENTS = int(os.environ.get("LAMBDATOP_BENCH_EXPORT", "300000"))

FLOOR = r"""
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
pattern = re.compile(r"REPORT RequestId: (\S+)\\t?\s*Duration: ([\d.]+) ms")
durations = [float(m.group(2)) for m in pattern.finditer(text)]
print(len(durations), max(durations))
"""

SPLIT = r"""
import os, re, sys
# The least any reader that looks at every event can spend: one regular expression splits the
# AWS CLI's JSON into (stream, timestamp, message) in two processes, each over half the file;
# nothing is parsed, grouped or decided.
data = open(sys.argv[1], "rb").read()
event = re.compile(
    rb'"logStreamName": "([^"]*)",\s*"timestamp": (\d+),\s*"message": "([^"\\]*(?:\\.[^"\\]*)*)"'
)
middle = data.find(b'"logStreamName"', len(data) // 2)
child = os.fork()
start, end = (0, middle) if child else (middle, len(data))
count = sum(1 for _ in event.finditer(data, start, end))
if not child:
    os._exit(0)
os.waitpid(child, 0)
print(count)
"""


EXPORT_RUNS = int(os.environ.get("LAMBDATOP_BENCH_RUNS", "5"))


def _medians(runs: int, commands: dict[str, list[str]]) -> dict[str, tuple[float, float]]:
    """The median wall time and the median CPU time (the command's processes together) of
    `runs` runs of each command, the commands taken in turn so that a change in the machine's
    load falls on all of them alike."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(
                command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            walls[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            cpus[name].append(cpu)
    return {
        name: (statistics.median(walls[name]), statistics.median(cpus[name])) for name in commands
    }


def bench_pipeline() -> None:
    corpus = [
        LogEvent(int(e["timestamp"]), str(e["message"]), str(e["logStreamName"]), str(e["eventId"]))
        for e in events(LINES)
    ]
    start = time.perf_counter()
    for event in corpus:
        parse(event.message)
    parse_s = time.perf_counter() - start
    pipeline = LogPipeline(max_invocations=10_000_000, max_findings=100_000)
    start = time.perf_counter()
    for event in corpus:
        pipeline.ingest(event)
    full_s = time.perf_counter() - start
    print(f"corpus: {len(corpus):,} mixed lines (text and JSON formats, 12 streams)")
    print(f"  parse + classify:          {len(corpus) / parse_s:>12,.0f} lines/s")
    print(
        f"  parse + classify + group:  {len(corpus) / full_s:>12,.0f} lines/s"
        f"  ({len(pipeline.tracker.invocations):,} invocations)"
    )


def bench_diagnose() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.json"
        path.write_text(export(EXPORT_EVENTS), encoding="utf-8")
        size_mb = path.stat().st_size / 1e6
        floor_script = Path(folder) / "floor.py"
        floor_script.write_text(FLOOR, encoding="utf-8")
        split_script = Path(folder) / "split.py"
        split_script.write_text(SPLIT, encoding="utf-8")
        lambdatop = [sys.executable, "-m", "lambdatop", "diagnose", "--logs", str(path)]
        loads = [os.getloadavg()[0]]
        timed = _medians(
            EXPORT_RUNS,
            {
                "floor": [sys.executable, str(floor_script), str(path)],
                "split": [sys.executable, str(split_script), str(path)],
                "full": [*lambdatop, "--format", "json"],
            },
        )
        loads.append(os.getloadavg()[0])
        stages = _stages(path)
    floor, split, full = timed["floor"], timed["split"], timed["full"]
    print(
        f"diagnose --logs on a {EXPORT_EVENTS:,}-event export ({size_mb:.0f} MB JSON), medians of"
        f" {EXPORT_RUNS} runs taken in turn ({time.strftime('%H:%M UTC', time.gmtime())}, load"
        f" average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores):"
    )
    print(f"  single-regex REPORT floor:     {_timed(floor)}")
    print(
        f"  lambdatop diagnose --logs:     {_timed(full)}  ({full[0] / floor[0]:.2f}× the floor"
        f" in wall time, {full[1] / floor[1]:.2f}× in CPU time, both processes; target ≤ 3×)"
    )
    print(
        f"  splitting it into events only: {_timed(split)}  ({split[0] / floor[0]:.2f}× the"
        " floor: one regex, two processes, nothing parsed; the least a reader of every event"
        " spends)"
    )
    print("  where its CPU time goes (after start-up and imports; the first of the two processes):")
    for name, seconds in stages:
        print(f"    {name:<46} {seconds:6.2f} s")


def _timed(median: tuple[float, float]) -> str:
    return f"{median[0]:6.2f} s ({median[1]:.2f} s CPU)"


def _stages(path: Path) -> list[tuple[str, float]]:
    """What `diagnose --logs` does, step by step, timed in this process (the first of two: the
    second's CPU time is given whole)."""
    from lambdatop.commands.diagnose import _export_pipeline, _windowed
    from lambdatop.core.bulk import read_and_ingest
    from lambdatop.core.export import page_cut, read_export, read_page_half
    from lambdatop.diagnose.engine import diagnose
    from lambdatop.diagnose.render import to_json

    gc.disable()  # as `diagnose --logs` runs
    clock = time.process_time  # the machine may be shared: this process's CPU time
    try:
        start = clock()
        data = path.read_bytes()
        read_s = clock() - start
        cut = page_cut(data)
        start = clock()
        if cut is None or read_page_half(data, cut, second=False) is None:
            read_export(data)  # read whole, by each process
        decode_s = clock() - start
        start = clock()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        pipeline = _export_pipeline()
        exported = read_and_ingest(data, pipeline)
        both_s = clock() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_s = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        start = clock()
        evidence = _windowed(pipeline, exported, function=None, region=None, since_s=3600.0)
        window_s = clock() - start
        start = clock()
        to_json(diagnose(evidence))
        checks_s = clock() - start
    finally:
        gc.enable()
    halves = exported.read_elsewhere > 0
    return [
        ("read the file", read_s),
        ("decode, JSON to events" + (" (half the page)" if halves else ""), decode_s),
        (
            "exchange, parse, classify, group half, merge"
            if halves
            else "parse, classify, group half, merge",
            both_s - decode_s,
        ),
        ("the evidence: the window's invocations", window_s),
        ("the checks and the report", checks_s),
        ("the second process, all of it", child_s),
    ]


def _parts() -> dict[str, Callable[[], None]]:
    from bench import demo_start, memory, night, startup, ui_bench
    from bench.budget import bench_budget
    from bench.contexts import bench_contexts
    from bench.insights_bench import bench_insights
    from bench.live_tail import bench_live_tail
    from bench.tail_bench import main as tail_main

    return {
        "startup": startup.bench_commands,
        "monitor": startup.bench_monitor,
        "demo": demo_start.bench_demo,
        "pipeline": bench_pipeline,
        "export": bench_diagnose,
        "live-tail": bench_live_tail,
        "tail": tail_main,
        "keys": ui_bench.bench_keys,
        "idle": ui_bench.bench_idle,
        "memory": memory.bench_memory,
        "night": night.bench_night,
        "insights": bench_insights,
        "budget": bench_budget,
        "contexts": bench_contexts,
    }


def main(argv: list[str]) -> int:
    parts = _parts()
    unknown = [name for name in argv if name not in parts]
    if unknown:
        print(f"unknown part {', '.join(unknown)}: choose from {', '.join(parts)}")
        return 2
    # `memory` alone is the night's memory without the fleet: `night` measures it and more.
    for name in argv or [part for part in parts if part != "memory"]:
        parts[name]()
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
